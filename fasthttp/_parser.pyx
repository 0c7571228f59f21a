# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled twin of the sans-IO HTTP/1.1 parser (see docs/parser.md).

It follows `_parser_py.py` step by step (same checks, same order, same events, same errors);
only the means differ: raw pointers and memchr instead of bytes methods, byte-class tables
instead of regular expressions, a C table of known header names instead of dict lookups, and
line ends recorded during the scan so that a head is never scanned twice.
"""

cimport cython
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcmp

from multidict import CIMultiDict, CIMultiDictProxy

from . import hdrs
from .http_exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from .http_types import HttpVersion, HttpVersion10, HttpVersion11

__all__ = (
    "HttpResponseParser",
    "HttpRequestParser",
    "ChunkedDecoder",
    "ResponseHead",
    "RequestHead",
    "EndOfMessage",
    "EndOfChunk",
    "END_OF_CHUNK",
)

DEF MAX_CONTENT_LENGTH = 0x7FFFFFFFFFFFFFFF

cdef object _CIMultiDict = CIMultiDict
cdef object _CIMultiDictProxy = CIMultiDictProxy
cdef object _HttpVersion = HttpVersion
cdef object _HttpVersion10 = HttpVersion10
cdef object _HttpVersion11 = HttpVersion11

# ---------------------------------------------------------------------------------------------
# Byte classes (the regular expressions of the pure twin, as tables)

cdef unsigned char _TCHAR[256]
cdef unsigned char _BAD_REQUEST_VALUE[256]   # every CTL but HTAB
cdef unsigned char _BAD_RESPONSE_VALUE[256]  # NUL, CR, LF
cdef unsigned char _BAD_TARGET[256]          # all but visible ASCII (%x21-7E)
cdef unsigned char _QDTEXT[256]              # quoted-string text: HTAB SP 21 23-5B 5D-7E 80-FF
cdef unsigned char _QPAIR[256]               # after a backslash: HTAB SP VCHAR obs-text
cdef signed char _HEXVAL[256]
cdef unsigned char _LOWER[256]


cdef void _init_tables():
    cdef int c
    for c in range(256):
        _TCHAR[c] = 0
        _BAD_REQUEST_VALUE[c] = 1 if (c < 0x20 and c != 0x09) or c == 0x7F else 0
        _BAD_RESPONSE_VALUE[c] = 1 if c == 0 or c == 0x0D or c == 0x0A else 0
        _BAD_TARGET[c] = 0 if 0x21 <= c <= 0x7E else 1
        _QPAIR[c] = 1 if c == 0x09 or c == 0x20 or 0x21 <= c <= 0x7E or c >= 0x80 else 0
        _QDTEXT[c] = 1 if _QPAIR[c] and c != 0x22 and c != 0x5C else 0
        _HEXVAL[c] = -1
        _LOWER[c] = c + 32 if 0x41 <= c <= 0x5A else c
    for c in b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        _TCHAR[c] = 1
    for c in range(10):
        _HEXVAL[0x30 + c] = c
    for c in range(6):
        _HEXVAL[0x41 + c] = 10 + c
        _HEXVAL[0x61 + c] = 10 + c


_init_tables()

# ---------------------------------------------------------------------------------------------
# Known header names: found by length, then compared case-insensitively, with no Python object
# made for the name. Their keys are the shared istr objects of fasthttp.hdrs.

DEF MAX_KNOWN_LENGTH = 64

cdef tuple _KNOWN_KEYS = tuple(hdrs.KNOWN_HEADERS)
cdef list _KNOWN_CANONICAL = [str(n).encode("ascii") for n in _KNOWN_KEYS]
cdef list _KNOWN_LOWERCASE = [n.lower() for n in _KNOWN_CANONICAL]
cdef Py_ssize_t _KNOWN_COUNT = len(_KNOWN_KEYS)
cdef const char** _known_lower = <const char**>malloc(sizeof(char*) * _KNOWN_COUNT)
cdef const char** _known_canon = <const char**>malloc(sizeof(char*) * _KNOWN_COUNT)
cdef Py_ssize_t* _known_order = <Py_ssize_t*>malloc(sizeof(Py_ssize_t) * _KNOWN_COUNT)
cdef Py_ssize_t _by_length_start[MAX_KNOWN_LENGTH + 1]
cdef Py_ssize_t _by_length_stop[MAX_KNOWN_LENGTH + 1]

cdef Py_ssize_t IDX_CONTENT_LENGTH = _KNOWN_KEYS.index(hdrs.CONTENT_LENGTH)
cdef Py_ssize_t IDX_TRANSFER_ENCODING = _KNOWN_KEYS.index(hdrs.TRANSFER_ENCODING)
cdef Py_ssize_t IDX_CONNECTION = _KNOWN_KEYS.index(hdrs.CONNECTION)
cdef Py_ssize_t IDX_UPGRADE = _KNOWN_KEYS.index(hdrs.UPGRADE)
cdef Py_ssize_t IDX_CONTENT_ENCODING = _KNOWN_KEYS.index(hdrs.CONTENT_ENCODING)
cdef Py_ssize_t IDX_HOST = _KNOWN_KEYS.index(hdrs.HOST)
cdef Py_ssize_t IDX_SET_COOKIE = _KNOWN_KEYS.index(hdrs.SET_COOKIE)


cdef list _BY_LENGTH = sorted(range(_KNOWN_COUNT), key=lambda j: len(_KNOWN_CANONICAL[j]))


cdef void _init_known():
    cdef Py_ssize_t i, n, length
    order = _BY_LENGTH
    for length in range(MAX_KNOWN_LENGTH + 1):
        _by_length_start[length] = 0
        _by_length_stop[length] = 0
    for n in range(_KNOWN_COUNT):
        i = order[n]
        _known_order[n] = i
        _known_lower[i] = PyBytes_AS_STRING(_KNOWN_LOWERCASE[i])
        _known_canon[i] = PyBytes_AS_STRING(_KNOWN_CANONICAL[i])
        length = len(_KNOWN_CANONICAL[i])
        if _by_length_stop[length] == 0:
            _by_length_start[length] = n
        _by_length_stop[length] = n + 1


_init_known()


cdef inline Py_ssize_t _find_known(const char* name, Py_ssize_t length) noexcept:
    cdef Py_ssize_t n, i, k
    cdef const char* candidate
    if length > MAX_KNOWN_LENGTH:
        return -1
    for n in range(_by_length_start[length], _by_length_stop[length]):
        i = _known_order[n]
        candidate = _known_lower[i]
        for k in range(length):
            if _LOWER[<unsigned char>name[k]] != <unsigned char>candidate[k]:
                break
        else:
            return i
    return -1


cdef inline object _raw_known_name(Py_ssize_t i, const char* name, Py_ssize_t length):
    """The wire name as bytes, reusing the pre-built object when the spelling is a common one."""
    if memcmp(name, _known_canon[i], length) == 0:
        return _KNOWN_CANONICAL[i]
    if memcmp(name, _known_lower[i], length) == 0:
        return _KNOWN_LOWERCASE[i]
    return PyBytes_FromStringAndSize(name, length)


cdef object _header_key(bytes name):
    """The multidict key for a header name: the shared istr when known, else the name."""
    cdef Py_ssize_t i = _find_known(PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name))
    if i >= 0:
        return _KNOWN_KEYS[i]
    return name.decode("ascii")


cdef object _headers_from_raw(tuple raws):
    """The multidict of a head's raw (name, value) pairs: keys as _header_key gives them,
    values decoded UTF-8 with surrogateescape (a head's `headers`, built on first access)."""
    cdef list pairs = []
    cdef bytes name, value
    for name, value in raws:
        pairs.append((
            _header_key(name),
            PyUnicode_DecodeUTF8(PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value), "surrogateescape"),
        ))
    return _CIMultiDictProxy(_CIMultiDict(pairs))


cdef object _EMPTY_TRAILERS = CIMultiDictProxy(CIMultiDict())

# ---------------------------------------------------------------------------------------------
# Events


@cython.freelist(32)
cdef class ResponseHead:
    """The status line and headers of a response.

    `headers` is built on first access from `raw_headers` (most responses are read without a
    look at their multidict: the client needs only what the parser already worked out, below),
    then kept, so every access returns the same object. `has_set_cookie`: a Set-Cookie field is
    present (the session stores cookies without building the multidict when there is none).
    """

    cdef readonly object version
    cdef readonly int status
    cdef readonly str reason
    cdef object _headers
    cdef readonly tuple raw_headers
    cdef readonly bint keep_alive
    cdef readonly bint chunked
    cdef readonly object content_length
    cdef readonly bint upgrade
    cdef readonly object content_encoding
    cdef readonly bint has_set_cookie

    def __init__(self, version, int status, str reason, headers, tuple raw_headers,
                 bint keep_alive, bint chunked, content_length, bint upgrade, content_encoding,
                 *, has_set_cookie=None):
        self.version = version
        self.status = status
        self.reason = reason
        self._headers = headers
        self.raw_headers = raw_headers
        self.keep_alive = keep_alive
        self.chunked = chunked
        self.content_length = content_length
        self.upgrade = upgrade
        self.content_encoding = content_encoding
        if has_set_cookie is None:  # not said by the parser: look
            has_set_cookie = (
                hdrs.SET_COOKIE in headers if headers is not None
                else any(_header_key(name) == hdrs.SET_COOKIE for name, _ in raw_headers)
            )
        self.has_set_cookie = has_set_cookie

    @property
    def headers(self):
        if self._headers is None:
            self._headers = _headers_from_raw(self.raw_headers)
        return self._headers

    def __repr__(self):
        return (
            f"<ResponseHead {self.status} {self.reason!r} HTTP/{self.version[0]}.{self.version[1]}"
            f" headers={len(self.raw_headers)} keep_alive={self.keep_alive} chunked={self.chunked}"
            f" content_length={self.content_length} upgrade={self.upgrade}>"
        )


@cython.freelist(32)
cdef class RequestHead:
    """The request line and headers of a request.

    `headers` is built on first access from `raw_headers`, then kept (as a response's): a
    server handler that never reads the multidict does not pay for it. What the server itself
    needs (framing, keep-alive, upgrade) the parser worked out already; every field was
    checked while parsing, so building the multidict later cannot fail.
    """

    cdef readonly str method
    cdef readonly str target
    cdef readonly object version
    cdef object _headers
    cdef readonly tuple raw_headers
    cdef readonly bint keep_alive
    cdef readonly bint chunked
    cdef readonly object content_length
    cdef readonly bint upgrade
    cdef readonly object content_encoding

    def __init__(self, str method, str target, version, headers, tuple raw_headers,
                 bint keep_alive, bint chunked, content_length, bint upgrade, content_encoding):
        self.method = method
        self.target = target
        self.version = version
        self._headers = headers  # None: built from raw_headers when first asked for
        self.raw_headers = raw_headers
        self.keep_alive = keep_alive
        self.chunked = chunked
        self.content_length = content_length
        self.upgrade = upgrade
        self.content_encoding = content_encoding

    @property
    def headers(self):
        if self._headers is None:
            self._headers = _headers_from_raw(self.raw_headers)
        return self._headers

    def __repr__(self):
        return (
            f"<RequestHead {self.method} {self.target!r} HTTP/{self.version[0]}.{self.version[1]}"
            f" headers={len(self.raw_headers)} keep_alive={self.keep_alive} chunked={self.chunked}"
            f" content_length={self.content_length} upgrade={self.upgrade}>"
        )


cdef class EndOfMessage:
    """The end of one message; `trailers` holds the chunked trailer fields, if any."""

    cdef readonly object trailers

    def __init__(self, trailers=_EMPTY_TRAILERS):
        self.trailers = trailers

    def __repr__(self):
        return f"<EndOfMessage trailers={len(self.trailers)}>"


cdef EndOfMessage _END_OF_MESSAGE = EndOfMessage()


cdef class EndOfChunk:
    """The marker that the data of one HTTP chunk is complete (only with chunk_boundaries=True).

    There is one instance, `END_OF_CHUNK`; test for it by identity.
    """

    def __repr__(self):
        return "END_OF_CHUNK"

    def __reduce__(self):
        return "END_OF_CHUNK"


cdef EndOfChunk _END_OF_CHUNK = EndOfChunk()
END_OF_CHUNK = _END_OF_CHUNK


cdef inline object _piece(object buf, bint whole_is_bytes, const char* p, Py_ssize_t pos,
                          Py_ssize_t stop, Py_ssize_t end):
    """Body bytes p[pos:stop]: the input object itself when it is exactly that (zero copy)."""
    if whole_is_bytes and pos == 0 and stop == end:
        return buf
    return PyBytes_FromStringAndSize(p + pos, stop - pos)


cdef inline Py_ssize_t _strip_left(const char* p, Py_ssize_t start, Py_ssize_t stop) noexcept:
    while start < stop and (p[start] == b' ' or p[start] == b'\t'):
        start += 1
    return start


cdef inline Py_ssize_t _strip_right(const char* p, Py_ssize_t start, Py_ssize_t stop) noexcept:
    while stop > start and (p[stop - 1] == b' ' or p[stop - 1] == b'\t'):
        stop -= 1
    return stop


cdef inline bint _has_any(const unsigned char* table, const char* p, Py_ssize_t start,
                          Py_ssize_t stop) noexcept:
    cdef Py_ssize_t i
    for i in range(start, stop):
        if table[<unsigned char>p[i]]:
            return True
    return False


cdef tuple _split_field(const char* p, Py_ssize_t start, Py_ssize_t stop,
                        const unsigned char* bad_value):
    """Check one `name: value` line; return (name, value) as bytes, value stripped of OWS."""
    cdef const char* colon = <const char*>memchr(p + start, b':', stop - start)
    cdef Py_ssize_t c, i, vs, ve
    if colon == NULL:
        raise InvalidHeader(
            f"header line without a colon: {PyBytes_FromStringAndSize(p + start, min(stop - start, 40))!r}"
        )
    c = colon - p
    if c == start:
        raise InvalidHeader("empty header name")
    for i in range(start, c):
        if not _TCHAR[<unsigned char>p[i]]:
            raise InvalidHeader(
                f"invalid header name {PyBytes_FromStringAndSize(p + start, min(c - start, 40))!r}"
            )
    vs = _strip_left(p, c + 1, stop)
    ve = _strip_right(p, vs, stop)
    if _has_any(bad_value, p, vs, ve):
        raise InvalidHeader(
            "invalid character in the value of header "
            f"{PyBytes_FromStringAndSize(p + start, min(c - start, 40))!r}"
        )
    return PyBytes_FromStringAndSize(p + start, c - start), PyBytes_FromStringAndSize(p + vs, ve - vs)


cdef bint _valid_chunk_ext(const char* p, Py_ssize_t i, Py_ssize_t stop) noexcept:
    """Whether p[i:stop], what follows the hex digits of a chunk-size line, is exactly
    *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ) (RFC 9112 §7.1.1): no
    whitespace unless a ";" follows it, no ";" without a name, quoted strings closed."""
    cdef Py_ssize_t start
    cdef unsigned char c
    while i < stop:
        i = _strip_left(p, i, stop)
        if i == stop or p[i] != b';':
            return False  # trailing whitespace, or junk where a ";" must be
        i = _strip_left(p, i + 1, stop)
        start = i
        while i < stop and _TCHAR[<unsigned char>p[i]]:
            i += 1
        if i == start:
            return False  # no extension name
        start = _strip_left(p, i, stop)
        if start == stop or p[start] != b'=':
            continue  # the next turn wants BWS ";" (trailing whitespace fails there)
        i = _strip_left(p, start + 1, stop)
        if i < stop and p[i] == b'"':
            i += 1
            while True:
                if i == stop:
                    return False  # the quoted string is not closed
                c = <unsigned char>p[i]
                if c == 0x22:
                    i += 1
                    break
                if c == 0x5C:
                    i += 1
                    if i == stop or not _QPAIR[<unsigned char>p[i]]:
                        return False
                elif not _QDTEXT[c]:
                    return False
                i += 1
        else:
            start = i
            while i < stop and _TCHAR[<unsigned char>p[i]]:
                i += 1
            if i == start:
                return False  # "=" without a value
    return True


# ---------------------------------------------------------------------------------------------
# Chunked bodies

DEF CHUNK_SIZE = 0
DEF CHUNK_DATA = 1
DEF CHUNK_DATA_END = 2
DEF CHUNK_TRAILERS = 3
DEF CHUNK_DONE = 4


cdef class ChunkedDecoder:
    """Decodes a chunked body (RFC 9112 §7.1): chunk data out, extensions ignored."""

    cdef bint _lax
    cdef bint _boundaries
    cdef Py_ssize_t _max_line_size
    cdef Py_ssize_t _max_field_size
    cdef Py_ssize_t _max_headers
    cdef int _state
    cdef uint64_t _remaining
    cdef list _trailers
    cdef bytearray _buf
    cdef bytes _tail
    cdef object _failed

    def __init__(self, *, bint lax=False, Py_ssize_t max_line_size=8190,
                 Py_ssize_t max_field_size=8190, Py_ssize_t max_headers=128,
                 bint chunk_boundaries=False):
        self._lax = lax
        self._boundaries = chunk_boundaries
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._state = CHUNK_SIZE
        self._remaining = 0
        self._trailers = None
        self._buf = bytearray()
        self._tail = b""
        self._failed = None

    @property
    def done(self):
        return self._state == CHUNK_DONE

    @property
    def tail(self):
        return self._tail

    def feed_data(self, data):
        cdef list events = []
        cdef Py_ssize_t pos, end
        cdef object buf
        cdef const char* p
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        if self._state == CHUNK_DONE:
            self._tail += data
            return events
        if PyByteArray_GET_SIZE(self._buf):
            self._buf += data
            buf = self._buf
            p = PyByteArray_AS_STRING(buf)
            end = PyByteArray_GET_SIZE(buf)
        else:
            buf = data if type(data) is bytes else bytes(data)
            p = PyBytes_AS_STRING(buf)
            end = PyBytes_GET_SIZE(buf)
        try:
            pos = self._decode(buf, type(buf) is bytes, p, 0, end, events)
        except BadHttpMessage as exc:
            exc.events = events  # what this call completed before the error, for the caller
            self._failed = exc
            raise
        if self._state == CHUNK_DONE:
            self._tail = PyBytes_FromStringAndSize(p + pos, end - pos)
            self._buf = bytearray()
        else:
            self._buf = PyByteArray_FromStringAndSize(p + pos, end - pos)
        return events

    def feed_eof(self):
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        if self._state != CHUNK_DONE:
            self._failed = TransferEncodingError(
                "Not enough data to satisfy transfer length header: "
                "connection closed inside a chunked body"
            )
            raise self._failed
        return []

    cdef void _reset(self):
        self._state = CHUNK_SIZE
        self._remaining = 0
        self._trailers = None

    cdef Py_ssize_t _decode(self, object buf, bint whole_is_bytes, const char* p, Py_ssize_t pos,
                            Py_ssize_t end, list events) except -1:
        """Consume chunked framing from p[pos:end]; return where the unconsumed part starts."""
        cdef int state = self._state
        cdef Py_ssize_t take, limit, line_end, i
        cdef const char* nlp
        cdef Py_ssize_t nl
        cdef bint has_cr, is_size_line, overflow
        cdef uint64_t size
        cdef signed char digit
        while pos < end:
            if state == CHUNK_DATA:
                if self._remaining >= <uint64_t>(end - pos):
                    take = end - pos
                else:
                    take = <Py_ssize_t>self._remaining
                events.append(_piece(buf, whole_is_bytes, p, pos, pos + take, end))
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    state = CHUNK_DATA_END
                    if self._boundaries:
                        events.append(_END_OF_CHUNK)
                continue
            if state == CHUNK_DATA_END:
                if p[pos] == b'\n' and self._lax:
                    pos += 1
                elif p[pos] == b'\r':
                    if end - pos < 2:
                        break
                    if p[pos + 1] != b'\n':
                        raise TransferEncodingError("missing CRLF after chunk data")
                    pos += 2
                else:
                    raise TransferEncodingError("missing CRLF after chunk data")
                state = CHUNK_SIZE
                continue
            # A line: chunk-size line or trailer line.
            is_size_line = state == CHUNK_SIZE
            limit = self._max_line_size if is_size_line else self._max_field_size
            nlp = <const char*>memchr(p + pos, b'\n', end - pos)
            if nlp == NULL:
                if end - pos > limit + 1:
                    raise LineTooLong("chunk-size line" if is_size_line else "trailer line", limit)
                break
            nl = nlp - p
            has_cr = nl > pos and p[nl - 1] == b'\r'
            line_end = nl - 1 if has_cr else nl
            if line_end - pos > limit:
                raise LineTooLong("chunk-size line" if is_size_line else "trailer line", limit)
            if not has_cr and not self._lax:
                raise TransferEncodingError("chunked body line ends with a bare LF")
            if memchr(p + pos, b'\r', line_end - pos) != NULL:
                raise TransferEncodingError("stray CR in a chunked body line")
            if is_size_line:
                i = pos
                size = 0
                overflow = False
                while i < line_end:
                    digit = _HEXVAL[<unsigned char>p[i]]
                    if digit < 0:
                        break
                    if size > (MAX_CONTENT_LENGTH >> 4):
                        overflow = True
                    else:
                        size = (size << 4) | <uint64_t>digit
                    i += 1
                if i == pos:
                    raise TransferEncodingError(
                        f"invalid chunk-size line {PyBytes_FromStringAndSize(p + pos, min(line_end - pos, 40))!r}"
                    )
                if i < line_end and not _valid_chunk_ext(p, i, line_end):
                    raise TransferEncodingError(
                        f"invalid chunk-size line {PyBytes_FromStringAndSize(p + pos, min(line_end - pos, 40))!r}"
                    )
                if overflow or size > MAX_CONTENT_LENGTH:
                    raise TransferEncodingError("chunk size is too large")
                pos = nl + 1
                if size:
                    self._remaining = size
                    state = CHUNK_DATA
                else:
                    state = CHUNK_TRAILERS
                continue
            # Trailer section.
            if line_end == pos:
                pos = nl + 1
                state = CHUNK_DONE
                if self._trailers:
                    events.append(EndOfMessage(_CIMultiDictProxy(_CIMultiDict(
                        [(_header_key(n), (<bytes>v).decode("utf-8", "surrogateescape"))
                         for n, v in self._trailers]
                    ))))
                else:
                    events.append(_END_OF_MESSAGE)
                self._trailers = None
                break
            if self._trailers is None:
                self._trailers = []
            if len(self._trailers) >= self._max_headers:
                raise BadHttpMessage(f"more than {self._max_headers} trailer lines")
            if p[pos] == b' ' or p[pos] == b'\t':
                raise InvalidHeader("obs-fold in a trailer line")
            self._trailers.append(_split_field(
                p, pos, line_end, &_BAD_RESPONSE_VALUE[0] if self._lax else &_BAD_REQUEST_VALUE[0]
            ))
            pos = nl + 1
        self._state = state
        return pos


# ---------------------------------------------------------------------------------------------
# Messages

DEF S_HEAD = 0
DEF S_BODY_LENGTH = 1
DEF S_BODY_CHUNKED = 2
DEF S_BODY_EOF = 3
DEF S_UPGRADED = 4
DEF S_CLOSED = 5  # a message that ends the connection is complete: nothing more is parsed


cdef class _Framing:
    """What the framing headers of one head say (collected while its headers are built)."""

    cdef object content_length
    cdef bytes transfer_encoding
    cdef bint close
    cdef bint keep_alive
    cdef bint upgrade_token
    cdef bint has_upgrade
    cdef object content_encoding
    cdef Py_ssize_t hosts  # Host lines (RFC 9112 section 3.2: a request has exactly one)
    cdef bint set_cookie  # a Set-Cookie line (a response's)
    cdef object error  # the first framing error met, raised once every line is checked

    cdef void interpret(self, Py_ssize_t known, const char* p, Py_ssize_t start,
                        Py_ssize_t stop, bytes raw_value):
        cdef Py_ssize_t i, item_start, item_stop
        cdef uint64_t length
        cdef bint valid
        if known == IDX_CONTENT_LENGTH:
            if self.error is not None:
                return
            i = start
            while True:
                item_start = i
                while i < stop and p[i] != b',':
                    i += 1
                item_stop = _strip_right(p, item_start, i)
                item_start = _strip_left(p, item_start, item_stop)
                valid = 0 < item_stop - item_start <= 19
                length = 0
                if valid:
                    for item_start in range(item_start, item_stop):
                        if not 0x30 <= <unsigned char>p[item_start] <= 0x39:
                            valid = False
                            break
                        length = length * 10 + (<unsigned char>p[item_start] - 0x30)
                if not valid or length > MAX_CONTENT_LENGTH:
                    self.error = InvalidHeader(f"invalid Content-Length value {raw_value[:40]!r}")
                    return
                if self.content_length is not None and self.content_length != length:
                    self.error = InvalidHeader("differing Content-Length values")
                    return
                self.content_length = length
                if i >= stop:
                    return
                i += 1
        elif known == IDX_TRANSFER_ENCODING:
            if self.transfer_encoding is None:
                self.transfer_encoding = raw_value
            else:
                self.transfer_encoding += b"," + raw_value
        elif known == IDX_CONNECTION:
            for token in raw_value.split(b","):
                token = token.strip(b" \t").lower()
                if token == b"close":
                    self.close = True
                elif token == b"keep-alive":
                    self.keep_alive = True
                elif token == b"upgrade":
                    self.upgrade_token = True
        elif known == IDX_UPGRADE:
            self.has_upgrade = True
        elif known == IDX_CONTENT_ENCODING:
            encoding = raw_value.decode("latin-1").lower()
            if self.content_encoding is None:
                self.content_encoding = encoding
            else:
                self.content_encoding += ", " + encoding


cdef class _MessageParser:
    """What request and response parsers share: buffering, the head scan, bodies."""

    cdef Py_ssize_t _max_line_size
    cdef Py_ssize_t _max_field_size
    cdef Py_ssize_t _max_headers
    cdef int _state
    cdef bytearray _buf
    # Progress of the head scan, relative to the start of the buffered message.
    cdef Py_ssize_t _scan
    cdef Py_ssize_t _line_start
    cdef Py_ssize_t _lines
    cdef Py_ssize_t _head_start
    # Where each line of the head being scanned ends (its LF), relative to the head's start.
    cdef Py_ssize_t* _line_ends
    cdef uint64_t _remaining
    cdef ChunkedDecoder _chunked
    cdef bint _upgrade_after
    # The message being read ends the connection (keep_alive False): once it is complete, the
    # parser is S_CLOSED.
    cdef bint _close_after
    cdef bytes _tail
    cdef object _failed
    cdef bint _is_response
    # Per-head results handed from the head parse to the subclasses.
    cdef list _raws

    def __cinit__(self, *args, **kwargs):
        self._line_ends = NULL

    def __dealloc__(self):
        free(self._line_ends)

    def __init__(self, *, Py_ssize_t max_line_size=8190, Py_ssize_t max_field_size=8190,
                 Py_ssize_t max_headers=128, bint chunk_boundaries=False):
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        free(self._line_ends)
        self._line_ends = <Py_ssize_t*>malloc(sizeof(Py_ssize_t) * (max_headers + 2))
        if self._line_ends == NULL:
            raise MemoryError()
        self._state = S_HEAD
        self._buf = bytearray()
        self._scan = self._line_start = self._lines = 0
        self._remaining = 0
        self._chunked = ChunkedDecoder(
            lax=self._is_response,
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            chunk_boundaries=chunk_boundaries,
        )
        self._upgrade_after = False
        self._close_after = False
        self._tail = b""
        self._failed = None

    @property
    def idle(self):
        """Between messages with no byte of a next one buffered (and not failed): a client may
        reuse the connection; False when stray bytes followed the last message."""
        return self._state == S_HEAD and PyByteArray_GET_SIZE(self._buf) == 0 and self._failed is None

    @property
    def upgraded(self):
        return self._state == S_UPGRADED

    @property
    def closed(self):
        """A message that ends the connection is complete: any further byte is an error."""
        return self._state == S_CLOSED

    @property
    def tail(self):
        return self._tail

    def feed_data(self, data):
        cdef list events = []
        cdef Py_ssize_t pos, end
        cdef object buf
        cdef const char* p
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        if self._state == S_UPGRADED:
            self._tail += data
            return events
        if PyByteArray_GET_SIZE(self._buf):
            self._buf += data
            buf = self._buf
            p = PyByteArray_AS_STRING(buf)
            end = PyByteArray_GET_SIZE(buf)
        else:
            buf = data if type(data) is bytes else bytes(data)
            p = PyBytes_AS_STRING(buf)
            end = PyBytes_GET_SIZE(buf)
        try:
            pos = self._parse(buf, type(buf) is bytes, p, end, events)
        except BadHttpMessage as exc:
            exc.events = events  # what this call completed before the error, for the caller
            self._failed = exc
            raise
        if self._state == S_UPGRADED:
            self._tail = PyBytes_FromStringAndSize(p + pos, end - pos)
            self._buf = bytearray()
        elif pos == end:
            if PyByteArray_GET_SIZE(self._buf):
                self._buf = bytearray()
        elif pos or buf is not self._buf:
            self._buf = PyByteArray_FromStringAndSize(p + pos, end - pos)
        return events

    def feed_eof(self):
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        cdef int state = self._state
        if state == S_HEAD:
            if PyByteArray_GET_SIZE(self._buf):
                self._failed = BadHttpMessage(
                    "connection closed before the message head was complete"
                )
                raise self._failed
            return []
        if state == S_BODY_LENGTH:
            self._failed = ContentLengthError(
                "Not enough data to satisfy content length header: "
                f"{self._remaining} more bytes were expected"
            )
            raise self._failed
        if state == S_BODY_CHUNKED:
            self._failed = TransferEncodingError(
                "Not enough data to satisfy transfer length header: "
                "connection closed inside a chunked body"
            )
            raise self._failed
        if state == S_BODY_EOF:
            self._state = S_CLOSED  # a close-delimited body: the connection ended with it
            return [_END_OF_MESSAGE]
        return []

    cdef Py_ssize_t _parse(self, object buf, bint whole_is_bytes, const char* p, Py_ssize_t end,
                           list events) except -1:
        cdef Py_ssize_t pos = 0, take
        cdef int state
        cdef ChunkedDecoder decoder
        while pos < end:
            state = self._state
            if state == S_HEAD:
                pos = self._read_head(p, pos, end, events)
                if pos < 0:
                    return self._head_start  # incomplete head: keep from its start
            elif state == S_BODY_LENGTH:
                if self._remaining >= <uint64_t>(end - pos):
                    take = end - pos
                else:
                    take = <Py_ssize_t>self._remaining
                events.append(_piece(buf, whole_is_bytes, p, pos, pos + take, end))
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._end_message(events)
            elif state == S_BODY_CHUNKED:
                decoder = self._chunked
                pos = decoder._decode(buf, whole_is_bytes, p, pos, end, events)
                if decoder._state == CHUNK_DONE:
                    decoder._reset()
                    self._next_message()  # the decoder gave the EndOfMessage
                else:
                    return pos
            elif state == S_BODY_EOF:
                events.append(_piece(buf, whole_is_bytes, p, pos, end, end))
                pos = end
            elif state == S_CLOSED:
                # RFC 9112 §9.6: after a message that closes the connection nothing more is
                # read from it; a server must not answer what a client sent after it.
                raise BadHttpMessage(
                    "data after the message that ends the connection "
                    "(Connection: close, or HTTP/1.0 without keep-alive)"
                )
            else:  # S_UPGRADED
                return pos
        return pos

    cdef void _end_message(self, list events):
        events.append(_END_OF_MESSAGE)
        self._next_message()

    cdef inline void _next_message(self) noexcept:
        """The state after a complete message: upgraded, closed, or ready for the next head."""
        if self._upgrade_after:
            self._upgrade_after = False
            self._state = S_UPGRADED
        elif self._close_after:
            self._state = S_CLOSED
        else:
            self._state = S_HEAD

    cdef Py_ssize_t _read_head(self, const char* p, Py_ssize_t start, Py_ssize_t end,
                               list events) except -2:
        """Scan lines from p[start:]; parse the head once complete.

        Returns the position after the head, or -1 when the head is incomplete (then the scan
        progress is saved relative to the head's start, `_head_start`).
        """
        cdef Py_ssize_t scan = start + self._scan
        cdef Py_ssize_t line_start = start + self._line_start
        cdef Py_ssize_t lines = self._lines
        cdef Py_ssize_t nl = 0, length, limit
        cdef const char* nlp
        while True:
            nlp = <const char*>memchr(p + scan, b'\n', end - scan)
            if nlp == NULL:
                limit = self._max_line_size if lines == 0 else self._max_field_size
                if end - line_start > limit + 1:
                    raise LineTooLong("start line" if lines == 0 else "header line", limit)
                self._scan = end - start
                self._line_start = line_start - start
                self._lines = lines
                self._head_start = start
                return -1
            nl = nlp - p
            length = nl - line_start
            if length and p[nl - 1] == b'\r':
                length -= 1
            if length == 0:
                if lines == 0:  # empty line before the start line: skip it
                    if nl == line_start and not self._is_response:
                        raise BadHttpMessage("line ends with a bare LF")
                    start = line_start = scan = nl + 1
                    continue
                break
            limit = self._max_line_size if lines == 0 else self._max_field_size
            if length > limit:
                raise LineTooLong("start line" if lines == 0 else "header line", limit)
            lines += 1
            if lines > self._max_headers + 1:
                raise BadHttpMessage(f"more than {self._max_headers} header lines", code=431)
            self._line_ends[lines - 1] = nl - start
            line_start = scan = nl + 1
        self._scan = self._line_start = self._lines = 0
        self._parse_head(p + start, lines, nl + 1 - start, events)
        return nl + 1

    cdef int _check_lines(self, const char* block, Py_ssize_t lines, Py_ssize_t size) except -1:
        """Each line's ending and stray CRs, in line order."""
        cdef Py_ssize_t i, line_start = 0, nl
        cdef bint has_cr
        for i in range(lines):
            nl = self._line_ends[i]
            has_cr = block[nl - 1] == b'\r'
            if not has_cr and not self._is_response:
                raise BadHttpMessage("line ends with a bare LF")
            if memchr(block + line_start, b'\r', nl - has_cr - line_start) != NULL:
                if i == 0:
                    raise BadHttpMessage("stray CR in the start line")
                raise InvalidHeader("stray CR in a header line")
            line_start = nl + 1
        # The empty line that ends the head has its own ending to check.
        if not self._is_response and not (size >= 2 and block[size - 2] == b'\r'):
            raise BadHttpMessage("line ends with a bare LF")
        return 0

    cdef inline Py_ssize_t _line_stop(self, const char* block, Py_ssize_t i) noexcept:
        cdef Py_ssize_t nl = self._line_ends[i]
        return nl - 1 if block[nl - 1] == b'\r' else nl

    cdef _Framing _parse_fields(self, const char* block, Py_ssize_t lines):
        """Check the header lines 1..lines-1 and collect them into self._raws."""
        cdef const unsigned char* bad_value = (
            &_BAD_RESPONSE_VALUE[0] if self._is_response else &_BAD_REQUEST_VALUE[0]
        )
        cdef _Framing framing = _Framing.__new__(_Framing)
        cdef list raws = []
        cdef Py_ssize_t i, start, stop, c, k, vs, ve
        cdef Py_ssize_t name_start = 0, name_stop = 0, value_start = 0, value_stop = 0
        cdef bint pending = False
        cdef bytes folded = None
        cdef const char* colon
        for i in range(1, lines):
            start = self._line_ends[i - 1] + 1
            stop = self._line_stop(block, i)
            if block[start] == b' ' or block[start] == b'\t':  # obs-fold
                if not self._is_response:
                    raise InvalidHeader("obs-fold (a line starting with whitespace) in a request")
                if not pending:
                    raise InvalidHeader("the first header line starts with whitespace")
                vs = _strip_left(block, start, stop)
                ve = _strip_right(block, vs, stop)
                if _has_any(bad_value, block, vs, ve):
                    raise InvalidHeader("invalid character in a folded header value")
                if folded is None:
                    folded = PyBytes_FromStringAndSize(block + value_start, value_stop - value_start)
                cont = PyBytes_FromStringAndSize(block + vs, ve - vs)
                folded = folded + b" " + cont if folded and cont else folded or cont
                continue
            if pending:
                self._add_field(block, name_start, name_stop, value_start, value_stop, folded,
                                raws, framing)
                folded = None
            colon = <const char*>memchr(block + start, b':', stop - start)
            if colon == NULL:
                raise InvalidHeader(
                    f"header line without a colon: {PyBytes_FromStringAndSize(block + start, min(stop - start, 40))!r}"
                )
            c = colon - block
            if c == start:
                raise InvalidHeader("empty header name")
            for k in range(start, c):
                if not _TCHAR[<unsigned char>block[k]]:
                    raise InvalidHeader(
                        f"invalid header name {PyBytes_FromStringAndSize(block + start, min(c - start, 40))!r}"
                    )
            vs = _strip_left(block, c + 1, stop)
            ve = _strip_right(block, vs, stop)
            if _has_any(bad_value, block, vs, ve):
                raise InvalidHeader(
                    "invalid character in the value of header "
                    f"{PyBytes_FromStringAndSize(block + start, min(c - start, 40))!r}"
                )
            name_start, name_stop, value_start, value_stop = start, c, vs, ve
            pending = True
        if pending:
            self._add_field(block, name_start, name_stop, value_start, value_stop, folded,
                            raws, framing)
        self._raws = raws
        return framing

    cdef void _add_field(self, const char* block, Py_ssize_t name_start, Py_ssize_t name_stop,
                         Py_ssize_t value_start, Py_ssize_t value_stop, bytes folded,
                         list raws, _Framing framing):
        cdef Py_ssize_t name_length = name_stop - name_start
        cdef Py_ssize_t known = _find_known(block + name_start, name_length)
        cdef object raw_name
        cdef bytes raw_value
        if known >= 0:
            raw_name = _raw_known_name(known, block + name_start, name_length)
        else:
            raw_name = PyBytes_FromStringAndSize(block + name_start, name_length)
        if folded is None:
            raw_value = PyBytes_FromStringAndSize(block + value_start, value_stop - value_start)
        else:
            raw_value = folded
        raws.append((raw_name, raw_value))
        if known == IDX_HOST:
            framing.hosts += 1
        elif known == IDX_SET_COOKIE:
            framing.set_cookie = True
        elif known >= 0 and (
            known == IDX_CONTENT_LENGTH or known == IDX_TRANSFER_ENCODING
            or known == IDX_CONNECTION or known == IDX_UPGRADE or known == IDX_CONTENT_ENCODING
        ):
            framing.interpret(
                known, PyBytes_AS_STRING(raw_value), 0, PyBytes_GET_SIZE(raw_value), raw_value
            )

    cdef bint _transfer_chunked(self, _Framing framing) except -1:
        """Check Content-Length against Transfer-Encoding; return whether chunked is last."""
        if framing.error is not None:
            raise framing.error
        te = framing.transfer_encoding
        if te is None:
            return False
        if framing.content_length is not None:
            raise BadHttpMessage("Content-Length and Transfer-Encoding are both present")
        codings = [c.strip(b" \t").lower() for c in te.split(b",")]
        if b"" in codings:
            raise TransferEncodingError(f"empty transfer coding in {te[:60]!r}")
        if codings.count(b"chunked") > 1:
            raise TransferEncodingError("chunked is applied more than once")
        if codings[len(codings) - 1] == b"chunked":
            if len(codings) > 1:
                raise TransferEncodingError(
                    f"unsupported transfer coding before chunked: {te[:60]!r}"
                )
            return True
        if not self._is_response:
            raise TransferEncodingError(
                f"a request's Transfer-Encoding must be chunked, not {te[:60]!r}"
            )
        return False

    cdef int _parse_head(self, const char* block, Py_ssize_t lines, Py_ssize_t size,
                         list events) except -1:
        raise NotImplementedError


cdef object _version(int major, int minor, const char* line, Py_ssize_t length):
    if major != 1:
        raise BadStatusLine(
            f"unsupported HTTP version in {PyBytes_FromStringAndSize(line, min(length, 60))!r}"
        )
    if minor == 1:
        return _HttpVersion11
    if minor == 0:
        return _HttpVersion10
    return _HttpVersion(1, minor)


cdef inline bint _keep_alive(object version, _Framing framing):
    if framing.close:
        return False
    return version is _HttpVersion11 or version[1] >= 1 or framing.keep_alive


cdef bytes _excerpt(const char* p, Py_ssize_t length):
    """The first bytes of a bad line, for an error message."""
    return PyBytes_FromStringAndSize(p, min(length, 60))


cdef inline bint _is_digit(char c) noexcept:
    return b'0' <= c <= b'9'


cdef class HttpResponseParser(_MessageParser):
    """Reads responses; lenient where real servers are (bare LF, obs-fold)."""

    cdef public bint head_request

    def __init__(self, *, Py_ssize_t max_line_size=8190, Py_ssize_t max_field_size=8190,
                 Py_ssize_t max_headers=128, bint chunk_boundaries=False):
        self._is_response = True
        _MessageParser.__init__(
            self, max_line_size=max_line_size, max_field_size=max_field_size,
            max_headers=max_headers, chunk_boundaries=chunk_boundaries,
        )
        self.head_request = False

    cdef int _parse_head(self, const char* block, Py_ssize_t lines, Py_ssize_t size,
                         list events) except -1:
        cdef Py_ssize_t stop, length
        cdef int status, body
        cdef bint chunked, keep_alive, upgrade
        cdef ResponseHead head
        self._check_lines(block, lines, size)
        stop = self._line_stop(block, 0)
        if (
            stop < 12
            or memcmp(block, b"HTTP/", 5) != 0
            or not _is_digit(block[5])
            or block[6] != b'.'
            or not _is_digit(block[7])
            or block[8] != b' '
        ):
            raise BadStatusLine(f"invalid status line {PyBytes_FromStringAndSize(block, min(stop, 60))!r}")
        version = _version(block[5] - 48, block[7] - 48, block, stop)
        if not (_is_digit(block[9]) and _is_digit(block[10]) and _is_digit(block[11])):
            raise BadStatusLine(f"invalid status code in {PyBytes_FromStringAndSize(block, min(stop, 60))!r}")
        status = (block[9] - 48) * 100 + (block[10] - 48) * 10 + (block[11] - 48)
        if status < 100:
            raise BadStatusLine(f"status code below 100 in {PyBytes_FromStringAndSize(block, min(stop, 60))!r}")
        if stop > 12:
            if block[12] != b' ':
                raise BadStatusLine(f"invalid status line {PyBytes_FromStringAndSize(block, min(stop, 60))!r}")
            if _has_any(_BAD_REQUEST_VALUE, block, 13, stop):
                raise BadStatusLine(
                    f"invalid character in the reason phrase {PyBytes_FromStringAndSize(block, min(stop, 60))!r}"
                )
            reason = PyUnicode_DecodeUTF8(block + 13, stop - 13, "surrogateescape")
        else:
            reason = ""
        framing = self._parse_fields(block, lines)
        chunked = self._transfer_chunked(framing)
        keep_alive = _keep_alive(version, framing)
        length_obj = framing.content_length
        if status < 200 or status == 204 or status == 304 or self.head_request:
            body = S_HEAD
        elif chunked:
            body = S_BODY_CHUNKED
        elif framing.transfer_encoding is not None or length_obj is None:
            body = S_BODY_EOF
            keep_alive = False
        elif length_obj:
            body = S_BODY_LENGTH
        else:
            body = S_HEAD
        upgrade = status == 101
        head = ResponseHead.__new__(ResponseHead)
        head.version = version
        head.status = status
        head.reason = reason
        head._headers = None  # built from raw_headers when first asked for
        head.raw_headers = tuple(self._raws)
        head.keep_alive = keep_alive
        head.chunked = chunked
        head.content_length = length_obj
        head.upgrade = upgrade
        head.content_encoding = framing.content_encoding
        head.has_set_cookie = framing.set_cookie
        self._raws = None
        events.append(head)
        if upgrade:
            events.append(_END_OF_MESSAGE)
            self._state = S_UPGRADED
            return 0
        # An interim (1xx) response never ends the connection: the final one follows.
        self._close_after = not keep_alive and status >= 200
        self._state = body
        if body == S_HEAD:
            self._end_message(events)
        elif body == S_BODY_LENGTH:
            self._remaining = length_obj
        return 0


cdef int _check_host_count(Py_ssize_t hosts, object version) except -1:
    """RFC 9112 section 3.2: more than one Host is refused in any request, none in HTTP/1.1
    (a server must answer 400; an absolute-form target does not excuse it)."""
    if hosts > 1:
        raise BadHttpMessage("more than one Host header")
    if hosts == 0 and version is _HttpVersion11:
        raise BadHttpMessage("an HTTP/1.1 request without a Host header")
    return 0


cdef class HttpRequestParser(_MessageParser):
    """Reads requests, strictly: every smuggling shape is refused."""

    cdef bint _require_host

    def __init__(self, *, Py_ssize_t max_line_size=8190, Py_ssize_t max_field_size=8190,
                 Py_ssize_t max_headers=128, bint chunk_boundaries=False,
                 bint require_host=False):
        self._is_response = False
        self._require_host = require_host
        _MessageParser.__init__(
            self, max_line_size=max_line_size, max_field_size=max_field_size,
            max_headers=max_headers, chunk_boundaries=chunk_boundaries,
        )

    cdef int _parse_head(self, const char* block, Py_ssize_t lines, Py_ssize_t size,
                         list events) except -1:
        cdef Py_ssize_t stop, sp1, sp2, k
        cdef const char* found
        cdef const char* v
        cdef bint chunked, keep_alive, upgrade
        cdef RequestHead head
        self._check_lines(block, lines, size)
        stop = self._line_stop(block, 0)
        found = <const char*>memchr(block, b' ', stop)
        if found == NULL:
            raise BadStatusLine(f"invalid request line {_excerpt(block, stop)!r}")
        sp1 = found - block
        if sp1 == 0:
            raise BadHttpMethod(f"invalid method in request line {_excerpt(block, stop)!r}")
        for k in range(sp1):
            if not _TCHAR[<unsigned char>block[k]]:
                raise BadHttpMethod(f"invalid method in request line {_excerpt(block, stop)!r}")
        found = <const char*>memchr(block + sp1 + 1, b' ', stop - sp1 - 1)
        if found == NULL:
            raise BadStatusLine(f"invalid request line {_excerpt(block, stop)!r}")
        sp2 = found - block
        if sp2 == sp1 + 1 or _has_any(_BAD_TARGET, block, sp1 + 1, sp2):
            raise BadStatusLine(f"invalid request target in {_excerpt(block, stop)!r}")
        v = block + sp2 + 1
        if (
            stop - sp2 - 1 != 8
            or memcmp(v, b"HTTP/", 5) != 0
            or not _is_digit(v[5])
            or v[6] != b'.'
            or not _is_digit(v[7])
        ):
            raise BadStatusLine(f"invalid HTTP version in request line {_excerpt(block, stop)!r}")
        version = _version(v[5] - 48, v[7] - 48, block, stop)
        method = PyUnicode_DecodeASCII(block, sp1, NULL)
        target = PyUnicode_DecodeASCII(block + sp1 + 1, sp2 - sp1 - 1, NULL)  # visible ASCII only
        framing = self._parse_fields(block, lines)
        chunked = self._transfer_chunked(framing)  # framing errors first, as in responses
        if self._require_host and framing.hosts != 1:
            _check_host_count(framing.hosts, version)
        keep_alive = _keep_alive(version, framing)
        length_obj = framing.content_length
        upgrade = method == "CONNECT" or (framing.upgrade_token and framing.has_upgrade)
        head = RequestHead.__new__(RequestHead)
        head.method = method
        head.target = target
        head.version = version
        head._headers = None  # built from raw_headers when first asked for
        head.raw_headers = tuple(self._raws)
        head.keep_alive = keep_alive
        head.chunked = chunked
        head.content_length = length_obj
        head.upgrade = upgrade
        head.content_encoding = framing.content_encoding
        self._raws = None
        events.append(head)
        self._upgrade_after = upgrade
        self._close_after = not keep_alive
        if chunked:
            self._state = S_BODY_CHUNKED
        elif length_obj:
            self._state = S_BODY_LENGTH
            self._remaining = length_obj
        else:
            self._end_message(events)
        return 0
