"""Server per-request cost in one process: fasthttp.web against aiohttp.web, no sockets.

wrk (`web_wrk.py`) measures a whole server through the kernel, where the loop and the socket
calls are most of the time and two processes share the machine's two cores: a 1 µs change in
the server's own Python disappears in its noise. Here each server's protocol object is driven
directly: a fake transport hands it one keep-alive request (`data_received`) and collects the
response its `write` gets; the loop runs the handler. What is timed is everything the server
does per request above the socket: parsing, routing, the handler task, the Response, the head
and the write.

Groups (a benchmark per server; ratios within a group):

- `web-hello`: `GET /` answered `text/plain` "Hello, World!" by a plain handler;
- `web-hello-pipelined8`: the same request eight times in one read (a pipelining client).

BENCH_ACCESS_LOG=off|idle|on picks the access log set-up of both servers (off by default).

Each round serves ROUND requests; the time reported is per round (divide by ROUND for µs a
request: `run.py` does not know this suite, read pytest-benchmark's table). The fasthttp twin is
whichever this process imports (`FASTHTTP_NO_EXTENSIONS=1` for the pure one); the benchmark's
name says which. Every server's answer is checked once before timing. No time is asserted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Callable

import pytest

ROUND = 500
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
BODY = b"Hello, World!"


class _Transport(asyncio.Transport):
    """Collects what the server writes; wakes the driver once a response's bytes are in."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.waiter: Any = None
        self.wanted = 0

    def write(self, data: Any) -> None:
        self.written += len(data)
        if self.written >= self.wanted and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(name, default)

    def get_write_buffer_size(self) -> int:
        return 0

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high: Any = None, low: Any = None) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


async def _fasthttp_protocol() -> tuple[str, Any, Any]:
    from fasthttp import web
    from fasthttp.http import HttpRequestParser

    async def hello(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, handle_signals=False, **_access_log_kwargs())
    await runner.setup()
    twin = "cython" if HttpRequestParser.__module__.endswith("_parser") else "python"
    return f"fasthttp-{twin}", runner._make_protocol(), runner


async def _aiohttp_protocol() -> tuple[str, Any, Any]:
    from aiohttp import web

    async def hello(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, handle_signals=False, **_access_log_kwargs("aiohttp"))
    await runner.setup()
    assert runner.server is not None
    return "aiohttp", runner.server(), runner


def _access_log_kwargs(server: str = "fasthttp") -> dict[str, Any]:
    """BENCH_ACCESS_LOG: off (access_log=None, the default here), idle (the server's default
    access logger, not enabled for INFO: what an app that never configured logging has), or
    on (INFO enabled, lines formatted and handed to a handler that drops them)."""
    mode = os.environ.get("BENCH_ACCESS_LOG", "off")
    if mode == "off":
        return {"access_log": None}
    logger = logging.getLogger(f"bench.{server}.access")
    logger.propagate = False
    if mode == "idle":
        logger.setLevel(logging.WARNING)
    else:
        logger.setLevel(logging.INFO)
        logger.handlers[:] = [logging.NullHandler()]
    return {"access_log": logger}


SERVERS: dict[str, Callable[[], Any]] = {"fasthttp": _fasthttp_protocol, "aiohttp": _aiohttp_protocol}


class _Driver:
    """One server's protocol on a fake transport, serving `burst` pipelined requests a read."""

    def __init__(self, make: Callable[[], Any], burst: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.name, self.protocol, self.runner = self.loop.run_until_complete(make())
        self.transport = _Transport()
        self.protocol.connection_made(self.transport)
        self.burst = burst
        self.data = REQUEST * burst
        self.response_size = 0
        # One response, checked: the status line and the body (a server set up wrongly must
        # fail here instead of benchmarking an error page).
        self.response_size = self._measure_one()

    def _measure_one(self) -> int:
        captured: list[bytes] = []
        write = self.transport.write

        def capture(data: Any) -> None:
            captured.append(bytes(data))
            write(data)

        self.transport.write = capture  # type: ignore[method-assign]
        try:
            self.loop.run_until_complete(self._serve(REQUEST, 1, first=True))
        finally:
            del self.transport.write
        response = b"".join(captured)
        assert response.startswith(b"HTTP/1.1 200 OK\r\n"), response[:80]
        assert response.endswith(b"\r\n\r\n" + BODY), response[-80:]
        return len(response)

    async def _serve(self, data: bytes, count: int, first: bool = False) -> None:
        transport = self.transport
        loop = self.loop
        if first:
            # The size is unknown: wait for the body's last byte instead.
            transport.wanted = 1
            for _ in range(200):
                transport.waiter = loop.create_future()
                self.protocol.data_received(data)
                await transport.waiter
                await asyncio.sleep(0)
                if transport.written:
                    return
            raise AssertionError("no response")
        transport.wanted = transport.written + self.response_size * count
        transport.waiter = loop.create_future()
        self.protocol.data_received(data)
        await transport.waiter

    async def _round(self) -> None:
        serve, data, burst = self._serve, self.data, self.burst
        for _ in range(ROUND // burst):
            await serve(data, burst)

    def run_round(self) -> None:
        self.loop.run_until_complete(self._round())

    def close(self) -> None:
        self.protocol.connection_lost(None)
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()


@pytest.mark.parametrize("burst", [1, 8], ids=["web-hello", "web-hello-pipelined8"])
@pytest.mark.parametrize("server", list(SERVERS))
def test_web_inprocess(benchmark: Any, server: str, burst: int) -> None:
    driver = _Driver(SERVERS[server], burst)
    try:
        benchmark.group = "web-hello" if burst == 1 else f"web-hello-pipelined{burst}"
        benchmark.name = driver.name
        benchmark.extra_info["requests_per_round"] = ROUND
        benchmark.pedantic(driver.run_round, rounds=30, warmup_rounds=3)
    finally:
        driver.close()
