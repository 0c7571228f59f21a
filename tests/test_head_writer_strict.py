"""Issue 9, item 17: what the head writer refuses, identically in both twins.

Header names must be tokens (RFC 9110 5.6.2); the start line and values must hold no control
character but HTAB (RFC 9110 5.5, the set aiohttp 3.14 refuses); a lone surrogate that
surrogateescape cannot encode is refused too. Every refusal is a plain `ValueError` with the
same message from the pure and the compiled twin. The client refuses a bad method, target,
name or value before a byte goes out (a raw 127.0.0.1 server checks what it received), and the
server answers a handler's bad header with a 500 that forges nothing.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from multidict import CIMultiDict
from yarl import URL

import fasthttp as aiohttp
from fasthttp import web
from fasthttp import request_writer
from fasthttp.web import response as web_response

from client_servers import RawServer, assert_pool_clean, async_test, keep_alive, response
from web_helpers import app_with, parse_responses, raw_exchange, serve, simple_get
from head_writer_twins import load_head_writer

@pytest.fixture(params=["python", "cython"])
def twin(request: pytest.FixtureRequest) -> ModuleType:
    return load_head_writer(request.param)


CTL_PREFIX = "Forbidden control character detected in headers. Potential header injection attack"

# (name, what the message must say)
BAD_NAMES = [
    ("Host: evil.example", "Invalid header name"),
    ("X Y", "Invalid header name"),
    ("X\tY", "Invalid header name"),  # HTAB is fine in a value, never in a name
    ("", "Invalid header name ''"),
    ("X(", "Invalid header name"),
    ('X"', "Invalid header name"),
    ("X:", "Invalid header name"),
    ("X/Y", "Invalid header name"),
    ("X\u00e9", "Invalid header name"),
    ("X\udcff", "Invalid header name"),  # a raw byte 0xFF: not a token character either
    ("X\ud800", "Invalid header name"),
    ("X\x01", CTL_PREFIX),
    ("X\x7f", CTL_PREFIX),
    ("X\x00", CTL_PREFIX),
    ("X\r\nX-Evil", CTL_PREFIX),
]
BAD_VALUES = [
    ("a\x01b", CTL_PREFIX),
    ("a\x08b", CTL_PREFIX),
    ("a\x0bb", CTL_PREFIX),
    ("a\x0cb", CTL_PREFIX),
    ("a\x1fb", CTL_PREFIX),
    ("a\x7fb", CTL_PREFIX),
    ("a\x00b", CTL_PREFIX),
    ("a\rb", CTL_PREFIX),
    ("a\nb", CTL_PREFIX),
    ("a\r\nX-Evil: 1", CTL_PREFIX),
    ("\u00e9\x0b", CTL_PREFIX),  # non-ASCII strings take the other path in the compiled twin
    ("\ud800", "lone surrogate"),
    ("a\udfffb", "lone surrogate"),
    ("a\ud800\r\nX-Evil: 1", CTL_PREFIX),  # compiled twin used to raise UnicodeEncodeError here
]
# Values that are fine, with their bytes on the wire.
GOOD_VALUES = [
    ("a\tb", b"a\tb"),
    ("a b", b"a b"),
    ("", b""),
    ("\x80", b"\xc2\x80"),  # U+0080 is a character, sent as UTF-8 (obs-text octets)
    ("\u2028", b"\xe2\x80\xa8"),
    ("\udcff", b"\xff"),  # surrogateescape: a raw byte goes back out as that byte
]
BAD_METHODS = [
    ("GET\x01", "Method cannot contain non-token characters"),
    ("G T", "Method cannot contain non-token characters"),
    ("GET\t", "Method cannot contain non-token characters"),
    ("G\u00c9T", "Method cannot contain non-token characters"),
    ("GET\x7f", "Method cannot contain non-token characters"),
    ("G(T", "Method cannot contain non-token characters"),
    ("GET\r\nX-Evil: 1", "Method cannot contain non-token characters"),
    ("", "Method cannot be empty"),
]
BAD_TARGETS = ["/a\x01b", "/a\tb", "/a\x7fb", "/a b", "/a\x0bb", "/a\r\nX-Evil: 1", "/a\x00"]


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - the point is to compare what was raised
        return (type(exc).__name__, str(exc))


def _both(first_line: str, headers: Any) -> tuple[str, Any]:
    """Serialize with both twins; they must agree exactly. Returns the common outcome."""
    py, cy = load_head_writer("python"), load_head_writer("cython")
    results = [_outcome(lambda twin=twin: twin.serialize_head(first_line, headers)) for twin in (py, cy)]
    assert results[0] == results[1]
    return results[0]


# --- the twins, directly ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, says", BAD_NAMES, ids=[repr(n) for n, _ in BAD_NAMES])
def test_bad_name_refused_identically(name: str, says: str) -> None:
    kind, message = _both("GET / HTTP/1.1", CIMultiDict([("Host", "h"), (name, "v")]))
    assert kind == "ValueError"
    assert message.startswith(says)


@pytest.mark.parametrize("value, says", BAD_VALUES, ids=[repr(v) for v, _ in BAD_VALUES])
def test_bad_value_refused_identically(value: str, says: str) -> None:
    kind, message = _both("HTTP/1.1 200 OK", CIMultiDict([("X-Ok", "1"), ("X-Token", value)]))
    assert kind == "ValueError"
    assert says in message and "'X-Token'" in message
    assert len(value) == 1 or repr(value) not in message  # values may be secrets: not echoed


@pytest.mark.parametrize("value, wire", GOOD_VALUES, ids=[repr(v) for v, _ in GOOD_VALUES])
def test_good_value_sent_identically(value: str, wire: bytes) -> None:
    assert _both("HTTP/1.1 200 OK", {"X-A": value}) == ("ok", b"HTTP/1.1 200 OK\r\nX-A: " + wire + b"\r\n\r\n")


@pytest.mark.parametrize("line", ["HTTP/1.1 200 O\x01K", "HTTP/1.1 200 OK\x7f", "GET /\x0b HTTP/1.1"])
def test_bad_start_line_refused_identically(line: str) -> None:
    kind, message = _both(line, {"X-A": "1"})
    assert kind == "ValueError" and message.startswith(CTL_PREFIX) and "start line" in message


def test_first_offender_is_reported_and_type_errors_win() -> None:
    headers = CIMultiDict([("X-A", "\x01"), ("X B", "1")])
    assert _both("HTTP/1.1 200 OK", headers)[1].endswith("in the value of header 'X-A'")
    headers = CIMultiDict([("X-A", "\x01"), ("X-B", 1)])  # type: ignore[list-item]
    assert _both("HTTP/1.1 200 OK", headers) == (
        "TypeError", "header names and values must be str, not int"
    )


def test_every_ascii_byte_in_a_value_and_a_name(twin: ModuleType) -> None:
    """The exact sets: values refuse 0x00-0x08, 0x0A-0x1F, 0x7F; names accept tchar only."""
    tchar = set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    for code in range(128):
        char = chr(code)
        value_ok = _outcome(lambda: twin.serialize_head("HTTP/1.1 200 OK", {"X": f"a{char}b"}))[0] == "ok"
        assert value_ok == (code == 0x09 or 0x20 <= code < 0x7F), hex(code)
        name_ok = _outcome(lambda: twin.serialize_head("HTTP/1.1 200 OK", {f"X{char}": "v"}))[0] == "ok"
        assert name_ok == (char in tchar), hex(code)


def test_same_refusals_and_wording_as_aiohttp(twin: ModuleType) -> None:
    """aiohttp 3.14 refuses the same control characters in values, with the words we start with."""
    http_writer = pytest.importorskip("aiohttp.http_writer")
    for code in list(range(128)) + [0x80, 0x85, 0xA0, 0x2028]:
        value = f"a{chr(code)}b"
        theirs = _outcome(lambda: http_writer._py_serialize_headers("HTTP/1.1 200 OK", {"X": value}))
        ours = _outcome(lambda: twin.serialize_head("HTTP/1.1 200 OK", {"X": value}))
        assert (theirs[0] == "ok") == (ours[0] == "ok"), hex(code)
        if theirs[0] != "ok":
            assert theirs[0] == ours[0] == "ValueError"
            assert ours[1].startswith(theirs[1].rstrip("."))


# --- the client: refused before a byte goes out -------------------------------------------------------


def _bad_requests() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    cases += [(says, {"headers": {name: "v"}}) for name, says in BAD_NAMES]
    cases += [(says, {"headers": {"X-Token": value}}) for value, says in BAD_VALUES]
    cases += [(says, {"method": method}) for method, says in BAD_METHODS]
    cases += [("Forbidden control character or space detected in the request target", {"target": t})
              for t in BAD_TARGETS]
    return cases


@pytest.mark.parametrize("twin_name", ["python", "cython"])
@async_test(timeout=30)
async def test_client_refuses_before_sending(twin_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A good request, every bad one, a good one: the server receives exactly the two good
    heads on the one pooled connection, and each refusal is the writer's ValueError."""
    twin = load_head_writer(twin_name)
    monkeypatch.setattr(request_writer, "serialize_head", twin.serialize_head)
    received = bytearray()

    def route(request: Any) -> bytes:
        received.extend(request.raw)
        return response(200, b"ok")

    async with RawServer(keep_alive(route)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/first")) as resp:
                assert await resp.read() == b"ok"
            for says, case in _bad_requests():
                method = case.get("method", "GET")
                url: Any = server.url("/")
                if "target" in case:
                    url = URL(server.url("/"), encoded=True).with_path(case["target"], encoded=True)
                with pytest.raises(ValueError) as info:
                    await session.request(method, url, headers=case.get("headers"))
                assert type(info.value) is ValueError, case
                assert says in str(info.value), (case, str(info.value))
                assert_pool_clean(session.connector)
            async with session.get(server.url("/last")) as resp:
                assert await resp.read() == b"ok"
        assert server.accepted == 1
    heads = bytes(received)
    assert heads.count(b"HTTP/1.1\r\n") == 2
    assert heads.startswith(b"GET /first HTTP/1.1\r\n") and b"GET /last HTTP/1.1\r\n" in heads
    assert b"evil" not in heads.lower() and b"X-Token" not in heads


def test_client_refusal_messages_match_the_twins() -> None:
    """What the client says about a bad header is exactly what both twins say."""
    py, cy = load_head_writer("python"), load_head_writer("cython")
    for name, value in [("Host: evil.example", "v"), ("X-Token", "a\x0bb"), ("X-Token", "\ud800")]:
        headers = CIMultiDict([("Host", "h"), (name, value)])
        expected = _both("GET / HTTP/1.1", headers)
        for twin in (py, cy):
            request_writer_serialize = request_writer.serialize_head
            try:
                request_writer.serialize_head = twin.serialize_head  # type: ignore[assignment]
                assert _outcome(lambda: request_writer.encode_head("GET", "/", headers)) == expected
            finally:
                request_writer.serialize_head = request_writer_serialize  # type: ignore[assignment]


# --- the server: a handler's bad header is a 500 that forges nothing -------------------------------------


@pytest.mark.parametrize("twin_name", ["python", "cython"])
@pytest.mark.parametrize(
    "name, value",
    [
        ("X-Evil", "a\x0bSet-Cookie: stolen=1"),
        ("X-Evil", "a\x7fb"),
        ("Set-Cookie: stolen=1\x0cX-Evil", "1"),
        ("Host: stolen.example", "1"),
        ("X Stolen", "1"),
        ("X-Evil", "\ud800"),
    ],
)
@async_test()
async def test_server_answers_a_bad_handler_header_with_a_500(
    twin_name: str, name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    twin = load_head_writer(twin_name)
    monkeypatch.setattr(web_response, "serialize_head", twin.serialize_head)

    async def evil(request: web.Request) -> web.Response:
        return web.Response(text="x", headers={name: value})

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="fine")

    async with serve(app_with(web.get("/evil", evil), web.get("/ok", ok))) as srv:
        data = await raw_exchange(srv.port, simple_get("/evil", "Connection: close\r\n"))
        assert b"stolen" not in data.lower() and b"\x0b" not in data and b"\x7f" not in data
        assert [r.status for r in parse_responses(data)] == [500]
        data = await raw_exchange(srv.port, simple_get("/ok", "Connection: close\r\n"))
        assert [r.status for r in parse_responses(data)] == [200]
