"""One process of `fasthttp bench -p N`: reads its share as JSON on stdin, answers on stdout.

Lines out: `TICK <result so far>` every TICK_INTERVAL when the parent draws a live view, then
`RESULT <result>` once (both Result.to_wire() as JSON).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

from .bench import TICK_INTERVAL, note_interrupt, run_in_process
from .bench_stats import Result


async def _send_ticks(result: Result, started: float) -> None:
    while True:
        await asyncio.sleep(TICK_INTERVAL)
        sys.stdout.write("TICK " + json.dumps(result.to_wire()) + "\n")
        sys.stdout.flush()


def main() -> None:
    signal.signal(signal.SIGINT, note_interrupt)
    spec = json.loads(sys.stdin.read())
    # (The run puts note_interrupt back when its load ends, and asyncio.run leaves a handler
    # that is not KeyboardInterrupt's alone: a Ctrl-C while reporting is noted too.)
    result = run_in_process(spec, _send_ticks if spec.get("ticks") else None)
    sys.stdout.write("RESULT " + json.dumps(result.to_wire()) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
