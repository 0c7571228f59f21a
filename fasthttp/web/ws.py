"""WebSocketResponse: the server side of a WebSocket (aiohttp.web.WebSocketResponse's API).

prepare() checks the client's handshake (400 when it is not a valid WebSocket upgrade),
negotiates the subprotocol and permessage-deflate, answers 101, and hands the connection to
the frame protocol. From there the session logic shared with the client runs
(fasthttp.ws_session: receive, autoping, autoclose, heartbeat, close handshake), with frames
unmasked as servers send them and client frames required to be masked. Nothing here comes
from the client's modules.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import hdrs
from ..websocket_codec import WebSocketReader
from ..ws_deflate import MessageCompressor
from ..ws_handshake import accept_value
from ..ws_protocol import WebSocketProtocol
from ..ws_session import WebSocketSession
from ..ws_types import MAX_MSG_SIZE, WSCloseCode, WSMessage
from .response import StreamResponse

if TYPE_CHECKING:
    from .request import Request

__all__ = ("WebSocketResponse", "WebSocketReady")


class WebSocketReady:
    __slots__ = ("ok", "protocol")

    def __init__(self, ok: bool, protocol: Optional[str]) -> None:
        self.ok = ok
        self.protocol = protocol

    def __bool__(self) -> bool:
        return self.ok


class _ServerSession(WebSocketSession):
    """The session as aiohttp.web runs it."""

    _mask = False  # servers never mask (RFC 6455 §5.1)
    _pong_timeout_error = asyncio.TimeoutError  # as aiohttp.web (the client's is ServerTimeoutError)
    _receive_abort_is_abnormal = False  # a receive() timed out leaves close() waiting as usual
    _closed_receive_limit = 5  # aiohttp.web's THRESHOLD_CONNLOST_ACCESS


class _Agreement:
    """What the handshake settled."""

    __slots__ = ("protocol", "extension", "server_bits", "client_bits", "server_nct", "client_nct")

    def __init__(self) -> None:
        self.protocol: Optional[str] = None
        self.extension: Optional[str] = None
        self.server_bits = 15
        self.client_bits = 15
        self.server_nct = False
        self.client_nct = False


class WebSocketResponse(StreamResponse):
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        receive_timeout: Optional[float] = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: Optional[float] = None,
        protocols: Any = (),
        compress: bool = True,
        max_msg_size: int = MAX_MSG_SIZE,
        writer_limit: int = 2**18,  # aiohttp 3.14's default
        decode_text: bool = True,
    ) -> None:
        super().__init__(status=101)
        self._ws_protocols = tuple(protocols)
        self._close_timeout = timeout
        self._receive_timeout = receive_timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._compress_enabled = compress
        self._max_msg_size = max_msg_size
        if writer_limit < 0:  # 0: wait whenever anything is buffered
            raise ValueError(f"writer_limit must not be negative, not {writer_limit!r}")
        # aiohttp: the write buffer's size past which sending waits for it to drain. Here the
        # transport's high-water mark, so the back-pressure costs nothing per message.
        self._writer_limit = writer_limit
        self._decode_text = decode_text  # False: TEXT messages carry bytes (aiohttp 3.14)
        self._session: Optional[_ServerSession] = None
        self._agreement: Optional[_Agreement] = None

    # --- handshake --------------------------------------------------------------------------

    def _check(self, request: "Request") -> _Agreement:
        from .exceptions import HTTPBadRequest, HTTPMethodNotAllowed

        headers = request.headers
        if request.method != hdrs.METH_GET:
            raise HTTPMethodNotAllowed(request.method, [hdrs.METH_GET])
        if "websocket" != headers.get(hdrs.UPGRADE, "").lower().strip():
            raise HTTPBadRequest(text=f"No WebSocket UPGRADE hdr: {headers.get(hdrs.UPGRADE)}\n Can \"Upgrade\" only to \"WebSocket\".")
        tokens = {t.strip().lower() for t in headers.get(hdrs.CONNECTION, "").split(",")}
        if "upgrade" not in tokens:
            raise HTTPBadRequest(text=f"No CONNECTION upgrade hdr: {headers.get(hdrs.CONNECTION)}")
        if headers.get(hdrs.SEC_WEBSOCKET_VERSION, "") not in ("13", "8", "7"):
            raise HTTPBadRequest(text=f"Unsupported version: {headers.get(hdrs.SEC_WEBSOCKET_VERSION)}")
        key = headers.get(hdrs.SEC_WEBSOCKET_KEY, "")
        try:
            if not key or len(base64.b64decode(key, validate=True)) != 16:
                raise ValueError
        except (ValueError, binascii.Error):
            raise HTTPBadRequest(text=f"Handshake error: {key!r}") from None
        agreement = _Agreement()
        offered = [p.strip() for p in headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL, "").split(",") if p.strip()]
        for proto in offered:
            if proto in self._ws_protocols:
                agreement.protocol = proto
                break
        if self._compress_enabled:
            for offer in headers.getall(hdrs.SEC_WEBSOCKET_EXTENSIONS, ()):
                if self._accept_deflate(offer, agreement):
                    break
        return agreement

    @staticmethod
    def _accept_deflate(value: str, agreement: _Agreement) -> bool:
        """Take the first acceptable permessage-deflate offer; set the answer text."""
        for offer in value.split(","):
            parts = [p.strip() for p in offer.split(";")]
            if parts[0].lower() != "permessage-deflate":
                continue
            answer = ["permessage-deflate"]
            server_bits, client_bits = 15, 15
            server_nct = client_nct = False
            ok = True
            for param in parts[1:]:
                name, _, raw = param.partition("=")
                name = name.strip().lower()
                raw = raw.strip().strip('"')
                if name == "server_no_context_takeover" and not raw:
                    server_nct = True
                    answer.append("server_no_context_takeover")
                elif name == "client_no_context_takeover" and not raw:
                    client_nct = True
                    answer.append("client_no_context_takeover")
                elif name == "server_max_window_bits":
                    if not raw.isdigit() or not 9 <= int(raw) <= 15:
                        ok = False  # 8 cannot be honoured by zlib's deflater
                        break
                    server_bits = int(raw)
                    answer.append(f"server_max_window_bits={server_bits}")
                elif name == "client_max_window_bits":
                    if raw:
                        if not raw.isdigit() or not 8 <= int(raw) <= 15:
                            ok = False
                            break
                        client_bits = int(raw)
                        answer.append(f"client_max_window_bits={client_bits}")
                else:
                    ok = False
                    break
            if ok:
                agreement.extension = "; ".join(answer)
                agreement.server_bits, agreement.client_bits = server_bits, client_bits
                agreement.server_nct, agreement.client_nct = server_nct, client_nct
                return True
        return False

    def can_prepare(self, request: "Request") -> WebSocketReady:
        if self._session is not None:
            raise RuntimeError("Already started")
        try:
            agreement = self._check(request)
        except Exception:
            return WebSocketReady(False, None)
        return WebSocketReady(True, agreement.protocol)

    async def prepare(self, request: "Request") -> Any:
        if self._session is not None:
            return None
        agreement = self._check(request)
        self._agreement = agreement
        self._request = request
        for callback in request._app_on_response_prepare():
            await callback(request, self)
        lines = [
            "HTTP/1.1 101 Switching Protocols",
            "Upgrade: websocket",
            "Connection: upgrade",
            f"Sec-WebSocket-Accept: {accept_value(request.headers[hdrs.SEC_WEBSOCKET_KEY])}",
        ]
        if agreement.protocol is not None:
            lines.append(f"Sec-WebSocket-Protocol: {agreement.protocol}")
        if agreement.extension is not None:
            lines.append(f"Sec-WebSocket-Extensions: {agreement.extension}")
        for name, value in self.headers.items():
            if "\r" in value or "\n" in value:
                raise ValueError(f"Newline in header {name!r}")
            lines.append(f"{name}: {value}")
        http_protocol = request._protocol
        request._response_started = True  # from here an error must not write an HTTP answer
        http_protocol.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        self._prepared = True
        self._eof_sent = True
        self._keep_alive = False
        compressed = agreement.extension is not None
        reader = WebSocketReader(
            max_msg_size=self._max_msg_size,
            compress=compressed,
            window_bits=agreement.client_bits,
            no_context_takeover=agreement.client_nct,
            expect_masked=True,
            decode_text=self._decode_text,
        )
        loop = asyncio.get_running_loop()
        ws_protocol = WebSocketProtocol(loop, reader)
        transport = http_protocol.transport
        assert transport is not None
        transport.set_write_buffer_limits(high=self._writer_limit)
        ws_protocol.attach(transport)
        session = _ServerSession(
            ws_protocol,
            compressor=(
                MessageCompressor(
                    window_bits=agreement.server_bits, no_context_takeover=agreement.server_nct
                )
                if compressed
                else None
            ),
            autoclose=self._autoclose,
            autoping=self._autoping,
            heartbeat=self._heartbeat,
            receive_timeout=self._receive_timeout,
            close_timeout=self._close_timeout,
            loop=loop,
        )
        self._session = session
        tail = http_protocol.upgrade_tail()
        if tail:
            ws_protocol.data_received(tail)
        return None

    # --- the session's API --------------------------------------------------------------------

    def _live(self) -> _ServerSession:
        if self._session is None:
            raise RuntimeError("Call .prepare() first")
        return self._session

    @property
    def closed(self) -> bool:
        return self._session is not None and self._session.closed

    @property
    def close_code(self) -> Optional[int]:
        return None if self._session is None else self._session.close_code

    @property
    def ws_protocol(self) -> Optional[str]:
        return None if self._agreement is None else self._agreement.protocol

    @property
    def compress(self) -> "bool | int":
        """As aiohttp.web: the constructor's value until prepare(), then the window bits we
        compress with (0 when permessage-deflate was not agreed)."""
        agreement = self._agreement
        if agreement is None:
            return self._compress_enabled
        return agreement.server_bits if agreement.extension is not None else 0

    def exception(self) -> Optional[BaseException]:
        return None if self._session is None else self._session.exception()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The transport's extra info (peername, socket, ...): `default` before prepare() and
        once the connection was closed."""
        return default if self._session is None else self._session.get_extra_info(name, default)

    async def receive(self, timeout: Optional[float] = None) -> WSMessage:
        return await self._live().receive(timeout)

    async def receive_str(self, *, timeout: Optional[float] = None) -> Any:
        """A TEXT message's data: str, or bytes with decode_text=False."""
        return await self._live().receive_str(timeout=timeout)

    async def receive_bytes(self, *, timeout: Optional[float] = None) -> bytes:
        return await self._live().receive_bytes(timeout=timeout)

    async def receive_json(self, *, loads: Callable[[Any], Any] = json.loads,
                           timeout: Optional[float] = None) -> Any:
        return await self._live().receive_json(loads=loads, timeout=timeout)

    async def send_str(self, data: str, compress: Optional[int] = None) -> None:
        await self._live().send_str(data, compress)

    async def send_bytes(self, data: bytes, compress: Optional[int] = None) -> None:
        await self._live().send_bytes(data, compress)

    async def send_json(self, data: Any, compress: Optional[int] = None, *,
                        dumps: Callable[[Any], str] = json.dumps) -> None:
        await self._live().send_json(data, compress, dumps=dumps)

    async def send_json_bytes(self, data: Any, compress: Optional[int] = None, *,
                              dumps: Callable[[Any], bytes]) -> None:
        await self._live().send_json_bytes(data, compress, dumps=dumps)

    async def send_frame(self, message: bytes, opcode: int, compress: Optional[int] = None) -> None:
        await self._live().send_frame(message, opcode, compress)

    async def ping(self, message: bytes = b"") -> None:
        await self._live().ping(message)

    async def pong(self, message: bytes = b"") -> None:
        await self._live().pong(message)

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True) -> bool:
        """Close the WebSocket; drain=True (aiohttp's default) lets what was sent leave the
        write buffer before waiting for the client's close frame (both within `timeout`)."""
        return await self._live()._close(code, message, drain)

    async def write(self, data: Any) -> None:
        raise RuntimeError("Cannot call .write() for websocket")

    async def write_eof(self, data: bytes = b"") -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def __aiter__(self) -> "WebSocketResponse":
        return self

    async def __anext__(self) -> WSMessage:
        return await self._live().__anext__()
