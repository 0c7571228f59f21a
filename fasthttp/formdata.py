"""HTML forms as request bodies: `FormData`, as aiohttp's.

Calling a FormData gives its payload: ``application/x-www-form-urlencoded`` unless a field
forces ``multipart/form-data`` (a file object, a filename, a content type, a
content_transfer_encoding, bytes without a filename, or ``default_to_multipart=True``).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from typing import Any

from multidict import MultiDict, MultiDictProxy

from .multipart import MultipartWriter
from .payloads import BytesPayload, Payload, check_header_value, guess_filename, payload_from

__all__ = ("FormData",)

_CONTENT_TYPE = "Content-Type"


class FormData:
    """Build a form body field by field; ``form()`` returns the Payload to send."""

    def __init__(
        self,
        fields: Iterable[Any] = (),
        quote_fields: bool = True,
        charset: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._writer = MultipartWriter("form-data")
        self._fields: list[tuple[MultiDict[str], dict[str, str], Any]] = []
        self._is_multipart = default_to_multipart
        self._quote_fields = quote_fields
        self._charset = charset
        if isinstance(fields, dict):
            fields = list(fields.items())
        elif not isinstance(fields, (list, tuple)):
            fields = (fields,)
        self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        return self._is_multipart

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        if isinstance(value, io.IOBase):
            self._is_multipart = True
        elif isinstance(value, (bytes, bytearray, memoryview)):
            if filename is None and content_transfer_encoding is None:
                warnings.warn(
                    "In v4, passing bytes will no longer create a file field. Please "
                    "explicitly use the filename parameter or pass a BytesIO object.",
                    DeprecationWarning,
                    stacklevel=2,
                )
                filename = name

        check_header_value(name, "form field name")
        options: MultiDict[str] = MultiDict({"name": name})
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"filename must be an instance of str. Got: {filename!r}")
        if filename is None and isinstance(value, io.IOBase):
            filename = guess_filename(value, name)
        if filename is not None:
            check_header_value(filename, "form field filename")
            options["filename"] = filename
            self._is_multipart = True

        headers: dict[str, str] = {}
        if content_type is not None:
            if not isinstance(content_type, str):
                raise TypeError(f"content_type must be an instance of str. Got: {content_type!r}")
            headers[_CONTENT_TYPE] = check_header_value(content_type, "Content-Type")
            self._is_multipart = True
        if content_transfer_encoding is not None:
            if not isinstance(content_transfer_encoding, str):
                raise TypeError(
                    "content_transfer_encoding must be an instance of str. "
                    f"Got: {content_transfer_encoding!r}"
                )
            warnings.warn(
                "content_transfer_encoding is deprecated. To maintain compatibility with "
                "v4 please pass a BytesPayload.",
                DeprecationWarning,
                stacklevel=2,
            )
            self._is_multipart = True
        self._fields.append((options, headers, value))

    def add_fields(self, *fields: Any) -> None:
        pending = list(fields)
        while pending:
            rec = pending.pop(0)
            if isinstance(rec, io.IOBase):
                self.add_field(guess_filename(rec, "unknown") or "unknown", rec)
            elif isinstance(rec, (MultiDictProxy, MultiDict)):
                pending.extend(rec.items())
            elif isinstance(rec, (list, tuple)) and len(rec) == 2:
                name, value = rec
                self.add_field(name, value)
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs allowed, use "
                    f".add_field() for passing more complex parameters, got {rec!r}"
                )

    def _gen_form_urlencoded(self) -> BytesPayload:
        from urllib.parse import urlencode

        data = [(options["name"], value) for options, _, value in self._fields]
        charset = self._charset if self._charset is not None else "utf-8"
        if charset == "utf-8":
            content_type = "application/x-www-form-urlencoded"
        else:
            content_type = f"application/x-www-form-urlencoded; charset={charset}"
        return BytesPayload(
            urlencode(data, doseq=True, encoding=charset).encode(), content_type=content_type
        )

    def _gen_form_data(self) -> MultipartWriter:
        for options, headers, value in self._fields:
            try:
                if isinstance(value, (dict, list, tuple, MultiDict, MultiDictProxy)):
                    raise TypeError("a multipart field value cannot be a nested form")
                part = payload_from(
                    value,
                    content_type=headers.get(_CONTENT_TYPE),
                    headers=headers,
                    encoding=self._charset,
                )
            except Exception as exc:
                raise TypeError(
                    f"Can not serialize value type: {type(value)!r}\n headers: {headers!r}\n "
                    f"value: {value!r}"
                ) from exc
            part.set_content_disposition(
                "form-data", quote_fields=self._quote_fields, **dict(options.items())
            )
            part.headers.popall("Content-Length", None)
            self._writer.append_payload(part)
        self._fields.clear()
        return self._writer

    def __call__(self) -> Payload:
        if self._is_multipart:
            return self._gen_form_data()
        return self._gen_form_urlencoded()

    def __repr__(self) -> str:
        kind = "multipart" if self._is_multipart else "urlencoded"
        return f"<FormData {kind} {len(self._fields)} fields>"
