"""Putting a request on the wire: the head, then the body (sized or chunked).

A request is refused with `ValueError` before a byte goes out if its method is not a token, if
its target holds a control character or a space, or if the head writer refuses a header (a
name that is not a token, a control character other than HTAB in a value: see
`fasthttp._http_writer_py`). That is how header injection and request smuggling through a
client are stopped.

The common case, a head with a small in-memory body (or none), is one `transport.write` and no
await; bodies of unknown size are sent chunked; large ones wait on socket back-pressure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Final, Optional, Union

from multidict import CIMultiDict

from .http import serialize_head

if TYPE_CHECKING:
    from .protocol import ResponseHandler

__all__ = ("encode_head", "BodyWriter", "InMemoryBody")

_NON_TOKEN_RE: Final = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
# The target sits between two spaces in the request line: no control character, no space
# (HTAB included: a lenient server splits the request line on any whitespace).
_BAD_TARGET_RE: Final = re.compile(r"[\x00-\x20\x7f]")

_KNOWN_GOOD_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"}
)

InMemoryBody = Union[bytes, bytearray, memoryview]


def encode_head(
    method: str, target: str, headers: "CIMultiDict[str]", version: str = "HTTP/1.1"
) -> bytes:
    """The request line and headers, checked, as bytes (ValueError if anything is refused)."""
    if method not in _KNOWN_GOOD_METHODS:
        match = _NON_TOKEN_RE.search(method)
        if match is not None:  # aiohttp's wording
            raise ValueError(
                f"Method cannot contain non-token characters {method!r} "
                f"(found at least {match.group()!r})"
            )
        if not method:
            raise ValueError("Method cannot be empty: it must be a token")
    match = _BAD_TARGET_RE.search(target)
    if match is not None:
        raise ValueError(
            f"Forbidden control character or space detected in the request target: "
            f"{match.group()!r} at index {match.start()} of {target[:100]!r}"
        )
    return serialize_head(f"{method} {target} {version}", headers)


class BodyWriter:
    """What a payload writes through: applies chunked framing and socket back-pressure.

    It tells the protocol when the body's last byte is on the transport (`body_sent`): until
    then the connection is not at a message boundary and will not be reused.

    For an UploadTracker it also keeps `output_size` (the body's bytes on the transport, chunk
    framing included) and calls `on_write` after each write, before waiting for the peer.
    """

    __slots__ = ("_protocol", "_chunked", "_written", "_expected", "output_size", "on_write")

    def __init__(self, protocol: "ResponseHandler", *, chunked: bool, expected: Optional[int]) -> None:
        self._protocol = protocol
        self._chunked = chunked
        self._written = 0
        self._expected = expected
        self.output_size = 0
        self.on_write: Optional[Callable[[], None]] = None

    @property
    def written(self) -> int:
        return self._written

    def wire_sent(self) -> Optional[int]:
        """Of `output_size`, what has left the transport for the kernel (a lower bound while
        the head is still buffered too); None once the transport is torn down."""
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            return None
        return self.output_size - transport.get_write_buffer_size()

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
            frame = b"%x\r\n" % size
            transport.write(frame)
            transport.write(data)
            transport.write(b"\r\n")
            self.output_size += len(frame) + size + 2
        else:
            transport.write(data)
            self.output_size += size
            if self._written == self._expected:
                # Complete before the drain: a response arriving meanwhile finds the request
                # written (the transport sends what it holds in order).
                protocol.body_sent()
        if self.on_write is not None:
            self.on_write()
        await protocol.drain()

    async def write_eof(self) -> None:
        protocol = self._protocol
        if self._chunked:
            if protocol.transport is not None and not protocol.closed:
                protocol.transport.write(b"0\r\n\r\n")
                self.output_size += 5
        elif self._expected is not None and self._written != self._expected:
            raise ValueError(
                f"the body is shorter than its Content-Length "
                f"({self._written} of {self._expected} bytes)"
            )
        protocol.body_sent()
        await protocol.drain()
