"""Requests through an HTTP proxy (aiohttp's proxy=, proxy_auth=, proxy_headers=).

Only what a proxied request needs lives here, so a direct request never touches it: the
session calls `proxy_for` only when a proxy was asked for (per request or on the session).

Two ways through a proxy, chosen by the target's scheme as aiohttp chooses them:
- forwarding (http:// and ws:// targets): the request line in absolute form
  (`GET http://origin/path HTTP/1.1`) on a connection to the proxy, the proxy's credentials
  (proxy_auth=, or user:password in the proxy URL) in Proxy-Authorization on that request.
  One pooled connection serves every origin behind that proxy.
- a tunnel (https:// and wss:// targets): `CONNECT host:port` to the proxy, then TLS to the
  origin through it (proxy_tunnel.py). The credentials and proxy_headers go on the CONNECT
  only; the origin never sees them. A tunnel is pooled under the origin AND the proxy, so it
  never serves another origin.
The proxy itself is reached over TCP (http://proxy) or TLS (https://proxy, checked with the
request's ssl= as aiohttp does); a tunnel through a TLS proxy is TLS inside TLS.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from multidict import CIMultiDict
from yarl import URL

from . import hdrs
from .arguments import refuse
from .auth import BasicAuth
from .client_exceptions import ConnectionKey, InvalidURL
from .compression import ACCEPT_ENCODING
from .foreign_objects import auth_from
from .request_writer import encode_head

__all__ = (
    "ProxySettings", "Tunnel", "proxy_connection_key", "proxy_for", "tunnel_for",
)

_PROXY_SCHEMES = frozenset({"http", "https"})
_TUNNELLED_SCHEMES = frozenset({"https", "wss"})


class ProxySettings(NamedTuple):
    """One request's proxy: where it is, its credentials, the headers meant for it, and
    whether the request goes through a CONNECT tunnel (else the proxy forwards it)."""

    url: URL
    auth: Optional[BasicAuth]
    headers: "Optional[CIMultiDict[str]]"
    tunnel: bool = False
    # A Proxy-Authorization header the caller set on a tunnelled request: it goes on the
    # CONNECT instead of to the origin (proxy_auth= wins over it).
    authorization: Optional[str] = None


class Tunnel(NamedTuple):
    """What the connector needs to open a tunnel: the proxy's own connection key, the
    CONNECT request's bytes, and what an error about it reports (aiohttp's request_info)."""

    proxy_key: ConnectionKey
    head: bytes
    target: URL
    headers: "CIMultiDict[str]"


def proxy_for(
    target: URL, proxy: Any, proxy_auth: Any, proxy_headers: Any, session_headers: Any = None
) -> Optional[ProxySettings]:
    """The proxy settings of a request to `target`, checked as aiohttp checks them; None when
    no proxy was given (proxy_auth and proxy_headers then mean nothing, as in aiohttp).
    `session_headers`: the session's headers, which aiohttp sends to the proxy too (on a
    CONNECT), under the request's proxy_headers."""
    if proxy is None:
        return None
    try:
        url = proxy if isinstance(proxy, URL) else URL(proxy)
    except (TypeError, ValueError) as exc:
        raise InvalidURL(proxy) from exc
    if url.scheme not in _PROXY_SCHEMES:
        refuse("proxy", f"with a {url.scheme or 'relative'}:// proxy URL (http:// and https:// proxies are supported)")
    if not url.raw_host:
        raise InvalidURL(proxy)
    if proxy_auth is not None and type(proxy_auth) is not BasicAuth:
        if not isinstance(proxy_auth, tuple):
            raise ValueError("proxy_auth must be None or BasicAuth() tuple")
        proxy_auth = auth_from(proxy_auth)  # aiohttp's BasicAuth
    if proxy_auth is None and url.raw_user is not None:
        proxy_auth = BasicAuth.from_url(url)  # credentials in the proxy URL, as aiohttp
    if session_headers:
        proxy_headers = _with_session_headers(session_headers, proxy_headers)
    elif proxy_headers is not None and not isinstance(proxy_headers, CIMultiDict):
        proxy_headers = CIMultiDict(proxy_headers)
    return ProxySettings(url, proxy_auth, proxy_headers, target.scheme in _TUNNELLED_SCHEMES)


def _with_session_headers(session_headers: Any, proxy_headers: Any) -> "CIMultiDict[str]":
    """aiohttp's merge: the session's headers, each replaced by proxy_headers' values of the
    same name (all of them kept when proxy_headers repeats a name)."""
    merged: CIMultiDict[str] = CIMultiDict(session_headers)
    if proxy_headers:
        added: set[str] = set()
        for name, value in CIMultiDict(proxy_headers).items():
            if name in added:
                merged.add(name, value)
            else:
                merged[name] = value
                added.add(name)
    return merged


def _connect_defaults() -> tuple[tuple[str, str], ...]:
    from .client import USER_AGENT  # (client.py imports this module)

    return ((hdrs.ACCEPT, "*/*"), (hdrs.ACCEPT_ENCODING, ACCEPT_ENCODING), (hdrs.USER_AGENT, USER_AGENT))


def _headers_hash(headers: "Optional[CIMultiDict[str]]") -> Optional[int]:
    return hash(tuple(headers.items())) if headers else None


def _proxy_hop_key(proxy: ProxySettings, ssl: Any) -> ConnectionKey:
    """The key of a connection to the proxy itself: TLS for an https:// proxy, checked with
    the request's ssl= (aiohttp builds the proxy's request with the same ssl)."""
    url = proxy.url
    is_tls = url.scheme == "https"
    return ConnectionKey(
        url.raw_host or "", url.port, is_tls, ssl if is_tls else True, None,
        url, proxy.auth, _headers_hash(proxy.headers),
    )


def proxy_connection_key(proxy: ProxySettings, ssl: Any = True) -> ConnectionKey:
    """The pool's key of a request forwarded by `proxy`: the connection goes to the proxy, and
    serves any http:// origin through that proxy with those credentials and headers."""
    return _proxy_hop_key(proxy, ssl)


def tunnel_for(
    proxy: ProxySettings, target: URL, ssl: Any, server_hostname: Optional[str], host_header: str
) -> tuple[ConnectionKey, Tunnel]:
    """The pool's key of a tunnelled request and how to open the tunnel.

    The key is aiohttp's shape (the origin, its TLS settings, the proxy, its credentials and
    headers): a tunnel serves only the origin it was opened to, through that proxy."""
    host = target.raw_host or ""
    port = target.port
    credentials = proxy.auth.encode() if proxy.auth is not None else proxy.authorization
    key = ConnectionKey(
        host, port, True, ssl, server_hostname, proxy.url, proxy.auth or proxy.authorization,
        _headers_hash(proxy.headers),
    )
    # As aiohttp: the origin's Host, then proxy_headers, then the proxy's credentials.
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    headers: CIMultiDict[str] = CIMultiDict()
    headers[hdrs.HOST] = host_header
    if proxy.headers:
        headers.extend((name, value) for name, value in proxy.headers.items() if name != hdrs.HOST)
    # The headers any request of ours carries by default (aiohttp's CONNECT has its own).
    for name, value in _connect_defaults():
        if name not in headers:
            headers[name] = value
    if credentials is not None:
        headers[hdrs.PROXY_AUTHORIZATION] = credentials
    head = encode_head(hdrs.METH_CONNECT, authority, headers)
    return key, Tunnel(_proxy_hop_key(proxy, ssl), head, target, headers)
