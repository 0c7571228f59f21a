"""Issue 10 item 4: every argument does what aiohttp documents, or refuses.

Behaviour tests run fasthttp and aiohttp's own client against the same peer on 127.0.0.1
(aiohttp.web, or a raw server where the exact bytes matter) and compare.
"""

from __future__ import annotations

import asyncio
import io
import warnings
import zlib
from typing import Any

import aiohttp as real_aiohttp
import pytest

import fasthttp as aiohttp
from client_servers import (
    Conn, RawServer, assert_pool_clean, async_test, echo_route, keep_alive, response, web_server,
)

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


# --- the stale pooled connection retry, outside the middlewares ------------------------------


def _stale_server() -> RawServer:
    """Answers the first request on each connection; closes on the second without answering
    (a keep-alive connection the server dropped just as the client reused it)."""

    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(response(200, b"first"))
        await conn.read_request()

    return RawServer(handler)


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_stale_connection_retry_passes_through_middlewares(client: Any) -> None:
    calls: list[str] = []

    async def middleware(request: Any, handler: Any) -> Any:
        calls.append(request.url.path + ":" + request.headers.get("X-Seen", ""))
        request.headers["X-Seen"] = "yes"
        try:
            return await handler(request)
        except client.ServerDisconnectedError:
            calls.append("disconnected")
            raise

    async with _stale_server() as server:
        async with client.ClientSession(middlewares=(middleware,)) as session:
            async with session.get(server.url("/1")) as resp:
                assert await resp.read() == b"first"
            async with session.get(server.url("/2")) as resp:
                assert await resp.read() == b"first"
            if client is aiohttp:
                assert_pool_clean(session.connector)
    # The middleware sees the failed attempt and the retry, each from the call's headers.
    assert calls == ["/1:", "/2:", "disconnected", "/2:"]
    assert [r.target for r in server.requests] == ["/1", "/2", "/2"]


async def _two_pieces() -> Any:
    yield b"g1"
    yield b"g2"


_RETRY_BODIES: dict[str, Any] = {
    "bytes": lambda client, path: b"abc",
    "bytes payload": lambda client, path: client.BytesPayload(b"xyz"),
    "bytesio": lambda client, path: io.BytesIO(b"abc"),
    "file": lambda client, path: open(path, "rb"),
    "async generator": lambda client, path: _two_pieces(),
}


@pytest.mark.parametrize("body", list(_RETRY_BODIES))
@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_stale_connection_retry_sends_a_replayable_body_again(
    client: Any, body: str, tmp_path: Any
) -> None:
    # aiohttp sends the PUT again with any body it can replay (bytes, a payload that
    # rewinds, a seekable file), not with a one-time stream already used up.
    path = tmp_path / "body"
    path.write_bytes(b"F" * 100_000)
    data = _RETRY_BODIES[body](client, path)
    async with _stale_server() as server:
        async with client.ClientSession() as session:
            async with session.get(server.url("/1")) as resp:
                await resp.read()
            try:
                async with session.put(server.url("/2"), data=data) as resp:
                    outcome: Any = await resp.read()
            except client.ServerDisconnectedError:
                outcome = "disconnected"
            finally:
                if hasattr(data, "close") and not isinstance(data, client.BytesPayload):
                    result = data.close()
                    if asyncio.iscoroutine(result):
                        await result
    sizes = [len(r.body) for r in server.requests]
    if body == "async generator":
        assert (outcome, sizes) == ("disconnected", [0, 4])
    else:
        assert outcome == b"first"
        assert sizes[1] == sizes[2] > 0, sizes


# --- parser limits: session, per request, with a custom connector ------------------------------


def _limits_app() -> Any:
    from aiohttp import web

    async def long_field(request: Any) -> Any:
        return web.Response(text="ok", headers={"X-Long": "v" * 9000})

    async def many(request: Any) -> Any:
        return web.Response(text="ok", headers={f"X-H{i}": "1" for i in range(140)})

    async def long_line(request: Any) -> Any:
        return web.Response(text="ok", reason="R" * 9000)

    async def short(request: Any) -> Any:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/field", long_field)
    app.router.add_get("/many", many)
    app.router.add_get("/line", long_line)
    app.router.add_get("/short", short)
    return app


async def _outcome(session: Any, url: str, **kwargs: Any) -> str:
    try:
        async with session.get(url, **kwargs) as resp:
            return f"{resp.status} {await resp.text()}"
    except Exception as exc:  # the class names are compared across the two clients
        return type(exc).__name__


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_parser_limits_at_session_and_request_level_as_aiohttp(client: Any) -> None:
    big = {"max_line_size": 10000, "max_field_size": 10000, "max_headers": 200}
    seen: list[tuple[str, ...]] = []
    async with web_server(_limits_app()) as base:
        paths = [base + p for p in ("/field", "/many", "/line")]
        async with client.ClientSession() as session:
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            # Per request, then the session's defaults again on the same pooled connection.
            seen.append(tuple([await _outcome(session, u, **big) for u in paths]))
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            seen.append((await _outcome(session, base + "/short", max_field_size=100),))
        async with client.ClientSession(**big) as session:
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            seen.append((await _outcome(session, paths[0], max_field_size=100),))
        # With a connector of the caller's, the session's limits still apply.
        async with client.ClientSession(connector=client.TCPConnector(), **big) as session:
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            seen.append((await _outcome(session, paths[1], max_headers=10),))
            seen.append(tuple([await _outcome(session, u) for u in paths]))
    refused = ("ClientResponseError",) * 3
    accepted = ("200 ok",) * 3
    assert seen == [
        refused, accepted, refused, ("200 ok",), accepted, ("ClientResponseError",),
        accepted, ("ClientResponseError",), accepted,
    ]


# --- small arguments, each against aiohttp's client on the same server ------------------------


def _echo_app() -> Any:
    from aiohttp import web

    async def echo(request: Any) -> Any:
        body = await request.read()
        return web.json_response(
            {
                "body": body.decode(), "type": request.headers.get("Content-Type"),
                "path": request.raw_path, "version": f"{request.version[0]}.{request.version[1]}",
            }
        )

    async def redirect(request: Any) -> Any:
        raise web.HTTPFound("/echo/a%2Fb?x=%7e")

    app = web.Application()
    app.router.add_route("*", "/echo{tail:.*}", echo)
    app.router.add_get("/redirect", redirect)
    return app


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_json_serialize_bytes_and_json_serialize(client: Any) -> None:
    async with web_server(_echo_app()) as base:
        async with client.ClientSession(
            json_serialize_bytes=lambda obj: b'{"bytes":' + repr(obj["a"]).encode() + b"}"
        ) as session:
            async with session.post(base + "/echo", json={"a": 1}) as resp:
                got = await resp.json()
            assert (got["body"], got["type"]) == ('{"bytes":1}', "application/json")
        async with client.ClientSession(json_serialize=lambda obj: '"custom"') as session:
            async with session.post(base + "/echo", json={"a": 1}) as resp:
                assert (await resp.json())["body"] == '"custom"'


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_session_attributes_as_aiohttp(client: Any) -> None:
    async def mw(request: Any, handler: Any) -> Any:
        return await handler(request)

    trace_config = client.TraceConfig()
    async with client.ClientSession(
        version=client.HttpVersion10, requote_redirect_url=False, middlewares=(mw,),
        trace_configs=[trace_config], read_bufsize=4096, max_line_size=9000,
        max_field_size=9001, max_headers=99, trust_env=False,
    ) as session:
        assert session.version == client.HttpVersion10
        assert session.requote_redirect_url is False
        with pytest.warns(DeprecationWarning, match="requote_redirect_url"):
            session.requote_redirect_url = True
        assert session.requote_redirect_url is True
        assert session.trust_env is False
        assert list(session.trace_configs) == [trace_config]
        if client is aiohttp:  # aiohttp keeps it private (_middlewares)
            assert session.middlewares == (mw,)


@async_test()
async def test_requote_redirect_url_as_aiohttp() -> None:
    results = []
    async with web_server(_echo_app()) as base:
        for client in (aiohttp, real_aiohttp):
            paths = []
            for requote in (True, False):
                async with client.ClientSession(requote_redirect_url=requote) as session:
                    async with session.get(base + "/redirect") as resp:
                        paths.append((await resp.json())["path"])
            results.append(paths)
    assert results[0] == results[1]


@async_test()
async def test_request_leaves_a_connector_of_the_caller_open_as_aiohttp() -> None:
    async with web_server(_echo_app()) as base:
        for client in (aiohttp, real_aiohttp):
            connector = client.TCPConnector()
            async with client.request("GET", base + "/echo", connector=connector) as resp:
                assert resp.status == 200
            assert not connector.closed
            await connector.close()
            async with client.request("GET", base + "/echo", timeout=client.ClientTimeout(total=5)) as resp:
                assert resp.status == 200


@async_test()
async def test_dns_cache_max_size_bounds_the_cache() -> None:
    # The cache is keyed by (host, port): two servers give two entries for "localhost".
    async with web_server(_echo_app()) as base1, web_server(_echo_app()) as base2:
        ports = [int(b.rsplit(":", 1)[1]) for b in (base1, base2)]
        misses: list[list[int]] = []
        for client in (aiohttp, real_aiohttp):
            seen: list[int] = []
            config = client.TraceConfig()

            async def on_miss(session: Any, ctx: Any, params: Any, seen: Any = seen) -> None:
                seen.append(params.port if hasattr(params, "port") else 0)

            config.on_dns_cache_miss.append(on_miss)
            for size, expected in ((1, 3), (1000, 2)):
                seen.clear()
                connector = client.TCPConnector(dns_cache_max_size=size, force_close=True)
                async with client.ClientSession(connector=connector, trace_configs=[config]) as session:
                    for port in (ports[0], ports[1], ports[0]):
                        async with session.get(f"http://localhost:{port}/echo") as resp:
                            assert resp.status == 200
                misses.append([size, len(seen)])
                assert len(seen) == expected, (client, size)
    assert misses == [[1, 3], [1000, 2]] * 2


def _remote_app() -> Any:
    from aiohttp import web

    async def remote(request: Any) -> Any:
        if "slow" in request.query:
            await asyncio.sleep(2)
        return web.Response(text=str(request.remote))

    app = web.Application()
    app.router.add_get("/", remote)
    return app


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_loop_read_timeout_and_conn_timeout_as_aiohttp(client: Any) -> None:
    loop = asyncio.get_running_loop()
    async with web_server(_remote_app()) as base:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            session = client.ClientSession(
                loop=loop, connector=client.TCPConnector(loop=loop), read_timeout=0.3,
                conn_timeout=4,
            )
        async with session:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                assert session.loop is loop
            assert (session.timeout.total, session.timeout.connect) == (0.3, 4)
            async with session.get(base + "/") as resp:
                assert await resp.text() == "127.0.0.1"
            with pytest.raises(asyncio.TimeoutError):
                await session.get(base + "/?slow=1")


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_local_addr_is_the_source_address(client: Any) -> None:
    async with web_server(_remote_app()) as base:
        connector = client.TCPConnector(local_addr=("127.0.0.2", 0))
        async with client.ClientSession(connector=connector) as session:
            async with session.get(base + "/") as resp:
                assert await resp.text() == "127.0.0.2"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_use_dns_cache_and_ttl_dns_cache_as_aiohttp(client: Any) -> None:
    async with web_server(_remote_app()) as base:
        url = base.replace("127.0.0.1", "localhost") + "/"
        counts = []
        for kwargs in ({"use_dns_cache": False}, {"ttl_dns_cache": 0.05}, {}):
            events: list[str] = []
            config = client.TraceConfig()

            async def on_start(session: Any, ctx: Any, params: Any, events: Any = events) -> None:
                events.append("resolve")

            async def on_hit(session: Any, ctx: Any, params: Any, events: Any = events) -> None:
                events.append("hit")

            config.on_dns_resolvehost_start.append(on_start)
            config.on_dns_cache_hit.append(on_hit)
            connector = client.TCPConnector(force_close=True, **kwargs)
            async with client.ClientSession(connector=connector, trace_configs=[config]) as session:
                for _ in range(2):
                    async with session.get(url) as resp:
                        assert resp.status == 200
                    await asyncio.sleep(0.1)
            counts.append(events)
    # No cache: a lookup per request; a short TTL: expired by the second; the default: a hit.
    assert counts == [["resolve", "resolve"], ["resolve", "resolve"], ["resolve", "hit"]]


@async_test()
async def test_ws_connect_method_as_aiohttp() -> None:
    async def refuse(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(response(400, b"no"))

    async with RawServer(refuse) as server:
        for client in (aiohttp, real_aiohttp):
            async with client.ClientSession() as session:
                with pytest.raises(client.WSServerHandshakeError):
                    await session.ws_connect(server.url("/ws"), method="PUT")
    assert [r.method for r in server.requests] == ["PUT", "PUT"]


@async_test()
async def test_aiohttp_request_version_and_loop() -> None:
    async with web_server(_echo_app()) as base:
        versions = []
        for client in (aiohttp, real_aiohttp):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                async with client.request(
                    "GET", base + "/echo", version=client.HttpVersion10,
                    loop=asyncio.get_running_loop(),
                ) as resp:
                    versions.append((await resp.json())["version"])
    assert versions == ["1.0", "1.0"]


# --- compress=: the request body compressed, as aiohttp sends it ------------------------------


def _body_app() -> Any:
    from aiohttp import web

    async def echo(request: Any) -> Any:
        return web.json_response(
            {
                "body": (await request.read()).decode(),
                "encoding": request.headers.get("Content-Encoding"),
                "te": request.headers.get("Transfer-Encoding"),
                "length": request.headers.get("Content-Length"),
            }
        )

    app = web.Application()
    app.router.add_post("/", echo)
    return app


async def _chunks() -> Any:
    for i in range(3):
        yield f"part{i} ".encode() * 100


@async_test()
async def test_compress_sends_the_body_compressed_as_aiohttp() -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        (True, {"data": b"x" * 5000}),
        ("deflate", {"data": "text " * 100}),
        ("gzip", {"json": {"k": "v" * 300}}),
        ("gzip", {"data": _chunks}),
        (True, {"data": b""}),  # nothing to compress: sent as it is
    ]
    results = []
    async with web_server(_body_app()) as base:
        for client in (aiohttp, real_aiohttp):
            got = []
            async with client.ClientSession() as session:
                for compress, kwargs in cases:
                    if kwargs.get("data") is _chunks:
                        kwargs = {"data": _chunks()}
                    async with session.post(base + "/", compress=compress, **kwargs) as resp:
                        got.append(await resp.json())
                with pytest.raises(ValueError, match="Content-Encoding"):
                    await session.post(
                        base + "/", data=b"x", compress=True, headers={"Content-Encoding": "br"}
                    )
            results.append(got)
    assert results[0] == results[1]
    assert [(r["encoding"], r["te"]) for r in results[0]] == [
        ("deflate", "chunked"), ("deflate", "chunked"), ("gzip", "chunked"),
        ("gzip", "chunked"), (None, None),
    ]
    assert results[0][0]["body"] == "x" * 5000


@async_test()
async def test_compressed_bytes_on_the_wire_decode_to_the_body() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            for compress, wbits in (("deflate", zlib.MAX_WBITS), ("gzip", 16 + zlib.MAX_WBITS)):
                async with session.post(server.url("/"), data=b"abc" * 1000, compress=compress) as resp:
                    await resp.read()
                sent = server.requests[-1]
                assert sent.header("content-encoding") == compress
                assert zlib.decompress(sent.body, wbits) == b"abc" * 1000
            assert_pool_clean(session.connector)


# --- read_until_eof=False: a body only the connection's end would delimit is not read --------


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_read_until_eof_false_as_aiohttp(client: Any) -> None:
    async def handler(conn: Conn) -> None:
        while True:
            request = await conn.read_request()
            if request is None:
                return
            if request.target == "/sized":
                await conn.send(response(200, b"sized"))
                continue
            # No length, not chunked: the body ends with the connection, which stays open.
            await conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil eof")
            await asyncio.sleep(5)
            return

    async with RawServer(handler) as server:
        async with client.ClientSession() as session:
            async with session.get(server.url("/sized"), read_until_eof=False) as resp:
                assert await resp.read() == b"sized"
            resp = await asyncio.wait_for(
                session.get(server.url("/eof"), read_until_eof=False), 2
            )
            async with resp:
                assert resp.status == 200
                assert await asyncio.wait_for(resp.read(), 2) == b""
            # The connection was not handed back half-read: the next request works.
            async with session.get(server.url("/sized")) as resp:
                assert await resp.read() == b"sized"
            if client is aiohttp:
                assert_pool_clean(session.connector)


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_ssl_spellings_are_exclusive_and_deprecated_as_aiohttp(client: Any) -> None:
    import ssl

    context = ssl.create_default_context()
    async with client.ClientSession() as session:
        for kwargs in (
            {"ssl": context, "verify_ssl": False}, {"ssl": False, "ssl_context": context},
            {"verify_ssl": False, "ssl_context": context},
        ):
            with pytest.raises(ValueError, match="mutually exclusive"), warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                await session.get("http://127.0.0.1:9/", **kwargs)
    with pytest.warns(DeprecationWarning, match="verify_ssl is deprecated"):
        await client.TCPConnector(verify_ssl=False).close()
    with pytest.warns(DeprecationWarning, match="ssl_context is deprecated"):
        await client.TCPConnector(ssl_context=context).close()


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_json_none_with_data_is_data_as_aiohttp(client: Any) -> None:
    async with web_server(_body_app()) as base:
        async with client.ClientSession() as session:
            async with session.post(base + "/", data=b"raw", json=None) as resp:
                assert (await resp.json())["body"] == "raw"
            with pytest.raises(ValueError):
                await session.post(base + "/", data=b"raw", json={"a": 1})


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_request_class_is_what_middlewares_receive(client: Any) -> None:
    class MyRequest(client.ClientRequest):  # type: ignore[name-defined,misc]
        def tag(self) -> str:
            return "mine:" + self.url.path

    seen: list[str] = []

    async def middleware(request: Any, handler: Any) -> Any:
        seen.append(request.tag())
        return await handler(request)

    async with web_server(_echo_app()) as base:
        async with client.ClientSession(
            request_class=MyRequest, middlewares=(middleware,)
        ) as session:
            async with session.get(base + "/redirect") as resp:
                assert resp.status == 200
    assert seen == ["mine:/redirect", "mine:/echo/a/b"]
