"""Pure-Python twin of the sans-IO HTTP/1.1 parser (see docs/parser.md).

Bytes in, events out. The compiled twin (`_parser.pyx`) follows the same algorithm step by
step, so that both check the same things in the same order and agree on every input.

How a message is read:
- Head: lines are scanned as they arrive (limits and the header count are enforced per line,
  so nothing past a limit is ever buffered); once the empty line ends the head, the whole block
  is validated and parsed in one pass.
- Body: handed out as slices of the input as soon as they arrive, never buffered.
"""

from __future__ import annotations

import re
from typing import Any, Final, Optional, Union

from multidict import CIMultiDict, CIMultiDictProxy, istr

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

MAX_LINE_SIZE: Final = 8190
MAX_FIELD_SIZE: Final = 8190
MAX_HEADERS: Final = 128
MAX_CONTENT_LENGTH: Final = 2**63 - 1

Buffer = Union[bytes, bytearray, memoryview]
# What the parsing methods work on: the input (made bytes) or the parser's own buffer.
_Buf = Union[bytes, bytearray]

# RFC 9110 tchar.
_TOKEN_RE: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Bytes refused in a header value: every CTL but HTAB (requests), only NUL (responses; the
# line's own CR and LF are dealt with when lines are split).
_BAD_REQUEST_VALUE_RE: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_RESPONSE_VALUE_RE: Final = re.compile(rb"[\x00\r\n]")
_BAD_REASON_RE: Final = _BAD_REQUEST_VALUE_RE
# A request target is visible ASCII only (RFC 9112 §3.2: its grammar has no other byte; the strict
# choice of h11 and llhttp): CTL, SP, DEL and every byte >= 0x80 are refused.
_BAD_TARGET_RE: Final = re.compile(rb"[^\x21-\x7e]")
# Fast paths: a whole CRLF-only header section checked and split by one regex call each.
# Anything they do not accept goes the line-by-line way, which finds the exact error.
_TCHARS = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
# For bytes.translate(None, ...): what is left of a name after deleting the token characters,
# or how many bytes of a request head are controls other than HTAB, tells at C speed.
_TCHAR_BYTES: Final = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_REQUEST_CTL_BYTES: Final = bytes(range(0x00, 0x09)) + bytes(range(0x0A, 0x20)) + b"\x7f"
# The chunk-size line, exactly RFC 9112 §7.1.1 (BWS is OWS, SP/HTAB):
#   chunk-size [ chunk-ext ]     chunk-size = 1*HEXDIG
#   chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
#   chunk-ext-name = token       chunk-ext-val = token / quoted-string
# so whitespace after the size only before a ";", never a ";" without a name, never trailing
# whitespace. quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4).
_QDTEXT = rb"\t \x21\x23-\x5b\x5d-\x7e\x80-\xff"
_QUOTED_PAIR = rb"\\[\t \x21-\x7e\x80-\xff]"
_TOKEN = rb"[" + _TCHARS + rb"]+"
_CHUNK_SIZE_RE: Final = re.compile(
    rb"([0-9A-Fa-f]+)(?:[ \t]*;[ \t]*" + _TOKEN
    + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN + rb'|"(?:[' + _QDTEXT + rb"]|" + _QUOTED_PAIR + rb')*"))?)*'
)
_OWS: Final = b" \t"


def _build_known_names() -> dict[bytes, istr]:
    known: dict[bytes, istr] = {}
    for name in hdrs.KNOWN_HEADERS:
        raw = str(name).encode("ascii")
        known[raw] = name
        known[raw.lower()] = name
    return known


_KNOWN_NAMES: Final = _build_known_names()
_KNOWN_LOWER: Final = {str(n).lower().encode("ascii"): n for n in hdrs.KNOWN_HEADERS}


def _header_key(name: bytes) -> str:
    """The multidict key for a header name: the shared istr when known, else the name."""
    key: Optional[str] = _KNOWN_NAMES.get(name)
    if key is None:
        key = _OTHER_NAMES.get(name)
        if key is None:
            key = _KNOWN_LOWER.get(name.lower())
            if key is None:
                key = name.decode("ascii")
            if len(_OTHER_NAMES) < _OTHER_NAMES_MAX:
                _OTHER_NAMES[name] = key
    return key


# Names met that are not spelled as the known table spells them (X-Request-Id, a known name in
# another case): remembered, so a server's usual extra headers cost one lookup. Bounded: past
# the limit, new names are worked out every time (a peer sending endless names fills nothing).
_OTHER_NAMES: Final[dict[bytes, str]] = {}
_OTHER_NAMES_MAX: Final = 512


_FRAMING_HEADERS: Final = frozenset(
    (hdrs.CONTENT_LENGTH, hdrs.TRANSFER_ENCODING, hdrs.CONNECTION, hdrs.UPGRADE, hdrs.CONTENT_ENCODING,
     hdrs.HOST, hdrs.SET_COOKIE)
)


def _headers_from_raw(raw: tuple[tuple[bytes, bytes], ...]) -> CIMultiDictProxy[str]:
    """The multidict of a head's raw (name, value) pairs: keys as _header_key gives them,
    values decoded UTF-8 with surrogateescape (a head's `headers`, built on first access)."""
    return CIMultiDictProxy(
        CIMultiDict([(_header_key(name), value.decode("utf-8", "surrogateescape")) for name, value in raw])
    )

_EMPTY_TRAILERS: Final[CIMultiDictProxy[str]] = CIMultiDictProxy(CIMultiDict())


# ---------------------------------------------------------------------------------------------
# Events


class _Head:
    """What request and response heads share. Read-only: the values sit in private slots.

    `headers` is built on first access from `raw_headers`, then kept, so every access returns
    the same object: most responses are read, and most requests served, without a look at
    the multidict (the parser already worked out the framing, keep-alive and upgrade). Every
    field was checked while parsing, so building it later cannot fail.
    """

    __slots__ = (
        "_version",
        "_headers",
        "_raw_headers",
        "_keep_alive",
        "_chunked",
        "_content_length",
        "_upgrade",
        "_content_encoding",
    )

    _version: HttpVersion
    _headers: Optional[CIMultiDictProxy[str]]
    _raw_headers: tuple[tuple[bytes, bytes], ...]
    _keep_alive: bool
    _chunked: bool
    _content_length: Optional[int]
    _upgrade: bool
    _content_encoding: Optional[str]

    @property
    def version(self) -> HttpVersion:
        return self._version

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        headers = self._headers
        if headers is None:
            headers = self._headers = _headers_from_raw(self._raw_headers)
        return headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        return self._raw_headers

    @property
    def keep_alive(self) -> bool:
        return self._keep_alive

    @property
    def chunked(self) -> bool:
        return self._chunked

    @property
    def content_length(self) -> Optional[int]:
        return self._content_length

    @property
    def upgrade(self) -> bool:
        return self._upgrade

    @property
    def content_encoding(self) -> Optional[str]:
        return self._content_encoding

    def _describe(self) -> str:
        return (
            f"HTTP/{self._version[0]}.{self._version[1]} headers={len(self._raw_headers)}"
            f" keep_alive={self._keep_alive} chunked={self._chunked}"
            f" content_length={self._content_length} upgrade={self._upgrade}"
        )


class ResponseHead(_Head):
    """The status line and headers of a response.

    `has_set_cookie`: a Set-Cookie field is present (the session stores cookies without
    building the multidict when there is none).
    """

    __slots__ = ("_status", "_reason", "_has_set_cookie")

    def __init__(
        self,
        version: HttpVersion,
        status: int,
        reason: str,
        headers: Optional[CIMultiDictProxy[str]],
        raw_headers: tuple[tuple[bytes, bytes], ...],
        keep_alive: bool,
        chunked: bool,
        content_length: Optional[int],
        upgrade: bool,
        content_encoding: Optional[str],
        *,
        has_set_cookie: Optional[bool] = None,
    ) -> None:
        self._version = version
        self._status = status
        self._reason = reason
        self._headers = headers
        self._raw_headers = raw_headers
        self._keep_alive = keep_alive
        self._chunked = chunked
        self._content_length = content_length
        self._upgrade = upgrade
        self._content_encoding = content_encoding
        if has_set_cookie is None:  # not said by the parser: look
            has_set_cookie = (
                hdrs.SET_COOKIE in headers if headers is not None
                else any(_header_key(name) == hdrs.SET_COOKIE for name, _ in raw_headers)
            )
        self._has_set_cookie = has_set_cookie

    @property
    def has_set_cookie(self) -> bool:
        return self._has_set_cookie

    @property
    def status(self) -> int:
        return self._status

    @property
    def reason(self) -> str:
        return self._reason

    def __repr__(self) -> str:
        return f"<ResponseHead {self._status} {self._reason!r} {self._describe()}>"


class RequestHead(_Head):
    """The request line and headers of a request (`headers`: None builds them from
    `raw_headers` when first asked for)."""

    __slots__ = ("_method", "_target")

    def __init__(
        self,
        method: str,
        target: str,
        version: HttpVersion,
        headers: Optional[CIMultiDictProxy[str]],
        raw_headers: tuple[tuple[bytes, bytes], ...],
        keep_alive: bool,
        chunked: bool,
        content_length: Optional[int],
        upgrade: bool,
        content_encoding: Optional[str],
    ) -> None:
        self._method = method
        self._target = target
        self._version = version
        self._headers = headers
        self._raw_headers = raw_headers
        self._keep_alive = keep_alive
        self._chunked = chunked
        self._content_length = content_length
        self._upgrade = upgrade
        self._content_encoding = content_encoding

    @property
    def method(self) -> str:
        return self._method

    @property
    def target(self) -> str:
        return self._target

    def __repr__(self) -> str:
        return f"<RequestHead {self._method} {self._target!r} {self._describe()}>"


class EndOfMessage:
    """The end of one message; `trailers` holds the chunked trailer fields, if any."""

    __slots__ = ("_trailers",)

    def __init__(self, trailers: CIMultiDictProxy[str] = _EMPTY_TRAILERS) -> None:
        self._trailers = trailers

    @property
    def trailers(self) -> CIMultiDictProxy[str]:
        return self._trailers

    def __repr__(self) -> str:
        return f"<EndOfMessage trailers={len(self._trailers)}>"


_END_OF_MESSAGE: Final = EndOfMessage()


class EndOfChunk:
    """The marker that the data of one HTTP chunk is complete (only with chunk_boundaries=True).

    There is one instance, `END_OF_CHUNK`; test for it by identity.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "END_OF_CHUNK"

    def __reduce__(self) -> str:
        return "END_OF_CHUNK"


END_OF_CHUNK: Final = EndOfChunk()

Event = Union[ResponseHead, RequestHead, bytes, EndOfChunk, EndOfMessage]


# ---------------------------------------------------------------------------------------------
# Chunked bodies

_CHUNK_SIZE, _CHUNK_DATA, _CHUNK_DATA_END, _CHUNK_TRAILERS, _CHUNK_DONE = range(5)


class ChunkedDecoder:
    """Decodes a chunked body (RFC 9112 §7.1): chunk data out, extensions ignored."""

    __slots__ = (
        "_lax",
        "_boundaries",
        "_max_line_size",
        "_max_field_size",
        "_max_headers",
        "_state",
        "_remaining",
        "_trailers",
        "_buf",
        "_tail",
        "_failed",
    )

    def __init__(
        self,
        *,
        lax: bool = False,
        max_line_size: int = MAX_LINE_SIZE,
        max_field_size: int = MAX_FIELD_SIZE,
        max_headers: int = MAX_HEADERS,
        chunk_boundaries: bool = False,
    ) -> None:
        self._lax = lax
        self._boundaries = bool(chunk_boundaries)
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._state = _CHUNK_SIZE
        self._remaining = 0
        self._trailers: Optional[list[tuple[bytes, bytes]]] = None
        self._buf = bytearray()
        self._tail = b""
        self._failed: Optional[BadHttpMessage] = None

    @property
    def done(self) -> bool:
        return self._state == _CHUNK_DONE

    @property
    def tail(self) -> bytes:
        return self._tail

    def feed_data(self, data: Buffer) -> list[Union[bytes, EndOfChunk, EndOfMessage]]:
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        if self._state == _CHUNK_DONE:
            self._tail += data
            return []
        if self._buf:
            self._buf += data
            buf: _Buf = self._buf
        else:
            buf = data if type(data) is bytes else bytes(data)
        events: list[Union[bytes, EndOfChunk, EndOfMessage]] = []
        try:
            pos = self._decode(buf, 0, len(buf), events)
        except BadHttpMessage as exc:
            exc.events = events  # what this call completed before the error, for the caller
            self._failed = exc
            raise
        if self._state == _CHUNK_DONE:
            self._tail = bytes(buf[pos:])
            self._buf = bytearray()
        else:
            self._buf = bytearray(buf[pos:])
        return events

    def feed_eof(self) -> list[Union[bytes, EndOfChunk, EndOfMessage]]:
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        if self._state != _CHUNK_DONE:
            self._failed = TransferEncodingError(
                "Not enough data to satisfy transfer length header: "
                "connection closed inside a chunked body"
            )
            raise self._failed
        return []

    def _decode(self, buf: _Buf, pos: int, end: int, events: list[Any]) -> int:
        """Consume chunked framing from buf[pos:end]; return where the unconsumed part starts.

        Appends chunk data (each chunk's followed by END_OF_CHUNK when chunk boundaries are
        asked for) and, at the end, one EndOfMessage to `events`. An incomplete line
        is left unconsumed (the caller keeps it), after checking it against its limit.
        """
        state = self._state
        while pos < end:
            if state == _CHUNK_DATA:
                take = self._remaining
                if take >= end - pos:
                    take = end - pos
                    events.append(buf if pos == 0 and type(buf) is bytes else bytes(buf[pos:end]))
                else:
                    events.append(bytes(buf[pos : pos + take]))
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    state = _CHUNK_DATA_END
                    if self._boundaries:
                        events.append(END_OF_CHUNK)
                continue
            if state == _CHUNK_DATA_END:
                first = buf[pos]
                if first == 10 and self._lax:  # bare LF
                    pos += 1
                elif first == 13:
                    if end - pos < 2:
                        break
                    if buf[pos + 1] != 10:
                        raise TransferEncodingError("missing CRLF after chunk data")
                    pos += 2
                else:
                    raise TransferEncodingError("missing CRLF after chunk data")
                state = _CHUNK_SIZE
                continue
            # A line: chunk-size line or trailer line.
            nl = buf.find(b"\n", pos, end)
            is_size_line = state == _CHUNK_SIZE
            limit = self._max_line_size if is_size_line else self._max_field_size
            if nl < 0:
                if end - pos > limit + 1:
                    raise LineTooLong(
                        "chunk-size line" if is_size_line else "trailer line", limit
                    )
                break
            has_cr = nl > pos and buf[nl - 1] == 13
            line_end = nl - 1 if has_cr else nl
            if line_end - pos > limit:
                raise LineTooLong("chunk-size line" if is_size_line else "trailer line", limit)
            if not has_cr and not self._lax:
                raise TransferEncodingError("chunked body line ends with a bare LF")
            line = bytes(buf[pos:line_end])
            pos = nl + 1
            if b"\r" in line:
                raise TransferEncodingError("stray CR in a chunked body line")
            if is_size_line:
                match = _CHUNK_SIZE_RE.fullmatch(line)
                if match is None:
                    raise TransferEncodingError(f"invalid chunk-size line {line[:40]!r}")
                size = int(match.group(1), 16)
                if size > MAX_CONTENT_LENGTH:
                    raise TransferEncodingError("chunk size is too large")
                if size:
                    self._remaining = size
                    state = _CHUNK_DATA
                else:
                    state = _CHUNK_TRAILERS
                continue
            # Trailer section.
            if not line:
                state = _CHUNK_DONE
                trailers = self._trailers
                self._trailers = None
                if trailers:
                    events.append(EndOfMessage(CIMultiDictProxy(CIMultiDict(
                        [(_header_key(n), v.decode("utf-8", "surrogateescape")) for n, v in trailers]
                    ))))
                else:
                    events.append(_END_OF_MESSAGE)
                break
            if self._trailers is None:
                self._trailers = []
            if len(self._trailers) >= self._max_headers:
                raise BadHttpMessage(f"more than {self._max_headers} trailer lines")
            if line[0] in _OWS:
                raise InvalidHeader("obs-fold in a trailer line")
            self._trailers.append(
                _split_field(line, _BAD_RESPONSE_VALUE_RE if self._lax else _BAD_REQUEST_VALUE_RE)
            )
        self._state = state
        return pos

    def _reset(self) -> None:
        self._state = _CHUNK_SIZE
        self._remaining = 0
        self._trailers = None


def _split_field(line: bytes, bad_value: re.Pattern[bytes]) -> tuple[bytes, bytes]:
    """Split and check one `name: value` line; the value comes back stripped of OWS."""
    colon = line.find(b":")
    if colon < 0:
        raise InvalidHeader(f"header line without a colon: {line[:40]!r}")
    name = line[:colon]
    if not _TOKEN_RE.fullmatch(name):
        if not name:
            raise InvalidHeader("empty header name")
        raise InvalidHeader(f"invalid header name {name[:40]!r}")
    value = line[colon + 1 :].strip(_OWS)
    if bad_value.search(value) is not None:
        raise InvalidHeader(f"invalid character in the value of header {name[:40]!r}")
    return name, value


# ---------------------------------------------------------------------------------------------
# Messages

# _CLOSED: a message that ends the connection is complete; nothing more is parsed.
_HEAD, _BODY_LENGTH, _BODY_CHUNKED, _BODY_EOF, _UPGRADED, _CLOSED = range(6)


class _Framing:
    """What the framing headers of one head say (collected while parsing its lines)."""

    __slots__ = ("content_length", "transfer_encoding", "close", "keep_alive", "upgrade_token",
                 "has_upgrade", "content_encoding", "hosts", "set_cookie")

    def __init__(self) -> None:
        self.content_length: Optional[int] = None
        self.transfer_encoding: Optional[bytes] = None
        self.close = False
        self.keep_alive = False
        self.upgrade_token = False
        self.has_upgrade = False
        self.content_encoding: Optional[str] = None
        self.hosts = 0  # Host lines (RFC 9112 section 3.2: a request has exactly one)
        self.set_cookie = False  # a Set-Cookie line (a response's)


class _MessageParser:
    """What request and response parsers share: buffering, the head scan, bodies."""

    __slots__ = (
        "_max_line_size",
        "_max_field_size",
        "_max_headers",
        "_state",
        "_buf",
        "_scan",
        "_line_start",
        "_lines",
        "_remaining",
        "_chunked",
        "_upgrade_after",
        "_close_after",
        "_tail",
        "_failed",
    )

    _is_response = False

    def __init__(
        self,
        *,
        max_line_size: int = MAX_LINE_SIZE,
        max_field_size: int = MAX_FIELD_SIZE,
        max_headers: int = MAX_HEADERS,
        chunk_boundaries: bool = False,
    ) -> None:
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._state = _HEAD
        self._buf = bytearray()
        # Progress of the head scan, relative to the start of the buffered message.
        self._scan = 0
        self._line_start = 0
        self._lines = 0
        self._remaining = 0
        self._chunked = ChunkedDecoder(
            lax=self._is_response,
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            chunk_boundaries=chunk_boundaries,
        )
        self._upgrade_after = False
        # The message being read ends the connection (keep_alive False): once it is complete,
        # the parser is _CLOSED.
        self._close_after = False
        self._tail = b""
        self._failed: Optional[BadHttpMessage] = None

    @property
    def idle(self) -> bool:
        """Between messages with no byte of a next one buffered (and not failed): a client may
        reuse the connection; False when stray bytes followed the last message."""
        return self._state == _HEAD and not self._buf and self._failed is None

    @property
    def upgraded(self) -> bool:
        return self._state == _UPGRADED

    @property
    def closed(self) -> bool:
        """A message that ends the connection is complete: any further byte is an error."""
        return self._state == _CLOSED

    @property
    def tail(self) -> bytes:
        return self._tail

    def feed_data(self, data: Buffer) -> list[Event]:
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        if self._state == _UPGRADED:
            self._tail += data
            return []
        if self._buf:
            self._buf += data
            buf: _Buf = self._buf
        else:
            buf = data if type(data) is bytes else bytes(data)
        events: list[Event] = []
        try:
            pos = self._parse(buf, len(buf), events)
        except BadHttpMessage as exc:
            exc.events = events  # what this call completed before the error, for the caller
            self._failed = exc
            raise
        if self._state == _UPGRADED:
            self._tail = bytes(buf[pos:])
            self._buf = bytearray()
        elif pos:
            self._buf = bytearray(buf[pos:])
        elif buf is not self._buf:
            self._buf = bytearray(buf)
        return events

    def feed_eof(self) -> list[Event]:
        if self._failed is not None:
            self._failed.events = ()  # they were handed out with the first raise
            raise self._failed
        state = self._state
        if state == _HEAD:
            if self._buf:
                self._failed = BadHttpMessage(
                    "connection closed before the message head was complete"
                )
                raise self._failed
            return []
        if state == _BODY_LENGTH:
            self._failed = ContentLengthError(
                "Not enough data to satisfy content length header: "
                f"{self._remaining} more bytes were expected"
            )
            raise self._failed
        if state == _BODY_CHUNKED:
            self._failed = TransferEncodingError(
                "Not enough data to satisfy transfer length header: "
                "connection closed inside a chunked body"
            )
            raise self._failed
        if state == _BODY_EOF:
            self._state = _CLOSED  # a close-delimited body: the connection ended with it
            return [_END_OF_MESSAGE]
        return []

    def _parse(self, buf: _Buf, end: int, events: list[Event]) -> int:
        pos = 0
        while pos < end:
            state = self._state
            if state == _HEAD:
                pos = self._read_head(buf, pos, end, events)
                if pos < 0:
                    return -pos - 1  # incomplete head: keep from its start
            elif state == _BODY_LENGTH:
                take = self._remaining
                if take >= end - pos:
                    take = end - pos
                    events.append(buf if pos == 0 and type(buf) is bytes else bytes(buf[pos:end]))
                else:
                    events.append(bytes(buf[pos : pos + take]))
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._end_message(events)
            elif state == _BODY_CHUNKED:
                decoder = self._chunked
                pos = decoder._decode(buf, pos, end, events)
                if decoder._state == _CHUNK_DONE:
                    decoder._reset()
                    self._next_message()  # the decoder gave the EndOfMessage
                else:
                    return pos
            elif state == _BODY_EOF:
                events.append(buf if pos == 0 and type(buf) is bytes else bytes(buf[pos:end]))
                pos = end
            elif state == _CLOSED:
                # RFC 9112 §9.6: after a message that closes the connection nothing more is
                # read from it; a server must not answer what a client sent after it.
                raise BadHttpMessage(
                    "data after the message that ends the connection "
                    "(Connection: close, or HTTP/1.0 without keep-alive)"
                )
            else:  # _UPGRADED
                return pos
        return pos

    def _end_message(self, events: list[Event]) -> None:
        events.append(_END_OF_MESSAGE)
        if self._upgrade_after:  # _next_message, written out: this runs once per message
            self._upgrade_after = False
            self._state = _UPGRADED
        elif self._close_after:
            self._state = _CLOSED
        else:
            self._state = _HEAD

    def _next_message(self) -> None:
        """The state after a complete message: upgraded, closed, or ready for the next head."""
        if self._upgrade_after:
            self._upgrade_after = False
            self._state = _UPGRADED
        elif self._close_after:
            self._state = _CLOSED
        else:
            self._state = _HEAD

    def _read_head(self, buf: _Buf, start: int, end: int, events: list[Event]) -> int:
        """Scan lines from buf[start:]; parse the head once complete.

        Returns the position after the head, or -(start + 1) when the head is incomplete
        (then the scan progress is saved relative to `start`).
        """
        if self._scan == 0:
            # Fast path: the whole head is here, CRLF-only, within every limit.
            head_end = buf.find(b"\r\n\r\n", start, end)
            if head_end > start:
                block = bytes(buf[start : head_end + 4])
                head_lines = block.split(b"\r\n")
                crlfs = len(head_lines) - 1
                if (
                    head_lines[0]
                    and block.count(b"\n") == crlfs
                    and block.count(b"\r") == crlfs
                    and crlfs - 2 <= self._max_headers
                    and len(head_lines[0]) <= self._max_line_size
                    and (crlfs == 2 or max(map(len, head_lines[1:-2])) <= self._max_field_size)
                ):
                    del head_lines[-2:]
                    self._parse_head(block, head_lines, events)
                    return head_end + 4
        scan = start + self._scan
        line_start = start + self._line_start
        lines = self._lines
        while True:
            nl = buf.find(b"\n", scan, end)
            if nl < 0:
                limit = self._max_line_size if lines == 0 else self._max_field_size
                if end - line_start > limit + 1:
                    raise LineTooLong("start line" if lines == 0 else "header line", limit)
                self._scan = end - start
                self._line_start = line_start - start
                self._lines = lines
                return -start - 1
            length = nl - line_start
            if length and buf[nl - 1] == 13:
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
                raise BadHttpMessage(
                    f"more than {self._max_headers} header lines", code=431
                )
            line_start = scan = nl + 1
        self._scan = self._line_start = self._lines = 0
        head_end = nl + 1
        self._parse_head(bytes(buf[start:head_end]), None, events)
        return head_end

    def _split_lines(self, block: bytes) -> list[bytes]:
        """The head's lines without their endings, each line's ending and CRs checked."""
        crlf = block.count(b"\r\n")
        if block.count(b"\n") == crlf and block.count(b"\r") == crlf:
            return block.split(b"\r\n")[:-2]
        lines = block.split(b"\n")[:-2]
        checked = []
        for index, line in enumerate(lines):
            if line[-1:] == b"\r":
                line = line[:-1]
            elif not self._is_response:
                raise BadHttpMessage("line ends with a bare LF")
            if b"\r" in line:
                if index == 0:
                    raise BadHttpMessage("stray CR in the start line")
                raise InvalidHeader("stray CR in a header line")
            checked.append(line)
        # The empty line that ends the head has its own ending to check.
        if not self._is_response and not block.endswith(b"\r\n\r\n"):
            raise BadHttpMessage("line ends with a bare LF")
        return checked

    def _parse_fields(
        self, block: bytes, lines: list[bytes], framing: _Framing
    ) -> tuple[tuple[bytes, bytes], ...]:
        """The raw fields, checked; their multidict is built when first asked for (_Head.headers)."""
        quick = None
        if block.count(b"\r") == len(lines) + 1:  # CRLF-only: try the quick way
            quick = self._quick_fields(block, lines)
        if quick is not None:
            raw, framing_fields = quick
        else:
            raw = self._split_fields(lines)
            framing_fields = []
            for name, value in raw:
                key = _header_key(name)
                if key in _FRAMING_HEADERS:
                    framing_fields.append((key, value))
        # Framing is read once every line is known to be well formed (as the compiled twin,
        # which records a framing error and raises it after the last line).
        for key, value in framing_fields:
            if key is hdrs.HOST:
                framing.hosts += 1
            elif key is hdrs.SET_COOKIE:
                framing.set_cookie = True
            else:
                self._interpret(key, value, framing)
        return tuple(raw)

    def _quick_fields(self, block: bytes, lines: list[bytes]) -> Optional[
        tuple[list[tuple[bytes, bytes]], list[tuple[str, bytes]]]
    ]:
        """The header lines of a CRLF-only head, split with bytes methods, in one pass that
        also picks out the framing fields by their multidict key: the value rule is checked for the
        whole head at once, a name by the known-header table (or one translate). None as
        soon as anything is off, and _split_fields, line by line, then says what. (A regex
        over the section cost four times as much: its lazy value group tried the line end
        at every byte.)"""
        if self._is_response:
            if b"\x00" in block:  # CR and LF are only line ends here (the caller counted them)
                return None
        elif len(block) - len(block.translate(None, _REQUEST_CTL_BYTES)) != 2 * (len(lines) + 1):
            return None  # a control byte other than HTAB and the line ends
        known = _KNOWN_NAMES
        raw = []
        framing_fields = []
        for index in range(1, len(lines)):
            name, colon, value = lines[index].partition(b":")
            if not colon:
                return None
            key: Optional[str] = known.get(name)
            if key is None:
                if not name or name.translate(None, _TCHAR_BYTES):
                    return None
                key = _header_key(name)
            value = value.strip(_OWS)
            raw.append((name, value))
            if key in _FRAMING_HEADERS:
                framing_fields.append((key, value))
        return raw, framing_fields

    def _split_fields(self, lines: list[bytes]) -> list[tuple[bytes, bytes]]:
        """Header lines one by one: obs-fold joined, every line checked."""
        is_response = self._is_response
        bad_value = _BAD_RESPONSE_VALUE_RE if is_response else _BAD_REQUEST_VALUE_RE
        raw: list[tuple[bytes, bytes]] = []
        for i in range(1, len(lines)):
            line = lines[i]
            if line[0] in _OWS:  # obs-fold
                if not is_response:
                    raise InvalidHeader("obs-fold (a line starting with whitespace) in a request")
                if not raw:
                    raise InvalidHeader("the first header line starts with whitespace")
                cont = line.strip(_OWS)
                if bad_value.search(cont) is not None:
                    raise InvalidHeader("invalid character in a folded header value")
                name, prev = raw[-1]
                raw[-1] = (name, prev + b" " + cont if prev and cont else prev or cont)
                continue
            raw.append(_split_field(line, bad_value))
        return raw

    @staticmethod
    def _interpret(key: str, value: bytes, framing: _Framing) -> None:
        if key is hdrs.CONTENT_LENGTH:
            if framing.content_length is None and value.isdigit() and len(value) <= 18:
                framing.content_length = int(value)  # the usual one plain number (< 2**63)
                return
            for item in value.split(b","):
                item = item.strip(_OWS)
                if not item.isdigit() or len(item) > 19 or int(item) > MAX_CONTENT_LENGTH:
                    raise InvalidHeader(f"invalid Content-Length value {value[:40]!r}")
                length = int(item)
                if framing.content_length is not None and framing.content_length != length:
                    raise InvalidHeader("differing Content-Length values")
                framing.content_length = length
        elif key is hdrs.TRANSFER_ENCODING:
            if framing.transfer_encoding is None:
                framing.transfer_encoding = value
            else:
                framing.transfer_encoding += b"," + value
        elif key is hdrs.CONNECTION:
            if value == b"keep-alive":
                framing.keep_alive = True
                return
            for token in value.split(b","):
                token = token.strip(_OWS).lower()
                if token == b"close":
                    framing.close = True
                elif token == b"keep-alive":
                    framing.keep_alive = True
                elif token == b"upgrade":
                    framing.upgrade_token = True
        elif key is hdrs.UPGRADE:
            framing.has_upgrade = True
        elif key is hdrs.CONTENT_ENCODING:
            encoding = value.decode("latin-1").lower()
            if framing.content_encoding is None:
                framing.content_encoding = encoding
            else:
                framing.content_encoding += ", " + encoding

    def _transfer_chunked(self, framing: _Framing) -> bool:
        """Check Content-Length against Transfer-Encoding; return whether chunked is last."""
        te = framing.transfer_encoding
        if te is None:
            return False
        if framing.content_length is not None:
            raise BadHttpMessage("Content-Length and Transfer-Encoding are both present")
        codings = [c.strip(_OWS).lower() for c in te.split(b",")]
        if b"" in codings:
            raise TransferEncodingError(f"empty transfer coding in {te[:60]!r}")
        if codings.count(b"chunked") > 1:
            raise TransferEncodingError("chunked is applied more than once")
        if codings[-1] == b"chunked":
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

    def _parse_head(self, block: bytes, lines: Optional[list[bytes]], events: list[Event]) -> None:
        raise NotImplementedError


def _version(major: int, minor: int, line: bytes) -> HttpVersion:
    if major != 1:
        raise BadStatusLine(f"unsupported HTTP version in {line[:60]!r}")
    if minor == 1:
        return HttpVersion11
    if minor == 0:
        return HttpVersion10
    return HttpVersion(1, minor)


def _keep_alive(version: HttpVersion, framing: _Framing) -> bool:
    if framing.close:
        return False
    return version.minor >= 1 or framing.keep_alive


class HttpResponseParser(_MessageParser):
    """Reads responses; lenient where real servers are (bare LF, obs-fold)."""

    __slots__ = ("head_request",)

    _is_response = True

    def __init__(
        self,
        *,
        max_line_size: int = MAX_LINE_SIZE,
        max_field_size: int = MAX_FIELD_SIZE,
        max_headers: int = MAX_HEADERS,
        chunk_boundaries: bool = False,
    ) -> None:
        super().__init__(
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            chunk_boundaries=chunk_boundaries,
        )
        self.head_request = False

    def _parse_head(self, block: bytes, lines: Optional[list[bytes]], events: list[Event]) -> None:
        if lines is None:
            lines = self._split_lines(block)
        line = lines[0]
        if (
            len(line) < 12
            or line[:5] != b"HTTP/"
            or not 48 <= line[5] <= 57
            or line[6] != 46  # "."
            or not 48 <= line[7] <= 57
            or line[8] != 32
        ):
            raise BadStatusLine(f"invalid status line {line[:60]!r}")
        version = _version(line[5] - 48, line[7] - 48, line)
        code = line[9:12]
        if not code.isdigit():
            raise BadStatusLine(f"invalid status code in {line[:60]!r}")
        status = int(code)
        if status < 100:
            raise BadStatusLine(f"status code below 100 in {line[:60]!r}")
        if len(line) > 12:
            if line[12] != 32:
                raise BadStatusLine(f"invalid status line {line[:60]!r}")
            raw_reason = line[13:]
            if _BAD_REASON_RE.search(raw_reason) is not None:
                raise BadStatusLine(f"invalid character in the reason phrase {line[:60]!r}")
            reason = raw_reason.decode("utf-8", "surrogateescape")
        else:
            reason = ""
        framing = _Framing()
        raw_headers = self._parse_fields(block, lines, framing)
        chunked = self._transfer_chunked(framing)
        keep_alive = _keep_alive(version, framing)
        length = framing.content_length
        if status < 200 or status == 204 or status == 304 or self.head_request:
            body = _HEAD
        elif chunked:
            body = _BODY_CHUNKED
        elif framing.transfer_encoding is not None or length is None:
            body = _BODY_EOF
            keep_alive = False
        elif length:
            body = _BODY_LENGTH
        else:
            body = _HEAD
        upgrade = status == 101
        events.append(
            ResponseHead(
                version, status, reason, None, raw_headers, keep_alive, chunked, length,
                upgrade, framing.content_encoding, has_set_cookie=framing.set_cookie,
            )
        )
        if upgrade:
            events.append(_END_OF_MESSAGE)
            self._state = _UPGRADED
            return
        # An interim (1xx) response never ends the connection: the final one follows.
        self._close_after = not keep_alive and status >= 200
        self._state = body
        if body == _HEAD:
            self._end_message(events)
        elif body == _BODY_LENGTH:
            self._remaining = length  # type: ignore[assignment]


def _check_host_count(hosts: int, version: HttpVersion) -> None:
    """RFC 9112 section 3.2: more than one Host is refused in any request, none in HTTP/1.1
    (a server must answer 400; an absolute-form target does not excuse it)."""
    if hosts > 1:
        raise BadHttpMessage("more than one Host header")
    if hosts == 0 and version is HttpVersion11:
        raise BadHttpMessage("an HTTP/1.1 request without a Host header")


class HttpRequestParser(_MessageParser):
    """Reads requests, strictly: every smuggling shape is refused."""

    __slots__ = ("_require_host",)

    _is_response = False

    def __init__(
        self,
        *,
        max_line_size: int = MAX_LINE_SIZE,
        max_field_size: int = MAX_FIELD_SIZE,
        max_headers: int = MAX_HEADERS,
        chunk_boundaries: bool = False,
        require_host: bool = False,
    ) -> None:
        super().__init__(
            max_line_size=max_line_size, max_field_size=max_field_size,
            max_headers=max_headers, chunk_boundaries=chunk_boundaries,
        )
        self._require_host = require_host

    def _parse_head(self, block: bytes, lines: Optional[list[bytes]], events: list[Event]) -> None:
        if lines is None:
            lines = self._split_lines(block)
        line = lines[0]
        sp1 = line.find(b" ")
        if sp1 < 0:
            raise BadStatusLine(f"invalid request line {line[:60]!r}")
        raw_method = line[:sp1]
        if not _TOKEN_RE.fullmatch(raw_method):
            raise BadHttpMethod(f"invalid method in request line {line[:60]!r}")
        sp2 = line.find(b" ", sp1 + 1)
        if sp2 < 0:
            raise BadStatusLine(f"invalid request line {line[:60]!r}")
        raw_target = line[sp1 + 1 : sp2]
        if not raw_target or _BAD_TARGET_RE.search(raw_target) is not None:
            raise BadStatusLine(f"invalid request target in {line[:60]!r}")
        raw_version = line[sp2 + 1 :]
        if (
            len(raw_version) != 8
            or raw_version[:5] != b"HTTP/"
            or not 48 <= raw_version[5] <= 57
            or raw_version[6] != 46
            or not 48 <= raw_version[7] <= 57
        ):
            raise BadStatusLine(f"invalid HTTP version in request line {line[:60]!r}")
        version = _version(raw_version[5] - 48, raw_version[7] - 48, line)
        method = raw_method.decode("ascii")
        framing = _Framing()
        raw_headers = self._parse_fields(block, lines, framing)
        chunked = self._transfer_chunked(framing)  # framing errors first, as in responses
        if self._require_host and framing.hosts != 1:
            _check_host_count(framing.hosts, version)
        keep_alive = _keep_alive(version, framing)
        length = framing.content_length
        upgrade = method == "CONNECT" or (framing.upgrade_token and framing.has_upgrade)
        events.append(
            RequestHead(
                method, raw_target.decode("ascii"), version, None,
                raw_headers, keep_alive, chunked, length, upgrade, framing.content_encoding,
            )
        )
        self._upgrade_after = upgrade
        self._close_after = not keep_alive
        if chunked:
            self._state = _BODY_CHUNKED
        elif length:
            self._state = _BODY_LENGTH
            self._remaining = length
        else:
            self._end_message(events)
