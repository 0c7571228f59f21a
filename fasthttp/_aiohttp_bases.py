"""aiohttp's exception classes as extra bases of fasthttp's, when aiohttp is installed.

Why: a fasthttp session handed to a library written for aiohttp raises fasthttp's exceptions
inside that library, which catches aiohttp's (`except aiohttp.ClientError`). `except` reads
the class hierarchy only (it ignores `__subclasscheck__`, so ABC registration cannot help):
fasthttp's class must *be* a subclass of aiohttp's.

How: fasthttp's exception modules name a base `_aiohttp_bases.ClientError` (and so on): an
object whose `__mro_entries__` (PEP 560) puts aiohttp's class of that name among the bases
when the class statement runs, or nothing at all when aiohttp is not installed, or when
FASTHTTP_AIOHTTP_BASES=0. So `except fasthttp.X` works everywhere, `except aiohttp.X` catches
fasthttp's X wherever aiohttp is there to be caught, and fasthttp's own methods come first in
every MRO (aiohttp's constructors are never relied on: fasthttp's set every attribute that
aiohttp's `__str__`, `__repr__` and users read).

The cost: importing fasthttp imports aiohttp when it is installed (`find_spec` first, so
nothing of aiohttp is imported when it is absent). An aiohttp that fails to import, or lacks
a class (older 3.x), leaves that base out: fasthttp's classes then stand alone.
_aiohttp_bases.pyi gives the type checker plain classes of the same names.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType
from typing import Any, Optional

__all__ = ("aiohttp_class",)

#: Where aiohttp keeps the classes that are not in aiohttp.client_exceptions.
_MODULES = ("aiohttp.client_exceptions", "aiohttp.http_exceptions", "aiohttp.http")


def _load() -> tuple[ModuleType, ...]:
    if os.environ.get("FASTHTTP_AIOHTTP_BASES", "1") == "0":
        return ()
    try:
        if importlib.util.find_spec("aiohttp") is None:
            return ()
        return tuple(importlib.import_module(name) for name in _MODULES)
    except Exception:  # an aiohttp that is broken or blocked: fasthttp's classes stand alone
        return ()


_AIOHTTP: tuple[ModuleType, ...] = _load()


def aiohttp_class(name: str) -> Optional[type]:
    """aiohttp's exception class of this name, or None (aiohttp absent, or no such class)."""
    for module in _AIOHTTP:
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls
    return None


class _Base:
    """A base-class placeholder: aiohttp's class of its name, or no base at all."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        cls = aiohttp_class(self._name)
        return () if cls is None else (cls,)

    def __repr__(self) -> str:
        return f"<aiohttp's {self._name}, if installed>"


def __getattr__(name: str) -> _Base:
    if name.startswith("_"):
        raise AttributeError(name)
    return _Base(name)
