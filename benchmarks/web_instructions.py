"""Instructions per served request, counted by valgrind's callgrind: a noise-free server cost.

On a busy two-core machine wall-clock timings of a 20 µs request swing by 50%; instruction
counts do not move with the machine's load. This runs the in-process driver of
`test_bench_web_inprocess.py` (a server's protocol on a fake transport, one keep-alive request
a read) under `valgrind --tool=callgrind` twice, with SMALL and LARGE requests, and reports
(instructions(LARGE) - instructions(SMALL)) / (LARGE - SMALL): imports, set-up and warm-up
cancel out. Instructions are not time (a cache miss costs more than an add), so quote them
next to a timing, as a before/after check of the same server.

    python benchmarks/web_instructions.py                  # fasthttp (this checkout) and aiohttp
    python benchmarks/web_instructions.py --servers fasthttp --burst 8
    FASTHTTP_NO_EXTENSIONS=1 python benchmarks/web_instructions.py --servers fasthttp
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from callgrind import instructions  # noqa: E402  (beside this file)


def _serve(server: str, burst: int, requests: int) -> None:
    import test_bench_web_inprocess as bench

    driver = bench._Driver(bench.SERVERS[server], burst)
    try:
        for _ in range(3):
            driver.loop.run_until_complete(driver._serve(driver.data, burst))  # warm-up
        remaining = requests // burst
        while remaining:
            driver.loop.run_until_complete(driver._serve(driver.data, burst))
            remaining -= 1
    finally:
        driver.close()


def _instructions(server: str, burst: int, requests: int) -> int:
    return instructions([sys.executable, os.path.abspath(__file__), "--child", server, str(burst), str(requests)])


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="fasthttp,aiohttp")
    parser.add_argument("--burst", type=int, default=1, help="requests a read (pipelined)")
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=1200)
    args = parser.parse_args()
    for server in args.servers.split(","):
        small = _instructions(server, args.burst, args.small)
        large = _instructions(server, args.burst, args.large)
        per_request = (large - small) / (args.large - args.small)
        print(f"{server:10s} burst={args.burst}: {per_request:,.0f} instructions/request")


if __name__ == "__main__":
    main()
