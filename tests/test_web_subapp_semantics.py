"""Sub-applications as aiohttp.web runs them (issue 12, point 1): request.app while each
application's middlewares run, each application's on_response_prepare, and the order in which
sub-application prefixes and the parent's own routes are matched. The same app is built on
fasthttp.web and on aiohttp.web, served on 127.0.0.1, and the answers and logs compared."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web as aioweb

from fasthttp import web
from web_helpers import HOST, async_test, running

NAME = "name"


def named(w: ModuleType, name: str, **kwargs: Any) -> Any:
    app = w.Application(**kwargs)
    app._test_name = name  # what the log shows for request.app
    return app


def app_name(request: Any) -> str:
    return getattr(request.app, "_test_name", "?")


async def fetch_all(w: ModuleType, app: Any, requests: list[tuple[str, str, str]]) -> list[Any]:
    """(method, path, Host) of each request: status, body and X-* headers of each answer."""
    out = []
    async with running(app, w) as port, aiohttp.ClientSession() as session:
        for method, path, host in requests:
            headers = {"Host": host} if host else {}
            async with session.request(method, f"http://{HOST}:{port}{path}", headers=headers) as resp:
                out.append((method, path, host, resp.status, await resp.text(),
                            sorted((k, v) for k, v in resp.headers.items() if k.startswith("X-"))))
    return out


# --- request.app during middlewares, and on_response_prepare ------------------------------------


def layered(w: ModuleType, log: list[str], *, root_middlewares: bool = True,
            sub_middlewares: bool = True) -> Any:
    def tracer(tag: str) -> Any:
        @w.middleware
        async def mw(request: Any, handler: Any) -> Any:
            log.append(f"{tag} in, app={app_name(request)}")
            try:
                return await handler(request)
            finally:
                log.append(f"{tag} out, app={app_name(request)}")

        return mw

    def preparer(tag: str) -> Any:
        async def on_prepare(request: Any, response: Any) -> None:
            log.append(f"prepare {tag}, app={app_name(request)}")
            response.headers[f"X-Prepared-{tag}"] = app_name(request)

        return on_prepare

    async def handler(request: Any) -> Any:
        log.append(f"handler {request.path}, app={app_name(request)}")
        return w.Response(text=app_name(request))

    async def streamed(request: Any) -> Any:
        response = w.StreamResponse()
        await response.prepare(request)
        await response.write(app_name(request).encode())
        return response

    root = named(w, "root", middlewares=[tracer("root1"), tracer("root2")] if root_middlewares else [])
    sub = named(w, "sub", middlewares=[tracer("sub")] if sub_middlewares else [])
    deep = named(w, "deep", middlewares=[tracer("deep")] if sub_middlewares else [])
    root.router.add_get("/", handler)
    sub.router.add_get("/h", handler)
    sub.router.add_get("/stream", streamed)
    deep.router.add_get("/h", handler)
    root.on_response_prepare.append(preparer("root"))
    deep.on_response_prepare.append(preparer("deep"))
    sub.add_subapp("/deep", deep)
    root.add_subapp("/sub", sub)
    root.on_response_prepare.append(preparer("root-late"))  # after add_subapp: still before sub's
    return root


LAYERED_REQUESTS = [("GET", "/", ""), ("GET", "/sub/h", ""), ("GET", "/sub/deep/h", ""),
                    ("GET", "/sub/stream", ""), ("GET", "/sub/missing", ""), ("POST", "/sub/deep/h", ""),
                    ("GET", "/sub/deep/missing", "")]


@pytest.mark.parametrize("root_mw,sub_mw", [(True, True), (False, True), (True, False), (False, False)])
@async_test(30)
async def test_request_app_and_response_prepare_as_aiohttp(root_mw: bool, sub_mw: bool) -> None:
    results = {}
    for w in (web, aioweb):
        log: list[str] = []
        app = layered(w, log, root_middlewares=root_mw, sub_middlewares=sub_mw)
        answers = await fetch_all(w, app, LAYERED_REQUESTS)
        results[w.__name__] = (answers, log)
    ours, theirs = results["fasthttp.web"], results["aiohttp.web"]
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    if root_mw and sub_mw:
        # What the issue names: the parent's middlewares see the parent, the sub's the sub.
        assert ours[1][:4] == ["root1 in, app=root", "root2 in, app=root", "handler /, app=root",
                               "root2 out, app=root"]
        assert "root1 in, app=root" in ours[1] and "sub in, app=sub" in ours[1]
        deep_answer = ours[0][2]
        assert deep_answer[3:5] == (200, "deep")
        assert ("X-Prepared-deep", "deep") in deep_answer[5]


# --- the order prefixes and routes are matched in -----------------------------------------------


def ordered(w: ModuleType, order: str) -> Any:
    def answer(text: str) -> Any:
        async def handler(request: Any) -> Any:
            return w.Response(text=f"{text} {dict(request.match_info)}")

        return handler

    root = w.Application()
    sub = w.Application()
    sub.router.add_get("/", answer("sub index"))
    sub.router.add_get("/x", answer("sub x"))
    sub.router.add_get("/{any}", answer("sub any"))
    for step in order:
        if step == "s":
            root.add_subapp("/sub", sub)
        elif step == "d":
            root.router.add_get("/sub/{tail:.*}", answer("root tail"))
        elif step == "p":
            root.router.add_get("/sub/x", answer("root plain x"))
            root.router.add_post("/sub", answer("root post sub"))
        elif step == "w":
            root.router.add_get("/{a}/{b}", answer("root a/b"))
        elif step == "c":
            root.router.add_route("*", "/{tail:.*}", answer("root catch-all"))
    return root


ORDER_REQUESTS = [("GET", "/sub/x", ""), ("GET", "/sub/y", ""), ("GET", "/sub", ""), ("POST", "/sub", ""),
                  ("GET", "/sub/", ""), ("DELETE", "/sub/x", ""), ("GET", "/other/b", ""),
                  ("GET", "/subway", ""), ("GET", "/sub/deeper/still", "")]


@pytest.mark.parametrize("order", ["sdpwc", "dspwc", "pswcd", "cwsdp", "wcdps"])
@async_test(30)
async def test_prefixes_and_routes_matched_as_aiohttp(order: str) -> None:
    ours = await fetch_all(web, ordered(web, order), ORDER_REQUESTS)
    theirs = await fetch_all(aioweb, ordered(aioweb, order), ORDER_REQUESTS)
    assert ours == theirs


def test_routing_order_is_searched_again_after_a_change() -> None:
    """The plain-path shortcut is forgotten when the router changes: a route added to an
    earlier resource for a method found before on a later one wins, as in aiohttp."""
    async def one(request: Any) -> Any:
        return web.Response(text="one")

    async def two(request: Any) -> Any:
        return web.Response(text="two")

    app = web.Application()
    first = app.router.add_resource("/r")
    first.add_route("GET", one)
    app.router.add_resource("/r", name="second").add_route("POST", two)
    assert app.router.resolve_path("POST", "/r").handler is two
    first.add_route("POST", one)
    assert app.router.resolve_path("POST", "/r").handler is one


# --- the resolution order, against aiohttp's router, on random route tables ---------------------

SEGMENTS = ["a", "b", "sub"]


def random_table(rng: Any) -> list[tuple[str, str, str]]:
    """(kind, method, path) steps: plain and dynamic routes, and sub-applications."""
    steps = []
    for _ in range(rng.randint(1, 8)):
        depth = rng.randint(1, 3)
        parts = [rng.choice(SEGMENTS) for _ in range(depth)]
        kind = rng.choice(["plain", "plain", "dynamic", "tail", "subapp"])
        if kind == "dynamic":
            parts[rng.randrange(depth)] = "{v}"
        elif kind == "tail":
            parts[-1] = "{t:.*}"
        steps.append((kind, rng.choice(["GET", "POST", "*"]), "/" + "/".join(parts)))
    return steps


def build_table(w: ModuleType, steps: list[tuple[str, str, str]]) -> Any:
    def answer(text: str) -> Any:
        async def handler(request: Any) -> Any:
            raise AssertionError("not called")

        handler.__name__ = text
        return handler

    root = w.Application()
    for index, (kind, method, path) in enumerate(steps):
        if kind == "subapp":
            sub = w.Application()
            sub.router.add_route(method, "/a", answer(f"{index} sub a"))
            sub.router.add_route("GET", "/{v}", answer(f"{index} sub v"))
            try:
                root.add_subapp(path, sub)
            except ValueError:
                pass
        else:
            resource = root.router.add_resource(path)
            try:
                resource.add_route(method, answer(f"{index} {kind}"))
            except RuntimeError:  # the same method twice on a reused resource
                pass
    root.freeze()
    return root


@pytest.mark.parametrize("seed", range(40))
def test_resolution_order_as_aiohttps_router(seed: int) -> None:
    import asyncio
    import random

    from aiohttp.test_utils import make_mocked_request as aiohttp_request

    rng = random.Random(seed)
    steps = random_table(rng)
    ours, theirs = build_table(web, steps), build_table(aioweb, steps)
    paths = {"/", "/sub", "/a/", "/zzz"} | {
        "/" + "/".join(rng.choice(SEGMENTS + ["q"]) for _ in range(rng.randint(1, 4))) for _ in range(30)}

    async def resolve_theirs(method: str, path: str) -> Any:
        match = await theirs.router.resolve(aiohttp_request(method, path, app=theirs))
        if match.http_exception is not None:
            return match.http_exception.status
        return match.handler.__name__, dict(match)

    loop = asyncio.new_event_loop()
    try:
        for path in sorted(paths):
            for method in ("GET", "POST"):
                expected = loop.run_until_complete(resolve_theirs(method, path))
                for _ in range(2):  # the second time from the plain-path shortcut, if any
                    match = ours.router.resolve_path(method, path)
                    mine = (match.handler.__name__, dict(match)) if match.route is not None else (
                        405 if match.allowed else 404)
                    assert mine == expected, (steps, method, path)
    finally:
        loop.close()
