"""The abstract bases of routing (aiohttp.web's AbstractResource, AbstractRoute,
AbstractRouteDef) and the class of `request.match_info` (UrlMappingMatchInfo).

fasthttp's resources, routes and route definitions derive from these, as aiohttp's do, so
`isinstance(resource, web.AbstractResource)` and annotations written for aiohttp hold. They
declare only what every fasthttp class implements. fasthttp's router routes its own resource
classes only: a user-written AbstractResource subclass is refused by `register_resource()`
with a TypeError naming it (aiohttp would call its `resolve()`).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sized
from typing import Any, Optional

from yarl import URL

__all__ = ("AbstractResource", "AbstractRoute", "AbstractRouteDef", "UrlMappingMatchInfo")


class AbstractResource(Sized, Iterable[Any]):
    """A path (or a rule) with its routes."""

    __slots__ = ()

    def __init__(self, *, name: Optional[str] = None) -> None:
        self.name = name

    @property
    @abc.abstractmethod
    def canonical(self) -> str:
        """The resource's path pattern, as registered (prefixes included)."""

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """The URL for the given parts."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """What the resource matches (path, formatter, pattern, prefix, ...)."""

    @abc.abstractmethod
    def add_prefix(self, prefix: str) -> None:
        """Moves the resource under a sub-application's prefix."""


class AbstractRoute(abc.ABC):
    """One method and handler of a resource."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def name(self) -> Optional[str]:
        """The resource's name."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """The resource's get_info()."""

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """The resource's url_for()."""


class AbstractRouteDef(abc.ABC):
    """A route to register later (web.get(...), RouteTableDef entries, web.static(...))."""

    __slots__ = ()

    @abc.abstractmethod
    def register(self, router: Any) -> list[Any]:
        """Adds the route(s) to `router`; returns what was added."""


class UrlMappingMatchInfo(dict[str, str]):
    """The path parameters of a request, with the route that matched (request.match_info).

    `UrlMappingMatchInfo(match_dict, route)` builds one as aiohttp's constructor does;
    the router's own subclass is made without the route's lookups.
    """

    allowed: Optional[set[str]] = None  # the methods, when only the method was wrong (405)

    def __init__(self, match_dict: dict[str, str], route: Any) -> None:
        super().__init__(match_dict)
        self.handler = route.handler
        self.route = route
        self._apps: list[Any] = []  # the sub-applications the route is in, outermost first

    @property
    def apps(self) -> tuple[Any, ...]:
        return tuple(self._apps)

    @property
    def expect_handler(self) -> Any:
        return getattr(self.route, "_expect_handler", None)

    def get_info(self) -> dict[str, Any]:
        info: dict[str, Any] = self.route.get_info()
        return info

    def __repr__(self) -> str:
        return f"<MatchInfo {dict.__repr__(self)}: {self.route}>"
