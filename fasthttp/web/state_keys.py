"""Typed keys for the state mappings of an application, a request and a response
(aiohttp.web's AppKey, RequestKey, ResponseKey), and the warning a str key gets instead.

`app[KEY]`, `request[KEY]`, `response[KEY]` with `KEY = web.RequestKey("user", User)` tell a
type checker what the slot holds. A str key still works; aiohttp 3.14 warns (NotAppKeyWarning)
for it: every time on an application, once per distinct key on requests and responses (which
are many, so a warning each time would flood the log).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Generic, Optional, TypeVar, get_args

__all__ = ("AppKey", "NotAppKeyWarning", "RequestKey", "ResponseKey", "warn_str_key_once")

_T = TypeVar("_T")


class NotAppKeyWarning(UserWarning):
    """A str (not an AppKey, RequestKey or ResponseKey) used as a state key (aiohttp.web's warning)."""


def _defining_module() -> str:
    """The module whose top level is running (importing): where a key is being defined.

    aiohttp names a key after it ("app.DB_KEY"), so that two modules' keys of the same name
    print apart; walking up to the first module-level frame finds it from a helper too."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            return str(frame.f_globals.get("__name__", "__main__"))
        frame = frame.f_back  # type: ignore[assignment]
    return "__main__"


def _type_name(t: Any) -> str:
    """A key's type as aiohttp prints it: int, package.module.Class, typing.Optional[int]."""
    if t is None:
        return "<<Unknown>>"
    if isinstance(t, type):
        return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    return repr(t)


class _StateKey(Generic[_T]):
    __slots__ = ("_name", "_type", "__orig_class__")

    def __init__(self, name: str, t: Optional[type[_T]] = None) -> None:
        self._name = f"{_defining_module()}.{name}"
        self._type = t

    def __lt__(self, other: object) -> bool:
        # aiohttp's order: keys by name, and before anything that is not a key.
        if isinstance(other, _StateKey):
            return self._name < other._name
        return True

    def __repr__(self) -> str:
        t: Any = self._type
        if t is None:
            # `AppKey[int]("name")`: typing records the parameterised class it was made from.
            orig = getattr(self, "__orig_class__", None)
            args = get_args(orig) if orig is not None else ()
            t = args[0] if args else None
        return f"<{type(self).__name__}({self._name}, type={_type_name(t)})>"


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
