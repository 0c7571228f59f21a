"""A connection goes back to the pool only at a message boundary in both directions (issue 9).

- An answer that arrives before the streamed request body is all written (a 413 or 401 to an
  upload): the caller gets it, the body writer is stopped, the connection is closed, and the
  next request goes on a fresh connection, never after half a body.
- Expect: 100-continue answered with a final status and no 100: the body is never sent, so the
  connection is not reused.
- Requests cancelled at random points while they connect leave no socket behind.
- A redirect to a URL with an empty host is refused at once.

The client side selects its parser twin at import; the suite runs once per twin
(FASTHTTP_NO_EXTENSIONS=1 for the pure one, see scripts/test).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
from typing import AsyncIterator

import pytest

import fasthttp as aiohttp
from client_servers import (
    Conn,
    RawServer,
    assert_pool_clean,
    async_test,
    idle_count,
    keep_alive,
    response,
)

PIECE = b"a" * 1000


def early_answer_server(answer: bytes, seen: dict[int, bytearray]) -> RawServer:
    """The first connection answers `answer` as soon as the head is in, without reading the
    body; then, like a keep-alive server, it would answer whatever comes next on it ("desync",
    the sign of a request written after half a body). Later connections answer "fresh"."""

    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            await conn.read_request(body=False)
            await conn.send(answer)
            rest = seen.setdefault(conn.index, bytearray())
            while True:
                data = await conn.reader.read(65536)
                if not data:
                    return  # the client closed it
                rest += data
                if b"GET /next" in rest:
                    await conn.send(response(200, b"desync"))
                    rest.clear()
                    rest += b"<answered a request read after the body's start>"
        else:
            await keep_alive(lambda r: response(200, b"fresh"))(conn)

    return RawServer(handler)


def held_body(release: asyncio.Event, stopped: list[bool]) -> AsyncIterator[bytes]:
    """A body whose second half waits for `release`; notes when it is stopped."""

    async def gen() -> AsyncIterator[bytes]:
        try:
            yield PIECE
            await release.wait()
            yield PIECE
        finally:
            stopped.append(True)

    return gen()


BODY_KINDS = {
    "chunked": {},
    "content-length": {"headers": {"Content-Length": str(2 * len(PIECE))}},
}
ANSWERS = {
    "413-empty": response(413, b""),
    "413-with-body": response(413, b"too large"),
    "401-with-body": response(401, b"who are you", headers={"WWW-Authenticate": "Basic"}),
}


@pytest.mark.parametrize("answer", list(ANSWERS), ids=list(ANSWERS))
@pytest.mark.parametrize("kind", list(BODY_KINDS), ids=list(BODY_KINDS))
@async_test(timeout=10)
async def test_early_answer_to_a_streamed_body_closes_the_connection(kind: str, answer: str) -> None:
    seen: dict[int, bytearray] = {}
    release = asyncio.Event()
    stopped: list[bool] = []
    async with early_answer_server(ANSWERS[answer], seen) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.post(
                server.url("/upload"), data=held_body(release, stopped), **BODY_KINDS[kind]
            )
            # The caller gets the early answer, body included.
            assert resp.status == int(answer[:3])
            expected = ANSWERS[answer].split(b"\r\n\r\n", 1)[1]
            assert await resp.read() == expected
            resp.release()
            # The next request, while the upload's source would still give more.
            second = asyncio.ensure_future(session.get(server.url("/next")))
            await asyncio.sleep(0.05)
            release.set()
            async with await asyncio.wait_for(second, 3) as resp2:
                assert await resp2.read() == b"fresh"
            # The body writer was stopped, not left running or waiting.
            await asyncio.wait_for(resp.wait_for_close(), 2)
            assert stopped == [True]
            assert server.accepted == 2
            assert b"GET /next" not in seen[0]
            assert_pool_clean(session.connector)
            assert idle_count(session.connector) == 1  # the fresh one
        assert await server.wait_open_count(0) == 0
    assert not server.errors, server.errors


@pytest.mark.parametrize("kind", list(BODY_KINDS), ids=list(BODY_KINDS))
@async_test(timeout=10)
async def test_early_answer_with_async_with_does_not_wait_for_the_body(kind: str) -> None:
    """`async with` waits for the body writer on exit: a writer stopped with its connection
    lets it return at once (it would wait for ever on a source that never ends)."""
    seen: dict[int, bytearray] = {}
    never = asyncio.Event()
    stopped: list[bool] = []
    async with early_answer_server(response(413, b"no"), seen) as server:
        async with aiohttp.ClientSession() as session:
            async with session.post(
                server.url("/upload"), data=held_body(never, stopped), **BODY_KINDS[kind]
            ) as resp:
                assert resp.status == 413
                assert await resp.read() == b"no"
            assert stopped == [True]
            assert_pool_clean(session.connector)
            assert idle_count(session.connector) == 0
        assert await server.wait_open_count(0) == 0


@pytest.mark.parametrize("kind", ["chunked", "content-length"])
@async_test(timeout=10)
async def test_early_answer_from_a_peer_that_never_reads_frees_the_socket(kind: str) -> None:
    """The upload fills every buffer on the way (the peer reads nothing after the head): once
    the early answer is read the socket goes at once, its unsent rest dropped, rather than
    waiting for ever to flush half a body nobody wants."""
    piece = b"z" * 262144
    pieces = 400  # 100 MiB announced; the buffers fill long before

    async def handler(conn: Conn) -> None:
        await conn.read_request(body=False)
        answer = response(413, b"no")
        await conn.send(answer[:-2])
        await asyncio.sleep(0.3)  # meanwhile the client's writer fills every buffer
        await conn.send(answer[-2:])
        await asyncio.sleep(30)  # reads nothing more; cancelled when the test ends

    async def body() -> AsyncIterator[bytes]:
        for _ in range(pieces):
            yield piece

    headers = {"Content-Length": str(pieces * len(piece))} if kind == "content-length" else {}
    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.post(server.url(), data=body(), headers=headers)
            assert resp.status == 413
            connection = resp.connection
            assert connection is not None and connection.protocol is not None
            protocol = connection.protocol
            assert protocol.transport is not None
            for _ in range(250):  # until the writer waits on a full socket (bounded: 5 s)
                if protocol.transport.get_write_buffer_size() > 0:
                    break
                await asyncio.sleep(0.02)
            assert protocol.transport.get_write_buffer_size() > 0
            sock = protocol.transport.get_extra_info("socket")
            assert await resp.read() == b"no"  # the end of the answer releases: closed
            for _ in range(100):
                if sock.fileno() == -1:
                    break
                await asyncio.sleep(0.02)
            assert sock.fileno() == -1, "the socket is still open, flushing half a body"
            await asyncio.wait_for(resp.wait_for_close(), 2)
            assert_pool_clean(session.connector)


@async_test(timeout=10)
async def test_early_answer_to_a_large_in_memory_body_frees_the_socket() -> None:
    """A bytes body is handed to the transport in one write, so no writer task is running when
    an early answer ends: the part the peer never took is still queued in the transport. The
    connection is not pooled with it (the next request would wait behind 32 MiB nobody reads)
    and is aborted, not flushed for ever; the next request goes on a fresh connection."""
    data = b"m" * (32 * 1024 * 1024)

    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            await conn.read_request(body=False)
            answer = response(413, b"no")
            await conn.send(answer[:-2])  # the head now, the body's end later: not released yet
            await asyncio.sleep(0.3)  # the client's kernel buffers fill; the rest stays queued
            await conn.send(answer[-2:])
            await asyncio.sleep(30)  # reads nothing more; cancelled when the test ends
        else:
            await keep_alive(lambda r: response(200, b"fresh"))(conn)

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.post(server.url("/upload"), data=data)
            assert resp.status == 413
            connection = resp.connection
            assert connection is not None and connection.protocol is not None
            transport = connection.protocol.transport
            assert transport is not None and transport.get_write_buffer_size() > 0
            sock = transport.get_extra_info("socket")
            assert await resp.read() == b"no"  # the end of the answer releases it: not pooled
            for _ in range(100):
                if sock.fileno() == -1:
                    break
                await asyncio.sleep(0.02)
            assert sock.fileno() == -1, "the socket is still open, flushing a body nobody reads"
            assert idle_count(session.connector) == 0
            async with session.get(server.url("/next")) as resp2:
                assert await resp2.read() == b"fresh"
            assert server.accepted == 2
            assert_pool_clean(session.connector)


@pytest.mark.parametrize("kind", list(BODY_KINDS), ids=list(BODY_KINDS))
@async_test(timeout=10)
async def test_streamed_body_read_before_the_answer_keeps_the_connection(kind: str) -> None:
    """The rule does not cost reuse: a body fully sent, then answered, leaves the connection
    at a boundary in both directions."""

    async def body() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield PIECE
            await asyncio.sleep(0)

    headers = {"Content-Length": str(3 * len(PIECE))} if kind == "content-length" else {}
    async with RawServer(keep_alive(lambda r: response(200, b"%d" % len(r.body)))) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.post(server.url(), data=body(), headers=headers) as resp:
                    assert await resp.read() == b"3000"
            assert server.accepted == 1
            assert_pool_clean(session.connector)


@pytest.mark.parametrize("data_kind", ["bytes", "stream"])
@async_test(timeout=10)
async def test_expect_100_answered_with_a_final_status_closes_the_connection(data_kind: str) -> None:
    """417 and no 100: the body is never sent. A server that now reads the announced body
    would take the next request for it; the client must not send one there."""
    eof_on_first: list[bool] = []

    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            request = await conn.read_request(body=False)
            assert request is not None and request.header("Expect") == "100-continue"
            await conn.send(response(417, b""))
            data = await conn.reader.read(65536)
            if data:  # the next request (or a body) on this connection
                await conn.send(response(200, b"desync"))
                await conn.reader.read()
            else:
                eof_on_first.append(True)
        else:
            await keep_alive(lambda r: response(200, b"fresh"))(conn)

    async def stream() -> AsyncIterator[bytes]:
        yield b"x" * 4096

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            data = b"x" * 4096 if data_kind == "bytes" else stream()
            headers = {} if data_kind == "bytes" else {"Content-Length": "4096"}
            async with session.post(server.url(), data=data, headers=headers, expect100=True) as resp:
                assert resp.status == 417
                assert await resp.read() == b""
            async with session.get(server.url("/next")) as resp2:
                assert await resp2.read() == b"fresh"
            assert server.accepted == 2
            assert_pool_clean(session.connector)
        assert await server.wait_open_count(0) == 0
    assert eof_on_first == [True]
    assert not server.errors, server.errors


@async_test(timeout=10)
async def test_expect_100_continued_keeps_the_connection() -> None:
    async def handler(conn: Conn) -> None:
        while True:
            request = await conn.read_request(body=False)
            if request is None:
                return
            await conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            await conn.reader.readexactly(int(request.header("content-length") or 0))
            await conn.send(response(200, b"ok"))

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.post(server.url(), data=b"payload", expect100=True) as resp:
                    assert await resp.read() == b"ok"
            assert server.accepted == 1
            assert_pool_clean(session.connector)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
@async_test(timeout=60)
async def test_cancelling_requests_while_they_connect_leaks_no_socket() -> None:
    """Thousands of requests cancelled at random points (mostly while connecting, with the
    default ClientTimeout: total and sock_connect both set): the process's descriptors come
    back to where they were, and no cancellation is lost (a cancelled request never returns
    a response)."""
    rng = random.Random(9)
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        gc.collect()
        baseline = _open_fds()
        # force_close: every request connects, so every cancellation can land in a connect.
        connector = aiohttp.TCPConnector(force_close=True, limit=0)
        session = aiohttp.ClientSession(connector=connector)
        assert session.timeout.total is not None and session.timeout.sock_connect is not None
        cancelled = swallowed = completed = 0
        loop = asyncio.get_running_loop()
        # 300 rounds of 10, and on until 1000 were cancelled (how many are depends on the
        # machine's speed: a loaded one completes more before the cancel lands); bounded in time.
        end = loop.time() + 30
        for rounds in range(1000):
            if (rounds >= 300 and cancelled > 1000) or loop.time() > end:
                break
            tasks = [asyncio.ensure_future(session.get(server.url())) for _ in range(10)]
            for _ in range(rng.randrange(40)):
                await asyncio.sleep(0)
            asked = [task.cancel() for task in tasks]
            for was_asked, task in zip(asked, tasks):
                try:
                    resp = await task
                except asyncio.CancelledError:
                    cancelled += 1
                    continue
                completed += 1
                resp.release()
                if was_asked:
                    swallowed += 1
        await session.close()
        assert cancelled > 1000, (cancelled, completed)
        # Closing is asynchronous (connection_lost runs on a later loop turn; the server sees
        # its side closed after that): wait, bounded, for the count to settle.
        settled_by = loop.time() + 10
        while loop.time() < settled_by:
            gc.collect()
            if _open_fds() <= baseline:
                break
            await asyncio.sleep(0.02)
        assert _open_fds() == baseline, f"{_open_fds() - baseline} descriptors leaked"
        assert swallowed == 0, f"{swallowed} cancelled requests returned a response"


@async_test()
async def test_cancelling_a_request_during_its_name_lookup_spares_the_others() -> None:
    """Requests for one host name share one lookup; the first one's cancellation must not
    cancel it under the others (they got CancelledError without being cancelled)."""
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        for _ in range(10):
            async with aiohttp.ClientSession() as session:
                url = server.url(host="localhost")
                first = asyncio.ensure_future(session.get(url))
                second = asyncio.ensure_future(session.get(url))
                await asyncio.sleep(0)
                await asyncio.sleep(0)  # both now wait on the lookup
                first.cancel()
                async with await second as resp:
                    assert await resp.read() == b"ok"
                with pytest.raises(asyncio.CancelledError):
                    await first
                assert_pool_clean(session.connector)


@pytest.mark.parametrize(
    "location", ["http:///x", "http://", "http:///", "https:///x", "http:\\\\\\x", "http:/\\x"]
)
@async_test()
async def test_redirect_to_an_empty_host_is_refused(location: str) -> None:
    async with RawServer(keep_alive(lambda r: response(302, b"", headers={"Location": location}))) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.InvalidUrlRedirectClientError):
                await session.get(server.url("/start"), max_redirects=5)
            assert len(server.requests) == 1  # refused at once, not followed
            assert_pool_clean(session.connector)


@pytest.mark.parametrize(("location", "path"), [("http:/x", "/x"), ("http:x", "/x"), ("///x", "/x")])
@async_test()
async def test_redirect_without_authority_is_a_path_of_the_current_host(location: str, path: str) -> None:
    """What browsers and aiohttp 3.14 do with "http:/x" and "http:x": the current host's path."""

    def route(request: object) -> bytes:
        target = getattr(request, "target")
        if target == "/start":
            return response(302, b"", headers={"Location": location})
        return response(200, target.encode())

    async with RawServer(keep_alive(route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/start")) as resp:
                assert await resp.read() == path.encode()
                assert resp.url.path == path


@async_test()
async def test_a_connection_whose_peer_sent_its_fin_is_not_reused() -> None:
    # Some peers (tinyproxy, for one) close after each response without saying
    # Connection: close. Their FIN is seen by eof_received one loop turn before
    # connection_lost: in between, the pool must not hand the connection out (a request
    # written there is lost, and only the stale-connection retry would save it).
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/a")) as resp:
                assert await resp.read() == b"ok"
            connector = session.connector
            assert connector is not None
            (idle,) = connector._idle.values()
            protocol = idle[0][0]
            assert protocol.is_reusable()
            protocol.eof_received()  # what asyncio calls on the peer's FIN, before connection_lost
            assert not protocol.is_reusable()
            async with session.get(server.url("/b")) as resp:
                assert await resp.read() == b"ok"
    assert server.accepted == 2  # the second request went on a new connection
