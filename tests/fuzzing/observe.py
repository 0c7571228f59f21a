"""What one twin did with one case, as plain data that compares with ``==``.

Parsers: the events of each ``feed_data``/``feed_eof`` call (normalized by
tests/parser_cases.py, body pieces merged within a call), then either the state after the
last call (``upgraded``, ``done``, ``tail``, ``idle``) or the error: exception class, message,
the events it carries, and what a later feed raises (class, and whether it carries events).
WebSocket readers: tests/ws_cases.py's ``run_reader`` outcome. Head writers: the bytes, or the
exception class and message.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from parser_cases import normalize

_STATE_ATTRS = ("upgraded", "done", "tail", "idle")


def _error(exc: BaseException) -> tuple[str, str]:
    return type(exc).__name__, str(exc)


def feed_parser(parser: Any, chunks: Sequence[bytes], eof: bool) -> dict[str, Any]:
    calls: list[list[Any]] = []
    out: dict[str, Any] = {"calls": calls}
    try:
        for chunk in chunks:
            calls.append(normalize(parser.feed_data(chunk)))
        if eof:
            calls.append(normalize(parser.feed_eof()))
    except Exception as exc:  # noqa: BLE001 - every class is recorded and compared
        out["error"] = _error(exc)
        out["error_call"] = len(calls)
        out["error_events"] = normalize(getattr(exc, "events", ()))
        later: list[tuple[str, bool]] = []
        for again in (b"GET / HTTP/1.1\r\n\r\n", None):
            try:
                parser.feed_eof() if again is None else parser.feed_data(again)
            except Exception as exc2:  # noqa: BLE001
                later.append((type(exc2).__name__, bool(getattr(exc2, "events", ()))))
            else:
                later.append(("no error", False))
        out["later"] = later
        return out
    for attr in _STATE_ATTRS:
        if hasattr(parser, attr):
            value = getattr(parser, attr)
            out[attr] = bytes(value) if attr == "tail" else value
    return out


def merged_events(outcome: dict[str, Any]) -> list[Any]:
    """All events of a parser outcome in order (those carried by the error last), merged."""
    flat: list[Any] = []
    for call in outcome["calls"]:
        flat += call
    flat += outcome.get("error_events", [])
    merged: list[Any] = []
    for ev in flat:
        if ev["type"] == "body" and merged and merged[-1]["type"] == "body":
            merged[-1] = {"type": "body", "data": merged[-1]["data"] + ev["data"]}
        else:
            merged.append(ev)
    return merged


def write_head(module: Any, first_line: Any, headers: Any) -> tuple[str, Any]:
    try:
        return "ok", module.serialize_head(first_line, headers)
    except Exception as exc:  # noqa: BLE001
        return _error(exc)


def first_difference(a: Any, b: Any, path: str = "") -> Optional[str]:
    """A short description of where two outcomes first differ (None when equal)."""
    if a == b:
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'python' if key in a else 'cython'}"
            diff = first_difference(a[key], b[key], f"{path}.{key}")
            if diff:
                return diff
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            diff = first_difference(x, y, f"{path}[{i}]")
            if diff:
                return diff
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
    return f"{path}: python {_short(a)} / cython {_short(b)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "..."


def feed_ws(module: Any, chunks: Sequence[bytes], settings: dict[str, Any]) -> dict[str, Any]:
    """Like ws_cases.run_reader, minus its per-feed check of CPython's shared 1-byte objects
    (the caller checks them once per case: ten times faster, and a corruption stays visible).
    """
    from fasthttp.ws_types import WebSocketError
    from ws_cases import PING, build_frame, norm

    reader = module.WebSocketReader(**settings)
    per_feed: list[Any] = []
    out: dict[str, Any] = {"per_feed": per_feed}
    for i, chunk in enumerate(chunks):
        try:
            per_feed.append([norm(m) for m in reader.feed_data(chunk)])
        except WebSocketError as exc:
            out["error"] = (exc.code, type(exc).__name__, str(exc))
            out["error_feed"] = i
            out["error_messages"] = [norm(m) for m in getattr(exc, "messages", ())]
            later: list[tuple[Any, Any]] = []
            for extra in (b"", build_frame(PING, b"x"), build_frame(PING, b"x", key=b"abcd")):
                try:
                    reader.feed_data(extra)
                except WebSocketError as exc2:
                    later.append((exc2.code, exc2 is exc))
                else:
                    later.append(("no error", None))
            out["later"] = later
            break
    return out


def ws_messages(outcome: dict[str, Any]) -> list[Any]:
    messages: list[Any] = [m for feed in outcome["per_feed"] for m in feed]
    return messages + list(outcome.get("error_messages", []))
