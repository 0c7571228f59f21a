"""Requests through an HTTP proxy (aiohttp's proxy=, proxy_auth=, proxy_headers=).

Only what a proxied request needs lives here, so a direct request never touches it: the
session calls `proxy_for` only when a proxy was asked for (per request or on the session).

Built so far: http:// targets through an http:// proxy, as aiohttp sends them: the request
line in absolute form (`GET http://origin/path HTTP/1.1`) on a connection to the proxy, the
proxy's credentials (proxy_auth=, or user:password in the proxy URL) in Proxy-Authorization
on that request. Tunnels (CONNECT, for https:// and ws(s):// targets) and proxies reached over
TLS refuse, naming the argument, until they are built.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from multidict import CIMultiDict
from yarl import URL

from .arguments import refuse
from .auth import BasicAuth
from .client_exceptions import ConnectionKey, InvalidURL
from .foreign_objects import auth_from

__all__ = ("ProxySettings", "proxy_connection_key", "proxy_for")

_NOT_YET = "for {} targets (only http:// targets go through a proxy so far)"


class ProxySettings(NamedTuple):
    """One request's proxy: where it is, its credentials, the headers meant for it."""

    url: URL
    auth: Optional[BasicAuth]
    headers: "Optional[CIMultiDict[str]]"


def proxy_for(target: URL, proxy: Any, proxy_auth: Any, proxy_headers: Any) -> Optional[ProxySettings]:
    """The proxy settings of a request to `target`, checked as aiohttp checks them; None when
    no proxy was given (proxy_auth and proxy_headers then mean nothing, as in aiohttp)."""
    if proxy is None:
        return None
    try:
        url = proxy if isinstance(proxy, URL) else URL(proxy)
    except (TypeError, ValueError) as exc:
        raise InvalidURL(proxy) from exc
    if url.scheme != "http":
        refuse("proxy", f"with a {url.scheme or 'relative'}:// proxy URL (http:// proxies are supported)")
    if not url.raw_host:
        raise InvalidURL(proxy)
    if target.scheme != "http":
        refuse("proxy", _NOT_YET.format(f"{target.scheme}://"))
    if proxy_auth is not None and type(proxy_auth) is not BasicAuth:
        if not isinstance(proxy_auth, tuple):
            raise ValueError("proxy_auth must be None or BasicAuth() tuple")
        proxy_auth = auth_from(proxy_auth)  # aiohttp's BasicAuth
    if proxy_auth is None and url.raw_user is not None:
        proxy_auth = BasicAuth.from_url(url)  # credentials in the proxy URL, as aiohttp
    if proxy_headers is not None and not isinstance(proxy_headers, CIMultiDict):
        proxy_headers = CIMultiDict(proxy_headers)
    return ProxySettings(url, proxy_auth, proxy_headers)


def proxy_connection_key(proxy: ProxySettings) -> ConnectionKey:
    """The pool's key of a request forwarded by `proxy`: the connection goes to the proxy, and
    serves any http:// origin through that proxy with those credentials and headers."""
    url = proxy.url
    headers = proxy.headers
    return ConnectionKey(
        url.raw_host or "", url.port, False, True, None,
        url, proxy.auth, hash(tuple(headers.items())) if headers else None,
    )
