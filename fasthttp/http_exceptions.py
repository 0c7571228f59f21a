"""Errors raised while reading HTTP/1.1 messages.

One hierarchy for both parser twins (the compiled `_parser` and the pure `_parser_py`
raise these very classes), named as in aiohttp 3.x so that `except` clauses written for
aiohttp keep working (and, when aiohttp is installed, subclasses of aiohttp's classes of the
same names: fasthttp/_aiohttp_bases.py). Every message says what was wrong, not just that something was.
They survive a pickle round trip with their attributes (not the parser's `events`).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from multidict import CIMultiDict

from . import _aiohttp_bases as aio
from ._error_pickling import reduce_error

__all__ = (
    "HttpProcessingError",
    "BadHttpMessage",
    "HttpBadRequest",
    "BadStatusLine",
    "BadHttpMethod",
    "LineTooLong",
    "InvalidHeader",
    "PayloadEncodingError",
    "ContentEncodingError",
    "TransferEncodingError",
    "ContentLengthError",
    "DecompressSizeError",
)


class HttpProcessingError(aio.HttpProcessingError, Exception):
    """Base of every HTTP processing error; `code` is the status a server would answer."""

    code = 0
    message = ""
    headers: Optional[CIMultiDict[str]] = None
    #: Set by the parsers on the exception they raise from feed_data: the events that same call
    #: produced before the error, in order (the messages before a bad one in a pipelined read).
    #: Empty when the parser raises it again on a later call.
    events: Sequence[Any] = ()

    def __init__(
        self,
        *,
        code: Optional[int] = None,
        message: str = "",
        headers: Optional[CIMultiDict[str]] = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.message = message
        self.headers = headers
        Exception.__init__(self, code, message)  # aiohttp's __init__ (next in the MRO) is keyword-only

    def __str__(self) -> str:
        return f"{self.code}, message: {self.message}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.code}, message={self.message!r}>"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The constructors take keyword-only or other arguments than args holds: rebuilt
        # from the attributes. `events` are the parser's, of one connection: not carried.
        return reduce_error(self, self.args, {"events": ()})


class BadHttpMessage(HttpProcessingError, aio.BadHttpMessage):
    """The bytes received are not a valid HTTP/1.1 message."""

    code = 400

    def __init__(self, message: str, *, code: Optional[int] = None) -> None:
        super().__init__(message=message, code=code)


class HttpBadRequest(BadHttpMessage, aio.HttpBadRequest):
    code = 400


class BadStatusLine(BadHttpMessage, aio.BadStatusLine):
    """The status line (response) or request line (request) is malformed."""


class BadHttpMethod(BadStatusLine, aio.BadHttpMethod):
    """The request method is not a valid token."""


class LineTooLong(BadHttpMessage, aio.LineTooLong):
    """A start line, header line or chunk-size line is longer than its limit."""

    def __init__(self, what: str, limit: int, *, code: Optional[int] = None) -> None:
        self.limit = limit
        super().__init__(f"{what} is longer than the limit of {limit} bytes", code=code)


class InvalidHeader(BadHttpMessage, aio.InvalidHeader):
    """A header line is malformed or a framing header has an invalid value."""


class PayloadEncodingError(BadHttpMessage, aio.PayloadEncodingError):
    """The body's framing or encoding is broken."""


class ContentEncodingError(PayloadEncodingError, aio.ContentEncodingError):
    """The body cannot be decoded with its Content-Encoding."""


class TransferEncodingError(PayloadEncodingError, aio.TransferEncodingError):
    """The chunked framing (or the Transfer-Encoding header) is broken."""


class ContentLengthError(PayloadEncodingError, aio.ContentLengthError):
    """The connection ended before Content-Length bytes of body arrived."""


class DecompressSizeError(PayloadEncodingError, aio.DecompressSizeError):
    """A compressed body grew past the decompression limit."""
