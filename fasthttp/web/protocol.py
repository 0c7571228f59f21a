"""RequestHandler: the asyncio.Protocol of one server connection.

Bytes go to the strict request parser; each complete request head is queued with its body
stream, and one task per connection serves the queue in order (pipelined requests are answered
in the order they came). Protection, per connection:
- a deadline for receiving a request head once its first byte has arrived (slow clients cannot
  hold a connection by trickling a head);
- a keep-alive timeout while idle between requests;
- malformed requests answered 400 (oversized header fields 431) and the connection closed; so
  are an HTTP/1.1 request without a Host header and any request with more than one (RFC 9112
  section 3.2), and a version other than HTTP/1.0 and HTTP/1.1 (505);
- bodies past client_max_size answered 413 when read;
- at most MAX_PIPELINED requests wait in the queue: past that, reading pauses until the queue is
  down to RESUME_PIPELINED (a client that pipelines without reading its responses cannot make
  the server queue without bound; the responses themselves wait on the transport's write
  buffer, whose high-water mark pauses the serving task, so nothing is taken off the queue);
- a body the handler left unread is read and dropped for at most DISCARD_BODY_TIME seconds (and
  DISCARD_BODY_SIZE bytes) before the next request; past either, the connection is closed.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING, Any, Optional

from .. import hdrs
from ..flow_control import FlowControlProtocol, closing_transport_error, connection_lost_error
from ..http import END_OF_CHUNK, EndOfMessage, HttpRequestParser, RequestHead
from ..http_exceptions import HttpProcessingError, LineTooLong
from ..http_types import HttpVersion, HttpVersion10, HttpVersion11
from ..streams import EMPTY_PAYLOAD, StreamReader
from .exceptions import HTTPBadRequest, HTTPException, HTTPInternalServerError
from .request import Request
from .request_decoding import decoding_body
from .response import Response

if TYPE_CHECKING:
    from .access_log import AbstractAccessLogger
    from .app import Application

__all__ = ("RequestHandler", "ServerSettings")

server_logger = logging.getLogger("fasthttp.server")

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
LINGER_TIME = 2.0  # seconds a closing connection keeps reading (and dropping) what still comes
# Pipelining: reading pauses once this many requests wait to be served, and resumes when the
# queue is down to RESUME_PIPELINED (aiohttp.web's MAX_MSG_QUEUE_SIZE and its half).
MAX_PIPELINED = 32
RESUME_PIPELINED = MAX_PIPELINED // 2
# A read larger than this is parsed in slices of this size, and what follows the slice that
# filled the queue waits unparsed; so the queue passes MAX_PIPELINED by at most one slice's
# worth of requests (a read from the transport can be 256 KiB: thousands of small requests).
# The exception is a read that continues the body of the request being served (see
# data_received): it is parsed whole, so requests pipelined behind the end of that body can
# pass the limit by one read's worth, once; the reads after it wait unparsed.
PARSE_SLICE = 65536
# A body the handler did not read is drained before the next request on the connection, within
# a deadline for the whole drain (aiohttp.web's lingering_time, 10 s) and a size bound; a read
# that brings nothing for DISCARD_READ_TIMEOUT ends it sooner. Past any of them the connection
# closes: a body trickled a byte at a time cannot hold it.
DISCARD_BODY_TIME = 10.0
DISCARD_BODY_SIZE = 1024**2
DISCARD_READ_TIMEOUT = 5.0
_NEVER = float("inf")


class ServerSettings:
    """What every connection of one server shares."""

    __slots__ = (
        "app",
        "keepalive_timeout",
        "head_timeout",
        "max_line_size",
        "max_field_size",
        "max_headers",
        "read_bufsize",
        "connections",
        "access_logger",
        "handler_cancellation",
        "auto_decompress",
        "count_requests",
        "requests_count",
    )

    def __init__(
        self,
        app: "Application",
        *,
        keepalive_timeout: float = 75.0,
        head_timeout: float = 30.0,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        read_bufsize: int = 2**16,
        access_logger: Optional["AbstractAccessLogger"] = None,
        handler_cancellation: bool = False,
        auto_decompress: bool = True,
    ) -> None:
        self.app = app
        self.access_logger = access_logger  # None: no access log, and no work per request
        # aiohttp.web's switch (off by default since aiohttp 3.7): whether a handler still
        # running when its client goes away is cancelled, or left to finish (its writes then
        # fail with ConnectionResetError, which ends the connection's task).
        self.handler_cancellation = handler_cancellation
        # aiohttp.web's switch: request bodies sent with a Content-Encoding are decoded
        # (web/request_decoding.py), or handed over as sent.
        self.auto_decompress = auto_decompress
        # Requests served, counted only when asked for (the Gunicorn worker's max_requests).
        self.count_requests = False
        self.requests_count = 0
        self.keepalive_timeout = keepalive_timeout
        self.head_timeout = head_timeout
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_headers = max_headers
        self.read_bufsize = read_bufsize
        self.connections: set["RequestHandler"] = set()

    def __call__(self) -> "RequestHandler":
        """A protocol for a new connection (aiohttp's web.Server is called the same way)."""
        return RequestHandler(self, asyncio.get_running_loop())


class _Refusal:
    """A queued answer to a request the parser refused: sent in turn, then the connection ends."""

    __slots__ = ("status", "reason", "text")

    def __init__(self, status: int, reason: str, text: str) -> None:
        self.status = status
        self.reason = reason
        self.text = text

    def encode(self) -> bytes:
        body = self.text.encode("utf-8", "replace")
        return (
            f"HTTP/1.1 {self.status} {self.reason}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1") + body


def _unsupported_version(version: HttpVersion) -> _Refusal:
    """The parser takes any HTTP/1.x; only 1.0 and 1.1 are spoken here."""
    return _Refusal(
        505, "HTTP Version Not Supported",
        f"505 HTTP Version Not Supported: HTTP/{version[0]}.{version[1]}",
    )


class RequestHandler(FlowControlProtocol):
    """One server connection: parser, request queue, serving task; back-pressure and a lost
    connection as FlowControlProtocol handles them (a handler's write or drain then raises
    ClientConnectionResetError, a ConnectionResetError, which ends the serving task)."""

    def __init__(self, settings: ServerSettings, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self._settings = settings
        self._app = settings.app
        self._parser = HttpRequestParser(
            max_line_size=settings.max_line_size,
            max_field_size=settings.max_field_size,
            max_headers=settings.max_headers,
            chunk_boundaries=True,  # request.content.readchunk() reports HTTP chunk ends
            require_host=True,  # RFC 9112 section 3.2: 400 without exactly one Host
        )
        self._queue: collections.deque[Any] = collections.deque()
        self._payload: Optional[StreamReader] = None  # the body being received
        self._task: Optional[asyncio.Task[None]] = None
        self._waiter: Optional[asyncio.Future[None]] = None
        self._close_after = False
        # The transport's reading (FlowControlProtocol._read_paused) is paused for either reason:
        self._body_paused = False  # a body's StreamReader is full (its FlowControl)
        self._queue_full = False  # MAX_PIPELINED requests wait to be served
        self._unparsed = bytearray()  # what came while the queue was full, parsed as it drains
        # The body of an HTTP/1.0 request framed by Transfer-Encoding: the connection ends
        # after it (RFC 9112 section 6.1), so nothing after it is taken as a request.
        self._last_payload: Optional[StreamReader] = None
        # Both deadlines (head, keep-alive) are timestamps watched by one long-lived timer: a
        # request sets and clears them without creating or cancelling a TimerHandle.
        self._head_since: Optional[float] = None
        self._idle_since: Optional[float] = None
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_due = _NEVER  # when _timer fires (kept here: a when() call costs per request)

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._settings.connections.add(self)
        self._arm_idle()

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        super().connection_lost(exc)  # closed; a handler waiting in drain() is told
        self._settings.connections.discard(self)
        self._cancel_timers()
        payload = self._payload
        if payload is not None:
            # The handler reading the body hears the same as one writing the response.
            self._payload = None
            payload.set_exception(connection_lost_error(exc))
        self._wake()  # an idle connection's task sees _closed and ends
        task = self._task
        if self._settings.handler_cancellation and task is not None and not task.done():
            task.cancel()

    def data_received(self, data: bytes) -> None:
        if self._closed or self._close_after:
            return
        if self._queue_full:
            # Reading is paused; bytes that still come (or the rest of a read) wait unparsed.
            self._unparsed += data
            return
        if len(data) > PARSE_SLICE and (self._payload is None or self._queue):
            # A large read that starts on a request head, or comes while requests wait, is
            # parsed a slice at a time, so that a read full of pipelined requests stops being
            # parsed (its rest kept as bytes) once the queue is full. A read that continues
            # the body of the request being served is fed whole: the parser hands it on
            # without a copy, and slicing would copy every uploaded byte.
            for start in range(0, len(data), PARSE_SLICE):
                self.data_received(data[start : start + PARSE_SLICE])
            return
        self._idle_since = None
        parser = self._parser
        try:
            events = parser.feed_data(data)
        except HttpProcessingError as exc:
            # The requests completed before the bad one in this read are still answered, in
            # order, before the refusal; one the error cut short is the one refused.
            before = exc.events
            complete = len(before)
            while complete and type(before[complete - 1]) is not EndOfMessage:
                complete -= 1
            self._take_events(before[:complete])
            if self._parser.closed:
                # (issue 9 item 15) Bytes after a request that ends the connection: they are
                # never answered, not even with a 400 (docs/parser.md, "End of the
                # connection"); that request's response is the last thing sent.
                self._head_since = None
                self._close_after = True
                if self._task is None:
                    self._task = self._loop.create_task(self._serve())
                return
            self._refuse(exc)
            return
        self._take_events(events)
        if self._head_since is None and self._payload is None and not (events and parser.idle):
            # Bytes outside a body that did not end on a complete request (part of a head,
            # or only the empty lines a client may send before one): the head must be
            # complete in time. A read of whole requests, the usual one, reads no clock.
            timeout = self._settings.head_timeout
            if timeout and not self._close_after and not parser.upgraded and not parser.closed:
                self._head_since = now = self._loop.time()
                if self._timer_due > now + timeout:
                    self._ensure_timer(now + timeout)
        if parser.upgraded:
            self._close_after = True  # no upgrade is handled here: serve what came, then close
        queue = self._queue
        if queue:
            if len(queue) >= MAX_PIPELINED and not self._queue_full:
                self._queue_full = True  # _serve resumes reading as the queue drains
                self._pause_transport_reading()
            if self._task is None:
                self._task = self._loop.create_task(self._serve())
            else:
                waiter = self._waiter  # inlined _wake
                if waiter is not None:
                    self._waiter = None
                    if not waiter.done():
                        waiter.set_result(None)

    def _take_events(self, events: Any) -> None:
        """Queue the requests of a read and feed their bodies."""
        event: Any
        payload: Optional[StreamReader]
        for event in events:
            kind = type(event)
            if kind is RequestHead:
                self._head_since = None
                # (The parser refuses a request without exactly the one Host RFC 9112
                # section 3.2 asks for: require_host.)
                version = event.version
                if version is not HttpVersion11 and version is not HttpVersion10:
                    self._refuse_head(_unsupported_version(version))
                    return  # nothing after a refused head is taken
                if event.chunked or event.content_length:
                    if event.content_encoding is not None and self._settings.auto_decompress:
                        payload = decoding_body(
                            event.content_encoding, self, self._settings.read_bufsize, self._loop,
                        )
                    else:
                        payload = StreamReader(self, self._settings.read_bufsize, loop=self._loop)
                    self._payload = payload
                    if event.chunked and event.version is HttpVersion10:
                        self._last_payload = payload
                else:
                    payload = EMPTY_PAYLOAD
                    self._payload = None
                self._queue.append((event, payload))
            elif kind is bytes:
                payload = self._payload
                if payload is not None:
                    payload.feed_data(event)
            elif event is END_OF_CHUNK:
                payload = self._payload
                if payload is not None:
                    payload.end_http_chunk_receiving()
            else:  # EndOfMessage
                payload = self._payload
                if payload is not None:
                    self._payload = None
                    payload.feed_eof()
                    if payload is self._last_payload:
                        self._close_after = True  # the connection ends with this request
                        return

    def eof_received(self) -> Optional[bool]:
        return False

    # --- flow control: request bodies (StreamReader's FlowControl) and the request queue --------
    # Reading pauses while either wants it paused, and resumes only when neither does.

    def pause_reading(self) -> None:
        self._body_paused = True
        self._pause_transport_reading()

    def resume_reading(self) -> None:
        self._body_paused = False
        if not self._queue_full:
            self._resume_transport_reading()

    def _queue_drained(self) -> None:
        """The queue is down to RESUME_PIPELINED: parse what waits, then read again (unless
        that fills the queue again, or a body still wants reading paused)."""
        self._queue_full = False
        unparsed = self._unparsed
        if unparsed:
            self._unparsed = bytearray()
            self.data_received(bytes(unparsed))
        if not self._queue_full and not self._body_paused:
            self._resume_transport_reading()

    # --- writing (for responses) ---------------------------------------------------------------

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or self._closed:
            raise closing_transport_error()
        transport.write(data)

    def close_after_response(self) -> None:
        self._close_after = True

    def upgrade_tail(self) -> bytes:
        """After a 101 answer: the bytes that came after the request (the new protocol's first)."""
        return self._parser.tail

    # --- timers ----------------------------------------------------------------------------------

    def _arm_idle(self) -> None:
        timeout = self._settings.keepalive_timeout
        if timeout and not self._closed:
            self._idle_since = now = self._loop.time()
            self._ensure_timer(now + timeout)

    def _on_idle_timeout(self) -> None:
        if not self._queue and self._payload is None and (self._task is None or self._waiter is not None):
            self._close()

    def _ensure_timer(self, due: float) -> None:
        if self._timer_due <= due:
            return  # the timer fires first and re-checks
        timer = self._timer
        if timer is not None:
            timer.cancel()
        self._timer = self._loop.call_at(due, self._on_timer)
        self._timer_due = due

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_due = _NEVER
        if self._closed:
            return
        now = self._loop.time()
        settings = self._settings
        due = None
        if self._head_since is not None:
            head_due = self._head_since + settings.head_timeout
            if now >= head_due:
                self._head_since = None
                self._on_head_timeout()
                return
            due = head_due
        if self._idle_since is not None:
            idle_due = self._idle_since + settings.keepalive_timeout
            if now >= idle_due:
                self._idle_since = None
                self._on_idle_timeout()
                if self._closed:
                    return
            elif due is None or idle_due < due:
                due = idle_due
        if due is not None:
            self._ensure_timer(due)

    def _on_head_timeout(self) -> None:
        if self._closed:
            return
        self._queue.append(_Refusal(408, "Request Timeout", "Request head not received in time"))
        self._close_after = True
        if self._task is None:
            self._task = self._loop.create_task(self._serve())
        else:
            self._wake()

    def _cancel_timers(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._timer_due = _NEVER
        self._head_since = self._idle_since = None

    # --- serving -----------------------------------------------------------------------------------

    def _refuse(self, exc: HttpProcessingError) -> None:
        status = exc.code or 400
        if isinstance(exc, LineTooLong) and "header" in exc.message:
            status = 431
        reason = {400: "Bad Request", 431: "Request Header Fields Too Large"}.get(status, "Bad Request")
        self._close_after = True
        payload = self._payload
        if payload is not None:
            # The error is in the body of a request already queued or being handled: that
            # request answers for it (a 400 when its handler reads the body), then the
            # connection closes; a second, separate refusal would answer twice.
            self._payload = None
            payload.set_exception(exc)
        else:
            self._queue.append(_Refusal(status, reason, f"{status} {reason}: {exc.message}"))
        if self._task is None:
            self._task = self._loop.create_task(self._serve())
        else:
            self._wake()

    def _refuse_head(self, refusal: _Refusal) -> None:
        """Answer a request head that parsed but cannot be served; the connection ends."""
        self._close_after = True
        self._payload = None
        self._queue.append(refusal)
        if self._task is None:
            self._task = self._loop.create_task(self._serve())
        else:
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _close(self) -> None:
        self._closed = True
        self._cancel_timers()
        if self.transport is not None:
            self.transport.close()

    async def _serve(self) -> None:
        # One task per connection runs its requests in order. The common path (a handler
        # returning a plain Response, no on_response_prepare callbacks) is written out here
        # rather than in helper coroutines: each coroutine layer costs about as much as a
        # header lookup, per request.
        queue = self._queue
        app = self._app
        loop = self._loop
        keepalive_timeout = self._settings.keepalive_timeout
        client_max_size = app._client_max_size
        settings = self._settings
        access_logger = settings.access_logger
        count_requests = settings.count_requests
        observed = access_logger is not None or count_requests  # one test a request when neither
        started: Optional[float] = None
        linger = False
        try:
            while not self._closed:
                if not queue:
                    if self._close_after:
                        break
                    if keepalive_timeout:  # inlined _arm_idle
                        self._idle_since = now = loop.time()
                        if self._timer_due > now + keepalive_timeout:
                            self._ensure_timer(now + keepalive_timeout)
                    waiter = self._waiter = loop.create_future()
                    await waiter
                    continue
                item = queue.popleft()
                if self._queue_full and len(queue) <= RESUME_PIPELINED:
                    self._queue_drained()
                if type(item) is _Refusal:
                    self.write(item.encode())
                    linger = item.status != 408
                    break
                head, payload = item
                if (
                    payload is not EMPTY_PAYLOAD
                    and head.version is HttpVersion11  # never to HTTP/1.0 (RFC 9110 section 10.1.1)
                    and head.headers.get(hdrs.EXPECT, "").lower() == "100-continue"
                ):
                    self.write(_CONTINUE)
                request = Request(head, payload, self, app, client_max_size=client_max_size)
                if observed:
                    if count_requests:
                        settings.requests_count += 1
                    if access_logger is not None:
                        started = loop.time() if access_logger.enabled else None
                try:
                    if app._middlewares:
                        response = await app._handle(request)
                    else:
                        response = await app._route(request)(request)
                    if response is None:
                        raise RuntimeError("Handler returned None instead of a response")
                    if type(response) is Response and not response._prepared and not app._on_response_prepare:
                        response._send_whole(request)  # nothing to await before the write
                        if self._write_paused:
                            await self.drain()
                    else:
                        await self._finish(request, response)
                except HTTPException as exc:  # raised by the handler or by prepare (FileResponse: 404)
                    response = await self._fail(request, exc)
                except (asyncio.CancelledError, ConnectionResetError):
                    raise
                except HttpProcessingError as exc:  # the body, read by the handler, is malformed
                    bad_body = HTTPBadRequest(text=f"400 Bad Request: {exc.message}")
                    bad_body.force_close()
                    response = await self._fail(request, bad_body)
                except Exception:
                    server_logger.exception("Error handling request")
                    failure = HTTPInternalServerError()
                    failure.force_close()
                    response = await self._fail(request, failure)
                if started is not None:
                    access_logger.log(request, response, loop.time() - started)  # type: ignore[union-attr]
                keep_alive = bool(response._keep_alive) and not self._close_after
                if payload is not EMPTY_PAYLOAD and not payload.at_eof():
                    keep_alive = keep_alive and await self._discard_body(payload)
                    linger = not keep_alive  # the client may still be sending that body
                if not keep_alive and not (queue and type(queue[0]) is _Refusal):
                    break  # (a refusal queued behind this request still goes out: it says why)
            if linger:
                await self._linger()
        except (asyncio.CancelledError, ConnectionResetError):
            pass
        finally:
            self._task = None
            if not self._closed:
                self._close()

    @staticmethod
    async def _finish(request: Request, response: Any) -> None:
        """Send what the handler returned: prepare (head, and the body of a Response), end it."""
        if not response.prepared:
            await response.prepare(request)
        if not response._eof_sent:  # a Response is complete once prepared
            await response.write_eof()

    async def _fail(self, request: Request, failure: Any) -> Any:
        """Answer with `failure` (an HTTPException) in place of the handler's response."""
        if request._response_started:
            # Part of a response is out already: it cannot be replaced, only cut short.
            self._close_after = True
            failure.force_close()
            return failure
        await failure.prepare(request)
        await failure.write_eof()
        return failure

    async def _linger(self) -> None:
        """Close gently while the client may still be sending: closing a socket with unread
        bytes resets it, and the client could lose the response it has not read yet. So: end
        our side (FIN after the response), then drop what still comes (data_received ignores
        it once _close_after is set) until the client closes or LINGER_TIME passes."""
        transport = self.transport
        if transport is None or self._closed or not transport.can_write_eof():
            return
        self._close_after = True
        self._body_paused = self._queue_full = False
        self._resume_transport_reading()
        transport.write_eof()
        waiter = self._waiter = self._loop.create_future()
        try:
            await asyncio.wait_for(waiter, LINGER_TIME)
        except asyncio.TimeoutError:
            pass

    async def _discard_body(self, payload: StreamReader) -> bool:
        """Read and drop what the handler left of the body, within DISCARD_BODY_TIME and
        DISCARD_BODY_SIZE; whether it all came (so the connection can go on)."""
        loop = self._loop
        deadline = loop.time() + DISCARD_BODY_TIME
        left = DISCARD_BODY_SIZE
        try:
            while left > 0:
                wait = min(DISCARD_READ_TIMEOUT, deadline - loop.time())
                if wait <= 0:
                    return False
                chunk = await asyncio.wait_for(payload.readany(), wait)
                if not chunk:
                    return True
                left -= len(chunk)
        except (asyncio.TimeoutError, Exception):
            return False
        return False

    async def shutdown(self, timeout: Optional[float] = 15.0) -> None:
        """Finish the request in progress (within timeout), then close."""
        self._close_after = True
        if not self._queue and self._waiter is not None:
            self._wake()
        task = self._task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                task.cancel()
        self._close()
