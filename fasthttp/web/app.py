"""Application: router, middlewares, signals and state (aiohttp.web.Application's API)."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, Awaitable, Callable, Iterator, MutableMapping, Optional, TypeVar, cast

from .domains import MatchedSubAppResource, domain_rule
from .routing import PrefixedSubAppResource, UrlDispatcher
from .state_keys import AppKey, NotAppKeyWarning

__all__ = ("Application", "AppKey", "CleanupContext", "CleanupError", "NotAppKeyWarning", "middleware", "Signal")

_T = TypeVar("_T")
Handler = Callable[[Any], Awaitable[Any]]
_Mounted = TypeVar("_Mounted", PrefixedSubAppResource, MatchedSubAppResource)


class Signal(list[Callable[..., Awaitable[Any]]]):
    """Coroutine callbacks run in order; frozen when the application starts."""

    def __init__(self, owner: Any) -> None:
        super().__init__()
        self._owner = owner
        self._frozen = False

    def freeze(self) -> None:
        self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify frozen list.")

    def append(self, callback: Callable[..., Awaitable[Any]]) -> None:
        self._check()
        super().append(callback)

    def insert(self, index: Any, callback: Callable[..., Awaitable[Any]]) -> None:
        self._check()
        super().insert(index, callback)

    async def send(self, *args: Any) -> None:
        for callback in list(self):
            await callback(*args)


def middleware(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Marks a new-style middleware `async def mw(request, handler)` (as aiohttp does)."""
    func.__middleware_version__ = 1  # type: ignore[attr-defined]
    return func


class CleanupError(RuntimeError):
    """More than one cleanup context failed when the application was cleaned up."""

    @property
    def exceptions(self) -> list[BaseException]:
        return self.args[1]  # type: ignore[no-any-return]


class CleanupContext(Signal):
    """app.cleanup_ctx: async generator functions, each run to its yield at start-up and
    resumed after it at clean-up (in reverse order), as aiohttp.web runs them."""

    def __init__(self) -> None:
        super().__init__(None)
        self._exits: list[Any] = []

    async def _enter_all(self, app: "Application") -> None:
        for factory in self:
            iterator = cast(Any, factory(app)).__aiter__()  # an async generator function's
            await iterator.__anext__()
            self._exits.append(iterator)

    async def _exit_all(self, app: "Application") -> None:
        errors: list[BaseException] = []
        for iterator in reversed(self._exits):
            try:
                await iterator.__anext__()
            except StopAsyncIteration:
                continue
            except (Exception, asyncio.CancelledError) as exc:
                errors.append(exc)
            else:
                errors.append(RuntimeError(f"{iterator!r} has more than one 'yield'"))
        self._exits.clear()
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise CleanupError("Multiple errors on cleanup stage", errors)


class Application(MutableMapping[Any, Any]):
    """Routes, middlewares, signals, and app-wide state."""

    def __init__(
        self,
        *,
        logger: Any = None,
        middlewares: Any = (),
        handler_args: Optional[dict[str, Any]] = None,
        client_max_size: int = 1024**2,
        client_max_fields: int = 1000,
        loop: Any = None,
        debug: Any = None,
    ) -> None:
        self._router = UrlDispatcher()
        self._middlewares = list(middlewares)
        self._handler_args = handler_args or {}
        self._client_max_size = client_max_size
        # Form fields Request.post() accepts (aiohttp.web's name and default; 0: no limit).
        self._client_max_fields = client_max_fields
        self._state: dict[Any, Any] = {}
        self._frozen = False
        self._on_startup = Signal(self)
        self._on_shutdown = Signal(self)
        self._on_cleanup = Signal(self)
        self._on_response_prepare = Signal(self)
        self._cleanup_ctx = CleanupContext()
        # As aiohttp.web: the cleanup contexts start as the first on_startup callback (before
        # any the app adds, which may then use what they set up) and end as the first
        # on_cleanup callback (in reverse order, before the app's own cleanup).
        self._on_startup.append(self._cleanup_ctx._enter_all)
        self._on_cleanup.append(self._cleanup_ctx._exit_all)
        self._handle_cache: Optional[Handler] = None
        self._subapps: list["Application"] = []
        self._middlewares_below = False  # whether a sub-application has middlewares (at freeze)
        self.logger = logger

    def __call__(self) -> "Application":
        """Gunicorn loads only callable applications (aiohttp.web's does the same)."""
        return self

    # --- state ------------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        return self._state[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        if self._frozen:
            warnings.warn("Changing state of started or joined application is deprecated",
                          DeprecationWarning, stacklevel=2)
        if not isinstance(key, AppKey):
            warnings.warn(
                "It is recommended to use web.AppKey instances for keys.\n"
                "https://docs.aiohttp.org/en/stable/web_advanced.html#application-s-config",
                NotAppKeyWarning, stacklevel=2,
            )
        self._state[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._state)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"

    # --- parts ------------------------------------------------------------------------------

    @property
    def router(self) -> UrlDispatcher:
        return self._router

    @property
    def middlewares(self) -> list[Any]:
        return self._middlewares

    @property
    def on_startup(self) -> Signal:
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal:
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal:
        return self._on_cleanup

    @property
    def on_response_prepare(self) -> Signal:
        return self._on_response_prepare

    @property
    def cleanup_ctx(self) -> "CleanupContext":
        return self._cleanup_ctx

    @property
    def frozen(self) -> bool:
        return self._frozen

    def add_routes(self, routes: Any) -> list[Any]:
        return self._router.add_routes(routes)

    def add_subapp(self, prefix: str, subapp: "Application") -> PrefixedSubAppResource:
        """Mounts subapp at prefix: its routes, middlewares and signals, as aiohttp.web."""
        if not isinstance(prefix, str):
            raise TypeError("Prefix must be str")
        prefix = prefix.rstrip("/")
        if not prefix:
            raise ValueError("Prefix cannot be empty")
        self._check_mountable(subapp)
        subapp._router.freeze()  # its routes get the prefix now, so no more can be added
        return self._mount(PrefixedSubAppResource(prefix, subapp), subapp)

    def add_domain(self, domain: str, subapp: "Application") -> MatchedSubAppResource:
        """Mounts subapp for the requests whose Host is `domain` (any port, unless the domain
        names one), or matches it as a mask when it has "*" (`*.example.com`): aiohttp.web's
        rules, web/domains.py. Such sub-applications are tried before any path."""
        rule = domain_rule(domain)
        self._check_mountable(subapp)
        subapp._router.freeze()
        return self._mount(MatchedSubAppResource(rule, subapp), subapp)

    def _check_mountable(self, subapp: "Application") -> None:
        if self._frozen:
            raise RuntimeError("Cannot add sub application to frozen application")
        if subapp._frozen:
            raise RuntimeError("Cannot add frozen application")

    def _mount(self, resource: _Mounted, subapp: "Application") -> _Mounted:
        self._router.register_resource(resource)
        for name in ("_on_startup", "_on_shutdown", "_on_cleanup"):
            getattr(self, name).append(_forward_signal(subapp, name))
        self._subapps.append(subapp)
        return resource

    def freeze(self) -> None:
        if self._frozen:
            return
        self._frozen = True
        for subapp in self._subapps:
            subapp.freeze()
            # A sub-application's on_response_prepare runs, after this one's callbacks, for
            # the responses to requests routed into it (aiohttp runs every matched app's in
            # turn). Added only when it has callbacks: the server skips the signal when empty.
            if subapp._on_response_prepare:
                list.append(self._on_response_prepare, _forward_response_prepare(subapp))
        self._middlewares_below = any(
            subapp._middlewares or subapp._middlewares_below for subapp in self._subapps
        )
        self._router.freeze()
        for signal in (self._on_startup, self._on_shutdown, self._on_cleanup,
                       self._on_response_prepare, self._cleanup_ctx):
            signal.freeze()

    # --- lifecycle --------------------------------------------------------------------------

    async def startup(self) -> None:
        await self._on_startup.send(self)

    async def shutdown(self) -> None:
        await self._on_shutdown.send(self)

    async def cleanup(self) -> None:
        await self._on_cleanup.send(self)

    # --- handling ---------------------------------------------------------------------------

    def _route(self, request: Any) -> Handler:
        """The handler for the request (sets request.match_info); this application's own
        middlewares not applied (the server calls this directly when it has none)."""
        match_info = self._router.resolve_path(request._head.method, request.path, request)
        request._match_info = match_info
        # A class-based view is called like a function: its instance is awaitable (views.py).
        handler: Handler = match_info.handler
        apps = match_info._apps
        if not apps:
            apps.append(self)  # match_info.apps: the application chain, this one first (aiohttp's)
        else:  # in a sub-application: request.app is the innermost, as aiohttp's
            request._app = apps[-1]
            apps.insert(0, self)
            if self._middlewares or self._middlewares_below or not self._frozen:
                for app in reversed(apps[1:]):
                    handler = _as_current_app(app, _with_middlewares(app, handler))
        return handler

    async def _handle(self, request: Any) -> Any:
        """Route the request and run it through the middlewares (outermost first)."""
        handler = _with_middlewares(self, self._route(request))
        if len(request._match_info._apps) > 1:
            # While this application's middlewares run, request.app is this application
            # (aiohttp's behaviour); each sub-application's is shown during its own.
            handler = _as_current_app(self, handler)
        return await handler(request)


def _with_middlewares(app: Application, handler: Handler) -> Handler:
    for mw in reversed(app._middlewares):
        handler = _bind(mw, handler)
    return handler


def _as_current_app(app: Application, handler: Handler) -> Handler:
    async def call(request: Any) -> Any:
        previous = request._app
        request._app = app
        try:
            return await handler(request)
        finally:
            request._app = previous  # as aiohttp's: back to the innermost once it returns

    return call


def _forward_response_prepare(subapp: Application) -> Callable[[Any, Any], Awaitable[None]]:
    async def forward(request: Any, response: Any) -> None:
        match_info = request._match_info
        if match_info is not None and subapp in match_info._apps:
            await subapp._on_response_prepare.send(request, response)

    return forward


def _forward_signal(subapp: "Application", name: str) -> Callable[[Any], Awaitable[None]]:
    async def forward(app: Any) -> None:
        await getattr(subapp, name).send(subapp)

    return forward


def _bind(mw: Callable[..., Awaitable[Any]], handler: Handler) -> Handler:
    async def call(request: Any) -> Any:
        return await mw(request, handler)

    return call
