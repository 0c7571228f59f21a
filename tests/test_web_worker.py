"""fasthttp.worker under a real Gunicorn on 127.0.0.1 (issue 12): serving, the access log
format, max_requests, TLS settings and a graceful stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("gunicorn", reason="Gunicorn runs on Unix only")

from fasthttp.test_utils import unused_port  # noqa: E402

APP = '''
import os
from fasthttp import web

async def hello(request):
    return web.Response(text=f"pid={os.getpid()} ua={request.headers.get('User-Agent')}")

app = web.Application()
app.router.add_get("/", hello)

async def factory():
    return app
'''


def _gunicorn(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    (tmp_path / "wapp.py").write_text(textwrap.dedent(APP))
    port = unused_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "fasthttp.worker.GunicornWebWorker", "--graceful-timeout", "5", *args],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"},
    )
    return proc, port


def _get(port: int, deadline: float = 20.0) -> str:
    end = time.monotonic() + deadline
    while True:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"User-Agent": "probe/2"})
            with urllib.request.urlopen(request, timeout=3) as resp:
                return resp.read().decode()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    return out


@pytest.mark.parametrize("target", ["wapp:app", "wapp:factory"])
def test_serves_and_logs(tmp_path: Path, target: str) -> None:
    proc, port = _gunicorn(tmp_path, "--access-logfile", "-", "--access-logformat", '%a "%r" %s %{User-Agent}i', target)
    try:
        assert _get(port).endswith("ua=probe/2")
    finally:
        out = _stop(proc)
    assert proc.returncode == 0, out
    assert '127.0.0.1 "GET / HTTP/1.1" 200 probe/2' in out, out


def test_gunicorn_style_log_format_is_refused(tmp_path: Path) -> None:
    proc, port = _gunicorn(tmp_path, "--access-logfile", "-", "--access-logformat", "%(h)s %(r)s", "wapp:app")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Gunicorn's style options" in out


def test_max_requests_restarts_the_worker(tmp_path: Path) -> None:
    proc, port = _gunicorn(tmp_path, "--max-requests", "2", "wapp:app")
    try:
        pids = {_get(port).split()[0] for _ in range(8)}
        deadline = time.monotonic() + 10
        while len(pids) < 2 and time.monotonic() < deadline:
            pids.add(_get(port).split()[0])
            time.sleep(0.3)
    finally:
        out = _stop(proc)
    assert len(pids) >= 2, (pids, out)  # a new worker took over after max_requests
    assert "Max requests, shutting down" in out
