"""session.ws_connect() against real peers on 127.0.0.1.

The `websockets` library's server is the independent peer for behaviour (echo at the length
boundaries, fragmentation, ping/pong, the close handshake both ways, subprotocols,
permessage-deflate variants); our raw server (tests/ws_servers.py) gives exact bytes where the
peer must misbehave (handshake failures, silent servers for timeouts and heartbeats).
Run once as is (compiled codec) and once with FASTHTTP_NO_EXTENSIONS=1 (pure twin).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest

import fasthttp
import fasthttp as aiohttp
from fasthttp import websocket_codec
from client_servers import assert_pool_clean, async_test, no_extensions
from ws_servers import (
    CLOSE,
    PING,
    PONG,
    Peer,
    RawWSServer,
    accept_for,
    close_frame,
    frame,
    websockets_server,
    ws_echo,
)

WSMsgType = aiohttp.WSMsgType
MiB = 1024 * 1024
SIZES = [0, 125, 126, 65535, 65536, 8 * MiB]


def test_codec_twin_is_the_one_asked_for() -> None:
    assert websocket_codec.IMPLEMENTATION == ("python" if no_extensions() else "cython")


def _text(size: int) -> str:
    # Mixed ASCII and multi-byte characters would change the byte length; keep it exact.
    return ("abcdefghijklmnopqrstuvwxyz0123456789" * (size // 36 + 1))[:size]


def _binary(size: int) -> bytes:
    return os.urandom(size) if size <= 65536 else os.urandom(4096) * (size // 4096)


# --- echo at the length boundaries -----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["text", "binary"])
@pytest.mark.parametrize("compress", [0, 15], ids=["plain", "deflate"])
@async_test(timeout=60)
async def test_echo_sizes(size: int, kind: str, compress: int) -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, compress=compress, max_msg_size=16 * MiB) as ws:
                assert bool(ws.compress) == bool(compress)
                for _ in range(2):  # twice: context takeover carries over between messages
                    if kind == "text":
                        payload: Any = _text(size)
                        await ws.send_str(payload)
                        msg = await ws.receive(timeout=30)
                        assert msg.type is WSMsgType.TEXT
                    else:
                        payload = _binary(size)
                        await ws.send_bytes(payload)
                        msg = await ws.receive(timeout=30)
                        assert msg.type is WSMsgType.BINARY
                    assert len(msg.data) == size
                    assert msg.data == payload
            assert ws.closed
            assert ws.close_code == 1000
            assert_pool_clean(session.connector)


@async_test()
async def test_message_over_max_msg_size_from_real_server() -> None:
    async def handler(ws: Any) -> None:
        await ws.send(b"x" * 2000)
        await asyncio.sleep(5)

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url, max_msg_size=1000, compress=0)
            msg = await ws.receive(timeout=5)
            assert msg.type is WSMsgType.ERROR
            assert ws.close_code == 1009
            assert ws.closed
            assert_pool_clean(session.connector)


# --- fragmentation --------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [0, 15], ids=["plain", "deflate"])
@async_test()
async def test_server_sends_fragmented_messages(compress: int) -> None:
    async def handler(ws: Any) -> None:
        await ws.send(["héllo ", "wörld", "", "!"])
        await ws.send([b"\x00\x01", b"", b"\x02" * 70000])
        # a 4-byte character split across fragments
        await ws.send(["a\U0001f600"[:1], "\U0001f600"])
        await ws.wait_closed()

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, compress=compress) as ws:
                assert await ws.receive_str(timeout=5) == "héllo wörld!"
                assert await ws.receive_bytes(timeout=5) == b"\x00\x01" + b"\x02" * 70000
                assert await ws.receive_str(timeout=5) == "a\U0001f600"
            assert ws.close_code == 1000
            assert_pool_clean(session.connector)


@async_test()
async def test_control_frames_between_fragments_raw() -> None:
    async def script(peer: Peer) -> None:
        await peer.send(frame(0x1, b"ab", fin=False) + frame(PING, b"mid") + frame(0x0, b"cd"))
        pong = await peer.recv_frame()
        assert (pong.opcode, pong.payload, pong.masked) == (PONG, b"mid", True)
        await peer.recv_close()

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), timeout=aiohttp.ClientWSTimeout(ws_close=0.5))
            assert await ws.receive_str(timeout=5) == "abcd"
            await ws.close()
        assert not server.errors, server.errors


# --- ping / pong ---------------------------------------------------------------------------------


@async_test()
async def test_server_ping_is_answered_by_autoping() -> None:
    got: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        waiter = await ws.ping(b"are you there")
        got["latency"] = await asyncio.wait_for(waiter, 3)
        await ws.send("after ping")
        await ws.wait_closed()

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                msg = await ws.receive(timeout=5)  # the PING never reaches the application
                assert (msg.type, msg.data) == (WSMsgType.TEXT, "after ping")
    assert "latency" in got


@async_test()
async def test_client_ping_gets_pong_swallowed_by_autoping() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                await ws.ping(b"p1")
                await ws.send_str("marker")
                msg = await ws.receive(timeout=5)
                assert (msg.type, msg.data) == (WSMsgType.TEXT, "marker")


@async_test()
async def test_autoping_false_returns_ping_and_pong() -> None:
    got: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        waiter = await ws.ping(b"srv")
        got["pong"] = await asyncio.wait_for(waiter, 3)
        await ws.wait_closed()

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, autoping=False) as ws:
                msg = await ws.receive(timeout=5)
                assert (msg.type, msg.data) == (WSMsgType.PING, b"srv")
                await ws.pong(msg.data)
                await ws.ping(b"cli")
                msg = await ws.receive(timeout=5)
                assert (msg.type, msg.data) == (WSMsgType.PONG, b"cli")
                await asyncio.sleep(0.05)
    assert "pong" in got


# --- close handshake -----------------------------------------------------------------------------


@async_test()
async def test_close_initiated_by_client() -> None:
    seen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        await ws.wait_closed()
        seen["code"], seen["reason"] = ws.close_code, ws.close_reason

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url)
            assert not ws.closed
            t0 = time.monotonic()
            assert await ws.close(code=4000, message=b"done here") is True
            assert time.monotonic() - t0 < 2
            assert ws.closed
            assert ws.close_code == 4000
            assert await ws.close() is False
            assert (await ws.receive()).type is WSMsgType.CLOSED
            assert_pool_clean(session.connector)
            await asyncio.sleep(0.1)
    assert seen == {"code": 4000, "reason": "done here"}


@async_test()
async def test_close_initiated_by_server() -> None:
    seen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        await ws.close(4001, "server says bye")
        seen["rcvd"] = ws.protocol.close_rcvd.code if ws.protocol.close_rcvd else None

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url)
            msg = await ws.receive(timeout=5)
            assert msg.type is WSMsgType.CLOSE
            assert msg.data == 4001
            assert msg.extra == "server says bye"
            assert ws.closed  # autoclose answered
            assert ws.close_code == 4001
            assert (await ws.receive()).type is WSMsgType.CLOSED
            assert await ws.close() is False
            assert_pool_clean(session.connector)
            await asyncio.sleep(0.1)
    assert seen == {"rcvd": 4001}


@async_test()
async def test_autoclose_false_lets_the_application_answer() -> None:
    seen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        t0 = time.monotonic()
        await ws.close(4002, "over")
        seen["rcvd"] = ws.protocol.close_rcvd.code if ws.protocol.close_rcvd else None
        seen["elapsed"] = time.monotonic() - t0

    async with websockets_server(handler, close_timeout=3) as url:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url, autoclose=False)
            msg = await ws.receive(timeout=5)
            assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4002, "over")
            assert not ws.closed  # not answered yet
            await asyncio.sleep(0.2)
            t0 = time.monotonic()
            assert await ws.close(code=1000) is True
            assert time.monotonic() - t0 < 1.0  # no wait for a second close frame
            assert ws.closed
            assert ws.close_code == 4002
            assert_pool_clean(session.connector)
            await asyncio.sleep(0.1)
    assert seen["rcvd"] == 1000
    assert seen["elapsed"] >= 0.15


@async_test()
async def test_close_from_another_task_while_receiving() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url)
            receiver = asyncio.ensure_future(ws.receive())
            await asyncio.sleep(0.05)
            assert await asyncio.wait_for(ws.close(code=4003), 3) is True
            msg = await asyncio.wait_for(receiver, 3)
            assert msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSE, WSMsgType.CLOSED)
            assert ws.closed
            assert ws.close_code == 4003
            assert_pool_clean(session.connector)


@async_test()
async def test_server_drops_connection_without_close_frame() -> None:
    async def script(peer: Peer) -> None:
        await peer.send(frame(0x1, b"last"))
        # handler returns: the raw server closes the TCP connection

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url())
            assert await ws.receive_str(timeout=5) == "last"
            msg = await ws.receive(timeout=5)
            assert msg.type is WSMsgType.CLOSED
            assert ws.closed
            assert ws.close_code == 1006
            with pytest.raises(aiohttp.ClientConnectionResetError):
                await ws.send_str("too late")
            assert_pool_clean(session.connector)


@async_test()
async def test_close_times_out_when_server_never_answers() -> None:
    async def script(peer: Peer) -> None:
        await peer.recv_close()
        await asyncio.sleep(10)  # no close frame back, connection kept open

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), timeout=aiohttp.ClientWSTimeout(ws_close=0.3))
            t0 = time.monotonic()
            assert await ws.close() is True
            assert 0.25 < time.monotonic() - t0 < 2
            assert ws.close_code == 1006
            assert_pool_clean(session.connector)


# --- subprotocols -------------------------------------------------------------------------------


@async_test()
async def test_subprotocol_chosen_by_server() -> None:
    chosen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        chosen["server"] = ws.subprotocol
        await ws_echo(ws)

    async with websockets_server(handler, subprotocols=["v2.chat", "v1.chat"]) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, protocols=("v1.chat", "v2.chat")) as ws:
                assert ws.protocol in ("v1.chat", "v2.chat")
                await ws.send_str("x")
                assert await ws.receive_str(timeout=5) == "x"
    assert chosen["server"] == ws.protocol


@async_test()
async def test_no_subprotocol_offered_none_chosen() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                assert ws.protocol is None


@async_test()
async def test_subprotocol_not_offered_is_a_handshake_error() -> None:
    async with RawWSServer(extra_headers="Sec-WebSocket-Protocol: evil\r\n") as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(server.ws_url(), protocols=("good",))
            assert info.value.status == 101
            assert "subprotocol" in str(info.value)
            assert_pool_clean(session.connector)


# --- compression ---------------------------------------------------------------------------------


def _deflate_factory(**kwargs: Any) -> Any:
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    return ServerPerMessageDeflateFactory(**kwargs)


DEFLATE_VARIANTS = {
    "default": {},
    "server_no_context_takeover": {"server_no_context_takeover": True},
    "client_no_context_takeover": {"client_no_context_takeover": True},
    "both_no_context_takeover": {"server_no_context_takeover": True, "client_no_context_takeover": True},
    "server_max_window_bits_10": {"server_max_window_bits": 10},
    "client_max_window_bits_9": {"client_max_window_bits": 9},
    "all": {
        "server_no_context_takeover": True,
        "client_no_context_takeover": True,
        "server_max_window_bits": 12,
        "client_max_window_bits": 11,
    },
}


@pytest.mark.parametrize("variant", sorted(DEFLATE_VARIANTS))
@async_test(timeout=30)
async def test_compression_negotiation_variants(variant: str) -> None:
    seen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        seen["extensions"] = [repr(e) for e in ws.protocol.extensions]
        await ws_echo(ws)

    factory = _deflate_factory(**DEFLATE_VARIANTS[variant])
    async with websockets_server(handler, compression=None, extensions=[factory]) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, compress=15) as ws:
                # the window bits our side compresses with, as aiohttp reports them
                assert ws.compress == DEFLATE_VARIANTS[variant].get("client_max_window_bits", 15)
                for i in range(4):  # repeated content: context takeover matters
                    text = f"message {i} " + "the same words again " * 300
                    await ws.send_str(text)
                    assert await ws.receive_str(timeout=5) == text
                    data = os.urandom(1000) * 50 + bytes([i])
                    await ws.send_bytes(data)
                    assert await ws.receive_bytes(timeout=5) == data
            assert ws.close_code == 1000
    assert seen["extensions"] and "PerMessageDeflate" in seen["extensions"][0]


@async_test()
async def test_client_offer_with_smaller_window() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, compress=10) as ws:
                assert ws.compress
                for _ in range(3):
                    text = "window " * 5000
                    await ws.send_str(text)
                    assert await ws.receive_str(timeout=5) == text


@async_test()
async def test_compression_off_on_either_side() -> None:
    async with websockets_server(ws_echo, compression=None) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, compress=15) as ws:  # offered, refused
                assert ws.compress == 0
                await ws.send_str("plain")
                assert await ws.receive_str(timeout=5) == "plain"
    seen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        seen["ext"] = list(ws.protocol.extensions)
        await ws_echo(ws)

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, compress=0) as ws:  # not offered
                assert ws.compress == 0
                await ws.send_bytes(b"plain")
                assert await ws.receive_bytes(timeout=5) == b"plain"
    assert seen["ext"] == []


@async_test()
async def test_extension_not_offered_is_a_handshake_error() -> None:
    async with RawWSServer(extra_headers="Sec-WebSocket-Extensions: permessage-deflate\r\n") as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(server.ws_url(), compress=0)
            assert_pool_clean(session.connector)


# --- timeouts and heartbeat ---------------------------------------------------------------------


@async_test()
async def test_receive_timeout() -> None:
    async with RawWSServer() as server:  # completes the handshake, then stays silent
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), receive_timeout=0.2,
                                          timeout=aiohttp.ClientWSTimeout(ws_close=0.2))
            t0 = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive()
            assert 0.15 < time.monotonic() - t0 < 2
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive(timeout=0.1)
            await ws.close()
            assert_pool_clean(session.connector)


@async_test()
async def test_heartbeat_without_pong_gives_error_and_closes() -> None:
    async def script(peer: Peer) -> None:
        while True:  # reads everything, answers nothing
            await peer.recv_frame(timeout=10)

    heartbeat = 0.4
    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), heartbeat=heartbeat)
            t0 = time.monotonic()
            msg = await ws.receive(timeout=5)
            elapsed = time.monotonic() - t0
            assert msg.type is WSMsgType.ERROR, msg
            assert isinstance(msg.data, aiohttp.ServerTimeoutError)
            assert heartbeat * 1.5 * 0.8 < elapsed < heartbeat * 1.5 + 0.5
            assert ws.closed
            assert ws.close_code == 1006
            assert isinstance(ws.exception(), aiohttp.ServerTimeoutError)
            assert (await ws.receive()).type is WSMsgType.CLOSED
            assert_pool_clean(session.connector)
            await asyncio.sleep(0.05)
        assert any(f.opcode == PING for f in server.peers[0].frames)


@async_test()
async def test_heartbeat_with_answering_server_keeps_connection() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, heartbeat=0.1) as ws:
                with pytest.raises(asyncio.TimeoutError):
                    await ws.receive(timeout=0.6)  # several heartbeats, pongs swallowed
                assert not ws.closed
                await ws.send_str("still here")
                assert await ws.receive_str(timeout=5) == "still here"
            # As aiohttp's client (tests/test_ws_aiohttp_parity.py): a receive() that timed out
            # sets 1006, and close() then drops the connection without waiting.
            assert ws.close_code == 1006


# --- API behaviour ---------------------------------------------------------------------------------


@async_test()
async def test_concurrent_receive_raises() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                first = asyncio.ensure_future(ws.receive())
                await asyncio.sleep(0.05)
                with pytest.raises(RuntimeError, match="Concurrent"):
                    await ws.receive()
                await ws.send_str("one")
                msg = await asyncio.wait_for(first, 5)
                assert msg.data == "one"


@async_test()
async def test_async_iteration_stops_at_close() -> None:
    async def handler(ws: Any) -> None:
        for i in range(3):
            await ws.send(f"m{i}")
        await ws.send(b"bin")
        await ws.close(1000, "done")

    async with websockets_server(handler) as url:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url)
            got = [msg.data async for msg in ws]
            assert got == ["m0", "m1", "m2", b"bin"]
            assert ws.closed
            assert ws.close_code == 1000
            assert_pool_clean(session.connector)


@async_test()
async def test_async_with_closes() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                assert isinstance(ws, aiohttp.ClientWebSocketResponse)
                await ws.send_json({"a": [1, 2]})
                assert await ws.receive_json(timeout=5) == {"a": [1, 2]}
            assert ws.closed
            # the awaitable form, used as its own context manager
            ws2 = await session.ws_connect(url)
            async with ws2:
                await ws2.send_str("x")
                msg = await ws2.receive(timeout=5)
                assert msg.json() == "x" if False else msg.data == "x"
            assert ws2.closed
            assert_pool_clean(session.connector)


@async_test()
async def test_receive_type_errors() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                await ws.send_bytes(b"bytes")
                with pytest.raises(TypeError):
                    await ws.receive_str(timeout=5)
                await ws.send_str("text")
                with pytest.raises(TypeError):
                    await ws.receive_bytes(timeout=5)
                await ws.send_bytes(b"{}")
                with pytest.raises(TypeError):
                    await ws.receive_json(timeout=5)
                await ws.send_str("not json")
                with pytest.raises(ValueError):
                    await ws.receive_json(timeout=5)
                with pytest.raises(TypeError):
                    await ws.send_str(b"bytes")  # type: ignore[arg-type]
                with pytest.raises(TypeError):
                    await ws.send_bytes("text")  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", ["ws", "http"])
@async_test()
async def test_ws_and_http_urls_with_path_and_params(scheme: str) -> None:
    seen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        seen["path"] = ws.request.path
        seen["origin"] = ws.request.headers.get("Origin")
        seen["x"] = ws.request.headers.get("X-Extra")
        await ws_echo(ws)

    async with websockets_server(handler) as url:
        url = url.replace("ws://", f"{scheme}://") + "chat/room"
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, params={"a": "1"}, origin="http://example.org",
                                          headers={"X-Extra": "yes"}) as ws:
                await ws.send_str("hi")
                assert await ws.receive_str(timeout=5) == "hi"
    assert seen == {"path": "/chat/room?a=1", "origin": "http://example.org", "x": "yes"}


@async_test()
async def test_non_ws_scheme_is_refused() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.NonHttpUrlClientError):
            await session.ws_connect("ftp://127.0.0.1:1/")


# --- handshake failures -------------------------------------------------------------------------


def _bad_handshake(kind: str) -> Any:
    def answer(request: Any) -> bytes:
        key = request.header("sec-websocket-key") or ""
        lines = {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": accept_for(key),
        }
        status = "101 Switching Protocols"
        if kind == "status_200":
            status = "200 OK"
            lines = {"Content-Length": "2"}
        elif kind == "bad_accept":
            lines["Sec-WebSocket-Accept"] = accept_for("x" + key)
        elif kind == "missing_upgrade":
            del lines["Upgrade"]
        elif kind == "wrong_upgrade":
            lines["Upgrade"] = "h2c"
        elif kind == "missing_connection":
            del lines["Connection"]
        elif kind == "missing_accept":
            del lines["Sec-WebSocket-Accept"]
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in lines.items())
        return head.encode() + b"\r\n" + (b"ok" if kind == "status_200" else b"")

    return answer


@pytest.mark.parametrize(
    "kind",
    ["status_200", "bad_accept", "missing_upgrade", "wrong_upgrade", "missing_connection", "missing_accept"],
)
@async_test()
async def test_handshake_failures(kind: str) -> None:
    async with RawWSServer(handshake=_bad_handshake(kind)) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(server.ws_url())
            assert info.value.status == (200 if kind == "status_200" else 101)
            assert_pool_clean(session.connector)


@async_test()
async def test_handshake_rejected_by_real_server() -> None:
    from websockets.http11 import Response  # noqa: F401

    def reject(connection: Any, request: Any) -> Any:
        return connection.respond(403, "go away\n")

    async with websockets_server(ws_echo, process_request=reject) as url:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(url)
            assert info.value.status == 403
            assert_pool_clean(session.connector)


@async_test()
async def test_many_connections_no_leak() -> None:
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2)) as session:
            for i in range(6):  # a limit of 2 would block if a slot leaked
                ws = await asyncio.wait_for(session.ws_connect(url), 5)
                await ws.send_str(str(i))
                assert await ws.receive_str(timeout=5) == str(i)
                await ws.close()
            assert_pool_clean(session.connector)


@async_test()
async def test_session_close_with_open_websocket() -> None:
    async with websockets_server(ws_echo) as url:
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(url)
        await session.close()
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.CLOSED
        assert ws.closed


@async_test()
async def test_messages_queued_before_server_close_are_delivered() -> None:
    async def script(peer: Peer) -> None:
        await peer.send(frame(0x1, b"one") + frame(0x2, b"two") + close_frame(1001, b"away"))
        got = await peer.recv_close()
        assert got.close_code == 1001
        assert got.masked

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url())
            await asyncio.sleep(0.1)
            assert await ws.receive_str(timeout=5) == "one"
            assert await ws.receive_bytes(timeout=5) == b"two"
            msg = await ws.receive(timeout=5)
            assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 1001, "away")
            assert ws.close_code == 1001
            await asyncio.sleep(0.1)
        assert not server.errors, server.errors
        assert [f.opcode for f in server.peers[0].frames] == [CLOSE]


@async_test()
async def test_unlimited_max_msg_size_with_compression() -> None:
    """max_msg_size=0 means no limit, also through the decompressor (was an OverflowError)."""
    async with websockets_server(ws_echo) as url:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, max_msg_size=0, compress=15) as ws:
                assert ws.compress  # websockets answers client_max_window_bits=12
                await ws.send_str("hi")
                msg = await ws.receive(timeout=5)
                assert (msg.type, msg.data) == (WSMsgType.TEXT, "hi"), msg
