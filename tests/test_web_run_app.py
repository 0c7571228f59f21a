"""web.run_app in a subprocess: serves, and on SIGINT/SIGTERM shuts down gracefully (on_shutdown
and on_cleanup run, a request in progress completes) and exits 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

APP = textwrap.dedent(
    """
    import asyncio, sys
    from fasthttp import web

    async def hello(request):
        return web.Response(text="hello from run_app")

    async def slow(request):
        print("SLOW STARTED", flush=True)
        await asyncio.sleep(1.0)
        return web.Response(text="slow done")

    async def on_shutdown(app):
        print("ON_SHUTDOWN", flush=True)

    async def on_cleanup(app):
        print("ON_CLEANUP", flush=True)

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/slow", slow)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), shutdown_timeout=5,
                print=lambda line: print(line, flush=True))
    print("RUN_APP RETURNED", flush=True)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    script = tmp_path / "app.py"
    script.write_text(APP)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"run_app did not start: {proc.communicate(timeout=5)[0]}")


def get(port: int, path: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as resp:
        return resp.read().decode()  # type: ignore[no-any-return]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_run_app_serves_and_exits_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    proc, port = start(tmp_path)
    try:
        assert get(port, "/") == "hello from run_app"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
    assert proc.returncode == 0, out
    assert "======== Running on http://127.0.0.1:" in out
    assert "ON_SHUTDOWN" in out and "ON_CLEANUP" in out, out
    assert out.index("ON_SHUTDOWN") < out.index("ON_CLEANUP") < out.index("RUN_APP RETURNED")


def test_run_app_sigint_lets_request_in_progress_finish(tmp_path: Path) -> None:
    import threading

    proc, port = start(tmp_path)
    result: dict[str, object] = {}

    def fetch() -> None:
        try:
            result["body"] = get(port, "/slow", timeout=10)
        except Exception as exc:  # pragma: no cover - reported by the assert below
            result["error"] = exc

    try:
        thread = threading.Thread(target=fetch)
        thread.start()
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while line and "SLOW STARTED" not in line:
            line = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        thread.join(10)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
    assert result.get("body") == "slow done", result
    assert proc.returncode == 0, out
    assert "ON_CLEANUP" in out
