"""Conformance of both parser twins to docs/parser.md: valid messages.

Every case runs against each twin (fixture `twin`, ids python/cython) and is fed whole, one
byte at a time, and in several seeded random splits; all splits must agree (see
parser_cases.check_splits). Errors, limits and end of input are in test_parser_errors.py.
"""

from __future__ import annotations

import pytest
from multidict import CIMultiDictProxy

from fasthttp import hdrs
from fasthttp.http_types import HttpVersion
from parser_cases import B, E, Q, R, assert_events, check_splits, chunked, response, run

CRLF = b"\r\n"


def resp(twin, **kw):
    head_request = kw.pop("head_request", False)

    def make():
        p = twin.HttpResponseParser(**kw)
        if head_request:
            p.head_request = True
        return p

    return make


def req(twin, **kw):
    return lambda: twin.HttpRequestParser(**kw)


# --------------------------------------------------------------------------- response cases

# Chunk-size lines with every shape RFC 9112 §7.1.1 allows:
#   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
# BWS before each ";" and around each "=", token or quoted-string values (with quoted-pairs,
# ";" "=" and obs-text inside the quotes), uppercase hex and leading zeros.
CHUNK_EXT_LINES = [
    b"1;a", b"1 ;a", b"1\t;a", b"1 \t ; \t a", b"1;a=b", b"1;a = b", b"1;a\t=\tb",
    b"1;a;b;c", b"1 ; a ; b=c ;d", b'1;a=""', b'1;a="q v"', b'1;a = "x" ; b',
    b'1;a="\\"\\\\;= \t\x80\xff\\\x80\\\t"', b"1;!#$%&'*+-.^_`|~09azAZ=!#$%&'*+-.^_`|~09azAZ",
    b"0001;A=1", b"1;a=b;c=\"d\"",
]
CHUNK_EXT_DATA = bytes(65 + i for i in range(len(CHUNK_EXT_LINES)))
CHUNK_EXT_BODY = b"".join(
    line + b"\r\n" + CHUNK_EXT_DATA[i:i + 1] + b"\r\n" for i, line in enumerate(CHUNK_EXT_LINES)
) + b'0 ; last ; q="end"\r\nX-T: 1\r\n\r\n'

TEN_HEADERS = [
    (b"Server", b"nginx/1.25"),
    (b"Date", b"Mon, 01 Jan 2024 00:00:00 GMT"),
    (b"Content-Type", b"text/html; charset=utf-8"),
    (b"Content-Length", b"5"),
    (b"Connection", b"keep-alive"),
    (b"Cache-Control", b"no-cache, no-store"),
    (b"X-Custom", b"abc def"),
    (b"Set-Cookie", b"a=1; Path=/"),
    (b"Set-Cookie", b"b=2"),
    (b"ETag", b'"xyz"'),
]


def _h(pairs):
    return [(k.decode(), v.decode()) for k, v in pairs]


BODY_1M = bytes(range(256)) * 4096  # 1 MiB

RESPONSE_CASES = {
    "simple_10_headers": (
        response(b"HTTP/1.1 200 OK", TEN_HEADERS, b"hello"),
        {},
        [R(version=(1, 1), status=200, reason="OK", headers=_h(TEN_HEADERS),
           raw_headers=tuple(TEN_HEADERS), keep_alive=True, chunked=False,
           content_length=5, upgrade=False, content_encoding=None),
         B(b"hello"), E()],
    ),
    "content_length_body": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz",
        {},
        [R(status=200, content_length=26, chunked=False, keep_alive=True),
         B(b"abcdefghijklmnopqrstuvwxyz"), E()],
    ),
    "content_length_binary_body_with_crlf": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n\r\n\x00\n\r\xff\r\n",
        {},
        [R(content_length=8), B(b"\r\n\x00\n\r\xff\r\n"), E()],
    ),
    "content_length_leading_zeros": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567",
        {},
        [R(content_length=7), B(b"1234567"), E()],
    ),
    "zero_length_body": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(status=200, content_length=0, keep_alive=True), E()],
    ),
    "chunked_extensions_trailers": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;foo=bar\r\nhello\r\n"
        b"6 ;a=b;c=\"q v\"\r\n world\r\n"
        b"1\t;x\r\n!\r\n"
        b"A\r\n0123456789\r\n"
        b"0;last=1\r\nExpires: never\r\nX-Trailer:  t  \r\n\r\n",
        {},
        [R(chunked=True, content_length=None, keep_alive=True),
         B(b"hello world!0123456789"),
         E([("Expires", "never"), ("X-Trailer", "t")])],
    ),
    "chunked_uppercase_hex_and_leading_zeros": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0000B\r\nhello world\r\n00\r\n\r\n",
        {},
        [R(chunked=True), B(b"hello world"), E()],
    ),
    "chunked_ext_grammar": (  # RFC 9112 §7.1.1, every shape the grammar allows (item 14)
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNK_EXT_BODY,
        {},
        [R(chunked=True), B(CHUNK_EXT_DATA), E([("X-T", "1")])],
    ),
    "chunked_coding_case_and_ows": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding:  CHUNKED \r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        {},
        [R(chunked=True), B(b"abc"), E()],
    ),
    "chunked_huge_chunk_1MiB": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked([BODY_1M]),
        {},
        [R(chunked=True), B(BODY_1M), E()],
    ),
    "content_length_1MiB": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n" + BODY_1M,
        {},
        [R(content_length=1048576), B(BODY_1M), E()],
    ),
    "chunked_tiny_chunks": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked([bytes([65 + i % 26]) for i in range(1500)]),
        {},
        [R(chunked=True), B(bytes(65 + i % 26 for i in range(1500))), E()],
    ),
    "close_delimited": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this until EOF\r\n\r\nHTTP/1.1",
        {},
        [R(keep_alive=False, chunked=False, content_length=None),
         B(b"all of this until EOF\r\n\r\nHTTP/1.1"), E()],
    ),
    "close_delimited_keep_alive_header_ignored": (
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nxyz",
        {},
        [R(keep_alive=False), B(b"xyz"), E()],
    ),
    "close_delimited_empty": (
        b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n",
        {},
        [R(keep_alive=False), E()],
    ),
    "pipelined_mixed_framing": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
        b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n"
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.0 404 Not Found\r\n\r\nrest until eof",
        {},
        [R(status=200), B(b"abc"), E(),
         R(status=201, chunked=True), B(b"de"), E([("T", "1")]),
         R(status=204, content_length=7), E(),
         R(status=304, content_length=12), E(),
         R(status=100), E(),
         R(status=200, content_length=0), E(),
         R(status=404, version=(1, 0), reason="Not Found", keep_alive=False),
         B(b"rest until eof"), E()],
    ),
    "continue_100_then_final": (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        {},
        [R(status=100, reason="Continue", upgrade=False), E(), R(status=200), B(b"ok"), E()],
    ),
    "early_hints_103": (
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n"
        b"Link: </script.js>; rel=preload\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </x.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nLink: </style.css>\r\n\r\nhi",
        {},
        [R(status=103, reason="Early Hints",
           headers=[("Link", "</style.css>; rel=preload; as=style"),
                    ("Link", "</script.js>; rel=preload")]), E(),
         R(status=103), E(),
         R(status=200, content_length=2), B(b"hi"), E()],
    ),
    "interim_1xx_with_content_length_has_no_body": (
        b"HTTP/1.1 199 Whatever\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        {},
        [R(status=199, content_length=5), E(), R(status=200), B(b"x"), E()],
    ),
    "status_204_with_content_length": (
        b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        {},
        [R(status=204, content_length=10, keep_alive=True), E(),
         R(status=200), B(b"x"), E()],
    ),
    "status_304_with_content_length": (
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\nETag: \"a\"\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny",
        {},
        [R(status=304, content_length=1000, keep_alive=True), E(),
         R(status=200), B(b"y"), E()],
    ),
    "status_204_without_framing_is_not_close_delimited": (
        b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz",
        {},
        [R(status=204, keep_alive=True), E(), R(status=200), B(b"z"), E()],
    ),
    "head_request_content_length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"HTTP/1.1 200 OK\r\n\r\n",
        {"head_request": True},
        [R(content_length=100, keep_alive=True), E(),
         R(chunked=True), E(),
         R(content_length=None, keep_alive=True), E()],
    ),
    "http10_no_keep_alive": (
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        {},
        [R(version=(1, 0), keep_alive=False), B(b"ok"), E()],
    ),
    "http10_keep_alive": (
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nok"
        b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: foo, keep-alive\r\n\r\n",
        {},
        [R(version=(1, 0), keep_alive=True), B(b"ok"), E(),
         R(version=(1, 0), keep_alive=True), E()],
    ),
    "http10_keep_alive_close_delimited": (
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc",
        {},
        [R(version=(1, 0), keep_alive=False), B(b"abc"), E()],
    ),
    "http11_connection_close": (
        b"HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na",
        {},
        [R(keep_alive=True), E(), R(keep_alive=False), B(b"a"), E()],
    ),
    "http11_connection_close_token_in_list": (
        b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive , CLOSE\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(keep_alive=False), E()],
    ),
    # An interim response never ends the connection, whatever its Connection header says.
    "interim_1xx_with_connection_close": (
        b"HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n"
        b"HTTP/1.0 103 Early Hints\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        {},
        [R(status=100, keep_alive=False), E(), R(status=103, keep_alive=False), E(),
         R(status=200, keep_alive=True), B(b"x"), E()],
    ),
    "transfer_encoding_not_chunked_reads_to_eof": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
        {},
        [R(chunked=False, content_length=None, keep_alive=False),
         B(b"5\r\nabcde\r\n0\r\n\r\n"), E()],
    ),
    "transfer_encoding_chunked_then_gzip_reads_to_eof": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nbody",
        {},
        [R(chunked=False, keep_alive=False), B(b"body"), E()],
    ),
    "bare_lf_response": (
        b"HTTP/1.1 200 OK\nContent-Type: a\nContent-Length: 2\n\nok"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\n\r\n3\nabc\n2\r\nde\r\n0\nX: y\n\n"
        b"\nHTTP/1.1 204 OK\n\n",
        {},
        [R(headers=[("Content-Type", "a"), ("Content-Length", "2")], content_length=2),
         B(b"ok"), E(),
         R(chunked=True), B(b"abcde"), E([("X", "y")]),
         R(status=204), E()],
    ),
    "obs_fold_response": (
        b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n   b  \r\n\tc\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(headers=[("X-Folded", "a b c"), ("Content-Length", "0")],
           raw_headers=((b"X-Folded", b"a b c"), (b"Content-Length", b"0"))), E()],
    ),
    "empty_lines_before_status_line": (
        b"\r\n\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(status=200), B(b"x"), E(), R(status=200), E()],
    ),
    "single_empty_line_before_status_line": (
        b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(status=200), E()],
    ),
    "single_bare_lf_before_status_line": (
        b"\nHTTP/1.1 100 Continue\r\n\r\n",
        {},
        [R(status=100), E()],
    ),
    "value_ows_stripped": (
        b"HTTP/1.1 200 OK\r\nX-A:   a  b \t \r\nX-B:\t\tv\t\r\nX-Empty:\r\nX-Sp: \r\nContent-Length:   0  \r\n\r\n",
        {},
        [R(headers=[("X-A", "a  b"), ("X-B", "v"), ("X-Empty", ""), ("X-Sp", ""),
                    ("Content-Length", "0")],
           raw_headers=((b"X-A", b"a  b"), (b"X-B", b"v"), (b"X-Empty", b""), (b"X-Sp", b""),
                        (b"Content-Length", b"0")),
           content_length=0), E()],
    ),
    "content_encoding_lowercased": (
        b"HTTP/1.1 200 OK\r\nContent-Encoding:  GZip \r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(content_encoding="gzip", headers=[("Content-Encoding", "GZip"), ("Content-Length", "0")]),
         E(), R(content_encoding=None), E()],
    ),
    "repeated_equal_content_length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        {},
        [R(content_length=3), B(b"abc"), E()],
    ),
    "content_length_list_equal": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 42, 42\r\n\r\n" + b"x" * 42,
        {},
        [R(content_length=42, headers=[("Content-Length", "42, 42")]), B(b"x" * 42), E()],
    ),
    "content_length_max_int64": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\nabc",
        {},
        [R(content_length=2**63 - 1), B(b"abc")],  # body incomplete: no EOF fed
    ),
    "reason_absent_and_odd": (
        b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.1 404 Not  Found\tReally\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.1 599 \xc3\xa9t\xe9 \x80\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.1 999 Max\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.1 100 \r\n\r\n",
        {},
        [R(status=200, reason=""), E(),
         R(status=404, reason="Not  Found\tReally"), E(),
         R(status=599, reason="\u00e9t\udce9 \udc80"), E(),
         R(status=999, reason="Max"), E(),
         R(status=100), E()],
    ),
    "version_1_x": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.9 200 OK\r\nContent-Length: 0\r\n\r\n"
        b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(version=(1, 1)), E(), R(version=(1, 9)), E(), R(version=(1, 0)), E()],
    ),
    "response_values_allow_ctl_and_obs_text": (
        b"HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\x7fc\x1bd\r\nX-Obs: caf\xc3\xa9 \xff\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(headers=[("X-Ctl", "a\x01b\x7fc\x1bd"), ("X-Obs", "caf\u00e9 \udcff"),
                    ("Content-Length", "0")],
           raw_headers=((b"X-Ctl", b"a\x01b\x7fc\x1bd"), (b"X-Obs", b"caf\xc3\xa9 \xff"),
                        (b"Content-Length", b"0"))), E()],
    ),
    "response_upgrade_only_for_101": (
        b"HTTP/1.1 200 OK\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(upgrade=False), E()],
    ),
    "header_name_all_tchars": (
        b"HTTP/1.1 200 OK\r\n!#$%&'*+-.^_`|~09azAZ: v\r\nContent-Length: 0\r\n\r\n",
        {},
        [R(headers=[("!#$%&'*+-.^_`|~09azAZ", "v"), ("Content-Length", "0")]), E()],
    ),
}


NO_EOF = {"content_length_max_int64"}  # body incomplete on purpose


def _ends_connection(events, eof=True):
    """Whether the last complete message of a case ends the connection (the parser is closed)."""
    if not eof or events[-1]["type"] != "eom":
        return False
    heads = [e for e in events if e["type"] in ("request", "response")
             and not (e["type"] == "response" and e["status"] < 200)]
    return bool(heads) and not heads[-1]["keep_alive"] and not heads[-1]["upgrade"]


@pytest.mark.parametrize("case", list(RESPONSE_CASES), ids=list(RESPONSE_CASES))
def test_response_case(twin, case):
    data, kw, expected = RESPONSE_CASES[case]
    # EOF after the input: ends close-delimited bodies, and is a no-op between messages.
    out = check_splits(resp(twin, **kw), data, eof=case not in NO_EOF)
    assert out.error is None, f"unexpected {out.error}"
    assert_events(out.events, expected)
    assert out.state.get("upgraded") is False
    assert out.state.get("tail") == b""
    assert out.state.get("closed") is _ends_connection(out.events, case not in NO_EOF)


def test_close_delimited_needs_eof(twin):
    data = b"HTTP/1.1 200 OK\r\n\r\nabc"
    out = check_splits(resp(twin), data, eof=False)
    assert out.error is None
    assert_events(out.events, [R(keep_alive=False), B(b"abc")])
    p = twin.HttpResponseParser()
    assert_events(normalize_all(p.feed_data(data)), [R(keep_alive=False), B(b"abc")])
    assert_events(normalize_all(p.feed_data(b"def")), [B(b"def")])
    assert_events(normalize_all(p.feed_eof()), [E()])


def test_feed_eof_between_messages_returns_empty(twin):
    p = twin.HttpResponseParser()
    assert p.feed_eof() == []
    p = twin.HttpResponseParser()
    evs = p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
    assert len(evs) == 3
    assert p.feed_eof() == []
    p = twin.HttpRequestParser()
    p.feed_data(b"GET / HTTP/1.1\r\n\r\n")
    assert p.feed_eof() == []


# --------------------------------------------------------------------------- upgrade

UPGRADE_RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
)


@pytest.mark.parametrize("tail", [b"", b"\x81\x05hello", b"HTTP/1.1 200 OK\r\n\r\n"])
def test_upgrade_101_tail(twin, tail):
    out = check_splits(resp(twin), UPGRADE_RESPONSE + tail, eof=True)
    assert out.error is None
    assert_events(out.events, [R(status=101, upgrade=True), E()])
    assert out.state["upgraded"] is True
    assert out.state["tail"] == tail


def test_upgrade_101_later_feeds_go_to_tail(twin):
    p = twin.HttpResponseParser()
    assert p.upgraded is False
    assert p.tail == b""
    evs = normalize_all(p.feed_data(UPGRADE_RESPONSE + b"ab"))
    assert_events(evs, [R(status=101, upgrade=True), E()])
    assert p.upgraded is True
    assert p.tail == b"ab"
    assert p.feed_data(b"HTTP/1.1 200 OK\r\n\r\n") == []
    assert p.feed_data(b"\x00\xff") == []
    assert p.tail == b"abHTTP/1.1 200 OK\r\n\r\n\x00\xff"
    assert p.feed_eof() == []
    assert p.upgraded is True


def normalize_all(evs):
    from parser_cases import normalize
    return normalize(evs)


REQUEST_UPGRADES = {
    "connect": (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", True),
    "websocket": (b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n"
                  b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", True),
    "upgrade_token_case": (b"GET / HTTP/1.1\r\nconnection: UPGRADE\r\nupgrade: h2c\r\n\r\n", True),
    "connection_upgrade_without_upgrade_header": (
        b"GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", False),
    "upgrade_header_without_connection_token": (
        b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", False),
    "upgrade_header_with_connection_close": (
        b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n", False),
}


@pytest.mark.parametrize("case", list(REQUEST_UPGRADES), ids=list(REQUEST_UPGRADES))
def test_request_upgrade(twin, case):
    data, upgrade = REQUEST_UPGRADES[case]
    tail = b"\x16\x03\x01 tls or ws bytes GET / HTTP/1.1\r\n\r\n"
    out = check_splits(req(twin), data + (tail if upgrade else b""), eof=True)
    assert out.error is None
    assert_events(out.events[:2], [Q(upgrade=upgrade), E()])
    assert out.state["upgraded"] is upgrade
    assert out.state["tail"] == (tail if upgrade else b"")
    if upgrade:
        assert len(out.events) == 2


def test_request_upgrade_after_body(twin):
    data = (b"POST /up HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: foo\r\nContent-Length: 3\r\n\r\n"
            b"abcxyz")
    out = check_splits(req(twin), data, eof=True)
    assert out.error is None
    assert_events(out.events, [Q(upgrade=True, content_length=3), B(b"abc"), E()])
    assert out.state == {"upgraded": True, "closed": False, "tail": b"xyz"}


def test_request_upgrade_later_feeds_go_to_tail(twin):
    p = twin.HttpRequestParser()
    evs = p.feed_data(b"CONNECT h:1 HTTP/1.1\r\n\r\n")
    assert len(evs) == 2
    assert p.upgraded is True
    assert p.feed_data(b"junk \x00\r\n") == []
    assert p.tail == b"junk \x00\r\n"
    assert p.feed_eof() == []


# --------------------------------------------------------------------------- head_request

def test_head_request_toggle(twin):
    p = twin.HttpResponseParser()
    assert p.head_request is False
    p.head_request = True
    evs = normalize_all(p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"))
    assert_events(evs, [R(content_length=10), E()])
    p.head_request = False
    assert p.head_request is False
    evs = normalize_all(p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"))
    assert_events(evs, [R(content_length=3), B(b"abc"), E()])
    assert p.feed_eof() == []


# --------------------------------------------------------------------------- header keys

def _all_known_response(casefn):
    lines = [b"HTTP/1.1 200 OK"]
    for i, h in enumerate(hdrs.KNOWN_HEADERS):
        name = casefn(str(h), i).encode()
        if h in (hdrs.CONTENT_LENGTH, hdrs.TRANSFER_ENCODING, hdrs.CONNECTION, hdrs.UPGRADE,
                 hdrs.CONTENT_ENCODING):
            value = {hdrs.CONTENT_LENGTH: b"0", hdrs.TRANSFER_ENCODING: b"chunked",
                     hdrs.CONNECTION: b"keep-alive", hdrs.UPGRADE: b"x",
                     hdrs.CONTENT_ENCODING: b"br"}[h]
        else:
            value = b"v%d" % i
        lines.append(name + b": " + value)
    return lines


CASINGS = {
    "canonical": lambda s, i: s,
    "lower": lambda s, i: s.lower(),
    "upper": lambda s, i: s.upper(),
    "mixed": lambda s, i: "".join(c.upper() if (j + i) % 2 else c.lower() for j, c in enumerate(s)),
}


@pytest.mark.parametrize("casing", list(CASINGS))
def test_known_header_keys_are_shared_istr(twin, casing):
    # Every known name (minus framing conflicts) in one response; keys must be the very istr
    # objects of hdrs.KNOWN_HEADERS, spelled canonically, whatever the wire case.
    lines = [ln for ln in _all_known_response(CASINGS[casing])
             if not ln.lower().startswith((b"content-length:", b"upgrade:"))]
    data = b"\r\n".join(lines) + b"\r\n\r\n0\r\n\r\n"
    p = twin.HttpResponseParser(max_headers=200)
    evs = p.feed_data(data)
    head = evs[0]
    assert isinstance(head.headers, CIMultiDictProxy)
    known = {str(h).lower(): h for h in hdrs.KNOWN_HEADERS}
    keys = list(head.headers.keys())
    assert len(keys) == len(lines) - 1
    for key, line in zip(keys, lines[1:]):
        wire = line.split(b":", 1)[0].decode()
        expect = known[wire.lower()]
        assert key is expect, f"{wire!r}: key {key!r} is not hdrs object {expect!r}"
        assert str(key) == str(expect)
    # raw_headers keep the wire spelling
    assert [k for k, _ in head.raw_headers] == [ln.split(b":", 1)[0] for ln in lines[1:]]


def test_known_and_unknown_keys_in_one_head(twin):
    data = (b"GET / HTTP/1.1\r\ncontent-type: a\r\nX-Unknown-HeAdEr: b\r\nhOST: h\r\n"
            b"x-request-id: 1\r\nwww-authenticate: w\r\netag: e\r\n\r\n")
    for make in (req(twin),):
        out = check_splits(make, data)
        assert out.error is None
        assert out.events[0]["headers"] == [
            ("Content-Type", "a"), ("X-Unknown-HeAdEr", "b"), ("Host", "h"),
            ("X-Request-ID", "1"), ("WWW-Authenticate", "w"), ("ETag", "e")]
    head = twin.HttpRequestParser().feed_data(data)[0]
    keys = list(head.headers.keys())
    assert keys[0] is hdrs.CONTENT_TYPE
    assert keys[2] is hdrs.HOST
    assert keys[3] is hdrs.X_REQUEST_ID
    assert keys[4] is hdrs.WWW_AUTHENTICATE
    assert keys[5] is hdrs.ETAG
    assert str(keys[1]) == "X-Unknown-HeAdEr"
    assert head.headers["CONTENT-TYPE"] == "a"
    assert head.headers[hdrs.HOST] == "h"
    assert head.raw_headers == ((b"content-type", b"a"), (b"X-Unknown-HeAdEr", b"b"),
                                (b"hOST", b"h"), (b"x-request-id", b"1"),
                                (b"www-authenticate", b"w"), (b"etag", b"e"))


def test_event_types(twin):
    from fasthttp.http_types import HttpVersion as HV

    p = twin.HttpResponseParser()
    evs = p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: y\r\n\r\nabc")
    head, body, eom = evs
    assert isinstance(head, twin.ResponseHead)
    assert isinstance(head.version, HV) and head.version == (1, 1)
    assert head.version.major == 1 and head.version.minor == 1
    assert type(head.status) is int and type(head.reason) is str
    assert isinstance(head.headers, CIMultiDictProxy)
    assert type(head.raw_headers) is tuple
    assert all(type(k) is bytes and type(v) is bytes for k, v in head.raw_headers)
    assert type(head.keep_alive) is bool and type(head.chunked) is bool
    assert type(head.upgrade) is bool and type(head.content_length) is int
    assert type(body) is bytes
    assert isinstance(eom, twin.EndOfMessage)
    assert isinstance(eom.trailers, CIMultiDictProxy) and len(eom.trailers) == 0

    q = twin.HttpRequestParser()
    head, eom = q.feed_data(b"GET /x HTTP/1.0\r\n\r\n")
    assert isinstance(head, twin.RequestHead)
    assert isinstance(head.version, HttpVersion) and head.version == (1, 0)
    assert type(head.method) is str and type(head.target) is str
    assert head.content_length is None and head.content_encoding is None
    assert isinstance(eom, twin.EndOfMessage)


@pytest.mark.parametrize("kind", ["bytearray", "memoryview"])
def test_bytes_like_input_gives_bytes_pieces(twin, kind):
    conv = bytearray if kind == "bytearray" else memoryview
    data = (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd"
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"
            b"HTTP/1.1 200 OK\r\n\r\ntail")
    ref = run(twin.HttpResponseParser(), [data])
    p = twin.HttpResponseParser()
    got = run(p, [conv(data[:40]), conv(data[40:90]), conv(data[90:])])
    assert got.events == ref.events
    assert got.error is None and ref.error is None
    # run() already asserted every body piece is a non-empty `bytes` (never a view)
    assert [e["type"] for e in got.events].count("body") == 3


def test_events_are_read_only(twin):
    head, _ = twin.HttpRequestParser().feed_data(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises((AttributeError, TypeError)):
        head.method = "POST"
    rhead, _ = twin.HttpResponseParser().feed_data(b"HTTP/1.1 204 OK\r\n\r\n")
    with pytest.raises((AttributeError, TypeError)):
        rhead.status = 200


# --------------------------------------------------------------------------- request cases

REQUEST_CASES = {
    "simple_get": (
        b"GET /index.html?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
        [Q(method="GET", target="/index.html?x=1&y=%20", version=(1, 1),
           headers=[("Host", "example.com"), ("Accept", "*/*")],
           raw_headers=((b"Host", b"example.com"), (b"Accept", b"*/*")),
           keep_alive=True, chunked=False, content_length=None, upgrade=False,
           content_encoding=None), E()],
    ),
    "methods": (
        b"".join(m + b" / HTTP/1.1\r\n\r\n" for m in (
            b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"PATCH",
            b"PROPFIND", b"M-SEARCH", b"get", b"!#$%&'*+-.^_`|~09azAZ")),
        [ev for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH",
                      "PROPFIND", "M-SEARCH", "get", "!#$%&'*+-.^_`|~09azAZ")
         for ev in (Q(method=m, target="/"), E())],
    ),
    "targets": (
        b"OPTIONS * HTTP/1.1\r\n\r\n"
        b"GET http://example.com:8080/a/b?c#d HTTP/1.1\r\n\r\n"
        b"GET /caf%C3%A9/%FF?q=%80 HTTP/1.1\r\n\r\n"
        b"GET /!$&'()*+,;=:@-._~%41\"<>[]{}|\\^` HTTP/1.1\r\n\r\n",
        [Q(method="OPTIONS", target="*"), E(),
         Q(target="http://example.com:8080/a/b?c#d"), E(),
         Q(target="/caf%C3%A9/%FF?q=%80"), E(),
         Q(target="/!$&'()*+,;=:@-._~%41\"<>[]{}|\\^`"), E()],
    ),
    # A target is visible ASCII: every byte from 0x21 to 0x7E is accepted (item 16).
    "target_every_visible_ascii_byte": (
        b"GET " + bytes(range(0x21, 0x7F)) + b" HTTP/1.1\r\n\r\n",
        [Q(target=bytes(range(0x21, 0x7F)).decode("ascii")), E()],
    ),
    "body_content_length": (
        b"POST /submit HTTP/1.1\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world"
        b"GET /next HTTP/1.1\r\n\r\n",
        [Q(method="POST", content_length=11), B(b"hello world"), E(),
         Q(method="GET", target="/next"), E()],
    ),
    "body_chunked_with_trailers": (
        b"POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Checksum: abc\r\n\r\n"
        b"GET / HTTP/1.1\r\n\r\n",
        [Q(chunked=True, content_length=None), B(b"Wikipedia"), E([("X-Checksum", "abc")]),
         Q(method="GET"), E()],
    ),
    "no_body_without_framing": (
        b"POST / HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n"
        b"DELETE /x HTTP/1.1\r\n\r\n",
        [Q(method="POST", content_length=None, chunked=False), E(), Q(method="DELETE"), E()],
    ),
    "zero_content_length": (
        b"PUT / HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        [Q(method="PUT", content_length=0), E(), Q(method="GET"), E()],
    ),
    "http10_keep_alive": (
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n\r\n"
        b"GET / HTTP/1.0\r\n\r\n",
        [Q(version=(1, 0), keep_alive=True), E(), Q(version=(1, 1), keep_alive=True), E(),
         Q(version=(1, 0), keep_alive=False), E()],
    ),
    "http11_connection_close": (
        b"GET / HTTP/1.1\r\nConnection: closed\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        [Q(version=(1, 1), keep_alive=True), E(), Q(version=(1, 1), keep_alive=False), E()],
    ),
    "chunked_ext_grammar": (  # RFC 9112 §7.1.1, every shape the grammar allows (item 14)
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNK_EXT_BODY,
        [Q(chunked=True), B(CHUNK_EXT_DATA), E([("X-T", "1")])],
    ),
    "empty_lines_before_request_line": (
        b"\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab\r\nGET /2 HTTP/1.1\r\n\r\n",
        [Q(target="/"), B(b"ab"), E(), Q(target="/2"), E()],
    ),
    "single_empty_line_before_request_line": (
        b"\r\nGET / HTTP/1.1\r\n\r\n",
        [Q(method="GET"), E()],
    ),
    "request_values_htab_and_obs_text": (
        b"GET / HTTP/1.1\r\nX-Tab: a\tb\r\nX-Obs: \xe2\x82\xac\xfe\r\nContent-Encoding: DEFLATE\r\n\r\n",
        [Q(headers=[("X-Tab", "a\tb"), ("X-Obs", "\u20ac\udcfe"), ("Content-Encoding", "DEFLATE")],
           content_encoding="deflate"), E()],
    ),
    "repeated_equal_content_length": (
        b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok",
        [Q(content_length=2), B(b"ok"), E()],
    ),
}


@pytest.mark.parametrize("case", list(REQUEST_CASES), ids=list(REQUEST_CASES))
def test_request_case(twin, case):
    data, expected = REQUEST_CASES[case]
    out = check_splits(req(twin), data, eof=True)
    assert out.error is None, f"unexpected {out.error}"
    assert_events(out.events, expected)
    assert out.state == {"upgraded": False, "closed": _ends_connection(out.events), "tail": b""}


# --------------------------------------------------------------------------- twins agree

@pytest.mark.differential
@pytest.mark.parametrize("case", list(RESPONSE_CASES), ids=list(RESPONSE_CASES))
def test_twins_agree_on_response_cases(twins, case):
    data, kw, _ = RESPONSE_CASES[case]
    py, cy = twins
    a = run(resp(py, **kw)(), [data])
    b = run(resp(cy, **kw)(), [data])
    assert a.key() == b.key()


@pytest.mark.differential
@pytest.mark.parametrize("case", list(REQUEST_CASES), ids=list(REQUEST_CASES))
def test_twins_agree_on_request_cases(twins, case):
    data, _ = REQUEST_CASES[case]
    py, cy = twins
    a = run(py.HttpRequestParser(), [data])
    b = run(cy.HttpRequestParser(), [data])
    assert a.key() == b.key()


@pytest.mark.parametrize("split", ["whole", "bytewise"])
def test_idle_between_messages(twin, split):
    """`idle`: nothing of a next message buffered; stray bytes after a response make it False."""
    parser = twin.HttpResponseParser()
    assert parser.idle
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    pieces = [response] if split == "whole" else [response[i : i + 1] for i in range(len(response))]
    for i, piece in enumerate(pieces):
        parser.feed_data(piece)
        if i < len(pieces) - 1:
            assert not parser.idle  # inside the head or the body
    assert parser.idle
    # A HEAD answer whose server sent a body anyway: the body is the start of "the next" message.
    head = twin.HttpResponseParser()
    head.head_request = True
    events = head.feed_data(response)
    assert [type(e).__name__ for e in events] == ["ResponseHead", "EndOfMessage"]
    assert not head.idle
    # Requests: idle after each of two pipelined requests only once both are complete.
    requests = twin.HttpRequestParser()
    requests.feed_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo")
    assert not requests.idle
    requests.feed_data(b"st: a\r\n\r\n")
    assert requests.idle


def test_idle_is_false_after_an_error(twin):
    parser = twin.HttpResponseParser()
    from fasthttp.http_exceptions import BadStatusLine

    with pytest.raises(BadStatusLine):
        parser.feed_data(b"NOT HTTP\r\n\r\n")
    assert not parser.idle


def test_events_before_an_error_ride_on_the_exception(twin):
    """A good response, then garbage, in one read: the exception carries the good one's events."""
    from fasthttp.http_exceptions import BadStatusLine

    good = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    parser = twin.HttpResponseParser()
    with pytest.raises(BadStatusLine) as info:
        parser.feed_data(good + good + b"GARBAGE\r\n\r\n")
    kinds = [type(e).__name__ for e in info.value.events]
    assert kinds == ["ResponseHead", "bytes", "EndOfMessage"] * 2
    assert info.value.events[1] == b"ok"
    with pytest.raises(BadStatusLine) as again:
        parser.feed_data(b"more")
    assert again.value.events == ()
    # Split: only the events of the call that raised.
    parser = twin.HttpResponseParser()
    assert [type(e).__name__ for e in parser.feed_data(good)] == ["ResponseHead", "bytes", "EndOfMessage"]
    with pytest.raises(BadStatusLine) as info:
        parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxJUNK\r\n\r\n")
    assert [type(e).__name__ for e in info.value.events] == ["ResponseHead", "bytes", "EndOfMessage"]


def test_requests_before_a_bad_one_ride_on_the_exception(twin):
    from fasthttp.http_exceptions import BadHttpMessage

    parser = twin.HttpRequestParser()
    batch = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost : x\r\n\r\n"
    with pytest.raises(BadHttpMessage) as info:
        parser.feed_data(batch)
    heads = [e for e in info.value.events if type(e).__name__ == "RequestHead"]
    assert [h.target for h in heads] == ["/a"]
