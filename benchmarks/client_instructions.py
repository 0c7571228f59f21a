"""Instructions per client request, counted by valgrind's callgrind: a noise-free client cost.

Wall-clock timings of a 40 µs request swing by 30-50% on a busy two-core machine; the number
of instructions the client process executes per request does not. This starts the canned
server (canned_server.py) in its own process, not traced, then runs a client scenario of
test_bench_client.py (the same adapters and batches: keep-alive GET /json, concurrency 1 or 32,
or the 1 KiB POST) under `valgrind --tool=callgrind` twice, with SMALL and LARGE request counts,
and reports (instructions(LARGE) - instructions(SMALL)) / (LARGE - SMALL), so imports, the
session's set-up and the warm-up cancel out. Instructions are not time (a cache miss costs more
than an add, and the kernel's share is not counted): use them as a before/after check of the
same client and next to a timed benchmark, not instead of one.

    python benchmarks/client_instructions.py                       # fasthttp and aiohttp, get_c1
    python benchmarks/client_instructions.py --scenario get_c32 --clients fasthttp-compiled
    FASTHTTP_NO_EXTENSIONS=1 python benchmarks/client_instructions.py --clients fasthttp-pure

Fix PYTHONHASHSEED for repeatable counts (set- and dict-iteration orders change with it).
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from callgrind import instructions  # noqa: E402  (beside this file)


def _run_client(client: str, scenario_name: str, url: str, rounds: int) -> None:
    from client_peers import SCENARIOS, make_adapter, make_batch, new_loop

    scenario = SCENARIOS[scenario_name]
    loop = new_loop("asyncio")
    adapter = make_adapter(client)
    try:
        loop.run_until_complete(adapter.open(url))
        batch = make_batch(adapter, scenario)
        for _ in range(2):
            loop.run_until_complete(batch())  # warm-up: pool filled, caches built
        for _ in range(rounds):
            loop.run_until_complete(batch())
    finally:
        loop.run_until_complete(adapter.close())
        loop.close()


def _instructions(client: str, scenario: str, url: str, rounds: int) -> int:
    return instructions([sys.executable, os.path.abspath(__file__), "--child", client, scenario, url, str(rounds)])


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _run_client(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    from canned_server import CannedServer
    from client_peers import SCENARIOS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_twin = "fasthttp-pure" if os.environ.get("FASTHTTP_NO_EXTENSIONS") else "fasthttp-compiled"
    parser.add_argument("--clients", default=f"{default_twin},aiohttp")
    parser.add_argument("--scenario", default="get_c1", choices=("get_c1", "get_c32", "proxy_get_c32", "post_json"))
    parser.add_argument("--small", type=int, default=1, help="rounds in the small run")
    parser.add_argument("--large", type=int, default=4, help="rounds in the large run")
    args = parser.parse_args()
    per_round = SCENARIOS[args.scenario].per_round
    with CannedServer() as server:
        for client in args.clients.split(","):
            small = _instructions(client, args.scenario, server.url, args.small)
            large = _instructions(client, args.scenario, server.url, args.large)
            per_request = (large - small) / ((args.large - args.small) * per_round)
            print(f"{client:18s} {args.scenario}: {per_request:,.0f} instructions/request")


if __name__ == "__main__":
    main()
