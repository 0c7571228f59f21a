"""Issue 14: aiohttp's own option objects handed to a fasthttp session.

Libraries written for aiohttp build their arguments with aiohttp (ClientTimeout, BasicAuth,
FormData, payloads, ClientWSTimeout, tcp:// URLs) and pass them to the session they were
given. Each test sends the same aiohttp object through aiohttp's own session and through
fasthttp's to an aiohttp.web peer on 127.0.0.1 and compares what the server saw, or the
error raised. Objects that cannot be understood raise TypeError naming them.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any, AsyncIterator

import aiohttp as real_aiohttp
import pytest
from aiohttp import web

import fasthttp
from client_servers import Conn, RawServer, async_test, web_server

CLIENTS = [pytest.param(fasthttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


def _echo_app() -> web.Application:
    """Answers with what it received: method, headers, body and the parsed form if any."""

    async def echo(request: web.Request) -> web.Response:
        body = b""
        form: dict[str, Any] = {}
        if request.content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            body = await request.read()
        else:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    form[name] = [value.filename, value.content_type, value.file.read().decode()]
                else:
                    form[name] = value
        return web.json_response({
            "method": request.method,
            "authorization": request.headers.get("Authorization"),
            "content_type": request.headers.get("Content-Type", ""),
            "chunked": "chunked" in request.headers.get("Transfer-Encoding", ""),
            "length": request.headers.get("Content-Length"),
            "body": body.decode("latin1"),
            "form": form,
            "host": request.headers.get("Host"),
        })

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"x")
        await asyncio.sleep(5)  # silent for longer than the sock_read the test sets
        return response

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def _send(client: Any, base: str, path: str = "/", *, method: str = "POST", **kwargs: Any) -> Any:
    async with client.ClientSession() as session:
        async with session.request(method, base + path, **kwargs) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


# --- root cause 1: aiohttp's ClientTimeout -------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_aiohttp_client_timeout_per_request_is_read_by_its_attributes(client: Any) -> None:
    async with web_server(_echo_app()) as base:
        async with client.ClientSession() as session:
            timeout = real_aiohttp.ClientTimeout(total=10, sock_connect=5)
            async with session.get(base + "/", timeout=timeout) as resp:
                assert resp.status == 200
            # sock_read is honoured, not just total: the silent server times out.
            with pytest.raises(asyncio.TimeoutError) as caught:
                async with session.get(
                    base + "/slow", timeout=real_aiohttp.ClientTimeout(total=4, sock_read=0.2)
                ) as resp:
                    await resp.read()
            assert isinstance(caught.value, client.ServerTimeoutError)


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_aiohttp_client_timeout_per_session(client: Any) -> None:
    async with web_server(_echo_app()) as base:
        timeout = real_aiohttp.ClientTimeout(total=4, sock_read=0.2)
        async with client.ClientSession(timeout=timeout) as session:
            assert session.timeout.sock_read == 0.2 and session.timeout.total == 4
            with pytest.raises(client.ServerTimeoutError):
                async with session.get(base + "/slow") as resp:
                    await resp.read()


def test_aiohttp_client_timeout_attributes_are_copied() -> None:
    foreign = real_aiohttp.ClientTimeout(
        total=1.5, connect=2, sock_read=3, sock_connect=4, ceil_threshold=7
    )
    from fasthttp.foreign_objects import timeout_from

    assert timeout_from(foreign) == fasthttp.ClientTimeout(
        total=1.5, connect=2, sock_read=3, sock_connect=4, ceil_threshold=7
    )
    assert timeout_from(2) == fasthttp.ClientTimeout(total=2)


@async_test()
async def test_timeout_that_cannot_be_read_is_a_type_error_naming_it() -> None:
    class NotATimeout:
        pass

    class BadField:
        total = "soon"
        connect = sock_read = sock_connect = None

    async with web_server(_echo_app()) as base:
        async with fasthttp.ClientSession() as session:
            with pytest.raises(TypeError, match="NotATimeout"):
                await session.get(base + "/", timeout=NotATimeout())
            with pytest.raises(TypeError, match=r"BadField\.total .*'soon'"):
                await session.get(base + "/", timeout=BadField())
            with pytest.raises(TypeError, match="str"):
                await session.get(base + "/", timeout="5")
        # The session refuses a number as aiohttp does, and names an unreadable object.
        with pytest.raises(ValueError, match="ClientTimeout"):
            fasthttp.ClientSession(timeout=5)
        with pytest.raises(TypeError, match="NotATimeout"):
            fasthttp.ClientSession(timeout=NotATimeout())


# --- BasicAuth ------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:.*(BasicAuth|auth. parameter) is deprecated:DeprecationWarning")
@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_aiohttp_basic_auth_per_request_and_per_session(client: Any) -> None:
    auth = real_aiohttp.BasicAuth("user", "pässword", encoding="utf-8")
    async with web_server(_echo_app()) as base:
        seen = await _send(client, base, method="GET", auth=auth)
        assert seen["authorization"] == auth.encode()
        async with client.ClientSession(auth=auth) as session:
            async with session.get(base + "/") as resp:
                assert (await resp.json())["authorization"] == auth.encode()


@pytest.mark.filterwarnings("ignore:.*auth. parameter is deprecated:DeprecationWarning")
@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_auth_that_is_not_basic_auth_is_a_type_error(client: Any) -> None:
    async with web_server(_echo_app()) as base:
        async with client.ClientSession() as session:
            with pytest.raises(TypeError, match=r"BasicAuth\(\) tuple is required"):
                await session.get(base + "/", auth=("user", "password"))


# --- FormData and payloads --------------------------------------------------------------------------


def _forms() -> list[Any]:
    urlencoded = real_aiohttp.FormData({"a": "1", "b": "two words"})
    multipart = real_aiohttp.FormData()
    multipart.add_field("field", "value")
    multipart.add_field(
        "upload", io.BytesIO(b"file body"), filename="a.txt", content_type="text/plain"
    )
    return [urlencoded, multipart]


@pytest.mark.parametrize("which", ["urlencoded", "multipart"])
@async_test()
async def test_aiohttp_form_data_is_sent_as_aiohttp_sends_it(which: str) -> None:
    index = ["urlencoded", "multipart"].index(which)
    async with web_server(_echo_app()) as base:
        theirs = await _send(real_aiohttp, base, data=_forms()[index])
        ours = await _send(fasthttp, base, data=_forms()[index])
    assert ours["form"] == theirs["form"] and ours["form"]
    assert ours["content_type"].split(";")[0] == theirs["content_type"].split(";")[0]
    assert ours["chunked"] == theirs["chunked"]
    assert ours["length"] == theirs["length"]


def _payloads() -> dict[str, Any]:
    async def pieces() -> AsyncIterator[bytes]:
        for piece in (b"one ", b"two ", b"three"):
            yield piece

    writer = real_aiohttp.MultipartWriter("mixed", boundary="fixed-boundary")
    writer.append("text part")
    writer.append_json({"k": [1, 2]})
    return {
        "bytes": real_aiohttp.payload.BytesPayload(b"raw bytes", content_type="application/x-raw"),
        "string": real_aiohttp.payload.StringPayload("text é", content_type="text/x-mine"),
        "json": real_aiohttp.payload.JsonPayload({"a": 1}),
        "async_iterable": real_aiohttp.payload.AsyncIterablePayload(pieces()),
        "bytes_io": real_aiohttp.payload.BytesIOPayload(io.BytesIO(b"in a file object")),
        "multipart": writer,
    }


@pytest.mark.parametrize("kind", list(_payloads()))
@async_test()
async def test_aiohttp_payload_is_streamed_as_it_writes_itself(kind: str) -> None:
    async with web_server(_echo_app()) as base:
        theirs = await _send(real_aiohttp, base, data=_payloads()[kind])
        ours = await _send(fasthttp, base, data=_payloads()[kind])
    assert ours["body"] == theirs["body"] and ours["body"]
    assert ours["content_type"] == theirs["content_type"]
    assert (ours["chunked"], ours["length"]) == (theirs["chunked"], theirs["length"])


@async_test()
async def test_object_that_is_not_a_body_is_a_type_error() -> None:
    class NotABody:
        pass

    async with web_server(_echo_app()) as base:
        async with fasthttp.ClientSession() as session:
            with pytest.raises(TypeError, match="NotABody"):
                await session.post(base + "/", data=NotABody())


# --- data=None, json=None ---------------------------------------------------------------------------


async def _framing_seen(client: Any, method: str, **kwargs: Any) -> list[tuple[str, str]]:
    """The body-describing headers a raw server received, in a canonical order."""
    seen: list[tuple[str, str]] = []

    async def handler(conn: Conn) -> None:
        request = await conn.read_request()
        assert request is not None
        for line in request.raw.split(b"\r\n\r\n", 1)[0].decode("latin1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.lower().startswith(("content-", "transfer-")):
                seen.append((name.lower(), value.strip()))
        seen.append(("body", request.body.decode("latin1")))
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    async with RawServer(handler) as server:
        async with client.ClientSession() as session:
            async with session.request(method, server.url("/"), **kwargs) as resp:
                await resp.read()
    return sorted(seen)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@async_test()
async def test_data_none_and_json_none_frame_as_aiohttp(method: str) -> None:
    for kwargs in ({}, {"data": None}, {"json": None}, {"data": None, "json": None}):
        ours = await _framing_seen(fasthttp, method, **kwargs)
        assert ours == await _framing_seen(real_aiohttp, method, **kwargs), kwargs
    for kwargs in ({"data": b"x", "json": None}, {"data": None, "json": {"a": 1}}):
        ours = await _framing_seen(fasthttp, method, **kwargs)
        assert ours == await _framing_seen(real_aiohttp, method, **kwargs), kwargs
        assert ours[0][1]  # a body was sent


# --- tcp:// ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_tcp_scheme_is_plain_http(client: Any) -> None:
    async with web_server(_echo_app()) as base:
        url = base.replace("http://", "tcp://") + "/path?q=1"
        async with client.ClientSession() as session:
            async with session.get(url) as resp:
                assert resp.status == 200
                assert str(resp.url) == url
                seen = await resp.json()
    assert seen["host"] == base.removeprefix("http://")


@async_test()
async def test_tcp_scheme_without_port_is_an_invalid_url() -> None:
    async with fasthttp.ClientSession() as session:
        with pytest.raises(fasthttp.InvalidUrlClientError, match="needs a port"):
            await session.get("tcp://127.0.0.1/")


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_redirect_to_tcp_is_refused_as_aiohttp(client: Any) -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(
            b"HTTP/1.1 302 Found\r\nLocation: tcp://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n"
        )

    async with RawServer(handler) as server:
        async with client.ClientSession() as session:
            with pytest.raises(client.NonHttpUrlRedirectClientError):
                await session.get(server.url("/"))


# --- ClientWSTimeout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_aiohttp_ws_timeout_is_read_by_its_attributes(client: Any) -> None:
    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:  # never answers
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    async with web_server(app) as base:
        async with client.ClientSession() as session:
            timeout = real_aiohttp.ClientWSTimeout(ws_receive=0.2, ws_close=3)
            async with session.ws_connect(base + "/ws", timeout=timeout) as ws:
                with pytest.raises(asyncio.TimeoutError):
                    await ws.receive()
            if client is fasthttp:
                with pytest.raises(TypeError, match="ClientWSTimeout"):
                    await session.ws_connect(base + "/ws", timeout="3")


# --- connector-level settings a library may pass ------------------------------------------------------


@async_test()
async def test_aiohttp_fingerprint_as_ssl_pins() -> None:
    """aiohttp's Fingerprint is read by its digest: the same pin is checked (a wrong one raises
    ServerFingerprintMismatch, which aiohttp code catches as its own), never taken as a true
    value that would verify the certificate but pin nothing."""
    import hashlib
    import ssl as ssl_module

    import trustme

    from client_servers import RawServer, keep_alive, response

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    context = ssl_module.create_default_context(ssl_module.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    pin = hashlib.sha256(ssl_module.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())).digest()
    server = RawServer(keep_alive(lambda r: response(200, b"pinned")), ssl_context=context)
    async with server, fasthttp.ClientSession() as session:
        async with session.get(server.url("/"), ssl=real_aiohttp.Fingerprint(pin)) as resp:
            assert await resp.text() == "pinned"
        with pytest.raises(real_aiohttp.ServerFingerprintMismatch):
            await session.get(server.url("/"), ssl=real_aiohttp.Fingerprint(bytes(32)))
        with pytest.raises(TypeError, match="ssl should be SSLContext, bool, Fingerprint or None"):
            await session.get(server.url("/"), ssl="yes")
    connector = fasthttp.TCPConnector(ssl=real_aiohttp.Fingerprint(pin))
    assert connector.ssl == fasthttp.Fingerprint(pin)
    await connector.close()


@async_test()
async def test_aiohttp_connector_is_a_type_error_naming_it() -> None:
    connector = real_aiohttp.TCPConnector(limit=3)
    try:
        with pytest.raises(TypeError, match=r"aiohttp\.connector\.TCPConnector"):
            fasthttp.ClientSession(connector=connector)
    finally:
        await connector.close()


@async_test()
async def test_aiohttp_trace_config_receives_fasthttp_signals() -> None:
    events: list[str] = []

    async def on_start(session: Any, ctx: Any, params: Any) -> None:
        events.append(f"start {params.method} {params.url.path}")

    async def on_end(session: Any, ctx: Any, params: Any) -> None:
        events.append(f"end {params.response.status}")

    config = real_aiohttp.TraceConfig()
    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    async with web_server(_echo_app()) as base:
        async with fasthttp.ClientSession(trace_configs=[config]) as session:
            async with session.get(base + "/traced") as resp:
                await resp.read()
    assert events == ["start GET /traced", "end 200"]
