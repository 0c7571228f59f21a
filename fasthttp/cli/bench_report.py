"""The summary of a `fasthttp bench` run, for people (text) and machines (--json)."""

from __future__ import annotations

import statistics
from typing import Any, Optional

from .bench_stats import Result, reasons_line

__all__ = ("format_result", "format_comparison", "Comparison")

HISTOGRAM_BUCKETS = 10
HISTOGRAM_WIDTH = 30


class Comparison:
    """--compare: requests/s of each client per round, and the ratio's median and spread."""

    def __init__(self) -> None:
        self.rounds: list[dict[str, float]] = []

    def add(self, ours: Result, theirs: Result) -> None:
        self.rounds.append({"fasthttp": round(ours.rps, 1), "aiohttp": round(theirs.rps, 1),
                            "ratio": round(ours.rps / theirs.rps, 3) if theirs.rps else float("inf")})

    def ratio(self) -> dict[str, float]:
        ratios = [r["ratio"] for r in self.rounds]
        return {"median": round(statistics.median(ratios), 3), "min": min(ratios), "max": max(ratios)}

    def to_json(self) -> dict[str, Any]:
        return {"rounds": self.rounds, "ratio_requests_per_sec": self.ratio()}


def format_result(result: Result, target: str, connections: int, processes: int,
                  implementation: Optional[str], rounds: int = 1) -> str:
    summary = result.summary()
    lat = summary["latency_ms"]
    lines = [
        f"Target:        {target}",
        f"Client:        {result.client}"
        + (f" (parser: {implementation})" if implementation else "")
        + f", {connections} connections, {processes} process{'es' if processes > 1 else ''}",
        f"Requests:      {summary['requests']} in {result.elapsed:.2f} s"
        + (f" ({rounds} rounds)" if rounds > 1 else ""),
        f"Requests/sec:  {summary['requests_per_sec']:.1f}",
        f"Transfer/sec:  {_size(summary['transfer_bytes_per_sec'])}",
        "Latency:       " + "  ".join(f"{k} {lat[k]:.2f} ms" for k in ("p50", "p90", "p99", "p99.9", "max")),
        "Histogram:",
        *_histogram(result),
        "Status codes:  " + (", ".join(f"{k}: {v}" for k, v in summary["status_codes"].items()) or "none"),
        "Errors:        " + (reasons_line(result.errors) or "none"),
    ]
    if result.aborted:
        lines.append(f"Aborted:       {result.aborted} in flight at the "
                     f"{'interruption' if result.interrupted else '-z deadline'} (not counted)")
    if result.interrupted:
        lines.append("Interrupted:   Ctrl-C; the figures cover the requests until then")
    return "\n".join(lines)


def format_comparison(comparison: Comparison) -> str:
    lines = [f"Round {i}: fasthttp {r['fasthttp']:.0f} req/s, aiohttp {r['aiohttp']:.0f} req/s, {r['ratio']:.2f}x"
             for i, r in enumerate(comparison.rounds, 1)]
    ratio = comparison.ratio()
    lines.append(f"fasthttp vs aiohttp: {ratio['median']:.2f}x median of {len(comparison.rounds)} rounds "
                 f"(spread {ratio['min']:.2f}x-{ratio['max']:.2f}x)")
    return "\n".join(lines)


def _histogram(result: Result) -> list[str]:
    """Ten equal-width bars from the fastest request to p99.9 (slower ones go in the last bar)."""
    latency = result.latency
    if not latency.count:
        return ["  (no successful requests)"]
    low, high = latency.min, latency.percentile(99.9)
    if high <= low:
        high = low + 1e-6
    step = (high - low) / HISTOGRAM_BUCKETS
    counts = [0] * HISTOGRAM_BUCKETS
    for value, count in latency.values():
        counts[min(HISTOGRAM_BUCKETS - 1, max(0, int((value - low) / step)))] += count
    peak = max(counts) or 1
    return [
        f"  {(low + (i + 1) * step) * 1000:8.2f} ms |"
        f"{'#' * max(1 if c else 0, round(c / peak * HISTOGRAM_WIDTH)):<{HISTOGRAM_WIDTH}} {c}"
        for i, c in enumerate(counts)
    ]


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
