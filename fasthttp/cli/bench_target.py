"""The embedded default target of `fasthttp bench`: fasthttp.web on a free port, in a child process."""

from __future__ import annotations

import subprocess
import sys

__all__ = ("EmbeddedServer",)


class EmbeddedServer:
    """fasthttp.web on a free 127.0.0.1 port, in a child process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fasthttp.cli.embedded_server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"it printed {line.strip()!r} instead of its port" if line else "it exited")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/"

    def stop(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
