"""WebSocket client behaviour that must match aiohttp's client (issue 10 point 5).

Each scenario runs with aiohttp's own client and with fasthttp's against the same aiohttp.web
(or raw, for exact frames) server on 127.0.0.1, and the outcomes are compared. Run once as is
(compiled codec) and once with FASTHTTP_NO_EXTENSIONS=1 (pure twin).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable

import aiohttp as reference
import pytest
from aiohttp import web
from client_servers import async_test, web_server
from ws_servers import PING, PONG, Peer, RawWSServer, close_frame, frame, websockets_server, ws_echo

import fasthttp
from fasthttp.client_ws import ws_upgrade

CLIENTS = (reference, fasthttp)


def _ws_app(handler: Callable[[web.Request], Awaitable[Any]], path: str = "/ws") -> web.Application:
    app = web.Application()
    app.router.add_get(path, handler)
    return app


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def _both(
    url: str, scenario: Callable[[Any, Any, str], Awaitable[Any]]
) -> tuple[Any, Any]:
    """scenario(client module, session, url) with aiohttp's client, then fasthttp's."""
    results = []
    for client in CLIENTS:
        async with client.ClientSession() as session:
            results.append(await asyncio.wait_for(scenario(client, session, url), 15))
    return results[0], results[1]


# --- compress ----------------------------------------------------------------------------------


def test_ws_connect_compress_default_is_aiohttps() -> None:
    ours = inspect.signature(ws_upgrade).parameters["compress"].default
    theirs = inspect.signature(reference.ClientSession.ws_connect).parameters["compress"].default
    assert ours == theirs == 0


@pytest.mark.parametrize("kwargs", [{}, {"compress": 0}, {"compress": 15}, {"compress": 10}],
                         ids=["default", "off", "15", "10"])
@async_test()
async def test_compress_attribute_against_aiohttp_web(kwargs: dict[str, Any]) -> None:
    async def scenario(client: Any, session: Any, url: str) -> Any:
        async with session.ws_connect(url, **kwargs) as ws:
            await ws.send_str("x" * 300)
            echoed = await ws.receive_str(timeout=5)
            return ws.compress, ws.client_notakeover, echoed == "x" * 300

    async with web_server(_ws_app(_echo)) as base:
        theirs, ours = await _both(base + "/ws", scenario)
    assert ours == theirs
    assert ours[0] == (0 if not kwargs.get("compress") else 15)


@pytest.mark.parametrize(
    "server_kwargs, expected",
    [
        ({"client_max_window_bits": 9}, (9, False)),
        ({"client_no_context_takeover": True}, (15, True)),
        (None, (0, False)),  # the server refuses the offer
    ],
    ids=["client_bits_9", "client_no_takeover", "refused"],
)
@async_test()
async def test_compress_attribute_reports_the_agreement(server_kwargs: Any, expected: Any) -> None:
    """Against the websockets library, which can answer with smaller windows (aiohttp.web never
    does): ws.compress is the window our side compresses with, as aiohttp's ws_ext_parse says."""
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    if server_kwargs is None:
        options: dict[str, Any] = {"compression": None}
    else:
        options = {"compression": None,
                   "extensions": [ServerPerMessageDeflateFactory(**server_kwargs)]}
    async with websockets_server(ws_echo, **options) as url:

        async def scenario(client: Any, session: Any, url: str) -> Any:
            async with session.ws_connect(url, compress=15) as ws:
                await ws.send_str("abc " * 500)
                assert await ws.receive_str(timeout=5) == "abc " * 500
                return ws.compress, ws.client_notakeover

        theirs, ours = await _both(url, scenario)
    assert ours == theirs == expected
