"""Arguments aiohttp documents that fasthttp does not build (yet): they refuse, naming
themselves, instead of being accepted and dropped.

`import fasthttp as aiohttp` code that passes one of them at a value other than aiohttp's
default gets a NotImplementedError saying which argument it was; the default value is accepted
silently (it asks for nothing). tests/test_aiohttp_signatures.py holds the list, per aiohttp
signature, of what is implemented and what refuses.
"""

from __future__ import annotations

import warnings
from ssl import SSLContext
from typing import Any, NoReturn, Optional

from .fingerprint import Fingerprint

__all__ = ("check_ssl", "merge_ssl", "refuse")


def refuse(name: str, why: str = "") -> NoReturn:
    raise NotImplementedError(
        f"fasthttp does not support the {name}= argument" + (f" {why}" if why else "")
    )


_EXCLUSIVE = "verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive"


def merge_ssl(
    ssl: Any, verify_ssl: Optional[bool], ssl_context: Any, fingerprint: Optional[bytes] = None
) -> Any:
    """aiohttp's deprecated spellings of ssl= (verify_ssl=False, ssl_context=, fingerprint=),
    folded into it as aiohttp does: each warns, and each is exclusive with an ssl= of its own
    (so fingerprint= with ssl=False is an error, never a pin dropped)."""
    if ssl is None:
        ssl = True
    if verify_ssl is not None and not verify_ssl:
        warnings.warn(
            "verify_ssl is deprecated, use ssl=False instead", DeprecationWarning, stacklevel=3
        )
        if ssl is not True:
            raise ValueError(_EXCLUSIVE)
        ssl = False
    if ssl_context is not None:
        warnings.warn(
            "ssl_context is deprecated, use ssl=context instead", DeprecationWarning, stacklevel=3
        )
        if ssl is not True:
            raise ValueError(_EXCLUSIVE)
        ssl = ssl_context
    if fingerprint is not None:
        warnings.warn(
            "fingerprint is deprecated, use ssl=Fingerprint(fingerprint) instead",
            DeprecationWarning,
            stacklevel=3,
        )
        if ssl is not True:
            raise ValueError(_EXCLUSIVE)
        ssl = Fingerprint(fingerprint)
    check_ssl(ssl)
    return ssl


def check_ssl(ssl: Any) -> None:
    """ssl= is one of aiohttp's allowed types (True/False/None, an SSLContext, a Fingerprint)."""
    if ssl is not None and not isinstance(ssl, (bool, SSLContext, Fingerprint)):
        raise TypeError(
            f"ssl should be SSLContext, bool, Fingerprint or None, got {ssl!r} instead."
        )
