"""Issue 10 item 4: every argument does what aiohttp documents, or refuses.

Behaviour tests run fasthttp and aiohttp's own client against the same peer on 127.0.0.1
(aiohttp.web, or a raw server where the exact bytes matter) and compare.
"""

from __future__ import annotations

from typing import Any

import aiohttp as real_aiohttp
import pytest

import fasthttp as aiohttp
from client_servers import Conn, RawServer, assert_pool_clean, async_test, response, web_server

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


# --- parser limits: session, per request, with a custom connector ------------------------------


def _limits_app() -> Any:
    from aiohttp import web

    async def long_field(request: Any) -> Any:
        return web.Response(text="ok", headers={"X-Long": "v" * 9000})

    async def many(request: Any) -> Any:
        return web.Response(text="ok", headers={f"X-H{i}": "1" for i in range(140)})

    async def long_line(request: Any) -> Any:
        return web.Response(text="ok", reason="R" * 9000)

    async def short(request: Any) -> Any:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/field", long_field)
    app.router.add_get("/many", many)
    app.router.add_get("/line", long_line)
    app.router.add_get("/short", short)
    return app


async def _outcome(session: Any, url: str, **kwargs: Any) -> str:
    try:
        async with session.get(url, **kwargs) as resp:
            return f"{resp.status} {await resp.text()}"
    except Exception as exc:  # the class names are compared across the two clients
        return type(exc).__name__


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_parser_limits_at_session_and_request_level_as_aiohttp(client: Any) -> None:
    big = {"max_line_size": 10000, "max_field_size": 10000, "max_headers": 200}
    seen: list[tuple[str, ...]] = []
    async with web_server(_limits_app()) as base:
        paths = [base + p for p in ("/field", "/many", "/line")]
        async with client.ClientSession() as session:
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            # Per request, then the session's defaults again on the same pooled connection.
            seen.append(tuple([await _outcome(session, u, **big) for u in paths]))
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            seen.append((await _outcome(session, base + "/short", max_field_size=100),))
        async with client.ClientSession(**big) as session:
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            seen.append((await _outcome(session, paths[0], max_field_size=100),))
        # With a connector of the caller's, the session's limits still apply.
        async with client.ClientSession(connector=client.TCPConnector(), **big) as session:
            seen.append(tuple([await _outcome(session, u) for u in paths]))
            seen.append((await _outcome(session, paths[1], max_headers=10),))
            seen.append(tuple([await _outcome(session, u) for u in paths]))
    refused = ("ClientResponseError",) * 3
    accepted = ("200 ok",) * 3
    assert seen == [
        refused, accepted, refused, ("200 ok",), accepted, ("ClientResponseError",),
        accepted, ("ClientResponseError",), accepted,
    ]
