"""web.normalize_path_middleware: redirect a path that routes nowhere to its normalised twin.

aiohttp's rules: only a request the router found nothing for (404/405) is looked at; the
candidates are, in order, the path with repeated slashes merged, with a slash appended (or
removed), and both; the first one that the router resolves to a route is the redirect target
(the query kept). A candidate never starts with '//', so the Location cannot name another host.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from yarl import URL

from .app import middleware
from .exceptions import HTTPMove, HTTPPermanentRedirect

__all__ = ("normalize_path_middleware",)

_SLASHES = re.compile("//+")


def _candidates(path: str, append_slash: bool, remove_slash: bool, merge_slashes: bool,
                ends_with_slash: bool) -> list[str]:
    out = []
    if merge_slashes:
        out.append(_SLASHES.sub("/", path))
    if append_slash and not ends_with_slash:
        out.append(path + "/")
    if remove_slash and ends_with_slash:
        out.append(path[:-1])
    if merge_slashes and append_slash:
        out.append(_SLASHES.sub("/", path + "/"))
    if merge_slashes and remove_slash:
        out.append(_SLASHES.sub("/", path)[:-1])
    return [re.sub("^//+", "/", candidate) for candidate in out]


def normalize_path_middleware(
    *, append_slash: bool = True, remove_slash: bool = False, merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Callable[[Any, Callable[[Any], Awaitable[Any]]], Awaitable[Any]]:
    if append_slash and remove_slash:
        raise ValueError("Cannot both remove and append slash")

    @middleware
    async def impl(request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        if request.match_info.route is None:  # the router found nothing (404/405)
            path, sep, query = request.raw_path.partition("?")
            router = request.app.router
            for candidate in _candidates(path, append_slash, remove_slash, merge_slashes,
                                         request.path.endswith("/")):
                decoded = URL.build(path=candidate, encoded=True).path
                if router.resolve_path(request.method, decoded, request).route is not None:
                    raise redirect_class(candidate + sep + query)
        return await handler(request)

    return impl
