"""Coverage-guided fuzzing with atheris (libFuzzer), when atheris is installed.

    PYTHONPATH=tests python -m fuzzing --atheris TARGET [libFuzzer arguments, e.g. -max_total_time=600]

atheris's bytes become a case of TARGET (the first bytes choose the limits, flags and cut
points, the rest is the input); the pure-Python twins are instrumented, so coverage of their
branches guides the search, and the compiled twin is the other side of the comparison. Any
finding (twins or split, not known) raises AssertionError with its reproducer, which atheris
reports as a crash and saves as crash-* in the current directory.
Without atheris this prints how to install it and exits with status 0 (a clean skip).
"""

from __future__ import annotations

import sys
from typing import Any

# fuzzing.targets (and so fasthttp) is imported inside main(), under atheris's instrumentation.
TARGET_NAMES = ("response", "request", "chunked", "websocket", "writer")


def _parser_case(fdp: Any, kind: str) -> dict[str, Any]:
    from .targets import PARSER_LIMITS

    kw: dict[str, Any] = {}
    for name, values in PARSER_LIMITS.items():
        pick = fdp.ConsumeIntInRange(0, len(values))
        if pick < len(values):
            kw[name] = values[pick]
    kw["chunk_boundaries"] = fdp.ConsumeBool()
    if kind == "chunked":
        kw["lax"] = fdp.ConsumeBool()
    elif kind == "request":
        kw["require_host"] = fdp.ConsumeBool()
    eof = fdp.ConsumeBool()
    head_request = fdp.ConsumeBool()
    cuts = sorted(fdp.ConsumeIntListInRange(fdp.ConsumeIntInRange(0, 8), 1, 4096))
    data = fdp.ConsumeBytes(fdp.remaining_bytes())
    case: dict[str, Any] = {"data": data, "cuts": cuts or "whole", "kw": kw, "eof": eof}
    if kind == "response":
        case["head_request"] = head_request
    return case


def _ws_case(fdp: Any) -> dict[str, Any]:
    from .grammar import WS_MAX_SIZES

    settings = {
        "max_msg_size": WS_MAX_SIZES[fdp.ConsumeIntInRange(0, len(WS_MAX_SIZES) - 1)],
        "compress": fdp.ConsumeBool(),
        "window_bits": fdp.ConsumeIntInRange(9, 15),
        "no_context_takeover": fdp.ConsumeBool(),
        "expect_masked": fdp.ConsumeBool(),
    }
    cuts = sorted(fdp.ConsumeIntListInRange(fdp.ConsumeIntInRange(0, 8), 0, 4096))
    return {"settings": settings, "data": fdp.ConsumeBytes(fdp.remaining_bytes()),
            "cuts": cuts or "whole"}


def _writer_case(fdp: Any) -> dict[str, Any]:
    first = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 40))
    pairs = [(fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 20)),
              fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 40)))
             for _ in range(fdp.ConsumeIntInRange(0, 6))]
    return {"first_line": first, "pairs": pairs}


def main(argv: list[str]) -> int:
    try:
        import atheris
    except ImportError:
        print("atheris is not installed (pip install atheris; it has wheels for CPython "
              "3.8-3.11 on Linux x86_64): skipping the coverage-guided run.")
        return 0
    if not argv or argv[0] not in TARGET_NAMES:
        print(f"usage: python -m fuzzing --atheris TARGET [libFuzzer args]; TARGET in "
              f"{', '.join(TARGET_NAMES)}", file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    if "fasthttp" in sys.modules:
        print("warning: fasthttp was imported before atheris: its pure twins are not "
              "instrumented (no coverage guidance)", file=sys.stderr)
    with atheris.instrument_imports(include=["fasthttp"]):
        import fasthttp._http_writer_py  # noqa: F401 - imported for instrumentation
        import fasthttp._parser_py  # noqa: F401
        import fasthttp._websocket_py  # noqa: F401
    from .targets import TARGETS

    target = TARGETS[name]

    def one_input(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        if name == "websocket":
            case = _ws_case(fdp)
        elif name == "writer":
            case = _writer_case(fdp)
        else:
            case = _parser_case(fdp, name)
        finding = target.check(case)
        if finding is not None and finding.kind != "known":
            raise AssertionError(finding.report())

    atheris.Setup([sys.argv[0], *rest], one_input)
    atheris.Fuzz()
    return 0
