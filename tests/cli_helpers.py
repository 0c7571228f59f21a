"""Helpers for the `fasthttp` command tests: the command as a subprocess, servers in a thread.

- `run_cli(*args)`: runs `python -m fasthttp ARGS` from the venv's interpreter with this checkout
  on PYTHONPATH, bounded by a timeout; returns a `CliRun` (exit code, stdout bytes, stderr text).
- `ThreadLoop`: an asyncio loop in a background thread, so the servers below keep serving while
  the test blocks on a subprocess. `call(coro)` runs a coroutine on it and waits (bounded).
- `web_server(loop, app, ssl_context=None)`: an aiohttp.web application (the reference peer, with
  its own multipart parser) on 127.0.0.1 port 0; yields the base URL.
- `raw_server(loop, handler)`: a raw asyncio server for exact bytes and misbehaviour (never
  answering, closing at random); yields the port.
- `refused_port()`: a 127.0.0.1 port nobody listens on.
- `loop_thread`: a module-scoped pytest fixture giving a `ThreadLoop` (import it by name).
- `run_on_terminal(*args)`: the command with stdout (and, if asked, stderr) on a pseudo-terminal;
  returns the exit code and everything it drew.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine, Iterator, Optional, TypeVar

import pytest

T = TypeVar("T")

HOST = "127.0.0.1"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = "/work/venv/bin/python"
PYTHON = VENV_PYTHON if os.path.exists(VENV_PYTHON) else sys.executable


@dataclass
class CliRun:
    code: int
    out: bytes
    err: str
    args: tuple[str, ...]

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def __str__(self) -> str:  # shown by pytest when an assertion on a run fails
        return f"fasthttp {' '.join(self.args)} -> {self.code}\nstdout: {self.out[:2000]!r}\nstderr: {self.err[:2000]}"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("FASTHTTP_PROGRESS", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 30.0, cwd: Optional[str] = None,
            env: Optional[dict[str, str]] = None, stdin: Optional[bytes] = None) -> CliRun:
    """`python -m fasthttp ARGS` as a user would run it; raises if it outlives `timeout`."""
    proc = subprocess.run(
        [PYTHON, "-m", "fasthttp", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True, timeout=timeout, cwd=cwd or REPO, env=env or cli_env(),
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"), tuple(args))


def run_on_terminal(*args: str, timeout: float = 30.0, stderr_too: bool = False,
                  cwd: Optional[str] = None, env: Optional[dict[str, str]] = None) -> tuple[int, bytes]:
    """`python -m fasthttp ARGS` with stdout on a pseudo-terminal (stderr too when
    `stderr_too`, else a pipe nobody reads); returns (exit code, what it wrote there)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [PYTHON, "-m", "fasthttp", *args], stdin=subprocess.DEVNULL, stdout=slave,
        stderr=slave if stderr_too else subprocess.DEVNULL, cwd=cwd or REPO, env=env or cli_env(),
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return code, bytes(output)


# --- an event loop in a thread -----------------------------------------------------------------


class ThreadLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="cli-test-servers", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.call(cancel_rest(), timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[ThreadLoop]:
    """One ThreadLoop for a test module's servers."""
    tl = ThreadLoop()
    yield tl
    tl.close()


@contextlib.contextmanager
def web_server(tl: ThreadLoop, app: Any, ssl_context: Optional[ssl.SSLContext] = None) -> Iterator[str]:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0, ssl_context=ssl_context)
        await site.start()
        return int(runner.addresses[0][1])

    port = tl.call(start())
    scheme = "https" if ssl_context is not None else "http"
    try:
        yield f"{scheme}://{HOST}:{port}"
    finally:
        tl.call(runner.cleanup(), timeout=10)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.contextmanager
def raw_server(tl: ThreadLoop, handler: Handler) -> Iterator[int]:
    writers: list[asyncio.StreamWriter] = []

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def start() -> asyncio.AbstractServer:
        return await asyncio.start_server(on_connection, HOST, 0)

    server = tl.call(start())
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        async def stop() -> None:
            server.close()
            for writer in writers:
                writer.close()
            await asyncio.wait_for(server.wait_closed(), 5)

        with contextlib.suppress(Exception):
            tl.call(stop(), timeout=10)


async def read_head(reader: asyncio.StreamReader) -> Optional[bytes]:
    """One request head (and a Content-Length body, discarded); None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            await reader.readexactly(int(value))
    return head


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
