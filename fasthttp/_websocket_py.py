"""Pure-Python twin of the WebSocket frame codec (RFC 6455): mask, frame reader, frame writer.

Sans-IO: bytes in, WSMessage objects out. The compiled twin (`_websocket.pyx`) follows the same
steps in the same order, so both reject the same frames with the same close code.

Checks on each frame header, in this order (each a WebSocketError with its close code):
RSV2/RSV3 set (1002); reserved opcode (1002); a control frame fragmented, longer than 125
bytes or with RSV1 (1002); a continuation with no message started, or with RSV1 (1002); a new
TEXT/BINARY inside a fragmented message (1002); RSV1 without permessage-deflate (1002); a
masked frame where unmasked ones are expected or the reverse (1002); a 64-bit length with its
top bit set (1002); the message growing past max_msg_size (1009) — all before the payload is
buffered. Then, on the payload: invalid UTF-8 in TEXT, as soon as it shows, also across
fragments (1007): an uncompressed TEXT frame (or a continuation of one) still arriving is
checked on the bytes received so far (Autobahn 6.4.x "fail fast"), a compressed one once
inflated; a close frame of 1 byte, with an invalid code, or a reason that is not UTF-8
(1002 / 1007); a compressed message inflating past max_msg_size (1009), or whose deflate data
ends inside a block, i.e. was cut short (1007, see ws_deflate.py).

A message in fragments is gathered in one bytearray (TEXT: its bytes, checked as they come by
an incremental decoder, decoded once at the end), so what it holds is its size in bytes: a
list of the fragments would cost ~50 bytes per fragment, and a peer sending 2-byte fragments
(or empty ones, which never reach max_msg_size) would make us hold 15 times max_msg_size, or
without limit.

When feed_data raises, the messages it had decoded earlier in the same call are not lost: they
travel in the error's `messages` list, to be delivered before the error.
"""

from __future__ import annotations

import codecs
from typing import Any, Final, Optional

from .ws_deflate import MessageDecompressor
from .ws_keys import mask_key
from .ws_types import MAX_MSG_SIZE, VALID_CLOSE_CODE, WebSocketError, WSCloseCode, WSMessage, WSMsgType

__all__ = ("apply_mask", "WebSocketReader", "encode_frame")

_UTF8Decoder: Final = codecs.getincrementaldecoder("utf-8")
_RESERVED_OPCODES: Final = frozenset({3, 4, 5, 6, 7, 11, 12, 13, 14, 15})
_MSG_TEXT: Final = WSMsgType.TEXT
_MSG_BINARY: Final = WSMsgType.BINARY
_MSG_PING: Final = WSMsgType.PING
_MSG_PONG: Final = WSMsgType.PONG
_MSG_CLOSE: Final = WSMsgType.CLOSE


# XOR tables: _XOR_TABLES[k] maps each byte b to b ^ k, for bytes.translate.
_XOR_TABLES: Final = tuple(bytes(b ^ k for b in range(256)) for k in range(256))
# Below this size one big-integer XOR is quickest; above it, four strided translates (the
# conversion to and from a big integer grows faster than linearly).
_BIGINT_MASK_LIMIT: Final = 512


def apply_mask(data: bytearray, key: bytes) -> None:
    """XOR data in place with the 4-byte key repeated (masking and unmasking alike)."""
    size = len(data)
    if not size:
        return
    if len(key) != 4:
        raise ValueError("the mask key must be 4 bytes")
    if size < _BIGINT_MASK_LIMIT:
        repeated = (key * ((size + 3) >> 2))[:size]
        masked = int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")
        data[:] = masked.to_bytes(size, "big")
        return
    tables = _XOR_TABLES
    data[0::4] = data[0::4].translate(tables[key[0]])
    data[1::4] = data[1::4].translate(tables[key[1]])
    data[2::4] = data[2::4].translate(tables[key[2]])
    data[3::4] = data[3::4].translate(tables[key[3]])


def encode_frame(
    opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False, mask: bool = True
) -> bytes:
    """One frame; masked with a fresh random key when `mask` (as clients must)."""
    size = len(payload)
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    mask_bit = 0x80 if mask else 0
    if size < 126:
        header = bytes((first, mask_bit | size))
    elif size < 65536:
        header = bytes((first, mask_bit | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((first, mask_bit | 127)) + size.to_bytes(8, "big")
    if not mask:
        return header + payload
    key = mask_key()
    body = bytearray(payload)
    apply_mask(body, key)
    return header + key + body


class WebSocketReader:
    """Reads frames, reassembles messages, enforces the protocol and the size limit."""

    __slots__ = (
        "_max_msg_size",
        "_compress",
        "_expect_masked",
        "_decompressor",
        "_buf",
        "_failed",
        "_msg_opcode",
        "_msg_compressed",
        "_msg_size",
        "_msg_data",
        "_text_decoder",
        "_probe",
        "_probe_pos",
        "_probe_done",
        "_decode_text",
    )

    def __init__(
        self,
        *,
        max_msg_size: int = MAX_MSG_SIZE,
        compress: bool = False,
        window_bits: int = 15,
        no_context_takeover: bool = False,
        expect_masked: bool = False,
        decode_text: bool = True,
    ) -> None:
        self._max_msg_size = max_msg_size if max_msg_size > 0 else 2**63 - 1
        # False: TEXT messages carry their bytes (ws_connect(decode_text=False), aiohttp 3.14);
        # they are still checked as UTF-8 (RFC 6455 §8.1), only not handed out as str.
        self._decode_text = decode_text
        self._compress = compress
        self._expect_masked = expect_masked
        self._decompressor = (
            MessageDecompressor(window_bits=window_bits, no_context_takeover=no_context_takeover)
            if compress
            else None
        )
        self._buf = bytearray()
        self._failed: Optional[WebSocketError] = None
        self._msg_opcode = -1  # -1: no fragmented message in progress
        self._msg_compressed = False
        self._msg_size = 0
        self._msg_data = bytearray()  # the fragments so far; empty between messages
        self._text_decoder: Any = None
        # UTF-8 check of a text frame still arriving: its decoder, the frame's position in the
        # buffer, and how many of its payload bytes were checked.
        self._probe: Any = None
        self._probe_pos = 0
        self._probe_done = 0

    def feed_data(self, data: bytes) -> list[WSMessage]:
        if self._failed is not None:
            raise self._failed
        buf = self._buf
        buf += data
        messages: list[WSMessage] = []
        pos = 0
        try:
            while True:
                consumed = self._read_frame(buf, pos, messages)
                if consumed < 0:
                    break
                pos = consumed
        except WebSocketError as exc:
            if self._failed is None:
                exc.messages = messages  # what this call decoded before the bad frame
            self._failed = exc
            raise
        finally:
            if pos:
                del buf[:pos]
                if self._probe is not None:
                    # Kept only for the frame still arriving at pos, which is now at 0.
                    if self._probe_pos == pos:
                        self._probe_pos = 0
                    else:
                        self._probe = None
        return messages

    def _read_frame(self, buf: bytearray, pos: int, messages: list[WSMessage]) -> int:
        """Read one frame at pos; the position after it, or -1 if it is not all here yet."""
        available = len(buf) - pos
        if available < 2:
            return -1
        first = buf[pos]
        second = buf[pos + 1]
        fin = first & 0x80
        rsv1 = first & 0x40
        opcode = first & 0x0F
        masked = second & 0x80
        length = second & 0x7F
        if first & 0x30:
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "reserved bits RSV2/RSV3 are set")
        if opcode in _RESERVED_OPCODES:
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, f"reserved opcode {opcode}")
        if opcode >= 8:
            if not fin:
                raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "fragmented control frame")
            if length > 125:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "control frame payload longer than 125 bytes"
                )
            if rsv1:
                raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "RSV1 set on a control frame")
        elif opcode == 0:
            if self._msg_opcode < 0:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "continuation frame with no message started"
                )
            if rsv1:
                raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "RSV1 set on a continuation frame")
        else:
            if self._msg_opcode >= 0:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "new message started inside a fragmented message"
                )
            if rsv1 and not self._compress:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "RSV1 set but permessage-deflate is not in use"
                )
        if bool(masked) != self._expect_masked:
            raise WebSocketError(
                WSCloseCode.PROTOCOL_ERROR,
                "masked frame from the server" if masked else "unmasked frame from the client",
            )
        header = 2
        if length == 126:
            if available < 4:
                return -1
            length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            header = 4
        elif length == 127:
            if available < 10:
                return -1
            length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            if length >> 63:
                raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "64-bit length with its top bit set")
            header = 10
        if opcode < 8 and self._msg_size_so_far(opcode) + length > self._max_msg_size:
            raise WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"message is bigger than the limit of {self._max_msg_size} bytes",
            )
        if masked:
            header += 4
        end = pos + header + length
        if len(buf) < end:
            if opcode == 1 and not rsv1:
                self._check_partial_text(buf, pos, pos + header, bool(masked), None)
            elif opcode == 0 and self._text_decoder is not None and not self._msg_compressed:
                self._check_partial_text(buf, pos, pos + header, bool(masked), self._text_decoder)
            return -1
        if masked:
            payload_buf = bytearray(buf[pos + header : end])
            apply_mask(payload_buf, bytes(buf[pos + header - 4 : pos + header]))
            payload = bytes(payload_buf)
        else:
            payload = bytes(buf[pos + header : end])
        if opcode >= 8:
            self._control(opcode, payload, messages)
        else:
            self._data(opcode, bool(fin), bool(rsv1), payload, messages)
        return end

    def _check_partial_text(
        self, buf: bytearray, pos: int, start: int, masked: bool, msg_decoder: Any
    ) -> None:
        """UTF-8 check of the payload bytes of the incomplete text frame at pos received so far.

        Continues from where the last call stopped (and, for a continuation frame, from the
        message's decoder state), so each byte is checked once; only a sequence that is invalid
        whatever follows raises, an unfinished one at the end waits for more bytes.
        """
        probe = self._probe
        if probe is None or self._probe_pos != pos:
            probe = _UTF8Decoder("strict")
            if msg_decoder is not None:
                probe.setstate(msg_decoder.getstate())
            self._probe = probe
            self._probe_pos = pos
            self._probe_done = 0
        done = self._probe_done
        received = len(buf) - start
        if received <= done:
            return
        chunk = bytearray(buf[start + done : start + received])
        if masked:
            shift = done & 3
            key = bytes(buf[start - 4 : start])
            apply_mask(chunk, key[shift:] + key[:shift])
        self._probe_done = received
        try:
            probe.decode(chunk, False)
        except UnicodeDecodeError:
            raise WebSocketError(
                WSCloseCode.INVALID_TEXT, "invalid UTF-8 in a text message"
            ) from None
        pending = probe.getstate()[0]
        # ED A0..BF starts a UTF-16 surrogate: invalid whatever follows (CPython's decoder
        # only says so once the third byte is here).
        if len(pending) > 1 and pending[0] == 0xED and pending[1] >= 0xA0:
            raise WebSocketError(WSCloseCode.INVALID_TEXT, "invalid UTF-8 in a text message")

    def _msg_size_so_far(self, opcode: int) -> int:
        return self._msg_size if opcode == 0 else 0

    def _control(self, opcode: int, payload: bytes, messages: list[WSMessage]) -> None:
        if opcode == 0x9:
            messages.append(WSMessage(_MSG_PING, payload, ""))
        elif opcode == 0xA:
            messages.append(WSMessage(_MSG_PONG, payload, ""))
        else:
            messages.append(_close_message(payload))

    def _data(
        self, opcode: int, fin: bool, rsv1: bool, payload: bytes, messages: list[WSMessage]
    ) -> None:
        if opcode:  # the first frame of a message
            if fin and not rsv1:  # the common case: a whole message in one frame
                if opcode == 0x1:
                    try:
                        text = payload.decode("utf-8")
                    except UnicodeDecodeError:
                        raise WebSocketError(
                            WSCloseCode.INVALID_TEXT, "invalid UTF-8 in a text message"
                        ) from None
                    messages.append(
                        WSMessage(_MSG_TEXT, text if self._decode_text else payload, "")
                    )
                else:
                    messages.append(WSMessage(_MSG_BINARY, payload, ""))
                return
            self._msg_opcode = opcode
            self._msg_compressed = rsv1
            self._msg_size = 0
            self._text_decoder = _UTF8Decoder("strict") if opcode == 0x1 else None
            if rsv1:
                assert self._decompressor is not None
                self._decompressor.start_message()
        chunk = payload
        if self._msg_compressed:
            assert self._decompressor is not None
            chunk = self._decompressor.decompress(
                payload, fin, self._max_msg_size - self._msg_size
            )
        self._msg_size += len(chunk)
        decoder = self._text_decoder
        text = ""
        if decoder is not None:
            try:
                text = decoder.decode(chunk, fin)  # the check; the text is used if it is all
            except UnicodeDecodeError:
                raise WebSocketError(
                    WSCloseCode.INVALID_TEXT, "invalid UTF-8 in a text message"
                ) from None
        gathered = self._msg_data
        if not fin:
            gathered += chunk
            return
        if not gathered:  # this frame is the whole message (a compressed one in one frame)
            if decoder is not None:
                messages.append(WSMessage(_MSG_TEXT, text if self._decode_text else chunk, ""))
            else:
                messages.append(WSMessage(_MSG_BINARY, chunk, ""))
        else:
            gathered += chunk
            if decoder is not None:
                messages.append(WSMessage(
                    _MSG_TEXT,
                    gathered.decode("utf-8") if self._decode_text else bytes(gathered),
                    "",
                ))
            else:
                messages.append(WSMessage(_MSG_BINARY, bytes(gathered), ""))
            self._msg_data = bytearray()
        self._msg_opcode = -1
        self._msg_size = 0
        self._text_decoder = None


def _close_message(payload: bytes) -> WSMessage:
    if not payload:
        return WSMessage(_MSG_CLOSE, 0, "")
    if len(payload) == 1:
        raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "close frame with a 1-byte payload")
    code = int.from_bytes(payload[:2], "big")
    if code not in VALID_CLOSE_CODE:
        raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WebSocketError(WSCloseCode.INVALID_TEXT, "invalid UTF-8 in the close reason") from None
    return WSMessage(_MSG_CLOSE, code, reason)
