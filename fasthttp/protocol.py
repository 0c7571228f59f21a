"""ResponseHandler: the asyncio.Protocol of one client connection.

Bytes from the socket go to the sans-IO parser (fasthttp.http); its events go to the exchange
under way: the head resolves a future, body pieces feed the response's StreamReader (and each
HTTP chunk's end is recorded there, for readchunk), the end of the message makes the
connection reusable, provided the request's body is all written too (a server may answer
before it has read the body; the task still writing it is known here, and stopped when the
connection closes). A response whose head and whole body came in one read (the usual small
answer) skips the stream: the future gets the body as bytes, and the exchange is over at once. The protocol also carries the two socket-level
concerns: back-pressure (fasthttp.flow_control.FlowControlProtocol, shared with the server and
the WebSockets, which also says what a writer hears on a lost connection) and the `sock_read`
silence timer.

One timer per connection serves both the `total` deadline and the `sock_read` silence limit,
and it outlives exchanges: data_received only notes the time; a new exchange whose deadline is
later than the pending timer leaves it be; when the timer fires it checks the exchange in
progress and re-arms itself for whatever is due next. A keep-alive connection serving many
short requests so creates a TimerHandle once in a long while, not once per request or read.

sock_read measures the server's silence, not our upload: as in aiohttp, it starts counting
once the request's body is all sent (the body writer's end, or, for an in-memory body the
transport could not take at once, resume_writing), and any read restarts it. Unlike aiohttp,
it also counts while an Expect: 100-continue waits for the server's word (aiohttp waits for
`total` there), since that is waiting on a read.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, Sequence, Union

from .client_exceptions import (
    ClientConnectionError,
    ClientOSError,
    ClientPayloadError,
    ServerDisconnectedError,
    SocketTimeoutError,
)
from .flow_control import FlowControlProtocol
from .http import END_OF_CHUNK, EndOfMessage, HttpResponseParser, ResponseHead
from .http_exceptions import (
    BadHttpMessage,
    ContentLengthError,
    HttpProcessingError,
    PayloadEncodingError,
    TransferEncodingError,
)
from .streams import EMPTY_PAYLOAD, StreamReader

__all__ = ("ResponseHandler", "PayloadFactory")

# What the exchange gives the protocol to make a final response's body from its head:
# factory(exchange, protocol, head, body). `body` is the whole body when it came in the same
# read as the head (else None); the factory returns it as is when it needs no stream (no
# decoding), else a StreamReader, which the protocol then feeds.
PayloadFactory = Callable[[Any, "ResponseHandler", ResponseHead, Optional[bytes]], Union[StreamReader, bytes]]


class ResponseHandler(FlowControlProtocol):
    """One HTTP/1.1 connection: parser, back-pressure (FlowControlProtocol), and the exchange
    in progress."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
    ) -> None:
        super().__init__(loop)
        # chunk_boundaries: the end of each HTTP chunk's data comes out as END_OF_CHUNK, for
        # StreamReader.readchunk() (aiohttp's end_of_http_chunk flag).
        self._parser = HttpResponseParser(
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            chunk_boundaries=True,
        )
        # The parser's limits: the connector's (base), or a session's or request's own, set
        # by the exchange through use_limits (None: the base ones).
        self._base_limits = (max_line_size, max_field_size, max_headers)
        self._limits: Optional[tuple[int, int, int]] = None
        # Set by the exchange's payload factory: this response's close-delimited body is
        # not read (read_until_eof=False).
        self._ignore_body = False
        self._connection_lost_waiter: Optional[asyncio.Future[None]] = None
        # The exchange in progress.
        self._head_waiter: Optional[asyncio.Future[tuple[ResponseHead, Union[StreamReader, bytes]]]] = None
        self._payload: Optional[StreamReader] = None
        self._payload_factory: Optional[PayloadFactory] = None
        self._exchange: Any = None  # what the factory builds the body stream for
        self._message_done = True
        self._keep_alive = False
        self._upgraded = False
        self._exception: Optional[BaseException] = None
        # Expect: 100-continue: resolved True on a 100, False on a final response first.
        self._continue_waiter: Optional[asyncio.Future[bool]] = None
        # The task writing the request's body, from its start until the body's last byte is
        # on the transport (None then, and for a request sent in one write). While it is set
        # the sending side is not at a message boundary: the connection cannot be reused, and
        # closing the connection stops the task.
        self._body_writer: Optional[asyncio.Task[None]] = None
        # An UploadTracker's look at the transport's buffer, taken before abort() or the
        # peer's close drops it (set by the task writing a tracked body, while it runs).
        self._upload_watch: Optional[Callable[[], None]] = None
        # Timeouts of the exchange in progress: an absolute deadline (total) and the longest
        # silence between reads (sock_read), watched by one long-lived timer.
        self._deadline: Optional[float] = None
        self._total: Optional[float] = None
        self._read_timeout: Optional[float] = None
        self._timer: Optional[asyncio.TimerHandle] = None
        self._last_read = 0.0
        # sock_read waits for the request to be sent (aiohttp's rule: its read timer starts
        # once the body is written): set while a body is on its way out and the peer has
        # said nothing yet, cleared (the silence counted from then) when it is all out.
        self._read_clock_held = False

    # --- state -----------------------------------------------------------------------------

    @property
    def upgraded(self) -> bool:
        return self._upgraded

    def is_reusable(self) -> bool:
        """The last exchange ended cleanly and the connection may carry another."""
        if (
            self._closed
            or not self._message_done
            or not self._keep_alive
            or self._exception is not None
            or self._upgraded
            # The request's body not fully written (the server answered early, or refused an
            # Expect: 100-continue): the server would read what follows as that body's rest.
            or self._body_writer is not None
        ):
            return False
        # Request bytes still queued in the transport (a large in-memory body the server
        # answered without reading): the server has not taken them, so the exchange did not
        # end in our direction either (aiohttp closes here too). (_output_pending, written out:
        # this runs at each release and each reuse.)
        transport = self.transport
        if transport is not None and transport.get_write_buffer_size() > 0:
            return False
        # Bytes after the response in the same read (a body sent to a HEAD request): the next
        # response would start with them.
        return bool(self._parser.idle)

    def _output_pending(self) -> bool:
        transport = self.transport
        return transport is not None and transport.get_write_buffer_size() > 0

    def close(self, abort: bool = False) -> None:
        """Close from our side; `abort`: drop the connection at once (no TLS closing
        handshake, nothing buffered sent)."""
        if not self._message_done and self._exception is None:
            # Closed from our side mid-exchange (the session or its connector closing): a
            # reader of the body hears that, not that the server sent too little.
            self._fail(ClientConnectionError("Connection closed"))
        if abort or self._body_writer is not None or self._output_pending():
            # The request is cut short (a writer still running, or bytes of it still queued):
            # what is buffered is of no use, and a graceful close would wait to flush it (for
            # ever, on a peer that does not read), holding the socket and the buffer.
            self.abort()
            return
        self._stop_timer()
        transport = self.transport
        if transport is not None and not self._closed:
            transport.close()
        self._closed = True

    def abort(self) -> None:
        self._stop_timer()
        if self._upload_watch is not None:
            self._upload_watch()
        transport = self.transport
        if transport is not None:
            transport.abort()
        self._closed = True
        if self._body_writer is not None:
            self._stop_body_writer()
        # A body writer past its last byte, waiting for the transport to take it: we closed,
        # so it is cut short (cancelled, as the running writer above), not failed by a server
        # that disconnected.
        self._cancel_drain()

    def use_limits(self, limits: Optional[tuple[int, int, int]]) -> None:
        """Parse the next response with these limits (max_line_size, max_field_size,
        max_headers; None: the connector's). Called between exchanges, when the parser is
        idle: a new parser then costs nothing that the old one still held."""
        wanted = self._base_limits if limits is None else limits
        current = self._base_limits if self._limits is None else self._limits
        if wanted != current:
            assert self._parser.idle
            self._parser = HttpResponseParser(
                max_line_size=wanted[0],
                max_field_size=wanted[1],
                max_headers=wanted[2],
                chunk_boundaries=True,
            )
        self._limits = limits

    # --- the request body being written -----------------------------------------------------

    def start_body(self, writer: "asyncio.Task[None]") -> None:
        """`writer` is now sending the request's body on this connection."""
        self._body_writer = writer

    def body_sent(self) -> None:
        """The body's last byte is on the transport: the sending side is at a boundary."""
        self._body_writer = None

    def _stop_body_writer(self) -> None:
        # The connection is going: nothing more can be written, so the task writing the
        # body (perhaps waiting on its payload's source) has nothing left to do.
        writer = self._body_writer
        self._body_writer = None
        if writer is not None and not writer.done() and writer is not asyncio.current_task():
            writer.cancel()

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self._stop_timer()
        writer_in_drain = self._drain_waiter is not None
        # Closed; a body writer waiting in drain() gets the lost-connection error (as the
        # server's and the WebSockets' writers do). What the reader of the response hears is
        # decided below, by where in it the loss fell.
        super().connection_lost(exc)
        if self._body_writer is not None:
            if writer_in_drain:
                self._body_writer = None  # it ends on that error; a cancel would replace it
            else:
                self._stop_body_writer()
        if not self._message_done:
            # A close-delimited body ends here; anything else is cut short.
            try:
                events = self._parser.feed_eof()
            except HttpProcessingError as parse_error:
                self._fail(_payload_error(parse_error, exc))
            else:
                if events:
                    self._dispatch(events)
                if not self._message_done:
                    self._fail(
                        ClientOSError(*exc.args) if isinstance(exc, OSError)
                        else ServerDisconnectedError()
                    )
        lost = self._connection_lost_waiter
        if lost is not None and not lost.done():
            lost.set_result(None)

    def resume_writing(self) -> None:
        if self._read_clock_held and self._body_writer is None:
            # An in-memory body the peer was slow to take is out of the transport's way.
            self.start_read_clock()
        super().resume_writing()

    def data_received(self, data: bytes) -> None:
        if self._read_timeout is not None:
            self._last_read = self._loop.time()
            if self._read_clock_held:
                # The peer speaks before the body is all sent: from now on its silence
                # counts (aiohttp restarts its read timer on every read).
                self._read_clock_held = False
                self._arm_timer()
        if self._message_done and self._head_waiter is None:
            # Bytes nobody asked for: the connection is out of step; it cannot be reused.
            self._keep_alive = False
            self.close()
            return
        try:
            events = self._parser.feed_data(data)
        except HttpProcessingError as error:
            if error.events:  # what this read completed before the bad bytes still counts
                self._dispatch(error.events)
                if self._message_done and self._exception is None:
                    # The response ended cleanly before them: it stands, the connection does not.
                    self._keep_alive = False
                    self.close()
                    return
            self._fail(error if self._payload is None else _payload_error(error, None))
            self.close()
            return
        if len(events) == 3:
            head, body, end = events
            if type(head) is ResponseHead and type(body) is bytes and type(end) is EndOfMessage:
                # A final response with its whole body (a 1xx head has none; a chunked
                # body's end comes after an END_OF_CHUNK): no stream needed in between.
                self._on_whole_response(head, body, end)
                return
        if events:
            self._dispatch(events)

    def eof_received(self) -> Optional[bool]:
        # The peer has closed its side: whatever the last response said, this connection
        # carries no other exchange. Noted now, not at connection_lost a loop turn later, so
        # the pool never hands it out in between (proxies such as tinyproxy close after each
        # response without saying Connection: close).
        self._keep_alive = False
        if self._upload_watch is not None:
            self._upload_watch()  # the transport is about to close and give up its buffer
        return False  # close the transport; connection_lost finishes the message

    # --- read side (FlowControl for the body stream) ----------------------------------------
    # pause_reading is FlowControlProtocol's: while paused the reader is slow, not the server,
    # so sock_read does not count (_due).

    def resume_reading(self) -> None:
        if self._read_paused and not self._closed:
            self._resume_transport_reading()
            self._last_read = self._loop.time()  # the server's silence counts from now

    # --- exchanges --------------------------------------------------------------------------

    def expect_response(
        self,
        payload_factory: PayloadFactory,
        exchange: Any,
        head_request: bool,
        read_timeout: Optional[float],
        deadline: Optional[float] = None,
        total: Optional[float] = None,
    ) -> asyncio.Future[tuple[ResponseHead, Union[StreamReader, bytes]]]:
        """Get ready for the response to a request about to be written; its head future,
        resolved with the final head and its body: `payload_factory(exchange, self, head,
        body)`, a stream, or the whole body as bytes when it came with the head."""
        if self._closed:
            raise ServerDisconnectedError()
        self._parser.head_request = head_request
        self._payload = None
        self._payload_factory = payload_factory
        self._exchange = exchange
        self._message_done = False
        self._exception = None
        waiter: asyncio.Future[tuple[ResponseHead, Union[StreamReader, bytes]]] = self._loop.create_future()
        self._head_waiter = waiter
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._total = total
        if read_timeout is not None:
            self._last_read = self._loop.time()
            self._read_clock_held = False
            self._arm_timer()
        elif deadline is not None:
            timer = self._timer
            if timer is None or timer.when() > deadline:  # else it fires first and re-checks
                self._arm_timer()
        return waiter

    def _dispatch(self, events: Sequence[Any]) -> None:
        for event in events:
            if type(event) is bytes:
                payload = self._payload
                if payload is not None:
                    try:
                        payload.feed_data(event)
                    except Exception as exc:  # a decoder refused the data
                        self._fail(ClientPayloadError(f"cannot decode the body: {exc}"))
                        self.close()
                        return
            elif event is END_OF_CHUNK:
                payload = self._payload
                if payload is not None:
                    payload.end_http_chunk_receiving()
            elif type(event) is EndOfMessage:
                self._end_of_message()
            else:
                self._on_head(event)

    def expect_continue(self) -> asyncio.Future[bool]:
        """A future resolved when the server says 100 Continue (True) or answers at once (False)."""
        waiter: asyncio.Future[bool] = self._loop.create_future()
        self._continue_waiter = waiter
        return waiter

    def _resolve_continue(self, proceed: bool) -> None:
        waiter = self._continue_waiter
        if waiter is not None:
            self._continue_waiter = None
            if not waiter.done():
                waiter.set_result(proceed)

    def _on_whole_response(self, head: ResponseHead, body: bytes, end: EndOfMessage) -> None:
        """A final response and all of its body, from one read."""
        if self._continue_waiter is not None:
            self._resolve_continue(False)
        self._keep_alive = head.keep_alive
        factory = self._payload_factory
        assert factory is not None
        content = factory(self._exchange, self, head, body)
        self._exchange = None  # (a pooled connection must not keep the request's body alive)
        if not isinstance(content, bytes):  # a stream after all (a body to decode): fed as usual
            self._start_body(head, content)
            self._dispatch((body, end))
            return
        self._message_done = True  # the timer, if pending, stays for the next exchange
        waiter = self._head_waiter
        self._head_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result((head, content))

    def _on_head(self, head: ResponseHead) -> None:
        if 100 <= head.status < 200 and head.status != 101:
            if head.status == 100:
                self._resolve_continue(True)
            return  # interim response (100 Continue, 103 Early Hints): wait for the final one
        self._resolve_continue(False)
        self._keep_alive = head.keep_alive
        if head.upgrade:
            self._upgraded = True
        factory = self._payload_factory
        assert factory is not None
        payload = factory(self._exchange, self, head, None)
        self._exchange = None  # (a pooled connection must not keep the request's body alive)
        assert not isinstance(payload, bytes)  # (bytes only for a body given)
        self._start_body(head, payload)

    def _start_body(self, head: ResponseHead, payload: StreamReader) -> None:
        """The final head is here and `payload` will receive its body."""
        self._payload = payload
        if payload is EMPTY_PAYLOAD and self._ignore_body:
            # read_until_eof=False and a body that only the connection's end would delimit:
            # the response has no body, and the connection (its rest unread) is not reused.
            self._ignore_body = False
            self._keep_alive = False
            self._payload = None
            self._message_done = True
        waiter = self._head_waiter
        self._head_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result((head, payload))

    def _end_of_message(self) -> None:
        if self._payload is None:  # end of an interim response
            return
        self._message_done = True  # the timer, if pending, stays for the next exchange
        payload = self._payload
        self._payload = None
        if payload is not EMPTY_PAYLOAD:
            payload.feed_eof()

    def _fail(self, exc: BaseException) -> None:
        """The exchange failed: whoever waits for it hears so; the connection is done."""
        self._exception = exc
        self._exchange = None
        self._resolve_continue(False)
        self._keep_alive = False
        self._stop_timer()
        waiter = self._head_waiter
        if waiter is not None:
            self._head_waiter = None
            if not waiter.done():
                waiter.set_exception(exc)
        payload = self._payload
        if payload is not None:
            self._payload = None
            payload.set_exception(exc)

    # --- timeouts ----------------------------------------------------------------------------

    def hold_read_clock(self) -> None:
        """The request's body is on its way out: sock_read waits until start_read_clock."""
        if self._read_timeout is not None:
            self._read_clock_held = True

    def start_read_clock(self) -> None:
        """The request is all sent: the peer's silence counts from now."""
        if self._read_clock_held:
            self._read_clock_held = False
            self._last_read = self._loop.time()
            self._arm_timer()

    def _due(self) -> Optional[float]:
        """When the exchange in progress must next be checked."""
        due = self._deadline
        if self._read_timeout is not None and not self._read_paused and not self._read_clock_held:
            silence = self._last_read + self._read_timeout
            if due is None or silence < due:
                due = silence
        return due

    def _arm_timer(self) -> None:
        due = self._due()
        if due is None:
            return
        timer = self._timer
        if timer is not None:
            if timer.when() <= due:
                return  # it fires first and re-checks
            timer.cancel()
        self._timer = self._loop.call_at(due, self._on_timer)

    def _stop_timer(self) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()

    def _on_timer(self) -> None:
        self._timer = None
        if self._message_done or self._closed:
            return
        now = self._loop.time()
        if self._deadline is not None and now >= self._deadline:
            self._fail(asyncio.TimeoutError(f"Request timed out (total={self._total} s)"))
            self.abort()
            return
        timeout = self._read_timeout
        if (
            timeout is not None
            and not self._read_paused
            and not self._read_clock_held
            and now >= self._last_read + timeout
        ):
            self._fail(SocketTimeoutError(f"Timeout on reading data from socket ({timeout} s)"))
            self.abort()
            return
        self._arm_timer()

    def upgrade_tail(self) -> bytes:
        """After a 101 answer: the bytes that came after it (the new protocol's first)."""
        return self._parser.tail

    async def wait_closed(self) -> None:
        if self.transport is None or self._closed and self._connection_lost_waiter is None:
            return
        if self._connection_lost_waiter is None:
            self._connection_lost_waiter = self._loop.create_future()
        await self._connection_lost_waiter


def _payload_error(error: HttpProcessingError, cause: Optional[BaseException]) -> BaseException:
    """A parse error met inside a body, as the client reports it (aiohttp's wording)."""
    if isinstance(error, ContentLengthError):
        message = f"Response payload is not completed: {error.message}"
    elif isinstance(error, TransferEncodingError):
        message = f"Response payload is not completed: {error.message}"
    elif isinstance(error, PayloadEncodingError) or isinstance(error, BadHttpMessage):
        message = f"Response payload is malformed: {error.message}"
    else:
        message = str(error)
    exc = ClientPayloadError(message)
    exc.__cause__ = cause or error
    return exc

