"""WebSocket peers on 127.0.0.1 for the client tests.

- `websockets_server(handler, **kwargs)`: the `websockets` library's asyncio server, a real and
  independent peer; yields the ws:// URL.
- `RawWSServer`: our own raw asyncio server. It reads the upgrade request, answers a correct 101
  (or whatever `handshake` returns), then runs `script(peer)`; `peer` writes exact frame bytes and
  parses the client's (masked) frames, so a test can check the close code the client sent back.
- `frame(...)`: an unmasked server frame built by hand (independent of the code under test).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Optional

from client_servers import HOST, Conn, RawServer, Request

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: Optional[bytes] = None,
    length: Optional[int] = None,
) -> bytes:
    """One frame as a server would send it (unmasked unless `mask` is given).

    `length` overrides the length field (to announce more than is sent)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0)
    first |= (0x10 if rsv3 else 0) | opcode
    size = len(payload) if length is None else length
    mask_bit = 0x80 if mask is not None else 0
    if size < 126:
        head = bytes((first, mask_bit | size))
    elif size < 65536:
        head = bytes((first, mask_bit | 126)) + struct.pack("!H", size)
    else:
        head = bytes((first, mask_bit | 127)) + struct.pack("!Q", size)
    if mask is not None:
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + body
    return head + payload


def close_frame(code: Optional[int] = None, reason: bytes = b"") -> bytes:
    if code is None:
        return frame(CLOSE, b"")
    return frame(CLOSE, struct.pack("!H", code) + reason)


@dataclass
class ClientFrame:
    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes

    @property
    def close_code(self) -> Optional[int]:
        assert self.opcode == CLOSE
        if len(self.payload) < 2:
            return None
        return int(struct.unpack("!H", self.payload[:2])[0])

    @property
    def close_reason(self) -> bytes:
        return self.payload[2:]


async def read_client_frame(reader: asyncio.StreamReader) -> ClientFrame:
    """One frame from the client; raises IncompleteReadError at EOF."""
    b0, b1 = await reader.readexactly(2)
    size = b1 & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    masked = bool(b1 & 0x80)
    key = await reader.readexactly(4) if masked else b"\x00\x00\x00\x00"
    data = await reader.readexactly(size)
    if masked and size:
        n = int.from_bytes(data, "little") ^ int.from_bytes((key * (size // 4 + 1))[:size], "little")
        data = n.to_bytes(size, "little")
    return ClientFrame(bool(b0 & 0x80), (b0 >> 4) & 0x7, b0 & 0x0F, masked, data)


def handshake_101(request: Request, *, extra: str = "") -> bytes:
    key = request.header("sec-websocket-key") or ""
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_for(key)}\r\n"
        f"{extra}\r\n"
    ).encode("latin-1")


@dataclass
class Peer:
    """The server side of one upgraded connection."""

    conn: Conn
    request: Request
    frames: list[ClientFrame] = field(default_factory=list)

    async def send(self, data: bytes) -> None:
        await self.conn.send(data)

    async def recv_frame(self, timeout: float = 5.0) -> ClientFrame:
        got = await asyncio.wait_for(read_client_frame(self.conn.reader), timeout)
        self.frames.append(got)
        return got

    async def recv_close(self, timeout: float = 5.0) -> ClientFrame:
        """Frames until the client's close frame (other frames are kept in `frames`)."""
        while True:
            got = await self.recv_frame(timeout)
            if got.opcode == CLOSE:
                return got

    async def wait_eof(self, timeout: float = 5.0) -> bool:
        """True once the client closed the TCP connection."""
        try:
            await asyncio.wait_for(self.conn.reader.read(), timeout)
        except asyncio.TimeoutError:
            return False
        except ConnectionError:
            return True
        return True


Script = Callable[[Peer], Awaitable[None]]


class RawWSServer(RawServer):
    """A raw server that completes the handshake (or answers `handshake(request)` bytes) and
    then runs `script(peer)`. Results land in `peers` and `results` (script return values)."""

    def __init__(
        self,
        script: Optional[Script] = None,
        *,
        handshake: Optional[Callable[[Request], bytes]] = None,
        extra_headers: str = "",
    ) -> None:
        self.peers: list[Peer] = []
        self._script = script
        self._handshake = handshake
        self._extra = extra_headers
        super().__init__(self._handle)

    def ws_url(self, path: str = "/") -> str:
        return f"ws://{HOST}:{self.port}{path}"

    async def _handle(self, conn: Conn) -> None:
        request = await conn.read_request(body=False)
        if request is None:
            return
        if self._handshake is not None:
            answer = self._handshake(request)
        else:
            answer = handshake_101(request, extra=self._extra)
        peer = Peer(conn, request)
        self.peers.append(peer)
        await conn.send(answer)
        if self._script is not None:
            await self._script(peer)
        else:
            await asyncio.sleep(3600)


# --- the websockets library's server -------------------------------------------------------------


@contextlib.asynccontextmanager
async def websockets_server(handler: Callable[[Any], Awaitable[None]], **kwargs: Any) -> AsyncIterator[str]:
    """websockets.asyncio.server.serve on 127.0.0.1, port chosen by the OS; yields the URL."""
    from websockets.asyncio.server import serve

    kwargs.setdefault("max_size", None)
    async with serve(handler, HOST, 0, **kwargs) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://{HOST}:{port}/"


async def ws_echo(ws: Any) -> None:
    """Echo every message back, same type."""
    from websockets.exceptions import ConnectionClosed

    with contextlib.suppress(ConnectionClosed):
        async for message in ws:
            await ws.send(message)
