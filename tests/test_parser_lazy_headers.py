"""A response head's multidict is built on first access (both twins; docs/parser.md).

The parser keeps the raw fields and works out at once only what the client needs (framing,
Content-Encoding, whether a Set-Cookie is present); `headers` is built from `raw_headers` when
asked for. These tests pin what that must not change: the same keys and values as a request's
eagerly built multidict, one object across accesses, `has_set_cookie` whatever the name's case,
and the limits, which are checked while parsing, not when the multidict is built.
"""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from fasthttp import hdrs
from fasthttp.http_exceptions import BadHttpMessage, LineTooLong
from fasthttp.http_types import HttpVersion11

HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/plain\r\n"
    b"X-Custom: a\xffb\r\n"
    b"SET-COOKIE: a=1\r\n"
    b"Set-Cookie: b=2\r\n"
    b"X-Folded: one\r\n"
    b"\ttwo\r\n"
    b"Content-Length: 3\r\n"
    b"\r\n"
    b"abc"
)


def _head(twin, data: bytes = HEAD):
    events = twin.HttpResponseParser().feed_data(data)
    return events[0]


def test_headers_match_the_wire_and_a_request_built_at_once(twin) -> None:
    head = _head(twin)
    headers = head.headers
    assert isinstance(headers, CIMultiDictProxy)
    assert list(headers.items()) == [
        ("Content-Type", "text/plain"),
        ("X-Custom", "a\udcffb"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("X-Folded", "one two"),
        ("Content-Length", "3"),
    ]
    # Known names are the shared istr keys whatever the wire case, as in a request's.
    keys = list(headers.keys())
    assert keys[0] is hdrs.CONTENT_TYPE and keys[2] is hdrs.SET_COOKIE
    request = twin.HttpRequestParser().feed_data(
        b"GET / HTTP/1.1\r\nHost: x\r\n" + HEAD.split(b"\r\n", 1)[1].replace(b"\ttwo", b"X-Folded: two")
        .replace(b"abc", b"")
    )[0]
    assert list(request.headers.getall("Content-Type")) == list(headers.getall("Content-Type"))
    assert head.raw_headers == (
        (b"content-type", b"text/plain"),
        (b"X-Custom", b"a\xffb"),
        (b"SET-COOKIE", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"X-Folded", b"one two"),
        (b"Content-Length", b"3"),
    )


def test_headers_is_one_object_across_accesses(twin) -> None:
    head = _head(twin)
    first = head.headers
    assert head.headers is first
    assert head.raw_headers is head.raw_headers


@pytest.mark.parametrize(
    "field, expected",
    [
        (b"Set-Cookie: a=1\r\n", True),
        (b"set-cookie: a=1\r\n", True),
        (b"SET-COOKIE: a=1\r\n", True),
        (b"Set-Cookie2: a=1\r\n", False),
        (b"X-Set-Cookie: a=1\r\n", False),
        (b"", False),
    ],
)
def test_has_set_cookie(twin, field: bytes, expected: bool) -> None:
    head = _head(twin, b"HTTP/1.1 200 OK\r\n" + field + b"Content-Length: 0\r\n\r\n")
    assert head.has_set_cookie is expected
    assert (hdrs.SET_COOKIE in head.headers) is expected


def test_has_set_cookie_in_an_obs_folded_or_bare_lf_head(twin) -> None:
    # Heads that leave the quick path (bare LF, obs-fold) report it too.
    head = _head(twin, b"HTTP/1.1 200 OK\nX: a\n b\nset-cookie: c=1\n\n")
    assert head.has_set_cookie is True
    assert head.headers.getall("Set-Cookie") == ["c=1"]
    assert head.headers["X"] == "a b"


def test_a_head_made_by_hand(twin) -> None:
    raw = ((b"Set-Cookie", b"a=1"), (b"X", b"y"))
    built = CIMultiDictProxy(CIMultiDict([("Set-Cookie", "a=1"), ("X", "y")]))
    args = (HttpVersion11, 200, "OK")
    rest = (True, False, None, False, None)
    given = twin.ResponseHead(*args, built, raw, *rest)
    assert given.headers is built and given.has_set_cookie is True
    lazy = twin.ResponseHead(*args, None, raw, *rest)
    assert list(lazy.headers.items()) == [("Set-Cookie", "a=1"), ("X", "y")]
    assert lazy.has_set_cookie is True
    told = twin.ResponseHead(*args, None, raw[1:], *rest, has_set_cookie=False)
    assert told.has_set_cookie is False and told.headers["X"] == "y"
    assert "headers=1" in repr(told)


def test_limits_hold_before_any_multidict_is_built(twin) -> None:
    many = b"".join(b"X-%d: v\r\n" % i for i in range(5))
    with pytest.raises(BadHttpMessage):
        twin.HttpResponseParser(max_headers=4).feed_data(b"HTTP/1.1 200 OK\r\n" + many + b"\r\n")
    with pytest.raises(LineTooLong):
        twin.HttpResponseParser(max_field_size=20).feed_data(
            b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 30 + b"\r\n\r\n"
        )


# --- request heads: the same laziness (a server handler may never read request.headers) -----


REQUEST = (
    b"POST /x HTTP/1.1\r\n"
    b"host: example\r\n"
    b"X-Custom: a\xffb\r\n"
    b"Content-Length: 3\r\n"
    b"x-custom: c\r\n"
    b"\r\n"
    b"abc"
)


def test_request_headers_match_the_wire(twin) -> None:
    head = twin.HttpRequestParser().feed_data(REQUEST)[0]
    headers = head.headers
    assert isinstance(headers, CIMultiDictProxy)
    assert list(headers.items()) == [
        ("Host", "example"), ("X-Custom", "a\udcffb"), ("Content-Length", "3"), ("x-custom", "c"),
    ]
    assert list(headers.keys())[0] is hdrs.HOST  # the shared istr, whatever the wire case ("host")
    assert head.headers is headers  # built once
    assert head.content_length == 3 and head.keep_alive is True
    assert "headers=4" in repr(head)


def test_request_headers_are_not_built_by_the_parse(twin) -> None:
    head = twin.HttpRequestParser().feed_data(REQUEST)[0]
    if hasattr(head, "_headers"):  # the pure twin's slot (the compiled one hides it)
        assert head._headers is None
        head.headers
        assert head._headers is not None


def test_a_request_head_made_by_hand(twin) -> None:
    raw = ((b"Host", b"h"), (b"X", b"y"))
    built = CIMultiDictProxy(CIMultiDict([("Host", "h"), ("X", "y")]))
    rest = (True, False, None, False, None)
    given = twin.RequestHead("GET", "/", HttpVersion11, built, raw, *rest)
    assert given.headers is built
    lazy = twin.RequestHead("GET", "/", HttpVersion11, None, raw, *rest)
    assert list(lazy.headers.items()) == [("Host", "h"), ("X", "y")]
    assert lazy.headers is lazy.headers


@pytest.mark.parametrize(
    "field",
    [b"X-Bad\x01: v\r\n", b"X: a\x00b\r\n", b"Bad Name: v\r\n", b" folded\r\n", b"X-Long: " + b"v" * 30 + b"\r\n"],
)
def test_request_field_errors_are_raised_by_the_parse(twin, field: bytes) -> None:
    with pytest.raises(BadHttpMessage):
        twin.HttpRequestParser(max_field_size=20).feed_data(b"GET / HTTP/1.1\r\nHost: h\r\n" + field + b"\r\n")
