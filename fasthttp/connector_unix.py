"""Connectors to a local socket instead of a host (aiohttp's UnixConnector and
NamedPipeConnector): every request goes to the one path, whatever its URL's host, which only
fills the Host header. The pool, limits and keep-alive are BaseConnector's.

An https:// URL gets TLS over the socket, with the request's `ssl=` (verification, context,
pin) as over TCP.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Optional, Sequence

from .client_exceptions import ClientConnectorError, ConnectionKey, UnixClientConnectorError
from .connector import BaseConnector, open_bounded
from .protocol import ResponseHandler
from .tls_settings import connection_tls

if TYPE_CHECKING:
    from .tracing import Trace

__all__ = ("NamedPipeConnector", "UnixConnector")


class _PathConnector(BaseConnector):
    """A connector whose every connection goes to `path`."""

    def __init__(
        self,
        path: str,
        force_close: bool = False,
        keepalive_timeout: Optional[float] = 15.0,
        limit: int = 100,
        limit_per_host: int = 0,
        loop: Optional[asyncio.AbstractEventLoop] = None,
    ) -> None:
        super().__init__(
            force_close=force_close,
            keepalive_timeout=keepalive_timeout,
            limit=limit,
            limit_per_host=limit_per_host,
            loop=loop,
        )
        self._path = path
        self._check_loop()

    def _check_loop(self) -> None:
        """Refuse a loop that cannot make this kind of connection."""

    @property
    def path(self) -> str:
        return self._path

    def _open(
        self, factory: Callable[[], ResponseHandler], tls: dict[str, Any]
    ) -> Coroutine[Any, Any, tuple[Any, ResponseHandler]]:
        raise NotImplementedError

    def _os_error(self, key: ConnectionKey, exc: OSError) -> ClientConnectorError:
        return ClientConnectorError(key, exc)

    async def _create_connection(
        self,
        key: ConnectionKey,
        sock_connect: Optional[float],
        deadline: Optional[float],
        traces: Optional[Sequence[Trace]] = None,
    ) -> ResponseHandler:
        loop = self._loop
        tls, pin = connection_tls(key, True)

        def factory() -> ResponseHandler:
            return ResponseHandler(loop)

        transport, protocol = await open_bounded(
            loop,
            key,
            functools.partial(self._open, factory, tls),
            sock_connect,
            deadline,
            functools.partial(self._os_error, key),
        )
        if pin is not None:
            try:
                pin.check(transport)
            except BaseException:
                protocol.abort()  # never used, never pooled
                raise
        return protocol


class UnixConnector(_PathConnector):
    """Requests over the Unix domain socket at `path` (e.g. Docker's /var/run/docker.sock)."""

    def _open(
        self, factory: Callable[[], ResponseHandler], tls: dict[str, Any]
    ) -> Coroutine[Any, Any, tuple[Any, ResponseHandler]]:
        return self._loop.create_unix_connection(factory, self._path, **tls)

    def _os_error(self, key: ConnectionKey, exc: OSError) -> ClientConnectorError:
        return UnixClientConnectorError(self._path, key, exc)


class NamedPipeConnector(_PathConnector):
    """Requests over the Windows named pipe at `path`; only the proactor event loop (the
    Windows default) has pipes, anything else refuses at construction, as in aiohttp."""

    def _check_loop(self) -> None:
        proactor = getattr(asyncio, "ProactorEventLoop", None)
        if sys.platform != "win32" or proactor is None or not isinstance(self._loop, proactor):
            self._closed = True  # nothing to close: no unclosed-connector warning either
            raise RuntimeError("Named Pipes only available in proactor loop under windows")

    async def _open_pipe(
        self, factory: Callable[[], ResponseHandler], tls: dict[str, Any]
    ) -> tuple[Any, ResponseHandler]:
        if tls:
            raise OSError(None, "TLS over a named pipe is not supported")
        transport, protocol = await self._loop.create_pipe_connection(  # type: ignore[attr-defined]
            factory, self._path
        )
        await asyncio.sleep(0)  # connection_made runs in a callback: let it set the transport
        return transport, protocol

    def _open(
        self, factory: Callable[[], ResponseHandler], tls: dict[str, Any]
    ) -> Coroutine[Any, Any, tuple[Any, ResponseHandler]]:
        return self._open_pipe(factory, tls)
