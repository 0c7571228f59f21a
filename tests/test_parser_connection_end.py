"""After a message that ends the connection, nothing more is parsed (issue 9, item 15).

A message ends the connection when its head says keep_alive False (`Connection: close`, or
HTTP/1.0 without `keep-alive`; for a response, a close-delimited body too) and it neither
upgrades nor is an interim 1xx response. Once it is complete the parser is `closed`: any
further byte raises BadHttpMessage, the events of the complete message still delivered (on
the exception when they came in the same call). Both twins, every case fed whole, one byte at
a time and at seeded random splits; the two twins compared on the same input.
"""

from __future__ import annotations

import pytest

from fasthttp.http_exceptions import BadHttpMessage
from parser_cases import B, E, Q, R, assert_events, check_splits, normalize, run

# Requests that end the connection, with the events each gives.
CLOSING_REQUESTS = {
    "http11_connection_close": (
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        [Q(method="GET", keep_alive=False), E()]),
    "http11_close_among_tokens": (
        b"GET / HTTP/1.1\r\nConnection: keep-alive, CLOSE\r\n\r\n",
        [Q(keep_alive=False), E()]),
    "http10_default": (
        b"GET / HTTP/1.0\r\n\r\n",
        [Q(version=(1, 0), keep_alive=False), E()]),
    "http10_content_length_body": (
        b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
        [Q(version=(1, 0), keep_alive=False), B(b"abc"), E()]),
    "http11_close_chunked_body": (
        b"POST / HTTP/1.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        [Q(chunked=True, keep_alive=False), B(b"abc"), E([("T", "1")])]),
    "keep_alive_then_close": (
        b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nConnection: close\r\n\r\n",
        [Q(target="/1", keep_alive=True), E(), Q(target="/2", keep_alive=False), E()]),
}

# Responses that end the connection (with a framed body, so that bytes can follow them).
CLOSING_RESPONSES = {
    "http11_connection_close": (
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", {},
        [R(status=200, keep_alive=False), B(b"ok"), E()]),
    "http10_default": (
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", {},
        [R(version=(1, 0), keep_alive=False), B(b"ok"), E()]),
    "http11_close_chunked": (
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nok\r\n0\r\n\r\n", {},
        [R(chunked=True, keep_alive=False), B(b"ok"), E()]),
    "http11_close_204": (
        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", {},
        [R(status=204, keep_alive=False), E()]),
    "http11_close_304": (
        b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\nContent-Length: 10\r\n\r\n", {},
        [R(status=304, keep_alive=False), E()]),
    "http10_head_request": (
        b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n", {"head_request": True},
        [R(version=(1, 0), keep_alive=False), E()]),
    "interim_then_close": (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", {},
        [R(status=100), E(), R(status=200, keep_alive=False), E()]),
}

# What a peer may send after such a message: all of it is refused, down to one byte.
AFTER = {
    "one_byte": b"x",
    "nul": b"\x00",
    "crlf": b"\r\n",
    "lf": b"\n",
    "cr": b"\r",
    "space": b" ",
    "next_request": b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "next_response": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil",
}


def _request_parser(twin):
    return lambda: twin.HttpRequestParser()


def _response_parser(twin, kw):
    def make():
        p = twin.HttpResponseParser()
        p.head_request = kw.get("head_request", False)
        return p

    return make


@pytest.mark.parametrize("case", list(CLOSING_REQUESTS), ids=list(CLOSING_REQUESTS))
def test_request_that_ends_the_connection_alone(twin, case):
    data, expected = CLOSING_REQUESTS[case]
    out = check_splits(_request_parser(twin), data, eof=True)
    assert out.error is None
    assert_events(out.events, expected)
    assert out.state == {"upgraded": False, "closed": True, "tail": b""}


@pytest.mark.parametrize("case", list(CLOSING_RESPONSES), ids=list(CLOSING_RESPONSES))
def test_response_that_ends_the_connection_alone(twin, case):
    data, kw, expected = CLOSING_RESPONSES[case]
    out = check_splits(_response_parser(twin, kw), data, eof=True)
    assert out.error is None
    assert_events(out.events, expected)
    assert out.state == {"upgraded": False, "closed": True, "tail": b""}


@pytest.mark.parametrize("after", list(AFTER), ids=list(AFTER))
@pytest.mark.parametrize("case", list(CLOSING_REQUESTS), ids=list(CLOSING_REQUESTS))
def test_bytes_after_a_closing_request_are_refused(twin, case, after):
    data, expected = CLOSING_REQUESTS[case]
    out = check_splits(_request_parser(twin), data + AFTER[after], eof=False)
    assert out.error is BadHttpMessage
    assert_events(out.events, expected)  # the whole closing request, nothing of what follows


@pytest.mark.parametrize("after", list(AFTER), ids=list(AFTER))
@pytest.mark.parametrize("case", list(CLOSING_RESPONSES), ids=list(CLOSING_RESPONSES))
def test_bytes_after_a_closing_response_are_refused(twin, case, after):
    data, kw, expected = CLOSING_RESPONSES[case]
    out = check_splits(_response_parser(twin, kw), data + AFTER[after], eof=False)
    assert out.error is BadHttpMessage
    assert_events(out.events, expected)


@pytest.mark.parametrize("parser", ["request", "response"])
def test_contract_step_by_step(twin, parser):
    """closed / idle / feed_eof / empty feeds, the error's events and message, then broken."""
    if parser == "request":
        p = twin.HttpRequestParser()
        first, after = b"GET / HTTP/1.0\r\n\r\n", b"GET /2 HTTP/1.0\r\n\r\n"
    else:
        p = twin.HttpResponseParser()
        first, after = (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert p.closed is False
    assert len(p.feed_data(first)) == 2
    assert p.closed is True
    assert p.idle is False  # no next message will come on this connection
    assert p.feed_data(b"") == []  # no byte, no error
    assert p.feed_eof() == []
    with pytest.raises(BadHttpMessage) as info:
        p.feed_data(after)
    assert type(info.value) is BadHttpMessage
    assert info.value.events == []  # the closing message came out with the earlier call
    assert "after the message that ends the connection" in info.value.message
    assert p.closed is True
    with pytest.raises(BadHttpMessage):
        p.feed_data(b"")  # broken from now on, like after any error
    with pytest.raises(BadHttpMessage):
        p.feed_eof()


def test_same_read_error_carries_the_closing_message(twin):
    p = twin.HttpRequestParser()
    with pytest.raises(BadHttpMessage) as info:
        p.feed_data(b"GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
    assert_events(normalize(info.value.events), [Q(target="/a", keep_alive=False), E()])


def test_close_delimited_response_is_closed_after_eof(twin):
    p = twin.HttpResponseParser()
    evs = p.feed_data(b"HTTP/1.1 200 OK\r\n\r\nbody")
    assert_events(normalize(evs), [R(keep_alive=False), B(b"body")])
    assert p.closed is False  # still reading the body
    assert_events(normalize(p.feed_eof()), [E()])
    assert p.closed is True
    with pytest.raises(BadHttpMessage):
        p.feed_data(b"HTTP/1.1 200 OK\r\n\r\n")


# --------------------------------------------------------------------------- not closing

NOT_CLOSING = {
    # An interim response says nothing about the connection: the final one is parsed.
    "interim_with_connection_close": (
        "response",
        b"HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n"
        b"HTTP/1.0 103 Early Hints\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        [R(status=100), E(), R(status=103), E(), R(status=200, keep_alive=True), B(b"x"), E()],
        {"upgraded": False, "closed": False, "tail": b""}),
    # An upgrade wins: what follows is the new protocol's, in `tail`, not an error.
    "upgrade_request_with_close": (
        "request",
        b"GET / HTTP/1.1\r\nConnection: upgrade, close\r\nUpgrade: h2c\r\n\r\nPRI * HTTP/2.0",
        [Q(upgrade=True, keep_alive=False), E()],
        {"upgraded": True, "closed": False, "tail": b"PRI * HTTP/2.0"}),
    "upgrade_101_with_close": (
        "response",
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: close, upgrade\r\nUpgrade: x\r\n\r\n\x81\x00",
        [R(status=101, upgrade=True, keep_alive=False), E()],
        {"upgraded": True, "closed": False, "tail": b"\x81\x00"}),
    "http10_keep_alive_pipelined": (
        "request",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        [Q(keep_alive=True), E(), Q(target="/2", keep_alive=True), E()],
        {"upgraded": False, "closed": False, "tail": b""}),
}


@pytest.mark.parametrize("case", list(NOT_CLOSING), ids=list(NOT_CLOSING))
def test_not_closing(twin, case):
    kind, data, expected, state = NOT_CLOSING[case]
    make = _request_parser(twin) if kind == "request" else _response_parser(twin, {})
    out = check_splits(make, data, eof=True)
    assert out.error is None
    assert_events(out.events, expected)
    assert out.state == state


# --------------------------------------------------------------------------- twins agree

def _all_inputs():
    for case, (data, _) in CLOSING_REQUESTS.items():
        for after, extra in AFTER.items():
            yield f"request-{case}-{after}", "request", data + extra, {}
    for case, (data, kw, _) in CLOSING_RESPONSES.items():
        for after, extra in AFTER.items():
            yield f"response-{case}-{after}", "response", data + extra, kw
    for case, (kind, data, _, _) in NOT_CLOSING.items():
        yield f"not-closing-{case}", kind, data, {}


INPUTS = list(_all_inputs())


@pytest.mark.differential
@pytest.mark.parametrize("kind,data,kw", [i[1:] for i in INPUTS], ids=[i[0] for i in INPUTS])
def test_twins_agree(twins, kind, data, kw):
    py, cy = twins
    for chunks in ([data], [data[i:i + 1] for i in range(len(data))]):
        outs = []
        for m in (py, cy):
            make = _request_parser(m) if kind == "request" else _response_parser(m, kw)
            outs.append(run(make(), chunks, eof=True))
        assert outs[0].key() == outs[1].key()
