"""ClientRequest: one request as it crosses the layers (aiohttp 3.12+'s middleware object).

The session builds one per attempt with its headers final (Host, Authorization, Cookie and the
body's Content-Type/Content-Length already in): that is what a client middleware sees and may
change (headers, body, URL) before the transport (client_exchange) puts it on the wire. The
object only holds; it builds nothing on its own, so constructing one on the hot path costs a
handful of slot stores.

The body is kept as the session made it: `bytes` when it fits in memory (sent with the head in
one write when small), else a Payload that streams. `body` returns it (b"" for none), as
aiohttp's does; `update_body()` replaces it and its framing headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Final, Optional

from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL

from . import hdrs
from .auth import BasicAuth
from .client_exceptions import ConnectionKey, RequestInfo
from .http_types import HttpVersion, HttpVersion11
from .timeouts import DEFAULT_TIMEOUT, ClientTimeout

if TYPE_CHECKING:
    from .client_response import ClientResponse
    from .proxy import ProxySettings
    from .upload_tracker import UploadTracker

__all__ = ("ClientRequest", "RequestSettings", "make_body", "set_body_headers")

_SSL_SCHEMES: Final = frozenset({"https", "wss"})


class RequestSettings:
    """How requests are sent and their responses read: one object per session, shared by every
    request that overrides none of it (so building a request stores a handful of slots, not
    twenty), and copied when a request or a middleware changes one setting."""

    __slots__ = (
        "version",
        "chunked",
        "compress",
        "expect100",
        "server_hostname",
        "skip_auto_headers",
        "response_class",
        "read_bufsize",
        "auto_decompress",
        "max_decompressed_size",
        "parser_limits",
        "read_until_eof",
        "resolve_charset",
        "session",
    )

    def __init__(
        self,
        *,
        version: HttpVersion = HttpVersion11,
        chunked: Optional[bool] = None,
        compress: Any = None,
        expect100: bool = False,
        server_hostname: Optional[str] = None,
        skip_auto_headers: frozenset[istr] = frozenset(),
        response_class: "Optional[type[ClientResponse]]" = None,
        read_bufsize: int = 2**16,
        auto_decompress: bool = True,
        max_decompressed_size: Optional[int] = None,
        parser_limits: Optional[tuple[int, int, int]] = None,
        read_until_eof: bool = True,
        resolve_charset: Optional[Callable[[Any, bytes], str]] = None,
        session: Any = None,
    ) -> None:
        if response_class is None:
            from .client_response import ClientResponse

            response_class = ClientResponse
        self.version = version
        self.chunked = chunked
        self.compress = compress
        self.expect100 = expect100
        self.server_hostname = server_hostname
        self.skip_auto_headers = skip_auto_headers
        self.response_class: type[ClientResponse] = response_class
        self.read_bufsize = read_bufsize
        self.auto_decompress = auto_decompress
        # fasthttp's extension over aiohttp (see compression.py): None, no limit.
        self.max_decompressed_size = max_decompressed_size
        # (max_line_size, max_field_size, max_headers) for the response's parser; None: the
        # connection's own (its connector's), the common case, which costs nothing.
        self.parser_limits = parser_limits
        self.read_until_eof = read_until_eof
        self.resolve_charset = resolve_charset
        self.session = session

    def replace(self, **changes: Any) -> "RequestSettings":
        """A copy with some settings changed."""
        other = RequestSettings.__new__(RequestSettings)
        for name in RequestSettings.__slots__:
            setattr(other, name, changes[name] if name in changes else getattr(self, name))
        return other


_DEFAULT_SETTINGS: Final = RequestSettings()


class ClientRequest:
    """The method, URL, headers and body of one request, plus how to send it."""

    GET_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
    POST_METHODS: Final = frozenset({"PATCH", "POST", "PUT"})
    ALL_METHODS: Final = GET_METHODS | POST_METHODS | {"DELETE"}

    __slots__ = (
        "method",
        "url",
        "original_url",
        "headers",
        "auth",
        "timeout",
        "_body",
        "_ssl",
        "_settings",
        # Set by the session for the transport, not part of aiohttp's API:
        "_deadline",  # loop time by which the whole call (redirects included) must end
        "_history",  # the redirects that led here, for the response and its errors
        "_traces",  # the tracing hooks of this call (None: no tracing, no work)
        "_upload_tracker",  # the call's UploadTracker (None: no tracking, no work)
        "_upload_gen",  # the tracker's number for the attempt under way
        "_proxy",  # a ProxySettings (fasthttp/proxy.py); None: a direct request
        "_head",  # the head's bytes when the session had them prepared; None: encode them
        "_fresh_connection",  # True: a new connection, never an idle one (the stale retry)
    )

    def __init__(
        self,
        method: str,
        url: URL,
        headers: "Optional[CIMultiDict[str]]" = None,
        body: Any = None,
        auth: Optional[BasicAuth] = None,
        timeout: ClientTimeout = DEFAULT_TIMEOUT,
        ssl: Any = True,
        settings: RequestSettings = _DEFAULT_SETTINGS,
    ) -> None:
        self.method = method
        self.url = url
        self.original_url = url
        self.headers: CIMultiDict[str] = headers if headers is not None else CIMultiDict()
        self._body = body
        self.auth = auth
        self.timeout = timeout
        self._ssl = ssl
        self._settings = settings
        self._deadline: Optional[float] = None
        self._history: tuple[Any, ...] = ()
        self._traces: Optional[tuple[Any, ...]] = None
        self._upload_tracker: Optional[UploadTracker] = None
        self._upload_gen = 0
        self._proxy: Optional[ProxySettings] = None
        self._head: Optional[bytes] = None
        self._fresh_connection = False

    def __repr__(self) -> str:
        return f"<ClientRequest({self.method} {self.url})>"

    def _copy(self, method: str, url: URL, auth: Optional[BasicAuth]) -> "ClientRequest":
        """The same request for another method, URL and credentials (a redirect), with the
        same body and settings; its headers are the session's to set."""
        cls = type(self)  # a session's request_class= subclass stays itself on redirects
        other = cls.__new__(cls)
        for name in ClientRequest.__slots__:
            setattr(other, name, getattr(self, name))
        if cls is not ClientRequest and hasattr(self, "__dict__"):
            other.__dict__.update(self.__dict__)
        other.method = method
        other.url = url
        other.original_url = url
        other.auth = auth
        other._fresh_connection = False  # a redirect may reuse the pool again
        return other

    def _change(self, **changes: Any) -> None:
        self._settings = self._settings.replace(**changes)

    # --- aiohttp's attributes ---------------------------------------------------------------

    @property
    def version(self) -> HttpVersion:
        return self._settings.version

    @version.setter
    def version(self, value: HttpVersion) -> None:
        self._change(version=value)

    @property
    def chunked(self) -> Optional[bool]:
        return self._settings.chunked

    @chunked.setter
    def chunked(self, value: Optional[bool]) -> None:
        self._change(chunked=value)

    @property
    def compress(self) -> Any:
        return self._settings.compress

    @property
    def server_hostname(self) -> Optional[str]:
        return self._settings.server_hostname

    @server_hostname.setter
    def server_hostname(self, value: Optional[str]) -> None:
        self._change(server_hostname=value)

    @property
    def response_class(self) -> "type[ClientResponse]":
        return self._settings.response_class

    @response_class.setter
    def response_class(self, value: "type[ClientResponse]") -> None:
        self._change(response_class=value)

    @property
    def proxy(self) -> Optional[URL]:
        return None if self._proxy is None else self._proxy.url

    @property
    def proxy_auth(self) -> Optional[BasicAuth]:
        return None if self._proxy is None else self._proxy.auth

    @property
    def proxy_headers(self) -> "Optional[CIMultiDict[str]]":
        return None if self._proxy is None else self._proxy.headers

    @property
    def ssl(self) -> Any:
        return self._ssl

    @property
    def session(self) -> Any:
        """The ClientSession that made this request (a middleware may send others with it)."""
        return self._settings.session

    @property
    def skip_auto_headers(self) -> "CIMultiDict[None]":
        return CIMultiDict((name, None) for name in sorted(self._settings.skip_auto_headers))

    @property
    def host(self) -> str:
        return self.url.raw_host or ""

    @property
    def port(self) -> Optional[int]:
        return self.url.port

    def is_ssl(self) -> bool:
        return self.url.scheme in _SSL_SCHEMES

    @property
    def connection_key(self) -> ConnectionKey:
        proxy = self._proxy
        if proxy is not None:
            from .proxy import proxy_connection_key, tunnel_for

            if proxy.tunnel:
                host = self.headers.get("Host") or self.host
                return tunnel_for(proxy, self.url, self._ssl, self.server_hostname, host)[0]
            return proxy_connection_key(proxy, self._ssl)
        is_ssl = self.is_ssl()
        return ConnectionKey(
            self.host, self.port, is_ssl, self._ssl if is_ssl else True, self.server_hostname
        )

    @property
    def request_info(self) -> RequestInfo:
        return RequestInfo(self.url, self.method, CIMultiDictProxy(self.headers), self.original_url)

    # --- the body ---------------------------------------------------------------------------

    @property
    def body(self) -> Any:
        """bytes, a Payload, or b"" when there is no body."""
        body = self._body
        return b"" if body is None else body

    @body.setter
    def body(self, value: Any) -> None:
        self._replace_body(value)

    async def update_body(self, value: Any) -> None:
        """Replace the body (closing the one it replaces) and its framing headers."""
        old = self._body
        close = getattr(old, "close", None)
        if close is not None:
            await close()
        self._replace_body(value)

    def _replace_body(self, value: Any) -> None:
        headers = self.headers
        headers.popall(hdrs.CONTENT_LENGTH, None)
        if headers.get(hdrs.TRANSFER_ENCODING, "").lower() == "chunked" and not self.chunked:
            del headers[hdrs.TRANSFER_ENCODING]
        body = make_body(value)
        self._body = body
        if body is not None:
            set_body_headers(headers, body, self.chunked, self._settings.skip_auto_headers)
        else:
            set_empty_body_headers(headers, self.method, self.chunked, self._settings.skip_auto_headers)


class TypedBytes(bytes):
    """An in-memory body that knows its default Content-Type."""

    content_type: str

    def __new__(cls, data: bytes, content_type: str) -> "TypedBytes":
        obj = super().__new__(cls, data)
        obj.content_type = content_type
        return obj


def make_body(data: Any) -> Any:
    """The body for a `data=` value: bytes for what fits in memory, else a Payload."""
    if data is None:
        return None
    if type(data) is TypedBytes:
        return data
    if isinstance(data, bytes):
        return TypedBytes(data, "application/octet-stream")
    if isinstance(data, str):
        return TypedBytes(data.encode("utf-8"), "text/plain; charset=utf-8")
    from .payloads import payload_from

    return payload_from(data)


_NO_BODY_METHODS: Final = ClientRequest.GET_METHODS
_FORM_METHODS: Final = ClientRequest.POST_METHODS


def set_empty_body_headers(
    headers: "CIMultiDict[str]", method: str, chunked: Optional[bool], skip: frozenset[istr]
) -> None:
    """No body, as aiohttp frames it: Content-Length: 0 for a method other than GET, HEAD,
    OPTIONS and TRACE (DELETE included), and the default Content-Type for POST, PUT and
    PATCH."""
    if method in _NO_BODY_METHODS:
        return
    if not chunked and hdrs.CONTENT_LENGTH not in headers and hdrs.TRANSFER_ENCODING not in headers:
        headers[hdrs.CONTENT_LENGTH] = "0"
    if method in _FORM_METHODS and hdrs.CONTENT_TYPE not in headers and hdrs.CONTENT_TYPE not in skip:
        headers[hdrs.CONTENT_TYPE] = "application/octet-stream"


def set_body_headers(
    headers: "CIMultiDict[str]",
    body: Any,
    chunked: Optional[bool],
    skip: frozenset[istr] = frozenset(),
) -> None:
    """Content-Type, the payload's own headers, and the framing (Content-Length or chunked)."""
    in_memory = isinstance(body, (bytes, bytearray))
    content_type = getattr(body, "content_type", None)
    if content_type and hdrs.CONTENT_TYPE not in headers and hdrs.CONTENT_TYPE not in skip:
        headers[hdrs.CONTENT_TYPE] = content_type
    if not in_memory:
        for name, value in getattr(body, "headers", {}).items():
            if name not in headers and name != hdrs.CONTENT_TYPE and name not in skip:
                headers[name] = value
    if hdrs.TRANSFER_ENCODING in headers:
        if hdrs.CONTENT_LENGTH in headers:
            raise ValueError("Transfer-Encoding and Content-Length headers cannot both be set")
        if chunked and "chunked" in headers[hdrs.TRANSFER_ENCODING].lower():
            raise ValueError('chunked can not be set if "Transfer-Encoding: chunked" header is set')
        return
    if chunked:
        if hdrs.CONTENT_LENGTH in headers:
            raise ValueError("chunked can not be set if Content-Length header is set")
        headers[hdrs.TRANSFER_ENCODING] = "chunked"
        return
    size = len(body) if in_memory else getattr(body, "size", None)
    if hdrs.CONTENT_LENGTH in headers:
        declared = headers[hdrs.CONTENT_LENGTH]
        if not (declared.strip().isascii() and declared.strip().isdigit()):
            raise ValueError(f"Invalid Content-Length header: {declared!r}")
        if size is not None and int(declared) != size:
            # aiohttp cuts the body to the header's length, or waits for ever for the bytes
            # a shorter body lacks: refused before anything is sent.
            raise ValueError(
                f"the Content-Length header ({declared!r}) does not match the body's "
                f"length ({size} bytes)"
            )
        return
    if size is None:
        headers[hdrs.TRANSFER_ENCODING] = "chunked"
    else:
        headers[hdrs.CONTENT_LENGTH] = str(size)
