"""fasthttp.web.WebSocketResponse's close() and receive() as aiohttp.web's (issue 10 point 5).

The same handler runs on aiohttp.web and on fasthttp.web, with a raw client on 127.0.0.1 that
reads everything and never answers a close frame; the outcomes are compared: close() before
prepare(), a close timeout, two concurrent close() calls, a close() cancelled, a receive()
timing out before close(), receive() called again and again on a closed WebSocket.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web as reference_web
from client_servers import async_test, web_server
from test_web_ws_writer import _upgrade
from web_helpers import serve

from fasthttp import web


def _state(ws: Any) -> tuple[Any, ...]:
    exc = ws.exception()
    return ws.closed, ws.close_code, type(exc).__name__ if exc else None, str(exc) if exc else None


async def _outcome(step: Any) -> str:
    try:
        return repr(await step)
    except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - compared
        return f"{type(exc).__name__}: {exc}"


async def _run(server_web: Any, mode: str) -> list[Any]:
    done: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()

    async def handler(request: Any) -> Any:
        ws = server_web.WebSocketResponse(timeout=0.3)
        out: list[Any] = [await _outcome(ws.close())]
        await ws.prepare(request)
        if mode == "close_timeout":
            out.append(await ws.close())
        elif mode == "concurrent":
            out.append(await asyncio.gather(ws.close(), ws.close()))
        elif mode == "cancelled":
            task = asyncio.ensure_future(ws.close())
            await asyncio.sleep(0.1)
            task.cancel()
            out.append(await _outcome(task))
        else:  # receive_timed_out
            out.append(await _outcome(ws.receive(timeout=0.1)))
            out.append(_state(ws))
            out.append(await ws.close())
        out.append(_state(ws))
        out.append(await ws.close())
        for _ in range(6):  # aiohttp.web raises at the 5th receive() on a closed WebSocket
            out.append(await _outcome(ws.receive()))
        done.set_result(out)
        return ws

    app = server_web.Application()
    app.router.add_get("/ws", handler)
    cm: Any = serve(app) if server_web is web else web_server(app)
    async with cm as served:
        port = served.port if server_web is web else int(served.rsplit(":", 1)[1])
        reader, writer = await _upgrade(port)
        reading = asyncio.ensure_future(reader.read())
        try:
            return await asyncio.wait_for(done, 10)
        finally:
            writer.close()
            reading.cancel()


@pytest.mark.parametrize("mode", ["close_timeout", "concurrent", "cancelled", "receive_timed_out"])
@async_test(timeout=30)
async def test_server_close_like_aiohttp_web(mode: str) -> None:
    theirs = await _run(reference_web, mode)
    ours = await _run(web, mode)
    assert ours == theirs
    assert ours[0] == "RuntimeError: Call .prepare() first"
    assert ours[-1] == "RuntimeError: WebSocket connection is closed."


@async_test()
async def test_server_get_extra_info() -> None:
    """get_extra_info (aiohttp.web has it; fasthttp.web had none): the default before prepare(),
    the transport's values while open, as aiohttp.web; after close() the default (the socket is
    not reachable, as on the client side; aiohttp.web still returns the closed one there)."""
    import aiohttp as reference

    results = []
    for server_web in (reference_web, web):
        done: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()

        async def handler(request: Any, server_web: Any = server_web, done: Any = done) -> Any:
            ws = server_web.WebSocketResponse()
            out = [ws.get_extra_info("peername", "default")]
            await ws.prepare(request)
            out.append(ws.get_extra_info("peername")[0])
            out.append(ws.get_extra_info("socket") is not None)
            await ws.close()
            out.append(ws.get_extra_info("socket") is None)
            done.set_result(out)
            return ws

        app = server_web.Application()
        app.router.add_get("/ws", handler)
        cm: Any = serve(app) if server_web is web else web_server(app)
        async with cm as served:
            base = served if isinstance(served, str) else f"http://127.0.0.1:{served.port}"
            async with reference.ClientSession() as session:
                async with session.ws_connect(base + "/ws") as ws:
                    await ws.receive(timeout=5)
            results.append(await asyncio.wait_for(done, 5))
    assert results[1][:3] == results[0][:3] == ["default", "127.0.0.1", True]
    assert results[1][3] is True
