"""StreamReader: a response body as a flow-controlled stream (aiohttp's `resp.content`).

The protocol feeds body pieces in; the user reads them out. When more than `2 * limit` bytes
wait unread, the stream asks the protocol to pause the socket, and resumes it once the reader
has drained below `limit`: memory stays bounded whatever the body size and however slow the
reader.

A compressed body goes through a decoder (fasthttp.compression) whose output per call is
capped at `limit`: whatever it holds back is only decoded as the reader drains, with the socket
paused meanwhile, so a decompression bomb cannot grow memory past the read buffer either.
Input that still arrives while output is held back or the buffer is full (the rest of the
read the socket was paused in: many small HTTP chunks, say) is kept compressed, not decoded,
until the reader has drained what was decoded: otherwise each small piece would add its own
`limit` decoded bytes.
What a reader asks to hold whole (`read()`, hence `ClientResponse.read/text/json`) is another
matter: `max_decoded_size` (the session's `max_decompressed_size`, an extension over aiohttp,
off by default) bounds the total decoded size. Each decoded piece is counted before it is
buffered, so going past the limit costs at most one piece (`limit` bytes) of decoding: the
stream fails with `ClientDecompressedSizeError` and nothing more is decoded.

HTTP chunk boundaries (for `readchunk`): the protocol calls `end_http_chunk_receiving()` where
the parser reports the end of a chunk's data. The stream records it as a position in the body:
the number of bytes buffered since the start (`total_bytes`) at that moment. The reader's own
position is `total_bytes - (bytes still buffered)`, so no reader but `readchunk` has to know
about boundaries; they only drop the ones they have gone past.
"""

from __future__ import annotations

import asyncio
import collections
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Final,
    Generic,
    Optional,
    Protocol,
    TypeVar,
)

from .client_exceptions import ClientDecompressedSizeError, ClientPayloadError

if TYPE_CHECKING:
    from .compression import Decoder

__all__ = (
    "StreamReader",
    "FinishedStreamReader",
    "EmptyStreamReader",
    "EMPTY_PAYLOAD",
    "EofStream",
    "FlowControl",
)

DEFAULT_LIMIT: Final = 2**16

_T = TypeVar("_T")


class EofStream(Exception):
    """Raised internally when a stream is at its end."""


class FlowControl(Protocol):
    """What a stream needs from the connection feeding it."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class AsyncStreamIterator(Generic[_T]):
    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Awaitable[_T]]) -> None:
        self._read = read

    def __aiter__(self) -> "AsyncStreamIterator[_T]":
        return self

    async def __anext__(self) -> _T:
        try:
            value = await self._read()
        except EofStream:
            raise StopAsyncIteration from None
        if value == b"":
            raise StopAsyncIteration
        return value


class ChunkTupleAsyncStreamIterator:
    __slots__ = ("_stream",)

    def __init__(self, stream: "StreamReader") -> None:
        self._stream = stream

    def __aiter__(self) -> "ChunkTupleAsyncStreamIterator":
        return self

    async def __anext__(self) -> tuple[bytes, bool]:
        chunk = await self._stream.readchunk()
        if chunk == (b"", False):
            raise StopAsyncIteration
        return chunk


class StreamReader:
    """A body stream: `read`, `readany`, `readline`, `readexactly`, `readchunk`, iterators."""

    __slots__ = (
        "_flow",
        "_loop",
        "_limit",
        "_high_water",
        "_buffer",
        "_head_offset",
        "_size",
        "_eof",
        "_eof_pending",
        "_waiter",
        "_eof_waiter",
        "_exception",
        "_total_bytes",
        "_eof_callbacks",
        "_paused",
        "_decoder",
        "_held_input",
        "_max_decoded_size",
        "_chunk_ends",
        "_last_chunk_end",
        "__weakref__",
    )

    def __init__(
        self,
        flow: FlowControl,
        limit: int = DEFAULT_LIMIT,
        *,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        decoder: "Optional[Decoder]" = None,
        max_decoded_size: Optional[int] = None,
    ) -> None:
        self._flow = flow
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._limit = limit
        self._high_water = limit * 2
        self._buffer: collections.deque[bytes] = collections.deque()
        # Bytes of _buffer[0] already read: read(n) in steps through a large piece advances
        # this instead of copying what is left of the piece each time.
        self._head_offset = 0
        self._size = 0
        self._eof = False
        self._eof_pending = False  # input ended but the decoder still holds output
        self._waiter: Optional[asyncio.Future[None]] = None
        self._eof_waiter: Optional[asyncio.Future[None]] = None
        self._exception: Optional[BaseException] = None
        self._total_bytes = 0
        self._eof_callbacks: list[Callable[[], None]] = []
        self._paused = False
        self._decoder = decoder
        # Compressed input that came while the decoder held output back (a list then), fed to
        # it as the reader drains; None while the decoder holds nothing.
        self._held_input: Optional[list[bytes]] = None
        # Most bytes `decoder` may produce in all (None: no limit); unused without a decoder.
        self._max_decoded_size = max_decoded_size
        # Where HTTP chunks end, as body positions (total_bytes at each end), oldest first;
        # None until the first one. _last_chunk_end: the last position recorded.
        self._chunk_ends: Optional[collections.deque[int]] = None
        self._last_chunk_end = 0

    def __repr__(self) -> str:
        info = [type(self).__name__]
        if self._size:
            info.append(f"{self._size} bytes")
        if self._eof:
            info.append("eof")
        if self._exception is not None:
            info.append(f"e={self._exception!r}")
        return f"<{' '.join(info)}>"

    # --- iteration -------------------------------------------------------------------------

    def __aiter__(self) -> AsyncStreamIterator[bytes]:
        return AsyncStreamIterator(self.readline)

    def iter_chunked(self, n: int) -> AsyncStreamIterator[bytes]:
        """Pieces of at most n bytes (exactly n but for the last)."""
        return AsyncStreamIterator(lambda: self.read(n))

    def iter_any(self) -> AsyncStreamIterator[bytes]:
        """Whatever has arrived, as soon as it has."""
        return AsyncStreamIterator(self.readany)

    def iter_chunks(self) -> ChunkTupleAsyncStreamIterator:
        """(data, end_of_http_chunk) pairs; see readchunk()."""
        return ChunkTupleAsyncStreamIterator(self)

    # --- feeding (the protocol's side) -----------------------------------------------------

    def get_read_buffer_limits(self) -> tuple[int, int]:
        return (self._limit, self._high_water)

    @property
    def total_bytes(self) -> int:
        """Body bytes received so far (after decoding)."""
        return self._total_bytes

    def exception(self) -> Optional[BaseException]:
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        if self._exception is not None:
            return  # the first failure is the cause (a connection lost after a release, ...)
        self._exception = exc
        self._eof_callbacks.clear()
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_exception(exc)
        waiter = self._eof_waiter
        if waiter is not None:
            self._eof_waiter = None
            if not waiter.done():
                waiter.set_exception(exc)

    def on_eof(self, callback: Callable[[], None]) -> None:
        if self._eof:
            callback()
        else:
            self._eof_callbacks.append(callback)

    def feed_data(self, data: bytes) -> None:
        decoder = self._decoder
        if decoder is not None:
            if self._exception is not None:
                return  # the decoded body went over its limit: decode nothing more
            held = self._held_input
            if held is not None:  # decoded output waits for the reader: keep this compressed
                held.append(data)
                return
            data = decoder.decompress(data, self._limit)
            if data:
                if self._max_decoded_size is not None:
                    self._count_decoded(len(data))
                self._append(data)
            if decoder.has_pending_output or self._paused:
                # The reader has enough to go on: what still comes waits compressed (a small
                # piece can decode to `limit` bytes; many of them must not add up).
                self._held_input = []
                self._pause()
            return
        self._append(data)

    def end_http_chunk_receiving(self) -> None:
        """The data of one HTTP chunk is complete: record a boundary where the body stands.

        A chunk that added no byte (an empty chunk, or compressed data that has not decoded
        to anything yet) records nothing. With a Content-Encoding being decoded, the boundary
        is where the decoded output stood when the compressed chunk ended (as in aiohttp).
        """
        total = self._total_bytes
        if total == self._last_chunk_end:
            return
        self._last_chunk_end = total
        ends = self._chunk_ends
        if ends is None:
            ends = self._chunk_ends = collections.deque()
        ends.append(total)
        self._wake_reader()

    def feed_eof(self) -> None:
        decoder = self._decoder
        if decoder is not None:
            if self._held_input is not None or decoder.has_pending_output:
                self._eof_pending = True  # the rest is decoded as the reader drains
                return
            try:
                tail = decoder.flush()
            except Exception as exc:
                self.set_exception(self._decode_error(exc))
                return
            if tail:
                if self._max_decoded_size is not None:
                    try:
                        self._count_decoded(len(tail))
                    except ClientDecompressedSizeError:
                        return  # the stream has failed; its reader hears it
                self._append(tail)
        self._set_eof()

    def _count_decoded(self, size: int) -> None:
        """About to buffer `size` more decoded bytes: fail the stream if that passes the limit.

        The stream's exception is set (every read from now on raises it) and raised: the
        protocol, feeding, closes the connection on it; a reader, draining, gets it at once.
        """
        limit = self._max_decoded_size
        assert limit is not None
        if self._total_bytes + size <= limit:
            return
        decoder = self._decoder
        encoding = decoder.encoding if decoder is not None else "?"
        exc = ClientDecompressedSizeError(
            f"the {encoding}-decoded response body is larger than "
            f"max_decompressed_size={limit} bytes: reading stopped",
            limit=limit,
        )
        self._eof_pending = False
        self.set_exception(exc)
        raise exc

    def _append(self, data: bytes) -> None:
        self._buffer.append(data)
        self._size += len(data)
        self._total_bytes += len(data)
        self._wake_reader()
        if self._size > self._high_water and not self._paused:
            self._pause()

    def _wake_reader(self) -> None:
        """Wake the read call waiting for data, if any: there is something new to look at."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _set_eof(self) -> None:
        self._eof = True
        self._wake_reader()
        waiter = self._eof_waiter
        if waiter is not None:
            self._eof_waiter = None
            if not waiter.done():
                waiter.set_result(None)
        callbacks, self._eof_callbacks = self._eof_callbacks, []
        for callback in callbacks:
            callback()

    def _pause(self) -> None:
        if not self._paused:
            self._paused = True
            self._flow.pause_reading()

    def _after_read(self) -> None:
        """The reader took data: decode more, or let the socket flow again, as room allows."""
        if self._size <= self._limit:
            self._let_more_in()

    # --- state -----------------------------------------------------------------------------

    def is_eof(self) -> bool:
        """The input has ended (data may still be buffered)."""
        return self._eof

    def at_eof(self) -> bool:
        """The input has ended and everything has been read."""
        return self._eof and not self._buffer

    async def wait_eof(self) -> None:
        if self._eof:
            return
        if self._exception is not None:
            raise self._exception
        waiter = self._eof_waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._eof_waiter = None

    async def _wait(self, what: str) -> None:
        if self._waiter is not None:
            raise RuntimeError(
                f"{what}() called while another coroutine is already waiting for incoming data"
            )
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _let_more_in(self) -> bool:
        """Release the next piece of the decoder's held-back output or, once it holds none,
        let the socket flow again. True when the decoder had output to release: look at the
        buffer again before waiting.

        _after_read calls it when the buffer has room. readexactly and readuntil call it even
        past the high-water mark: they need more than is buffered before they can take
        anything, so their wait would otherwise never end. They bound what they asked for, and
        _append pauses again after each piece, so the buffer grows only as far as that request.
        """
        released = False
        decoder = self._decoder
        held = self._held_input
        if decoder is not None and (held is not None or decoder.has_pending_output):
            try:
                if held:
                    data = decoder.decompress(b"".join(held), self._limit)
                    held.clear()
                else:
                    data = decoder.decompress(b"", self._limit)
            except Exception as exc:  # corrupted data met while draining: as the protocol says it
                error = self._decode_error(exc)
                self.set_exception(error)
                raise error from exc
            if data:
                if self._max_decoded_size is not None:
                    self._count_decoded(len(data))
                self._append(data)
            if decoder.has_pending_output:
                return True
            self._held_input = None
            if self._eof_pending:
                self._eof_pending = False
                self.feed_eof()
                return True
            released = True
        if self._paused:
            self._paused = False
            self._flow.resume_reading()
        return released

    def _decode_error(self, exc: Exception) -> BaseException:
        """What a reader gets when the body cannot be decoded (a server's request body
        reader says it with its own exception: fasthttp.web.request_decoding)."""
        return ClientPayloadError(f"cannot decode the body: {exc}")

    def _check(self) -> None:
        if self._exception is not None:
            raise self._exception

    # --- reading ---------------------------------------------------------------------------

    def _pop_first(self) -> bytes:
        """The first buffered piece, what is left of it, removed from the buffer."""
        data = self._buffer.popleft()
        offset = self._head_offset
        if offset:
            self._head_offset = 0
            data = data[offset:]
        return data

    def _trim_first(self) -> None:
        """Cut the read part off _buffer[0], for code that works on the buffered pieces whole."""
        offset = self._head_offset
        if offset:
            self._head_offset = 0
            self._buffer[0] = self._buffer[0][offset:]

    def _take(self, n: int) -> bytes:
        """Up to n bytes (n < 0: everything buffered), without waiting."""
        buffer = self._buffer
        offset = self._head_offset
        if n < 0 or n >= self._size:
            if len(buffer) == 1:
                data = self._pop_first()
            else:
                self._trim_first()
                data = b"".join(buffer)
                buffer.clear()
            self._size = 0
        else:
            first = buffer[0]
            end = offset + n
            if end < len(first):
                data = first[offset:end]
                self._head_offset = end
            elif end == len(first):
                data = self._pop_first()
            else:
                parts = [self._pop_first()]
                need = n - len(parts[0])
                while need:
                    first = buffer[0]
                    if len(first) > need:
                        parts.append(first[:need])
                        self._head_offset = need
                        break
                    parts.append(buffer.popleft())
                    need -= len(first)
                data = b"".join(parts)
            self._size -= n
        if self._chunk_ends:
            self._drop_chunk_ends()
        self._after_read()
        return data

    def _drop_chunk_ends(self) -> None:
        """Forget the chunk boundaries the reader has gone past."""
        ends = self._chunk_ends
        assert ends is not None
        position = self._total_bytes - self._size
        while ends and ends[0] < position:
            ends.popleft()

    def _read_all_if_ended(self) -> Optional[bytes]:
        """The rest of the body at once when it has all arrived, else None (nor when the body
        failed: read() raises that). ClientResponse.read() of a body that came with its head
        needs no coroutine here."""
        if not self._eof or self._exception is not None:
            return None
        return self._take(-1) if self._buffer else b""

    async def read(self, n: int = -1) -> bytes:
        """Up to n bytes; n < 0 reads to the end of the body."""
        self._check()
        if n == 0:
            return b""
        if n < 0:
            # Read everything: collect as it comes, letting the socket flow meanwhile.
            parts = []
            while True:
                while not self._buffer and not self._eof:
                    await self._wait("read")
                    self._check()
                if self._buffer:
                    parts.append(self._take(-1))
                elif self._eof:
                    break
            return parts[0] if len(parts) == 1 else b"".join(parts)
        while not self._buffer and not self._eof:
            await self._wait("read")
            self._check()
        if not self._buffer:
            return b""
        return self._take(n)

    async def readany(self) -> bytes:
        """The oldest buffered piece, as it arrived (waiting for one if none is); b"" at the end.

        aiohttp joins everything buffered into one bytes; handing out the pieces one by one
        gives the same bytes in the same order without copying them together.
        """
        self._check()
        while not self._buffer and not self._eof:
            await self._wait("readany")
            self._check()
        if not self._buffer:
            return b""
        data = self._pop_first()
        self._size -= len(data)
        if self._chunk_ends:
            self._drop_chunk_ends()
        self._after_read()
        return data

    async def readchunk(self) -> tuple[bytes, bool]:
        """(data, end_of_http_chunk), as aiohttp's; (b"", False) at the end of the body.

        With `Transfer-Encoding: chunked`, data never runs past the end of an HTTP chunk:
        when a chunk end is buffered, everything up to it comes out at once with True; else
        the next piece as it arrived, with False (the rest of that chunk follows later). When
        other reads stopped exactly at a chunk end, the next call reports it as (b"", True).
        Empty chunks are not reported. A body that is not chunked gives its pieces as they
        arrived, always with False. With a Content-Encoding being decoded, True marks where
        the decoded output stood when a compressed chunk ended (aiohttp does the same).
        """
        self._check()
        while True:
            ends = self._chunk_ends
            if ends:
                position = self._total_bytes - self._size
                while ends:
                    end = ends.popleft()
                    if end > position:
                        return (self._take(end - position), True)
                    if end == position:
                        return (b"", True)
            if self._buffer:
                data = self._pop_first()
                self._size -= len(data)
                self._after_read()
                return (data, False)
            if self._eof:
                return (b"", False)
            await self._wait("readchunk")
            self._check()

    async def readexactly(self, n: int) -> bytes:
        """Exactly n bytes, or asyncio.IncompleteReadError if the body ends first."""
        self._check()
        while self._size < n and not self._eof:
            if self._let_more_in():
                continue
            await self._wait("readexactly")
            self._check()
        if self._size < n:
            partial = self._take(-1) if self._buffer else b""
            raise asyncio.IncompleteReadError(partial, n)
        return self._take(n)

    async def readline(self, *, max_line_length: Optional[int] = None) -> bytes:
        """One line, with its b"\\n"; the rest of the body if it has no more newline."""
        return await self.readuntil(b"\n", max_size=max_line_length)

    async def readuntil(self, separator: bytes = b"\n", *, max_size: Optional[int] = None) -> bytes:
        """Up to and including separator; ValueError past max_size (default: the limit)."""
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        limit = self._limit if max_size is None else max_size
        self._check()
        seplen = len(separator)
        searched = 0
        while True:
            if self._buffer:
                self._trim_first()
                if len(self._buffer) > 1:
                    joined = b"".join(self._buffer)
                    self._buffer.clear()
                    self._buffer.append(joined)
                data = self._buffer[0]
                found = data.find(separator, max(0, searched - seplen + 1))
                if found >= 0:
                    end = found + seplen
                    if end > limit:
                        raise ValueError("Chunk too big")
                    return self._take(end)
                searched = len(data)
                if searched > limit:
                    raise ValueError("Chunk too big")
            if self._eof:
                return self._take(-1) if self._buffer else b""
            if self._let_more_in():
                continue
            await self._wait("readuntil")
            self._check()

    def read_nowait(self, n: int = -1) -> bytes:
        """Up to n buffered bytes without waiting (n < 0: all of them)."""
        self._check()
        if self._waiter is not None:
            raise RuntimeError("Called while some coroutine is waiting for incoming data.")
        if not self._buffer:
            return b""
        return self._take(n)

    def unread_data(self, data: bytes) -> None:
        """Put data back in front of the stream (deprecated in aiohttp; kept for code using it)."""
        if data:
            if self._buffer:
                self._trim_first()
            self._buffer.appendleft(data)
            self._size += len(data)


class _NoFlow:
    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


_NO_FLOW: Final = _NoFlow()


class FinishedStreamReader(StreamReader):
    """A body that had all arrived when its response was handed out: at its end from the start,
    `body` buffered. Reading never waits, so it needs neither a loop nor a connection to pause."""

    __slots__ = ()

    def __init__(self, body: bytes = b"", limit: int = DEFAULT_LIMIT) -> None:
        self._flow = _NO_FLOW
        self._loop = None  # type: ignore[assignment]
        self._limit = limit
        self._high_water = limit * 2
        self._buffer = collections.deque((body,)) if body else collections.deque()
        self._head_offset = 0
        self._size = self._total_bytes = len(body)
        self._eof = True
        self._eof_pending = False
        self._waiter = None
        self._eof_waiter = None
        self._exception = None
        self._eof_callbacks = []
        self._paused = False
        self._decoder = None
        self._held_input = None
        self._max_decoded_size = None
        self._chunk_ends = None
        self._last_chunk_end = 0


class EmptyStreamReader(FinishedStreamReader):
    """The body of a response that has none: at its end from the start."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__()

    def feed_data(self, data: bytes) -> None:
        raise RuntimeError("an empty body cannot be fed")


EMPTY_PAYLOAD: Final = EmptyStreamReader()


def __getattr__(name: str) -> Any:
    # aiohttp.streams's names fasthttp keeps in other modules (or why it has not); the import
    # system's probes (`__path__` on every `from .streams import x`) do not load that table
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .aiohttp_submodules import reexport

    return reexport("streams", name)
