"""HTTP Basic authentication credentials (aiohttp's BasicAuth, encode_basic_auth), and the
deprecation aiohttp 3.14 gives them.

aiohttp 3.14 deprecates (DeprecationWarning, removal announced for aiohttp 4):
- building a BasicAuth (`BasicAuth(...)`); `BasicAuth.decode()` and `BasicAuth.from_url()`
  do not warn, nor do the credentials aiohttp takes from a URL or .netrc itself;
- the `auth=` argument and the `proxy_auth=` argument, of ClientSession(), of a request and
  of ws_connect(): `warn_auth_argument()`, called by the session where it reads them.
The replacement is `encode_basic_auth(login, password)` in an Authorization (or
Proxy-Authorization, through proxy_headers=) header. fasthttp says the same, with the same
messages, so code tidied for aiohttp 4 is tidied for fasthttp too.
"""

from __future__ import annotations

import base64
import binascii
import warnings
from typing import NamedTuple, Optional

from yarl import URL

__all__ = ("BasicAuth", "encode_basic_auth")

_HEADER_FOR_ARGUMENT = {"auth": ("headers", "Authorization"), "proxy_auth": ("proxy_headers", "Proxy-Authorization")}


def encode_basic_auth(login: str, password: str = "", encoding: str = "utf-8") -> str:
    """The Authorization (or Proxy-Authorization) header value for login and password."""
    if ":" in login:
        raise ValueError('A ":" is not allowed in login (RFC 7617#section-2)')
    credentials = f"{login}:{password}".encode(encoding)
    return "Basic " + base64.b64encode(credentials).decode(encoding)


def warn_auth_argument(name: str, stacklevel: int) -> None:
    """aiohttp 3.14's DeprecationWarning for the `auth=` or `proxy_auth=` argument (`name`)."""
    argument, header = _HEADER_FOR_ARGUMENT[name]
    warnings.warn(
        f"The {name!r} parameter is deprecated and will be removed in v4;"
        f" pass {argument}={{{header!r}: aiohttp.encode_basic_auth(login, password)}} instead",
        DeprecationWarning, stacklevel=stacklevel + 1,
    )


def _check(login: str, password: str) -> None:
    if login is None:
        raise ValueError("None is not allowed as login value")
    if password is None:
        raise ValueError("None is not allowed as password value")
    if ":" in login:
        raise ValueError('A ":" is not allowed in login (RFC 1945#section-11.1)')


class BasicAuth(NamedTuple("_BasicAuthBase", [("login", str), ("password", str), ("encoding", str)])):
    """login, password and the encoding used to turn them into bytes (latin1 by default)."""

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> "BasicAuth":
        _check(login, password)
        warnings.warn(
            "BasicAuth is deprecated and will be removed in aiohttp 4.0; use"
            " aiohttp.encode_basic_auth() with headers={'Authorization': ...} instead",
            DeprecationWarning, stacklevel=2,
        )
        return super().__new__(cls, login, password, encoding)

    @classmethod
    def decode(cls, auth_header: str, encoding: str = "latin1") -> "BasicAuth":
        """Credentials from an Authorization header value."""
        try:
            auth_type, encoded = auth_header.split(" ", 1)
        except ValueError:
            raise ValueError("Could not parse authorization header.") from None
        if auth_type.lower() != "basic":
            raise ValueError(f"Unknown authorization method {auth_type}")
        try:
            decoded = base64.b64decode(encoded.encode("ascii"), validate=True).decode(encoding)
        except binascii.Error:
            raise ValueError("Invalid base64 encoding.") from None
        try:
            username, password = decoded.split(":", 1)
        except ValueError:
            raise ValueError("Invalid credentials.") from None
        return basic_auth(username, password, encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> Optional["BasicAuth"]:
        """Credentials embedded in a URL, if any."""
        if not isinstance(url, URL):
            raise TypeError("url should be yarl.URL instance")
        if url.raw_user is None and url.raw_password is None:
            return None
        return basic_auth(url.user or "", url.password or "", encoding)

    def encode(self) -> str:
        """The Authorization header value."""
        credentials = f"{self.login}:{self.password}".encode(self.encoding)
        return "Basic " + base64.b64encode(credentials).decode(self.encoding)


def basic_auth(login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
    """A BasicAuth made by fasthttp itself (from a URL, .netrc, an aiohttp BasicAuth): checked
    as BasicAuth() checks, without the deprecation meant for users building one."""
    _check(login, password)
    return tuple.__new__(BasicAuth, (login, password, encoding))
