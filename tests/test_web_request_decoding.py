"""Request bodies sent with a Content-Encoding are decoded before the handler reads them, as
aiohttp.web decodes them (fasthttp/web/request_decoding.py).

The same application runs on aiohttp.web and fasthttp.web, and the same raw requests go to both:
each codec, sent whole and trickled in small pieces, through every body reader; a body that
cannot be decoded; an unknown encoding; auto_decompress=False. fasthttp-only: a decompression
bomb answered 413 with memory bounded, a streamed bomb held to the read buffer.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import tracemalloc
import zlib
from typing import Any, Callable

import aiohttp
import aiohttp.web as aio_web
import pytest

from fasthttp import web
from fasthttp.compression import HAS_BROTLI, HAS_ZSTD
from fasthttp.web import runner as fasthttp_runner
from web_helpers import (
    HOST, async_test, parse_responses, raw_connection, raw_exchange, read_response, running,
)

SERVERS = {"fasthttp": web, "aiohttp": aio_web}


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def _brotli(data: bytes) -> bytes:
    import brotli

    return brotli.compress(data)  # type: ignore[no-any-return]


def _zstd(data: bytes) -> bytes:
    try:
        from backports import zstd
    except ImportError:  # pragma: no cover - depends on the environment
        from compression import zstd  # type: ignore[import-not-found,no-redef]
    return zstd.compress(data)  # type: ignore[no-any-return]


# name -> (Content-Encoding, compressor)
CODECS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": ("gzip", gzip.compress),
    "deflate-zlib": ("deflate", zlib.compress),
    "deflate-raw": ("deflate", _raw_deflate),
    "br": ("br", _brotli),
    "zstd": ("zstd", _zstd),
}
needs_codec = {
    "br": pytest.mark.skipif(not HAS_BROTLI, reason="Brotli not installed"),
    "zstd": pytest.mark.skipif(not HAS_ZSTD, reason="no zstd library"),
}
CODEC_PARAMS = [pytest.param(name, marks=needs_codec.get(name, ())) for name in CODECS]

FORM = b"name=caf%C3%A9&n=42&" + b"&".join(b"k%d=%d" % (i, i) for i in range(200))
JSON_BODY = json.dumps({"items": list(range(500)), "word": "caf\u00e9"}).encode()
TEXT = ("caf\u00e9 " * 2000).encode()
BOUNDARY = "decodingboundary"
MULTIPART = (
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n{'x' * 3000}\r\n"
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"b\"; filename=\"b.bin\"\r\n"
    f"Content-Type: application/octet-stream\r\n\r\n{'y' * 5000}\r\n--{BOUNDARY}--\r\n"
).encode()

# reader -> (body sent, Content-Type)
READERS: dict[str, tuple[bytes, str]] = {
    "read": (TEXT, "application/octet-stream"),
    "text": (TEXT, "text/plain; charset=utf-8"),
    "json": (JSON_BODY, "application/json"),
    "post": (FORM, "application/x-www-form-urlencoded"),
    "iter_chunked": (TEXT, "application/octet-stream"),
    "multipart": (MULTIPART, f"multipart/form-data; boundary={BOUNDARY}"),
}


def _digest(data: bytes) -> str:
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()[:16]}"


def make_app(w: Any, **app_kwargs: Any) -> Any:
    """The same handlers for aiohttp.web and fasthttp.web; each answers what its reader saw."""

    async def read(request: Any) -> Any:
        return w.Response(text=_digest(await request.read()))

    async def text(request: Any) -> Any:
        return w.Response(text=_digest((await request.text()).encode()))

    async def json_(request: Any) -> Any:
        return w.json_response(await request.json())

    async def post(request: Any) -> Any:
        return w.json_response(sorted((await request.post()).items()))

    async def iter_chunked(request: Any) -> Any:
        parts = []
        async for piece in request.content.iter_chunked(1000):
            assert 0 < len(piece) <= 1000  # at most n bytes, as they come
            parts.append(piece)
        return w.Response(text=_digest(b"".join(parts)))

    async def multipart(request: Any) -> Any:
        reader = await request.multipart()
        seen = []
        while (part := await reader.next()) is not None:
            seen.append([part.name, _digest(await part.read())])
        return w.json_response(seen)

    async def caught(request: Any) -> Any:
        try:
            await request.read()
        except w.RequestPayloadError as exc:
            return w.Response(status=422, text=f"{type(exc).__name__}: {exc}")
        return w.Response(text="decoded")

    app = w.Application(**app_kwargs)
    app.router.add_post("/read", read)
    app.router.add_post("/text", text)
    app.router.add_post("/json", json_)
    app.router.add_post("/post", post)
    app.router.add_post("/iter_chunked", iter_chunked)
    app.router.add_post("/multipart", multipart)
    app.router.add_post("/caught", caught)
    return app


def request_bytes(path: str, body: bytes, encoding: str, content_type: str, *,
                  chunked: bool = False, chunk_size: int = 0) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
        f"Content-Type: {content_type}\r\n"
    )
    if encoding:
        head += f"Content-Encoding: {encoding}\r\n"
    if not chunked:
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
    framed = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + chunk_size]), body[i : i + chunk_size])
        for i in range(0, len(body), chunk_size)
    )
    return f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + framed + b"0\r\n\r\n"


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def answer(w: Any, data: bytes | list[bytes], *, pause: float = 0.0,
                 app_kwargs: Any = None, **runner_kwargs: Any) -> tuple[int, bytes]:
    async with running(make_app(w, **(app_kwargs or {})), w, **runner_kwargs) as port:
        raw = await raw_exchange(port, data, pause=pause)
    response = parse_responses(raw)[0]
    return response.status, response.body


async def both(data: bytes | list[bytes], **kwargs: Any) -> dict[str, tuple[int, bytes]]:
    return {name: await answer(w, data, **kwargs) for name, w in SERVERS.items()}


def plain_answer(reader: str) -> Any:
    """What the handler answers for the body sent uncompressed."""
    body = READERS[reader][0]
    if reader in ("read", "iter_chunked"):
        return _digest(body).encode()
    if reader == "text":
        return _digest(body.decode().encode()).encode()
    if reader == "json":
        return json.loads(body)
    if reader == "post":
        from urllib.parse import parse_qsl

        return sorted([list(p) for p in parse_qsl(body.decode(), keep_blank_values=True)])
    return [["a", _digest(b"x" * 3000)], ["b", _digest(b"y" * 5000)]]


def decoded(reader: str, body: bytes) -> Any:
    return json.loads(body) if reader in ("json", "post", "multipart") else body


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("codec", CODEC_PARAMS)
@async_test(30)
async def test_each_codec_each_reader_as_aiohttp(codec: str, reader: str) -> None:
    encoding, compress = CODECS[codec]
    body, content_type = READERS[reader]
    data = request_bytes(f"/{reader}", compress(body), encoding, content_type)
    got = await both(data)
    assert got["fasthttp"] == got["aiohttp"]
    status, answered = got["fasthttp"]
    assert status == 200, answered
    assert decoded(reader, answered) == plain_answer(reader)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunks-of-7", "content-length"])
@pytest.mark.parametrize("reader", ["read", "iter_chunked", "multipart"])
@pytest.mark.parametrize("codec", CODEC_PARAMS)
@async_test(60)
async def test_trickled_in_small_pieces(codec: str, reader: str, chunked: bool) -> None:
    """A compressed body that arrives a few bytes at a time (raw socket writes of 97 bytes;
    in HTTP chunks of 7 bytes, or with a Content-Length) decodes to the same body as one sent
    whole."""
    encoding, compress = CODECS[codec]
    body, content_type = READERS[reader]
    data = request_bytes(f"/{reader}", compress(body), encoding, content_type, chunked=chunked,
                         chunk_size=7)
    got = await both(pieces(data, 97), pause=0.001)
    assert got["fasthttp"] == got["aiohttp"]
    status, answered = got["fasthttp"]
    assert status == 200, answered
    assert decoded(reader, answered) == plain_answer(reader)


def _bad_gzip() -> bytes:
    good = gzip.compress(TEXT)
    return good[:10] + b"\xff" * 40 + good[50:]


@pytest.mark.parametrize("name", ["fasthttp", "aiohttp"])
@async_test()
async def test_corrupt_body_is_request_payload_error(name: str) -> None:
    data = request_bytes("/caught", _bad_gzip(), "gzip", "application/octet-stream")
    status, body = await answer(SERVERS[name], data)
    assert status == 422
    assert body.startswith(b"RequestPayloadError: ") and b"gzip" in body, body


@pytest.mark.parametrize("codec", ["gzip", "deflate-zlib"])
@async_test()
async def test_corrupt_body_unhandled_answers_as_aiohttp(codec: str) -> None:
    encoding, _ = CODECS[codec]
    data = request_bytes("/read", b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not compressed at all",
                         encoding, "application/octet-stream")
    got = await both(data)
    assert got["fasthttp"][0] == got["aiohttp"][0] == 500


@async_test()
async def test_truncated_deflate_unhandled_is_400_as_aiohttp() -> None:
    data = request_bytes("/read", zlib.compress(TEXT)[:-20], "deflate", "application/octet-stream")
    got = await both(data)
    assert got["fasthttp"][0] == got["aiohttp"][0] == 400, got


@pytest.mark.parametrize("codec", CODEC_PARAMS)
@async_test()
async def test_truncated_body_is_a_request_payload_error_not_a_short_body(codec: str) -> None:
    """The handler can catch it (aiohttp.web answers 400 from its parser instead, and hands
    over a gzip, br or zstd body cut short as if it were whole)."""
    encoding, compress = CODECS[codec]
    data = request_bytes("/caught", compress(TEXT)[:-20], encoding, "application/octet-stream")
    status, body = await answer(web, data)
    assert status == 422 and b"truncated" in body, body


@pytest.mark.parametrize("encoding", ["x-gzip", "compress", "gzip, br", "identity"])
@async_test()
async def test_unknown_encoding_is_handed_over_as_sent(encoding: str) -> None:
    sent = gzip.compress(TEXT)
    got = await both(request_bytes("/read", sent, encoding, "application/octet-stream"))
    assert got["fasthttp"] == got["aiohttp"] == (200, _digest(sent).encode())


@pytest.mark.parametrize("codec", CODEC_PARAMS)
@async_test()
async def test_auto_decompress_false_hands_over_raw(codec: str) -> None:
    encoding, compress = CODECS[codec]
    sent = compress(TEXT)
    data = request_bytes("/read", sent, encoding, "application/octet-stream")
    got = await both(data, auto_decompress=False)
    assert got["fasthttp"] == got["aiohttp"] == (200, _digest(sent).encode())


@async_test()
async def test_auto_decompress_on_web_server() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response(body=await request.read())

    sent = gzip.compress(TEXT)
    for flag, expected in ((True, TEXT), (False, sent)):
        server = web.Server(handler, auto_decompress=flag)
        runner = web.ServerRunner(server)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        try:
            raw = await raw_exchange(runner.addresses[0][1],
                                     request_bytes("/", sent, "gzip", "application/octet-stream"))
        finally:
            await asyncio.wait_for(runner.cleanup(), 10)
        assert parse_responses(raw)[0].body == expected


def test_run_app_passes_auto_decompress_on(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class Stop(Exception):
        pass

    class FakeRunner:
        def __init__(self, app: Any, **kwargs: Any) -> None:
            seen.update(kwargs)

        async def setup(self) -> None:
            raise Stop  # run_app stops here, having built its runner

    monkeypatch.setattr(fasthttp_runner, "AppRunner", FakeRunner)
    with pytest.raises(Stop):
        web.run_app(web.Application(), auto_decompress=False, print=None, handle_signals=False)
    assert seen["auto_decompress"] is False


@pytest.mark.parametrize("name", ["fasthttp", "aiohttp"])
@async_test(30)
async def test_bomb_is_413(name: str) -> None:
    bomb = gzip.compress(b"\0" * (40 * 1024**2), compresslevel=9)  # ~40 KiB on the wire
    assert len(bomb) < 1024**2
    data = request_bytes("/read", bomb, "gzip", "application/octet-stream")
    status, _ = await answer(SERVERS[name], data, app_kwargs={"client_max_size": 1024**2})
    assert status == 413


@async_test(30)
async def test_bomb_read_holds_the_limit_plus_a_window() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024**2), compresslevel=9)
    data = request_bytes("/read", bomb, "gzip", "application/octet-stream")
    async with running(make_app(web, client_max_size=1024**2), web) as port:
        tracemalloc.start()
        try:
            raw = await raw_exchange(port, data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert parse_responses(raw)[0].status == 413
    # client_max_size (1 MiB) plus a few read buffers and zlib's window, not 64 MiB.
    assert peak < 4 * 1024**2, peak


@pytest.mark.parametrize("codec", CODEC_PARAMS)
@async_test(60)
async def test_streamed_bomb_in_small_chunks_stays_within_the_read_buffer(codec: str) -> None:
    """Each small HTTP chunk of a bomb could decode to a full read buffer of its own: the body
    stream keeps what comes while decoded output waits compressed, so what is buffered stays
    about read_bufsize whatever the number of chunks (fasthttp.streams: held input)."""
    encoding, compress = CODECS[codec]
    total = 16 * 1024**2
    bomb = compress(b"\0" * total)
    buffered: list[int] = []

    async def stall(request: web.Request) -> web.Response:
        content = request.content
        assert await content.read(1) == b"\0"
        await asyncio.sleep(0.3)  # the whole request has been sent by now
        buffered.append(content._size)
        size = 1
        async for piece in content.iter_chunked(65536):
            size += len(piece)
            buffered.append(content._size)
        return web.Response(text=str(size))

    app = web.Application()
    app.router.add_post("/stall", stall)
    limit = 2**16
    async with running(app, web, read_bufsize=limit) as port:
        raw = await raw_exchange(port, request_bytes(
            "/stall", bomb, encoding, "application/octet-stream", chunked=True, chunk_size=50,
        ), timeout=30)
    response = parse_responses(raw)[0]
    assert (response.status, response.body) == (200, str(total).encode())
    # A decoder's step (read_bufsize) over the high-water mark (2 x read_bufsize) at most.
    assert max(buffered) <= 3 * limit, max(buffered)


@async_test()
async def test_plain_body_reader_is_not_a_decoding_one() -> None:
    """A request without Content-Encoding (or with auto_decompress=False) gets the plain stream:
    nothing decodes on its path."""
    kinds: list[str] = []

    async def kind(request: web.Request) -> web.Response:
        kinds.append(type(request.content).__name__)
        await request.read()
        return web.Response()

    app = web.Application()
    app.router.add_post("/", kind)
    async with running(app, web) as port:
        await raw_exchange(port, request_bytes("/", TEXT, "", "text/plain"))
        await raw_exchange(port, request_bytes("/", gzip.compress(TEXT), "gzip", "text/plain"))
    async with running(app, web, auto_decompress=False) as port:
        await raw_exchange(port, request_bytes("/", gzip.compress(TEXT), "gzip", "text/plain"))
    assert kinds == ["StreamReader", "DecodingRequestBody", "StreamReader"]


@async_test()
async def test_client_sends_compressed_and_server_reads_decoded() -> None:
    """fasthttp's own client, compress="deflate", against fasthttp.web: the handler reads the
    body as it was before compression (as with aiohttp on both sides)."""
    import fasthttp

    async with running(make_app(web), web) as port:
        async with fasthttp.ClientSession() as session:
            async with session.post(f"http://{HOST}:{port}/read", data=TEXT, compress="deflate") as resp:
                assert resp.status == 200
                assert (await resp.read()).decode() == _digest(TEXT)
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://{HOST}:{port}/read", data=TEXT, compress="deflate") as resp:
                assert (await resp.read()).decode() == _digest(TEXT)


@async_test()
async def test_known_encoding_without_its_library_is_request_payload_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """br without Brotli installed: the reader raises RequestPayloadError saying what to
    install (aiohttp.web refuses the request with 400 before the handler runs)."""
    from fasthttp import compression
    from fasthttp.http_exceptions import ContentEncodingError

    def missing() -> Any:
        raise ContentEncodingError("Can not decode content-encoding: brotli (br). Please install `Brotli`")

    monkeypatch.setitem(compression._FACTORIES, "br", missing)
    status, body = await answer(web, request_bytes("/caught", b"\x0b\x02\x80hi\x03", "br", "text/plain"))
    assert status == 422 and b"RequestPayloadError" in body and b"Please install `Brotli`" in body, body


@pytest.mark.parametrize("name", ["fasthttp", "aiohttp"])
@async_test()
async def test_unread_compressed_body_then_next_request_on_the_connection(name: str) -> None:
    """A compressed body the handler does not read is dropped; the connection goes on."""
    w = SERVERS[name]

    async def ignore(request: Any) -> Any:
        return w.Response(text="ignored")

    app = make_app(w)
    app.router.add_post("/ignore", ignore)
    first = request_bytes("/ignore", gzip.compress(TEXT), "gzip", "text/plain").replace(
        b"Connection: close\r\n", b""
    )
    async with running(app, w) as port, raw_connection(port) as (reader, writer):
        writer.write(first + request_bytes("/read", gzip.compress(TEXT), "gzip", "text/plain"))
        responses = [await read_response(reader), await read_response(reader)]
    assert [(r.status, r.body) for r in responses] == [
        (200, b"ignored"), (200, _digest(TEXT).encode()),
    ]
