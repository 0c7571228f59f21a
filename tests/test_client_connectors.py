"""UnixConnector (an aiohttp.web app bound to a Unix socket in a temporary folder),
NamedPipeConnector off Windows, and ssl_shutdown_timeout (aiohttp 3.x's deprecated TLS closing
grace), side by side with aiohttp where it has the behaviour."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import threading
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp as real_aiohttp
import pytest

import fasthttp as aiohttp
from client_servers import assert_pool_clean, async_test

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")


@contextlib.asynccontextmanager
async def unix_app(path: str, ssl_context: Any = None) -> AsyncIterator[list[Any]]:
    """An aiohttp.web app on the Unix socket at path; yields the list of peers' requests
    (host header, path, the connection's id) in order."""
    from aiohttp import web

    seen: list[Any] = []

    async def handler(request: Any) -> Any:
        seen.append((request.host, request.path_qs, request.transport))  # kept: no id reuse
        body = await request.read()
        return web.Response(text=f"{request.method} {request.path_qs} {len(body)}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.UnixSite(runner, path, ssl_context=ssl_context)
    await site.start()
    try:
        yield seen
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_unix_connector_talks_to_the_socket_whatever_the_host(client: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    async with unix_app(path) as seen:
        connector = client.UnixConnector(path=path)
        assert connector.path == path
        async with client.ClientSession(connector=connector) as session:
            async with session.get("http://localhost/a?x=1") as resp:
                assert await resp.text() == "GET /a?x=1 0"
            async with session.post("http://service.internal:8080/b", data=b"12345") as resp:
                assert await resp.text() == "POST /b 5"
            async with session.get("http://localhost/c") as resp:
                assert await resp.text() == "GET /c 0"
            if client is aiohttp:
                assert_pool_clean(connector)
    assert [(host, target) for host, target, _ in seen] == [
        ("localhost", "/a?x=1"), ("service.internal:8080", "/b"), ("localhost", "/c"),
    ]
    # Keep-alive: the two requests for localhost went over one connection.
    assert seen[0][2] is seen[2][2]


@async_test()
async def test_https_over_a_unix_socket_is_tls_with_the_requests_ssl(tmp_path: Path, ca: Any) -> None:
    """An https:// URL through UnixConnector gets TLS over the socket, verified (or pinned) as
    over TCP. (aiohttp would speak plain HTTP to it: a downgrade fasthttp does not make.)"""
    import hashlib

    path = str(tmp_path / "tls.sock")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf = ca.issue_cert("localhost")
    leaf.configure_cert(server_context)
    pin = hashlib.sha256(ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())).digest()
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    async with unix_app(path, ssl_context=server_context) as seen:
        connector = aiohttp.UnixConnector(path)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get("https://localhost/a", ssl=trusted) as resp:
                assert await resp.text() == "GET /a 0"
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get("https://localhost/b")  # the system's CAs do not know it
            async with session.get("https://localhost/c", ssl=aiohttp.Fingerprint(pin)) as resp:
                assert resp.status == 200
            with pytest.raises(aiohttp.ServerFingerprintMismatch):
                await session.get("https://localhost/d", ssl=aiohttp.Fingerprint(b"\x00" * 32))
            assert_pool_clean(connector)
    assert [target for _, target, _ in seen] == ["/a", "/c"]


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_unix_connector_to_a_missing_socket(client: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "nothing.sock")
    async with client.ClientSession(connector=client.UnixConnector(path)) as session:
        with pytest.raises(client.ClientConnectorError) as info:
            await session.get("http://localhost/")
    error = info.value
    assert type(error).__name__ == "UnixClientConnectorError"
    assert error.path == path
    assert str(error) == f"Cannot connect to unix socket {path} ssl:default [No such file or directory]"


@async_test()
async def test_unix_connector_limits_and_force_close(tmp_path: Path) -> None:
    path = str(tmp_path / "app.sock")
    async with unix_app(path) as seen:
        connector = aiohttp.UnixConnector(path, force_close=True, limit=1)
        async with aiohttp.ClientSession(connector=connector) as session:
            results = await asyncio.gather(*(session.get(f"http://localhost/{i}") for i in range(3)))
            for resp in results:
                await resp.read()
            assert_pool_clean(connector)
    assert len({conn for _, _, conn in seen}) == 3  # force_close: a connection each


@async_test()
async def test_named_pipe_connector_refuses_off_windows() -> None:
    """aiohttp's message; (aiohttp itself fails here with an AttributeError on
    asyncio.ProactorEventLoop, which only Windows has.)"""
    if sys.platform == "win32":
        pytest.skip("named pipes exist here")
    with pytest.raises(RuntimeError, match="Named Pipes only available in proactor loop under windows"):
        aiohttp.NamedPipeConnector(r"\\.\pipe\fasthttp-test")


# --- ssl_shutdown_timeout --------------------------------------------------------------------


class ClosingWatcher:
    """A TLS server in a thread: answers one keep-alive request, then reports how the client
    ended the connection: "close_notify" (the TLS closing handshake) or "abort" (the socket
    closed without it)."""

    def __init__(self, ca: Any) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self.context)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        self.ending: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            raw, _ = self.listener.accept()
            raw.settimeout(10)
            # suppress_ragged_eofs=False: a close without close_notify is an error here.
            with self.context.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False) as conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                try:
                    rest = conn.recv(4096)
                    self.ending.append("close_notify" if rest == b"" else f"data {rest!r}")
                except ssl.SSLEOFError:
                    self.ending.append("abort")
                except OSError as exc:  # a reset: also no closing handshake
                    self.ending.append(f"abort ({type(exc).__name__})")
        finally:
            self.listener.close()

    async def ended(self) -> str:
        await asyncio.get_running_loop().run_in_executor(None, self.thread.join, 10)
        return self.ending[0].split(" ")[0]


@pytest.fixture(scope="module")
def ca() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


async def _closing(client: Any, ca: Any, **connector_kwargs: Any) -> str:
    watcher = ClosingWatcher(ca)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    connector = client.TCPConnector(ssl=client_context, **connector_kwargs)
    async with client.ClientSession(connector=connector) as session:
        async with session.get(f"https://127.0.0.1:{watcher.port}/") as resp:
            assert await resp.read() == b"ok"
    # the session's close closed the pooled connection
    return await watcher.ended()


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_tls_connections_are_aborted_on_close_by_default(client: Any, ca: Any) -> None:
    assert await _closing(client, ca) == "abort"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio has no ssl_shutdown_timeout before 3.11")
@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_ssl_shutdown_timeout_closes_tls_with_the_handshake(client: Any, ca: Any) -> None:
    with pytest.warns(DeprecationWarning, match="ssl_shutdown_timeout parameter is deprecated"):
        ending = await _closing(client, ca, ssl_shutdown_timeout=2.0)
    assert ending == "close_notify"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_close_abort_ssl_overrides_a_grace_period(client: Any, ca: Any) -> None:
    watcher = ClosingWatcher(ca)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with pytest.warns(DeprecationWarning):
        connector = client.TCPConnector(ssl=client_context, ssl_shutdown_timeout=2.0)
    session = client.ClientSession(connector=connector, connector_owner=False)
    async with session.get(f"https://127.0.0.1:{watcher.port}/") as resp:
        assert await resp.read() == b"ok"
    await session.close()
    await connector.close(abort_ssl=True)
    assert await watcher.ended() == "abort"


@async_test()
async def test_session_ssl_shutdown_timeout_goes_to_its_connector() -> None:
    with pytest.warns(DeprecationWarning, match="ssl_shutdown_timeout"):
        session = aiohttp.ClientSession(ssl_shutdown_timeout=1.5)
    assert session.connector._ssl_shutdown_timeout == 1.5  # type: ignore[union-attr]
    await session.close()
    connector = aiohttp.TCPConnector()
    with pytest.raises(NotImplementedError, match=r"ssl_shutdown_timeout= .*connector"):
        aiohttp.ClientSession(connector=connector, ssl_shutdown_timeout=1.5)
    await connector.close()
