"""slack_sdk's AsyncWebClient (a chat SDK) on an injected session: AsyncWebClient(session=...).

A fake Slack Web API on 127.0.0.1: a 429 with Retry-After (the SDK's rate-limit retry
handler waits and calls again), cursor pagination (`async for page in ...`), a JSON post,
a multipart file upload, an API error (SlackApiError) and a connection error (the SDK's
connection retry handler catches aiohttp's classes, then lets aiohttp's error through).
slack_sdk passes `timeout=aiohttp.ClientTimeout(...)`, `data=..., json=None` and ssl/proxy
on every call.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from client_servers import async_test, free_port, web_server
from sdk_sessions import outcome, run_both

TOKEN = "xoxb-test-token"
CHANNELS = [{"id": f"C{i}", "name": f"channel-{i}"} for i in range(5)]


def _fake_slack(calls: list[str]) -> web.Application:
    rate_limited: set[str] = set()

    def authorized(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    async def conversations_list(request: web.Request) -> web.Response:
        calls.append(f"list {request.query.get('cursor', '')}")
        if not authorized(request):
            return web.json_response({"ok": False, "error": "not_authed"})
        run = request.headers["User-Agent"]
        if run not in rate_limited:  # the first call of each run is rate limited
            rate_limited.add(run)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        start = int(request.query.get("cursor") or 0)
        limit = int(request.query["limit"])
        end = start + limit
        next_cursor = str(end) if end < len(CHANNELS) else ""
        return web.json_response({
            "ok": True, "channels": CHANNELS[start:end],
            "response_metadata": {"next_cursor": next_cursor},
        })

    async def post_message(request: web.Request) -> web.Response:
        body = await request.json()
        calls.append(f"post {body['channel']}")
        if body["channel"] == "nope":
            return web.json_response({"ok": False, "error": "channel_not_found"})
        return web.json_response({"ok": True, "channel": body["channel"], "message": {"text": body["text"]}})

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        calls.append("upload")
        return web.json_response({
            "ok": True,
            "file": {"name": upload.filename, "size": len(upload.file.read()), "title": form["title"]},
        })

    app = web.Application()
    app.router.add_route("*", "/api/conversations.list", conversations_list)
    app.router.add_post("/api/chat.postMessage", post_message)
    app.router.add_post("/api/files.upload", upload)
    return app


def _client(session: Any, base_url: str) -> AsyncWebClient:
    client = AsyncWebClient(
        token=TOKEN, base_url=base_url, session=session, timeout=5,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )
    # Both runs send the same requests; the agent tells the fake server which run it is.
    client.headers["User-Agent"] = type(session).__module__
    return client


@async_test(60)
async def test_rate_limit_then_cursor_pagination() -> None:
    calls: list[str] = []
    async with web_server(_fake_slack(calls)) as base:
        async def scenario(session: Any) -> Any:
            client = _client(session, base + "/api/")

            async def pages() -> Any:
                names = []
                async for page in await client.conversations_list(limit=2):
                    names.append([c["name"] for c in page["channels"]])
                return names

            return await outcome(pages())

        records = await run_both(scenario)
    expected = ("ok", [["channel-0", "channel-1"], ["channel-2", "channel-3"], ["channel-4"]])
    assert records["fasthttp"] == records["aiohttp"] == expected
    run = ["list ", "list ", "list 2", "list 4"]  # the 429, its retry, then two cursors
    assert calls == run + run


@async_test(60)
async def test_post_upload_and_api_error() -> None:
    calls: list[str] = []
    async with web_server(_fake_slack(calls)) as base:
        async def scenario(session: Any) -> Any:
            client = _client(session, base + "/api/")

            async def post() -> Any:
                response = await client.chat_postMessage(channel="C1", text="héllo")
                return response.status_code, response["message"]["text"]

            async def upload() -> Any:
                response = await client.api_call(
                    "files.upload", files={"file": b"0123456789"},
                    data={"title": "digits", "filename": "d.txt"},
                )
                return response["file"]

            def api_error(exc: BaseException) -> Any:
                assert isinstance(exc, SlackApiError)
                return exc.response.status_code, exc.response["error"]

            return (
                await outcome(post()),
                await outcome(upload()),
                await outcome(client.chat_postMessage(channel="nope", text="x"), api_error),
            )

        records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"] == (
        ("ok", (200, "héllo")),
        ("ok", {"name": "file", "size": 10, "title": "digits"}),
        ("raised", "slack_sdk.SlackApiError", (200, "channel_not_found")),
    )


@async_test(60)
async def test_connection_error_is_retried_then_aiohttps() -> None:
    port = free_port()  # nothing listens there

    async def scenario(session: Any) -> Any:
        client = _client(session, f"http://127.0.0.1:{port}/api/")
        return await outcome(client.auth_test(), lambda exc: (exc.host, exc.port))  # type: ignore[attr-defined]

    records = await run_both(scenario)
    assert records["fasthttp"] == records["aiohttp"] == (
        "raised", "aiohttp.ClientConnectorError", ("127.0.0.1", port)
    )
