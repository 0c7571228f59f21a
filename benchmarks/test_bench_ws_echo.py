"""WebSocket echo benchmarks: fasthttp's client against aiohttp's, same server, same run.

The server is benchmarks/ws_echo.py, a raw echo server in its own process (uvloop when
available, the `websockets` C mask), so it is not the bottleneck. Two groups:

- ws-echo-text-32B: one round = 2000 sequential `send_str` (32 bytes) + `receive()`;
  round trips per second = 2000 / round time.
- ws-echo-binary-1MiB: one round = 16 sequential `send_bytes` (1 MiB) + `receive()`;
  MB/s = 16 MiB each way / round time.
- ws-echo-text-32B-window: the same 2000 messages with up to 64 in flight (one task sends
  while another receives, the sender waiting once 64 echoes are outstanding), as a client
  streaming messages would; round trips per second = 2000 / round time.

Sequential round trips are latency-bound: each one is a send, a process switch to the server,
its echo, and a wake-up of the client, so on a small machine both clients spend most of a round
trip in the kernel and the server, and their ratio stays near 1. The window shows what the
client itself costs per message.

compress=0 for both clients (the server does not negotiate permessage-deflate anyway). The
fasthttp twin is the one the process selected (FASTHTTP_NO_EXTENSIONS=1 for the pure one).
Benchmarks never assert a time; the echo contents are checked outside the timing. At the end
the medians and the ratio fasthttp/aiohttp are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any, Awaitable, Callable, Iterator

import aiohttp as aiohttp_ref
import pytest

import fasthttp
from fasthttp import websocket_codec

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT_BATCH = 2000
TEXT = "0123456789abcdefghijklmnopqrstuv"  # 32 bytes
WINDOW = 64
BIN_BATCH = 16
BINARY = os.urandom(1024) * 1024  # 1 MiB
MEDIANS: dict[tuple[str, str], float] = {}
CLIENTS = {
    f"fasthttp-{websocket_codec.IMPLEMENTATION}": fasthttp,
    "aiohttp": aiohttp_ref,
}


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "ws_echo.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"ws://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(5)
        _report()


def _report() -> None:
    if not MEDIANS:
        return
    lines = ["", "WebSocket echo (medians; server: benchmarks/ws_echo.py, own process)"]
    fast = f"fasthttp-{websocket_codec.IMPLEMENTATION}"
    for group, unit, work in (
        ("text", "round trips/s", TEXT_BATCH),
        ("window", "round trips/s", TEXT_BATCH),
        ("binary", "MB/s each way", BIN_BATCH * len(BINARY) / 1e6),
    ):
        row = {name: MEDIANS.get((group, name)) for name in CLIENTS}
        rates = {name: (work / t if t else None) for name, t in row.items()}
        parts = [f"{name}: {rate:,.0f} {unit}" for name, rate in rates.items() if rate]
        ratio = ""
        if rates.get(fast) and rates.get("aiohttp"):
            ratio = f"  ratio fasthttp/aiohttp = {rates[fast] / rates['aiohttp']:.2f}x"  # type: ignore[operator]
        lines.append(f"  {group:6s} " + ", ".join(parts) + ratio)
    print("\n".join(lines))


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


async def _open(module: Any, url: str) -> tuple[Any, Any]:
    session = module.ClientSession()
    ws = await session.ws_connect(url, compress=0, max_msg_size=4 * 1024 * 1024, autoping=True)
    return session, ws


async def _close(session: Any, ws: Any) -> None:
    await ws.close()
    await session.close()


async def _text_round(ws: Any) -> str:
    send = ws.send_str
    receive = ws.receive
    data = None
    for _ in range(TEXT_BATCH):
        await send(TEXT)
        data = (await receive()).data
    return data  # type: ignore[return-value]


async def _window_round(ws: Any) -> str:
    """TEXT_BATCH echoes with at most WINDOW unanswered; returns the last echo."""
    credits = asyncio.Semaphore(WINDOW)

    async def sender() -> None:
        for _ in range(TEXT_BATCH):
            await credits.acquire()
            await ws.send_str(TEXT)

    task = asyncio.ensure_future(sender())
    data = None
    try:
        for _ in range(TEXT_BATCH):
            data = (await ws.receive()).data
            credits.release()
    finally:
        await task
    return data  # type: ignore[return-value]


async def _binary_round(ws: Any) -> int:
    total = 0
    for _ in range(BIN_BATCH):
        await ws.send_bytes(BINARY)
        total += len((await ws.receive()).data)
    return total


def _bench_echo(benchmark: Any, loop: asyncio.AbstractEventLoop, url: str, client: str,
                key: str, round_fn: Callable[[Any], Awaitable[Any]], expected: Any, rounds: int) -> None:
    """One echo benchmark: open, check one round (also the warm-up), time `rounds` rounds."""
    session, ws = loop.run_until_complete(_open(CLIENTS[client], url))
    try:
        assert loop.run_until_complete(round_fn(ws)) == expected
        result = benchmark.pedantic(
            lambda: loop.run_until_complete(round_fn(ws)), rounds=rounds, iterations=1, warmup_rounds=1
        )
        assert result == expected
        MEDIANS[(key, client)] = benchmark.stats.stats.median
    finally:
        loop.run_until_complete(_close(session, ws))


@pytest.mark.parametrize("client", list(CLIENTS))
def test_echo_text_32b(benchmark: Any, loop: asyncio.AbstractEventLoop, echo_url: str, client: str) -> None:
    benchmark.group = "ws-echo-text-32B"
    benchmark.extra_info["messages_per_round"] = TEXT_BATCH
    _bench_echo(benchmark, loop, echo_url, client, "text", _text_round, TEXT, rounds=15)


@pytest.mark.parametrize("client", list(CLIENTS))
def test_echo_binary_1mib(benchmark: Any, loop: asyncio.AbstractEventLoop, echo_url: str, client: str) -> None:
    benchmark.group = "ws-echo-binary-1MiB"
    benchmark.extra_info["bytes_per_round_each_way"] = BIN_BATCH * len(BINARY)
    _bench_echo(benchmark, loop, echo_url, client, "binary", _binary_round, BIN_BATCH * len(BINARY), rounds=10)


@pytest.mark.parametrize("client", list(CLIENTS))
def test_echo_text_32b_window(benchmark: Any, loop: asyncio.AbstractEventLoop, echo_url: str, client: str) -> None:
    benchmark.group = "ws-echo-text-32B-window"
    benchmark.extra_info["messages_per_round"] = TEXT_BATCH
    benchmark.extra_info["window"] = WINDOW
    _bench_echo(benchmark, loop, echo_url, client, "window", _window_round, TEXT, rounds=15)
