"""Request: what a handler receives (aiohttp.web.Request's attributes and methods).

Everything derived from the head (URL, query, cookies, ...) is computed on first use and kept,
so a handler pays only for what it reads. The body is `content`, a flow-controlled stream;
read()/text()/json()/post() load it whole, refusing more than `client_max_size` bytes (413);
post() also refuses more than `client_max_fields` form fields (413), as aiohttp.web does.

The target is kept as sent: an origin-form target is only a path and a query, so "//a/b" is the
path "//a/b" (not a host "a" and a path "/b"), and routes see that path. An absolute-form target
(RFC 9112 section 3.2.2) gives the host and the URL, in place of the Host header.
"""

from __future__ import annotations

import datetime
import json
import re
from http.cookies import CookieError, SimpleCookie
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, MutableMapping, Optional
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .. import hdrs
from ..http import RequestHead
from ..http_types import HttpVersion, HttpVersion10
from ..chain_map_proxy import ChainMapProxy
from ..streams import StreamReader
from .conditional import ETag, parse_etags, parse_http_date
from .request_decoding import DecodingRequestBody
from .state_keys import RequestKey, warn_str_key_once

if TYPE_CHECKING:
    from ..multipart_reader import MultipartReader
    from .app import Application
    from .protocol import RequestHandler

__all__ = ("Request", "BaseRequest")

# A request target that is its own path: no percent-escapes, query, fragment or dot segments
# (dots at all, to keep the test simple). "//x" is such a path too: an origin-form target is
# built into a URL as a path (see rel_url), never read as a network-path reference.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9/_\-~!$&'()*+,;=:@]*")
# Targets that matched _PLAIN_PATH, bounded in number and length (a client sending random
# paths fills it, then pays the regular expression as before).
_PLAIN_TARGETS: set[str] = set()
_PLAIN_TARGETS_MAX = 1024
_PLAIN_TARGET_MAX_LENGTH = 256

# What aiohttp.web's Application and Request take by default: form fields post() accepts.
DEFAULT_MAX_FIELDS = 1000

_SEEN_STR_KEYS: set[Any] = set()  # the str state keys already warned about (once each)
_UNSET: Any = object()  # clone(): "keep this request's"

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t !-~\x80-\xff])*"'
# forwarded-pair = token "=" value; a `for=[::1]:80`-style value may carry a port after a
# quoted string (aiohttp.web reads that too).
_FORWARDED_PAIR_RE = re.compile(rf"({_TOKEN})=({_TOKEN}|{_QUOTED})(:\d{{1,4}})?")
_QUOTED_PAIR_RE = re.compile(r"\\([\t !-~\x80-\xff])")


def parse_forwarded(values: Iterable[str]) -> tuple[Mapping[str, str], ...]:
    """Forwarded header values as request.forwarded gives them."""
    elements: list[Mapping[str, str]] = []
    for value in values:
        element: dict[str, str] = {}
        elements.append(MappingProxyType(element))
        pos, end = 0, len(value)
        want_separator = False
        while 0 <= pos < end:
            char = value[pos]
            match = None if want_separator else _FORWARDED_PAIR_RE.match(value, pos)
            if match is not None:
                name, raw, port = match.groups()
                if raw[0] == '"':
                    raw = _QUOTED_PAIR_RE.sub(r"\1", raw[1:-1])
                element[name.lower()] = raw + (port or "")
                pos = match.end()
                want_separator = True
            elif char == ",":  # the next proxy's element
                element = {}
                elements.append(MappingProxyType(element))
                want_separator = False
                pos += 1
            elif char == ";":
                want_separator = False
                pos += 1
            elif char in " \t":
                pos += 1
            else:  # a fault: skip to the next element
                pos = value.find(",", pos)
    return tuple(elements)


class Request(MutableMapping[str, Any]):
    """One request; also a dict for per-request state (request["user"] = ...)."""

    # The state of a new request, as class attributes: __init__ sets only what each request
    # has of its own (the server builds one a request).
    _client_max_fields: Optional[int] = None  # None: the application's
    _match_info: Any = None
    _read_bytes: Optional[bytes] = None
    _response_started = False  # set when a response head is written for this request

    def __init__(
        self,
        head: "RequestHead",
        payload: StreamReader,
        protocol: "RequestHandler",
        app: "Application",
        *,
        client_max_size: int = 1024**2,
        client_max_fields: Optional[int] = None,
    ) -> None:
        self._head = head
        self._payload = payload
        self._protocol = protocol
        self._app = app
        self._client_max_size = client_max_size
        if client_max_fields is not None:
            self._client_max_fields = client_max_fields
        self._state: dict[str, Any] = {}
        self._cache: dict[str, Any] = {}

    # --- mapping of per-request state --------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, RequestKey):
            warn_str_key_once(key, _SEEN_STR_KEYS, "RequestKey")
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path} >"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True

    # --- copies ------------------------------------------------------------------------------

    def clone(
        self,
        *,
        method: Any = _UNSET,
        rel_url: Any = _UNSET,
        headers: Any = _UNSET,
        scheme: Any = _UNSET,
        host: Any = _UNSET,
        remote: Any = _UNSET,
        client_max_size: Any = _UNSET,
        client_max_fields: Any = _UNSET,
    ) -> "Request":
        """A new Request for the same connection and body, with some parts replaced
        (aiohttp.web's clone(): what a middleware rewriting a request builds). It shares this
        request's state (`request[...]`, the same dict, as aiohttp's); the body must not have
        been read yet."""
        if self._read_bytes is not None:
            raise RuntimeError("Cannot clone request after reading its content")
        head = self._head
        target = head.target
        if rel_url is not _UNSET:
            target = str(URL(rel_url))
        new_headers = head.headers
        raw_headers = head.raw_headers
        if headers is not _UNSET:
            new_headers = CIMultiDictProxy(CIMultiDict(headers))
            raw_headers = tuple(
                (name.encode("utf-8"), value.encode("utf-8")) for name, value in new_headers.items()
            )
        new_head = RequestHead(
            head.method if method is _UNSET else method, target, head.version, new_headers,
            raw_headers, head.keep_alive, head.chunked, head.content_length, head.upgrade,
            head.content_encoding,
        )
        clone = type(self)(
            new_head, self._payload, self._protocol, self._app,
            client_max_size=self._client_max_size if client_max_size is _UNSET else client_max_size,
            client_max_fields=self._client_max_fields if client_max_fields is _UNSET else client_max_fields,
        )
        clone._match_info = self._match_info
        clone._state = self._state
        for name, value in (("scheme", scheme), ("host", host), ("remote", remote)):
            if value is not _UNSET:
                clone._cache[f"clone:{name}"] = value
        return clone

    async def multipart(self) -> "MultipartReader":
        """A reader of a multipart body, part by part as it streams in (aiohttp.web's):
        part heads bounded by the server's max_field_size and max_headers (400 past them),
        a part read whole by client_max_size (413)."""
        from ..multipart_reader import MultipartReader
        from .exceptions import HTTPRequestEntityTooLarge

        settings = self._protocol._settings
        return MultipartReader(
            self._head.headers, self._payload, client_max_size=self._client_max_size,
            max_field_size=settings.max_field_size, max_headers=settings.max_headers,
            max_size_error_cls=HTTPRequestEntityTooLarge,
        )

    @property
    def forwarded(self) -> tuple[Mapping[str, str], ...]:
        """The Forwarded headers (RFC 7239): one read-only dict per forwarded-element, in the
        order the proxies added them, names lowercased, quoted values unescaped, a port kept
        with its value. Not validated beyond the syntax of tokens and quoted strings; a
        malformed element keeps the pairs read before the fault (aiohttp.web's rules)."""
        return parse_forwarded(self._head.headers.getall(hdrs.FORWARDED, ()))

    # --- the head ---------------------------------------------------------------------------

    @property
    def app(self) -> "Application":
        return self._app

    @property
    def config_dict(self) -> Any:
        """The app's state, then its parents' (innermost first) when in a sub-application."""
        apps = getattr(self._match_info, "_apps", None)
        return ChainMapProxy(reversed(apps) if apps else (self._app,))

    @property
    def match_info(self) -> Any:
        return self._match_info

    @property
    def method(self) -> str:
        return self._head.method

    @property
    def version(self) -> HttpVersion:
        return self._head.version

    @property
    def headers(self) -> "CIMultiDictProxy[str]":
        return self._head.headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        return self._head.raw_headers

    @property
    def keep_alive(self) -> bool:
        head = self._head
        if head.chunked and head.version is HttpVersion10:
            # Transfer-Encoding in HTTP/1.0: the framing is not to be trusted, so the
            # connection closes after the response (RFC 9112 section 6.1).
            return False
        return head.keep_alive

    @property
    def client_max_size(self) -> int:
        return self._client_max_size

    @property
    def client_max_fields(self) -> int:
        """How many form fields post() accepts (413 past it; 0 or less: no limit)."""
        limit = self._client_max_fields
        return self._protocol._settings.app._client_max_fields if limit is None else limit

    @property
    def rel_url(self) -> URL:
        url = self._cache.get("rel_url")
        if url is None:
            url = self._cache["rel_url"] = self._parse_target()
        return url

    def _parse_target(self) -> URL:
        """The target as a relative URL (for an absolute-form target, also cache url and host).

        As aiohttp.web builds it: origin-form is split into path, query and fragment and built
        from those parts, so "//a/b" stays a path; absolute-form gives the URL (with the scheme
        of this connection, not the peer's) and its host; CONNECT's authority-form, the host.
        A target of none of the four forms of RFC 9112 section 3.2, or an absolute-form one
        without a host ("http:///admin", "http:/admin"), is refused with 400 and the
        connection closed, as aiohttp.web's parser refuses it. Routing reads the path first,
        so the refusal comes before any handler runs; the common origin-form target whose
        path is plain never comes here (see path).
        """
        target = self._head.target
        method = self._head.method
        try:
            if target[:1] == "/":
                rest, _, fragment = target.partition("#")
                path, _, query = rest.partition("?")
                return URL.build(path=path, query_string=query, fragment=fragment, encoded=True)
            if method == "CONNECT":
                url = URL.build(authority=target, encoded=True)
                if not url.raw_host:
                    raise ValueError("no host")
                self._cache["host"] = url.host
                self._cache["url"] = url
                return url.relative()
            if target == "*" and method == "OPTIONS":
                return URL(target, encoded=True)
            rest = target.partition(":")[2]
            if rest[:2] != "//" or rest[2:3] in ("", "/", "?", "#"):
                raise ValueError("no authority")
            url = URL(target, encoded=True)
            if not url.absolute or not url.raw_host:
                raise ValueError("no host")
        except ValueError:
            from .exceptions import HTTPBadRequest

            self._protocol.close_after_response()
            raise HTTPBadRequest(text=f"400 Bad Request: invalid request target {target[:100]!r}") from None
        url = url.with_scheme(self.scheme)
        self._cache["url"] = url
        self._cache["host"] = url.host
        return url.relative()

    @property
    def raw_path(self) -> str:
        return self._head.target

    @property
    def path(self) -> str:
        target = self._head.target
        # Most targets are plain absolute paths: nothing to decode, split off or normalise,
        # and routing needs only the path, so skip building a URL per request. The plain
        # targets seen are remembered (a set lookup costs less than the regular expression).
        if target in _PLAIN_TARGETS:
            return target
        if target[:1] == "/" and _PLAIN_PATH.fullmatch(target) is not None:
            if len(_PLAIN_TARGETS) < _PLAIN_TARGETS_MAX and len(target) <= _PLAIN_TARGET_MAX_LENGTH:
                _PLAIN_TARGETS.add(target)
            return target
        return self.rel_url.path

    @property
    def path_qs(self) -> str:
        target = self._head.target
        # A plain target is its own path and has no query: the URL prints it as it is, but
        # for "//..." (yarl prints an empty authority before such a path, as aiohttp shows).
        if target in _PLAIN_TARGETS and target[1:2] != "/":
            return target
        return str(self.rel_url)

    @property
    def query(self) -> "MultiDictProxy[str]":
        return self.rel_url.query

    @property
    def query_string(self) -> str:
        return self.rel_url.query_string

    @property
    def host(self) -> str:
        """The target's host when it is absolute-form, else the Host header, else the address
        the request came to (as aiohttp.web: without the port)."""
        cloned = self._cache.get("clone:host")
        if cloned is not None:
            return cloned  # type: ignore[no-any-return]
        if self._head.target[:1] != "/":
            self.rel_url  # an absolute-form target caches its host
            host = self._cache.get("host")
            if host is not None:
                return str(host)
        host = self._head.headers.get(hdrs.HOST)
        if host is not None:
            return host
        transport = self._protocol.transport
        sock = transport.get_extra_info("sockname") if transport is not None else None
        if sock is None:
            return ""
        if isinstance(sock, tuple):
            return f"[{sock[0]}]" if len(sock) == 4 else str(sock[0])
        return str(sock)

    @property
    def scheme(self) -> str:
        cloned = self._cache.get("clone:scheme")
        if cloned is not None:
            return cloned  # type: ignore[no-any-return]
        transport = self._protocol.transport
        if transport is not None and transport.get_extra_info("sslcontext") is not None:
            return "https"
        return "http"

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def url(self) -> URL:
        rel_url = self.rel_url
        url = self._cache.get("url")  # an absolute-form target's
        if url is None:
            url = self._cache["url"] = URL.build(scheme=self.scheme, authority=self.host).join(rel_url)
        return url

    @property
    def remote(self) -> Optional[str]:
        if "clone:remote" in self._cache:
            return self._cache["clone:remote"]  # type: ignore[no-any-return]
        transport = self._protocol.transport
        if transport is None:
            return None
        peer = transport.get_extra_info("peername")
        if isinstance(peer, (list, tuple)):
            return str(peer[0])
        return str(peer) if peer is not None else None

    @property
    def transport(self) -> Any:
        return self._protocol.transport

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        transport = self._protocol.transport
        return default if transport is None else transport.get_extra_info(name, default)

    @property
    def cookies(self) -> "MultiDictProxy[str]":
        cookies = self._cache.get("cookies")
        if cookies is None:
            parsed: MultiDict[str] = MultiDict()
            raw = self._head.headers.get(hdrs.COOKIE, "")
            if raw:
                jar = SimpleCookie()
                try:
                    jar.load(raw)
                except CookieError:
                    pass
                for key, morsel in jar.items():
                    parsed.add(key, morsel.value)
            cookies = self._cache["cookies"] = MultiDictProxy(parsed)
        return cookies

    @property
    def content_type(self) -> str:
        raw = self._head.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
        return raw.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> Optional[str]:
        raw = self._head.headers.get(hdrs.CONTENT_TYPE, "")
        for part in raw.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset":
                return value.strip('"').lower()
        return None

    @property
    def content_length(self) -> Optional[int]:
        return self._head.content_length

    # --- conditional and range requests (RFC 9110 sections 13, 14; aiohttp's shapes) ---------

    @property
    def if_modified_since(self) -> Optional[datetime.datetime]:
        return parse_http_date(self._head.headers.get(hdrs.IF_MODIFIED_SINCE))

    @property
    def if_unmodified_since(self) -> Optional[datetime.datetime]:
        return parse_http_date(self._head.headers.get(hdrs.IF_UNMODIFIED_SINCE))

    @property
    def if_range(self) -> Optional[datetime.datetime]:
        """If-Range as a date (None when absent or an entity tag, as aiohttp)."""
        return parse_http_date(self._head.headers.get(hdrs.IF_RANGE))

    @property
    def if_match(self) -> Optional[tuple[ETag, ...]]:
        return parse_etags(self._head.headers.get(hdrs.IF_MATCH))

    @property
    def if_none_match(self) -> Optional[tuple[ETag, ...]]:
        return parse_etags(self._head.headers.get(hdrs.IF_NONE_MATCH))

    @property
    def http_range(self) -> slice:
        """The Range header as aiohttp gives it: one `bytes=first-last` range as a slice
        (stop exclusive; a suffix range `-N` as slice(-N, None)); slice(None, None) without
        the header; ValueError when it is not one such range (several ranges included:
        FileResponse serves those itself)."""
        raw = self._head.headers.get(hdrs.RANGE)
        if raw is None:
            return slice(None, None, 1)
        unit, sep, spec = raw.partition("=")
        first, dash, last = spec.partition("-")
        if (
            not sep or unit.lower() != "bytes" or not dash
            or not (first.isdigit() or first == "") or not (last.isdigit() or last == "")
            or not (first + last).isascii()
        ):
            raise ValueError("range not in acceptable format")
        if not first and not last:
            raise ValueError("No start or end of range specified")
        if not first:
            return slice(-int(last), None, 1)
        start = int(first)
        if not last:
            return slice(start, None, 1)
        stop = int(last) + 1
        if start >= stop:
            raise ValueError("start cannot be after end")
        return slice(start, stop, 1)

    # --- the body ---------------------------------------------------------------------------

    @property
    def content(self) -> StreamReader:
        return self._payload

    @property
    def body_exists(self) -> bool:
        return self._head.chunked or bool(self._head.content_length)

    @property
    def can_read_body(self) -> bool:
        return not self._payload.at_eof()

    @property
    def has_body(self) -> bool:
        return self.can_read_body

    async def read(self) -> bytes:
        """The whole body (decoded, if sent with a Content-Encoding: request_decoding.py);
        413 if it is larger than client_max_size."""
        if self._read_bytes is None:
            limit = self._client_max_size
            length = self._head.content_length
            if limit and length is not None and length > limit and not isinstance(
                self._payload, DecodingRequestBody
            ):  # (a decoded body is measured decoded, as it is read, as in aiohttp.web)
                self._raise_too_large(length)
            parts = []
            size = 0
            while True:
                chunk = await self._payload.readany()
                if not chunk:
                    break
                size += len(chunk)
                if limit and size > limit:
                    self._raise_too_large(size)
                parts.append(chunk)
            self._read_bytes = b"".join(parts)
        return self._read_bytes

    def _raise_too_large(self, actual: int) -> None:
        from .exceptions import HTTPRequestEntityTooLarge

        self._protocol.close_after_response()
        raise HTTPRequestEntityTooLarge(
            self._client_max_size, actual,
            text=f"Maximum request body size {self._client_max_size} exceeded, actual body size {actual}",
        )

    def _raise_too_many_fields(self, max_fields: int) -> None:
        from .exceptions import HTTPRequestEntityTooLarge

        raise HTTPRequestEntityTooLarge(max_fields, text=f"Maximum number of form fields {max_fields} exceeded.")

    async def text(self) -> str:
        body = await self.read()
        return body.decode(self.charset or "utf-8")

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        return loads(await self.text())

    async def post(self) -> "MultiDictProxy[Any]":
        """Form fields of a urlencoded or multipart/form-data body."""
        cached = self._cache.get("post")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        if self.method not in ("POST", "PUT", "PATCH"):
            result: MultiDictProxy[Any] = MultiDictProxy(MultiDict())
        elif self.content_type == "application/x-www-form-urlencoded":
            body = (await self.text()).rstrip()
            max_fields = self.client_max_fields
            # Counted before parsing (a "&" per field after the first), as parse_qsl's
            # max_num_fields does: a body of a million empty fields costs one count, not a parse.
            if body and 0 < max_fields <= body.count("&"):
                self._raise_too_many_fields(max_fields)
            result = MultiDictProxy(MultiDict(parse_qsl(body, keep_blank_values=True)))
        elif self.content_type == "multipart/form-data":
            from .multipart_form import parse_form

            result = MultiDictProxy(await parse_form(self))
        else:
            result = MultiDictProxy(MultiDict())
        self._cache["post"] = result
        return result

    def _app_on_response_prepare(self) -> list[Any]:
        """The served application's on_response_prepare callbacks (none for most apps:
        checked per response); they run its sub-applications' in turn (app.py)."""
        return self._protocol._settings.app._on_response_prepare

    async def release(self) -> None:
        """Read and drop the rest of the body."""
        while await self._payload.readany():
            pass


BaseRequest = Request
