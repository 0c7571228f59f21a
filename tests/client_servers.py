"""Real peers on 127.0.0.1 for the client tests.

- `RawServer`: a raw asyncio server (streams on the server side only) whose handler sees the
  exact bytes the client sent and writes exact bytes back. It counts accepted and open
  connections so pool tests can check reuse and leaks from the server's side.
- `read_request`: reads one HTTP/1.1 request (Content-Length or chunked body) and keeps the
  raw bytes as received.
- `web_server`: an aiohttp.web application (the reference implementation) as a behaviour peer.
- `run` / `async_test`: every async test runs under asyncio.run with an asyncio.wait_for bound.
- `assert_pool_clean`: the connector holds no acquired connection and no half-read idle one.
- `pproxy_server`: a real proxy in a subprocess; `wait_listening`: until such a server accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import os
import socket
import ssl
import sys
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Coroutine, Optional, TypeVar

import pytest

T = TypeVar("T")

HOST = "127.0.0.1"


# --- running ---------------------------------------------------------------------------------


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def async_test(timeout: float = 20.0) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Any]]:
    """Run an async test function under asyncio.run, bounded by asyncio.wait_for."""

    def deco(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            async def main() -> Any:
                return await asyncio.wait_for(fn(*args, **kwargs), timeout)

            return asyncio.run(main())

        return wrapper

    return deco


# --- requests as the server sees them ----------------------------------------------------------


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    head: bytes  # the request line and headers, exactly as received (with the blank line)
    body: bytes  # the body, de-chunked
    raw_body: bytes  # the body bytes exactly as received (chunk framing included)

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def raw(self) -> bytes:
        return self.head + self.raw_body


async def read_request(reader: asyncio.StreamReader, *, body: bool = True) -> Optional[Request]:
    """One request, or None if the client closed the connection before sending one."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    except ConnectionResetError:
        return None
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    request = Request(method, target, version, headers, head, b"", b"")
    if not body:
        return request
    if (request.header("transfer-encoding") or "").lower() == "chunked":
        raw = bytearray()
        data = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            raw += size_line
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                trailer = await reader.readuntil(b"\r\n")
                raw += trailer
                while trailer != b"\r\n":
                    trailer = await reader.readuntil(b"\r\n")
                    raw += trailer
                break
            chunk = await reader.readexactly(size + 2)
            raw += chunk
            data += chunk[:-2]
        request.body = bytes(data)
        request.raw_body = bytes(raw)
    else:
        length = int(request.header("content-length") or 0)
        if length:
            request.body = request.raw_body = await reader.readexactly(length)
    return request


def response(
    status: int = 200,
    body: bytes = b"",
    headers: Any = (),
    *,
    reason: Optional[str] = None,
    content_type: Optional[str] = "text/plain; charset=utf-8",
    length: bool = True,
) -> bytes:
    """A complete response as bytes."""
    from http import HTTPStatus

    if reason is None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Whatever"
    lines = [f"HTTP/1.1 {status} {reason}"]
    items = list(headers.items()) if hasattr(headers, "items") else list(headers)
    names = {name.lower() for name, _ in items}
    if content_type is not None and "content-type" not in names and body:
        lines.append(f"Content-Type: {content_type}")
    if length and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    for name, value in items:
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- the raw server --------------------------------------------------------------------------

Handler = Callable[["Conn"], Awaitable[None]]


@dataclass
class Conn:
    """One accepted connection, as the handler sees it."""

    server: "RawServer"
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    index: int
    requests: list[Request] = field(default_factory=list)

    async def read_request(self, *, body: bool = True) -> Optional[Request]:
        request = await read_request(self.reader, body=body)
        if request is not None:
            self.requests.append(request)
            self.server.requests.append(request)
        return request

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


class RawServer:
    """A server on 127.0.0.1, port chosen by the OS; `handler(conn)` runs per connection.

    The connection is closed when the handler returns (or fails). Use as `async with`.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        ssl_context: Optional[ssl.SSLContext] = None,
        host: str = HOST,
    ) -> None:
        self._handler = handler
        self._ssl = ssl_context
        self._host = host
        self._server: Optional[asyncio.base_events.Server] = None
        self.accepted = 0
        self.open: set[asyncio.StreamWriter] = set()
        self.conns: list[Conn] = []
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def open_count(self) -> int:
        return len(self.open)

    def url(self, path: str = "/", host: Optional[str] = None) -> str:
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://{host or self._host}:{self.port}{path}"

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open.add(writer)
        conn = Conn(self, reader, writer, self.accepted - 1)
        self.conns.append(conn)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handler(conn)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception as exc:  # noqa: BLE001 - reported by the test that cares
            self.errors.append(exc)
        finally:
            self._tasks.discard(task)
            self.open.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def __aenter__(self) -> "RawServer":
        self._server = await asyncio.start_server(
            self._on_connection, self._host, 0, ssl=self._ssl
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self.open):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def wait_open_count(self, count: int, timeout: float = 2.0) -> int:
        """Wait until the server sees `count` open connections (it notices closes late)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.open_count != count and loop.time() < end:
            await asyncio.sleep(0.01)
        return self.open_count


def keep_alive(route: Callable[[Request], Any]) -> Handler:
    """A keep-alive handler: `route(request)` returns the response bytes (or a coroutine of
    them); returning None closes the connection without answering."""

    async def handler(conn: Conn) -> None:
        while True:
            request = await conn.read_request()
            if request is None:
                return
            result = route(request)
            if asyncio.iscoroutine(result):
                result = await result
            if result is None:
                return
            if request.method == "HEAD":  # the head only, as a server must
                result = result[: result.index(b"\r\n\r\n") + 4]
            await conn.send(result)
            if (request.header("connection") or "").lower() == "close":
                return

    return handler


def echo_route(request: Request) -> bytes:
    """200 with the raw request (head and body) as the body."""
    return response(200, request.raw, content_type="application/octet-stream")


# --- aiohttp.web, the reference, as a behaviour peer ---------------------------------------------


@contextlib.asynccontextmanager
async def web_server(
    app: Any, *, host: str = HOST, ssl_context: Optional[ssl.SSLContext] = None, **runner_kwargs: Any
) -> AsyncIterator[str]:
    """Run an aiohttp.web Application; yields its base URL ("http://127.0.0.1:port").
    `runner_kwargs` go to web.AppRunner (and on to its request handlers: lingering_time, ...)."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None, **runner_kwargs)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    scheme = "https" if ssl_context is not None else "http"
    try:
        yield f"{scheme}://{host}:{port}"
    finally:
        await runner.cleanup()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound by the OS, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- a real proxy ------------------------------------------------------------------------------


async def wait_listening(port: int, name: str, timeout: float = 10.0) -> None:
    """Until a server started as a subprocess (`name`) accepts on 127.0.0.1:`port`; the test
    fails after `timeout` seconds."""
    for _ in range(int(timeout / 0.05)):
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    pytest.fail(f"{name} did not start")


@contextlib.asynccontextmanager
async def pproxy_server(auth: str = "") -> AsyncIterator[int]:
    """pproxy serving HTTP (forwarding and CONNECT) on 127.0.0.1, `auth` as user:password."""
    pytest.importorskip("pproxy")
    port = free_port()
    uri = f"http://127.0.0.1:{port}" + (f"#{auth}" if auth else "")
    process = await asyncio.create_subprocess_exec(
        # (pproxy picks uvloop when installed, then fails to find a loop on 3.11: kept off.)
        sys.executable, "-c",
        "import sys; sys.modules['uvloop'] = None; from pproxy.server import main; main()",
        "-l", uri,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_listening(port, "pproxy")
        yield port
    finally:
        process.terminate()
        await process.wait()


# --- pool checks --------------------------------------------------------------------------------


def assert_pool_clean(connector: Any) -> None:
    """No connection acquired (nor reserved); every idle one is reusable and fully read."""
    assert not connector._acquired, f"leaked acquired connections: {connector._acquired!r}"
    assert not any(connector._acquired_per_host.values()), connector._acquired_per_host
    assert not connector._waiters, connector._waiters
    for key, idle in connector._idle.items():
        for protocol, _expires in idle:
            if protocol.closed:
                continue  # the server closed it while idle: dropped when next taken
            assert protocol.is_reusable(), f"half-read idle connection for {key}"
            assert protocol._message_done
            assert protocol._payload is None
            assert protocol._head_waiter is None


def idle_count(connector: Any) -> int:
    return sum(len(idle) for idle in connector._idle.values())


def collect() -> None:
    for _ in range(3):
        gc.collect()


def no_extensions() -> bool:
    return os.environ.get("FASTHTTP_NO_EXTENSIONS", "") not in ("", "0")
