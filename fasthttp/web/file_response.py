"""FileResponse: a file sent with validators, conditional and range requests (aiohttp.web's).

What a request gets, in RFC 9110's order (section 13.2.2), as aiohttp.web does:

- If-Match that no strong tag matches, or (without If-Match) If-Unmodified-Since older than the
  file: 412. If-None-Match that a tag matches (weak comparison), or (without If-None-Match)
  If-Modified-Since not older than the file: 304 with the validators and no body.
- A GET with Range: 206 with Content-Range, or 416 with `Content-Range: bytes */size` when no
  range falls in the file or the header is malformed. If-Range first: Range is served only
  when If-Range matches (see below); otherwise the whole file, 200.
- Otherwise 200 with the whole file. Every answer carries ETag (`"<mtime_ns hex>-<size hex>"`,
  aiohttp's), Last-Modified and Accept-Ranges: bytes.
- With `Accept-Encoding` allowing it, a precompressed sibling (`name.br`, `name.gz`, a regular
  file, not a symlink) is sent instead with its Content-Encoding, as aiohttp does.
- Not a regular file (a directory, a FIFO, a device): 403; unreadable: 403; missing: 404.

Where fasthttp does better than aiohttp, on purpose:

- several ranges (`bytes=0-99,200-299`) get one 206 `multipart/byteranges` answer (RFC 9110
  section 14.6), where aiohttp answers 416. Overlapping and adjacent ranges are merged, so a
  client can never have a byte sent twice; more than MAX_RANGES ranges, or another range unit,
  are ignored (RFC 9110 section 14.2) and the whole file is sent.
- If-Range holding an entity tag is compared with the file's (strong comparison); aiohttp only
  reads dates there and serves the range whatever tag is sent. A date in If-Range must be the
  file's Last-Modified exactly (section 13.1.5); aiohttp takes any later date.

The head declares the size, and exactly that many bytes follow whatever happens to the file
meanwhile: a file that grows is cut at the declared size (more would be read by a keep-alive
client as the start of the next response); one that shrinks cannot fill the declared body, so
the response fails (logged) and the connection closes, which tells the client the body is
incomplete. Bodies go out with the loop's sendfile where it has one and the transport allows it
(plain TCP, no compression), else in pieces read off the event loop.
"""

from __future__ import annotations

import asyncio
import enum
import mimetypes
import os
import stat as stat_module
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, NamedTuple, Optional, Union

from .. import hdrs
from .conditional import ByteRange, etag_matches, parse_byte_ranges, parse_etags, parse_http_date
from .response import StreamResponse

if TYPE_CHECKING:
    from .request import Request

__all__ = ("FileResponse", "FileShrankError")

_CHUNK: Final = 256 * 1024
# Precompressed siblings, in order of preference (aiohttp's).
_ENCODED_SIBLINGS: Final = ((".br", "br"), (".gz", "gzip"))
_FALLBACK_CONTENT_TYPE: Final = "application/octet-stream"


class FileShrankError(OSError):
    """The file ended before the size its response declared (the connection is closed)."""


class _Outcome(enum.Enum):
    SEND = enum.auto()
    NOT_MODIFIED = enum.auto()  # 304
    PRECONDITION_FAILED = enum.auto()  # 412
    FORBIDDEN = enum.auto()  # 403: not a regular file


class _Found(NamedTuple):
    outcome: _Outcome
    path: Path
    stat: Optional[os.stat_result]
    encoding: Optional[str]
    handle: Optional[IO[bytes]]


def _etag_of(st: os.stat_result) -> str:
    return f"{st.st_mtime_ns:x}-{st.st_size:x}"


def _last_modified_second(st: os.stat_result) -> int:
    """The file's time as its Last-Modified header says it: rounded up to a whole second."""
    return -(-st.st_mtime_ns // 1_000_000_000)


class FileResponse(StreamResponse):
    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        chunk_size: int = _CHUNK,
        status: int = 200,
        reason: Optional[str] = None,
        headers: Any = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._path = Path(path)
        self._chunk_size = chunk_size

    # --- choosing what to send (in a thread: stat and open may block) ---------------------------

    def _find(self, request: "Request", accept_encoding: str) -> _Found:
        path, st, encoding = self._pick_file(accept_encoding)
        if not stat_module.S_ISREG(st.st_mode):
            return _Found(_Outcome.FORBIDDEN, path, st, None, None)
        outcome = self._preconditions(request, st)
        if outcome is not _Outcome.SEND:
            return _Found(outcome, path, st, encoding, None)
        handle = open(path, "rb")  # noqa: SIM115 - closed by prepare()
        try:
            st = os.fstat(handle.fileno())  # what was opened, if it changed since the stat
        except OSError:
            pass
        return _Found(_Outcome.SEND, path, st, encoding, handle)

    def _pick_file(self, accept_encoding: str) -> tuple[Path, os.stat_result, Optional[str]]:
        for suffix, encoding in _ENCODED_SIBLINGS:
            if encoding not in accept_encoding:
                continue
            sibling = self._path.with_name(self._path.name + suffix)
            try:
                st = sibling.lstat()  # a symlinked sibling is not followed (aiohttp's rule)
            except OSError:
                continue
            if stat_module.S_ISREG(st.st_mode):
                return sibling, st, encoding
        return self._path, self._path.stat(), None

    @staticmethod
    def _preconditions(request: "Request", st: os.stat_result) -> _Outcome:
        headers = request.headers
        etag = _etag_of(st)
        modified = _last_modified_second(st)
        if_match = parse_etags(headers.get(hdrs.IF_MATCH))
        if if_match is not None:
            if not etag_matches(etag, if_match, weak=False):
                return _Outcome.PRECONDITION_FAILED
        else:
            unmodified_since = parse_http_date(headers.get(hdrs.IF_UNMODIFIED_SINCE))
            if unmodified_since is not None and modified > unmodified_since.timestamp():
                return _Outcome.PRECONDITION_FAILED
        if_none_match = parse_etags(headers.get(hdrs.IF_NONE_MATCH))
        if if_none_match is not None:
            if etag_matches(etag, if_none_match, weak=True):
                if request.method in (hdrs.METH_GET, hdrs.METH_HEAD):
                    return _Outcome.NOT_MODIFIED
                return _Outcome.PRECONDITION_FAILED
        elif request.method in (hdrs.METH_GET, hdrs.METH_HEAD):
            modified_since = parse_http_date(headers.get(hdrs.IF_MODIFIED_SINCE))
            if modified_since is not None and modified <= modified_since.timestamp():
                return _Outcome.NOT_MODIFIED
        return _Outcome.SEND

    @staticmethod
    def _ranges(request: "Request", st: os.stat_result) -> Union[list[ByteRange], str, None]:
        """The ranges to send (None: the whole file; a str: why 416)."""
        headers = request.headers
        header = headers.get(hdrs.RANGE)
        if header is None or request.method not in (hdrs.METH_GET, hdrs.METH_HEAD):
            return None  # RFC 9110 section 14.2: Range is for GET (HEAD answers as GET would)
        if_range = headers.get(hdrs.IF_RANGE)
        if if_range is not None and not _if_range_holds(if_range.strip(" \t"), st):
            return None
        return parse_byte_ranges(header, st.st_size)

    # --- answering ------------------------------------------------------------------------------

    async def prepare(self, request: "Request") -> Any:
        if self._prepared or self._eof_sent:
            return None
        loop = asyncio.get_running_loop()
        accept_encoding = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
        try:
            found = await loop.run_in_executor(None, self._find, request, accept_encoding)
        except PermissionError:
            return await self._answer_empty(request, 403)
        except OSError:
            return await self._answer_empty(request, 404)
        st = found.stat
        assert st is not None
        if found.outcome is _Outcome.FORBIDDEN:
            return await self._answer_empty(request, 403)
        if found.outcome is _Outcome.PRECONDITION_FAILED:
            return await self._answer_empty(request, 412)
        self.etag = _etag_of(st)
        self.last_modified = st.st_mtime
        if found.outcome is _Outcome.NOT_MODIFIED:
            self.set_status(304)
            self.headers.popall(hdrs.CONTENT_LENGTH, None)
            return await super().prepare(request)
        handle = found.handle
        assert handle is not None
        try:
            await self._send_file(request, handle, st, found.encoding)
        finally:
            await loop.run_in_executor(None, handle.close)
        return None

    async def _answer_empty(self, request: "Request", status: int) -> Any:
        self.set_status(status)
        self.headers[hdrs.CONTENT_LENGTH] = "0"
        return await super().prepare(request)

    async def _send_file(
        self, request: "Request", handle: IO[bytes], st: os.stat_result, encoding: Optional[str]
    ) -> None:
        size = st.st_size
        headers = self.headers
        if hdrs.CONTENT_TYPE not in headers:
            headers[hdrs.CONTENT_TYPE] = _content_type(self._path.name)
        if encoding is not None:
            headers[hdrs.CONTENT_ENCODING] = encoding
            headers[hdrs.VARY] = hdrs.ACCEPT_ENCODING
            self._compression = None  # already compressed
        headers[hdrs.ACCEPT_RANGES] = "bytes"
        ranges = self._ranges(request, st)
        if isinstance(ranges, str):
            headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
            await self._answer_empty(request, 416)
            await self.write_eof()
            return
        if ranges is None:
            pieces: list[tuple[bytes, ByteRange]] = [(b"", ByteRange(0, size))]
            tail = b""
        elif len(ranges) == 1:
            start, length = ranges[0]
            self.set_status(206)
            headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{start + length - 1}/{size}"
            pieces, tail = [(b"", ranges[0])], b""
        else:
            self.set_status(206)
            pieces, tail = _byteranges_parts(headers, ranges, size)
        headers[hdrs.CONTENT_LENGTH] = str(
            sum(len(part_head) + part.length for part_head, part in pieces) + len(tail)
        )
        await super().prepare(request)
        if self._no_body:  # HEAD
            self._eof_sent = True
            return
        for part_head, (start, length) in pieces:
            if part_head:
                await self.write(part_head)
            await self._send_range(request, handle, start, length)
        if tail:
            await self.write(tail)
        await self.write_eof()

    async def _send_range(self, request: "Request", handle: IO[bytes], start: int, count: int) -> None:
        if not count:
            return
        loop = asyncio.get_running_loop()
        transport = request.transport
        if (
            self._compressor is None
            and not self._send_chunked
            and transport is not None
            and transport.get_extra_info("sslcontext") is None
        ):
            try:
                sent = await loop.sendfile(transport, handle, start, count, fallback=True)
            except NotImplementedError:
                pass  # a loop without sendfile (uvloop): pieces below
            else:
                self._body_length += sent
                if sent < count:
                    raise self._shrank(start + sent, start + count)
                return
        await loop.run_in_executor(None, handle.seek, start)
        left = count
        while left > 0:
            chunk = await loop.run_in_executor(None, handle.read, min(self._chunk_size, left))
            if not chunk:
                raise self._shrank(start + count - left, start + count)
            left -= len(chunk)
            await self.write(chunk)

    def _shrank(self, reached: int, declared_end: int) -> FileShrankError:
        return FileShrankError(
            f"{self._path} shrank while it was sent: it ended at byte {reached}, the response"
            f" declared bytes up to {declared_end}"
        )


# Content types come from the standard library's built-in table only (not the machine's
# /etc/mime.types, which differs between hosts), as aiohttp.web does, with the types of files
# compressed as a whole: x.tar.gz is sent as a gzip file (application/gzip), not labelled a tar.
_TYPES: Final = mimetypes.MimeTypes()
_TYPES.encodings_map.clear()
for _type, _suffix in (
    ("application/gzip", ".gz"),
    ("application/x-brotli", ".br"),
    ("application/x-bzip2", ".bz2"),
    ("application/x-compress", ".Z"),
    ("application/x-xz", ".xz"),
):
    _TYPES.add_type(_type, _suffix)


def _content_type(name: str) -> str:
    return _TYPES.guess_type(name)[0] or _FALLBACK_CONTENT_TYPE


def _if_range_holds(value: str, st: os.stat_result) -> bool:
    """RFC 9110 section 13.1.5: an entity tag must match strongly; a date must be the file's
    Last-Modified exactly; anything else does not hold."""
    if value.startswith(('"', 'W/"')):
        tags = parse_etags(value)
        return tags is not None and len(tags) == 1 and etag_matches(_etag_of(st), tags, weak=False)
    date = parse_http_date(value)
    return date is not None and date.timestamp() == _last_modified_second(st)


def _byteranges_parts(
    headers: Any, ranges: list[ByteRange], size: int
) -> tuple[list[tuple[bytes, ByteRange]], bytes]:
    """The multipart/byteranges framing: each part's head, and the closing delimiter; the
    response's Content-Type becomes multipart/byteranges (the file's type goes in the parts)."""
    boundary = uuid.uuid4().hex
    part_type = headers[hdrs.CONTENT_TYPE]
    headers[hdrs.CONTENT_TYPE] = f"multipart/byteranges; boundary={boundary}"
    pieces = []
    for index, part in enumerate(ranges):
        start, length = part
        part_head = (
            ("\r\n" if index else "")
            + f"--{boundary}\r\nContent-Type: {part_type}\r\n"
            + f"Content-Range: bytes {start}-{start + length - 1}/{size}\r\n\r\n"
        ).encode("latin-1")
        pieces.append((part_head, part))
    return pieces, f"\r\n--{boundary}--\r\n".encode("latin-1")
