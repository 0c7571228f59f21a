"""`fasthttp bench`: a load generator in the spirit of oha/hey/wrk, on fasthttp's own client.

`fasthttp bench [URL] [-c N] [-n N | -z DURATION] [-q QPS [--latency-correction]] [-m METHOD]
[-H 'Name: value'...] [-d TEXT | -D FILE] [-T TYPE] [--disable-keepalive] [-k] [-p PROCESSES]
[--json] [--no-tui] [--compare [--rounds N]]` (bench_options.py has the flags). Without a URL
it loads the embedded default, a fasthttp.web server on a free 127.0.0.1 port in a separate
process. This module runs the load (one asyncio loop per process, -p processes merged
exactly), bench_stats.py measures, bench_report.py prints, bench_progress.py draws the live view.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Awaitable, Callable, Coroutine, Iterator, Optional, Sequence

from multidict import CIMultiDict

from .bench_options import BenchOptions, UsageError, parse_options
from .bench_progress import REDRAWS_PER_SECOND, LiveView
from .bench_rate import Timetable
from .bench_report import Comparison, format_comparison, format_result
from .bench_stats import Result, error_reason, reasons_line

__all__ = ("bench_main", "Result")

WARMUP_LIMIT = 2.0  # seconds the warm-up may take (a silent server must not stall the run)
WARMUP_REQUESTS = 3  # per connection, before the clock starts (not with -q: it would break the rate)
TICK_INTERVAL = 0.25  # seconds between the snapshots a -p child sends for the live view

# Runs beside the load with the live Result and the start time (the live view, -p snapshots).
TickHook = Callable[[Result, float], Awaitable[None]]


# --- running the load in one process -----------------------------------------------------------


async def _load(spec: dict[str, Any], on_tick: Optional[TickHook] = None) -> Result:
    client = spec["client"]
    result = Result(client)
    if client == "aiohttp":
        import aiohttp as lib  # type: ignore[import-not-found,unused-ignore]
    else:
        import fasthttp as lib  # type: ignore[no-redef]
    connections = spec["connections"]
    connector_args: dict[str, Any] = {"limit": connections}
    if spec["insecure"]:
        connector_args["ssl"] = False  # skips certificate checks for https targets; http ignores it
    if spec["disable_keepalive"]:
        connector_args["force_close"] = True
    timeout_s = spec["timeout"]
    method, url = spec["method"], spec["url"]
    body = bytes.fromhex(spec["body"]) if spec["body"] is not None else None
    headers = CIMultiDict((name, value) for name, value in spec["headers"]) if spec["headers"] else None
    rate, correction = spec["rate"], spec["latency_correction"]
    latency, statuses, errors = result.latency, result.statuses, result.errors
    clock = time.perf_counter

    async with lib.ClientSession(connector=lib.TCPConnector(**connector_args),
                                 timeout=lib.ClientTimeout(total=timeout_s)) as session:
        if not rate:
            async def warm() -> None:
                for _ in range(WARMUP_REQUESTS):
                    try:
                        async with session.request(method, url, data=body, headers=headers) as response:
                            await response.read()
                    except Exception:
                        return

            await _bounded([warm() for _ in range(connections)], WARMUP_LIMIT)
        started = clock()
        deadline = started + spec["duration"] if spec["duration"] is not None else None
        timetable = Timetable(spec["requests"], deadline, rate, started)

        async def worker() -> None:
            nbytes = 0
            try:
                while True:
                    due = timetable.next_due()
                    if due is None:
                        break
                    if rate:
                        wait = due - clock()
                        if wait > 0:
                            await asyncio.sleep(wait)
                    sent = clock()
                    try:
                        async with session.request(method, url, data=body, headers=headers) as response:
                            payload = await response.read()
                            statuses[response.status] += 1
                        latency.record(clock() - (due if correction else sent))
                        nbytes += len(payload)
                    except Exception as exc:
                        errors[error_reason(exc, timeout_s)] += 1
            finally:
                result.bytes += nbytes

        ticker = asyncio.ensure_future(on_tick(result, started)) if on_tick is not None else None
        workers = [worker() for _ in range(connections)]
        try:
            with _interrupt_event() as interrupted:
                # Like oha: at a -z deadline or on Ctrl-C the requests still in flight are
                # cancelled and reported apart (they neither succeeded nor failed).
                limit = deadline - clock() if deadline is not None else None
                result.aborted = await _bounded(workers, limit, interrupted)
                result.interrupted = interrupted.is_set()
        finally:
            result.elapsed = clock() - started
            if ticker is not None:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)
    return result


async def _bounded(coros: list[Coroutine[Any, Any, None]], limit: Optional[float],
                   stop: Optional[asyncio.Event] = None) -> int:
    """Run coroutines for up to `limit` seconds (None: no limit) or until `stop` is set;
    cancel those still running and say how many."""
    tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(coro) for coro in coros]
    stopper: asyncio.Future[Any] = asyncio.ensure_future((stop or asyncio.Event()).wait())
    end = None if limit is None else time.perf_counter() + limit
    pending = set(tasks)
    while pending and not stopper.done():
        remaining = None if end is None else end - time.perf_counter()
        if remaining is not None and remaining <= 0:
            break
        _, pending = await asyncio.wait(pending | {stopper}, timeout=remaining,
                                        return_when=asyncio.FIRST_COMPLETED)
        pending.discard(stopper)
    stopper.cancel()
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, stopper, return_exceptions=True)
    for task in tasks:
        if task not in pending:
            task.result()  # re-raise what a finished one raised
    return len(pending)


# A Ctrl-C a -p child received before its event loop took SIGINT over (note_interrupt).
_interrupted_early = False


def note_interrupt(signum: int, frame: Any) -> None:
    """SIGINT in a -p child outside its event loop's handler (starting, or reporting): noted,
    never a KeyboardInterrupt that would cut the child's report short. The terminal's Ctrl-C
    reaches the children and the parent forwards it too, so one may come at any moment."""
    global _interrupted_early
    _interrupted_early = True


@contextlib.contextmanager
def _interrupt_event() -> Iterator[asyncio.Event]:
    """An event set by Ctrl-C (SIGINT) while the load runs, so that a run stops and still
    reports (as oha does); the SIGINT handler from before is back on leaving.

    A plain Python-level handler that wakes the loop, not loop.add_signal_handler: closing the
    loop closes the self-pipe the latter's wakeup fd writes to before it removes the handler,
    then puts KeyboardInterrupt in place of whatever was there, so a second Ctrl-C in between
    (a -p child gets the terminal's and its parent's) printed "Exception ignored when trying to
    write to the signal wakeup fd" or cut the child's report short. signal.signal() swaps
    handlers with no gap: a pending SIGINT goes to the old one first."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_sigint(signum: int, frame: Any) -> None:
        loop.call_soon_threadsafe(event.set)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
        installed = True
    except ValueError:  # not the main thread: no Ctrl-C for this run
        installed = False
    if _interrupted_early:  # (after the swap: one pending at it went to note_interrupt)
        event.set()
    try:
        yield event
    finally:
        if installed:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def _event_loop_runner(spec: dict[str, Any]) -> Any:
    if spec.get("uvloop"):
        import uvloop  # bench_main checked that it is installed

        return uvloop.run
    return asyncio.run


def run_in_process(spec: dict[str, Any], on_tick: Optional[TickHook] = None) -> Result:
    """One process's share of the load (also the body of a -p child)."""
    return _event_loop_runner(spec)(_load(spec, on_tick))  # type: ignore[no-any-return]


def _run_live(spec: dict[str, Any]) -> Result:
    async def tick(result: Result, started: float) -> None:
        view = LiveView(sys.stdout, result, spec["requests"], spec["duration"], started)
        try:
            await view.run()
        finally:
            view.erase()

    return run_in_process(spec, tick)


# --- several processes -------------------------------------------------------------------------


def _shares(spec: dict[str, Any], processes: int) -> list[dict[str, Any]]:
    """Split -c, -n and -q between processes (the parts add up to the whole exactly)."""
    shares = []
    for index in range(processes):
        share = dict(spec)
        share["connections"] = max(1, spec["connections"] // processes + (index < spec["connections"] % processes))
        if spec["requests"] is not None:
            share["requests"] = spec["requests"] // processes + (index < spec["requests"] % processes)
        if spec["rate"]:
            share["rate"] = spec["rate"] / processes
        shares.append(share)
    return [share for share in shares if share["requests"] != 0]


def _run_processes(spec: dict[str, Any], processes: int, live: bool) -> Result:
    children = []
    for share in _shares(spec, processes):
        child = subprocess.Popen([sys.executable, "-m", "fasthttp.cli.bench_worker"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdin is not None
        child.stdin.write(json.dumps(dict(share, ticks=live)))
        child.stdin.close()
        children.append(child)
    latest: list[Optional[Result]] = [None] * len(children)
    finals: list[Optional[Result]] = [None] * len(children)

    def read(index: int, child: "subprocess.Popen[str]") -> None:
        assert child.stdout is not None
        for line in child.stdout:
            kind, _, payload = line.partition(" ")
            if kind == "TICK":
                latest[index] = Result.from_wire(json.loads(payload))
            elif kind == "RESULT":
                finals[index] = Result.from_wire(json.loads(payload))

    def forward_interrupt(signum: int, frame: Any) -> None:
        # The children stop, report what they have, and the parent merges it as usual.
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, forward_interrupt)
    readers = [threading.Thread(target=read, args=(i, c), daemon=True) for i, c in enumerate(children)]
    for reader in readers:
        reader.start()
    view: Optional[LiveView] = None
    try:
        while any(reader.is_alive() for reader in readers):
            alive = next(reader for reader in readers if reader.is_alive())
            alive.join(1.0 / REDRAWS_PER_SECOND)
            if live and any(part is not None for part in latest):
                merged = Result(spec["client"])
                for part in latest:
                    if part is not None:
                        merged.merge(part)
                if view is None:  # the children's clocks started about one tick ago
                    started = time.perf_counter() - TICK_INTERVAL
                    view = LiveView(sys.stdout, merged, spec["requests"], spec["duration"], started)
                view.show(merged)
    finally:
        if view is not None:
            view.erase()
        for child in children:
            child.wait(timeout=600)
        signal.signal(signal.SIGINT, previous)
    merged = Result(spec["client"])
    for index, (part, child) in enumerate(zip(finals, children)):
        if part is None:
            raise RuntimeError(f"client process {index + 1} of {len(children)} exited with status "
                               f"{child.returncode} without a result")
        merged.merge(part)
    return merged


def _run(spec: dict[str, Any], options: BenchOptions) -> Result:
    if options.processes > 1:
        return _run_processes(spec, options.processes, options.live)
    if options.live:
        return _run_live(spec)
    return run_in_process(spec)


# --- the command -------------------------------------------------------------------------------


def _spec(options: BenchOptions, url: str, client: str) -> dict[str, Any]:
    return {
        "client": client, "url": url, "connections": options.connections,
        "requests": options.requests, "duration": options.duration, "rate": options.rate,
        "latency_correction": options.latency_correction, "method": options.method,
        "headers": options.headers, "body": options.body.hex() if options.body is not None else None,
        "disable_keepalive": options.disable_keepalive, "insecure": options.insecure,
        "timeout": options.timeout, "uvloop": options.uvloop,
    }


def _compare(options: BenchOptions, url: str) -> tuple[Result, Result, Comparison]:
    """--compare: rounds of both clients, alternating which goes first to cancel out drift."""
    ours, theirs, comparison = Result("fasthttp"), Result("aiohttp"), Comparison()
    for round_index in range(options.rounds):
        order = ("fasthttp", "aiohttp") if round_index % 2 == 0 else ("aiohttp", "fasthttp")
        runs: dict[str, Result] = {}
        for client in order:
            runs[client] = _run(_spec(options, url, client), options)
            if runs[client].interrupted:
                break
        if len(runs) < 2 or any(run.interrupted for run in runs.values()):
            ours.interrupted = True  # Ctrl-C: the figures are those of the rounds completed
            break
        comparison.add(runs["fasthttp"], runs["aiohttp"])
        ours.merge(runs["fasthttp"], sequential=True)
        theirs.merge(runs["aiohttp"], sequential=True)
    return ours, theirs, comparison


def _error(message: str) -> int:
    print(f"fasthttp bench: error: {message}", file=sys.stderr)
    return 1


def bench_main(argv: Sequence[str]) -> int:
    try:
        options = parse_options(argv)
    except UsageError as exc:
        return _error(str(exc))
    if options.compare:
        try:
            import aiohttp  # noqa: F401  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return _error("--compare needs aiohttp installed (pip install aiohttp)")
    if options.uvloop:
        try:
            import uvloop  # noqa: F401
        except ImportError:
            return _error("--uvloop needs uvloop installed (pip install uvloop)")
    server = None
    if options.url is None:
        from .bench_target import EmbeddedServer

        try:
            server = EmbeddedServer()
        except Exception as exc:
            return _error(f"the embedded server did not start: {exc}")
        url = server.url
        target = f"{url} (embedded fasthttp.web server)"
    else:
        from .request_cmd import normalize_url

        url = target = normalize_url(options.url)
    theirs: Optional[Result] = None
    comparison: Optional[Comparison] = None
    try:
        if options.compare:
            ours, theirs, comparison = _compare(options, url)
        else:
            ours = _run(_spec(options, url, "fasthttp"), options)
    except KeyboardInterrupt:
        return _error("interrupted")
    except Exception as exc:
        return _error(f"{type(exc).__name__}: {exc}")
    finally:
        if server is not None:
            server.stop()
    if comparison is not None and not comparison.rounds:
        print("fasthttp bench: interrupted (Ctrl-C) before the first round of --compare completed",
              file=sys.stderr)
        return 130
    return _report(options, url, target, ours, theirs, comparison)


def _report(options: BenchOptions, url: str, target: str, ours: Result,
            theirs: Optional[Result], comparison: Optional[Comparison]) -> int:
    failed = not ours.latency.count and (ours.errors or ours.aborted) and not ours.interrupted
    if options.as_json:
        report: dict[str, Any] = {
            "target": url, "connections": options.connections, "processes": options.processes,
            "rate": options.rate, "latency_correction": options.latency_correction,
            "fasthttp": ours.summary(),
        }
        if theirs is not None and comparison is not None:
            report["aiohttp"] = theirs.summary()
            report.update(comparison.to_json())
        print(json.dumps(report, indent=2))
    elif not failed:
        from ..http import IMPLEMENTATION

        rounds = options.rounds if comparison is not None else 1
        print(format_result(ours, target, options.connections, options.processes, IMPLEMENTATION, rounds))
        if theirs is not None and comparison is not None:
            print()
            print(format_result(theirs, target, options.connections, options.processes, None, rounds))
            print()
            print(format_comparison(comparison))
    if ours.interrupted:
        what = "the rounds completed until then" if comparison is not None else "the requests until then"
        print(f"fasthttp bench: interrupted (Ctrl-C): the summary covers {what}", file=sys.stderr)
        return 130
    if failed:
        why = reasons_line(ours.errors) if ours.errors else (
            f"no answer before the -z deadline ({ours.aborted} requests in flight were aborted)")
        return _error(f"every request failed against {url}: {why}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(bench_main(sys.argv[1:]))
