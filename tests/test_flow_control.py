"""Write and read back-pressure and a lost connection, on every path that writes
(fasthttp.flow_control.FlowControlProtocol, shared by the client, the server and both
WebSocket sides).

Each writer is made to wait in drain() on a peer that never reads (the writer's progress
stalls and the protocol says writing is paused), then the peer goes away: the writer gets the
one documented exception, ClientConnectionResetError("Connection lost") (a
ConnectionResetError, aiohttp's ClientConnectionResetError), never a hang or a silent return.
The same scenario runs against aiohttp (client and aiohttp.web) where it tells something:
what aiohttp raises there is a class ours is an instance of, so an `except` written for
aiohttp catches ours. A client request whose server goes away raises what aiohttp's does.

Reading: a peer floods a body at a reader with a small buffer that does not read; reading is
paused (what we hold stays bounded) and resumes as the reader catches up, with every byte
intact. Run once as is and once with FASTHTTP_NO_EXTENSIONS=1 (scripts/test).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from typing import Any, AsyncIterator, Optional

import aiohttp as real_aiohttp
import pytest
from aiohttp import web as real_web

import fasthttp
from fasthttp import web
from client_servers import HOST, Conn, RawServer, assert_pool_clean, async_test
from web_helpers import serve
from ws_servers import Peer, RawWSServer

KiB = 1024
MiB = 1024 * KiB
CHUNK = b"x" * (64 * KiB)
MAX_CHUNKS = 4096  # 256 MiB: a writer that never blocks fails the test instead of running on
STALL = 0.3  # no progress for this long: the writer is waiting in drain()


class Progress:
    """Counts the pieces a writer got through."""

    def __init__(self) -> None:
        self.count = 0

    async def stalled(self) -> int:
        """Return once no piece went through for STALL seconds (the writer is blocked)."""
        last = -1
        while last != self.count:
            last = self.count
            await asyncio.sleep(STALL)
        assert 0 < self.count < MAX_CHUNKS, self.count
        return self.count


def _assert_lost(exc: Optional[BaseException], *, cause: bool = True) -> None:
    """The documented exception for a writer that was waiting when the connection went."""
    assert isinstance(exc, fasthttp.ClientConnectionResetError), repr(exc)
    assert str(exc) == "Connection lost"
    assert isinstance(exc, ConnectionResetError)
    assert isinstance(exc, real_aiohttp.ClientConnectionResetError)
    assert isinstance(exc, fasthttp.ClientConnectionError)
    if cause:  # the transport's own error, kept
        assert isinstance(exc.__cause__, OSError), repr(exc.__cause__)


def _drop(writer: asyncio.StreamWriter) -> None:
    """Go away with our receive buffer full: the kernel answers with a reset."""
    writer.transport.abort()


async def _serve_app(lib: Any, app: Any) -> AsyncIterator[tuple[Any, int]]:
    runner = lib.AppRunner(app)
    await runner.setup()
    site = lib.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield runner, port
    finally:
        await asyncio.wait_for(runner.cleanup(), 10)


# --- the client's request body ------------------------------------------------------------------


def _payload_class(lib: Any) -> Any:
    base = real_aiohttp.payload.Payload if lib is real_aiohttp else fasthttp.payloads.Payload

    class Endless(base):  # type: ignore[misc, valid-type]
        """A body written piece by piece through the writer (the payload API), recording what
        its write raised."""

        def __init__(self, progress: Progress) -> None:
            super().__init__(None)
            self.progress = progress
            self.error: Optional[BaseException] = None

        async def write(self, writer: Any) -> None:
            try:
                for _ in range(MAX_CHUNKS):
                    self.progress.count += 1
                    await writer.write(CHUNK)
            except BaseException as exc:
                self.error = exc
                raise

        def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
            return ""

    return Endless


async def _upload_to_a_peer_that_drops(lib: Any) -> tuple[BaseException, Optional[BaseException]]:
    """POST an endless body to a server that reads nothing and drops the connection once the
    client is blocked: what the request raised, what the payload's write raised."""
    progress = Progress()

    async def handler(conn: Conn) -> None:
        await progress.stalled()
        _drop(conn.writer)

    body = _payload_class(lib)(progress)
    async with RawServer(handler) as server:
        async with lib.ClientSession() as session:
            with pytest.raises(lib.ClientConnectionError) as raised:
                async with session.post(server.url(), data=body):
                    pass
            if lib is fasthttp:
                assert_pool_clean(session.connector)
    return raised.value, body.error


@async_test(timeout=60)
async def test_client_upload_blocked_then_server_drops_raises_what_aiohttp_raises() -> None:
    """No response yet: the request raises the read side's error (ClientOSError for a reset,
    as aiohttp); the body writer is cut short (cancelled), as aiohttp's is."""
    ours, ours_payload = await _upload_to_a_peer_that_drops(fasthttp)
    theirs, theirs_payload = await _upload_to_a_peer_that_drops(real_aiohttp)
    assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
    assert isinstance(ours, (fasthttp.ClientOSError, fasthttp.ServerDisconnectedError))
    assert type(ours_payload) is type(theirs_payload) is asyncio.CancelledError


async def _upload_while_the_answer_streams(lib: Any) -> tuple[Optional[BaseException], BaseException]:
    """The server answers at once with a body it does not finish, reads nothing of ours, and
    drops the connection once our upload is blocked: what the payload's write raised, what
    reading the response raised."""
    progress = Progress()
    dropped = asyncio.Event()

    async def handler(conn: Conn) -> None:
        await conn.reader.readuntil(b"\r\n\r\n")
        conn.writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        await progress.stalled()
        _drop(conn.writer)
        dropped.set()

    body = _payload_class(lib)(progress)
    async with RawServer(handler) as server:
        async with lib.ClientSession() as session:
            async with session.post(server.url(), data=body) as response:
                await asyncio.wait_for(dropped.wait(), 30)
                with pytest.raises(lib.ClientPayloadError) as raised:
                    await asyncio.wait_for(response.read(), 10)
            for _ in range(100):  # the writer task hears of it on the loop's next turns
                if body.error is not None:
                    break
                await asyncio.sleep(0.01)
    return body.error, raised.value


@async_test(timeout=60)
async def test_client_upload_blocked_under_an_early_answer_gets_the_documented_error() -> None:
    """A response under way, the body still going out: the payload's write, waiting in drain,
    raises ClientConnectionResetError('Connection lost') (before the shared base: it was
    cancelled, as aiohttp cancels its own). Reading the response raises ClientPayloadError,
    as with aiohttp."""
    ours, ours_read = await _upload_while_the_answer_streams(fasthttp)
    _theirs, theirs_read = await _upload_while_the_answer_streams(real_aiohttp)
    _assert_lost(ours)
    assert type(ours_read).__name__ == type(theirs_read).__name__ == "ClientPayloadError"


# --- the server's response writer ---------------------------------------------------------------


async def _response_to_a_stalled_client(web_lib: Any, end: str) -> BaseException:
    """A handler streams a response to a client that reads nothing; once the handler waits in
    drain the connection ends (`end`: "client" drops it, "server" aborts its transport):
    what the handler's write raised."""
    progress = Progress()
    seen: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
    transports: list[Any] = []

    async def handler(request: Any) -> Any:
        response = web_lib.StreamResponse()
        await response.prepare(request)
        transports.append(request.transport)
        try:
            for _ in range(MAX_CHUNKS):
                progress.count += 1
                await response.write(CHUNK)
        except BaseException as exc:
            seen.set_result(exc)
            raise
        return response

    app = web_lib.Application()
    app.router.add_get("/", handler)
    async for _runner, port in _serve_app(web_lib, app):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await progress.stalled()
        assert transports[0].get_protocol().writing_paused  # waiting in drain, not elsewhere
        if end == "client":
            _drop(writer)
        else:
            transports[0].abort()
        result = await asyncio.wait_for(seen, 10)
        writer.close()
    return result


@async_test(timeout=60)
async def test_server_response_writer_blocked_then_client_drops() -> None:
    """A handler writing to a client that stopped reading waits in write() (drain); the client
    goes: write() raises ClientConnectionResetError('Connection lost'), the reset as its
    cause. aiohttp.web raises ConnectionError there: ours is one."""
    ours = await _response_to_a_stalled_client(web, "client")
    theirs = await _response_to_a_stalled_client(real_web, "client")
    _assert_lost(ours)
    assert isinstance(ours, type(theirs)), (ours, theirs)


@async_test(timeout=60)
async def test_server_response_writer_blocked_then_the_server_aborts() -> None:
    """The connection closed from our side (no transport error) while a handler waits in
    drain: the same exception, without a cause (aiohttp's write() returns there as if the
    data had gone out)."""
    _assert_lost(await _response_to_a_stalled_client(web, "server"), cause=False)


@async_test(timeout=30)
async def test_server_handler_reading_a_body_when_the_client_drops() -> None:
    """A handler reading the request body when the client goes hears the same exception as a
    writer (a ConnectionResetError, as aiohttp.web's reader raises)."""
    seen: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
    reading = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        reading.set()
        try:
            await request.read()
        except BaseException as exc:
            seen.set_result(exc)
            raise
        return web.Response()

    app = web.Application()
    app.router.add_post("/", handler)
    async with serve(app) as served:
        reader, writer = await asyncio.open_connection(HOST, served.port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npart")
        await asyncio.wait_for(reading.wait(), 10)
        _drop(writer)
        exc = await asyncio.wait_for(seen, 10)
        assert isinstance(exc, fasthttp.ClientConnectionResetError) and str(exc) == "Connection lost"


# --- WebSocket sends, both sides ----------------------------------------------------------------


async def _send_until_it_fails(ws: Any, progress: Progress) -> BaseException:
    """Send on a WebSocket until a send raises (the peer reads nothing): what it raised."""
    try:
        for _ in range(MAX_CHUNKS):
            progress.count += 1
            await ws.send_bytes(CHUNK)
    except Exception as exc:  # noqa: BLE001 - returned
        return exc
    raise AssertionError("never blocked")


async def _ws_client_sends_to_a_peer_that_drops(lib: Any, senders: int) -> list[BaseException]:
    """`senders` tasks send on one WebSocket to a peer that never reads; once all are blocked
    the peer drops the connection: what each send raised."""
    progress = Progress()

    async def script(peer: Peer) -> None:
        await progress.stalled()
        _drop(peer.conn.writer)

    async with RawWSServer(script) as server:
        async with lib.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url())

            tasks = [asyncio.create_task(_send_until_it_fails(ws, progress)) for _ in range(senders)]
            if lib is fasthttp:
                while not ws._protocol.writing_paused:
                    await asyncio.sleep(0.01)
            errors = await asyncio.wait_for(asyncio.gather(*tasks), 20)
            blocked_at = progress.count
            with pytest.raises(lib.ClientConnectionResetError, match="Cannot write to closing transport"):
                await ws.send_bytes(b"later")
            assert progress.count == blocked_at  # the blocked sends raised, not later ones
    return list(errors)


@async_test(timeout=60)
async def test_client_ws_send_blocked_then_peer_drops() -> None:
    """The send waiting in drain raises ClientConnectionResetError('Connection lost') (before
    the shared base it returned as if the message had gone out; the next send raised); a send
    after that: 'Cannot write to closing transport', as aiohttp."""
    (ours,) = await _ws_client_sends_to_a_peer_that_drops(fasthttp, 1)
    (theirs,) = await _ws_client_sends_to_a_peer_that_drops(real_aiohttp, 1)
    _assert_lost(ours)
    assert isinstance(ours, type(theirs)), (ours, theirs)


@async_test(timeout=60)
async def test_client_ws_every_blocked_sender_hears_of_the_loss() -> None:
    """Three tasks waiting on the same full buffer: each raises the documented exception."""
    errors = await _ws_client_sends_to_a_peer_that_drops(fasthttp, 3)
    assert len(errors) == 3
    for exc in errors:
        _assert_lost(exc)


async def _upgrade(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw WebSocket client: the upgrade request, the 101 read; then nothing."""
    reader, writer = await asyncio.open_connection(HOST, port)
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    writer.write(
        (
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode("ascii")
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def _ws_server_sends_to_a_client_that_drops(web_lib: Any) -> tuple[BaseException, BaseException]:
    progress = Progress()
    seen: asyncio.Future[tuple[BaseException, BaseException]] = (
        asyncio.get_running_loop().create_future()
    )

    async def handler(request: Any) -> Any:
        ws = web_lib.WebSocketResponse()
        await ws.prepare(request)
        first = await _send_until_it_fails(ws, progress)
        try:
            await ws.send_bytes(b"later")
            raise AssertionError("a send after the loss went through")
        except Exception as exc:  # noqa: BLE001 - reported
            seen.set_result((first, exc))
        return ws

    app = web_lib.Application()
    app.router.add_get("/", handler)
    async for _runner, port in _serve_app(web_lib, app):
        reader, writer = await _upgrade(port)
        await progress.stalled()
        _drop(writer)
        result = await asyncio.wait_for(seen, 10)
    return result


@async_test(timeout=60)
async def test_server_ws_send_blocked_then_client_drops() -> None:
    """web.WebSocketResponse: the same as the client's side."""
    ours, ours_later = await _ws_server_sends_to_a_client_that_drops(web)
    theirs, theirs_later = await _ws_server_sends_to_a_client_that_drops(real_web)
    _assert_lost(ours)
    assert isinstance(ours, type(theirs)), (ours, theirs)
    assert isinstance(ours_later, fasthttp.ClientConnectionResetError)
    assert str(ours_later) == str(theirs_later) == "Cannot write to closing transport"


@async_test(timeout=30)
async def test_server_ws_send_blocked_when_the_heartbeat_fails() -> None:
    """A client that stops reading and never pongs: the heartbeat gives up on it and drops
    the connection with what is still buffered for it, so the handler's send, blocked on
    the full buffer, raises ClientConnectionResetError at once (the client's side does the
    same: test_ws_aiohttp_parity). A graceful close would wait for that client for ever, and
    the send with it (as aiohttp.web's does: not run here)."""
    progress = Progress()
    seen: asyncio.Future[tuple[BaseException, Any]] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=0.2)
        await ws.prepare(request)
        exc = await _send_until_it_fails(ws, progress)
        seen.set_result((exc, (ws.closed, ws.close_code, type(ws.exception()).__name__)))
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    async with serve(app) as served:
        reader, writer = await _upgrade(served.port)
        started = asyncio.get_running_loop().time()
        exc, state = await asyncio.wait_for(seen, 10)
        assert asyncio.get_running_loop().time() - started < 3
        writer.close()
    _assert_lost(exc, cause=False)
    assert state == (True, 1006, "TimeoutError")


# --- reading: pause and resume under a flood ----------------------------------------------------

FLOOD = 8 * MiB
SMALL_BUFFER = 4 * KiB
# What a reader that does not read may hold: its buffer's high-water mark (2x the limit) plus
# one read from the socket (asyncio reads up to 256 KiB at a time).
HELD_BOUND = 2 * SMALL_BUFFER + 256 * KiB


def _flood_bytes() -> bytes:
    return hashlib.sha256(b"seed").digest() * (FLOOD // 32)


@async_test(timeout=60)
async def test_client_reading_pauses_under_a_flood_and_resumes() -> None:
    data = _flood_bytes()

    async def handler(conn: Conn) -> None:
        await conn.read_request()
        conn.writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data))
        conn.writer.write(data)
        await conn.writer.drain()
        await asyncio.sleep(5)

    async with RawServer(handler) as server:
        async with fasthttp.ClientSession(read_bufsize=SMALL_BUFFER) as session:
            async with session.get(server.url()) as response:
                protocol = response.connection.protocol
                await asyncio.sleep(STALL)  # the application does not read
                assert protocol.reading_paused
                held = response.content._size
                assert 0 < held <= HELD_BOUND, held
                received = bytearray()
                async for piece in response.content.iter_chunked(64 * KiB):
                    received += piece
                assert not protocol.reading_paused
                assert bytes(received) == data
            protocol.pause_reading()  # released and closed, or idle: no effect, no error
            protocol.resume_reading()
        assert protocol.closed
        protocol.pause_reading()  # closed: still safe
        protocol.resume_reading()


@async_test(timeout=60)
async def test_server_reading_pauses_under_a_flood_and_resumes() -> None:
    data = _flood_bytes()
    observed: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        protocol = request.transport.get_protocol()
        await asyncio.sleep(STALL)  # the handler does not read yet
        observed["paused"] = protocol.reading_paused
        observed["held"] = request.content._size
        body = await request.read()
        observed["paused_after"] = protocol.reading_paused
        return web.Response(text=hashlib.sha256(body).hexdigest())

    app = web.Application(client_max_size=2 * FLOOD)
    app.router.add_post("/", handler)
    async with serve(app, read_bufsize=SMALL_BUFFER) as served:
        reader, writer = await asyncio.open_connection(HOST, served.port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(data))
        writer.write(data)
        await asyncio.wait_for(writer.drain(), 30)
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        assert answer.startswith(b"HTTP/1.1 200")
        body = await asyncio.wait_for(reader.readexactly(64), 10)
        writer.close()
    assert body.decode("ascii") == hashlib.sha256(data).hexdigest()
    assert observed["paused"] is True
    assert 0 < observed["held"] <= HELD_BOUND, observed
    assert observed["paused_after"] is False
