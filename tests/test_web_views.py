"""Class-based views (web.View): the same app on fasthttp.web and aiohttp.web gives the same answers."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import aiohttp
from aiohttp import web as aioweb

from fasthttp import web
from web_helpers import HOST, async_test, running


def build(w: ModuleType) -> Any:
    """One app, written once against the module given (fasthttp.web or aiohttp.web)."""

    class Item(w.View):  # type: ignore[name-defined,misc]
        async def get(self) -> Any:
            return w.Response(text=f"get {self.request.match_info['id']} {self.request.path}")

        async def post(self) -> Any:
            body = await self.request.text()
            return w.Response(text=f"post {self.request.match_info['id']} {body}", status=201)

    class Bare(w.View):  # type: ignore[name-defined,misc]
        async def delete(self) -> Any:
            return w.Response(text="deleted")

    routes = w.RouteTableDef()

    @routes.view("/table")
    class Table(w.View):  # type: ignore[name-defined,misc]
        async def put(self) -> Any:
            return w.Response(text="put table")

    app = w.Application()
    app.router.add_view("/items/{id}", Item, name="item")
    app.add_routes([w.view("/bare", Bare)])
    app.add_routes(routes)
    return app


CASES = [
    ("GET", "/items/7", None),
    ("HEAD", "/items/7", None),
    ("POST", "/items/8", b"abc"),
    ("DELETE", "/items/7", None),
    ("PATCH", "/items/7", None),
    ("DELETE", "/bare", None),
    ("GET", "/bare", None),
    ("PUT", "/table", None),
    ("GET", "/table", None),
    ("GET", "/nothing", None),
]


async def answers(w: ModuleType) -> list[tuple[int, str, str]]:
    out = []
    async with running(build(w), w) as port, aiohttp.ClientSession() as session:
        for method, path, body in CASES:
            async with session.request(method, f"http://{HOST}:{port}{path}", data=body) as resp:
                allow = ",".join(sorted(resp.headers.get("Allow", "").split(",")))
                out.append((resp.status, await resp.text(), allow))
    return out


@async_test(30)
async def test_views_answer_as_aiohttp() -> None:
    ours = await answers(web)
    theirs = await answers(aioweb)
    assert ours == theirs
    assert ours[0] == (200, "get 7 /items/7", "")
    assert ours[2][0] == 201 and ours[2][1] == "post 8 abc"
    assert ours[3][0] == 405 and ours[3][2] == "GET,POST"  # Allow names the methods defined
    assert ours[6][0] == 405 and ours[6][2] == "DELETE"


def test_view_route_is_any_method() -> None:
    app = build(web)
    resource = app.router["item"]
    (route,) = list(resource)
    assert route.method == "*" and route.name == "item" and route.resource is resource
    assert issubclass(route.handler, web.View)
    assert str(resource.url_for(id="a b")) == "/items/a%20b"
