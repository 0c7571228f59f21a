"""Resources and url_for(): the router's objects and the URLs they build, compared with aiohttp.web's."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web as aioweb
from yarl import URL

from fasthttp import web
from web_helpers import async_test, serve

PARTS = ["plain", "a b", "a/b", "100%", "é", "?x=1#f", "~-._", "+&=;"]


async def ok(request: Any) -> Any:
    return web.Response(text="ok")


def routed(w: ModuleType, static_dir: Path) -> Any:
    app = w.Application()
    router = app.router
    index = router.add_resource("/", name="index")
    index.add_route("GET", ok)
    router.add_get("/users/{user}", ok, name="user")
    router.add_route("POST", "/files/{path:.+}/raw", ok, name="raw")
    router.add_get("/n/{n:\\d+}/x", ok, name="digits")
    router.add_static("/static", static_dir, name="static")
    router.add_static("/versioned/", static_dir, name="versioned", append_version=True)
    return app


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.js").write_bytes(b"console.log(1)\n")
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "s.css").write_bytes(b"body{}")
    return tmp_path


def test_resources_and_routes_as_aiohttp(static_dir: Path) -> None:
    ours, theirs = routed(web, static_dir).router, routed(aioweb, static_dir).router
    assert [type(r).__name__ for r in ours.resources()] == [
        type(r).__name__ for r in theirs.resources()]
    assert [r.canonical for r in ours.resources()] == [r.canonical for r in theirs.resources()]
    assert [r.name for r in ours.resources()] == [r.name for r in theirs.resources()]
    assert [(r.method, r.name) for r in ours.routes()] == [
        (r.method, r.name) for r in theirs.routes()]
    assert sorted(ours.named_resources()) == sorted(theirs.named_resources())
    for route in ours.routes():
        assert route in list(route.resource)
    user = ours["user"]
    assert isinstance(user, web.DynamicResource) and user.name == "user"
    assert isinstance(ours["index"], web.PlainResource)
    assert isinstance(ours["static"], web.StaticResource)
    assert "user" in ours and "nobody" not in ours


@pytest.mark.parametrize("part", PARTS)
def test_url_for_encodes_parts_as_aiohttp(part: str, static_dir: Path) -> None:
    ours, theirs = routed(web, static_dir).router, routed(aioweb, static_dir).router
    for name, kwargs in [("user", {"user": part}), ("raw", {"path": part}),
                         ("static", {"filename": part})]:
        got = ours[name].url_for(**kwargs)
        assert isinstance(got, URL)
        assert str(got) == str(theirs[name].url_for(**kwargs)), (name, part)


def test_url_for_plain_and_query(static_dir: Path) -> None:
    ours, theirs = routed(web, static_dir).router, routed(aioweb, static_dir).router
    url = ours["index"].url_for().with_query({"q": "a b"})
    assert url == theirs["index"].url_for().with_query({"q": "a b"})
    assert str(url) == "/?q=a+b"
    assert str(ours["digits"].url_for(n="12")) == "/n/12/x"
    with pytest.raises(KeyError):
        ours["user"].url_for()


def test_static_append_version_as_aiohttp(static_dir: Path) -> None:
    ours, theirs = routed(web, static_dir).router, routed(aioweb, static_dir).router
    for filename in ["app.js", "/app.js", "sub dir/s.css", "missing.js", "../outside"]:
        for flag in (None, True, False):
            for name in ("static", "versioned"):
                kw: dict[str, Any] = {"filename": filename}
                if flag is not None:
                    kw["append_version"] = flag
                assert str(ours[name].url_for(**kw)) == str(theirs[name].url_for(**kw)), (
                    name, filename, flag)
    assert ours["versioned"].url_for(filename="app.js").query["v"]


def test_route_conflicts_and_names() -> None:
    router = web.Application().router
    resource = router.add_resource("/r")
    resource.add_route("GET", ok)
    with pytest.raises(RuntimeError, match="already registered"):
        resource.add_route("GET", ok)
    assert router.add_resource("/r") is resource  # the last resource is reused, as aiohttp
    router.add_get("/a", ok, name="a")
    with pytest.raises(ValueError, match="Duplicate 'a'"):
        router.add_get("/b", ok, name="a")
    with pytest.raises(ValueError, match="Incorrect route name"):
        router.add_get("/c", ok, name="not valid")
    with pytest.raises(ValueError, match="path should be started with /"):
        router.add_resource("x")


@async_test()
async def test_served_urls_resolve(static_dir: Path) -> None:
    app = routed(web, static_dir)
    async with serve(app) as srv, aiohttp.ClientSession() as session:
        for url in [app.router["versioned"].url_for(filename="sub dir/s.css"),
                    app.router["user"].url_for(user="a b"),
                    app.router["index"].url_for().with_query({"q": "1"})]:
            async with session.get(srv.url(str(url)), allow_redirects=False) as resp:
                assert resp.status == 200, url
        async with session.get(srv.url("/versioned/app.js?v=x")) as resp:
            assert await resp.read() == b"console.log(1)\n"
