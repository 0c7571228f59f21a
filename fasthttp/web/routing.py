"""Routing: paths to handlers (aiohttp.web's router API).

Plain paths are found with one dict lookup; patterns (`/{name}`, `/{name:regex}`) are tried in
the order they were added. A path that matches no route resolves to a handler raising 404; a
path that matches for other methods only, to one raising 405 with Allow — handlers all the
same, so middlewares see those answers too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Optional, Union

from .. import hdrs
from .static import StaticFiles

__all__ = (
    "UrlDispatcher",
    "RouteDef",
    "StaticDef",
    "RouteTableDef",
    "MatchInfo",
    "route",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "view",
    "static",
)

Handler = Callable[[Any], Awaitable[Any]]
_PARAM_RE = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<regex>[^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")


class MatchInfo(dict[str, str]):
    """The path parameters of a request, plus the route that matched."""

    def __init__(self, params: dict[str, str], handler: Handler, route: Any = None) -> None:
        super().__init__(params)
        self.handler = handler
        self.route = route
        self._apps: list[Any] = []

    @property
    def apps(self) -> tuple[Any, ...]:
        return tuple(self._apps)

    def __repr__(self) -> str:
        return f"<MatchInfo {super().__repr__()}: {self.route}>"


class Route:
    """One method + path + handler."""

    __slots__ = ("method", "path", "handler", "name", "_resource")

    def __init__(self, method: str, path: str, handler: Handler, name: Optional[str]) -> None:
        self.method = method
        self.path = path
        self.handler = handler
        self.name = name
        self._resource: Any = None

    @property
    def resource(self) -> Any:
        return self._resource

    def __repr__(self) -> str:
        return f"<Route {self.method} {self.path} -> {self.handler!r}>"


class _PatternResource:
    """A path pattern with its routes by method."""

    __slots__ = ("pattern", "regex", "routes", "name")

    def __init__(self, pattern: str, name: Optional[str]) -> None:
        self.pattern = pattern
        self.regex = _compile(pattern)
        self.routes: dict[str, Route] = {}
        self.name = name

    def url_for(self, **parts: str) -> str:
        from urllib.parse import quote

        return _PARAM_RE.sub(lambda m: quote(parts[m.group("name")], safe=""), self.pattern)


def _compile(pattern: str) -> "re.Pattern[str]":
    out = []
    last = 0
    for match in _PARAM_RE.finditer(pattern):
        out.append(re.escape(pattern[last : match.start()]))
        regex = match.group("regex") or "[^{}/]+"
        out.append(f"(?P<{match.group('name')}>{regex})")
        last = match.end()
    out.append(re.escape(pattern[last:]))
    return re.compile("".join(out))


async def _not_found(request: Any) -> Any:
    from .exceptions import HTTPNotFound

    raise HTTPNotFound()


def _method_not_allowed(method: str, allowed: set[str]) -> Handler:
    async def handler(request: Any) -> Any:
        from .exceptions import HTTPMethodNotAllowed

        raise HTTPMethodNotAllowed(method, allowed)

    return handler


class UrlDispatcher:
    """The router of an Application."""

    def __init__(self) -> None:
        self._plain: dict[str, dict[str, Route]] = {}
        self._patterns: list[_PatternResource] = []
        self._named: dict[str, Any] = {}
        self._routes: list[Route] = []
        self._frozen = False

    def freeze(self) -> None:
        self._frozen = True

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot register a resource into frozen router.")

    def add_route(
        self, method: str, path: str, handler: Handler, *, name: Optional[str] = None,
        expect_handler: Any = None,
    ) -> Route:
        self._check_frozen()
        if not path.startswith("/") and path:
            raise ValueError("path should be started with / or be empty")
        method = method.upper()
        route = Route(method, path, handler, name)
        if _PARAM_RE.search(path) is None:
            self._plain.setdefault(path, {})[method] = route
            resource: Any = path
        else:
            resource = next((r for r in self._patterns if r.pattern == path), None)
            if resource is None:
                resource = _PatternResource(path, name)
                self._patterns.append(resource)
            resource.routes[method] = route
        route._resource = resource
        if name is not None:
            if name in self._named:
                raise ValueError(f"Duplicate {name!r}, already handled by {self._named[name]!r}")
            self._named[name] = resource
        self._routes.append(route)
        return route

    def add_get(self, path: str, handler: Handler, *, name: Optional[str] = None,
                allow_head: bool = True, **kwargs: Any) -> Route:
        if allow_head:
            self.add_route(hdrs.METH_HEAD, path, handler, **kwargs)
        return self.add_route(hdrs.METH_GET, path, handler, name=name, **kwargs)

    def add_post(self, path: str, handler: Handler, **kwargs: Any) -> Route:
        return self.add_route(hdrs.METH_POST, path, handler, **kwargs)

    def add_put(self, path: str, handler: Handler, **kwargs: Any) -> Route:
        return self.add_route(hdrs.METH_PUT, path, handler, **kwargs)

    def add_patch(self, path: str, handler: Handler, **kwargs: Any) -> Route:
        return self.add_route(hdrs.METH_PATCH, path, handler, **kwargs)

    def add_delete(self, path: str, handler: Handler, **kwargs: Any) -> Route:
        return self.add_route(hdrs.METH_DELETE, path, handler, **kwargs)

    def add_head(self, path: str, handler: Handler, **kwargs: Any) -> Route:
        return self.add_route(hdrs.METH_HEAD, path, handler, **kwargs)

    def add_options(self, path: str, handler: Handler, **kwargs: Any) -> Route:
        return self.add_route(hdrs.METH_OPTIONS, path, handler, **kwargs)

    def add_view(self, path: str, handler: Any, **kwargs: Any) -> Route:
        return self.add_route(hdrs.METH_ANY, path, handler, **kwargs)

    def add_static(self, prefix: str, path: Union[str, "os.PathLike[str]"], *,
                   name: Optional[str] = None, expect_handler: Any = None,
                   chunk_size: int = 256 * 1024, show_index: bool = False,
                   follow_symlinks: bool = False, append_version: bool = False) -> Route:
        """GET and HEAD of the files under `path` (fasthttp/web/static.py has the rules)."""
        if append_version:
            # It changes the URLs url_for() builds for this resource; until static resources
            # build URLs, it would be accepted and ignored.
            raise NotImplementedError("add_static(append_version=True) is not supported yet")
        directory = Path(path).expanduser().resolve(strict=False)
        if not directory.is_dir():
            raise ValueError(f"No directory exists at '{directory}'")
        prefix = prefix.rstrip("/")
        handler = StaticFiles(prefix, directory, show_index=show_index,
                              follow_symlinks=follow_symlinks, chunk_size=chunk_size)
        pattern = prefix + "/{filename:.*}"
        self.add_route(hdrs.METH_HEAD, pattern, handler, expect_handler=expect_handler)
        return self.add_route(hdrs.METH_GET, pattern, handler, name=name,
                              expect_handler=expect_handler)

    def add_routes(self, routes: Any) -> list[Route]:
        registered = []
        for definition in routes:
            registered.extend(definition.register(self))
        return registered

    def routes(self) -> list[Route]:
        return list(self._routes)

    def __getitem__(self, name: str) -> Any:
        return self._named[name]

    def __contains__(self, name: str) -> bool:
        return name in self._named

    def named_resources(self) -> dict[str, Any]:
        return dict(self._named)

    def resolve_path(self, method: str, path: str) -> MatchInfo:
        """The handler for method + path (a 404 or 405 raiser when none fits)."""
        allowed: set[str] = set()
        plain = self._plain.get(path)
        if plain is not None:
            route = plain.get(method) or plain.get(hdrs.METH_ANY)
            if route is not None:
                return MatchInfo({}, route.handler, route)
            allowed.update(plain)
        for resource in self._patterns:
            match = resource.regex.fullmatch(path)
            if match is None:
                continue
            route = resource.routes.get(method) or resource.routes.get(hdrs.METH_ANY)
            if route is not None:
                return MatchInfo(match.groupdict(), route.handler, route)
            allowed.update(resource.routes)
        if allowed:
            return MatchInfo({}, _method_not_allowed(method, allowed))
        return MatchInfo({}, _not_found)


class RouteDef:
    """A route to register later (web.get(...), RouteTableDef)."""

    __slots__ = ("method", "path", "handler", "kwargs")

    def __init__(self, method: str, path: str, handler: Handler, kwargs: dict[str, Any]) -> None:
        self.method = method
        self.path = path
        self.handler = handler
        self.kwargs = kwargs

    def register(self, router: UrlDispatcher) -> list[Route]:
        if self.method == hdrs.METH_GET:
            return [router.add_get(self.path, self.handler, **self.kwargs)]
        return [router.add_route(self.method, self.path, self.handler, **self.kwargs)]

    def __repr__(self) -> str:
        return f"<RouteDef {self.method} {self.path} -> {self.handler!r}>"


class StaticDef:
    __slots__ = ("prefix", "path", "kwargs")

    def __init__(self, prefix: str, path: Any, kwargs: dict[str, Any]) -> None:
        self.prefix = prefix
        self.path = path
        self.kwargs = kwargs

    def register(self, router: UrlDispatcher) -> list[Route]:
        return [router.add_static(self.prefix, self.path, **self.kwargs)]


def route(method: str, path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    return RouteDef(method, path, handler, kwargs)


def get(path: str, handler: Handler, *, name: Optional[str] = None, allow_head: bool = True,
        **kwargs: Any) -> RouteDef:
    return RouteDef(hdrs.METH_GET, path, handler, dict(kwargs, name=name, allow_head=allow_head))


def post(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    return route(hdrs.METH_POST, path, handler, **kwargs)


def put(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    return route(hdrs.METH_PUT, path, handler, **kwargs)


def patch(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    return route(hdrs.METH_PATCH, path, handler, **kwargs)


def delete(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    return route(hdrs.METH_DELETE, path, handler, **kwargs)


def head(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    return route(hdrs.METH_HEAD, path, handler, **kwargs)


def options(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    return route(hdrs.METH_OPTIONS, path, handler, **kwargs)


def view(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return route(hdrs.METH_ANY, path, handler, **kwargs)


def static(prefix: str, path: Any, **kwargs: Any) -> StaticDef:
    return StaticDef(prefix, path, kwargs)


class RouteTableDef:
    """Route decorators: `@routes.get("/")`, then `app.add_routes(routes)`."""

    def __init__(self) -> None:
        self._items: list[Any] = []

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Any:
        return self._items[index]

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if method == hdrs.METH_GET:
                self._items.append(RouteDef(method, path, handler, dict(kwargs)))
            else:
                self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return register

    def get(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_GET, path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_POST, path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_PUT, path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_PATCH, path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_DELETE, path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_HEAD, path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_OPTIONS, path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route(hdrs.METH_ANY, path, **kwargs)

    def static(self, prefix: str, path: Any, **kwargs: Any) -> None:
        self._items.append(StaticDef(prefix, path, kwargs))

