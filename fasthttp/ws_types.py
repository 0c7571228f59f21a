"""WebSocket values shared by both frame-codec twins and the client (aiohttp's names/values)."""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any, Callable, Final, NamedTuple, Optional

from . import _aiohttp_bases as aio

__all__ = (
    "WSCloseCode",
    "WSMsgType",
    "WSMessage",
    "WebSocketError",
    "MAX_MSG_SIZE",
    "VALID_CLOSE_CODE",
)

#: aiohttp's default max_msg_size: 4 MiB.
MAX_MSG_SIZE: Final = 4 * 1024 * 1024


class WSCloseCode(IntEnum):
    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMsgType(IntEnum):
    # Opcodes of RFC 6455.
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    # States the client reports as messages (aiohttp's).
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


class WSMessage(NamedTuple):
    """One message: TEXT (str), BINARY/PING/PONG (bytes), CLOSE (code, reason in extra)."""

    type: WSMsgType
    data: Any
    extra: Optional[str]

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        return loads(self.data)


def _is_valid_close_code(code: int) -> bool:
    """Codes a peer may send in a Close frame (RFC 6455 §7.4, IANA registry)."""
    return code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014) or (
        3000 <= code <= 4999
    )


VALID_CLOSE_CODE: Final = frozenset(c for c in range(5000) if _is_valid_close_code(c))


class WebSocketError(aio.WebSocketError, Exception):
    """The peer broke the protocol; `code` is the close code to answer with."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        # Messages decoded earlier in the same feed_data call, to be delivered before the error.
        self.messages: list[WSMessage] = []
        Exception.__init__(self, code, message)

    def __str__(self) -> str:
        return str(self.args[1])
