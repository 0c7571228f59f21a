"""Client middlewares (issue 10 item 2): aiohttp 3.12+ semantics, checked against aiohttp.web
on 127.0.0.1 and, where the behaviour is aiohttp's, against aiohttp's own client running the
same middleware on the same server."""

from __future__ import annotations

from typing import Any

import aiohttp as real_aiohttp
import pytest
from aiohttp import web

import fasthttp as aiohttp
from client_servers import assert_pool_clean, async_test, web_server

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


def _app(seen: list[str]) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"path": request.path, "x": request.headers.get("X-Mw", "")})

    async def redirect(request: web.Request) -> web.Response:
        seen.append(request.path)
        raise web.HTTPFound("/echo")

    flaky_count = {"n": 0}

    async def flaky(request: web.Request) -> web.Response:
        seen.append(request.path)
        flaky_count["n"] += 1
        if flaky_count["n"] == 1:
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        seen.append(request.path + ":" + request.headers.get("X-Mw", ""))
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        await sock.send_str("hello")
        await sock.close()
        return sock

    app = web.Application()
    app.router.add_get("/echo", echo)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/ws", ws)
    return app


def _tagging(tag: str, log: list[str]) -> Any:
    async def middleware(request: Any, handler: Any) -> Any:
        log.append(f"{tag}>{request.url.path}")
        request.headers["X-Mw"] = (request.headers.get("X-Mw", "") + tag)
        response = await handler(request)
        log.append(f"{tag}<{response.status}")
        return response

    return middleware


@pytest.mark.parametrize("module", CLIENTS)
@async_test()
async def test_session_middlewares_run_first_outermost_and_change_the_request(module: Any) -> None:
    seen: list[str] = []
    log: list[str] = []
    async with web_server(_app(seen)) as base:
        async with module.ClientSession(middlewares=(_tagging("a", log), _tagging("b", log))) as session:
            async with session.get(base + "/echo") as resp:
                assert await resp.json() == {"path": "/echo", "x": "ab"}
    assert log == ["a>/echo", "b>/echo", "b<200", "a<200"]


@pytest.mark.parametrize("module", CLIENTS)
@async_test()
async def test_per_request_middlewares_override_and_empty_tuple_disables(module: Any) -> None:
    seen: list[str] = []
    log: list[str] = []
    async with web_server(_app(seen)) as base:
        async with module.ClientSession(middlewares=(_tagging("s", log),)) as session:
            async with session.get(base + "/echo", middlewares=(_tagging("r", log),)) as resp:
                assert (await resp.json())["x"] == "r"
            async with session.get(base + "/echo", middlewares=()) as resp:
                assert (await resp.json())["x"] == ""
            async with session.get(base + "/echo") as resp:
                assert (await resp.json())["x"] == "s"
    assert log == ["r>/echo", "r<200", "s>/echo", "s<200"]


@pytest.mark.parametrize("module", CLIENTS)
@async_test()
async def test_redirect_hops_each_pass_through_the_middlewares(module: Any) -> None:
    seen: list[str] = []
    log: list[str] = []
    async with web_server(_app(seen)) as base:
        async with module.ClientSession(middlewares=(_tagging("m", log),)) as session:
            async with session.get(base + "/redirect") as resp:
                assert resp.status == 200
                assert (await resp.json())["x"] == "m"
                assert [r.status for r in resp.history] == [302]
    assert log == ["m>/redirect", "m<302", "m>/echo", "m<200"]
    assert seen == ["/redirect", "/echo"]


@pytest.mark.parametrize("module", CLIENTS)
@async_test()
async def test_a_middleware_may_call_the_handler_twice(module: Any) -> None:
    async def retry_503(request: Any, handler: Any) -> Any:
        response = await handler(request)
        if response.status == 503:
            response.release()
            response = await handler(request)
        return response

    seen: list[str] = []
    async with web_server(_app(seen)) as base:
        async with module.ClientSession(middlewares=(retry_503,)) as session:
            async with session.get(base + "/flaky") as resp:
                assert resp.status == 200
                assert await resp.text() == "ok"
            if module is aiohttp:
                assert_pool_clean(session.connector)
    assert seen == ["/flaky", "/flaky"]


@pytest.mark.parametrize("module", CLIENTS)
@async_test()
async def test_a_middleware_may_answer_without_calling_the_handler(module: Any) -> None:
    cache: dict[str, Any] = {}

    async def cached(request: Any, handler: Any) -> Any:
        key = str(request.url)
        if key in cache:
            return cache[key]
        response = await handler(request)
        await response.read()
        cache[key] = response
        return response

    seen: list[str] = []
    async with web_server(_app(seen)) as base:
        async with module.ClientSession(middlewares=(cached,)) as session:
            first = await session.get(base + "/echo")
            second = await session.get(base + "/echo")
            assert second is first
            assert (await second.json())["path"] == "/echo"
    assert seen == ["/echo"]


@pytest.mark.parametrize("module", CLIENTS)
@async_test()
async def test_a_middleware_error_reaches_the_caller_and_leaks_nothing(module: Any) -> None:
    async def refuse(request: Any, handler: Any) -> Any:
        response = await handler(request)
        response.release()
        raise RuntimeError("refused by policy")

    seen: list[str] = []
    async with web_server(_app(seen)) as base:
        async with module.ClientSession(middlewares=(refuse,)) as session:
            with pytest.raises(RuntimeError, match="refused by policy"):
                await session.get(base + "/echo")
            if module is aiohttp:
                assert_pool_clean(session.connector)


@pytest.mark.parametrize("module", CLIENTS)
@async_test()
async def test_the_websocket_upgrade_goes_through_the_session_middlewares(module: Any) -> None:
    seen: list[str] = []
    log: list[str] = []
    async with web_server(_app(seen)) as base:
        async with module.ClientSession(middlewares=(_tagging("w", log),)) as session:
            async with session.ws_connect(base + "/ws") as ws:
                message = await ws.receive()
                assert message.data == "hello"
    assert seen == ["/ws:w"]
    assert log == ["w>/ws", "w<101"]


@async_test()
async def test_the_request_a_middleware_sees_is_the_one_sent() -> None:
    captured: list[Any] = []

    async def capture(request: Any, handler: Any) -> Any:
        captured.append(request)
        assert isinstance(request, aiohttp.ClientRequest)
        assert request.method == "POST" and request.url.path == "/echo"
        assert request.headers["Content-Length"] == "5" and request.body == b"hello"
        assert request.headers["Host"] == request.url.raw_host + ":" + str(request.url.port)
        assert request.session is session
        assert request.timeout is session.timeout
        await request.update_body(b"changed!")
        return await handler(request)

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/echo", echo)
    async with web_server(app) as base:
        async with aiohttp.ClientSession(middlewares=(capture,)) as session:
            async with session.post(base + "/echo", data=b"hello") as resp:
                assert await resp.read() == b"changed!"
    assert len(captured) == 1
