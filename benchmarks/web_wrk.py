"""wrk against fasthttp.web and aiohttp.web serving the same handlers; a report, never an assertion.

Each server runs in its own subprocess (one process, the default asyncio event loop, access log
off) with the same two handlers:

- `/hello`: `web.Response(text="Hello, World!")`
- `/json`:  `web.json_response({"message": "Hello, World!", "id": 1, "ok": True})`

A third server is the ceiling row: a bare asyncio.Protocol (canned_server.py's CannedProtocol,
same default loop, one process) answering those two requests with prebuilt bytes of the same
status, Content-Type and body (Date and Server too, the Date rebuilt once a second). Its row
gives its requests/s and fasthttp.web's share of them.

For each round, for each handler, `wrk -t1 -c64 -d<duration>s` (keep-alive) runs against each
server in turn, the order alternating between rounds so neither server always goes first. The
table gives the median requests/s over the rounds and the ratio fasthttp.web / aiohttp.web, both
of the medians and as the median of each round's ratio (the two servers run back to back within a
round, so a machine that changes speed between rounds affects both sides of that ratio alike).

    python benchmarks/web_wrk.py                    # 3 rounds of 5 s per server and handler
    python benchmarks/web_wrk.py --rounds 5 --duration 10 --output results.md
    python benchmarks/web_wrk.py --access-log on    # both servers log each request (to /dev/null)
    python benchmarks/web_wrk.py --pin              # servers on CPU 0, wrk on CPU 1

`--access-log on` gives each server its access logger (`aiohttp.access` for aiohttp.web, the
same-named logger for fasthttp.web) at INFO with one handler writing to /dev/null, and the
default format: what a production service pays for its access log, formatting included.

Before timing, each server's answers are fetched once and compared (status, body): a server
that answers wrongly is reported, not benchmarked.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Optional

import server_process  # noqa: E402  (beside this file: run as a script)
from server_process import stop_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
HANDLERS = {"hello": "/hello", "json": "/json"}
SERVERS = ("fasthttp", "aiohttp", "raw")
EXPECTED = {"/hello": b"Hello, World!", "/json": b'{"message": "Hello, World!", "id": 1, "ok": true}'}


# --- the server side (run in a subprocess: web_wrk.py --serve NAME --port N) -------------------


def serve_raw(port: int) -> None:
    """The ceiling: canned_server's bare protocol with the two answers prebuilt."""
    import asyncio
    import signal

    import canned_server as canned  # beside this file

    hello = EXPECTED["/hello"]
    json_body = EXPECTED["/json"]

    class WrkCanned(canned.CannedProtocol):
        __slots__ = ()
        answers: dict[bytes, bytes] = {}  # request line -> the whole response

        def _handle(self, head: bytes) -> None:
            line_end = head.find(b"\r\n")
            answer = WrkCanned.answers.get(head if line_end < 0 else head[:line_end])
            if answer is None:
                super()._handle(head)
            else:
                self.transport.write(answer)

    def rebuild() -> None:
        canned._Clock.tick()
        WrkCanned.answers = {
            b"GET /hello HTTP/1.1": canned._head(b"200 OK", b"text/plain; charset=utf-8", len(hello)) + hello,
            b"GET /json HTTP/1.1": canned._head(b"200 OK", b"application/json; charset=utf-8", len(json_body))
            + json_body,
        }

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def tick() -> None:
            rebuild()
            loop.call_later(1.0, tick)

        tick()
        server = await loop.create_server(WrkCanned, HOST, port, backlog=1024, reuse_address=True)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        server.close()

    asyncio.run(main())


def serve(name: str, port: int) -> None:
    # Every server in glibc's fast mode (malloc_modes.py), so one reading 256 KiB at a time
    # (aiohttp.web) does not pay an mmap per request in one run and not in the next.
    from malloc_modes import start_in_fast_mode  # beside this file

    start_in_fast_mode()
    if name == "raw":
        serve_raw(port)
        return
    if name == "fasthttp":
        sys.path.insert(0, str(ROOT))
        from fasthttp import web  # type: ignore[no-redef]
    else:
        from aiohttp import web  # type: ignore[no-redef]

    async def hello(request: "web.Request") -> "web.Response":
        return web.Response(text="Hello, World!")

    async def json_handler(request: "web.Request") -> "web.Response":
        return web.json_response({"message": "Hello, World!", "id": 1, "ok": True})

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/json", json_handler)
    access_log = None
    if os.environ.get("WEB_WRK_ACCESS_LOG") == "on":
        import logging

        access_log = logging.getLogger("aiohttp.access" if name == "aiohttp" else "fasthttp.access")
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
        access_log.addHandler(logging.FileHandler(os.devnull))
    web.run_app(app, host=HOST, port=port, access_log=access_log, print=None)


# --- the driver ----------------------------------------------------------------------------------


def start_server(name: str, access_log: str, pin: bool) -> tuple[subprocess.Popen[bytes], int]:
    proc, port = server_process.start_server(__file__, name, dict(os.environ, WEB_WRK_ACCESS_LOG=access_log))
    if pin:
        os.sched_setaffinity(proc.pid, {0})
    return proc, port


def check(name: str, port: int, content_types: dict[str, str]) -> Optional[str]:
    """Whether the server answers as expected: status, body, and the same Content-Type as the
    servers checked before it (noted in content_types)."""
    for path, body in EXPECTED.items():
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as resp:
            got = resp.read()
            ctype = resp.headers.get("Content-Type", "")
            if resp.status != 200 or got != body:
                return f"{name} {path}: {resp.status} {got!r}"
            if content_types.setdefault(path, ctype) != ctype:
                return f"{name} {path}: Content-Type {ctype!r}, not {content_types[path]!r}"
    return None


_RPS = re.compile(r"Requests/sec:\s+([0-9.]+)")
_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")


def run_wrk(
    port: int, path: str, duration: float, connections: int, threads: int, pin: bool = False
) -> tuple[float, str]:
    seconds = max(1, round(duration))  # wrk takes whole seconds
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"http://{HOST}:{port}{path}"]
    if pin:
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30).stdout
    match = _RPS.search(out)
    if match is None:
        raise SystemExit(f"wrk output not understood:\n{out}")
    errors = "; ".join(m.group(0) for m in _ERRORS.finditer(out))
    return float(match.group(1)), errors


def versions() -> dict[str, str]:
    import aiohttp

    sys.path.insert(0, str(ROOT))
    import fasthttp
    from fasthttp import http as fasthttp_http

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()
    return {
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "fasthttp": f"{fasthttp.__version__} (parser twin: {fasthttp_http.IMPLEMENTATION})",
        "aiohttp": aiohttp.__version__,
        "wrk": wrk[0] if wrk else "?",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk per server and handler before timing")
    parser.add_argument("--output", help="also write the Markdown report to this file")
    parser.add_argument("--access-log", choices=("off", "on"), default="off")
    parser.add_argument("--pin", action="store_true", help="servers on CPU 0, wrk on CPU 1")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")

    servers = {name: start_server(name, args.access_log, args.pin) for name in SERVERS}
    results: dict[tuple[str, str], list[float]] = {}
    notes: list[str] = []
    content_types: dict[str, str] = {}
    try:
        for name, (_, port) in servers.items():
            problem = check(name, port, content_types)
            if problem:
                raise SystemExit(f"wrong answer, not benchmarking: {problem}")
            for path in HANDLERS.values():
                run_wrk(port, path, args.warmup, args.connections, args.threads, args.pin)
        for round_no in range(args.rounds):
            order = SERVERS if round_no % 2 == 0 else SERVERS[::-1]
            for handler, path in HANDLERS.items():
                for name in order:
                    rps, errors = run_wrk(
                        servers[name][1], path, args.duration, args.connections, args.threads, args.pin
                    )
                    results.setdefault((handler, name), []).append(rps)
                    line = f"round {round_no + 1}/{args.rounds} {handler:5} {name:8} {rps:10.0f} req/s"
                    print(line + (f"  ({errors})" if errors else ""), file=sys.stderr, flush=True)
                    if errors:
                        notes.append(f"{name} {handler} round {round_no + 1}: {errors}")
    finally:
        for proc, _ in servers.values():
            stop_server(proc)

    lines = [
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, keep-alive; access log "
        f"{args.access_log}{'; servers on CPU 0, wrk on CPU 1' if args.pin else ''}; "
        f"median of {args.rounds} rounds (servers alternating), requests/s",
        "",
        "| handler | fasthttp.web | aiohttp.web | fasthttp / aiohttp | same round, median | all fasthttp runs | all aiohttp runs |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    medians = {key: statistics.median(runs) for key, runs in results.items()}
    for handler in HANDLERS:
        ours = results[(handler, "fasthttp")]
        theirs = results[(handler, "aiohttp")]
        m_ours, m_theirs = medians[(handler, "fasthttp")], medians[(handler, "aiohttp")]
        lines.append(
            f"| {handler} | {m_ours:,.0f} | {m_theirs:,.0f} | {m_ours / m_theirs:.2f}x | "
            f"{statistics.median(a / b for a, b in zip(ours, theirs)):.2f}x | "
            f"{', '.join(f'{x:,.0f}' for x in ours)} | {', '.join(f'{x:,.0f}' for x in theirs)} |"
        )
    lines += [
        "",
        "Ceiling: a bare asyncio.Protocol answering with prebuilt bytes (same loop, one process)",
        "",
        "| handler | raw asyncio | fasthttp.web / raw | aiohttp.web / raw | all raw runs |",
        "|---|---:|---:|---:|---|",
    ]
    for handler in HANDLERS:
        m_raw = medians[(handler, "raw")]
        lines.append(
            f"| {handler} | {m_raw:,.0f} | {medians[(handler, 'fasthttp')] / m_raw:.0%} | "
            f"{medians[(handler, 'aiohttp')] / m_raw:.0%} | "
            f"{', '.join(f'{x:,.0f}' for x in results[(handler, 'raw')])} |"
        )
    lines.append("")
    lines.append("; ".join(f"{k}: {v}" for k, v in versions().items()))
    if notes:
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
    report = "\n".join(lines)
    print(report)
    if args.output:
        Path(args.output).write_text(f"{time.strftime('%Y-%m-%d %H:%M')}\n\n{report}\n")


if __name__ == "__main__":
    main()
