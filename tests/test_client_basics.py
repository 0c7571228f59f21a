"""ClientSession basics: lifecycle, methods, URLs and params, default headers, request validation.

Every request goes to a raw server on 127.0.0.1 that records the exact bytes received.
"""

from __future__ import annotations

import asyncio
import sys
import warnings

import pytest
from multidict import CIMultiDict, MultiDict
from yarl import URL

import fasthttp
import fasthttp as aiohttp
from fasthttp import http as fasthttp_http
from client_servers import (
    RawServer,
    async_test,
    assert_pool_clean,
    collect,
    echo_route,
    keep_alive,
    no_extensions,
)

METHODS = ["get", "post", "put", "delete", "head", "options", "patch"]


def test_parser_twin_is_the_one_asked_for() -> None:
    expected = "python" if no_extensions() else "cython"
    assert fasthttp_http.IMPLEMENTATION == expected


# --- lifecycle ------------------------------------------------------------------------------------


@async_test()
async def test_session_as_context_manager_closes_connector_and_sockets() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                await resp.read()
            connector = session.connector
            assert connector is not None
            assert not session.closed
            assert server.open_count == 1  # kept alive
        assert session.closed
        assert connector.closed
        assert await server.wait_open_count(0) == 0
        with pytest.raises(RuntimeError, match="Session is closed"):
            await session.get(server.url())


@async_test()
async def test_explicit_close_is_idempotent() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        session = aiohttp.ClientSession()
        resp = await session.get(server.url())
        await resp.read()
        await session.close()
        await session.close()
        assert session.closed
        assert await server.wait_open_count(0) == 0


def test_unclosed_session_warns_when_collected() -> None:
    contexts: list[dict[str, object]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: contexts.append(ctx))
        session = aiohttp.ClientSession()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del session
            collect()
        assert any(
            issubclass(w.category, ResourceWarning) and "Unclosed client session" in str(w.message)
            for w in caught
        ), [str(w.message) for w in caught]

    asyncio.run(asyncio.wait_for(main(), 10))
    assert any(ctx.get("message") == "Unclosed client session" for ctx in contexts)


def test_closed_session_does_not_warn() -> None:
    async def main() -> None:
        session = aiohttp.ClientSession()
        await session.close()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del session
            collect()
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)]

    asyncio.run(asyncio.wait_for(main(), 10))


# --- methods ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@async_test()
async def test_method_helpers_awaited_and_async_with(method: str) -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            resp = await getattr(session, method)(server.url("/a"))
            body = await resp.read()
            resp.release()
            async with getattr(session, method)(server.url("/b")) as resp2:
                body2 = await resp2.read()
            async with session.request(method.upper(), server.url("/c")) as resp3:
                await resp3.read()
            resp4 = await session.request(method, server.url("/d"))  # lower case upper-cased
            await resp4.read()
            assert resp.status == resp2.status == resp3.status == resp4.status == 200
            assert resp.method == method.upper()
            assert_pool_clean(session.connector)
    wanted = method.upper().encode()
    assert [r.method for r in server.requests] == [method.upper()] * 4
    assert [r.target for r in server.requests] == ["/a", "/b", "/c", "/d"]
    if method == "head":
        assert body == body2 == b""
    else:
        assert body.startswith(wanted + b" /a HTTP/1.1\r\n")
        assert body2.startswith(wanted + b" /b HTTP/1.1\r\n")
    # One connection carried all four requests.
    assert server.accepted == 1


@async_test()
async def test_module_level_request() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.request("GET", server.url("/x")) as resp:
            assert resp.status == 200
            assert (await resp.read()).startswith(b"GET /x HTTP/1.1\r\n")
        assert await server.wait_open_count(0) == 0


# --- URLs and params ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, target",
    [
        ({"a": "1", "b": "x y"}, "/p?a=1&b=x+y"),
        ([("a", "1"), ("a", "2"), ("b", "é")], "/p?a=1&a=2&b=%C3%A9"),
        (MultiDict([("k", "v1"), ("k", "v2")]), "/p?k=v1&k=v2"),
        ("raw=1&x=a/b&y=a+b&z=~", "/p?raw=1&x=a/b&y=a+b&z=~"),
        ({"n": 5, "f": 1.5}, "/p?n=5&f=1.5"),
    ],
    ids=["dict", "pairs", "multidict", "str", "numbers"],
)
@async_test()
async def test_params_reach_the_wire(params: object, target: str) -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/p"), params=params) as resp:
                await resp.read()
    assert server.requests[0].target == target


@async_test()
async def test_params_extend_an_existing_query() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/p?a=1"), params={"b": "2"}) as resp:
                await resp.read()
    assert server.requests[0].target == "/p?a=1&b=2"


@async_test()
async def test_encoded_url_is_sent_untouched() -> None:
    odd = "/a%2fb/%7Euser/c%3Bd?q=%2F%2f&x=%ZZ&y=a+b"
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(URL(server.url(odd), encoded=True)) as resp:
                assert resp.status == 200
                body = await resp.read()
            # The same string not marked encoded goes through yarl's normalisation.
            async with session.get(server.url("/sp ace/é")) as resp:
                await resp.read()
    assert body.startswith(f"GET {odd} HTTP/1.1\r\n".encode())
    assert server.requests[0].target == odd
    assert server.requests[1].target == "/sp%20ace/%C3%A9"


@async_test()
async def test_base_url_joins_relative_paths() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession(base_url=server.url("/api/v1/")) as session:
            async with session.get("users?id=3") as resp:
                await resp.read()
                assert resp.url == URL(server.url("/api/v1/users?id=3"))
            async with session.get("/root") as resp:
                await resp.read()
            # An absolute URL is used as is.
            async with session.get(server.url("/elsewhere")) as resp:
                await resp.read()
    assert [r.target for r in server.requests] == ["/api/v1/users?id=3", "/root", "/elsewhere"]


def test_base_url_must_end_with_slash() -> None:
    unraisable: list[object] = []

    async def main() -> None:
        with pytest.raises(ValueError):
            aiohttp.ClientSession(base_url="http://127.0.0.1:1/api")
        collect()

    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append  # the half-built session must not fail in __del__
    try:
        asyncio.run(asyncio.wait_for(main(), 5))
    finally:
        sys.unraisablehook = old_hook
    assert not unraisable, [getattr(u, "exc_value", u) for u in unraisable]


@async_test()
async def test_str_params_with_percent_escapes_match_aiohttp() -> None:
    # aiohttp (yarl's extend_query) re-quotes a "%" in a str of params; so does fasthttp.
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/p"), params="x=%2F") as resp:
                await resp.read()
    assert server.requests[0].target == "/p?x=%252F"


@async_test()
async def test_non_http_and_hostless_urls_are_refused() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.NonHttpUrlClientError):
            await session.get("ftp://127.0.0.1/x")
        with pytest.raises(aiohttp.InvalidUrlClientError):
            await session.get("http:///nohost")
        with pytest.raises(aiohttp.InvalidUrlClientError):
            await session.get("/relative/without/base")


# --- default headers -----------------------------------------------------------------------------------


@async_test()
async def test_default_headers() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/")) as resp:
                await resp.read()
    request = server.requests[0]
    major, minor = sys.version_info[:2]
    assert request.header("User-Agent") == f"Python/{major}.{minor} fasthttp/{fasthttp.__version__}"
    assert request.header("Accept") == "*/*"
    assert request.header("Host") == f"127.0.0.1:{server.port}"
    encodings = [e.strip() for e in (request.header("Accept-Encoding") or "").split(",")]
    assert encodings[:2] == ["gzip", "deflate"]
    from fasthttp import compression

    assert ("br" in encodings) == compression.HAS_BROTLI
    assert ("zstd" in encodings) == compression.HAS_ZSTD
    # Exactly one of each.
    for name in ("User-Agent", "Accept", "Host", "Accept-Encoding"):
        assert len(request.header_all(name)) == 1
    # GET without a body sends no Content-Length or Transfer-Encoding.
    assert request.header("Content-Length") is None
    assert request.header("Transfer-Encoding") is None


@async_test()
async def test_session_headers_merged_under_request_headers() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession(
            headers={"X-Session": "s", "X-Both": "session", "User-Agent": "custom-ua/1"}
        ) as session:
            async with session.get(
                server.url("/"), headers={"X-Both": "request", "X-Req": "r", "accept": "text/html"}
            ) as resp:
                await resp.read()
            async with session.get(
                server.url("/"), headers=CIMultiDict([("X-Multi", "1"), ("X-Multi", "2")])
            ) as resp:
                await resp.read()
            async with session.get(server.url("/")) as resp:
                await resp.read()
    first, second, third = server.requests
    assert first.header("X-Session") == "s"
    assert first.header_all("X-Both") == ["request"]
    assert first.header("X-Req") == "r"
    assert first.header_all("Accept") == ["text/html"]
    assert first.header("User-Agent") == "custom-ua/1"
    assert second.header_all("X-Multi") == ["1", "2"]
    assert third.header_all("X-Both") == ["session"]
    assert third.header("X-Req") is None


@async_test()
async def test_skip_auto_headers_session_and_request() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as session:
            async with session.get(server.url("/")) as resp:
                await resp.read()
            async with session.get(server.url("/"), skip_auto_headers=["Accept-Encoding", "Accept"]) as resp:
                await resp.read()
            async with session.post(server.url("/"), data=b"x", skip_auto_headers=["Content-Type"]) as resp:
                await resp.read()
    first, second, third = server.requests
    assert first.header("User-Agent") is None
    assert first.header("Accept") == "*/*"
    assert second.header("User-Agent") is None
    assert second.header("Accept-Encoding") is None
    assert second.header("Accept") is None
    assert second.header("Host") is not None
    assert third.header("Content-Length") == "1"


@async_test()
async def test_basic_auth_session_request_and_url() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession(auth=aiohttp.BasicAuth("sess", "pw")) as session:
            async with session.get(server.url("/")) as resp:
                await resp.read()
            async with session.get(server.url("/"), auth=aiohttp.BasicAuth("req", "pw2")) as resp:
                await resp.read()
        async with aiohttp.ClientSession() as session:
            url = f"http://user:p%40ss@127.0.0.1:{server.port}/"
            async with session.get(url) as resp:
                await resp.read()
            with pytest.raises(ValueError):
                await session.get(url, auth=aiohttp.BasicAuth("x", "y"))
    auths = [r.header("Authorization") for r in server.requests]
    assert auths == [
        aiohttp.BasicAuth("sess", "pw").encode(),
        aiohttp.BasicAuth("req", "pw2").encode(),
        aiohttp.BasicAuth("user", "p@ss").encode(),
    ]
    # The credentials never appear in the request target.
    assert server.requests[2].target == "/"


# --- refused before sending -------------------------------------------------------------------------


async def _recording_server(received: list[bytes]) -> RawServer:
    async def handler(conn: object) -> None:
        data = await conn.reader.read(65536)  # type: ignore[attr-defined]
        received.append(data)

    return RawServer(handler)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "GET\r\nX-Evil: 1"},
        {"method": "GE T"},
        {"method": "GET\x00"},
        {"path": "/a\r\nX-Evil: 1"},
        {"path": "/a\nb"},
        {"path": "/a\x00b"},
        {"headers": {"X-Ok": "a\r\nX-Evil: 1"}},
        {"headers": {"X-Ok": "a\nb"}},
        {"headers": {"X-Ok": "a\rb"}},
        {"headers": {"X-Ok": "a\x00b"}},
        {"headers": {"X-Bad\r\nX-Evil": "1"}},
        {"headers": {"X-Bad\x00": "1"}},
        {"cookies": {"c": "v\r\nX-Evil: 1"}},
    ],
    ids=lambda kw: repr(kw)[:40],
)
@async_test()
async def test_crlf_nul_refused_before_sending(kwargs: dict[str, object]) -> None:
    kwargs = dict(kwargs)
    received: list[bytes] = []
    method = kwargs.pop("method", "GET")
    path = kwargs.pop("path", "/")
    async with await _recording_server(received) as server:
        async with aiohttp.ClientSession() as session:
            url: object = server.url("/")
            if path != "/":
                url = URL(server.url("/"), encoded=True).with_path(str(path), encoded=True)
            with pytest.raises(ValueError):
                await session.request(str(method), url, **kwargs)  # type: ignore[arg-type]
            assert_pool_clean(session.connector)
        await asyncio.sleep(0.05)
    assert received in ([], [b""]), received


@async_test()
async def test_crlf_in_params_is_percent_encoded() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/"), params={"q": "a\r\nX-Evil: 1"}) as resp:
                await resp.read()
    assert server.requests[0].target == "/?q=a%0D%0AX-Evil:+1"
    assert server.requests[0].header("X-Evil") is None
