"""A fast raw WebSocket echo server for the echo benchmarks, run in its own process.

`python benchmarks/ws_echo.py` prints the port it listens on (127.0.0.1), then serves until
killed. It completes the RFC 6455 handshake (no extensions, no subprotocol), then echoes every
data frame back unmasked, frame by frame (the clients send unfragmented messages), answers
pings and close frames. Unmasking uses the `websockets` C `apply_mask`; on uvloop when
available. Per frame it does a header parse, one unmask and one write: it is not the
bottleneck for either client.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import sys

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the [bench] extra has websockets
    def apply_mask(data: bytes, mask: bytes) -> bytes:
        n = len(data)
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class EchoProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        transport = self.transport
        assert transport is not None
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            key = ""
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "sec-websocket-key":
                    key = value.strip()
            accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
            transport.write(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            self.upgraded = True
        pos = 0
        size = len(buf)
        out = []
        while size - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                (length,) = struct.unpack_from("!H", buf, pos + 2)
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buf, pos + 2)
                head = 10
            masked = b1 & 0x80
            start = pos + head + (4 if masked else 0)
            end = start + length
            if end > size:
                break
            payload = bytes(buf[start:end])
            if masked and length:
                payload = apply_mask(payload, bytes(buf[start - 4 : start]))
            opcode = b0 & 0x0F
            if length < 126:
                header = bytes((b0, length))
            elif length < 65536:
                header = bytes((b0, 126)) + struct.pack("!H", length)
            else:
                header = bytes((b0, 127)) + struct.pack("!Q", length)
            if opcode == 0x9:  # ping -> pong
                out.append(bytes((0x8A, length)) + payload)
            elif opcode == 0x8:  # close -> echo it, then hang up
                out.append(header + payload)
                transport.write(b"".join(out))
                transport.close()
                del buf[:]
                return
            elif opcode != 0xA:
                out.append(header)
                out.append(payload)
            pos = end
        if pos:
            del buf[:pos]
        if out:
            transport.writelines(out)


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(EchoProtocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if len(sys.argv) > 1 and sys.argv[1] == "--no-uvloop":
        asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
    asyncio.run(main())
