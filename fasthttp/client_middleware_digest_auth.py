"""DigestAuthMiddleware: HTTP Digest access authentication (RFC 7616) as a client middleware.

On a 401 carrying a Digest challenge, the request is sent again with an Authorization header
computed from the challenge; later requests in the protection space carry it from the start
(preemptive, as aiohttp's middleware does), each with the next nonce count.

Supported: MD5, SHA-256, SHA-512-256 and their -sess variants (plus SHA and SHA-512, which
aiohttp also accepts), qop "auth" and "auth-int" (and no qop, RFC 2069's form). When a server
offers both qops, auth-int is used if the body is in memory (it must be hashed whole), else
auth. Among several challenges (one WWW-Authenticate per algorithm, as RFC 7616 §3.7 asks of
servers), the first with a supported algorithm and qop is answered.

Bounded: one answer to the first challenge, and one more to a `stale=true` challenge (the nonce
expired, the credentials were good); any other 401 after credentials were sent is handed back
as it is: wrong credentials never loop. Credentials stay with the origin of the first request
(and the `domain` URIs its challenge names): another origin gets the request untouched.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import TYPE_CHECKING, Callable, Final, Optional

from yarl import URL

from . import hdrs

if TYPE_CHECKING:
    from .client_middlewares import ClientHandlerType
    from .client_request import ClientRequest
    from .client_response import ClientResponse

__all__ = ("DigestAuthMiddleware",)


def _sha512_256(data: bytes) -> "hashlib._Hash":
    return hashlib.new("sha512_256", data)


# Algorithm name (upper case, without -SESS) -> hash constructor.
_HASHES: Final[dict[str, Callable[[bytes], "hashlib._Hash"]]] = {
    "MD5": hashlib.md5,
    "SHA": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA256": hashlib.sha256,
    "SHA-512": hashlib.sha512,
    "SHA512": hashlib.sha512,
    "SHA-512-256": _sha512_256,
}

# One auth-param: token = (token | quoted-string), quoted-pairs allowed in the string.
_PARAM_RE: Final = re.compile(
    r'\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)'
)
_UNESCAPE_RE: Final = re.compile(r"\\(.)")
_SCHEME_RE: Final = re.compile(r"\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:\s+|$)")
_MAX_CHALLENGE: Final = 8192  # a longer header is not parsed (a peer's bytes cost us nothing)


class _Challenge:
    __slots__ = ("realm", "nonce", "opaque", "algorithm", "qops", "stale", "domain")

    def __init__(self, params: dict[str, str]) -> None:
        self.realm = params["realm"]
        self.nonce = params["nonce"]
        self.opaque = params.get("opaque")
        self.algorithm = params.get("algorithm", "MD5")
        self.qops = frozenset(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
        self.stale = params.get("stale", "").lower() == "true"
        self.domain = params.get("domain", "")


def _parse_params(text: str) -> Optional[dict[str, str]]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM_RE.match(text, pos)
        if match is None or match.end() == pos:
            return params or None  # what follows is another scheme's challenge
        name = match.group(1).lower()
        quoted = match.group(2)
        value = _UNESCAPE_RE.sub(r"\1", quoted) if quoted is not None else match.group(3)
        params.setdefault(name, value)
        pos = match.end()
    return params


def _challenges(response: "ClientResponse") -> list[_Challenge]:
    """The usable Digest challenges of a 401, in the server's order of preference."""
    found = []
    for header in response.headers.getall(hdrs.WWW_AUTHENTICATE, ()):
        if len(header) > _MAX_CHALLENGE:
            continue
        # A header may hold several challenges: split at each "<scheme> " that starts one.
        for part in re.split(r",\s*(?=[A-Za-z][\w-]*\s+[\w-]+\s*=)", header):
            scheme = _SCHEME_RE.match(part)
            if scheme is None or scheme.group(1).lower() != "digest":
                continue
            params = _parse_params(part[scheme.end():])
            if not params or "realm" not in params or not params.get("nonce"):
                continue
            challenge = _Challenge(params)
            algorithm = challenge.algorithm.upper()
            if algorithm.endswith("-SESS"):
                algorithm = algorithm[:-5]
            if algorithm not in _HASHES:
                continue
            if challenge.qops and not challenge.qops & {"auth", "auth-int"}:
                continue
            found.append(challenge)
    return found


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class DigestAuthMiddleware:
    """Answer Digest challenges with `login` and `password` (aiohttp's signature)."""

    def __init__(self, login: str, password: str, preemptive: bool = True) -> None:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError('A ":" is not allowed in username (RFC 1945#section-11.1)')
        self._login = login
        self._password = password
        self._preemptive = preemptive
        self._challenge: Optional[_Challenge] = None
        self._nonce_count = 0
        self._origin: Optional[URL] = None
        self._space: list[str] = []

    # --- the protection space -------------------------------------------------------------

    def _in_space(self, url: URL) -> bool:
        text = str(url)
        for prefix in self._space:
            if text.startswith(prefix) and (
                len(text) == len(prefix) or prefix.endswith("/") or text[len(prefix)] in "/?"
            ):
                return True
        return False

    def _adopt(self, challenge: _Challenge, url: URL) -> None:
        if challenge.nonce != (self._challenge.nonce if self._challenge else None):
            self._nonce_count = 0
        self._challenge = challenge
        origin = url.origin()
        space = []
        for uri in challenge.domain.split():
            try:
                target = URL(uri)
            except ValueError:
                continue
            space.append(str(origin.join(target) if not target.is_absolute() else target))
        self._space = space or [str(origin)]

    # --- the answer -------------------------------------------------------------------------

    async def _authorization(self, request: "ClientRequest") -> str:
        challenge = self._challenge
        assert challenge is not None
        algorithm = challenge.algorithm.upper()
        session = algorithm.endswith("-SESS")
        digest = _HASHES[algorithm[:-5] if session else algorithm]

        def h(data: str | bytes) -> str:
            return digest(data.encode() if isinstance(data, str) else data).hexdigest()

        qop = ""
        body = request.body
        if challenge.qops:
            in_memory = isinstance(body, (bytes, bytearray))
            if "auth-int" in challenge.qops and (in_memory or "auth" not in challenge.qops):
                qop = "auth-int"
            else:
                qop = "auth"
        uri = request.url.raw_path_qs or "/"
        self._nonce_count += 1
        nc = f"{self._nonce_count:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = h(f"{self._login}:{challenge.realm}:{self._password}")
        if session:
            ha1 = h(f"{ha1}:{challenge.nonce}:{cnonce}")
        a2 = f"{request.method}:{uri}"
        if qop == "auth-int":
            entity = body if isinstance(body, (bytes, bytearray)) else await body.as_bytes()
            a2 = f"{a2}:{h(bytes(entity))}"
        ha2 = h(a2)
        if qop:
            response = h(f"{ha1}:{challenge.nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        else:
            response = h(f"{ha1}:{challenge.nonce}:{ha2}")
        fields = [
            f'username="{_quote(self._login)}"',
            f'realm="{_quote(challenge.realm)}"',
            f'nonce="{_quote(challenge.nonce)}"',
            f'uri="{uri}"',
            f"algorithm={challenge.algorithm}",
            f'response="{response}"',
        ]
        if challenge.opaque is not None:
            fields.append(f'opaque="{_quote(challenge.opaque)}"')
        if qop:
            fields += [f"qop={qop}", f"nc={nc}", f'cnonce="{cnonce}"']
        elif session:
            fields.append(f'cnonce="{cnonce}"')  # H(A1) of a -sess algorithm includes it
        return "Digest " + ", ".join(fields)

    async def __call__(
        self, request: "ClientRequest", handler: "ClientHandlerType"
    ) -> "ClientResponse":
        origin = request.url.origin()
        if self._origin is None:
            self._origin = origin
        elif origin != self._origin and not self._in_space(request.url):
            return await handler(request)
        sent = False
        if self._preemptive and self._challenge is not None and self._in_space(request.url):
            request.headers[hdrs.AUTHORIZATION] = await self._authorization(request)
            sent = True
        response = await handler(request)
        stale_answered = False
        # At most two more sends: the first challenge, then one stale nonce.
        for _ in range(2):
            if response.status != 401:
                break
            challenges = _challenges(response)
            if not challenges:
                break
            challenge = challenges[0]
            if sent:
                # Credentials were refused: only an expired nonce earns another try, once.
                if not challenge.stale or stale_answered:
                    break
                stale_answered = True
            self._adopt(challenge, response.url)
            authorization = await self._authorization(request)
            response.release()
            request.headers[hdrs.AUTHORIZATION] = authorization
            response = await handler(request)
            sent = True
        return response
