"""permessage-deflate (RFC 7692) for WebSocket messages, bounded on the way in.

Both frame-codec twins use these: the work is zlib's either way. Decompression is capped at the
message size limit, so a small compressed frame cannot inflate past `max_msg_size`; a message
whose deflate data stops inside a block (cut short) is rejected with 1007.
"""

from __future__ import annotations

import zlib
from typing import Final

from .ws_types import WebSocketError, WSCloseCode

__all__ = ("MessageDecompressor", "MessageCompressor")

_SYNC_FLUSH_TAIL: Final = b"\x00\x00\xff\xff"
# A final (BFINAL=1) fixed-Huffman block holding only its end-of-block code: 1, 01, 0000000.
_EMPTY_FINAL_BLOCK: Final = b"\x03\x00"


class MessageDecompressor:
    """Inflates the fragments of compressed messages, one message at a time."""

    __slots__ = ("_window_bits", "_no_context_takeover", "_inflater", "_msg_empty")

    def __init__(self, *, window_bits: int = 15, no_context_takeover: bool = False) -> None:
        self._window_bits = window_bits
        self._no_context_takeover = no_context_takeover
        self._inflater = zlib.decompressobj(-window_bits)
        self._msg_empty = True  # no compressed byte in the current message yet

    def start_message(self) -> None:
        # A sender may end a message with a final deflate block (RFC 7692 §7.2.3.4): the
        # stream is then over, and the next message starts a new one.
        if self._no_context_takeover or self._inflater.eof:
            self._inflater = zlib.decompressobj(-self._window_bits)
        self._msg_empty = True

    def decompress(self, data: bytes, final: bool, room: int) -> bytes:
        """Inflate one fragment; more than `room` bytes out is a 1009 error."""
        if data:
            self._msg_empty = False
        elif final and self._msg_empty:
            # A message of no compressed byte at all (some senders skip the compressor for an
            # empty message) is the empty message. The tail alone would leave the inflater
            # inside a stored block header, spoiling the next message with context takeover.
            return b""
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
        if final and not self._inflater.eof and not self._at_block_boundary():
            raise WebSocketError(
                WSCloseCode.INVALID_TEXT,
                "compressed message cut short: its last deflate block is unfinished",
            )
        return out

    def _at_block_boundary(self) -> bool:
        """Whether the inflater, fed the message and the 00 00 ff ff tail, stopped between blocks.

        Why this is sound (never rejects a whole message): a whole message ends with the 3
        header bits of an empty stored block padded to a byte (RFC 7692 §7.2.1: the sender's
        sync flush, whose LEN/NLEN 00 00 ff ff were stripped), or with a BFINAL block (eof,
        not checked here). Once the tail is fed, zlib has read that block's LEN/NLEN, dropped
        its bit buffer and waits for the next block header with no bits held. Python's zlib
        does not show that state, so a probe asks: a copy of the inflater (the real one keeps
        the context for the next message; with no_context_takeover it is dropped anyway) is fed
        03 00, an empty final fixed-Huffman block (bits 1, 01, 0000000). From the waiting state
        that always ends the stream exactly: eof, no output, no unused data.

        Why it detects a message cut short inside a block (the probe passes only from that
        waiting state): ending the stream needs a header with BFINAL=1, and only the probe's
        first two bits are 1. Waiting for a header with 1 or 2 bits already held (3 would have
        been read), those leading 1s make the block type 11 (an error) or 10 (dynamic, whose
        tables need more bits than the probe has). In any other state zlib has decoded all it
        could, so bit 0 is still needed to finish what is in progress: a header can start on
        bit 1 at the earliest, and there BFINAL=1 is followed by BTYPE 00 (stored), whose
        LEN/NLEN the probe does not hold. Every other path emits output, raises, or leaves the
        stream open.

        What no check can see: a cut that leaves data + tail a whole stream on its own (cut at
        a block boundary, or 4 bytes before the end of a stored block, the tail then reading as
        its last bytes) is a valid, shorter message. And a sender that leaves the 00 00 ff ff
        on (against RFC 7692 §7.2.1 step 3) is refused too: the tail appended to it starts a
        second stored block that never ends (before this check such a message was taken, and
        with context takeover the next one then failed on the half-read stored block).
        """
        inflater = self._inflater
        probe = inflater if self._no_context_takeover else inflater.copy()
        try:
            out = probe.decompress(_EMPTY_FINAL_BLOCK)
        except zlib.error:
            return False
        return probe.eof and not out and not probe.unused_data


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
