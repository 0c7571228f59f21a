"""The embedded default target of `fasthttp bench`: a fasthttp.web server in its own process.

Run as `python -m fasthttp.cli.embedded_server [--port N]`; it prints `PORT <n>` once it listens
on 127.0.0.1, and serves until stdin closes or it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from .. import web

HELLO = "Hello, World!"


def make_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=HELLO)

    async def json_handler(request: web.Request) -> web.Response:
        return web.json_response({"message": HELLO})

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(body=body, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/json", json_handler)
    app.router.add_post("/echo", echo)
    return app


async def serve(port: int) -> None:
    runner = web.AppRunner(make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    loop = asyncio.get_running_loop()
    closed = loop.create_future()

    def on_stdin() -> None:
        if not os.read(sys.stdin.fileno(), 1024) and not closed.done():
            closed.set_result(None)

    try:
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    except (NotImplementedError, OSError, ValueError):
        pass
    try:
        await closed
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    # Its lifetime is its stdin: Ctrl-C on the terminal stops the benchmark, which then stops
    # this server, rather than killing the target under requests still in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run = asyncio.run
    try:
        import uvloop  # the server should not be the bottleneck of a client benchmark

        run = uvloop.run
    except ImportError:
        pass
    try:
        run(serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
