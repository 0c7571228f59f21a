"""aiohttp's submodules, under their aiohttp names, for `import fasthttp as aiohttp` code.

`import aiohttp` loads 29 public submodules (`aiohttp.helpers`, `aiohttp.typedefs`,
`aiohttp.payload`, ...) and code reaches them as attributes: `aiohttp.helpers.BasicAuth`,
`aiohttp.typedefs.LooseHeaders` in an annotation, `aiohttp.log.client_logger`. fasthttp keeps
its objects in modules of its own names (fasthttp.auth, fasthttp.payloads, ...), so this one
module builds, on first use, a thin module object per aiohttp name that has no fasthttp module
of that name: one file here instead of a dozen alias files in fasthttp/.

- `COMPAT` lists, per such module, the public names it re-exports and the fasthttp module
  that has each; the values load on first access (the module's own `__getattr__`), so
  `fasthttp.helpers.ETag` imports the server only when asked for.
- `MISSING_NAMES`: aiohttp names such a module (or a fasthttp module of aiohttp's name) does
  not have, with why; the `AttributeError` says it.
- `ABSENT_MODULES`: aiohttp submodules that are its internal machinery (protocols, parser
  and writer classes); `fasthttp.<name>` raises an `AttributeError` saying why, and
  `import fasthttp.<name>` a `ModuleNotFoundError` saying the same.

The modules are real: `fasthttp/__init__.py` puts `SubmoduleFinder` on `sys.meta_path`
(consulted only after the normal path finder found no file), so `import fasthttp.typedefs`
and `from fasthttp.helpers import BasicAuth` work, and `sys.modules` holds them.
The aiohttp modules fasthttp has under the same name (abc, hdrs, connector, client, ...) are
fasthttp's own; `REEXPORTS` gives those the aiohttp names they lacked (their `__getattr__`
calls `reexport()`). Type checkers see the built modules' attributes as `Any`.
docs/aiohttp-compat.md, "aiohttp's submodules".
"""

from __future__ import annotations

import importlib
import importlib.abc
import json
import os
import sys
import types
from collections.abc import Awaitable, Callable, Iterable, Mapping
from http import HTTPStatus
from http.cookies import BaseCookie, Morsel
from importlib.machinery import ModuleSpec
from typing import Any, Optional, Union

from multidict import CIMultiDict, CIMultiDictProxy, istr

from . import _ABSENT as _TOP_LEVEL_ABSENT  # the reasons fasthttp gives for aiohttp's top-level names

__all__ = ("COMPAT", "MISSING_NAMES", "ABSENT_MODULES", "REEXPORTS", "SubmoduleFinder", "attribute", "reexport")

# aiohttp.typedefs' aliases, spelled as aiohttp spells them (they are types, not behaviour).
Byteish = Union[bytes, bytearray, memoryview]
JSONBytesEncoder = Callable[[Any], bytes]
JSONDecoder = Callable[[str], Any]
LooseHeaders = Union[
    Mapping[str, str], Mapping[istr, str], CIMultiDict[str], CIMultiDictProxy[str], Iterable[tuple[Union[str, istr], str]]
]
RawHeaders = tuple[tuple[bytes, bytes], ...]
LooseCookiesMappings = Mapping[str, Union[str, "BaseCookie[str]", "Morsel[Any]"]]
LooseCookiesIterables = Iterable[tuple[str, Union[str, "BaseCookie[str]", "Morsel[Any]"]]]
LooseCookies = Union[LooseCookiesMappings, LooseCookiesIterables, "BaseCookie[str]"]
PathLike = Union[str, "os.PathLike[str]"]
Middleware = Callable[[Any, Any], Awaitable[Any]]
DEFAULT_JSON_ENCODER = json.dumps  # fasthttp's json_serialize default, as aiohttp's
DEFAULT_JSON_DECODER = json.loads
# aiohttp.http.RESPONSES: http.server's status table, without importing http.server
RESPONSES = {status: (status.phrase, status.description) for status in HTTPStatus}

_HERE = __name__
_WEB_WHY = "fasthttp writes nothing to it"

# aiohttp submodule -> {name: fasthttp module that has it}
COMPAT: dict[str, dict[str, str]] = {
    "helpers": {
        "BasicAuth": "fasthttp.auth",
        "encode_basic_auth": "fasthttp.auth",
        "ChainMapProxy": "fasthttp.chain_map_proxy",
        "ETag": "fasthttp.web.conditional",
        "AppKey": "fasthttp.web",
        "RequestKey": "fasthttp.web",
        "ResponseKey": "fasthttp.web",
    },
    "typedefs": {
        "Byteish": _HERE,
        "JSONEncoder": "fasthttp.client",
        "JSONBytesEncoder": _HERE,
        "JSONDecoder": _HERE,
        "LooseHeaders": _HERE,
        "RawHeaders": _HERE,
        "StrOrURL": "fasthttp.cookiejar",
        "LooseCookiesMappings": _HERE,
        "LooseCookiesIterables": _HERE,
        "LooseCookies": _HERE,
        "Handler": "fasthttp.web.app",
        "Middleware": _HERE,
        "PathLike": _HERE,
        "DEFAULT_JSON_ENCODER": _HERE,
        "DEFAULT_JSON_DECODER": _HERE,
    },
    "log": {
        "client_logger": "fasthttp.trust_env",
        "server_logger": "fasthttp.web.protocol",
        "access_logger": "fasthttp.web.access_log",
    },
    "payload": {
        name: "fasthttp.payloads"
        for name in (
            "get_payload", "Payload", "BytesPayload", "StringPayload", "IOBasePayload", "BytesIOPayload",
            "BufferedReaderPayload", "TextIOPayload", "StringIOPayload", "JsonPayload", "AsyncIterablePayload",
            "StreamReaderPayload",
        )
    },
    "client_reqrep": {
        "ClientRequest": "fasthttp.client_request",
        "ClientResponse": "fasthttp.client_response",
        "RequestInfo": "fasthttp.client_exceptions",
        "Fingerprint": "fasthttp.fingerprint",
    },
    "http_websocket": {name: "fasthttp.ws_types" for name in ("WSMsgType", "WSMessage", "WSCloseCode", "WebSocketError")},
    "http_writer": {name: "fasthttp.http_types" for name in ("HttpVersion", "HttpVersion10", "HttpVersion11")},
}

_NO_REGISTRY = _TOP_LEVEL_ABSENT["PAYLOAD_REGISTRY"]
_PARSER_INTERNAL = "it is aiohttp's parser machinery; fasthttp.http's HttpRequestParser and HttpResponseParser have their own API"
_WS_INTERNAL_NAMES = (
    "WebSocketReader", "WebSocketWriter", "WS_KEY", "WS_CLOSED_MESSAGE", "WS_CLOSING_MESSAGE", "WSMessageDecodeText",
    "WSMessageNoDecodeText", "WSMessageTextBytes", "ws_ext_gen", "ws_ext_parse",
)
_WRITER_INTERNAL = "it is aiohttp's internal body writer; fasthttp's server and client write their own"
_WS_INTERNAL = "it is aiohttp's internal WebSocket machinery; fasthttp's frame codec has another API"

# aiohttp names a module of aiohttp's name does not have here, and why.
MISSING_NAMES: dict[str, dict[str, str]] = {
    "helpers": {"reify": "fasthttp has no reify; use functools.cached_property"},
    "log": {
        "web_logger": f"{_WEB_WHY} (the server logs to server_logger and access_logger)",
        "ws_logger": f"{_WEB_WHY} (WebSocket errors are raised or answered as close frames)",
        "internal_logger": f"{_WEB_WHY} (client warnings go to client_logger)",
    },
    "payload": {
        "PAYLOAD_REGISTRY": _NO_REGISTRY,
        "payload_type": _NO_REGISTRY,
        "JsonBytesPayload": "give ClientSession(json_serialize_bytes=) a bytes-returning encoder (orjson.dumps) instead",
    },
    "http_websocket": {name: _WS_INTERNAL for name in _WS_INTERNAL_NAMES}
    | {"WSHandshakeError": "a failed handshake raises WSServerHandshakeError (client) or HTTPBadRequest (server)"},
    "http_writer": {"StreamWriter": _WRITER_INTERNAL},
    # as at the top level
    "multipart": {
        name: _TOP_LEVEL_ABSENT[name]
        for name in (
            "parse_content_disposition", "content_disposition_filename", "BadContentDispositionHeader",
            "BadContentDispositionParam",
        )
    },
    "http": {
        **{name: _WS_INTERNAL for name in _WS_INTERNAL_NAMES},
        **{name: _PARSER_INTERNAL for name in ("HeadersParser", "HttpParser", "RawRequestMessage", "RawResponseMessage")},
        "StreamWriter": _WRITER_INTERNAL,
    },
    "streams": {name: _TOP_LEVEL_ABSENT[name] for name in ("DataQueue", "FlowControlDataQueue")},
}

_INTERNAL = "it is aiohttp's internal machinery, with no public API"
ABSENT_MODULES: dict[str, str] = {
    "base_protocol": f"{_INTERNAL} (fasthttp's protocols are fasthttp.protocol and fasthttp.web)",
    "client_proto": f"{_INTERNAL} (fasthttp's client protocol is fasthttp.protocol)",
    "http_parser": f"{_INTERNAL} (fasthttp's parser is fasthttp.http, with its own API)",
    "tcp_helpers": f"{_INTERNAL} (asyncio's TCP transports set TCP_NODELAY; fasthttp does not tune keepalive)",
    "compression_utils": "fasthttp compresses and decompresses with the standard zlib module only (fasthttp.compression)",
    "payload_streamer": _TOP_LEVEL_ABSENT["streamer"],
}

# fasthttp modules of aiohttp's name -> {aiohttp name they lacked: fasthttp module that has it}
REEXPORTS: dict[str, dict[str, str]] = {
    "connector": {"UnixConnector": "fasthttp.connector_unix", "NamedPipeConnector": "fasthttp.connector_unix"},
    "multipart": {"MultipartReader": "fasthttp.multipart_reader", "BodyPartReader": "fasthttp.multipart_reader"},
    "http": {name: "fasthttp.ws_types" for name in ("WSMsgType", "WSMessage", "WSCloseCode", "WebSocketError")}
    | {"SERVER_SOFTWARE": "fasthttp.web.response", "RESPONSES": _HERE},
    "client": {
        name: "fasthttp"
        for name in (
            "ClientConnectionResetError", "ClientConnectorCertificateError", "ClientConnectorDNSError",
            "ClientConnectorSSLError", "ClientError", "ClientHttpProxyError", "ClientSSLError",
            "ConnectionTimeoutError", "ContentTypeError", "RedirectClientError", "ServerConnectionError",
            "ServerFingerprintMismatch", "ServerTimeoutError", "SocketTimeoutError", "UploadAbortedError",
            "WSServerHandshakeError", "Fingerprint", "UnixConnector", "NamedPipeConnector",
            "ClientWebSocketResponse", "ClientWSTimeout", "WSMessageTypeError",
        )
    },
}


def _no_such(module: str, name: str) -> AttributeError:
    why = MISSING_NAMES.get(module, {}).get(name)
    if why is not None:
        return AttributeError(f"fasthttp does not provide aiohttp.{module}.{name}: {why}")
    return AttributeError(f"module 'fasthttp.{module}' has no attribute {name!r}")


def reexport(module: str, name: str) -> Any:
    """The value of `fasthttp.<module>.<name>` for a name `REEXPORTS` gives it, else the error."""
    source = REEXPORTS.get(module, {}).get(name)
    if source is None:
        raise _no_such(module, name)
    value = getattr(importlib.import_module(source), name)
    setattr(sys.modules[f"fasthttp.{module}"], name, value)
    return value


def _build(module: str) -> types.ModuleType:
    names = COMPAT[module]
    built = types.ModuleType(f"fasthttp.{module}", f"aiohttp.{module}'s names fasthttp implements (fasthttp.aiohttp_submodules).")

    def __getattr__(name: str) -> Any:
        source = names.get(name)
        if source is None:
            raise _no_such(module, name)
        value = getattr(importlib.import_module(source), name)
        setattr(built, name, value)
        return value

    built.__getattr__ = __getattr__  # type: ignore[method-assign]
    built.__all__ = tuple(names)  # type: ignore[attr-defined]
    built.__dir__ = lambda: sorted(set(names) | set(vars(built)))  # type: ignore[method-assign]
    return built


class _BuiltModuleLoader(importlib.abc.Loader):
    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        return _build(spec.name.partition(".")[2])

    def exec_module(self, module: types.ModuleType) -> None:
        pass  # the module's names load on first access


_LOADER = _BuiltModuleLoader()


class SubmoduleFinder:
    """Finds `fasthttp.<aiohttp name>` for `import fasthttp.helpers` (after the path finder)."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> Optional[ModuleSpec]:
        package, _, module = fullname.partition(".")
        if package != "fasthttp":
            return None
        why = ABSENT_MODULES.get(module)
        if why is not None:
            raise ModuleNotFoundError(f"fasthttp does not provide aiohttp.{module}: {why}", name=fullname)
        if module not in COMPAT:
            return None
        return ModuleSpec(fullname, _LOADER)


def attribute(name: str) -> types.ModuleType:
    """`fasthttp.<name>` for an aiohttp submodule name not imported yet, else AttributeError."""
    why = ABSENT_MODULES.get(name)
    if why is not None:
        raise AttributeError(f"fasthttp does not provide aiohttp.{name}: {why}")
    if name in COMPAT or name in _LAZY_OWN:
        return importlib.import_module(f"fasthttp.{name}")
    raise AttributeError(f"module 'fasthttp' has no attribute {name!r}")


# fasthttp modules of aiohttp's name that `import fasthttp` does not load (the rest it does).
_LAZY_OWN = frozenset({"abc"})
