"""aiohttp-retry (a retry wrapper) on an injected session: RetryClient(client_session=...).

It retries on statuses and on the exception classes it is given, aiohttp's: with fasthttp's
session it must retry (and finally raise) exactly as with aiohttp's.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp as real_aiohttp
from aiohttp import web
from aiohttp_retry import ExponentialRetry, RetryClient

from client_servers import Conn, RawServer, async_test, web_server
from sdk_sessions import outcome, run_both


def _app(hits: Counter[str]) -> web.Application:
    async def flaky(request: web.Request) -> web.Response:
        hits[request.path] += 1
        if hits[request.path] < 3:
            return web.Response(status=503, text="busy")
        return web.json_response({"attempt": hits[request.path], "q": request.query.get("q")})

    async def down(request: web.Request) -> web.Response:
        hits[request.path] += 1
        return web.Response(status=503, text="down")

    async def slow(request: web.Request) -> web.Response:
        hits[request.path] += 1
        await asyncio.sleep(5)  # no answer for longer than the test's sock_read
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/flaky/{name}", flaky)
    app.router.add_get("/down", down)
    app.router.add_get("/slow", slow)
    return app


def _retry(**kwargs: Any) -> ExponentialRetry:
    return ExponentialRetry(attempts=3, start_timeout=0.01, max_timeout=0.05, **kwargs)


@async_test(60)
async def test_retries_statuses_then_returns_the_response() -> None:
    hits: Counter[str] = Counter()
    async with web_server(_app(hits)) as base:
        async def scenario(session: Any) -> Any:
            client = RetryClient(client_session=session, retry_options=_retry())
            name = type(session).__module__.partition(".")[0]

            async def call() -> Any:
                async with client.get(f"{base}/flaky/{name}", params={"q": "x"}) as resp:
                    return resp.status, await resp.json()

            return await outcome(call())

        records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"] == ("ok", (200, {"attempt": 3, "q": "x"}))


@async_test(60)
async def test_gives_up_with_aiohttps_response_error() -> None:
    hits: Counter[str] = Counter()
    async with web_server(_app(hits)) as base:
        async def scenario(session: Any) -> Any:
            client = RetryClient(client_session=session, retry_options=_retry(), raise_for_status=True)
            before = hits["/down"]

            async def call() -> Any:
                async with client.get(base + "/down") as resp:
                    return resp.status

            result = await outcome(call(), lambda exc: (exc.status, exc.message))  # type: ignore[attr-defined]
            return result, hits["/down"] - before

        records = await run_both(scenario)
    expected = (("raised", "aiohttp.ClientResponseError", (503, "Service Unavailable")), 3)
    assert records["fasthttp"] == records["aiohttp"] == expected


@async_test(60)
async def test_retries_on_aiohttps_exception_classes() -> None:
    """exceptions={aiohttp.ServerDisconnectedError}: a fasthttp error that were not aiohttp's
    class would escape on the first attempt instead of being retried."""
    connections = 0

    async def hang_up(conn: Conn) -> None:
        nonlocal connections
        connections += 1
        await conn.read_request()

    async with RawServer(hang_up) as server:
        async def scenario(session: Any) -> Any:
            nonlocal connections
            connections = 0
            retry = _retry(exceptions={real_aiohttp.ServerDisconnectedError})
            client = RetryClient(client_session=session, retry_options=retry)

            async def call() -> Any:
                async with client.get(server.url("/")) as resp:
                    return resp.status

            return await outcome(call()), connections

        records = await run_both(scenario)
    assert records["fasthttp"][0] == records["aiohttp"][0] == (
        "raised", "aiohttp.ServerDisconnectedError", "Server disconnected"
    )
    # Three attempts each. (aiohttp also sends each one again on a new connection, as it does
    # for any idempotent request that meets a disconnect; fasthttp only when a pooled
    # connection turns out stale: a difference of its own, not this test's.)
    assert records["fasthttp"][1] == 3 and records["aiohttp"][1] == 6


@async_test(60)
async def test_aiohttp_timeout_per_request_and_timeout_retries() -> None:
    hits: Counter[str] = Counter()
    async with web_server(_app(hits)) as base:
        async def scenario(session: Any) -> Any:
            client = RetryClient(
                client_session=session, retry_options=_retry(exceptions={asyncio.TimeoutError})
            )
            before = hits["/slow"]

            async def call() -> Any:
                timeout = real_aiohttp.ClientTimeout(total=3, sock_read=0.1)
                async with client.get(base + "/slow", timeout=timeout) as resp:
                    return await resp.read()

            return await outcome(call(), lambda exc: None), hits["/slow"] - before

        records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"]
    assert records["fasthttp"][0][:2] == ("raised", "aiohttp.SocketTimeoutError")
    assert records["fasthttp"][1] == 3
