"""Request bodies as the session sends them.

A `Payload` knows its ``content_type``, its ``size`` (None: unknown, the request goes out
chunked), extra part ``headers`` (used inside multipart bodies, e.g. Content-Disposition)
and how to ``write`` itself through a `PayloadWriter`, whose ``write`` applies socket
back-pressure. Payloads write pieces of at most `CHUNK_SIZE` bytes, never a large body at
once, and read files in a thread (``loop.run_in_executor``) so the event loop never blocks.

`payload_from` picks the class for a value the way aiohttp's ``get_payload`` and
``ClientRequest`` do (bytes, str, files, dicts and pairs as forms, async iterables, another
response's ``.content``); the class names are aiohttp's (``BytesPayload``, ...).
"""

from __future__ import annotations

import asyncio
import io
import json
import mimetypes
import os
import re
import stat
import sys
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Mapping
from typing import IO, Any, Callable, Final, Protocol
from urllib.parse import quote

from multidict import CIMultiDict

__all__ = (
    "CHUNK_SIZE",
    "PayloadWriter",
    "Payload",
    "BytesPayload",
    "StringPayload",
    "StringIOPayload",
    "IOBasePayload",
    "BufferedReaderPayload",
    "TextIOPayload",
    "BytesIOPayload",
    "JsonPayload",
    "AsyncIterablePayload",
    "StreamReaderPayload",
    "payload_from",
    "get_payload",
    "content_disposition_header",
    "guess_filename",
)

#: Largest piece handed to `PayloadWriter.write` (aiohttp's DEFAULT_CHUNK_SIZE).
CHUNK_SIZE: Final[int] = 2**16

_CONTENT_TYPE: Final = "Content-Type"
_CONTENT_DISPOSITION: Final = "Content-Disposition"


class PayloadWriter(Protocol):
    """Where a payload writes its bytes; awaiting `write` waits for socket back-pressure."""

    def write(self, data: bytes) -> Awaitable[None]: ...


# ---------------------------------------------------------------------------------------
# Header helpers
# ---------------------------------------------------------------------------------------

_FORBIDDEN_HEADER_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 2616 token characters (what aiohttp accepts as disposition type / parameter name).
_TOKEN_RE = re.compile(r"\A[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# RFC 5322 quoted-string: printable ASCII and tab; escape everything but qtext.
_QCONTENT_RE = re.compile(r"\A[\t\x20-\x7e]*\Z")
_NOT_QTEXT_RE = re.compile(r"[^\x21\x23-\x5b\x5d-\x7e]")


def check_header_value(value: str, what: str = "header value") -> str:
    """Refuse control characters (CR, LF, NUL, ...) that would break or inject headers."""
    if _FORBIDDEN_HEADER_CHARS.search(value) is not None:
        raise ValueError(
            f"{what} {value!r} contains a control character (CR, LF, NUL, ...): "
            f"refusing a possible header injection"
        )
    return value


def content_disposition_header(
    disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
) -> str:
    """A MIME ``Content-Disposition`` value (RFC 2183 / RFC 7578 section 4.2), as aiohttp
    builds it.

    With ``quote_fields`` (the default) a ``filename`` is percent-encoded inside quotes,
    other parameters are quoted strings with backslash escapes when 7-bit, else
    ``key*=charset''percent-encoded``. Without it, values are quoted with ``\\`` and ``"``
    escaped and sent as they are (8-bit).
    """
    if not disptype or not _TOKEN_RE.match(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    value = disptype
    if params:
        rendered = []
        for key, val in params.items():
            if not key or not _TOKEN_RE.match(key):
                raise ValueError(f"bad content disposition parameter {key!r}={val!r}")
            if quote_fields:
                if key.lower() == "filename":
                    rendered.append(f'{key}="{quote(val, "", encoding=_charset)}"')
                elif _QCONTENT_RE.match(val):
                    escaped = _NOT_QTEXT_RE.sub(lambda m: "\\" + m.group(0), val)
                    rendered.append(f'{key}="{escaped}"')
                else:
                    rendered.append(f"{key}*={_charset}''{quote(val, '', encoding=_charset)}")
            else:
                escaped = val.replace("\\", "\\\\").replace('"', '\\"')
                rendered.append(f'{key}="{escaped}"')
        value = "; ".join([value, *rendered])
    return value


def guess_filename(obj: Any, default: str | None = None) -> str | None:
    """The base name of ``obj.name`` if it looks like a path (not ``<stdin>``)."""
    name = getattr(obj, "name", None)
    if name and isinstance(name, str) and name[0] != "<" and name[-1] != ">":
        return os.path.basename(name)
    return default


def _guess_type(filename: str) -> str | None:
    if sys.version_info >= (3, 13):
        return mimetypes.guess_file_type(filename)[0]
    return mimetypes.guess_type(filename)[0]


def _charset_of(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            return val.strip(' "') or None
    return None


_HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None


# ---------------------------------------------------------------------------------------
# Payloads
# ---------------------------------------------------------------------------------------


class Payload:
    """A request body (or a multipart part): headers, size and a streaming `write`."""

    _default_content_type: str = "application/octet-stream"
    _size: int | None = None
    # Set once writing it has used up something that cannot be had again (an iterator, a
    # pipe): a redirect that keeps the body then cannot send it (aiohttp's `consumed`).
    _consumed: bool = False

    def __init__(
        self,
        value: Any,
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self._value = value
        self._encoding = encoding
        self._filename = filename
        self._headers: CIMultiDict[str] = CIMultiDict()
        if content_type is None:
            if filename is not None:
                content_type = _guess_type(filename) or self._default_content_type
            else:
                content_type = self._default_content_type
        self._headers[_CONTENT_TYPE] = check_header_value(content_type, "Content-Type")
        if headers:
            self._headers.update(headers)

    @property
    def size(self) -> int | None:
        """Bytes `write` will send, or None if unknown (the body goes out chunked)."""
        return self._size

    @property
    def consumed(self) -> bool:
        """Whether the payload has been consumed and cannot be sent again."""
        return self._consumed

    @property
    def headers(self) -> CIMultiDict[str]:
        """Content-Type and any extra headers (Content-Disposition in multipart)."""
        return self._headers

    @property
    def content_type(self) -> str | None:
        return self._headers.get(_CONTENT_TYPE)

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self._headers.popall(_CONTENT_TYPE, None)
        else:
            self._headers[_CONTENT_TYPE] = check_header_value(value, "Content-Type")

    @property
    def filename(self) -> str | None:
        return self._filename

    @property
    def encoding(self) -> str | None:
        """Text encoding used to produce the bytes, when the value was text."""
        return self._encoding

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        self._headers[_CONTENT_DISPOSITION] = content_disposition_header(
            disptype, quote_fields=quote_fields, _charset=_charset, **params
        )

    async def write(self, writer: PayloadWriter) -> None:
        raise NotImplementedError

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text (blocking I/O for files: not for the event loop)."""
        raise NotImplementedError

    async def as_bytes(self) -> bytes:
        """The whole body in memory (for small bodies, tests, redirects)."""
        parts: list[bytes] = []

        class _Collect:
            async def write(self, data: bytes) -> None:
                parts.append(bytes(data))

        await self.write(_Collect())
        return b"".join(parts)

    async def close(self) -> None:
        """Release resources (open files); a no-op for in-memory payloads."""

    def __repr__(self) -> str:
        size = "unknown size" if self.size is None else f"{self.size} bytes"
        return f"<{type(self).__name__} {self.content_type!r} {size}>"


async def _write_in_pieces(writer: PayloadWriter, data: bytes) -> None:
    if len(data) <= CHUNK_SIZE:
        await writer.write(data)
        return
    view = memoryview(data)
    for start in range(0, len(view), CHUNK_SIZE):
        await writer.write(bytes(view[start : start + CHUNK_SIZE]))


class BytesPayload(Payload):
    """bytes, bytearray or memoryview (``application/octet-stream`` by default)."""

    def __init__(
        self,
        value: bytes | bytearray | memoryview,
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"value argument must be byte-ish, not {type(value)!r}")
        data = bytes(value) if not isinstance(value, bytes) else value
        super().__init__(data, headers, content_type, filename, encoding)
        self._size = len(data)

    async def write(self, writer: PayloadWriter) -> None:
        await _write_in_pieces(writer, self._value)

    async def as_bytes(self) -> bytes:
        value: bytes = self._value
        return value

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        value: bytes = self._value
        return value.decode(encoding, errors)


def _text_encoding(encoding: str | None, content_type: str | None) -> tuple[str, str]:
    """(encoding, content type) for text, as aiohttp derives them."""
    if encoding is None:
        if content_type is None:
            return "utf-8", "text/plain; charset=utf-8"
        return _charset_of(content_type) or "utf-8", content_type
    if content_type is None:
        content_type = f"text/plain; charset={encoding}"
    return encoding, content_type


class StringPayload(BytesPayload):
    """str, encoded with ``encoding`` or the content type's charset (utf-8 by default)."""

    def __init__(
        self,
        value: str,
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        real_encoding, content_type = _text_encoding(encoding, content_type)
        super().__init__(value.encode(real_encoding), headers, content_type, filename, real_encoding)


class StringIOPayload(StringPayload):
    """io.StringIO: its remaining text, read at once (it is in memory already)."""

    def __init__(
        self,
        value: IO[str],
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        super().__init__(value.read(), headers, content_type, filename, encoding)


class IOBasePayload(Payload):
    """An open binary file: streamed in `CHUNK_SIZE` pieces read in a thread.

    The size is what remains from the current position (os.fstat for regular files, or
    seeking for other seekable files; None otherwise). The file name gives the content
    type (mimetypes) and a ``Content-Disposition: attachment; filename="..."`` header.
    The file is read from the position it had when the payload was made, also on a
    second `write` (a redirect resending the body).
    """

    _value: IO[Any]

    def __init__(
        self,
        value: IO[Any],
        disposition: str = "attachment",
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        if filename is None:
            filename = guess_filename(value)
        super().__init__(value, headers, content_type, filename, encoding)
        # A write abandoned (its connection lost) may still have a read running in the
        # executor when the request is sent again: reads take the lock, and one from a
        # write that is no longer the latest reads nothing (it would take the new write's
        # bytes from under it).
        self._read_lock = threading.Lock()
        self._writes = 0
        self._start: int | None = None
        try:
            self._start = value.tell()
        except (OSError, AttributeError, ValueError):
            pass
        self._size = self._measure()
        if self._filename is not None and disposition is not None:
            if _CONTENT_DISPOSITION not in self._headers:
                self.set_content_disposition(disposition, filename=self._filename)

    def _measure(self) -> int | None:
        if self._start is None:
            return None
        value = self._value
        try:
            st = os.fstat(value.fileno())
        except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
            pass
        else:
            if stat.S_ISREG(st.st_mode):
                return max(st.st_size - self._start, 0)
            return None  # a pipe, socket or device: its st_size means nothing
        try:
            if not value.seekable():
                return None
            end = value.seek(0, os.SEEK_END)
            value.seek(self._start)
        except (OSError, AttributeError, ValueError):
            return None
        return max(end - self._start, 0)

    def _rewind(self) -> None:
        # Called before each reading from the start: a file that cannot go back there (a
        # pipe, a socket) gives what is read now only once.
        if self._start is None:
            self._consumed = True
            return
        try:
            self._value.seek(self._start)
        except (OSError, AttributeError, ValueError):
            self._consumed = True

    def _read_chunk(self, first: bool) -> bytes:
        if first:
            self._rewind()
        data = self._value.read(CHUNK_SIZE)
        return bytes(data) if data else b""

    def _read_for(self, write: int, first: bool) -> bytes:
        with self._read_lock:
            if write != self._writes:
                return b""
            return self._read_chunk(first)

    async def write(self, writer: PayloadWriter) -> None:
        loop = asyncio.get_running_loop()
        self._writes += 1
        write = self._writes
        chunk = await loop.run_in_executor(None, self._read_for, write, True)
        while chunk:
            await writer.write(chunk)
            chunk = await loop.run_in_executor(None, self._read_for, write, False)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        self._rewind()
        data = self._value.read()
        return data.decode(encoding, errors) if isinstance(data, bytes) else str(data)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._value.close)


class BufferedReaderPayload(IOBasePayload):
    """A file opened with ``open(path, "rb")`` (io.BufferedReader / BufferedRandom)."""


class TextIOPayload(IOBasePayload):
    """An open text file: read in a thread, encoded (``encoding`` or the content type's
    charset, utf-8 by default), written in pieces of at most `CHUNK_SIZE` bytes.

    The size is unknown (chunked): the encoded length differs from the file's length as
    soon as the file's encoding or newline translation differ from ours. aiohttp sends
    the on-disk length instead, which is wrong in those cases.
    """

    def __init__(
        self,
        value: IO[str],
        disposition: str = "attachment",
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        real_encoding, content_type = _text_encoding(encoding, content_type)
        super().__init__(value, disposition, headers, content_type, filename, real_encoding)

    def _measure(self) -> int | None:
        return None

    def _read_chunk(self, first: bool) -> bytes:
        if first:
            self._rewind()
        # At most 4 bytes per character in the encodings people use: stay under CHUNK_SIZE.
        text = self._value.read(CHUNK_SIZE // 4)
        return text.encode(self._encoding or "utf-8") if text else b""

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        self._rewind()
        text: str = self._value.read()
        return text


class BytesIOPayload(IOBasePayload):
    """io.BytesIO: in memory, so written in pieces without a thread (yielding between)."""

    _value: io.BytesIO

    def _measure(self) -> int | None:
        assert self._start is not None
        return max(len(self._value.getbuffer()) - self._start, 0)

    async def write(self, writer: PayloadWriter) -> None:
        self._rewind()
        first = True
        while chunk := self._value.read(CHUNK_SIZE):
            if not first:
                await asyncio.sleep(0)
            first = False
            await writer.write(chunk)

    async def close(self) -> None:
        """In memory: nothing to release (the caller may still use the buffer)."""


class JsonPayload(BytesPayload):
    """``dumps(value)`` encoded, ``application/json`` by default."""

    def __init__(
        self,
        value: Any,
        encoding: str = "utf-8",
        content_type: str = "application/json",
        dumps: Callable[[Any], str] = json.dumps,
        headers: _HeadersArg = None,
        filename: str | None = None,
    ) -> None:
        super().__init__(dumps(value).encode(encoding), headers, content_type, filename, encoding)


class AsyncIterablePayload(Payload):
    """An async iterable (async generator, ...) of bytes: unknown size, sent chunked.

    Single use: the iterable is consumed by the first `write`.
    """

    def __init__(
        self,
        value: AsyncIterable[bytes],
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(
                f"value argument must support the collections.abc.AsyncIterable "
                f"interface, got {type(value)!r}"
            )
        super().__init__(value, headers, content_type, filename, encoding)
        self._iter: AsyncIterator[bytes] | None = value.__aiter__()

    async def write(self, writer: PayloadWriter) -> None:
        it, self._iter = self._iter, None
        # Consumed from the first step on: an interrupted write cannot be resumed either.
        self._consumed = True
        if it is None:
            raise RuntimeError(
                f"{type(self).__name__} was already written: an async iterable can be "
                f"sent only once"
            )
        async for chunk in it:
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"an async iterable request body must yield bytes, got {type(chunk)!r}"
                )
            if chunk:
                await _write_in_pieces(writer, bytes(chunk))

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("an async iterable payload cannot be decoded without consuming it")


async def _iter_stream(stream: Any) -> AsyncIterator[bytes]:
    if hasattr(stream, "iter_any"):
        async for chunk in stream.iter_any():
            yield chunk
        return
    while True:
        chunk = await stream.readany()
        if not chunk:
            return
        yield chunk


class StreamReaderPayload(AsyncIterablePayload):
    """Another response's ``.content`` (anything with async ``iter_any()`` or
    ``readany()``): streamed through as it arrives, unknown size."""

    def __init__(
        self,
        value: Any,
        headers: _HeadersArg = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        if not (hasattr(value, "iter_any") or hasattr(value, "readany")):
            raise TypeError(f"{type(value)!r} has neither iter_any() nor readany()")
        super().__init__(_iter_stream(value), headers, content_type, filename, encoding)


# ---------------------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------------------


def _is_form(data: Any) -> bool:
    # FormData refuses (TypeError) lists whose items are not pairs or files.
    return isinstance(data, (Mapping, list, tuple))


def payload_from(
    data: Any,
    *,
    content_type: str | None = None,
    headers: _HeadersArg = None,
    filename: str | None = None,
    encoding: str | None = None,
) -> Payload:
    """The payload for a request body value, chosen as aiohttp chooses it.

    A `Payload` is returned as is; bytes-like, str, file objects, async iterables and
    stream readers get their class above; a FormData is called; a dict, MultiDict or list
    of (name, value) pairs becomes a form (urlencoded, or multipart/form-data when a value
    is a file). Anything else raises TypeError.
    """
    if isinstance(data, Payload):
        if headers:
            data.headers.update(headers)
        return data
    kw: dict[str, Any] = {
        "headers": headers,
        "content_type": content_type,
        "filename": filename,
        "encoding": encoding,
    }
    if isinstance(data, (bytes, bytearray, memoryview)):
        return BytesPayload(data, **kw)
    if isinstance(data, str):
        return StringPayload(data, **kw)
    if isinstance(data, io.StringIO):
        return StringIOPayload(data, **kw)
    if isinstance(data, io.TextIOBase):
        return TextIOPayload(data, **kw)  # type: ignore[arg-type]
    if isinstance(data, io.BytesIO):
        return BytesIOPayload(data, **kw)
    if isinstance(data, (io.BufferedReader, io.BufferedRandom)):
        return BufferedReaderPayload(data, **kw)
    if isinstance(data, io.IOBase):
        return IOBasePayload(data, **kw)  # type: ignore[arg-type]
    from .formdata import FormData  # formdata builds on this module

    form: Payload | None = None
    if isinstance(data, FormData):
        form = data()
    elif _is_form(data):
        form = FormData(data)()
    if form is not None:
        if content_type is not None and not (form.content_type or "").startswith("multipart/"):
            form.content_type = content_type
        if headers:
            form.headers.update(headers)
        return form
    if hasattr(data, "iter_any") or hasattr(data, "readany"):
        return StreamReaderPayload(data, **kw)
    if isinstance(data, AsyncIterable):
        return AsyncIterablePayload(data, **kw)
    from .foreign_objects import foreign_payload  # (it builds on this module)

    foreign = foreign_payload(data)  # aiohttp's FormData or payloads, streamed as they write
    if foreign is not None:
        if headers:
            foreign.headers.update(headers)
        return foreign
    raise TypeError(
        f"cannot send a {type(data).__name__} as a request body: use bytes, str, a file "
        f"object, a dict or list of pairs (a form), FormData, an async iterable of bytes, "
        f"another response's .content, or a Payload"
    )


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    """aiohttp's name for `payload_from`."""
    return payload_from(data, *args, **kwargs)
