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
