"""Helpers for the fasthttp.web server tests: a real server on 127.0.0.1, raw-socket clients.

- `async_test(timeout)`: runs an async test under asyncio.run, bounded by asyncio.wait_for.
- `serve(app, **runner_kwargs)`: AppRunner + TCPSite on port 0; yields a `Served` with the
  bound port (read from runner.addresses) and `url(path)`; cleans up (bounded) on exit.
- `raw_exchange(port, data)`: writes exact bytes (one piece or several), reads until the server
  closes (bounded), returns what came back.
- `parse_responses(data)`: splits raw bytes into `RawResponse`s (Content-Length, chunked, or
  close-delimited bodies), so tests can check exact status lines, headers and framing.
- `read_response(reader)`: reads one response off an open asyncio StreamReader (keep-alive).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, Union

from fasthttp import web

HOST = "127.0.0.1"


def async_test(timeout: float = 20.0) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Any]]:
    def deco(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            async def main() -> Any:
                return await asyncio.wait_for(fn(*args, **kwargs), timeout)

            return asyncio.run(main())

        return wrapper

    return deco


@dataclass
class Served:
    runner: web.AppRunner
    port: int

    def url(self, path: str = "/") -> str:
        return f"http://{HOST}:{self.port}{path}"


@contextlib.asynccontextmanager
async def serve(app: web.Application, **runner_kwargs: Any) -> AsyncIterator[Served]:
    runner = web.AppRunner(app, **runner_kwargs)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Served(runner, port)
    finally:
        await asyncio.wait_for(runner.cleanup(), 10)


@contextlib.asynccontextmanager
async def running(app: Any, w: Any, **runner_kwargs: Any) -> AsyncIterator[int]:
    """Serves app with the runner of module w (fasthttp.web or aiohttp.web); yields the port.

    For tests that build the same app on both servers and compare the answers."""
    runner = w.AppRunner(app, **runner_kwargs)
    await runner.setup()
    site = w.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await asyncio.wait_for(runner.cleanup(), 10)


def app_with(*routes: Any, **app_kwargs: Any) -> web.Application:
    app = web.Application(**app_kwargs)
    app.add_routes(list(routes))
    return app


# --- raw sockets ---------------------------------------------------------------------------------


async def read_until_close(reader: asyncio.StreamReader, timeout: float = 5.0) -> bytes:
    """Everything until EOF (a reset or broken pipe counts as EOF); TimeoutError if it stays open."""
    out = bytearray()

    async def pump() -> None:
        while True:
            try:
                chunk = await reader.read(65536)
            except ConnectionError:
                return
            if not chunk:
                return
            out.extend(chunk)

    await asyncio.wait_for(pump(), timeout)
    return bytes(out)


async def raw_exchange(
    port: int, data: Union[bytes, list[bytes]], *, timeout: float = 5.0, pause: float = 0.0
) -> bytes:
    """Send data (pieces with an optional pause between), return all bytes until the server closes."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        pieces = [data] if isinstance(data, bytes) else data
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        return await read_until_close(reader, timeout)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


@dataclass
class RawResponse:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    chunked_raw: Optional[bytes] = None  # the framed body as received, when chunked

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def _parse_head(head: bytes) -> tuple[str, int, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        if line:
            key, _, value = line.partition(":")
            headers.append((key, value.strip()))
    return version, int(status), reason[0] if reason else "", headers


def parse_responses(data: bytes, *, head_request: bool = False) -> list[RawResponse]:
    """All responses in data, in order. A body with neither length nor chunking runs to the end."""
    out: list[RawResponse] = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            raise AssertionError(f"incomplete response head: {data[pos:]!r}")
        version, status, reason, headers = _parse_head(data[pos:end])
        pos = end + 4
        resp = RawResponse(status, reason, version, headers, b"")
        te = resp.header("Transfer-Encoding")
        cl = resp.header("Content-Length")
        if head_request or status in (204, 304) or 100 <= status < 200:
            pass
        elif te is not None and "chunked" in te.lower():
            start = pos
            body = bytearray()
            while True:
                line_end = data.index(b"\r\n", pos)
                size = int(data[pos:line_end].split(b";")[0], 16)
                pos = line_end + 2
                if size == 0:
                    assert data[pos : pos + 2] == b"\r\n", data[pos:]
                    pos += 2
                    break
                body += data[pos : pos + size]
                assert data[pos + size : pos + size + 2] == b"\r\n"
                pos += size + 2
            resp.body = bytes(body)
            resp.chunked_raw = data[start:pos]
        elif cl is not None:
            n = int(cl)
            resp.body = data[pos : pos + n]
            assert len(resp.body) == n, f"short body: {len(resp.body)} of {n}"
            pos += n
        else:
            resp.body = data[pos:]
            pos = len(data)
        out.append(resp)
    return out


async def read_response(reader: asyncio.StreamReader, *, head_request: bool = False,
                        timeout: float = 5.0) -> RawResponse:
    """One response off a kept-alive connection (Content-Length or chunked body)."""

    async def read() -> RawResponse:
        head = await reader.readuntil(b"\r\n\r\n")
        version, status, reason, headers = _parse_head(head[:-4])
        resp = RawResponse(status, reason, version, headers, b"")
        te = resp.header("Transfer-Encoding")
        cl = resp.header("Content-Length")
        if head_request or status in (204, 304) or 100 <= status < 200:
            return resp
        if te is not None and "chunked" in te.lower():
            body = bytearray()
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    assert await reader.readexactly(2) == b"\r\n"
                    break
                body += await reader.readexactly(size)
                assert await reader.readexactly(2) == b"\r\n"
            resp.body = bytes(body)
        elif cl is not None:
            resp.body = await reader.readexactly(int(cl))
        else:
            resp.body = await reader.read()
        return resp

    return await asyncio.wait_for(read(), timeout)


@contextlib.asynccontextmanager
async def raw_connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def simple_get(path: str = "/", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{extra}\r\n".encode("latin-1")
