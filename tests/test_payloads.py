"""Request payloads written through a real socket: bytes, sizes, content types, streaming."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import io
import json
import os
import time
import tracemalloc
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fasthttp.multipart import MultipartWriter
from fasthttp.payloads import (
    CHUNK_SIZE,
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    JsonPayload,
    Payload,
    StreamReaderPayload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    content_disposition_header,
    payload_from,
)

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run one test coroutine under a hard time limit."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


class StreamPayloadWriter:
    """The minimal PayloadWriter: StreamWriter.write + drain (socket back-pressure)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.pieces: list[int] = []

    async def write(self, data: bytes) -> None:
        assert isinstance(data, (bytes, bytearray, memoryview))
        self.pieces.append(len(data))
        self._writer.write(data)
        await self._writer.drain()


async def send(payload: Payload, *, consume: bool = True) -> tuple[bytes, list[int]]:
    """Write `payload` to a real 127.0.0.1 socket; return the bytes the server read."""
    received: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = bytearray()
        while chunk := await reader.read(2**16):
            if consume:
                data += chunk
            else:  # count only: keep the server's memory flat
                received_len[0] += len(chunk)
        received.set_result(bytes(data))
        writer.close()

    received_len = [0]
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        w = StreamPayloadWriter(writer)
        await payload.write(w)
        writer.write_eof()
        data = await received
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    if not consume:
        data = str(received_len[0]).encode()
    return data, w.pieces


def sent(payload: Payload) -> bytes:
    return run(send(payload))[0]


# -- in-memory bodies ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"hello", bytearray(b"hello"), memoryview(b"hello")])
def test_bytes_like(value: bytes | bytearray | memoryview) -> None:
    p = payload_from(value)
    assert isinstance(p, BytesPayload)
    assert p.content_type == "application/octet-stream"
    assert p.size == 5
    assert sent(p) == b"hello"


def test_large_bytes_are_written_in_pieces() -> None:
    data = os.urandom(5 * CHUNK_SIZE + 7)
    body, pieces = run(send(payload_from(data)))
    assert body == data
    assert max(pieces) <= CHUNK_SIZE


def test_str_default_utf8() -> None:
    p = payload_from("héllo")
    assert isinstance(p, StringPayload)
    assert p.content_type == "text/plain; charset=utf-8"
    assert p.size == len("héllo".encode())
    assert sent(p) == "héllo".encode()


def test_str_encoding_honoured() -> None:
    p = payload_from("héllo", encoding="latin-1")
    assert p.content_type == "text/plain; charset=latin-1"
    assert sent(p) == "héllo".encode("latin-1")


def test_str_charset_from_content_type() -> None:
    p = payload_from("héllo", content_type="text/html; charset=cp1252")
    assert p.content_type == "text/html; charset=cp1252"
    assert sent(p) == "héllo".encode("cp1252")


def test_json_payload() -> None:
    p = JsonPayload({"a": [1, "é"]})
    assert p.content_type == "application/json"
    assert json.loads(sent(p)) == {"a": [1, "é"]}
    p2 = JsonPayload({"a": 1}, dumps=lambda v: json.dumps(v, separators=(",", ":")))
    assert sent(p2) == b'{"a":1}'
    assert p2.size == 7


@pytest.mark.parametrize(
    "data, body",
    [
        ({"a": "1", "b": "x y"}, b"a=1&b=x+y"),
        ([("a", "1"), ("a", "2")], b"a=1&a=2"),
        ({"é": "ü&="}, b"%C3%A9=%C3%BC%26%3D"),
        ({}, b""),
    ],
)
def test_dict_and_pairs_are_urlencoded(data: Any, body: bytes) -> None:
    p = payload_from(data)
    assert p.content_type == "application/x-www-form-urlencoded"
    assert p.size == len(body)
    assert sent(p) == body


def test_stringio_and_bytesio() -> None:
    s = io.StringIO("abcdé")
    s.read(1)
    p = payload_from(s)
    assert isinstance(p, StringIOPayload)
    assert sent(p) == "bcdé".encode()

    b = io.BytesIO(b"0123456789" * 20000)
    b.seek(5)
    p2 = payload_from(b)
    assert isinstance(p2, BytesIOPayload)
    assert p2.size == 200000 - 5
    body, pieces = run(send(p2))
    assert body == (b"0123456789" * 20000)[5:]
    assert max(pieces) <= CHUNK_SIZE
    # Written again (a redirect): the same bytes from the same start position.
    assert sent(p2) == body


# -- files ---------------------------------------------------------------------------------


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    data = os.urandom(3 * CHUNK_SIZE + 11)
    path.write_bytes(data)
    with open(path, "rb") as f:
        f.read(10)
        p = payload_from(f)
        assert isinstance(p, BufferedReaderPayload)
        assert p.size == len(data) - 10
        assert p.content_type == "application/pdf"
        assert p.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
        body, pieces = run(send(p))
        assert body == data[10:]
        assert max(pieces) <= CHUNK_SIZE
        assert sent(p) == data[10:]  # resent from the original position


def test_unknown_extension_is_octet_stream(tmp_path: Path) -> None:
    path = tmp_path / "blob.unknownext"
    path.write_bytes(b"abc")
    with open(path, "rb") as f:
        p = payload_from(f)
        assert p.content_type == "application/octet-stream"
        assert sent(p) == b"abc"


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    text = "héllo wörld\n" * 20000
    path.write_text(text, encoding="utf-8")
    with open(path, encoding="utf-8") as f:
        p = payload_from(f)
        assert isinstance(p, TextIOPayload)
        assert p.content_type == "text/plain; charset=utf-8"
        assert p.size is None  # encoded length is only known by encoding
        body, pieces = run(send(p))
        assert body == text.encode()
        assert max(pieces) <= CHUNK_SIZE
    with open(path, encoding="utf-8") as f:
        p = payload_from(f, encoding="utf-16-le")
        assert sent(p) == text.encode("utf-16-le")


def test_pipe_has_unknown_size() -> None:
    r, w = os.pipe()
    os.write(w, b"through a pipe")
    os.close(w)
    with os.fdopen(r, "rb") as f:
        p = payload_from(f)
        assert p.size is None
        assert sent(p) == b"through a pipe"


def test_large_file_bounded_memory_and_loop_not_blocked(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    size = 50 * 2**20
    block = os.urandom(2**20)
    with open(path, "wb") as f:
        for _ in range(50):
            f.write(block)

    async def main() -> tuple[int, int, int, float]:
        ticks = 0
        max_gap = 0.0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks, max_gap
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.001)
                now = time.monotonic()
                max_gap = max(max_gap, now - last)
                last = now
                ticks += 1

        task = asyncio.create_task(ticker())
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            with open(path, "rb") as f:
                p = payload_from(f)
                assert p.size == size
                result, pieces = await send(p, consume=False)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
            stop.set()
            await task
        assert max(pieces) <= CHUNK_SIZE
        return int(result), peak, ticks, max_gap

    received, peak, ticks, max_gap = run(main(), timeout=60)
    assert received == size
    assert peak < 8 * 2**20, f"peak {peak} bytes for a {size} byte file"
    assert ticks > 10
    assert max_gap < 1.0


# -- streams -------------------------------------------------------------------------------


def test_async_generator() -> None:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(5):
            await asyncio.sleep(0)
            yield b"part%d," % i
        yield os.urandom(0)
        yield b"x" * (3 * CHUNK_SIZE)

    p = payload_from(gen())
    assert isinstance(p, AsyncIterablePayload)
    assert p.size is None
    assert p.content_type == "application/octet-stream"
    body, pieces = run(send(p))
    assert body == b"part0,part1,part2,part3,part4," + b"x" * (3 * CHUNK_SIZE)
    assert max(pieces) <= CHUNK_SIZE


def test_async_iterable_is_single_use() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"a"

    p = payload_from(gen())
    assert sent(p) == b"a"
    with pytest.raises(RuntimeError, match="once"):
        sent(p)


def test_async_iterable_of_str_is_refused() -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "text"

    with pytest.raises(TypeError, match="must yield bytes"):
        sent(payload_from(gen()))


class FakeContent:
    """Stands for another response's `.content` (aiohttp StreamReader-like)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = list(chunks)

    async def iter_any(self) -> AsyncIterator[bytes]:
        while self._chunks:
            await asyncio.sleep(0)
            yield self._chunks.pop(0)


class FakeReadany:
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = list(chunks)

    async def readany(self) -> bytes:
        await asyncio.sleep(0)
        return self._chunks.pop(0) if self._chunks else b""


@pytest.mark.parametrize("cls", [FakeContent, FakeReadany])
def test_response_content_is_streamed_through(cls: type) -> None:
    p = payload_from(cls([b"one ", b"two ", b"three"]))
    assert isinstance(p, StreamReaderPayload)
    assert p.size is None
    assert sent(p) == b"one two three"


# -- selection -----------------------------------------------------------------------------


def test_payload_is_returned_as_is() -> None:
    p = BytesPayload(b"x")
    assert payload_from(p) is p


@pytest.mark.parametrize("value", [1, 1.5, object(), [1, 2], {1, 2}, None])
def test_unsupported_types_raise_type_error(value: Any) -> None:
    with pytest.raises(TypeError):
        payload_from(value)


def test_type_error_message_is_clear() -> None:
    with pytest.raises(TypeError, match="cannot send a int as a request body"):
        payload_from(42)


def test_dict_with_file_becomes_multipart(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"file body")
    with open(path, "rb") as f:
        p = payload_from({"field": "value", "upload": f})
        assert isinstance(p, MultipartWriter)
        assert p.content_type is not None and p.content_type.startswith("multipart/form-data")
        body = sent(p)
        assert p.size == len(body)
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + p.content_type.encode() + b"\r\n\r\n" + body
    )
    parts = list(msg.iter_parts())
    assert [part.get_param("name", header="content-disposition") for part in parts] == [
        "field",
        "upload",
    ]
    assert parts[1].get_filename() == "a.txt"
    assert parts[1].get_content_type() == "text/plain"
    assert parts[0].get_payload(decode=True) == b"value"
    assert parts[1].get_payload(decode=True) == b"file body"


def test_header_injection_refused() -> None:
    with pytest.raises(ValueError, match="control character"):
        BytesPayload(b"x", content_type="text/plain\r\nX-Evil: 1")


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"name": "a b"}, 'form-data; name="a\\ b"'),
        ({"name": 'q"x'}, 'form-data; name="q\\"x"'),
        ({"name": "é"}, "form-data; name*=utf-8''%C3%A9"),
        ({"filename": 'my "file".txt'}, 'form-data; filename="my%20%22file%22.txt"'),
    ],
)
def test_content_disposition_quoting(params: dict[str, str], expected: str) -> None:
    assert content_disposition_header("form-data", **params) == expected


def test_content_disposition_quoting_matches_aiohttp() -> None:
    helpers = pytest.importorskip("aiohttp.helpers")
    for params in [{"name": "a b"}, {"name": "é\\"}, {"filename": "ü x.txt"}, {"name": "x;y"}]:
        for quote_fields in (True, False):
            ours = content_disposition_header("form-data", quote_fields=quote_fields, **params)
            theirs = helpers.content_disposition_header("form-data", quote_fields, **params)
            assert ours == theirs
    with pytest.raises(ValueError):
        content_disposition_header("bad type")


def test_repr_and_decode() -> None:
    p = payload_from("abc")
    assert "StringPayload" in repr(p) and "3 bytes" in repr(p)
    assert p.decode() == "abc"
    assert run(p.as_bytes()) == b"abc"


def test_an_abandoned_file_write_does_not_take_the_next_writes_bytes(tmp_path: Path) -> None:
    # A request sent again (a stale connection's retry, a redirect) writes the file payload a
    # second time while the first write, abandoned, may still be reading: the first then
    # reads nothing more, and the second gets the whole file from its start.
    path = tmp_path / "body"
    data = bytes(range(256)) * (3 * CHUNK_SIZE // 256)
    path.write_bytes(data)

    async def main() -> None:
        with open(path, "rb") as f:
            payload = BufferedReaderPayload(f)
            first: list[bytes] = []
            gate = asyncio.Event()

            class Held:
                async def write(self, chunk: bytes) -> None:
                    first.append(bytes(chunk))
                    await gate.wait()  # abandoned after its first piece

            abandoned = asyncio.ensure_future(payload.write(Held()))
            while not first:
                await asyncio.sleep(0.01)
            second: list[bytes] = []

            class Collect:
                async def write(self, chunk: bytes) -> None:
                    second.append(bytes(chunk))
                    if len(second) == 1:
                        # The first write goes on, in the middle of the second: its next
                        # read must find nothing.
                        gate.set()
                        await asyncio.sleep(0.1)

            await payload.write(Collect())
            await abandoned
            assert b"".join(second) == data
            assert first == [data[:CHUNK_SIZE]]
            assert not payload.consumed

    run(main())
