"""The HTTP head serializer twins (fasthttp._http_writer_py and the compiled fasthttp._http_writer):
one suite run against both, plus a differential property test between them.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, istr
from head_writer_twins import load_head_writer

@pytest.fixture(params=["python", "cython"])
def writer(request: pytest.FixtureRequest) -> ModuleType:
    return load_head_writer(request.param)


def test_status_line_and_headers_in_order(writer: ModuleType) -> None:
    headers = CIMultiDict([(istr("Content-Type"), "text/plain"), ("X-A", "1"), ("x-a", "2")])
    assert writer.serialize_head("HTTP/1.1 200 OK", headers) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
    )


def test_no_headers(writer: ModuleType) -> None:
    assert writer.serialize_head("GET / HTTP/1.1", CIMultiDict()) == b"GET / HTTP/1.1\r\n\r\n"


def test_non_ascii_is_utf8_and_surrogateescape_round_trips(writer: ModuleType) -> None:
    raw = b"caf\xc3\xa9 \xff"
    value = raw.decode("utf-8", "surrogateescape")
    out = writer.serialize_head("HTTP/1.1 200 OK", {"X-Name": "\u00e9t\u00e9", "X-Raw": value})
    assert out == b"HTTP/1.1 200 OK\r\nX-Name: \xc3\xa9t\xc3\xa9\r\nX-Raw: " + raw + b"\r\n\r\n"


def test_large_head_grows_the_buffer(writer: ModuleType) -> None:
    headers = CIMultiDict((f"X-{i}", "v" * 1000) for i in range(50))
    out = writer.serialize_head("HTTP/1.1 200 OK", headers)
    assert out.count(b"\r\n") == 52 and len(out) > 50_000


@pytest.mark.parametrize("bad", ["\r", "\n", "\x00", "a\r\nX-Evil: 1", "\u00e9\n"])
@pytest.mark.parametrize("where", ["name", "value", "first_line"])
def test_cr_lf_nul_refused(writer: ModuleType, bad: str, where: str) -> None:
    name, value, first = "X-Ok", "fine", "HTTP/1.1 200 OK"
    if where == "name":
        name = "X-" + bad
    elif where == "value":
        value = "v" + bad + "w"
    else:
        first = first + bad
    headers = CIMultiDict([("A", "1"), (name, value)])
    with pytest.raises(ValueError) as info:
        writer.serialize_head(first, headers)
    message = str(info.value)
    assert ("start line" in message) if where == "first_line" else (repr(name[:60]) in message)


def test_non_str_value_is_a_type_error(writer: ModuleType) -> None:
    with pytest.raises(TypeError):
        writer.serialize_head("HTTP/1.1 200 OK", {"X-A": 1})


def test_unencodable_lone_surrogate_is_a_value_error(writer: ModuleType) -> None:
    # UnicodeEncodeError is a ValueError too: insist on the plain one, with the refusal's message.
    with pytest.raises(ValueError, match="lone surrogate") as info:
        writer.serialize_head("HTTP/1.1 200 OK", {"X-A": "\ud800"})
    assert type(info.value) is ValueError


_text = st.text(max_size=30) | st.sampled_from(
    ["", "\r", "\n", "\x00", "\x01", "\t", "\x7f", "ok", "X-Ok", "\u00e9", "a\r\nb", "\ud800",
     "\udcff", "Host: evil.example"]
)


@settings(max_examples=400, deadline=None)
@given(first=_text, pairs=st.lists(st.tuples(_text, _text), max_size=8))
def test_twins_agree(first: str, pairs: list[tuple[str, str]]) -> None:
    py, cy = load_head_writer("python"), load_head_writer("cython")
    headers = CIMultiDict(pairs)
    results = []
    for twin in (py, cy):
        try:
            results.append(("ok", twin.serialize_head(first, headers)))
        except ValueError as exc:
            results.append((type(exc).__name__, str(exc)))
    assert results[0] == results[1]
