"""Memory check: a 1 GiB streamed download, read slowly, must not grow resident memory much.

    python benchmarks/memory_check.py [--clients fasthttp-compiled,fasthttp-pure,aiohttp]
                                      [--size 1GiB] [--every 16] [--sleep 0.02] [--loop asyncio]

Issue 3's acceptance: "A 1 GiB streamed download read slowly grows resident memory by less than
32 MiB". The canned server (canned_server.py, its own process, on uvloop) streams
`GET /stream?size=1GiB` as fast as the transport's flow control lets it; each client runs in a
fresh process of its own and reads the body with
`async for chunk in resp.content.iter_chunked(65536)`, sleeping `--sleep` seconds every
`--every` pieces (by default 20 ms per MiB: at most ~50 MiB/s, far slower than the server can
send, so without flow control the body would pile up in the client). The client samples its own
resident memory (VmRSS in /proc/self/status) before the request (after a 1 MiB warm-up download
on the same session and a gc.collect()) and after every `--every` pieces, and reports the start
RSS, the peak sampled RSS, the growth (peak - start), VmHWM, and whether the growth is under
the 32 MiB limit.

It reports, it does not assert: the exit status is 0 whatever the figures (a client that fails
or reads an incomplete body is reported as such). Linux only (/proc). Default run: about a
minute and a half on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
if importlib.util.find_spec("fasthttp") is None:  # the checkout's fasthttp, as conftest.py does
    sys.path.insert(0, str(HERE.parent))

from canned_server import CannedServer, parse_size  # noqa: E402

LIMIT_MIB = 32
CHUNK = 65536
CLIENTS = ("fasthttp-compiled", "fasthttp-pure", "aiohttp")
# A negative control, only on request (--clients unbounded --size 256MiB): a raw asyncio.Protocol
# that never pauses reading and queues everything it receives for the same slow reader. It
# shows that the check does see a client without flow control (its RSS grows with the body).
CONTROLS = ("unbounded",)


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def rss_kib() -> int:
    return _status_kib("VmRSS")


async def _download(mod: Any, url: str, size: int, every: int, pause: float) -> dict[str, Any]:
    async with mod.ClientSession() as session:
        # Warm-up: connection open, code paths and buffers touched once.
        async with session.get(f"{url}/stream?size=1MiB") as resp:
            async for _ in resp.content.iter_chunked(CHUNK):
                pass
        gc.collect()
        start = rss_kib()
        peak = start
        samples = 0
        total = pieces = 0
        t0 = time.perf_counter()
        async with session.get(f"{url}/stream?size={size}") as resp:
            status = resp.status
            async for chunk in resp.content.iter_chunked(CHUNK):
                total += len(chunk)
                pieces += 1
                if pieces % every == 0:
                    rss = rss_kib()
                    samples += 1
                    if rss > peak:
                        peak = rss
                    if pause:
                        await asyncio.sleep(pause)
        elapsed = time.perf_counter() - t0
        end = rss_kib()
        peak = max(peak, end)
        return {
            "status": status,
            "bytes": total,
            "pieces": pieces,
            "seconds": elapsed,
            "start_kib": start,
            "peak_kib": peak,
            "end_kib": end,
            "hwm_kib": _status_kib("VmHWM"),
            "samples": samples,
        }


async def _download_unbounded(url: str, size: int, every: int, pause: float) -> dict[str, Any]:
    import collections

    from yarl import URL

    u = URL(url)
    loop = asyncio.get_running_loop()
    queue: collections.deque[bytes] = collections.deque()
    wake: list[Optional[asyncio.Future[None]]] = [None]

    class Unbounded(asyncio.Protocol):
        def data_received(self, data: bytes) -> None:
            queue.append(data)
            if wake[0] is not None and not wake[0].done():
                wake[0].set_result(None)

    transport, _ = await loop.create_connection(Unbounded, u.host, u.port)
    gc.collect()
    start = peak = rss_kib()
    samples = total = pieces = 0
    t0 = time.perf_counter()
    transport.write(f"GET /stream?size={size} HTTP/1.1\r\nHost: {u.host}\r\n\r\n".encode())
    buf = bytearray()
    head_done = False
    while total < size:
        while not queue:
            wake[0] = loop.create_future()
            await wake[0]
        buf += queue.popleft()
        if not head_done:
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                continue
            del buf[: i + 4]
            head_done = True
        while len(buf) >= CHUNK or (buf and total + len(buf) >= size):
            piece = bytes(buf[:CHUNK])
            del buf[:CHUNK]
            total += len(piece)
            pieces += 1
            if pieces % every == 0:
                samples += 1
                peak = max(peak, rss_kib())
                if pause:
                    await asyncio.sleep(pause)
    elapsed = time.perf_counter() - t0
    end = rss_kib()
    transport.close()
    return {
        "status": 200, "bytes": total, "pieces": pieces, "seconds": elapsed, "start_kib": start,
        "peak_kib": max(peak, end), "end_kib": end, "hwm_kib": _status_kib("VmHWM"), "samples": samples,
    }


def worker(client: str, url: str, size: int, every: int, pause: float, loop_kind: str) -> int:
    mod: Any = None
    if client == "unbounded":
        pass
    elif client.startswith("fasthttp"):
        import fasthttp as mod
        import fasthttp.http

        impl = fasthttp.http.IMPLEMENTATION
        want = "cython" if client == "fasthttp-compiled" else "python"
        if impl != want:
            print(json.dumps({"error": f"got fasthttp's {impl} twin, wanted {want}"}))
            return 0
    else:
        import aiohttp as mod
    if loop_kind == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    try:
        if client == "unbounded":
            result = loop.run_until_complete(_download_unbounded(url, size, every, pause))
        else:
            result = loop.run_until_complete(_download(mod, url, size, every, pause))
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        result = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        loop.close()
    print(json.dumps(result), flush=True)
    return 0


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", default=",".join(CLIENTS), help=f"comma-separated, from {CLIENTS}")
    ap.add_argument("--size", default="1GiB", help="body size (suffixes KiB, MiB, GiB)")
    ap.add_argument("--every", type=int, default=16, help="sample RSS and sleep every N pieces of 64 KiB")
    ap.add_argument("--sleep", type=float, default=0.02, help="seconds to sleep every N pieces")
    ap.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    size = parse_size(args.size)
    if size is None:
        ap.error(f"bad --size {args.size!r}")
    if args.worker:
        return worker(args.worker, args.url, size, args.every, args.sleep, args.loop)

    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    for c in clients:
        if c not in CLIENTS + CONTROLS:
            ap.error(f"unknown client {c!r}; choose from {CLIENTS + CONTROLS}")
    print(
        f"memory check: GET /stream?size={args.size} ({size:,} bytes), read in 64 KiB pieces, "
        f"sleep {args.sleep * 1000:g} ms every {args.every} pieces, {args.loop} loop; "
        f"limit: growth < {LIMIT_MIB} MiB",
        flush=True,
    )
    rows: list[tuple[str, dict[str, Any]]] = []
    with CannedServer(lifetime=1800) as srv:
        for client in clients:
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
            env.pop("FASTHTTP_NO_EXTENSIONS", None)
            if client == "fasthttp-pure":
                env["FASTHTTP_NO_EXTENSIONS"] = "1"
            cmd = [
                sys.executable, str(Path(__file__).resolve()), "--worker", client, "--url", srv.url,
                "--size", str(size), "--every", str(args.every), "--sleep", str(args.sleep),
                "--loop", args.loop,
            ]
            print(f"==> {client} ...", flush=True)
            try:
                proc = subprocess.run(
                    cmd, cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=900
                )
                lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
                res = json.loads(lines[-1]) if lines else {
                    "error": f"worker exited {proc.returncode}: {proc.stderr.strip()[-500:]}"
                }
            except subprocess.TimeoutExpired:
                res = {"error": "worker timed out after 900 s"}
            rows.append((client, res))
            _print_one(client, res, size)

    print()
    print("| client | start RSS | peak RSS | growth | VmHWM | time | read rate | growth < 32 MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for client, r in rows:
        if "error" in r:
            err = " ".join(str(r["error"]).split())[-200:]
            print(f"| {client} | error: {err} | | | | | | |")
            continue
        growth = r["peak_kib"] - r["start_kib"]
        ok = r["bytes"] == size and growth < LIMIT_MIB * 1024
        print(
            f"| {client} | {_mib(r['start_kib'])} | {_mib(r['peak_kib'])} | {_mib(growth)} | "
            f"{_mib(r['hwm_kib'])} | {r['seconds']:.1f} s | {r['bytes'] / 1048576 / r['seconds']:.0f} MiB/s | "
            f"{'yes' if ok else 'NO'} |"
        )
    return 0


def _print_one(client: str, r: dict[str, Any], size: int) -> None:
    if "error" in r:
        print(f"    {client}: ERROR {r['error']}", flush=True)
        return
    growth = r["peak_kib"] - r["start_kib"]
    complete = r["bytes"] == size and r["status"] == 200
    print(
        f"    {client}: status {r['status']}, {r['bytes']:,} bytes in {r['pieces']:,} pieces "
        f"({'complete' if complete else 'INCOMPLETE'}), {r['seconds']:.1f} s; RSS start "
        f"{_mib(r['start_kib'])}, peak {_mib(r['peak_kib'])} ({r['samples']} samples), end "
        f"{_mib(r['end_kib'])}, growth {_mib(growth)} -> "
        f"{'under' if growth < LIMIT_MIB * 1024 else 'NOT under'} {LIMIT_MIB} MiB",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
