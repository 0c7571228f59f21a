"""fasthttp.web exports what aiohttp.web exports, and each name behaves as aiohttp's.

The name test reads the installed aiohttp.web's __all__, so a name a new aiohttp adds fails
here until fasthttp has it (or it is listed below as a deliberate exception, with why). The
behaviour tests run the same code on aiohttp.web and fasthttp.web servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from typing import Any

import aiohttp
import aiohttp.web as aiohttp_web
import pytest

from fasthttp import web
from web_helpers import async_test

HOST = "127.0.0.1"

# aiohttp.web names fasthttp.web deliberately does not have (none today).
DELIBERATE_WEB: dict[str, str] = {}

BOTH = pytest.mark.parametrize("impl", [aiohttp_web, web], ids=["aiohttp", "fasthttp"])


def test_web_exports_every_aiohttp_web_name() -> None:
    missing = set(aiohttp_web.__all__) - set(web.__all__) - set(DELIBERATE_WEB)
    assert not missing, f"aiohttp.web exports these, fasthttp.web does not: {sorted(missing)}"
    for name in web.__all__:
        assert hasattr(web, name), name
    stale = set(DELIBERATE_WEB) - set(aiohttp_web.__all__)
    assert not stale, f"listed as deliberate but aiohttp.web no longer has them: {stale}"


async def _serve(impl: Any, app: Any) -> tuple[Any, str]:
    runner = impl.AppRunner(app)
    await runner.setup()
    site = impl.TCPSite(runner, HOST, 0)
    await site.start()
    return runner, f"http://{HOST}:{runner.addresses[0][1]}"


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


@BOTH
@async_test()
async def test_routing_objects_are_instances_of_the_abstract_classes(impl: Any) -> None:
    seen: dict[str, bool] = {}

    async def handler(request: Any) -> Any:
        info = request.match_info
        seen["match_info"] = isinstance(info, impl.UrlMappingMatchInfo)
        seen["route"] = isinstance(info.route, impl.AbstractRoute)
        seen["resource"] = isinstance(info.route.resource, impl.AbstractResource)
        seen["get_info"] = info.get_info() == info.route.resource.get_info()
        return impl.Response(text=info["name"])

    app = impl.Application()
    routes = app.router.add_routes([impl.get("/hello/{name}", handler)])
    assert all(isinstance(route, impl.AbstractRoute) for route in routes)
    for definition in (impl.get("/x", handler), impl.static("/s", ".")):
        assert isinstance(definition, impl.AbstractRouteDef)
    for resource in app.router.resources():
        assert isinstance(resource, impl.AbstractResource)
    runner, url = await _serve(impl, app)
    try:
        assert (await _get(url + "/hello/bob"))[::2] == (200, "bob")
    finally:
        await runner.cleanup()
    assert seen == {"match_info": True, "route": True, "resource": True, "get_info": True}


def test_url_mapping_match_info_takes_aiohttps_arguments() -> None:
    async def handler(request: Any) -> Any:
        return web.Response()

    app = web.Application()
    route = app.router.add_get("/a/{x}", handler)
    info = web.UrlMappingMatchInfo({"x": "1"}, route)
    assert (dict(info), info.route, info.handler, info.apps) == ({"x": "1"}, route, handler, ())


def test_a_resource_fasthttp_cannot_route_is_refused_by_name() -> None:
    class Mine(web.AbstractResource):
        canonical = "/mine"

        def url_for(self, *args: str, **kwargs: Any) -> Any:
            raise NotImplementedError

        def get_info(self) -> dict[str, Any]:
            return {}

        def add_prefix(self, prefix: str) -> None:
            pass

        def __len__(self) -> int:
            return 0

        def __iter__(self) -> Any:
            return iter(())

    with pytest.raises(TypeError, match="register_resource.*AbstractResource"):
        web.Application().router.register_resource(Mine(name="mine"))  # type: ignore[arg-type]


@BOTH
@async_test()
async def test_request_and_response_keys_and_the_str_key_warning(impl: Any) -> None:
    user_key = impl.RequestKey("user", str)
    tag_key = impl.ResponseKey("tag", int)
    caught: list[warnings.WarningMessage] = []

    async def handler(request: Any) -> Any:
        request[user_key] = "alice"
        response = impl.Response(text=request[user_key])
        response[tag_key] = 7
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter("always")
            request["parity-str-request-key"] = 1
            request["parity-str-request-key"] = 2  # the same key again: no second warning
            response["parity-str-response-key"] = 3
            response["parity-str-response-key"] = 4
        caught.extend(log)
        assert (request["parity-str-request-key"], response["parity-str-response-key"]) == (2, 4)
        assert response[tag_key] == 7
        return response

    app = impl.Application()
    app.router.add_get("/", handler)
    runner, url = await _serve(impl, app)
    try:
        assert (await _get(url + "/"))[::2] == (200, "alice")
    finally:
        await runner.cleanup()
    assert [(w.category, str(w.message).split("\n")[0]) for w in caught] == [
        (impl.NotAppKeyWarning, "It is recommended to use web.RequestKey instances for keys."),
        (impl.NotAppKeyWarning, "It is recommended to use web.ResponseKey instances for keys."),
    ]
    assert all(w.filename == __file__ for w in caught)  # pointing at the caller's line
    assert repr(impl.RequestKey("user", str)).startswith("<RequestKey(")


@BOTH
@async_test()
async def test_json_bytes_response_and_json_response_of_none(impl: Any) -> None:
    async def as_bytes(request: Any) -> Any:
        return impl.json_bytes_response({"a": [1, 2]}, dumps=lambda data: repr(data).encode(), status=201)

    async def of_none(request: Any) -> Any:
        return impl.json_response(None)

    app = impl.Application()
    app.router.add_get("/bytes", as_bytes)
    app.router.add_get("/none", of_none)
    runner, url = await _serve(impl, app)
    try:
        assert await _get(url + "/bytes") == (201, "application/json", "{'a': [1, 2]}")
        assert await _get(url + "/none") == (200, "application/json; charset=utf-8", "null")
    finally:
        await runner.cleanup()
    with pytest.raises(ValueError, match="only one of data or body"):
        impl.json_bytes_response({}, dumps=lambda data: b"{}", body=b"{}")
    with pytest.raises(TypeError, match="dumps"):
        impl.json_bytes_response({})


@pytest.mark.skipif(sys.platform == "win32", reason="the refusal is for loops without named pipes")
@async_test()
async def test_named_pipe_site_refuses_off_windows() -> None:
    # aiohttp's message, as fasthttp.NamedPipeConnector's; off Windows aiohttp 3.14 itself dies
    # of an AttributeError (asyncio.ProactorEventLoop) before it gets to say it.
    runner = web.AppRunner(web.Application())
    await runner.setup()
    try:
        with pytest.raises(RuntimeError, match="Named Pipes only available in proactor loop under windows"):
            web.NamedPipeSite(runner, r"\\.\pipe\fasthttp-test")
    finally:
        await runner.cleanup()


def test_payload_exceptions_are_plain_exceptions_as_in_aiohttp() -> None:
    for name in ("RequestPayloadError", "PayloadAccessError"):
        ours, theirs = getattr(web, name), getattr(aiohttp_web, name)
        assert ours.__mro__[1:] == (Exception, BaseException, object) == theirs.__mro__[1:]
