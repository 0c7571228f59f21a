"""google-auth's aiohttp transport (an auth transport) on an injected session:
google.auth.aio.transport.aiohttp.Request(session) under AsyncAuthorizedSession.

The transport passes `timeout=aiohttp.ClientTimeout(total=...)` on every call, catches
`aiohttp.ClientError` (TransportError), `asyncio.TimeoutError` (TimeoutError) and
`aiohttp.ClientPayloadError` while streaming (ResponseError). The session refreshes the
credentials on a 401 through the same transport and sends the request again.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp as real_aiohttp
from aiohttp import web
from google.auth.aio.credentials import Credentials
from google.auth.aio.transport.aiohttp import Request
from google.auth.aio.transport.sessions import AsyncAuthorizedSession

from client_servers import Conn, RawServer, async_test, free_port, web_server
from sdk_sessions import outcome, public_name, run_both


class TokenEndpointCredentials(Credentials):  # type: ignore[misc]
    """Credentials whose refresh asks a token endpoint, through the transport it is given."""

    def __init__(self, token_url: str) -> None:
        super().__init__()
        self.token = "expired"
        self._token_url = token_url

    async def refresh(self, request: Any) -> None:
        response = await request(
            self._token_url, "POST", body=b"grant_type=refresh_token&refresh_token=r1",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=real_aiohttp.ClientTimeout(total=5),
        )
        self.token = json.loads(await response.read())["access_token"]


def _fake_api(log: list[str]) -> web.Application:
    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        log.append(f"token {form['grant_type']}")
        return web.json_response({"access_token": "fresh", "expires_in": 3600})

    async def items(request: web.Request) -> web.Response:
        log.append(f"items {request.headers.get('Authorization')}")
        if request.headers.get("Authorization") != "Bearer fresh":
            return web.json_response({"error": "expired"}, status=401)
        return web.json_response({"items": [1, 2, 3]})

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for piece in (b"alpha-", b"beta-", b"gamma"):
            await response.write(piece)
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_post("/token", token)
    app.router.add_get("/v1/items", items)
    app.router.add_get("/v1/stream", stream)
    app.router.add_get("/v1/slow", slow)
    return app


def _google_error(exc: BaseException) -> Any:
    """The SDK's error and what it wraps (aiohttp's class, under its aiohttp name)."""
    cause = exc.__cause__
    return str(exc), None if cause is None else public_name(cause)


@async_test(60)
async def test_refresh_on_401_then_json_and_streamed_body() -> None:
    log: list[str] = []
    async with web_server(_fake_api(log)) as base:
        async def scenario(session: Any) -> Any:
            authed = AsyncAuthorizedSession(
                TokenEndpointCredentials(base + "/token"), auth_request=Request(session)
            )

            async def items() -> Any:
                response = await authed.request("GET", base + "/v1/items")
                return response.status_code, json.loads(await response.read())

            async def streamed() -> Any:
                response = await authed.get(base + "/v1/stream")
                return b"".join([chunk async for chunk in response.content(4)])

            return await outcome(items()), await outcome(streamed())

        records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"] == (
        ("ok", (200, {"items": [1, 2, 3]})), ("ok", b"alpha-beta-gamma"),
    )
    run = ["items Bearer expired", "token refresh_token", "items Bearer fresh"]
    assert log == run + run


@async_test(60)
async def test_transport_timeout_and_payload_errors_as_googles() -> None:
    closed_port = free_port()  # nothing listens there

    async def truncated(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")

    async with web_server(_fake_api([])) as base, RawServer(truncated) as short:
        async def scenario(session: Any) -> Any:
            request = Request(session)

            async def body_of(url: str) -> Any:
                response = await request(url, timeout=5)
                return b"".join([chunk async for chunk in response.content()])

            return (
                await outcome(request(f"http://127.0.0.1:{closed_port}/"), _google_error),
                await outcome(request(base + "/v1/slow", timeout=0.2), _google_error),
                await outcome(
                    request(base + "/v1/slow", timeout=real_aiohttp.ClientTimeout(sock_read=0.2)),
                    _google_error,
                ),
                await outcome(body_of(short.url("/")), _google_error),
            )

        records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"]
    refused, total, sock_read, payload = records["fasthttp"]
    assert refused[:2] == ("raised", "google.TransportError")
    assert refused[2][1] == "aiohttp.ClientConnectorError"
    assert total == (
        "raised", "google.TimeoutError",
        ("Request timed out after 0.2 seconds.", "builtins.TimeoutError"),
    )
    assert sock_read[:2] == ("raised", "google.TransportError")
    assert sock_read[2][1] == "aiohttp.SocketTimeoutError"
    assert payload[:2] == ("raised", "google.ResponseError")
    assert payload[2][1] == "aiohttp.ClientPayloadError"
