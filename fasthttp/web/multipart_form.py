"""Reading a multipart/form-data body for Request.post(), as it streams in.

Fields become str values; file parts become FileField objects whose `file` is a
SpooledTemporaryFile: in memory while small, on disk past `SPOOL_LIMIT`. The whole body is
limited by the request's client_max_size (413), the number of parts by its client_max_fields
(413, checked before a part is read), and part heads by MAX_PART_HEAD.
"""

from __future__ import annotations

import tempfile
from email.message import Message
from email.parser import HeaderParser
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict

if TYPE_CHECKING:
    from .request import Request

__all__ = ("FileField", "parse_form", "SPOOL_LIMIT")

SPOOL_LIMIT = 1024 * 1024
MAX_PART_HEAD = 8192


class FileField(NamedTuple):
    name: str
    filename: str
    file: Any
    content_type: str
    headers: "CIMultiDictProxy[str]"


def _boundary(content_type: str) -> bytes:
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        from .exceptions import HTTPBadRequest

        raise HTTPBadRequest(text="multipart/form-data without a valid boundary")
    return boundary.encode("latin-1")


class _Body:
    """The request body as a buffer that refills from the stream, counting against the limit."""

    def __init__(self, request: "Request") -> None:
        self.request = request
        self.buf = bytearray()
        self.total = 0
        self.eof = False

    async def fill(self) -> bool:
        if self.eof:
            return False
        chunk = await self.request.content.readany()
        if not chunk:
            self.eof = True
            return False
        self.total += len(chunk)
        limit = self.request._client_max_size
        if limit and self.total > limit:
            self.request._raise_too_large(self.total)
        self.buf += chunk
        return True


def _bad(message: str) -> Exception:
    from .exceptions import HTTPBadRequest

    return HTTPBadRequest(text=f"malformed multipart body: {message}")


async def parse_form(request: "Request") -> "MultiDict[Any]":
    delimiter = b"--" + _boundary(request.headers.get("Content-Type", ""))
    body = _Body(request)
    form: MultiDict[Any] = MultiDict()
    # The first delimiter (anything before it is a preamble, ignored).
    while True:
        found = body.buf.find(delimiter)
        if found >= 0:
            del body.buf[: found + len(delimiter)]
            break
        keep = len(delimiter)
        if len(body.buf) > keep:
            del body.buf[:-keep]
        if not await body.fill():
            raise _bad("no opening boundary")
    separator = b"\r\n" + delimiter
    max_fields = request.client_max_fields
    while True:
        while len(body.buf) < 2:
            if not await body.fill():
                raise _bad("truncated after a boundary")
        if body.buf[:2] == b"--":
            return form  # the closing delimiter
        if body.buf[:2] != b"\r\n":
            raise _bad("boundary not followed by CRLF")
        del body.buf[:2]
        if 0 < max_fields <= len(form):
            request._raise_too_many_fields(max_fields)
        # The part's head.
        while True:
            end = body.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(body.buf) > MAX_PART_HEAD or not await body.fill():
                raise _bad("part head too long or truncated")
        raw_head = bytes(body.buf[:end]).decode("utf-8", "surrogateescape")
        del body.buf[: end + 4]
        parsed = HeaderParser().parsestr(raw_head)
        headers: CIMultiDict[str] = CIMultiDict(parsed.items())
        disposition = Message()
        disposition["content-disposition"] = headers.get("Content-Disposition", "")
        name = disposition.get_param("name", header="content-disposition")
        filename = disposition.get_param("filename", header="content-disposition")
        if not isinstance(name, str):
            raise _bad("part without a name")
        sink: Any = (
            tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)
            if isinstance(filename, str) else bytearray()
        )
        # The part's body, up to the next delimiter, streamed into its sink.
        while True:
            found = body.buf.find(separator)
            if found >= 0:
                sink_write(sink, bytes(body.buf[:found]))
                del body.buf[: found + len(separator)]
                break
            safe = len(body.buf) - len(separator)
            if safe > 0:
                sink_write(sink, bytes(body.buf[:safe]))
                del body.buf[:safe]
            if not await body.fill():
                raise _bad("part not closed by a boundary")
        content_type = headers.get("Content-Type", "text/plain" if filename is None else "application/octet-stream")
        if isinstance(filename, str):
            sink.seek(0)
            form.add(name, FileField(name, filename, sink, content_type, CIMultiDictProxy(headers)))
        else:
            charset = _charset(content_type) or request.charset or "utf-8"
            form.add(name, bytes(sink).decode(charset, "replace"))


def sink_write(sink: Any, data: bytes) -> None:
    if isinstance(sink, bytearray):
        sink += data
    else:
        sink.write(data)


def _charset(content_type: str) -> Optional[str]:
    message = Message()
    message["content-type"] = content_type
    value = message.get_param("charset")
    return value if isinstance(value, str) else None
