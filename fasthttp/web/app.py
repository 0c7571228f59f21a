"""Application: router, middlewares, signals and state (aiohttp.web.Application's API)."""

from __future__ import annotations

import warnings
from typing import Any, Awaitable, Callable, Generic, Iterator, MutableMapping, Optional, TypeVar

from .routing import UrlDispatcher

__all__ = ("Application", "AppKey", "middleware", "Signal")

_T = TypeVar("_T")
Handler = Callable[[Any], Awaitable[Any]]


class AppKey(Generic[_T]):
    """A typed key for application state: `app[KEY]` is known to hold a _T."""

    __slots__ = ("_name", "_type")

    def __init__(self, name: str, t: Optional[type[_T]] = None) -> None:
        self._name = name
        self._type = t

    def __repr__(self) -> str:
        return f"<AppKey({self._name!r}, type={self._type!r})>"


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
        self._cleanup_ctx: list[Callable[[Any], Any]] = []
        self._handle_cache: Optional[Handler] = None
        self.logger = logger

    # --- state ------------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        return self._state[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        if self._frozen:
            warnings.warn("Changing state of started or joined application is deprecated",
                          DeprecationWarning, stacklevel=2)
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
    def cleanup_ctx(self) -> list[Callable[[Any], Any]]:
        return self._cleanup_ctx

    @property
    def frozen(self) -> bool:
        return self._frozen

    def add_routes(self, routes: Any) -> list[Any]:
        return self._router.add_routes(routes)

    def freeze(self) -> None:
        if self._frozen:
            return
        self._frozen = True
        self._router.freeze()
        for signal in (self._on_startup, self._on_shutdown, self._on_cleanup,
                       self._on_response_prepare):
            signal.freeze()

    # --- lifecycle --------------------------------------------------------------------------

    async def startup(self) -> None:
        await self._on_startup.send(self)
        self._cleanup_iterators = []
        for factory in self._cleanup_ctx:
            iterator = factory(self).__aiter__()
            await iterator.__anext__()
            self._cleanup_iterators.append(iterator)

    async def shutdown(self) -> None:
        await self._on_shutdown.send(self)

    async def cleanup(self) -> None:
        for iterator in reversed(getattr(self, "_cleanup_iterators", [])):
            try:
                await iterator.__anext__()
            except StopAsyncIteration:
                pass
        self._cleanup_iterators = []
        await self._on_cleanup.send(self)

    # --- handling ---------------------------------------------------------------------------

    def _route(self, request: Any) -> Handler:
        """The handler for the request (sets request.match_info); middlewares not applied."""
        match_info = self._router.resolve_path(request.method, request.path)
        request._match_info = match_info
        handler: Handler = match_info.handler
        if isinstance(handler, type):  # a class-based view
            view_class = handler

            async def handler(request: Any) -> Any:  # noqa: F811 - wraps the view class
                return await view_class(request)

        return handler

    async def _handle(self, request: Any) -> Any:
        """Route the request and run it through the middlewares (outermost first)."""
        handler = self._route(request)
        for mw in reversed(self._middlewares):
            handler = _bind(mw, handler)
        return await handler(request)


def _bind(mw: Callable[..., Awaitable[Any]], handler: Handler) -> Handler:
    async def call(request: Any) -> Any:
        return await mw(request, handler)

    return call
