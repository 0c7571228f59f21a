"""Embedding: AppRunner with UnixSite and SockSite (TCPSite is what every other file uses)."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp

from fasthttp import web
from web_helpers import HOST, async_test


def hello_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello via {request.path}")

    app = web.Application()
    app.router.add_get("/{any}", hello)
    return app


@async_test()
async def test_unix_site(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    runner = web.AppRunner(hello_app())
    await runner.setup()
    site = web.UnixSite(runner, path)
    await site.start()
    try:
        assert site.name == f"http://unix:{path}:"
        assert runner.addresses == [path]
        async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=path)) as s:
            async with s.get("http://localhost/unix") as r:
                assert (r.status, await r.text()) == (200, "hello via /unix")
    finally:
        await runner.cleanup()


@async_test()
async def test_sock_site() -> None:
    sock = socket.socket()
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    runner = web.AppRunner(hello_app())
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        assert runner.addresses[0][1] == port
        async with aiohttp.ClientSession() as s:
            async with s.get(f"http://{HOST}:{port}/sock") as r:
                assert await r.text() == "hello via /sock"
    finally:
        await runner.cleanup()
        sock.close()
