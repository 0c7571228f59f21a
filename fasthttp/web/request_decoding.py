"""Request bodies sent with a Content-Encoding, decoded before the handler sees them.

aiohttp.web decodes a request body sent with ``Content-Encoding: gzip``, ``deflate``
(zlib-wrapped or raw), ``br`` and ``zstd`` (when their library is installed) for
every reader: ``read()``, ``text()``, ``json()``, ``post()``, ``multipart()`` and ``content``;
its server's ``auto_decompress=False`` hands the bytes over as sent. Anything else (identity,
``x-gzip``, an unknown token, several encodings) is handed over as sent too. fasthttp.web does the same,
with the client's decoders (fasthttp.compression) in the body's StreamReader:

- memory: the decoder gives at most ``read_bufsize`` bytes per step; while decoded output
  waits for the handler the socket is paused and what still arrives waits compressed
  (fasthttp.streams), so a small compressed body cannot expand into an unbounded buffer; ``read()`` counts the decoded bytes against
  ``client_max_size`` (413), as aiohttp's does.
- errors: a body that cannot be decoded fails its reader with `RequestPayloadError`,
  aiohttp.web's exception; unhandled, it is a 500, as in aiohttp. One that ends in the middle
  of its compressed stream (truncated) fails with `BadRequestBodyEnd`, a RequestPayloadError
  that is a 400 when unhandled, as aiohttp.web answers a truncated deflate body. That holds
  for every encoding here: aiohttp checks deflate only, and hands over a gzip, br or zstd body
  cut short as if it were whole.
- a known encoding whose library is missing (``br`` without Brotli, say) fails the same way
  when the body is read (aiohttp's parser refuses such a request with a 400 before the handler
  runs; here the handler can still answer).

Only a request that has a body and a Content-Encoding header comes here: a plain request pays
one attribute test (RequestHandler._take_events).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..compression import get_decoder
from ..http_exceptions import ContentEncodingError
from ..streams import StreamReader
from .payload_errors import RequestPayloadError

if TYPE_CHECKING:
    from ..streams import FlowControl

__all__ = ("BadRequestBodyEnd", "DecodingRequestBody", "decoding_body")


class BadRequestBodyEnd(RequestPayloadError, ContentEncodingError):
    """The body ended where its encoding cannot end (truncated), or its last bytes are bad.

    A RequestPayloadError for the handler that catches it; unhandled, an HttpProcessingError,
    which the server answers with 400 and a closed connection, as aiohttp.web answers a
    truncated deflate body (its parser fails at the end of the message)."""

    def __str__(self) -> str:
        return self.message


class DecodingRequestBody(StreamReader):
    """A request body decoded as it arrives; decoding failures are RequestPayloadError."""

    __slots__ = ("_ending",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ending = False

    def feed_data(self, data: bytes) -> None:
        try:
            super().feed_data(data)
        except Exception as exc:  # the decoder refused the data: the handler's reader hears it
            self.set_exception(self._decode_error(exc))

    def feed_eof(self) -> None:
        self._ending = True  # a decoder failing now fails at the end of the body
        try:
            super().feed_eof()
        finally:
            self._ending = False

    def _decode_error(self, exc: Exception) -> BaseException:
        # aiohttp.web's message is its decoder's ("Can not decode content-encoding: gzip").
        message = getattr(exc, "message", None) or str(exc)
        error = BadRequestBodyEnd(message) if self._ending else RequestPayloadError(message)
        error.__cause__ = exc
        return error


def decoding_body(
    content_encoding: str, flow: "FlowControl", limit: int, loop: asyncio.AbstractEventLoop,
) -> StreamReader:
    """The body stream of a request sent with this Content-Encoding: decoded when aiohttp.web
    would decode it (gzip, deflate, br, zstd; not x-gzip, which aiohttp.web's parser hands
    over as is), a plain StreamReader otherwise."""
    try:
        decoder = get_decoder(content_encoding)
    except ContentEncodingError as exc:  # br or zstd without its library
        body = DecodingRequestBody(flow, limit, loop=loop)
        body.set_exception(body._decode_error(exc))
        return body
    if decoder is None:
        return StreamReader(flow, limit, loop=loop)
    return DecodingRequestBody(flow, limit, loop=loop, decoder=decoder)
