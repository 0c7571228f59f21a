"""What a connection's TLS is made of, from the request's and the connector's `ssl=` (aiohttp's
rules): the SSLContext to handshake with, and the certificate pin to check afterwards.

`ssl` is True (verify, the default), False (do not verify), an SSLContext, or a Fingerprint
(do not verify the chain, check the pin instead). A request's True defers to the connector's
setting; a pin set on the connector is checked whatever the request's `ssl` says, so
`ssl=False` on one request never lets a wrong certificate through a pinned connector.
"""

from __future__ import annotations

import functools
import ssl as ssl_module
from typing import Any, Optional

from .client_exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ConnectionKey,
)
from .fingerprint import Fingerprint

__all__ = (
    "connection_tls", "default_ssl_context", "fingerprint_for", "ssl_context_for", "tls_failure",
)


@functools.lru_cache(maxsize=None)
def default_ssl_context(verify: bool) -> ssl_module.SSLContext:
    """The two default contexts, each built once per process (building one costs ~ms)."""
    if verify:
        return ssl_module.create_default_context()
    context = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl_module.CERT_NONE
    return context


def ssl_context_for(request_ssl: Any, connector_ssl: Any) -> ssl_module.SSLContext:
    """The context a TLS connection handshakes with."""
    for setting in (request_ssl, connector_ssl):
        if setting is None or setting is True:
            continue  # the next level decides
        if isinstance(setting, ssl_module.SSLContext):
            return setting
        return default_ssl_context(False)  # False, or a pin: the pin is the trust
    return default_ssl_context(True)


def fingerprint_for(request_ssl: Any, connector_ssl: Any) -> Optional[Fingerprint]:
    """The pin a new TLS connection must match: the request's, else the connector's."""
    if isinstance(request_ssl, Fingerprint):
        return request_ssl
    if isinstance(connector_ssl, Fingerprint):
        return connector_ssl
    return None


def connection_tls(
    key: ConnectionKey, connector_ssl: Any, extra: Optional[dict[str, Any]] = None
) -> tuple[dict[str, Any], Optional[Fingerprint]]:
    """For a new connection: the TLS arguments of loop.create_connection (none without TLS)
    and the pin to check once it is made (None: no pin)."""
    if not key.is_ssl:
        return {}, None
    arguments = {
        "ssl": ssl_context_for(key.ssl, connector_ssl),
        # Certificates name the host without the trailing dot of an FQDN.
        "server_hostname": (key.server_hostname or key.host).rstrip("."),
    }
    if extra:
        arguments.update(extra)
    return arguments, fingerprint_for(key.ssl, connector_ssl)


def tls_failure(key: ConnectionKey, exc: ssl_module.SSLError) -> ClientConnectorError:
    """aiohttp's error for a TLS handshake that failed: the certificate refused, or else."""
    if isinstance(exc, ssl_module.SSLCertVerificationError):  # (= ssl.CertificateError)
        return ClientConnectorCertificateError(key, exc)
    return ClientConnectorSSLError(key, exc)
