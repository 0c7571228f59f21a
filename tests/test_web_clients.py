"""The seed-style example app, served by fasthttp.web, driven by independent clients.

Routes `/` and `/{name}` answer "hello, <name>"; `POST /echo` reads `await request.json()`.
aiohttp's client, httpx.AsyncClient, fasthttp's own client and raw sockets (exact bytes) all
see the same, correct answers.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import pytest

import fasthttp
from fasthttp import web
from web_helpers import async_test, parse_responses, raw_connection, raw_exchange, read_response, serve


def seed_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        name = request.match_info.get("name", "anonymous")
        return web.Response(text=f"hello, {name}")

    async def echo(request: web.Request) -> web.Response:
        data = await request.json()
        return web.json_response({"got": data, "method": request.method})

    app = web.Application()
    app.add_routes([web.get("/", hello), web.get("/{name}", hello), web.post("/echo", echo)])
    return app


@async_test()
async def test_aiohttp_client() -> None:
    async with serve(seed_app()) as srv, aiohttp.ClientSession() as session:
        async with session.get(srv.url("/")) as resp:
            assert resp.status == 200
            assert await resp.text() == "hello, anonymous"
            assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
        async with session.get(srv.url("/alice")) as resp:
            assert await resp.text() == "hello, alice"
        async with session.post(srv.url("/echo"), json={"a": [1, 2]}) as resp:
            assert resp.status == 200
            assert resp.content_type == "application/json"
            assert await resp.json() == {"got": {"a": [1, 2]}, "method": "POST"}
        # keep-alive: many requests over the pooled connection
        for i in range(20):
            async with session.get(srv.url(f"/n{i}")) as resp:
                assert await resp.text() == f"hello, n{i}"


@async_test()
async def test_httpx_client() -> None:
    async with serve(seed_app()) as srv, httpx.AsyncClient() as client:
        resp = await client.get(srv.url("/bob"))
        assert resp.status_code == 200 and resp.text == "hello, bob"
        resp = await client.post(srv.url("/echo"), json={"x": "é"})
        assert resp.json() == {"got": {"x": "é"}, "method": "POST"}
        resp = await client.get(srv.url("/"))
        assert resp.text == "hello, anonymous"
        assert resp.http_version == "HTTP/1.1"


@async_test()
async def test_fasthttp_client() -> None:
    async with serve(seed_app()) as srv, fasthttp.ClientSession() as session:
        async with session.get(srv.url("/carol")) as resp:
            assert resp.status == 200
            assert await resp.text() == "hello, carol"
        async with session.post(srv.url("/echo"), json=[1, None, True]) as resp:
            assert await resp.json() == {"got": [1, None, True], "method": "POST"}
        for i in range(10):
            async with session.get(srv.url("/")) as resp:
                assert await resp.text() == "hello, anonymous"


@async_test()
async def test_raw_exact_bytes() -> None:
    async with serve(seed_app()) as srv:
        data = await raw_exchange(
            srv.port, b"GET /dave HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 200 OK"
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        assert headers[b"content-length"] == b"11"
        assert headers[b"content-type"] == b"text/plain; charset=utf-8"
        assert headers[b"connection"] == b"close"
        assert b"date" in headers and b"server" in headers
        assert body == b"hello, dave"


@async_test()
async def test_raw_keep_alive_and_http10() -> None:
    async with serve(seed_app()) as srv:
        async with raw_connection(srv.port) as (reader, writer):
            for name in ("a", "b", "c"):
                writer.write(f"GET /{name} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                resp = await read_response(reader)
                assert (resp.status, resp.body) == (200, f"hello, {name}".encode())
                assert resp.header("Connection") is None
            body = b'{"k": 1}'
            writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            resp = await read_response(reader)
            assert resp.body == b'{"got": {"k": 1}, "method": "POST"}'
        # HTTP/1.0 without keep-alive: answered in 1.0 and closed
        data = await raw_exchange(srv.port, b"GET /old HTTP/1.0\r\n\r\n")
        [resp] = parse_responses(data)
        assert resp.version == "HTTP/1.0" and resp.body == b"hello, old"
        # HTTP/1.0 with keep-alive: kept open, says so
        async with raw_connection(srv.port) as (reader, writer):
            writer.write(b"GET /k1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            resp = await read_response(reader)
            assert resp.header("Connection", "").lower() == "keep-alive"
            writer.write(b"GET /k2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            assert (await read_response(reader)).body == b"hello, k2"


@pytest.mark.parametrize("client", ["aiohttp", "httpx", "fasthttp"])
@async_test()
async def test_bad_json_is_500_then_serving_goes_on(client: str) -> None:
    async with serve(seed_app()) as srv:
        if client == "httpx":
            async with httpx.AsyncClient() as c:
                r = await c.post(srv.url("/echo"), content=b"{not json")
                assert r.status_code == 500
                assert (await c.get(srv.url("/ok"))).text == "hello, ok"
            return
        session_cls = aiohttp.ClientSession if client == "aiohttp" else fasthttp.ClientSession
        async with session_cls() as s:
            async with s.post(srv.url("/echo"), data=b"{not json") as resp:
                assert resp.status == 500
            async with s.get(srv.url("/ok")) as resp:
                assert await resp.text() == "hello, ok"


def test_server_parser_is_the_selected_twin() -> None:
    """The server parses with the twin fasthttp.http selected (pure Python under
    FASTHTTP_NO_EXTENSIONS=1), so running this suite twice covers both."""
    import os

    from fasthttp import http as fasthttp_http

    app = web.Application()
    handler = web.RequestHandler(web.ServerSettings(app), asyncio.new_event_loop())
    module = type(handler._parser).__module__
    if os.environ.get("FASTHTTP_NO_EXTENSIONS") == "1":
        assert fasthttp_http.IMPLEMENTATION == "python"
        assert module == "fasthttp._parser_py"
    else:
        assert module == {"python": "fasthttp._parser_py", "cython": "fasthttp._parser"}[fasthttp_http.IMPLEMENTATION]
    handler._loop.close()
