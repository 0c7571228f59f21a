"""Gunicorn workers for fasthttp.web applications (aiohttp.worker's, for fasthttp.web).

    gunicorn mypackage.app:app --bind 127.0.0.1:8080 --worker-class fasthttp.worker.GunicornWebWorker

(`fasthttp.worker.GunicornUVLoopWebWorker` runs on uvloop; Gunicorn is not a dependency.) The
app is an Application, or an async function returning one (or an AppRunner). What Gunicorn's
configuration says is used as aiohttp's worker uses it: keepalive, graceful_timeout (95% of it
for requests in progress at shutdown), the access log and its format (aiohttp's directives;
Gunicorn's default format is replaced by aiohttp's default, a `%(name)s` format is refused),
certfile/keyfile/ca_certs/ciphers for TLS, max_requests, and the signals: QUIT/INT/TERM stop
gracefully, ABRT aborts, USR1 reopens the log files.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import signal
import ssl
import sys
from types import FrameType
from typing import Any, Optional

from gunicorn.config import AccessLogFormat as GunicornAccessLogFormat
from gunicorn.workers import base

from .web import AppRunner, Application, SockSite
from .web.access_log import AccessLogger

__all__ = ("GunicornWebWorker", "GunicornUVLoopWebWorker")


class GunicornWebWorker(base.Worker):  # type: ignore[misc]
    DEFAULT_AIOHTTP_LOG_FORMAT = AccessLogger.LOG_FORMAT
    DEFAULT_GUNICORN_LOG_FORMAT = GunicornAccessLogFormat.default

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._task: Optional[asyncio.Task[None]] = None
        self.exit_code = 0
        self._notify_waiter: Optional[asyncio.Future[bool]] = None

    def init_process(self) -> None:
        # A fresh loop for this worker (the arbiter's, if any, is not reused after fork).
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def run(self) -> None:
        # Booted only once the sockets serve (a failing factory must not be restarted for ever).
        self.booted = False
        self._task = self.loop.create_task(self._run())
        try:
            self.loop.run_until_complete(self._task)
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()
        sys.exit(self.exit_code)

    async def _run(self) -> None:
        runner = await self._runner()
        await runner.setup()
        server = runner.server
        assert server is not None
        if self.max_requests:
            server.count_requests = True
        context = self._create_ssl_context(self.cfg) if self.cfg.is_ssl else None
        for sock in self.sockets:
            await SockSite(runner, sock, ssl_context=context).start()
        self.booted = True
        pid = os.getpid()
        try:
            while self.alive:  # type: ignore[has-type]
                self.notify()
                if self.max_requests and server.requests_count > self.max_requests:
                    self.alive = False
                    self.log.info("Max requests, shutting down: %s", self)
                elif pid == os.getpid() and self.ppid != os.getppid():
                    self.alive = False
                    self.log.info("Parent changed, shutting down: %s", self)
                else:
                    await self._wait_next_notify()
        except Exception:  # pragma: no cover - the arbiter restarts the worker
            self.log.exception("fasthttp worker failed")
        await runner.cleanup()

    async def _runner(self) -> AppRunner:
        target = self.wsgi
        if isinstance(target, Application):
            app = target
        elif inspect.iscoroutinefunction(target):
            made = await target()
            if isinstance(made, AppRunner):
                return made
            app = made
        else:
            raise RuntimeError(
                "wsgi app should be either Application or async function returning "
                f"Application, got {target}"
            )
        access_log = self.log.access_log if self.cfg.accesslog else None
        return AppRunner(
            app,
            keepalive_timeout=self.cfg.keepalive,
            access_log=access_log,
            access_log_format=self._get_valid_log_format(self.cfg.access_log_format),
            shutdown_timeout=self.cfg.graceful_timeout / 100 * 95,
        )

    def _wait_next_notify(self) -> "asyncio.Future[bool]":
        self._notify_waiter_done()
        self._notify_waiter = waiter = self.loop.create_future()
        self.loop.call_later(1.0, self._notify_waiter_done, waiter)
        return waiter

    def _notify_waiter_done(self, waiter: Optional["asyncio.Future[bool]"] = None) -> None:
        if waiter is None:
            waiter = self._notify_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)
        if waiter is self._notify_waiter:
            self._notify_waiter = None

    def init_signals(self) -> None:
        add = self.loop.add_signal_handler
        add(signal.SIGQUIT, self.handle_quit, signal.SIGQUIT, None)
        add(signal.SIGTERM, self.handle_exit, signal.SIGTERM, None)
        add(signal.SIGINT, self.handle_quit, signal.SIGINT, None)
        add(signal.SIGWINCH, self.handle_winch, signal.SIGWINCH, None)
        add(signal.SIGUSR1, self.handle_usr1, signal.SIGUSR1, None)
        add(signal.SIGABRT, self.handle_abort, signal.SIGABRT, None)
        # SIGTERM and SIGUSR1 must not interrupt system calls of requests in progress.
        signal.siginterrupt(signal.SIGTERM, False)
        signal.siginterrupt(signal.SIGUSR1, False)
        # The arbiter's SIGCHLD handler would swallow the exit codes of the app's subprocesses.
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def handle_quit(self, sig: int, frame: Optional[FrameType]) -> None:
        self.alive = False
        self.cfg.worker_int(self)
        self._notify_waiter_done()

    def handle_abort(self, sig: int, frame: Optional[FrameType]) -> None:
        self.alive = False
        self.exit_code = 1
        self.cfg.worker_abort(self)
        sys.exit(1)

    @staticmethod
    def _create_ssl_context(cfg: Any) -> ssl.SSLContext:
        context = ssl.SSLContext(cfg.ssl_version)
        context.load_cert_chain(cfg.certfile, cfg.keyfile)
        context.verify_mode = cfg.cert_reqs
        if cfg.ca_certs:
            context.load_verify_locations(cfg.ca_certs)
        if cfg.ciphers:
            context.set_ciphers(cfg.ciphers)
        return context

    def _get_valid_log_format(self, source_format: str) -> str:
        if source_format == self.DEFAULT_GUNICORN_LOG_FORMAT:
            return self.DEFAULT_AIOHTTP_LOG_FORMAT
        if re.search(r"%\([^\)]+\)", source_format):
            raise ValueError(
                "Gunicorn's style options in form of `%(name)s` are not supported for the log "
                "formatting. Please use aiohttp's format specification to configure access log "
                "formatting (fasthttp.web.access_log lists the directives)."
            )
        return source_format


class GunicornUVLoopWebWorker(GunicornWebWorker):
    def init_process(self) -> None:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        super().init_process()
