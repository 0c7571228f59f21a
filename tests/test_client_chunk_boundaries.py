"""resp.content.readchunk() / iter_chunks(): HTTP chunk boundaries, as aiohttp reports them.

aiohttp's contract (docs, Streaming API, StreamReader.readchunk): a tuple (data,
end_of_HTTP_chunk); with chunked transfer encoding the flag says whether data ends exactly at
the end of an HTTP chunk (data never runs past one), otherwise it is always False; (b"", False)
at the end of the body. Every test talks to a raw server on 127.0.0.1 and is bounded in time;
where aiohttp is importable, the same exchanges go through aiohttp's own client too and must
give the same tuples.
"""

from __future__ import annotations

import asyncio
import importlib.util
import zlib
from typing import Any, Optional, Sequence

import pytest

import fasthttp as aiohttp
from client_servers import Conn, RawServer, assert_pool_clean, async_test

CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
HAVE_AIOHTTP = importlib.util.find_spec("aiohttp") is not None


def frame(piece: bytes) -> bytes:
    """One chunk on the wire (size line, data, CRLF)."""
    return b"%x\r\n%s\r\n" % (len(piece), piece)


LAST = b"0\r\n\r\n"


def chunked(pieces: Sequence[bytes]) -> bytes:
    return b"".join(frame(p) for p in pieces) + LAST


def server(writes: Sequence[bytes], delay: Optional[float] = 0.01) -> RawServer:
    """Answers every request with `writes`, each one sent on its own after `delay` seconds
    (delay None: all of them in one write)."""

    async def handler(conn: Conn) -> None:
        while True:
            request = await conn.read_request()
            if request is None:
                return
            if delay is None:
                await conn.send(b"".join(writes))
                continue
            for data in writes:
                await conn.send(data)
                await asyncio.sleep(delay)

    return RawServer(handler)


def check_boundaries(tuples: list[tuple[bytes, bool]], chunks: Sequence[bytes]) -> None:
    """The tuples of a pure readchunk() loop over a chunked body of `chunks`.

    Together they are the body; none runs past a chunk end; the flag is True exactly when
    a tuple ends at a chunk end, and every chunk end is reported once; no empty data.
    """
    ends = set()
    total = 0
    for piece in chunks:
        if piece:
            total += len(piece)
            ends.add(total)
    assert b"".join(data for data, _ in tuples) == b"".join(chunks)
    position = 0
    reported = []
    for data, flag in tuples:
        assert data, "no empty data from a pure readchunk() loop"
        start, position = position, position + len(data)
        assert not any(start < end < position for end in ends), (
            f"bytes {start}..{position} run past a chunk end"
        )
        assert flag == (position in ends), (start, position, flag)
        if flag:
            reported.append(position)
    assert reported == sorted(ends)


async def readchunk_all(content: Any) -> list[tuple[bytes, bool]]:
    out = []
    while True:
        item = await content.readchunk()
        if item == (b"", False):
            break
        out.append(item)
    assert await content.readchunk() == (b"", False)  # and it stays at the end
    return out


# --- fasthttp alone ------------------------------------------------------------------------------

SIZES = [1, 7, 300, 16, 4096, 2, 1000]
PIECES = [bytes([65 + i]) * n for i, n in enumerate(SIZES)]


@async_test()
async def test_readchunk_gives_each_chunk_with_true() -> None:
    writes = [CHUNKED_HEAD] + [frame(p) for p in PIECES] + [LAST]
    async with server(writes) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url()) as resp:
                tuples = await readchunk_all(resp.content)
            assert_pool_clean(session.connector)
    assert tuples == [(p, True) for p in PIECES]


@async_test()
async def test_iter_chunks_when_everything_is_buffered() -> None:
    async with server([CHUNKED_HEAD, chunked(PIECES)], delay=None) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url()) as resp:
                await resp.content.wait_eof()
                tuples = [item async for item in resp.content.iter_chunks()]
    assert tuples == [(p, True) for p in PIECES]


@async_test()
async def test_chunk_split_across_writes_and_larger_than_the_buffer() -> None:
    bufsize = 1024
    medium = bytes(range(256)) * 40  # 10 240 bytes, sent in 7 writes
    big = b"\x5a" * 200_000  # far over 2 * bufsize: the socket is paused meanwhile
    chunks = [b"head", medium, b"x", big, b"tail"]
    wire = frame(b"head")
    medium_frame = frame(medium)
    step = len(medium_frame) // 7 + 1
    writes = [CHUNKED_HEAD, wire] + [
        medium_frame[i : i + step] for i in range(0, len(medium_frame), step)
    ]
    big_frame = frame(b"x") + frame(big)
    writes += [big_frame[i : i + 50_000] for i in range(0, len(big_frame), 50_000)]
    writes += [frame(b"tail") + LAST]
    async with server(writes, delay=0.005) as srv:
        async with aiohttp.ClientSession(read_bufsize=bufsize) as session:
            async with session.get(srv.url()) as resp:
                tuples = []
                async for item in resp.content.iter_chunks():
                    tuples.append(item)
                    await asyncio.sleep(0)  # a reader that keeps up, roughly
            assert_pool_clean(session.connector)
    check_boundaries(tuples, chunks)
    # The split chunks did come in several pieces, only the last one flagged.
    flags = [flag for _, flag in tuples]
    assert len(tuples) > len(chunks)
    assert flags.count(True) == len(chunks)


@async_test()
async def test_slow_reader_of_many_chunks() -> None:
    # The reader lags: several chunks are buffered at each call, each still comes alone.
    chunks = [bytes([97 + i % 26]) * (1 + (i * 37) % 500) for i in range(200)]
    wire = chunked(chunks)
    writes = [CHUNKED_HEAD] + [wire[i : i + 3000] for i in range(0, len(wire), 3000)]
    async with server(writes, delay=0.001) as srv:
        async with aiohttp.ClientSession(read_bufsize=2048) as session:
            async with session.get(srv.url()) as resp:
                tuples = []
                async for item in resp.content.iter_chunks():
                    tuples.append(item)
                    if len(tuples) % 10 == 0:
                        await asyncio.sleep(0.002)
    check_boundaries(tuples, chunks)


@async_test()
async def test_not_chunked_bodies_give_false() -> None:
    pieces = [b"a" * 10, b"b" * 200, b"c" * 3000]
    body = b"".join(pieces)
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
    async with server([sized] + pieces, delay=0.02) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url()) as resp:
                tuples = await readchunk_all(resp.content)
    assert tuples == [(p, False) for p in pieces]  # as they arrived, never flagged


@async_test()
async def test_close_delimited_body_is_never_flagged() -> None:
    pieces = [b"one ", b"two ", b"three"]

    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for piece in pieces:
            await asyncio.sleep(0.02)
            await conn.send(piece)

    async with RawServer(handler) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url()) as resp:
                tuples = await readchunk_all(resp.content)
    assert tuples == [(p, False) for p in pieces]


# Mixing readers. Everything is buffered before reading (wait_eof), so the outcome does not
# depend on timing. Chunks end at body positions 3, 8, 10 and 16.
MIX_CHUNKS = [b"abc", b"defgh", b"ij", b"kl\nmnop"[:6]]
MIX_SCRIPTS = {
    "read_inside_chunks": (
        [("read", 2), ("readchunk",), ("read", 3), ("readchunk",), ("readchunk",),
         ("readchunk",), ("readchunk",)],
        [b"ab", (b"c", True), b"def", (b"gh", True), (b"ij", True), (b"kl\nmno", True),
         (b"", False)],
    ),
    "read_up_to_a_chunk_end": (
        # read(3) stops exactly at the first chunk end: readchunk reports it with no data.
        [("read", 3), ("readchunk",), ("readchunk",), ("read", 2), ("readchunk",),
         ("readchunk",)],
        [b"abc", (b"", True), (b"defgh", True), b"ij", (b"", True), (b"kl\nmno", True)],
    ),
    "read_across_chunk_ends": (
        [("read", 9), ("readchunk",), ("readchunk",), ("readchunk",)],
        [b"abcdefghi", (b"j", True), (b"kl\nmno", True), (b"", False)],
    ),
    "readexactly_readline_readany": (
        [("readexactly", 4), ("readchunk",), ("readline",), ("readchunk",), ("readany",),
         ("readchunk",)],
        [b"abcd", (b"efgh", True), b"ijkl\n", (b"mno", True), b"", (b"", False)],
    ),
    "read_all": (
        # The reader stands at the last chunk end: reported once, then the end of the body.
        [("read", -1), ("readchunk",), ("readchunk",)],
        [b"abcdefghijkl\nmno", (b"", True), (b"", False)],
    ),
}
# fasthttp's readany() gives one buffered piece (aiohttp's joins all that is buffered), so
# this script is checked on its own, not against aiohttp.
READANY_SCRIPT = (
    [("readany",), ("readchunk",), ("readany",), ("readchunk",), ("readchunk",)],
    [b"abc", (b"", True), b"defgh", (b"", True), (b"ij", True)],
)


async def run_script(content: Any, script: list[tuple[Any, ...]]) -> list[Any]:
    out = []
    for name, *args in script:
        out.append(await getattr(content, name)(*args))
    return out


async def mixed(lib: Any, url: str, script: list[tuple[Any, ...]]) -> list[Any]:
    async with lib.ClientSession() as session:
        async with session.get(url) as resp:
            await resp.content.wait_eof()
            return await run_script(resp.content, script)


@pytest.mark.parametrize("name", list(MIX_SCRIPTS) + ["readany_then_readchunk"])
@async_test()
async def test_mixing_readers_with_readchunk(name: str) -> None:
    script, expected = MIX_SCRIPTS.get(name, READANY_SCRIPT)
    async with server([CHUNKED_HEAD, chunked(MIX_CHUNKS)], delay=None) as srv:
        got = await mixed(aiohttp, srv.url(), script)
    assert got == expected


@async_test()
async def test_read_drops_passed_boundaries() -> None:
    chunks = [b"%d," % i for i in range(3000)]
    async with server([CHUNKED_HEAD, chunked(chunks)], delay=None) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url()) as resp:
                await resp.content.wait_eof()
                assert len(resp.content._chunk_ends) == 3000
                assert await resp.content.read(5000) == b"".join(chunks)[:5000]
                ends = resp.content._chunk_ends
                assert len(ends) < 3000 and ends[0] >= 5000  # only those still ahead
                rest = await resp.content.read()
                # Only the end the reader stands on is left, and readchunk reports it once.
                assert list(resp.content._chunk_ends) == [len(b"".join(chunks))]
                assert await resp.content.readchunk() == (b"", True)
                assert await resp.content.readchunk() == (b"", False)
    assert rest == b"".join(chunks)[5000:]


def gzip_segments(pieces: Sequence[bytes]) -> list[bytes]:
    """A gzip stream cut so that each piece decodes on its own (sync flushes); the trailer
    comes as a last segment of its own."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [compressor.compress(p) + compressor.flush(zlib.Z_SYNC_FLUSH) for p in pieces]
    out.append(compressor.flush())
    return out


GZ_PIECES = [b"first piece " * 3, b"second", b"and the third one " * 20]


@async_test()
async def test_gzip_chunks_mark_decoded_positions() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    writes = [head] + [frame(s) for s in gzip_segments(GZ_PIECES)] + [LAST]
    async with server(writes) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url()) as resp:
                tuples = await readchunk_all(resp.content)
            async with session.get(srv.url(), auto_decompress=False) as resp:
                raw = await readchunk_all(resp.content)
    # Each compressed chunk decoded to one piece; the trailer-only chunk decodes to nothing
    # and records no boundary.
    assert tuples == [(p, True) for p in GZ_PIECES]
    assert raw == [(s, True) for s in gzip_segments(GZ_PIECES)]


# --- against aiohttp's own client ---------------------------------------------------------------


def _aiohttp() -> Any:
    return pytest.importorskip("aiohttp")


def without_repeats(tuples: list[tuple[bytes, bool]]) -> list[tuple[bytes, bool]]:
    """aiohttp's tuples minus the (b"", True) that report a chunk end a second time.

    aiohttp skips a chunk end that adds no byte by comparing with the last end still queued;
    once its reader has taken that one, the terminating `0` chunk (and, with gzip, a chunk
    that decodes to nothing) is queued again at the same place and comes out as a spurious
    (b"", True) when the reader keeps up (not when the body was buffered first). fasthttp
    remembers the last end recorded, so it never reports a position twice.
    """
    out = []
    position = 0
    reported = set()
    for data, flag in tuples:
        position += len(data)
        if flag and not data and position in reported:
            continue
        if flag:
            reported.add(position)
        out.append((data, flag))
    return out


async def both(url: str, read: Any, **session_kw: Any) -> tuple[Any, Any]:
    results = []
    for lib in (_aiohttp(), aiohttp):
        async with lib.ClientSession(**session_kw) as session:
            async with session.get(url) as resp:
                results.append(await read(resp.content))
    return results[0], results[1]


@pytest.mark.skipif(not HAVE_AIOHTTP, reason="aiohttp is not installed")
@async_test()
async def test_same_tuples_as_aiohttp_dribbled() -> None:
    writes = [CHUNKED_HEAD] + [frame(p) for p in PIECES] + [LAST]

    async def read(content: Any) -> list[tuple[bytes, bool]]:
        return [item async for item in content.iter_chunks()]

    async with server(writes, delay=0.02) as srv:
        theirs, ours = await both(srv.url(), read)
    assert ours == without_repeats(theirs) == [(p, True) for p in PIECES]


@pytest.mark.skipif(not HAVE_AIOHTTP, reason="aiohttp is not installed")
@async_test()
async def test_same_tuples_as_aiohttp_buffered() -> None:
    async def read(content: Any) -> list[tuple[bytes, bool]]:
        await content.wait_eof()
        return [item async for item in content.iter_chunks()]

    async with server([CHUNKED_HEAD, chunked(PIECES)], delay=None) as srv:
        theirs, ours = await both(srv.url(), read)
    assert ours == theirs


@pytest.mark.skipif(not HAVE_AIOHTTP, reason="aiohttp is not installed")
@pytest.mark.parametrize("name", list(MIX_SCRIPTS))
@async_test()
async def test_same_mixed_reads_as_aiohttp(name: str) -> None:
    script, expected = MIX_SCRIPTS[name]
    async with server([CHUNKED_HEAD, chunked(MIX_CHUNKS)], delay=None) as srv:
        theirs = await mixed(_aiohttp(), srv.url(), script)
        ours = await mixed(aiohttp, srv.url(), script)
    assert ours == theirs == expected


@pytest.mark.skipif(not HAVE_AIOHTTP, reason="aiohttp is not installed")
@async_test()
async def test_same_tuples_as_aiohttp_not_chunked() -> None:
    pieces = [b"a" * 10, b"b" * 200, b"c" * 3000]
    body = b"".join(pieces)
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)

    async def read(content: Any) -> list[tuple[bytes, bool]]:
        return [item async for item in content.iter_chunks()]

    async with server([sized] + pieces, delay=0.02) as srv:
        theirs, ours = await both(srv.url(), read)
    assert ours == theirs == [(p, False) for p in pieces]


@pytest.mark.skipif(not HAVE_AIOHTTP, reason="aiohttp is not installed")
@async_test()
async def test_same_tuples_as_aiohttp_gzip() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    writes = [head] + [frame(s) for s in gzip_segments(GZ_PIECES)] + [LAST]

    async def read(content: Any) -> list[tuple[bytes, bool]]:
        return [item async for item in content.iter_chunks()]

    async with server(writes) as srv:
        theirs, ours = await both(srv.url(), read)
    assert ours == without_repeats(theirs) == [(p, True) for p in GZ_PIECES]
