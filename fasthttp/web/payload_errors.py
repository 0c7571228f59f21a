"""aiohttp.web's request-body exceptions, under their names (`except web.RequestPayloadError`).

RequestPayloadError comes from `request.read()`/`text()`/`json()`/`post()`/`content`/
`multipart()` when a body sent with a Content-Encoding cannot be decoded (corrupt or cut
short), as in aiohttp.web (fasthttp/web/request_decoding.py). aiohttp raises
PayloadAccessError when the body is read after the response was sent; fasthttp's server does
not (it reports a malformed body with the parser's HttpProcessingError, a 400): the class is
here so code that names it imports and runs (docs/aiohttp-compat.md).
"""

from __future__ import annotations

__all__ = ("PayloadAccessError", "RequestPayloadError")


class RequestPayloadError(Exception):
    """Payload parsing error."""


class PayloadAccessError(Exception):
    """Payload was accessed after response was sent."""
