"""The WebSocket frame codec, with the implementation chosen once, here.

The compiled twin (`fasthttp._websocket`) unless `FASTHTTP_NO_EXTENSIONS` is set (to anything
but "" or "0") or the extension is not built; then the pure-Python twin
(`fasthttp._websocket_py`). `IMPLEMENTATION` says which one this process got.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .http import NO_EXTENSIONS
from .ws_types import MAX_MSG_SIZE, WebSocketError, WSCloseCode, WSMessage, WSMsgType

__all__ = (
    "IMPLEMENTATION",
    "apply_mask",
    "encode_frame",
    "WebSocketReader",
    "WebSocketError",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "MAX_MSG_SIZE",
)

if TYPE_CHECKING:
    from ._websocket_py import WebSocketReader, apply_mask, encode_frame

    IMPLEMENTATION: str
else:
    IMPLEMENTATION = "python"
    if not NO_EXTENSIONS:
        try:
            from ._websocket import WebSocketReader, apply_mask, encode_frame

            IMPLEMENTATION = "cython"
        except ImportError:  # not built (no compiler, or a pure wheel)
            pass
    if IMPLEMENTATION == "python":
        from ._websocket_py import WebSocketReader, apply_mask, encode_frame
