# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled twin of the WebSocket frame codec (see `_websocket_py.py` for the rules).

Same steps in the same order as the pure twin; the mask runs a machine word at a time and frame
headers are read from raw pointers. Decompression and UTF-8 checking call the same C code
(zlib, CPython's decoder) as the pure twin does.
"""

import codecs

cimport cython

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy

from .ws_deflate import MessageDecompressor
from .ws_keys import mask_key
from .ws_types import MAX_MSG_SIZE, VALID_CLOSE_CODE, WebSocketError, WSCloseCode, WSMessage, WSMsgType

__all__ = ("apply_mask", "WebSocketReader", "encode_frame")

cdef object _UTF8Decoder = codecs.getincrementaldecoder("utf-8")
cdef object _WSMessage = WSMessage
cdef object _tuple_new = tuple.__new__
cdef object _MSG_TEXT = WSMsgType.TEXT
cdef object _MSG_BINARY = WSMsgType.BINARY
cdef object _MSG_PING = WSMsgType.PING
cdef object _MSG_PONG = WSMsgType.PONG
cdef object _MSG_CLOSE = WSMsgType.CLOSE
cdef object _PROTOCOL_ERROR = WSCloseCode.PROTOCOL_ERROR
cdef object _INVALID_TEXT = WSCloseCode.INVALID_TEXT
cdef object _MESSAGE_TOO_BIG = WSCloseCode.MESSAGE_TOO_BIG
cdef frozenset _VALID_CLOSE_CODE = VALID_CLOSE_CODE


cdef inline object _message(object kind, object data):
    return _tuple_new(_WSMessage, (kind, data, ""))


cdef inline void _mask(unsigned char* data, Py_ssize_t size, const unsigned char* key) noexcept nogil:
    cdef uint32_t key32
    cdef uint64_t key64, word0, word1, word2, word3
    cdef Py_ssize_t i = 0
    memcpy(&key32, key, 4)
    key64 = <uint64_t>key32 | (<uint64_t>key32 << 32)
    # 32 bytes a round, through memcpy so that any alignment is fine (compiles to plain loads).
    while i + 32 <= size:
        memcpy(&word0, data + i, 8)
        memcpy(&word1, data + i + 8, 8)
        memcpy(&word2, data + i + 16, 8)
        memcpy(&word3, data + i + 24, 8)
        word0 ^= key64
        word1 ^= key64
        word2 ^= key64
        word3 ^= key64
        memcpy(data + i, &word0, 8)
        memcpy(data + i + 8, &word1, 8)
        memcpy(data + i + 16, &word2, 8)
        memcpy(data + i + 24, &word3, 8)
        i += 32
    while i + 8 <= size:
        memcpy(&word0, data + i, 8)
        word0 ^= key64
        memcpy(data + i, &word0, 8)
        i += 8
    while i < size:
        data[i] ^= key[i & 3]
        i += 1


@cython.binding(False)  # a plain builtin: the call itself is most of the cost at 125 B
def apply_mask(bytearray data not None, bytes key not None):
    """XOR data in place with the 4-byte key repeated (masking and unmasking alike)."""
    cdef Py_ssize_t size = PyByteArray_GET_SIZE(data)
    if not size:
        return
    if PyBytes_GET_SIZE(key) != 4:
        raise ValueError("the mask key must be 4 bytes")
    cdef unsigned char* p = <unsigned char*>PyByteArray_AS_STRING(data)
    cdef const unsigned char* k = <const unsigned char*>PyBytes_AS_STRING(key)
    if size >= 65536:
        with nogil:
            _mask(p, size, k)
    else:
        _mask(p, size, k)


def encode_frame(int opcode, payload, *, bint fin=True, bint rsv1=False, bint mask=True):
    """One frame; masked with a fresh random key when `mask` (as clients must)."""
    cdef bytes data = payload if type(payload) is bytes else bytes(payload)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t header = 2
    cdef unsigned char first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    cdef unsigned char mask_bit = 0x80 if mask else 0
    cdef bytes key
    cdef bytes frame
    cdef unsigned char* out
    cdef int i
    if size >= 65536:
        header = 10
    elif size >= 126:
        header = 4
    if mask:
        header += 4
    frame = PyBytes_FromStringAndSize(NULL, header + size)
    out = <unsigned char*>PyBytes_AS_STRING(frame)
    out[0] = first
    if size < 126:
        out[1] = mask_bit | <unsigned char>size
    elif size < 65536:
        out[1] = mask_bit | 126
        out[2] = <unsigned char>(size >> 8)
        out[3] = <unsigned char>size
    else:
        out[1] = mask_bit | 127
        for i in range(8):
            out[2 + i] = <unsigned char>((<uint64_t>size) >> (56 - 8 * i))
    if mask:
        key = mask_key()
        memcpy(out + header - 4, PyBytes_AS_STRING(key), 4)
        memcpy(out + header, PyBytes_AS_STRING(data), size)
        _mask(out + header, size, <const unsigned char*>PyBytes_AS_STRING(key))
    else:
        memcpy(out + header, PyBytes_AS_STRING(data), size)
    return frame


cdef class WebSocketReader:
    """Reads frames, reassembles messages, enforces the protocol and the size limit."""

    cdef uint64_t _max_msg_size
    cdef bint _compress
    cdef bint _expect_masked
    cdef object _decompressor
    cdef bytearray _buf
    cdef object _failed
    cdef int _msg_opcode
    cdef bint _msg_compressed
    cdef uint64_t _msg_size
    cdef bytearray _msg_data
    cdef object _text_decoder
    cdef object _probe
    cdef Py_ssize_t _probe_pos
    cdef Py_ssize_t _probe_done
    cdef bint _decode_text

    def __init__(self, *, max_msg_size=MAX_MSG_SIZE, bint compress=False, int window_bits=15,
                 bint no_context_takeover=False, bint expect_masked=False,
                 bint decode_text=True):
        self._max_msg_size = max_msg_size if max_msg_size > 0 else 2**63 - 1
        # False: TEXT messages carry their bytes, still checked as UTF-8 (see _websocket_py.py).
        self._decode_text = decode_text
        self._compress = compress
        self._expect_masked = expect_masked
        self._decompressor = (
            MessageDecompressor(window_bits=window_bits, no_context_takeover=no_context_takeover)
            if compress else None
        )
        self._buf = bytearray()
        self._failed = None
        self._msg_opcode = -1
        self._msg_compressed = False
        self._msg_size = 0
        self._msg_data = bytearray()  # the fragments so far; empty between messages
        self._text_decoder = None
        # UTF-8 check of a text frame still arriving: its decoder, the frame's position in the
        # buffer, and how many of its payload bytes were checked.
        self._probe = None
        self._probe_pos = 0
        self._probe_done = 0

    def feed_data(self, data):
        cdef list messages = []
        cdef Py_ssize_t pos = 0, consumed
        if self._failed is not None:
            raise self._failed
        self._buf += data
        try:
            while True:
                consumed = self._read_frame(pos, messages)
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
                del self._buf[:pos]
                if self._probe is not None:
                    # Kept only for the frame still arriving at pos, which is now at 0.
                    if self._probe_pos == pos:
                        self._probe_pos = 0
                    else:
                        self._probe = None
        return messages

    cdef Py_ssize_t _read_frame(self, Py_ssize_t pos, list messages) except -2:
        cdef bytearray buf = self._buf
        cdef const unsigned char* p = <const unsigned char*>PyByteArray_AS_STRING(buf)
        cdef Py_ssize_t available = PyByteArray_GET_SIZE(buf) - pos
        cdef unsigned char first, second
        cdef bint fin, rsv1, masked
        cdef int opcode, i
        cdef uint64_t length
        cdef Py_ssize_t header, end
        cdef bytes payload
        cdef unsigned char key[4]
        if available < 2:
            return -1
        first = p[pos]
        second = p[pos + 1]
        fin = (first & 0x80) != 0
        rsv1 = (first & 0x40) != 0
        opcode = first & 0x0F
        masked = (second & 0x80) != 0
        length = second & 0x7F
        if first & 0x30:
            raise WebSocketError(_PROTOCOL_ERROR, "reserved bits RSV2/RSV3 are set")
        if 3 <= opcode <= 7 or opcode >= 11:
            raise WebSocketError(_PROTOCOL_ERROR, f"reserved opcode {opcode}")
        if opcode >= 8:
            if not fin:
                raise WebSocketError(_PROTOCOL_ERROR, "fragmented control frame")
            if length > 125:
                raise WebSocketError(_PROTOCOL_ERROR, "control frame payload longer than 125 bytes")
            if rsv1:
                raise WebSocketError(_PROTOCOL_ERROR, "RSV1 set on a control frame")
        elif opcode == 0:
            if self._msg_opcode < 0:
                raise WebSocketError(_PROTOCOL_ERROR, "continuation frame with no message started")
            if rsv1:
                raise WebSocketError(_PROTOCOL_ERROR, "RSV1 set on a continuation frame")
        else:
            if self._msg_opcode >= 0:
                raise WebSocketError(
                    _PROTOCOL_ERROR, "new message started inside a fragmented message"
                )
            if rsv1 and not self._compress:
                raise WebSocketError(
                    _PROTOCOL_ERROR, "RSV1 set but permessage-deflate is not in use"
                )
        if masked != self._expect_masked:
            raise WebSocketError(
                _PROTOCOL_ERROR,
                "masked frame from the server" if masked else "unmasked frame from the client",
            )
        header = 2
        if length == 126:
            if available < 4:
                return -1
            length = (<uint64_t>p[pos + 2] << 8) | p[pos + 3]
            header = 4
        elif length == 127:
            if available < 10:
                return -1
            length = 0
            for i in range(8):
                length = (length << 8) | p[pos + 2 + i]
            if length >> 63:
                raise WebSocketError(_PROTOCOL_ERROR, "64-bit length with its top bit set")
            header = 10
        if opcode < 8 and (self._msg_size if opcode == 0 else 0) + length > self._max_msg_size:
            raise WebSocketError(
                _MESSAGE_TOO_BIG, f"message is bigger than the limit of {self._max_msg_size} bytes"
            )
        if masked:
            header += 4
        if <uint64_t>(available - header) < length or available < header:
            if opcode == 1 and not rsv1:
                self._check_partial_text(pos, pos + header, masked, None)
            elif opcode == 0 and self._text_decoder is not None and not self._msg_compressed:
                self._check_partial_text(pos, pos + header, masked, self._text_decoder)
            return -1
        end = pos + header + <Py_ssize_t>length
        if masked:
            # A fresh object to unmask into: PyBytes_FromStringAndSize(data, 1) would return
            # CPython's shared one-byte singleton, which must never be written to.
            payload = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>length)
            if length:
                memcpy(PyBytes_AS_STRING(payload), p + pos + header, <size_t>length)
                memcpy(key, p + pos + header - 4, 4)
                _mask(<unsigned char*>PyBytes_AS_STRING(payload), <Py_ssize_t>length, key)
        else:
            payload = PyBytes_FromStringAndSize(<const char*>p + pos + header, <Py_ssize_t>length)
        if opcode >= 8:
            self._control(opcode, payload, messages)
        else:
            self._data(opcode, fin, rsv1, payload, messages)
        return end

    cdef int _check_partial_text(self, Py_ssize_t pos, Py_ssize_t start, bint masked,
                                 object msg_decoder) except -1:
        """UTF-8 check of the payload bytes of the incomplete text frame at pos received so far
        (see the pure twin): each byte once, an unfinished sequence at the end waits."""
        cdef bytearray buf = self._buf
        cdef const unsigned char* p = <const unsigned char*>PyByteArray_AS_STRING(buf)
        cdef Py_ssize_t done, received
        cdef bytes chunk
        cdef unsigned char key[4]
        cdef int i
        probe = self._probe
        if probe is None or self._probe_pos != pos:
            probe = _UTF8Decoder("strict")
            if msg_decoder is not None:
                probe.setstate(msg_decoder.getstate())
            self._probe = probe
            self._probe_pos = pos
            self._probe_done = 0
        done = self._probe_done
        received = PyByteArray_GET_SIZE(buf) - start
        if received <= done:
            return 0
        chunk = PyBytes_FromStringAndSize(NULL, received - done)
        memcpy(PyBytes_AS_STRING(chunk), p + start + done, <size_t>(received - done))
        if masked:
            for i in range(4):
                key[i] = p[start - 4 + ((done + i) & 3)]
            _mask(<unsigned char*>PyBytes_AS_STRING(chunk), received - done, key)
        self._probe_done = received
        try:
            probe.decode(chunk, False)
        except UnicodeDecodeError:
            raise WebSocketError(_INVALID_TEXT, "invalid UTF-8 in a text message") from None
        pending = probe.getstate()[0]
        # ED A0..BF starts a UTF-16 surrogate: invalid whatever follows (CPython's decoder
        # only says so once the third byte is here).
        if len(pending) > 1 and pending[0] == 0xED and pending[1] >= 0xA0:
            raise WebSocketError(_INVALID_TEXT, "invalid UTF-8 in a text message")
        return 0

    cdef void _control(self, int opcode, bytes payload, list messages) except *:
        if opcode == 0x9:
            messages.append(_message(_MSG_PING, payload))
        elif opcode == 0xA:
            messages.append(_message(_MSG_PONG, payload))
        else:
            messages.append(_close_message(payload))

    cdef void _data(self, int opcode, bint fin, bint rsv1, bytes payload, list messages) except *:
        # Fragments gather in one bytearray, decoded once at the end (see _websocket_py.py).
        cdef object chunk, decoder, text
        cdef bytearray gathered
        if opcode:  # the first frame of a message
            if fin and not rsv1:  # the common case: a whole message in one frame
                if opcode == 0x1:
                    try:
                        text = PyUnicode_DecodeUTF8(
                            PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload), NULL
                        )
                    except UnicodeDecodeError:
                        raise WebSocketError(
                            _INVALID_TEXT, "invalid UTF-8 in a text message"
                        ) from None
                    messages.append(_message(_MSG_TEXT, text if self._decode_text else payload))
                else:
                    messages.append(_message(_MSG_BINARY, payload))
                return
            self._msg_opcode = opcode
            self._msg_compressed = rsv1
            self._msg_size = 0
            self._text_decoder = _UTF8Decoder("strict") if opcode == 0x1 else None
            if rsv1:
                self._decompressor.start_message()
        chunk = payload
        if self._msg_compressed:
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
                raise WebSocketError(_INVALID_TEXT, "invalid UTF-8 in a text message") from None
        gathered = self._msg_data
        if not fin:
            gathered += chunk
            return
        if not gathered:  # this frame is the whole message (a compressed one in one frame)
            if decoder is not None:
                messages.append(_message(_MSG_TEXT, text if self._decode_text else chunk))
            else:
                messages.append(_message(_MSG_BINARY, chunk))
        else:
            gathered += chunk
            if decoder is not None:
                messages.append(_message(
                    _MSG_TEXT,
                    gathered.decode("utf-8") if self._decode_text else bytes(gathered),
                ))
            else:
                messages.append(_message(_MSG_BINARY, bytes(gathered)))
            self._msg_data = bytearray()
        self._msg_opcode = -1
        self._msg_size = 0
        self._text_decoder = None


cdef object _close_message(bytes payload):
    cdef Py_ssize_t size = PyBytes_GET_SIZE(payload)
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(payload)
    cdef int code
    if not size:
        return _tuple_new(_WSMessage, (_MSG_CLOSE, 0, ""))
    if size == 1:
        raise WebSocketError(_PROTOCOL_ERROR, "close frame with a 1-byte payload")
    code = (p[0] << 8) | p[1]
    if code not in _VALID_CLOSE_CODE:
        raise WebSocketError(_PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = PyUnicode_DecodeUTF8(<const char*>p + 2, size - 2, NULL)
    except UnicodeDecodeError:
        raise WebSocketError(_INVALID_TEXT, "invalid UTF-8 in the close reason") from None
    return _tuple_new(_WSMessage, (_MSG_CLOSE, code, reason))
