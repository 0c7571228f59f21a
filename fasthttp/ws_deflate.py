"""permessage-deflate (RFC 7692) for WebSocket messages, bounded on the way in.

Both frame-codec twins use these: the work is zlib's either way. Decompression is capped at the
message size limit, so a small compressed frame cannot inflate past `max_msg_size`.
"""

from __future__ import annotations

import zlib
from typing import Final

from .ws_types import WebSocketError, WSCloseCode

__all__ = ("MessageDecompressor", "MessageCompressor")

_SYNC_FLUSH_TAIL: Final = b"\x00\x00\xff\xff"


class MessageDecompressor:
    """Inflates the fragments of compressed messages, one message at a time."""

    __slots__ = ("_window_bits", "_no_context_takeover", "_inflater")

    def __init__(self, *, window_bits: int = 15, no_context_takeover: bool = False) -> None:
        self._window_bits = window_bits
        self._no_context_takeover = no_context_takeover
        self._inflater = zlib.decompressobj(-window_bits)

    def start_message(self) -> None:
        # A sender may end a message with a final deflate block (RFC 7692 §7.2.3.4): the
        # stream is then over, and the next message starts a new one.
        if self._no_context_takeover or self._inflater.eof:
            self._inflater = zlib.decompressobj(-self._window_bits)

    def decompress(self, data: bytes, final: bool, room: int) -> bytes:
        """Inflate one fragment; more than `room` bytes out is a 1009 error."""
        if final:
            data += _SYNC_FLUSH_TAIL
        try:
            # zlib's max_length is a C ssize_t: an unlimited room (max_msg_size=0) means 0, "no cap".
            out = self._inflater.decompress(data, room + 1 if room < 2**62 else 0)
        except zlib.error as exc:
            raise WebSocketError(
                WSCloseCode.PROTOCOL_ERROR, f"invalid compressed message: {exc}"
            ) from None
        if len(out) > room or self._inflater.unconsumed_tail:
            raise WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG, "message is too big once decompressed"
            )
        return out


class MessageCompressor:
    """Deflates outgoing messages; the sync-flush tail is stripped as RFC 7692 asks."""

    __slots__ = ("_window_bits", "_no_context_takeover", "_level", "_deflater")

    def __init__(
        self, *, level: int = zlib.Z_DEFAULT_COMPRESSION, window_bits: int = 15,
        no_context_takeover: bool = False,
    ) -> None:
        self._level = level
        # zlib refuses a raw window of 8 bits; 9 is compatible with a peer asking for 8.
        self._window_bits = max(window_bits, 9)
        self._no_context_takeover = no_context_takeover
        self._deflater = self._new()

    def _new(self) -> "zlib._Compress":
        return zlib.compressobj(self._level, zlib.DEFLATED, -self._window_bits)

    def compress(self, data: bytes) -> bytes:
        if self._no_context_takeover:
            self._deflater = self._new()
        out = self._deflater.compress(data) + self._deflater.flush(zlib.Z_SYNC_FLUSH)
        if out.endswith(_SYNC_FLUSH_TAIL):
            out = out[:-4]
        return out or b"\x00"
