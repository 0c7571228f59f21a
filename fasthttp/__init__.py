"""fasthttp: a fast asyncio HTTP client (and small server) with aiohttp 3.x's API.

`import fasthttp as aiohttp` keeps aiohttp client code working.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"

import sys as _sys  # noqa: E402
from typing import Any  # noqa: E402

from aiohappyeyeballs import AddrInfoType, SocketFactoryType  # noqa: E402 - aiohttp re-exports them too

from . import hdrs  # noqa: E402
from .chain_map_proxy import ChainMapProxy  # noqa: E402
from .auth import BasicAuth, encode_basic_auth  # noqa: E402
from .client import ClientSession, request  # noqa: E402
from .client_exceptions import (  # noqa: E402
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientDecompressedSizeError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ClientSSLError,
    ConnectionTimeoutError,
    ContentTypeError,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    RedirectClientError,
    RequestInfo,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SocketTimeoutError,
    TooManyRedirects,
    UploadAbortedError,
    WSMessageTypeError,
    WSServerHandshakeError,
)
from .client_middleware_digest_auth import DigestAuthMiddleware  # noqa: E402
from .client_middlewares import ClientHandlerType, ClientMiddlewareType  # noqa: E402
from .client_request import ClientRequest  # noqa: E402
from .client_response import ClientResponse  # noqa: E402
from .client_ws import ClientWebSocketResponse, ClientWSTimeout  # noqa: E402
from .connector import BaseConnector, Connection, TCPConnector  # noqa: E402
from .connector_unix import NamedPipeConnector, UnixConnector  # noqa: E402
from .fingerprint import Fingerprint  # noqa: E402
from .resolver import AsyncResolver, DefaultResolver, ThreadedResolver  # noqa: E402
from .cookiejar import AbstractCookieJar, CookieJar, DummyCookieJar  # noqa: E402
from .formdata import FormData  # noqa: E402
from .http_exceptions import HttpProcessingError  # noqa: E402
from .http_types import HttpVersion, HttpVersion10, HttpVersion11  # noqa: E402
from .multipart import MultipartWriter  # noqa: E402
from .multipart_reader import BodyPartReader, MultipartReader  # noqa: E402
from .upload_tracker import UploadTracker  # noqa: E402
from .payloads import (  # noqa: E402
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Payload,
    StreamReaderPayload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
)
from .streams import EMPTY_PAYLOAD, EofStream, StreamReader  # noqa: E402
from .timeouts import ClientTimeout  # noqa: E402
from .tracing import (  # noqa: E402
    TraceConfig,
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    TraceRequestChunkSentParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceResponseChunkReceivedParams,
)
from .ws_types import WebSocketError, WSCloseCode, WSMessage, WSMsgType  # noqa: E402

__all__ = (
    "__version__",
    "hdrs",
    "AddrInfoType",
    "SocketFactoryType",
    "ChainMapProxy",
    "ETag",
    "EofStream",
    "GunicornWebWorker",
    "GunicornUVLoopWebWorker",
    "BasicAuth",
    "encode_basic_auth",
    "ClientSession",
    "ClientRequest",
    "ClientHandlerType",
    "ClientMiddlewareType",
    "DigestAuthMiddleware",
    "ClientResponse",
    "ClientTimeout",
    "TraceConfig",
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
    "ClientWebSocketResponse",
    "ClientWSTimeout",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "request",
    "BaseConnector",
    "Connection",
    "TCPConnector",
    "UnixConnector",
    "NamedPipeConnector",
    "Fingerprint",
    "AsyncResolver",
    "DefaultResolver",
    "ThreadedResolver",
    "AbstractCookieJar",
    "CookieJar",
    "DummyCookieJar",
    "FormData",
    "MultipartWriter",
    "MultipartReader",
    "BodyPartReader",
    "Payload",
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonPayload",
    "StreamReaderPayload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "StreamReader",
    "EMPTY_PAYLOAD",
    "HttpProcessingError",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RequestInfo",
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
    "ClientPayloadError",
    "ClientDecompressedSizeError",
    "UploadAbortedError",
    "UploadTracker",
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
)

# Loaded on first use, as aiohttp loads its workers: ETag lives with the server
# (fasthttp.web), the workers need gunicorn; a client-only program imports neither.
_LAZY = {
    "ETag": ("fasthttp.web.conditional", "ETag"),
    "GunicornWebWorker": ("fasthttp.worker", "GunicornWebWorker"),
    "GunicornUVLoopWebWorker": ("fasthttp.worker", "GunicornUVLoopWebWorker"),
}

# aiohttp's top-level names fasthttp deliberately has not, and why (docs/aiohttp-compat.md).
_ABSENT = {
    "DataQueue": "it is aiohttp's internal stream plumbing (fasthttp's StreamReader has no such queue)",
    "FlowControlDataQueue": "it is aiohttp's internal stream plumbing (fasthttp's StreamReader has no such queue)",
    "PAYLOAD_REGISTRY": "payload types are not pluggable: data= takes the types fasthttp.get_payload() knows",
    "payload_type": "payload types are not pluggable: data= takes the types fasthttp.get_payload() knows",
    "streamer": "aiohttp deprecates it: pass an async generator as data= instead",
    "set_zlib_backend": "fasthttp compresses and decompresses with the standard zlib module only",
    "parse_content_disposition": "use BodyPartReader.name / .filename (RFC 2231 forms decoded)",
    "content_disposition_filename": "use BodyPartReader.filename (RFC 2231 forms decoded)",
    "BadContentDispositionHeader": "fasthttp's multipart reader does not warn about malformed Content-Disposition",
    "BadContentDispositionParam": "fasthttp's multipart reader does not warn about malformed Content-Disposition",
}


def __getattr__(name: str) -> Any:
    lazy = _LAZY.get(name)
    if lazy is not None:
        import importlib

        value = getattr(importlib.import_module(lazy[0]), lazy[1])
        globals()[name] = value
        return value
    why = _ABSENT.get(name)
    if why is not None:
        raise AttributeError(f"fasthttp does not provide aiohttp.{name}: {why}")
    if name.startswith("__"):  # probes such as __path__ or __wrapped__: not a submodule
        raise AttributeError(f"module 'fasthttp' has no attribute {name!r}")
    # aiohttp's submodules (fasthttp.helpers, fasthttp.abc, ...), or an AttributeError saying why not
    from .aiohttp_submodules import attribute

    return attribute(name)


class _AiohttpSubmodules:
    """`import fasthttp.helpers` & co: aiohttp's module names fasthttp/aiohttp_submodules.py builds.

    Last on sys.meta_path: asked only about a `fasthttp.` name no file answered.
    """

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith("fasthttp."):
            return None
        from .aiohttp_submodules import SubmoduleFinder

        return SubmoduleFinder.find_spec(fullname, path, target)


_sys.meta_path.append(_AiohttpSubmodules)
