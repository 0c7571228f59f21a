"""The opt-in END_OF_CHUNK marker (docs/parser.md, "Chunk boundaries"), against both twins.

With `chunk_boundaries=True` a ChunkedDecoder, HttpResponseParser or HttpRequestParser puts
the END_OF_CHUNK singleton in the events right after the last data byte of each non-empty
chunk. Every case is fed whole, one byte at a time and in random splits (check_splits), and
the marker must come out at the same place in all of them. With the default (False) no
marker ever appears and the events are those the parser always gave.
"""

from __future__ import annotations

import pickle
import random

import pytest

from parser_cases import (
    B,
    C,
    E,
    R,
    Q,
    assert_events,
    check_splits,
    chunked,
    normalize,
    response,
    run,
    splits,
)

CHUNKED_HEAD = [(b"Transfer-Encoding", b"chunked")]

DECODER_CASES = {
    "simple": (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
               [B(b"hello"), C(), B(b" world"), C(), E()]),
    "empty_body": (b"0\r\n\r\n", [E()]),
    "one_byte": (chunked([b"x"]), [B(b"x"), C(), E()]),
    "extensions": (b"5;a=1;b=\"x y\"\r\nhello\r\n0;z\r\n\r\n", [B(b"hello"), C(), E()]),
    "trailers": (b"3\r\nabc\r\n2\r\nde\r\n0\r\nExpires: 0\r\n\r\n",
                 [B(b"abc"), C(), B(b"de"), C(), E([("Expires", "0")])]),
    "crlf_in_data": (chunked([b"\r\n", b"\r\n0\r\n\r\n", b"\n"]),
                     [B(b"\r\n"), C(), B(b"\r\n0\r\n\r\n"), C(), B(b"\n"), C(), E()]),
    "leading_zeros": (b"003\r\nabc\r\n0000\r\n\r\n", [B(b"abc"), C(), E()]),
    "many_tiny": (chunked([b"x"] * 500), [B(b"x"), C()] * 500 + [E()]),
    "varying": (chunked([b"a" * n for n in (1, 2, 15, 16, 17, 255, 256, 4097)]),
                [ev for n in (1, 2, 15, 16, 17, 255, 256, 4097) for ev in (B(b"a" * n), C())]
                + [E()]),
    "big": (chunked([b"\xaa" * 300_000, b"\xbb" * 5]),
            [B(b"\xaa" * 300_000), C(), B(b"\xbb" * 5), C(), E()]),
}


def _without_markers(events: list) -> list:
    """Normalized events with the markers taken out (and the pieces merged again)."""
    out: list = []
    for ev in events:
        if ev["type"] == "eoc":
            continue
        if ev["type"] == "body" and out and out[-1]["type"] == "body":
            out[-1] = {"type": "body", "data": out[-1]["data"] + ev["data"]}
        else:
            out.append(ev)
    return out


# --------------------------------------------------------------------------- the marker


def test_marker_object(twin):
    from fasthttp import _parser_py

    marker = twin.END_OF_CHUNK
    assert type(marker) is twin.EndOfChunk
    assert not isinstance(marker, (bytes, bytearray, memoryview))
    assert not isinstance(marker, twin.EndOfMessage)
    assert type(marker) is not type(twin.EndOfMessage())
    assert repr(marker) == "END_OF_CHUNK" == repr(_parser_py.END_OF_CHUNK)
    assert "END_OF_CHUNK" in twin.__all__ and "EndOfChunk" in twin.__all__
    # One instance, kept through pickling and copying.
    assert pickle.loads(pickle.dumps(marker)) is marker
    import copy

    assert copy.copy(marker) is marker and copy.deepcopy(marker) is marker


def test_http_module_reexports_the_chosen_twins_marker():
    import fasthttp.http as http

    twin = "fasthttp._parser" if http.IMPLEMENTATION == "cython" else "fasthttp._parser_py"
    import importlib

    mod = importlib.import_module(twin)
    assert http.END_OF_CHUNK is mod.END_OF_CHUNK
    assert http.EndOfChunk is mod.EndOfChunk
    assert "END_OF_CHUNK" in http.__all__


def test_markers_are_the_singleton(twin):
    d = twin.ChunkedDecoder(chunk_boundaries=True)
    events = d.feed_data(b"3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n")
    assert events[0] == b"abc" and events[2] == b"d"
    assert events[1] is twin.END_OF_CHUNK and events[3] is twin.END_OF_CHUNK
    assert type(events[4]) is twin.EndOfMessage


# --------------------------------------------------------------------------- ChunkedDecoder


@pytest.mark.parametrize("lax", [False, True], ids=["strict", "lax"])
@pytest.mark.parametrize("case", list(DECODER_CASES), ids=list(DECODER_CASES))
def test_decoder_markers(twin, case, lax):
    data, expected = DECODER_CASES[case]
    out = check_splits(lambda: twin.ChunkedDecoder(lax=lax, chunk_boundaries=True), data)
    assert out.error is None
    assert_events(out.events, expected)
    assert out.state == {"done": True, "tail": b""}


@pytest.mark.parametrize("case", list(DECODER_CASES), ids=list(DECODER_CASES))
def test_decoder_default_has_no_marker(twin, case):
    data, expected = DECODER_CASES[case]
    for flag_kw in ({}, {"chunk_boundaries": False}):
        out = check_splits(lambda: twin.ChunkedDecoder(**flag_kw), data)
        assert out.error is None
        assert all(ev["type"] != "eoc" for ev in out.events)
        assert out.events == _without_markers(normalize(
            run(twin.ChunkedDecoder(chunk_boundaries=True), [data]).raw_events))
        for _label, chunks in splits(data):
            raw = run(twin.ChunkedDecoder(**flag_kw), chunks).raw_events
            assert not any(ev is twin.END_OF_CHUNK for ev in raw)


def test_decoder_default_events_unchanged_piece_by_piece(twin):
    # Not only after merging: the very same pieces as with the flag, minus the markers.
    data = chunked([b"abc", b"de" * 40, b"f"])
    rng = random.Random(7)
    for _ in range(30):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 12)))
        chunks = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
        plain = run(twin.ChunkedDecoder(), chunks).raw_events
        marked = run(twin.ChunkedDecoder(chunk_boundaries=True), chunks).raw_events
        stripped = [ev for ev in marked if ev is not twin.END_OF_CHUNK]
        assert [type(ev) for ev in plain] == [type(ev) for ev in stripped]
        assert [ev for ev in plain if type(ev) is bytes] == [
            ev for ev in stripped if type(ev) is bytes
        ]


def test_marker_comes_with_the_last_data_byte(twin):
    """Right when a chunk's data is complete, before its CRLF has arrived."""
    d = twin.ChunkedDecoder(chunk_boundaries=True)
    assert d.feed_data(b"3\r\nab") == [b"ab"]
    assert d.feed_data(b"c") == [b"c", twin.END_OF_CHUNK]
    assert d.feed_data(b"\r") == []
    assert d.feed_data(b"\n0\r") == []
    assert d.feed_data(b"\n") == []
    events = d.feed_data(b"\r\n")
    assert len(events) == 1 and type(events[0]) is twin.EndOfMessage


def test_decoder_tail_after_end(twin):
    out = check_splits(lambda: twin.ChunkedDecoder(chunk_boundaries=True),
                       chunked([b"abc"]) + b"NEXT")
    assert_events(out.events, [B(b"abc"), C(), E()])
    assert out.state == {"done": True, "tail": b"NEXT"}


@pytest.mark.parametrize("data", [
    b"3\r\nabcX",                 # junk after data: the marker came before the error
    b"3\r\nabc\r\nzz\r\n",        # bad size line after one chunk
    b"2\r\nab\r\n3\r\nab",         # cut short (feed_eof)
])
def test_decoder_errors_with_markers(twin, data):
    plain = check_splits(lambda: twin.ChunkedDecoder(), data)
    marked = check_splits(lambda: twin.ChunkedDecoder(chunk_boundaries=True), data)
    assert plain.error is not None and marked.error is plain.error
    assert _without_markers(marked.events) == plain.events


# --------------------------------------------------------------------------- message parsers


def _resp(twin, **kw):
    return lambda: twin.HttpResponseParser(**kw)


RESPONSES = (
    response(b"HTTP/1.1 200 OK", CHUNKED_HEAD, chunked([b"hello", b" world"]))
    + response(b"HTTP/1.1 200 OK", [(b"Content-Length", b"5")], b"fixed")
    + response(b"HTTP/1.1 204 No Content", CHUNKED_HEAD)
    + response(b"HTTP/1.1 200 OK", CHUNKED_HEAD,
               chunked([b"x" * 70_000, b"y"], trailers=[(b"T", b"1")]))
)
RESPONSE_EVENTS = [
    R(status=200, chunked=True), B(b"hello"), C(), B(b" world"), C(), E(),
    R(status=200, chunked=False), B(b"fixed"), E(),
    R(status=204), E(),
    R(status=200, chunked=True), B(b"x" * 70_000), C(), B(b"y"), C(), E([("T", "1")]),
]


def test_response_parser_markers(twin):
    out = check_splits(_resp(twin, chunk_boundaries=True), RESPONSES, eof=True)
    assert out.error is None
    assert_events(out.events, RESPONSE_EVENTS)


def test_response_parser_default_has_no_marker(twin):
    expected = [ev for ev in RESPONSE_EVENTS if ev["type"] != "eoc"]
    merged: list = []
    for ev in expected:
        if ev["type"] == "body" and merged and merged[-1]["type"] == "body":
            merged[-1] = B(merged[-1]["data"] + ev["data"])
        else:
            merged.append(ev)
    for make in (_resp(twin), _resp(twin, chunk_boundaries=False)):
        out = check_splits(make, RESPONSES, eof=True)
        assert out.error is None
        assert_events(out.events, merged)


def test_response_parser_markers_close_delimited_and_head(twin):
    # Only chunked bodies have chunks: a close-delimited body and a HEAD answer have none.
    data = response(b"HTTP/1.1 200 OK", [], b"to the end")
    out = check_splits(_resp(twin, chunk_boundaries=True), data, eof=True)
    assert_events(out.events, [R(status=200), B(b"to the end"), E()])

    def head():
        p = twin.HttpResponseParser(chunk_boundaries=True)
        p.head_request = True
        return p

    out = check_splits(head, response(b"HTTP/1.1 200 OK", CHUNKED_HEAD), eof=True)
    assert_events(out.events, [R(status=200, chunked=True), E()])


def test_response_parser_with_limits_and_flag(twin):
    data = response(b"HTTP/1.1 200 OK", CHUNKED_HEAD, chunked([b"ab", b"cde"]))
    make = _resp(twin, max_line_size=100, max_field_size=100, max_headers=4,
                 chunk_boundaries=True)
    out = check_splits(make, data, eof=True)
    assert_events(out.events, [R(status=200), B(b"ab"), C(), B(b"cde"), C(), E()])


def test_request_parser_markers(twin):
    head = b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = head + chunked([b"one", b"two!"]) + b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    out = check_splits(lambda: twin.HttpRequestParser(chunk_boundaries=True), data, eof=True)
    assert_events(out.events, [
        Q(method="POST", chunked=True), B(b"one"), C(), B(b"two!"), C(), E(),
        Q(method="GET"), E(),
    ])
    out = check_splits(lambda: twin.HttpRequestParser(), data, eof=True)
    assert_events(out.events, [
        Q(method="POST", chunked=True), B(b"onetwo!"), E(), Q(method="GET"), E(),
    ])


# --------------------------------------------------------------------------- twins agree


@pytest.mark.differential
@pytest.mark.parametrize("case", list(DECODER_CASES), ids=list(DECODER_CASES))
def test_twins_agree_on_markers(twins, case):
    data, _ = DECODER_CASES[case]
    py, cy = twins
    for label, chunks in splits(data):
        a = run(py.ChunkedDecoder(chunk_boundaries=True), chunks)
        b = run(cy.ChunkedDecoder(chunk_boundaries=True), chunks)
        assert (a.events, a.error, a.state) == (b.events, b.error, b.state), label
        # Same events piece by piece, not only once merged.
        assert [norm for norm in map(_kind, a.raw_events)] == [
            norm for norm in map(_kind, b.raw_events)
        ], label
    for label, chunks in splits(RESPONSES):
        a = run(py.HttpResponseParser(chunk_boundaries=True), chunks)
        b = run(cy.HttpResponseParser(chunk_boundaries=True), chunks)
        assert a.key() == b.key(), label
        assert list(map(_kind, a.raw_events)) == list(map(_kind, b.raw_events)), label


def _kind(ev):
    if type(ev) is bytes:
        return ev
    return type(ev).__name__
