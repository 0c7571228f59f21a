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


@async_test()
async def test_site_shutdown_timeout_is_deprecated_and_governs_shutdown_as_aiohttp() -> None:
    import warnings

    from aiohttp import web as aioweb

    started = asyncio.Event()

    async def slow(request: Any) -> Any:
        started.set()
        await asyncio.sleep(30)
        return web.Response(text="late")

    for module in (web, aioweb):
        app = module.Application()
        runner = module.AppRunner(app, access_log=None)
        await runner.setup()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            module.TCPSite(runner, HOST, 0)  # the default: no warning
        with pytest.warns(DeprecationWarning, match="shutdown_timeout should be set on BaseRunner") as caught:
            module.TCPSite(runner, HOST, 0, shutdown_timeout=0.25)
        assert runner._shutdown_timeout == 0.25
        if module is web:
            assert caught[0].filename == __file__  # points at the caller
        await runner.cleanup()

    # It works: a request still running is given 0.25 s, not the runner's 60, at cleanup.
    app = web.Application()
    app.router.add_get("/", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    with pytest.warns(DeprecationWarning):
        site = web.TCPSite(runner, HOST, 0, shutdown_timeout=0.25)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        request = asyncio.ensure_future(session.get(f"http://{HOST}:{port}/"))
        await asyncio.wait_for(started.wait(), 5)
        loop = asyncio.get_running_loop()
        begun = loop.time()
        await runner.cleanup()
        assert loop.time() - begun < 5
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(request, 5)


def test_server_and_mocked_request_use_the_loop_given_as_aiohttp() -> None:
    from fasthttp.test_utils import loop_context, make_mocked_request

    async def handler(request: Any) -> Any:
        return web.Response()

    with loop_context() as loop:
        server = web.Server(handler, loop=loop)
        assert server()._loop is loop  # outside any running loop: the one given
        request = make_mocked_request("GET", "/", loop=loop, client_max_fields=7)
        assert request._protocol._loop is loop and request.client_max_fields == 7
