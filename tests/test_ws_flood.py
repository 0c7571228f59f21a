"""A WebSocket peer that floods and never reads must not grow our side without bound.

Against both sides, on 127.0.0.1 sockets:

- ping flood: the peer writes pings as fast as we take them and never reads. Every ping asks for
  a pong; the pongs we cannot send stay with us. What we hold (the transport's write buffer, the
  frames corked for the next send, the message queue) is sampled all along and must stay under
  BOUND; afterwards the peer reads again and the connection works: the pong to its last ping
  arrives, a message goes each way.
- message flood: the application does not receive; the peer floods empty messages (or close
  frames). The queue must stop reading at its budget however small the messages are, and the
  application then gets every message and the connection goes on.

The socket buffers of the flooded direction are made small (SO_SNDBUF on our side, SO_RCVBUF on
the peer's) so that what the kernel would absorb does not hide what we hold ourselves.
Run once as is (compiled codec) and once with FASTHTTP_NO_EXTENSIONS=1 (pure twin).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
from typing import Any, Optional

import pytest

import fasthttp as aiohttp
from fasthttp import web
from client_servers import HOST, assert_pool_clean, async_test
from web_helpers import serve
from ws_servers import BINARY, CLOSE, PING, PONG, TEXT, Peer, RawWSServer, close_frame, frame

WSMsgType = aiohttp.WSMsgType
KiB = 1024
MiB = 1024 * KiB
BOUND = 1 * MiB  # what a flooding peer may make us hold (ours: a few hundred KiB at most)
# A ping flood goes on until this much has been sent, however long that takes the side under
# test (a loaded machine and the pure twin: several seconds), so that what is held is measured
# against the same flood everywhere; FLOOD_CAP_SECONDS only bounds a flood that stalls.
PING_FLOOD_BYTES = 8 * BOUND
FLOOD_CAP_SECONDS = 30.0
MASK = b"\x5a\x0f\xc3\x99"
PAYLOAD = b"p" * 64


def masked(opcode: int, payload: bytes) -> bytes:
    return frame(opcode, payload, mask=MASK)


def small_buffers(sock: Any, *, send: Optional[int] = None, recv: Optional[int] = None) -> None:
    if send is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send)
    if recv is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, recv)


class FrameScanner:
    """Frames from a raw stream, read in large pieces (a flood leaves many frames to skip)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buf = bytearray()

    def _parse(self) -> Optional[tuple[int, bytes]]:
        buf = self._buf
        if len(buf) < 2:
            return None
        size = buf[1] & 0x7F
        pos = 2
        if size == 126:
            if len(buf) < 4:
                return None
            (size,) = struct.unpack_from("!H", buf, 2)
            pos = 4
        elif size == 127:
            if len(buf) < 10:
                return None
            (size,) = struct.unpack_from("!Q", buf, 2)
            pos = 10
        key = b""
        if buf[1] & 0x80:
            key = bytes(buf[pos : pos + 4])
            pos += 4
        if len(buf) < pos + size:
            return None
        data = bytes(buf[pos : pos + size])
        opcode = buf[0] & 0x0F
        del buf[: pos + size]
        if key:
            data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
        return opcode, data

    async def next_frame(self) -> tuple[int, bytes]:
        while True:
            parsed = self._parse()
            if parsed is not None:
                return parsed
            chunk = await self._reader.read(256 * KiB)
            if not chunk:
                raise EOFError("the connection closed")
            self._buf += chunk

    async def until(self, opcode: int, payload: Optional[bytes], timeout: float) -> int:
        """Skip frames until one with this opcode (and payload); how many were skipped."""

        async def scan() -> int:
            skipped = 0
            while True:
                got, data = await self.next_frame()
                if got == opcode and (payload is None or data == payload):
                    return skipped
                skipped += 1

        return await asyncio.wait_for(scan(), timeout)


class Flood:
    """Writes `blob` again and again without reading, only as fast as the other side takes it,
    until `max_bytes` are sent or `stop` is set (or, as a bound, FLOOD_CAP_SECONDS pass)."""

    def __init__(self, writer: asyncio.StreamWriter, blob: bytes, max_bytes: int) -> None:
        self.writer = writer
        self.blob = blob
        self.max_bytes = max_bytes
        self.sent = 0
        self.stop = asyncio.Event()

    def backed_up(self) -> bool:
        """Whether the other side has stopped taking: our own buffer is full."""
        return bool(self.writer.transport.get_write_buffer_size() >= 256 * KiB)

    async def run(self) -> None:
        writer = self.writer
        loop = asyncio.get_running_loop()
        end = loop.time() + FLOOD_CAP_SECONDS
        while not self.stop.is_set() and loop.time() < end and self.sent < self.max_bytes:
            if not self.backed_up():
                writer.write(self.blob)
                self.sent += len(self.blob)
            try:
                await asyncio.wait_for(writer.drain(), 0.02)
            except asyncio.TimeoutError:
                pass  # the other side is not reading at the moment
        self.stop.set()


def held_by(protocol: Any) -> int:
    """What the WebSocket side holds for the peer: unsent bytes and undelivered messages."""
    transport = protocol.transport
    buffered = transport.get_write_buffer_size() if transport is not None else 0
    return int(buffered + protocol._corked_bytes + protocol._queued_bytes)


async def watch(protocol: Any, flood: Flood) -> int:
    """Sample what the side holds while the flood runs; stop early once past BOUND."""
    peak = 0
    while not flood.stop.is_set():
        peak = max(peak, held_by(protocol))
        if peak > BOUND:
            flood.stop.set()
            break
        await asyncio.sleep(0.002)
    return peak


# --- ping flood against the client --------------------------------------------------------------


@async_test(timeout=60)
async def test_client_ping_flood_holds_a_bounded_amount() -> None:
    ready: asyncio.Future[Flood] = asyncio.get_running_loop().create_future()
    after: dict[str, Any] = {}

    async def script(peer: Peer) -> None:
        small_buffers(peer.conn.writer.get_extra_info("socket"), recv=4 * KiB)
        flood = Flood(peer.conn.writer, frame(PING, PAYLOAD) * 512, PING_FLOOD_BYTES)
        ready.set_result(flood)
        await flood.run()
        # The peer reads again: every pong owed comes first, then the one to its last ping.
        scanner = FrameScanner(peer.conn.reader)
        await peer.send(frame(PING, b"last"))
        await scanner.until(PONG, b"last", timeout=15)
        after["pong"] = True
        await peer.send(frame(TEXT, b"hello"))
        await scanner.until(TEXT, b"world", timeout=5)
        after["text"] = True
        await peer.send(close_frame(1000))
        await scanner.until(CLOSE, None, timeout=5)

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), compress=0)
            small_buffers(ws.get_extra_info("socket"), send=4 * KiB)
            flood = await asyncio.wait_for(ready, 5)
            peak = await watch(ws._protocol, flood)  # the application does not receive meanwhile
            assert peak <= BOUND, f"held {peak} bytes for a peer that floods pings and never reads"
            assert flood.sent >= PING_FLOOD_BYTES, flood.sent  # the flood went on to its end, 8x the bound
            msg = await ws.receive(timeout=10)
            assert (msg.type, msg.data) == (WSMsgType.TEXT, "hello")
            assert after == {"pong": True}
            await ws.send_str("world")
            msg = await ws.receive(timeout=10)
            assert (msg.type, msg.data) == (WSMsgType.CLOSE, 1000)
            assert after == {"pong": True, "text": True}
            assert_pool_clean(session.connector)
        assert not server.errors, server.errors


# --- ping flood against the server --------------------------------------------------------------


async def _upgrade(port: int, *, recv_buffer: Optional[int] = None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if recv_buffer is not None:
        small_buffers(sock, recv=recv_buffer)  # before connect: the window is sized from it
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (HOST, port))
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (f"GET /ws HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return reader, writer


@async_test(timeout=60)
async def test_server_ping_flood_holds_a_bounded_amount() -> None:
    sessions: list[web.WebSocketResponse] = []
    prepared = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sessions.append(ws)
        prepared.set()
        async for msg in ws:  # an ordinary echo handler, receiving all along
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data + " world")
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with serve(app) as served:
        reader, writer = await _upgrade(served.port, recv_buffer=4 * KiB)
        try:
            await asyncio.wait_for(prepared.wait(), 5)
            ws = sessions[0]
            small_buffers(ws._live()._protocol.transport.get_extra_info("socket"), send=4 * KiB)
            flood = Flood(writer, masked(PING, PAYLOAD) * 512, PING_FLOOD_BYTES)
            flooding = asyncio.ensure_future(flood.run())
            peak = await watch(ws._live()._protocol, flood)
            await flooding
            assert peak <= BOUND, f"held {peak} bytes for a peer that floods pings and never reads"
            assert flood.sent >= PING_FLOOD_BYTES, flood.sent
            # The peer reads again.
            scanner = FrameScanner(reader)
            writer.write(masked(PING, b"last"))
            await scanner.until(PONG, b"last", timeout=15)
            writer.write(masked(TEXT, b"hello"))
            await scanner.until(TEXT, b"hello world", timeout=5)
            writer.write(masked(CLOSE, struct.pack("!H", 1000)))
            await scanner.until(CLOSE, None, timeout=5)
            assert ws.closed and ws.close_code == 1000
        finally:
            writer.close()


# --- messages the application does not receive ---------------------------------------------------

# The queue pauses reading at its budget, after the socket read that crossed it: asyncio reads at
# most 256 KiB, 131,072 frames of 2 bytes. Without a cost per message, empty messages never reach
# the budget and every message sent ends up queued.
MESSAGE_BOUND = 150_000  # the flood sends twice as many: past the bound, quick to receive


@pytest.mark.parametrize(
    "flood_frame",
    [frame(BINARY, b""), frame(TEXT, b""), close_frame(1000)],
    ids=["empty-binary", "empty-text", "close"],
)
@async_test(timeout=60)
async def test_unreceived_messages_pause_reading_however_small(flood_frame: bytes) -> None:
    """Each queued message counts against the queue's budget, empty or not."""
    ready: asyncio.Future[Flood] = asyncio.get_running_loop().create_future()

    async def script(peer: Peer) -> None:
        flood = Flood(peer.conn.writer, flood_frame * 8192, 2 * MESSAGE_BOUND * len(flood_frame))
        ready.set_result(flood)
        await flood.run()
        await peer.send(frame(TEXT, b"tail"))
        await FrameScanner(peer.conn.reader).until(CLOSE, None, timeout=20)
        await peer.send(close_frame(1000))

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), compress=0)
            flood = await asyncio.wait_for(ready, 5)
            protocol = ws._protocol
            peak = 0
            while not flood.stop.is_set():
                peak = max(peak, len(protocol._queue))
                # Past the bound; or paused with the flood backed up behind it (the socket
                # buffers full: nothing more is being taken), the state the test is after.
                if peak > MESSAGE_BOUND or (protocol.reading_paused and flood.backed_up()):
                    flood.stop.set()
                await asyncio.sleep(0.002)
            assert peak <= MESSAGE_BOUND, f"{peak} messages queued for an application that does not receive"
            assert protocol.reading_paused
            if flood_frame[0] & 0x0F == CLOSE:
                msg = await ws.receive(timeout=5)
                assert (msg.type, msg.data) == (WSMsgType.CLOSE, 1000)
                assert ws.closed
            else:
                # Reading resumes as the application catches up: every message, then the tail.
                count = 0
                while True:
                    msg = await ws.receive(timeout=10)
                    if msg.data == "tail":
                        break
                    assert msg.type in (WSMsgType.TEXT, WSMsgType.BINARY) and not msg.data, msg
                    count += 1
                assert count * len(flood_frame) == flood.sent
                assert await ws.close()
                assert ws.close_code == 1000
            assert_pool_clean(session.connector)
        assert not server.errors, server.errors


# --- senders waiting for a peer that reads late ----------------------------------------------------


@async_test(timeout=60)
async def test_concurrent_senders_all_resume_when_the_peer_reads_again() -> None:
    """Several tasks blocked in send_bytes on the same full buffer all go on once it drains."""
    senders, each, size = 3, 3, 1 * MiB
    got: list[int] = []
    all_waiting = asyncio.Event()

    async def script(peer: Peer) -> None:
        await asyncio.wait_for(all_waiting.wait(), 20)  # not reading until every sender waits
        scanner = FrameScanner(peer.conn.reader)
        while len(got) < senders * each:
            opcode, data = await asyncio.wait_for(scanner.next_frame(), 10)
            if opcode == BINARY:
                got.append(len(data))
        await peer.send(close_frame(1000))
        await scanner.until(CLOSE, None, timeout=5)

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), compress=0)

            async def send_all() -> None:
                for _ in range(each):
                    await ws.send_bytes(b"x" * size)

            sending = asyncio.gather(*(send_all() for _ in range(senders)))
            for _ in range(3):  # each sender's first send_bytes runs and waits in drain()
                await asyncio.sleep(0)
            assert ws._protocol._write_paused and not sending.done()
            all_waiting.set()
            await asyncio.wait_for(sending, 20)
            msg = await ws.receive(timeout=10)
            assert (msg.type, msg.data) == (WSMsgType.CLOSE, 1000)
        assert not server.errors, server.errors
    assert got == [size] * (senders * each)
