"""WebSocketSession: one WebSocket's policy, the same for the client and the server.

Under it, a WebSocketProtocol (fasthttp.ws_protocol) holds the connection: frames in, messages
queued, frames out, back-pressure. This is what an application talks to: receive() and the
send methods, autoping (pings answered, pongs swallowed), autoclose (a close frame answered),
the heartbeat (a ping every `heartbeat` seconds, the connection failed when no pong comes
within half of it), and the close handshake.

The client's ClientWebSocketResponse (fasthttp.client_ws) and the server's
web.WebSocketResponse (fasthttp.web.ws) are built on it, the way websockets' and aiohttp's
(`_websocket/`) client and server share one implementation; neither side imports the other.
Where aiohttp's client and aiohttp.web differ, a class attribute says how (masking, the
exception for a missing pong, a receive() given up, receive() on a closed WebSocket).

A lost connection: receive() reports CLOSED (close code 1006); a send raises
ClientConnectionResetError, "Connection lost" if it was waiting for the transport's buffer to
drain when the connection went, "Cannot write to closing transport" after that
(fasthttp.flow_control says why one exception for every writer).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Optional, TypeVar

from .client_exceptions import WSMessageTypeError
from .flow_control import closing_transport_error
from .websocket_codec import encode_frame
from .ws_deflate import MessageCompressor
from .ws_protocol import WebSocketProtocol
from .ws_types import WSCloseCode, WSMessage, WSMsgType

__all__ = ("WebSocketSession",)

_CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
_CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)
_Session = TypeVar("_Session", bound="WebSocketSession")


class WebSocketSession:
    """An open WebSocket: receive/send messages, ping/pong, close."""

    # Clients mask every frame they send (RFC 6455 §5.3); servers never do (§5.1).
    _mask = True
    # What a missing heartbeat pong is reported as (aiohttp's client: ServerTimeoutError;
    # aiohttp.web: asyncio's TimeoutError).
    _pong_timeout_error: type[BaseException] = asyncio.TimeoutError
    # aiohttp's client gives up the close handshake when a receive() times out or is cancelled
    # (close code 1006); aiohttp.web's server does not.
    _receive_abort_is_abnormal = False
    # aiohttp.web raises after this many receive() calls on a closed WebSocket (a handler
    # looping on CLOSED would spin); its client never does (None).
    _closed_receive_limit: Optional[int] = None

    def __init__(
        self,
        protocol: WebSocketProtocol,
        *,
        compressor: Optional[MessageCompressor],
        autoclose: bool,
        autoping: bool,
        heartbeat: Optional[float],
        receive_timeout: Optional[float],
        close_timeout: Optional[float],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._protocol = protocol
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._receive_timeout = receive_timeout  # receive()'s default wait
        self._close_timeout = close_timeout  # how long close() waits for the peer's close frame
        self._loop = loop
        self._closed = False
        self._dropped = False
        self._closed_receives = 0
        self._closing = False
        self._close_sent = False
        self._close_wait: Optional[asyncio.Future[None]] = None
        self._close_code: Optional[int] = None
        self._exception: Optional[BaseException] = None
        self._waiting = False
        # permessage-deflate, when agreed: our side's compressor (send methods' compress=
        # default to it).
        self._compress = compressor is not None
        self._compressor = compressor
        self._heartbeat_handle: Optional[asyncio.TimerHandle] = None
        self._pong_handle: Optional[asyncio.TimerHandle] = None
        protocol.on_message = self._on_message
        self._reset_heartbeat()

    # --- properties -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def close_code(self) -> Optional[int]:
        return self._close_code

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The transport's extra info (socket, peername, ...); `default` once the connection
        was closed (aiohttp: the response's connection is gone then)."""
        transport = self._protocol.transport
        if transport is None or self._dropped:
            return default
        return transport.get_extra_info(name, default)

    def exception(self) -> Optional[BaseException]:
        return self._exception

    # --- heartbeat ------------------------------------------------------------------------------

    def _reset_heartbeat(self) -> None:
        if self._heartbeat is None or self._closed:
            return
        if self._pong_handle is not None:
            self._pong_handle.cancel()
            self._pong_handle = None
        if self._heartbeat_handle is not None:
            self._heartbeat_handle.cancel()
        self._heartbeat_handle = self._loop.call_later(self._heartbeat, self._send_heartbeat)

    def _send_heartbeat(self) -> None:
        self._heartbeat_handle = None
        if self._closed or self._heartbeat is None:
            return
        try:
            self._write(0x9, b"")
        except Exception:
            return  # the connection is going away; receive() reports it
        self._pong_handle = self._loop.call_later(self._heartbeat / 2.0, self._pong_not_received)

    def _pong_not_received(self) -> None:
        self._pong_handle = None
        if self._closed:
            return
        assert self._heartbeat is not None
        self._exception = self._pong_timeout_error(
            f"No PONG received after {self._heartbeat / 2.0} seconds"
        )
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._closing = True
        # Dropping the connection also wakes a sender blocked on a peer that stopped reading
        # (its drain() raises ClientConnectionResetError); a receive() waiting now gets the
        # ERROR, a later one CLOSED, as with aiohttp.
        self._shutdown(failed=True)
        if self._waiting:
            self._protocol.inject(WSMessage(WSMsgType.ERROR, self._exception, None))

    def _on_message(self, message: WSMessage) -> bool:
        """Messages handled as they arrive; True means: not for the application."""
        self._reset_heartbeat()
        kind = message.type
        if kind is WSMsgType.PING and self._autoping:
            # Not self._write: a pong owed while our writes are stuck replaces the one before
            # (WebSocketProtocol.write_reply), so a ping flood cannot pile pongs up.
            self._protocol.write_reply(encode_frame(0xA, message.data, mask=self._mask))
            return True
        if kind is WSMsgType.PONG and self._autoping:
            return True
        return False

    # --- sending -------------------------------------------------------------------------------

    def _write(self, opcode: int, payload: bytes, *, compress: bool = False) -> None:
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            raise closing_transport_error()
        rsv1 = False
        if compress and self._compressor is not None and opcode < 8:
            payload = self._compressor.compress(payload)
            rsv1 = True
        self._protocol.write_frame(encode_frame(opcode, payload, rsv1=rsv1, mask=self._mask))

    async def send_frame(self, message: bytes, opcode: int, compress: Optional[int] = None) -> None:
        self._write(opcode, message, compress=self._compress if compress is None else bool(compress))
        await self._protocol.drain()

    async def ping(self, message: bytes = b"") -> None:
        self._write(0x9, message)
        await self._protocol.drain()

    async def pong(self, message: bytes = b"") -> None:
        self._write(0xA, message)
        await self._protocol.drain()

    async def send_str(self, data: str, compress: Optional[int] = None) -> None:
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        await self.send_frame(data.encode("utf-8"), 0x1, compress)

    async def send_bytes(self, data: bytes, compress: Optional[int] = None) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        await self.send_frame(bytes(data), 0x2, compress)

    async def send_json(
        self, data: Any, compress: Optional[int] = None, *, dumps: Callable[[Any], str] = json.dumps
    ) -> None:
        await self.send_str(dumps(data), compress=compress)

    async def send_json_bytes(
        self, data: Any, compress: Optional[int] = None, *, dumps: Callable[[Any], bytes]
    ) -> None:
        """JSON from an encoder that returns bytes (orjson), sent as a BINARY message
        (aiohttp 3.14)."""
        await self.send_bytes(dumps(data), compress=compress)

    # --- closing -------------------------------------------------------------------------------

    def _shutdown(self, *, failed: bool = False) -> None:
        self._set_closed()
        self._drop(failed=failed)

    def _set_closed(self) -> None:
        self._closed = True
        for handle in (self._heartbeat_handle, self._pong_handle):
            if handle is not None:
                handle.cancel()
        self._heartbeat_handle = self._pong_handle = None

    def _drop(self, *, failed: bool = False) -> None:
        """Close the connection (frames still corked, a close frame among them, go out first);
        from here its socket is no longer reachable through get_extra_info, as with aiohttp.

        `failed`: the peer stopped answering (no pong, no close frame in time) or the close
        was cancelled. What is still buffered for it is then dropped with the connection: a
        graceful close would wait for a peer that does not read for ever, holding the socket
        and a sender blocked in drain (which raises ClientConnectionResetError instead)."""
        self._protocol.flush()
        self._dropped = True
        self._close_transport(failed)

    def _close_transport(self, failed: bool) -> None:
        """Close the connection under the WebSocket (the client closes it through its pool,
        which drops it at once when bytes are still buffered, failed or not)."""
        transport = self._protocol.transport
        if transport is not None:
            if failed and transport.get_write_buffer_size():
                transport.abort()
            else:
                transport.close()

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"") -> bool:
        return await self._close(code, message, False)

    async def _close(self, code: int, message: bytes, drain: bool) -> bool:
        """Send a close frame and wait (ws_close seconds at most) for the server's.

        As aiohttp's: the first close() marks the WebSocket closed at once, so a concurrent
        or later close() returns False without waiting. When the close code is already known
        (the server's close frame came first, the connection failed, a receive() timed out or
        was cancelled) the close frame is sent and the connection dropped at once. No answer
        within ws_close: close code 1006, exception() a TimeoutError, True. Cancelled while
        waiting: close code 1006, the connection dropped, CancelledError raised."""
        if self._waiting and not self._closing:
            # receive() is running in another task: wake it with CLOSING, then take over.
            self._closing = True
            self._close_wait = self._loop.create_future()
            self._protocol.inject(_CLOSING_MESSAGE)
            await self._close_wait
        if self._closed:
            return False
        self._set_closed()
        if not self._close_sent:
            self._close_sent = True
            self._closing = True
            try:
                self._write(0x8, code.to_bytes(2, "big") + message)
            except Exception as exc:
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                self._exception = exc
                self._drop()
                return True
        protocol = self._protocol
        deadline = None if self._close_timeout is None else self._loop.time() + self._close_timeout
        try:
            if drain:
                # web's close(drain=True): what we sent, the close frame last, leaves the write
                # buffer first; within the close deadline (aiohttp waits without one).
                protocol.flush()
                remaining = None if deadline is None else deadline - self._loop.time()
                try:
                    await asyncio.wait_for(protocol.drain(), remaining)
                except ConnectionResetError:
                    pass  # the connection is gone: no close frame comes back (1006, below)
            if self._close_code is not None:
                self._drop()
                return True
            while True:
                incoming = protocol.pop()
                if incoming is None:
                    if protocol.error is not None or protocol.closed:
                        break
                    remaining = None if deadline is None else deadline - self._loop.time()
                    if remaining is not None and remaining <= 0:
                        raise asyncio.TimeoutError
                    await asyncio.wait_for(protocol.wait(), remaining)
                    continue
                if incoming.type is WSMsgType.CLOSE:
                    self._close_code = incoming.data
                    self._drop()
                    return True
        except asyncio.TimeoutError:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            self._exception = asyncio.TimeoutError()
            self._drop(failed=True)
            return True
        except BaseException:  # cancelled: the handshake is abandoned, the connection too
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            self._drop(failed=True)
            raise
        # No close frame came back: the connection failed (the peer broke the protocol) or was
        # closed without one; either way 1006 (RFC 6455 7.1.5), as aiohttp reports it.
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        if protocol.error is not None:
            self._exception = protocol.error
        self._drop()
        return True

    # --- receiving -----------------------------------------------------------------------------

    async def receive(self, timeout: Optional[float] = None) -> WSMessage:
        if self._waiting:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        protocol = self._protocol
        while True:
            message = protocol.pop()
            if message is None:
                if self._closed:
                    if self._closed_receive_limit is not None:
                        self._closed_receives += 1
                        if self._closed_receives >= self._closed_receive_limit:
                            raise RuntimeError("WebSocket connection is closed.")
                    return _CLOSED_MESSAGE
                error = protocol.error
                if error is not None:
                    # Fail the connection (RFC 6455 7.1.7): our close frame, then drop it.
                    self._exception = error
                    self._close_code = error.code
                    await self.close(code=error.code)
                    return WSMessage(WSMsgType.ERROR, error, None)
                if protocol.closed:
                    self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                    self._shutdown()
                    return _CLOSED_MESSAGE
                if self._closing:
                    return _CLOSING_MESSAGE
                wait_for = timeout if timeout is not None else self._receive_timeout
                self._waiting = True
                try:
                    if wait_for is None:
                        await protocol.wait()
                    else:
                        await asyncio.wait_for(protocol.wait(), wait_for)
                except (asyncio.CancelledError, asyncio.TimeoutError):
                    # As aiohttp's client: the WebSocket stays open, but a later close() does
                    # not wait for the peer's close frame any more.
                    if self._receive_abort_is_abnormal:
                        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                    raise
                finally:
                    self._waiting = False
                    if self._close_wait is not None:
                        if not self._close_wait.done():
                            self._close_wait.set_result(None)
                        self._close_wait = None
                continue
            kind = message.type
            if kind is WSMsgType.CLOSE:
                self._closing = True
                if self._close_code is None:
                    self._close_code = message.data
                if self._autoclose and not self._closed:
                    if not self._close_sent:
                        self._close_sent = True
                        try:
                            self._write(0x8, int(message.data or 1000).to_bytes(2, "big"))
                        except Exception:
                            pass
                    self._shutdown()
                return message
            if kind is WSMsgType.ERROR:
                return message
            return message

    async def receive_str(self, *, timeout: Optional[float] = None) -> Any:
        """A TEXT message's data: str, or bytes under ws_connect(decode_text=False)."""
        message = await self.receive(timeout)
        if message.type is not WSMsgType.TEXT:
            raise WSMessageTypeError(
                f"Received message {message.type}:{message.data!r} is not WSMsgType.TEXT"
            )
        return message.data

    async def receive_bytes(self, *, timeout: Optional[float] = None) -> bytes:
        message = await self.receive(timeout)
        if message.type is not WSMsgType.BINARY:
            raise WSMessageTypeError(
                f"Received message {message.type}:{message.data!r} is not WSMsgType.BINARY"
            )
        return message.data  # type: ignore[no-any-return]

    async def receive_json(
        self, *, loads: Callable[[Any], Any] = json.loads, timeout: Optional[float] = None
    ) -> Any:
        data = await self.receive_str(timeout=timeout)
        return loads(data)

    def __aiter__(self: _Session) -> _Session:
        return self

    async def __anext__(self) -> WSMessage:
        message = await self.receive()
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return message

