"""Host-based sub-applications: `app.add_domain(domain, subapp)` (aiohttp.web's rules).

A domain is validated and normalised as aiohttp's: lowercased, a trailing dot dropped, an
international name in its IDNA (xn--) form, port 80 dropped; every label 1 to 63 letters,
digits or hyphens, not starting or ending with a hyphen; no scheme. A request matches when its
Host header, lowercased, is the domain, or has the domain's name with any port when the
domain names no port. With a "*" the domain is a mask: "*" stands for any run of characters
(dots included, so `*.example.com` matches `a.b.example.com` but not `example.com`),
compared without regard to case; a port in the mask must then be the Host's port exactly.
A request without a Host header matches no domain.

A matched sub-application answers every path of that host (its 404 and 405 included), before
the parent's own routes, as aiohttp's MatchedSubAppResource does.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional

from yarl import URL

from .. import hdrs
from .routing import MatchInfo, PrefixedSubAppResource, Resource, Route

__all__ = ("Domain", "MaskDomain", "MatchedSubAppResource", "domain_rule")

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_MASK_LABEL = re.compile(r"[a-z0-9*](?:[a-z0-9*-]{0,61}[a-z0-9*])?")


class Domain:
    """One host name (and optionally a port) that a request's Host must name."""

    _label = _LABEL

    def __init__(self, domain: str) -> None:
        self._domain = self._normalised(domain)

    def _normalised(self, domain: str) -> str:
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        domain = domain.rstrip(".").lower()
        if not domain:
            raise ValueError("Domain cannot be empty")
        if "://" in domain:
            raise ValueError("Scheme not supported")
        url = URL("http://" + domain)  # IDNA-encodes the name, parses the port
        host = url.raw_host
        if not host or not all(self._label.fullmatch(label) for label in host.split(".")):
            raise ValueError("Domain not valid")
        return host if url.port == 80 else f"{host}:{url.port}"

    @property
    def canonical(self) -> str:
        return self._domain

    def match_domain(self, host: str) -> bool:
        host = host.lower()
        return host == self._domain or host.partition(":")[0] == self._domain

    def get_info(self) -> dict[str, Any]:
        return {"domain": self._domain}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._domain}>"


class MaskDomain(Domain):
    """A host mask with "*" wildcards (`*.example.com`), optionally with a port."""

    _label = _MASK_LABEL

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        name, _, self._port = self._domain.partition(":")
        # "*" is any run of characters; everything else is literal (compared case-blind).
        parts = (".*" if piece == "*" else re.escape(piece) for piece in re.split(r"(\*)", name))
        self._mask = re.compile("".join(parts), re.IGNORECASE)

    @property
    def canonical(self) -> str:
        """A pattern of the hosts matched (aiohttp's form: `*` as `[^:]*`, any port)."""
        return self._domain.replace(".", r"\.").replace("*", "[^:]*") + "(:.*)?"

    def match_domain(self, host: str) -> bool:
        name, _, port = host.partition(":")
        if self._port and port != self._port:
            return False
        return self._mask.fullmatch(name) is not None


def domain_rule(domain: str) -> Domain:
    if not isinstance(domain, str):
        raise TypeError("Domain must be str")
    return MaskDomain(domain) if "*" in domain else Domain(domain)


class MatchedSubAppResource(PrefixedSubAppResource):
    """A sub-application for the requests whose Host its rule matches (no path prefix)."""

    def __init__(self, rule: Domain, app: Any) -> None:
        Resource.__init__(self, None)  # no prefix: its routes keep their paths
        self._prefix = ""
        self._app = app
        self._rule = rule

    @property
    def rule(self) -> Domain:
        return self._rule

    @property
    def canonical(self) -> str:
        return self._rule.canonical

    def add_prefix(self, prefix: str) -> None:
        # The parent was mounted under a prefix: the sub-application's paths get it too.
        self._prefix = prefix + self._prefix
        self._app.router._add_prefix(prefix)

    def _index_key(self) -> Optional[str]:
        return None  # not found by path: tried, in order, before the router's index

    def _match(self, method: str, path: str, request: Any, allowed: set[str]) -> Optional[MatchInfo]:
        host = request.headers.get(hdrs.HOST) if request is not None else None
        if not host or not self._rule.match_domain(host):
            return None
        match_info: MatchInfo = self._app.router.resolve_path(method, path, request)
        match_info._apps.insert(0, self._app)
        return match_info

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "rule": self._rule}

    def __iter__(self) -> Iterator[Route]:
        return iter(self._app.router.routes())

    def __repr__(self) -> str:
        return f"<MatchedSubAppResource -> {self._app!r}>"
