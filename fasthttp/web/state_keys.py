"""Typed keys for the state mappings of an application, a request and a response
(aiohttp.web's AppKey, RequestKey, ResponseKey), and the warning a str key gets instead.

`app[KEY]`, `request[KEY]`, `response[KEY]` with `KEY = web.RequestKey("user", User)` tell a
type checker what the slot holds. A str key still works; aiohttp 3.14 warns (NotAppKeyWarning)
for it: every time on an application, once per distinct key on requests and responses (which
are many, so a warning each time would flood the log).
"""

from __future__ import annotations

import warnings
from typing import Any, Generic, Optional, TypeVar

__all__ = ("AppKey", "NotAppKeyWarning", "RequestKey", "ResponseKey", "warn_str_key_once")

_T = TypeVar("_T")


class NotAppKeyWarning(UserWarning):
    """A str (not an AppKey, RequestKey or ResponseKey) used as a state key (aiohttp.web's warning)."""


class _StateKey(Generic[_T]):
    __slots__ = ("_name", "_type")

    def __init__(self, name: str, t: Optional[type[_T]] = None) -> None:
        self._name = name
        self._type = t

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self._name!r}, type={self._type!r})>"


class AppKey(_StateKey[_T]):
    """A typed key for application state: `app[KEY]` is known to hold a _T."""

    __slots__ = ()


class RequestKey(_StateKey[_T]):
    """A typed key for a request's state: `request[KEY]` is known to hold a _T."""

    __slots__ = ()


class ResponseKey(_StateKey[_T]):
    """A typed key for a response's state: `response[KEY]` is known to hold a _T."""

    __slots__ = ()


def warn_str_key_once(key: Any, seen: set[Any], key_class: str, stacklevel: int = 3) -> None:
    """aiohttp's NotAppKeyWarning for a str `key`, the first time that key is seen in `seen`."""
    if key in seen:
        return
    seen.add(key)
    anchor = "request-s-storage" if key_class == "RequestKey" else "response-s-storage"
    warnings.warn(
        f"It is recommended to use web.{key_class} instances for keys.\n"
        f"https://docs.aiohttp.org/en/stable/web_advanced.html#{anchor}",
        NotAppKeyWarning, stacklevel=stacklevel,
    )
