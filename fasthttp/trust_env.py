"""What `ClientSession(trust_env=True)` takes from the environment, as aiohttp 3.x does:
the proxy of each request (HTTP_PROXY, HTTPS_PROXY, WS_PROXY, WSS_PROXY, bypassed for the
hosts NO_PROXY names) and `.netrc` credentials (the NETRC variable, else ~/.netrc) for a
request, or a proxy, given none. Nothing here runs for a session with trust_env=False.

Read per request, as aiohttp reads them, so a change to the environment (or to the .netrc
file) applies to the next request of an open session. Reading costs a few dictionary look-ups
(the spellings this request needs, not a scan of the whole environment) and a stat() of the
.netrc file per host looked up, its parsed content being kept while the file is unchanged.

Which variable serves which request, as aiohttp (and urllib's getproxies()): the one named
after the target's scheme (http:// targets: http_proxy, https:// targets: https_proxy,
ws_connect to ws:// and wss:// URLs: ws_proxy, wss_proxy; no fallback from one to another,
ALL_PROXY is not read). The lowercase spelling wins over the uppercase one, and a lowercase
variable set empty means "no proxy" even if the uppercase one names one; HTTP_PROXY in
uppercase is not trusted in a CGI process (REQUEST_METHOD set: it may come from a client's
"Proxy:" header, CVE-2016-1000110). On macOS and Windows, when the environment names no
proxy, the system's proxy settings apply, through urllib, as in aiohttp.

NO_PROXY / no_proxy, as urllib's proxy_bypass_environment reads it: `*` alone bypasses the
proxy for every host; otherwise a comma-separated list where each entry (leading dots ignored,
case ignored) matches that host and its subdomains (`example.com` and `.example.com` both
match `example.com` and `api.example.com`), an entry with a port (`example.com:8080`,
`[::1]:8080`) only that port. Where this differs from aiohttp and the standard library:

- CIDR blocks (`10.0.0.0/8`, `::1/128`) match a target given as an IP address inside them,
  and an IPv6 address matches in brackets too (`[::1]`): urllib compares text only, so
  aiohttp proxies a request to 10.1.2.3 despite NO_PROXY=10.0.0.0/8 (curl and Go read CIDR
  blocks as here).
- An entry with a port matches the target's port, written in the URL or not (aiohttp checks
  the host alone, so there `example.com:8080` never matches anything).
- Only the all-lowercase and all-uppercase spellings are read (urllib also takes
  `Http_Proxy`).

Proxy credentials: user:password in the variable's URL, else the .netrc entry for the proxy's
host, as aiohttp. Where fasthttp differs: the request's proxy_auth= (or the session's) is used
with a proxy from the environment, and wins over those (aiohttp drops it silently); an
https:// or wss:// proxy URL is used (aiohttp logs a warning and sends the request directly);
a proxy the request cannot go through raises NotImplementedError naming trust_env and the
variable, never a request around the proxy.
"""

from __future__ import annotations

import ipaddress
import logging
import netrc
import os
import sys
import time
from functools import lru_cache
from typing import Any, NamedTuple, Optional, Union

from yarl import URL

from .arguments import refuse
from .auth import BasicAuth, basic_auth
from .client_exceptions import InvalidURL
from .proxy import ProxySettings, proxy_for

__all__ = ("environment_proxy", "netrc_credentials", "no_proxy_matches", "proxy_from_environment")

client_logger = logging.getLogger("fasthttp.client")

_PROXY_SCHEMES = frozenset(("http", "https", "ws", "wss"))
# macOS and Windows: without proxy variables, urllib reads the system's settings (as aiohttp).
_SYSTEM_SETTINGS = sys.platform in ("darwin", "win32")

_Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
_Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _variable(name: str) -> Optional[tuple[str, str]]:
    """`name`_proxy as urllib's getproxies_environment() picks it, (its spelling, its value):
    lowercase first (set empty, it means none), then uppercase; None when unset or empty."""
    environ = os.environ
    spelling = f"{name}_proxy"
    value = environ.get(spelling)
    if value is None:
        spelling = spelling.upper()
        value = environ.get(spelling)
        if value and name == "http" and "REQUEST_METHOD" in environ:
            return None  # a CGI script: HTTP_PROXY may be the client's "Proxy:" header
    return (spelling, value) if value else None


class EnvironmentProxy(NamedTuple):
    """The proxy the environment names for one request, and the variable that named it."""

    url: URL
    variable: str


def environment_proxy(target: URL, scheme: Optional[str] = None) -> Optional[EnvironmentProxy]:
    """The proxy for `target` from the environment, or None (none named for its scheme, or
    NO_PROXY exempts its host). `scheme`: the one whose variable applies, when the request
    was made for another (ws_connect's ws:// URL travels as http://)."""
    scheme = scheme or target.scheme
    if scheme not in _PROXY_SCHEMES:
        return None
    variable = _variable(scheme)
    if variable is None:
        return _system_proxy(target, scheme) if _SYSTEM_SETTINGS else None
    host = target.host
    no_proxy = _variable("no")
    if host is not None and no_proxy is not None and no_proxy_matches(no_proxy[1], host, target.port):
        return None
    return EnvironmentProxy(_proxy_url(variable[1]), variable[0])


def _system_proxy(target: URL, scheme: str) -> Optional[EnvironmentProxy]:
    """macOS / Windows: urllib's getproxies() and proxy_bypass(), as aiohttp reads them (the
    system's settings when the environment names no proxy at all)."""
    from urllib.request import getproxies, proxy_bypass

    value = getproxies().get(scheme)
    if not value or (target.host is not None and proxy_bypass(target.host)):
        return None
    return EnvironmentProxy(_proxy_url(value), f"the system's {scheme} proxy setting")


@lru_cache(maxsize=16)  # keyed by the variable's value: parsed once, still read per request
def _proxy_url(value: str) -> URL:
    try:
        url = URL(value)
    except (TypeError, ValueError) as exc:
        raise InvalidURL(value) from exc
    if not url.raw_host:
        raise InvalidURL(value)  # e.g. "proxy:3128", without its scheme: as aiohttp
    return url


def proxy_from_environment(
    target: URL, proxy_auth: Any, proxy_headers: Any, scheme: Optional[str] = None,
    session_headers: Any = None,
) -> Optional[ProxySettings]:
    """The proxy settings of a request to `target` from the environment (None: direct).
    Credentials: `proxy_auth` if given, else those in the variable's URL, else .netrc's.
    `session_headers`: as proxy_for's."""
    found = environment_proxy(target, scheme)
    if found is None:
        return None
    url = found.url
    if url.raw_user is not None:
        if proxy_auth is None:
            proxy_auth = BasicAuth.from_url(url)
        url = url.with_user(None)  # credentials travel in Proxy-Authorization only
    if proxy_auth is None:
        proxy_auth = netrc_credentials(url.host)
    try:
        return proxy_for(target, url, proxy_auth, proxy_headers, session_headers)
    except NotImplementedError as exc:
        refuse(
            "trust_env",
            f"here: {found.variable} names the proxy {url} for this {target.scheme}:// "
            f"request, and {exc}; it is not sent directly instead",
        )


# --- NO_PROXY ------------------------------------------------------------------------------


class _Exemption(NamedTuple):
    """One NO_PROXY entry: a host name (matching its subdomains too) or an IP network, and
    the port it is limited to (None: any)."""

    name: str
    network: Optional[_Network]
    port: Optional[int]


def no_proxy_matches(no_proxy: str, host: str, port: Optional[int]) -> bool:
    """Whether the NO_PROXY value exempts a request to `host` (a name or an IP address,
    IPv6 without brackets) on `port` from the proxy."""
    exemptions = _exemptions(no_proxy)
    if exemptions is None:
        return True  # "*"
    host = host.lower().rstrip(".")
    address: Optional[_Address] = None
    if (":" in host or host[-1:].isdigit()) and any(e.network is not None for e in exemptions):
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            pass  # a name: networks do not match it
    for exemption in exemptions:
        if exemption.port is not None and exemption.port != port:
            continue
        network = exemption.network
        if network is not None:
            if address is not None and address in network:
                return True
        elif host == exemption.name or host.endswith("." + exemption.name):
            return True
    return False


@lru_cache(maxsize=16)  # keyed by the value itself: always what the environment says now
def _exemptions(no_proxy: str) -> Optional[tuple[_Exemption, ...]]:
    """The parsed entries of a NO_PROXY value; None when it is "*" (every host)."""
    if no_proxy.strip() == "*":
        return None
    exemptions = []
    for entry in no_proxy.split(","):
        exemption = _exemption(entry.strip().lstrip(".").lower())
        if exemption is not None:
            exemptions.append(exemption)
    return tuple(exemptions)


def _exemption(entry: str) -> Optional[_Exemption]:
    if not entry:
        return None
    name, port = entry, None
    if entry.startswith("["):  # [IPv6] or [IPv6]:port
        close = entry.find("]")
        rest = entry[close + 1:]
        if close > 0 and (not rest or rest[0] == ":" and rest[1:].isdigit()):
            name, port = entry[1:close], int(rest[1:]) if rest else None
    elif entry.count(":") == 1:  # host:port (an IPv6 address has more colons)
        head, _, tail = entry.partition(":")
        if tail.isdigit():
            name, port = head, int(tail)
    network: Optional[_Network] = None
    if name[:1].isdigit() or ":" in name:  # could be an address or a block: not a host name
        try:
            network = ipaddress.ip_network(name, strict=False)
        except ValueError:
            pass
    return _Exemption(name, network, port)


# --- .netrc --------------------------------------------------------------------------------

# (path, identity of the file as stat() saw it, its parsed content or None when unreadable)
_netrc_cache: Optional[tuple[str, Optional[tuple[int, ...]], Optional[netrc.netrc]]] = None
# A file modified this close to (or after) the moment it was read may change again within
# the same timestamp tick unseen by stat(): such a read is not kept ("racy git" rule).
_SETTLED_NS = 2_000_000_000


def netrc_credentials(host: Optional[str]) -> Optional[BasicAuth]:
    """The .netrc file's credentials for `host` (its `machine` entry, else its `default`
    one), as aiohttp builds them: login (else account) and password, either possibly empty."""
    if not host:
        return None
    parsed = _netrc()
    if parsed is None:
        return None
    entry = parsed.authenticators(host)
    if entry is None:
        return None
    login, account, password = entry
    return basic_auth(login if login or account is None else account, password or "")


def _netrc() -> Optional[netrc.netrc]:
    """The parsed .netrc (NETRC, else the home folder's), None when there is none or it
    cannot be read or parsed: aiohttp then logs a warning and sends no credentials."""
    global _netrc_cache
    from_variable = os.environ.get("NETRC")
    if from_variable is not None:
        path = from_variable
    elif sys.platform == "win32":
        path = os.path.join(os.path.expanduser("~"), "_netrc")
    else:  # (Path.home() costs several times more: this runs per request)
        path = os.path.join(os.environ.get("HOME") or os.path.expanduser("~"), ".netrc")
    try:
        info = os.stat(path)
        identity: Optional[tuple[int, ...]] = (
            info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
        )
    except OSError:
        identity = None
    cached = _netrc_cache
    if cached is not None and cached[0] == path and cached[1] == identity:
        return cached[2]
    if identity is None and not from_variable:
        return None  # no ~/.netrc: nothing to say
    read_at = time.time_ns()
    parsed: Optional[netrc.netrc] = None
    try:
        parsed = netrc.netrc(path)
    except netrc.NetrcParseError as exc:
        client_logger.warning("Could not parse .netrc file: %s", exc)
    except OSError as exc:
        client_logger.warning("Could not read .netrc file: %s", exc)
    # Kept (and so warned about once) unless the file may still be changing unseen.
    if identity is None or read_at - max(identity[2], identity[3]) > _SETTLED_NS:
        _netrc_cache = (path, identity, parsed)
    return parsed
