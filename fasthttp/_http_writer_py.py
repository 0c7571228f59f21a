"""Pure-Python twin of the HTTP head serializer (`fasthttp._http_writer` is the compiled one).

`serialize_head(first_line, headers)` turns a request or status line and a header mapping into
the bytes of an HTTP/1.1 head:

    first_line CRLF (name ": " value CRLF)* CRLF

encoded as UTF-8 with surrogateescape (so that a str made from arbitrary bytes goes back out as
those bytes). `headers` is anything with `items()` yielding (str, str) pairs, in order: a
CIMultiDict as the client and server keep them.

What is refused, before anything is returned (RFC 9110 5.1, 5.5, 5.6.2; RFC 9112 4):

- a control character other than HTAB (0x00-0x08, 0x0A-0x1F, 0x7F) in the first line, a name
  or a value: CR, LF and NUL would let a caller's data forge header lines or a second message,
  and the other controls are refused or mishandled differently by different peers (aiohttp 3.14
  refuses the same set, with the same wording);
- a header name that is not a token (``1*tchar``), such as ``"Host: evil.example"``, ``"X Y"``,
  ``""`` or a non-ASCII name;
- a lone surrogate that surrogateescape cannot turn back into a byte (outside U+DC80..U+DCFF).

Each raises `ValueError` (a non-str name or value: `TypeError`) with a message naming the first
offending string (start line, then each name and its value in order), built by `describe_error`,
which the compiled twin calls too: both twins give the same exception and message for the same
input. Values are never echoed in messages (they may be credentials); names are.
"""

from __future__ import annotations

import re
from typing import Any, Final, Iterator, Optional

__all__ = ("serialize_head", "serialize_response_head", "describe_error", "TCHARS")

#: RFC 9110 5.6.2 token characters: what a field name (and a method) may be made of.
TCHARS: Final = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_CTL_RE: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NON_TCHAR_RE: Final = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
# What surrogateescape cannot encode: every surrogate but U+DC80..U+DCFF.
_UNENCODABLE_RE: Final = re.compile("[\ud800-\udc7f\udd00-\udfff]")
# For bytes.translate(None, delete), the fastest whole-buffer scans Python has: what is left
# after deleting the controls (but HTAB), or the token characters, tells what was there.
_CTL_BYTES: Final = bytes(range(0x00, 0x09)) + bytes(range(0x0A, 0x20)) + b"\x7f"
_TCHAR_BYTES: Final = TCHARS.encode("ascii")

_CTL_MESSAGE: Final = (
    "Forbidden control character detected in headers. Potential header injection attack"
)


def serialize_head(first_line: str, headers: Any) -> bytes:
    lines = [first_line, "\r\n"]
    names = []
    for name, value in headers.items():
        lines += (name, ": ", value, "\r\n")
        names.append(name)
    lines.append("\r\n")
    try:
        data = "".join(lines).encode("utf-8", "surrogateescape")
    except (TypeError, UnicodeEncodeError):
        raise describe_error(first_line, headers) from None
    # The only controls allowed are HTAB and the CR LF pairs put there above: deleting every
    # other control must remove exactly those pairs. Names are almost always ones already seen.
    if len(data) - len(data.translate(None, _CTL_BYTES)) != 2 * (len(names) + 2) or not (
        _TOKEN_NAMES.issuperset(names) or _all_tokens(names)
    ):
        raise describe_error(first_line, headers)
    return data


#: Names known to be tokens, so that checking the usual ones costs a set lookup. Bounded: past
#: the limit, new names are checked every time.
_TOKEN_NAMES: Final[set[str]] = set()
_TOKEN_NAMES_MAX: Final = 512
_TOKEN_NAME_MAX_LENGTH: Final = 64


def _all_tokens(names: list[str]) -> bool:
    for name in names:
        if name in _TOKEN_NAMES:
            continue
        if not name or not name.isascii() or name.encode("ascii").translate(None, _TCHAR_BYTES):
            return False
        if len(_TOKEN_NAMES) < _TOKEN_NAMES_MAX and len(name) <= _TOKEN_NAME_MAX_LENGTH:
            _TOKEN_NAMES.add(str(name))
    return True


def describe_error(first_line: Any, headers: Any) -> Exception:
    """The exception for a head that failed a check: the first offending string, explained.

    Shared by both twins (the compiled one only detects, in C, that something is wrong).
    """
    pieces = list(_pieces(first_line, headers))
    for _, text, _ in pieces:  # a wrong type is reported first, wherever it is
        if not isinstance(text, str):
            return TypeError(f"header names and values must be str, not {type(text).__name__}")
    for kind, text, name in pieces:
        problem = _problem(kind, text, name)
        if problem is not None:
            return ValueError(problem)
    return AssertionError("serialize_head: no offending character found")  # pragma: no cover


def _pieces(first_line: Any, headers: Any) -> Iterator[tuple[str, Any, Any]]:
    yield "line", first_line, None
    for name, value in headers.items():
        yield "name", name, name
        yield "value", value, name


def _where(kind: str, text: str, name: Any) -> str:
    if kind == "line":
        return f"in the start line {text[:60]!r}"
    shown = name[:60]
    if kind == "name":
        return f"in header name {shown!r}"
    return f"in the value of header {shown!r}"


def _problem(kind: str, text: str, name: Any) -> Optional[str]:
    match = _CTL_RE.search(text)
    if match is not None:
        where = _where(kind, text, name)
        return f"{_CTL_MESSAGE}: {match.group()!r} at index {match.start()} {where}"
    if kind == "name":
        if not text:
            return "Invalid header name '': a field name must be a token (RFC 9110 5.6.2)"
        match = _NON_TCHAR_RE.search(text)
        if match is not None:
            return (
                f"Invalid header name {text[:60]!r}: a field name must be a token "
                f"(RFC 9110 5.6.2); {match.group()!r} at index {match.start()} is not a token "
                f"character"
            )
        return None
    match = _UNENCODABLE_RE.search(text)
    if match is not None:
        where = _where(kind, text, name)
        return (
            f"Cannot encode a lone surrogate {match.group()!r} at index {match.start()} "
            f"{where} (only U+DC80..U+DCFF, from bytes decoded with surrogateescape, stand "
            f"for raw bytes)"
        )
    return None


class _Fields(list):  # type: ignore[type-arg]
    """(name, value) pairs in order, readable as serialize_head reads a header mapping."""

    def items(self) -> "_Fields":
        return self


# The fields serialize_response_head writes itself: lower-case name -> bit in the `seen` mask.
_OWN_FIELDS: Final = {"content-type": 1, "content-length": 2, "date": 4, "server": 8, "connection": 16}


def serialize_response_head(
    status_line: str,
    headers: Any,
    content_type: Optional[str],
    content_length: Optional[str],
    date: str,
    server: str,
    connection: Optional[str],
) -> bytes:
    """A server response head: `status_line`, `headers` (a mapping, or None for none), and the
    fields the server adds, without editing `headers`:

    - Content-Length: `content_length` replaces any in `headers` (the first keeps its place,
      the others are dropped), else it is added; None: left as `headers` has it;
    - Connection: the same, with `connection`;
    - Content-Type, Date, Server: added (with `content_type`, `date`, `server`) only when
      `headers` has none; a None `content_type` adds nothing.

    The added fields follow `headers`, in that order: Content-Type, Content-Length, Date,
    Server, Connection. This is the head the multidict edits of `headers[name] = value` /
    `setdefault` would give (names and values checked as serialize_head checks them, with its
    exceptions and messages), for one pass over the headers and no copy of them.
    """
    fields = _Fields()
    seen = 0
    if headers is not None:
        own = _OWN_FIELDS
        for name, value in headers.items():
            bit = own.get(name.lower(), 0) if isinstance(name, str) else 0
            if bit:
                if bit == 2 and content_length is not None:
                    if not seen & 2:
                        fields.append(("Content-Length", content_length))
                    seen |= 2
                    continue
                if bit == 16 and connection is not None:
                    if not seen & 16:
                        fields.append(("Connection", connection))
                    seen |= 16
                    continue
                seen |= bit
            fields.append((name, value))
    if content_type is not None and not seen & 1:
        fields.append(("Content-Type", content_type))
    if content_length is not None and not seen & 2:
        fields.append(("Content-Length", content_length))
    if not seen & 4:
        fields.append(("Date", date))
    if not seen & 8:
        fields.append(("Server", server))
    if connection is not None and not seen & 16:
        fields.append(("Connection", connection))
    return serialize_head(status_line, fields)
