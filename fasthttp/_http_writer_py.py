"""Pure-Python twin of the HTTP head serializer (`fasthttp._http_writer` is the compiled one).

`serialize_head(first_line, headers)` turns a request or status line and a header mapping into
the bytes of an HTTP/1.1 head:

    first_line CRLF (name ": " value CRLF)* CRLF

encoded as UTF-8 with surrogateescape (so that a str made from arbitrary bytes goes back out as
those bytes). `headers` is anything with `items()` yielding (str, str) pairs, in order: a
CIMultiDict as the client and server keep them.

A CR, LF or NUL anywhere in the first line, a name or a value would let a caller's data forge
header lines or a second message, so it raises `ValueError` naming the first offending header
(or the first line); nothing is returned half-checked. Names are not otherwise checked here:
the callers decide what a valid name is.
"""

from __future__ import annotations

from typing import Any

__all__ = ("serialize_head",)


def serialize_head(first_line: str, headers: Any) -> bytes:
    lines = [first_line, "\r\n"]
    count = 0
    for name, value in headers.items():
        lines += (name, ": ", value, "\r\n")
        count += 1
    lines.append("\r\n")
    text = "".join(lines)
    # Every CR and LF must be one of the line ends put there above, and there is no NUL:
    # counting over the joined text checks every piece at C speed.
    line_ends = count + 2
    if text.count("\r") != line_ends or text.count("\n") != line_ends or "\x00" in text:
        raise ValueError(_describe_injection(first_line, headers))
    return text.encode("utf-8", "surrogateescape")


def _describe_injection(first_line: str, headers: Any) -> str:
    if _forbidden(first_line):
        return f"CR, LF or NUL character in the start line {first_line[:60]!r}"
    for name, value in headers.items():
        if _forbidden(name):
            return f"CR, LF or NUL character in header name {name[:60]!r}"
        if _forbidden(value):
            return f"CR, LF or NUL character in the value of header {name[:60]!r}"
    raise AssertionError("no forbidden character found")  # pragma: no cover - counted above


def _forbidden(text: str) -> bool:
    return "\r" in text or "\n" in text or "\x00" in text
