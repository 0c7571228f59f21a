"""Cookie storage for the client session (RFC 6265), with aiohttp 3.x's cookie-jar API.

Two pieces live here, because they are one concept (what a client remembers of cookies):

* :class:`AbstractCookieJar`, the interface the session talks to, :class:`CookieJar`, the real
  store (RFC 6265 section 5.3 storage, 5.4 sending, domain and path matching, expiry), and
  :class:`DummyCookieJar`, which stores nothing.
* Persistence: :meth:`CookieJar.save` writes JSON in the same layout aiohttp 3.14 writes, and
  :meth:`CookieJar.load` reads that, or a legacy aiohttp pickle through a restricted unpickler.

Turning ``Set-Cookie`` field values and cookie dates into Morsels is a stateless algorithm of
its own (RFC 6265 sections 5.1.1 and 5.2), so it lives in fasthttp.cookie_parsing; its public
names are re-exported here, where they have always been importable from.

The jar indexes cookies by domain, so :meth:`CookieJar.filter_cookies` (called for every
request) only looks at the buckets of the request host and its parent domains, and returns at
once for an empty jar. Expiry deadlines sit in a heap, so checking for expired cookies costs one
comparison when nothing has expired.
"""

from __future__ import annotations

import heapq
import io
import ipaddress
import itertools
import json
import math
import os
import pathlib
import pickle
import time
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from functools import lru_cache
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union

from yarl import URL

from .cookie_parsing import MAX_ATTRIBUTE_VALUE_LENGTH as MAX_ATTRIBUTE_VALUE_LENGTH
from .cookie_parsing import MAX_COOKIE_PAIR_LENGTH as MAX_COOKIE_PAIR_LENGTH
from .cookie_parsing import MAX_COOKIES_PER_RESPONSE as MAX_COOKIES_PER_RESPONSE
from .cookie_parsing import (
    _CTL_RE,
    _MAX_AGE_RE,
    _MORSEL_ATTRS,
    _NAME_RE,
    _new_morsel,
    _set_attr,
    _utf8_length,
    parse_cookie_date,
    parse_cookie_header,
    parse_set_cookie,
    parse_set_cookie_headers,
)

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
    "request_cookie_header",
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

# Storage limits (the values Firefox and aiohttp use). Past a limit the oldest cookies go,
# expired ones first; eviction trims to the quota so it does not run on every insertion.
# (The per-response and per-cookie size limits are the parser's: see cookie_parsing.)
MAX_COOKIES_PER_DOMAIN = 180
COOKIE_QUOTA_PER_DOMAIN = 150
MAX_COOKIES_TOTAL = 3300
COOKIE_QUOTA_TOTAL = 3000

# Latest expiry we keep: 9999-12-31T23:59:59Z. Also caps huge Max-Age values.
_MAX_EXPIRY = 253402300799.0
_EXPIRED = -math.inf
_RELATIVE_EXPIRY_ATTRS = frozenset(("max-age", "expires"))

# value_encode() of SimpleCookie quotes a value the way the stdlib does for Cookie headers.
_ENCODER = SimpleCookie()


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
            elif name.lower() in _MORSEL_ATTRS:
                # SimpleCookie refuses a cookie named "path" or "secure" (a reserved key),
                # though servers set them and they round-trip through Set-Cookie; aiohttp
                # raises CookieError here. Same name check and value quoting, minus that.
                if _NAME_RE.fullmatch(name) is None:
                    raise CookieError(f"Illegal key {name!r}")
                morsel = _new_morsel(name, *_ENCODER.value_encode(str(value)))
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


class _RequestCookieJar(CookieJar):
    """Holds one request's `cookies=` while they are filtered for its URL: no storage limit
    (they are the caller's, sent once, never kept), and a value that cannot go into a Cookie
    header is refused, not dropped (aiohttp sends it octal-escaped, "v\\015\\012...", which
    no server reads back as what was meant)."""

    def _evict(self, domain: str) -> None:
        pass

    def _store(
        self,
        name: str,
        morsel: Morsel[str],
        hostname: str | None,
        response_url: URL,
        now: float,
        deadline: float | None = None,
    ) -> None:
        if not _sendable(morsel):
            raise ValueError(
                f"cookie {name!r} cannot be sent: its value has a control character "
                "or cannot be encoded"
            )
        super()._store(name, morsel, hostname, response_url, now, deadline)


def request_cookie_header(
    jar: AbstractCookieJar,
    url: URL,
    cookies: LooseCookies | None,
    header: str | None,
) -> str | None:
    """The Cookie header a request sends, merged as aiohttp merges it; None to leave
    `header` (the caller's own Cookie header, if any) as it is.

    * The jar's cookies for url.
    * The request's `cookies=`, put in a throw-away jar with the session jar's settings and
      filtered for url the same way (so a Morsel's Domain, Path, Secure and expiry count),
      replace the jar's cookies of the same name: the request's word is the last.
    * Both replace the same-named pairs of the caller's Cookie header, which are kept
      otherwise. Without a cookie to add, the header goes untouched.
    * Pairs go out sorted by name: SimpleCookie.output()'s order, which is what aiohttp sends.
    """
    selected = jar.filter_cookies(url)
    if cookies:
        extra = _RequestCookieJar(
            unsafe=jar.unsafe,
            quote_cookie=jar.quote_cookie,
            treat_as_secure_origin=jar.treat_as_secure_origin,
        )
        extra.update_cookies(cookies)
        if request_cookies := extra.filter_cookies(url):
            if selected:
                dict.update(selected, request_cookies)
            else:
                selected = request_cookies
    if not selected:
        return None
    if header:
        pairs = dict(parse_cookie_header(header))
        for name, morsel in selected.items():
            pairs[name] = morsel.coded_value
        return "; ".join([f"{name}={pairs[name]}" for name in sorted(pairs)])
    if len(selected) == 1:
        for name, morsel in selected.items():
            return f"{name}={morsel.coded_value}"
    return "; ".join([f"{name}={selected[name].coded_value}" for name in sorted(selected)])


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
