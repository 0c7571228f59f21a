"""Routing: paths to handlers (aiohttp.web's router API).

Plain paths are found with one dict lookup; patterns (`/{name}`, `/{name:regex}`) are tried in
the order they were added. A path that matches no route resolves to a handler raising 404; a
path that matches for other methods only, to one raising 405 with Allow — handlers all the
same, so middlewares see those answers too.
"""

from __future__ import annotations

import base64
import hashlib
import keyword
import os
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Optional, Union

from yarl import URL

from .. import hdrs
from .abstract_routing import AbstractResource, AbstractRoute, AbstractRouteDef, UrlMappingMatchInfo
from .static import StaticFiles

__all__ = (
    "UrlDispatcher",
    "Resource",
    "PlainResource",
    "DynamicResource",
    "StaticResource",
    "PrefixedSubAppResource",
    "Route",
    "ResourceRoute",
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


_new_dict = dict.__new__


class MatchInfo(UrlMappingMatchInfo):
    """The path parameters of a request, plus the route that matched (or the 404/405 handler)."""

    def __init__(self, params: dict[str, str], handler: Handler, route: Any = None) -> None:
        dict.__init__(self, params)
        self.handler = handler
        self.route = route
        self._apps: list[Any] = []  # the sub-applications the route is in, outermost first


class Route(AbstractRoute):
    """One method + handler on a resource (aiohttp's ResourceRoute)."""

    __slots__ = ("method", "handler", "_resource", "_expect_handler")

    def __init__(self, method: str, handler: Handler, resource: "Resource",
                 expect_handler: Any = None) -> None:
        self.method = method
        self.handler = handler
        self._resource = resource
        self._expect_handler = expect_handler

    @property
    def resource(self) -> "Resource":
        return self._resource

    @property
    def name(self) -> Optional[str]:
        return self._resource.name

    @property
    def path(self) -> str:
        return self._resource.canonical

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        return self._resource.url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        return self._resource.get_info()

    def __repr__(self) -> str:
        return f"<Route {self.method} {self.path} -> {self.handler!r}>"


ResourceRoute = Route  # aiohttp's name for it


def _quote_part(value: str) -> str:
    """A url_for() part percent-encoded as aiohttp does ('/' kept, '%' and spaces encoded)."""
    return URL.build(path=value, encoded=False).raw_path


class Resource(AbstractResource):
    """A path with its routes, one per method (aiohttp's Resource)."""

    def __init__(self, name: Optional[str]) -> None:
        self.name = name
        self._routes: list[Route] = []
        self._by_method: dict[str, Route] = {}
        self._router: Optional["UrlDispatcher"] = None

    def add_route(self, method: str, handler: Handler, *, expect_handler: Any = None) -> Route:
        method = method.upper()
        if method in self._by_method or hdrs.METH_ANY in self._by_method:
            raise RuntimeError(
                f"Added route will never be executed, method {method} is already registered"
            )
        if self._router is not None:
            self._router._check_frozen()
        route = Route(method, handler, self, expect_handler)
        self._routes.append(route)
        self._by_method[method] = route
        if self._router is not None:
            self._router._add_route_index(route)
        return route

    @property
    def canonical(self) -> str:
        raise NotImplementedError

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        raise NotImplementedError

    def get_info(self) -> dict[str, Any]:
        raise NotImplementedError

    def add_prefix(self, prefix: str) -> None:
        """Mounted under a sub-application prefix (aiohttp's add_prefix)."""
        raise NotImplementedError

    def _route_for(self, method: str) -> Optional[Route]:
        return self._by_method.get(method) or self._by_method.get(hdrs.METH_ANY)

    def _index_key(self) -> Optional[str]:
        """The router's index key (aiohttp's): the canonical path up to its last "/" before
        the first variable part; None for a resource matched by another rule (a domain)."""
        key = self.canonical
        if "{" in key:
            key = key.partition("{")[0].rpartition("/")[0]
        return key.rstrip("/") or "/"

    def _params(self, path: str) -> Optional[dict[str, str]]:
        """The path's parameters when the path is this resource's, else None."""
        raise NotImplementedError

    def _match(self, method: str, path: str, request: Any, allowed: set[str]) -> Optional[MatchInfo]:
        """The match for method + path; None (the resource's methods added to `allowed` when
        only the method is wrong) when it is not this resource's."""
        params = self._params(path)
        if params is None:
            return None
        route = self._route_for(method)
        if route is None:
            allowed.update(self._by_method)
            return None
        return MatchInfo(params, route.handler, route)

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<{type(self).__name__} {name}{self.canonical}>"


class PlainResource(Resource):
    """A fixed path: found by one dict lookup."""

    def __init__(self, path: str, *, name: Optional[str] = None) -> None:
        super().__init__(name)
        self._path = path

    @property
    def canonical(self) -> str:
        return self._path

    def url_for(self) -> URL:  # type: ignore[override]
        return URL.build(path=self._path, encoded=True)

    def add_prefix(self, prefix: str) -> None:
        self._path = prefix + (self._path or "/")

    def get_info(self) -> dict[str, Any]:
        return {"path": self._path}

    def _params(self, path: str) -> Optional[dict[str, str]]:
        return {} if path == (self._path or "/") else None


class DynamicResource(Resource):
    """A path pattern with `{name}` / `{name:regex}` parts, tried in the order added."""

    def __init__(self, pattern: str, *, name: Optional[str] = None) -> None:
        super().__init__(name)
        self._pattern = pattern
        self.regex = _compile(pattern)

    @property
    def canonical(self) -> str:
        return _PARAM_RE.sub(lambda m: "{" + m.group("name") + "}", self._pattern)

    def add_prefix(self, prefix: str) -> None:
        self._pattern = prefix + self._pattern
        self.regex = _compile(self._pattern)

    def url_for(self, **parts: str) -> URL:  # type: ignore[override]
        def part(match: "re.Match[str]") -> str:
            name = match.group("name")
            if name not in parts:
                raise KeyError(name)
            return _quote_part(str(parts[name]))

        return URL.build(path=_PARAM_RE.sub(part, self._pattern), encoded=True)

    def get_info(self) -> dict[str, Any]:
        return {"formatter": self.canonical, "pattern": self.regex}

    def _params(self, path: str) -> Optional[dict[str, str]]:
        match = self.regex.fullmatch(path)
        return None if match is None else match.groupdict()


class StaticResource(DynamicResource):
    """The files under a directory, at prefix/<filename> (fasthttp/web/static.py serves them)."""

    VERSION_KEY = "v"

    def __init__(self, prefix: str, directory: Path, *, name: Optional[str] = None,
                 append_version: bool = False, follow_symlinks: bool = False) -> None:
        super().__init__(prefix + "/{filename:.*}", name=name)
        self._prefix = prefix
        self._directory = directory
        self._append_version = append_version
        self._follow_symlinks = follow_symlinks

    @property
    def canonical(self) -> str:
        return self._prefix

    def add_prefix(self, prefix: str) -> None:
        super().add_prefix(prefix)
        self._prefix = prefix + self._prefix

    def url_for(self, *, filename: Union[str, "os.PathLike[str]"],  # type: ignore[override]
                append_version: Optional[bool] = None) -> URL:
        if append_version is None:
            append_version = self._append_version
        name = str(filename).lstrip("/")
        url = URL.build(path=self._prefix, encoded=True) / name
        if append_version:
            digest = self._file_hash(name)
            if digest is not None:
                url = url.with_query({self.VERSION_KEY: digest})
        return url

    def _file_hash(self, name: str) -> Optional[str]:
        """urlsafe base64 of the file's SHA-256, as aiohttp's `v=`; None outside the directory."""
        unresolved = self._directory.joinpath(name)
        try:
            if self._follow_symlinks:
                normalized = Path(os.path.normpath(unresolved))
                normalized.relative_to(self._directory)
                filepath = normalized.resolve()
            else:
                filepath = unresolved.resolve()
                filepath.relative_to(self._directory)
        except (ValueError, FileNotFoundError):
            return None
        if not filepath.is_file():
            return None
        digest = hashlib.sha256(filepath.read_bytes()).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")

    def get_info(self) -> dict[str, Any]:
        return {"directory": self._directory, "prefix": self._prefix}


class PrefixedSubAppResource(Resource):
    """A sub-application mounted at a prefix: its resources get the prefix (url_for included)."""

    def __init__(self, prefix: str, app: Any) -> None:
        super().__init__(None)
        self._prefix = prefix
        self._app = app
        app.router._add_prefix(prefix)

    @property
    def app(self) -> Any:
        return self._app

    @property
    def canonical(self) -> str:
        return self._prefix

    def add_prefix(self, prefix: str) -> None:
        self._prefix = prefix + self._prefix
        self._app.router._add_prefix(prefix)

    def add_route(self, method: str, handler: Handler, *, expect_handler: Any = None) -> Route:
        raise RuntimeError(".add_route() is not supported by sub-application root")

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        raise RuntimeError(".url_for() is not supported by sub-application root")

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "prefix": self._prefix}

    def _match(self, method: str, path: str, request: Any, allowed: set[str]) -> Optional[MatchInfo]:
        """The sub-application's answer for a path under the prefix, its 404 and 405
        included (as aiohttp's: a path under a prefix is the sub-application's)."""
        if not path.startswith(self._prefix + "/") and path != self._prefix:
            return None
        match_info: MatchInfo = self._app.router.resolve_path(method, path, request)
        match_info._apps.insert(0, self._app)
        return match_info

    def __len__(self) -> int:
        return len(self._app.router.routes())

    def __iter__(self) -> Iterator[Route]:
        return iter(self._app.router.routes())


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
        self._resources: list[Resource] = []
        # aiohttp's resolution order: resources matched by a rule (add_domain) first, then the
        # index, looked up with the path and then each shorter "/"-bounded prefix of it (the
        # most specific key first), the resources under one key in registration order.
        self._rules: list[Resource] = []
        self._index: dict[str, list[Resource]] = {}
        # What that search found for a plain path and method (a route of this router's own
        # plain resources): the same answer every time, found again with one dict lookup.
        # Bounded by the plain routes; emptied by any change; unused when rules exist (their
        # answers depend on the Host).
        self._hits: dict[str, dict[str, Route]] = {}
        self._named: dict[str, Resource] = {}
        self._routes: list[Route] = []
        self._frozen = False

    def freeze(self) -> None:
        self._frozen = True

    def _add_route_index(self, route: Route) -> None:
        self._routes.append(route)
        self._hits.clear()

    def _reindex(self) -> None:
        self._hits.clear()
        self._index = {}
        self._rules = []
        for resource in self._resources:
            self._add_to_index(resource)

    def _add_to_index(self, resource: Resource) -> None:
        self._hits.clear()
        key = resource._index_key()
        if key is None:
            self._rules.append(resource)
        else:
            self._index.setdefault(key, []).append(resource)

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot register a resource into frozen router.")

    def register_resource(self, resource: Resource) -> None:
        if not isinstance(resource, Resource):
            raise TypeError(
                f"register_resource() takes fasthttp.web's resources only, not {resource!r}:"
                " fasthttp does not route user-defined AbstractResource subclasses"
            )
        self._check_frozen()
        name = resource.name
        if name is not None:
            for part in name.split(":"):
                if not part.isidentifier() or keyword.iskeyword(part):
                    raise ValueError(
                        f"Incorrect route name {name!r}, the name should be a sequence of python"
                        " identifiers separated by colon"
                    )
            if name in self._named:
                raise ValueError(f"Duplicate {name!r}, already handled by {self._named[name]!r}")
            self._named[name] = resource
        resource._router = self
        self._resources.append(resource)
        self._add_to_index(resource)

    def _add_prefix(self, prefix: str) -> None:
        """Every resource moves under prefix; the index is rebuilt."""
        for resource in self._resources:
            resource.add_prefix(prefix)
        self._reindex()

    def add_resource(self, path: str, *, name: Optional[str] = None) -> Resource:
        if path and not path.startswith("/"):
            raise ValueError("path should be started with / or be empty")
        if self._resources:  # aiohttp reuses the last resource for the same path and name
            last = self._resources[-1]
            if last.name == name and not isinstance(last, StaticResource) and (
                (isinstance(last, PlainResource) and last.canonical == path)
                or (isinstance(last, DynamicResource) and last._pattern == path)
            ):
                return last
        resource: Resource
        if "{" in path or "}" in path:
            resource = DynamicResource(path, name=name)
        else:
            resource = PlainResource(path, name=name)
        self.register_resource(resource)
        return resource

    def add_route(
        self, method: str, path: str, handler: Handler, *, name: Optional[str] = None,
        expect_handler: Any = None,
    ) -> Route:
        resource = self.add_resource(path, name=name)
        return resource.add_route(method, handler, expect_handler=expect_handler)

    def add_get(self, path: str, handler: Handler, *, name: Optional[str] = None,
                allow_head: bool = True, **kwargs: Any) -> Route:
        resource = self.add_resource(path, name=name)
        if allow_head:
            resource.add_route(hdrs.METH_HEAD, handler, **kwargs)
        return resource.add_route(hdrs.METH_GET, handler, **kwargs)

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
                   follow_symlinks: bool = False, append_version: bool = False) -> Resource:
        """GET and HEAD of the files under `path` (fasthttp/web/static.py has the rules)."""
        directory = Path(path).expanduser().resolve(strict=False)
        if not directory.is_dir():
            raise ValueError(f"No directory exists at '{directory}'")
        prefix = prefix.rstrip("/")
        handler = StaticFiles(prefix, directory, show_index=show_index,
                              follow_symlinks=follow_symlinks, chunk_size=chunk_size)
        resource = StaticResource(prefix, directory, name=name, append_version=append_version,
                                  follow_symlinks=follow_symlinks)
        self.register_resource(resource)
        resource.add_route(hdrs.METH_GET, handler, expect_handler=expect_handler)
        resource.add_route(hdrs.METH_HEAD, handler, expect_handler=expect_handler)
        return resource

    def add_routes(self, routes: Any) -> list[Any]:
        registered = []
        for definition in routes:
            registered.extend(definition.register(self))
        return registered

    def resources(self) -> list[Resource]:
        return list(self._resources)

    def routes(self) -> list[Route]:
        return list(self._routes)

    def __getitem__(self, name: str) -> Resource:
        return self._named[name]

    def __contains__(self, name: str) -> bool:
        return name in self._named

    def __iter__(self) -> Iterator[str]:
        return iter(self._named)

    def __len__(self) -> int:
        return len(self._named)

    def named_resources(self) -> dict[str, Resource]:
        return dict(self._named)

    def resolve_path(self, method: str, path: str, request: Any = None) -> MatchInfo:
        """The handler for method + path (and the request's Host, for add_domain's rules):
        a 404 or 405 raiser when none fits."""
        hits = self._hits.get(path)
        if hits is not None:
            route = hits.get(method)
            if route is not None:
                # MatchInfo({}, route.handler, route) without the Python-level __init__ call
                # (once a request, on the path of every plain route).
                hit: MatchInfo = _new_dict(MatchInfo)
                hit.handler = route.handler
                hit.route = route
                hit._apps = []
                return hit
        allowed: set[str] = set()
        for resource in self._rules:
            match_info = resource._match(method, path, request, allowed)
            if match_info is not None:
                return match_info
        index = self._index
        part = path
        while part:
            for resource in index.get(part, ()):
                match_info = resource._match(method, path, request, allowed)
                if match_info is not None:
                    route = match_info.route
                    if (type(resource) is PlainResource and not self._rules
                            and route is not None and route.method == method):
                        self._hits.setdefault(path, {})[method] = route
                    return match_info
            if part == "/":
                break
            part = part.rpartition("/")[0] or "/"
        if allowed:
            not_allowed = MatchInfo({}, _method_not_allowed(method, allowed))
            not_allowed.allowed = allowed
            return not_allowed
        return MatchInfo({}, _not_found)


class RouteDef(AbstractRouteDef):
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


class StaticDef(AbstractRouteDef):
    __slots__ = ("prefix", "path", "kwargs")

    def __init__(self, prefix: str, path: Any, kwargs: dict[str, Any]) -> None:
        self.prefix = prefix
        self.path = path
        self.kwargs = kwargs

    def register(self, router: UrlDispatcher) -> list[Any]:
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

