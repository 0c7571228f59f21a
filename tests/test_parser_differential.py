"""Differential property tests: the compiled and pure-Python twins on random input.

Hypothesis builds valid-ish HTTP/1.1 messages from a small grammar (methods, statuses,
reasons, known and unknown headers, values, framing by Content-Length / chunked / EOF,
chunk extensions and trailers, pipelined sequences, bare LF, obs-fold, small limits, the
chunk_boundaries flag on or off), then
optionally mutates the bytes (flip / insert / delete bytes, inject CR, LF, NUL, SP, HTAB or
colon, duplicate a line, change a digit). Both twins get the same bytes with the same split
points (and maybe EOF); their normalized events, error class, `upgraded`/`done` and `tail`
must be identical. A second group checks that one twin gives the same result however the
input is split.

Reproducible: derandomize=True and no example database; no shrinking unless
FASTHTTP_FUZZ_SHRINK=1. FASTHTTP_FUZZ_EXAMPLES raises the
example count for a longer local or nightly run.
"""

from __future__ import annotations

import os
import string

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fasthttp import hdrs
from parser_cases import _is_prefix, run

pytestmark = pytest.mark.differential

MAX_EXAMPLES = int(os.environ.get("FASTHTTP_FUZZ_EXAMPLES", "300"))
# Shrinking a failure can take minutes; off by default so every run stays bounded (inputs
# are small anyway). FASTHTTP_FUZZ_SHRINK=1 turns it on when investigating.
PHASES = tuple(Phase) if os.environ.get("FASTHTTP_FUZZ_SHRINK") == "1" else (
    Phase.explicit, Phase.reuse, Phase.generate)

SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=PHASES,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)

# --------------------------------------------------------------------------- grammar

TCHAR = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
KNOWN = [str(h) for h in hdrs.KNOWN_HEADERS]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT",
           "M-SEARCH", "get"]
STATUSES = [100, 101, 103, 199, 200, 201, 204, 206, 301, 304, 404, 500, 599, 999]
VERSIONS = [b"HTTP/1.1"] * 12 + [b"HTTP/1.0"] * 5 + [b"HTTP/1.9", b"HTTP/2.0", b"HTTP/0.9"]
SPECIAL = [b"\r", b"\n", b"\x00", b" ", b"\t", b":", b"\r\n", b";", b",", b"\x7f", b"\x01",
           b"\xff", b"0", b"f"]

tokens = st.text(TCHAR, min_size=1, max_size=10)


@st.composite
def header_names(draw):
    if draw(st.booleans()):
        name = draw(st.sampled_from(KNOWN))
        case = draw(st.sampled_from(["same", "lower", "upper", "swap"]))
        name = {"same": name, "lower": name.lower(), "upper": name.upper(),
                "swap": name.swapcase()}[case]
        return name.encode()
    return draw(tokens).encode()


VALUE_BYTES = (list(range(0x20, 0x7F)) + [0x09] + [0x80, 0xC3, 0xA9, 0xFF]
               + [0x01, 0x7F])  # the last two: CTL, allowed in responses only


@st.composite
def header_values(draw):
    core = bytes(draw(st.lists(st.sampled_from(VALUE_BYTES), max_size=16)))
    pre = draw(st.sampled_from([b" ", b"", b"  ", b"\t", b" \t"]))
    post = draw(st.sampled_from([b"", b"", b" ", b"\t"]))
    return pre + core + post


@st.composite
def chunked_body(draw, body):
    out = b""
    i = 0
    while i < len(body):  # bounded: each step consumes >= 1 byte
        n = draw(st.integers(1, max(1, len(body) - i)))
        out += chunk_size_line(draw, n) + b"\r\n" + body[i:i + n] + draw(st.sampled_from(
            [b"\r\n"] * 8 + [b"\n", b""]))
        i += n
    out += chunk_size_line(draw, 0) + b"\r\n"
    for _ in range(draw(st.integers(0, 3))):
        out += draw(header_names()) + b":" + draw(header_values()) + b"\r\n"
    return out + b"\r\n"


def chunk_size_line(draw, n):
    h = b"%x" % n
    if draw(st.booleans()):
        h = h.upper()
    h = b"0" * draw(st.sampled_from([0, 0, 0, 1, 3])) + h
    ext = draw(st.sampled_from([b"", b"", b"", b";a=b", b";x", b" ;q=\"v w\"", b"\t;e",
                                b";a=1;b=2", b' ; a = "x\\" \xff" ;b',
                                # refused by RFC 9112 §7.1.1 (issue 9, item 14)
                                b" ", b";", b";a ", b';a="b', b";a=", b";a=b c", b';a="\x01"']))
    return h + ext


@st.composite
def framing(draw, body, *, request):
    kind = draw(st.sampled_from(["none", "none", "cl", "cl", "cl", "chunked", "chunked",
                                 "chunked", "cl_wrong", "te_other", "cl_te", "cl_list",
                                 "te_list"]))
    if kind == "none":
        return [], body
    if kind == "cl":
        return [(b"Content-Length", b"%d" % len(body))], body
    if kind == "cl_list":
        return [(b"Content-Length", b"%d, %d" % (len(body), len(body)))], body
    if kind == "cl_wrong":
        return [(b"Content-Length", b"%d" % draw(st.integers(0, len(body) + 5)))], body
    if kind == "chunked":
        return [(b"Transfer-Encoding", draw(st.sampled_from(
            [b"chunked", b"Chunked", b" chunked ", b"CHUNKED"])))], draw(chunked_body(body))
    if kind == "te_list":
        return [(b"Transfer-Encoding", draw(st.sampled_from(
            [b"gzip, chunked", b"chunked, gzip", b"chunked,chunked", b", chunked",
             b"deflate"])))], draw(chunked_body(body))
    if kind == "te_other":
        return [(b"Transfer-Encoding", b"gzip")], body
    return [(b"Content-Length", b"%d" % len(body)), (b"Transfer-Encoding", b"chunked")], body


@st.composite
def messages(draw, *, request):
    if request:
        method = draw(st.one_of(st.sampled_from(METHODS), tokens)).encode()
        target = draw(st.sampled_from([b"/", b"*", b"/a?b=c", b"http://h/x", b"h:443",
                                       b"/caf%C3%A9", b"/%20", b"/caf\xc3\xa9", b"/\x80"]))
        start = method + b" " + target + b" " + draw(st.sampled_from(VERSIONS))
    else:
        status = draw(st.one_of(st.sampled_from(STATUSES), st.integers(100, 999)))
        reason = draw(st.sampled_from([b" OK", b" Not Found", b"", b" ", b" \xc3\xa9\t!",
                                       b" Switching Protocols"]))
        start = draw(st.sampled_from(VERSIONS)) + b" %03d" % status + reason
    body = draw(st.binary(max_size=48))
    frame, wire_body = draw(framing(body, request=request))
    headers = [(draw(header_names()), draw(header_values()))
               for _ in range(draw(st.integers(0, 5)))]
    extra = draw(st.lists(st.sampled_from([
        (b"Connection", b"close"), (b"Connection", b"keep-alive"),
        (b"Connection", b"Upgrade"), (b"Upgrade", b"websocket"),
        (b"Content-Encoding", b" GZip "), (b"Connection", b"keep-alive, close"),
    ]), max_size=2))
    if draw(st.integers(0, 15)) == 0:  # a stray extra framing header now and then
        extra.append((b"Content-Length", b"0"))
    all_headers = headers + extra + frame
    order = draw(st.permutations(range(len(all_headers))))
    eol_lf = (not request and draw(st.integers(0, 4)) == 0)
    lines = [start]
    for i in order:
        k, v = all_headers[i]
        line = k + b":" + v
        if draw(st.integers(0, 12)) == 0:  # obs-fold continuation
            line += b"\r\n" + draw(st.sampled_from([b" ", b"\t"])) + b"folded"
        lines.append(line)
    eol = b"\n" if eol_lf else b"\r\n"
    lead = draw(st.sampled_from([b"", b"", b"", b"\r\n", b"\r\n\r\n"]))
    return lead + eol.join(lines) + eol + eol + wire_body


@st.composite
def mutate(draw, data):
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "insert", "delete", "special", "dup", "digit"]))
        pos = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = bytes([draw(st.integers(0, 255))])
        elif op == "delete":
            del data[pos]
        elif op == "special":
            s = draw(st.sampled_from(SPECIAL))
            if draw(st.booleans()):
                data[pos:pos] = s
            else:
                data[pos:pos + len(s)] = s
        elif op == "dup":
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end]
        else:
            digits = [i for i, b in enumerate(data) if 0x30 <= b <= 0x39]
            if digits:
                i = draw(st.sampled_from(digits))
                data[i] = 0x30 + draw(st.integers(0, 9))
    return bytes(data)


@st.composite
def wire(draw, *, request):
    msgs = [draw(messages(request=request)) for _ in range(draw(st.integers(1, 3)))]
    data = b"".join(msgs)
    if draw(st.booleans()):
        data = draw(mutate(data))
    return data


@st.composite
def split_points(draw, data):
    if len(data) <= 1:
        return [data]
    mode = draw(st.sampled_from(["whole", "cuts", "cuts", "bytewise"]))
    if mode == "whole":
        return [data]
    if mode == "bytewise":
        return [data[i:i + 1] for i in range(len(data))]
    cuts = sorted(set(draw(st.lists(st.integers(1, len(data) - 1), max_size=10))))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]


limits = st.one_of(
    st.just({}),
    st.just({}),
    st.just({}),
    st.fixed_dictionaries({
        "max_line_size": st.sampled_from([12, 24, 40, 64, 8190]),
        "max_field_size": st.sampled_from([8, 24, 40, 64, 8190]),
        "max_headers": st.sampled_from([1, 3, 6, 128]),
    }),
)


def with_boundaries(draw, kw):
    """A copy of the keyword arguments, chunk_boundaries (the END_OF_CHUNK marker) on or off."""
    return {**kw, "chunk_boundaries": draw(st.booleans())}


@st.composite
def response_cases(draw):
    data = draw(wire(request=False))
    return data, draw(split_points(data)), with_boundaries(draw, draw(limits)), \
        draw(st.booleans()), draw(st.integers(0, 4)) > 0


@st.composite
def request_cases(draw):
    data = draw(wire(request=True))
    return data, draw(split_points(data)), with_boundaries(draw, draw(limits)), \
        draw(st.integers(0, 4)) > 0


@st.composite
def chunked_cases(draw):
    body = draw(st.binary(max_size=64))
    data = draw(chunked_body(body)) + draw(st.sampled_from([b"", b"tail", b"0\r\n\r\n"]))
    if draw(st.integers(0, 3)) > 0:
        data = draw(mutate(data))
    kw = draw(st.one_of(st.just({}), st.fixed_dictionaries({
        "max_line_size": st.sampled_from([4, 10, 8190]),
        "max_field_size": st.sampled_from([6, 20, 8190]),
        "max_headers": st.sampled_from([1, 2, 128]),
    })))
    kw["lax"] = draw(st.booleans())
    kw = with_boundaries(draw, kw)
    return data, draw(split_points(data)), kw, draw(st.booleans())


# --------------------------------------------------------------------------- twins agree

def _agree(a, b, data, chunks):
    assert a.error is b.error, (
        f"python raised {a.error}, cython raised {b.error}\n input={data!r}\n "
        f"splits={[len(c) for c in chunks]}")
    assert a.events == b.events, f"events differ for input={data!r}"
    assert a.state == b.state, f"state differs for input={data!r}: {a.state} vs {b.state}"


@SETTINGS
@given(case=response_cases())
def test_differential_response(twins, case):
    data, chunks, kw, head_request, eof = case
    py, cy = twins
    outs = []
    for m in (py, cy):
        p = m.HttpResponseParser(**kw)
        p.head_request = head_request
        outs.append(run(p, chunks, eof=eof))
    _agree(*outs, data, chunks)


@SETTINGS
@given(case=request_cases())
def test_differential_request(twins, case):
    data, chunks, kw, eof = case
    py, cy = twins
    a = run(py.HttpRequestParser(**kw), chunks, eof=eof)
    b = run(cy.HttpRequestParser(**kw), chunks, eof=eof)
    _agree(a, b, data, chunks)


@SETTINGS
@given(case=chunked_cases())
def test_differential_chunked_decoder(twins, case):
    data, chunks, kw, eof = case
    py, cy = twins
    a = run(py.ChunkedDecoder(**kw), chunks, eof=eof)
    b = run(cy.ChunkedDecoder(**kw), chunks, eof=eof)
    _agree(a, b, data, chunks)


# --------------------------------------------------------------------------- split invariance

def _split_invariant(make, data, chunks, eof):
    whole = run(make(), [data], eof=eof)
    split = run(make(), chunks, eof=eof)
    fine = run(make(), [data[i:i + 1] for i in range(len(data))], eof=eof)
    for label, res in (("whole", whole), ("split", split)):
        assert res.error is fine.error, (
            f"{label} raised {res.error}, byte-at-a-time raised {fine.error}; input={data!r}")
        if fine.error is None:
            assert res.events == fine.events, f"{label}: events differ; input={data!r}"
            assert res.state == fine.state, f"{label}: state differs; input={data!r}"
        else:
            assert _is_prefix(res.events, fine.events), f"{label}: not a prefix; input={data!r}"


@settings(SETTINGS, max_examples=max(1, MAX_EXAMPLES // 2))
@given(case=response_cases())
def test_split_invariance_response(twin, case):
    data, chunks, kw, head_request, eof = case

    def make():
        p = twin.HttpResponseParser(**kw)
        p.head_request = head_request
        return p

    _split_invariant(make, data, chunks, eof)


@settings(SETTINGS, max_examples=max(1, MAX_EXAMPLES // 2))
@given(case=request_cases())
def test_split_invariance_request(twin, case):
    data, chunks, kw, eof = case
    _split_invariant(lambda: twin.HttpRequestParser(**kw), data, chunks, eof)


@settings(SETTINGS, max_examples=max(1, MAX_EXAMPLES // 2))
@given(case=chunked_cases())
def test_split_invariance_chunked_decoder(twin, case):
    data, chunks, kw, eof = case
    _split_invariant(lambda: twin.ChunkedDecoder(**kw), data, chunks, eof)
