"""json_bytes_response(): a JSON response from an encoder that returns bytes (orjson, msgspec),
as aiohttp 3.14's: no str round trip for the body."""

from __future__ import annotations

from typing import Any, Callable

from .response import Response

__all__ = ("json_bytes_response",)

_NO_DATA: Any = object()  # json_bytes_response(None, ...) encodes None, as aiohttp's does


def json_bytes_response(
    data: Any = _NO_DATA,
    *,
    dumps: Callable[[Any], bytes],
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Any = None,
    content_type: str = "application/json",
) -> Response:
    if data is not _NO_DATA:
        if body is not None:
            raise ValueError("only one of data or body should be specified")
        body = dumps(data)
    return Response(body=body, status=status, reason=reason, headers=headers, content_type=content_type)
