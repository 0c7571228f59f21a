"""Content-Encoding end to end: decoded by default, raw with auto_decompress=False, bounded."""

from __future__ import annotations

import gzip
import os
import zlib
from typing import Callable

import pytest

import fasthttp as aiohttp
from fasthttp import compression
from client_servers import Conn, RawServer, assert_pool_clean, async_test, keep_alive, response

PLAIN = (b"The quick brown fox jumps over the lazy dog. " * 2000) + os.urandom(2000)


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def _brotli(data: bytes) -> bytes:
    brotli = pytest.importorskip("brotli")
    return bytes(brotli.compress(data))


def _zstd(data: bytes) -> bytes:
    if not compression.HAS_ZSTD:
        pytest.skip("no zstd backend")
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return bytes(zstd.compress(data))


ENCODERS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": ("gzip", gzip.compress),
    "deflate-zlib": ("deflate", zlib.compress),
    "deflate-raw": ("deflate", _raw_deflate),
    "br": ("br", _brotli),
    "zstd": ("zstd", _zstd),
}


def encoded_server(encoding: str, body: bytes, *, chunk: int = 0) -> RawServer:
    async def handler(conn: Conn) -> None:
        while await conn.read_request() is not None:
            if chunk:
                await conn.send(
                    b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n"
                    % (encoding.encode(), len(body))
                )
                for i in range(0, len(body), chunk):
                    await conn.send(body[i : i + chunk])
            else:
                await conn.send(response(200, body, headers={"Content-Encoding": encoding}))

    return RawServer(handler)


@pytest.mark.parametrize("name", list(ENCODERS))
@async_test()
async def test_decoded_by_default(name: str) -> None:
    encoding, encode = ENCODERS[name]
    body = encode(PLAIN)
    async with encoded_server(encoding, body, chunk=1000) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert resp.headers["Content-Encoding"] == encoding
                assert await resp.read() == PLAIN
            async with session.get(server.url()) as resp:  # and streamed in small reads
                parts = [p async for p in resp.content.iter_chunked(333)]
                assert b"".join(parts) == PLAIN
            assert_pool_clean(session.connector)
    assert server.accepted == 1


@pytest.mark.parametrize("name", ["gzip", "deflate-zlib", "br", "zstd"])
@async_test()
async def test_auto_decompress_false_passes_raw(name: str) -> None:
    encoding, encode = ENCODERS[name]
    body = encode(PLAIN)
    async with encoded_server(encoding, body) as server:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            async with session.get(server.url()) as resp:
                assert await resp.read() == body
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url(), auto_decompress=False) as resp:
                assert await resp.read() == body
    # Without decompression the client does not advertise encodings it would not decode.
    assert server.requests[0].header("Accept-Encoding") is None


@async_test()
async def test_accept_encoding_advertises_what_is_installed() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"x"))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                await resp.read()
    advertised = [e.strip() for e in (server.requests[0].header("Accept-Encoding") or "").split(",")]
    expected = ["gzip", "deflate"]
    if compression.HAS_BROTLI:
        expected.append("br")
    if compression.HAS_ZSTD:
        expected.append("zstd")
    assert advertised == expected
    assert compression.ACCEPT_ENCODING == ", ".join(expected)


@async_test()
async def test_reference_server_compresses_and_we_decode() -> None:
    from aiohttp import web

    from client_servers import web_server

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(body=PLAIN, content_type="text/plain")
        resp.enable_compression()  # picks from our Accept-Encoding
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    async with web_server(app) as base:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/") as resp:
                assert resp.headers.get("Content-Encoding") in ("gzip", "deflate", "br", "zstd")
                assert await resp.read() == PLAIN


@async_test(timeout=60)
async def test_decompression_bomb_stays_within_the_read_buffer() -> None:
    size = 256 * 1024 * 1024
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = compressor.compress(b"\0" * size) + compressor.flush()
    assert len(bomb) < size // 500
    bufsize = 64 * 1024
    async with encoded_server("gzip", bomb) as server:
        async with aiohttp.ClientSession(read_bufsize=bufsize) as session:
            async with session.get(server.url()) as resp:
                total = 0
                max_buffered = 0
                while True:
                    piece = await resp.content.readany()
                    if not piece:
                        break
                    total += len(piece)
                    max_buffered = max(max_buffered, resp.content._size + len(piece))
            assert total == size
            assert max_buffered <= 2 * bufsize + bufsize, max_buffered
            assert_pool_clean(session.connector)


@async_test()
async def test_corrupt_encoded_body_is_a_payload_error() -> None:
    good = gzip.compress(PLAIN)
    broken = good[:100] + bytes(b ^ 0xFF for b in good[100:200]) + good[200:]
    async with encoded_server("gzip", broken, chunk=50) as server:
        async with aiohttp.ClientSession() as session:
            resp = await session.get(server.url())
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()
            assert_pool_clean(session.connector)


@async_test()
async def test_unknown_encoding_passes_through() -> None:
    async with encoded_server("x-custom", b"opaque bytes") as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert await resp.read() == b"opaque bytes"


