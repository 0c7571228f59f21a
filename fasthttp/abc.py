"""aiohttp.abc's client-side interfaces, where `import fasthttp as aiohttp` code looks for them
(`from aiohttp.abc import AbstractResolver, ResolveResult`)."""

from .cookiejar import AbstractCookieJar
from .resolver import AbstractResolver, ResolveResult

__all__ = ("AbstractCookieJar", "AbstractResolver", "ResolveResult")
