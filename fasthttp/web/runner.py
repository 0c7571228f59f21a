"""Running an application: AppRunner, TCPSite, UnixSite and run_app (aiohttp.web's API).

Shutdown is graceful: sites stop accepting, on_shutdown runs, requests in progress get
`shutdown_timeout` seconds to finish, connections close, then on_cleanup runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import ssl
import warnings
from typing import Any, Iterable, Optional, Union

from ..arguments import refuse
from .access_log import AccessLogger, access_logger
from .app import Application
from .protocol import RequestHandler, ServerSettings

__all__ = ("AppRunner", "BaseRunner", "BaseSite", "SockSite", "TCPSite", "UnixSite", "run_app", "GracefulExit")


class GracefulExit(SystemExit):
    code = 1


class BaseRunner:
    """What AppRunner and ServerRunner share: the sites, signals, and closing connections."""

    def __init__(self, *, handle_signals: bool = False, shutdown_timeout: float = 60.0) -> None:
        self._handle_signals = handle_signals
        self._shutdown_timeout = shutdown_timeout
        self._settings: Optional[ServerSettings] = None
        self._sites: list["BaseSite"] = []

    @property
    def server(self) -> Optional[ServerSettings]:
        """The server (after setup()): calling it makes a connection's protocol, as calling
        aiohttp's web.Server does."""
        return self._settings

    @property
    def sites(self) -> set["BaseSite"]:
        return set(self._sites)

    @property
    def addresses(self) -> list[Any]:
        addresses = []
        for site in self._sites:
            server: Any = site._server
            if server is not None:
                for sock in server.sockets:
                    addresses.append(sock.getsockname())
        return addresses

    async def setup(self) -> None:
        loop = asyncio.get_running_loop()
        if self._handle_signals:
            try:
                loop.add_signal_handler(signal.SIGINT, _raise_graceful_exit)
                loop.add_signal_handler(signal.SIGTERM, _raise_graceful_exit)
            except NotImplementedError:  # pragma: no cover - Windows
                pass
        self._settings = await self._make_server()

    async def _make_server(self) -> ServerSettings:
        raise NotImplementedError

    def _make_protocol(self) -> RequestHandler:
        assert self._settings is not None, "call setup() first"
        return self._settings()  # web.Server makes its protocols on the loop it was given

    async def shutdown(self) -> None:
        settings = self._settings
        if settings is None:
            return
        await asyncio.gather(
            *(c.shutdown(self._shutdown_timeout) for c in list(settings.connections)),
            return_exceptions=True,
        )

    async def cleanup(self) -> None:
        for site in list(self._sites):
            await site.stop()
        await self._before_shutdown()
        await self.shutdown()
        await self._after_shutdown()
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            try:
                loop.remove_signal_handler(signal.SIGINT)
                loop.remove_signal_handler(signal.SIGTERM)
            except NotImplementedError:  # pragma: no cover
                pass
        self._settings = None

    async def _before_shutdown(self) -> None:
        pass

    async def _after_shutdown(self) -> None:
        pass


class AppRunner(BaseRunner):
    def __init__(
        self,
        app: Application,
        *,
        handle_signals: bool = False,
        keepalive_timeout: float = 75.0,
        shutdown_timeout: float = 60.0,
        head_timeout: float = 30.0,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        read_bufsize: int = 2**16,
        access_log_class: type[Any] = AccessLogger,
        access_log: Optional[logging.Logger] = access_logger,
        access_log_format: str = AccessLogger.LOG_FORMAT,
        handler_cancellation: bool = False,
        auto_decompress: bool = True,
        **kwargs: Any,
    ) -> None:
        refuse_server_arguments(kwargs)
        super().__init__(handle_signals=handle_signals, shutdown_timeout=shutdown_timeout)
        self._app = app
        self._settings_kwargs = settings_arguments(
            keepalive_timeout=keepalive_timeout, head_timeout=head_timeout,
            max_line_size=max_line_size, max_field_size=max_field_size, max_headers=max_headers,
            read_bufsize=read_bufsize, access_log_class=access_log_class, access_log=access_log,
            access_log_format=access_log_format, handler_cancellation=handler_cancellation,
            auto_decompress=auto_decompress,
        )

    @property
    def app(self) -> Application:
        return self._app

    async def _make_server(self) -> ServerSettings:
        # As aiohttp: on_startup may still set app state; everything freezes once it has run.
        self._app.on_startup.freeze()
        await self._app.startup()
        self._app.freeze()
        return ServerSettings(self._app, **self._settings_kwargs)

    async def _before_shutdown(self) -> None:
        await self._app.shutdown()

    async def _after_shutdown(self) -> None:
        await self._app.cleanup()


class BaseSite:
    """Where a runner listens (aiohttp.web's sites): every site takes ssl_context and backlog.
    shutdown_timeout here is deprecated, as in aiohttp 3.x: a value other than the default
    warns and, as aiohttp's, becomes the runner's (which governs shutdown)."""

    def __init__(
        self,
        runner: BaseRunner,
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: Optional[ssl.SSLContext] = None,
        backlog: int = 128,
    ) -> None:
        if runner._settings is None:
            raise RuntimeError("Call runner.setup() before making a site")
        if shutdown_timeout != 60.0:
            warnings.warn("shutdown_timeout should be set on BaseRunner", DeprecationWarning,
                          stacklevel=3 if type(self) is not BaseSite else 2)
            runner._shutdown_timeout = shutdown_timeout
        self._runner = runner
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._server: Optional[asyncio.AbstractServer] = None

    @property
    def name(self) -> str:
        raise NotImplementedError

    async def start(self) -> None:
        self._runner._sites.append(self)

    async def stop(self) -> None:
        if self in self._runner._sites:
            self._runner._sites.remove(self)
        server = self._server
        if server is not None:
            self._server = None
            server.close()

    @property
    def _scheme(self) -> str:
        return "https" if self._ssl_context else "http"


class TCPSite(BaseSite):
    def __init__(
        self,
        runner: BaseRunner,
        host: Optional[str] = None,
        port: Optional[int] = None,
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: Optional[ssl.SSLContext] = None,
        backlog: int = 128,
        reuse_address: Optional[bool] = None,
        reuse_port: Optional[bool] = None,
    ) -> None:
        super().__init__(runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context,
                         backlog=backlog)
        self._host = host
        self._port = 8443 if port is None and ssl_context else (8080 if port is None else port)
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port

    @property
    def name(self) -> str:
        host = "0.0.0.0" if not self._host else self._host
        return f"{self._scheme}://{host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._runner._make_protocol,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )


class UnixSite(BaseSite):
    def __init__(
        self,
        runner: BaseRunner,
        path: Union[str, "os.PathLike[str]"],
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: Optional[ssl.SSLContext] = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context,
                         backlog=backlog)
        self._path = path

    @property
    def name(self) -> str:
        return f"{self._scheme}://unix:{os.fspath(self._path)}:"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(
            self._runner._make_protocol, self._path, ssl=self._ssl_context, backlog=self._backlog
        )


class SockSite(BaseSite):
    def __init__(
        self,
        runner: BaseRunner,
        sock: socket.socket,
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: Optional[ssl.SSLContext] = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context,
                         backlog=backlog)
        self._sock = sock
        address = sock.getsockname()
        if sock.family == socket.AF_UNIX:
            self._name = f"{self._scheme}://unix:{address}:"
        else:
            self._name = f"{self._scheme}://{address[0]}:{address[1]}"

    @property
    def name(self) -> str:
        return self._name

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._runner._make_protocol, sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )


def _raise_graceful_exit() -> None:
    raise GracefulExit()


def run_app(
    app: Any,
    *,
    host: Any = None,
    port: Optional[int] = None,
    path: Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]], None] = None,
    sock: Union[socket.socket, Iterable[socket.socket], None] = None,
    shutdown_timeout: float = 60.0,
    keepalive_timeout: float = 75.0,
    ssl_context: Any = None,
    print: Any = print,
    backlog: int = 128,
    access_log_class: type[Any] = AccessLogger,
    access_log_format: str = AccessLogger.LOG_FORMAT,
    access_log: Optional[logging.Logger] = access_logger,
    handle_signals: bool = True,
    reuse_address: Optional[bool] = None,
    reuse_port: Optional[bool] = None,
    handler_cancellation: bool = False,
    loop: Optional[asyncio.AbstractEventLoop] = None,
    auto_decompress: bool = True,
    **kwargs: Any,
) -> None:
    """Serve app until SIGINT/SIGTERM, then shut down gracefully. (aiohttp's run_app passes
    its other keyword arguments, auto_decompress among them, on to AppRunner.)"""
    refuse_server_arguments(kwargs)
    if loop is None:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if loop.get_debug() and access_log is access_logger:
        # As aiohttp: in debug mode the default access log shows on stderr unless configured.
        if access_log.level == logging.NOTSET:
            access_log.setLevel(logging.DEBUG)
        if not access_log.hasHandlers():
            access_log.addHandler(logging.StreamHandler())

    async def serve() -> None:
        application = app
        if asyncio.iscoroutine(application):
            application = await application
        runner = AppRunner(application, handle_signals=handle_signals,
                           keepalive_timeout=keepalive_timeout, shutdown_timeout=shutdown_timeout,
                           access_log_class=access_log_class, access_log=access_log,
                           access_log_format=access_log_format,
                           handler_cancellation=handler_cancellation,
                           auto_decompress=auto_decompress)
        await runner.setup()
        sites: list[BaseSite] = []
        try:
            # path and sock: one, or several (aiohttp's run_app takes iterables of each).
            paths = [path] if isinstance(path, (str, os.PathLike)) else list(path or ())
            for one_path in paths:
                sites.append(UnixSite(runner, one_path, backlog=backlog, ssl_context=ssl_context))
            socks = [sock] if isinstance(sock, socket.socket) else list(sock or ())
            for one_sock in socks:
                sites.append(SockSite(runner, one_sock, backlog=backlog, ssl_context=ssl_context))
            if path is None and sock is None or host is not None or port is not None:
                hosts = host if isinstance(host, (list, tuple, set)) else [host]
                for one in hosts:
                    sites.append(TCPSite(runner, one, port, ssl_context=ssl_context, backlog=backlog,
                                         reuse_address=reuse_address, reuse_port=reuse_port))
            for site in sites:
                await site.start()
            if print is not None:
                names = ", ".join(site.name for site in sites)
                print(f"======== Running on {names} ========\n(Press CTRL+C to quit)")
            while True:
                await asyncio.sleep(3600)
        finally:
            await runner.cleanup()

    main_task = loop.create_task(serve())
    try:
        loop.run_until_complete(main_task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            # The signal left serve() suspended: cancel it so that its finally (graceful
            # runner.cleanup(): on_shutdown, requests in progress finish, on_cleanup) runs.
            main_task.cancel()
            try:
                loop.run_until_complete(main_task)
            except (asyncio.CancelledError, GracefulExit, KeyboardInterrupt):
                pass
        finally:
            _cancel_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            asyncio.set_event_loop(None)


# aiohttp.web's server arguments that fasthttp.web does not build: refused by name, never ignored.
_UNSUPPORTED_SERVER_ARGUMENTS = frozenset({
    "tcp_keepalive", "logger", "debug", "lingering_time",
    "timeout_ceil_threshold", "max_field_size_limit", "request_factory",
})


def refuse_server_arguments(kwargs: dict[str, Any]) -> None:
    for name in kwargs:
        if name in _UNSUPPORTED_SERVER_ARGUMENTS:
            refuse(name, "(fasthttp.web)")
        raise TypeError(f"unexpected keyword argument {name!r}")


def settings_arguments(*, access_log_class: type[Any], access_log: Optional[logging.Logger],
                       access_log_format: str, **settings: Any) -> dict[str, Any]:
    """ServerSettings' arguments from aiohttp's runner and server arguments (AppRunner's and
    web.Server's): the access-log trio becomes one access logger (None when access_log is)."""
    settings["access_logger"] = make_access_logger(access_log_class, access_log, access_log_format)
    return settings


def make_access_logger(cls: type[Any], logger: Optional[logging.Logger], log_format: str) -> Any:
    if logger is None:
        return None
    if not (isinstance(cls, type) and any(base.__name__ == "AbstractAccessLogger" for base in cls.__mro__)):
        # fasthttp.web's AbstractAccessLogger, or aiohttp.abc's (its subclasses get the same
        # three arguments: a request, a response and the time taken).
        raise TypeError(f"access_log_class must be a subclass of AbstractAccessLogger, got {cls!r}")
    return cls(logger, log_format)


def _cancel_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
