"""The server and the parser's strict request grammar (issue 9, items 13/16 and 15), on raw sockets.

- A request target with a byte outside visible ASCII (raw UTF-8, obs-text) is refused at
  parse time: 400, connection closed, no handler run, nothing logged as an unhandled error.
- After a request that ends the connection (`Connection: close`, HTTP/1.0 without
  keep-alive), the server answers that request and nothing after it: not a pipelined request,
  not a 400 for garbage, not a 408 for a head that never completes.

Run once per twin by the suite (scripts/test runs it with and without FASTHTTP_NO_EXTENSIONS).
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from fasthttp import web
from web_helpers import async_test, parse_responses, raw_connection, raw_exchange, serve


def recording_app(seen: list[str]) -> web.Application:
    async def anything(request: web.Request) -> web.Response:
        # Touch everything derived from the target, as handlers and middlewares do.
        seen.append(request.path)
        _ = (request.path_qs, request.raw_path, dict(request.query), request.url)
        if "slow" in request.path:
            await asyncio.sleep(0.6)
        return web.Response(text=f"{request.method} {request.path_qs}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    return app


# --------------------------------------------------------------------------- items 13 / 16

NON_ASCII_TARGETS = {
    "utf8_path": b"/caf\xc3\xa9",
    "latin1_path": b"/caf\xe9",
    "byte_80": b"/\x80",
    "byte_ff_in_query": b"/a?q=\xff",
    "utf8_in_query": b"/search?q=\xe2\x82\xac",
    "absolute_form": b"http://127.0.0.1/\xc3\xa9",
}


@pytest.mark.parametrize("name", sorted(NON_ASCII_TARGETS))
@async_test()
async def test_non_ascii_target_is_400_at_parse_time(name: str, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    caplog.set_level(logging.ERROR)
    async with serve(recording_app(seen)) as srv:
        raw = b"GET " + NON_ASCII_TARGETS[name] + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        data = await raw_exchange(srv.port, raw, timeout=5.0)  # returns once the server closed
        responses = parse_responses(data)
        assert [r.status for r in responses] == [400], data
        assert responses[0].header("Connection") == "close"
        assert b"invalid request target" in responses[0].body
        # The same bytes one at a time: the same single refusal.
        data = await raw_exchange(srv.port, [raw[i:i + 1] for i in range(len(raw))], timeout=5.0)
        assert [r.status for r in parse_responses(data)] == [400], data
    assert seen == []  # no handler saw it
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


@async_test()
async def test_request_before_a_non_ascii_target_is_answered() -> None:
    seen: list[str] = []
    async with serve(recording_app(seen)) as srv:
        data = await raw_exchange(
            srv.port,
            b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        assert [(r.status, r.body[:7]) for r in parse_responses(data)] == [
            (200, b"GET /ok"), (400, b"400 Bad")]
    assert seen == ["/ok"]


# --------------------------------------------------------------------------- item 15

CLOSING = {
    "http11_connection_close": b"GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "http10": b"GET /first HTTP/1.0\r\n\r\n",
    "http11_close_with_body": (
        b"POST /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"),
    "http11_close_chunked_body": (
        b"POST /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
}

AFTER = {
    "pipelined_request": b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n",
    "garbage": b"\x16\x03\x01 not http at all\r\n\r\n",
    "bad_request": b"GET /second HTTP/1.1\r\nHost : x\r\n\r\n",
    "crlf": b"\r\n",
}


@pytest.mark.parametrize("after", sorted(AFTER))
@pytest.mark.parametrize("first", sorted(CLOSING))
@async_test()
async def test_nothing_after_a_closing_request_is_answered(first: str, after: str) -> None:
    seen: list[str] = []
    async with serve(recording_app(seen)) as srv:
        # In one write (one read on the server, most likely) and then one byte at a time.
        raw = CLOSING[first] + AFTER[after]
        for pieces in ([raw], [raw[i:i + 1] for i in range(len(raw))]):
            data = await raw_exchange(srv.port, pieces, timeout=5.0)
            responses = parse_responses(data)
            assert [r.status for r in responses] == [200], data
            assert responses[0].body.endswith(b" /first")
    assert seen == ["/first", "/first"]


@async_test()
async def test_incomplete_head_after_a_closing_request_gets_no_408() -> None:
    """Bytes after a closing request are not a request head: no head deadline, no 408."""
    seen: list[str] = []
    async with serve(recording_app(seen), head_timeout=0.2) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.1)  # the handler is running (it takes 0.6 s)
            writer.write(b"GET /second HTTP/1.1\r\n")  # never completed
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), 5.0)
    assert [r.status for r in parse_responses(data)] == [200], data
    assert seen == ["/slow"]


@async_test()
async def test_later_read_after_a_closing_request_in_flight() -> None:
    """The closing request is being handled when the next bytes come, in a separate read."""
    seen: list[str] = []
    async with serve(recording_app(seen)) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.1)
            writer.write(b"GET /second HTTP/1.1\r\nHost : bad\r\n\r\n")
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), 5.0)
    assert [r.status for r in parse_responses(data)] == [200], data
    assert seen == ["/slow"]
