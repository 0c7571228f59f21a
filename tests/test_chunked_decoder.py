"""ChunkedDecoder on its own (docs/parser.md, "Chunked body"), against both twins."""

from __future__ import annotations

import pytest

from fasthttp.http_exceptions import (
    BadHttpMessage,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from parser_cases import B, E, assert_events, check_splits, chunked, normalize, run


def dec(twin, **kw):
    return lambda: twin.ChunkedDecoder(**kw)


VALID = {
    "simple": (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", [B(b"hello world"), E()]),
    "empty_body": (b"0\r\n\r\n", [E()]),
    "extensions": (b"5;a=1;b=\"x y\"\r\nhello\r\n0;z\r\n\r\n", [B(b"hello"), E()]),
    "ext_with_htab": (b"5\t;a=\t1\r\nhello\r\n0\r\n\r\n", [B(b"hello"), E()]),
    "trailers": (b"3\r\nabc\r\n0\r\nExpires: 0\r\nX-T:  v v \r\nX-T: w\r\n\r\n",
                 [B(b"abc"), E([("Expires", "0"), ("X-T", "v v"), ("X-T", "w")])]),
    "binary_data": (b"6\r\n\r\n\x00\n\r\n\r\n0\r\n\r\n", [B(b"\r\n\x00\n\r\n"), E()]),
    "many_tiny": (chunked([b"x"] * 2000), [B(b"x" * 2000), E()]),
    "big": (chunked([b"\xaa" * 300_000, b"\xbb" * 5]), [B(b"\xaa" * 300_000 + b"\xbb" * 5), E()]),
    "hex_upper_lower": (b"a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n",
                        [B(b"0123456789abcdefghijk"), E()]),
}


@pytest.mark.parametrize("lax", [False, True], ids=["strict", "lax"])
@pytest.mark.parametrize("case", list(VALID), ids=list(VALID))
def test_valid(twin, case, lax):
    data, expected = VALID[case]
    out = check_splits(dec(twin, lax=lax), data, eof=True)
    assert out.error is None
    assert_events(out.events, expected)
    assert out.state["done"] is True
    assert out.state["tail"] == b""


@pytest.mark.parametrize("tail", [b"X", b"HTTP/1.1 200 OK\r\n\r\n", b"0\r\n\r\n"])
def test_tail_after_end(twin, tail):
    out = check_splits(dec(twin), b"3\r\nabc\r\n0\r\n\r\n" + tail, eof=True)
    assert out.error is None
    assert_events(out.events, [B(b"abc"), E()])
    assert out.state == {"done": True, "tail": tail}


def test_done_flag_progress(twin):
    d = twin.ChunkedDecoder()
    assert d.done is False and d.tail == b""
    assert normalize(d.feed_data(b"3\r\nab")) == [{"type": "body", "data": b"ab"}]
    assert d.done is False
    assert normalize(d.feed_data(b"c\r\n0\r\n")) == [{"type": "body", "data": b"c"}]
    assert d.done is False
    assert d.feed_data(b"T: 1\r\n") == []
    assert d.done is False
    evs = normalize(d.feed_data(b"\r\nrest"))
    assert evs == [{"type": "eom", "trailers": [("T", "1")]}]
    assert d.done is True
    assert d.tail == b"rest"
    assert d.feed_eof() == []


def test_bare_lf_lax_accepted(twin):
    data = b"3\nabc\n2;e=1\nde\r\n0\nX: y\n\n"
    out = check_splits(dec(twin, lax=True), data, eof=True)
    assert out.error is None
    assert_events(out.events, [B(b"abcde"), E([("X", "y")])])


@pytest.mark.parametrize("data", [
    b"3\r\nabc\n0\r\n\r\n",          # after chunk data
    b"3\r\nabc\r\n0\r\n\r\n"[:0] + b"3\r\nabcX",  # junk after data
], ids=["lf_after_data", "junk_after_data"])
def test_strict_after_data(twin, data):
    out = check_splits(dec(twin, lax=False), data, eof=False)
    assert out.error is TransferEncodingError


@pytest.mark.parametrize("data", [
    b"3\nabc\r\n0\r\n\r\n",          # chunk-size line
    b"0\r\nX: y\n\r\n",              # trailer line
    b"0\r\n\n",                      # last empty line
], ids=["size_line", "trailer_line", "final_line"])
def test_strict_bare_lf_rejected(twin, data):
    # Contract: strict decoding does not accept bare LF (exact class is not spelled out for
    # these lines; they must raise a BadHttpMessage and the twins must agree).
    out = check_splits(dec(twin, lax=False), data, eof=False)
    assert out.error is not None and issubclass(out.error, BadHttpMessage)
    out2 = check_splits(dec(twin, lax=True), data, eof=False)
    assert out2.error is None


ERRORS = {
    "non_hex": (b"g\r\n", TransferEncodingError),
    "empty_size": (b"\r\n", TransferEncodingError),
    "negative": (b"-1\r\n", TransferEncodingError),
    "leading_space": (b" 1\r\nx\r\n", TransferEncodingError),
    "0x_prefix": (b"0x1\r\nx\r\n", TransferEncodingError),
    "overflow_2_63": (b"8000000000000000\r\n", TransferEncodingError),
    "overflow_long": (b"1" + b"0" * 16 + b"\r\n", TransferEncodingError),
    "ext_ctl": (b"1;a\x01\r\nx\r\n", TransferEncodingError),
    "missing_crlf_after_data": (b"1\r\nxy\r\n", TransferEncodingError),
    "cr_without_lf_after_data": (b"1\r\nx\ry", TransferEncodingError),
    "trailer_obs_fold": (b"0\r\nA: b\r\n c\r\n\r\n", InvalidHeader),
    "trailer_obs_fold_first": (b"0\r\n c\r\n\r\n", InvalidHeader),
    "trailer_no_colon": (b"0\r\nABC\r\n\r\n", InvalidHeader),
    "trailer_space_before_colon": (b"0\r\nA : b\r\n\r\n", InvalidHeader),
    "trailer_empty_name": (b"0\r\n: b\r\n\r\n", InvalidHeader),
    "trailer_nul": (b"0\r\nA: \x00\r\n\r\n", InvalidHeader),
    "trailer_bare_cr": (b"0\r\nA: b\rc\r\n\r\n", TransferEncodingError),
}


@pytest.mark.parametrize("lax", [False, True], ids=["strict", "lax"])
@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_errors(twin, case, lax):
    data, cls = ERRORS[case]
    out = check_splits(dec(twin, lax=lax), data, eof=False)
    assert out.error is cls, f"expected {cls.__name__}, got {out.error}"


def test_max_size_ok(twin):
    d = twin.ChunkedDecoder()
    evs = normalize(d.feed_data(b"7fffffffffffffff\r\nabc"))
    assert evs == [{"type": "body", "data": b"abc"}]
    assert d.done is False


@pytest.mark.parametrize("data", [
    b"", b"3", b"3\r\n", b"3\r\na", b"3\r\nabc", b"3\r\nabc\r\n", b"3\r\nabc\r\n0",
    b"3\r\nabc\r\n0\r\n", b"0\r\nX: y\r\n", b"0\r\nX: y",
], ids=lambda d: repr(d)[2:-1] or "nothing")
def test_feed_eof_before_done(twin, data):
    out = check_splits(dec(twin), data, eof=True)
    assert out.error is TransferEncodingError


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_size_line(twin, over):
    line = b"1;" + b"e" * (30 + over - 2)
    out = check_splits(dec(twin, max_line_size=30), line + b"\r\nx\r\n0\r\n\r\n", eof=True)
    assert out.error is (LineTooLong if over else None)


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_trailer_field(twin, over):
    line = b"T:" + b"v" * (30 + over - 2)
    out = check_splits(dec(twin, max_field_size=30), b"0\r\n" + line + b"\r\n\r\n", eof=True)
    assert out.error is (LineTooLong if over else None)


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_trailer_count(twin, over):
    trailers = b"".join(b"T%d: v\r\n" % i for i in range(4 + over))
    out = check_splits(dec(twin, max_headers=4), b"0\r\n" + trailers + b"\r\n", eof=True)
    assert out.error is (BadHttpMessage if over else None)


def test_long_size_line_bytewise_raises_early(twin):
    d = twin.ChunkedDecoder(max_line_size=50)
    n = None
    for i in range(1, 100_001):
        try:
            d.feed_data(b"0")
        except LineTooLong:
            n = i
            break
    assert n is not None and 50 < n <= 52, n


def test_broken_stays_broken(twin):
    d = twin.ChunkedDecoder()
    with pytest.raises(TransferEncodingError):
        d.feed_data(b"zz\r\n")
    with pytest.raises(TransferEncodingError):
        d.feed_data(b"0\r\n\r\n")
    with pytest.raises(TransferEncodingError):
        d.feed_eof()


def test_pieces_are_bytes(twin):
    d = twin.ChunkedDecoder()
    raw = []
    for chunk in (bytearray(b"5\r\nhel"), memoryview(b"lo\r\n3\r\nabc\r\n0\r\n\r\n")):
        raw.extend(d.feed_data(chunk))
    out = run(twin.ChunkedDecoder(), [b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"])
    assert normalize(raw) == out.events
    assert all(type(e) is bytes for e in raw[:-1])
