"""ClientTimeout: total, connect, sock_connect, sock_read, each firing on time."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any, AsyncIterator

import pytest

import fasthttp as aiohttp
from client_servers import (
    Conn,
    RawServer,
    assert_pool_clean,
    async_test,
    keep_alive,
    response,
)

# Fires no earlier than asked, and not much later (no rounding up to whole seconds).
LATE = 0.25


def assert_on_time(elapsed: float, expected: float) -> None:
    assert expected - 0.01 <= elapsed <= expected + LATE, f"fired after {elapsed:.3f}s, expected {expected}s"


async def silent(conn: Conn) -> None:
    await conn.read_request()
    await conn.reader.read()  # never answers; waits for the client to go


async def timed(coro: Any) -> tuple[BaseException, float]:
    start = time.monotonic()
    try:
        await coro
    except BaseException as exc:  # noqa: BLE001
        return exc, time.monotonic() - start
    raise AssertionError("no timeout")


def test_defaults_and_aliases() -> None:
    assert aiohttp.ClientTimeout() == aiohttp.ClientTimeout(None, None, None, None)

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            assert session.timeout.total == 300
            assert session.timeout.sock_connect == 30
            assert session.timeout.connect is None
            assert session.timeout.sock_read is None

    asyncio.run(asyncio.wait_for(main(), 5))


def test_exception_hierarchy() -> None:
    for exc in (aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError, aiohttp.SocketTimeoutError):
        assert issubclass(exc, asyncio.TimeoutError)
        assert issubclass(exc, aiohttp.ClientError)
    assert issubclass(aiohttp.ConnectionTimeoutError, aiohttp.ServerTimeoutError)
    assert issubclass(aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError)


@async_test()
async def test_total_timeout_waiting_for_head() -> None:
    async with RawServer(silent) as server:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as session:
            exc, elapsed = await timed(session.get(server.url()))
            assert isinstance(exc, asyncio.TimeoutError), repr(exc)
            assert_on_time(elapsed, 0.3)
            assert_pool_clean(session.connector)
        assert await server.wait_open_count(0) == 0


@async_test()
async def test_total_timeout_covers_the_body() -> None:
    async def slow_body(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            await conn.send(b"x")
            await asyncio.sleep(0.05)

    async with RawServer(slow_body) as server:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.4)) as session:
            start = time.monotonic()
            resp = await session.get(server.url())
            with pytest.raises(asyncio.TimeoutError):
                await resp.read()
            assert_on_time(time.monotonic() - start, 0.4)
            assert_pool_clean(session.connector)


@async_test()
async def test_sock_read_waiting_for_head() -> None:
    async with RawServer(silent) as server:
        async with aiohttp.ClientSession() as session:
            timeout = aiohttp.ClientTimeout(sock_read=0.25)
            exc, elapsed = await timed(session.get(server.url(), timeout=timeout))
            assert isinstance(exc, aiohttp.SocketTimeoutError), repr(exc)
            assert isinstance(exc, aiohttp.ServerTimeoutError)
            assert isinstance(exc, asyncio.TimeoutError)
            assert_on_time(elapsed, 0.25)
            assert_pool_clean(session.connector)


@async_test()
async def test_sock_read_server_silent_mid_body() -> None:
    async def stalls(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"y" * 400)
        await conn.reader.read()

    async with RawServer(stalls) as server:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=0.3)) as session:
            resp = await session.get(server.url())
            assert await resp.content.readexactly(400) == b"y" * 400
            exc, elapsed = await timed(resp.read())
            assert isinstance(exc, aiohttp.SocketTimeoutError), repr(exc)
            assert elapsed <= 0.3 + LATE
            assert_pool_clean(session.connector)
        assert await server.wait_open_count(0) == 0


@async_test()
async def test_sock_read_is_silence_between_reads_not_total() -> None:
    async def trickle(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        for _ in range(10):
            await asyncio.sleep(0.08)
            await conn.send(b"z")

    async with RawServer(trickle) as server:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=0.3)) as session:
            start = time.monotonic()
            async with session.get(server.url()) as resp:
                assert await resp.read() == b"z" * 10
            assert time.monotonic() - start > 0.6  # longer than sock_read in all


@async_test()
async def test_per_request_timeout_replaces_session_timeout() -> None:
    async with RawServer(silent) as server:
        # The session's sock_read would fire first; the request's own timeout replaces it whole.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=0.1)) as session:
            exc, elapsed = await timed(
                session.get(server.url(), timeout=aiohttp.ClientTimeout(total=0.4))
            )
            assert not isinstance(exc, aiohttp.SocketTimeoutError)
            assert isinstance(exc, asyncio.TimeoutError)
            assert_on_time(elapsed, 0.4)
            # And the other way round.
            exc, elapsed = await timed(session.get(server.url()))
            assert isinstance(exc, aiohttp.SocketTimeoutError)
            assert_on_time(elapsed, 0.1)


@async_test()
async def test_timeout_after_keepalive_reuse_uses_the_new_request_timeout() -> None:
    # The connection's timer outlives exchanges: the second request's shorter limit still holds.
    answered = 0

    async def route(request: Any) -> Any:
        nonlocal answered
        if request.target == "/fast":
            answered += 1
            return response(200, b"ok")
        await asyncio.sleep(5)
        return response(200, b"late")

    async with RawServer(keep_alive(route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/fast"), timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
            exc, elapsed = await timed(
                session.get(server.url("/slow"), timeout=aiohttp.ClientTimeout(total=0.3))
            )
            assert isinstance(exc, asyncio.TimeoutError)
            assert_on_time(elapsed, 0.3)
            assert server.accepted == 1


@async_test()
async def test_connect_timeout_covers_waiting_for_a_pooled_connection() -> None:
    async def hold(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await conn.reader.read()

    async with RawServer(hold) as server:
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as session:
            first = await session.get(server.url())  # holds the only connection
            exc, elapsed = await timed(
                session.get(server.url(), timeout=aiohttp.ClientTimeout(connect=0.3))
            )
            assert isinstance(exc, aiohttp.ConnectionTimeoutError), repr(exc)
            assert isinstance(exc, asyncio.TimeoutError)
            assert_on_time(elapsed, 0.3)
            first.close()
            assert_pool_clean(connector)


@pytest.fixture
def blackhole() -> Any:
    """A listening socket whose accept queue is full: a new connect hangs in SYN_SENT."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    probe = socket.socket()
    probe.settimeout(0.3)
    try:
        probe.connect(("127.0.0.1", port))
    except (socket.timeout, OSError):
        hangs = True
    else:
        hangs = False
    probe.close()
    if not hangs:
        for s in fillers:
            s.close()
        listener.close()
        pytest.skip("this kernel accepts connections past a full backlog: cannot make connect hang")
    yield port
    for s in fillers:
        s.close()
    listener.close()


@async_test()
async def test_sock_connect_timeout(blackhole: int) -> None:
    async with aiohttp.ClientSession() as session:
        timeout = aiohttp.ClientTimeout(sock_connect=0.3)
        exc, elapsed = await timed(session.get(f"http://127.0.0.1:{blackhole}/", timeout=timeout))
        assert isinstance(exc, aiohttp.ConnectionTimeoutError), repr(exc)
        assert isinstance(exc, asyncio.TimeoutError)
        assert_on_time(elapsed, 0.3)
        assert_pool_clean(session.connector)


@async_test()
async def test_connect_timeout_covers_tcp_connect(blackhole: int) -> None:
    async with aiohttp.ClientSession() as session:
        timeout = aiohttp.ClientTimeout(connect=0.3)
        exc, elapsed = await timed(session.get(f"http://127.0.0.1:{blackhole}/", timeout=timeout))
        assert isinstance(exc, aiohttp.ConnectionTimeoutError), repr(exc)
        assert_on_time(elapsed, 0.3)
        assert_pool_clean(session.connector)


@async_test()
async def test_total_timeout_during_connect(blackhole: int) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as session:
        exc, elapsed = await timed(session.get(f"http://127.0.0.1:{blackhole}/"))
        assert isinstance(exc, asyncio.TimeoutError), repr(exc)
        assert_on_time(elapsed, 0.3)
        assert_pool_clean(session.connector)


@async_test()
async def test_number_timeout_is_total() -> None:
    async with RawServer(silent) as server:
        async with aiohttp.ClientSession() as session:
            exc, elapsed = await timed(session.get(server.url(), timeout=0.2))
            assert isinstance(exc, asyncio.TimeoutError)
            assert_on_time(elapsed, 0.2)


@async_test()
async def test_total_timeout_while_sending_a_slow_body() -> None:
    async def slow() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x"
            await asyncio.sleep(0.05)

    async with RawServer(silent) as server:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as session:
            exc, elapsed = await timed(session.post(server.url(), data=slow()))
            assert isinstance(exc, asyncio.TimeoutError)
            assert_on_time(elapsed, 0.3)
            assert_pool_clean(session.connector)
