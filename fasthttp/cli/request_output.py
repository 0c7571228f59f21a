"""What the request command prints, as httpie prints it: heads as HTTP text, bodies formatted
(JSON indented) and coloured with Pygments on a terminal, binary bodies never written to a
terminal, and every error on a fresh line."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterable, Optional

__all__ = ("BINARY_NOTICE", "Printer", "error", "warning")

BINARY_NOTICE = (
    "+-----------------------------------------+\n"
    "| NOTE: binary data not shown in terminal |\n"
    "+-----------------------------------------+"
)


@dataclass
class Printer:
    out: BinaryIO
    to_terminal: bool
    colors: bool
    format: bool
    style: str
    at_line_start: bool = True

    def write(self, text: str) -> None:
        self.write_bytes(text.encode("utf-8"))

    def write_bytes(self, data: bytes) -> None:
        if data:
            self.out.write(data)
            self.out.flush()
            self.at_line_start = data.endswith(b"\n")

    def end_line(self) -> None:
        if not self.at_line_start:
            self.write("\n")

    def head(self, text: str) -> None:
        self.write(self._colour(text, "http") + "\n")

    def body(self, data: bytes, content_type: str, charset: Optional[str]) -> None:
        """The body as it came off a pipe without --pretty; formatted and checked for binary
        data whenever it goes to a terminal or is prettified."""
        if not (self.to_terminal or self.colors or self.format):
            self.write_bytes(data)
            return
        if b"\0" in data:
            self.write(BINARY_NOTICE + "\n")
            return
        text = data.decode(charset or "utf-8", "replace")
        lexer = None
        if self.format and _is_json(content_type, text):
            try:
                text = json.dumps(json.loads(text), indent=4, sort_keys=True, ensure_ascii=False)
                lexer = "json"
            except ValueError:
                pass
        if lexer is None and "json" in content_type:
            lexer = "json"
        self.write(self._colour(text, lexer, content_type))
        if self.to_terminal:
            self.end_line()

    def _colour(self, text: str, lexer_name: Optional[str], mime: str = "") -> str:
        if not self.colors:
            return text
        try:
            import pygments
            import pygments.formatters
            import pygments.lexers
            import pygments.util
        except ImportError:  # the `cli` extra is not installed: uncoloured, as --pretty=format
            return text
        try:
            if lexer_name:
                lexer = pygments.lexers.get_lexer_by_name(lexer_name)
            else:
                lexer = pygments.lexers.get_lexer_for_mimetype(mime.split(";")[0].strip())
        except pygments.util.ClassNotFound:
            return text
        if self.style == "auto":
            formatter: Any = pygments.formatters.TerminalFormatter()
        else:
            formatter = pygments.formatters.Terminal256Formatter(style=self.style)
        coloured: str = pygments.highlight(text, lexer, formatter)
        # Pygments ends with a newline of its own; keep the text's own ending.
        return coloured[:-1] if coloured.endswith("\n") and not text.endswith("\n") else coloured


def _is_json(content_type: str, text: str) -> bool:
    return "json" in content_type or (content_type.startswith(("text/", "application/javascript"))
                                      and text.lstrip()[:1] in ("{", "["))


def style_exists(name: str) -> bool:
    if name == "auto":
        return True
    try:
        import pygments.styles
        import pygments.util
    except ImportError:
        return True  # no colours at all: the style does not matter
    try:
        pygments.styles.get_style_by_name(name)
    except pygments.util.ClassNotFound:
        return False
    return True


def request_head(method: str, path_qs: str, headers: Iterable[tuple[str, str]]) -> str:
    lines = [f"{method} {path_qs or '/'} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    return "\n".join(lines) + "\n"


def response_head(response: Any) -> str:
    version = f"{response.version[0]}.{response.version[1]}"
    lines = [f"HTTP/{version} {response.status} {response.reason}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    return "\n".join(lines) + "\n"


def _message(kind: str, text: str, printer: Optional[Printer]) -> None:
    # A body without a final newline must not swallow the start of the message: the newline
    # goes to stderr (as httpie does), so that stdout keeps exactly the body's bytes.
    if printer is not None and not printer.at_line_start:
        sys.stderr.write("\n")
    sys.stderr.write(f"fasthttp: {kind}: {text}\n")
    sys.stderr.flush()


def error(text: str, printer: Optional[Printer] = None) -> None:
    _message("error", text, printer)


def warning(text: str, printer: Optional[Printer] = None) -> None:
    _message("warning", text, printer)
