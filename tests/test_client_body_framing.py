"""The body's framing headers a caller sets (Content-Length, Transfer-Encoding) next to the
session's own (chunked=, compress=), checked against aiohttp's client on aiohttp.web.

Where aiohttp refuses a combination (ValueError), ours refuses it with the same message.
A Content-Length header that does not match an in-memory body is refused too, before
anything is sent: aiohttp cuts the body to the header's length (silent truncation) or, for a
shorter body, waits for ever for the missing bytes (checked: its request times out).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp as reference
import pytest
from aiohttp import web
from client_servers import async_test, web_server

import fasthttp

CLIENTS = (reference, fasthttp)


def _app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/", echo)
    return app


async def _post(client: Any, base: str, **kwargs: Any) -> tuple[Any, ...]:
    try:
        async with client.ClientSession() as session:
            async with session.post(base + "/", **kwargs) as resp:
                return resp.status, await resp.read()
    except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (
            {"data": b"abc", "chunked": True, "headers": {"Transfer-Encoding": "chunked"}},
            ("ValueError", 'chunked can not be set if "Transfer-Encoding: chunked" header is set'),
        ),
        (
            {"data": b"abc", "compress": "deflate", "headers": {"Transfer-Encoding": "chunked"}},
            ("ValueError", 'chunked can not be set if "Transfer-Encoding: chunked" header is set'),
        ),
        (
            {"data": b"abc", "chunked": True, "headers": {"Content-Length": "3"}},
            ("ValueError", "chunked can not be set if Content-Length header is set"),
        ),
        ({"data": b"abc", "headers": {"Content-Length": "3"}}, (200, b"abc")),
        ({"data": b"abc", "chunked": True}, (200, b"abc")),
    ],
)
@async_test(20)
async def test_framing_as_aiohttp(kwargs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    async with web_server(_app()) as base:
        for client in CLIENTS:
            assert await _post(client, base, **kwargs) == expected, client.__name__


@pytest.mark.parametrize("declared", ["2", "5", "x"])
@async_test(20)
async def test_a_content_length_that_does_not_match_the_body_is_refused(declared: str) -> None:
    async with web_server(_app()) as base:
        kind, message = await _post(fasthttp, base, data=b"abc", headers={"Content-Length": declared})
        assert kind == "ValueError"
        assert repr(declared) in message


@async_test(20)
async def test_aiohttp_truncates_or_waits_where_we_refuse() -> None:
    # What the refusal replaces: a body cut to 2 bytes, and a request waiting for 2 bytes
    # that never come.
    async with web_server(_app()) as base:
        assert await _post(reference, base, data=b"abc", headers={"Content-Length": "2"}) == (200, b"ab")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(
                _post(reference, base, data=b"abc", headers={"Content-Length": "5"}), 0.5
            )


@async_test(20)
async def test_a_sized_payload_with_a_matching_header_is_sent() -> None:
    async with web_server(_app()) as base:
        payload = fasthttp.BytesPayload(b"12345")
        assert await _post(fasthttp, base, data=payload, headers={"Content-Length": "5"}) == (200, b"12345")
        payload = fasthttp.BytesPayload(b"12345")
        kind, _ = await _post(fasthttp, base, data=payload, headers={"Content-Length": "4"})
        assert kind == "ValueError"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@async_test(20)
async def test_a_body_method_without_a_body_is_labelled_as_aiohttp(method: str) -> None:
    async def headers(request: web.Request) -> web.Response:
        return web.json_response(
            {name: request.headers.get(name) for name in ("Content-Type", "Content-Length")}
        )

    app = web.Application()
    app.router.add_route("*", "/", headers)
    async with web_server(app) as base:
        seen = []
        for client in CLIENTS:
            async with client.ClientSession() as session:
                for kwargs in ({}, {"skip_auto_headers": ["Content-Type"]}):
                    async with session.request(method, base + "/", **kwargs) as resp:
                        seen.append((client.__name__, kwargs, await resp.json()))
        theirs, ours = seen[:2], seen[2:]
        assert [s[1:] for s in ours] == [s[1:] for s in theirs]
        assert ours[0][2] == {"Content-Type": "application/octet-stream", "Content-Length": "0"}
