"""The request body from the data items, as httpie builds it: a JSON object by default, an
urlencoded form with -f/--form, multipart/form-data with -f and a file item or with --multipart;
a raw body from `@file`, --raw or piped stdin.

The body is built as bytes here (not streamed), so that -v and --offline can print exactly what
is sent.
"""

from __future__ import annotations

import json
import mimetypes
import os
import secrets
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlencode

from .request_items import FileItem, RequestItems, UsageError

__all__ = ("Body", "build_body", "deflated")

JSON_ACCEPT = "application/json, */*;q=0.5"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass
class Body:
    data: Optional[bytes]
    content_type: Optional[str]


def _text_value(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise UsageError(f"'{name}': raw JSON fields (:=) cannot be used with --form or --multipart")
    return value


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "%0D").replace("\n", "%0A")


def _file_type(item: FileItem) -> str:
    return item.mime or mimetypes.guess_type(item.path)[0] or "application/octet-stream"


def multipart(parts: list[tuple[str, Any]], boundary: Optional[str]) -> Body:
    """Fields (str) and files (FileItem) in the given order."""
    boundary = boundary or secrets.token_hex(16)
    out = bytearray()
    for name, value in parts:
        if not isinstance(value, FileItem):
            out += f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode()
            out += _text_value(name, value).encode("utf-8") + b"\r\n"
            continue
        item = value
        filename = _quoted(os.path.basename(item.path))
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(item.name)}"; '
                f'filename="{filename}"\r\nContent-Type: {_file_type(item)}\r\n\r\n').encode()
        out += item.content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return Body(bytes(out), f"multipart/form-data; boundary={boundary}")


def build_body(items: RequestItems, form: bool, force_multipart: bool, boundary: Optional[str],
               raw: Optional[bytes]) -> Body:
    """`raw` is --raw or piped stdin; it cannot be mixed with data items."""
    if raw is not None and items.has_data:
        raise UsageError("request body (from stdin or --raw) and request data items cannot be mixed")
    if items.body_file is not None:
        if items.data or items.files:
            raise UsageError("a body from @file and request data items cannot be mixed")
        return Body(items.body_file.content, items.body_file.mime or mimetypes.guess_type(items.body_file.path)[0])
    if raw is not None:
        return Body(raw, None)
    if force_multipart or (form and items.files):
        return multipart(items.form_order, boundary)
    if items.files:
        names = ", ".join(item.name for item in items.files)
        raise UsageError(f"file fields need --form or --multipart (perhaps you meant --form?): {names}")
    if form:
        if not items.data:
            return Body(None, None)
        fields = [(name, _text_value(name, value)) for name, value in items.data]
        return Body(urlencode(fields).encode("ascii"), FORM_TYPE)
    if not items.data:
        return Body(None, None)
    from .request_json_paths import build_json

    return Body(json.dumps(build_json(items.data)).encode("utf-8"), "application/json")


def deflated(body: Body, always: bool) -> Optional[bytes]:
    """-x/--compress: the body deflated (zlib's format, httpie's Content-Encoding: deflate) when
    that makes it smaller, or whatever the size with -xx; None when it stays as it is."""
    if not body.data:
        return None
    import zlib

    packed = zlib.compress(body.data)
    return packed if always or len(packed) < len(body.data) else None
