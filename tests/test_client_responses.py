"""ClientResponse: attributes, text/json/read, raise_for_status, release and close."""

from __future__ import annotations

import json
from typing import Any

import pytest
from multidict import CIMultiDictProxy
from yarl import URL

import fasthttp as aiohttp
from client_servers import (
    Conn,
    RawServer,
    Request,
    assert_pool_clean,
    async_test,
    idle_count,
    keep_alive,
    response,
)


def fixed(data: bytes) -> Any:
    return keep_alive(lambda request: data)


@async_test()
async def test_status_reason_headers_and_raw_headers() -> None:
    raw = (
        b"HTTP/1.1 201 Created Fine\r\n"
        b"Content-Type: application/json; charset=utf-8\r\n"
        b"X-Multi: 1\r\n"
        b"x-multi: 2\r\n"
        b"Content-Length: 2\r\n"
        b"\r\n{}"
    )
    async with RawServer(fixed(raw)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/path?q=1#frag")) as resp:
                assert resp.status == 201
                assert resp.reason == "Created Fine"
                assert resp.ok
                assert isinstance(resp.headers, CIMultiDictProxy)
                assert resp.headers.getall("X-MULTI") == ["1", "2"]
                assert resp.raw_headers == (
                    (b"Content-Type", b"application/json; charset=utf-8"),
                    (b"X-Multi", b"1"),
                    (b"x-multi", b"2"),
                    (b"Content-Length", b"2"),
                )
                assert resp.content_type == "application/json"
                assert resp.charset == "utf-8"
                assert resp.content_length == 2
                assert resp.url == URL(server.url("/path?q=1"))
                assert resp.real_url == URL(server.url("/path?q=1#frag"))
                assert resp.history == ()
                assert resp.version == aiohttp.HttpVersion11
                info = resp.request_info
                assert info.method == "GET"
                assert info.url == URL(server.url("/path?q=1#frag"))
                assert info.headers["Host"] == f"127.0.0.1:{server.port}"
                assert await resp.json() == {}
    # The fragment never goes on the wire.
    assert server.requests[0].target == "/path?q=1"


@pytest.mark.parametrize("status, ok", [(200, True), (302, True), (399, True), (400, False), (503, False)])
@async_test()
async def test_ok(status: int, ok: bool) -> None:
    async with RawServer(fixed(response(status, b"x"))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url(), allow_redirects=False) as resp:
                assert resp.ok is ok


@async_test()
async def test_no_content_type_defaults() -> None:
    async with RawServer(fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert resp.content_type == "application/octet-stream"
                assert resp.charset is None
                assert await resp.text() == "abc"


@pytest.mark.parametrize(
    "content_type, body, expected",
    [
        ("text/plain; charset=latin-1", "é".encode("latin-1"), "é"),
        ("text/plain; charset=\"utf-16\"", "hé".encode("utf-16"), "hé"),
        ("text/html; charset=UTF-8", "ü".encode(), "ü"),
        ("text/plain", "ü".encode(), "ü"),  # no charset: the resolver's utf-8
        ("application/json", "ü".encode(), "ü"),  # JSON is utf-8
        ("text/plain; charset=no-such-codec", "ü".encode(), "ü"),  # unknown: fallback
    ],
)
@async_test()
async def test_text_charset_rules(content_type: str, body: bytes, expected: str) -> None:
    async with RawServer(fixed(response(200, body, content_type=content_type))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert await resp.text() == expected
                assert await resp.text() == expected  # body kept


@async_test()
async def test_text_explicit_encoding_and_errors() -> None:
    body = "é".encode("latin-1")
    async with RawServer(fixed(response(200, body, content_type="text/plain"))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                with pytest.raises(UnicodeDecodeError):
                    await resp.text()
                assert await resp.text("latin-1") == "é"
                assert await resp.text(errors="replace") == "\ufffd"


@async_test()
async def test_fallback_charset_resolver() -> None:
    calls: list[tuple[object, bytes]] = []

    def resolver(resp: aiohttp.ClientResponse, body: bytes) -> str:
        calls.append((resp, body))
        return "cp1252"

    body = "€".encode("cp1252")
    async with RawServer(fixed(response(200, body, content_type="text/plain"))) as server:
        async with aiohttp.ClientSession(fallback_charset_resolver=resolver) as session:
            async with session.get(server.url()) as resp:
                assert await resp.text() == "€"
    assert len(calls) == 1 and calls[0][1] == body


@async_test()
async def test_json_loads_and_content_type_check() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b'{"a": 1}', content_type="text/html"))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                with pytest.raises(aiohttp.ContentTypeError) as info:
                    await resp.json()
                error = info.value
                assert isinstance(error, aiohttp.ClientResponseError)
                assert error.status == 200
                assert error.message == "Attempt to decode JSON with unexpected mimetype: text/html"
                assert error.request_info.url == URL(server.url())
                # content_type=None skips the check; loads is used.
                assert await resp.json(content_type=None) == {"a": 1}
                assert await resp.json(content_type=None, loads=lambda s: ("custom", s)) == (
                    "custom",
                    '{"a": 1}',
                )
                assert await resp.json(content_type="text/html") == {"a": 1}


@async_test()
async def test_json_vendor_types_and_empty_body() -> None:
    responses = iter(
        [
            response(200, b"[1]", content_type="application/vnd.api+json"),
            response(200, b"", headers={"Content-Type": "application/json"}),
        ]
    )
    async with RawServer(keep_alive(lambda r: next(responses))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert await resp.json() == [1]
            async with session.get(server.url()) as resp:
                assert await resp.json() is None


async def _error_message_matches_aiohttp() -> tuple[str, str]:
    import aiohttp as real_aiohttp

    messages = []
    async with RawServer(keep_alive(lambda r: response(200, b"{}", content_type="text/plain; charset=utf-8"))) as server:
        for lib in (real_aiohttp, aiohttp):
            async with lib.ClientSession() as session:  # type: ignore[attr-defined]
                async with session.get(server.url()) as resp:
                    try:
                        await resp.json()
                    except lib.ContentTypeError as exc:  # type: ignore[attr-defined]
                        messages.append(exc.message)
    return messages[0], messages[1]


@async_test()
async def test_content_type_error_message_is_aiohttps() -> None:
    theirs, ours = await _error_message_matches_aiohttp()
    assert ours == theirs


@async_test()
async def test_read_caches_body_and_releases_connection() -> None:
    async with RawServer(fixed(response(200, b"abc" * 1000))) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.get(server.url())
            assert await resp.read() == b"abc" * 1000
            assert await resp.read() == b"abc" * 1000
            assert resp.closed
            assert resp.connection is None
            assert idle_count(session.connector) == 1
            assert_pool_clean(session.connector)


@async_test()
async def test_release_before_reading_closes_connection() -> None:
    body = b"z" * 1_000_000

    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(response(200, body))
        await conn.reader.read()  # until the client closes

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.get(server.url())
            await resp.content.read(10)
            await resp.release()  # awaitable, as in aiohttp
            assert resp.closed
            assert idle_count(session.connector) == 0  # half read: not pooled
            assert_pool_clean(session.connector)
            assert await server.wait_open_count(0) == 0


@async_test()
async def test_close_drops_connection() -> None:
    async with RawServer(fixed(response(200, b"x" * 10))) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.get(server.url())
            resp.close()
            assert resp.closed
            assert_pool_clean(session.connector)


@async_test()
async def test_raise_for_status_method() -> None:
    async with RawServer(keep_alive(lambda r: response(404, b"nope", reason="Not Here"))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/missing")) as resp:
                with pytest.raises(aiohttp.ClientResponseError) as info:
                    resp.raise_for_status()
                assert info.value.status == 404
                assert info.value.message == "Not Here"
                assert info.value.headers is not None and info.value.headers["Content-Length"] == "4"
                assert info.value.request_info.url == URL(server.url("/missing"))
            assert_pool_clean(session.connector)


@async_test()
async def test_raise_for_status_session_and_per_request() -> None:
    async with RawServer(keep_alive(lambda r: response(500, b"boom"))) as server:
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            with pytest.raises(aiohttp.ClientResponseError) as info:
                await session.get(server.url())
            assert info.value.status == 500
            # Per request False overrides the session's True.
            async with session.get(server.url(), raise_for_status=False) as resp:
                assert resp.status == 500
            assert_pool_clean(session.connector)
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientResponseError):
                async with session.get(server.url(), raise_for_status=True):
                    pass
            assert_pool_clean(session.connector)


@async_test()
async def test_raise_for_status_callable() -> None:
    seen: list[int] = []

    class Custom(Exception):
        pass

    async def check(resp: aiohttp.ClientResponse) -> None:
        seen.append(resp.status)
        if resp.status >= 400:
            raise Custom(await resp.text())

    statuses = iter([200, 418])
    async with RawServer(keep_alive(lambda r: response(next(statuses), b"teapot"))) as server:
        async with aiohttp.ClientSession(raise_for_status=check) as session:
            async with session.get(server.url()) as resp:
                assert resp.status == 200
            with pytest.raises(Custom, match="teapot"):
                await session.get(server.url())
    assert seen == [200, 418]


@async_test()
async def test_cookies_attribute() -> None:
    raw = response(
        200,
        b"",
        headers=[("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", 'b="two words"; HttpOnly')],
    )
    async with RawServer(fixed(raw)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert resp.cookies["a"].value == "1"
                assert resp.cookies["b"].value == "two words"
                assert resp.cookies["b"]["httponly"] is True


@async_test()
async def test_head_and_204_have_empty_bodies_and_keep_connection() -> None:
    async def route(request: Request) -> bytes:
        if request.target == "/204":
            return b"HTTP/1.1 204 No Content\r\n\r\n"
        return response(200, b"x" * 50)

    async with RawServer(keep_alive(route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.head(server.url("/h")) as resp:
                assert resp.content_length == 50
                assert await resp.read() == b""
            async with session.get(server.url("/204")) as resp:
                assert resp.status == 204
                assert await resp.read() == b""
            async with session.get(server.url("/g")) as resp:
                assert await resp.read() == b"x" * 50
            assert_pool_clean(session.connector)
    assert server.accepted == 1


@async_test()
async def test_close_delimited_body_and_http10() -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert resp.version == aiohttp.HttpVersion10
                assert await resp.text() == "until the end"
            assert idle_count(session.connector) == 0
            assert_pool_clean(session.connector)


@async_test()
async def test_interim_103_then_final() -> None:
    raw = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + response(200, b"final")
    async with RawServer(fixed(raw)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert resp.status == 200
                assert await resp.read() == b"final"


@async_test()
async def test_json_roundtrip_with_aiohttp_web() -> None:
    from aiohttp import web

    from client_servers import web_server

    async def handler(request: web.Request) -> web.Response:
        data = await request.json()
        return web.json_response({"got": data, "ct": request.content_type})

    app = web.Application()
    app.router.add_post("/j", handler)
    async with web_server(app) as base:
        async with aiohttp.ClientSession() as session:
            async with session.post(base + "/j", json={"k": ["v", 1]}) as resp:
                assert resp.content_type == "application/json"
                assert await resp.json() == {"got": {"k": ["v", 1]}, "ct": "application/json"}
                assert json.loads(await resp.text())["got"]["k"] == ["v", 1]
