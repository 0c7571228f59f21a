"""Conformance of both parser twins to docs/parser.md: errors, limits, end of input.

Each error case is fed whole, one byte at a time and in seeded random splits; every split
must raise exactly the documented class (`type(exc) is cls`, not a subclass), and after the
error every later feed must raise the same class again (checked by parser_cases.run).
"""

from __future__ import annotations

import pytest

from fasthttp.http_exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from parser_cases import B, E, Q, R, assert_events, check_splits, normalize, run

OK = b"HTTP/1.1 200 OK\r\n"


def resp(twin, **kw):
    return lambda: twin.HttpResponseParser(**kw)


def req(twin, **kw):
    return lambda: twin.HttpRequestParser(**kw)


def _expect_error(make, data, cls, *, eof=False, events=None):
    out = check_splits(make, data, eof=eof)
    assert out.error is cls, f"expected {cls.__name__}, got {out.error and out.error.__name__}"
    if events is not None:
        assert_events(out.events, events)
    return out


# --------------------------------------------------------------------------- response errors

RESPONSE_ERRORS = {
    # framing
    "cl_and_te": (OK + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", BadHttpMessage),
    "te_and_cl": (OK + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", BadHttpMessage),
    "te_gzip_and_cl": (OK + b"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n", BadHttpMessage),
    "cl_differing_repeated": (OK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n", InvalidHeader),
    "cl_differing_list": (OK + b"Content-Length: 5, 6\r\n\r\n", InvalidHeader),
    "cl_non_digit": (OK + b"Content-Length: abc\r\n\r\n", InvalidHeader),
    "cl_negative": (OK + b"Content-Length: -1\r\n\r\n", InvalidHeader),
    "cl_plus": (OK + b"Content-Length: +1\r\n\r\n", InvalidHeader),
    "cl_empty": (OK + b"Content-Length:\r\n\r\n", InvalidHeader),
    "cl_blank": (OK + b"Content-Length:   \r\n\r\n", InvalidHeader),
    "cl_hex": (OK + b"Content-Length: 0x10\r\n\r\n", InvalidHeader),
    "cl_inner_space": (OK + b"Content-Length: 1 0\r\n\r\n", InvalidHeader),
    "cl_float": (OK + b"Content-Length: 1.0\r\n\r\n", InvalidHeader),
    "cl_unicode_digit": (OK + "Content-Length: \u0661\r\n\r\n".encode(), InvalidHeader),
    "cl_overflow_2_63": (OK + b"Content-Length: 9223372036854775808\r\n\r\n", InvalidHeader),
    "cl_overflow_huge": (OK + b"Content-Length: " + b"9" * 40 + b"\r\n\r\n", InvalidHeader),
    "te_chunked_twice": (OK + b"Transfer-Encoding: chunked, chunked\r\n\r\n", TransferEncodingError),
    "te_chunked_twice_headers": (
        OK + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        TransferEncodingError),
    "te_gzip_before_chunked": (OK + b"Transfer-Encoding: gzip, chunked\r\n\r\n", TransferEncodingError),
    "te_gzip_before_chunked_headers": (
        OK + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", TransferEncodingError),
    "te_empty_value": (OK + b"Transfer-Encoding: \r\n\r\n", TransferEncodingError),
    "te_empty_coding_trailing": (OK + b"Transfer-Encoding: chunked,\r\n\r\n", TransferEncodingError),
    "te_empty_coding_leading": (OK + b"Transfer-Encoding: , chunked\r\n\r\n", TransferEncodingError),
    "te_empty_coding_middle": (OK + b"Transfer-Encoding: gzip,,chunked\r\n\r\n", TransferEncodingError),
    # chunked body
    "chunk_size_non_hex": (OK + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", TransferEncodingError),
    "chunk_size_0x": (OK + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n", TransferEncodingError),
    "chunk_size_negative": (OK + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n", TransferEncodingError),
    "chunk_size_empty": (OK + b"Transfer-Encoding: chunked\r\n\r\n\r\n", TransferEncodingError),
    "chunk_size_only_ext": (OK + b"Transfer-Encoding: chunked\r\n\r\n;a=b\r\n", TransferEncodingError),
    "chunk_size_leading_space": (OK + b"Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n", TransferEncodingError),
    "chunk_size_overflow_2_63": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n8000000000000000\r\n", TransferEncodingError),
    "chunk_size_overflow_huge": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\n", TransferEncodingError),
    "chunk_size_junk_after_hex": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n", TransferEncodingError),
    "chunk_size_space_then_junk": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n", TransferEncodingError),
    "chunk_ext_nul": (OK + b"Transfer-Encoding: chunked\r\n\r\n5;a\x00b\r\nhello\r\n", TransferEncodingError),
    "chunk_missing_crlf_after_data": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n", TransferEncodingError),
    "chunk_data_too_long": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", TransferEncodingError),
    "chunk_cr_not_lf_after_data": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\rX0\r\n\r\n", TransferEncodingError),
    "chunk_size_bare_cr": (OK + b"Transfer-Encoding: chunked\r\n\r\n5\rX\r\nhello\r\n", TransferEncodingError),
    "chunk_ext_bare_cr": (OK + b"Transfer-Encoding: chunked\r\n\r\n5;a\rb\r\nhello\r\n", TransferEncodingError),
    "trailer_obs_fold": (
        OK + b"Transfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n\r\n", InvalidHeader),
    "trailer_no_colon": (OK + b"Transfer-Encoding: chunked\r\n\r\n0\r\nnocolon\r\n\r\n", InvalidHeader),
    "trailer_nul": (OK + b"Transfer-Encoding: chunked\r\n\r\n0\r\nA: b\x00\r\n\r\n", InvalidHeader),
    # header syntax
    "value_nul": (OK + b"X-A: a\x00b\r\n\r\n", InvalidHeader),
    "value_bare_cr": (OK + b"X-A: a\rb\r\n\r\n", InvalidHeader),
    "value_trailing_bare_cr": (OK + b"X-A: ab\r\rX-B: c\r\n\r\n", InvalidHeader),
    "space_before_colon": (OK + b"Content-Length : 0\r\n\r\n", InvalidHeader),
    "tab_before_colon": (OK + b"X-A\t: b\r\n\r\n", InvalidHeader),
    "missing_colon": (OK + b"NoColonHere\r\n\r\n", InvalidHeader),
    "missing_colon_with_space": (OK + b"No Colon Here\r\n\r\n", InvalidHeader),
    "empty_name": (OK + b": value\r\n\r\n", InvalidHeader),
    "name_paren": (OK + b"X(A): b\r\n\r\n", InvalidHeader),
    "name_slash": (OK + b"X/A: b\r\n\r\n", InvalidHeader),
    "name_quote": (OK + b"X\"A: b\r\n\r\n", InvalidHeader),
    "name_obs_text": (OK + b"X\xe9: b\r\n\r\n", InvalidHeader),
    "name_nul": (OK + b"X\x00A: b\r\n\r\n", InvalidHeader),
    "name_del": (OK + b"X\x7fA: b\r\n\r\n", InvalidHeader),
    "obs_fold_first_line": (OK + b" folded: x\r\n\r\n", InvalidHeader),
    "obs_fold_first_line_tab": (OK + b"\tX-A: b\r\n\r\n", InvalidHeader),
    # status line
    "status_http2": (b"HTTP/2.0 200 OK\r\n\r\n", BadStatusLine),
    "status_two_digits": (b"HTTP/1.1 20 OK\r\n\r\n", BadStatusLine),
    "status_under_100": (b"HTTP/1.1 099 X\r\n\r\n", BadStatusLine),
    "status_000": (b"HTTP/1.1 000 X\r\n\r\n", BadStatusLine),
    "status_httx": (b"HTTX/1.1 200\r\n\r\n", BadStatusLine),
    "status_garbage": (b"garbage\r\n\r\n", BadStatusLine),
    "status_binary_garbage": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", BadStatusLine),
    "status_four_digits": (b"HTTP/1.1 2000 OK\r\n\r\n", BadStatusLine),
    "status_no_space_reason": (b"HTTP/1.1 200OK\r\n\r\n", BadStatusLine),
    "status_double_space": (b"HTTP/1.1  200 OK\r\n\r\n", BadStatusLine),
    "status_tab": (b"HTTP/1.1\t200 OK\r\n\r\n", BadStatusLine),
    "status_tab_before_reason": (b"HTTP/1.1 200\tOK\r\n\r\n", BadStatusLine),
    "status_lowercase_http": (b"http/1.1 200 OK\r\n\r\n", BadStatusLine),
    "status_http09": (b"HTTP/0.9 200 OK\r\n\r\n", BadStatusLine),
    "status_no_minor": (b"HTTP/1 200 OK\r\n\r\n", BadStatusLine),
    "status_two_digit_major": (b"HTTP/11.1 200 OK\r\n\r\n", BadStatusLine),
    "status_two_digit_minor": (b"HTTP/1.10 200 OK\r\n\r\n", BadStatusLine),
    "status_missing": (b"HTTP/1.1\r\n\r\n", BadStatusLine),
    "status_missing_after_space": (b"HTTP/1.1 \r\n\r\n", BadStatusLine),
    "status_negative": (b"HTTP/1.1 -20 OK\r\n\r\n", BadStatusLine),
    "status_hex": (b"HTTP/1.1 2a0 OK\r\n\r\n", BadStatusLine),
    "reason_ctl": (b"HTTP/1.1 200 O\x01K\r\n\r\n", BadStatusLine),
    "reason_nul": (b"HTTP/1.1 200 OK\x00\r\n\r\n", BadStatusLine),
    "reason_del": (b"HTTP/1.1 200 OK\x7f\r\n\r\n", BadStatusLine),
    "status_line_bare_cr": (b"HTTP/1.1 200 O\rK\r\n\r\n", BadHttpMessage),
    "status_line_cr_not_lf": (b"HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", BadHttpMessage),
    "second_message_bad": (
        OK + b"Content-Length: 2\r\n\r\nokHTTP/1.1 2OO OK\r\n\r\n", BadStatusLine),
}


@pytest.mark.parametrize("case", list(RESPONSE_ERRORS), ids=list(RESPONSE_ERRORS))
def test_response_error(twin, case):
    data, cls = RESPONSE_ERRORS[case]
    _expect_error(resp(twin), data, cls)


def test_response_error_events_before_error(twin):
    data = OK + b"Content-Length: 2\r\n\r\nokHTTP/1.1 2OO OK\r\n\r\n"
    _expect_error(resp(twin), data, BadStatusLine, events=[R(status=200), B(b"ok"), E()])


def test_bad_chunk_after_good_data(twin):
    data = OK + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nZ\r\n"
    _expect_error(resp(twin), data, TransferEncodingError, events=[R(chunked=True), B(b"abc")])


# --------------------------------------------------------------------------- request errors

GET = b"GET / HTTP/1.1\r\n"

REQUEST_ERRORS = {
    "cl_and_te": (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                  BadHttpMessage),
    "cl_differing": (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", InvalidHeader),
    "cl_non_digit": (b"POST / HTTP/1.1\r\nContent-Length: 3a\r\n\r\n", InvalidHeader),
    "te_gzip": (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", TransferEncodingError),
    "te_chunked_not_last": (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                            TransferEncodingError),
    "te_gzip_chunked": (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                        TransferEncodingError),
    "te_chunked_twice": (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                         TransferEncodingError),
    "te_empty": (b"POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n", TransferEncodingError),
    "te_identity": (b"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", TransferEncodingError),
    "bare_lf_request_line": (b"GET / HTTP/1.1\nHost: x\r\n\r\n", BadHttpMessage),
    "bare_lf_header_line": (GET + b"Host: x\n\r\n", BadHttpMessage),
    "bare_lf_end_of_head": (GET + b"Host: x\r\n\n", BadHttpMessage),
    "bare_lf_leading_empty_line": (b"\nGET / HTTP/1.1\r\n\r\n", BadHttpMessage),
    "lf_inside_value": (GET + b"X-A: a\nb\r\n\r\n", BadHttpMessage),
    "chunk_data_bare_lf": (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n",
                           TransferEncodingError),
    "obs_fold": (GET + b"X-A: a\r\n b\r\n\r\n", InvalidHeader),
    "obs_fold_first": (GET + b" X-A: a\r\n\r\n", InvalidHeader),
    "value_ctl_01": (GET + b"X-A: a\x01b\r\n\r\n", InvalidHeader),
    "value_ctl_1b": (GET + b"X-A: a\x1b\r\n\r\n", InvalidHeader),
    "value_del": (GET + b"X-A: a\x7fb\r\n\r\n", InvalidHeader),
    "value_nul": (GET + b"X-A: \x00\r\n\r\n", InvalidHeader),
    "value_bare_cr": (GET + b"X-A: a\rb\r\n\r\n", InvalidHeader),
    "space_before_colon": (GET + b"Host : x\r\n\r\n", InvalidHeader),
    "missing_colon": (GET + b"Host x\r\n\r\n", InvalidHeader),
    "empty_name": (GET + b":x\r\n\r\n", InvalidHeader),
    "name_bad_char": (GET + b"Ho{st: x\r\n\r\n", InvalidHeader),
    "method_bad_char_paren": (b"GE(T / HTTP/1.1\r\n\r\n", BadHttpMethod),
    "method_bad_char_brace": (b"G{T / HTTP/1.1\r\n\r\n", BadHttpMethod),
    "method_bad_char_at": (b"G@T / HTTP/1.1\r\n\r\n", BadHttpMethod),
    "method_nul": (b"GE\x00T / HTTP/1.1\r\n\r\n", BadHttpMethod),
    "method_del": (b"GET\x7f / HTTP/1.1\r\n\r\n", BadHttpMethod),
    "method_obs_text": (b"G\xc3\x89T / HTTP/1.1\r\n\r\n", BadHttpMethod),
    "method_tls_hello": (b"\x16\x03\x01\x00\xa5\x01 / HTTP/1.1\r\n\r\n", BadHttpMethod),
    "target_double_space": (b"GET  / HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_space_inside": (b"GET /a b HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_ctl": (b"GET /\x01 HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_del": (b"GET /\x7f HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_tab": (b"GET /\tx HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_nul": (b"GET /\x00 HTTP/1.1\r\n\r\n", BadStatusLine),
    # A target is visible ASCII only (%x21-7E): obs-text is refused at parse time (item 16).
    "target_obs_text_utf8": (b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", BadStatusLine),
    "target_obs_text_80": (b"GET /\x80 HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_obs_text_in_query": (b"GET /a?q=\xff HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_only_obs_text": (b"GET \xff HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_absolute_form_obs_text": (b"GET http://h\xc3\xa9/ HTTP/1.1\r\n\r\n", BadStatusLine),
    "target_obs_text_after_good_request": (
        b"GET /ok HTTP/1.1\r\n\r\nGET /\xe2\x82\xac HTTP/1.1\r\n\r\n", BadStatusLine),
    "version_2": (b"GET / HTTP/2.0\r\n\r\n", BadStatusLine),
    "version_0_9": (b"GET / HTTP/0.9\r\n\r\n", BadStatusLine),
    "version_lowercase": (b"GET / http/1.1\r\n\r\n", BadStatusLine),
    "version_missing": (b"GET /\r\n\r\n", BadStatusLine),
    "version_trailing_space": (b"GET / HTTP/1.1 \r\n\r\n", BadStatusLine),
    "version_two_digit_minor": (b"GET / HTTP/1.10\r\n\r\n", BadStatusLine),
    "version_junk": (b"GET / HTTP/1.x\r\n\r\n", BadStatusLine),
    "request_line_only_method": (b"GET\r\n\r\n", BadStatusLine),
    "request_line_bare_cr": (b"GET /\r HTTP/1.1\r\n\r\n", BadHttpMessage),
    "request_line_cr_not_lf": (b"GET / HTTP/1.1\rHost: x\r\n\r\n", BadHttpMessage),
    "chunk_size_bare_cr": (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\rx\r\nabc\r\n",
                           TransferEncodingError),
}


@pytest.mark.parametrize("case", list(REQUEST_ERRORS), ids=list(REQUEST_ERRORS))
def test_request_error(twin, case):
    data, cls = REQUEST_ERRORS[case]
    _expect_error(req(twin), data, cls)


# Every byte outside %x21-7E but the line's own CR and LF, anywhere in a target (item 16).
_NOT_VISIBLE_ASCII = [b for b in range(256) if not 0x21 <= b <= 0x7E and b not in (0x0A, 0x0D)]


@pytest.mark.parametrize("byte", _NOT_VISIBLE_ASCII, ids=[f"{b:02x}" for b in _NOT_VISIBLE_ASCII])
def test_request_target_byte_refused(twin, byte):
    data = b"GET /ok HTTP/1.1\r\n\r\nGET /a" + bytes([byte]) + b"b?c HTTP/1.1\r\n\r\n"
    _expect_error(req(twin), data, BadStatusLine, events=[Q(target="/ok"), E()])


def test_request_chunk_size_bare_lf_rejected(twin):
    # A strict (request) chunk-size line must end in CRLF. The contract says bare LF in
    # requests is BadHttpMessage (lines) and chunk-size errors are TransferEncodingError;
    # either way the base class is BadHttpMessage and both twins must agree (differential).
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"
    out = check_splits(req(twin), data, eof=False)
    assert out.error is not None and issubclass(out.error, BadHttpMessage)


def test_request_no_body_then_second_request_error(twin):
    data = b"GET / HTTP/1.1\r\n\r\nBAD\x01 / HTTP/1.1\r\n\r\n"
    _expect_error(req(twin), data, BadHttpMethod, events=[Q(method="GET"), E()])


# --------------------------------------------------------------------------- require_host (issue 9 item 10)

HOST_REFUSED = {
    "http11_missing": b"GET / HTTP/1.1\r\nX-A: 1\r\n\r\n",
    "http11_absolute_form_missing": b"GET http://h/ HTTP/1.1\r\n\r\n",
    "http11_twice": b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
    "http11_twice_other_case": b"GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n",
    "http10_twice": b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
}


@pytest.mark.parametrize("case", list(HOST_REFUSED), ids=list(HOST_REFUSED))
def test_require_host_refuses(twin, case):
    # The requests before the bad one are still delivered (a server answers them first).
    data = b"GET /ok HTTP/1.1\r\nHost: h\r\n\r\n" + HOST_REFUSED[case]
    out = _expect_error(req(twin, require_host=True), data, BadHttpMessage,
                        events=[Q(target="/ok"), E()])
    assert out.error is BadHttpMessage
    # Off by default: the parser alone reads what it is given (docs/parser.md).
    assert check_splits(req(twin), data).error is None


@pytest.mark.parametrize("data", [
    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1\r\nhost: \r\n\r\n",  # empty, but one (the authority may be empty)
    b"GET / HTTP/1.0\r\n\r\n",  # HTTP/1.0 needs none
    b"GET / HTTP/1.0\r\nHost: h\r\n\r\n",
], ids=["one", "one_empty", "http10_none", "http10_one"])
def test_require_host_accepts(twin, data):
    out = check_splits(req(twin, require_host=True), data)
    assert out.error is None and len(out.events) == 2


def test_require_host_message(twin):
    with pytest.raises(BadHttpMessage, match="more than one Host header"):
        twin.HttpRequestParser(require_host=True).feed_data(HOST_REFUSED["http11_twice"])
    with pytest.raises(BadHttpMessage, match="HTTP/1.1 request without a Host header"):
        twin.HttpRequestParser(require_host=True).feed_data(HOST_REFUSED["http11_missing"])


# --------------------------------------------------------------------------- broken stays broken

@pytest.mark.parametrize("parser", ["response", "request"])
def test_broken_parser_raises_same_class(twin, parser):
    p = twin.HttpResponseParser() if parser == "response" else twin.HttpRequestParser()
    bad = b"HTTP/1.1 200 OK\r\nX-A: \x00\r\n\r\n" if parser == "response" else GET + b"X-A: \x00\r\n\r\n"
    with pytest.raises(InvalidHeader):
        p.feed_data(bad)
    for _ in range(3):
        with pytest.raises(InvalidHeader) as ei:
            p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        assert type(ei.value) is InvalidHeader
        with pytest.raises(InvalidHeader) as ei:
            p.feed_eof()
        assert type(ei.value) is InvalidHeader


# --------------------------------------------------------------------------- limits

def _status_line(n):
    line = b"HTTP/1.1 200 "
    return line + b"R" * (n - len(line))


def _header_line(n):
    line = b"X-Long:"
    return line + b"v" * (n - len(line))


@pytest.mark.parametrize("limit", [64, 8190])
@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_status_line(twin, limit, over):
    kw = {} if limit == 8190 else {"max_line_size": limit}
    line = _status_line(limit + over)
    assert len(line) == limit + over
    data = line + b"\r\nContent-Length: 0\r\n\r\n"
    out = check_splits(resp(twin, **kw), data, eof=True)
    if over:
        assert out.error is LineTooLong
    else:
        assert out.error is None
        assert_events(out.events, [R(status=200, reason="R" * (limit - 13)), E()])


@pytest.mark.parametrize("limit", [64, 8190])
@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_request_line(twin, limit, over):
    kw = {} if limit == 8190 else {"max_line_size": limit}
    base = b"GET / HTTP/1.1"
    line = b"GET /" + b"a" * (limit + over - len(base)) + b" HTTP/1.1"
    assert len(line) == limit + over
    out = check_splits(req(twin, **kw), line + b"\r\n\r\n", eof=True)
    if over:
        assert out.error is LineTooLong
    else:
        assert out.error is None
        assert_events(out.events, [Q(method="GET"), E()])


@pytest.mark.parametrize("limit", [64, 8190])
@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
@pytest.mark.parametrize("parser", ["response", "request"])
def test_limit_header_line(twin, limit, over, parser):
    kw = {} if limit == 8190 else {"max_field_size": limit}
    line = _header_line(limit + over)
    assert len(line) == limit + over
    if parser == "response":
        make, data = resp(twin, **kw), OK + line + b"\r\nContent-Length: 0\r\n\r\n"
    else:
        make, data = req(twin, **kw), GET + line + b"\r\n\r\n"
    out = check_splits(make, data, eof=True)
    if over:
        assert out.error is LineTooLong
    else:
        assert out.error is None
        assert out.events[0]["headers"][0] == ("X-Long", "v" * (limit - 7))


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_header_line_bare_lf_response(twin, over):
    line = _header_line(50 + over)
    out = check_splits(resp(twin, max_field_size=50), b"HTTP/1.1 200 OK\n" + line + b"\n\n",
                       eof=True)
    assert out.error is (LineTooLong if over else None)


@pytest.mark.parametrize("limit", [20, 8190])
@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
@pytest.mark.parametrize("form", ["zeros", "ext"])
@pytest.mark.parametrize("parser", ["response", "request"])
def test_limit_chunk_size_line(twin, limit, over, form, parser):
    kw = {} if limit == 8190 else {"max_line_size": limit}
    n = limit + over
    size_line = b"0" * (n - 1) + b"5" if form == "zeros" else b"5;" + b"e" * (n - 2)
    assert len(size_line) == n
    body = size_line + b"\r\nhello\r\n0\r\n\r\n"
    if parser == "response":
        make, data = resp(twin, **kw), OK + b"Transfer-Encoding: chunked\r\n\r\n" + body
    else:
        make, data = req(twin, **kw), b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    out = check_splits(make, data, eof=True)
    if over:
        assert out.error is LineTooLong
    else:
        assert out.error is None
        assert_events(out.events, [{"type": parser, "chunked": True}, B(b"hello"), E()])


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
@pytest.mark.parametrize("parser", ["response", "request"])
def test_limit_trailer_line(twin, over, parser):
    line = _header_line(40 + over)
    body = b"3\r\nabc\r\n0\r\n" + line + b"\r\n\r\n"
    if parser == "response":
        make, data = resp(twin, max_field_size=40), OK + b"Transfer-Encoding: chunked\r\n\r\n" + body
    else:
        make = req(twin, max_field_size=40)
        data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    out = check_splits(make, data, eof=True)
    if over:
        assert out.error is LineTooLong
    else:
        assert out.error is None
        assert out.events[-1] == {"type": "eom", "trailers": [("X-Long", "v" * 33)]}


@pytest.mark.parametrize("max_headers", [1, 5, 128])
@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
@pytest.mark.parametrize("parser", ["response", "request"])
def test_limit_max_headers(twin, max_headers, over, parser):
    kw = {} if max_headers == 128 else {"max_headers": max_headers}
    lines = b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(max_headers + over))
    if parser == "response":
        make, data = resp(twin, **kw), OK + lines + b"\r\n"
        eof = False
    else:
        make, data = req(twin, **kw), GET + lines + b"\r\n"
        eof = True
    out = check_splits(make, data, eof=eof)
    if over:
        assert out.error is BadHttpMessage
    else:
        assert out.error is None
        assert len(out.events[0]["headers"]) == max_headers


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_max_headers_counts_obs_fold(twin, over):
    # max_headers=3: one header line + (2 + over) continuation lines.
    data = OK + b"X-A: a\r\n b\r\n c\r\n" + (b" d\r\n" if over else b"") + b"\r\n"
    out = check_splits(resp(twin, max_headers=3), data, eof=False)
    if over:
        assert out.error is BadHttpMessage
    else:
        assert out.error is None
        assert out.events[0]["headers"] == [("X-A", "a b c")]


@pytest.mark.parametrize("size", [49, 50])
def test_limit_field_size_is_per_physical_line_with_obs_fold(twin, size):
    # A 50-byte header line continued by a 50-byte obs-fold line: each physical line is judged
    # on its own (docs/parser.md), so a limit of 50 passes and 49 fails on either line.
    data = OK + b"X-A: " + b"a" * 45 + b"\r\n " + b"b" * 49 + b"\r\nContent-Length: 0\r\n\r\n"
    out = check_splits(resp(twin, max_field_size=size), data, eof=True)
    if size == 49:
        assert out.error is LineTooLong
    else:
        assert out.error is None
        assert out.events[0]["headers"][0] == ("X-A", "a" * 45 + " " + "b" * 49)


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
@pytest.mark.parametrize("parser", ["response", "request"])
def test_limit_max_trailers(twin, over, parser):
    # max_headers=3: 3 header lines and 3 (+over) trailer lines; each section counts alone.
    heads = b"X-1: a\r\nX-2: b\r\nTransfer-Encoding: chunked\r\n\r\n"
    trailers = b"".join(b"T-%d: %d\r\n" % (i, i) for i in range(3 + over))
    body = b"1\r\nz\r\n0\r\n" + trailers + b"\r\n"
    if parser == "response":
        make, data = resp(twin, max_headers=3), OK + heads + body
    else:
        make, data = req(twin, max_headers=3), b"POST / HTTP/1.1\r\n" + heads + body
    out = check_splits(make, data, eof=True)
    if over:
        assert out.error is BadHttpMessage
    else:
        assert out.error is None
        assert out.events[-1] == {"type": "eom",
                                  "trailers": [("T-0", "0"), ("T-1", "1"), ("T-2", "2")]}


def _fed_until_error(p, prefix, filler, n):
    """Feed prefix whole, then filler one byte at a time (at most n bytes). Return count fed."""
    p.feed_data(prefix)
    one = filler[:1]
    for i in range(1, n + 1):
        try:
            p.feed_data(one)
        except LineTooLong:
            return i
    return None


@pytest.mark.parametrize("limit", [100, 8190])
@pytest.mark.parametrize("where", ["header", "trailer", "status_line", "request_line",
                                   "chunk_size", "chunk_ext", "request_header"])
def test_long_line_bytewise_raises_early(twin, limit, where):
    big = 100_000
    if where == "header":
        p = twin.HttpResponseParser(max_field_size=limit)
        prefix, filler, already = OK + b"X-Big: ", b"a", len(b"X-Big: ")
    elif where == "request_header":
        p = twin.HttpRequestParser(max_field_size=limit)
        prefix, filler, already = GET + b"X-Big: ", b"a", len(b"X-Big: ")
    elif where == "trailer":
        p = twin.HttpResponseParser(max_field_size=limit)
        prefix = OK + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX-Big:"
        filler, already = b"a", len(b"X-Big:")
    elif where == "status_line":
        p = twin.HttpResponseParser(max_line_size=limit)
        prefix, filler, already = b"HTTP/1.1 200 ", b"r", len(b"HTTP/1.1 200 ")
    elif where == "request_line":
        p = twin.HttpRequestParser(max_line_size=limit)
        prefix, filler, already = b"GET /", b"a", len(b"GET /")
    elif where == "chunk_size":
        p = twin.HttpResponseParser(max_line_size=limit)
        prefix, filler, already = OK + b"Transfer-Encoding: chunked\r\n\r\n", b"0", 0
    else:
        p = twin.HttpResponseParser(max_line_size=limit)
        prefix, filler, already = OK + b"Transfer-Encoding: chunked\r\n\r\n1;", b"e", 2
    n = _fed_until_error(p, prefix, filler, big)
    assert n is not None, f"no LineTooLong after {big} bytes of one {where} line"
    line_len = already + n
    # The line is over once it holds limit+1 bytes (limit+2 would allow a trailing CR slack).
    assert limit < line_len <= limit + 2, (
        f"LineTooLong raised when the {where} line held {line_len} bytes (limit {limit})"
    )
    with pytest.raises(LineTooLong):
        p.feed_data(b"\r\n")


@pytest.mark.parametrize("parser", ["response", "request"])
def test_long_line_whole_raises(twin, parser):
    if parser == "response":
        p, data = twin.HttpResponseParser(), OK + b"X-Big: " + b"a" * 100_000
    else:
        p, data = twin.HttpRequestParser(), b"GET /" + b"a" * 100_000
    with pytest.raises(LineTooLong) as ei:
        p.feed_data(data)
    assert type(ei.value) is LineTooLong


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
def test_limit_incomplete_line_may_hold_trailing_cr(twin, over):
    # A header line of exactly the limit, then its CR fed alone, then LF: never too long.
    p = twin.HttpResponseParser(max_field_size=30)
    line = _header_line(30 + over)
    p.feed_data(OK)
    try:
        for b in line:
            p.feed_data(bytes([b]))
        p.feed_data(b"\r")
        p.feed_data(b"\n")
        evs = normalize(p.feed_data(b"Content-Length: 0\r\n\r\n"))
    except LineTooLong:
        assert over
    else:
        assert not over
        assert_events(evs, [R(headers=[("X-Long", "v" * 23), ("Content-Length", "0")]), E()])


# --------------------------------------------------------------------------- end of input

EOF_CASES = {
    "response_mid_status_line": (b"HTTP/1.1 2", "response", BadHttpMessage),
    "response_mid_headers": (OK + b"Content-Length: 5\r\n", "response", BadHttpMessage),
    "response_mid_header_line": (OK + b"Content-Len", "response", BadHttpMessage),
    "response_head_missing_last_lf": (OK + b"Content-Length: 5\r\n\r", "response", BadHttpMessage),
    "response_mid_cl_body": (OK + b"Content-Length: 5\r\n\r\nabc", "response", ContentLengthError),
    "response_cl_body_not_started": (OK + b"Content-Length: 5\r\n\r\n", "response", ContentLengthError),
    "response_mid_chunk_size": (OK + b"Transfer-Encoding: chunked\r\n\r\n5", "response",
                                TransferEncodingError),
    "response_mid_chunk_data": (OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nab", "response",
                                TransferEncodingError),
    "response_after_chunk_data": (OK + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", "response",
                                  TransferEncodingError),
    "response_mid_trailers": (OK + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n", "response",
                              TransferEncodingError),
    "response_chunked_no_data": (OK + b"Transfer-Encoding: chunked\r\n\r\n", "response",
                                 TransferEncodingError),
    "request_mid_line": (b"GET / HT", "request", BadHttpMessage),
    "request_mid_headers": (GET + b"Host: x\r\n", "request", BadHttpMessage),
    "request_mid_cl_body": (b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", "request",
                            ContentLengthError),
    "request_mid_chunked": (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab", "request",
                            TransferEncodingError),
    "second_response_mid_head": (OK + b"Content-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n", "response",
                                 BadHttpMessage),
}


@pytest.mark.parametrize("case", list(EOF_CASES), ids=list(EOF_CASES))
def test_eof_error(twin, case):
    data, kind, cls = EOF_CASES[case]
    make = resp(twin) if kind == "response" else req(twin)
    out = check_splits(make, data, eof=True)
    assert out.error is cls, f"expected {cls.__name__}, got {out.error}"
    # Every event before EOF came out (the error is raised by feed_eof alone).
    p = make()
    n_before = len(normalize(p.feed_data(data)))
    assert len(out.events) == n_before


def test_eof_content_length_error_says_how_many(twin):
    p = twin.HttpResponseParser()
    p.feed_data(OK + b"Content-Length: 10\r\n\r\nabc")
    with pytest.raises(ContentLengthError) as ei:
        p.feed_eof()
    assert "7" in str(ei.value)


@pytest.mark.parametrize("data", [
    b"",
    OK + b"Content-Length: 1\r\n\r\nx",
    OK + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
], ids=["nothing", "after_cl", "after_chunked", "after_204", "after_100"])
def test_eof_between_messages(twin, data):
    out = check_splits(resp(twin), data, eof=True)
    assert out.error is None
    p = twin.HttpResponseParser()
    p.feed_data(data)
    assert p.feed_eof() == []


def test_eof_close_delimited_gives_eom(twin):
    p = twin.HttpResponseParser()
    p.feed_data(OK + b"\r\nabc")
    evs = normalize(p.feed_eof())
    assert evs == [{"type": "eom", "trailers": []}]
