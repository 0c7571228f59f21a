"""httpie 3's nested JSON: the names of data items are paths into the JSON body.

`a[b]=c` is {"a": {"b": "c"}}, `a[]=1` appends to the array `a`, `a[2]=x` sets its third element
(padding with null), `[]:=1` and `[0][x]=y` build a top-level array. In a name, `\\[`, `\\]` and
`\\\\` are the characters themselves, and `[\\5]` is the object key "5" (an unescaped number in
brackets is an index). A path that asks for an object where an earlier item made an array (or
a string) is an error, as in httpie; so is a malformed path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional, Union

from .request_items import UsageError

__all__ = ("JsonPathError", "build_json")

_INTEGER = re.compile(r"\s*[+-]?\d+(?:_\d+)*\s*\Z")  # what int() reads, as httpie reads indexes
_TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number",
               bool: "boolean", type(None): "null"}


class JsonPathError(UsageError):
    """A data item's name that is not a valid path, or that clashes with an earlier item."""

    def __init__(self, name: str, message: str, start: Optional[int] = None, end: Optional[int] = None):
        text = f"'{name}': {message}"
        if start is not None:  # point at the culprit under the name, as httpie does
            text += f"\n  {name}\n  {' ' * start}{'^' * max(1, (end or start + 1) - start)}"
        super().__init__(text)


@dataclass
class _Step:
    kind: str  # "key", "index" or "append"
    accessor: Union[str, int, None]
    start: int
    end: int

    def spelled(self, is_root: bool) -> str:
        if self.kind == "append":
            return "[]"
        return str(self.accessor) if is_root and self.kind == "key" else f"[{self.accessor}]"


def _read_segment(name: str, i: int) -> tuple[str, bool, int]:
    """The text from i to the next unescaped bracket: (text, had an escape, where it ends)."""
    text: list[str] = []
    escaped = False
    while i < len(name) and name[i] not in "[]":
        if name[i] == "\\" and i + 1 < len(name):
            if name[i + 1] in "[]\\":
                escaped = True
                text.append(name[i + 1])
            else:  # kept whole: `\5` is how a number is written as a key
                text.append(name[i:i + 2])
            i += 2
            continue
        text.append(name[i])
        i += 1
    return "".join(text), escaped, i


def _bracketed(text: str, escaped: bool) -> tuple[str, Union[str, int]]:
    if not escaped and _INTEGER.match(text):
        return "index", int(text)
    if not escaped and text.startswith("\\") and _INTEGER.match(text[1:]):
        return "key", text[1:]
    return "key", text


def _parse(name: str) -> list[_Step]:
    steps: list[_Step] = []
    i = 0
    if not name.startswith("["):  # the root: a key, whatever it looks like
        text, _, i = _read_segment(name, 0)
        steps.append(_Step("key", text, 0, i))
    while i < len(name):
        start = i
        if name[i] != "[":
            raise JsonPathError(name, "expecting '['", i, i + 1)
        text, escaped, i = _read_segment(name, i + 1)
        if i >= len(name) or name[i] != "]":
            raise JsonPathError(name, "expecting ']'", i, i + 1)
        i += 1
        if not text and not escaped:
            steps.append(_Step("append", None, start, i))
            continue
        kind, accessor = _bracketed(text, escaped)
        if not steps and kind == "key":
            raise JsonPathError(name, "expecting a number or ']' (a top-level array)", start + 1, i - 1)
        if kind == "index" and int(accessor) < 0:
            raise JsonPathError(name, "negative indexes are not supported", start + 1, i - 1)
        steps.append(_Step(kind, accessor, start, i))
    return steps or [_Step("key", "", 0, 0)]


def _new_container(step: _Step) -> Any:
    return {} if step.kind == "key" else []


def _insert(root: Any, name: str, steps: list[_Step], value: Any) -> None:
    here: Any = root
    for n, step in enumerate(steps):
        wanted = "object" if step.kind == "key" else "array"
        found = _TYPE_NAMES.get(type(here), type(here).__name__)
        if found != wanted:
            so_far = "".join(s.spelled(k == 0) for k, s in enumerate(steps[:n]))
            raise JsonPathError(
                name, f"cannot perform '{step.kind}' based access on '{so_far}' which has a type of "
                f"'{found}' but this operation requires a type of '{wanted}'", step.start, step.end)
        last = n == len(steps) - 1
        child = value if last else _new_container(steps[n + 1])
        if step.kind == "key":
            if last:
                here[step.accessor] = value
            else:
                here = here.setdefault(step.accessor, child)
        elif step.kind == "index":
            index = int(step.accessor)  # type: ignore[arg-type]
            if len(here) <= index:
                here.extend([None] * (index + 1 - len(here)))
            if last or here[index] is None:
                here[index] = child
            here = here[index]
        else:
            here.append(child)
            here = child


def build_json(fields: list[tuple[str, Any]]) -> Any:
    """The JSON document (an object, or an array when the first path starts with `[`) the data
    items describe, in command-line order (a plain name given twice: the last value wins)."""
    root: Any = None
    for name, value in fields:
        steps = _parse(name)
        if root is None:
            root = _new_container(steps[0])
        _insert(root, name, steps, value)
    return {} if root is None else root
