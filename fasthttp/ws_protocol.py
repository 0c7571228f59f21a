"""WebSocketProtocol: the asyncio side of an upgraded connection, for the client and the server.

After the 101 answer the transport is handed to a WebSocketProtocol: bytes go through the frame
reader (compiled or pure twin, fasthttp.websocket_codec), messages wait in a queue for
receive(), frames go out corked in bursts. The session on top (ws_session.WebSocketSession,
which the client's ClientWebSocketResponse and web.WebSocketResponse build on) holds the policy:
autoping, autoclose, heartbeat, close. Back-pressure and a lost connection are
FlowControlProtocol's (fasthttp.flow_control): a send waiting in drain() when the connection
goes raises ClientConnectionResetError("Connection lost").

What a peer can make us hold, and what bounds it:

- Messages the application has not received: the queue counts each message's data plus a fixed
  _MESSAGE_COST (so empty messages and close frames count too), pauses reading past
  _QUEUE_HIGH_WATER and resumes at half of it. One socket read's messages come in before the
  check, so the overshoot is one read (asyncio reads 256 KiB at most).
- Replies we owe (pongs): RFC 6455 §5.5.3 lets an endpoint that has not yet answered several
  pings answer only the most recent one. While the transport's write buffer is over its
  high-water mark (pause_writing), a pong is not written: it becomes the one reply owed,
  replaced by the next, and goes out when the buffer drains (resume_writing). A peer that floods
  pings and never reads so costs us the buffer's high-water mark, a corked burst and one pong.
- A message arriving in fragments, or one large frame: the frame reader's max_msg_size.

Reading is deliberately not paused while our own writes are stuck: two endpoints that both send
faster than the other reads (a full-duplex transfer whose receivers do keep up) would each stop
reading because of its own full buffer, and neither buffer would ever drain. Reading pauses only
for what we hold of the peer's data.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Callable, Optional

from .flow_control import FlowControlProtocol
from .websocket_codec import WebSocketReader
from .ws_types import WebSocketError, WSCloseCode, WSMessage

__all__ = ("WebSocketProtocol",)

_QUEUE_HIGH_WATER = 2**16
# What a queued message costs beyond its data (the message tuple, the deque slot, the data
# object's header): empty messages must not be free, or a peer sending 2-byte frames would
# grow the queue without ever reaching the budget.
_MESSAGE_COST = 64
_CORK_LIMIT = 2**16


class WebSocketProtocol(FlowControlProtocol):
    """The upgraded connection: frames in, messages queued for the session; frames out."""

    def __init__(self, loop: asyncio.AbstractEventLoop, reader: WebSocketReader) -> None:
        super().__init__(loop)
        self._reader = reader
        self._queue: collections.deque[WSMessage] = collections.deque()
        self._queued_bytes = 0
        self._waiter: Optional[asyncio.Future[None]] = None
        # The pong owed to the latest ping that came while writing was paused (RFC 6455 §5.5.3).
        self._owed_reply: Optional[bytes] = None
        self.error: Optional[WebSocketError] = None
        self.on_message: Optional[Callable[[WSMessage], bool]] = None
        self._corked: list[bytes] = []
        self._corked_bytes = 0
        self._flush_scheduled = False
        # A frame went out directly since the last flush or wait: the next ones are corked.
        self._burst = False

    def attach(self, transport: asyncio.Transport) -> None:
        """Take over the upgraded connection's transport (instead of connection_made)."""
        self.transport = transport
        # The transport tells a protocol only when its buffer crosses the high-water mark: if it
        # was already over it under the HTTP protocol, resume_writing is what comes next.
        self._write_paused = transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]
        transport.set_protocol(self)

    def data_received(self, data: bytes) -> None:
        if self.error is not None:
            return
        try:
            messages = self._reader.feed_data(data)
        except WebSocketError as exc:
            self.error = exc
            messages = exc.messages  # those before the bad frame still count
        except Exception as exc:  # a reader bug must surface as an ERROR, not a dead socket
            self.error = WebSocketError(WSCloseCode.INTERNAL_ERROR, f"frame reader failed: {exc!r}")
            messages = []
        for message in messages:
            hook = self.on_message
            if hook is not None and hook(message):
                continue  # handled at once (pings answered, pongs noted)
            self._queue.append(message)
            data_part = message.data
            if isinstance(data_part, (bytes, str)):
                self._queued_bytes += len(data_part) + _MESSAGE_COST
            else:
                self._queued_bytes += _MESSAGE_COST
        if self._queued_bytes > _QUEUE_HIGH_WATER:
            self._pause_transport_reading()
        if self._queue or self.error is not None:
            self._wake()  # not for a partial frame or a swallowed pong: receive()'s timeout runs on

    def eof_received(self) -> Optional[bool]:
        return False

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        super().connection_lost(exc)  # closed; a send waiting in drain() raises
        self._owed_reply = None
        self._wake()  # receive() reports CLOSED (1006)

    def resume_writing(self) -> None:
        reply = self._owed_reply
        if reply is not None:
            self._owed_reply = None
            self.write_frame(reply)  # the transport allows a write from resume_writing
        super().resume_writing()

    # --- sending ---------------------------------------------------------------------------------

    def write_reply(self, frame: bytes) -> None:
        """Send an automatic reply (a pong); while writing is paused only the latest is kept."""
        if self._write_paused:
            self._owed_reply = frame
        else:
            self.write_frame(frame)

    def write_frame(self, frame: bytes) -> None:
        """Send a frame; the frames after it in the same burst leave together in one send().

        One syscall per frame is most of the cost of small messages, so a burst of frames is
        corked and flushed on the loop's next turn (or when the task waits for the peer). The
        first frame of a burst goes out at once: a lone frame, as in a request/reply exchange,
        would otherwise wait a turn of the loop for nothing. Large frames, and a backlog past
        _CORK_LIMIT (a producer that never yields), go out at once too, so memory stays
        bounded and the transport's own back-pressure applies.
        """
        if not self._burst and not self._corked and len(frame) < _CORK_LIMIT:
            self._burst = True
            transport = self.transport
            if transport is not None and not transport.is_closing():
                transport.write(frame)
            return
        if len(frame) >= _CORK_LIMIT:
            self.flush()
            assert self.transport is not None
            self.transport.write(frame)
            return
        self._corked.append(frame)
        self._corked_bytes += len(frame)
        if self._corked_bytes >= _CORK_LIMIT:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        self._burst = False
        corked = self._corked
        if not corked:
            return
        data = corked[0] if len(corked) == 1 else b"".join(corked)
        corked.clear()
        self._corked_bytes = 0
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    # --- receiving -------------------------------------------------------------------------------

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def inject(self, message: WSMessage) -> None:
        """Queue a message of our own (CLOSING, a heartbeat's ERROR) and wake receive()."""
        self._queue.append(message)
        data_part = message.data
        if isinstance(data_part, (bytes, str)):
            self._queued_bytes += len(data_part) + _MESSAGE_COST
        else:
            self._queued_bytes += _MESSAGE_COST
        self._wake()

    def pop(self) -> Optional[WSMessage]:
        if not self._queue:
            return None
        message = self._queue.popleft()
        data_part = message.data
        if isinstance(data_part, (bytes, str)):
            self._queued_bytes -= len(data_part) + _MESSAGE_COST
        else:
            self._queued_bytes -= _MESSAGE_COST
        if self._read_paused and self._queued_bytes <= _QUEUE_HIGH_WATER // 2:
            self._resume_transport_reading()
        return message

    async def wait(self) -> None:
        if self._queue or self.error is not None or self._closed:
            return
        # About to wait for the peer: whatever we corked is what it is waiting for.
        self.flush()
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None
