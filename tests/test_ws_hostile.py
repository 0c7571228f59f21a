"""Hostile WebSocket servers, in the spirit of the Autobahn testsuite's categories.

Our raw server (tests/ws_servers.py) completes a correct handshake, then sends exact frame
bytes built by hand. For each case: receive() returns ERROR (or CLOSE), ws.close_code is the
RFC 6455 code (1002 protocol error, 1007 invalid data, 1009 too big), the server reads a masked
close frame carrying that code, the connection is dropped and the pool slot freed, in well under
the test's time bound. Run once as is (compiled codec) and once with FASTHTTP_NO_EXTENSIONS=1.
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from typing import Any, Optional

import pytest

import fasthttp as aiohttp
from client_servers import assert_pool_clean, async_test
from ws_servers import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Peer,
    RawWSServer,
    close_frame,
    frame,
)

WSMsgType = aiohttp.WSMsgType
DEFLATE = "Sec-WebSocket-Extensions: permessage-deflate\r\n"
LIMIT = 4096  # max_msg_size used by every case


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


# (id, bytes the server sends, expected close code, negotiate permessage-deflate)
CASES: list[tuple[str, bytes, int, bool]] = [
    # framing / reserved bits
    ("rsv2_text", frame(TEXT, b"x", rsv2=True), 1002, False),
    ("rsv3_binary", frame(BINARY, b"x", rsv3=True), 1002, False),
    ("rsv1_without_deflate", frame(TEXT, b"x", rsv1=True), 1002, False),
    ("rsv1_ping_without_deflate", frame(PING, b"x", rsv1=True), 1002, False),
    ("masked_server_frame", frame(TEXT, b"hello", mask=b"\x01\x02\x03\x04"), 1002, False),
    ("length_64bit_top_bit", bytes((0x82, 127)) + struct.pack("!Q", 1 << 63), 1002, False),
    # reserved opcodes
    *[(f"reserved_opcode_{op}", frame(op, b"abc"), 1002, False) for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)],
    ("reserved_opcode_after_text", frame(TEXT, b"fine") + frame(5, b""), 1002, False),
    # pings / pongs / control frames
    ("ping_126_bytes", frame(PING, b"p" * 126), 1002, False),
    ("pong_126_bytes", frame(PONG, b"p" * 126), 1002, False),
    ("ping_fragmented", frame(PING, b"pi", fin=False) + frame(CONT, b"ng"), 1002, False),
    ("close_126_bytes", frame(CLOSE, struct.pack("!H", 1000) + b"r" * 124), 1002, False),
    ("close_fragmented", frame(CLOSE, struct.pack("!H", 1000), fin=False), 1002, False),
    # fragmentation
    ("continuation_without_start", frame(CONT, b"orphan"), 1002, False),
    ("final_continuation_without_start", frame(CONT, b"orphan", fin=False), 1002, False),
    ("text_inside_fragmented_text", frame(TEXT, b"a", fin=False) + frame(TEXT, b"b"), 1002, False),
    ("binary_inside_fragmented_text", frame(TEXT, b"a", fin=False) + frame(BINARY, b"b"), 1002, False),
    ("fragmented_ping_inside_text",
     frame(TEXT, b"a", fin=False) + frame(PING, b"x", fin=False) + frame(CONT, b"b"), 1002, False),
    # UTF-8
    ("utf8_invalid_byte", frame(TEXT, b"\xff"), 1007, False),
    ("utf8_invalid_in_middle", frame(TEXT, "κόσμε".encode() + b"\xed\xa0\x80edited"), 1007, False),
    ("utf8_surrogate", frame(TEXT, b"\xed\xa0\x80"), 1007, False),
    ("utf8_overlong", frame(TEXT, b"\xc0\xaf"), 1007, False),
    ("utf8_above_max", frame(TEXT, b"\xf4\x90\x80\x80"), 1007, False),
    ("utf8_truncated_at_end", frame(TEXT, b"ok\xf0\x9f\x98"), 1007, False),
    ("utf8_invalid_split_across_fragments",
     frame(TEXT, b"\xf0\x9f", fin=False) + frame(CONT, b"\x98\x28"), 1007, False),
    ("utf8_truncated_across_fragments",
     frame(TEXT, b"ab\xf0", fin=False) + frame(CONT, b"\x9f\x98"), 1007, False),
    # fail fast: the message is never finished, the error must show on the first fragment
    ("utf8_invalid_first_fragment_unfinished", frame(TEXT, b"\xff", fin=False), 1007, False),
    ("utf8_invalid_later_fragment_unfinished",
     frame(TEXT, b"good", fin=False) + frame(CONT, b"\xc3\x28", fin=False), 1007, False),
    # fail fast inside one frame (Autobahn 6.4.3/6.4.4): the frame announces 3000 bytes, only
    # its start is ever sent; the invalid sequence in it must be enough
    ("utf8_fail_fast_inside_unfinished_frame",
     frame(TEXT, b"", length=3000) + "κόσμε".encode() + b"\xf4\x90\x80\x80", 1007, False),
    ("utf8_fail_fast_surrogate_inside_unfinished_frame",
     frame(TEXT, b"", length=3000) + b"ok \xed\xa0", 1007, False),
    ("utf8_fail_fast_across_fragments_unfinished_frame",
     frame(TEXT, b"ab\xe2\x82", fin=False) + frame(CONT, b"", length=3000) + b"\x28", 1007, False),
    # limits (max_msg_size=LIMIT): announced length alone must fail, before the payload comes
    ("too_big_announced_only", frame(BINARY, b"", length=LIMIT + 1), 1009, False),
    ("too_big_single_frame", frame(BINARY, b"z" * (LIMIT + 1)), 1009, False),
    ("too_big_text_64bit_length", frame(TEXT, b"", length=1 << 40), 1009, False),
    ("too_big_across_fragments",
     frame(BINARY, b"a" * (LIMIT // 2), fin=False) + frame(CONT, b"b" * (LIMIT // 2), fin=False)
     + frame(CONT, b"c"), 1009, False),
    ("too_big_announced_continuation",
     frame(TEXT, b"a" * 10, fin=False) + frame(CONT, b"", length=LIMIT), 1009, False),
    # close handling
    ("close_1_byte_payload", frame(CLOSE, b"\x03"), 1002, False),
    *[(f"close_invalid_code_{code}", close_frame(code), 1002, False)
      for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)],
    ("close_invalid_utf8_reason", close_frame(1000, b"bad \xff reason"), 1007, False),
    # compression
    ("deflate_corrupted", frame(BINARY, b"\xff\xff\xff\xff\xff", rsv1=True), 1002, True),
    ("deflate_rsv1_on_continuation",
     frame(TEXT, deflate(b"ab"), rsv1=True, fin=False) + frame(CONT, b"x", rsv1=True), 1002, True),
    ("deflate_rsv1_on_ping", frame(PING, b"x", rsv1=True), 1002, True),
    ("deflate_bomb", frame(BINARY, deflate(b"\x00" * (LIMIT * 64)), rsv1=True), 1009, True),
    ("deflate_bomb_fragmented",
     frame(BINARY, deflate(b"\x00" * (LIMIT * 64))[:4], rsv1=True, fin=False)
     + frame(CONT, deflate(b"\x00" * (LIMIT * 64))[4:]), 1009, True),
    ("deflate_invalid_utf8", frame(TEXT, deflate(b"ok \xff"), rsv1=True), 1007, True),
    # a compressed message whose deflate data is cut short (its last block never ends)
    ("deflate_truncated_message",
     frame(BINARY, deflate(bytes(range(256)) * 4)[:-40], rsv1=True), 1007, True),
]


async def _run_case(payload: bytes, expected: int, negotiate: bool) -> None:
    result: dict[str, Any] = {}

    async def script(peer: Peer) -> None:
        await peer.send(payload)
        try:
            got = await peer.recv_close(timeout=3)
            result["code"] = got.close_code
            result["masked"] = got.masked
            result["eof"] = await peer.wait_eof(timeout=3)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            result["error"] = repr(exc)

    extra = DEFLATE if negotiate else ""
    async with RawWSServer(script, extra_headers=extra) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(
                server.ws_url(),
                max_msg_size=LIMIT,
                timeout=aiohttp.ClientWSTimeout(ws_close=5),
                compress=15 if negotiate else 0,
            )
            assert ws.compress == (15 if negotiate else 0)
            t0 = time.monotonic()
            msg = await ws.receive(timeout=5)
            while msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):  # valid messages sent first
                msg = await ws.receive(timeout=5)
            elapsed = time.monotonic() - t0
            assert msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE), msg
            if msg.type is WSMsgType.ERROR:
                assert isinstance(msg.data, Exception)
                assert ws.exception() is msg.data
            assert ws.close_code == expected, (ws.close_code, msg)
            assert ws.closed
            assert elapsed < 2.0, elapsed
            assert (await ws.receive()).type is WSMsgType.CLOSED
            assert_pool_clean(session.connector)
            for _ in range(100):
                if "eof" in result or "error" in result:
                    break
                await asyncio.sleep(0.02)
        assert not server.errors, server.errors
    assert result.get("code") == expected, result
    assert result.get("masked") is True
    assert result.get("eof") is True


@pytest.mark.parametrize("payload,expected,negotiate", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@async_test(timeout=15)
async def test_hostile_frames(payload: bytes, expected: int, negotiate: bool) -> None:
    await _run_case(payload, expected, negotiate)


@pytest.mark.parametrize("case", ["whole", "byte_by_byte"])
@async_test(timeout=15)
async def test_hostile_frame_dribbled(case: str) -> None:
    """The same errors when the bytes come one by one (header checks on partial frames)."""
    payload = frame(TEXT, b"ok\xf0\x9f", fin=False) + frame(CONT, b"\x98\x28")
    if case == "whole":
        await _run_case(payload, 1007, False)
        return
    result: dict[str, Any] = {}

    async def script(peer: Peer) -> None:
        for i in range(len(payload)):
            await peer.send(payload[i : i + 1])
            await asyncio.sleep(0.005)
        got = await peer.recv_close(timeout=3)
        result["code"] = got.close_code

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url())
            msg = await ws.receive(timeout=5)
            assert msg.type is WSMsgType.ERROR
            assert ws.close_code == 1007
            assert_pool_clean(session.connector)
            for _ in range(100):
                if result:
                    break
                await asyncio.sleep(0.02)
    assert result == {"code": 1007}


# --- valid edge cases: no error ---------------------------------------------------------------------


VALID_CLOSES: list[tuple[str, bytes, Optional[int], str]] = [
    ("empty_close", close_frame(None), 0, ""),
    ("close_1000", close_frame(1000), 1000, ""),
    ("close_3000", close_frame(3000, b"app"), 3000, "app"),
    ("close_4999_utf8_reason", close_frame(4999, "adiós".encode()), 4999, "adiós"),
    ("close_123_byte_reason", close_frame(1001, b"r" * 123), 1001, "r" * 123),
]


@pytest.mark.parametrize("payload,code,reason", [c[1:] for c in VALID_CLOSES], ids=[c[0] for c in VALID_CLOSES])
@async_test(timeout=15)
async def test_valid_close_frames(payload: bytes, code: int, reason: str) -> None:
    result: dict[str, Any] = {}

    async def script(peer: Peer) -> None:
        await peer.send(payload)
        got = await peer.recv_close(timeout=3)
        result["payload"] = got.payload

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url())
            msg = await ws.receive(timeout=5)
            assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, code, reason)
            assert ws.closed
            assert_pool_clean(session.connector)
            for _ in range(100):
                if result:
                    break
                await asyncio.sleep(0.02)
    # the answer is a valid close frame: the echoed code (1000 for an empty close)
    answer = result["payload"]
    assert len(answer) >= 2
    assert struct.unpack("!H", answer[:2])[0] == (code or 1000)


@async_test(timeout=15)
async def test_valid_edge_frames_are_accepted() -> None:
    sent = (
        frame(PING, b"p" * 125)  # the largest control frame
        + frame(TEXT, b"", fin=False) + frame(CONT, b"", fin=False) + frame(CONT, b"")  # empty fragments
        + frame(TEXT, "κ".encode()[:1], fin=False) + frame(PING, b"in") + frame(CONT, "κ".encode()[1:])
        + frame(BINARY, b"b" * 126) + frame(TEXT, b"t" * LIMIT)  # exactly the limit
        + frame(PONG, b"unsolicited")
        + frame(TEXT, deflate(b"squeezed " * 100), rsv1=True)
        + frame(BINARY, deflate(b"x" * LIMIT), rsv1=True)  # inflates to exactly the limit
    )
    frames_seen: list[Any] = []

    async def script(peer: Peer) -> None:
        await peer.send(sent)
        await peer.recv_close(timeout=3)
        frames_seen.extend(peer.frames)
        await peer.send(close_frame(1000))

    async with RawWSServer(script, extra_headers=DEFLATE) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), max_msg_size=LIMIT, compress=15)
            assert await ws.receive_str(timeout=5) == ""
            assert await ws.receive_str(timeout=5) == "κ"
            assert await ws.receive_bytes(timeout=5) == b"b" * 126
            assert await ws.receive_str(timeout=5) == "t" * LIMIT
            assert await ws.receive_str(timeout=5) == "squeezed " * 100
            assert await ws.receive_bytes(timeout=5) == b"x" * LIMIT
            await ws.close()
            assert ws.close_code == 1000
            assert_pool_clean(session.connector)
    pongs = [f for f in frames_seen if f.opcode == PONG]
    assert [p.payload for p in pongs] == [b"p" * 125, b"in"]
    assert all(f.masked for f in frames_seen)


@async_test(timeout=15)
async def test_valid_message_before_bad_frame_in_same_packet_is_delivered() -> None:
    """aiohttp delivers the messages that came before the bad frame, then the ERROR."""

    async def script(peer: Peer) -> None:
        await peer.send(frame(TEXT, b"first") + frame(BINARY, b"second") + frame(TEXT, b"\xff"))
        await peer.recv_close(timeout=3)

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url())
            await asyncio.sleep(0.1)  # all in the socket before the first receive
            first = await ws.receive(timeout=5)
            second = await ws.receive(timeout=5)
            third = await ws.receive(timeout=5)
            assert [m.type for m in (first, second, third)] == [
                WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.ERROR]
            assert ws.close_code == 1007
            assert_pool_clean(session.connector)


@async_test(timeout=15)
async def test_garbage_after_close_is_ignored() -> None:
    result: dict[str, Any] = {}

    async def script(peer: Peer) -> None:
        await peer.send(close_frame(1000) + b"\xff\xff\xff garbage")
        got = await peer.recv_close(timeout=3)
        result["code"] = got.close_code

    async with RawWSServer(script) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url())
            msg = await ws.receive(timeout=5)
            assert (msg.type, msg.data) == (WSMsgType.CLOSE, 1000)
            assert ws.close_code == 1000
            assert_pool_clean(session.connector)
            for _ in range(100):
                if result:
                    break
                await asyncio.sleep(0.02)
    assert result == {"code": 1000}
