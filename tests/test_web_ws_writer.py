"""fasthttp.web.WebSocketResponse: writer_limit= and close(drain=) do what aiohttp.web documents.

- writer_limit: the write buffer's size past which the sending methods wait for it to drain.
- close(drain=True) (the default): what was sent leaves the buffer before the close handshake
  completes; drain=False does not wait for it.

A raw client on 127.0.0.1 that does not read (small socket buffers, so the server's own
buffer fills quickly) is the peer. Run with both codec twins (FASTHTTP_NO_EXTENSIONS=1).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
from typing import Any

import pytest
from client_servers import HOST, async_test
from web_helpers import serve
from ws_servers import CLOSE, frame

from fasthttp import web

KiB = 1024
MASK = b"\x01\x02\x03\x04"


async def _upgrade(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * KiB)  # before connect
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (HOST, port))
    # A small limit: the StreamReader stops reading from the socket at 2 KiB held.
    reader, writer = await asyncio.open_connection(sock=sock, limit=KiB)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (f"GET /ws HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return reader, writer


def _small_send_buffer(ws: web.WebSocketResponse) -> Any:
    transport = ws._live()._protocol.transport
    assert transport is not None
    transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * KiB)
    return transport


@pytest.mark.parametrize("writer_limit", [4 * KiB, 2**16, 1024 * KiB])
@async_test(timeout=30)
async def test_writer_limit_is_where_sending_waits(writer_limit: int) -> None:
    """Messages of 1 KiB to a client that does not read: send_bytes starts waiting once the
    write buffer holds more than writer_limit, not before (it was always about 64 KiB)."""
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(writer_limit=writer_limit)
        await ws.prepare(request)
        transport = _small_send_buffer(ws)
        for _ in range(4 * writer_limit // KiB + 2000):
            try:
                await asyncio.wait_for(ws.send_bytes(b"x" * KiB), 0.5)
            except asyncio.TimeoutError:
                break
        seen["buffered"] = transport.get_write_buffer_size()
        transport.abort()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with serve(app) as served:
        reader, writer = await _upgrade(served.port)
        try:
            for _ in range(200):
                if "buffered" in seen:
                    break
                await asyncio.sleep(0.05)
        finally:
            writer.close()
    buffered = seen["buffered"]
    # Past the limit when sending started to wait; the kernel may take a little more since.
    assert writer_limit // 2 < buffered <= writer_limit + 2 * KiB, (writer_limit, buffered)


def test_writer_limit_must_not_be_negative() -> None:
    """Refused when built (the transport would refuse it at prepare(), after the 101)."""
    with pytest.raises(ValueError, match="writer_limit"):
        web.WebSocketResponse(writer_limit=-1)


@pytest.mark.parametrize("drain", [True, False])
@async_test(timeout=30)
async def test_close_drain(drain: bool) -> None:
    """The client's close frame is already queued when the server calls close() with 1 MiB
    still in its write buffer, and the client reads only after 0.5 s: close(drain=True) returns
    once the buffer drained (after those 0.5 s), close(drain=False) at once. Both: 1000."""
    seen: dict[str, Any] = {}
    ready = asyncio.Event()
    client_closed = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=5)
        await ws.prepare(request)
        transport = _small_send_buffer(ws)
        while transport.get_write_buffer_size() < 1024 * KiB:
            ws._live()._write(0x2, b"y" * (64 * KiB))  # past the limit, no waiting
        ready.set()
        await client_closed.wait()
        await asyncio.sleep(0.2)  # its close frame is in
        loop = asyncio.get_running_loop()
        started = loop.time()
        seen["result"] = await ws.close(drain=drain)
        seen["took"] = loop.time() - started
        seen["buffered"] = transport.get_write_buffer_size()
        seen["code"] = ws.close_code
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    async with serve(app) as served:
        reader, writer = await _upgrade(served.port)
        try:
            await asyncio.wait_for(ready.wait(), 10)
            writer.write(frame(CLOSE, struct.pack("!H", 1000), mask=MASK))
            client_closed.set()
            await asyncio.sleep(0.5)
            while "took" not in seen:  # now read everything
                await asyncio.wait_for(reader.read(2**20), 5)
        finally:
            writer.close()
    assert seen["result"] is True and seen["code"] == 1000
    if drain:
        assert seen["took"] >= 0.25, seen
    else:
        assert seen["took"] < 0.2, seen
        assert seen["buffered"] > 64 * KiB, seen


def test_websocket_response_signature_is_aiohttps() -> None:
    """Every parameter of aiohttp.web.WebSocketResponse, with its default (writer_limit is
    256 KiB in aiohttp 3.14)."""
    import inspect

    from aiohttp import web as reference_web

    theirs = inspect.signature(reference_web.WebSocketResponse.__init__).parameters
    ours = inspect.signature(web.WebSocketResponse.__init__).parameters
    assert {k: v.default for k, v in ours.items()} == {k: v.default for k, v in theirs.items()}


@pytest.mark.parametrize("decode_text", [True, False])
@async_test()
async def test_server_decode_text(decode_text: bool) -> None:
    """decode_text=False: the handler gets TEXT messages as bytes, as aiohttp.web 3.14."""
    import aiohttp as reference
    from aiohttp import web as reference_web
    from client_servers import web_server

    results = []
    for server_web in (reference_web, web):

        async def handler(request: Any, server_web: Any = server_web) -> Any:
            ws = server_web.WebSocketResponse(decode_text=decode_text)
            await ws.prepare(request)
            msg = await ws.receive()
            await ws.send_str(f"{msg.type.name} {type(msg.data).__name__} {msg.data!r}")
            data = await ws.receive_str()
            await ws.send_str(repr(data))
            await ws.close()
            return ws

        app = server_web.Application()
        app.router.add_get("/ws", handler)
        if server_web is web:
            cm: Any = serve(app)
        else:
            cm = web_server(app)
        async with cm as served:
            base = served if isinstance(served, str) else f"http://{HOST}:{served.port}"
            async with reference.ClientSession() as session:
                async with session.ws_connect(base + "/ws") as ws:
                    await ws.send_str("héllo")
                    first = await ws.receive_str(timeout=5)
                    await ws.send_str("again")
                    results.append((first, await ws.receive_str(timeout=5)))
    assert results[1] == results[0]
    expected = "TEXT str 'héllo'" if decode_text else "TEXT bytes b'h\\xc3\\xa9llo'"
    assert results[0][0] == expected


@pytest.mark.parametrize("receiving", [True, False], ids=["receiving", "idle"])
@async_test(timeout=30)
async def test_server_heartbeat_missing_pong_as_aiohttp_web(receiving: bool) -> None:
    """WebSocketResponse(heartbeat=0.2) and a client that reads but never pongs: closed with
    1006 and asyncio.TimeoutError('No PONG received after 0.1 seconds'), the receive() waiting
    gets ERROR (a later one CLOSED); the same with aiohttp.web."""
    from aiohttp import web as reference_web
    from client_servers import web_server

    results = []
    for server_web in (reference_web, web):
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def handler(request: Any, server_web: Any = server_web, done: Any = done) -> Any:
            ws = server_web.WebSocketResponse(heartbeat=0.2)
            await ws.prepare(request)
            if receiving:
                first = (await ws.receive(timeout=5)).type.name
            else:
                await asyncio.sleep(0.6)
                first = None
            later = (await ws.receive(timeout=5)).type.name
            exc = ws.exception()
            done.set_result((first, later, ws.closed, ws.close_code, type(exc).__name__, str(exc)))
            return ws

        app = server_web.Application()
        app.router.add_get("/ws", handler)
        cm: Any = serve(app) if server_web is web else web_server(app)
        async with cm as served:
            port = served.port if server_web is web else int(served.rsplit(":", 1)[1])
            reader, writer = await _upgrade(port)
            reading = asyncio.ensure_future(reader.read())  # reads the pings, answers none
            try:
                results.append(await asyncio.wait_for(done, 10))
            finally:
                writer.close()
                reading.cancel()
    assert results[1] == results[0]
    assert results[0][2:] == (True, 1006, "TimeoutError", "No PONG received after 0.1 seconds")


@pytest.mark.parametrize("client_compress", [0, 15, 10])
@pytest.mark.parametrize("server_compress", [True, False])
@async_test()
async def test_server_compress_attribute_as_aiohttp_web(client_compress: int,
                                                         server_compress: bool) -> None:
    """ws.compress before prepare() is the constructor's value, after it the agreed window
    bits (0 when not agreed): as aiohttp.web, for the same client offers."""
    import aiohttp as reference
    from aiohttp import web as reference_web
    from client_servers import web_server

    results = []
    for server_web in (reference_web, web):

        async def handler(request: Any, server_web: Any = server_web) -> Any:
            ws = server_web.WebSocketResponse(compress=server_compress)
            before = ws.compress
            await ws.prepare(request)
            await ws.send_str(repr((before, ws.compress)))
            await ws.close()
            return ws

        app = server_web.Application()
        app.router.add_get("/ws", handler)
        cm: Any = serve(app) if server_web is web else web_server(app)
        async with cm as served:
            base = served if isinstance(served, str) else f"http://{HOST}:{served.port}"
            async with reference.ClientSession() as session:
                async with session.ws_connect(base + "/ws", compress=client_compress) as ws:
                    results.append((await ws.receive_str(timeout=5), ws.compress))
    assert results[1] == results[0]
