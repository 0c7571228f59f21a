"""Ping flood: a WebSocket peer that sends pings as fast as it can and never reads.

    python benchmarks/ws_ping_flood.py [--seconds 5] [--payload 16] [--cap-mib 1024]
                                       [--targets fasthttp-server,aiohttp-server,...]

Issue 9 item 5's measurement. Every automatic reply (pong) a side writes to a peer that does
not read stays in that side's memory unless something bounds it. For each target, the side
under test runs in a fresh process of its own (127.0.0.1 only):

- `*-server`: a web application whose handler is `async for msg in ws: pass` (fasthttp.web or
  aiohttp.web); this process connects, completes the upgrade, and floods masked pings;
- `*-client`: `session.ws_connect(url)` then `async for msg in ws: pass` (fasthttp or aiohttp);
  this process is the server: it answers the upgrade and floods unmasked pings.

After the upgrade the flooder writes pings for `--seconds` (each write waits for its transport to
drain, so the flooder only sends what the side under test reads) and never reads a byte. The
target's resident memory is read from /proc/PID/status: VmRSS once the connection is up (start),
and VmHWM (its peak) at the end; the flood stops early when VmRSS passes `--cap-mib` (shown
as ">cap"). The table gives start, peak, growth and how many MiB of pings the target took in.
fasthttp runs with both codec twins (`fasthttp-*` compiled, `fasthttp-pure-*` with
FASTHTTP_NO_EXTENSIONS=1). It reports, it does not assert. Linux only (/proc). Default run: about
40 seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
TARGETS = (
    "fasthttp-server",
    "fasthttp-pure-server",
    "aiohttp-server",
    "fasthttp-client",
    "fasthttp-pure-client",
    "aiohttp-client",
)
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MASK = b"\x37\xfa\x21\x3d"


# --- the side under test (child process) ----------------------------------------------------------


async def _serve(lib: str) -> None:
    """A WebSocket handler that receives every message (so autoping runs on both libraries)."""
    if lib == "aiohttp":
        from aiohttp import web
    else:
        from fasthttp import web  # type: ignore[no-redef]

    async def handler(request: Any) -> Any:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    print(port, flush=True)
    await asyncio.sleep(3600)


async def _connect(lib: str, url: str) -> None:
    if lib == "aiohttp":
        import aiohttp
    else:
        import fasthttp as aiohttp  # type: ignore[no-redef]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, compress=0) as ws:
            async for _ in ws:
                pass


def child(role: str, url: Optional[str]) -> None:
    lib = "aiohttp" if role.startswith("aiohttp") else "fasthttp"
    if role.endswith("-server"):
        asyncio.run(_serve(lib))
    else:
        assert url is not None
        asyncio.run(_connect(lib, url))


# --- the flooder (this process) -------------------------------------------------------------------


def _ping(payload: bytes, masked: bool) -> bytes:
    if not masked:
        return bytes((0x89, len(payload))) + payload
    body = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return bytes((0x89, 0x80 | len(payload))) + MASK + body


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


class Result:
    def __init__(self, target: str) -> None:
        self.target = target
        self.start_kib = -1
        self.peak_kib = -1
        self.sent = 0
        self.capped = False
        self.error = ""


async def _flood(writer: asyncio.StreamWriter, pid: int, args: argparse.Namespace, masked: bool,
                 result: Result) -> None:
    blob = _ping(b"p" * args.payload, masked) * max(1, 65536 // (args.payload + 6))
    result.start_kib = _status_kib(pid, "VmRSS")
    cap_kib = args.cap_mib * 1024
    deadline = time.monotonic() + args.seconds
    next_check = 0.0
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if now >= next_check:
            next_check = now + 0.05
            if _status_kib(pid, "VmRSS") > cap_kib:
                result.capped = True
                break
        writer.write(blob)
        try:
            await asyncio.wait_for(writer.drain(), min(0.1, deadline - now))
        except asyncio.TimeoutError:
            pass  # the target is not reading: keep watching it until the deadline
        except ConnectionError as exc:
            result.error = f"connection lost: {exc!r}"
            break
        result.sent += len(blob)
    result.sent -= writer.transport.get_write_buffer_size()
    result.peak_kib = _status_kib(pid, "VmHWM")


def _child_cmd(role: str, url: Optional[str] = None) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if "-pure-" in role:
        env["FASTHTTP_NO_EXTENSIONS"] = "1"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", role]
    if url is not None:
        cmd += ["--url", url]
    return cmd, env


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)


async def against_server(role: str, args: argparse.Namespace) -> Result:
    result = Result(role)
    cmd, env = _child_cmd(role)
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(await asyncio.wait_for(proc.stdout.readline(), 20))
        reader, writer = await asyncio.open_connection(HOST, port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        )
        head = await _read_head(reader)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            result.error = f"no upgrade: {head[:60]!r}"
            return result
        await asyncio.sleep(0.2)  # let the target settle after the upgrade
        await _flood(writer, proc.pid, args, True, result)
        writer.transport.abort()
    except Exception as exc:  # report, do not assert
        result.error = repr(exc)
    finally:
        await _stop(proc)
    return result


async def against_client(role: str, args: argparse.Namespace) -> Result:
    result = Result(role)
    connected: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
        asyncio.get_running_loop().create_future()
    )

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        key = b""
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        import hashlib

        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        writer.write(
            ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode()
        )
        if not connected.done():
            connected.set_result((reader, writer))

    server = await asyncio.start_server(on_connection, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    cmd, env = _child_cmd(role, f"ws://{HOST}:{port}/")
    proc = await asyncio.create_subprocess_exec(*cmd, env=env)
    try:
        _, writer = await asyncio.wait_for(connected, 20)
        await asyncio.sleep(0.2)
        await _flood(writer, proc.pid, args, False, result)
        writer.transport.abort()
    except Exception as exc:
        result.error = repr(exc)
    finally:
        await _stop(proc)
        server.close()
    return result


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


def _mib(kib: int) -> str:
    return "?" if kib < 0 else f"{kib / 1024:,.1f}"


def render(results: list[Result], args: argparse.Namespace) -> str:
    lines = [
        f"Ping flood, {args.seconds:g} s per target, {args.payload}-byte pings, the flooder never reads "
        f"(RSS of the side under test, MiB)",
        "",
        "| target | start RSS | peak RSS | growth | pings taken in (MiB) | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        growth = "?" if r.start_kib < 0 or r.peak_kib < 0 else _mib(r.peak_kib - r.start_kib)
        note = ">cap" if r.capped else r.error
        lines.append(
            f"| {r.target} | {_mib(r.start_kib)} | {_mib(r.peak_kib)} | {growth} | "
            f"{r.sent / 2**20:,.1f} | {note} |"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    results = []
    for role in args.targets.split(","):
        if role not in TARGETS:
            raise SystemExit(f"unknown target {role!r}; choose among {', '.join(TARGETS)}")
        run = against_server if role.endswith("-server") else against_client
        results.append(await run(role, args))
    print(render(results, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--payload", type=int, default=16, help="ping payload bytes (0..125)")
    parser.add_argument("--cap-mib", type=int, default=1024, help="stop a flood past this RSS")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if not 0 <= ns.payload <= 125:
        raise SystemExit("--payload must be 0..125 (a control frame's limit)")
    if ns.child:
        child(ns.child, ns.url)
    else:
        asyncio.run(main(ns))
