"""Issue 9, item 8: `max_decompressed_size`, an opt-in bound on a response's decoded size.

aiohttp 3.14 has no such limit (its `max_decompress_size` is the size of one decoding step,
not a total): `resp.read()` on a decompression bomb holds the whole decoded body. fasthttp
keeps that default and adds `ClientSession(max_decompressed_size=...)` (and the same per
request): past it, reading raises `ClientDecompressedSizeError` (a `ClientPayloadError`)
having decoded at most the limit plus one read buffer, and the connection is closed.

The bombs are real: 1 GiB of zero bytes as gzip, raw deflate, zlib deflate, brotli and zstd
(about 1 MiB compressed for the zlib formats, far less for the others), served from a raw
127.0.0.1 server.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import struct
import time
import zlib
from typing import Any, Callable, Optional

import pytest

import fasthttp as aiohttp
from fasthttp import compression

from client_servers import Conn, RawServer, assert_pool_clean, async_test, idle_count

MIB = 1 << 20
BOMB_SIZE = 1 << 30  # decoded bytes
LIMIT = 1 * MIB


# --- bombs -----------------------------------------------------------------------------------------


def _zlib_bomb(wbits: int, size: int) -> bytes:
    """`size` zero bytes (a multiple of 1 MiB) as gzip (31), zlib (15) or raw deflate (-15).

    After a full flush a deflate compressor starts afresh, so every further MiB of zeros
    compresses to the same bytes: the bomb is that block repeated, not 1 GiB compressed.
    """
    zeros = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH) == block
    end = c.flush()  # the final (empty) block, then the trailer for 3 MiB: rewritten below
    count = size // MIB
    body = first + block * (count - 1)
    if wbits == 31:
        crc = 0
        for _ in range(count):
            crc = zlib.crc32(zeros, crc)
        return body + end[:-8] + struct.pack("<II", crc, size & 0xFFFFFFFF)
    if wbits == 15:
        adler = ((size % 65521) << 16) | 1  # the sum of zeros is 0, the sum of sums is size
        return body + end[:-4] + struct.pack(">I", adler)
    return body + end


def _brotli_bomb(size: int) -> bytes:
    brotli = pytest.importorskip("brotli")
    c = brotli.Compressor(quality=1)
    zeros = bytes(MIB)
    return b"".join([c.process(zeros) for _ in range(size // MIB)] + [c.finish()])


def _zstd_bomb(size: int) -> bytes:
    if not compression.HAS_ZSTD:
        pytest.skip("no zstd backend")
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    frame_size = min(size, 64 * MIB)
    return bytes(zstd.compress(bytes(frame_size))) * (size // frame_size)  # frames in a row


CODECS: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "gzip": ("gzip", functools.partial(_zlib_bomb, 31)),
    "deflate-zlib": ("deflate", functools.partial(_zlib_bomb, 15)),
    "deflate-raw": ("deflate", functools.partial(_zlib_bomb, -15)),
    "br": ("br", _brotli_bomb),
    "zstd": ("zstd", _zstd_bomb),
}


@functools.lru_cache(maxsize=None)
def bomb(codec: str, size: int = BOMB_SIZE) -> bytes:
    return CODECS[codec][1](size)


def test_the_bombs_are_what_they_claim() -> None:
    """Decoded with the standard libraries, a 4 MiB version of each bomb is 4 MiB of zeros."""
    for codec in ("gzip", "deflate-zlib", "deflate-raw"):
        wbits = {"gzip": 31, "deflate-zlib": 15, "deflate-raw": -15}[codec]
        assert zlib.decompress(bomb(codec, 4 * MIB), wbits) == bytes(4 * MIB)
    assert len(bomb("gzip")) < 2 * MIB  # 1 GiB in about 1 MiB


# --- a server and memory -----------------------------------------------------------------------------


def bomb_server(encoding: str, body: bytes, *, piece: int = 256 * 1024) -> RawServer:
    async def handler(conn: Conn) -> None:
        while await conn.read_request() is not None:
            await conn.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Encoding: %s\r\nContent-Length: %d\r\n\r\n" % (encoding.encode(), len(body))
            )
            for start in range(0, len(body), piece):
                await conn.send(body[start : start + piece])

    return RawServer(handler)


def _vm(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def _reset_peak_rss() -> Optional[int]:
    """Reset the process's peak RSS (VmHWM) to its current RSS; None where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return _vm("VmHWM")
    except (OSError, LookupError):
        return None


READERS: dict[str, Callable[[Any], Any]] = {
    "read": lambda resp: resp.read(),
    "text": lambda resp: resp.text(),
    "json": lambda resp: resp.json(),
}


# --- with the limit -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("codec", list(CODECS))
@async_test(timeout=60)
async def test_bomb_is_refused_quickly_with_bounded_memory(codec: str, reader: str) -> None:
    encoding = CODECS[codec][0]
    body = bomb(codec)
    async with bomb_server(encoding, body) as server:
        async with aiohttp.ClientSession(max_decompressed_size=LIMIT) as session:
            base = _reset_peak_rss()
            started = time.monotonic()
            async with session.get(server.url()) as resp:
                with pytest.raises(aiohttp.ClientDecompressedSizeError) as info:
                    await READERS[reader](resp)
                elapsed = time.monotonic() - started
                assert f"max_decompressed_size={LIMIT}" in str(info.value)
                assert info.value.limit == LIMIT
                assert isinstance(info.value, aiohttp.ClientPayloadError)
                with pytest.raises(aiohttp.ClientDecompressedSizeError):  # and it stays failed
                    await resp.read()
            if base is not None:
                assert _vm("VmHWM") - base < 48 * MIB, (_vm("VmHWM") - base) // MIB
            assert elapsed < 10, elapsed  # decoding 1 MiB, not 1 GiB
            # The connection is closed, not pooled: the next request opens a new one.
            assert idle_count(session.connector) == 0
            assert await server.wait_open_count(0) == 0
            async with session.get(server.url(), max_decompressed_size=2 * MIB) as resp:
                with pytest.raises(aiohttp.ClientDecompressedSizeError):
                    await resp.read()
            assert_pool_clean(session.connector)
    assert server.accepted == 2


@pytest.mark.parametrize("codec", list(CODECS))
@async_test(timeout=60)
async def test_streamed_reads_hit_the_limit_too_and_the_connection_is_not_reused(codec: str) -> None:
    """A small bomb that arrives whole before it is decoded: the response is complete on the
    wire, yet the connection that carried a failed body is closed, not pooled."""
    encoding = CODECS[codec][0]
    body = bomb(codec, 4 * MIB)
    async with bomb_server(encoding, body) as server:
        async with aiohttp.ClientSession(max_decompressed_size=LIMIT) as session:
            total = 0
            async with session.get(server.url()) as resp:
                await asyncio.sleep(0.05)  # let the whole compressed body arrive
                with pytest.raises(aiohttp.ClientDecompressedSizeError):
                    async for piece in resp.content.iter_chunked(10_000):
                        total += len(piece)
            assert total <= LIMIT
            assert idle_count(session.connector) == 0
            assert await server.wait_open_count(0) == 0
            async with session.get(server.url(), max_decompressed_size=8 * MIB) as resp:
                assert await resp.read() == bytes(4 * MIB)
            assert_pool_clean(session.connector)
    assert server.accepted == 2


@async_test()
async def test_a_limit_below_the_read_buffer_trips_while_the_socket_is_read() -> None:
    """The first decoded piece (read_bufsize) already passes the limit: the failure comes from
    the protocol's side, before any read, and the reader gets the same error."""
    async with bomb_server("gzip", bomb("gzip", 4 * MIB)) as server:
        async with aiohttp.ClientSession(max_decompressed_size=1000) as session:
            async with session.get(server.url()) as resp:
                await asyncio.sleep(0.05)
                assert isinstance(resp.content.exception(), aiohttp.ClientDecompressedSizeError)
                with pytest.raises(aiohttp.ClientDecompressedSizeError, match="=1000 bytes"):
                    await resp.text()
            assert await server.wait_open_count(0) == 0
            assert_pool_clean(session.connector)


# --- exact bounds, what is not limited, configuration -------------------------------------------------------

PLAIN = json.dumps({"fox": "The quick brown fox", "dogs": ["lazy " * 20] * 2000}).encode()


def _encode(codec: str, data: bytes) -> bytes:
    if codec == "gzip":
        return gzip.compress(data)
    if codec == "deflate-zlib":
        return zlib.compress(data)
    if codec == "deflate-raw":
        c = zlib.compressobj(wbits=-15)
        return c.compress(data) + c.flush()
    if codec == "br":
        return bytes(pytest.importorskip("brotli").compress(data))
    return bytes(_zstd_frame(data))


def _zstd_frame(data: bytes) -> bytes:
    if not compression.HAS_ZSTD:
        pytest.skip("no zstd backend")
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return bytes(zstd.compress(data))


@pytest.mark.parametrize("codec", list(CODECS))
@async_test(timeout=30)
async def test_the_limit_is_exact(codec: str) -> None:
    encoding = CODECS[codec][0]
    async with bomb_server(encoding, _encode(codec, PLAIN), piece=7000) as server:
        async with aiohttp.ClientSession() as session:
            for limit in (len(PLAIN), len(PLAIN) + 1, None):
                async with session.get(server.url(), max_decompressed_size=limit) as resp:
                    assert await resp.read() == PLAIN
                    assert (await resp.json())["fox"].startswith("The quick")
            assert_pool_clean(session.connector)
            assert server.accepted == 1  # a body within its limit reuses its connection
            async with session.get(server.url(), max_decompressed_size=len(PLAIN) - 1) as resp:
                with pytest.raises(aiohttp.ClientDecompressedSizeError):
                    await resp.read()
            assert_pool_clean(session.connector)


@pytest.mark.parametrize("codec", ["gzip", "br", "zstd"])
@async_test(timeout=60)
async def test_without_a_limit_read_returns_the_whole_body_as_aiohttp_does(codec: str) -> None:
    encoding = CODECS[codec][0]
    async with bomb_server(encoding, bomb(codec, 32 * MIB)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert await resp.read() == bytes(32 * MIB)
            assert_pool_clean(session.connector)


@async_test()
async def test_only_decoded_bodies_are_limited() -> None:
    """Identity bodies and undecoded ones (auto_decompress=False) are not decompressed: the
    limit does not apply to them."""
    compressed = gzip.compress(PLAIN)

    async def handler(conn: Conn) -> None:
        while (request := await conn.read_request()) is not None:
            if request.target == "/plain":
                await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(PLAIN) + PLAIN)
            else:
                await conn.send(
                    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                    % len(compressed) + compressed
                )

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession(max_decompressed_size=100) as session:
            async with session.get(server.url("/plain")) as resp:
                assert await resp.read() == PLAIN
            async with session.get(server.url("/gzip"), auto_decompress=False) as resp:
                assert await resp.read() == compressed
            assert_pool_clean(session.connector)
    assert server.accepted == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1000", True])
@async_test()
async def test_bad_values_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_decompressed_size"):
        aiohttp.ClientSession(max_decompressed_size=bad)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="max_decompressed_size"):
            await session.get("http://127.0.0.1:9/", max_decompressed_size=bad)


@pytest.mark.parametrize("codec", ["gzip", "deflate-zlib"])
@async_test(timeout=30)
async def test_corrupt_data_met_while_draining_is_a_payload_error(codec: str) -> None:
    """The whole body has arrived and the decoder meets the corruption only as the reader
    drains it: still a ClientPayloadError (as aiohttp says), not the parser's
    ContentEncodingError, and the connection is not reused."""
    body = bytearray(bomb(codec, 8 * MIB))
    middle = len(body) // 2
    body[middle : middle + 50] = bytes(b ^ 0x55 for b in body[middle : middle + 50])
    async with bomb_server(CODECS[codec][0], bytes(body)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                await asyncio.sleep(0.05)  # all of it received, most of it not decoded yet
                with pytest.raises(aiohttp.ClientPayloadError, match="cannot decode the body"):
                    await resp.read()
            assert await server.wait_open_count(0) == 0
            assert_pool_clean(session.connector)
