"""The live view of `fasthttp bench` on a terminal: progress bar, current rate, latency so far.

A few lines redrawn in place (ANSI cursor movement) at most REDRAWS_PER_SECOND times a second,
erased before the summary is printed. Only used when stdout is a terminal and neither --json nor
--no-tui was given; piped output gets the summary alone.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Optional, TextIO

from .bench_stats import Result, reasons_line

__all__ = ("LiveView", "REDRAWS_PER_SECOND")

REDRAWS_PER_SECOND = 10
BAR_WIDTH = 40
RATE_WINDOW = 1.0  # seconds over which "current rate" is measured


class LiveView:
    def __init__(self, out: TextIO, result: Result, requests: Optional[int],
                 duration: Optional[float], started: float) -> None:
        self._out = out
        self._result = result
        self._requests = requests
        self._duration = duration
        self._started = started
        self._lines = 0
        self._history: collections.deque[tuple[float, int]] = collections.deque()

    async def run(self) -> None:
        """Redraw until cancelled."""
        while True:
            await asyncio.sleep(1.0 / REDRAWS_PER_SECOND)
            self.draw()

    def show(self, result: Result) -> None:
        """Draw another snapshot (the -p parent merges its children's)."""
        self._result = result
        self.draw()

    def draw(self) -> None:
        now = time.perf_counter()
        result = self._result
        done = result.requests
        elapsed = now - self._started
        self._history.append((now, done))
        while len(self._history) > 1 and now - self._history[0][0] > RATE_WINDOW:
            self._history.popleft()
        first_time, first_done = self._history[0]
        current = (done - first_done) / (now - first_time) if now > first_time else 0.0
        if self._duration is not None:
            fraction = min(1.0, elapsed / self._duration)
            where = f"{elapsed:6.1f} s / {self._duration:g} s"
        else:
            fraction = min(1.0, done / self._requests) if self._requests else 0.0
            where = f"{done} / {self._requests} requests  {elapsed:6.1f} s"
        filled = int(fraction * BAR_WIDTH)
        latency = result.latency
        lines = [
            f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {fraction * 100:5.1f}%  {where}",
            f"Rate:     {current:10.0f} req/s now, {done / elapsed if elapsed > 0 else 0.0:10.0f} req/s overall",
            f"Latency:  p50 {latency.percentile(50) * 1000:.2f} ms  p99 {latency.percentile(99) * 1000:.2f} ms"
            f"  max {latency.max * 1000:.2f} ms",
            "Status:   " + (", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items())) or "none yet")
            + ("   Errors: " + reasons_line(result.errors, limit=2) if result.errors else ""),
        ]
        self._write(lines)

    def _write(self, lines: list[str]) -> None:
        up = f"\x1b[{self._lines}F" if self._lines else ""
        self._out.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
        self._out.flush()
        self._lines = len(lines)

    def erase(self) -> None:
        if self._lines:
            self._out.write(f"\x1b[{self._lines}F\x1b[J")
            self._out.flush()
            self._lines = 0
