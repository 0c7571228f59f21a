"""Request bodies: what each kind of `data=`/`json=`/`text=` puts on the wire, byte for byte."""

from __future__ import annotations

import asyncio
import io
import json
import os
import tracemalloc
from pathlib import Path
from typing import AsyncIterator

import pytest

import fasthttp as aiohttp
from client_servers import (
    Conn,
    RawServer,
    assert_pool_clean,
    async_test,
    echo_route,
    keep_alive,
    read_request,
    response,
)


async def send(**kwargs: object) -> tuple["object", bytes]:
    """POST through a session to an echo server; (request as the server saw it, response body)."""
    method = str(kwargs.pop("method", "POST"))
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession(**kwargs.pop("session_kw", {})) as session:  # type: ignore[arg-type]
            async with session.request(method, server.url("/up"), **kwargs) as resp:  # type: ignore[arg-type]
                assert resp.status == 200
                echoed = await resp.read()
            assert_pool_clean(session.connector)
    assert len(server.requests) == 1
    request = server.requests[0]
    assert echoed == request.raw
    return request, echoed


@async_test()
async def test_dict_is_urlencoded() -> None:
    request, _ = await send(data={"a": "1", "b": "x y&z", "c": "é"})
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.body == b"a=1&b=x+y%26z&c=%C3%A9"
    assert request.header("Content-Length") == str(len(request.body))


@async_test()
async def test_bytes_body() -> None:
    body = bytes(range(256)) * 3
    request, _ = await send(data=body)
    assert request.header("Content-Type") == "application/octet-stream"
    assert request.header("Content-Length") == "768"
    assert request.body == body
    assert request.header("Transfer-Encoding") is None


@async_test()
async def test_large_bytes_body_is_sent_whole() -> None:
    body = os.urandom(3 * 1024 * 1024)
    request, _ = await send(data=body)
    assert request.body == body


@async_test()
async def test_str_body_and_text_keyword() -> None:
    request, _ = await send(data="héllo")
    assert request.header("Content-Type") == "text/plain; charset=utf-8"
    assert request.body == "héllo".encode()
    request, _ = await send(text="wörld")
    assert request.header("Content-Type") == "text/plain; charset=utf-8"
    assert request.body == "wörld".encode()
    assert request.header("Content-Length") == str(len("wörld".encode()))


@async_test()
async def test_explicit_content_type_wins() -> None:
    request, _ = await send(data=b"<x/>", headers={"Content-Type": "application/xml"})
    assert request.header_all("Content-Type") == ["application/xml"]


@async_test()
async def test_json_default_and_custom_serializer() -> None:
    request, _ = await send(json={"a": [1, 2], "b": "é"})
    assert request.header("Content-Type") == "application/json"
    assert json.loads(request.body) == {"a": [1, 2], "b": "é"}
    assert request.body == json.dumps({"a": [1, 2], "b": "é"}).encode()

    calls: list[object] = []

    def serialize(value: object) -> str:
        calls.append(value)
        return "CUSTOM" + json.dumps(value, separators=(",", ":"))

    request, _ = await send(json={"x": 1}, session_kw={"json_serialize": serialize})
    assert calls == [{"x": 1}]
    assert request.body == b'CUSTOM{"x":1}'


@async_test()
async def test_data_json_text_are_exclusive() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError):
            await session.post("http://127.0.0.1:9/", data=b"x", json={})
        with pytest.raises(ValueError):
            await session.post("http://127.0.0.1:9/", data=b"x", text="y")


@async_test()
async def test_empty_post_sends_content_length_zero() -> None:
    request, _ = await send()
    assert request.header("Content-Length") == "0"
    assert request.body == b""


@async_test()
async def test_open_file_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    content = os.urandom(300_000)
    path.write_bytes(content)
    with path.open("rb") as f:
        request, _ = await send(data=f)
    assert request.body == content
    assert request.header("Content-Length") == str(len(content))
    assert request.header("Content-Type") == "application/octet-stream"


@async_test(timeout=60)
async def test_open_file_upload_memory_is_bounded(tmp_path: Path) -> None:
    size = 48 * 1024 * 1024
    path = tmp_path / "big.bin"
    with path.open("wb") as f:
        block = os.urandom(1024 * 1024)
        for _ in range(size // len(block)):
            f.write(block)
    received = 0

    async def sink(conn: Conn) -> None:
        nonlocal received
        request = await read_request(conn.reader, body=False)
        assert request is not None
        length = int(request.header("content-length") or -1)
        while received < length:
            chunk = await conn.reader.read(65536)
            if not chunk:
                return
            received += len(chunk)
        await conn.send(response(200, b"ok"))

    async with RawServer(sink) as server:
        async with aiohttp.ClientSession() as session:
            tracemalloc.start()
            try:
                with path.open("rb") as f:
                    async with session.post(server.url(), data=f) as resp:
                        assert await resp.read() == b"ok"
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert received == size
    assert peak < 8 * 1024 * 1024, f"upload of {size} bytes peaked at {peak} bytes"


@async_test()
async def test_bytesio_body() -> None:
    request, _ = await send(data=io.BytesIO(b"from bytesio"))
    assert request.body == b"from bytesio"
    assert request.header("Content-Length") == "12"


@async_test()
async def test_dict_with_file_is_multipart(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(b"file content\r\nline 2")
    with path.open("rb") as f:
        request, _ = await send(data={"field": "value", "upload": f})
    content_type = request.header("Content-Type") or ""
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    body = request.body
    assert body.startswith(b"--" + boundary + b"\r\n")
    assert body.endswith(b"--" + boundary + b"--\r\n")
    assert b'Content-Disposition: form-data; name="field"\r\n' in body
    assert b"\r\n\r\nvalue\r\n" in body
    assert b'name="upload"; filename="report.txt"' in body
    assert b"\r\n\r\nfile content\r\nline 2\r\n--" + boundary in body


@async_test()
async def test_formdata_with_filename_and_content_type_is_parsed_by_aiohttp() -> None:
    # The reference server parses what we send: the multipart must be well formed.
    from aiohttp import web

    seen: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        post = await request.post()
        seen["plain"] = post["plain"]
        upload = post["upload"]
        seen["filename"] = upload.filename  # type: ignore[union-attr]
        seen["ctype"] = upload.content_type  # type: ignore[union-attr]
        seen["data"] = upload.file.read()  # type: ignore[union-attr]
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/form", handler)
    from client_servers import web_server

    form = aiohttp.FormData()
    form.add_field("plain", "text value")
    form.add_field("upload", b"\x00\x01binary", filename="data.bin", content_type="application/x-thing")
    async with web_server(app) as base:
        async with aiohttp.ClientSession() as session:
            async with session.post(base + "/form", data=form) as resp:
                assert resp.status == 200, await resp.text()
    assert seen == {
        "plain": "text value",
        "filename": "data.bin",
        "ctype": "application/x-thing",
        "data": b"\x00\x01binary",
    }


@async_test()
async def test_formdata_without_files_is_urlencoded() -> None:
    form = aiohttp.FormData()
    form.add_field("a", "1")
    form.add_field("a", "2")
    request, _ = await send(data=form)
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.body == b"a=1&a=2"


@async_test()
async def test_async_generator_is_sent_chunked_exact_bytes() -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"hello"
        await asyncio.sleep(0.01)
        yield b""  # an empty piece must not end the body early
        yield b", "
        yield b"x" * 20
        yield b"world"

    request, _ = await send(data=gen())
    assert request.header("Transfer-Encoding") == "chunked"
    assert request.header("Content-Length") is None
    assert request.raw_body == (
        b"5\r\nhello\r\n2\r\n, \r\n14\r\n" + b"x" * 20 + b"\r\n5\r\nworld\r\n0\r\n\r\n"
    )
    assert request.body == b"hello, " + b"x" * 20 + b"world"


@async_test()
async def test_chunked_true_with_bytes() -> None:
    request, _ = await send(data=b"abc", chunked=True)
    assert request.header("Transfer-Encoding") == "chunked"
    assert request.raw_body == b"3\r\nabc\r\n0\r\n\r\n"


@async_test()
async def test_another_responses_content_streamed_through() -> None:
    source_body = os.urandom(1_000_000)

    async def source(conn: Conn) -> None:
        request = await conn.read_request()
        assert request is not None
        head = response(200, b"", headers={"Content-Length": str(len(source_body))})
        await conn.send(head)
        for i in range(0, len(source_body), 100_000):
            await conn.send(source_body[i : i + 100_000])
            await asyncio.sleep(0.001)

    async with RawServer(source) as src, RawServer(keep_alive(echo_route)) as dst:
        async with aiohttp.ClientSession() as session:
            async with session.get(src.url("/download")) as download:
                async with session.post(dst.url("/upload"), data=download.content) as upload:
                    assert upload.status == 200
                    await upload.read()
            assert_pool_clean(session.connector)
    request = dst.requests[0]
    assert request.header("Transfer-Encoding") == "chunked"
    assert request.body == source_body


@async_test()
async def test_expect_100_continue() -> None:
    async def handler(conn: Conn) -> None:
        request = await read_request(conn.reader, body=False)
        assert request is not None
        assert request.header("Expect") == "100-continue"
        # Nothing of the body may come before the 100.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(conn.reader.read(1), 0.1)
        await conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await conn.reader.readexactly(int(request.header("content-length") or 0))
        await conn.send(response(200, b"got " + body))

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            async with session.post(server.url(), data=b"payload", expect100=True) as resp:
                assert await resp.read() == b"got payload"
    assert not server.errors, server.errors
