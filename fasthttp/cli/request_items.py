"""httpie's request items, parsed: `Name:value`, `Name;`, `param==value`, `field=value`,
`field:=json`, `field@file`, `field=@file`, `field:=@file`, `Name:@file`, `param==@file`, and
`@file` alone (the body from a file).

The separator is the first one in the item (the longest at that position); a backslash escapes a
separator character (`a\\:b=c` is the field `a:b`, `a=b\\=c` the value `b=c`); other backslashes
stay, for the JSON paths of data items (request_json_paths). File items may carry
`;type=MIME` after the path.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ("UsageError", "FileItem", "RequestItems", "parse_items")

# Longest first: at one position the longest separator wins (`:=@` over `:=` over `:`).
_SEPARATORS = (":=@", "==@", ":=", "==", "=@", ":@", ":", "=", "@", ";")
_SEPARATOR_CHARS = frozenset(":=@;")


class UsageError(Exception):
    """A mistake on the command line: one line on stderr, exit status 1."""


@dataclass
class FileItem:
    name: str
    path: str
    content: bytes
    mime: Optional[str]


@dataclass
class RequestItems:
    headers: list[tuple[str, str]] = field(default_factory=list)
    removed_headers: list[str] = field(default_factory=list)  # `Name:`: do not send it at all
    query: list[tuple[str, str]] = field(default_factory=list)
    data: list[tuple[str, Any]] = field(default_factory=list)  # (name, str or a JSON value)
    raw_json_names: list[str] = field(default_factory=list)  # names given with := (not form-able)
    files: list[FileItem] = field(default_factory=list)
    body_file: Optional[FileItem] = None  # `@path` alone
    # Data and file items in command-line order: a multipart body keeps it, as httpie's does.
    form_order: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.data or self.files or self.body_file)


def _unescape(text: str) -> str:
    """A backslash before a separator character is dropped; any other backslash stays (httpie's
    rule: `a\\\\b` keeps both backslashes, which JSON paths then read as one)."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            following = text[i + 1]
            out.append(following if following in _SEPARATOR_CHARS else text[i:i + 2])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _split(item: str) -> tuple[str, str, str]:
    """(name, separator, value), honouring backslash escapes in both."""
    i = 0
    while i < len(item):
        if item[i] == "\\":
            i += 2  # an escaped character (or a backslash pair) is never a separator
            continue
        for sep in _SEPARATORS:
            if item.startswith(sep, i):
                return _unescape(item[:i]), sep, _unescape(item[i + len(sep):])
        i += 1
    raise UsageError(f"'{item}' is not a valid request item "
                     "(use Header:value, param==value, field=value, field:=json or field@file)")


def _read(path: str, item: str) -> bytes:
    try:
        with open(os.path.expanduser(path), "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"'{item}': cannot read {path}: {exc.strerror}") from None


def _text(path: str, item: str) -> str:
    try:
        return _read(path, item).decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"'{item}': {path} is not UTF-8 text") from None


def _json(text: str, item: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"'{item}': the value after := is not valid JSON ({exc})") from None


def _file(name: str, value: str, item: str) -> FileItem:
    path, mime = value, None
    if ";type=" in value:
        path, _, mime = value.rpartition(";type=")
    return FileItem(name, path, _read(path, item), mime)


def parse_items(items: list[str]) -> RequestItems:
    parsed = RequestItems()
    for item in items:
        name, sep, value = _split(item)
        if sep == "@" and not name:
            if parsed.body_file is not None:
                raise UsageError(f"'{item}': only one @file can be the request body")
            parsed.body_file = _file("", value, item)
            continue
        if not name:
            raise UsageError(f"'{item}': the name before '{sep}' is empty")
        if sep == ":":
            if value.strip():
                parsed.headers.append((name.strip(), value.strip()))
            else:
                parsed.removed_headers.append(name.strip())
        elif sep == ";":
            if value:
                raise UsageError(f"'{item}': 'Name;' sends an empty header and takes no value")
            parsed.headers.append((name.strip(), ""))
        elif sep == ":@":
            parsed.headers.append((name.strip(), _text(value, item).strip()))
        elif sep == "==":
            parsed.query.append((name, value))
        elif sep == "==@":
            parsed.query.append((name, _text(value, item).rstrip("\r\n")))
        elif sep == "=":
            parsed.data.append((name, value))
        elif sep == "=@":
            parsed.data.append((name, _text(value, item)))
        elif sep == ":=":
            parsed.data.append((name, _json(value, item)))
            parsed.raw_json_names.append(name)
        elif sep == ":=@":
            parsed.data.append((name, _json(_text(value, item), item)))
            parsed.raw_json_names.append(name)
        else:  # "@": a file field
            parsed.files.append(_file(name, value, item))
            parsed.form_order.append((name, parsed.files[-1]))
            continue
        if sep in ("=", "=@", ":=", ":=@"):
            parsed.form_order.append(parsed.data[-1])
    return parsed
