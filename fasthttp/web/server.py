"""The low-level server (aiohttp.web's `Server` and `ServerRunner`): one handler, no application.

`Server(handler)` takes every request to `async def handler(request) -> StreamResponse`, with
no routing, middlewares or signals; calling it makes a connection's protocol, so it also works
with `loop.create_server(server, ...)` directly. `ServerRunner(server)` serves it on the same
sites as `AppRunner` (TCPSite, UnixSite, SockSite). The request is the same `web.Request` an
application's handlers get (its `app` is an empty application standing in for none).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from ..arguments import refuse
from .access_log import AccessLogger, access_logger
from .app import Application
from .protocol import RequestHandler, ServerSettings
from .routing import MatchInfo
from .runner import BaseRunner, refuse_server_arguments, settings_arguments

__all__ = ("Server", "ServerRunner")

RawHandler = Callable[[Any], Awaitable[Any]]


class _HandlerOnly(Application):
    """An application whose every request goes to one handler (what Server serves)."""

    def __init__(self, handler: RawHandler) -> None:
        super().__init__()
        self._raw_handler = handler
        self._match_info = MatchInfo({}, handler)

    def _route(self, request: Any) -> RawHandler:
        request._match_info = self._match_info
        return self._raw_handler


class Server(ServerSettings):
    """aiohttp.web.Server: serve `handler` for every request."""

    def __init__(
        self,
        handler: RawHandler,
        *,
        request_factory: Any = None,
        handler_cancellation: bool = False,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        keepalive_timeout: float = 75.0,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        read_bufsize: int = 2**16,
        access_log_class: type[Any] = AccessLogger,
        access_log: Optional[logging.Logger] = access_logger,
        access_log_format: str = AccessLogger.LOG_FORMAT,
        auto_decompress: bool = True,
        **kwargs: Any,
    ) -> None:
        if request_factory is not None:
            refuse("request_factory", "(fasthttp.web builds its own Request)")
        refuse_server_arguments(kwargs)
        app = _HandlerOnly(handler)
        app.freeze()
        super().__init__(app, **settings_arguments(
            keepalive_timeout=keepalive_timeout, max_line_size=max_line_size,
            max_field_size=max_field_size, max_headers=max_headers, read_bufsize=read_bufsize,
            access_log_class=access_log_class, access_log=access_log,
            access_log_format=access_log_format, handler_cancellation=handler_cancellation,
            auto_decompress=auto_decompress,
        ))
        self.request_handler = handler
        # As aiohttp's: the loop its connections' handlers run on (the running one if None).
        self._loop = loop

    def __call__(self) -> RequestHandler:
        return RequestHandler(self, self._loop or asyncio.get_running_loop())

    async def shutdown(self, timeout: Optional[float] = None) -> None:
        """Close every connection, giving requests in progress `timeout` seconds."""
        await asyncio.gather(
            *(c.shutdown(timeout if timeout is not None else 60.0) for c in list(self.connections)),
            return_exceptions=True,
        )


class ServerRunner(BaseRunner):
    """aiohttp.web.ServerRunner: a Server on sites, without an application's lifecycle."""

    def __init__(self, web_server: Server, *, handle_signals: bool = False,
                 shutdown_timeout: float = 60.0, **kwargs: Any) -> None:
        refuse_server_arguments(kwargs)
        if not isinstance(web_server, Server):
            raise TypeError(f"ServerRunner needs a web.Server, got {web_server!r}")
        super().__init__(handle_signals=handle_signals, shutdown_timeout=shutdown_timeout)
        self._web_server = web_server

    async def _make_server(self) -> ServerSettings:
        return self._web_server
