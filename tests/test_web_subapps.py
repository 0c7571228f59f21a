"""app.add_subapp(): the same nested apps on fasthttp.web and aiohttp.web give the same answers."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web as aioweb

from fasthttp import web
from web_helpers import HOST, async_test, running

PATHS = [("GET", "/"), ("GET", "/sub/"), ("GET", "/sub/x/7"), ("GET", "/sub"),
         ("POST", "/sub/x/7"), ("GET", "/sub/missing"), ("GET", "/sub/deep/leaf"),
         ("GET", "/subway"), ("GET", "/sub/deep/missing")]


def build(w: ModuleType, log: list[str]) -> Any:
    name_key = w.AppKey("name", str)

    def tagger(tag: str) -> Any:
        @w.middleware
        async def mw(request: Any, handler: Any) -> Any:
            log.append(f"mw {tag}")
            response = await handler(request)
            response.headers["X-Mw"] = response.headers.get("X-Mw", "") + tag
            return response

        return mw

    async def show(request: Any) -> Any:
        return w.Response(text=f"{request.app[name_key]} {request.config_dict[name_key]} "
                               f"{request.config_dict.get(root_only, '-')} {dict(request.match_info)}")

    root_only = w.AppKey("root_only", str)
    root = w.Application(middlewares=[tagger("r")])
    root[name_key] = "root"
    root[root_only] = "R"
    root.router.add_get("/", show)
    sub = w.Application(middlewares=[tagger("s")])
    sub[name_key] = "sub"
    sub.router.add_get("/", show, name="index")
    sub.router.add_get("/x/{id}", show, name="x")
    deep = w.Application()
    deep[name_key] = "deep"
    deep.router.add_get("/leaf", show, name="leaf")

    for app, tag in ((root, "root"), (sub, "sub"), (deep, "deep")):
        async def on_startup(app: Any, tag: str = tag) -> None:
            log.append(f"startup {tag}")

        async def on_cleanup(app: Any, tag: str = tag) -> None:
            log.append(f"cleanup {tag}")

        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
    sub.add_subapp("/deep/", deep)
    resource = root.add_subapp("/sub", sub)
    assert resource.canonical == "/sub"
    return root, sub, deep


async def answers(w: ModuleType) -> tuple[list[Any], list[str], list[str]]:
    log: list[str] = []
    root, sub, deep = build(w, log)
    urls = [str(sub.router["x"].url_for(id="a b")), str(sub.router["index"].url_for()),
            str(deep.router["leaf"].url_for())]
    out = []
    async with running(root, w) as port, aiohttp.ClientSession() as session:
        assert sub.frozen and deep.frozen
        for method, path in PATHS:
            async with session.request(method, f"http://{HOST}:{port}{path}") as resp:
                out.append((method, path, resp.status, resp.headers.get("X-Mw"),
                            resp.headers.get("Allow"), await resp.text()))
    return out, log, urls


@async_test(30)
async def test_subapps_as_aiohttp() -> None:
    ours = await answers(web)
    theirs = await answers(aioweb)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]  # middlewares in order, signals of every app
    assert ours[2] == theirs[2] == ["/sub/x/a%20b", "/sub/", "/sub/deep/leaf"]
    assert ours[0][2][2:4] == (200, "sr")  # the subapp middleware is inside
    assert "startup deep" in ours[1] and "cleanup deep" in ours[1]


def test_add_subapp_refusals() -> None:
    root, sub = web.Application(), web.Application()
    with pytest.raises(ValueError, match="Prefix cannot be empty"):
        root.add_subapp("/", sub)
    resource = root.add_subapp("/s", sub)
    with pytest.raises(RuntimeError, match="url_for"):
        resource.url_for()
    with pytest.raises(RuntimeError, match="frozen router"):
        sub.router.add_get("/late", lambda r: r)
    root.freeze()
    with pytest.raises(RuntimeError, match="frozen application"):
        root.add_subapp("/t", web.Application())
