"""multipart bodies (RFC 2046, RFC 7578 for form-data): `MultipartWriter`.

Parts are payloads (`fasthttp.payloads`); the writer streams them one after the other,
never holding a file part in memory, and knows its size when every part's size is known
(and no part is compressed or transfer-encoded). Content-Disposition parameters are
quoted as aiohttp quotes them (see `content_disposition_header`).

For subtypes other than form-data a part may carry ``Content-Encoding: gzip|deflate``
and ``Content-Transfer-Encoding: base64|quoted-printable``, applied while streaming.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from .payloads import (
    JsonPayload,
    Payload,
    PayloadWriter,
    StringPayload,
    check_header_value,
    payload_from,
)

__all__ = ("MultipartWriter",)

_CONTENT_DISPOSITION = "Content-Disposition"
_CONTENT_ENCODING = "Content-Encoding"
_CONTENT_LENGTH = "Content-Length"
_CONTENT_TRANSFER_ENCODING = "Content-Transfer-Encoding"

_TCHAR_BOUNDARY = re.compile(rb"\A[!#$%&'*+\-.^_`|~\w]+\Z")
_BAD_QDTEXT = re.compile(rb"[\x00-\x08\x0A-\x1F\x7F]")


def _part_headers(part: Payload) -> bytes:
    lines = "".join(
        f"{check_header_value(k, 'part header name')}: {check_header_value(v)}\r\n"
        for k, v in part.headers.items()
    )
    return (lines + "\r\n").encode("utf-8")


class _EncodingWriter:
    """Applies a part's Content-Encoding then Content-Transfer-Encoding while streaming."""

    def __init__(self, writer: PayloadWriter, encoding: str | None, te: str | None) -> None:
        self._writer = writer
        self._compress: Any = None
        if encoding is not None:
            wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else -zlib.MAX_WBITS
            self._compress = zlib.compressobj(wbits=wbits)
        self._te = te
        self._b64_rest = b""

    async def _emit(self, data: bytes) -> None:
        if not data:
            return
        if self._te == "base64":
            data = self._b64_rest + data
            cut = len(data) - len(data) % 3
            self._b64_rest = data[cut:]
            if cut:
                await self._writer.write(base64.b64encode(data[:cut]))
        elif self._te == "quoted-printable":
            await self._writer.write(binascii.b2a_qp(data))
        else:
            await self._writer.write(data)

    async def write(self, data: bytes) -> None:
        if self._compress is not None:
            data = self._compress.compress(data)
        await self._emit(data)

    async def write_eof(self) -> None:
        if self._compress is not None:
            await self._emit(self._compress.flush())
        if self._b64_rest:
            await self._writer.write(base64.b64encode(self._b64_rest))
            self._b64_rest = b""


class MultipartWriter(Payload):
    """A multipart body: ``multipart/<subtype>; boundary=...``, parts appended in order."""

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        boundary = boundary if boundary is not None else uuid.uuid4().hex
        try:
            self._boundary = boundary.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("boundary should contain ASCII only chars") from None
        if not self._boundary or len(self._boundary) > 70:
            raise ValueError("a multipart boundary must be 1 to 70 characters long (RFC 2046)")
        super().__init__(None, content_type=f"multipart/{subtype}; boundary={self._boundary_value}")
        self._parts: list[tuple[Payload, str | None, str | None]] = []
        self._is_form_data = subtype == "form-data"

    @property
    def _boundary_value(self) -> str:
        value = self._boundary
        if _TCHAR_BOUNDARY.match(value):
            return value.decode("ascii")
        if _BAD_QDTEXT.search(value):
            raise ValueError("boundary value contains invalid characters")
        quoted = value.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        return '"' + quoted.decode("ascii") + '"'

    @property
    def boundary(self) -> str:
        return self._boundary.decode("ascii")

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __iter__(self) -> Iterator[tuple[Payload, str | None, str | None]]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True

    # -- building ------------------------------------------------------------------------
    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a part made from ``obj`` (anything `payload_from` accepts, or a Payload)."""
        if isinstance(obj, Payload):
            if headers:
                obj.headers.update(headers)
            return self.append_payload(obj)
        try:
            part = payload_from(obj, headers=headers)
        except TypeError as exc:
            raise TypeError(f"Cannot create payload from {obj!r}: {exc}") from exc
        return self.append_payload(part)

    def append_payload(self, payload: Payload) -> Payload:
        encoding: str | None = None
        te: str | None = None
        if self._is_form_data:
            # RFC 7578 4.7, 4.8: no Content-Encoding / Content-Transfer-Encoding / length.
            forbidden = {_CONTENT_ENCODING, _CONTENT_LENGTH, _CONTENT_TRANSFER_ENCODING}
            present = [h for h in forbidden if h in payload.headers]
            if present:
                raise ValueError(
                    f"a multipart/form-data part must not have {', '.join(sorted(present))} "
                    f"(RFC 7578)"
                )
            if _CONTENT_DISPOSITION not in payload.headers:
                payload.set_content_disposition("form-data", name=f"section-{len(self._parts)}")
        else:
            encoding = payload.headers.get(_CONTENT_ENCODING, "").lower() or None
            if encoding not in (None, "deflate", "gzip", "identity"):
                raise RuntimeError(f"unknown content encoding: {encoding}")
            if encoding == "identity":
                encoding = None
            te = payload.headers.get(_CONTENT_TRANSFER_ENCODING, "").lower() or None
            if te not in (None, "base64", "quoted-printable", "binary"):
                raise RuntimeError(f"unknown content transfer encoding: {te}")
            if te == "binary":
                te = None
            size = payload.size
            if size is not None and not (encoding or te):
                payload.headers[_CONTENT_LENGTH] = str(size)
        self._parts.append((payload, encoding, te))
        return payload

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        return self.append_payload(JsonPayload(obj, headers=headers))

    def append_form(
        self,
        obj: Sequence[tuple[str, str]] | Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Payload:
        if isinstance(obj, Mapping):
            obj = list(obj.items())
        return self.append_payload(
            StringPayload(
                urlencode(obj, doseq=True),
                headers=headers,
                content_type="application/x-www-form-urlencoded",
            )
        )

    # -- output --------------------------------------------------------------------------
    @property
    def size(self) -> int | None:
        total = 0
        for part, encoding, te in self._parts:
            part_size = part.size
            if encoding or te or part_size is None:
                return None
            # b"--" boundary b"\r\n" headers body b"\r\n"
            total += 2 + len(self._boundary) + 2 + len(_part_headers(part)) + part_size + 2
        return total + 2 + len(self._boundary) + 4  # b"--" boundary b"--\r\n"

    async def write(self, writer: PayloadWriter, close_boundary: bool = True) -> None:
        for part, encoding, te in self._parts:
            if self._is_form_data and "name=" not in part.headers.get(_CONTENT_DISPOSITION, ""):
                raise ValueError("a multipart/form-data part needs a Content-Disposition name")
            await writer.write(b"--" + self._boundary + b"\r\n" + _part_headers(part))
            if encoding or te:
                enc = _EncodingWriter(writer, encoding, te)
                await part.write(enc)
                await enc.write_eof()
            else:
                await part.write(writer)
            await writer.write(b"\r\n")
        if close_boundary:
            await writer.write(b"--" + self._boundary + b"--\r\n")

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return "".join(
            "--"
            + self.boundary
            + "\r\n"
            + _part_headers(part).decode(encoding, errors)
            + part.decode()
            + "\r\n"
            for part, _e, _te in self._parts
        ) + f"--{self.boundary}--\r\n"

    async def close(self) -> None:
        """Close every part (open files); the first error is raised after all are closed."""
        error: Exception | None = None
        for part, _e, _te in self._parts:
            try:
                await part.close()
            except Exception as exc:
                error = error or exc
        if error is not None:
            raise error

    def __repr__(self) -> str:
        return f"<MultipartWriter {self.content_type!r} {len(self._parts)} parts>"


def __getattr__(name: str) -> Any:
    # aiohttp.multipart's names fasthttp keeps in other modules (or why it has not); the import
    # system's probes (`__path__` on every `from .multipart import x`) do not load that table
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .aiohttp_submodules import reexport

    return reexport("multipart", name)
