"""Valid-ish inputs from small grammars, and the seed corpus.

Everything takes a ``random.Random`` so that a case is reproducible from its seed. The HTTP
grammar is the seeded twin of the Hypothesis one in tests/test_parser_differential.py: start
lines, known and unknown headers, framing by Content-Length / chunked / EOF (and conflicting
framing), chunk extensions, trailers, obs-fold, bare LF, pipelining. The corpus adds every
input of the parser conformance and error tables, so mutations start from the cases that the
suite already knows to be interesting.
"""

from __future__ import annotations

import random
import string
from typing import Any, Callable

from fasthttp import hdrs

TCHAR = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
KNOWN = [str(h) for h in hdrs.KNOWN_HEADERS]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT",
           "M-SEARCH", "get"]
STATUSES = [100, 101, 103, 199, 200, 201, 204, 206, 301, 304, 404, 500, 599, 999]
VERSIONS = [b"HTTP/1.1"] * 12 + [b"HTTP/1.0"] * 5 + [b"HTTP/1.9", b"HTTP/2.0", b"HTTP/0.9"]
TARGETS = [b"/", b"*", b"/a?b=c", b"http://h/x", b"h:443", b"/caf\xc3\xa9", b"/%20", b"//x/y",
           b"///a", b"/a#f", b"/\x7f", b"/a b"]
REASONS = [b" OK", b" Not Found", b"", b" ", b" \xc3\xa9\t!", b" Switching Protocols"]
VALUE_BYTES = (list(range(0x20, 0x7F)) + [0x09] + [0x80, 0xC3, 0xA9, 0xFF]
               + [0x01, 0x7F])
CHUNK_EXTS = [b"", b"", b"", b";a=b", b";x", b" ;q=\"v w\"", b"\t;e", b";a=1;b=2", b";",
              b"; a", b";a=\"unbalanced", b";a=\"q\\\"d\"", b" ", b"\t", b";a=b ", b";=v"]
EXTRA_HEADERS = [
    (b"Connection", b"close"), (b"Connection", b"keep-alive"), (b"Connection", b"Upgrade"),
    (b"Upgrade", b"websocket"), (b"Content-Encoding", b" GZip "),
    (b"Connection", b"keep-alive, close"), (b"Host", b"example.com"), (b"Host", b""),
    (b"Expect", b"100-continue"),
]


def token(rng: random.Random, n: int = 10) -> str:
    return "".join(rng.choice(TCHAR) for _ in range(rng.randint(1, n)))


def header_name(rng: random.Random) -> bytes:
    if rng.random() < 0.5:
        name = rng.choice(KNOWN)
        return rng.choice([name, name.lower(), name.upper(), name.swapcase()]).encode()
    return token(rng).encode()


def header_value(rng: random.Random) -> bytes:
    core = bytes(rng.choice(VALUE_BYTES) for _ in range(rng.randint(0, 16)))
    return rng.choice([b" ", b"", b"  ", b"\t", b" \t"]) + core + rng.choice([b"", b"", b" ", b"\t"])


def chunk_size_line(rng: random.Random, n: int) -> bytes:
    h = b"%x" % n
    if rng.random() < 0.5:
        h = h.upper()
    return b"0" * rng.choice([0, 0, 0, 1, 3]) + h + rng.choice(CHUNK_EXTS)


def chunked_body(rng: random.Random, body: bytes) -> bytes:
    out = []
    i = 0
    while i < len(body):  # bounded: each turn consumes >= 1 byte
        n = rng.randint(1, len(body) - i)
        out.append(chunk_size_line(rng, n) + b"\r\n" + body[i:i + n]
                   + rng.choice([b"\r\n"] * 8 + [b"\n", b""]))
        i += n
    out.append(chunk_size_line(rng, 0) + b"\r\n")
    for _ in range(rng.choice([0, 0, 0, 1, 2, 3])):
        out.append(header_name(rng) + b":" + header_value(rng) + b"\r\n")
    out.append(b"\r\n")
    return b"".join(out)


def body_bytes(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.7:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 48)))
    if kind < 0.95:
        return b"x" * rng.randint(0, 600)
    return b"\xaa" * rng.randint(600, 20_000)


def framing(rng: random.Random, body: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    kind = rng.choice(["none", "none", "cl", "cl", "cl", "chunked", "chunked", "chunked",
                       "cl_wrong", "te_other", "cl_te", "cl_list", "te_list", "cl_huge"])
    if kind == "none":
        return [], body
    if kind == "cl":
        return [(b"Content-Length", b"%d" % len(body))], body
    if kind == "cl_list":
        return [(b"Content-Length", b"%d, %d" % (len(body), len(body)))], body
    if kind == "cl_wrong":
        return [(b"Content-Length", b"%d" % rng.randint(0, len(body) + 5))], body
    if kind == "cl_huge":
        return [(b"Content-Length", rng.choice([b"9223372036854775807", b"9223372036854775808",
                                                b"99999999999999999999", b"0" * 40 + b"1"]))], body
    if kind == "chunked":
        te = rng.choice([b"chunked", b"Chunked", b" chunked ", b"CHUNKED"])
        return [(b"Transfer-Encoding", te)], chunked_body(rng, body)
    if kind == "te_list":
        te = rng.choice([b"gzip, chunked", b"chunked, gzip", b"chunked,chunked", b", chunked",
                         b"deflate", b"identity, chunked", b"chunked ,", b"chunked\t"])
        return [(b"Transfer-Encoding", te)], chunked_body(rng, body)
    if kind == "te_other":
        return [(b"Transfer-Encoding", b"gzip")], body
    return [(b"Content-Length", b"%d" % len(body)), (b"Transfer-Encoding", b"chunked")], body


def message(rng: random.Random, *, request: bool) -> bytes:
    if request:
        method = (rng.choice(METHODS) if rng.random() < 0.8 else token(rng)).encode()
        start = method + b" " + rng.choice(TARGETS) + b" " + rng.choice(VERSIONS)
    else:
        status = rng.choice(STATUSES) if rng.random() < 0.8 else rng.randint(100, 999)
        start = rng.choice(VERSIONS) + b" %03d" % status + rng.choice(REASONS)
    frame, wire_body = framing(rng, body_bytes(rng))
    headers = [(header_name(rng), header_value(rng)) for _ in range(rng.randint(0, 5))]
    headers += [rng.choice(EXTRA_HEADERS) for _ in range(rng.choice([0, 0, 1, 2]))]
    if request and rng.random() < 0.7:
        headers.append((b"Host", b"h"))
    if rng.random() < 0.06:  # a stray extra framing header now and then
        headers.append((b"Content-Length", b"0"))
    headers += frame
    rng.shuffle(headers)
    eol = b"\n" if (not request and rng.random() < 0.2) else b"\r\n"
    lines = [start]
    for name, value in headers:
        line = name + b":" + value
        if rng.random() < 0.08:  # obs-fold continuation
            line += eol + rng.choice([b" ", b"\t"]) + b"folded"
        lines.append(line)
    lead = rng.choice([b"", b"", b"", b"\r\n", b"\r\n\r\n"])
    return lead + eol.join(lines) + eol + eol + wire_body


def pipeline(rng: random.Random, *, request: bool) -> bytes:
    return b"".join(message(rng, request=request) for _ in range(rng.choice([1, 1, 1, 2, 3])))


# --------------------------------------------------------------------------- corpus


def _inputs_of(table: Any) -> list[bytes]:
    """The bytes input of each entry of a test table {name: (bytes, ...)}."""
    out = []
    for entry in dict(table).values():
        first = entry[0] if isinstance(entry, tuple) and entry else entry
        if isinstance(first, (bytes, bytearray)) and len(first) <= 40_000:
            out.append(bytes(first))
    return out


def _load_tables(module_name: str, names: tuple[str, ...]) -> list[bytes]:
    # The conformance tables are test data owned by other files; read whatever is there and
    # do not fail if a table is renamed (the built-in seeds still make a corpus).
    try:
        module = __import__(module_name)
    except Exception:  # noqa: BLE001 - a broken or moved test module must not stop the fuzzer
        return []
    out: list[bytes] = []
    for name in names:
        out += _inputs_of(getattr(module, name, {}))
    return out


_corpus: dict[str, list[bytes]] = {}


def corpus(kind: str) -> list[bytes]:
    """Seed inputs for "response", "request" or "chunked"."""
    if kind not in _corpus:
        rng = random.Random(kind)
        if kind == "chunked":
            seeds = _load_tables("test_chunked_decoder", ("VALID", "ERRORS"))
            seeds += [chunked_body(rng, body_bytes(rng)) for _ in range(30)]
        else:
            request = kind == "request"
            seeds = _load_tables("test_parser_conformance",
                                 ("REQUEST_CASES",) if request else ("RESPONSE_CASES",))
            seeds += _load_tables("test_parser_errors",
                                  ("REQUEST_ERRORS",) if request else ("RESPONSE_ERRORS",))
            seeds += [message(rng, request=request) for _ in range(30)]
        _corpus[kind] = seeds
    return _corpus[kind]


# --------------------------------------------------------------------------- head writer

WRITER_PIECES = ["", "ok", "X-Token", "Host", "text/plain", "\u00e9t\u00e9", "\U0001f600",
                 "\r", "\n", "\x00", "\r\n", "\x01", "\x0b", "\x0c", "\x7f", "\t", " ",
                 ":", "Host: evil.example", "\udc80", "\udcff", "a\r\nX-Evil: 1", "\x1f", "\x85", "\u2028", "\ufeff", "x" * 300]


# Lone surrogates (not produced by surrogateescape): rarer, so that the known divergence
# (known.py) does not crowd out the rest.
LONE_SURROGATES = ["\ud800", "\udfff", "\udc7f", "\udd00", "\ud83d"]


def writer_text(rng: random.Random) -> str:
    pieces = [rng.choice(WRITER_PIECES) if rng.random() < 0.5 else token(rng)
              for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    if rng.random() < 0.01:
        pieces.insert(rng.randint(0, len(pieces)), rng.choice(LONE_SURROGATES))
    if rng.random() < 0.2:
        pieces.append("".join(chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x10FFFF)]))
                              for _ in range(rng.randint(1, 6))))
    return "".join(pieces)


def writer_case(rng: random.Random) -> tuple[str, list[tuple[Any, Any]]]:
    if rng.random() < 0.5:
        first = rng.choice(["GET / HTTP/1.1", "HTTP/1.1 200 OK", "POST /a?b HTTP/1.0"])
        if rng.random() < 0.3:
            first += writer_text(rng)
    else:
        first = writer_text(rng)
    pairs: list[tuple[Any, Any]] = []
    for _ in range(rng.randint(0, 6)):
        name: Any = writer_text(rng) if rng.random() < 0.4 else rng.choice(KNOWN + ["X-A"])
        value: Any = writer_text(rng)
        if rng.random() < 0.02:
            value = rng.choice([1, b"bytes", None])
        pairs.append((name, value))
    return first, pairs


GENERATORS: dict[str, Callable[[random.Random], bytes]] = {
    "response": lambda rng: pipeline(rng, request=False),
    "request": lambda rng: pipeline(rng, request=True),
    "chunked": lambda rng: chunked_body(rng, body_bytes(rng))
    + rng.choice([b"", b"", b"tail", b"0\r\n\r\n"]),
}


# --------------------------------------------------------------------------- WebSocket

WS_MAX_SIZES = [0, 1, 2, 10, 125, 126, 200, 1000, 65536, 4 * 1024 * 1024]


def _ws_text(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.5:
        return "".join(chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0x80, 0x10FFFF)]))
                       for _ in range(rng.randint(0, 30))).encode("utf-8", "surrogatepass")
    if kind < 0.7:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 12)))
    good = rng.choice(["é€😀" * 30, "a" * 150, "x"]).encode()
    cut = rng.randint(0, len(good))
    bad = rng.choice([b"\xff", b"\xf4\x90", b"\xed\xa0", b"\xe0\x80", b"\xc3\x28",
                      b"\xf0\x9f\x98", b"\x80", b""])
    return good[:cut] + bad + good[cut:]


def _ws_payload(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.6:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
    if kind < 0.9:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(120, 300)))
    return rng.choice([b"", b"x" * 125, b"y" * 126, b"z" * 65535, b"w" * 65536])


def ws_stream(rng: random.Random) -> tuple[dict[str, Any], bytes]:
    """(reader settings, bytes): messages, fragments, control frames and raw odd frames."""
    from ws_cases import (BINARY, CLOSE, CONT, INVALID_CLOSE_CODES, PING, PONG, TEXT,
                          VALID_CLOSE_CODES, RefCompressor, build_frame, close_payload)

    expect_masked = rng.random() < 0.5
    settings: dict[str, Any] = {
        "max_msg_size": rng.choice(WS_MAX_SIZES),
        "compress": rng.random() < 0.5,
        "window_bits": rng.randint(9, 15),
        "no_context_takeover": rng.random() < 0.5,
        "expect_masked": expect_masked,
    }
    comp = RefCompressor(settings["window_bits"], settings["no_context_takeover"])

    def key() -> Any:
        masked = expect_masked if rng.random() < 0.94 else not expect_masked
        return rng.getrandbits(32).to_bytes(4, "big") if masked else None

    def control() -> bytes:
        op = rng.choice([PING, PONG, CLOSE])
        if op == CLOSE:
            choice = rng.random()
            if choice < 0.2:
                payload = b""
            elif choice < 0.3:
                payload = bytes([rng.getrandbits(8)])
            else:
                payload = close_payload(rng.choice(VALID_CLOSE_CODES + INVALID_CLOSE_CODES),
                                        _ws_text(rng)[:123])
        else:
            payload = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 5, 125, 126])))
        return build_frame(op, payload, key=key())

    frames: list[bytes] = []
    for _ in range(rng.randint(0, 6)):
        kind = rng.choice(["text", "binary", "control", "raw"])
        if kind in ("text", "binary"):
            data = _ws_text(rng) if kind == "text" else _ws_payload(rng)
            compressed = rng.random() < 0.5 and (settings["compress"] or rng.random() < 0.12)
            payload = comp.compress(data) if compressed else data
            nfrag = rng.randint(1, 4)
            cuts = sorted(rng.randint(0, len(payload)) for _ in range(nfrag - 1))
            pieces = [payload[a:b] for a, b in zip([0] + cuts, cuts + [len(payload)])]
            for i, piece in enumerate(pieces):
                op = (TEXT if kind == "text" else BINARY) if i == 0 else CONT
                frames.append(build_frame(op, piece, fin=(i == len(pieces) - 1),
                                          rsv1=compressed and i == 0, key=key()))
                if i < len(pieces) - 1 and rng.random() < 0.25:
                    frames.append(control())
        elif kind == "control":
            frames.append(control())
        else:
            first = rng.getrandbits(8)
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 140)))
            form = rng.choice([None, None, 7, 16, 64])
            if form == 7 and len(payload) > 125:
                form = None
            claimed = rng.choice([None, None, None, 0, 5, 126, 70000, 5 * 1024 * 1024, 1 << 62,
                                  1 << 63, (1 << 64) - 1])
            if claimed is not None and claimed >= 65536:
                form = 64
            elif claimed is not None and claimed >= 126 and form == 7:
                form = 16
            frames.append(build_frame(first & 0x0F, payload, fin=bool(first & 0x80),
                                      rsv1=bool(first & 0x40), rsv2=bool(first & 0x20),
                                      rsv3=bool(first & 0x10), key=key(), length_form=form,
                                      claimed_length=claimed))
    return settings, b"".join(frames)
