"""Routing: every way to add routes, path patterns, match_info, 404, 405 with Allow."""

from __future__ import annotations

import aiohttp
import pytest

from fasthttp import web
from web_helpers import async_test, parse_responses, raw_exchange, serve


async def echo_route(request: web.Request) -> web.Response:
    return web.Response(text=f"{request.method} {request.path} {dict(request.match_info)}")


async def fetch(srv: object, method: str, path: str, **kw: object) -> tuple[int, str, "aiohttp.typedefs.LooseHeaders"]:
    async with aiohttp.ClientSession() as s:
        async with s.request(method, srv.url(path), **kw) as resp:  # type: ignore[attr-defined]
            return resp.status, await resp.text(), resp.headers


@async_test()
async def test_web_route_functions() -> None:
    app = web.Application()
    app.add_routes([
        web.get("/g", echo_route),
        web.post("/p", echo_route),
        web.put("/u", echo_route),
        web.patch("/pa", echo_route),
        web.delete("/d", echo_route),
        web.head("/h", echo_route),
        web.route("OPTIONS", "/o", echo_route),
        web.route("*", "/any", echo_route),
    ])
    async with serve(app) as srv:
        for method, path in [("GET", "/g"), ("POST", "/p"), ("PUT", "/u"), ("PATCH", "/pa"),
                             ("DELETE", "/d"), ("OPTIONS", "/o"), ("GET", "/any"), ("PUT", "/any")]:
            status, text, _ = await fetch(srv, method, path)
            assert (status, text) == (200, f"{method} {path} {{}}")
        status, text, headers = await fetch(srv, "HEAD", "/h")
        assert (status, text) == (200, "")
        assert headers["Content-Length"] == str(len("HEAD /h {}"))
        # web.get allows HEAD by default
        status, _, _ = await fetch(srv, "HEAD", "/g")
        assert status == 200


@async_test()
async def test_router_methods_and_route_table() -> None:
    app = web.Application()
    app.router.add_get("/a", echo_route)
    app.router.add_post("/a", echo_route)
    app.router.add_route("PUT", "/a", echo_route)
    app.router.add_get("/nohead", echo_route, allow_head=False)
    routes = web.RouteTableDef()

    @routes.get("/t/{x}")
    async def t_get(request: web.Request) -> web.Response:
        return web.Response(text="table get " + request.match_info["x"])

    @routes.post("/t/{x}")
    async def t_post(request: web.Request) -> web.Response:
        return web.Response(text="table post " + request.match_info["x"])

    @routes.delete("/t/{x}")
    async def t_delete(request: web.Request) -> web.Response:
        return web.Response(status=204)

    assert len(routes) == 3
    app.add_routes(routes)
    async with serve(app) as srv:
        for method in ("GET", "POST", "PUT"):
            assert (await fetch(srv, method, "/a"))[:2] == (200, f"{method} /a {{}}")
        assert (await fetch(srv, "GET", "/t/1"))[:2] == (200, "table get 1")
        assert (await fetch(srv, "POST", "/t/2"))[:2] == (200, "table post 2")
        assert (await fetch(srv, "DELETE", "/t/3"))[:2] == (204, "")
        status, _, headers = await fetch(srv, "HEAD", "/nohead")
        assert status == 405
        assert set(headers["Allow"].split(",")) == {"GET"}
    with pytest.raises(RuntimeError):  # frozen once started
        app.router.add_get("/late", echo_route)


@async_test()
async def test_patterns_and_match_info() -> None:
    app = web.Application()
    app.router.add_get("/users/{id:\\d+}", echo_route)
    app.router.add_get("/users/me", echo_route)
    app.router.add_get("/files/{path:.*}", echo_route)
    app.router.add_get("/v{major:\\d}.{minor:\\d}/x", echo_route)  # patterns: first added wins
    app.router.add_get("/{a}/{b}", echo_route)
    async with serve(app) as srv:
        assert (await fetch(srv, "GET", "/users/42"))[1] == "GET /users/42 {'id': '42'}"
        assert (await fetch(srv, "GET", "/users/me"))[1] == "GET /users/me {}"  # plain path wins
        assert (await fetch(srv, "GET", "/files/a/b/c.txt"))[1] == "GET /files/a/b/c.txt {'path': 'a/b/c.txt'}"
        assert (await fetch(srv, "GET", "/users/abc"))[1] == "GET /users/abc {'a': 'users', 'b': 'abc'}"
        assert (await fetch(srv, "GET", "/v1.2/x"))[1] == "GET /v1.2/x {'major': '1', 'minor': '2'}"
        # {name} does not cross a slash
        assert (await fetch(srv, "GET", "/a/b/c"))[0] == 404
        # percent-encoded path parts are decoded in match_info
        assert (await fetch(srv, "GET", "/hello%20there/x"))[1] == "GET /hello there/x {'a': 'hello there', 'b': 'x'}"


@async_test()
async def test_404_and_405_with_allow() -> None:
    app = web.Application()
    app.router.add_get("/only-get", echo_route)
    app.router.add_post("/only-get", echo_route)
    app.router.add_put("/item/{id}", echo_route)
    async with serve(app) as srv:
        status, text, _ = await fetch(srv, "GET", "/missing")
        assert (status, text) == (404, "404: Not Found")
        status, _, headers = await fetch(srv, "DELETE", "/only-get")
        assert status == 405
        assert set(m.strip() for m in headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}
        status, _, headers = await fetch(srv, "GET", "/item/7")
        assert status == 405 and headers["Allow"] == "PUT"
        # on the wire: a keep-alive 404 does not close the connection
        data = await raw_exchange(srv.port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                                  b"GET /only-get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first, second = parse_responses(data)
        assert first.status == 404 and first.header("Connection") is None
        assert second.status == 200


def test_registration_errors() -> None:
    app = web.Application()
    with pytest.raises(ValueError):
        app.router.add_get("no-slash", echo_route)
    app.router.add_get("/x", echo_route, name="x")
    with pytest.raises(ValueError):
        app.router.add_get("/y", echo_route, name="x")
    assert "x" in app.router
