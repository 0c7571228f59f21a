"""Dispatch: `fasthttp bench ...` runs the load generator, anything else is a request."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

__all__ = ("main",)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "bench":
        from .bench import bench_main

        return bench_main(args[1:])
    from .request_cmd import request_main

    return request_main(args)
