"""ClientSession: aiohttp 3.x's client API on fasthttp's connection pool and parser.

The session is policy only. One call, in order: defaults, URL and headers, the body; one
ClientRequest (client_request) per attempt, finished with Host, credentials, cookies and the
body's framing; the middlewares, if any (client_middlewares); then `_send`: a connection from
the connector (the pool's fast path has no await) and client_exchange.send, which owns the
exchange on it (head write, one-write path, Expect-100, body writer, body/no body, reuse).
Here: cookies stored from each response, redirects (small helpers at the bottom: the redirect
URL, method, headers and request), the one retry of an idempotent request on a stale pooled
connection, raise_for_status, and the tracing signals of the call (tracing). Nothing below
calls back into the session: what the exchange and the response need travels on the request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json as json_module
import sys
import traceback
import warnings
from types import TracebackType
from typing import (
    Any,
    Awaitable,
    Callable,
    Coroutine,
    Final,
    Generator,
    Iterable,
    Mapping,
    Optional,
    Sequence,
    Union,
    cast,
)

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, getversion, istr
from yarl import URL

from . import __version__, hdrs
from .arguments import merge_ssl, refuse
from .auth import BasicAuth, warn_auth_argument
from .client_exceptions import (
    ClientConnectionError,
    ClientConnectorError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ConnectionKey,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    RequestInfo,
    ServerDisconnectedError,
    TooManyRedirects,
)
from .client_exchange import encode_request_head, send
from .client_middlewares import ClientHandlerType, ClientMiddlewareType, build_client_middlewares
from .client_request import (
    ClientRequest,
    RequestSettings,
    TypedBytes,
    make_body,
    set_body_headers,
    set_empty_body_headers,
)
from .client_response import ClientResponse
from .compression import ACCEPT_ENCODING, check_max_decompressed_size
from .connector import BaseConnector, Connection, TCPConnector
from .cookiejar import AbstractCookieJar, CookieJar, request_cookie_header
from .foreign_objects import auth_from, check_connector, ssl_from, timeout_from
from .http_types import HttpVersion, HttpVersion11
from .payloads import Payload
from .proxy import proxy_connection_key, proxy_for, tunnel_for
from .timeouts import DEFAULT_TIMEOUT, ClientTimeout
from .tracing import Trace, TraceConfig
from .trust_env import netrc_credentials, proxy_from_environment
from .upload_tracker import UploadTracker

__all__ = ("ClientSession", "request")

USER_AGENT: Final = f"Python/{sys.version_info[0]}.{sys.version_info[1]} fasthttp/{__version__}"
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_HTTP_SCHEMES: Final = frozenset({"http", "https"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# Methods whose empty body is not announced (aiohttp's ClientRequest.GET_METHODS).
_NO_BODY_METHODS: Final = ClientRequest.GET_METHODS

_SENTINEL: Any = object()
_CALLER: Final = 3  # a warning about a request argument points at the line of the call (see auth.py)
_COMPRESSIONS: Final = frozenset({"deflate", "gzip"})  # compress= values (request bodies)
_DEFAULT_PARSER_LIMITS: Final = (8190, 8190, 128)  # aiohttp's max_line_size, max_field_size, max_headers
# Headers the session adds by itself unless told not to (skip_auto_headers).
_AUTO_HEADERS: Final = frozenset({hdrs.ACCEPT, hdrs.ACCEPT_ENCODING, hdrs.USER_AGENT, hdrs.HOST})

JSONEncoder = Callable[[Any], str]


def _default_charset_resolver(response: ClientResponse, body: bytes) -> str:
    return "utf-8"


class _RequestContextManager:
    """What `session.get(...)` returns: awaitable, or usable with `async with`."""

    __slots__ = ("_coro", "_response")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse]) -> None:
        self._coro = coro
        self._response: Optional[ClientResponse] = None

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> ClientResponse:
        self._response = response = await self._coro
        response._in_context = True  # raise_for_status() leaves the release to __aexit__
        return response

    def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> Awaitable[None]:
        # Not a coroutine: the common exit (the response released, nothing to wait for)
        # creates none.
        response = self._response
        if response is not None:
            response.release()
            if response._writer is not None or type(response) is not ClientResponse:
                # A request body still being sent (or a response_class= of its own)
                return response.wait_for_close()
        return _NOTHING_TO_AWAIT


class _NothingToAwait(tuple):  # type: ignore[type-arg]
    """An awaitable that is done at once with None, without a Python frame: its __await__ is
    the (empty) tuple's iterator."""

    __slots__ = ()
    __await__ = tuple.__iter__


_NOTHING_TO_AWAIT: Final = cast("Awaitable[None]", _NothingToAwait())


class _PlainRequestContextManager(_RequestContextManager):
    """What session.get(url) with no other argument returns (ClientSession._plain_request):
    the same, with its coroutine made when first awaited, and under `async with` that
    coroutine is __aenter__'s own (it records the response here): one level fewer."""

    __slots__ = ("_session", "_method", "_url", "_allow_redirects", "_proxy")

    def __init__(
        self,
        session: "ClientSession",
        method: str,
        url: Union[str, URL],
        allow_redirects: bool,
        proxy: Union[str, URL, None],
    ) -> None:
        self._session = session
        self._method = method
        self._url = url
        self._allow_redirects = allow_redirects
        self._proxy = proxy
        self._coro = None  # type: ignore[assignment]  # (made when first awaited)
        self._response = None

    def _coroutine(self) -> Coroutine[Any, Any, ClientResponse]:
        coro = self._coro
        if coro is None:
            coro = self._coro = self._session._plain_request(
                self._method, self._url, self._allow_redirects, self._proxy
            )
        return coro

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._coroutine().__await__()

    def send(self, value: Any) -> Any:
        return self._coroutine().send(value)

    def throw(self, *args: Any) -> Any:
        return self._coroutine().throw(*args)

    def close(self) -> None:
        if self._coro is not None:
            self._coro.close()

    def __aenter__(self) -> Coroutine[Any, Any, ClientResponse]:
        if self._coro is not None:
            raise RuntimeError("cannot reuse already awaited coroutine")
        coro = self._coro = self._session._plain_request(
            self._method, self._url, self._allow_redirects, self._proxy, self
        )
        return coro


class _WSRequestContextManager:
    """What `session.ws_connect(...)` returns: awaitable, or usable with `async with`."""

    __slots__ = ("_coro", "_ws")

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._coro = coro
        self._ws: Any = None

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coro.__await__()

    async def __aenter__(self) -> Any:
        self._ws = await self._coro
        return self._ws

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._ws is not None:
            await self._ws.close()


def _remember(cache: dict[Any, Any], key: Any, value: Any, limit: int = 256) -> None:
    """Store in one of a session's small caches, emptied when full: a session that meets
    URLs and hosts without end (a crawler) holds a bounded number of them."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value


class ClientSession:
    """A pool of connections plus defaults (headers, cookies, auth, timeouts) for requests.

    Extension over aiohttp (off by default): ``max_decompressed_size``, here and per request,
    bounds the size a response body may decode to (Content-Encoding); past it, reading the
    body raises `ClientDecompressedSizeError` and the connection is closed. See
    `ClientResponse.read` and fasthttp.streams.
    """

    # Set before __init__ can raise (a bad base_url, cookies): __del__ reads them.
    _connector: Optional[BaseConnector] = None
    _source_traceback: Any = None

    def __init__(
        self,
        base_url: Optional[Union[str, URL]] = None,
        *,
        connector: Optional[BaseConnector] = None,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        cookies: Any = None,
        headers: Any = None,
        proxy: Any = None,
        proxy_auth: Any = None,
        skip_auto_headers: Optional[Iterable[str]] = None,
        auth: Optional[BasicAuth] = None,
        json_serialize: JSONEncoder = json_module.dumps,
        json_serialize_bytes: Optional[Callable[[Any], bytes]] = None,
        request_class: Any = None,
        response_class: Any = None,
        ws_response_class: Any = None,
        version: Any = None,
        cookie_jar: Optional[AbstractCookieJar] = None,
        connector_owner: bool = True,
        raise_for_status: Union[bool, Callable[[ClientResponse], Awaitable[None]]] = False,
        read_timeout: Any = _SENTINEL,
        conn_timeout: Optional[float] = None,
        timeout: Any = _SENTINEL,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        trace_configs: Optional[Iterable[TraceConfig]] = None,
        read_bufsize: int = 2**16,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] = _default_charset_resolver,
        middlewares: Sequence[ClientMiddlewareType] = (),
        ssl_shutdown_timeout: Any = _SENTINEL,
        max_decompressed_size: Optional[int] = None,  # fasthttp extension, see compression.py
    ) -> None:
        # The session's proxy (aiohttp 3.10+): checked when a request uses it (its target's
        # scheme decides how); a request's own proxy= / proxy_auth= win over these.
        if proxy is not None:
            try:
                proxy = proxy if isinstance(proxy, URL) else URL(proxy)
            except (TypeError, ValueError) as exc:
                raise InvalidURL(proxy) from exc
        self._default_proxy: Optional[URL] = proxy
        self._default_proxy_auth: Any = proxy_auth
        if request_class is None:
            request_class = ClientRequest
        elif not (isinstance(request_class, type) and issubclass(request_class, ClientRequest)):
            # aiohttp's own ClientRequest (or a subclass of it) is built differently.
            refuse("request_class", "other than fasthttp.ClientRequest or a subclass of it")
        self._request_class: type[ClientRequest] = request_class
        if ws_response_class is not None:
            from .client_ws import ClientWebSocketResponse

            if ws_response_class is not ClientWebSocketResponse:
                refuse("ws_response_class")
        connector_options: dict[str, Any] = {}
        if ssl_shutdown_timeout is not _SENTINEL:
            # aiohttp 3.x hands it to the connector the session makes (the connector warns);
            # a connector given here has its own, and aiohttp would drop this one silently.
            if connector is not None:
                refuse("ssl_shutdown_timeout", "with connector= (give it to the connector)")
            connector_options["ssl_shutdown_timeout"] = ssl_shutdown_timeout
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._max_decompressed_size = check_max_decompressed_size(max_decompressed_size)
        if base_url is None or isinstance(base_url, URL):
            self._base_url: Optional[URL] = base_url
        else:
            self._base_url = URL(base_url)
        if self._base_url is not None and not self._base_url.path.endswith("/"):
            raise ValueError("base_url must have a path ending with '/'")
        # Checked before anything that __del__ would have to close (the connector) exists.
        if timeout is _SENTINEL or timeout is None:
            timeout = DEFAULT_TIMEOUT
            if read_timeout is not _SENTINEL:
                timeout = dataclasses.replace(timeout, total=read_timeout)
            if conn_timeout is not None:
                timeout = dataclasses.replace(timeout, connect=conn_timeout)
        elif not isinstance(timeout, ClientTimeout):
            if isinstance(timeout, (int, float)):  # aiohttp refuses a number here
                raise ValueError(f"timeout parameter cannot be of {type(timeout)} type, please use 'timeout=ClientTimeout(...)'")
            timeout = timeout_from(timeout)  # aiohttp's ClientTimeout, read by its attributes
        self._timeout: ClientTimeout = timeout
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        # The parser limits travel with each request only when they differ from what the
        # connections already use (the connector's): the common case pays nothing.
        parser_limits: Optional[tuple[int, int, int]] = None
        if connector is None:
            connector = TCPConnector(
                loop=self._loop,
                max_line_size=max_line_size,
                max_field_size=max_field_size,
                max_headers=max_headers,
                **connector_options,
            )
        elif not isinstance(connector, BaseConnector):
            check_connector(connector)
        elif (max_line_size, max_field_size, max_headers) != _DEFAULT_PARSER_LIMITS:
            parser_limits = (max_line_size, max_field_size, max_headers)
        self._connector: Optional[BaseConnector] = connector
        # A connector whose connect() is ours may hand a pooled connection over without a
        # coroutine (_send); a subclass overriding connect() is always asked through it.
        self._pool_reuse_at_once = type(connector).connect is BaseConnector.connect
        self._connector_owner = connector_owner
        self._cookie_jar: AbstractCookieJar = cookie_jar if cookie_jar is not None else CookieJar(loop=self._loop)
        self._own_jar = type(self._cookie_jar) is CookieJar  # its count read without a call
        if cookies:
            self._cookie_jar.update_cookies(cookies)
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers) if headers else CIMultiDict()
        self._skip_auto_headers = frozenset(istr(h) for h in skip_auto_headers or ())
        self._default_auth = auth if auth is None or type(auth) is BasicAuth else auth_from(auth)
        if auth is not None:
            warn_auth_argument("auth", stacklevel=2)
        if proxy_auth is not None:
            warn_auth_argument("proxy_auth", stacklevel=2)
        self._json_serialize = json_serialize
        self._json_serialize_bytes = json_serialize_bytes
        self._trust_env = trust_env
        self._raise_for_status = raise_for_status
        self._auto_decompress = auto_decompress
        self._read_bufsize = read_bufsize
        self._resolve_charset = fallback_charset_resolver
        self._requote_redirect_url = requote_redirect_url
        self._middlewares: tuple[ClientMiddlewareType, ...] = tuple(middlewares)
        # fasthttp's TraceConfig or aiohttp's (OpenTelemetry builds those): used alike.
        self._trace_configs: tuple[TraceConfig, ...] = tuple(trace_configs or ())
        for trace_config in self._trace_configs:
            trace_config.freeze()
        if isinstance(version, str):
            major, _, minor = version.partition(".")
            version = HttpVersion(int(major), int(minor))
        self._version: HttpVersion = HttpVersion11 if version is None else version
        # What every request of this session shares unless it overrides some of it.
        self._settings = RequestSettings(
            version=self._version,
            skip_auto_headers=self._skip_auto_headers,
            response_class=response_class,
            read_bufsize=read_bufsize,
            auto_decompress=auto_decompress,
            max_decompressed_size=self._max_decompressed_size,
            parser_limits=parser_limits,
            resolve_charset=fallback_charset_resolver,
            session=self,
        )
        # Session headers plus the automatic ones, built once per version of
        # self._default_headers: most requests then start from one C-level multidict copy.
        # _template is the session's auto_decompress's (with the version it was built from);
        # _other_template the one for a request that asks the other auto_decompress.
        self._template: CIMultiDict[str] = CIMultiDict()
        self._template_version = -1
        self._other_template: Optional[tuple[int, CIMultiDict[str]]] = None
        # Small per-session caches for what repeats from request to request.
        self._checked_urls: dict[Union[str, URL], URL] = {}
        self._host_headers: dict[tuple[str, str, Optional[int]], str] = {}
        self._connection_keys: dict[tuple[Any, ...], ConnectionKey] = {}
        # URL -> (method, header template, headers, head bytes) of requests with nothing of
        # their own (see _use_prepared_head).
        self._prepared_heads: dict[URL, tuple[str, CIMultiDict[str], CIMultiDict[str], bytes]] = {}
        # A call with no arguments but the URL (session.get(url)) may take _plain_request's
        # short way when nothing of the session's can see or change its request: no default
        # credentials or proxy, no environment, tracing or middlewares (all fixed at init).
        self._plain_calls = (
            self._default_auth is None and self._default_proxy is None and not trust_env
            and not self._trace_configs and not self._middlewares and self._pool_reuse_at_once
        )
        # (method, URL as given, proxy as given) -> (header template, URL, headers, head
        # bytes, pool key, ProxySettings or None).
        self._plain_requests: dict[tuple[str, Any, Any], tuple[Any, URL, CIMultiDict[str], bytes, ConnectionKey, Any]] = {}
        self._source_traceback = (
            traceback.extract_stack(sys._getframe(1)) if self._loop.get_debug() else None
        )

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        pass  # pragma: no cover - __enter__ always raises; here so `with` reaches it

    def __del__(self, _warnings: Any = warnings) -> None:
        if not self.closed:
            _warnings.warn(f"Unclosed client session {self!r}", ResourceWarning, source=self)
            context = {"client_session": self, "message": "Unclosed client session"}
            if self._source_traceback is not None:
                context["source_traceback"] = self._source_traceback
            self._loop.call_exception_handler(context)

    # --- properties (aiohttp's) -----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._connector is None or self._connector.closed

    @property
    def connector(self) -> Optional[BaseConnector]:
        return self._connector

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        return self._cookie_jar

    @property
    def headers(self) -> "CIMultiDict[str]":
        return self._default_headers

    @property
    def skip_auto_headers(self) -> frozenset[istr]:
        return self._skip_auto_headers

    @property
    def auth(self) -> Optional[BasicAuth]:
        return self._default_auth

    @property
    def json_serialize(self) -> JSONEncoder:
        return self._json_serialize

    @property
    def timeout(self) -> ClientTimeout:
        return self._timeout

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def auto_decompress(self) -> bool:
        return self._auto_decompress

    @property
    def raise_for_status(self) -> Any:
        return self._raise_for_status

    @property
    def connector_owner(self) -> bool:
        return self._connector_owner

    @property
    def middlewares(self) -> tuple[ClientMiddlewareType, ...]:
        return self._middlewares

    @property
    def trace_configs(self) -> tuple[TraceConfig, ...]:
        return self._trace_configs

    @property
    def trust_env(self) -> bool:
        return self._trust_env

    @property
    def version(self) -> HttpVersion:
        return self._version

    @property
    def requote_redirect_url(self) -> bool:
        return self._requote_redirect_url

    @requote_redirect_url.setter
    def requote_redirect_url(self, value: bool) -> None:
        warnings.warn(
            "session.requote_redirect_url modification is deprecated #2778",
            DeprecationWarning,
            stacklevel=2,
        )
        self._requote_redirect_url = value

    # --- lifecycle ------------------------------------------------------------------------------

    async def close(self) -> None:
        if self._connector is not None:
            if self._connector_owner:
                await self._connector.close()
            self._connector = None

    def detach(self) -> None:
        self._connector = None

    async def __aenter__(self) -> "ClientSession":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    # --- requests -------------------------------------------------------------------------------

    def request(self, method: str, url: Union[str, URL], **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(self, url: Union[str, URL], *, allow_redirects: bool = True, **kwargs: Any) -> _RequestContextManager:
        if not kwargs:
            return _PlainRequestContextManager(self, "GET", url, allow_redirects, None)
        return self._shortcut("GET", url, allow_redirects, kwargs)

    def options(self, url: Union[str, URL], *, allow_redirects: bool = True, **kwargs: Any) -> _RequestContextManager:
        if not kwargs:
            return _PlainRequestContextManager(self, "OPTIONS", url, allow_redirects, None)
        return self._shortcut("OPTIONS", url, allow_redirects, kwargs)

    def head(self, url: Union[str, URL], *, allow_redirects: bool = False, **kwargs: Any) -> _RequestContextManager:
        if not kwargs:
            return _PlainRequestContextManager(self, "HEAD", url, allow_redirects, None)
        return self._shortcut("HEAD", url, allow_redirects, kwargs)

    def post(self, url: Union[str, URL], *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("POST", url, data=data, **kwargs))

    def put(self, url: Union[str, URL], *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("PUT", url, data=data, **kwargs))

    def patch(self, url: Union[str, URL], *, data: Any = None, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self._request("PATCH", url, data=data, **kwargs))

    def delete(self, url: Union[str, URL], **kwargs: Any) -> _RequestContextManager:
        if not kwargs:
            return _PlainRequestContextManager(self, "DELETE", url, True, None)
        return self._shortcut("DELETE", url, kwargs.pop("allow_redirects", True), kwargs)

    def _shortcut(
        self, method: str, url: Union[str, URL], allow_redirects: bool, kwargs: dict[str, Any]
    ) -> _RequestContextManager:
        """A shortcut's call with arguments: _plain_request's way still when the only one is
        a proxy (a service calling the same endpoints through one), else _request's."""
        if len(kwargs) == 1:
            proxy = kwargs.get("proxy", _SENTINEL)
            if proxy is None or type(proxy) is str or type(proxy) is URL:
                return _PlainRequestContextManager(self, method, url, allow_redirects, proxy)
        return _RequestContextManager(self._request(method, url, allow_redirects=allow_redirects, **kwargs))

    def ws_connect(self, url: Union[str, URL], **kwargs: Any) -> "_WSRequestContextManager":
        """Open a WebSocket (aiohttp's arguments); awaitable or `async with`."""
        return _WSRequestContextManager(self._ws_connect(url, **kwargs))

    async def _ws_connect(
        self,
        url: Union[str, URL],
        *,
        auth: Optional[BasicAuth] = None,
        params: Any = None,
        proxy: Any = None,
        proxy_auth: Any = None,
        ssl: Any = True,
        verify_ssl: Optional[bool] = None,
        fingerprint: Any = None,
        ssl_context: Any = None,
        server_hostname: Optional[str] = None,
        proxy_headers: Any = None,
        **options: Any,
    ) -> Any:
        """The upgrade request goes through the same pipeline as any request (middlewares,
        tracing, cookies); client_ws checks its answer and takes the connection over."""
        from .client_ws import ws_open, ws_upgrade

        upgrade = ws_upgrade(url, **options)
        # With trust_env, ws_proxy / wss_proxy serve it, not http(s)_proxy.
        scheme = URL(url).scheme if self._trust_env else None
        response = await self._request(
            upgrade.method, upgrade.url, params=params, headers=upgrade.headers, auth=auth,
            proxy=proxy, proxy_auth=proxy_auth, proxy_headers=proxy_headers,
            fingerprint=fingerprint, ssl=ssl, verify_ssl=verify_ssl, ssl_context=ssl_context,
            server_hostname=server_hostname, allow_redirects=False, raise_for_status=False,
            _proxy_scheme=scheme,
        )
        return ws_open(upgrade, response)

    def _build_url(self, str_or_url: Union[str, URL]) -> URL:
        # (A URL asked for before is _checked_urls'; yarl keeps its own cache of parsed strs.)
        # Anything else goes to URL(), which refuses it with aiohttp's TypeError.
        url = str_or_url if isinstance(str_or_url, URL) else URL(str_or_url)
        if self._base_url is None:
            return url
        if url.is_absolute():
            return url
        return self._base_url.join(url)

    async def _request(
        self,
        method: str,
        str_or_url: Union[str, URL],
        *,
        params: Any = None,
        data: Any = None,
        json: Any = _SENTINEL,
        text: Optional[str] = None,
        cookies: Any = None,
        headers: Any = None,
        skip_auto_headers: Optional[Iterable[str]] = None,
        auth: Optional[BasicAuth] = None,
        allow_redirects: bool = True,
        max_redirects: int = 10,
        compress: Any = None,
        chunked: Optional[bool] = None,
        expect100: bool = False,
        raise_for_status: Any = None,
        read_until_eof: bool = True,
        proxy: Any = None,
        proxy_auth: Any = None,
        timeout: Any = _SENTINEL,
        ssl: Any = True,
        server_hostname: Optional[str] = None,
        proxy_headers: Any = None,
        trace_request_ctx: Any = None,
        read_bufsize: Optional[int] = None,
        auto_decompress: Optional[bool] = None,
        max_line_size: Optional[int] = None,
        max_field_size: Optional[int] = None,
        max_headers: Optional[int] = None,
        verify_ssl: Optional[bool] = None,
        fingerprint: Any = None,
        ssl_context: Any = None,
        max_decompressed_size: Optional[int] = None,  # fasthttp extension; None: the session's
        middlewares: Optional[Sequence[ClientMiddlewareType]] = None,
        upload_tracker: Optional[UploadTracker] = None,
        _tracking: bool = False,
        _proxy_scheme: Optional[str] = None,  # ws_connect's: whose *_proxy variable applies
        _first: Optional[tuple[ClientRequest, ClientResponse, bool]] = None,  # _plain_request's redirect
    ) -> ClientResponse:
        if upload_tracker is not None and not _tracking:
            # (First: locals() is then exactly this call's arguments.)
            return await self._tracked_request(locals())
        connector = self._connector
        if connector is None or connector._closed:
            raise RuntimeError("Session is closed")
        method = method.upper()
        if (data is not None) + (text is not None) + (json is not _SENTINEL and json is not None) > 1:
            raise ValueError("data, json and text parameters can not be used at the same time")
        if verify_ssl is not None or ssl_context is not None or fingerprint is not None:
            ssl = merge_ssl(ssl, verify_ssl, ssl_context, fingerprint)
        elif ssl is None:
            ssl = True
        elif ssl is not True and ssl is not False:
            ssl = ssl_from(ssl)  # an SSLContext; anything else refused by name
        if timeout is _SENTINEL or timeout is None:
            timeout = self._timeout
        elif not isinstance(timeout, ClientTimeout):
            timeout = timeout_from(timeout)  # a number, or aiohttp's ClientTimeout
        if raise_for_status is None:
            raise_for_status = self._raise_for_status

        # A URL asked for before (the usual case of a service calling the same endpoints):
        # joined to base_url and checked then; only URLs without credentials are kept.
        url = None
        if params is None and (type(str_or_url) is str or type(str_or_url) is URL):
            url = self._checked_urls.get(str_or_url)
        if url is None:
            try:
                url = self._build_url(str_or_url)
            except ValueError as exc:
                raise InvalidUrlClientError(str_or_url) from exc
            if params is not None:
                url = _with_params(url, params)
            _check_url(url, redirect=False)
            has_user = url.raw_user is not None
            if params is None and not has_user and (type(str_or_url) is str or type(str_or_url) is URL):
                _remember(self._checked_urls, str_or_url, url, 512)
        else:
            has_user = False

        skip = self._skip_auto_headers
        # The session's template, unless its headers changed since (or auto_decompress differs).
        template = self._template
        if auto_decompress is not None or self._template_version != getversion(self._default_headers):  # type: ignore[arg-type]
            template = self._header_template(
                self._auto_decompress if auto_decompress is None else auto_decompress
            )
        if skip_auto_headers is not None:
            skip = skip | frozenset(istr(h) for h in skip_auto_headers)
            base_headers = CIMultiDict(template)
            for name in skip:
                if name in _AUTO_HEADERS and name not in self._default_headers:
                    base_headers.popall(name, None)
            self._merge_into(base_headers, headers)
        elif headers:
            base_headers = CIMultiDict(template)
            self._merge_into(base_headers, headers)
        else:
            base_headers = template  # shared: copied before any change
        if auth is None:
            auth = self._default_auth
        else:
            warn_auth_argument("auth", stacklevel=_CALLER)
            if type(auth) is not BasicAuth:
                auth = auth_from(auth)  # aiohttp's BasicAuth; anything else: TypeError
        if proxy_auth is not None:
            warn_auth_argument("proxy_auth", stacklevel=_CALLER)
        if has_user:
            if auth is not None:
                raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
            auth = BasicAuth.from_url(url)

        if data is None and text is None and (json is _SENTINEL or json is None):
            body = None
            compress = None  # nothing to compress (aiohttp neither labels an empty body)
        else:
            body = _make_body(data, json, text, self._json_serialize, self._json_serialize_bytes)
            if compress and (body is None or isinstance(body, bytes) and not body):
                compress = None
        settings = self._settings
        if (
            chunked is not None or expect100 or server_hostname is not None
            or skip is not self._skip_auto_headers or read_bufsize is not None
            or auto_decompress is not None or max_decompressed_size is not None
            or max_line_size is not None or max_field_size is not None or max_headers is not None
            or compress or not read_until_eof
        ):
            parser_limits = settings.parser_limits
            if max_line_size is not None or max_field_size is not None or max_headers is not None:
                parser_limits = (
                    self._max_line_size if max_line_size is None else max_line_size,
                    self._max_field_size if max_field_size is None else max_field_size,
                    self._max_headers if max_headers is None else max_headers,
                )
            if compress:
                # aiohttp: True means deflate; the body then goes chunked (its compressed
                # length is not known in advance).
                compress = "deflate" if compress is True else compress
                if compress not in _COMPRESSIONS:
                    refuse("compress", f"with {compress!r} (deflate and gzip are)")
                chunked = True
            settings = settings.replace(
                compress=compress or None,
                read_until_eof=read_until_eof,
                parser_limits=parser_limits,
                chunked=chunked,
                expect100=expect100,
                server_hostname=server_hostname,
                skip_auto_headers=skip,
                read_bufsize=self._read_bufsize if read_bufsize is None else read_bufsize,
                auto_decompress=(
                    self._auto_decompress if auto_decompress is None else auto_decompress
                ),
                max_decompressed_size=(
                    self._max_decompressed_size if max_decompressed_size is None
                    else check_max_decompressed_size(max_decompressed_size)
                ),
            )
        # (base_headers stands in until _finish_request gives the request its own.)
        request = self._request_class(
            method, url, base_headers, body, auth,
            timeout, ssl, settings,
        )
        if proxy is not None or self._default_proxy is not None or self._trust_env:
            self._proxy_and_credentials(request, proxy, proxy_auth, proxy_headers, _proxy_scheme)
        if timeout.total is not None:
            request._deadline = self._loop.time() + timeout.total
        if upload_tracker is not None:
            request._upload_tracker = upload_tracker
        if middlewares is None:
            middlewares = self._middlewares
        handler: ClientHandlerType = self._send
        if middlewares:
            handler = build_client_middlewares(handler, middlewares)
        traces = None
        if self._trace_configs:
            if base_headers is template:
                base_headers = CIMultiDict(template)  # a tracer may add to it (trace context)
            traces = request._traces = self._traces(trace_request_ctx)
            for trace in traces:
                await trace.send_request_start(method, url, base_headers)

        try:
            if (
                base_headers is template and body is None and request.auth is None and cookies is None
                and settings is self._settings and request._proxy is None and traces is None
                and not middlewares and not len(self._cookie_jar)
            ):
                # Nothing of this request is its own: its headers and head bytes are the
                # same as last time it was sent (the session's, Host, the request line).
                self._use_prepared_head(request, template)
            else:
                self._finish_request(request, base_headers, cookies)
            history: list[ClientResponse] = []
            # One retry per call (redirects included), as aiohttp: an idempotent request whose
            # pooled connection turned out closed by the server is sent again on a new one.
            # It happens here, outside the middlewares, so each of them sees both attempts.
            may_retry = method in IDEMPOTENT_METHODS
            while True:
                if _first is not None:
                    # _plain_request sent the first attempt (its cookies stored, its retry
                    # used or not) and hands its redirect over: followed from here.
                    request, response, may_retry = _first
                    _first = None
                else:
                    try:
                        response = await handler(request)
                    except (ServerDisconnectedError, ClientOSError) as exc:
                        if (
                            may_retry and getattr(exc, "_fasthttp_stale_connection", False)
                            and request.method in IDEMPOTENT_METHODS
                            # A body that can be sent again (bytes, a payload that rewinds);
                            # not a one-time stream already used up (aiohttp's rule).
                            and not (isinstance(request._body, Payload) and request._body.consumed)
                        ):
                            may_retry = False
                            # On a new connection, never another idle one: the server
                            # that dropped this one may have dropped those too (tinyproxy
                            # closes each after its response without Connection: close).
                            request._fresh_connection = True
                            # The request anew from the call's headers (a middleware's
                            # changes to the failed attempt do not carry over, as aiohttp).
                            self._finish_request(request, base_headers, cookies)
                            continue
                        raise
                    if response._sets_cookies:  # (the headers multidict is built only then)
                        self._store_cookies(response)
                if not allow_redirects or response.status not in _REDIRECT_STATUSES:
                    break
                if traces is not None:
                    for trace in traces:
                        await trace.send_request_redirect(
                            request.method, request.url, base_headers, response
                        )
                history.append(response)
                if max_redirects and len(history) > max_redirects:
                    response.close()
                    raise TooManyRedirects(
                        history[0].request_info, tuple(history), status=response.status,
                        message="Too many redirects", headers=response.headers,
                    )
                location = response.headers.get(hdrs.LOCATION) or response.headers.get(hdrs.URI)
                if location is None:
                    break  # nothing to follow: hand this response out as it is
                if _body_cannot_follow(request, response.status):
                    response.close()
                    raise ClientPayloadError(
                        "Cannot follow redirect with a consumed request body. Use bytes, "
                        "a seekable file-like object, or set allow_redirects=False."
                    )
                response.release()
                target = _redirect_url(request.url, location, self._requote_redirect_url)
                if request.url.origin() != target.origin():
                    cookies = None  # the call's own cookies, like its credentials, stay home
                base_headers = _redirect_headers(base_headers, request, response.status, target)
                request = _build_redirect_request(request, response.status, target)
                request._history = tuple(history)
                if proxy is not None or self._default_proxy is not None or self._trust_env:
                    self._proxy_and_credentials(request, proxy, proxy_auth, proxy_headers, None)
                self._finish_request(request, base_headers, cookies)

            if raise_for_status:
                if callable(raise_for_status):
                    await raise_for_status(response)
                else:
                    response.raise_for_status()
        except BaseException as exc:
            if traces is not None:
                for trace in traces:
                    await trace.send_request_exception(request.method, request.url, base_headers, exc)
            raise
        if traces is not None:
            for trace in traces:
                await trace.send_request_end(request.method, request.url, base_headers, response)
        return response

    async def _plain_request(
        self,
        method: str,
        str_or_url: Union[str, URL],
        allow_redirects: bool,
        proxy: Union[str, URL, None],
        context: "Optional[_PlainRequestContextManager]" = None,
    ) -> ClientResponse:
        """_request for a call with nothing but its URL (`session.get(url)`), the common case
        of a service calling the same endpoints: the request, its head bytes and its pool key
        are those prepared the last time this URL was asked for, and an idle connection takes
        it without a coroutine of its own. What this way does not cover (a URL not seen yet,
        the session's cookies, headers changed since, a redirect to follow) goes to _request,
        which behaves the same (the retry on a stale connection, cookies, raise_for_status).
        `proxy`: the call's proxy= (a forwarding proxy keeps this way; a tunnel does not).
        `context`: the `async with` this call is entered by, told the response (in place of
        a coroutine of its own around this one)."""
        connector = self._connector
        plain = None
        if self._plain_calls:
            try:
                plain = self._plain_requests.get((method, str_or_url, proxy))
            except TypeError:
                pass  # not a URL at all (unhashable): _request says so
        template = self._template
        jar = self._cookie_jar
        if (
            plain is None or plain[0] is not template or connector is None or connector._closed
            # (The count before expiry: a jar of expired cookies only takes the long way.)
            or (jar._count if self._own_jar else len(jar))  # type: ignore[attr-defined]
            or self._template_version != getversion(self._default_headers)  # type: ignore[arg-type]
        ):
            response = await self._request(
                method, str_or_url, allow_redirects=allow_redirects, proxy=proxy
            )
            if self._plain_calls and (plain is None or plain[0] is not self._template):
                # (Its URL checked by _request now; or the session's headers changed.)
                self._prepare_plain(method, str_or_url, proxy)
        else:
            _, url, headers, head, key, proxy_settings = plain
            timeout = self._timeout
            request = self._request_class(method, url, headers, None, None, timeout, True, self._settings)
            request._head = head
            if proxy_settings is not None:
                request._proxy = proxy_settings
            if timeout.total is not None:
                request._deadline = self._loop.time() + timeout.total
            connection = connector._reuse_idle(key)
            # (A new connection to a proxy is _proxy_connection's: key None.)
            new_key = key if proxy_settings is None else None
            try:
                if connection is not None:
                    response = await send(request, connection, head)
                else:
                    response = await self._connect_and_send(request, connector, new_key, head)
                may_retry = True
            except (ServerDisconnectedError, ClientOSError) as exc:
                if not getattr(exc, "_fasthttp_stale_connection", False) or method not in IDEMPOTENT_METHODS:
                    raise
                # The one retry, on a new connection (as _request's); the headers anew, as
                # the session's cookies may have changed meanwhile.
                request._fresh_connection = True
                self._finish_request(request, template, None)
                response = await self._connect_and_send(
                    request, connector, new_key, encode_request_head(request)
                )
                may_retry = False
            if response._sets_cookies:  # (the headers multidict is built only then)
                self._store_cookies(response)
            if allow_redirects and response.status in _REDIRECT_STATUSES:
                response = await self._request(
                    method, str_or_url, allow_redirects=True, proxy=proxy,
                    _first=(request, response, may_retry),
                )
            else:
                raise_for_status = self._raise_for_status
                if raise_for_status:
                    if callable(raise_for_status):
                        await raise_for_status(response)
                    else:
                        response.raise_for_status()
        if context is not None:
            context._response = response
            response._in_context = True  # raise_for_status() leaves the release to __aexit__
        return response

    def _prepare_plain(self, method: str, str_or_url: Union[str, URL], proxy: Union[str, URL, None]) -> None:
        """_plain_request's entry for this call, once its URL has been checked by _request
        (a URL with credentials, refused or not a str or URL, never gets one; nor a request
        tunnelled through its proxy)."""
        if type(str_or_url) is not str and type(str_or_url) is not URL:
            return
        url = self._checked_urls.get(str_or_url)
        if (
            url is None or self._template_version != getversion(self._default_headers)  # type: ignore[arg-type]
            or len(self._cookie_jar)  # (its cookies would go in the headers kept)
        ):
            return
        template = self._template
        request = self._request_class(method, url, template, None, None, self._timeout, True, self._settings)
        if proxy is None:
            key = self._pool_key(request)
        else:
            self._proxy_and_credentials(request, proxy, None, None, None)
            if request._proxy is None or request._proxy.tunnel:
                return
            key = proxy_connection_key(request._proxy, request._ssl)
        self._finish_request(request, template, None)
        _remember(self._plain_requests, (method, str_or_url, proxy), (
            template, url, request.headers, encode_request_head(request), key, request._proxy
        ))

    def _proxy_and_credentials(
        self, request: ClientRequest, proxy: Any, proxy_auth: Any, proxy_headers: Any,
        scheme: Optional[str],
    ) -> None:
        """The request's proxy: the call's, else the session's, else (trust_env=True) the
        environment's; and with trust_env=True, .netrc credentials for a request given none.
        Chosen again for each redirect's target, as aiohttp does (a redirect to https:// or
        to a host NO_PROXY names does not keep the first request's way)."""
        url = request.url
        if proxy_auth is None:
            proxy_auth = self._default_proxy_auth
        if proxy is not None or self._default_proxy is not None:
            # Forwarded or tunnelled by the target's scheme; the credentials are the proxy's
            # own, never what a request before a redirect carried.
            request._proxy = proxy_for(
                url, self._default_proxy if proxy is None else proxy, proxy_auth, proxy_headers,
                self._default_headers,
            )
        elif self._trust_env:
            request._proxy = proxy_from_environment(
                url, proxy_auth, proxy_headers, scheme, self._default_headers
            )
        if self._trust_env and request.auth is None:
            request.auth = netrc_credentials(url.host)

    async def _tracked_request(self, call: dict[str, Any]) -> ClientResponse:
        """_request with an UploadTracker: bound to this call first (a tracker observes one
        request), told when the call is over however it ends, so upload_complete always
        settles (an argument refused, a connection failed, ...)."""
        arguments = dict(call)
        del arguments["self"]
        arguments["_tracking"] = True
        tracker: UploadTracker = arguments["upload_tracker"]
        tracker._bind()
        try:
            return await self._request(**arguments)
        finally:
            tracker._finalize()

    def _traces(self, trace_request_ctx: Any) -> tuple[Trace, ...]:
        """One Trace per trace config for a request (only called when there are some)."""
        return tuple(
            Trace(self, config, config.trace_config_ctx(trace_request_ctx=trace_request_ctx))
            for config in self._trace_configs
        )

    def _header_template(self, auto_decompress: bool) -> "CIMultiDict[str]":
        version = getversion(self._default_headers)  # type: ignore[arg-type]  # stub too narrow
        usual = auto_decompress == self._auto_decompress
        if usual and self._template_version == version:
            return self._template
        other = self._other_template
        if not usual and other is not None and other[0] == version:
            return other[1]
        template = CIMultiDict(self._default_headers)
        skip = self._skip_auto_headers
        if hdrs.ACCEPT not in template and hdrs.ACCEPT not in skip:
            template[hdrs.ACCEPT] = "*/*"
        if (
            auto_decompress
            and hdrs.ACCEPT_ENCODING not in template
            and hdrs.ACCEPT_ENCODING not in skip
        ):
            template[hdrs.ACCEPT_ENCODING] = ACCEPT_ENCODING
        if hdrs.USER_AGENT not in template and hdrs.USER_AGENT not in skip:
            template[hdrs.USER_AGENT] = USER_AGENT
        if usual:
            self._template, self._template_version = template, version
        else:
            self._other_template = (version, template)
        return template

    @staticmethod
    def _merge_into(merged: "CIMultiDict[str]", headers: Any) -> None:
        """The request's headers replace the session's of the same name."""
        if not headers:
            return
        if not isinstance(headers, (MultiDict, CIMultiDict, CIMultiDictProxy)):
            headers = CIMultiDict(headers)
        seen: set[str] = set()
        for name, value in headers.items():
            if name in seen:
                merged.add(name, value)
            else:
                merged[name] = value
                seen.add(name)

    def _use_prepared_head(self, request: ClientRequest, template: "CIMultiDict[str]") -> None:
        """Give a request with nothing of its own (no headers, body, credentials, cookies,
        proxy, middlewares or tracing to see it) the headers and head bytes prepared the last
        time this URL was asked for, or prepare them. The headers are then shared by those
        requests: nothing writes to them any more (the request objects are seen by no
        middleware; responses expose them read-only, in request_info)."""
        url = request.url
        prepared = self._prepared_heads.get(url)
        if prepared is None or prepared[1] is not template or prepared[0] != request.method:
            self._finish_request(request, template, None)
            head = encode_request_head(request)
            prepared = (request.method, template, request.headers, head)
            _remember(self._prepared_heads, url, prepared)
        else:
            request.headers = prepared[2]
        request._head = prepared[3]

    def _finish_request(
        self, request: ClientRequest, base_headers: "CIMultiDict[str]", cookies: Any
    ) -> None:
        """The request's headers: the call's, plus those that depend on where this attempt
        goes (Host, Authorization, Cookie) and on its body (framing, Expect)."""
        url = request.url
        headers = CIMultiDict(base_headers)
        settings = request._settings
        auth = request.auth
        if auth is not None and hdrs.AUTHORIZATION in headers:
            raise ValueError(
                "Cannot combine AUTHORIZATION header with AUTH argument or credentials "
                "encoded in URL"
            )
        host = url.raw_host or ""
        port = url.port
        scheme = url.scheme
        if hdrs.HOST not in headers and hdrs.HOST not in settings.skip_auto_headers:
            host_key = (scheme, host, port)
            host_header = self._host_headers.get(host_key)
            if host_header is None:
                host_header = f"[{host}]" if ":" in host else host  # IPv6 literal
                if port != _DEFAULT_PORTS.get(scheme):
                    host_header = f"{host_header}:{port}"
                _remember(self._host_headers, host_key, host_header)
            headers[hdrs.HOST] = host_header
        if auth is not None:
            headers[hdrs.AUTHORIZATION] = auth.encode()
        proxy = request._proxy
        if proxy is not None:
            if proxy.tunnel:
                # Through a tunnel the origin reads every header: the proxy's credentials,
                # even a caller's own Proxy-Authorization, go on the CONNECT only.
                own = headers.popall(hdrs.PROXY_AUTHORIZATION, None)
                request._proxy = proxy._replace(authorization=own[-1] if own else None)
            elif proxy.auth is not None:
                # Forwarded by the proxy (http:// targets): its credentials go on this
                # request, which the proxy reads and removes (aiohttp's rule).
                headers[hdrs.PROXY_AUTHORIZATION] = proxy.auth.encode()
        self._add_cookies(headers, url, cookies)
        body = request._body
        if body is not None and settings.compress is not None:
            if hdrs.CONTENT_ENCODING in headers:
                raise ValueError("compress can not be set if Content-Encoding header is set")
            headers[hdrs.CONTENT_ENCODING] = settings.compress
        if body is not None:
            set_body_headers(headers, body, settings.chunked, settings.skip_auto_headers)
            if settings.expect100 and (len(body) if isinstance(body, bytes) else True):
                headers[hdrs.EXPECT] = "100-continue"
        elif request.method not in _NO_BODY_METHODS:
            set_empty_body_headers(headers, request.method, settings.chunked, settings.skip_auto_headers)
        request.headers = headers
        request._head = None

    def _send(self, request: ClientRequest) -> Coroutine[Any, Any, ClientResponse]:
        """One attempt: a connection and the exchange on it (client_exchange). The innermost
        handler of the middleware chain.

        A plain function returning the coroutine to await: with a pooled connection at hand
        that is the exchange's own coroutine, so a keep-alive request runs one coroutine
        fewer (this one) and none for the pool."""
        connector = self._connector
        if connector is None:
            raise RuntimeError("Session is closed")
        if request._upload_tracker is not None:
            # Each call of the handler is an attempt (redirects, middleware retries, the
            # retry on a stale connection), counted before connecting as aiohttp does.
            request._upload_gen = request._upload_tracker._attempt_started()
        head_bytes = request._head
        if head_bytes is None:
            head_bytes = encode_request_head(request)
        if request._proxy is not None:
            return self._connect_and_send(request, connector, None, head_bytes)
        key = self._pool_key(request)
        if request._traces is None and self._pool_reuse_at_once and not request._fresh_connection:
            connection = connector._reuse_idle(key)
            if connection is not None:
                return send(request, connection, head_bytes)
        return self._connect_and_send(request, connector, key, head_bytes)

    def _pool_key(self, request: ClientRequest) -> ConnectionKey:
        """The pool's key for a direct request, from a small cache: building a ConnectionKey
        per request costs more."""
        url = request.url
        host = url.raw_host or ""
        port = url.port
        is_ssl = url.scheme == "https"
        ssl_setting = request._ssl if is_ssl else True
        server_hostname = request._settings.server_hostname
        key_parts = (host, port, is_ssl, id(ssl_setting), server_hostname)
        key = self._connection_keys.get(key_parts)
        if key is None or key.ssl is not ssl_setting:
            key = ConnectionKey(host, port, is_ssl, ssl_setting, server_hostname)
            _remember(self._connection_keys, key_parts, key)
        return key

    async def _connect_and_send(
        self,
        request: ClientRequest,
        connector: BaseConnector,
        key: Optional[ConnectionKey],
        head_bytes: bytes,
    ) -> ClientResponse:
        """_send when the connection must be waited for (a new one, a free slot, a proxy,
        tracing signals); key None: the request's proxy decides it."""
        if key is None:
            connection = await self._proxy_connection(request, connector)
        else:
            connection = await connector.connect(
                key, request.timeout, deadline=request._deadline, traces=request._traces,
                fresh=request._fresh_connection,
            )
        return await send(request, connection, head_bytes)

    async def _proxy_connection(self, request: ClientRequest, connector: BaseConnector) -> Connection:
        """A connection to the proxy that forwards the request, or a tunnel through it;
        failing to reach the proxy is a ClientProxyConnectionError (as aiohttp)."""
        proxy = request._proxy
        assert proxy is not None
        if proxy.tunnel:
            url = request.url
            key, tunnel = tunnel_for(
                proxy, url, request._ssl, request._settings.server_hostname,
                request.headers.get(hdrs.HOST) or url.raw_host or "",
            )
            return await connector.connect(
                key, request.timeout, deadline=request._deadline, traces=request._traces,
                tunnel=tunnel, fresh=request._fresh_connection,
            )
        key = proxy_connection_key(proxy, request._ssl)
        try:
            return await connector.connect(
                key, request.timeout, deadline=request._deadline, traces=request._traces,
                fresh=request._fresh_connection,
            )
        except ClientConnectorError as exc:
            if type(exc) is not ClientConnectorError:
                raise  # DNS, TLS: as aiohttp, those keep their own type
            raise ClientProxyConnectionError(key, exc.os_error) from exc

    def _store_cookies(self, response: ClientResponse) -> None:
        set_cookies = response._headers.getall(hdrs.SET_COOKIE, ())
        if set_cookies:
            self._cookie_jar.update_cookies_from_headers(list(set_cookies), response.url)

    def _add_cookies(self, headers: "CIMultiDict[str]", url: URL, extra: Any) -> None:
        jar = self._cookie_jar
        if not extra and not len(jar):
            return
        cookie = request_cookie_header(jar, url, extra, headers.get(hdrs.COOKIE))
        if cookie is not None:
            headers[hdrs.COOKIE] = cookie


# --- redirects (httpx's shape: small helpers, not inline in the request loop) -----------------


def _redirect_url(current: URL, location: str, requote: bool) -> URL:
    """Where a redirect's Location points, resolved against the current URL and checked."""
    try:
        target = URL(location, encoded=not requote)
    except ValueError as exc:
        raise InvalidUrlRedirectClientError(
            location, "Server attempted redirecting to a location that does not look like a URL"
        ) from exc
    if target.scheme and target.scheme not in _HTTP_SCHEMES:
        raise NonHttpUrlRedirectClientError(target)
    if _is_reference_to_current(location, target, current):
        target = current.join(target)
    _check_url(target, redirect=True)
    return target.with_fragment(None) if target.raw_fragment else target


def _redirect_method(method: str, status: int) -> str:
    """303 turns anything but HEAD into GET; 301 and 302 turn POST into GET (as browsers)."""
    if status == 303 and method != "HEAD" or status in (301, 302) and method == "POST":
        return "GET"
    return method


def _redirect_headers(
    headers: "CIMultiDict[str]", request: ClientRequest, status: int, target: URL
) -> "CIMultiDict[str]":
    """The call's headers for the next request: no Content-Type once the body is dropped,
    no credentials or cookies for another origin."""
    headers = CIMultiDict(headers)
    if _redirect_method(request.method, status) != request.method:
        headers.popall(hdrs.CONTENT_TYPE, None)
    if request.url.origin() != target.origin():
        headers.popall(hdrs.AUTHORIZATION, None)
        headers.popall(hdrs.COOKIE, None)
        headers.popall(hdrs.PROXY_AUTHORIZATION, None)  # (aiohttp drops it too)
    return headers


def _body_cannot_follow(request: ClientRequest, status: int) -> bool:
    """The redirect keeps the body (307, 308; 301/302 but for POST) but it was a one-time
    stream, used up by the first request: aiohttp refuses to follow rather than send
    nothing or the rest."""
    body = request._body
    return (
        isinstance(body, Payload) and body.consumed
        and _redirect_method(request.method, status) == request.method
    )


def _build_redirect_request(request: ClientRequest, status: int, target: URL) -> ClientRequest:
    """The request a redirect answer asks for, from the one that got it (its headers are
    the session's to finish)."""
    method = _redirect_method(request.method, status)
    auth = request.auth if request.url.origin() == target.origin() else None
    if target.raw_user is not None and auth is None:
        auth = BasicAuth.from_url(target)
    follow = request._copy(method, target, auth)
    if method != request.method:
        follow._body = None
    return follow


def _with_params(url: URL, params: Any) -> URL:
    if isinstance(params, str):
        extra = URL.build(query_string=params).query
    else:
        extra = URL.build(query=params).query if not isinstance(params, URL) else params.query
    if not url.query:
        return url.with_query(extra)
    merged = MultiDict(url.query)
    merged.extend(extra)
    return url.with_query(merged)


# What a browser drops around a URL and inside it before parsing (WHATWG URL).
_C0_CONTROL_OR_SPACE: Final = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE: Final = {ord("\t"): None, ord("\n"): None, ord("\r"): None}


def _is_reference_to_current(location: str, target: URL, current: URL) -> bool:
    """Whether a Location is resolved against the current URL (aiohttp 3.14, browsers).

    A location without a scheme is; so is one with the current scheme but no "//" after it
    ("http:/x", "http:x"). One with "//" has an authority, empty or not: "http:///x" is not a
    path of the current host but a URL without a host, refused (_check_url) rather than
    followed (a backslash counts as a slash there, as browsers read it for http and https).
    """
    scheme = target.scheme
    if not scheme:
        return True
    if scheme != current.scheme:
        return False
    text = location.strip(_C0_CONTROL_OR_SPACE).translate(_TAB_OR_NEWLINE)
    after = text[len(scheme) + 1 : len(scheme) + 3]
    return not (len(after) == 2 and after[0] in "/\\" and after[1] in "/\\")


def _check_url(url: URL, *, redirect: bool) -> None:
    # No scheme: a relative URL without base_url, an invalid URL for aiohttp, not a non-HTTP one.
    if url.scheme not in _HTTP_SCHEMES and url.scheme:
        if redirect:
            raise NonHttpUrlRedirectClientError(url)
        if url.scheme != "tcp":
            raise NonHttpUrlClientError(url)
        # aiohttp's TCPConnector takes tcp://host:port as plain HTTP (not in a redirect). It
        # has no default port: aiohttp fails on an assert without one; this says why.
        if url.explicit_port is None:
            raise InvalidUrlClientError(url, "a tcp:// URL needs a port")
    if not url.raw_host:
        if redirect:
            raise InvalidUrlRedirectClientError(url, "no host")
        raise InvalidUrlClientError(url, "no host")


def _make_body(
    data: Any, json: Any, text: Optional[str], serialize: JSONEncoder,
    serialize_bytes: Optional[Callable[[Any], bytes]] = None,
) -> Any:
    """The request body: bytes for what fits in memory, else a payload object."""
    if json is not _SENTINEL and json is not None:
        if serialize_bytes is not None:  # aiohttp 3.14: a serializer that gives bytes wins
            return TypedBytes(bytes(serialize_bytes(json)), "application/json")
        return TypedBytes(serialize(json).encode("utf-8"), "application/json")
    if text is not None:
        return TypedBytes(text.encode("utf-8"), "text/plain; charset=utf-8")
    if data is None:
        return None
    return make_body(data)


def request(
    method: str,
    url: Union[str, URL],
    *,
    version: HttpVersion = HttpVersion11,
    connector: Optional[BaseConnector] = None,
    loop: Optional[asyncio.AbstractEventLoop] = None,
    **kwargs: Any,
) -> "_SessionRequestContextManager":
    """A one-off request in a session of its own, closed with the response."""
    session_kwargs: dict[str, Any] = {"version": version, "loop": loop}
    for name in ("cookies", "timeout"):
        if name in kwargs:
            session_kwargs[name] = kwargs.pop(name)
    return _SessionRequestContextManager(method, url, connector, session_kwargs, kwargs)


class _SessionRequestContextManager:
    def __init__(
        self, method: str, url: Union[str, URL], connector: Any, session_kwargs: Mapping[str, Any],
        kwargs: dict[str, Any],
    ) -> None:
        self._args = (method, url, connector, session_kwargs, kwargs)
        self._session: Optional[ClientSession] = None
        self._response: Optional[ClientResponse] = None

    async def __aenter__(self) -> ClientResponse:
        method, url, connector, session_kwargs, kwargs = self._args
        # A connector the caller passed stays theirs (not closed with this session), as in
        # aiohttp; the session's own does not keep the connection alive.
        owner = connector is None
        if owner:
            connector = TCPConnector(loop=session_kwargs.get("loop"), force_close=True)
        self._session = ClientSession(
            connector=connector, connector_owner=owner, **session_kwargs
        )
        try:
            self._response = await self._session._request(method, url, **kwargs)
        except BaseException:
            await self._session.close()
            raise
        return self._response

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._response is not None:
            self._response.release()
        if self._session is not None:
            await self._session.close()


def __getattr__(name: str) -> Any:
    # aiohttp.client's names fasthttp keeps in other modules (or why it has not); the import
    # system's probes (`__path__` on every `from .client import x`) do not load that table
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .aiohttp_submodules import reexport

    return reexport("client", name)
