"""When the requests of a `fasthttp bench` run go out: a count (-n), a deadline (-z), a rate (-q).

With a rate, request i is due at start + i / rate on one shared timetable: a connection that
comes back late does not push the timetable back, the next free connection takes the overdue
request at once. That is what makes latency correction meaningful: the latency of a request
that had to wait for a free connection counts from its due time (oha's --latency-correction),
so a stalled server shows up in the percentiles instead of being omitted (coordinated omission).
"""

from __future__ import annotations

import time
from typing import Optional

__all__ = ("Timetable",)


class Timetable:
    """Hands out the next request's due time (perf_counter seconds), or None when the run is over."""

    def __init__(self, requests: Optional[int], deadline: Optional[float],
                 rate: Optional[float], started: float) -> None:
        self._left = requests if requests is not None else -1  # -1: no count limit
        self._deadline = deadline
        self._interval = 1.0 / rate if rate else 0.0
        self._started = started
        self._issued = 0

    def next_due(self) -> Optional[float]:
        if self._left == 0:
            return None
        if self._interval:
            due = self._started + self._issued * self._interval
        else:
            due = time.perf_counter()
        if self._deadline is not None and due >= self._deadline:
            return None
        self._issued += 1
        if self._left > 0:
            self._left -= 1
        return due
