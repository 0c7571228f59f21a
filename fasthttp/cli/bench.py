"""`fasthttp bench`: a load generator in the spirit of oha/hey, on fasthttp's own client.

`fasthttp bench [URL] -c CONNECTIONS (-n REQUESTS | -d SECONDS) [-m METHOD] [--body TEXT]
[-p PROCESSES] [--json] [--compare]`. Without a URL it starts the embedded default, a
fasthttp.web server on a free 127.0.0.1 port in a separate process, and loads that.
`--compare` runs the same load through aiohttp's client (when installed) and prints both with
the ratio. Reports requests/s, transfer rate, latency percentiles with a small histogram,
status codes and errors by kind; `--json` prints the same for machines.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import collections
import json
import subprocess
import sys
import time
from typing import Any, Coroutine, Optional, Sequence

__all__ = ("bench_main", "Result")

PERCENTILES = (50.0, 90.0, 99.0, 99.9)
WARMUP_LIMIT = 2.0  # seconds the warm-up may take (a silent server must not stall the run)
DEADLINE_GRACE = 1.0  # with -d: seconds after the deadline for in-flight requests to finish
DEFAULT_TIMEOUT = 30.0  # seconds per request (--timeout); a slower request counts as a timeout


class Result:
    """What one load run measured (mergeable across processes)."""

    def __init__(self, client: str) -> None:
        self.client = client
        self.latencies = array.array("d")
        self.statuses: collections.Counter[int] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.bytes = 0
        self.elapsed = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def merge(self, other: "Result") -> None:
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)
        self.bytes += other.bytes
        self.elapsed = max(self.elapsed, other.elapsed)

    def to_wire(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "latencies": self.latencies.tobytes().hex(),
            "statuses": dict(self.statuses),
            "errors": dict(self.errors),
            "bytes": self.bytes,
            "elapsed": self.elapsed,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Result":
        result = cls(data["client"])
        result.latencies.frombytes(bytes.fromhex(data["latencies"]))
        result.statuses.update({int(k): v for k, v in data["statuses"].items()})
        result.errors.update(data["errors"])
        result.bytes = data["bytes"]
        result.elapsed = data["elapsed"]
        return result

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
        return ordered[index]

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "client": self.client,
            "requests": self.requests,
            "elapsed_s": round(self.elapsed, 4),
            "requests_per_sec": round(self.rps, 1),
            "transfer_bytes_per_sec": round(self.bytes / self.elapsed, 1) if self.elapsed else 0.0,
            "latency_ms": {
                **{f"p{p:g}": round(self.percentile(p) * 1000, 3) for p in PERCENTILES},
                "max": round(ordered[-1] * 1000, 3) if ordered else 0.0,
                "mean": round(sum(ordered) / len(ordered) * 1000, 3) if ordered else 0.0,
            },
            "status_codes": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
        }


# --- running the load ------------------------------------------------------------------------


async def _load(client: str, url: str, connections: int, requests: Optional[int],
                duration: Optional[float], method: str, body: Optional[bytes],
                progress: bool, timeout_s: float = DEFAULT_TIMEOUT, insecure: bool = False) -> Result:
    result = Result(client)
    if client == "aiohttp":
        import aiohttp as lib  # type: ignore[import-not-found,unused-ignore]
    else:
        import fasthttp as lib  # type: ignore[no-redef]
    # ssl=False only skips certificate checks for https targets (-k); plain http ignores it.
    connector = lib.TCPConnector(limit=connections, ssl=False) if insecure else lib.TCPConnector(limit=connections)
    timeout = lib.ClientTimeout(total=timeout_s)
    latencies = result.latencies
    statuses = result.statuses
    errors = result.errors
    counter = [0]
    loop_time = time.perf_counter

    async with lib.ClientSession(connector=connector, timeout=timeout) as session:
        # Warm up: open the connections, let the pool settle.
        async def warm() -> None:
            for _ in range(3):
                try:
                    async with session.request(method, url, data=body) as response:
                        await response.read()
                except Exception:
                    return

        await _bounded([warm() for _ in range(connections)], WARMUP_LIMIT)
        started = loop_time()
        deadline = started + duration if duration is not None else None
        budget = [requests if requests is not None else -1]

        async def worker() -> None:
            nbytes = 0
            try:
                while True:
                    if deadline is not None:
                        if loop_time() >= deadline:
                            break
                    else:
                        if budget[0] <= 0:
                            break
                        budget[0] -= 1
                    t0 = loop_time()
                    try:
                        async with session.request(method, url, data=body) as response:
                            payload = await response.read()
                            statuses[response.status] += 1
                        latencies.append(loop_time() - t0)
                        nbytes += len(payload)
                    except Exception as exc:
                        errors[type(exc).__name__] += 1
                    counter[0] += 1
            finally:
                result.bytes += nbytes

        ticker = asyncio.ensure_future(_ticker(counter, started, progress)) if progress else None
        workers = [worker() for _ in range(connections)]
        if deadline is None:
            await asyncio.gather(*workers)
        else:
            # A duration run ends near its deadline: requests still in flight after the grace
            # period are cancelled and counted as timeouts.
            stragglers = await _bounded(workers, deadline - loop_time() + DEADLINE_GRACE)
            if stragglers:
                errors["TimeoutError"] += stragglers
        result.elapsed = loop_time() - started
        if ticker is not None:
            ticker.cancel()
            sys.stderr.write("\r" + " " * 70 + "\r")
    return result


async def _bounded(coros: list[Coroutine[Any, Any, None]], limit: float) -> int:
    """Run coroutines for up to `limit` seconds; cancel those still running, say how many."""
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    done, pending = await asyncio.wait(tasks, timeout=max(0.0, limit))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # re-raise what a finished one raised
    return len(pending)


async def _ticker(counter: list[int], started: float, enabled: bool) -> None:
    while True:
        await asyncio.sleep(0.25)
        elapsed = time.perf_counter() - started
        rate = counter[0] / elapsed if elapsed else 0.0
        sys.stderr.write(f"\r  {counter[0]:>9} requests  {rate:>10.0f} req/s  {elapsed:6.1f} s")
        sys.stderr.flush()


def _run_in_process(spec: dict[str, Any]) -> Result:
    """One process's share of the load (also the body of a -p worker)."""
    run = asyncio.run
    if spec.get("uvloop"):
        try:
            import uvloop

            run = uvloop.run
        except ImportError:
            pass
    return run(_load(spec["client"], spec["url"], spec["connections"], spec["requests"],
                     spec["duration"], spec["method"],
                     spec["body"].encode() if spec["body"] is not None else None,
                     spec["progress"], spec.get("timeout", DEFAULT_TIMEOUT), spec.get("insecure", False)))


def _run(spec: dict[str, Any], processes: int) -> Result:
    if processes <= 1:
        return _run_in_process(spec)
    children = []
    for index in range(processes):
        share = dict(spec, progress=False)
        share["connections"] = max(1, spec["connections"] // processes + (index < spec["connections"] % processes))
        if spec["requests"] is not None:
            share["requests"] = spec["requests"] // processes + (index < spec["requests"] % processes)
        children.append(subprocess.Popen(
            [sys.executable, "-m", "fasthttp.cli.bench_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        ))
        assert children[-1].stdin is not None
        children[-1].stdin.write(json.dumps(share))
        children[-1].stdin.close()
    merged = Result(spec["client"])
    for child in children:
        assert child.stdout is not None
        out = child.stdout.read()
        child.wait(timeout=600)
        merged.merge(Result.from_wire(json.loads(out)))
    return merged


# --- the embedded server -----------------------------------------------------------------------


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


# --- reporting --------------------------------------------------------------------------------


def _format(result: Result, target: str, connections: int, processes: int) -> str:
    from ..http import IMPLEMENTATION

    summary = result.summary()
    lat = summary["latency_ms"]
    lines = [
        f"Target:        {target}",
        f"Client:        {result.client}"
        + (f" (parser: {IMPLEMENTATION})" if result.client == "fasthttp" else "")
        + f", {connections} connections, {processes} process{'es' if processes > 1 else ''}",
        f"Requests:      {summary['requests']} in {result.elapsed:.2f} s",
        f"Requests/sec:  {summary['requests_per_sec']:.1f}",
        f"Transfer/sec:  {_size(summary['transfer_bytes_per_sec'])}",
        "Latency:       " + "  ".join(f"{k} {v:.2f} ms" for k, v in lat.items() if k != "mean"),
        "Histogram:",
        *_histogram(result),
        "Status codes:  " + (", ".join(f"{k}: {v}" for k, v in summary["status_codes"].items()) or "none"),
        "Errors:        " + (", ".join(f"{k}: {v}" for k, v in summary["errors"].items()) or "none"),
    ]
    return "\n".join(lines)


def _histogram(result: Result, buckets: int = 10, width: int = 30) -> list[str]:
    values = sorted(result.latencies)
    if not values:
        return ["  (no successful requests)"]
    low, high = values[0], values[min(len(values) - 1, int(len(values) * 0.999))]
    if high <= low:
        high = low + 1e-6
    step = (high - low) / buckets
    counts = [0] * buckets
    for value in values:
        counts[min(buckets - 1, int((value - low) / step))] += 1
    peak = max(counts) or 1
    return [
        f"  {(low + (i + 1) * step) * 1000:8.2f} ms |{'#' * max(1 if c else 0, round(c / peak * width)):<{width}} {c}"
        for i, c in enumerate(counts)
    ]


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fasthttp bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="the target (default: an embedded fasthttp.web server)")
    parser.add_argument("-c", "--connections", type=int, default=64)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-n", "--requests", type=int, help="total requests (default 20000)")
    group.add_argument("-d", "--duration", type=float, help="seconds to run instead of -n")
    parser.add_argument("-m", "--method", default="GET")
    parser.add_argument("--body", help="request body (text)")
    parser.add_argument("-p", "--processes", type=int, default=1)
    parser.add_argument("--json", dest="as_json", action="store_true", help="machine-readable output")
    parser.add_argument("--compare", action="store_true", help="also run the load through aiohttp's client")
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds one request may take before it counts as a timeout (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("-k", "--insecure", action="store_true", help="do not verify TLS certificates")
    return parser


def bench_main(argv: Sequence[str]) -> int:
    parser = _build_parser()
    args = parser.parse_args(list(argv))
    if args.connections < 1:
        print("fasthttp bench: error: -c must be at least 1", file=sys.stderr)
        return 1
    if args.requests is not None and args.requests < 1 or args.duration is not None and args.duration <= 0:
        print("fasthttp bench: error: -n and -d must be positive", file=sys.stderr)
        return 1
    if args.processes < 1:
        print("fasthttp bench: error: -p must be at least 1", file=sys.stderr)
        return 1
    if not args.timeout > 0:
        print("fasthttp bench: error: --timeout must be positive", file=sys.stderr)
        return 1
    requests = args.requests if args.requests is not None or args.duration is not None else 20000
    server = None
    url = args.url
    if url is None:
        try:
            server = EmbeddedServer()
        except Exception as exc:
            print(f"fasthttp bench: error: the embedded server did not start: {exc}", file=sys.stderr)
            return 1
        url = server.url
        target = f"{url} (embedded fasthttp.web server)"
    else:
        from .request_cmd import normalize_url

        url = normalize_url(url)
        target = url
    try:
        spec = {
            "client": "fasthttp", "url": url, "connections": args.connections,
            "requests": requests, "duration": args.duration, "method": args.method.upper(),
            "body": args.body, "progress": sys.stderr.isatty() and not args.as_json,
            "uvloop": args.uvloop, "timeout": args.timeout, "insecure": args.insecure,
        }
        try:
            ours = _run(spec, args.processes)
        except Exception as exc:
            print(f"fasthttp bench: error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        theirs = None
        if args.compare:
            try:
                import aiohttp  # noqa: F401  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                print("fasthttp bench: --compare needs aiohttp installed; skipped", file=sys.stderr)
            else:
                theirs = _run(dict(spec, client="aiohttp"), args.processes)
    finally:
        if server is not None:
            server.stop()
    if not ours.latencies and ours.errors:
        first = next(iter(ours.errors))
        print(f"fasthttp bench: error: every request failed ({first}: {ours.errors[first]}) against {url}", file=sys.stderr)
        if args.as_json:
            print(json.dumps({"fasthttp": ours.summary()}, indent=2))
        return 1
    if args.as_json:
        report: dict[str, Any] = {"target": url, "connections": args.connections,
                                  "processes": args.processes, "fasthttp": ours.summary()}
        if theirs is not None:
            report["aiohttp"] = theirs.summary()
            report["ratio_requests_per_sec"] = round(ours.rps / theirs.rps, 3) if theirs.rps else None
        print(json.dumps(report, indent=2))
        return 0
    print(_format(ours, target, args.connections, args.processes))
    if theirs is not None:
        print()
        print(_format(theirs, target, args.connections, args.processes))
        print()
        ratio = ours.rps / theirs.rps if theirs.rps else float("inf")
        print(f"fasthttp {ours.rps:.0f} req/s vs aiohttp {theirs.rps:.0f} req/s: {ratio:.2f}x")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(bench_main(sys.argv[1:]))

