"""Embedding: AppRunner with UnixSite and SockSite (TCPSite is what every other file uses)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any
from pathlib import Path

import aiohttp
import pytest

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


def _tls() -> tuple[Any, Any]:
    """A server context with a trustme certificate for 127.0.0.1, and a client one trusting it."""
    import ssl

    import trustme

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


@pytest.mark.parametrize("kind", ["sock", "unix", "tcp"])
@async_test()
async def test_sites_serve_tls_and_are_named_as_aiohttp(kind: str, tmp_path: Path) -> None:
    from aiohttp import web as aioweb

    server_ctx, client_ctx = _tls()
    names = []
    for mod in (web, aioweb):
        app = mod.Application()

        async def hello(request: Any, mod: Any = mod) -> Any:
            return mod.Response(text=f"{request.scheme} {request.secure}")

        app.router.add_get("/", hello)
        runner = mod.AppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.socket()
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
        path = str(tmp_path / f"{mod.__name__}.sock")
        if kind == "sock":
            site = mod.SockSite(runner, sock, ssl_context=server_ctx)
        elif kind == "unix":
            sock.close()
            site = mod.UnixSite(runner, path, ssl_context=server_ctx)
        else:
            sock.close()
            site = mod.TCPSite(runner, HOST, port, ssl_context=server_ctx)
        names.append(site.name.replace(str(port), "PORT").replace(path, "PATH"))
        await site.start()
        try:
            connector = aiohttp.UnixConnector(path=path) if kind == "unix" else None
            async with aiohttp.ClientSession(connector=connector) as s:
                url = f"https://{HOST}:{port}/" if kind != "unix" else f"https://{HOST}/"
                if kind == "unix":
                    # aiohttp's UnixConnector speaks plain HTTP whatever the scheme: fasthttp's
                    # does TLS, so the TLS Unix site is checked with fasthttp's client.
                    import fasthttp

                    async with fasthttp.ClientSession(connector=fasthttp.UnixConnector(path=path)) as fs:
                        async with fs.get(url, ssl=client_ctx) as r:
                            assert await r.text() == "https True"
                else:
                    async with s.get(url, ssl=client_ctx) as r:
                        assert await r.text() == "https True"
        finally:
            await runner.cleanup()
            sock.close()
    assert names[0] == names[1]


@async_test()
async def test_sites_refuse_unknown_arguments() -> None:
    runner = web.AppRunner(hello_app())
    await runner.setup()
    try:
        with pytest.raises(TypeError):
            web.TCPSite(runner, HOST, 0, no_such_option=1)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            web.SockSite(runner, socket.socket(), ssl=None)  # type: ignore[call-arg]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("cancellation", [False, True])
@async_test()
async def test_handler_cancellation_as_aiohttp(cancellation: bool) -> None:
    from aiohttp import web as aioweb

    outcomes = {}
    for mod in (web, aioweb):
        events: list[str] = []
        done = asyncio.Event()

        async def slow(request: Any, events: list[str] = events, done: asyncio.Event = done) -> Any:
            events.append("started")
            try:
                await asyncio.sleep(0.5)
                events.append("finished")
            except asyncio.CancelledError:
                events.append("cancelled")
                raise
            finally:
                done.set()
            return aioweb.Response() if mod is aioweb else web.Response()

        app = mod.Application()
        app.router.add_get("/", slow)
        runner = mod.AppRunner(app, access_log=None, handler_cancellation=cancellation)
        await runner.setup()
        site = mod.TCPSite(runner, HOST, 0)
        await site.start()
        try:
            port = runner.addresses[0][1]
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.1)
            writer.close()  # the client goes away while the handler runs
            await asyncio.wait_for(done.wait(), 5)
        finally:
            await runner.cleanup()
        outcomes[mod.__name__] = events
    assert outcomes["fasthttp.web"] == outcomes["aiohttp.web"]
    assert outcomes["fasthttp.web"] == ["started", "cancelled" if cancellation else "finished"]
