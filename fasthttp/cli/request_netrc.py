""".netrc credentials, as httpie (through requests) reads them when a request is given none:
the file named by $NETRC, else ~/.netrc, else ~/_netrc; the `machine` entry of the URL's host,
else the `default` one; its login (else its account) and password, sent as Basic auth.
--ignore-netrc turns it off. A file that cannot be read or parsed is named in a warning and
gives no credentials (httpie ignores it silently).

With --follow, each host has its own entry: a redirect to another origin drops the credentials
(the client's rule, aiohttp's), and the entry of the new URL's host, if it has one, is sent
instead (requests' rebuild_auth, which httpie's --follow goes through). The entry is looked up
by host name alone, as requests does: another port of the same host gets the same one."""

from __future__ import annotations

import os
from typing import Any, Optional

from .request_output import warning

__all__ = ("netrc_path", "netrc_credentials", "NetrcForEachHost")


def netrc_path() -> Optional[str]:
    named = os.environ.get("NETRC")
    if named:
        return os.path.expanduser(named)
    for name in (".netrc", "_netrc"):
        path = os.path.join(os.path.expanduser("~"), name)
        if os.path.exists(path):
            return path
    return None


def netrc_credentials(host: Optional[str]) -> Optional[tuple[str, str]]:
    """(login, password) for `host`, or None."""
    path = netrc_path()
    if not host or path is None or not os.path.exists(path):
        return None
    import netrc

    try:
        # The path is given explicitly, so the stdlib's ownership check on ~/.netrc (made for
        # ftplib's anonymous logins) does not apply; requests reads it the same way.
        entry = netrc.netrc(path).authenticators(host)
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError) as exc:
        warning(f"cannot read {path} ({exc}); no credentials taken from it (--ignore-netrc skips it)")
        return None
    if entry is None:
        return None
    login, account, password = entry
    return (login or account or ""), (password or "")


class NetrcForEachHost:
    """A client middleware (outermost) for --follow: a request that goes without credentials
    (a redirect to another origin) gets its host's .netrc entry, if there is one. Looked up
    once per host; `first` is what the command found for the first URL's."""

    def __init__(self, host: Optional[str], first: Optional[tuple[str, str]]) -> None:
        self._found: dict[Optional[str], Optional[tuple[str, str]]] = {host: first}

    async def __call__(self, request: Any, handler: Any) -> Any:
        if "Authorization" not in request.headers:
            host = request.url.host
            if host not in self._found:
                self._found[host] = netrc_credentials(host)
            found = self._found[host]
            if found is not None:
                from ..auth import BasicAuth

                request.headers["Authorization"] = BasicAuth(*found).encode()
        return await handler(request)
