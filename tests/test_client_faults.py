"""Faults: peers that misbehave, hosts that are not there, and cancellation. After each one the
pool holds no leaked or half-read connection and the server sees its socket closed."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, AsyncIterator

import pytest

import fasthttp as aiohttp
from client_servers import (
    Conn,
    RawServer,
    assert_pool_clean,
    async_test,
    free_port,
    idle_count,
    keep_alive,
    response,
)


def one_shot(raw: bytes, *, then_wait: bool = False) -> RawServer:
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(raw)
        if then_wait:
            await conn.reader.read()

    return RawServer(handler)


async def check_clean(session: aiohttp.ClientSession, server: RawServer) -> None:
    assert_pool_clean(session.connector)
    assert idle_count(session.connector) == 0
    assert await server.wait_open_count(0) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"a" * 40,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n10\r\nonly",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
    ],
    ids=["content-length", "chunked-mid-chunk", "chunked-no-last-chunk"],
)
@async_test()
async def test_server_closes_mid_body(raw: bytes) -> None:
    async with one_shot(raw) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.get(server.url())
            with pytest.raises(aiohttp.ClientPayloadError, match="Response payload is not completed"):
                await resp.read()
            await check_clean(session, server)


@async_test()
async def test_server_closes_mid_body_while_streaming() -> None:
    async with one_shot(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"a" * 5000) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                got = 0
                with pytest.raises(aiohttp.ClientPayloadError):
                    async for chunk in resp.content.iter_chunked(1000):
                        got += len(chunk)
                assert got == 5000
            await check_clean(session, server)


@async_test()
async def test_server_closes_before_answering() -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await session.get(server.url())
            await check_clean(session, server)


@async_test()
async def test_server_closes_mid_head() -> None:
    async with one_shot(b"HTTP/1.1 200 OK\r\nContent-Le") as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientError):
                await session.get(server.url())
            await check_clean(session, server)


@async_test()
async def test_server_never_answers_sock_read() -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.reader.read()

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=0.2)) as session:
            with pytest.raises(aiohttp.SocketTimeoutError):
                await session.get(server.url())
            await check_clean(session, server)


@async_test()
async def test_refused_port() -> None:
    port = free_port()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError) as info:
            await session.get(f"http://127.0.0.1:{port}/")
        error = info.value
        assert not isinstance(error, aiohttp.ClientConnectorDNSError)
        assert isinstance(error, aiohttp.ClientOSError)
        assert isinstance(error, OSError)
        assert isinstance(error.os_error, ConnectionRefusedError)
        assert error.host == "127.0.0.1" and error.port == port
        assert f"127.0.0.1:{port}" in str(error)
        assert_pool_clean(session.connector)


@async_test()
async def test_unresolvable_host() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorDNSError) as info:
            await session.get("http://no-such-host.invalid/")
        assert isinstance(info.value, aiohttp.ClientConnectorError)
        assert isinstance(info.value.os_error, socket.gaierror)
        assert info.value.host == "no-such-host.invalid"
        assert_pool_clean(session.connector)


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    ],
    ids=["status-code", "status-line", "header", "double-content-length"],
)
@async_test()
async def test_malformed_response_is_client_response_error_400(raw: bytes) -> None:
    async with one_shot(raw, then_wait=True) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientResponseError) as info:
                async with session.get(server.url()) as resp:
                    await resp.read()
            assert info.value.status == 400
            assert info.value.request_info.url.port == server.port
            await check_clean(session, server)


@pytest.mark.parametrize("split", [False, True])
@async_test()
async def test_bad_chunk_size_after_a_good_head_is_a_payload_error(split: bool) -> None:
    """The head is valid, the body is not: the response comes, reading it raises, whether the
    bad chunk arrives in the head's read or a later one."""
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

    async def handler(conn: Conn) -> None:
        if await conn.read_request() is None:
            return
        if split:
            await conn.send(head)
            await asyncio.sleep(0.05)
            await conn.send(b"zz\r\n")
        else:
            await conn.send(head + b"zz\r\n")
        await asyncio.sleep(5)

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert resp.status == 200
                with pytest.raises(aiohttp.ClientPayloadError, match="chunk-size"):
                    await resp.read()
            assert_pool_clean(session.connector)


@async_test()
async def test_malformed_status_line_matches_aiohttp() -> None:
    import aiohttp as real_aiohttp

    raw = b"HTTP/1.1 abc OK\r\n\r\n"
    errors = []
    for lib in (real_aiohttp, aiohttp):
        async with one_shot(raw) as server:
            async with lib.ClientSession() as session:  # type: ignore[attr-defined]
                try:
                    await session.get(server.url())
                except lib.ClientResponseError as exc:  # type: ignore[attr-defined]
                    errors.append(exc)
    theirs, ours = errors
    assert type(theirs).__name__ == type(ours).__name__ == "ClientResponseError"
    assert theirs.status == ours.status == 400


@async_test()
async def test_garbage_after_a_response_poisons_only_that_connection() -> None:
    async def handler(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response(200, b"ok"))
            await asyncio.sleep(0.02)
            await conn.send(b"unsolicited bytes")

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert await resp.read() == b"ok"
            await asyncio.sleep(0.1)
            async with session.get(server.url()) as resp:
                assert await resp.read() == b"ok"
            assert_pool_clean(session.connector)
    assert server.accepted == 2


@async_test()
async def test_garbage_in_the_same_read_as_a_response_keeps_the_response() -> None:
    """Good response and garbage in one write: the response is delivered, the connection dropped."""

    async def handler(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response(200, b"ok") + b"GARBAGE\r\n\r\n")

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(2):
                async with session.get(server.url()) as resp:
                    assert resp.status == 200
                    assert await resp.read() == b"ok"
            assert_pool_clean(session.connector)
    assert server.accepted == 2


@async_test()
async def test_body_sent_to_a_head_request_is_not_read_as_the_next_response() -> None:
    """A server that answers HEAD with a body, in the same write: that connection is not reused."""

    async def handler(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(response(200, b"a body HEAD must not have"))

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            async with session.head(server.url()) as resp:
                assert resp.status == 200
                assert await resp.read() == b""
            async with session.get(server.url()) as resp:
                assert await resp.read() == b"a body HEAD must not have"
            assert_pool_clean(session.connector)
    assert server.accepted == 2


@pytest.mark.parametrize("stage", ["connect-wait", "head", "body", "upload"])
@async_test()
async def test_cancellation_mid_request_leaks_nothing(stage: str) -> None:
    reached = asyncio.Event()

    async def handler(conn: Conn) -> None:
        request = await conn.read_request(body=stage != "upload")
        reached.set()
        if request is not None and stage == "body":
            await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
        await conn.reader.read()

    async def slow_body() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 100
            await asyncio.sleep(0.01)

    async with RawServer(handler) as server:
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def go() -> None:
                if stage == "upload":
                    await session.post(server.url(), data=slow_body())
                    return
                async with session.get(server.url()) as resp:
                    await resp.read()

            blocker = None
            if stage == "connect-wait":
                blocker = asyncio.ensure_future(go())  # holds the only connection
                await asyncio.wait_for(reached.wait(), 5)
            task = asyncio.ensure_future(go())
            if stage != "connect-wait":
                await asyncio.wait_for(reached.wait(), 5)
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            if blocker is not None:
                assert connector._acquired  # the blocker still has its connection
                blocker.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await blocker
            await asyncio.sleep(0)
            assert_pool_clean(connector)
            assert idle_count(connector) == 0
            assert await server.wait_open_count(0) == 0
            # The pool still works afterwards.
            reached.clear()

    # A fresh session against a well-behaved server, to be sure nothing is stuck globally.
    async with RawServer(keep_alive(lambda r: response(200, b"fine"))) as server2:
        async with aiohttp.ClientSession() as session:
            async with session.get(server2.url()) as resp:
                assert await resp.read() == b"fine"


@async_test()
async def test_body_writer_failure_is_reported() -> None:
    async def bad_body() -> AsyncIterator[Any]:
        yield b"ok"
        raise RuntimeError("generator broke")

    async def handler(conn: Conn) -> None:
        await conn.read_request(body=False)
        await conn.reader.read()

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientError):
                await session.post(server.url(), data=bad_body(), timeout=aiohttp.ClientTimeout(total=3))
            assert_pool_clean(session.connector)
            assert await server.wait_open_count(0) == 0


@async_test()
async def test_headers_too_long() -> None:
    raw = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 9000 + b"\r\nContent-Length: 0\r\n\r\n"
    async with one_shot(raw, then_wait=True) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientResponseError) as info:
                await session.get(server.url())
            assert info.value.status == 400
            await check_clean(session, server)
        async with aiohttp.ClientSession(max_field_size=10000) as session:
            async with session.get(server.url()) as resp:
                assert len(resp.headers["X-Big"]) == 9000
