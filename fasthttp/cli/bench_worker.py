"""One process of `fasthttp bench -p N`: reads its share as JSON on stdin, prints its result."""

from __future__ import annotations

import json
import sys

from .bench import _run_in_process


def main() -> None:
    spec = json.loads(sys.stdin.read())
    print(json.dumps(_run_in_process(spec).to_wire()))


if __name__ == "__main__":
    main()
