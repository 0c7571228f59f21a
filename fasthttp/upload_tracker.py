"""UploadTracker: how much of a request's body has gone out (aiohttp 3.14's class).

A caller makes one, passes it as `upload_tracker=` to one request, and reads while the
request runs:

- `attempts`: how many times the request was sent (the first time, each redirect, each
  retry by a middleware or on a stale pooled connection).
- `bytes_written`: body bytes of the latest attempt that have left the process for the
  kernel (what still sits in the transport's buffer is not counted; compression and chunked
  framing are not counted either: these are the body's own bytes).
- `upload_complete`: a future settled once the request is over (returned or raised) and its
  last attempt's body is done: None when the body went out in full, else the error that
  stopped it, or `UploadAbortedError` when it was cut short (cancelled, never sent).

The request side drives it through the underscored methods below, per attempt: started
(before connecting), writing (the body writer, which knows the wire position), bytes
handed to the writer, finished or failed; and once at the end, finalized. A generation
number per attempt keeps the writer of a superseded attempt (still being torn down while a
redirect sends the body again) from counting into the new one.

How bytes_written is known without a callback per flushed byte: each accepted piece of body
leaves a checkpoint (body bytes so far, wire bytes so far). When asked, the wire bytes that
left the transport (written minus still buffered) tell which checkpoints are passed; within
a piece partly sent, the body bytes are prorated over its wire bytes (exact without
compression, an estimate with it).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final, Optional, Protocol

from .client_exceptions import UploadAbortedError

__all__ = ("UploadTracker",)

# Checkpoints kept before old ones are folded in even if nobody reads bytes_written.
_MAX_CHECKPOINTS: Final = 256


class WirePosition(Protocol):
    """What the body writer tells the tracker (fasthttp.request_writer.BodyWriter)."""

    @property
    def output_size(self) -> int: ...

    def wire_sent(self) -> Optional[int]: ...


class UploadTracker:
    """Tracks the upload of one client request's body (create it in a running loop; it
    observes exactly one request: a second one raises RuntimeError)."""

    def __init__(self) -> None:
        self.attempts = 0
        self.upload_complete: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._bound = False
        self._final = False  # the request returned or raised: no attempt follows
        # The latest attempt's outcome: finished, failed (_error, None if cut short), or
        # neither yet.
        self._finished = False
        self._error: Optional[BaseException] = None
        self._writer: Optional[WirePosition] = None  # while its body is being written
        self._accepted = 0  # body bytes handed to the writer
        self._flushed = 0  # body bytes known to have left the transport
        # (body bytes, wire bytes) pairs: the last point known flushed first, then the
        # accepted pieces still (perhaps) in the transport's buffer.
        self._checkpoints: deque[tuple[int, int]] = deque()

    def __repr__(self) -> str:
        return (
            f"<UploadTracker attempts={self.attempts} bytes_written={self.bytes_written} "
            f"complete={self.upload_complete.done()}>"
        )

    @property
    def bytes_written(self) -> int:
        """Body bytes of the latest attempt sent to the kernel."""
        self._refresh()
        return self._flushed

    def _refresh(self) -> None:
        writer = self._writer
        if writer is None:
            return
        sent = writer.wire_sent()
        if sent is None:
            return  # torn down: what the buffer held was never sent; keep the last value
        checkpoints = self._checkpoints
        while len(checkpoints) > 1 and checkpoints[1][1] <= sent:
            checkpoints.popleft()
        body, wire = checkpoints[0]
        if len(checkpoints) > 1 and sent > wire:
            next_body, next_wire = checkpoints[1]
            body += (next_body - body) * (sent - wire) // (next_wire - wire)
        self._flushed = body

    # --- driven by the request -------------------------------------------------------------

    def _bind(self) -> None:
        if self._bound:
            raise RuntimeError("UploadTracker is already bound to a request")
        self._bound = True

    def _attempt_started(self) -> int:
        """An attempt is about to connect; its generation number."""
        self.attempts += 1
        self._writer = None
        self._accepted = self._flushed = 0
        self._checkpoints.clear()
        self._finished = False
        self._error = None
        return self.attempts

    def _attempt_writing(self, generation: int, writer: WirePosition) -> None:
        if generation == self.attempts:
            self._writer = writer
            # What is already on the wire (the head) is not body.
            self._checkpoints.append((0, writer.output_size))

    def _add_bytes(self, generation: int, size: int, wire_position: int) -> None:
        """`size` body bytes handed to the writer, which has now written `wire_position`
        bytes in all (unchanged when a compressor kept them for later)."""
        if generation != self.attempts or self._writer is None:
            return
        self._accepted += size
        checkpoints = self._checkpoints
        if wire_position > checkpoints[-1][1]:
            checkpoints.append((self._accepted, wire_position))
            if len(checkpoints) > _MAX_CHECKPOINTS:
                self._refresh()

    def _attempt_finished(self, generation: int) -> None:
        """The body is written in full (what is still buffered goes out before anything
        else on this connection)."""
        if generation == self.attempts:
            self._finished = True
            self._flushed = self._accepted
            self._checkpoints.clear()
            self._writer = None
            if self._final:
                self._settle()

    def _attempt_failed(self, generation: int, error: Optional[BaseException]) -> None:
        """The body was not sent in full: `error` stopped it, or None if it was cut short."""
        if generation == self.attempts:
            self._error = error
            self._refresh()
            self._checkpoints.clear()
            self._writer = None
            if self._final:
                self._settle()

    def _finalize(self) -> None:
        """The request is over; settles now unless its last body is still being written
        (then the writer's own end settles it)."""
        self._final = True
        if self._writer is None:
            self._settle()
        else:
            # Confirm what is out now: if the body is later cut short (the answer came
            # early), tearing the connection down drops the transport's buffer, and with it
            # the means to tell.
            self._refresh()

    def _settle(self) -> None:
        future = self.upload_complete
        if future.done():
            return
        if self._finished:
            future.set_result(None)
            return
        future.set_exception(
            self._error if self._error is not None
            else UploadAbortedError("The request body was not fully sent")
        )
        future.exception()  # retrieved: no "never retrieved" warning for a caller who polls
