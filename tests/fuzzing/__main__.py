"""python -m fuzzing SECONDS [TARGET...] [--seed N] [--out DIR] | --atheris TARGET [libFuzzer args]

Runs each target (default: all) for SECONDS seconds of seeded fuzzing, printing cases/s,
and saves every distinct divergence (minimized, with its reproducer) under --out. Exit
status 1 when anything was found. --atheris hands TARGET to atheris (coverage-guided);
see atheris_entry.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    if argv[:1] == ["--atheris"]:
        # Before anything imports fasthttp: atheris instruments the modules imported after it.
        from .atheris_entry import main as atheris_main

        return atheris_main(argv[1:])
    from .runner import run
    from .targets import TARGETS

    parser = argparse.ArgumentParser(prog="scripts/fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("seconds", type=float, help="time budget per target")
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"one or more of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"),
                        help="directory for divergences (default: ./fuzz-findings)")
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    seed = args.seed if args.seed is not None else int(time.time())
    found = 0
    print(f"seed {seed}; divergences go to {args.out}/", flush=True)
    print(f"{'target':<10} {'cases':>9} {'seconds':>8} {'cases/s':>8} {'known':>6} found")
    for name in args.targets or list(TARGETS):
        stats = run(name, seed=seed, seconds=args.seconds, out_dir=args.out)
        found += len(stats.findings)
        print(f"{name:<10} {stats.cases:>9} {stats.seconds:>8.1f} {stats.rate:>8.0f} "
              f"{stats.known:>6} {len(stats.findings)}", flush=True)
        for finding in stats.findings:
            print("  " + finding.report().replace("\n", "\n  "))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
