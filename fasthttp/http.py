"""The HTTP/1.1 protocol core, with the implementation chosen once, here.

The compiled twin (`fasthttp._parser`) is used unless `FASTHTTP_NO_EXTENSIONS` is set (to
anything but "" or "0") or the extension is not built; then the pure-Python twin
(`fasthttp._parser_py`). Both follow docs/parser.md to the letter. The head serializer
(`serialize_head`, `fasthttp._http_writer` or `fasthttp._http_writer_py`) follows the same choice. `IMPLEMENTATION` says which
one this process got, so users, tests and benchmarks can ask.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final

from .http_exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentEncodingError,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
    PayloadEncodingError,
    TransferEncodingError,
)
from .http_types import HttpVersion, HttpVersion10, HttpVersion11

__all__ = (
    "IMPLEMENTATION",
    "NO_EXTENSIONS",
    "HttpResponseParser",
    "HttpRequestParser",
    "ChunkedDecoder",
    "ResponseHead",
    "RequestHead",
    "EndOfMessage",
    "EndOfChunk",
    "END_OF_CHUNK",
    "serialize_head",
    "serialize_response_head",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "HttpProcessingError",
    "BadHttpMessage",
    "BadStatusLine",
    "BadHttpMethod",
    "LineTooLong",
    "InvalidHeader",
    "PayloadEncodingError",
    "ContentEncodingError",
    "TransferEncodingError",
    "ContentLengthError",
)


def _extensions_disabled() -> bool:
    return os.environ.get("FASTHTTP_NO_EXTENSIONS", "") not in ("", "0")


NO_EXTENSIONS: Final[bool] = _extensions_disabled()

if TYPE_CHECKING:
    from ._http_writer_py import serialize_head, serialize_response_head
    from ._parser_py import (
        END_OF_CHUNK,
        ChunkedDecoder,
        EndOfChunk,
        EndOfMessage,
        HttpRequestParser,
        HttpResponseParser,
        RequestHead,
        ResponseHead,
    )

    IMPLEMENTATION: str
else:
    IMPLEMENTATION = "python"
    if not NO_EXTENSIONS:
        try:
            from ._http_writer import serialize_head, serialize_response_head
            from ._parser import (
                END_OF_CHUNK,
                ChunkedDecoder,
                EndOfChunk,
                EndOfMessage,
                HttpRequestParser,
                HttpResponseParser,
                RequestHead,
                ResponseHead,
            )

            IMPLEMENTATION = "cython"
        except ImportError:  # not built (no compiler, or a pure wheel)
            pass
    if IMPLEMENTATION == "python":
        from ._http_writer_py import serialize_head, serialize_response_head
        from ._parser_py import (
            END_OF_CHUNK,
            ChunkedDecoder,
            EndOfChunk,
            EndOfMessage,
            HttpRequestParser,
            HttpResponseParser,
            RequestHead,
            ResponseHead,
        )


def __getattr__(name: str) -> Any:
    # aiohttp.http's names fasthttp keeps in other modules (or why it has not); the import
    # system's probes (`__path__` on every `from .http import x`) do not load that table
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .aiohttp_submodules import reexport

    return reexport("http", name)
