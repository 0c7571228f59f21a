"""-x/--compress and --chunked: the exact bytes a raw 127.0.0.1 server receives (head and body,
de-chunked by the test itself), compared with httpie's for the same invocation."""

from __future__ import annotations

import asyncio
import subprocess
import zlib
from typing import Any, Iterator

import pytest

from cli_helpers import PYTHON, REPO, ThreadLoop, cli_env, raw_server, run_cli

LONG = "z" * 300  # deflates to far less than itself
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class Received:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes, bool]] = []  # headers, body, was chunked

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, sep, value = line.decode("latin-1").partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        body = await (self._chunks(reader) if chunked else reader.readexactly(int(headers.get("content-length", "0"))))
        self.requests.append((headers, body, chunked))
        writer.write(ANSWER)
        await writer.drain()

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> bytes:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return body
            body += await reader.readexactly(size)
            assert await reader.readexactly(2) == b"\r\n"

    def last(self) -> tuple[dict[str, str], bytes, bool]:
        assert self.requests, "the server received nothing"
        return self.requests.pop()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Received]]:
    tl = ThreadLoop()
    received = Received()
    try:
        with raw_server(tl, received.handle) as port:
            yield f"http://127.0.0.1:{port}", received
    finally:
        tl.close()


def ours(*args: str) -> Any:
    run = run_cli(*args)
    assert run.code == 0, run
    return run


def httpie(*args: str) -> None:
    pytest.importorskip("httpie", reason="httpie (the test extra) is the reference peer")
    proc = subprocess.run([PYTHON, "-m", "httpie", "--ignore-stdin", *args], capture_output=True, timeout=60,
                          cwd=REPO, env=cli_env(HTTPIE_CONFIG_DIR=REPO + "/.no-httpie-config"))
    assert proc.returncode == 0, proc


def test_compress_deflates_a_body_it_shrinks(server: tuple[str, Received]) -> None:
    url, received = server
    ours("-x", "POST", f"{url}/x", f"a={LONG}")
    headers, body, chunked = received.last()
    assert headers["content-encoding"] == "deflate" and not chunked
    assert int(headers["content-length"]) == len(body) < len(LONG)
    assert zlib.decompress(body) == b'{"a": "' + LONG.encode() + b'"}'


def test_compress_leaves_a_body_it_would_grow_unless_twice(server: tuple[str, Received]) -> None:
    url, received = server
    ours("-x", "POST", f"{url}/x", "a=1")
    headers, body, _ = received.last()
    assert "content-encoding" not in headers and body == b'{"a": "1"}'
    ours("-xx", "POST", f"{url}/x", "a=1")
    headers, body, _ = received.last()
    assert headers["content-encoding"] == "deflate" and zlib.decompress(body) == b'{"a": "1"}'
    assert len(body) > len(b'{"a": "1"}')


def test_compress_takes_forms_files_and_stdin(server: tuple[str, Received], tmp_path: Any) -> None:
    url, received = server
    ours("-x", "-f", "POST", f"{url}/x", f"a={LONG}")
    headers, body, _ = received.last()
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert zlib.decompress(body) == f"a={LONG}".encode()
    run = run_cli("-xx", "POST", f"{url}/x", stdin=b"piped " * 50)
    assert run.code == 0, run
    headers, body, _ = received.last()
    assert headers["content-encoding"] == "deflate" and zlib.decompress(body) == b"piped " * 50


def test_compress_sends_the_same_bytes_as_httpie(server: tuple[str, Received]) -> None:
    url, received = server
    for flag in ("-x", "-xx"):
        args = (flag, "POST", f"{url}/x", f"a={LONG}", "n:=3")
        httpie(*args)
        reference = received.last()
        ours(*args)
        mine = received.last()
        assert mine[1] == reference[1], flag
        assert mine[0]["content-encoding"] == reference[0]["content-encoding"] == "deflate"


def test_compress_label_replaces_a_content_encoding_item(server: tuple[str, Received]) -> None:
    url, received = server
    ours("-x", "POST", f"{url}/x", "Content-Encoding:gzip", f"a={LONG}")
    headers, body, _ = received.last()
    assert headers["content-encoding"] == "deflate" and zlib.decompress(body).startswith(b'{"a"')


def test_chunked_sends_the_body_in_chunks(server: tuple[str, Received]) -> None:
    url, received = server
    ours("--chunked", "POST", f"{url}/x", "a=1", "b:=[1,2]")
    headers, body, chunked = received.last()
    assert chunked and "content-length" not in headers
    assert body == b'{"a": "1", "b": [1, 2]}'
    ours("--chunked", "-x", "POST", f"{url}/x", f"a={LONG}")
    headers, body, chunked = received.last()
    assert chunked and headers["content-encoding"] == "deflate" and "content-length" not in headers
    assert zlib.decompress(body) == b'{"a": "' + LONG.encode() + b'"}'


def test_chunked_without_a_body_sends_none(server: tuple[str, Received]) -> None:
    url, received = server
    ours("--chunked", f"{url}/x")
    headers, body, chunked = received.last()
    assert not chunked and body == b"" and "transfer-encoding" not in headers


def test_offline_shows_the_framing_and_the_deflated_body() -> None:
    run = ours("--offline", "--chunked", "-x", "-p", "HB", "POST", "http://127.0.0.1:1/x", f"a={LONG}")
    head, _, body = run.out.partition(b"\n\n")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Encoding: deflate" in head
    assert b"Content-Length" not in head
    assert zlib.decompress(body.rstrip(b"\n")) == b'{"a": "' + LONG.encode() + b'"}'
