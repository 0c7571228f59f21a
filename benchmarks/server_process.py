"""A benchmark's server in a subprocess of its own: start it on a free 127.0.0.1 port, wait
until it accepts, stop it with SIGINT (then kill). Shared by web_wrk.py and hostile_memory.py,
whose servers are the same script run with `--serve NAME --port PORT`."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import Optional

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    script: str, name: str, env: Optional[dict[str, str]] = None
) -> tuple[subprocess.Popen[bytes], int]:
    """`python script --serve name --port P`, returned once P accepts (SystemExit if it never
    does within 20 s, or the process ends first)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, script, "--serve", name, "--port", str(port)], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{name} server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
