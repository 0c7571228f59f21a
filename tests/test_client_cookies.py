"""Cookies end to end: the session's jar, DummyCookieJar, per-request cookies, resp.cookies."""

from __future__ import annotations

import asyncio

from client_servers import RawServer, Request, async_test, keep_alive, response

import fasthttp as aiohttp


def cookie_server() -> RawServer:
    def route(request: Request) -> bytes:
        if request.target == "/set":
            return response(
                200,
                b"set",
                headers=[
                    ("Set-Cookie", "plain=1; Path=/"),
                    ("Set-Cookie", "scoped=2; Path=/only"),
                    ("Set-Cookie", "sec=3; Secure; Path=/"),
                    ("Set-Cookie", "short=4; Max-Age=1; Path=/"),
                    ("Set-Cookie", "gone=5; Max-Age=0"),
                    ("Set-Cookie", "elsewhere=6; Domain=example.com"),
                ],
            )
        if request.target == "/expire":
            return response(200, b"", headers=[("Set-Cookie", "plain=; Max-Age=0; Path=/")])
        return response(200, (request.header("Cookie") or "").encode())

    return RawServer(keep_alive(route), host="127.0.0.1")


def names(cookie_header: bytes) -> set[str]:
    return {part.split("=")[0] for part in cookie_header.decode().split("; ") if part}


@async_test()
async def test_cookie_jar_on_a_hostname() -> None:
    async with cookie_server() as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/set", host="localhost")) as resp:
                assert set(resp.cookies) == {"plain", "scoped", "sec", "short", "gone", "elsewhere"}
                assert resp.cookies["plain"].value == "1"
            async with session.get(server.url("/echo", host="localhost")) as resp:
                # Not Secure over http, not another path, not another domain, not expired.
                assert names(await resp.read()) == {"plain", "short"}
            async with session.get(server.url("/only/x", host="localhost")) as resp:
                assert names(await resp.read()) == {"plain", "short", "scoped"}
            await asyncio.sleep(1.1)
            async with session.get(server.url("/echo", host="localhost")) as resp:
                assert names(await resp.read()) == {"plain"}  # Max-Age=1 has passed
            async with session.get(server.url("/expire", host="localhost")) as resp:
                await resp.read()
            async with session.get(server.url("/echo", host="localhost")) as resp:
                assert await resp.read() == b""
            # Another host name (127.0.0.1) does not get localhost's cookies.
            async with session.get(server.url("/echo")) as resp:
                assert await resp.read() == b""


@async_test()
async def test_cookie_jar_refuses_ip_hosts_unless_unsafe() -> None:
    async with cookie_server() as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/set")) as resp:
                assert "plain" in resp.cookies  # the response still shows them
            assert len(session.cookie_jar) == 0
            async with session.get(server.url("/echo")) as resp:
                assert await resp.read() == b""
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(server.url("/set")) as resp:
                await resp.read()
            async with session.get(server.url("/echo")) as resp:
                assert "plain" in names(await resp.read())


@async_test()
async def test_dummy_cookie_jar_keeps_nothing() -> None:
    async with cookie_server() as server:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            async with session.get(server.url("/set", host="localhost")) as resp:
                assert resp.cookies["plain"].value == "1"
            async with session.get(server.url("/echo", host="localhost")) as resp:
                assert await resp.read() == b""
            # Per-request cookies still go out.
            async with session.get(server.url("/echo", host="localhost"), cookies={"a": "b"}) as resp:
                assert await resp.read() == b"a=b"


@async_test()
async def test_per_request_and_session_cookies() -> None:
    async with cookie_server() as server:
        async with aiohttp.ClientSession(cookies={"sess": "s"}) as session:
            async with session.get(server.url("/echo"), cookies={"req": "r"}) as resp:
                assert names(await resp.read()) == {"sess", "req"}
            async with session.get(server.url("/echo")) as resp:
                assert names(await resp.read()) == {"sess"}  # per-request ones are not kept
            async with session.get(server.url("/echo"), cookies=[("x", "1"), ("y", "2")]) as resp:
                assert names(await resp.read()) == {"sess", "x", "y"}
    # One Cookie header, pairs sorted by name as aiohttp sends them.
    assert server.requests[0].header_all("Cookie") == ["req=r; sess=s"]


@async_test()
async def test_cookie_jar_with_aiohttp_web_server() -> None:
    from aiohttp import web

    from client_servers import web_server

    async def login(request: web.Request) -> web.Response:
        resp = web.Response(text="in")
        resp.set_cookie("session_id", "abc123", httponly=True)
        return resp

    async def whoami(request: web.Request) -> web.Response:
        return web.Response(text=request.cookies.get("session_id", "anonymous"))

    app = web.Application()
    app.router.add_get("/login", login)
    app.router.add_get("/whoami", whoami)
    async with web_server(app, host="localhost") as base:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/whoami") as resp:
                assert await resp.text() == "anonymous"
            async with session.get(base + "/login") as resp:
                assert resp.cookies["session_id"]["httponly"]
            async with session.get(base + "/whoami") as resp:
                assert await resp.text() == "abc123"
            session.cookie_jar.clear()
            async with session.get(base + "/whoami") as resp:
                assert await resp.text() == "anonymous"
