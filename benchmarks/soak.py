"""Soak: many requests, then cancellations at random points; RSS and descriptors must not grow.

    python benchmarks/soak.py [--requests 50000] [--concurrent 50000] [--concurrency 64]
                              [--cancellations 3000] [--twins compiled,pure] [--seed N]
                              [--rss-tolerance-mib 8] [--json FILE]

For each twin ("compiled": the Cython modules; "pure": FASTHTTP_NO_EXTENSIONS=1) it starts a
fasthttp.web server (this file, --serve, its own process, the same twin) and a client process
(this file, --client) with one fasthttp ClientSession and the default ClientTimeout, all on
127.0.0.1:

1. start:        the client's loop runs, nothing sent yet;
2. warm-up:      --warmup sequential GETs (default 2,000);
3. sequential:   --requests sequential GETs and POSTs (every 8th a 4 KiB POST /echo);
4. concurrent:   --concurrent requests, --concurrency at a time;
5. cancelled:    --cancellations requests each cancelled after a random delay chosen so that
                 the cancellation lands at one of five points, in turn: while connecting (on a
                 connection of its own: a second session with force_close), while the head is
                 written, while the body is written (an async-generator body trickled by the
                 client), while waiting for the head (/slow-head answers after a delay), while
                 reading the body (/trickle sends it in pieces with delays); on new and pooled
                 connections alike;
6. end:          after every session is closed and gc.collect().

At each point the client measures its own resident memory (VmRSS) and open descriptors
(/proc/self/fd), and the server's (/proc/PID/status, /proc/PID/fd), after gc.collect() on its
side. The table gives them all. The exit status is 1 when, for any twin:

- the client's or the server's RSS at "concurrent" or "cancelled" exceeds its RSS at "warm-up"
  by more than --rss-tolerance-mib (default 8 MiB): growth after warm-up;
- the client's descriptors at "end" differ from "start" (a leaked socket survives close + gc).

Linux only (/proc). Default run: a few minutes per twin on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator, Optional

HERE = Path(__file__).resolve().parent
if importlib.util.find_spec("fasthttp") is None:  # the checkout's fasthttp
    sys.path.insert(0, str(HERE.parent))

PHASES = ("start", "warm-up", "sequential", "concurrent", "cancelled", "end")
POINTS = ("connect", "head write", "body write", "wait head", "read body")
MIB = 1024 * 1024


# --------------------------------------------------------------------------- measuring


def rss_kib(pid: str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fd_count(pid: str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# --------------------------------------------------------------------------- the server


def serve(port_file: Optional[str]) -> None:
    from fasthttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Hello, World!")

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    async def slow_head(request: web.Request) -> web.Response:
        await asyncio.sleep(int(request.query.get("ms", "20")) / 1000)
        return web.Response(text="late")

    async def trickle(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = 20 * 64
        await resp.prepare(request)
        for _ in range(20):
            await resp.write(b"t" * 64)
            await asyncio.sleep(0.001)
        await resp.write_eof()
        return resp

    async def stats(request: web.Request) -> web.Response:
        gc.collect()  # so that the figures do not depend on when the collector last ran
        return web.json_response({"rss_kib": rss_kib(), "fds": fd_count()})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", hello)
        app.router.add_post("/echo", echo)
        app.router.add_get("/slow-head", slow_head)
        app.router.add_get("/trickle", trickle)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(f"PORT {port}", flush=True)
        # Serve until stdin closes (the parent ended or died).
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


# --------------------------------------------------------------------------- the client


class Client:
    def __init__(self, port: int, server_pid: int, seed: int,
                 points: tuple[str, ...] = POINTS) -> None:
        self.points = points
        self.base = f"http://127.0.0.1:{port}"
        self.server_pid = str(server_pid)
        self.rng = random.Random(seed)
        self.figures: dict[str, dict[str, int]] = {}
        self.cancel_counts = {p: {"cancelled": 0, "completed": 0, "failed": 0} for p in POINTS}

    async def measure(self, phase: str, session: Any) -> None:
        gc.collect()
        server = {"rss_kib": rss_kib(self.server_pid), "fds": fd_count(self.server_pid)}
        if session is not None:  # the server's own figures after its gc.collect()
            async with session.get(self.base + "/stats") as resp:
                server = await resp.json()
        self.figures[phase] = {"client_rss_kib": rss_kib(), "client_fds": fd_count(),
                               "server_rss_kib": server["rss_kib"], "server_fds": server["fds"]}
        print(f"  {phase:<11} {self.figures[phase]}", file=sys.stderr, flush=True)

    async def one(self, session: Any, i: int) -> None:
        if i % 8 == 7:
            async with session.post(self.base + "/echo", data=b"p" * 4096) as resp:
                body = await resp.read()
                assert resp.status == 200 and len(body) == 4096, (resp.status, len(body))
        else:
            async with session.get(self.base + "/") as resp:
                body = await resp.read()
                assert resp.status == 200 and body == b"Hello, World!", (resp.status, body)

    async def sequential(self, session: Any, n: int) -> None:
        for i in range(n):
            await self.one(session, i)

    async def concurrent(self, session: Any, n: int, width: int) -> None:
        counter = iter(range(n))

        async def worker() -> None:
            for i in counter:  # shared iterator: n requests in all, bounded
                await self.one(session, i)

        await asyncio.gather(*(worker() for _ in range(width)))

    async def _trickled_body(self) -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"b" * 1024
            await asyncio.sleep(0.001)

    async def cancelled(self, pooled: Any, fresh: Any, n: int) -> None:
        points = self.points
        for i in range(n):
            point = points[i % len(points)]
            call: tuple[str, str, Optional[str]]
            # "connect" always needs a new connection; the others alternate new and pooled.
            session = fresh if point == "connect" or self.rng.random() < 0.5 else pooled
            if point == "connect":
                delay, call = self.rng.uniform(0, 0.0015), ("GET", "/", None)
            elif point == "head write":
                delay, call = self.rng.uniform(0, 0.0003), ("GET", "/", None)
            elif point == "body write":
                delay, call = self.rng.uniform(0.001, 0.02), ("POST", "/echo", "trickle")
            elif point == "wait head":
                delay, call = self.rng.uniform(0.001, 0.02), ("GET", "/slow-head?ms=25", None)
            else:
                delay, call = self.rng.uniform(0.002, 0.025), ("GET", "/trickle", None)
            task = asyncio.ensure_future(self._request(session, *call))
            await asyncio.sleep(delay)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                self.cancel_counts[point]["cancelled"] += 1
            except Exception:  # noqa: BLE001 - counted; the soak is about what is left behind
                self.cancel_counts[point]["failed"] += 1
            else:
                self.cancel_counts[point]["completed"] += 1

    async def _request(self, session: Any, method: str, path: str, body: Any) -> None:
        data = self._trickled_body() if body == "trickle" else None
        async with session.request(method, self.base + path, data=data) as resp:
            await resp.read()

    async def run(self, args: argparse.Namespace) -> None:
        import fasthttp

        await self.measure("start", None)
        # The default ClientTimeout (total and sock_connect set) unless --client-timeout says
        # otherwise (to tell a leak tied to it from one that is not).
        kw: dict[str, Any] = {
            "default": {},  # the library's own default
            "total": {"timeout": fasthttp.ClientTimeout(total=5 * 60)},
            "sock_connect": {"timeout": fasthttp.ClientTimeout(sock_connect=30)},
        }[args.client_timeout]
        session = fasthttp.ClientSession(**kw)
        fresh = fasthttp.ClientSession(connector=fasthttp.TCPConnector(force_close=True), **kw)
        try:
            t0 = time.monotonic()
            await self.sequential(session, args.warmup)
            await self.measure("warm-up", session)
            t1 = time.monotonic()
            await self.sequential(session, args.requests)
            t2 = time.monotonic()
            await self.measure("sequential", session)
            await self.concurrent(session, args.concurrent, args.concurrency)
            t3 = time.monotonic()
            await self.measure("concurrent", session)
            await self.cancelled(session, fresh, args.cancellations)
            t4 = time.monotonic()
            await self.measure("cancelled", session)
        finally:
            await session.close()
            await fresh.close()
        # Let the transports' close callbacks run: a closing socket may take a few loop turns
        # (or its write buffer's flush) to go; one that is still open after 2 s is leaked.
        start_fds = self.figures["start"]["client_fds"]
        for _ in range(40):
            gc.collect()
            if fd_count() <= start_fds:
                break
            await asyncio.sleep(0.05)
        await self.measure("end", None)
        self.timings = {"warm-up": t1 - t0, "sequential": t2 - t1, "concurrent": t3 - t2,
                        "cancelled": t4 - t3}


def client_main(args: argparse.Namespace) -> None:
    client = Client(args.port, args.server_pid, args.seed, tuple(args.points.split(",")))
    asyncio.run(client.run(args))
    import fasthttp.http

    print(json.dumps({"implementation": fasthttp.http.IMPLEMENTATION, "figures": client.figures,
                      "cancellations": client.cancel_counts, "seconds": client.timings}))


# --------------------------------------------------------------------------- orchestration


def twin_env(twin: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FASTHTTP_NO_EXTENSIONS", None)
    if twin == "pure":
        env["FASTHTTP_NO_EXTENSIONS"] = "1"
    return env


def run_twin(twin: str, args: argparse.Namespace) -> dict[str, Any]:
    env = twin_env(twin)
    server = subprocess.Popen([sys.executable, __file__, "--serve"], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the server did not start: {line!r}")
        port = int(line.split()[1])
        cmd = [sys.executable, __file__, "--client", "--port", str(port), "--server-pid",
               str(server.pid), "--seed", str(args.seed)]
        for name in ("warmup", "requests", "concurrent", "concurrency", "cancellations", "points",
                     "client_timeout"):
            cmd += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        print(f"{twin}: client and server on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True,
                             timeout=args.timeout)
        if out.returncode != 0:
            raise RuntimeError(f"the {twin} client failed (exit {out.returncode})")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return result
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def verdict(result: dict[str, Any], tolerance_kib: int) -> list[str]:
    f = result["figures"]
    problems = []
    for side in ("client", "server"):
        base = f["warm-up"][f"{side}_rss_kib"]
        for phase in ("sequential", "concurrent", "cancelled"):
            grown = f[phase][f"{side}_rss_kib"] - base
            if grown > tolerance_kib:
                problems.append(f"{side} RSS grew by {grown / 1024:.1f} MiB between warm-up and "
                                f"{phase} (tolerance {tolerance_kib / 1024:.0f} MiB)")
    leaked = f["end"]["client_fds"] - f["start"]["client_fds"]
    if leaked:
        problems.append(f"client descriptors: {f['start']['client_fds']} at start, "
                        f"{f['end']['client_fds']} after the cancellations, session.close() and "
                        f"gc ({leaked:+d})")
    return problems


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| twin | phase | client RSS MiB | client fds | server RSS MiB | server fds |",
             "|---|---|---:|---:|---:|---:|"]
    for twin, result in results.items():
        for phase in PHASES:
            row = result["figures"][phase]
            lines.append(f"| {twin} | {phase} | {row['client_rss_kib'] / 1024:.1f} | "
                         f"{row['client_fds']} | {row['server_rss_kib'] / 1024:.1f} | "
                         f"{row['server_fds']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--concurrent", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--cancellations", type=int, default=3000)
    parser.add_argument("--points", default=",".join(POINTS),
                        help="cancellation points to use, in turn (default: all five)")
    parser.add_argument("--client-timeout", choices=("default", "total", "sock_connect"),
                        default="default",
                        help="the client's ClientTimeout: the default one (total=300, "
                        "sock_connect=30), or only one of the two set")
    parser.add_argument("--twins", default="compiled,pure")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rss-tolerance-mib", type=float, default=8.0)
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds allowed to each client process")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args()
    if args.serve:
        serve(None)
        return 0
    if args.client:
        client_main(args)
        return 0
    results: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for twin in args.twins.split(","):
        results[twin] = run_twin(twin, args)
        failures += [f"{twin}: {p}" for p in verdict(results[twin],
                                                     int(args.rss_tolerance_mib * 1024))]
    print(table(results))
    for twin, result in results.items():
        secs = result["seconds"]
        print(f"\n{twin} ({result['implementation']}): "
              f"sequential {args.requests / secs['sequential']:.0f} req/s, "
              f"concurrent {args.concurrent / secs['concurrent']:.0f} req/s, "
              f"{args.cancellations} cancellations in {secs['cancelled']:.1f} s")
        for point, counts in result["cancellations"].items():
            print(f"  cancel while {point:<10}: {counts}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if failures:
        print("\nFAILED:\n" + "\n".join(f"  - {p}" for p in failures))
        return 1
    print("\nOK: no RSS growth after warm-up, client descriptors back to the start value.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
