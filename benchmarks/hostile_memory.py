"""Hostile peers against fasthttp.web and aiohttp.web: the server's peak memory, and how long it is held.

    python benchmarks/hostile_memory.py                        # every scenario, every server
    python benchmarks/hostile_memory.py --scenarios pipeline_flood --servers fasthttp,aiohttp
    python benchmarks/hostile_memory.py --flood-mib 64 --trickle-seconds 40

Each (scenario, server) pair gets a fresh server in a subprocess of its own (this file with
`--serve NAME`: the default asyncio loop, access log off) listening on 127.0.0.1, and the same
handlers on every server:

- `GET /`: a small text response;
- `POST /noread`: answers at once without reading the request body.

The driver samples the server's resident memory (VmRSS in /proc/PID/status) every 20 ms while
the scenario runs, and reads the kernel's own peak (VmHWM) at the end. The table gives the
server's RSS before the attack (after a warm-up request), its peak, the growth, and what the
scenario itself measured.

Scenarios (each bounded in time; traffic to 127.0.0.1 only):

- `pipeline_flood`: one client writes --flood-mib MiB of small pipelined GETs and never reads a
  response. A server that keeps reading queues every request (and its response); one that
  pauses reading stops the client's writes (its socket buffers fill), so "sent" is what the
  server took in within --flood-seconds.
- `trickled_body`: --trickle-connections clients each POST to `/noread` with a large
  Content-Length, then trickle one byte of the body every --trickle-interval seconds. The
  handler answers without reading the body; the server then drains it (or closes). "held" is
  how long the server kept each connection open after the head was sent (the median; ">N"
  when still open at the end of the observation, --trickle-seconds).

Adding a scenario: write `async def my_scenario(port: int, opts: argparse.Namespace) -> dict`
returning the figures to show (strings), and add it to SCENARIOS with a one-line description.
Memory is sampled around it by the driver; a scenario only attacks and measures its own
figures. A scenario needing another handler adds it to `serve()` for every server.

It reports, it never asserts: the exit status is 0 whatever the figures. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

import server_process  # noqa: E402  (beside this file: run as a script)
from server_process import stop_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVERS = ("fasthttp", "fasthttp-pure", "aiohttp")
DEFAULT_SERVERS = ("fasthttp", "aiohttp")


# --- the server side (run in a subprocess: hostile_memory.py --serve NAME --port N) ------------


def serve(name: str, port: int) -> None:
    if name.startswith("fasthttp"):
        sys.path.insert(0, str(ROOT))
        from fasthttp import web  # type: ignore[no-redef]
    else:
        from aiohttp import web  # type: ignore[no-redef]

    async def hello(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    async def noread(request: Any) -> Any:
        return web.Response(text="not reading your body")

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_post("/noread", noread)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None)


# --- the server process and its memory -----------------------------------------------------------


def start_server(name: str) -> tuple[subprocess.Popen[bytes], int]:
    env = dict(os.environ)
    env.pop("FASTHTTP_NO_EXTENSIONS", None)
    if name == "fasthttp-pure":
        env["FASTHTTP_NO_EXTENSIONS"] = "1"
    return server_process.start_server(__file__, name, env)


def status_kib(pid: int, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every `period` seconds until stopped; keeps the peak."""

    def __init__(self, pid: int, period: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.period = period
        self.peak_kib = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = status_kib(self.pid, "VmRSS")
            if rss > self.peak_kib:
                self.peak_kib = rss
            self._stop_event.wait(self.period)

    def stop(self) -> int:
        self._stop_event.set()
        self.join(5)
        return self.peak_kib


def warm_up(port: int) -> None:
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while sock.recv(65536):
            pass


# --- scenarios ------------------------------------------------------------------------------------


async def pipeline_flood(port: int, opts: argparse.Namespace) -> dict[str, str]:
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    block = request * (65536 // len(request))
    total = int(opts.flood_mib * 1024 * 1024)
    reader, writer = await asyncio.open_connection(HOST, port)
    sent = 0
    started = time.monotonic()
    deadline = started + opts.flood_seconds
    stalled = False
    try:
        while sent < total:
            left = deadline - time.monotonic()
            if left <= 0:
                stalled = True
                break
            writer.write(block)
            try:
                await asyncio.wait_for(writer.drain(), left)
            except asyncio.TimeoutError:
                stalled = True
                break
            except ConnectionError:
                break
            sent += len(block)
        # Give the server a moment to work through what it took in (its peak comes then).
        await asyncio.sleep(opts.settle)
    finally:
        writer.transport.abort()
    requests = sent // len(request)
    return {
        "sent": f"{sent / 2**20:.1f} MiB ({requests} requests)",
        "result": "server stopped reading" if stalled else "server took it all",
    }


async def trickled_body(port: int, opts: argparse.Namespace) -> dict[str, str]:
    head = (
        b"POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    observe = opts.trickle_seconds

    async def one() -> float:
        reader, writer = await asyncio.open_connection(HOST, port)
        started = time.monotonic()
        deadline = started + observe
        writer.write(head)

        async def drain_responses() -> None:
            while await reader.read(65536):
                pass

        closed = asyncio.ensure_future(drain_responses())
        try:
            while not closed.done() and time.monotonic() < deadline:
                try:
                    writer.write(b"x")
                    await writer.drain()
                except ConnectionError:
                    break
                await asyncio.wait(
                    [closed], timeout=min(opts.trickle_interval, max(0.0, deadline - time.monotonic()))
                )
            if closed.done():
                return time.monotonic() - started
            return float("inf")
        except ConnectionError:
            return time.monotonic() - started
        finally:
            closed.cancel()
            writer.transport.abort()

    held = await asyncio.gather(*(one() for _ in range(opts.trickle_connections)))
    finite = [h for h in held if h != float("inf")]
    still_open = len(held) - len(finite)
    if still_open * 2 > len(held):
        median = f">{observe:.0f} s"
    else:
        median = f"{statistics.median(sorted(held)):.1f} s"
    return {
        "held": median,
        "result": f"{len(finite)} closed by the server, {still_open} still open after {observe:.0f} s",
    }


Scenario = Callable[[int, argparse.Namespace], Awaitable[dict[str, str]]]

SCENARIOS: dict[str, tuple[Scenario, str]] = {
    "pipeline_flood": (pipeline_flood, "small pipelined GETs, responses never read"),
    "trickled_body": (trickled_body, "unread body trickled one byte at a time"),
}


# --- the driver ------------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    server: str
    start_mib: float
    peak_mib: float
    figures: dict[str, str] = field(default_factory=dict)


def run_one(scenario: str, server: str, opts: argparse.Namespace) -> Row:
    fn, _ = SCENARIOS[scenario]
    proc, port = start_server(server)
    try:
        warm_up(port)
        time.sleep(0.2)
        start = status_kib(proc.pid, "VmRSS")
        sampler = RssSampler(proc.pid)
        sampler.start()
        try:
            figures = asyncio.run(asyncio.wait_for(fn(port, opts), opts.scenario_timeout))
        except asyncio.TimeoutError:
            figures = {"result": f"scenario did not finish in {opts.scenario_timeout:.0f} s"}
        peak = max(sampler.stop(), status_kib(proc.pid, "VmHWM"))
    finally:
        stop_server(proc)
    return Row(scenario, server, start / 1024, peak / 1024, figures)


def render(rows: list[Row]) -> str:
    keys: list[str] = []
    for row in rows:
        for key in row.figures:
            if key not in keys:
                keys.append(key)
    header = ["scenario", "server", "RSS before (MiB)", "peak RSS (MiB)", "growth (MiB)", *keys]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            row.scenario, row.server, f"{row.start_mib:.1f}", f"{row.peak_mib:.1f}",
            f"{row.peak_mib - row.start_mib:.1f}", *(row.figures.get(k, "") for k in keys),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--servers", default=",".join(DEFAULT_SERVERS), help=f"from {','.join(SERVERS)}")
    parser.add_argument("--flood-mib", type=float, default=64.0)
    parser.add_argument("--flood-seconds", type=float, default=20.0, help="bound on the flood's writes")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to watch after the flood")
    parser.add_argument("--trickle-connections", type=int, default=20)
    parser.add_argument("--trickle-interval", type=float, default=2.0, help="seconds between trickled bytes")
    parser.add_argument("--trickle-seconds", type=float, default=30.0, help="how long to observe")
    parser.add_argument("--scenario-timeout", type=float, default=90.0)
    opts = parser.parse_args(argv)
    if opts.serve:
        serve(opts.serve, opts.port)
        return
    scenarios = [s for s in opts.scenarios.split(",") if s]
    servers = [s for s in opts.servers.split(",") if s]
    for name in scenarios:
        if name not in SCENARIOS:
            raise SystemExit(f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})")
    for name in servers:
        if name not in SERVERS:
            raise SystemExit(f"unknown server {name!r} (known: {', '.join(SERVERS)})")
    rows = []
    for scenario in scenarios:
        for server in servers:
            print(f"running {scenario} against {server} ...", file=sys.stderr, flush=True)
            rows.append(run_one(scenario, server, opts))
    print(render(rows))


if __name__ == "__main__":
    main()
