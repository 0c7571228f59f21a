"""Certificate pinning (aiohttp's Fingerprint): `ssl=Fingerprint(sha256_of_the_DER_certificate)`.

The pin is checked on every new TLS connection, after the handshake and before the connection
is used or pooled; a mismatch closes it and raises ServerFingerprintMismatch. With a pin the
certificate chain itself is not verified (as in aiohttp): the pin is the trust.
"""

from __future__ import annotations

import asyncio
from hashlib import md5, sha1, sha256
from typing import Any

from .client_exceptions import ServerFingerprintMismatch

__all__ = ("Fingerprint",)

# By digest length, as aiohttp tells them apart: MD5 and SHA-1 are recognised only to be refused.
_WEAK_DIGEST_LENGTHS = {len(md5().digest()), len(sha1().digest())}
_SHA256_LENGTH = len(sha256().digest())


class Fingerprint:
    """The SHA-256 digest of the server certificate (DER) a connection must present."""

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        length = len(fingerprint)
        if length in _WEAK_DIGEST_LENGTHS:
            raise ValueError("md5 and sha1 are insecure and not supported. Use sha256.")
        if length != _SHA256_LENGTH:
            raise ValueError("fingerprint has invalid length")
        self._fingerprint = bytes(fingerprint)

    @property
    def fingerprint(self) -> bytes:
        return self._fingerprint

    # Equal pins are one pool key: a pin given per request (fingerprint=) still reuses
    # connections, and a pinned connection is never shared with an unpinned request.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and other._fingerprint == self._fingerprint

    def __hash__(self) -> int:
        return hash((Fingerprint, self._fingerprint))

    def __repr__(self) -> str:
        return f"<Fingerprint sha256={self._fingerprint.hex()}>"

    def check(self, transport: asyncio.BaseTransport) -> None:
        """Raise ServerFingerprintMismatch unless the peer's certificate has this digest.

        A transport without TLS has no certificate to pin: nothing to check (aiohttp's rule;
        the connectors only call this on TLS connections)."""
        if not transport.get_extra_info("sslcontext"):
            return
        ssl_object: Any = transport.get_extra_info("ssl_object")
        certificate = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        got = sha256(certificate or b"").digest()
        if got != self._fingerprint:
            peer = transport.get_extra_info("peername")
            if not isinstance(peer, tuple):  # a Unix socket's path (or nothing)
                peer = (str(peer or ""), 0)
            raise ServerFingerprintMismatch(self._fingerprint, got, peer[0], peer[1])
