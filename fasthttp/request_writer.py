"""Putting a request on the wire: the head, then the body (sized or chunked).

A request is refused before a byte goes out if its method is not a token or if CR, LF or NUL
appears in the target or in any header: that is how header injection and request smuggling
through a client are stopped.

The common case, a head with a small in-memory body (or none), is one `transport.write` and no
await; bodies of unknown size are sent chunked; large ones wait on socket back-pressure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, Optional, Union

from multidict import CIMultiDict

from .http import serialize_head

if TYPE_CHECKING:
    from .protocol import ResponseHandler

__all__ = ("encode_head", "BodyWriter", "InMemoryBody")

_TOKEN_RE: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_RE: Final = re.compile(r"[\r\n\x00]")
_BAD_TARGET_RE: Final = re.compile(r"[\x00-\x20\x7f]")

_KNOWN_GOOD_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"}
)

InMemoryBody = Union[bytes, bytearray, memoryview]


def encode_head(
    method: str, target: str, headers: "CIMultiDict[str]", version: str = "HTTP/1.1"
) -> bytes:
    """The request line and headers, checked, as bytes."""
    if method not in _KNOWN_GOOD_METHODS and not _TOKEN_RE.fullmatch(method):
        raise ValueError(f"Method cannot contain non-token characters {method!r} (found at least one)")
    if _BAD_TARGET_RE.search(target) is not None:
        raise ValueError(f"The request target contains a control character or space: {target!r}")
    try:
        return serialize_head(f"{method} {target} {version}", headers)
    except ValueError:  # CR, LF or NUL somewhere: say where, in the client's own words
        _raise_injection(headers)
        raise


def _raise_injection(headers: "CIMultiDict[str]") -> None:
    for name, value in headers.items():
        if _FORBIDDEN_RE.search(name) is not None or not _TOKEN_RE.fullmatch(name):
            raise ValueError(f"Invalid header name {name!r}: it must be a token (no CR, LF or NUL)")
        if _FORBIDDEN_RE.search(value) is not None:
            raise ValueError(
                f"Newline or carriage return or NUL character detected in the value of header "
                f"{name!r}: {value!r}"
            )
    raise ValueError("CR, LF or NUL in the request head")  # pragma: no cover - found above


class BodyWriter:
    """What a payload writes through: applies chunked framing and socket back-pressure.

    It tells the protocol when the body's last byte is on the transport (`body_sent`): until
    then the connection is not at a message boundary and will not be reused.
    """

    __slots__ = ("_protocol", "_chunked", "_written", "_expected")

    def __init__(self, protocol: "ResponseHandler", *, chunked: bool, expected: Optional[int]) -> None:
        self._protocol = protocol
        self._chunked = chunked
        self._written = 0
        self._expected = expected

    @property
    def written(self) -> int:
        return self._written

    async def write(self, data: Any) -> None:
        if not data:
            return
        protocol = self._protocol
        transport = protocol.transport
        if transport is None or protocol.closed:
            from .client_exceptions import ClientConnectionResetError

            raise ClientConnectionResetError("Cannot write to closing transport")
        size = len(data)
        if self._expected is not None and self._written + size > self._expected:
            raise ValueError(
                f"the body is longer than its Content-Length ({self._expected} bytes)"
            )
        self._written += size
        if self._chunked:
            transport.write(b"%x\r\n" % size)
            transport.write(data)
            transport.write(b"\r\n")
        else:
            transport.write(data)
            if self._written == self._expected:
                # Complete before the drain: a response arriving meanwhile finds the request
                # written (the transport sends what it holds in order).
                protocol.body_sent()
        await protocol.drain()

    async def write_eof(self) -> None:
        protocol = self._protocol
        if self._chunked:
            if protocol.transport is not None and not protocol.closed:
                protocol.transport.write(b"0\r\n\r\n")
        elif self._expected is not None and self._written != self._expected:
            raise ValueError(
                f"the body is shorter than its Content-Length "
                f"({self._written} of {self._expected} bytes)"
            )
        protocol.body_sent()
        await protocol.drain()
