"""Application: middlewares (order, short-circuit, seeing 404s), signals, app state."""

from __future__ import annotations

import collections
import warnings
from typing import Any, Optional

import aiohttp
import aiohttp.web
import pytest

from fasthttp import web
from web_helpers import async_test, serve

COUNTER = web.AppKey("counter", list)


async def get_text(url: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


@async_test()
async def test_middleware_order_and_short_circuit() -> None:
    calls: list[str] = []

    @web.middleware
    async def outer(request: web.Request, handler: object) -> web.StreamResponse:
        calls.append("outer in")
        response = await handler(request)  # type: ignore[operator]
        calls.append("outer out")
        response.headers["X-Outer"] = "1"
        return response

    @web.middleware
    async def inner(request: web.Request, handler: object) -> web.StreamResponse:
        calls.append("inner in")
        if request.path == "/blocked":
            return web.Response(status=403, text="blocked by inner")
        request["seen_by_inner"] = True
        response = await handler(request)  # type: ignore[operator]
        calls.append("inner out")
        return response

    async def handler(request: web.Request) -> web.Response:
        calls.append("handler")
        return web.Response(text=f"inner saw it: {request['seen_by_inner']}")

    app = web.Application(middlewares=[outer, inner])
    app.router.add_get("/", handler)
    app.router.add_get("/blocked", handler)
    async with serve(app) as srv:
        status, text, headers = await get_text(srv.url("/"))
        assert (status, text, headers["X-Outer"]) == (200, "inner saw it: True", "1")
        assert calls == ["outer in", "inner in", "handler", "inner out", "outer out"]
        calls.clear()
        status, text, headers = await get_text(srv.url("/blocked"))
        assert (status, text, headers["X-Outer"]) == (403, "blocked by inner", "1")
        assert calls == ["outer in", "inner in", "outer out"]


@async_test()
async def test_middleware_sees_404_and_405() -> None:
    seen: list[tuple[str, int]] = []

    @web.middleware
    async def catch(request: web.Request, handler: object) -> web.StreamResponse:
        try:
            return await handler(request)  # type: ignore[operator,no-any-return]
        except web.HTTPException as exc:
            seen.append((request.path, exc.status))
            if exc.status == 404:
                return web.Response(status=404, text="custom not found")
            raise

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[catch])
    app.router.add_post("/post-only", ok)
    async with serve(app) as srv:
        assert (await get_text(srv.url("/nowhere")))[:2] == (404, "custom not found")
        status, _, headers = await get_text(srv.url("/post-only"))
        assert status == 405 and headers["Allow"] == "POST"
        assert seen == [("/nowhere", 404), ("/post-only", 405)]


@async_test()
async def test_signals_and_state() -> None:
    events: list[str] = []

    async def on_startup(app: web.Application) -> None:
        events.append("startup")
        app["db"] = "connected"
        app[COUNTER] = [0]

    async def on_shutdown(app: web.Application) -> None:
        events.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    async def ctx(app: web.Application):  # type: ignore[no-untyped-def]
        events.append("ctx enter")
        yield
        events.append("ctx exit")

    async def handler(request: web.Request) -> web.Response:
        request.app[COUNTER][0] += 1
        return web.Response(text=f"{request.app['db']} {request.app[COUNTER][0]} {request.config_dict['db']}")

    app = web.Application()
    app["settings"] = {"debug": False}
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.cleanup_ctx.append(ctx)
    app.router.add_get("/", handler)
    async with serve(app) as srv:
        assert events == ["ctx enter", "startup"]  # aiohttp's order: contexts first
        assert (await get_text(srv.url("/")))[1] == "connected 1 connected"
        assert (await get_text(srv.url("/")))[1] == "connected 2 connected"
        assert app["settings"] == {"debug": False} and "db" in app and len(app) == 3
        with pytest.raises(RuntimeError):
            app.on_startup.append(on_startup)  # frozen
    assert events == ["ctx enter", "startup", "shutdown", "ctx exit", "cleanup"]
    assert app[COUNTER] == [2]


def test_appkey_and_mapping() -> None:
    app = web.Application()
    key = web.AppKey("name", str)
    app[key] = "v"
    app["plain"] = 1
    assert app[key] == "v" and app["plain"] == 1
    assert set(app) == {key, "plain"}
    del app["plain"]
    assert "plain" not in app
    assert "AppKey" in repr(key)


# Module level, as keys are defined: both name them after this module.
_REPR_KEYS = [
    (mod.AppKey("port", int), mod.AppKey("db", collections.OrderedDict), mod.AppKey("opt", Optional[int]),
     mod.AppKey("untyped"), mod.AppKey[int]("param"), mod.RequestKey("user", str), mod.ResponseKey("r", list[int]))
    for mod in (aiohttp.web, web)
]


def test_state_key_repr_and_order_as_aiohttp() -> None:
    theirs, ours = _REPR_KEYS
    assert [repr(key) for key in ours] == [repr(key) for key in theirs]
    assert repr(ours[0]) == f"<AppKey({__name__}.port, type=int)>"
    assert [k._name for k in sorted(ours[:4])] == [k._name for k in sorted(theirs[:4])]  # type: ignore[type-var]


def _lifecycle_app(mod: Any, events: list[str], failing: tuple[str, ...] = ()) -> Any:
    app = mod.Application()

    def ctx(name: str) -> Any:
        async def context(app: Any) -> Any:
            events.append(f"{name} enter")
            yield
            events.append(f"{name} exit")
            if name in failing:
                raise ValueError(name)

        return context

    def hook(name: str) -> Any:
        async def callback(app: Any) -> None:
            events.append(name)

        return callback

    app.on_startup.append(hook("startup 1"))
    app.cleanup_ctx.append(ctx("A"))
    app.on_startup.append(hook("startup 2"))
    app.cleanup_ctx.append(ctx("B"))
    app.on_shutdown.append(hook("shutdown"))
    app.on_cleanup.append(hook("cleanup"))
    return app


@pytest.mark.parametrize("failing", [(), ("A",), ("A", "B")], ids=["ok", "one_fails", "two_fail"])
@async_test()
async def test_lifecycle_order_as_aiohttp(failing: tuple[str, ...]) -> None:
    from aiohttp import web as aioweb

    results = {}
    for mod in (web, aioweb):
        events: list[str] = []
        runner = mod.AppRunner(_lifecycle_app(mod, events, failing), access_log=None)
        await runner.setup()
        try:
            await runner.cleanup()
            outcome = "ok"
        except Exception as exc:  # what a failing cleanup raises, by class name and text
            outcome = f"{type(exc).__name__}: {exc.args[0]}"
        results[mod.__name__] = (events, outcome)
    assert results["fasthttp.web"] == results["aiohttp.web"]


def test_str_keys_warn_as_aiohttp() -> None:
    app = web.Application()
    with pytest.warns(web.NotAppKeyWarning, match="AppKey"):
        app["plain"] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app[web.AppKey("typed", int)] = 2  # no warning
    assert issubclass(web.NotAppKeyWarning, UserWarning)
