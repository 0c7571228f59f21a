"""web.normalize_path_middleware: the same app on fasthttp.web and aiohttp.web redirects alike."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web as aioweb
from yarl import URL

from fasthttp import web
from web_helpers import HOST, async_test, running

PATHS = ["/a", "/a/", "//a", "/a//", "/b", "/b/", "/b//", "//b/", "/c/x", "/c/x?q=1&r",
         "/c%20d/x", "/d/e//f", "/d//e/f/", "/nowhere", "/post", "/", "///a", "/e%2F"]
CONFIGS: list[dict[str, Any]] = [
    {},
    {"append_slash": False, "remove_slash": True},
    {"merge_slashes": False},
    {"append_slash": False, "merge_slashes": True},
    {"redirect_class": "HTTPFound"},
]


def build(w: ModuleType, config: dict[str, Any]) -> Any:
    async def ok(request: Any) -> Any:
        return w.Response(text=f"ok {request.path}")

    config = dict(config)
    if "redirect_class" in config:
        config["redirect_class"] = getattr(w, config["redirect_class"])
    app = w.Application(middlewares=[w.normalize_path_middleware(**config)])
    app.router.add_get("/a/", ok)
    app.router.add_get("/b", ok)
    app.router.add_get("/c/{x}/", ok)
    app.router.add_get("/c d/x/", ok)
    app.router.add_get("/d/e/f", ok)
    app.router.add_post("/post/", ok)
    return app


async def answers(w: ModuleType, config: dict[str, Any]) -> list[tuple[int, str, str]]:
    out = []
    async with running(build(w, config), w) as port, aiohttp.ClientSession() as session:
        for path in PATHS:
            url = URL(f"http://{HOST}:{port}{path}", encoded=True)
            async with session.get(url, allow_redirects=False) as resp:
                out.append((resp.status, resp.headers.get("Location", ""), await resp.text()))
    return out


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
@async_test(30)
async def test_redirects_as_aiohttp(config: dict[str, Any]) -> None:
    ours = await answers(web, config)
    theirs = await answers(aioweb, config)
    assert ours == theirs
    if not config:
        assert ours[0][:2] == (308, "/a/")


def test_append_and_remove_refused() -> None:
    with pytest.raises(ValueError, match="Cannot both remove and append slash"):
        web.normalize_path_middleware(append_slash=True, remove_slash=True)
