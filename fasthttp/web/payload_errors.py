"""aiohttp.web's request-body exceptions, under their names (`except web.RequestPayloadError`).

aiohttp raises RequestPayloadError from `request.read()`/`request.content` when the body
cannot be decoded (a bad Content-Encoding), and PayloadAccessError when the body is read after
the response was sent. fasthttp's server does not decode request bodies (it hands over the
bytes as sent) and reports a malformed body with the parser's HttpProcessingError (a 400), so
it raises neither today; the classes are here so code that names them imports and runs
(docs/aiohttp-compat.md).
"""

from __future__ import annotations

__all__ = ("PayloadAccessError", "RequestPayloadError")


class RequestPayloadError(Exception):
    """Payload parsing error."""


class PayloadAccessError(Exception):
    """Payload was accessed after response was sent."""
