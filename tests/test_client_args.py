"""Issue 10 item 4: every argument does what aiohttp documents, or refuses.

Behaviour tests run fasthttp and aiohttp's own client against the same peer on 127.0.0.1
(aiohttp.web, or a raw server where the exact bytes matter) and compare.
"""

from __future__ import annotations

from typing import Any

import aiohttp as real_aiohttp
import pytest

import fasthttp as aiohttp
from client_servers import Conn, RawServer, assert_pool_clean, async_test, response

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


# --- the stale pooled connection retry, outside the middlewares ------------------------------


def _stale_server() -> RawServer:
    """Answers the first request on each connection; closes on the second without answering
    (a keep-alive connection the server dropped just as the client reused it)."""

    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(response(200, b"first"))
        await conn.read_request()

    return RawServer(handler)


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_stale_connection_retry_passes_through_middlewares(client: Any) -> None:
    calls: list[str] = []

    async def middleware(request: Any, handler: Any) -> Any:
        calls.append(request.url.path + ":" + request.headers.get("X-Seen", ""))
        request.headers["X-Seen"] = "yes"
        try:
            return await handler(request)
        except client.ServerDisconnectedError:
            calls.append("disconnected")
            raise

    async with _stale_server() as server:
        async with client.ClientSession(middlewares=(middleware,)) as session:
            async with session.get(server.url("/1")) as resp:
                assert await resp.read() == b"first"
            async with session.get(server.url("/2")) as resp:
                assert await resp.read() == b"first"
            if client is aiohttp:
                assert_pool_clean(session.connector)
    # The middleware sees the failed attempt and the retry, each from the call's headers.
    assert calls == ["/1:", "/2:", "disconnected", "/2:"]
    assert [r.target for r in server.requests] == ["/1", "/2", "/2"]
