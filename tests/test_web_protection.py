"""Protection: malformed and smuggling-shaped requests refused (400, connection closed), size
limits (400/431), the keep-alive timeout, the request-head deadline, pipelining in order,
handler failures answered 500 while serving goes on."""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp
import pytest

from fasthttp import web
from web_helpers import (
    HOST, app_with, async_test, parse_responses, raw_connection, raw_exchange, read_response,
    read_until_close, serve, simple_get,
)


def echo_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(text=f"{request.method} {request.path_qs} {len(body)} {body[:20]!r}")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("t", "0.05")))
        return web.Response(text=f"slow {request.query.get('n', '')}")

    async def boom(request: web.Request) -> web.Response:
        raise ZeroDivisionError("handler bug")

    async def boom_midstream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"partial")
        raise RuntimeError("failed halfway")

    async def returns_none(request: web.Request) -> None:
        return None

    app = web.Application()
    app.router.add_route("*", "/", echo)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/slow", slow)
    app.router.add_get("/boom", boom)
    app.router.add_get("/boom-midstream", boom_midstream)
    app.router.add_get("/none", returns_none)
    return app


async def assert_refused(port: int, raw: bytes, statuses: tuple[int, ...] = (400,)) -> None:
    """The server answers one error response and closes (nothing smuggled gets answered)."""
    data = await raw_exchange(port, raw, timeout=5.0)  # returns only once the server has closed
    responses = parse_responses(data)
    assert [r.status for r in responses] == [responses[0].status], (raw, data)
    assert responses[0].status in statuses, (raw, data)
    assert responses[0].header("Connection") == "close"


SMUGGLING = {
    "cl_and_te": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "te_and_cl": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "duplicate_differing_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "cl_list_differing": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!",
    "cl_signed": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
    "cl_not_number": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello",
    "te_not_chunked": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
    "te_chunked_not_last": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "te_identity": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
    "te_chunked_twice": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "te_obfuscated": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    "obs_fold": b"GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
    "obs_fold_te": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    "bare_lf_request_line": b"GET / HTTP/1.1\nHost: x\r\n\r\n",
    "bare_lf_headers": b"GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n",
    "bare_cr": b"GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n",
    "space_before_colon": b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    "space_before_colon_te": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "tab_before_colon": b"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
    "chunk_size_not_hex": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "chunk_size_negative": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
    "chunk_size_0x": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
    "chunk_size_overflow": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "chunk_size_empty": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n",
    "chunk_data_too_long": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
    "nul_in_header": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "ctl_in_header_name": b"GET / HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n",
    "empty_header_name": b"GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n",
}

MALFORMED = {
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "no_version": b"GET /\r\n\r\n",
    "bad_version": b"GET / HTTP/x.y\r\nHost: x\r\n\r\n",
    "lowercase_version": b"GET / http/1.1\r\nHost: x\r\n\r\n",
    "space_in_target": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad_method_char": b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
    "double_space": b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
    "header_no_colon": b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "ctl_in_target": b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(SMUGGLING))
@async_test()
async def test_smuggling_shapes_refused(name: str) -> None:
    async with serve(echo_app()) as srv:
        await assert_refused(srv.port, SMUGGLING[name])


@pytest.mark.parametrize("name", sorted(MALFORMED))
@async_test()
async def test_malformed_requests_refused(name: str) -> None:
    async with serve(echo_app()) as srv:
        await assert_refused(srv.port, MALFORMED[name])


@async_test()
async def test_refusal_after_good_request_on_same_connection() -> None:
    async with serve(echo_app()) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            writer.write(simple_get("/echo?a=1"))
            resp = await read_response(reader)
            assert (resp.status, resp.body) == (200, b"GET /echo?a=1 0 b''")
            writer.write(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n" + simple_get("/after"))
            [resp] = parse_responses(await read_until_close(reader))
            assert resp.status == 400 and resp.header("Connection") == "close"
        # A batch with a bad request in it, in one read: the request before the bad one is
        # answered, then one 400 and a close (requests after the bad one are never answered).
        data = await raw_exchange(srv.port, simple_get("/echo?a=1") + b"GET / HTTP/1.1\r\nHost : x\r\n\r\n" + simple_get("/after"))
        responses = parse_responses(data)
        assert [r.status for r in responses] == [200, 400]
        assert responses[0].body == b"GET /echo?a=1 0 b''"
        # one byte at a time: the same answers
        data = await raw_exchange(srv.port, [bytes([b]) for b in SMUGGLING["cl_and_te"]])
        assert [r.status for r in parse_responses(data)] == [400]


@async_test()
async def test_limits_request_line_and_headers() -> None:
    async with serve(echo_app()) as srv:
        await assert_refused(srv.port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", (400, 414))
        await assert_refused(srv.port, simple_get("/", "X-Big: " + "b" * 9000 + "\r\n"), (431, 400))
        many = "".join(f"X-H{i}: v\r\n" for i in range(200))
        await assert_refused(srv.port, simple_get("/", many), (431, 400))
        # just under the limits is fine
        data = await raw_exchange(srv.port, simple_get("/", "X-Big: " + "b" * 8000 + "\r\nConnection: close\r\n"))
        assert parse_responses(data)[0].status == 200
        fine = "".join(f"X-H{i}: v\r\n" for i in range(100))
        data = await raw_exchange(srv.port, simple_get("/", fine + "Connection: close\r\n"))
        assert parse_responses(data)[0].status == 200
    # limits are settable per server
    async with serve(echo_app(), max_line_size=100, max_field_size=100, max_headers=5) as srv:
        await assert_refused(srv.port, b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: x\r\n\r\n", (400, 414))
        await assert_refused(srv.port, simple_get("/", "X-Big: " + "b" * 200 + "\r\n"), (431, 400))


@async_test()
async def test_pipelined_requests_answered_in_order() -> None:
    async with serve(echo_app()) as srv:
        batch = (
            b"GET /slow?t=0.2&n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /echo?n=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            b"GET /slow?t=0.01&n=3 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"PUT /echo?n=4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            b"GET /echo?n=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        expected = [b"slow 1", b"POST /echo?n=2 5 b'hello'", b"slow 3", b"PUT /echo?n=4 5 b'abcde'",
                    b"GET /echo?n=5 0 b''"]
        data = await raw_exchange(srv.port, batch)
        assert [r.body for r in parse_responses(data)] == expected
        # the same batch cut at random places
        rng = random.Random(5)
        for _ in range(3):
            cuts = sorted(rng.sample(range(1, len(batch)), 12))
            pieces = [batch[a:b] for a, b in zip([0, *cuts], [*cuts, len(batch)])]
            data = await raw_exchange(srv.port, pieces, pause=0.001)
            assert [r.body for r in parse_responses(data)] == expected


@async_test()
async def test_keepalive_timeout_closes_idle_connection() -> None:
    async with serve(echo_app(), keepalive_timeout=0.3) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            writer.write(simple_get("/echo"))
            assert (await read_response(reader)).status == 200
            started = time.monotonic()
            assert await read_until_close(reader, timeout=5) == b""
            assert 0.2 < time.monotonic() - started < 3
        # a connection that never sends anything is closed too
        async with raw_connection(srv.port) as (reader, writer):
            started = time.monotonic()
            assert await read_until_close(reader, timeout=5) == b""
            assert time.monotonic() - started < 3
        # activity before the timeout keeps the connection
        async with raw_connection(srv.port) as (reader, writer):
            for _ in range(4):
                await asyncio.sleep(0.15)
                writer.write(simple_get("/echo"))
                assert (await read_response(reader)).status == 200


@async_test()
async def test_slow_request_head_is_cut_off() -> None:
    async with serve(echo_app(), head_timeout=0.5, keepalive_timeout=30) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            request = simple_get("/echo", "X-Padding: " + "p" * 100 + "\r\n")
            started = time.monotonic()
            closed_at = None
            for byte in request:  # one byte every 50 ms: the head would take > 5 s
                if reader.at_eof() or writer.is_closing():
                    break
                try:
                    writer.write(bytes([byte]))
                    await writer.drain()
                except ConnectionError:
                    break
                await asyncio.sleep(0.05)
                if time.monotonic() - started > 4:
                    break
            data = await read_until_close(reader, timeout=3)
            closed_at = time.monotonic() - started
        assert closed_at < 4.5
        responses = parse_responses(data)
        assert [r.status for r in responses] in ([408], [])
        # a head that completes in time is served, even if it comes in pieces
        async with raw_connection(srv.port) as (reader, writer):
            for piece in (b"GET /echo HT", b"TP/1.1\r\nHost:", b" x\r\n\r\n"):
                writer.write(piece)
                await asyncio.sleep(0.1)
            assert (await read_response(reader)).status == 200


@async_test()
async def test_slow_body_is_not_a_head() -> None:
    # The head deadline covers the head only: a body may take longer (flow-controlled stream).
    async with serve(echo_app(), head_timeout=0.3) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
            for byte in b"abcdef":
                await asyncio.sleep(0.1)
                writer.write(bytes([byte]))
            resp = await read_response(reader)
            assert resp.body == b"POST /echo 6 b'abcdef'"


@async_test()
async def test_handler_errors_500_and_serving_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    async with serve(echo_app()) as srv:
        async with aiohttp.ClientSession() as s:
            for path in ("/boom", "/none", "/boom"):
                async with s.get(srv.url(path)) as r:
                    assert r.status == 500
                    assert await r.text() == "500: Internal Server Error"
                async with s.get(srv.url("/echo")) as r:
                    assert r.status == 200
        # a handler failing after its response started: the response is cut short, not replaced
        data = await raw_exchange(srv.port, simple_get("/boom-midstream") + simple_get("/echo"))
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"partial" in data and b"HTTP/1.1 500" not in data and not data.endswith(b"0\r\n\r\n")
        assert data.count(b"HTTP/1.1 ") == 1
        data = await raw_exchange(srv.port, simple_get("/echo", "Connection: close\r\n"))
        assert parse_responses(data)[0].status == 200
    assert "ZeroDivisionError" in caplog.text


@async_test()
async def test_graceful_shutdown_completes_request_in_progress() -> None:
    entered = asyncio.Event()
    events: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        entered.set()
        await asyncio.sleep(0.5)
        events.append("handler done")
        return web.Response(text="finished")

    async def on_shutdown(app: web.Application) -> None:
        events.append("on_shutdown")

    async def on_cleanup(app: web.Application) -> None:
        events.append("on_cleanup")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as s:

        async def fetch() -> tuple[int, str]:
            async with s.get(f"http://{HOST}:{port}/slow") as r:
                return r.status, await r.text()

        request = asyncio.ensure_future(fetch())
        idle_reader, idle_writer = await asyncio.open_connection(HOST, port)  # an idle keep-alive
        await asyncio.wait_for(entered.wait(), 5)
        started = time.monotonic()
        await asyncio.wait_for(runner.cleanup(), 10)
        assert time.monotonic() - started < 4
        assert await asyncio.wait_for(request, 5) == (200, "finished")
        assert events == ["on_shutdown", "handler done", "on_cleanup"]
        assert await read_until_close(idle_reader, 2) == b""  # idle connections closed
        idle_writer.close()
        with pytest.raises(OSError):  # no longer accepting
            await asyncio.open_connection(HOST, port)


@async_test()
async def test_header_injection_in_a_response_becomes_a_500() -> None:
    """A handler putting CR/LF into a response header must not forge a header or a response."""

    async def evil(request: web.Request) -> web.Response:
        return web.Response(text="x", headers={"X-Evil": "a\r\nSet-Cookie: stolen=1"})

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="fine")

    async with serve(app_with(web.get("/evil", evil), web.get("/ok", ok))) as srv:
        data = await raw_exchange(srv.port, simple_get("/evil", "Connection: close\r\n"))
        assert b"stolen" not in data
        responses = parse_responses(data)
        assert [r.status for r in responses] == [500]
        data = await raw_exchange(srv.port, simple_get("/ok", "Connection: close\r\n"))
        assert [r.status for r in parse_responses(data)] == [200]


@pytest.mark.parametrize("reads", ["handler", "nobody"])
@async_test()
async def test_body_malformed_in_a_later_read(reads: str) -> None:
    """The head and a good chunk arrive, the bad chunk later: one answer, then the close.

    A handler reading the body gets the parse error and the client a 400; a handler that
    ignores the body answers normally, and the connection closes (the body cannot be skipped).
    """
    async def ignores(request: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.Response(text="did not read")

    app = echo_app()
    app.router.add_post("/ignores", ignores)
    path = "/" if reads == "handler" else "/ignores"
    head = f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".encode()
    async with serve(app) as srv:
        data = await raw_exchange(srv.port, [head, b"zz\r\n"], pause=0.05)
    responses = parse_responses(data)
    assert len(responses) == 1, data
    if reads == "handler":
        assert responses[0].status == 400, data
        assert b"chunk-size" in responses[0].body
    else:
        assert (responses[0].status, responses[0].body) == (200, b"did not read")
    assert responses[0].header("Connection") == "close", data
