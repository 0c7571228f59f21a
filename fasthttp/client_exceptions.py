"""The client's exceptions: aiohttp 3.x's hierarchy and names, so `except` clauses carry over.

When aiohttp is installed, each class is also a subclass of aiohttp's class of the same name
(fasthttp/_aiohttp_bases.py), so libraries written for aiohttp catch fasthttp's errors; the
constructors here never rely on aiohttp's (they come after these in every MRO, and set the
attributes aiohttp's __str__ and __repr__ read themselves).

Timeouts derive from `asyncio.TimeoutError` (which is the builtin `TimeoutError` on 3.11+), so
`except asyncio.TimeoutError` catches every client timeout, as with aiohttp.

Every one survives a pickle round trip with its attributes (see fasthttp._error_pickling),
including the response errors, whose headers are multidict proxies (aiohttp's are not
picklable then). The responses of a response error's `history` hold a connection and a loop:
they are not carried (the copy's history is empty).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, NamedTuple, Optional, Union

from multidict import CIMultiDictProxy, MultiDict
from yarl import URL

from . import _aiohttp_bases as aio
from ._error_pickling import picklable, reduce_error

__all__ = (
    "ClientError",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientOSError",
    "ClientConnectorError",
    "ClientConnectorDNSError",
    "ClientProxyConnectionError",
    "ClientSSLError",
    "ClientConnectorSSLError",
    "ClientConnectorCertificateError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerTimeoutError",
    "ConnectionTimeoutError",
    "SocketTimeoutError",
    "ServerFingerprintMismatch",
    "UnixClientConnectorError",
    "ClientPayloadError",
    "ClientDecompressedSizeError",
    "UploadAbortedError",
    "ClientResponseError",
    "ContentTypeError",
    "WSServerHandshakeError",
    "WSMessageTypeError",
    "ClientHttpProxyError",
    "TooManyRedirects",
    "InvalidURL",
    "InvalidUrlClientError",
    "RedirectClientError",
    "NonHttpUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlRedirectClientError",
    "ConnectionKey",
    "RequestInfo",
)


class ConnectionKey(NamedTuple):
    """What makes two requests share a pooled connection."""

    host: str
    port: Optional[int]
    is_ssl: bool
    ssl: Any  # True/False, an SSLContext or a Fingerprint (pinned apart from unpinned)
    server_hostname: Optional[str]
    # Through a proxy (None: direct), as aiohttp's key: a connection made for one proxy or
    # one set of proxy credentials never serves another.
    proxy: Optional[URL] = None
    proxy_auth: Any = None
    proxy_headers_hash: Optional[int] = None


class RequestInfo(NamedTuple):
    """What was asked: kept on responses and errors (aiohttp's `request_info`)."""

    url: URL
    method: str
    headers: "CIMultiDictProxy[str]"
    real_url: URL

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The headers are a proxy, which pickle refuses: carried as a proxy of a copy.
        return RequestInfo, (self.url, self.method, picklable(self.headers), self.real_url)


class ClientError(aio.ClientError, Exception):
    """Base of every client error."""


# --- Responses -------------------------------------------------------------------------------


class ClientResponseError(ClientError, aio.ClientResponseError):
    """A response that is an error (status >= 400 with raise_for_status), or unusable."""

    def __init__(
        self,
        request_info: RequestInfo,
        history: tuple[Any, ...],
        *,
        code: Optional[int] = None,
        status: Optional[int] = None,
        message: str = "",
        headers: Optional[Union["CIMultiDictProxy[str]", "MultiDict[str]"]] = None,
    ) -> None:
        self.request_info = request_info
        if status is None:
            status = code if code is not None else 0
        self.status = status
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)  # (aiohttp's __init__, next in the MRO, would reset status)

    @property
    def code(self) -> int:
        return self.status

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Rebuilt without calling __init__ (subclasses may take other arguments); the
        # history's responses, which hold a connection and a loop, are left behind.
        return reduce_error(self, (self.request_info, ()), {"history": ()})

    def __str__(self) -> str:
        return f"{self.status}, message={self.message!r}, url={str(self.request_info.real_url)!r}"

    def __repr__(self) -> str:
        args = f"{self.request_info!r}, {self.history!r}"
        if self.status != 0:
            args += f", status={self.status!r}"
        if self.message != "":
            args += f", message={self.message!r}"
        if self.headers is not None:
            args += f", headers={self.headers!r}"
        return f"{type(self).__name__}({args})"


class ContentTypeError(ClientResponseError, aio.ContentTypeError):
    """`json()` found a Content-Type other than the one expected."""


class WSServerHandshakeError(ClientResponseError, aio.WSServerHandshakeError):
    """The WebSocket handshake was refused or malformed."""


class ClientHttpProxyError(ClientResponseError, aio.ClientHttpProxyError):
    """The proxy answered the CONNECT with an error."""


class TooManyRedirects(ClientResponseError, aio.TooManyRedirects):
    """More redirects than `max_redirects`."""


# --- Connections -----------------------------------------------------------------------------


class ClientConnectionError(ClientError, aio.ClientConnectionError):
    """Base of the errors of the connection itself."""


class ClientConnectionResetError(
    ClientConnectionError, aio.ClientConnectionResetError, ConnectionResetError
):
    """The connection was reset while writing."""


class ClientOSError(ClientConnectionError, aio.ClientOSError, OSError):
    """An OS-level error on the connection."""


class ClientConnectorError(ClientOSError, aio.ClientConnectorError):
    """The connection could not be made."""

    def __init__(self, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        OSError.__init__(self, os_error.errno, os_error.strerror)  # not aiohttp's __init__
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        return self._os_error

    @property
    def host(self) -> str:
        return self._conn_key.host

    @property
    def port(self) -> Optional[int]:
        return self._conn_key.port

    @property
    def ssl(self) -> Any:
        return self._conn_key.ssl

    def __str__(self) -> str:
        ssl_text = "default" if self.ssl is True else self.ssl
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{ssl_text} "
            f"[{self.strerror or self._os_error}]"
        )

    __reduce__ = BaseException.__reduce__


class UnixClientConnectorError(ClientConnectorError, aio.UnixClientConnectorError):
    """UnixConnector could not connect to its socket."""

    def __init__(self, path: str, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)
        self.args = (path, connection_key, os_error)

    @property
    def path(self) -> str:
        return self._path

    def __str__(self) -> str:
        ssl_text = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to unix socket {self.path} ssl:{ssl_text} [{self.strerror}]"


class ClientConnectorDNSError(ClientConnectorError, aio.ClientConnectorDNSError):
    """The host name could not be resolved."""


class ClientProxyConnectionError(ClientConnectorError, aio.ClientProxyConnectionError):
    """The proxy could not be reached."""


class ClientSSLError(ClientConnectorError, aio.ClientSSLError):
    """Base of the TLS errors."""


class ClientConnectorSSLError(ClientSSLError, aio.ClientConnectorSSLError, ssl.SSLError):
    """The TLS handshake failed."""


class ClientConnectorCertificateError(
    ClientSSLError, aio.ClientConnectorCertificateError, ssl.CertificateError
):
    """The server's certificate did not verify."""

    def __init__(self, connection_key: ConnectionKey, certificate_error: Exception) -> None:
        self._certificate_error = certificate_error
        os_error = OSError(0, str(certificate_error))
        super().__init__(connection_key, os_error)
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> Exception:
        return self._certificate_error

    def __str__(self) -> str:
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl} "
            f"[{type(self._certificate_error).__name__}: {self._certificate_error}]"
        )


class ServerConnectionError(ClientConnectionError, aio.ServerConnectionError):
    """The server end of the connection failed."""


class ServerDisconnectedError(ServerConnectionError, aio.ServerDisconnectedError):
    """The server closed the connection before the response was complete."""

    def __init__(self, message: Optional[str] = None) -> None:
        if message is None:
            message = "Server disconnected"
        self.message = message
        self.args = (message,)


class ServerTimeoutError(ServerConnectionError, aio.ServerTimeoutError, asyncio.TimeoutError):
    """A timeout on the server's side of the exchange."""


class ConnectionTimeoutError(ServerTimeoutError, aio.ConnectionTimeoutError):
    """Connecting (pool wait, DNS, TCP, TLS) took longer than the `connect` timeout."""


class SocketTimeoutError(ServerTimeoutError, aio.SocketTimeoutError):
    """The server was silent for longer than `sock_read`."""


class ServerFingerprintMismatch(ServerConnectionError, aio.ServerFingerprintMismatch):
    """The server's certificate fingerprint is not the one expected."""

    def __init__(self, expected: bytes, got: bytes, host: str, port: int) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        self.args = (expected, got, host, port)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} expected={self.expected!r} got={self.got!r} "
            f"host={self.host!r} port={self.port!r}>"
        )


# --- Bodies and URLs -------------------------------------------------------------------------


class ClientPayloadError(ClientError, aio.ClientPayloadError):
    """The response body could not be read completely or decoded."""


class ClientDecompressedSizeError(ClientPayloadError):
    """The decoded response body went past `max_decompressed_size` (fasthttp's extension
    over aiohttp, off by default): a decompression bomb, or just more than the caller allows.
    `limit` is the limit in bytes. The connection is closed, never reused."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class UploadAbortedError(ClientError, aio.UploadAbortedError):
    """The request body was never fully sent (an UploadTracker's upload_complete)."""


class InvalidURL(ClientError, aio.InvalidURL, ValueError):
    """The URL cannot be requested (no host, bad characters, ...)."""

    def __init__(self, url: Any, description: Optional[str] = None) -> None:
        self._url = url
        self._description = description
        self.args = (url, description) if description else (url,)

    @property
    def url(self) -> Any:
        return self._url

    @property
    def description(self) -> Optional[str]:
        return self._description

    def __str__(self) -> str:
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


class InvalidUrlClientError(InvalidURL, aio.InvalidUrlClientError):
    """The URL given to a request is invalid."""


class RedirectClientError(ClientError, aio.RedirectClientError):
    """A redirect could not be followed."""


class NonHttpUrlClientError(ClientError, aio.NonHttpUrlClientError):
    """The URL's scheme is not http or https."""


class InvalidUrlRedirectClientError(
    InvalidUrlClientError, RedirectClientError, aio.InvalidUrlRedirectClientError
):
    """A redirect's Location is not a valid URL."""


class NonHttpUrlRedirectClientError(
    NonHttpUrlClientError, RedirectClientError, aio.NonHttpUrlRedirectClientError
):
    """A redirect points to a scheme other than http or https."""


class WSMessageTypeError(aio.WSMessageTypeError, TypeError):
    """receive_str/receive_bytes got a message of another type (aiohttp 3.x: a TypeError)."""
