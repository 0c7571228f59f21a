"""The command line of `fasthttp bench`: oha's flag names where oha has them.

Differences from oha, also stated in --help: `-p` is --processes (oha's -p is HTTP/2
parallelism, which fasthttp does not speak); --compare/--rounds/--uvloop are fasthttp's own;
without a URL the embedded fasthttp.web server is the target; -q is the total rate of the run
(as oha; hey's -q is per connection).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from typing import Optional, Sequence

__all__ = ("BenchOptions", "parse_options", "parse_duration", "UsageError")

DEFAULT_REQUESTS = 20000
DEFAULT_CONNECTIONS = 64
DEFAULT_TIMEOUT = 30.0
DEFAULT_ROUNDS = 3

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")

EPILOG = """\
Durations: 500ms, 10s, 1m, 1h, 1m30s, or a plain number of seconds.

Without -q each connection first sends 3 warm-up requests, not counted, before the clock
starts; with -q there is no warm-up (it would exceed the rate).

Percentiles come from a log-linear (HDR-style) histogram: exact to the microsecond below 256 us,
within 0.4% above; memory stays bounded however long the run, and -p results merge exactly.
Failed requests are counted by reason ("ConnectionRefusedError: connection refused to
127.0.0.1:1 (100)").

Where this differs from oha: -p is --processes (not HTTP/2 parallelism); -q is the rate of the
whole run, shared by all connections and processes (hey's -q is per worker); --latency-correction
needs -q (oha ignores it silently); at a -z deadline requests in flight are cancelled and shown
as "aborted" (oha's default, without -w); the live view is a few lines on the terminal rather
than a full-screen TUI, drawn only when stdout is a terminal (piped output is the summary
alone); without a URL the target is an embedded fasthttp.web server. --compare, --rounds and
--uvloop are fasthttp's own.
"""


class UsageError(Exception):
    """A bad command line: reported as one `fasthttp bench: error:` line, exit status 1."""


def parse_duration(text: str) -> float:
    """`500ms`, `10s`, `1m`, `1m30s`, `2.5` (seconds) -> seconds."""
    cleaned = text.strip().lower()
    if _NUMBER.fullmatch(cleaned):
        return float(cleaned)
    parts = _DURATION_PART.findall(cleaned)
    if not parts or "".join(number + unit for number, unit in parts) != cleaned:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r} (try 500ms, 10s, 1m, 1m30s or a number of seconds)")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def _processes(text: str) -> int:
    if text == "auto":
        return os.cpu_count() or 1
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r} (a number or 'auto')") from None


@dataclasses.dataclass
class BenchOptions:
    url: Optional[str]
    connections: int
    requests: Optional[int]
    duration: Optional[float]
    rate: Optional[float]
    latency_correction: bool
    method: str
    headers: list[tuple[str, str]]
    body: Optional[bytes]
    disable_keepalive: bool
    insecure: bool
    timeout: float
    processes: int
    as_json: bool
    live: bool
    compare: bool
    rounds: int
    uvloop: bool


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fasthttp bench", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="A load generator in the spirit of oha/hey/wrk, on fasthttp's own client.",
        epilog=EPILOG)
    parser.add_argument("url", nargs="?", help="the target (default: an embedded fasthttp.web server)")
    parser.add_argument("-c", "--connections", type=int, default=DEFAULT_CONNECTIONS,
                        help=f"concurrent connections (default {DEFAULT_CONNECTIONS})")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("-n", "--requests", type=int, help=f"total requests (default {DEFAULT_REQUESTS})")
    amount.add_argument("-z", "--duration", type=parse_duration, metavar="DURATION",
                        help="run for this long instead of -n (e.g. 10s, 1m, 500ms)")
    parser.add_argument("-q", "--rate", type=float, metavar="QPS",
                        help="requests per second for the whole run (default: as fast as it goes)")
    parser.add_argument("--latency-correction", action="store_true",
                        help="with -q: measure latency from when a request was scheduled, not sent "
                             "(counts the wait caused by a slow server: coordinated omission)")
    parser.add_argument("-m", "--method", default="GET", help="HTTP method (default GET)")
    parser.add_argument("-H", "--header", dest="headers", action="append", default=[],
                        metavar="'NAME: VALUE'", help="request header (repeatable)")
    body = parser.add_mutually_exclusive_group()
    body.add_argument("-d", "--body", dest="body_text", metavar="TEXT", help="request body (text)")
    body.add_argument("-D", "--body-file", metavar="FILE", help="request body from a file")
    parser.add_argument("-T", "--content-type", help="Content-Type header of the body")
    parser.add_argument("--disable-keepalive", action="store_true",
                        help="a new connection for every request")
    parser.add_argument("-k", "--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("-t", "--timeout", type=parse_duration, default=DEFAULT_TIMEOUT, metavar="DURATION",
                        help=f"time one request may take before it counts as a timeout (default {DEFAULT_TIMEOUT:g}s)")
    parser.add_argument("-p", "--processes", type=_processes, default=1,
                        help="client processes sharing -c, -n and -q; 'auto' is one per core "
                             "(default 1); results merge exactly")
    parser.add_argument("--json", dest="as_json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-tui", action="store_true",
                        help="no live progress view (it is only drawn when stdout is a terminal anyway)")
    parser.add_argument("--compare", action=argparse.BooleanOptionalAction, default=False,
                        help="also run the load through aiohttp's client, alternating, and print the ratio")
    parser.add_argument("--rounds", type=int,
                        help=f"with --compare: runs per client; the ratio is their median (default {DEFAULT_ROUNDS})")
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    return parser


def _headers(raw: Sequence[str], content_type: Optional[str]) -> list[tuple[str, str]]:
    """-H items in order (a repeated name is sent repeatedly); -T replaces any Content-Type."""
    headers: list[tuple[str, str]] = []
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep or not name.strip() or name != name.strip():
            raise UsageError(f"-H {item!r}: expected 'Name: value'")
        headers.append((name, value.strip()))
    if content_type is not None:
        headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
        headers.append(("Content-Type", content_type))
    return headers


def parse_options(argv: Sequence[str]) -> BenchOptions:
    """Parse and check a command line; argparse errors exit 2, other mistakes raise UsageError."""
    args = _build_parser().parse_args(list(argv))
    if args.connections < 1:
        raise UsageError("-c must be at least 1")
    if args.requests is not None and args.requests < 1:
        raise UsageError("-n must be at least 1")
    if args.duration is not None and not args.duration > 0:
        raise UsageError("-z must be a positive duration")
    if args.rate is not None and not args.rate > 0:
        raise UsageError("-q must be a positive number of requests per second")
    if args.latency_correction and args.rate is None:
        raise UsageError("--latency-correction needs -q (without a rate, requests are never late)")
    if args.processes < 1:
        raise UsageError("-p must be at least 1")
    if not args.timeout > 0:
        raise UsageError("--timeout must be positive")
    if args.rounds is not None and args.rounds < 1:
        raise UsageError("--rounds must be at least 1")
    if args.rounds is not None and not args.compare:
        raise UsageError("--rounds needs --compare")
    body: Optional[bytes] = None
    if args.body_text is not None:
        body = args.body_text.encode()
    elif args.body_file is not None:
        try:
            with open(args.body_file, "rb") as file:
                body = file.read()
        except OSError as exc:
            raise UsageError(f"-D {args.body_file}: {exc.strerror or exc}") from None
    requests = args.requests
    if requests is None and args.duration is None:
        requests = DEFAULT_REQUESTS
    return BenchOptions(
        url=args.url, connections=args.connections, requests=requests, duration=args.duration,
        rate=args.rate, latency_correction=args.latency_correction, method=args.method.upper(),
        headers=_headers(args.headers, args.content_type), body=body,
        disable_keepalive=args.disable_keepalive, insecure=args.insecure, timeout=args.timeout,
        processes=args.processes, as_json=args.as_json,
        live=not args.as_json and not args.no_tui and sys.stdout.isatty(),
        compare=args.compare, rounds=args.rounds or DEFAULT_ROUNDS, uvloop=args.uvloop)
