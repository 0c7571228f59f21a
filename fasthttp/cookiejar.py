"""Cookie storage for the client session (RFC 6265), with aiohttp 3.x's cookie-jar API.

Three pieces live here, because they are one concept (what a client remembers of cookies):

* Parsing of ``Set-Cookie`` field values (RFC 6265 section 5.2) and of cookie dates (5.1.1).
  Field values are split at ``;`` as the RFC says, so an unquoted ``Expires`` with spaces and
  commas is read correctly; invalid cookies are skipped, never raised.
* :class:`AbstractCookieJar`, the interface the session talks to, :class:`CookieJar`, the real
  store, and :class:`DummyCookieJar`, which stores nothing.
* Persistence: :meth:`CookieJar.save` writes JSON in the same layout aiohttp 3.14 writes, and
  :meth:`CookieJar.load` reads that, or a legacy aiohttp pickle through a restricted unpickler.

The jar indexes cookies by domain, so :meth:`CookieJar.filter_cookies` (called for every
request) only looks at the buckets of the request host and its parent domains, and returns at
once for an empty jar. Expiry deadlines sit in a heap, so checking for expired cookies costs one
comparison when nothing has expired.
"""

from __future__ import annotations

import calendar
import heapq
import io
import ipaddress
import itertools
import json
import math
import os
import pathlib
import pickle
import re
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from functools import lru_cache
from http.cookies import BaseCookie, Morsel, SimpleCookie
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union

from yarl import URL

if TYPE_CHECKING:
    import asyncio

__all__ = (
    "AbstractCookieJar",
    "ClearCookiePredicate",
    "CookieJar",
    "DummyCookieJar",
    "LooseCookies",
    "parse_cookie_date",
    "parse_set_cookie",
    "parse_set_cookie_headers",
)

ClearCookiePredicate = Callable[[Morsel[str]], bool]
_LooseValue = Union[str, BaseCookie[str], Morsel[Any]]
LooseCookies = Union[
    Mapping[str, _LooseValue],
    Iterable[tuple[str, _LooseValue]],
    BaseCookie[str],
]
PathLike = Union[str, "os.PathLike[str]"]
StrOrURL = Union[str, URL]

# Limits RFC 6265 section 6.1 (and 6265bis for attribute values) allow a user agent to set.
MAX_COOKIES_PER_RESPONSE = 50
MAX_COOKIE_PAIR_LENGTH = 4096  # octets of name + value
MAX_ATTRIBUTE_VALUE_LENGTH = 1024
# Storage limits (the values Firefox and aiohttp use). Past a limit the oldest cookies go,
# expired ones first; eviction trims to the quota so it does not run on every insertion.
MAX_COOKIES_PER_DOMAIN = 180
COOKIE_QUOTA_PER_DOMAIN = 150
MAX_COOKIES_TOTAL = 3300
COOKIE_QUOTA_TOTAL = 3000

# Latest expiry we keep: 9999-12-31T23:59:59Z. Also caps huge Max-Age values.
_MAX_EXPIRY = 253402300799.0
_EXPIRED = -math.inf
_RELATIVE_EXPIRY_ATTRS = frozenset(("max-age", "expires"))
_FLAG_ATTRS = frozenset(("secure", "httponly", "partitioned"))
# Attributes this Python's Morsel knows ("partitioned" only from 3.14 on).
_MORSEL_ATTRS: frozenset[str] = frozenset(Morsel._reserved)  # type: ignore[attr-defined]

# Control characters: a field with any but HTAB is refused; a name or value with any is refused.
_CTL_BUT_TAB_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CTL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Cookie names seen in the wild go beyond the RFC token ({}, [], (), / ...). Accept printable
# ASCII except what would break a Cookie header: space, '"', ',', ';', '=' and backslash.
_NAME_RE = re.compile(r"[!#-+\--:<>-\[\]-~]+")
_MAX_AGE_RE = re.compile(r"-?[0-9]+", re.ASCII)
_UNQUOTE_RE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)

# RFC 6265 5.1.1: tokens are separated by runs of delimiters.
_DATE_DELIMITERS_RE = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_DATE_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?![0-9])")
_DATE_DAY_RE = re.compile(r"([0-9]{1,2})(?![0-9])")
_DATE_YEAR_RE = re.compile(r"([0-9]{2,4})(?![0-9])")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# Morsel.__setitem__ lower-cases and validates the key; ours are known attribute names.
_set_attr = dict.__setitem__

# value_encode() of SimpleCookie quotes a value the way the stdlib does for Cookie headers.
_ENCODER = SimpleCookie()


# ---------------------------------------------------------------------------------------------
# Parsing


@lru_cache(maxsize=256)  # servers repeat the same few dates
def parse_cookie_date(text: str) -> int | None:
    """Parse a cookie date with RFC 6265 section 5.1.1's algorithm.

    Tolerant of the formats seen in the wild (RFC 1123, RFC 850, asctime, odd delimiters,
    two-digit years). Returns seconds since the epoch (UTC), or None if it is not a date.
    """
    hms: tuple[int, int, int] | None = None
    day = month = year = -1
    for token in _DATE_DELIMITERS_RE.split(text):
        if not token:
            continue
        if hms is None and (m := _DATE_TIME_RE.match(token)) is not None:
            hms = (int(m[1]), int(m[2]), int(m[3]))
        elif day < 0 and (m := _DATE_DAY_RE.match(token)) is not None:
            day = int(m[1])
        elif month < 0 and (number := _MONTHS.get(token[:3].lower())) is not None:
            month = number
        elif year < 0 and (m := _DATE_YEAR_RE.match(token)) is not None:
            year = int(m[1])
    if hms is None or day < 0 or month < 0 or year < 0:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif year <= 69:
        year += 2000
    hour, minute, second = hms
    if year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None  # "If no such date exists, ... fail to parse" (Feb 30, Apr 31, ...).
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def _utf8_length(text: str) -> int | None:
    """Octets of text in UTF-8, or None if it cannot be encoded (lone surrogates)."""
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _unquote(coded: str) -> str:
    """The value of a double-quoted cookie value, undoing the stdlib's backslash escapes."""
    if len(coded) < 2 or coded[0] != '"' or coded[-1] != '"':
        return coded
    inner = coded[1:-1]
    if "\\" not in inner:
        return inner
    return _UNQUOTE_RE.sub(
        lambda m: chr(int(m[1], 8)) if m[1] is not None else m[2],
        inner,
    )


def _closing_quote(text: str, opening: int) -> int:
    """Index of the '"' closing the quoted string opened at `opening`, or -1."""
    i = opening + 1
    end = len(text)
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
        elif char == '"':
            return i
        else:
            i += 1
    return -1


def _new_morsel(key: str, value: str, coded_value: str) -> Morsel[str]:
    # Morsel.set() refuses names such as "path" or "[id]" that real servers use; the state
    # protocol (what pickle uses) sets the three fields as they are.
    morsel: Morsel[str] = Morsel()
    morsel.__setstate__(  # type: ignore[attr-defined]
        {"key": key, "value": value, "coded_value": coded_value}
    )
    return morsel


def _attribute_value(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].strip(" \t")
    return value


def parse_set_cookie(field: str) -> tuple[str, Morsel[str]] | None:
    """Parse one Set-Cookie field value into (name, Morsel), or None if it is not a cookie.

    RFC 6265 section 5.2: the name-value pair runs to the first ';' (a double-quoted value
    may contain ';', as aiohttp has always accepted); then attributes split at ';', unknown
    ones ignored, the last of each kind winning. Recognised attributes are stored in the
    Morsel; whether the cookie is accepted for a URL is decided by the jar.
    """
    if not field or _CTL_BUT_TAB_RE.search(field) is not None:
        return None
    equals = field.find("=")
    semicolon = field.find(";")
    if equals == -1 or (semicolon != -1 and semicolon < equals):
        return None  # no '=' in the pair: RFC 6265 says ignore the cookie
    name = field[:equals].strip(" \t")
    start = equals + 1
    while start < len(field) and field[start] in " \t":
        start += 1
    attributes_at = -1
    if start < len(field) and field[start] == '"':
        closing = _closing_quote(field, start)
        if closing != -1:
            rest = field[closing + 1 :].lstrip(" \t")
            if not rest or rest[0] == ";":
                coded_value = field[start : closing + 1]
                attributes_at = len(field) - len(rest) + 1
    if attributes_at == -1:
        pair_end = len(field) if semicolon == -1 else semicolon
        coded_value = field[start:pair_end].strip(" \t")
        attributes_at = pair_end + 1

    if not name or _NAME_RE.fullmatch(name) is None:
        return None
    length = _utf8_length(name + coded_value)
    if length is None or length > MAX_COOKIE_PAIR_LENGTH:
        return None
    value = _unquote(coded_value)
    if _CTL_RE.search(value) is not None or _utf8_length(value) is None:
        return None
    morsel = _new_morsel(name, value, coded_value)

    for attribute in field[attributes_at:].split(";"):
        key, _, attr_value = attribute.partition("=")
        key = key.strip(" \t").lower()
        if key not in _MORSEL_ATTRS:
            continue
        if key in _FLAG_ATTRS:
            _set_attr(morsel, key, True)  # a flag's value, if any, is ignored
            continue
        attr_value = _attribute_value(attr_value.strip(" \t"))
        if (
            len(attr_value) > MAX_ATTRIBUTE_VALUE_LENGTH
            or _CTL_RE.search(attr_value) is not None
        ):
            continue
        if key == "expires":
            if parse_cookie_date(attr_value) is None:
                continue  # an unparsable Expires is ignored, an earlier valid one stays
        elif key == "max-age":
            if _MAX_AGE_RE.fullmatch(attr_value) is None:
                continue
        elif key == "domain" and not attr_value:
            continue
        _set_attr(morsel, key, attr_value)
    return name, morsel


def parse_set_cookie_headers(headers: Sequence[str]) -> list[tuple[str, Morsel[str]]]:
    """Parse Set-Cookie field values (one cookie each), skipping the invalid ones.

    At most MAX_COOKIES_PER_RESPONSE cookies are returned.
    """
    parsed: list[tuple[str, Morsel[str]]] = []
    for field in headers:
        if (cookie := parse_set_cookie(field)) is not None:
            parsed.append(cookie)
            if len(parsed) >= MAX_COOKIES_PER_RESPONSE:
                break
    return parsed


# ---------------------------------------------------------------------------------------------
# Host and path rules


@lru_cache(maxsize=1024)
def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1024)
def _domain_suffixes(host: str) -> tuple[str, ...]:
    """Buckets a request to `host` may draw from, least specific first: "" (shared), then
    the parent domains, then the host itself."""
    suffixes = [host]
    dot = host.find(".")
    while dot != -1:
        suffixes.append(host[dot + 1 :])
        dot = host.find(".", dot + 1)
    suffixes.append("")
    return tuple(reversed(suffixes))


def _domain_match(host: str, domain: str) -> bool:
    """RFC 6265 5.1.3: host is domain, or a name under it (never for an IP address)."""
    if host == domain:
        return True
    return (
        host.endswith(domain)
        and host[-len(domain) - 1] == "."
        and not _is_ip_address(host)
    )


def _path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4 path-match."""
    if not request_path.startswith(cookie_path):
        return False
    return (
        len(request_path) == len(cookie_path)
        or cookie_path[-1] == "/"
        or request_path[len(cookie_path)] == "/"
    )


def _default_path(url: URL) -> str:
    """RFC 6265 5.1.4 default-path of the response URL."""
    path = url.path
    if not path.startswith("/"):
        return "/"
    last = path.rfind("/")
    return path[:last] if last > 0 else "/"


def _sendable(morsel: Morsel[str]) -> bool:
    """Whether the cookie can go into a Cookie header (no CTLs, encodable)."""
    text = f"{morsel.key}={morsel.value}{morsel.coded_value}"
    return _CTL_RE.search(text) is None and _utf8_length(text) is not None


def _secure_origins(value: StrOrURL | Iterable[StrOrURL] | None) -> frozenset[URL]:
    if value is None:
        return frozenset()
    if isinstance(value, (str, URL)):
        value = (value,)
    return frozenset(URL(item).origin() for item in value)


# ---------------------------------------------------------------------------------------------
# Jars


class AbstractCookieJar(Sized, Iterable[Morsel[str]]):
    """The cookie jar interface the session uses (aiohttp.abc.AbstractCookieJar)."""

    def __init__(self, *, loop: asyncio.AbstractEventLoop | None = None) -> None:
        # Accepted for aiohttp compatibility; unlike aiohttp, no running loop is needed.
        self._loop = loop

    @property
    def unsafe(self) -> bool:
        """True if cookies are accepted from, and sent to, IP-address hosts."""
        return False

    @property
    @abstractmethod
    def quote_cookie(self) -> bool:
        """True if cookie values are quoted when needed in the Cookie header."""

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        """Origins whose cleartext requests still get Secure cookies."""
        return frozenset()

    @property
    def cookies(self) -> MappingProxyType[tuple[str, str], SimpleCookie]:
        """A read-only view of the stored cookies keyed by (domain, path)."""
        return MappingProxyType({})

    @property
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        """(domain, path, name) of the host-only cookies."""
        return frozenset()

    @abstractmethod
    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove all cookies, or those for which predicate(morsel) is true."""

    @abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of domain and of all its subdomains."""

    @abstractmethod
    def update_cookies(self, cookies: LooseCookies, response_url: URL = URL()) -> None:
        """Store cookies received from response_url (or shared ones without a URL)."""

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of a response's Set-Cookie field values."""
        if headers and (parsed := parse_set_cookie_headers(headers)):
            self.update_cookies(parsed, response_url)

    @abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """The cookies to send to request_url."""


class _Cookie:
    """One stored cookie: its identity (domain, path, name) and what the rules need."""

    __slots__ = ("name", "domain", "path", "host_only", "secure", "expires", "created",
                 "morsel", "outgoing", "send_order")

    def __init__(
        self,
        name: str,
        domain: str,
        path: str,
        host_only: bool,
        expires: float | None,
        created: int,
        morsel: Morsel[str],
    ) -> None:
        self.name = name
        self.domain = domain
        self.path = path
        self.host_only = host_only
        self.secure = bool(morsel["secure"])
        self.expires = expires
        self.created = created
        self.morsel = morsel
        self.outgoing: Morsel[str] | None = None  # built on first send
        # RFC 6265 5.4: longer paths first, then earlier creation.
        self.send_order = (-len(path), created)


_Bucket = dict[tuple[str, str], _Cookie]  # (path, name) -> cookie, for one domain


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles legacy aiohttp cookie files, refusing every class but the cookie types."""

    _ALLOWED = frozenset(
        {
            ("http.cookies", "SimpleCookie"),
            ("http.cookies", "BaseCookie"),
            ("http.cookies", "Morsel"),
            ("collections", "defaultdict"),
            ("builtins", "dict"),
            ("builtins", "tuple"),
            ("builtins", "set"),
            ("builtins", "frozenset"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a cookie file "
                "(only cookie types are allowed)"
            )
        return super().find_class(module, name)


class CookieJar(AbstractCookieJar):
    """Cookie storage following RFC 6265, with aiohttp.CookieJar's API and semantics.

    unsafe: accept cookies from IP-address hosts (as host-only cookies) and send them back.
    quote_cookie: quote values that need it in the Cookie header (the stdlib's quoting).
    treat_as_secure_origin: origins (URL or str, or an iterable of them) that get Secure
    cookies over plain http, e.g. a local test server.
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: StrOrURL | Iterable[StrOrURL] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(loop=loop)
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        self._secure_origins = _secure_origins(treat_as_secure_origin)
        # Clock for expiry, seconds since the epoch; tests replace it.
        self._now: Callable[[], float] = time.time
        self._reset()

    def _reset(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._count = 0
        self._order = itertools.count()  # creation order (RFC 6265 5.4 sorting)
        # (deadline, tiebreak, cookie); entries of replaced or deleted cookies are skipped.
        self._heap: list[tuple[float, int, _Cookie]] = []
        self._heap_tiebreak = itertools.count()

    # -- properties --------------------------------------------------------------------------

    @property
    def unsafe(self) -> bool:
        return self._unsafe

    @property
    def quote_cookie(self) -> bool:
        return self._quote_cookie

    @property
    def treat_as_secure_origin(self) -> frozenset[URL]:
        return self._secure_origins

    @property
    def cookies(self) -> MappingProxyType[tuple[str, str], SimpleCookie]:
        """A snapshot keyed like aiohttp's: (domain, path without trailing '/')."""
        self._expire()
        view: dict[tuple[str, str], SimpleCookie] = {}
        for cookie in self._all():
            jar = view.setdefault((cookie.domain, cookie.path.rstrip("/")), SimpleCookie())
            dict.__setitem__(jar, cookie.name, cookie.morsel)
        return MappingProxyType(view)

    @property
    def host_only_cookies(self) -> frozenset[tuple[str, str, str]]:
        self._expire()
        return frozenset(
            (cookie.domain, cookie.path.rstrip("/"), cookie.name)
            for cookie in self._all()
            if cookie.host_only
        )

    # -- container protocol ------------------------------------------------------------------

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._expire()
        # A snapshot, so the caller may change the jar while iterating.
        return iter([cookie.morsel for cookie in self._all()])

    def __len__(self) -> int:
        self._expire()
        return self._count

    def _all(self) -> Iterator[_Cookie]:
        for bucket in self._buckets.values():
            yield from bucket.values()

    # -- removal -----------------------------------------------------------------------------

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        if predicate is None:
            self._reset()
            return
        self._expire()
        for cookie in [c for c in self._all() if predicate(c.morsel)]:
            self._delete(cookie)

    def clear_domain(self, domain: str) -> None:
        domain = domain.lower()
        for cookie_domain in [d for d in self._buckets if d and _domain_match(d, domain)]:
            self._count -= len(self._buckets.pop(cookie_domain))

    def _delete(self, cookie: _Cookie) -> None:
        bucket = self._buckets.get(cookie.domain)
        key = (cookie.path, cookie.name)
        if bucket is not None and bucket.get(key) is cookie:
            del bucket[key]
            self._count -= 1
            if not bucket:
                del self._buckets[cookie.domain]

    def _expire(self) -> None:
        """Delete the cookies whose deadline has passed."""
        heap = self._heap
        if not heap:
            return
        now = self._now()
        while heap and heap[0][0] <= now:
            self._delete(heapq.heappop(heap)[2])
        if len(heap) > 2 * self._count + 64:
            # Mostly entries of replaced or deleted cookies: rebuild from the live ones.
            self._heap = [entry for entry in heap if self._is_stored(entry[2])]
            heapq.heapify(self._heap)

    def _is_stored(self, cookie: _Cookie) -> bool:
        bucket = self._buckets.get(cookie.domain)
        return bucket is not None and bucket.get((cookie.path, cookie.name)) is cookie

    def _evict(self, domain: str) -> None:
        """Make room before a new cookie for `domain` is added (oldest cookies go first)."""
        self._expire()
        bucket = self._buckets.get(domain)
        if bucket is not None and len(bucket) >= MAX_COOKIES_PER_DOMAIN:
            excess = len(bucket) - COOKIE_QUOTA_PER_DOMAIN + 1
            for cookie in sorted(bucket.values(), key=_creation)[:excess]:
                self._delete(cookie)
        if self._count >= MAX_COOKIES_TOTAL:
            excess = self._count - COOKIE_QUOTA_TOTAL + 1
            for cookie in sorted(self._all(), key=_creation)[:excess]:
                self._delete(cookie)

    # -- storing -----------------------------------------------------------------------------

    def update_cookies(self, cookies: LooseCookies, response_url: URL = URL()) -> None:
        """Store cookies as if received from response_url.

        Values may be strings (quoted like SimpleCookie does) or Morsels (copied, with their
        attributes). Without a response URL, cookies without a Domain are shared: sent to
        every host.
        """
        hostname = response_url.raw_host
        if hostname is not None and not self._unsafe and _is_ip_address(hostname):
            return
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        now = self._now()
        for name, value in items:
            if isinstance(value, Morsel):
                morsel: Morsel[str] = value.copy()
            else:
                tmp = SimpleCookie()
                tmp[name] = value  # type: ignore[assignment]  # validates like aiohttp
                morsel = tmp[name]
            self._store(name, morsel, hostname, response_url, now)
        self._expire()

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        """Store the cookies of a response's Set-Cookie field values (invalid ones skipped)."""
        if not headers:
            return
        hostname = response_url.raw_host
        if hostname is not None and not self._unsafe and _is_ip_address(hostname):
            return
        now = self._now()
        for name, morsel in parse_set_cookie_headers(headers):
            self._store(name, morsel, hostname, response_url, now)
        self._expire()

    def _store(
        self,
        name: str,
        morsel: Morsel[str],
        hostname: str | None,
        response_url: URL,
        now: float,
        deadline: float | None = None,
    ) -> None:
        """RFC 6265 5.3 storage model for one cookie (morsel is ours to change)."""
        domain = str(morsel["domain"] or "").strip().lower()
        if domain.endswith("."):
            domain = ""  # like aiohttp: a trailing dot makes it host-only
        elif domain.startswith("."):
            domain = domain[1:]
        if domain and hostname and not _domain_match(hostname, domain):
            return  # a Domain the response host is not within
        if domain:
            host_only = False
        elif hostname is not None:
            host_only = True
            domain = hostname
        else:
            host_only = False  # shared cookie: no host to tie it to
        _set_attr(morsel, "domain", domain)

        path = morsel["path"]
        if not isinstance(path, str) or not path.startswith("/"):
            path = _default_path(response_url)
            _set_attr(morsel, "path", path)

        if deadline is None:
            deadline = self._deadline(morsel, now)
        key = (path, name)
        bucket = self._buckets.get(domain)
        old = None if bucket is None else bucket.get(key)
        if deadline is not None and deadline <= now:
            if old is not None:  # the usual way to delete a cookie
                self._delete(old)
            return
        if not _sendable(morsel):
            return
        if old is None:
            if self._count >= MAX_COOKIES_TOTAL or (
                bucket is not None and len(bucket) >= MAX_COOKIES_PER_DOMAIN
            ):
                self._evict(domain)
            bucket = self._buckets.setdefault(domain, {})
            self._count += 1
            created = next(self._order)
        else:
            assert bucket is not None
            created = old.created  # RFC 6265 5.3 step 11.3: keep the old creation time
        cookie = _Cookie(name, domain, path, host_only, deadline, created, morsel)
        if old is not None and old.outgoing is not None and _same_pair(old.morsel, morsel):
            cookie.outgoing = old.outgoing  # the same cookie set again: keep what we send
        bucket[key] = cookie
        if deadline is not None:
            heapq.heappush(self._heap, (deadline, next(self._heap_tiebreak), cookie))

    @staticmethod
    def _deadline(morsel: Morsel[str], now: float) -> float | None:
        """Absolute expiry from Max-Age (which wins) or Expires; None for a session cookie."""
        max_age = morsel["max-age"]
        if max_age is not None and max_age != "":
            text = str(max_age).strip()
            if _MAX_AGE_RE.fullmatch(text) is not None:
                seconds = int(text) if len(text) < 20 else (-1 if text[0] == "-" else 1 << 62)
                if seconds <= 0:
                    return _EXPIRED
                return min(now + min(seconds, _MAX_EXPIRY), _MAX_EXPIRY)
            morsel["max-age"] = ""  # invalid: ignored, Expires decides
        expires = morsel["expires"]
        if isinstance(expires, int) and not isinstance(expires, bool):
            # The stdlib's Morsel renders an int Expires as seconds from now.
            return _EXPIRED if expires <= 0 else min(now + expires, _MAX_EXPIRY)
        if expires:
            if (when := parse_cookie_date(str(expires))) is not None:
                return min(float(when), _MAX_EXPIRY)
            morsel["expires"] = ""
        return None

    # -- sending -----------------------------------------------------------------------------

    def filter_cookies(self, request_url: URL = URL()) -> BaseCookie[str]:
        """The cookies to send to request_url, as Morsels carrying only name and value.

        One cookie per name: the one with the most specific domain, then the longest path
        (as aiohttp). They are ordered as RFC 6265 5.4 says: longer paths first, then earlier
        creation.
        """
        filtered = SimpleCookie()
        if not self._count:
            return filtered
        self._expire()
        if not self._count:
            return filtered
        if not isinstance(request_url, URL):
            request_url = URL(request_url)
        hostname = request_url.raw_host or ""
        if not hostname:
            domains: tuple[str, ...] = ("",)
        elif not _is_ip_address(hostname):
            domains = _domain_suffixes(hostname)
        elif self._unsafe:
            domains = ("", hostname)
        else:
            domains = ("",)
        path = request_url.path or "/"
        secure = request_url.scheme in ("https", "wss") or self._is_secure_origin(request_url)

        chosen: dict[str, _Cookie] = {}
        buckets = self._buckets
        for domain in domains:
            bucket = buckets.get(domain)
            if bucket is None:
                continue
            for cookie in bucket.values():
                if cookie.host_only and domain != hostname:
                    continue
                if cookie.secure and not secure:
                    continue
                cookie_path = cookie.path
                if cookie_path != "/" and not _path_match(path, cookie_path):
                    continue
                # Buckets go from least to most specific domain, so a later one wins.
                other = chosen.get(cookie.name)
                if other is None or other.domain != domain or len(cookie.path) > len(other.path):
                    chosen[cookie.name] = cookie

        selected = list(chosen.values())
        if len(selected) > 1:
            selected.sort(key=_send_order)
        for cookie in selected:
            morsel = cookie.outgoing
            if morsel is None:
                morsel = cookie.outgoing = self._outgoing_morsel(cookie)
            dict.__setitem__(filtered, cookie.name, morsel)
        return filtered

    def _is_secure_origin(self, url: URL) -> bool:
        if not self._secure_origins:
            return False
        try:
            return url.origin() in self._secure_origins
        except ValueError:  # a relative URL has no origin
            return False

    def _outgoing_morsel(self, cookie: _Cookie) -> Morsel[str]:
        stored = cookie.morsel
        value = stored.value
        coded = stored.coded_value
        if not self._quote_cookie:
            coded = value
        elif not coded.startswith('"'):  # a value the server quoted is sent as received
            value, coded = _ENCODER.value_encode(value)
        return _new_morsel(stored.key or cookie.name, value, coded)

    # -- persistence -------------------------------------------------------------------------

    def save(self, file_path: PathLike) -> None:
        """Write the cookies to file_path as JSON (aiohttp 3.14's layout), mode 0o600.

        Expiry is saved as an absolute deadline; host-only cookies stay host-only.
        """
        self._expire()
        data: dict[str, dict[str, dict[str, Any]]] = {}
        for cookie in self._all():
            morsel = cookie.morsel
            record: dict[str, Any] = {
                "key": morsel.key,
                "value": morsel.value,
                "coded_value": morsel.coded_value,
            }
            for attr in _MORSEL_ATTRS - _RELATIVE_EXPIRY_ATTRS:
                if attr_value := morsel[attr]:
                    record[attr] = attr_value
            if cookie.host_only:
                record["host_only"] = True
            if cookie.expires is not None:
                record["expires_timestamp"] = cookie.expires
            # The exact path in the key keeps "/a" and "/a/" apart; aiohttp reads the path
            # from the record, so it loads these files too.
            data.setdefault(f"{cookie.domain}|{cookie.path}", {})[cookie.name] = record
        # The file may hold session tokens: create it readable by the owner only.
        with open(
            pathlib.Path(file_path),
            "w",
            encoding="utf-8",
            opener=lambda path, flags: os.open(path, flags, 0o600),
        ) as f:
            json.dump(data, f, indent=2)

    def load(self, file_path: PathLike) -> None:
        """Replace the jar's cookies with those saved in file_path.

        Reads the JSON that save() (ours or aiohttp 3.14's) writes, or a legacy aiohttp
        pickle, through an unpickler that refuses every class but the cookie types. Loaded
        cookies go through the same acceptance rules as update_cookies(). A malformed file
        raises ValueError (or pickle.UnpicklingError) and leaves the jar unchanged.
        """
        raw = pathlib.Path(file_path).read_bytes()
        staged = CookieJar(
            unsafe=self._unsafe,
            quote_cookie=self._quote_cookie,
            treat_as_secure_origin=self._secure_origins,
        )
        staged._now = self._now
        try:
            data = json.loads(raw)
        except ValueError:  # not JSON (or not UTF-8): a legacy pickle
            staged._load_pickle(raw)
        else:
            staged._load_json(data)
        self._buckets = staged._buckets
        self._count = staged._count
        self._order = staged._order
        self._heap = staged._heap
        self._heap_tiebreak = staged._heap_tiebreak

    def _load_json(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise ValueError("cookie file: expected a JSON object")
        now = self._now()
        for compound_key, records in data.items():
            domain, sep, _ = compound_key.partition("|")
            if not sep or not isinstance(records, dict):
                raise ValueError(f"cookie file: malformed entry {compound_key!r}")
            for name, record in records.items():
                self._load_record(domain, name, record, now)

    def _load_record(self, domain: str, name: str, record: Any, now: float) -> None:
        where = f"cookie {name!r} of {domain!r}"
        if not isinstance(record, dict):
            raise ValueError(f"cookie file: {where} is not an object")
        key, value, coded = record.get("key"), record.get("value"), record.get("coded_value")
        if not (isinstance(key, str) and isinstance(value, str) and isinstance(coded, str)):
            raise ValueError(f"cookie file: {where} lacks key, value or coded_value")
        deadline: float | None = None
        if (raw_deadline := record.get("expires_timestamp")) is not None:
            if isinstance(raw_deadline, bool) or not isinstance(raw_deadline, (int, float)):
                raise ValueError(f"cookie file: {where} has a non-numeric expiry")
            deadline = float(raw_deadline)
            if math.isnan(deadline):
                raise ValueError(f"cookie file: {where} has a NaN expiry")
        morsel = _new_morsel(key, value, coded)
        for attr in _MORSEL_ATTRS - _RELATIVE_EXPIRY_ATTRS:
            if attr in record:
                morsel[attr] = record[attr]
        if record.get("host_only"):
            morsel["domain"] = ""  # re-derived from the host below, host-only again
        self._store_loaded(domain, name, morsel, now, deadline)

    def _load_pickle(self, raw: bytes) -> None:
        data = _RestrictedUnpickler(io.BytesIO(raw)).load()
        if not isinstance(data, dict):
            raise ValueError("cookie file: expected a mapping of cookies")
        now = self._now()
        for key, cookies in data.items():
            if (
                not isinstance(key, tuple)
                or len(key) != 2
                or not isinstance(key[0], str)
                or not isinstance(cookies, BaseCookie)
            ):
                raise ValueError(f"cookie file: malformed entry {key!r}")
            for name, morsel in cookies.items():
                if not isinstance(morsel, Morsel):
                    raise ValueError(f"cookie file: malformed cookie {name!r}")
                self._store_loaded(key[0], name, morsel.copy(), now, None)

    def _store_loaded(
        self, domain: str, name: str, morsel: Morsel[str], now: float, deadline: float | None
    ) -> None:
        if domain:
            if not self._unsafe and _is_ip_address(domain):
                return
            url = URL.build(scheme="https", host=domain)
            self._store(name, morsel, url.raw_host, url, now, deadline)
        else:
            self._store(name, morsel, None, URL(), now, deadline)


def _same_pair(a: Morsel[str], b: Morsel[str]) -> bool:
    return a.key == b.key and a.value == b.value and a.coded_value == b.coded_value


def _creation(cookie: _Cookie) -> int:
    return cookie.created


def _send_order(cookie: _Cookie) -> tuple[int, int]:
    return cookie.send_order


class DummyCookieJar(AbstractCookieJar):
    """A jar that stores nothing: for sessions that must not keep cookies."""

    def __init__(self, *, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(loop=loop)

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter(())

    def __len__(self) -> int:
        return 0

    @property
    def quote_cookie(self) -> bool:
        return True

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        pass

    def clear_domain(self, domain: str) -> None:
        pass

    def update_cookies(self, cookies: LooseCookies, response_url: URL = URL()) -> None:
        pass

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        pass

    def filter_cookies(self, request_url: URL = URL()) -> BaseCookie[str]:
        return SimpleCookie()
