"""ClientResponse: what a request returns (aiohttp 3.x's attributes and methods).

The body is `content`, a flow-controlled StreamReader. The connection goes back to the pool the
moment the body has been received in full, so reading a small response costs no extra step;
`release()` (or leaving `async with`) before that closes the connection instead, since a
half-read connection cannot carry another request.

A body that came whole with its head (the usual small answer) is handed over as bytes: `read()`
returns them as they are, and `content` is made only when asked for, as a FinishedStreamReader
holding what read() has not taken. The headers multidict is the head's, built on first access.
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import json as json_module
import re
import warnings
from http.cookies import SimpleCookie
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Callable, Final, Mapping, Optional, Union

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from . import hdrs
from .client_exceptions import (
    ClientConnectionError,
    ClientResponseError,
    ContentTypeError,
    RequestInfo,
)
from .cookie_parsing import parse_set_cookie_headers
from .http_types import HttpVersion
from .streams import FinishedStreamReader, StreamReader

if TYPE_CHECKING:
    from .connector import Connection
    from .http import ResponseHead

__all__ = ("ClientResponse", "parse_mimetype", "MimeType")

_JSON_RE: Final = re.compile(r"^application/(?:[\w.+-]+?\+)?json")


class MimeType:
    """A parsed Content-Type: type, subtype, suffix and parameters."""

    __slots__ = ("type", "subtype", "suffix", "parameters")

    def __init__(self, type: str, subtype: str, suffix: str, parameters: "MultiDictProxy[str]") -> None:
        self.type = type
        self.subtype = subtype
        self.suffix = suffix
        self.parameters = parameters


@functools.lru_cache(maxsize=512)
def parse_mimetype(mimetype: str) -> MimeType:
    """`text/html; charset=utf-8` -> MimeType("text", "html", "", {"charset": "utf-8"})."""
    if not mimetype:
        return MimeType("", "", "", MultiDictProxy(MultiDict()))
    parts = mimetype.split(";")
    params: MultiDict[str] = MultiDict()
    for item in parts[1:]:
        if not item:
            continue
        key, _, value = item.partition("=")
        params.add(key.lower().strip(), value.strip(' "'))
    fulltype = parts[0].strip().lower()
    if fulltype == "*":
        fulltype = "*/*"
    mtype, _, stype = fulltype.partition("/")
    stype, _, suffix = stype.partition("+")
    return MimeType(mtype, stype, suffix, MultiDictProxy(params))


def _expected_content_type(actual: str, expected: str) -> bool:
    if expected == "application/json":
        return _JSON_RE.match(actual) is not None
    return expected in actual


class ClientResponse:
    """The status, headers and body stream of a response."""

    # Inside `async with`: raise_for_status() leaves the release to __aexit__, so the handler
    # of the error can still read the body (aiohttp's rule). A class default: no per-request
    # cost for responses never used as a context manager.
    _in_context = False
    # What most responses never change, as class defaults (set per response only when they do).
    _request_info: Optional[RequestInfo] = None
    _body: Optional[bytes] = None
    _cookies: Optional[SimpleCookie] = None
    _released = False
    # The task still sending a streamed request body, if any.
    _writer: Optional["asyncio.Task[None]"] = None
    # The request's tracing hooks (on_response_chunk_received is sent by read()), if any.
    _traces: Optional[Any] = None
    # The body stream, once there is one (see `content`).
    _content: Optional[StreamReader] = None
    # A body that came whole with its head, taken by neither read() nor a stream yet.
    _whole: Optional[bytes] = None
    _url: Optional[URL] = None

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        head: "ResponseHead",
        content: Union[StreamReader, bytes],
        connection: "Optional[Connection]",
        request_info: Optional[RequestInfo] = None,
        request_headers: "Optional[CIMultiDict[str]]" = None,
        history: tuple["ClientResponse", ...],
        resolve_charset: Optional[Callable[["ClientResponse", bytes], str]] = None,
    ) -> None:
        self.method = method
        self._real_url = url  # (url, without its fragment, is worked out when asked for)
        self._head = head
        self.status = head.status
        self.reason = head.reason
        self.version: HttpVersion = head.version
        self._connection = connection
        # RequestInfo is built when asked for (most responses never are): until then the
        # request's headers are kept, as aiohttp's RequestInfo keeps a view of them.
        if request_info is not None:
            self._request_info = request_info
        self._request_headers = request_headers
        self._history = history
        # The session's fallback_charset_resolver, handed down with the request.
        self._resolve_charset = resolve_charset
        self._closed = connection is None
        if isinstance(content, bytes):
            self._whole = content  # (its connection was released when it came)
        else:
            self._content = content
            if connection is not None and not head.upgrade:
                content.on_eof(self._on_body_end)

    @property
    def content(self) -> StreamReader:
        """The body as a stream (aiohttp's `resp.content`)."""
        content = self._content
        if content is None:
            body = self._whole
            self._whole = None
            content = self._content = FinishedStreamReader(body or b"")
        return content

    @content.setter
    def content(self, value: StreamReader) -> None:
        self._content = value
        self._whole = None

    # --- the connection ----------------------------------------------------------------------

    def _on_body_end(self) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            connection.release()
        self._closed = True

    @property
    def connection(self) -> "Optional[Connection]":
        return self._connection

    def release(self) -> Any:
        """Give the connection back (closed if the body was not fully received, or failed)."""
        # A body that failed while being read (max_decompressed_size, a decoding error) may
        # have left the connection anywhere: it is closed, never pooled.
        content = self._content
        failed = content is not None and content.exception() is not None
        if not self._released:
            self._released = True
            if content is not None or self._whole is not None:  # (else read() took it all)
                self._cut_body()
        connection = self._connection
        if connection is not None:
            self._connection = None
            if failed:
                connection.close()
            else:
                connection.release()
        self._closed = True
        return _NOOP

    def close(self) -> None:
        """Close the connection whatever its state."""
        if not self._released:
            self._released = True
            self._cut_body()
        connection = self._connection
        if connection is not None:
            self._connection = None
            connection.close()
        self._closed = True

    def _cut_body(self) -> None:
        """The body was not fully read: reading on must fail (aiohttp's "Connection closed"),
        not return the part that happened to arrive, nor what arrived but was never read (an
        exception is made only then: a body read to its end costs nothing here)."""
        content = self._content
        if content is None:
            if self._whole is None:
                return  # read() took the whole body
            content = self.content  # a whole body never read fails like a streamed one
        if not content.at_eof() and content.exception() is None:
            content.set_exception(ClientConnectionError("Connection closed"))

    @property
    def closed(self) -> bool:
        return self._closed

    async def wait_for_close(self) -> None:
        """Wait for the request body to be sent, then release."""
        writer = self._writer
        if writer is not None:
            self._writer = None
            try:
                await writer
            except asyncio.CancelledError:
                # The writer is stopped when its connection closes (an early answer); only a
                # cancellation of this task itself goes on.
                task = asyncio.current_task()
                cancelling = getattr(task, "cancelling", None)  # Python 3.11+
                if cancelling is not None and cancelling():
                    raise
            except Exception:
                pass  # its failure already reached the response
        self.release()

    def __del__(self, _warnings: Any = warnings) -> None:
        if getattr(self, "_connection", None) is None:
            return
        connection = self._connection
        self._connection = None
        if connection is not None:
            connection.close()
            _warnings.warn(f"Unclosed response {self!r}", ResourceWarning, source=self)

    async def __aenter__(self) -> "ClientResponse":
        self._in_context = True
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._in_context = False
        self.release()
        if self._writer is not None or type(self).wait_for_close is not ClientResponse.wait_for_close:
            await self.wait_for_close()  # a request body still being sent (or an override)

    # --- properties ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>\n{self.headers!r}\n"

    @property
    def url(self) -> URL:
        url = self._url
        if url is None:
            real = self._real_url
            url = self._url = real.with_fragment(None) if real.raw_fragment else real
        return url

    @property
    def real_url(self) -> URL:
        return self._real_url

    @property
    def host(self) -> str:
        return self.url.host or ""

    @property
    def headers(self) -> "CIMultiDictProxy[str]":
        return self._head.headers

    # The name aiohttp's ClientResponse keeps its headers under (code written against it, and
    # the session, read it).
    _headers = headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        return self._head.raw_headers

    @property
    def _sets_cookies(self) -> bool:
        """A Set-Cookie field is present (the session's check before it builds the headers)."""
        return bool(self._head.has_set_cookie)

    @property
    def request_info(self) -> RequestInfo:
        info = self._request_info
        if info is None:
            headers = self._request_headers
            info = self._request_info = RequestInfo(
                self._real_url, self.method,
                CIMultiDictProxy(headers if headers is not None else CIMultiDict()),
                self._real_url,
            )
        return info

    @property
    def history(self) -> tuple["ClientResponse", ...]:
        return self._history

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def cookies(self) -> SimpleCookie:
        """The cookies this response sets, read by the jar's parser (as aiohttp 3.14 does):
        SimpleCookie.load() would drop a cookie named like an attribute ("path", "secure")
        and give up on the rest of a field it cannot parse. Invalid fields are skipped."""
        if self._cookies is None:
            cookies = SimpleCookie()
            fields = self._headers.getall(hdrs.SET_COOKIE, ())
            if fields:
                dict.update(cookies, parse_set_cookie_headers(fields))
            self._cookies = cookies
        return self._cookies

    @property
    def content_type(self) -> str:
        raw = self._headers.get(hdrs.CONTENT_TYPE)
        if raw is None:
            return "application/octet-stream"
        mime = parse_mimetype(raw)
        return f"{mime.type}/{mime.subtype}" if mime.subtype else mime.type

    @property
    def charset(self) -> Optional[str]:
        raw = self._headers.get(hdrs.CONTENT_TYPE)
        if raw is None:
            return None
        return parse_mimetype(raw).parameters.get("charset")

    @property
    def content_disposition(self) -> Optional[Mapping[str, str]]:
        raw = self._headers.get(hdrs.CONTENT_DISPOSITION)
        if raw is None:
            return None
        params = parse_mimetype("x/x;" + raw.partition(";")[2]).parameters
        return MappingProxyType(dict(params))

    @property
    def content_length(self) -> Optional[int]:
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        if value is None or not value.isdigit():
            return None
        return int(value)

    @property
    def links(self) -> "MultiDictProxy[MultiDictProxy[Any]]":
        links: MultiDict[MultiDictProxy[Any]] = MultiDict()
        for value in self._headers.getall(hdrs.LINK, ()):
            for item in re.split(r",(?=\s*<)", value):
                match = re.match(r"\s*<(.*)>(.*)", item)
                if match is None:
                    continue
                url, params_str = match.groups()
                link: MultiDict[Any] = MultiDict()
                for param in params_str.split(";"):
                    key, _, val = param.partition("=")
                    if key.strip():
                        link.add(key.strip().lower(), val.strip().strip('"'))
                key = link.get("rel", url)
                link.add("url", self.url.join(URL(url)))
                links.add(str(key), MultiDictProxy(link))
        return MultiDictProxy(links)

    def get_encoding(self) -> str:
        raw = self._headers.get(hdrs.CONTENT_TYPE, "")
        mime = parse_mimetype(raw)
        encoding = mime.parameters.get("charset")
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                pass
            else:
                return encoding
        if mime.type == "application" and mime.subtype in ("json", "rdap"):
            return "utf-8"  # RFC 7159 and RFC 7483
        if self._body is None:
            raise RuntimeError("Cannot compute fallback encoding of a not yet read body")
        resolver = self._resolve_charset
        if resolver is None:
            return "utf-8"
        return str(resolver(self, self._body))

    def raise_for_status(self) -> None:
        if self.status >= 400:
            if not self._in_context:
                self.release()  # inside `async with`, __aexit__ releases as the error goes by
            raise ClientResponseError(
                self.request_info,
                self._history,
                status=self.status,
                message=self.reason,
                headers=self._headers,
            )

    # --- the body --------------------------------------------------------------------------------

    async def read(self) -> bytes:
        """The whole body (kept, so later calls return it again, until the response is
        released: text() and json() still use the kept body then, read() raises).

        With a Content-Encoding being decoded and a `max_decompressed_size` set (on the
        session or the request: fasthttp's extension over aiohttp, off by default), a body
        that decodes to more than that raises `ClientDecompressedSizeError` (a
        `ClientPayloadError`) as soon as it gets there, having held at most that much plus
        one read buffer; the connection is closed. `text()` and `json()` read through here.
        """
        if self._released:
            # As aiohttp: after release(), close() or leaving `async with`, read() raises
            # ClientConnectionError("Connection closed"), even for a body read before (or the
            # error that cut the body short, if one did).
            content = self._content
            error = content.exception() if self._body is None and content is not None else None
            raise error if error is not None else ClientConnectionError("Connection closed")
        if self._body is None:
            try:
                body = self._whole
                if body is not None:
                    self._whole = None  # read() takes it: a stream made later is at its end
                else:
                    content = self.content
                    body = content._read_all_if_ended()
                    if body is None:
                        body = await content.read()
                self._body = body
                if self._traces is not None:
                    for trace in self._traces:
                        await trace.send_response_chunk_received(self.method, self.url, self._body)
            except BaseException:
                self.close()
                raise
        return self._body

    async def text(self, encoding: Optional[str] = None, errors: str = "strict") -> str:
        body = self._body if self._body is not None else await self.read()
        if encoding is None:
            encoding = self.get_encoding()
        return body.decode(encoding, errors=errors)

    async def json(
        self,
        *,
        encoding: Optional[str] = None,
        loads: Callable[[str], Any] = json_module.loads,
        content_type: Optional[str] = "application/json",
    ) -> Any:
        body = self._body if self._body is not None else await self.read()
        if content_type:
            actual = self._headers.get(hdrs.CONTENT_TYPE, "").lower()
            if not _expected_content_type(actual, content_type):
                raise ContentTypeError(
                    self.request_info,
                    self._history,
                    status=self.status,
                    message=f"Attempt to decode JSON with unexpected mimetype: {actual}",
                    headers=self._headers,
                )
        stripped = body.strip()
        if not stripped:
            return None
        if encoding is None:
            encoding = self.get_encoding()
        return loads(stripped.decode(encoding))


class _noop:
    """What release() returns: awaitable for code written `await resp.release()`."""

    __slots__ = ()

    def __await__(self) -> Any:
        return iter(())


_NOOP: Final = _noop()
