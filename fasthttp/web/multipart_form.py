"""Request.post() of a multipart/form-data body, read with the one multipart scanner
(fasthttp/multipart_reader.py) as the body streams in.

Fields become str values; file parts become FileField objects whose `file` is a
SpooledTemporaryFile: in memory while small, on disk past `SPOOL_LIMIT`. The whole body is
limited by the request's client_max_size (413, counted as it arrives), the number of parts by
its client_max_fields (413, checked before a part's body is read), and part heads by the
server's max_field_size and max_headers (400). A malformed body is a 400.
"""

from __future__ import annotations

import sys
import tempfile
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDictProxy, MultiDict

from ..http_exceptions import BadHttpMessage
from ..multipart_reader import BodyPartReader, MultipartReader

if TYPE_CHECKING:
    from .request import Request

__all__ = ("FileField", "parse_form", "SPOOL_LIMIT")

SPOOL_LIMIT = 1024 * 1024


class FileField(NamedTuple):
    name: str
    filename: str
    file: Any
    content_type: str
    headers: "CIMultiDictProxy[str]"


class _CountedBody:
    """The request body as the reader's stream, counted against client_max_size as it arrives
    (the reader's own limit is per part; this one is the whole body's, as aiohttp's post())."""

    __slots__ = ("_request", "_total")

    def __init__(self, request: "Request") -> None:
        self._request = request
        self._total = 0

    async def readany(self) -> bytes:
        request = self._request
        chunk: bytes = await request.content.readany()
        self._total += len(chunk)
        limit = request._client_max_size
        if limit and self._total > limit:
            request._raise_too_large(self._total)
        return chunk


def _bad(message: str) -> Exception:
    from .exceptions import HTTPBadRequest

    return HTTPBadRequest(text=message)


async def parse_form(request: "Request") -> "MultiDict[Any]":
    from .exceptions import HTTPRequestEntityTooLarge

    settings = request._protocol._settings
    try:
        reader = MultipartReader(
            request.headers, _CountedBody(request), client_max_size=request._client_max_size or sys.maxsize,
            max_field_size=settings.max_field_size, max_headers=settings.max_headers,
            max_size_error_cls=HTTPRequestEntityTooLarge,
        )
    except ValueError as exc:  # not multipart, no boundary, a boundary too long
        raise _bad(f"multipart/form-data without a valid boundary: {exc}") from None
    try:
        return await _read_parts(request, reader)
    except BadHttpMessage as exc:
        raise _bad(exc.message) from None


async def _read_parts(request: "Request", reader: MultipartReader) -> "MultiDict[Any]":
    form: MultiDict[Any] = MultiDict()
    max_fields = request.client_max_fields
    while True:
        part = await reader.next()
        if part is None:
            return form
        if 0 < max_fields <= len(form):
            request._raise_too_many_fields(max_fields)
        if not isinstance(part, BodyPartReader):
            raise _bad("malformed multipart body: a nested multipart part in a form")
        name = part.name
        if name is None:
            raise _bad("malformed multipart body: part without a name")
        filename = part.filename
        if filename is None:
            value = await part.read(decode=True)
            charset = part.get_charset(default=request.charset or "utf-8")
            form.add(name, value.decode(charset, "replace"))
            continue
        # A file: streamed into its spool (its transfer encoding undone, as aiohttp's), never
        # held whole.
        sink: Any = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)
        decoder = _TransferDecoder(part)
        while True:
            chunk = await part.read_chunk(part.chunk_size)
            if not chunk:
                break
            sink.write(decoder.feed(chunk))
        sink.write(decoder.flush())
        sink.seek(0)
        content_type = part.headers.get("Content-Type", "application/octet-stream")
        form.add(name, FileField(name, filename, sink, content_type, part.headers))


class _TransferDecoder:
    """A part's Content-Transfer-Encoding undone piece by piece: each piece is decoded up to
    where the encoding can be cut (whole 4-character groups of base64, whole lines of
    quoted-printable); the rest waits for the next piece."""

    __slots__ = ("_part", "_transfer", "_held")

    def __init__(self, part: BodyPartReader) -> None:
        self._part = part
        transfer = part.headers.get("Content-Transfer-Encoding", "").lower()
        self._transfer = transfer if transfer in ("base64", "quoted-printable") else None
        self._held = b""

    def feed(self, data: bytes) -> bytes:
        if self._transfer is None:
            return data
        if self._transfer == "base64":
            data = self._held + b"".join(data.split())  # line breaks may fall anywhere
            end = len(data) - len(data) % 4
        else:
            data = self._held + data
            end = data.rfind(b"\n") + 1
        self._held = data[end:]
        return self._part.decode(data[:end]) if end else b""

    def flush(self) -> bytes:
        held, self._held = self._held, b""
        return self._part.decode(held) if held else b""
