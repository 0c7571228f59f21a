"""HTTP/1.1 response parser benchmarks: fasthttp's twins against aiohttp, httptools and h11.

One pytest-benchmark group per corpus (see corpora.py), one benchmark per parser in each group.
One round = feed the whole corpus (every piece, in order) to the parser and collect everything it
produces: the full job of that parser, nothing more.

- `fasthttp-cython` / `fasthttp-python`: `HttpResponseParser.feed_data(piece)` per piece, the
  returned events (head with its CIMultiDictProxy headers, body pieces, EndOfMessage) collected
  into one list.
- `aiohttp-c` / `aiohttp-py`: aiohttp's own `HttpResponseParser` (llhttp in C) and
  `HttpResponseParserPy`, as aiohttp's client builds them (limit 2**16, default limits); the
  (RawResponseMessage, StreamReader) pairs collected into one list; the body bytes are fed into
  each message's StreamReader (that is where aiohttp delivers a body).
- `httptools`: `HttpResponseParser(sink)` whose callbacks (on_status, on_header,
  on_headers_complete, on_body, on_message_complete) only append to one list.
- `h11`: a client `Connection`; per response: `send(Request)` and `send(EndOfMessage)` (one
  prebuilt request, h11's state machine needs it before it reads a response), `receive_data` of the pieces as `next_event()` asks for them, `next_event()` until
  `EndOfMessage`, `start_next_cycle()`. For the pipelined corpus the buffer is fed once and 100
  cycles run on it.

Every parser is long-lived: one parser (connection) per benchmark, and each round feeds the
same corpus again as the next responses of the same keep-alive connection, so construction cost
is not measured for anyone. Before timing, one round is run and its output checked (number of
responses, each body's length, status 200, header count); the last timed round is checked
again afterwards. A peer set up wrongly errors instead of benchmarking nothing.

Benchmarks never assert a time.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from corpora import CORPORA, CORPUS_NAMES, Corpus

# (round function, summarize function) where summarize(round output) returns a list of
# (status, header_count, body_length) per complete response, in order.
Summary = list[tuple[int, int, int]]
Setup = tuple[Callable[[], Any], Callable[[Any], Summary]]

PARSERS: tuple[str, ...] = (
    "fasthttp-cython",
    "fasthttp-python",
    "aiohttp-c",
    "aiohttp-py",
    "httptools",
    "h11",
)


def _expected(corpus: Corpus) -> Summary:
    return [(200, -1, size) for size in corpus.body_sizes]


def _header_counts_ok(summary: Summary) -> bool:
    # Every corpus response has at least 7 headers; a parser that lost them all is broken.
    return all(count >= 7 for _, count, _ in summary)


def _check(parser: str, corpus: Corpus, summary: Summary) -> None:
    got = [(status, -1, size) for status, _, size in summary]
    if got != _expected(corpus):
        raise AssertionError(
            f"{parser} on {corpus.name}: expected {corpus.messages} response(s) with bodies "
            f"{corpus.body_sizes[:3]}..., got {len(summary)}: {summary[:3]}..."
        )
    if not _header_counts_ok(summary):
        raise AssertionError(f"{parser} on {corpus.name}: headers missing: {summary[:3]}...")


# ---------------------------------------------------------------------------------------------
# fasthttp


def _setup_fasthttp(module_name: str, corpus: Corpus) -> Setup:
    mod = importlib.import_module(module_name)
    parser = mod.HttpResponseParser()
    feed = parser.feed_data
    pieces = corpus.pieces

    def round_() -> list[Any]:
        out: list[Any] = []
        for piece in pieces:
            out += feed(piece)
        return out

    head_cls, eom_cls = mod.ResponseHead, mod.EndOfMessage

    def summarize(events: list[Any]) -> Summary:
        summary: Summary = []
        head = None
        body = 0
        for ev in events:
            if isinstance(ev, head_cls):
                head, body = ev, 0
            elif isinstance(ev, bytes):
                body += len(ev)
            elif isinstance(ev, eom_cls):
                assert head is not None
                summary.append((head.status, len(head.headers), body))
                head = None
            else:
                raise AssertionError(f"unexpected event {ev!r}")
        assert head is None, "a response was left incomplete"
        return summary

    return round_, summarize


# ---------------------------------------------------------------------------------------------
# aiohttp


class _AiohttpProtocol:
    """The least aiohttp's parsers and StreamReader ask of the protocol they are given.

    In aiohttp's client this is the ResponseHandler, which pauses and resumes the transport;
    here there is no transport, so these are no-ops (the benchmark never reads the bodies
    back, it only has aiohttp put them where it delivers them: each message's StreamReader).
    """

    connected = True
    _reading_paused = False

    def pause_reading(self, **kwargs: Any) -> None:
        pass

    def resume_reading(self, **kwargs: Any) -> None:
        pass


def _setup_aiohttp(parser_cls: Any, corpus: Corpus, loop: asyncio.AbstractEventLoop) -> Setup:
    # As aiohttp's client (client_proto.ResponseHandler.set_response_params) builds it, with
    # aiohttp's defaults: read buffer limit 2**16, line/field limit 8190, 128 headers.
    parser = parser_cls(
        _AiohttpProtocol(),
        loop,
        2**16,
        max_line_size=8190,
        max_field_size=8190,
    )
    feed = parser.feed_data
    pieces = corpus.pieces

    def round_() -> list[Any]:
        out: list[Any] = []
        for piece in pieces:
            messages, upgraded, tail = feed(piece)
            out += messages
        return out

    def summarize(messages: list[Any]) -> Summary:
        summary: Summary = []
        for msg, payload in messages:
            if not payload.is_eof():
                raise AssertionError(f"body not complete: {payload!r}")
            summary.append((msg.code, len(msg.headers), payload.total_bytes))
        return summary

    return round_, summarize


# ---------------------------------------------------------------------------------------------
# httptools


class _HttptoolsSink:
    """Callbacks that only append what they are given to one list."""

    __slots__ = ("events",)

    HEADERS_COMPLETE = object()
    MESSAGE_COMPLETE = object()

    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_status(self, status: bytes) -> None:
        self.events.append(status)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.events.append((name, value))

    def on_headers_complete(self) -> None:
        self.events.append(_HttptoolsSink.HEADERS_COMPLETE)

    def on_body(self, body: bytes) -> None:
        self.events.append(body)

    def on_message_complete(self) -> None:
        self.events.append(_HttptoolsSink.MESSAGE_COMPLETE)


def _setup_httptools(corpus: Corpus) -> Setup:
    import httptools

    sink = _HttptoolsSink()
    parser = httptools.HttpResponseParser(sink)
    feed = parser.feed_data
    pieces = corpus.pieces

    def round_() -> list[Any]:
        sink.events = out = []
        for piece in pieces:
            feed(piece)
        return out

    def summarize(events: list[Any]) -> Summary:
        summary: Summary = []
        status = b""
        headers = body = 0
        in_body = False
        for ev in events:
            if ev is _HttptoolsSink.HEADERS_COMPLETE:
                in_body = True
            elif ev is _HttptoolsSink.MESSAGE_COMPLETE:
                summary.append((200 if status == b"OK" else -1, headers, body))
                status, headers, body, in_body = b"", 0, 0, False
            elif isinstance(ev, tuple):
                headers += 1
            elif in_body:
                body += len(ev)
            else:
                status += ev  # the reason phrase (llhttp's "status"), maybe in parts
        return summary

    return round_, summarize


# ---------------------------------------------------------------------------------------------
# h11


def _setup_h11(corpus: Corpus) -> Setup:
    import h11

    conn = h11.Connection(h11.CLIENT)
    # One prebuilt request (head and end), sent at the start of every cycle: h11 requires it.
    request = h11.Request(method="GET", target="/", headers=[("Host", "example.com")])
    request_end = h11.EndOfMessage()
    send, receive_data = conn.send, conn.receive_data
    next_event, start_next_cycle = conn.next_event, conn.start_next_cycle
    NEED_DATA, EndOfMessage = h11.NEED_DATA, h11.EndOfMessage
    pieces, n = corpus.pieces, corpus.messages

    def round_() -> list[Any]:
        out: list[Any] = []
        append = out.append
        more = iter(pieces)
        for _ in range(n):
            send(request)
            send(request_end)
            while True:
                ev = next_event()
                if ev is NEED_DATA:
                    receive_data(next(more))
                    continue
                append(ev)
                if type(ev) is EndOfMessage:
                    break
            start_next_cycle()
        for piece in more:  # nothing left for a right corpus; the check below would see it
            receive_data(piece)
        return out

    def summarize(events: list[Any]) -> Summary:
        if conn.trailing_data != (b"", False):
            raise AssertionError(f"h11 left data unread: {conn.trailing_data!r}")
        summary: Summary = []
        head = None
        body = 0
        for ev in events:
            if isinstance(ev, h11.Response):
                head, body = ev, 0
            elif isinstance(ev, h11.Data):
                body += len(ev.data)
            elif isinstance(ev, h11.EndOfMessage):
                assert head is not None
                summary.append((head.status_code, len(head.headers), body))
                head = None
            else:
                raise AssertionError(f"unexpected h11 event {ev!r}")
        return summary

    return round_, summarize


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "checkout"


def _setup(parser: str, corpus: Corpus, loop: asyncio.AbstractEventLoop) -> tuple[Setup, dict[str, str]]:
    if parser == "fasthttp-cython":
        try:
            mod = importlib.import_module("fasthttp._parser")
        except ImportError as exc:
            pytest.skip(
                f"fasthttp._parser (the compiled twin) is not built ({exc}); build it with "
                "`python setup.py build_ext --inplace`"
            )
        return _setup_fasthttp("fasthttp._parser", corpus), {"module": mod.__file__ or ""}
    if parser == "fasthttp-python":
        mod = importlib.import_module("fasthttp._parser_py")
        return _setup_fasthttp("fasthttp._parser_py", corpus), {"module": mod.__file__ or ""}
    if parser == "aiohttp-c":
        try:
            from aiohttp._http_parser import HttpResponseParser as AiohttpC
        except ImportError as exc:  # pragma: no cover - a pure-Python aiohttp install
            pytest.skip(f"aiohttp's C parser is not available: {exc}")
        return _setup_aiohttp(AiohttpC, corpus, loop), {"version": _version("aiohttp")}
    if parser == "aiohttp-py":
        from aiohttp.http_parser import HttpResponseParserPy

        return _setup_aiohttp(HttpResponseParserPy, corpus, loop), {"version": _version("aiohttp")}
    if parser == "httptools":
        return _setup_httptools(corpus), {"version": _version("httptools")}
    if parser == "h11":
        return _setup_h11(corpus), {"version": _version("h11")}
    raise AssertionError(parser)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("corpus_name", CORPUS_NAMES)
def test_parse(benchmark: Any, corpus_name: str, parser: str, loop: asyncio.AbstractEventLoop) -> None:
    corpus = CORPORA[corpus_name]
    (round_, summarize), info = _setup(parser, corpus, loop)

    # Once, untimed: the parser must really have done the whole job.
    _check(parser, corpus, summarize(round_()))

    benchmark.group = corpus.name
    benchmark.name = parser
    benchmark.extra_info.update(
        parser=parser,
        corpus=corpus.name,
        corpus_bytes=corpus.size,
        corpus_pieces=len(corpus.pieces),
        responses_per_round=corpus.messages,
        **info,
    )
    result = benchmark(round_)

    # And the last timed round too (the parser's state stayed sound across rounds).
    _check(parser, corpus, summarize(result))
