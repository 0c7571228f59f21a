"""The client side of the WebSocket opening handshake (RFC 6455 §4, RFC 7692 negotiation).

`handshake_headers` builds what the request carries; `check_response` verifies the server's
101 answer field by field and returns what was agreed (subprotocol, permessage-deflate settings).
Any mismatch is a WSServerHandshakeError with the reason in its message.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any, Iterable, NamedTuple, Optional

from multidict import CIMultiDict, CIMultiDictProxy

from . import hdrs
from .client_exceptions import WSServerHandshakeError

__all__ = ("handshake_headers", "check_response", "Negotiated", "DeflateParams", "accept_value")

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class DeflateParams(NamedTuple):
    """permessage-deflate as agreed: window sizes and context takeover, for each direction."""

    server_window_bits: int
    client_window_bits: int
    server_no_context_takeover: bool
    client_no_context_takeover: bool


class Negotiated(NamedTuple):
    protocol: Optional[str]
    deflate: Optional[DeflateParams]


def accept_value(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer for a Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def handshake_headers(
    protocols: Iterable[str], compress: int, origin: Optional[str]
) -> tuple["CIMultiDict[str]", str]:
    """The upgrade request's headers and the key they carry."""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    headers: CIMultiDict[str] = CIMultiDict()
    headers[hdrs.UPGRADE] = "websocket"
    headers[hdrs.CONNECTION] = "Upgrade"
    headers[hdrs.SEC_WEBSOCKET_VERSION] = "13"
    headers[hdrs.SEC_WEBSOCKET_KEY] = key
    protocols = list(protocols)
    if protocols:
        headers[hdrs.SEC_WEBSOCKET_PROTOCOL] = ",".join(protocols)
    if origin is not None:
        headers[hdrs.ORIGIN] = origin
    if compress:
        if not 9 <= compress <= 15:
            raise ValueError("compress must be 0 (off) or a window size from 9 to 15")
        offer = "permessage-deflate; client_max_window_bits"
        if compress < 15:
            offer += f"; server_max_window_bits={compress}"
        headers[hdrs.SEC_WEBSOCKET_EXTENSIONS] = offer
    return headers, key


def check_response(
    status: int,
    headers: "CIMultiDictProxy[str]",
    key: str,
    protocols: Iterable[str],
    compress: int,
    fail: Any,
) -> Negotiated:
    """Verify the server's answer; `fail(message)` builds the exception to raise."""
    if status != 101:
        raise fail("Invalid response status")
    if headers.get(hdrs.UPGRADE, "").lower() != "websocket":
        raise fail("Invalid upgrade header")
    tokens = {t.strip().lower() for t in headers.get(hdrs.CONNECTION, "").split(",")}
    if "upgrade" not in tokens:
        raise fail("Invalid connection header")
    if headers.get(hdrs.SEC_WEBSOCKET_ACCEPT, "") != accept_value(key):
        raise fail("Invalid challenge response")
    protocol = None
    chosen = headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL)
    if chosen is not None:
        chosen = chosen.strip()
        if chosen not in set(protocols):
            raise fail(f"Server selected a subprotocol that was not offered: {chosen!r}")
        protocol = chosen
    deflate = None
    extensions = headers.get(hdrs.SEC_WEBSOCKET_EXTENSIONS)
    if extensions:
        if not compress:
            raise fail("Server sent an extension that was not offered")
        deflate = _parse_deflate(extensions, compress, fail)
    return Negotiated(protocol, deflate)


def _parse_deflate(value: str, compress: int, fail: Any) -> DeflateParams:
    offers = [e.strip() for e in value.split(",") if e.strip()]
    if len(offers) != 1:
        raise fail("Invalid extension: more than one extension accepted")
    parts = [p.strip() for p in offers[0].split(";")]
    if parts[0].lower() != "permessage-deflate":
        raise fail(f"Invalid extension: {parts[0]!r} was not offered")
    server_bits, client_bits = 15, 15
    server_nct = client_nct = False
    seen: set[str] = set()
    for param in parts[1:]:
        name, _, raw = param.partition("=")
        name = name.strip().lower()
        raw = raw.strip().strip('"')
        if name in seen:
            raise fail(f"Invalid extension: {name} given twice")
        seen.add(name)
        if name == "server_no_context_takeover" and not raw:
            server_nct = True
        elif name == "client_no_context_takeover" and not raw:
            client_nct = True
        elif name in ("server_max_window_bits", "client_max_window_bits"):
            if not raw.isdigit() or not 8 <= int(raw) <= 15:
                raise fail(f"Invalid extension: {name}={raw!r}")
            if name == "server_max_window_bits":
                server_bits = int(raw)
            else:
                client_bits = int(raw)
        else:
            raise fail(f"Invalid extension parameter {param!r}")
    if server_bits > compress:
        raise fail("Invalid extension: server_max_window_bits larger than offered")
    return DeflateParams(server_bits, client_bits, server_nct, client_nct)


def handshake_error(request_info: Any, history: Any, status: int, headers: Any) -> Any:
    """A factory for WSServerHandshakeError bound to one response."""

    def fail(message: str) -> WSServerHandshakeError:
        return WSServerHandshakeError(
            request_info, history, message=message, status=status, headers=headers
        )

    return fail
