"""resp.content: the StreamReader API and its flow control against a real socket."""

from __future__ import annotations

import asyncio
import os

import pytest

import fasthttp as aiohttp
from client_servers import (
    Conn,
    RawServer,
    assert_pool_clean,
    async_test,
    idle_count,
    response,
)

BODY = b"line one\nline two\r\n\nlast line without newline"


def chunked(*pieces: bytes) -> bytes:
    out = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
    return out + b"0\r\n\r\n"


def dribble_server(head: bytes, pieces: list[bytes], delay: float = 0.005) -> RawServer:
    """Sends head, then each piece separately with a pause (so they arrive apart)."""

    async def handler(conn: Conn) -> None:
        while True:
            request = await conn.read_request()
            if request is None:
                return
            await conn.send(head)
            for piece in pieces:
                await asyncio.sleep(delay)
                await conn.send(piece)

    return RawServer(handler)


def sized_head(length: int) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % length


@async_test()
async def test_read_n_and_at_eof() -> None:
    pieces = [BODY[:5], BODY[5:20], BODY[20:]]
    async with dribble_server(sized_head(len(BODY)), pieces) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                content = resp.content
                assert not content.at_eof()
                got = b""
                while True:
                    part = await content.read(4)
                    if not part:
                        break
                    assert 1 <= len(part) <= 4
                    got += part
                assert got == BODY
                assert content.at_eof()
                assert await content.read() == b""
            assert idle_count(session.connector) == 1
            assert_pool_clean(session.connector)


@async_test()
async def test_readany_returns_pieces_as_they_arrive() -> None:
    pieces = [b"a" * 10, b"b" * 20, b"c" * 30]
    async with dribble_server(sized_head(60), pieces, delay=0.05) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                got = []
                while True:
                    part = await resp.content.readany()
                    if not part:
                        break
                    got.append(part)
    assert got == pieces


@async_test()
async def test_readline_and_line_iteration() -> None:
    async with dribble_server(sized_head(len(BODY)), [BODY[:3], BODY[3:13], BODY[13:]]) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert await resp.content.readline() == b"line one\n"
                rest = [line async for line in resp.content]
    assert rest == [b"line two\r\n", b"\n", b"last line without newline"]


@async_test()
async def test_readexactly_and_incomplete_read() -> None:
    async with dribble_server(sized_head(10), [b"01234", b"56789"]) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert await resp.content.readexactly(3) == b"012"
                assert await resp.content.readexactly(5) == b"34567"
                with pytest.raises(asyncio.IncompleteReadError) as info:
                    await resp.content.readexactly(5)
                assert info.value.partial == b"89"
                assert info.value.expected == 5


@async_test()
async def test_iter_chunked_exact_sizes() -> None:
    body = os.urandom(10_000)
    pieces = [body[i : i + 777] for i in range(0, len(body), 777)]
    async with dribble_server(sized_head(len(body)), pieces, delay=0.0) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                sizes = []
                got = b""
                async for chunk in resp.content.iter_chunked(1024):
                    sizes.append(len(chunk))
                    got += chunk
    assert got == body
    # iter_chunked(n) yields at most n bytes; only a short read at the very end
    assert all(0 < size <= 1024 for size in sizes)
    assert sum(sizes) == len(body)


@async_test()
async def test_iter_any_and_iter_chunks_on_chunked_body() -> None:
    body = chunked(b"alpha", b"beta", b"gamma")
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    async with dribble_server(head, [body[:12], body[12:25], body[25:]], delay=0.02) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                got = [piece async for piece in resp.content.iter_any()]
            async with session.get(server.url()) as resp:
                tuples = [item async for item in resp.content.iter_chunks()]
            assert_pool_clean(session.connector)
    assert b"".join(got) == b"alphabetagamma"
    assert b"".join(data for data, _ in tuples) == b"alphabetagamma"
    assert all(isinstance(flag, bool) for _, flag in tuples)
    assert server.accepted == 1


@async_test()
async def test_readchunk_end() -> None:
    async with dribble_server(sized_head(3), [b"abc"]) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                data, _ = await resp.content.readchunk()
                assert data == b"abc"
                assert await resp.content.readchunk() == (b"", False)


@async_test(timeout=60)
async def test_slow_consumer_pauses_the_socket() -> None:
    """A 64 MiB body read slowly: the client buffers ~2*read_bufsize, the server's writes block."""
    total = 64 * 1024 * 1024
    block = os.urandom(256 * 1024)
    sent = 0
    finished = asyncio.Event()

    async def handler(conn: Conn) -> None:
        nonlocal sent
        await conn.read_request()
        await conn.send(sized_head(total))
        while sent < total:
            conn.writer.write(block)
            sent += len(block)
            await conn.writer.drain()  # blocks while the client does not read
        finished.set()

    bufsize = 64 * 1024
    async with RawServer(handler) as server:
        async with aiohttp.ClientSession(read_bufsize=bufsize) as session:
            async with session.get(server.url()) as resp:
                content = resp.content
                assert content.get_read_buffer_limits() == (bufsize, 2 * bufsize)
                received = len(await content.read(1000))
                max_buffered = 0
                paused_seen = 0
                assert resp.connection is not None
                protocol = resp.connection.protocol
                assert protocol is not None
                for _ in range(8):
                    await asyncio.sleep(0.05)  # a slow consumer
                    max_buffered = max(max_buffered, content._size)
                    paused_seen += protocol._read_paused
                    received += len(await content.readany())
                sent_while_slow = sent
                # The server is stuck in drain(): far from done.
                assert not finished.is_set()
                assert sent_while_slow < 24 * 1024 * 1024, sent_while_slow
                # The client buffered at most its high-water mark plus one socket read.
                assert max_buffered <= 2 * bufsize + 256 * 1024, max_buffered
                assert paused_seen == 8  # the socket was paused at every look
                # Reading on lets it all through, with the buffer bounded throughout.
                while True:
                    piece = await content.readany()
                    if not piece:
                        break
                    received += len(piece)
                    max_buffered = max(max_buffered, content._size)
                assert max_buffered <= 2 * bufsize + 256 * 1024, max_buffered
        assert received == total
        await asyncio.wait_for(finished.wait(), 5)


@async_test(timeout=60)
async def test_slow_consumer_is_not_a_sock_read_timeout() -> None:
    # Paused reading is the client's choice: the sock_read silence timer does not run.
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(sized_head(4 * 1024 * 1024))
        await conn.send(b"x" * (4 * 1024 * 1024))

    async with RawServer(handler) as server:
        timeout = aiohttp.ClientTimeout(sock_read=0.2)
        async with aiohttp.ClientSession(read_bufsize=16 * 1024, timeout=timeout) as session:
            async with session.get(server.url()) as resp:
                await resp.content.read(10)
                await asyncio.sleep(0.6)  # three times sock_read, paused
                rest = await resp.read()
                assert len(rest) == 4 * 1024 * 1024 - 10


@async_test()
async def test_concurrent_reads_are_refused() -> None:
    async with dribble_server(sized_head(6), [b"abc", b"def"], delay=0.1) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                first = asyncio.ensure_future(resp.content.read(6))
                await asyncio.sleep(0.01)
                with pytest.raises(RuntimeError):
                    await resp.content.readany()
                assert await first == b"abc"


@async_test()
async def test_reading_after_release_is_refused() -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(response(200, b"x" * 8_000_000))
        await conn.reader.read()

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession(read_bufsize=1024) as session:
            resp = await session.get(server.url())
            await resp.content.read(1)
            assert not resp.content.is_eof()
            resp.release()
            # Not the part that happened to arrive: aiohttp's error.
            with pytest.raises(aiohttp.ClientConnectionError, match="Connection closed"):
                await resp.read()
            with pytest.raises(aiohttp.ClientConnectionError):
                await resp.content.read()
            assert_pool_clean(session.connector)
            await asyncio.sleep(0.05)
            # still the same error once the socket is really gone
            with pytest.raises(aiohttp.ClientConnectionError, match="Connection closed"):
                await resp.read()


@async_test()
async def test_per_request_read_bufsize() -> None:
    async with dribble_server(sized_head(3), [b"abc"]) as server:
        async with aiohttp.ClientSession(read_bufsize=4096) as session:
            async with session.get(server.url()) as resp:
                assert resp.content.get_read_buffer_limits() == (4096, 8192)
                await resp.read()
            async with session.get(server.url(), read_bufsize=1024) as resp:
                assert resp.content.get_read_buffer_limits() == (1024, 2048)
                await resp.read()


@async_test(timeout=20)
async def test_readexactly_and_readuntil_larger_than_the_high_water_mark() -> None:
    """Asking for more than the flow-control buffer holds must not stall the paused socket."""
    size = 256 * 1024
    body = os.urandom(size)
    line = b"x" * (size - 1) + b"\n"
    pieces = [body[i : i + 4096] for i in range(0, size, 4096)] + [line[i : i + 4096] for i in range(0, size, 4096)]
    async with dribble_server(sized_head(2 * size), pieces, delay=0.0) as server:
        async with aiohttp.ClientSession(read_bufsize=1024) as session:
            async with session.get(server.url()) as resp:
                assert resp.content.get_read_buffer_limits() == (1024, 2048)
                got = await asyncio.wait_for(resp.content.readexactly(size), 10)
                assert got == body
                got = await asyncio.wait_for(resp.content.readuntil(b"\n", max_size=size), 10)
                assert got == line
                assert await resp.content.read() == b""
            assert_pool_clean(session.connector)


@async_test(timeout=20)
async def test_readexactly_larger_than_the_high_water_mark_on_a_gzip_body() -> None:
    """Same with a decoder in the way: its held-back output must be released too."""
    import gzip

    decoded = os.urandom(64 * 1024) * 4 + b"tail\n"  # 256 KiB + 5, compresses well (repeats)
    encoded = gzip.compress(decoded)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(encoded)
    async with dribble_server(head, [encoded[i : i + 8192] for i in range(0, len(encoded), 8192)], delay=0.0) as server:
        async with aiohttp.ClientSession(read_bufsize=1024) as session:
            async with session.get(server.url()) as resp:
                got = await asyncio.wait_for(resp.content.readexactly(len(decoded) - 5), 10)
                assert got == decoded[:-5]
                assert await asyncio.wait_for(resp.content.readuntil(b"\n"), 10) == b"tail\n"
                assert await resp.content.read() == b""
            assert_pool_clean(session.connector)
