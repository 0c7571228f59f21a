"""NamedPipeSite: serving on a Windows named pipe (aiohttp.web's), with the proactor event
loop only; anything else refuses at construction with aiohttp's RuntimeError, as
fasthttp.NamedPipeConnector does."""

from __future__ import annotations

import asyncio
import sys

from .runner import BaseRunner, BaseSite

__all__ = ("NamedPipeSite",)


class NamedPipeSite(BaseSite):
    def __init__(self, runner: BaseRunner, path: str, *, shutdown_timeout: float = 60.0) -> None:
        proactor = getattr(asyncio, "ProactorEventLoop", None)
        if sys.platform != "win32" or proactor is None or not isinstance(asyncio.get_event_loop(), proactor):
            raise RuntimeError("Named Pipes only available in proactor loop under windows")
        super().__init__(runner, shutdown_timeout=shutdown_timeout)
        self._path: str = path

    @property
    def name(self) -> str:
        return self._path

    async def start(self) -> None:  # pragma: no cover - Windows only
        await super().start()
        loop = asyncio.get_running_loop()
        servers = await loop.start_serving_pipe(self._runner._make_protocol, self._path)  # type: ignore[attr-defined]
        self._server = servers[0]
