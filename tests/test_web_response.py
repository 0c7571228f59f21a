"""Responses: Response arguments, json_response, StreamResponse (chunked on the wire),
FileResponse, HTTP exceptions raised and returned, compression, HEAD, Expect: 100-continue."""

from __future__ import annotations

import asyncio
import gzip
import os
import zlib
from pathlib import Path

import aiohttp
import httpx
import pytest

import fasthttp
from fasthttp import web
from web_helpers import (
    async_test, parse_responses, raw_connection, raw_exchange, read_response, serve, simple_get,
)


def responses_app(tmp_path: Path) -> web.Application:
    routes = web.RouteTableDef()

    @routes.get("/text")
    async def text(request: web.Request) -> web.Response:
        return web.Response(text="héllo", status=201, reason="Made It", headers={"X-A": "1"})

    @routes.get("/body")
    async def body(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01raw", content_type="application/x-thing")

    @routes.get("/charset")
    async def charset(request: web.Request) -> web.Response:
        return web.Response(text="ünï", content_type="text/html", charset="latin-1")

    @routes.get("/json")
    async def as_json(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "n": [1, 2]}, status=202, headers={"X-J": "j"})

    @routes.get("/empty")
    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204)

    @routes.get("/cookie")
    async def cookie(request: web.Request) -> web.Response:
        resp = web.Response(text="c")
        resp.set_cookie("session", "xyz", httponly=True, max_age=60)
        return resp

    @routes.get("/stream")
    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"X-S": "s"})
        resp.content_type = "text/plain"
        await resp.prepare(request)
        for i in range(5):
            await resp.write(f"part{i};".encode())
            await asyncio.sleep(0)
        await resp.write_eof()
        return resp

    @routes.get("/stream-sized")
    async def stream_sized(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = 10
        await resp.prepare(request)
        await resp.write(b"01234")
        await resp.write(b"56789")
        await resp.write_eof()
        return resp

    @routes.get("/file")
    async def file(request: web.Request) -> web.FileResponse:
        return web.FileResponse(tmp_path / "data.txt")

    @routes.get("/bigfile")
    async def bigfile(request: web.Request) -> web.FileResponse:
        return web.FileResponse(tmp_path / "big.bin", chunk_size=65536)

    @routes.get("/nofile")
    async def nofile(request: web.Request) -> web.FileResponse:
        return web.FileResponse(tmp_path / "missing.txt")

    @routes.get("/raise/{code}")
    async def raise_(request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if code == "404":
            raise web.HTTPNotFound(text="no such thing")
        if code == "302":
            raise web.HTTPFound("/text")
        if code == "400":
            raise web.HTTPBadRequest()
        if code == "418":
            raise web.HTTPException(text="teapot")  # status_code -1 family base: not used
        raise web.HTTPServiceUnavailable(headers={"Retry-After": "5"})

    @routes.get("/return-exc")
    async def return_exc(request: web.Request) -> web.Response:
        return web.HTTPForbidden(text="returned, not raised")

    @routes.get("/compressed")
    async def compressed(request: web.Request) -> web.Response:
        resp = web.Response(text="compress me " * 200)
        resp.enable_compression()
        return resp

    @routes.get("/compressed-stream")
    async def compressed_stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_compression()
        await resp.prepare(request)
        for _ in range(20):
            await resp.write(b"stream me " * 50)
        await resp.write_eof()
        return resp

    @routes.get("/deflate")
    async def deflate(request: web.Request) -> web.Response:
        resp = web.Response(text="deflate me " * 100)
        resp.enable_compression(web.ContentCoding.deflate)
        return resp

    app = web.Application()
    app.add_routes([r for r in routes if r.path != "/raise/{code}"])
    app.router.add_get("/raise/{code:\\d+}", raise_)
    return app


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "data.txt").write_text("file contents\n")
    (tmp_path / "big.bin").write_bytes(os.urandom(1_000_000))
    return tmp_path


@async_test()
async def test_response_arguments(files: Path) -> None:
    async with serve(responses_app(files)) as srv, aiohttp.ClientSession() as s:
        async with s.get(srv.url("/text")) as r:
            assert (r.status, r.reason, await r.text()) == (201, "Made It", "héllo")
            assert r.headers["X-A"] == "1" and r.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert r.headers["Content-Length"] == str(len("héllo".encode()))
        async with s.get(srv.url("/body")) as r:
            assert (await r.read(), r.headers["Content-Type"]) == (b"\x00\x01raw", "application/x-thing")
        async with s.get(srv.url("/charset")) as r:
            assert r.headers["Content-Type"] == "text/html; charset=latin-1"
            assert await r.read() == "ünï".encode("latin-1")
        async with s.get(srv.url("/json")) as r:
            assert (r.status, r.headers["X-J"], r.content_type) == (202, "j", "application/json")
            assert await r.json() == {"ok": True, "n": [1, 2]}
        async with s.get(srv.url("/empty")) as r:
            assert r.status == 204 and await r.read() == b""
        async with s.get(srv.url("/cookie")) as r:
            set_cookie = r.headers["Set-Cookie"]
            assert set_cookie.startswith("session=xyz") and "HttpOnly" in set_cookie and "Max-Age=60" in set_cookie
    data = await _raw(files, "/empty")
    [resp] = parse_responses(data)
    assert resp.status == 204 and resp.body == b""


async def _raw(files: Path, path: str, extra: str = "Connection: close\r\n") -> bytes:
    async with serve(responses_app(files)) as srv:
        return await raw_exchange(srv.port, simple_get(path, extra))


@async_test()
async def test_stream_response_is_chunked_on_the_wire(files: Path) -> None:
    data = await _raw(files, "/stream")
    [resp] = parse_responses(data)
    assert resp.header("Transfer-Encoding") == "chunked" and resp.header("Content-Length") is None
    assert resp.body == b"part0;part1;part2;part3;part4;"
    assert resp.chunked_raw is not None and resp.chunked_raw.endswith(b"0\r\n\r\n")
    assert resp.chunked_raw.startswith(b"6\r\npart0;\r\n")
    data = await _raw(files, "/stream-sized")
    [resp] = parse_responses(data)
    assert resp.header("Content-Length") == "10" and resp.header("Transfer-Encoding") is None
    assert resp.body == b"0123456789"
    # HTTP/1.0 cannot chunk: the body runs to the close
    async with serve(responses_app(files)) as srv:
        data = await raw_exchange(srv.port, b"GET /stream HTTP/1.0\r\n\r\n")
    [resp] = parse_responses(data)
    assert resp.header("Transfer-Encoding") is None and resp.body == b"part0;part1;part2;part3;part4;"
    # and the clients agree
    async with serve(responses_app(files)) as srv, httpx.AsyncClient() as c:
        r = await c.get(srv.url("/stream"))
        assert (r.text, r.headers["X-S"]) == ("part0;part1;part2;part3;part4;", "s")


@async_test()
async def test_file_response(files: Path) -> None:
    async with serve(responses_app(files)) as srv, fasthttp.ClientSession() as s:
        async with s.get(srv.url("/file")) as r:
            assert await r.read() == b"file contents\n"
            assert r.headers["Content-Type"].startswith("text/plain")
            assert r.headers["Content-Length"] == "14" and "Last-Modified" in r.headers
        async with s.get(srv.url("/bigfile")) as r:
            assert await r.read() == (files / "big.bin").read_bytes()
        async with s.get(srv.url("/nofile")) as r:
            assert r.status == 404
        async with s.head(srv.url("/bigfile")) as r:
            assert r.status == 200 and r.headers["Content-Length"] == "1000000"
            assert await r.read() == b""


@async_test()
async def test_http_exceptions(files: Path) -> None:
    async with serve(responses_app(files)) as srv, aiohttp.ClientSession() as s:
        async with s.get(srv.url("/raise/404")) as r:
            assert (r.status, await r.text()) == (404, "no such thing")
        async with s.get(srv.url("/raise/302"), allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"] == "/text"
        async with s.get(srv.url("/raise/302")) as r:
            assert (r.status, await r.text()) == (201, "héllo")
        async with s.get(srv.url("/raise/400")) as r:
            assert (r.status, await r.text()) == (400, "400: Bad Request")
        async with s.get(srv.url("/raise/503")) as r:
            assert r.status == 503 and r.headers["Retry-After"] == "5"
        async with s.get(srv.url("/return-exc")) as r:
            assert (r.status, await r.text()) == (403, "returned, not raised")
        # an exception response keeps the connection alive
        async with s.get(srv.url("/text")) as r:
            assert r.status == 201


@async_test()
async def test_compression(files: Path) -> None:
    async with serve(responses_app(files)) as srv, aiohttp.ClientSession() as s:
        async with s.get(srv.url("/compressed"), headers={"Accept-Encoding": "gzip"}) as r:
            assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
            assert await r.text() == "compress me " * 200
        async with s.get(srv.url("/compressed"), headers={"Accept-Encoding": "deflate"}) as r:
            assert r.headers["Content-Encoding"] == "deflate"
            assert await r.text() == "compress me " * 200
        async with s.get(srv.url("/compressed-stream"), headers={"Accept-Encoding": "gzip, deflate"}) as r:
            assert r.headers["Content-Encoding"] in ("gzip", "deflate")
            assert await r.read() == b"stream me " * 50 * 20
        async with s.get(srv.url("/deflate")) as r:  # forced coding
            assert r.headers["Content-Encoding"] == "deflate"
            assert await r.text() == "deflate me " * 100
        async with s.get(srv.url("/compressed"), headers={"Accept-Encoding": "identity"}) as r:
            assert "Content-Encoding" not in r.headers
            assert await r.text() == "compress me " * 200
    # exact bytes: gzip stream decodes with the standard library
    data = await _raw(files, "/compressed", "Accept-Encoding: gzip\r\nConnection: close\r\n")
    [resp] = parse_responses(data)
    assert gzip.decompress(resp.body) == b"compress me " * 200
    data = await _raw(files, "/deflate")
    [resp] = parse_responses(data)
    assert zlib.decompress(resp.body) == b"deflate me " * 100


@async_test()
async def test_head_has_no_body(files: Path) -> None:
    async with serve(responses_app(files)) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            for path in ("/text", "/json", "/file", "/stream"):
                writer.write(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                resp = await read_response(reader, head_request=True)
                assert resp.status in (200, 201, 202), (path, resp)
            # the connection is still in step: a GET right after is answered whole
            writer.write(simple_get("/text"))
            resp = await read_response(reader)
            assert resp.body == "héllo".encode()
            writer.write(b"HEAD /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = await reader.read()
            assert head.endswith(b"\r\n\r\n") and b"Content-Length: 6\r\n" in head


@async_test()
async def test_expect_100_continue(files: Path) -> None:
    async def upload(request: web.Request) -> web.Response:
        return web.Response(text=f"got {len(await request.read())}")

    app = web.Application()
    app.router.add_post("/up", upload)
    async with serve(app) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            writer.write(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            writer.write(b"hello")
            resp = await read_response(reader)
            assert (resp.status, resp.body) == (200, b"got 5")
        async with aiohttp.ClientSession() as s:
            async with s.post(srv.url("/up"), data=b"x" * 1000, expect100=True) as r:
                assert await r.text() == "got 1000"


def test_response_is_a_mutable_mapping_as_aiohttp() -> None:
    from collections.abc import MutableMapping

    from aiohttp import web as aioweb

    for response in (web.Response(), web.StreamResponse(), aioweb.Response()):
        assert isinstance(response, MutableMapping)
        assert len(response) == 0 and bool(response) and list(response) == []
        response["k"] = 1
        assert response["k"] == 1 and dict(response) == {"k": 1} and "k" in response
        del response["k"]
        with pytest.raises(KeyError):
            response["k"]
        assert response != web.Response() and response == response
        assert {response: 1}[response] == 1  # hashable, by identity


@pytest.mark.parametrize("kwargs", [
    {"body": "héllo"},
    {"body": "héllo", "content_type": "text/html"},
    {"body": "x", "headers": {"Content-Type": "application/json"}},
    {"body": "x", "headers": {"Content-Type": "text/plain; charset=latin-1"}},
], ids=["plain", "content_type", "header", "header_charset"])
def test_str_body_as_aiohttp(kwargs: dict) -> None:
    from aiohttp import web as aioweb

    ours, theirs = web.Response(**kwargs), aioweb.Response(**kwargs)
    assert ours.headers.get("Content-Type") == theirs.headers.get("Content-Type")
    assert ours.body == kwargs["body"].encode("utf-8")


def test_str_body_uses_the_declared_charset() -> None:
    # aiohttp sends UTF-8 bytes under "charset=latin-1"; fasthttp encodes as declared.
    response = web.Response(body="é", content_type="text/plain", charset="latin-1")
    assert response.body == b"\xe9" and response.charset == "latin-1"
    with pytest.raises(TypeError, match="bytes or str"):
        web.Response(body=123)
