"""WebSocket client behaviour that must match aiohttp's client (issue 10 point 5).

Each scenario runs with aiohttp's own client and with fasthttp's against the same aiohttp.web
(or raw, for exact frames) server on 127.0.0.1, and the outcomes are compared. Run once as is
(compiled codec) and once with FASTHTTP_NO_EXTENSIONS=1 (pure twin).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any, Awaitable, Callable

import aiohttp as reference
import pytest
from aiohttp import web
from client_servers import async_test, web_server
from ws_servers import PING, PONG, Peer, RawWSServer, close_frame, frame, websockets_server, ws_echo

import fasthttp
from fasthttp.client_ws import ws_upgrade

CLIENTS = (reference, fasthttp)


def _ws_app(handler: Callable[[web.Request], Awaitable[Any]], path: str = "/ws") -> web.Application:
    app = web.Application()
    app.router.add_get(path, handler)
    return app


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def _both(
    url: str, scenario: Callable[[Any, Any, str], Awaitable[Any]]
) -> tuple[Any, Any]:
    """scenario(client module, session, url) with aiohttp's client, then fasthttp's."""
    results = []
    for client in CLIENTS:
        async with client.ClientSession() as session:
            results.append(await asyncio.wait_for(scenario(client, session, url), 15))
    return results[0], results[1]


# --- compress ----------------------------------------------------------------------------------


def test_ws_connect_compress_default_is_aiohttps() -> None:
    ours = inspect.signature(ws_upgrade).parameters["compress"].default
    theirs = inspect.signature(reference.ClientSession.ws_connect).parameters["compress"].default
    assert ours == theirs == 0


@pytest.mark.parametrize("kwargs", [{}, {"compress": 0}, {"compress": 15}, {"compress": 10}],
                         ids=["default", "off", "15", "10"])
@async_test()
async def test_compress_attribute_against_aiohttp_web(kwargs: dict[str, Any]) -> None:
    async def scenario(client: Any, session: Any, url: str) -> Any:
        async with session.ws_connect(url, **kwargs) as ws:
            await ws.send_str("x" * 300)
            echoed = await ws.receive_str(timeout=5)
            return ws.compress, ws.client_notakeover, echoed == "x" * 300

    async with web_server(_ws_app(_echo)) as base:
        theirs, ours = await _both(base + "/ws", scenario)
    assert ours == theirs
    assert ours[0] == (0 if not kwargs.get("compress") else 15)


@pytest.mark.parametrize(
    "server_kwargs, expected",
    [
        ({"client_max_window_bits": 9}, (9, False)),
        ({"client_no_context_takeover": True}, (15, True)),
        (None, (0, False)),  # the server refuses the offer
    ],
    ids=["client_bits_9", "client_no_takeover", "refused"],
)
@async_test()
async def test_compress_attribute_reports_the_agreement(server_kwargs: Any, expected: Any) -> None:
    """Against the websockets library, which can answer with smaller windows (aiohttp.web never
    does): ws.compress is the window our side compresses with, as aiohttp's ws_ext_parse says."""
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    if server_kwargs is None:
        options: dict[str, Any] = {"compression": None}
    else:
        options = {"compression": None,
                   "extensions": [ServerPerMessageDeflateFactory(**server_kwargs)]}
    async with websockets_server(ws_echo, **options) as url:

        async def scenario(client: Any, session: Any, url: str) -> Any:
            async with session.ws_connect(url, compress=15) as ws:
                await ws.send_str("abc " * 500)
                assert await ws.receive_str(timeout=5) == "abc " * 500
                return ws.compress, ws.client_notakeover

        theirs, ours = await _both(url, scenario)
    assert ours == theirs == expected


# --- names: WSMessageTypeError, decode_text, send_json_bytes ------------------------------------


async def _typed(request: web.Request) -> web.WebSocketResponse:
    """Sends TEXT 'héllo', BINARY b'\\x00\\xff', then echoes what it gets with its type."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str("héllo")
    await ws.send_bytes(b"\x00\xff")
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            await ws.send_str("TEXT:" + msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_str("BINARY:" + msg.data.decode())
    return ws


def test_ws_message_type_error_is_exported_as_aiohttps() -> None:
    assert issubclass(fasthttp.WSMessageTypeError, TypeError)
    assert fasthttp.client_exceptions.WSMessageTypeError is fasthttp.WSMessageTypeError
    # Its own bases are aiohttp's (TypeError); aiohttp's class of the same name is one of
    # them too when aiohttp is installed (fasthttp/_aiohttp_bases.py).
    assert [
        c.__name__ for c in fasthttp.WSMessageTypeError.__mro__[1:]
        if c.__module__.partition(".")[0] != "aiohttp"
    ] == [c.__name__ for c in reference.WSMessageTypeError.__mro__[1:]]
    assert issubclass(fasthttp.WSMessageTypeError, reference.WSMessageTypeError)


@async_test()
async def test_receive_wrong_type_raises_ws_message_type_error() -> None:
    async def scenario(client: Any, session: Any, url: str) -> Any:
        outcomes = []
        async with session.ws_connect(url) as ws:
            for receive in (ws.receive_bytes, ws.receive_str):  # TEXT first, then BINARY
                try:
                    outcomes.append(("ok", await receive(timeout=5)))
                except client.WSMessageTypeError as exc:
                    outcomes.append((type(exc).__name__, str(exc)))
        return outcomes

    async with web_server(_ws_app(_typed)) as base:
        theirs, ours = await _both(base + "/ws", scenario)
    assert ours == theirs
    assert [o[0] for o in ours] == ["WSMessageTypeError", "WSMessageTypeError"]


@pytest.mark.parametrize("decode_text", [True, False])
@async_test()
async def test_decode_text(decode_text: bool) -> None:
    """decode_text=False: TEXT messages carry bytes (aiohttp 3.14), also fragmented and
    compressed ones; receive_str and receive_json give/parse those bytes."""

    async def scenario(client: Any, session: Any, url: str) -> Any:
        got = []
        async with session.ws_connect(url, decode_text=decode_text, compress=15) as ws:
            got.append(await ws.receive(timeout=5))
            got.append(await ws.receive(timeout=5))
            await ws.send_str("a" * 70000)  # echoed compressed, one large message
            msg = await ws.receive(timeout=5)
            got.append((msg.type, type(msg.data).__name__, len(msg.data)))
            await ws.send_str('"json"')
            got.append(await ws.receive_str(timeout=5))
            await ws.send_str("[1, 2]")
            got.append(await ws.receive_json(loads=lambda d: json.loads(d[5:]), timeout=5))
        return [tuple(m) if isinstance(m, tuple) else m for m in got]

    async with web_server(_ws_app(_typed)) as base:
        theirs, ours = await _both(base + "/ws", scenario)
    assert ours == theirs
    text = "héllo" if decode_text else "héllo".encode()
    assert ours[0] == (reference.WSMsgType.TEXT, text, "")


@async_test()
async def test_decode_text_false_fragmented_message() -> None:
    """A fragmented TEXT message (raw server) is delivered whole, as bytes."""
    text = "fragmenté".encode()

    async def script(peer: Peer) -> None:
        await peer.send(frame(0x1, text[:4], fin=False) + frame(0x0, text[4:8], fin=False)
                        + frame(0x0, text[8:]))
        await peer.recv_close(timeout=5)
        await peer.send(close_frame(1000))

    async with RawWSServer(script) as server:
        async with fasthttp.ClientSession() as session:
            async with session.ws_connect(server.ws_url(), decode_text=False) as ws:
                assert await ws.receive_str(timeout=5) == text


@async_test()
async def test_send_json_bytes() -> None:
    async def scenario(client: Any, session: Any, url: str) -> Any:
        async with session.ws_connect(url) as ws:
            await ws.receive(timeout=5)
            await ws.receive(timeout=5)
            await ws.send_json_bytes({"a": 1}, dumps=lambda d: repr(d).encode())
            return await ws.receive_str(timeout=5)

    async with web_server(_ws_app(_typed)) as base:
        theirs, ours = await _both(base + "/ws", scenario)
    assert ours == theirs == "BINARY:{'a': 1}"


# --- heartbeat: a missing pong, in every state ---------------------------------------------------


async def _reads_never_pongs(peer: Peer) -> None:
    """Reads the client's frames (so its writes never block) and answers none of its pings."""
    try:
        while True:
            await peer.recv_frame(timeout=10)
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        pass


def _state(ws: Any) -> tuple[Any, ...]:
    exc = ws.exception()
    return ws.closed, ws.close_code, type(exc).__name__, str(exc)


@pytest.mark.parametrize("state", ["idle", "receiving", "sending"])
@async_test(timeout=30)
async def test_missing_pong_detected_in_every_state(state: str) -> None:
    """heartbeat=0.2: no pong within 0.1 s closes with 1006 and ServerTimeoutError('No PONG
    received after 0.1 seconds'): a receive() waiting gets ERROR, a later one CLOSED, a send
    raises ClientConnectionResetError; the same as aiohttp's client in each state."""

    async def scenario(client: Any, session: Any, url: str) -> Any:
        ws = await session.ws_connect(url, heartbeat=0.2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        if state == "idle":  # the application is not receiving
            await asyncio.sleep(0.6)
            first: Any = (await ws.receive(timeout=2)).type
        elif state == "receiving":  # a receive() is waiting
            msg = await ws.receive(timeout=2)
            first = (msg.type, type(msg.data).__name__)
        else:  # the application only sends
            first = None
            try:
                for _ in range(100):
                    await ws.send_str("x")
                    await asyncio.sleep(0.02)
            except Exception as exc:  # noqa: BLE001 - compared
                first = (type(exc).__name__, str(exc))
        detected_after = loop.time() - started
        later = (await ws.receive(timeout=1)).type
        return first, later, _state(ws), await ws.close(), detected_after < 1.0

    async with RawWSServer(_reads_never_pongs) as server:
        theirs, ours = await _both(server.ws_url(), scenario)
    assert ours == theirs
    assert ours[2] == (True, 1006, "ServerTimeoutError", "No PONG received after 0.1 seconds")
    assert ours[4]


@async_test(timeout=20)
async def test_missing_pong_detected_while_a_send_is_blocked() -> None:
    """A peer that stops reading and never pongs: the sender blocked on the full buffer is
    woken by the heartbeat and gets ClientConnectionResetError. (aiohttp's client stays blocked
    in send_bytes here: it is not run, it would hang until the test's deadline.)"""

    async def silent(peer: Peer) -> None:
        await asyncio.sleep(10)

    async with RawWSServer(silent) as server:
        async with fasthttp.ClientSession() as session:
            ws = await session.ws_connect(server.ws_url(), heartbeat=0.2)
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(fasthttp.ClientConnectionResetError):
                for _ in range(200):
                    await asyncio.wait_for(ws.send_bytes(b"x" * 2**20), 5)
            assert loop.time() - started < 3
            assert _state(ws) == (True, 1006, "ServerTimeoutError",
                                  "No PONG received after 0.1 seconds")
            assert (await ws.receive(timeout=1)).type is fasthttp.WSMsgType.CLOSED


# --- close() under cancellation, timeout, a concurrent close; the socket after close ----------


async def _never_closes(peer: Peer) -> None:
    await _reads_never_pongs(peer)


async def _closes_late(peer: Peer) -> None:
    await peer.recv_close(timeout=5)
    await asyncio.sleep(0.2)
    await peer.send(close_frame(1000))
    await asyncio.sleep(1)


def _socket_gone(ws: Any) -> bool:
    return ws.get_extra_info("socket") is None and ws.get_extra_info("peername") is None


@pytest.mark.parametrize("mode", ["cancelled", "ws_close_timeout", "wait_for", "concurrent",
                                  "receive_timed_out"])
@async_test(timeout=40)
async def test_close_like_aiohttp(mode: str) -> None:
    """What close() returns or raises, closed, close_code, exception(), whether the socket is
    still reachable, what a second close() and a later receive() give: as aiohttp's client,
    on the same raw server (which never answers the close frame, or answers it late)."""

    async def scenario(client: Any, session: Any, url: str) -> Any:
        kwargs: dict[str, Any] = {}
        if mode == "ws_close_timeout":
            kwargs["timeout"] = client.ClientWSTimeout(ws_close=0.2)
        ws = await session.ws_connect(url, **kwargs)
        out: list[Any] = [_socket_gone(ws)]
        if mode == "cancelled":
            task = asyncio.ensure_future(ws.close())
            await asyncio.sleep(0.1)
            out.append(_state(ws))
            task.cancel()
            out.append(await asyncio.gather(task, return_exceptions=True))
        elif mode == "ws_close_timeout":
            out.append(await ws.close())
        elif mode == "wait_for":
            out.append(await asyncio.gather(asyncio.wait_for(ws.close(), 0.1),
                                            return_exceptions=True))
        elif mode == "concurrent":
            async def closing() -> Any:
                result = await ws.close()
                return result, _state(ws)

            first, second = await asyncio.gather(closing(), closing())
            out.append((first, second))
        else:  # receive() timed out, another was cancelled, then close()
            out.append(await asyncio.gather(ws.receive(timeout=0.1), return_exceptions=True))
            task = asyncio.ensure_future(ws.receive())
            await asyncio.sleep(0.05)
            task.cancel()
            out.append(await asyncio.gather(task, return_exceptions=True))
            out.append((_state(ws), _socket_gone(ws)))
            out.append(await asyncio.wait_for(ws.close(), 1))
        out.append((_state(ws), _socket_gone(ws)))
        out.append(await ws.close())
        out.append((await ws.receive(timeout=1)).type)
        return [repr(o) if isinstance(o, list) else o for o in out]

    def shown(result: Any) -> str:
        return repr(result).replace("CancelledError()", "cancelled")

    script = _closes_late if mode == "concurrent" else _never_closes
    async with RawWSServer(script) as server:
        theirs, ours = await _both(server.ws_url(), scenario)
    assert shown(ours) == shown(theirs)
    assert ours[0] is False  # the socket is there while open
    assert ours[-3][1] is True  # and gone once closed
    assert ours[-2] is False  # a second close() has nothing to do



async def _closes_at_once(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.close(code=4001, message=b"bye")
    return ws


@async_test()
async def test_socket_gone_after_the_server_closed() -> None:
    async def scenario(client: Any, session: Any, url: str) -> Any:
        ws = await session.ws_connect(url)
        before = _socket_gone(ws)
        msg = await ws.receive(timeout=5)
        return before, msg.type, msg.data, msg.extra, ws.closed, ws.close_code, _socket_gone(ws)

    async with web_server(_ws_app(_closes_at_once)) as base:
        theirs, ours = await _both(base + "/ws", scenario)
    assert ours == theirs
    assert ours[0] is False and ours[-1] is True


async def _drops_after_close_frame(peer: Peer) -> None:
    await peer.recv_close(timeout=5)
    peer.conn.writer.close()


async def _bad_frame_after_close_frame(peer: Peer) -> None:
    await peer.recv_close(timeout=5)
    await peer.send(frame(0x1, b"\xff"))  # invalid UTF-8
    await asyncio.sleep(1)


@pytest.mark.parametrize("script", [_drops_after_close_frame, _bad_frame_after_close_frame],
                         ids=["peer_drops", "peer_breaks_protocol"])
@async_test()
async def test_close_without_the_peers_close_frame_is_1006(script: Any) -> None:
    """close() waiting for the peer's close frame gets none (the TCP connection ends, or a bad
    frame comes): close code 1006 (RFC 6455 7.1.5) as aiohttp; the protocol error is exception()
    (for a plain EOF aiohttp's exception() is its internal EofStream: not compared)."""

    async def scenario(client: Any, session: Any, url: str) -> Any:
        ws = await session.ws_connect(url)
        result = await ws.close()
        exc = ws.exception()
        return (result, ws.closed, ws.close_code, getattr(exc, "code", None),
                (await ws.receive(timeout=1)).type)

    async with RawWSServer(script) as server:
        theirs, ours = await _both(server.ws_url(), scenario)
    assert ours == theirs
    assert ours[2] == 1006
