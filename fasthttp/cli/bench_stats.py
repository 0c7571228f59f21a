"""What a `fasthttp bench` run measured: latencies, status codes, error reasons, bytes.

Latencies go into a log-linear histogram (HDR-style) rather than a list of samples, so a long
run at a high rate keeps a bounded memory (a few thousand buckets at most) and results from
several processes merge exactly (bucket counts add up). Resolution: exact to the microsecond
below 256 us, within 0.4% above (8 significant bits per power of two).
"""

from __future__ import annotations

import asyncio
import collections
import errno as errno_codes
import math
import os
from typing import Any, Iterator, Optional

__all__ = ("LatencyHistogram", "Result", "error_reason", "PERCENTILES")

PERCENTILES = (50.0, 90.0, 99.0, 99.9)
_EXACT_BELOW = 256  # microseconds recorded exactly
_MANTISSA_BITS = 8
_REASON_LIMIT = 160  # characters of an exception message kept in an error reason


def _bucket(us: int) -> int:
    if us < _EXACT_BELOW:
        return us
    shift = us.bit_length() - _MANTISSA_BITS
    return (shift << (_MANTISSA_BITS - 1)) + (us >> shift)


def _bucket_range(index: int) -> tuple[int, int]:
    """The microseconds [low, high] a bucket holds."""
    if index < _EXACT_BELOW:
        return index, index
    shift = (index >> (_MANTISSA_BITS - 1)) - 1
    low = (index - (shift << (_MANTISSA_BITS - 1))) << shift
    return low, low + (1 << shift) - 1


class LatencyHistogram:
    """Counts of latencies (seconds in, seconds out) in log-linear microsecond buckets."""

    def __init__(self) -> None:
        self.counts: collections.Counter[int] = collections.Counter()
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = 0.0

    def record(self, seconds: float) -> None:
        us = int(seconds * 1e6)
        self.counts[_bucket(us if us > 0 else 0)] += 1
        self.count += 1
        self.total += seconds
        if seconds < self.min:
            self.min = seconds
        if seconds > self.max:
            self.max = seconds

    def merge(self, other: "LatencyHistogram") -> None:
        self.counts.update(other.counts)
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def values(self) -> Iterator[tuple[float, int]]:
        """(representative seconds, count) per bucket, fastest first."""
        for index in sorted(self.counts):
            low, high = _bucket_range(index)
            middle = min(max((low + high) / 2e6, self.min), self.max)
            yield middle, self.counts[index]

    def percentile(self, p: float) -> float:
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(p / 100.0 * self.count))
        seen = 0
        for value, count in self.values():
            seen += count
            if seen >= rank:
                return value
        return self.max

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def to_wire(self) -> dict[str, Any]:
        return {"counts": {str(k): v for k, v in self.counts.items()}, "count": self.count,
                "total": self.total, "min": self.min if self.count else None, "max": self.max}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "LatencyHistogram":
        histogram = cls()
        histogram.counts.update({int(k): v for k, v in data["counts"].items()})
        histogram.count = data["count"]
        histogram.total = data["total"]
        histogram.min = math.inf if data["min"] is None else data["min"]
        histogram.max = data["max"]
        return histogram


class Result:
    """One load run (or several merged): the unit a process sends back and a report prints."""

    def __init__(self, client: str) -> None:
        self.client = client
        self.latency = LatencyHistogram()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.aborted = 0  # in flight at a -z deadline or Ctrl-C: cancelled, not counted
        self.interrupted = False  # stopped early by Ctrl-C
        self.bytes = 0
        self.elapsed = 0.0

    @property
    def requests(self) -> int:
        return self.latency.count + sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def merge(self, other: "Result", *, sequential: bool = False) -> None:
        """Add another run: concurrent (other processes: the longest elapsed) or sequential."""
        self.latency.merge(other.latency)
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)
        self.aborted += other.aborted
        self.interrupted = self.interrupted or other.interrupted
        self.bytes += other.bytes
        self.elapsed = self.elapsed + other.elapsed if sequential else max(self.elapsed, other.elapsed)

    def to_wire(self) -> dict[str, Any]:
        return {"client": self.client, "latency": self.latency.to_wire(),
                "statuses": dict(self.statuses), "errors": dict(self.errors),
                "aborted": self.aborted, "interrupted": self.interrupted, "bytes": self.bytes, "elapsed": self.elapsed}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Result":
        result = cls(data["client"])
        result.latency = LatencyHistogram.from_wire(data["latency"])
        result.statuses.update({int(k): v for k, v in data["statuses"].items()})
        result.errors.update(data["errors"])
        result.aborted = data["aborted"]
        result.interrupted = data["interrupted"]
        result.bytes = data["bytes"]
        result.elapsed = data["elapsed"]
        return result

    def summary(self) -> dict[str, Any]:
        latency = self.latency

        def ms(seconds: float) -> float:
            return round(seconds * 1000, 3)

        return {
            "client": self.client,
            "requests": self.requests,
            "elapsed_s": round(self.elapsed, 4),
            "requests_per_sec": round(self.rps, 1),
            "transfer_bytes_per_sec": round(self.bytes / self.elapsed, 1) if self.elapsed else 0.0,
            "latency_ms": {
                **{f"p{p:g}": ms(latency.percentile(p)) for p in PERCENTILES},
                "min": ms(latency.min) if latency.count else 0.0,
                "max": ms(latency.max),
                "mean": ms(latency.mean),
            },
            "status_codes": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors.most_common()),
            "aborted": self.aborted,
            "interrupted": self.interrupted,
        }


def error_reason(exc: BaseException, timeout: float) -> str:
    """A failure as `Kind: what happened`, stable across requests so that counts add up.

    The exception class alone ("ClientConnectorError") does not say why; the full message may
    carry details that vary per request. Connection errors name their OS-level cause and target.
    """
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"TimeoutError: no response within {timeout:g} s (--timeout)"
    os_error = getattr(exc, "os_error", None)
    host, port = getattr(exc, "host", None), getattr(exc, "port", None)
    if isinstance(os_error, OSError) and host is not None:
        code = os_error.errno
        what = os.strerror(code) if isinstance(code, int) and code in errno_codes.errorcode else (
            os_error.strerror or str(os_error) or "failed")
        return f"{type(os_error).__name__}: {what[:1].lower()}{what[1:]} to {host}:{port}"
    message = " ".join(str(exc).split())
    if len(message) > _REASON_LIMIT:
        message = message[:_REASON_LIMIT - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def reasons_line(errors: "collections.Counter[str] | dict[str, int]", limit: Optional[int] = None) -> str:
    """`reason (count), reason (count)`, most frequent first."""
    ordered = sorted(errors.items(), key=lambda item: (-item[1], item[0]))
    if limit is not None and len(ordered) > limit:
        rest = sum(count for _, count in ordered[limit:])
        ordered = ordered[:limit] + [(f"{len(errors) - limit} other reasons", rest)]
    return ", ".join(f"{reason} ({count})" for reason, count in ordered)
