"""The ceiling row of the client benchmarks: a raw asyncio protocol client, not a library.

What an HTTP client on asyncio cannot beat: one `asyncio.Protocol` per connection, a
last-in-first-out list of idle connections, the request as fixed bytes written in one call, the
response found by its Content-Length (or a chunked body's last chunk) with `bytes.find`, one
future per request, and reads of 64 KiB (as fasthttp's, see fasthttp/read_size.py). No URL handling, no headers object, no timeouts, no error recovery beyond
failing: it only knows the canned server's answers. fasthttp's distance from it is the price
of being a real client; the event loop's and the kernel's share is in both.
"""

from __future__ import annotations

import asyncio
from typing import Optional
from urllib.parse import urlsplit

from malloc_modes import use_small_reads  # beside this file

__all__ = ("RawClient",)


class _RawProtocol(asyncio.Protocol):
    __slots__ = ("transport", "_buffer", "_waiter", "_need", "_closed")

    def __init__(self) -> None:
        self.transport: Optional[asyncio.Transport] = None
        self._buffer = b""
        self._waiter: Optional[asyncio.Future[tuple[int, bytes]]] = None
        self._need = -1  # total bytes of the response in progress, once its head is in
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        use_small_reads(transport)  # 64 KiB, as fasthttp's (malloc_modes.py says why)

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self._closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError("the server closed the connection"))

    def exchange(self, request: bytes, loop: asyncio.AbstractEventLoop) -> "asyncio.Future[tuple[int, bytes]]":
        waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        self._waiter = waiter
        self._need = -1
        assert self.transport is not None
        self.transport.write(request)
        return waiter

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        if self._need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buffer
                return
            head = buffer[:end].lower()
            at = head.find(b"content-length:")
            if at < 0:
                raise RuntimeError("the raw client reads Content-Length bodies only")
            line_end = head.find(b"\r\n", at)
            length = int(head[at + 15:line_end if line_end >= 0 else len(head)])
            self._need = end + 4 + length
        if len(buffer) < self._need:
            self._buffer = buffer
            return
        self._buffer = b""
        status = int(buffer[9:12])
        body = buffer[buffer.find(b"\r\n\r\n") + 4:self._need]
        waiter = self._waiter
        self._waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))


class RawClient:
    """GET one fixed path over keep-alive connections (as many as requests in flight)."""

    def __init__(self, base: str, path: str) -> None:
        parts = urlsplit(base)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            "Accept: */*\r\nUser-Agent: raw\r\n\r\n"
        ).encode("ascii")
        self._idle: list[_RawProtocol] = []
        self._all: list[_RawProtocol] = []

    async def get(self) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        idle = self._idle
        protocol = idle.pop() if idle else None
        while protocol is not None and protocol._closed:
            protocol = idle.pop() if idle else None
        if protocol is None:
            _, protocol = await loop.create_connection(_RawProtocol, self._host, self._port)
            self._all.append(protocol)
        result = await protocol.exchange(self._request, loop)
        idle.append(protocol)
        return result

    async def close(self) -> None:
        for protocol in self._all:
            if protocol.transport is not None:
                protocol.transport.close()
        self._all.clear()
        self._idle.clear()
