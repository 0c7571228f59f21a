"""Reading a multipart body as it streams in: MultipartReader and BodyPartReader (aiohttp's).

    reader = await request.multipart()          # or MultipartReader.from_response(resp)
    async for part in reader:                   # BodyPartReader, or a MultipartReader if nested
        if part.filename:
            async for chunk in part:            # read_chunk() until b""
                sink.write(chunk)
        else:
            value = await part.text()

A part is read only when asked for (iterating a part gives read_chunk() pieces, where aiohttp's
iteration reads the whole part at once: deliberate, an upload is never held whole); reading the next one skips (releases) what is left of the
previous. Nested multipart parts share the same stream. What a hostile body can make it hold:

- a part's head: at most `max_headers` lines of at most `max_field_size` bytes (aiohttp's 128
  and 8190): past either, BadHttpMessage (a server answers 400);
- a part read whole (read(), text(), json(), form()): at most `client_max_size` bytes, raw or
  decoded, past which `max_size_error_cls` is raised (413 from request.multipart());
- read_chunk() and iteration: at most the chunk size asked for, plus a boundary's length of
  look-ahead.

A body that ends before its closing boundary, a delimiter not followed by CRLF or "--", or a
part head without its empty line raise BadHttpMessage ("malformed multipart body: ...").
"""

from __future__ import annotations

import base64
import binascii
import json
import quopri
import sys
import zlib
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any, Mapping, Optional, Union
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy

from . import hdrs
from .http_exceptions import BadHttpMessage, LineTooLong

__all__ = ("MultipartReader", "BodyPartReader")

_LWSP = b" \t"


def _malformed(what: str) -> BadHttpMessage:
    return BadHttpMessage(f"malformed multipart body: {what}")


def _params(header: Optional[str], name: str) -> Message:
    message = Message()
    message[name] = header or ""
    return message


class _Source:
    """The body: its stream plus what was read ahead of the reader (shared by nested readers)."""

    __slots__ = ("content", "buf", "eof")

    def __init__(self, content: Any) -> None:
        self.content = content
        self.buf = bytearray()
        self.eof = False

    async def fill(self) -> bool:
        """Read more into buf; False at the end of the stream."""
        if self.eof:
            return False
        chunk = await self.content.readany()
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True


class BodyPartReader:
    """One part: its headers, and its body read in chunks up to the next delimiter."""

    chunk_size = 8192
    # The longest line readline() returns (aiohttp's readline stops at its stream's high-water
    # mark, 2 * 64 KiB, with LineTooLong; a subclass may set its own).
    max_line_size = 2**17

    def __init__(
        self,
        boundary: bytes,
        headers: "CIMultiDictProxy[str]",
        content: Any,
        *,
        subtype: str = "mixed",
        default_charset: Optional[str] = None,
        client_max_size: int = sys.maxsize,
        max_size_error_cls: type[Exception] = ValueError,
    ) -> None:
        self.headers = headers
        self._boundary = boundary  # "--" + the boundary
        self._source = content if isinstance(content, _Source) else _Source(content)
        self._separator = b"\r\n" + boundary
        self._is_form_data = subtype == "form-data"
        self._default_charset = default_charset
        self._client_max_size = client_max_size
        self._max_size_error_cls = max_size_error_cls
        self._at_eof = False

    def __aiter__(self) -> "BodyPartReader":
        return self

    async def __anext__(self) -> bytes:
        chunk = await self.read_chunk()
        if not chunk:
            raise StopAsyncIteration
        return chunk

    async def next(self) -> Optional[bytes]:
        chunk = await self.read_chunk()
        return chunk or None

    def at_eof(self) -> bool:
        """Whether the part's closing delimiter was reached."""
        return self._at_eof

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Up to `size` bytes of the part's body (raw, not decoded); b"" once it is over."""
        if self._at_eof:
            return b""
        source = self._source
        separator = self._separator
        while True:
            buf = source.buf
            found = buf.find(separator)
            if found >= 0:
                if found > size:
                    data = bytes(buf[:size])
                    del buf[:size]
                    return data
                data = bytes(buf[:found])
                del buf[: found + len(separator)]
                self._at_eof = True
                return data
            # Keep what could be the start of the separator: it may end in the next read.
            safe = len(buf) - len(separator) + 1
            if safe > 0:
                take = min(safe, size)
                data = bytes(buf[:take])
                del buf[:take]
                return data
            if not await source.fill():
                raise _malformed("the body ended inside a part (no closing boundary)")

    async def read(self, *, decode: bool = False) -> bytes:
        """The rest of the part's body (decoded by its Content-Transfer-Encoding and, but in
        form-data, Content-Encoding when `decode`), bounded by client_max_size."""
        data = bytearray()
        while not self._at_eof:
            data += await self.read_chunk(self.chunk_size)
            if len(data) > self._client_max_size:
                raise self._max_size_error_cls(self._client_max_size)
        if decode:
            decoded = self.decode(bytes(data))
            if len(decoded) > self._client_max_size:
                raise self._max_size_error_cls(self._client_max_size)
            return decoded
        return bytes(data)

    async def readline(self) -> bytes:
        """The next line of the part's body, with its line ending (b"" once it is over).
        A line longer than `max_line_size` raises LineTooLong (a BadHttpMessage: 400 from a
        server), so a body without newlines is never gathered whole, whatever the reader's
        client_max_size (sys.maxsize when built directly)."""
        line = bytearray()
        limit = self.max_line_size
        while not self._at_eof:
            if len(line) > limit:
                raise LineTooLong("a multipart body line", limit)
            chunk = await self.read_chunk(min(self.chunk_size, limit + 1 - len(line)))
            newline = chunk.find(b"\n")
            if newline >= 0:
                line += chunk[: newline + 1]
                if len(line) > limit:
                    raise LineTooLong("a multipart body line", limit)
                rest = chunk[newline + 1 :]
                if rest:
                    # Put back what follows the line: it is still part of this body.
                    self._source.buf[:0] = rest
                    if self._at_eof:
                        self._source.buf[len(rest) : len(rest)] = self._separator
                        self._at_eof = False
                return bytes(line)
            line += chunk
            if len(line) > self._client_max_size:
                raise self._max_size_error_cls(self._client_max_size)
        if len(line) > limit:
            raise LineTooLong("a multipart body line", limit)
        return bytes(line)

    async def release(self) -> None:
        """Skip what is left of the part."""
        while not self._at_eof:
            await self.read_chunk(self.chunk_size)

    async def text(self, *, encoding: Optional[str] = None) -> str:
        data = await self.read(decode=True)
        return data.decode(encoding or self.get_charset(default="utf-8"))

    async def json(self, *, encoding: Optional[str] = None) -> Any:
        data = await self.read(decode=True)
        if not data:
            return None
        return json.loads(data.decode(encoding or self.get_charset(default="utf-8")))

    async def form(self, *, encoding: Optional[str] = None) -> list[tuple[str, str]]:
        data = await self.read(decode=True)
        if not data:
            return []
        charset = encoding or self.get_charset(default="utf-8")
        try:
            text = data.rstrip().decode(charset)
        except UnicodeDecodeError:
            raise ValueError(f"data cannot be decoded with {charset} encoding") from None
        return parse_qsl(text, keep_blank_values=True, encoding=charset)

    def decode(self, data: bytes) -> bytes:
        """`data` undone of its Content-Transfer-Encoding, then (not in form-data, RFC 7578
        section 4.8) of its Content-Encoding."""
        transfer = self.headers.get(hdrs.CONTENT_TRANSFER_ENCODING, "").lower()
        if transfer == "base64":
            try:
                data = base64.b64decode(b"".join(data.split()), validate=True)
            except binascii.Error as exc:
                raise _malformed(f"invalid base64 part: {exc}") from None
        elif transfer == "quoted-printable":
            data = quopri.decodestring(data)
        elif transfer not in ("", "binary", "8bit", "7bit"):
            raise RuntimeError(f"unknown content transfer encoding: {transfer}")
        if self._is_form_data:
            return data
        coding = self.headers.get(hdrs.CONTENT_ENCODING, "").lower()
        if coding in ("", "identity"):
            return data
        if coding not in ("gzip", "deflate"):
            raise RuntimeError(f"unknown content encoding: {coding}")
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS if coding == "gzip" else -zlib.MAX_WBITS)
        limit = self._client_max_size if self._client_max_size < sys.maxsize else 0
        try:
            out = decompressor.decompress(data, limit + 1 if limit else 0)
        except zlib.error as exc:
            raise _malformed(f"invalid {coding} part: {exc}") from None
        if limit and (len(out) > limit or decompressor.unconsumed_tail):
            raise self._max_size_error_cls(self._client_max_size)
        return out

    def get_charset(self, default: str) -> str:
        charset = _params(self.headers.get(hdrs.CONTENT_TYPE), "content-type").get_param("charset")
        if isinstance(charset, str) and charset:
            return charset
        return self._default_charset or default

    @property
    def name(self) -> Optional[str]:
        """The name in Content-Disposition (None when absent or malformed)."""
        return self._disposition_param("name")

    @property
    def filename(self) -> Optional[str]:
        """The filename in Content-Disposition, RFC 2231/5987 forms decoded (None if absent)."""
        message = _params(self.headers.get(hdrs.CONTENT_DISPOSITION), "content-disposition")
        filename = message.get_filename()
        return filename if isinstance(filename, str) else None

    def _disposition_param(self, name: str) -> Optional[str]:
        message = _params(self.headers.get(hdrs.CONTENT_DISPOSITION), "content-disposition")
        value = message.get_param(name, header="content-disposition")
        if value is None:
            return None
        return collapse_rfc2231_value(value)


class MultipartReader:
    """The parts of a multipart body, one at a time (nested multiparts as readers)."""

    part_reader_cls = BodyPartReader
    multipart_reader_cls: Optional[type["MultipartReader"]] = None

    def __init__(
        self,
        headers: Mapping[str, str],
        content: Any,
        *,
        client_max_size: int = sys.maxsize,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_size_error_cls: type[Exception] = ValueError,
    ) -> None:
        content_type = headers[hdrs.CONTENT_TYPE]
        message = _params(content_type, "content-type")
        if message.get_content_maintype() != "multipart":
            raise ValueError(f"multipart/* content type expected, got {content_type!r}")
        boundary = message.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            raise ValueError(f"boundary missed for Content-Type: {content_type}")
        if len(boundary) > 70:
            raise ValueError(f"boundary {boundary!r} is too long (70 chars max)")
        self.headers = headers
        self._subtype = message.get_content_subtype()
        self._boundary = b"--" + boundary.encode("latin-1")
        self._source = content if isinstance(content, _Source) else _Source(content)
        self._client_max_size = client_max_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._max_size_error_cls = max_size_error_cls
        self._default_charset: Optional[str] = None
        self._last_part: Union["MultipartReader", BodyPartReader, None] = None
        self._at_eof = False
        self._scan_for_delimiter = True  # at the start, and after a nested multipart

    @classmethod
    def from_response(cls, response: Any) -> "MultipartReader":
        """A reader of a client response's multipart body."""
        return cls(response.headers, response.content)

    def __aiter__(self) -> "MultipartReader":
        return self

    async def __anext__(self) -> Union["MultipartReader", BodyPartReader]:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    def at_eof(self) -> bool:
        """Whether the closing delimiter was reached."""
        return self._at_eof

    async def next(self) -> Union["MultipartReader", BodyPartReader, None]:
        """The next part (what is left of the previous one is skipped), or None at the end."""
        if self._at_eof:
            return None
        last = self._last_part
        if last is not None and not last.at_eof():
            await last.release()
        if self._scan_for_delimiter:
            await self._skip_to_delimiter()
        if await self._after_delimiter():
            return None
        part = await self.fetch_next_part()
        # RFC 7578 section 4.6: a first form-data field named _charset_ sets the default.
        if (
            self._last_part is None and self._subtype == "form-data"
            and isinstance(part, BodyPartReader) and part.name == "_charset_"
        ):
            charset = await part.read_chunk(32)
            if len(charset) > 31:
                raise RuntimeError("Invalid default charset")
            self._default_charset = charset.strip().decode()
            await part.release()
            if await self._after_delimiter():
                return None
            part = await self.fetch_next_part()
        self._last_part = part
        self._scan_for_delimiter = isinstance(part, MultipartReader)
        return part

    async def release(self) -> None:
        """Skip every part left, up to the closing delimiter."""
        while not self._at_eof:
            part = await self.next()
            if part is None:
                break
            await part.release()

    async def fetch_next_part(self) -> Union["MultipartReader", BodyPartReader]:
        headers = await self._read_headers()
        content_type = headers.get(hdrs.CONTENT_TYPE, "")
        if _params(content_type, "content-type").get_content_maintype() == "multipart":
            cls = self.multipart_reader_cls or type(self)
            return cls(
                headers, self._source, client_max_size=self._client_max_size,
                max_field_size=self._max_field_size, max_headers=self._max_headers,
                max_size_error_cls=self._max_size_error_cls,
            )
        return self.part_reader_cls(
            self._boundary, headers, self._source, subtype=self._subtype,
            default_charset=self._default_charset, client_max_size=self._client_max_size,
            max_size_error_cls=self._max_size_error_cls,
        )

    # --- the delimiters and part heads ---------------------------------------------------------

    async def _skip_to_delimiter(self) -> None:
        """Skip a preamble (or a nested part's epilogue) up to a delimiter at a line start
        (the first bytes read here count as one)."""
        source = self._source
        boundary = self._boundary
        delimiter = b"\r\n" + boundary
        first = True
        while True:
            buf = source.buf
            if first:
                if buf[: len(boundary)] == boundary:
                    del buf[: len(boundary)]
                    return
                if len(buf) < len(boundary) and boundary.startswith(bytes(buf)):
                    if not await source.fill():
                        raise _malformed("no opening boundary")
                    continue
                first = False
            found = buf.find(delimiter)
            if found >= 0:
                del buf[: found + len(delimiter)]
                return
            keep = len(delimiter) - 1  # what could be the start of a delimiter
            if len(buf) > keep:
                del buf[: len(buf) - keep]
            if not await source.fill():
                raise _malformed("no opening boundary")

    async def _after_delimiter(self) -> bool:
        """After a delimiter: True for the closing one ("--"); else consume the CRLF that
        starts the next part (transport padding, spaces and tabs, may come before it)."""
        source = self._source
        while True:
            buf = source.buf
            if buf[:2] == b"--":
                del buf[:2]
                self._at_eof = True
                return True
            padding = len(buf) - len(buf.lstrip(_LWSP))
            after = bytes(buf[padding : padding + 2])
            if after == b"\r\n":
                del buf[: padding + 2]
                return False
            if len(after) == 2 or (after and after not in (b"\r", b"-")):
                raise _malformed("a boundary not followed by CRLF")
            if padding > self._max_field_size or not await source.fill():
                raise _malformed("the body ended after a boundary")

    async def _read_headers(self) -> "CIMultiDictProxy[str]":
        source = self._source
        headers: CIMultiDict[str] = CIMultiDict()
        lines = 0
        while True:
            end = source.buf.find(b"\r\n")
            if end < 0:
                if len(source.buf) > self._max_field_size:
                    raise _malformed(f"a part header line longer than {self._max_field_size} bytes")
                if not await source.fill():
                    raise _malformed("the body ended inside a part head")
                continue
            if end > self._max_field_size:
                raise _malformed(f"a part header line longer than {self._max_field_size} bytes")
            line = bytes(source.buf[:end])
            del source.buf[: end + 2]
            if not line:
                return CIMultiDictProxy(headers)
            lines += 1
            if lines > self._max_headers:
                raise _malformed(f"more than {self._max_headers} header lines in a part")
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise _malformed(f"invalid part header line {line[:40]!r}")
            headers.add(name.decode("latin-1"), value.strip(_LWSP).decode("utf-8", "surrogateescape"))
