"""Responses: StreamResponse (head, then written pieces), Response (a body), json_response.

Names, defaults and behaviour as aiohttp.web's. A Response's head and body leave in one
transport.write; a StreamResponse is sized if Content-Length is set, else chunked (HTTP/1.1) or
close-delimited (HTTP/1.0). Responses are compressed on request (enable_compression) with the
encoding the client accepts.
"""

from __future__ import annotations

import datetime
import json
import math
import time
import zlib
from email.utils import formatdate
from http import HTTPStatus
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Callable, Final, Iterator, MutableMapping, Optional, Union

from multidict import CIMultiDict

from .. import __version__, hdrs
from ..http import serialize_head, serialize_response_head
from ..http_types import HttpVersion10, HttpVersion11
from .conditional import ETAG_ANY, ETag, check_etag_value, parse_etags, parse_http_date
from .state_keys import ResponseKey, warn_str_key_once

if TYPE_CHECKING:
    from .request import Request

__all__ = ("StreamResponse", "Response", "json_response", "ContentCoding")

SERVER_SOFTWARE: Final = f"Python/3 fasthttp/{__version__}"
_TEXT_PLAIN_UTF8: Final = "text/plain; charset=utf-8"
_JSON_UTF8: Final = "application/json; charset=utf-8"
_REASONS: Final = {status.value: status.phrase for status in HTTPStatus}


class ContentCoding:
    deflate = "deflate"
    gzip = "gzip"
    identity = "identity"


class _DateCache:
    """The Date header changes once a second; format it once a second. `value` holds until
    `expires` (the next whole second), so the usual read is a time() call and a compare
    (written out in _send_whole)."""

    __slots__ = ("expires", "value")

    def __init__(self) -> None:
        self.expires = 0.0
        self.value = ""

    def get(self) -> str:
        now = time.time()
        if not 0.0 < self.expires - now <= 1.0:  # a new second (or the clock went back)
            second = int(now)
            self.expires = second + 1.0
            self.value = formatdate(second, usegmt=True)
        return self.value


_DATE = _DateCache()
# Status lines by HTTP version, then status: (line, its reason), used when the reason matches.
_STATUS_LINES: dict[Any, dict[int, tuple[str, str]]] = {}
_STATUS_LINES_11 = _STATUS_LINES.setdefault(HttpVersion11, {})  # the usual version's, at hand
_SEEN_STR_KEYS: set[Any] = set()  # the str state keys already warned about (once each)


class StreamResponse(MutableMapping[str, Any]):
    """A response written in pieces after prepare(); also a dict of the handler's own state
    (`response["key"]`), as aiohttp.web's is. Equal only to itself, hashable by identity."""

    __hash__ = object.__hash__
    __eq__ = object.__eq__

    _length_check = True

    # The state of a new response, as class attributes: a response sets on itself only what
    # differs (a handler builds one a request, and most of these never change).
    _status = 200
    _reason = ""
    # Built on first use (the `headers` property): a response whose headers nobody reads or
    # writes is sent without a multidict (see _send_whole).
    _headers: Optional[CIMultiDict[str]] = None
    _pending_type: Optional[str] = None  # Content-Type, while _headers is None
    # The fields a head sent without editing the headers added (_send_whole): put into them
    # when they are next read, as if they had been edited then.
    _unapplied: Optional[tuple[str, Optional[str], str, str, Optional[str]]] = None
    _cookies: Optional[SimpleCookie] = None
    _chunked = False
    _compression: Optional[str] = None  # None: off; "": best accepted; else forced
    _keep_alive: Optional[bool] = None
    _request: Optional["Request"] = None
    _prepared = False
    _eof_sent = False
    _body_length = 0
    _compressor: Any = None
    _send_chunked = False
    _no_body = False  # HEAD, 1xx, 204, 304: a head only; writes are dropped
    _state: Optional[dict[str, Any]] = None  # made on first use: most never use it

    def __init__(
        self,
        *,
        status: int = 200,
        reason: Optional[str] = None,
        headers: Any = None,
    ) -> None:
        if headers:
            self._headers = CIMultiDict(headers)
        if reason is None and type(status) is int:  # set_status, written out for the usual call
            self._status = status
            self._reason = _REASONS.get(status, "")
        else:
            self.set_status(status, reason)

    # --- state (MutableMapping) -----------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if self._state is None:
            raise KeyError(key)
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, ResponseKey):
            warn_str_key_once(key, _SEEN_STR_KEYS, "ResponseKey")
        if self._state is None:
            self._state = {}
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        if self._state is None:
            raise KeyError(key)
        del self._state[key]

    def __len__(self) -> int:
        return 0 if self._state is None else len(self._state)

    def __iter__(self) -> Iterator[str]:
        return iter(() if self._state is None else self._state)

    # --- status and headers -----------------------------------------------------------------

    @property
    def prepared(self) -> bool:
        return self._prepared

    @property
    def status(self) -> int:
        return self._status

    @property
    def reason(self) -> str:
        return self._reason

    def set_status(self, status: int, reason: Optional[str] = None) -> None:
        if self._prepared:
            raise RuntimeError("Cannot change the response status code after the headers have been sent")
        self._status = int(status)
        if reason is None:
            reason = _REASONS.get(self._status, "")
        elif "\r" in reason or "\n" in reason:
            raise ValueError("Reason cannot contain \\r or \\n")
        self._reason = reason

    @property
    def headers(self) -> "CIMultiDict[str]":
        headers = self._headers
        if headers is None or self._unapplied is not None:
            headers = self._build_headers()
        return headers

    def _build_headers(self) -> "CIMultiDict[str]":
        headers = self._headers
        if headers is None:
            headers = self._headers = CIMultiDict()
            if self._pending_type is not None:
                headers[hdrs.CONTENT_TYPE] = self._pending_type
                self._pending_type = None
        unapplied = self._unapplied
        if unapplied is not None:
            self._unapplied = None
            content_type, content_length, date, server, connection = unapplied
            headers.setdefault(hdrs.CONTENT_TYPE, content_type)
            if content_length is not None:
                headers[hdrs.CONTENT_LENGTH] = content_length
            headers.setdefault(hdrs.DATE, date)
            headers.setdefault(hdrs.SERVER, server)
            if connection is not None:
                headers[hdrs.CONNECTION] = connection
        return headers

    def _set_content_type(self, value: str) -> None:
        """Content-Type, without building the headers when there are none yet."""
        if self._headers is None:
            self._pending_type = value
        else:
            self.headers[hdrs.CONTENT_TYPE] = value

    @property
    def keep_alive(self) -> Optional[bool]:
        return self._keep_alive

    @property
    def body_length(self) -> int:
        """Bytes handed to the connection so far, head and framing included (aiohttp's)."""
        return self._body_length

    def force_close(self) -> None:
        self._keep_alive = False

    @property
    def chunked(self) -> bool:
        return self._chunked

    @property
    def compression(self) -> bool:
        return self._compression is not None

    def enable_chunked_encoding(self, chunk_size: Optional[int] = None) -> None:
        self._chunked = True
        if hdrs.CONTENT_LENGTH in self.headers:
            raise RuntimeError("You can't enable chunked encoding when a content length is set")

    def enable_compression(self, force: Optional[str] = None, strategy: Any = None) -> None:
        self._compression = force or ""

    @property
    def cookies(self) -> SimpleCookie:
        if self._cookies is None:
            self._cookies = SimpleCookie()
        return self._cookies

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        expires: Optional[str] = None,
        domain: Optional[str] = None,
        max_age: Optional[Union[int, str]] = None,
        path: str = "/",
        secure: Optional[bool] = None,
        httponly: Optional[bool] = None,
        version: Optional[str] = None,
        samesite: Optional[str] = None,
    ) -> None:
        cookies = self.cookies
        cookies[name] = value
        morsel = cookies[name]
        if expires is not None:
            morsel["expires"] = expires
        if domain is not None:
            morsel["domain"] = domain
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        morsel["path"] = path
        if secure is not None:
            morsel["secure"] = secure
        if httponly is not None:
            morsel["httponly"] = httponly
        if version is not None:
            morsel["version"] = version
        if samesite is not None:
            morsel["samesite"] = samesite

    def del_cookie(self, name: str, *, domain: Optional[str] = None, path: str = "/") -> None:
        self.cookies.pop(name, None)
        self.set_cookie(
            name, "", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT", domain=domain, path=path
        )

    @property
    def content_length(self) -> Optional[int]:
        value = self.headers.get(hdrs.CONTENT_LENGTH)
        return int(value) if value is not None else None

    @content_length.setter
    def content_length(self, value: Optional[int]) -> None:
        if value is None:
            self.headers.popall(hdrs.CONTENT_LENGTH, None)
        else:
            if self._chunked:
                raise RuntimeError("You can't set content length when chunked encoding is enable")
            self.headers[hdrs.CONTENT_LENGTH] = str(int(value))

    @property
    def content_type(self) -> str:
        raw = self.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
        return raw.split(";", 1)[0].strip()

    @content_type.setter
    def content_type(self, value: str) -> None:
        charset = self.charset
        self.headers[hdrs.CONTENT_TYPE] = f"{value}; charset={charset}" if charset else str(value)

    @property
    def charset(self) -> Optional[str]:
        raw = self.headers.get(hdrs.CONTENT_TYPE, "")
        for part in raw.split(";")[1:]:
            key, _, val = part.strip().partition("=")
            if key.lower() == "charset":
                return val.strip('"').lower()
        return None

    @charset.setter
    def charset(self, value: Optional[str]) -> None:
        ctype = self.content_type
        if ctype == "application/octet-stream" and hdrs.CONTENT_TYPE not in self.headers:
            raise RuntimeError("Setting charset for application/octet-stream doesn't make sense, setup content_type first")
        self.headers[hdrs.CONTENT_TYPE] = f"{ctype}; charset={value.lower()}" if value else ctype

    @property
    def last_modified(self) -> Optional[datetime.datetime]:
        """Last-Modified as an aware datetime (None when absent or not a date)."""
        return parse_http_date(self.headers.get(hdrs.LAST_MODIFIED))

    @last_modified.setter
    def last_modified(self, value: Union[int, float, datetime.datetime, str, None]) -> None:
        # As aiohttp: a timestamp or a datetime is rounded up to the next whole second (the
        # header has no fractions, and rounding down would claim an older file).
        if value is None:
            self.headers.pop(hdrs.LAST_MODIFIED, None)
        elif isinstance(value, (int, float)):
            self.headers[hdrs.LAST_MODIFIED] = formatdate(math.ceil(value), usegmt=True)
        elif isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.timezone.utc)
            stamp = value.timestamp()
            self.headers[hdrs.LAST_MODIFIED] = formatdate(math.ceil(stamp), usegmt=True)
        elif isinstance(value, str):
            self.headers[hdrs.LAST_MODIFIED] = value
        else:
            raise TypeError(f"Unsupported type for last_modified: {type(value).__name__}")

    @property
    def etag(self) -> Optional[ETag]:
        """The ETag header as an ETag (None when absent or malformed)."""
        raw = self.headers.get(hdrs.ETAG)
        if not raw:
            return None
        if raw == ETAG_ANY:
            return ETag(ETAG_ANY)
        tags = parse_etags(raw)
        if not tags or len(tags) != 1 or tags[0].value == ETAG_ANY:
            return None
        return tags[0]

    @etag.setter
    def etag(self, value: Union[ETag, str, None]) -> None:
        if value is None:
            self.headers.pop(hdrs.ETAG, None)
            return
        if isinstance(value, str):
            value = ETag(value)
        elif not isinstance(value, ETag) or not isinstance(value.value, str):
            raise ValueError(f"Unsupported etag type: {type(value)}. etag must be str, ETag or None")
        if value.value == ETAG_ANY:
            self.headers[hdrs.ETAG] = ETAG_ANY
            return
        check_etag_value(value.value)
        self.headers[hdrs.ETAG] = f'W/"{value.value}"' if value.is_weak else f'"{value.value}"'

    # --- writing -------------------------------------------------------------------------------

    def _choose_coding(self, request: "Request") -> Optional[str]:
        if self._compression is None:
            return None
        if self._compression:
            return self._compression
        accept = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
        for coding in ("gzip", "deflate"):
            if coding in accept:
                return coding
        return None

    def _head_bytes(self, request: "Request", body_length: Optional[int]) -> bytes:
        headers = self.headers
        version = request.version
        keep_alive = self._keep_alive
        if keep_alive is None:  # the connection may be closing already (413, shutdown): say so
            keep_alive = request.keep_alive and not request._protocol._close_after
        self._keep_alive = keep_alive
        coding = self._choose_coding(request) if self._compression is not None else None
        if coding is not None and coding != ContentCoding.identity:
            headers[hdrs.CONTENT_ENCODING] = coding
            headers.popall(hdrs.CONTENT_LENGTH, None)
            body_length = None
            wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
            self._compressor = zlib.compressobj(wbits=wbits)
            vary = headers.get(hdrs.VARY)
            if vary is None:
                headers[hdrs.VARY] = "Accept-Encoding"
        if body_length is not None and not self._chunked:
            headers[hdrs.CONTENT_LENGTH] = str(body_length)
        elif hdrs.CONTENT_LENGTH not in headers or self._chunked:
            if self._status in (204, 304) or self._status < 200 or request.method == "HEAD":
                pass  # no body follows, so no framing either
            elif version >= (1, 1):
                headers.popall(hdrs.CONTENT_LENGTH, None)
                headers[hdrs.TRANSFER_ENCODING] = "chunked"
                self._send_chunked = True
            else:
                keep_alive = self._keep_alive = False  # close-delimited
        headers.setdefault(hdrs.CONTENT_TYPE, "application/octet-stream")
        if hdrs.DATE not in headers:
            headers[hdrs.DATE] = _DATE.get()
        headers.setdefault(hdrs.SERVER, SERVER_SOFTWARE)
        if keep_alive:
            if version == HttpVersion10:
                headers[hdrs.CONNECTION] = "keep-alive"
        else:
            if version >= (1, 1):
                headers[hdrs.CONNECTION] = "close"
        if self._cookies:
            for cookie in self._cookies.values():
                headers.add(hdrs.SET_COOKIE, cookie.output(header="")[1:])
        # serialize_head refuses a name that is not a token and any control character but HTAB
        # in the status line or a value (header injection): the caller answers 500 instead.
        return serialize_head(f"HTTP/{version[0]}.{version[1]} {self._status} {self._reason}", headers)

    async def prepare(self, request: "Request") -> Any:
        if self._eof_sent:
            return None
        if self._prepared:
            return None
        self._request = request
        for callback in request._app_on_response_prepare():
            await callback(request, self)
        self._prepared = True
        status = self._status
        self._no_body = request.method == "HEAD" or status in (204, 304) or status < 200
        head = self._head_bytes(request, None)
        request._response_started = True
        request._protocol.write(head)
        self._body_length = len(head)
        return None

    async def write(self, data: Union[bytes, bytearray, memoryview]) -> None:
        if not self._prepared:
            raise RuntimeError("Response has not been started")
        if self._eof_sent:
            raise RuntimeError("Cannot call write() after write_eof()")
        if not data:
            return
        await self._write_body(bytes(data))

    async def _write_body(self, data: bytes) -> None:
        assert self._request is not None
        protocol = self._request._protocol
        if self._no_body:
            return
        if self._compressor is not None:
            data = self._compressor.compress(data)
            if not data:
                return
        if self._send_chunked:
            data = b"%x\r\n%b\r\n" % (len(data), data)
        self._body_length += len(data)
        protocol.write(data)
        await protocol.drain()

    async def write_eof(self, data: bytes = b"") -> None:
        if self._eof_sent:
            return
        if not self._prepared:
            raise RuntimeError("Response has not been started")
        assert self._request is not None
        protocol = self._request._protocol
        if data:
            await self.write(data)
        if self._compressor is not None and not self._no_body:
            tail = self._compressor.flush()
            if tail:
                if self._send_chunked:
                    tail = b"%x\r\n%b\r\n" % (len(tail), tail)
                self._body_length += len(tail)
                protocol.write(tail)
        if self._send_chunked:
            protocol.write(b"0\r\n\r\n")
            self._body_length += 5
        self._eof_sent = True
        await protocol.drain()

    def __repr__(self) -> str:
        info = "eof" if self._eof_sent else ("not prepared" if not self._prepared else "prepared")
        return f"<{type(self).__name__} {self._reason} {info}>"

    def __bool__(self) -> bool:
        return True


class Response(StreamResponse):
    """A response with its whole body: `body` (bytes) or `text` (str)."""

    def __init__(
        self,
        *,
        body: Any = None,
        status: int = 200,
        reason: Optional[str] = None,
        text: Optional[str] = None,
        headers: Any = None,
        content_type: Optional[str] = None,
        charset: Optional[str] = None,
        zlib_executor_size: Optional[int] = None,
        zlib_executor: Any = None,
    ) -> None:
        if (
            headers is None and reason is None and charset is None and type(status) is int
            and (content_type is None or content_type == "application/json")
        ):
            # The usual handler's answer, Response(text=...), json_response(...) or
            # Response(body=b"..."): what StreamResponse.__init__ and the general path below
            # would do, written out (a response a request).
            if type(text) is str and body is None:
                self._status = status
                self._reason = _REASONS.get(status, "")
                self._pending_type = _TEXT_PLAIN_UTF8 if content_type is None else _JSON_UTF8
                self._body: Optional[bytes] = text.encode("utf-8")
                return
            if type(body) is bytes and text is None and content_type is None:
                self._status = status
                self._reason = _REASONS.get(status, "")
                self._body = body
                return
        if body is not None and text is not None:
            raise ValueError("body and text are not allowed together")
        StreamResponse.__init__(self, status=status, reason=reason, headers=headers)
        if content_type is not None and "charset" in content_type:
            raise ValueError("charset must not be in content_type argument")
        given_headers = self._headers
        has_type = given_headers is not None and hdrs.CONTENT_TYPE in given_headers
        if text is not None:
            if not isinstance(text, str):
                raise TypeError(f"text argument must be str ({type(text)!r})")
            if has_type:
                if content_type or charset:
                    raise ValueError("passing both Content-Type header and content_type or charset params is forbidden")
            elif content_type is None and charset is None:
                if given_headers is None:
                    self._pending_type = _TEXT_PLAIN_UTF8  # _set_content_type, written out
                else:
                    given_headers[hdrs.CONTENT_TYPE] = _TEXT_PLAIN_UTF8
            else:
                self._set_content_type(f"{content_type or 'text/plain'}; charset={charset or 'utf-8'}")
            body = text.encode(charset or "utf-8")
        else:
            if has_type:
                if content_type is not None or charset is not None:
                    raise ValueError("passing both Content-Type header and content_type or charset params is forbidden")
            elif content_type is not None:
                self._set_content_type(f"{content_type}; charset={charset}" if charset else content_type)
        self._body = None
        if type(body) is bytes:
            self._body = body  # the body setter, written out for the usual case
        else:
            self.body = body

    @property
    def body(self) -> Optional[bytes]:
        return self._body

    @body.setter
    def body(self, body: Any) -> None:
        if body is None:
            self._body = None
        elif isinstance(body, (bytes, bytearray, memoryview)):
            self._body = bytes(body)
        elif isinstance(body, str):
            # As aiohttp.web: a str body is text; without a Content-Type it becomes
            # text/plain; charset=utf-8, and one already there is left as it is. It is
            # encoded in the charset that Content-Type names, else UTF-8 (aiohttp encodes
            # UTF-8 whatever the header declares). `body` then reads back as the encoded
            # bytes (aiohttp hands out its internal StringPayload object).
            if hdrs.CONTENT_TYPE not in self.headers:
                self.headers[hdrs.CONTENT_TYPE] = _TEXT_PLAIN_UTF8
            self._body = body.encode(self.charset or "utf-8")
        else:
            raise TypeError(f"body argument must be bytes or str ({type(body)!r})")

    @property
    def text(self) -> Optional[str]:
        if self._body is None:
            return None
        return self._body.decode(self.charset or "utf-8")

    @text.setter
    def text(self, text: str) -> None:
        if self.content_type == "application/octet-stream" and hdrs.CONTENT_TYPE not in self.headers:
            self.headers[hdrs.CONTENT_TYPE] = "text/plain; charset=utf-8"
        self._body = text.encode(self.charset or "utf-8")

    @property
    def content_length(self) -> Optional[int]:
        if self._chunked:
            return None
        if hdrs.CONTENT_LENGTH in self.headers:
            return int(self.headers[hdrs.CONTENT_LENGTH])
        return len(self._body) if self._body is not None else 0

    @content_length.setter
    def content_length(self, value: Optional[int]) -> None:
        raise RuntimeError("Content length is set automatically")

    async def prepare(self, request: "Request") -> Any:
        """Send head and body together, in one write."""
        if self._eof_sent or self._prepared:
            return None
        self._request = request
        callbacks = request._app_on_response_prepare()
        if callbacks:
            for callback in callbacks:
                await callback(request, self)
        self._send_whole(request)
        protocol = request._protocol
        if protocol._write_paused:
            await protocol.drain()
        return None

    def _send_whole(self, request: "Request") -> None:
        """Head and body out in one write, without awaiting: the server calls this directly
        for a plain Response when no on_response_prepare callback could want a turn."""
        self._request = request
        self._prepared = True
        body = self._body or b""
        status = self._status
        request_head = request._head
        no_body = request_head.method == "HEAD" or status in (204, 304) or status < 200
        if self._compression is None and not self._chunked and not self._cookies:
            # The usual response: _head_bytes in one call to the response-head serializer,
            # which adds Content-Length, Content-Type, Date, Server and Connection itself;
            # the headers are not edited (nor built, when nobody touched them): the fields
            # added are recorded in _unapplied, put in when the headers are next read.
            version = request_head.version
            keep_alive = self._keep_alive
            if keep_alive is None:  # the connection may be closing already (413, shutdown): say so
                keep_alive = self._keep_alive = (
                    request_head.keep_alive
                    and not (request_head.chunked and version is HttpVersion10)  # request.keep_alive
                    and not request._protocol._close_after
                )
            reason = self._reason
            if version is HttpVersion11:
                connection = None if keep_alive else "close"
                lines = _STATUS_LINES_11
            else:
                if keep_alive:
                    connection = "keep-alive" if version == HttpVersion10 else None
                else:
                    connection = "close" if version >= (1, 1) else None
                lines = _STATUS_LINES.get(version) or _STATUS_LINES.setdefault(version, {})
            status_line = lines.get(status)
            if status_line is None or status_line[1] != reason:
                status_line = (f"HTTP/{version[0]}.{version[1]} {status} {reason}", reason)
                if len(lines) < 256:
                    lines[status] = status_line
            content_type = self._pending_type
            if content_type is None:
                content_type = "application/octet-stream"
            content_length = str(len(body))
            date = _DATE.value if 0.0 < _DATE.expires - time.time() <= 1.0 else _DATE.get()
            head = serialize_response_head(
                status_line[0], self._headers, content_type, content_length, date, SERVER_SOFTWARE,
                connection,
            )
            self._unapplied = (content_type, content_length, date, SERVER_SOFTWARE, connection)
        else:
            head = self._head_bytes(request, None if self._chunked else len(body))
            if self._compressor is not None and body and not no_body:
                body = self._compressor.compress(body) + self._compressor.flush()
                self._compressor = None
                if self._send_chunked:
                    body = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n"
            elif self._send_chunked and not no_body:
                body = (b"%x\r\n%b\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
        if no_body:
            body = b""
        request._response_started = True
        protocol = request._protocol
        self._body_length = len(head) + len(body)
        if len(body) < 65536:
            protocol.write(head + body)
        else:
            protocol.write(head)
            protocol.write(body)
        self._eof_sent = True

    async def write_eof(self, data: bytes = b"") -> None:
        return None


_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_encode_default = json.JSONEncoder().default  # raises "Object of type X is not JSON serializable"


def _dumps_default(data: Any) -> str:
    """json.dumps(data) with its default arguments, minus three Python frames per call.

    json.dumps builds the same C encoder on every call; building it here directly gives the
    identical text. The markers dict (circular-reference check) must be new for each call: a
    failed encoding can leave entries behind.
    """
    if _c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        return json.dumps(data)
    encode = _c_make_encoder(
        {}, _encode_default, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return "".join(encode(data, 0))


_NO_DATA: Any = object()  # json_response(None) is the JSON `null`, as in aiohttp


def json_response(
    data: Any = _NO_DATA,
    *,
    text: Optional[str] = None,
    body: Optional[bytes] = None,
    status: int = 200,
    reason: Optional[str] = None,
    headers: Any = None,
    content_type: str = "application/json",
    dumps: Callable[[Any], str] = json.dumps,
) -> Response:
    if data is not _NO_DATA:
        if text or body:
            raise ValueError("only one of data, text, or body should be specified")
        text = _dumps_default(data) if dumps is json.dumps else dumps(data)
    return Response(
        text=text, body=body, status=status, reason=reason, headers=headers,
        content_type=content_type,
    )

