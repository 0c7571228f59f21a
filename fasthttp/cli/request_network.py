"""--verify, --cert/--cert-key, --proxy and -a/-A turned into fasthttp request arguments, and
a failure turned into httpie's exit status with one line that names its real cause."""

from __future__ import annotations

import asyncio
import getpass
import os
import ssl
import sys
from dataclasses import dataclass
from typing import Any, Optional, Union

from yarl import URL

from .request_items import UsageError

__all__ = ("TlsOptions", "ssl_argument", "proxy_for", "auth_arguments", "describe_failure",
           "EXIT_ERROR", "EXIT_TIMEOUT", "EXIT_REDIRECT", "EXIT_TOO_MANY_REDIRECTS")

EXIT_ERROR, EXIT_TIMEOUT, EXIT_REDIRECT, EXIT_TOO_MANY_REDIRECTS = 1, 2, 3, 6

# OpenSSL's reasons when the peer answers a ClientHello with something that is not TLS.
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
                              "HTTP_REQUEST", "UNKNOWN_PROTOCOL"})


@dataclass
class TlsOptions:
    """--verify/--insecure, --cert/--cert-key/--cert-key-pass, --ssl and --ciphers."""
    verify: str = "yes"
    insecure: bool = False
    cert: Optional[str] = None
    cert_key: Optional[str] = None
    cert_key_pass: Optional[str] = None
    version: Optional[str] = None
    ciphers: Optional[str] = None

    @classmethod
    def from_args(cls, args: Any) -> "TlsOptions":
        return cls(args.verify, args.insecure, args.cert, args.cert_key, args.cert_key_pass,
                   args.ssl_version, args.ciphers)

    @property
    def needs_context(self) -> bool:
        return bool(self.cert or self.ciphers or (self.version and self.version != "ssl2.3"))


_TLS_VERSIONS = {"tls1": "TLSv1", "tls1.1": "TLSv1_1", "tls1.2": "TLSv1_2", "tls1.3": "TLSv1_3"}


def ssl_argument(options: TlsOptions) -> Union[bool, ssl.SSLContext]:
    """The request's ssl=: True/False while the defaults do, else a context of our own."""
    choice = options.verify.lower()
    if options.insecure or choice in ("no", "false"):
        if not options.needs_context:
            return False
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif choice in ("yes", "true"):
        if not options.needs_context:
            return True
        context = ssl.create_default_context()
    else:
        verify = options.verify
        if not os.path.exists(verify):
            raise UsageError(f"--verify: {verify} is not yes, no or an existing CA bundle path")
        try:
            context = ssl.create_default_context(cafile=verify if os.path.isfile(verify) else None,
                                                 capath=verify if os.path.isdir(verify) else None)
        except (ssl.SSLError, OSError) as exc:
            raise UsageError(f"--verify: cannot load CA bundle {verify}: {exc}") from None
    _pin_version(context, options.version)
    if options.ciphers:
        try:
            context.set_ciphers(options.ciphers)
        except ssl.SSLError:
            raise UsageError(f"--ciphers {options.ciphers}: OpenSSL knows no cipher suite by that list "
                             "(see `openssl ciphers`)") from None
    _load_client_certificate(context, options)
    return context


def _pin_version(context: ssl.SSLContext, version: Optional[str]) -> None:
    if not version or version == "ssl2.3":
        return
    pinned = getattr(ssl.TLSVersion, _TLS_VERSIONS[version])
    if version in ("tls1", "tls1.1"):
        # OpenSSL's default security level refuses these versions outright (no signature
        # algorithm they can use): level 0 lets the handshake try, as asking for them means.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        context.minimum_version = context.maximum_version = pinned
    except (ValueError, ssl.SSLError) as exc:
        raise UsageError(f"--ssl {version}: this Python's OpenSSL cannot use it ({exc})") from None


def _load_client_certificate(context: ssl.SSLContext, options: TlsOptions) -> None:
    if not options.cert:
        if options.cert_key or options.cert_key_pass:
            raise UsageError(f"{'--cert-key' if options.cert_key else '--cert-key-pass'} needs --cert")
        return
    names = options.cert + (" / " + options.cert_key if options.cert_key else "")
    def passphrase() -> str:  # asked for only when the key is encrypted
        if options.cert_key_pass is not None:
            return options.cert_key_pass
        if not sys.stdin.isatty():
            raise UsageError(f"--cert: the key of {names} is encrypted: give --cert-key-pass "
                             "(it is asked for only on a terminal)")
        return getpass.getpass(f"fasthttp: passphrase for {options.cert_key or options.cert}: ")

    try:
        context.load_cert_chain(options.cert, options.cert_key, password=passphrase)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"--cert: cannot load {names}: {exc}") from None


def proxy_for(proxies: list[str], url: URL) -> Optional[str]:
    """httpie's `--proxy PROTOCOL:URL` (repeatable): the proxy for this URL's scheme."""
    chosen = None
    for spec in proxies:
        protocol, sep, target = spec.partition(":")
        if not sep or not target or "://" in protocol:
            raise UsageError(f"--proxy '{spec}': expected PROTOCOL:PROXY_URL, e.g. http:http://127.0.0.1:3128")
        if protocol.lower() == url.scheme:
            chosen = target
    return chosen


def auth_arguments(raw: Optional[str], kind: Optional[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(request keyword arguments, extra headers) for -a/-A."""
    import fasthttp

    if raw is None:
        if kind:
            raise UsageError(f"--auth-type {kind} needs -a/--auth")
        return {}, []
    kind = kind or "basic"
    if kind == "bearer":
        return {}, [("Authorization", f"Bearer {raw}")]
    user, sep, password = raw.partition(":")
    if not sep:
        if not sys.stdin.isatty():
            raise UsageError(f"-a {user}: no password given (use USER:PASS; it is asked for only on a terminal)")
        password = getpass.getpass(f"fasthttp: password for {user}: ")
    if kind == "digest":
        return {"middlewares": (fasthttp.DigestAuthMiddleware(user, password),)}, []
    return {"auth": fasthttp.BasicAuth(user, password)}, []


def _ssl_reason(error: BaseException) -> Optional[str]:
    """OpenSSL's reason (e.g. WRONG_VERSION_NUMBER) from the error or what it wraps."""
    seen: Optional[BaseException] = error
    fallback = None
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError):
            reason = getattr(seen, "reason", None)
            if reason:
                return str(reason)
            fallback = fallback or str(seen)
        seen = getattr(seen, "os_error", None) or seen.__cause__ or seen.__context__
    return fallback


def describe_failure(exc: BaseException, method: str, url: URL, timeout: Optional[float],
                     max_redirects: int) -> tuple[int, str]:
    """(exit status, the one line for stderr)."""
    import fasthttp

    where = f"{url.host}:{url.port}"
    if isinstance(exc, fasthttp.TooManyRedirects):
        return EXIT_TOO_MANY_REDIRECTS, f"too many redirects (more than {max_redirects}): {method} {url}"
    if isinstance(exc, asyncio.TimeoutError):
        limit = f" after {timeout:g} s" if timeout is not None else ""
        return EXIT_TIMEOUT, f"request timed out{limit}: {method} {url}"
    if isinstance(exc, fasthttp.ClientConnectorCertificateError):
        return EXIT_ERROR, f"the TLS certificate of {where} is not trusted: {exc.certificate_error}"
    reason = _ssl_reason(exc)
    if reason is not None:
        if reason.upper() in _NOT_TLS_REASONS:
            return EXIT_ERROR, (f"TLS handshake with {where} failed: the server there does not speak TLS "
                                f"(is it a plain http:// port?) [{reason}]")
        return EXIT_ERROR, f"TLS handshake with {where} failed: {reason}"
    if isinstance(exc, fasthttp.ClientConnectorError):
        error = exc.os_error
        if url.scheme == "https" and isinstance(error, (ConnectionResetError, ConnectionAbortedError)):
            # A server that refuses the handshake (a TLS version or cipher suites it will not
            # use) may just drop the connection: asyncio then reports a bare reset.
            return EXIT_ERROR, (f"TLS handshake with {where} failed: the server closed the connection "
                                "(does it accept the TLS version and ciphers asked for? see --ssl, --ciphers)")
        # asyncio's "Connect call failed (...)" hides the reason; errno names it.
        text = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
        return EXIT_ERROR, f"cannot connect to {exc.host}:{exc.port}: {text or type(error).__name__}"
    if isinstance(exc, NotImplementedError):
        return EXIT_ERROR, str(exc)
    return EXIT_ERROR, f"{type(exc).__name__}: {exc}"
