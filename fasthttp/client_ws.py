"""ClientWebSocketResponse: aiohttp 3.x's client WebSocket API on fasthttp's frame codec.

After the 101 answer the connection's transport is handed to a WebSocketProtocol
(fasthttp.ws_protocol, shared with the server): frames in, messages queued for receive(), with
what a peer can make us hold bounded there. This class is the session on top of it: the
autoping, autoclose, heartbeat and close handshake of fasthttp.ws_session.WebSocketSession,
which web.WebSocketResponse builds on too, with what aiohttp's client does differently.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, NamedTuple, Optional

from yarl import URL

from .client_exceptions import ServerTimeoutError
from .foreign_objects import ws_timeout_fields
from .websocket_codec import WebSocketReader
from .ws_deflate import MessageCompressor
from .ws_handshake import DeflateParams, check_response, handshake_error, handshake_headers
from .ws_protocol import WebSocketProtocol
from .ws_session import WebSocketSession
from .ws_types import MAX_MSG_SIZE

__all__ = ("ClientWebSocketResponse", "ClientWSTimeout", "WSUpgrade", "ws_open", "ws_upgrade")


class ClientWSTimeout:
    """ws_receive: how long receive() waits by default; ws_close: how long close() waits."""

    __slots__ = ("ws_receive", "ws_close")

    def __init__(self, ws_receive: Optional[float] = None, ws_close: Optional[float] = 10.0) -> None:
        self.ws_receive = ws_receive
        self.ws_close = ws_close

    def __repr__(self) -> str:
        return f"ClientWSTimeout(ws_receive={self.ws_receive}, ws_close={self.ws_close})"


class ClientWebSocketResponse(WebSocketSession):
    """An open WebSocket: receive/send messages, ping/pong, close (the session logic is
    WebSocketSession's, shared with the server)."""

    _mask = True  # clients mask every frame (RFC 6455 §5.3)
    _pong_timeout_error: type[BaseException] = ServerTimeoutError
    _receive_abort_is_abnormal = True  # aiohttp's client: a later close() does not wait
    _closed_receive_limit: Optional[int] = None

    def __init__(
        self,
        protocol: WebSocketProtocol,
        response: Any,
        *,
        subprotocol: Optional[str],
        deflate: Optional[DeflateParams],
        autoclose: bool,
        autoping: bool,
        heartbeat: Optional[float],
        timeout: ClientWSTimeout,
        loop: asyncio.AbstractEventLoop,
        connection: Any = None,
    ) -> None:
        # The pool's connection under the WebSocket: closing it frees the pool slot.
        self._connection = connection
        self._response = response
        self._subprotocol = subprotocol
        self._timeout = timeout
        # What aiohttp reports: the window bits we compress with (0 when permessage-deflate was
        # not agreed) and whether our side resets its context for each message.
        self._compress_bits = 0 if deflate is None else deflate.client_window_bits
        self._client_notakeover = False if deflate is None else deflate.client_no_context_takeover
        super().__init__(
            protocol,
            compressor=(
                MessageCompressor(
                    window_bits=deflate.client_window_bits,
                    no_context_takeover=deflate.client_no_context_takeover,
                )
                if deflate is not None
                else None
            ),
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
            receive_timeout=timeout.ws_receive,
            close_timeout=timeout.ws_close,
            loop=loop,
        )

    @property
    def protocol(self) -> Optional[str]:
        return self._subprotocol

    @property
    def compress(self) -> int:
        return self._compress_bits

    @property
    def client_notakeover(self) -> bool:
        return self._client_notakeover

    def _close_transport(self, failed: bool) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            connection.close()  # closes the transport (at once if bytes are still buffered)
        else:
            super()._close_transport(failed)

    async def __aenter__(self) -> "ClientWebSocketResponse":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


_WS_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}
_NOT_GIVEN: Any = object()


class WSUpgrade(NamedTuple):
    """A WebSocket opening handshake in progress: the upgrade request for the session to send
    (through its whole pipeline: middlewares, tracing, cookies), and what `ws_open` needs to
    check its answer; nothing here calls back into the session."""

    method: str
    url: URL
    headers: Any
    key: str
    protocols: tuple[str, ...]
    compress: int
    ws_timeout: ClientWSTimeout
    autoclose: bool
    autoping: bool
    heartbeat: Optional[float]
    max_msg_size: int
    decode_text: bool


def ws_upgrade(
    url: Any,
    *,
    method: str = "GET",
    protocols: Any = (),
    timeout: Any = _NOT_GIVEN,
    receive_timeout: Optional[float] = None,
    autoclose: bool = True,
    autoping: bool = True,
    heartbeat: Optional[float] = None,
    origin: Optional[str] = None,
    headers: Any = None,
    compress: int = 0,  # aiohttp 3.x's default: permessage-deflate only when asked for
    max_msg_size: int = MAX_MSG_SIZE,
    decode_text: bool = True,
) -> WSUpgrade:
    """The upgrade request of a WebSocket (ws_connect's WebSocket options)."""
    if timeout is _NOT_GIVEN or timeout is None:
        ws_timeout = ClientWSTimeout(ws_receive=receive_timeout)
    elif isinstance(timeout, ClientWSTimeout):
        ws_timeout = timeout
        if receive_timeout is not None:
            ws_timeout = ClientWSTimeout(ws_receive=receive_timeout, ws_close=timeout.ws_close)
    elif (fields := ws_timeout_fields(timeout)) is not None:  # aiohttp's ClientWSTimeout
        ws_receive, ws_close = fields
        ws_timeout = ClientWSTimeout(
            ws_receive=ws_receive if receive_timeout is None else receive_timeout, ws_close=ws_close
        )
    elif isinstance(timeout, (int, float)):  # aiohttp's older meaning, the close timeout
        ws_timeout = ClientWSTimeout(ws_receive=receive_timeout, ws_close=float(timeout))
    else:
        raise TypeError(
            f"timeout= must be a ClientWSTimeout (fasthttp's or aiohttp's) or a number of "
            f"seconds, not {type(timeout).__module__}.{type(timeout).__qualname__}"
        )
    target = URL(url) if not isinstance(url, URL) else url
    scheme = _WS_SCHEMES.get(target.scheme)
    if scheme is None:
        from .client_exceptions import NonHttpUrlClientError

        raise NonHttpUrlClientError(target)
    if scheme != target.scheme:
        target = target.with_scheme(scheme)
    protocols = tuple(protocols)
    ws_headers, key = handshake_headers(protocols, compress, origin)
    if headers:
        from multidict import CIMultiDict

        merged: Any = CIMultiDict(headers)
        for name, value in ws_headers.items():
            merged.setdefault(name, value)
        ws_headers = merged
    return WSUpgrade(
        method, target, ws_headers, key, protocols, compress, ws_timeout, autoclose, autoping,
        heartbeat, max_msg_size, decode_text,
    )


def ws_open(upgrade: WSUpgrade, response: Any) -> ClientWebSocketResponse:
    """The WebSocket on the upgrade request's response: its checks, then the frame protocol."""
    (_, _, _, key, protocols, compress, ws_timeout, autoclose, autoping, heartbeat, max_msg_size,
     decode_text) = upgrade
    try:
        fail = handshake_error(response.request_info, response.history, response.status, response.headers)
        negotiated = check_response(
            response.status, response.headers, key, protocols, compress, fail
        )
        connection = response.connection
        if connection is None or connection.protocol is None or connection.protocol.transport is None:
            raise fail("The connection closed during the handshake")
    except BaseException:
        response.close()
        raise
    http_protocol = connection.protocol
    transport = http_protocol.transport
    response._connection = None  # the WebSocket owns the connection from here on
    deflate = negotiated.deflate
    reader = WebSocketReader(
        max_msg_size=max_msg_size,
        compress=deflate is not None,
        window_bits=deflate.server_window_bits if deflate is not None else 15,
        no_context_takeover=deflate.server_no_context_takeover if deflate is not None else False,
        expect_masked=False,
        decode_text=decode_text,
    )
    loop = asyncio.get_running_loop()
    ws_protocol = WebSocketProtocol(loop, reader)
    ws_protocol.attach(transport)
    ws = ClientWebSocketResponse(
        ws_protocol,
        response,
        subprotocol=negotiated.protocol,
        deflate=deflate,
        autoclose=autoclose,
        autoping=autoping,
        heartbeat=heartbeat,
        timeout=ws_timeout,
        loop=loop,
        connection=connection,
    )
    tail = http_protocol.upgrade_tail()
    if tail:
        ws_protocol.data_received(tail)
    return ws
