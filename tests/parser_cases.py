"""Helpers for the parser conformance and differential tests (see docs/parser.md).

- `normalize()` turns parser events into plain data (dicts, lists, tuples, bytes) so two
  twins, or two ways of splitting the same input, can be compared with `==`;
- `run()` feeds a parser a list of chunks (and optionally EOF) and records the events, the
  exception class (exact, `type(exc)`), `upgraded`/`closed`/`done` and `tail`; after an error it checks
  that every later feed raises the same class again;
- `splits()` gives the ways each case is fed: whole, one byte at a time, several seeded random
  splits;
- `check_splits()` runs every split and asserts they agree, returning the finest outcome;
- `R`, `Q`, `B`, `C`, `E` build partial expectations for `assert_events()`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

BIG = 20_000  # inputs longer than this are not fed one byte at a time end to end


# --------------------------------------------------------------------------- normalization

def _pairs(md: Any) -> list:
    return [(str(k), v) for k, v in md.items()]


def norm_event(ev: Any) -> dict:
    """One event as plain data. Body pieces become {"type": "body", "data": bytes}."""
    if isinstance(ev, (bytes, bytearray, memoryview)):
        return {"type": "body", "data": bytes(ev), "ptype": type(ev).__name__}
    name = type(ev).__name__
    if name == "EndOfMessage":
        return {"type": "eom", "trailers": _pairs(ev.trailers)}
    if name == "EndOfChunk":  # the END_OF_CHUNK marker (parsers made with chunk_boundaries=True)
        return {"type": "eoc"}
    if name == "ResponseHead":
        d: dict = {"type": "response"}
        d["version"] = tuple(ev.version)
        d["status"] = ev.status
        d["reason"] = ev.reason
        d["has_set_cookie"] = ev.has_set_cookie
    elif name == "RequestHead":
        d = {"type": "request"}
        d["method"] = ev.method
        d["target"] = ev.target
        d["version"] = tuple(ev.version)
    else:
        raise AssertionError(f"unexpected event {ev!r} of type {type(ev)!r}")
    d["headers"] = _pairs(ev.headers)
    d["raw_headers"] = tuple(tuple(p) for p in ev.raw_headers)
    d["keep_alive"] = ev.keep_alive
    d["chunked"] = ev.chunked
    d["content_length"] = ev.content_length
    d["upgrade"] = ev.upgrade
    d["content_encoding"] = ev.content_encoding
    return d


def normalize(events: Iterable[Any]) -> list:
    """Normalize events and merge adjacent body pieces (their split is not significant).

    An END_OF_CHUNK marker ({"type": "eoc"}) is not merged: it separates the pieces around it.
    """
    out: list = []
    for ev in events:
        n = norm_event(ev)
        if n["type"] == "body":
            if out and out[-1]["type"] == "body":
                out[-1] = {"type": "body", "data": out[-1]["data"] + n["data"]}
            else:
                out.append({"type": "body", "data": n["data"]})
        else:
            out.append(n)
    return out


def bad_pieces(events: Iterable[Any]) -> list:
    """Body pieces that break the contract: not exactly `bytes`, or empty."""
    bad = []
    for ev in events:
        if isinstance(ev, (bytes, bytearray, memoryview)):
            if type(ev) is not bytes or len(ev) == 0:
                bad.append(ev)
    return bad


# --------------------------------------------------------------------------- feeding

@dataclass
class Outcome:
    events: list                      # normalized
    error: Optional[type] = None      # exact exception class, or None
    state: dict = field(default_factory=dict)  # upgraded / closed / done / tail
    raw_events: list = field(default_factory=list, repr=False)
    fed_before_error: int = 0         # bytes handed to feed_data before the raising call ended

    def key(self) -> tuple:
        return (self.events, self.error, self.state)


def _state(p: Any) -> dict:
    st = {}
    for attr in ("upgraded", "closed", "done", "tail"):
        if hasattr(p, attr):
            v = getattr(p, attr)
            st[attr] = bytes(v) if attr == "tail" else v
    return st


def run(
    parser: Any,
    chunks: Sequence[bytes],
    *,
    eof: bool = True,
    check_broken: bool = True,
) -> Outcome:
    """Feed `chunks` (then EOF if `eof`) to `parser`; record events, error and state."""
    raw: list = []
    err: Optional[BaseException] = None
    fed = 0
    try:
        for c in chunks:
            fed += len(c)
            raw.extend(parser.feed_data(c))
        if eof:
            raw.extend(parser.feed_eof())
    except Exception as exc:  # noqa: BLE001 - any class is recorded and compared
        err = exc
        # What the raising call completed before the error rides on the exception; it is part
        # of what the parser delivered, so it is compared like any other event.
        raw.extend(getattr(exc, "events", ()))
    bad = bad_pieces(raw)
    assert not bad, f"body pieces must be non-empty `bytes` objects, got {bad[:3]!r}"
    out = Outcome(normalize(raw), type(err) if err is not None else None, raw_events=raw,
                  fed_before_error=fed)
    if err is not None:
        cls = type(err)
        if check_broken:
            for again in (lambda: parser.feed_data(b"HTTP/1.1 200 OK\r\n\r\n"),
                          lambda: parser.feed_data(b""),
                          lambda: parser.feed_eof()):
                try:
                    again()
                except Exception as exc2:  # noqa: BLE001
                    assert not getattr(exc2, "events", ()), "a repeated raise must carry no events"
                    assert type(exc2) is cls, (
                        f"after {cls.__name__} a later feed raised {type(exc2).__name__} "
                        f"instead of the same class"
                    )
                else:
                    raise AssertionError(
                        f"after {cls.__name__} a later feed did not raise (parser must stay broken)"
                    )
    else:
        out.state = _state(parser)
    return out


def random_split(data: bytes, seed: int, max_cuts: int = 40) -> list:
    rng = random.Random(seed * 7919 + len(data))
    n = len(data)
    if n <= 1:
        return [data]
    k = rng.randint(1, min(n - 1, max_cuts))
    cuts = sorted(rng.sample(range(1, n), k))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [n])]


def small_chunks(data: bytes, seed: int, lo: int = 1, hi: int = 7) -> list:
    rng = random.Random(seed)
    out = []
    i = 0
    while i < len(data):  # bounded: i grows by >= 1 each turn
        j = i + rng.randint(lo, hi)
        out.append(data[i:j])
        i = j
    return out


def bytewise(data: bytes) -> list:
    if len(data) <= BIG:
        return [data[i:i + 1] for i in range(len(data))]
    # Big inputs: byte at a time at both ends, the middle in a few pieces.
    head = [data[i:i + 1] for i in range(4096)]
    tail = [data[i:i + 1] for i in range(len(data) - 4096, len(data))]
    mid = data[4096:len(data) - 4096]
    third = max(1, len(mid) // 3)
    return head + [mid[:third], mid[third:2 * third], mid[2 * third:]] + tail


SEEDS = (1, 2, 3, 4, 5)


def splits(data: bytes, seeds: Sequence[int] = SEEDS) -> list:
    """[(label, chunks)], whole first and one-byte-at-a-time second."""
    out = [("whole", [data]), ("bytewise", bytewise(data))]
    for s in seeds:
        out.append((f"random{s}", random_split(data, s)))
    if len(data) <= BIG:
        out.append(("small", small_chunks(data, 99)))
    return out


def _is_prefix(a: list, b: list) -> bool:
    """Normalized events `a` are a prefix of `b` (a last body may be a prefix of b's)."""
    if len(a) > len(b):
        return False
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        if i == len(a) - 1 and x["type"] == y["type"] == "body" and y["data"].startswith(x["data"]):
            continue
        return False
    return True


def check_splits(
    make: Callable[[], Any],
    data: bytes,
    *,
    eof: bool = True,
    seeds: Sequence[int] = SEEDS,
) -> Outcome:
    """Feed `data` to fresh parsers in every split mode; all must agree.

    Without an error: identical events, state and tail. With an error: the same exception
    class; since a raising feed_data cannot also return what it completed, a coarser split
    may show fewer events, so each split's events must be a prefix of the one-byte-at-a-time
    events. Returns the one-byte-at-a-time outcome (the finest).
    """
    results = [(label, run(make(), chunks, eof=eof)) for label, chunks in splits(data, seeds)]
    finest = results[1][1]
    for label, res in results:
        assert res.error is finest.error, (
            f"split {label!r} raised {res.error} but byte-at-a-time raised {finest.error}"
        )
        if finest.error is None:
            assert res.events == finest.events, f"split {label!r} gave different events"
            assert res.state == finest.state, f"split {label!r} gave different state"
        else:
            assert _is_prefix(res.events, finest.events), (
                f"split {label!r}: events before the error are not a prefix of the "
                f"byte-at-a-time events:\n{res.events!r}\nvs\n{finest.events!r}"
            )
    return finest


# --------------------------------------------------------------------------- expectations

def R(**kw: Any) -> dict:
    """Expected ResponseHead (only the given fields are checked)."""
    if "version" in kw:
        kw["version"] = tuple(kw["version"])
    return {"type": "response", **kw}


def Q(**kw: Any) -> dict:
    """Expected RequestHead (only the given fields are checked)."""
    if "version" in kw:
        kw["version"] = tuple(kw["version"])
    return {"type": "request", **kw}


def B(data: bytes) -> dict:
    return {"type": "body", "data": data}


def C() -> dict:
    """Expected END_OF_CHUNK marker."""
    return {"type": "eoc"}


def E(trailers: Optional[list] = None) -> dict:
    return {"type": "eom", "trailers": trailers or []}


def assert_events(actual: list, expected: list) -> None:
    assert [a["type"] for a in actual] == [e["type"] for e in expected], (
        f"event kinds differ:\n got {actual!r}\n want {expected!r}"
    )
    for i, (a, e) in enumerate(zip(actual, expected)):
        for k, v in e.items():
            assert k in a, f"event {i}: no field {k!r}"
            assert a[k] == v, f"event {i} field {k!r}: got {a[k]!r}, want {v!r}\n event: {a!r}"


# --------------------------------------------------------------------------- message builders

def response(status_line: bytes, headers: Sequence[tuple] = (), body: bytes = b"",
             eol: bytes = b"\r\n") -> bytes:
    out = status_line + eol
    for k, v in headers:
        out += k + b": " + v + eol
    return out + eol + body


def chunked(pieces: Sequence[bytes], trailers: Sequence[tuple] = (), ext: bytes = b"") -> bytes:
    out = b""
    for p in pieces:
        out += b"%x" % len(p) + ext + b"\r\n" + p + b"\r\n"
    out += b"0" + ext + b"\r\n"
    for k, v in trailers:
        out += k + b": " + v + b"\r\n"
    return out + b"\r\n"
