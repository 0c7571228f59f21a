"""The twin pairs under fuzz: generate a case, compare the twins on it, write a reproducer.

A case is a plain dict (bytes, ints, bools, lists, strs) so that ``repr(case)`` is its own
reproducer: ``replay(target, case)`` runs it again and prints both outcomes.

``check(case)`` returns None when the twins agree, else a ``Finding``: ``kind`` is "twins"
(the two twins differ on the same feeds), "split" (one twin gives a different error class or
different events when the same input is fed whole instead of split), or "known" (a twin
divergence of a class listed in known.KNOWN_DIVERGENCE).
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass
from typing import Any, Callable, Optional

from multidict import CIMultiDict

from . import grammar, mutators
from .known import KNOWN_DIVERGENCE, has_lone_surrogate, is_non_str_pair
from .observe import (feed_parser, feed_ws, first_difference, merged_events, write_head,
                      ws_messages)

PARSER_TWINS = ("fasthttp._parser_py", "fasthttp._parser")
WS_TWINS = ("fasthttp._websocket_py", "fasthttp._websocket")
WRITER_TWINS = ("fasthttp._http_writer_py", "fasthttp._http_writer")
BYTEWISE_MAX = 4000  # longer inputs are cut at random points instead of one byte at a time


def load(names: tuple[str, str]) -> tuple[Any, Any]:
    """(pure, compiled); ImportError when the compiled twin is not built."""
    return importlib.import_module(names[0]), importlib.import_module(names[1])


@dataclass
class Finding:
    target: str
    kind: str  # "twins" | "split" | "known"
    detail: str
    case: dict[str, Any]

    def report(self) -> str:
        return (f"target: {self.target}\nkind: {self.kind}\nfirst difference: {self.detail}\n"
                f"replay (Python, from the repository root):\n"
                f"  import sys; sys.path.insert(0, 'tests')\n"
                f"  from fuzzing.targets import replay\n"
                f"  replay({self.target!r}, {self.case!r})\n")


# --------------------------------------------------------------------------- feeding


def random_cuts(rng: random.Random, n: int) -> Any:
    """How to feed n bytes: "whole", "bytewise" or a sorted list of cut offsets."""
    mode = rng.random()
    if n <= 1 or mode < 0.25:
        return "whole"
    if mode < 0.5 and n <= BYTEWISE_MAX:
        return "bytewise"
    if mode < 0.7 and n <= 20 * BYTEWISE_MAX:  # small pieces
        cuts: list[int] = []
        i = 0
        while len(cuts) < 5000:
            i += rng.randint(1, 7)
            if i >= n:
                break
            cuts.append(i)
        return cuts
    return sorted(rng.sample(range(1, n), rng.randint(1, min(n - 1, 40))))


def chunks_of(data: bytes, cuts: Any) -> list[bytes]:
    if cuts == "whole":
        return [data]
    if cuts == "bytewise":
        return [data[i:i + 1] for i in range(len(data))]
    points = [c for c in cuts if 0 < c < len(data)]
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)])]


# --------------------------------------------------------------------------- parsers

PARSER_LIMITS = {
    "max_line_size": [1, 4, 12, 24, 40, 64, 200, 8190],
    "max_field_size": [1, 6, 8, 24, 40, 64, 200, 8190],
    "max_headers": [0, 1, 3, 6, 128],
}


def _parser_case(rng: random.Random, kind: str) -> dict[str, Any]:
    mode = rng.random()
    if mode < 0.45:
        data = grammar.GENERATORS[kind](rng)
    elif mode < 0.9:
        data = rng.choice(grammar.corpus(kind))
    else:  # seeded random bytes, biased to the HTTP alphabet
        alphabet = b"HTTP/1.0 200OK\r\n:;,\t\"chunked0123456789abcdefContent-Length\x00\x80\xff"
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
    if rng.random() < 0.75:
        data = mutators.mutate_http(rng, data, grammar.corpus(kind))
    kw: dict[str, Any] = {}
    if rng.random() < 0.5:
        for name, values in PARSER_LIMITS.items():
            if rng.random() < 0.7:
                kw[name] = rng.choice(values)
    kw["chunk_boundaries"] = rng.random() < 0.5
    if kind == "chunked":
        kw["lax"] = rng.random() < 0.5
    elif kind == "request":
        kw["require_host"] = rng.random() < 0.5
    case: dict[str, Any] = {"data": data, "cuts": random_cuts(rng, len(data)), "kw": kw,
                            "eof": rng.random() < 0.8}
    if kind == "response":
        case["head_request"] = rng.random() < 0.2
    return case


_PARSER_CLASSES = {"response": "HttpResponseParser", "request": "HttpRequestParser",
                   "chunked": "ChunkedDecoder"}


def _run_parser(module: Any, kind: str, case: dict[str, Any], cuts: Any) -> dict[str, Any]:
    parser = getattr(module, _PARSER_CLASSES[kind])(**case["kw"])
    if case.get("head_request"):
        parser.head_request = True
    return feed_parser(parser, chunks_of(case["data"], cuts), case["eof"])


def _check_parser(kind: str, case: dict[str, Any]) -> Optional[Finding]:
    pure, compiled = load(PARSER_TWINS)
    outcomes = [_run_parser(m, kind, case, case["cuts"]) for m in (pure, compiled)]
    diff = first_difference(outcomes[0], outcomes[1])
    if diff:
        return Finding(kind, "twins", diff, case)
    if case["cuts"] != "whole":
        # Split invariance (docs/parser.md): the same error class, and the same events
        # (those carried by the exception included), however the input is cut.
        whole = _run_parser(compiled, kind, case, "whole")
        split = outcomes[1]
        a = (whole.get("error", ("",))[0], merged_events(whole))
        b = (split.get("error", ("",))[0], merged_events(split))
        if a != b:
            return Finding(kind, "split", "whole " + (first_difference(a, b) or ""), case)
    return None


# --------------------------------------------------------------------------- WebSocket reader


def _ws_case(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.9:
        settings, data = grammar.ws_stream(rng)
    else:
        settings, _ = grammar.ws_stream(rng)
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    if rng.random() < 0.4:
        data = mutators.mutate_ws(rng, data)
    return {"settings": settings, "data": data, "cuts": random_cuts(rng, len(data))}


def _check_ws(case: dict[str, Any]) -> Optional[Finding]:
    from ws_cases import check_byte_singletons

    pure, compiled = load(WS_TWINS)
    chunks = chunks_of(case["data"], case["cuts"])
    a, b = (feed_ws(m, chunks, case["settings"]) for m in (pure, compiled))
    check_byte_singletons("WebSocketReader fuzz case")  # AssertionError: a "crash" finding
    diff = first_difference(a, b)
    if diff:
        return Finding("websocket", "twins", diff, case)
    if case["cuts"] != "whole":
        whole = feed_ws(compiled, [case["data"]], case["settings"])
        code = (whole.get("error") or (None,))[0], (b.get("error") or (None,))[0]
        if code[0] != code[1] or ("error" not in whole
                                  and ws_messages(whole) != ws_messages(b)):
            return Finding("websocket", "split",
                           f"whole {whole.get('error')} / split {b.get('error')}", case)
    return None


# --------------------------------------------------------------------------- head writer


def _writer_case(rng: random.Random) -> dict[str, Any]:
    first, pairs = grammar.writer_case(rng)
    return {"first_line": first, "pairs": pairs}


def _check_writer(case: dict[str, Any]) -> Optional[Finding]:
    pure, compiled = load(WRITER_TWINS)
    headers = CIMultiDict(case["pairs"])
    a, b = (write_head(m, case["first_line"], headers) for m in (pure, compiled))
    diff = first_difference(a, b)
    if not diff:
        return None
    texts = [case["first_line"]] + [t for pair in case["pairs"] for t in pair]
    if KNOWN_DIVERGENCE["head_writer_lone_surrogate"] and has_lone_surrogate(*texts):
        return Finding("writer", "known", diff, case)
    if (KNOWN_DIVERGENCE["head_writer_non_str_message"] and is_non_str_pair(case["pairs"])
            and a[0] == b[0] == "TypeError"):
        return Finding("writer", "known", diff, case)
    return Finding("writer", "twins", diff, case)


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Target:
    name: str
    generate: Callable[[random.Random], dict[str, Any]]
    check: Callable[[dict[str, Any]], Optional[Finding]]
    twins: tuple[str, str]


TARGETS: dict[str, Target] = {
    "response": Target("response", lambda rng: _parser_case(rng, "response"),
                       lambda case: _check_parser("response", case), PARSER_TWINS),
    "request": Target("request", lambda rng: _parser_case(rng, "request"),
                      lambda case: _check_parser("request", case), PARSER_TWINS),
    "chunked": Target("chunked", lambda rng: _parser_case(rng, "chunked"),
                      lambda case: _check_parser("chunked", case), PARSER_TWINS),
    "websocket": Target("websocket", _ws_case, _check_ws, WS_TWINS),
    "writer": Target("writer", _writer_case, _check_writer, WRITER_TWINS),
}


def replay(target: str, case: dict[str, Any]) -> None:
    """Run `case` again and print what each twin did (for a saved finding)."""
    finding = TARGETS[target].check(case)
    print("agree" if finding is None else f"{finding.kind}: {finding.detail}")
    if target == "writer":
        pure, compiled = load(WRITER_TWINS)
        for m in (pure, compiled):
            print(m.__name__, write_head(m, case["first_line"], CIMultiDict(case["pairs"])))
    elif target == "websocket":
        for m in load(WS_TWINS):
            print(m.__name__, feed_ws(m, chunks_of(case["data"], case["cuts"]),
                                      case["settings"]))
    else:
        for m in load(PARSER_TWINS):
            print(m.__name__, _run_parser(m, target, case, case["cuts"]))
