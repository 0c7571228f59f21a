"""aiohttp.abc's interfaces, where `import fasthttp as aiohttp` code looks for them
(`from aiohttp.abc import AbstractResolver, ResolveResult`).

The server's (AbstractAccessLogger, AbstractView) load on first use, so a client-only program
does not import fasthttp.web. aiohttp's AbstractRouter, AbstractMatchInfo and
AbstractStreamWriter are not here: fasthttp's router, match info and body writer do not
implement them (docs/aiohttp-compat.md).
"""

from typing import Any

from .cookiejar import AbstractCookieJar
from .resolver import AbstractResolver, ResolveResult

__all__ = ("AbstractAccessLogger", "AbstractCookieJar", "AbstractResolver", "AbstractView", "ResolveResult")

_SERVER_NAMES = {"AbstractAccessLogger": "fasthttp.web.access_log", "AbstractView": "fasthttp.web.views"}


def __getattr__(name: str) -> Any:
    module = _SERVER_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'fasthttp.abc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
