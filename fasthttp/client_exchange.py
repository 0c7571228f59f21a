"""One exchange: a ClientRequest sent on one connection, its response's head received.

This module owns everything between "a connection is in hand" and "the response's head is
here": the head's encoding and the request line's version, the one-write path (head and a
small in-memory body in a single `transport.write`, no await), Expect: 100-continue, the task
that streams a larger or unsized body (and tells the protocol when the last byte is out, the
sending half of "may this connection be reused"), the decision whether the response has a
body at all, and whether the connection goes back to the pool at once or travels with the
response until its body is read. It never calls back into the session: what it needs (read
buffer size, decompression, the charset fallback, the redirect history, the tracing hooks)
travels on the request.

On any failure the connection is closed before the exception leaves: nothing here leaks a
connection, and the caller decides whether to try again on another one.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import TYPE_CHECKING, Any, Final, Optional, Sequence

from multidict import CIMultiDict, CIMultiDictProxy

from . import hdrs
from .client_exceptions import (
    ClientConnectionError,
    ClientOSError,
    ClientResponseError,
    RequestInfo,
    ServerDisconnectedError,
)
from .compression import get_decoder
from .http import ResponseHead
from .http_exceptions import HttpProcessingError
from .http_types import HttpVersion10, HttpVersion11
from .request_writer import BodyWriter, encode_head
from .streams import EMPTY_PAYLOAD, StreamReader

if TYPE_CHECKING:
    from .client_request import ClientRequest
    from .client_response import ClientResponse
    from .connector import Connection
    from .protocol import ResponseHandler
    from .tracing import Trace
    from .upload_tracker import UploadTracker

__all__ = ("encode_request_head", "send")

# An in-memory body below this size leaves in the head's write; a larger one in a second write
# (still no await: the transport buffers it and applies back-pressure to the next request).
_ONE_WRITE_LIMIT: Final = 16384
_NO_BODY_STATUSES: Final = frozenset({204, 304})


def encode_request_head(request: "ClientRequest") -> bytes:
    """The request line and headers as bytes, refused (ValueError) if unsafe to send."""
    url = request.url
    target = url.raw_path_qs or "/"
    proxy = request._proxy
    if proxy is not None and not proxy.tunnel:
        # To an HTTP proxy: the absolute form, so it knows where to forward (RFC 9112 3.2.2).
        target = str(url.with_fragment(None))
        if url.scheme == "http" and hdrs.SEC_WEBSOCKET_KEY in request.headers:
            # A WebSocket handshake names its ws:// URL to the proxy, as aiohttp's does.
            target = "ws" + target[4:]
    version = request._settings.version
    if version is HttpVersion11 or version == HttpVersion11:
        return encode_head(request.method, target, request.headers)
    headers = request.headers
    if version == HttpVersion10 and hdrs.CONNECTION not in headers:
        # HTTP/1.0 closes after each response unless asked not to (as aiohttp asks).
        headers[hdrs.CONNECTION] = "keep-alive"
    return encode_head(request.method, target, headers, f"HTTP/{version[0]}.{version[1]}")


async def send(
    request: "ClientRequest", connection: "Connection", head_bytes: bytes
) -> "ClientResponse":
    """Write the request on `connection` and wait for its response's head.

    The response holds the connection while its body is still to come (or after a 101, for
    the protocol that takes over); else the connection is released here, at once.
    """
    protocol = connection.protocol
    assert protocol is not None
    settings = request._settings
    limits = settings.parser_limits
    if limits is not protocol._limits:
        protocol.use_limits(limits)
    method = request.method
    headers = request.headers
    body = request._body
    in_memory: Optional[bytes] = None
    payload: Any = None
    if body is not None:
        # make_body leaves bytes (what fits in memory) or a Payload.
        if isinstance(body, bytes) and hdrs.TRANSFER_ENCODING not in headers:
            in_memory = body
        elif isinstance(body, bytes):
            # Chunked framing is the body writer's job: the one-write path would send the
            # bytes unframed (and the server would wait for a chunk size forever).
            from .payloads import BytesPayload

            payload = BytesPayload(body)
        else:
            payload = body
    writer: Optional[asyncio.Task[None]] = None
    try:
        timeout = request.timeout
        head_waiter = protocol.expect_response(
            _make_content, request, method == "HEAD", timeout.sock_read, request._deadline,
            timeout.total,
        )
        transport = protocol.transport
        assert transport is not None
        continue_waiter = None
        if (in_memory or payload is not None) and (
            headers.get(hdrs.EXPECT, "").lower() == "100-continue"
        ):
            continue_waiter = protocol.expect_continue()
        traces = request._traces
        tracker = request._upload_tracker
        if in_memory is not None and continue_waiter is None and tracker is None:
            if len(in_memory) < _ONE_WRITE_LIMIT:
                transport.write(head_bytes + in_memory)
            else:
                transport.write(head_bytes)
                transport.write(in_memory)
                if protocol._write_paused:
                    # The peer is slow to take the body: sock_read waits for resume_writing.
                    protocol.hold_read_clock()
            if traces is not None:
                await _trace_sent(request, traces, in_memory)
        else:
            transport.write(head_bytes)
            if traces is not None:
                await _trace_sent(request, traces, None)
            if tracker is not None and in_memory is None and payload is None:
                tracker._attempt_finished(request._upload_gen)  # nothing to send: done
            if in_memory is not None or payload is not None:
                writer = asyncio.get_running_loop().create_task(
                    _write_body(protocol, in_memory, payload, headers, continue_waiter, request)
                )
                # Until the body is all written the connection cannot be reused; closing it
                # (an early answer fully read, a release, an error) stops the writer.
                protocol.start_body(writer)
                if continue_waiter is None:
                    # sock_read counts from the body's end, not from the head's (aiohttp's
                    # rule): a slow upload is not the server being silent.
                    protocol.hold_read_clock()
        head, content = await head_waiter
    except HttpProcessingError as exc:
        _abandon(connection, writer)
        raise ClientResponseError(
            _request_info(request), request._history, status=exc.code, message=exc.message,
            headers=exc.headers,
        ) from exc
    except BaseException as exc:
        _abandon(connection, writer)
        if connection.reused and isinstance(exc, (ServerDisconnectedError, ClientOSError)):
            # A pooled connection the server may have closed meanwhile: the session may send
            # the request once more, above the middlewares (as aiohttp retries).
            exc._fasthttp_stale_connection = True  # type: ignore[union-attr]
        raise
    # A 101 keeps its connection: the WebSocket (or other protocol) takes it over. A whole body
    # (bytes) came with its head: the exchange is over.
    keep = not isinstance(content, bytes) and (head.upgrade or not content.is_eof())
    response = settings.response_class(
        method, request.url, head=head, content=content,
        connection=connection if keep else None,
        request_headers=headers, history=request._history,
        resolve_charset=settings.resolve_charset,
    )
    if not keep:
        connection.release()
    if writer is not None:
        response._writer = writer
    if request._traces is not None:
        response._traces = request._traces
    return response


def _make_content(
    request: "ClientRequest", protocol: "ResponseHandler", head: ResponseHead,
    body: Optional[bytes] = None,
) -> "StreamReader | bytes":
    """The body stream of the response to `request`, from its head (called by the protocol);
    `body` as it is when it came whole with the head and needs no decoding.

    No body for a HEAD request, a 204 or 304, a 101 (the bytes after it belong to the next
    protocol) or an explicit Content-Length: 0: the connection is then free at once."""
    if body is not None:  # (none of those: the parser gave them no body)
        if not (head.content_encoding and request._settings.auto_decompress):
            return body
    if head.upgrade or request.method == "HEAD" or head.status in _NO_BODY_STATUSES or (
        head.content_length == 0 and not head.chunked
    ):
        return EMPTY_PAYLOAD
    settings = request._settings
    if not settings.read_until_eof and head.content_length is None and not head.chunked:
        # aiohttp's read_until_eof=False: a body delimited by the connection's end only
        # is not read; the response is empty (and the connection closed, not reused).
        protocol._ignore_body = True
        return EMPTY_PAYLOAD
    decoder = None
    if settings.auto_decompress and head.content_encoding:
        decoder = get_decoder(head.content_encoding)
    if body is not None and decoder is None:  # an encoding with nothing to undo (identity)
        return body
    return StreamReader(
        protocol, settings.read_bufsize, loop=protocol._loop, decoder=decoder,
        max_decoded_size=settings.max_decompressed_size,
    )


async def _trace_sent(request: "ClientRequest", traces: Sequence["Trace"], body: Optional[bytes]) -> None:
    method, url = request.method, request.url
    for trace in traces:
        await trace.send_request_headers(method, url, request.headers)
    if body:
        for trace in traces:
            await trace.send_request_chunk_sent(method, url, body)


class _TracedWriter:
    """The body writer as payloads see it, sending on_request_chunk_sent after each write."""

    __slots__ = ("_writer", "_request", "_traces")

    def __init__(self, writer: BodyWriter, request: "ClientRequest", traces: Sequence["Trace"]) -> None:
        self._writer = writer
        self._request = request
        self._traces = traces

    async def write(self, data: Any) -> None:
        await self._writer.write(data)
        if data:
            chunk = bytes(data)
            for trace in self._traces:
                await trace.send_request_chunk_sent(self._request.method, self._request.url, chunk)


class _TrackedWriter:
    """The body writer as payloads see it under upload_tracker=: each piece written is
    reported to the tracker with the wire position it reached (after compression and
    framing, before waiting for the peer)."""

    __slots__ = ("_sink", "_writer", "_tracker", "_generation", "_pending")

    def __init__(
        self, sink: Any, writer: BodyWriter, tracker: "UploadTracker", generation: int
    ) -> None:
        self._sink = sink
        self._writer = writer
        self._tracker = tracker
        self._generation = generation
        self._pending = 0
        writer.on_write = self._on_wire

    def _on_wire(self) -> None:
        self._tracker._add_bytes(self._generation, self._pending, self._writer.output_size)
        self._pending = 0

    async def write(self, data: Any) -> None:
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if not size:
            return
        self._pending = size
        await self._sink.write(data)
        if self._pending:  # a compressor kept it for later: no wire bytes yet
            self._on_wire()


class _CompressingWriter:
    """The body writer as payloads see it under compress=: what they write goes out
    compressed (Content-Encoding deflate, the zlib format, or gzip, as aiohttp sends them)."""

    __slots__ = ("_writer", "_compressor")

    def __init__(self, writer: Any, encoding: str) -> None:
        self._writer = writer
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._compressor = zlib.compressobj(wbits=wbits)

    async def write(self, data: Any) -> None:
        if data:
            compressed = self._compressor.compress(data)
            if compressed:
                await self._writer.write(compressed)

    async def flush(self) -> None:
        await self._writer.write(self._compressor.flush())


def _abandon(connection: "Connection", writer: Optional["asyncio.Task[None]"]) -> None:
    if writer is not None:
        writer.cancel()
    connection.close()


def _request_info(request: "ClientRequest") -> RequestInfo:
    url = request.url
    return RequestInfo(url, request.method, CIMultiDictProxy(request.headers), url)


def _body_source_error(exc: Exception, request: "ClientRequest") -> ClientConnectionError:
    """What aiohttp's write_bytes() raises when the body's source fails."""
    if isinstance(exc, OSError):
        return ClientOSError(exc.errno, f"Can not write request body for {request.url}")
    return ClientConnectionError(f"Failed to send bytes into the underlying connection to {request.url}: {exc!r}")


async def _write_body(
    protocol: "ResponseHandler",
    in_memory: Optional[bytes],
    payload: Any,
    headers: "CIMultiDict[str]",
    continue_waiter: Optional["asyncio.Future[bool]"],
    request: "ClientRequest",
) -> None:
    chunked = headers.get(hdrs.TRANSFER_ENCODING, "").lower() == "chunked"
    length = headers.get(hdrs.CONTENT_LENGTH)
    writer = BodyWriter(protocol, chunked=chunked, expected=None if length is None else int(length))
    traces = request._traces
    sink: Any = writer if traces is None else _TracedWriter(writer, request, traces)
    compress = request._settings.compress
    compressor = None
    if compress is not None:
        sink = compressor = _CompressingWriter(sink, compress)
    tracker = request._upload_tracker
    generation = request._upload_gen
    if tracker is not None:
        tracker._attempt_writing(generation, writer)
        sink = _TrackedWriter(sink, writer, tracker, generation)
        protocol._upload_watch = tracker._refresh
    try:
        if continue_waiter is not None:
            if not await continue_waiter:
                # The server answered without asking for the body: it is never sent, so the
                # connection stays short of a boundary (body_sent is not called) and is closed.
                if tracker is not None:
                    tracker._attempt_failed(generation, None)
                return
            protocol.hold_read_clock()
        if in_memory is not None:
            await sink.write(in_memory)
        else:
            await payload.write(sink)
        if compressor is not None:
            await compressor.flush()
        await writer.write_eof()
        protocol.start_read_clock()
        if tracker is not None:
            tracker._attempt_finished(generation)
    except asyncio.CancelledError:
        if tracker is not None:  # cut short
            tracker._attempt_failed(generation, None)
        raise
    except Exception as exc:
        if isinstance(exc, ClientConnectionError) and protocol.closed:
            # Our connection went (fasthttp.flow_control's ClientConnectionResetError): the
            # request hears of it from the read side (ServerDisconnectedError, ClientOSError,
            # as with aiohttp), so the task ends here, not with an error nobody retrieves.
            if tracker is not None:
                tracker._attempt_failed(generation, exc)
            return
        # The payload's source failed (its own ClientConnectionError too: another response's
        # content cut short, say): the request fails with aiohttp's errors, and the connection,
        # a body short, is closed.
        error = _body_source_error(exc, request)
        error.__cause__ = exc
        if tracker is not None:
            tracker._attempt_failed(generation, error)
        protocol._fail(error)
        protocol.abort()
        raise
    finally:
        if tracker is not None:
            protocol._upload_watch = None
