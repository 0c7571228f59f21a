"""FlowControlProtocol: write back-pressure, read back-pressure and a lost connection, once.

The client's ResponseHandler (fasthttp.protocol), the server's RequestHandler
(fasthttp.web.protocol) and the WebSocketProtocol of both sides (fasthttp.ws_protocol) are
built on it (aiohttp's base_protocol.BaseProtocol plays the same part there).

Writing: the transport calls pause_writing when its buffer passes the high-water mark and
resume_writing when it is back under the low-water mark. `drain()` returns at once unless
writing is paused; then it waits for resume_writing. Every task waiting shares one future
(shielded, so a waiter that is cancelled does not cancel it for the others).

Reading: `_pause_transport_reading` / `_resume_transport_reading` stop and restart the
transport's reads; both are idempotent (the transport is only told when the state changes) and
do nothing once the connection is closed. `pause_reading` / `resume_reading` (what a body's
StreamReader calls when its buffer is full, then emptied) are those two unless a subclass has
more than one reason to pause (the server: a body's buffer and its queue of pipelined
requests).

A lost connection: once it is closed, by the peer or by us, nothing more can be written. What
a writer is told is ONE exception, `ClientConnectionResetError` (fasthttp.client_exceptions):

- a drain() waiting when the connection goes: ClientConnectionResetError("Connection lost"),
  the transport's own error, if any, as its __cause__;
- a drain() called after that: the same;
- a write after that (the server's responses, the WebSocket sessions, the client's body
  writer): ClientConnectionResetError("Cannot write to closing transport").

That one class is what code written for aiohttp catches, whichever way it was written: it is
aiohttp's ClientConnectionResetError (what aiohttp raises for a write or a drain on a closed
connection, client and server alike), a ClientConnectionError, and a ConnectionResetError
(so a ConnectionError and an OSError: what aiohttp.web handlers catch). aiohttp itself is less
even: a drain waiting when the connection goes raises a plain ConnectionError("Connection
lost") if the transport reported an error and returns as if all went well if not (the peer
closed cleanly, or we aborted), which tells a WebSocket sender its message went out when it
did not.

What each side saw before this base existed (three copies of this code), for a drain()
waiting when the peer went away, and what it sees now:

- the client's request body writer (protocol.py): ClientOSError(errno, strerror) if the
  transport reported an error, ServerDisconnectedError if not; and the writer task was
  cancelled at once, so a payload's write() saw CancelledError. Now: the error above, in the
  payload's write() too (when the request itself has failed first, the exchange still
  cancels its writer, as aiohttp's does).
- the server's response writer (web/protocol.py): ConnectionResetError("Connection lost"),
  without the transport's error. Now: the error above (a ConnectionResetError still).
- a WebSocket send, either side (ws_protocol.py): returned as if the message had gone out;
  the next send raised "Cannot write to closing transport". Now: the error above, for every
  task waiting.

The exceptions a client READS with are not this one and did not change: a response the
connection's end cut short raises ServerDisconnectedError (no error from the transport),
ClientOSError (the transport's error: a reset) or ClientPayloadError (a body short of its
framing), as aiohttp users see them; fasthttp.protocol decides, knowing where in the
response the loss fell. So a request whose server goes away during the upload raises one of
those, as with aiohttp, whatever its body writer was told. A WebSocket's receive() reports a
lost connection as a CLOSED message (close code 1006), as aiohttp's does. A server handler
reading a request body when the client goes away gets ClientConnectionResetError("Connection
lost") too (aiohttp.web: a ConnectionResetError; before: ClientConnectionError).

Nothing here runs per request: pause/resume and the drain future are only reached when a
buffer fills, and the common path of a request (a client GET, a server's plain Response)
calls drain() only when writing is paused.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from .client_exceptions import ClientConnectionResetError
from .read_size import use_small_reads

__all__ = ("FlowControlProtocol", "connection_lost_error", "closing_transport_error")


def connection_lost_error(cause: Optional[BaseException] = None) -> ClientConnectionResetError:
    """What a writer waiting on (or draining) a connection that is gone raises."""
    error = ClientConnectionResetError("Connection lost")
    error.__cause__ = cause
    return error


def closing_transport_error() -> ClientConnectionResetError:
    """What a write on a connection that is closing or gone raises (aiohttp's wording)."""
    return ClientConnectionResetError("Cannot write to closing transport")


class FlowControlProtocol(asyncio.Protocol):
    """An asyncio.Protocol with write and read back-pressure and one rule for a lost connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: Optional[asyncio.Transport] = None
        # Closed by either side: nothing more goes out (set by connection_lost, and by a
        # subclass closing the transport itself).
        self._closed = False
        self._write_paused = False
        self._drain_waiter: Optional[asyncio.Future[None]] = None
        self._read_paused = False  # the transport's reading is paused (by us)

    @property
    def closed(self) -> bool:
        """The connection is closed (or closing): nothing more can be written."""
        return self._closed

    @property
    def writing_paused(self) -> bool:
        """The transport's buffer is over its high-water mark: drain() waits."""
        return self._write_paused

    @property
    def reading_paused(self) -> bool:
        return self._read_paused

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        use_small_reads(transport)

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        """The connection is gone: a writer waiting in drain() raises connection_lost_error."""
        self._closed = True
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_exception(connection_lost_error(exc))

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # --- writing ------------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark; on a closed
        connection, raise connection_lost_error()."""
        if self._closed:
            raise connection_lost_error()
        if not self._write_paused:
            return
        waiter = self._drain_waiter
        if waiter is None:
            waiter = self._drain_waiter = self._loop.create_future()
        # Shielded: the waiters share the future, and one of them cancelled (a timeout around
        # its send) must not cancel it for the others. Cancelling the future itself (a
        # subclass cutting its writer short) still cancels every waiter.
        await asyncio.shield(waiter)

    def _cancel_drain(self) -> None:
        """Cut every waiting writer short with CancelledError (we closed; nobody failed)."""
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.cancel()

    # --- reading ------------------------------------------------------------------------------

    def _pause_transport_reading(self) -> None:
        if not self._read_paused and not self._closed:
            transport = self.transport
            if transport is not None:
                self._read_paused = True
                transport.pause_reading()

    def _resume_transport_reading(self) -> None:
        if self._read_paused and not self._closed:
            transport = self.transport
            if transport is not None:
                self._read_paused = False
                transport.resume_reading()

    def pause_reading(self) -> None:
        """A reader's buffer is full (StreamReader's FlowControl): stop reading the socket."""
        self._pause_transport_reading()

    def resume_reading(self) -> None:
        """The reader's buffer has room again: read the socket again."""
        self._resume_transport_reading()
