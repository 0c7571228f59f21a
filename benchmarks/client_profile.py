"""Profile one client benchmark scenario with cProfile (a helper, not a benchmark).

    python benchmarks/client_profile.py [--client fasthttp-compiled] [--scenario get_c32]
                                        [--loop asyncio] [--rounds 10] [--top 25] [--sort tottime]

Starts the canned server, opens the client's session as test_bench_client.py does, runs one
warm-up round, then `--rounds` rounds under cProfile, and prints the top functions. For the
pure twin: `FASTHTTP_NO_EXTENSIONS=1 python benchmarks/client_profile.py --client fasthttp-pure`.
cProfile slows Python code down a lot more than C code: use it to see where the time goes,
not for throughput figures.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
if importlib.util.find_spec("fasthttp") is None:
    sys.path.insert(0, str(HERE.parent))

from canned_server import CannedServer  # noqa: E402
from client_peers import (  # noqa: E402
    CLIENTS,
    LOOPS,
    SCENARIO_NAMES,
    SCENARIOS,
    client_available,
    make_adapter,
    make_batch,
    new_loop,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--client", default="fasthttp-compiled", choices=CLIENTS)
    ap.add_argument("--scenario", default="get_c32", choices=SCENARIO_NAMES)
    ap.add_argument("--loop", default="asyncio", choices=LOOPS)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sort", default="tottime")
    args = ap.parse_args(argv)
    reason = client_available(args.client)
    if reason:
        print(f"{args.client}: {reason}", file=sys.stderr)
        return 2
    scenario = SCENARIOS[args.scenario]
    with CannedServer() as srv:
        loop = new_loop(args.loop)
        adapter = make_adapter(args.client)
        try:
            loop.run_until_complete(adapter.open(srv.url))
            batch = make_batch(adapter, scenario)
            loop.run_until_complete(batch())
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.enable()
            for _ in range(args.rounds):
                loop.run_until_complete(batch())
            prof.disable()
            elapsed = time.perf_counter() - t0
            n = args.rounds * scenario.per_round
            print(
                f"{args.client} {args.scenario} on {args.loop}: {n} requests in {elapsed:.2f} s "
                f"under cProfile ({n / elapsed:,.0f} req/s, profiled)"
            )
            pstats.Stats(prof).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        finally:
            loop.run_until_complete(adapter.close())
            loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
