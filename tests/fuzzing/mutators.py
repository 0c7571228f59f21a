"""Mutations of HTTP and WebSocket inputs, byte-level and grammar-aware.

``mutate_http(rng, data, corpus)`` applies 1-4 mutations, each drawn from ``HTTP_MUTATIONS``:
the byte-level ones (flip a bit, insert a special byte, delete or duplicate a range, truncate)
and the ones that know the grammar (duplicate or swap a line, add a framing header, change a
number or a chunk-size line, tamper a chunk extension, change line endings or the version,
blow a line up past any limit, splice in another corpus input). ``mutate_ws`` does the same
for frame streams (header bits, opcodes, mask bit, length forms and absurd lengths).
Every mutation is bounded in size (at most a few hundred KB of output).
"""

from __future__ import annotations

import random
import re
from typing import Callable, Sequence

SPECIAL = [b"\r", b"\n", b"\x00", b" ", b"\t", b":", b"\r\n", b";", b",", b"\x7f", b"\x01",
           b"\x0b", b"\x0c", b"\xff", b"\x80", b"\xc3", b"0", b"f", b"\"", b"\\", b"=",
           b"\r\n\r\n", b"\n\n", b"\r\r"]
NUMBERS = [b"0", b"1", b"00", b"7", b"-1", b"+1", b"65536", b"4294967296",
           b"9223372036854775807", b"9223372036854775808", b"18446744073709551616",
           b"99999999999999999999999", b"0" * 30 + b"5", b"1e3", b"0x10", b" 5", b"5 "]
HEXES = [b"0", b"1", b"f", b"F", b"10", b"7fffffffffffffff", b"8000000000000000",
         b"ffffffffffffffff", b"1" + b"0" * 16, b"0" * 20 + b"1", b"g", b"", b"-1", b"0x1",
         b" 1", b"1 ", b"1\t", b"1 ;a", b"1;", b"1; ", b"1;a=\"b", b"1;a=\"b\\\"\"", b"1;a=b;",
         b"1;a b", b"1;=", b"1;a\x01", b"1;a=\x7f"]
FRAMING = [b"Content-Length: 0", b"Content-Length: 5", b"Content-Length: 5, 6",
           b"Content-Length: 9223372036854775808", b"Transfer-Encoding: chunked",
           b"Transfer-Encoding: gzip", b"Transfer-Encoding: chunked, gzip",
           b"Transfer-Encoding: chunked,chunked", b"Connection: close",
           b"Connection: keep-alive", b"Connection: Upgrade", b"Upgrade: websocket",
           b"Host: a", b"Host: b", b"Content-Length:", b"Transfer-Encoding:",
           b"Transfer-Encoding : chunked", b" Transfer-Encoding: chunked",
           b"Content-Length : 1", b"X: \x00", b"X\x00: v", b"X: \x80\xff"]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.9", b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.", b"HTTP/11",
            b"http/1.1", b"HTTP/1.1 ", b"HTTP/ 1.1", b"HTTP/1.10"]
MAX_OUT = 300_000

_DIGITS = re.compile(rb"[0-9]+")
# One hex digit then the rest of the line: no nested repetition, so no quadratic backtracking
# on a long line without an end.
_HEXLINE = re.compile(rb"(?m)^[0-9a-fA-F][^\r\n]*(?=\r?\n)")
_VERSION = re.compile(rb"HTTP/[0-9.]+")


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def flip(rng: random.Random, data: bytearray) -> None:
    if data:
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)


def set_byte(rng: random.Random, data: bytearray) -> None:
    if data:
        data[rng.randrange(len(data))] = rng.choice([rng.randrange(256), 0, 0x0D, 0x0A, 0x80,
                                                     0xFF, 0x20, 0x09, 0x7F])


def insert_special(rng: random.Random, data: bytearray) -> None:
    pos = rng.randint(0, len(data))
    data[pos:pos] = rng.choice(SPECIAL)


def replace_special(rng: random.Random, data: bytearray) -> None:
    s = rng.choice(SPECIAL)
    pos = rng.randint(0, len(data))
    data[pos:pos + len(s)] = s


def delete_range(rng: random.Random, data: bytearray) -> None:
    if data:
        pos = rng.randrange(len(data))
        del data[pos:pos + rng.choice([1, 1, 2, 4, 16])]


def duplicate_range(rng: random.Random, data: bytearray) -> None:
    if data:
        a = rng.randrange(len(data))
        b = min(len(data), a + rng.choice([1, 2, 8, 64]))
        data[b:b] = data[a:b] * rng.choice([1, 2, 10])


def truncate(rng: random.Random, data: bytearray) -> None:
    if data:
        del data[rng.randrange(len(data)):]


def duplicate_line(rng: random.Random, data: bytearray) -> None:
    lines = _lines(bytes(data))
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    data[:] = b"".join(lines)


def swap_lines(rng: random.Random, data: bytearray) -> None:
    lines = _lines(bytes(data))
    if len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        data[:] = b"".join(lines)


def add_framing_header(rng: random.Random, data: bytearray) -> None:
    end = data.find(b"\n")
    pos = end + 1 if end >= 0 else len(data)
    data[pos:pos] = rng.choice(FRAMING) + rng.choice([b"\r\n", b"\r\n", b"\n"])


def change_number(rng: random.Random, data: bytearray) -> None:
    spans = [m.span() for m in _DIGITS.finditer(data)]
    if spans:
        a, b = rng.choice(spans)
        data[a:b] = rng.choice(NUMBERS) if rng.random() < 0.7 else b"%d" % rng.randint(0, 99)


def tamper_chunk_line(rng: random.Random, data: bytearray) -> None:
    spans = [m.span() for m in _HEXLINE.finditer(data)]
    if spans:
        a, b = rng.choice(spans)
        line = bytes(data[a:b])
        size = re.match(rb"[0-9a-fA-F]*", line)
        rest = line[size.end():] if size else line
        choice = rng.random()
        if choice < 0.4:
            data[a:b] = rng.choice(HEXES)
        elif choice < 0.7:  # keep the size, change the extension part
            keep = line[:size.end()] if size else b""
            data[a:b] = keep + rng.choice([b"", b" ", b"\t", b";", b"; ", b" ;a", b";a=\"x",
                                           b";a=\"x\\\"\"", b";a=\"\"", b";a;b", b";a=b c",
                                           b";\x00", b";a=\x80", b";;", b"=;", b";a=b\t"])
        else:
            data[a:b] = b"0" * rng.choice([1, 5, 40]) + line  # leading zeros


def change_line_ends(rng: random.Random, data: bytearray) -> None:
    old, new = rng.choice([(b"\r\n", b"\n"), (b"\n", b"\r\n"), (b"\r\n", b"\r"),
                           (b"\r\n", b"\n\r"), (b"\r\n", b"\r\r\n")])
    idx = [m.start() for m in re.finditer(re.escape(old), data)]
    if idx:
        i = rng.choice(idx)
        data[i:i + len(old)] = new


def change_version(rng: random.Random, data: bytearray) -> None:
    spans = [m.span() for m in _VERSION.finditer(data)]
    if spans:
        a, b = rng.choice(spans)
        data[a:b] = rng.choice(VERSIONS)


def blow_up_line(rng: random.Random, data: bytearray) -> None:
    """Make one line huge (past any limit): repeat a byte inside it."""
    if data:
        pos = rng.randrange(len(data))
        fill = rng.choice([b"a", b"0", b" ", b"\t", bytes([data[pos]])])
        data[pos:pos] = fill * rng.choice([60, 200, 9000, 70_000])


def trailer_after(rng: random.Random, data: bytearray) -> None:
    """Append bytes after the message: another message, garbage or an empty line."""
    data += rng.choice([b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n",
                        b"\r\n", b"x", b"0\r\n\r\n", b"\x00", b"HTTP/1.1 204 No\r\n\r\n"])


HTTP_MUTATIONS: list[Callable[[random.Random, bytearray], None]] = [
    flip, set_byte, insert_special, insert_special, replace_special, delete_range,
    duplicate_range, truncate, duplicate_line, swap_lines, add_framing_header,
    add_framing_header, change_number, change_number, tamper_chunk_line, tamper_chunk_line,
    tamper_chunk_line, change_line_ends, change_version, blow_up_line, trailer_after,
]


def mutate_http(rng: random.Random, data: bytes, corpus: Sequence[bytes] = ()) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        if corpus and rng.random() < 0.07:  # splice with another corpus input
            other = rng.choice(corpus)
            out = out[:rng.randint(0, len(out))] + other[rng.randint(0, len(other)):]
            continue
        rng.choice(HTTP_MUTATIONS)(rng, out)
        if len(out) > MAX_OUT:
            del out[MAX_OUT:]
    return bytes(out)


# --------------------------------------------------------------------------- WebSocket


def _frame_starts(data: bytes) -> list[int]:
    """Start offsets of the frames of a well-formed stream (stops at the first odd one)."""
    starts: list[int] = []
    i = 0
    while i + 2 <= len(data) and len(starts) < 64:
        starts.append(i)
        n = data[i + 1] & 0x7F
        head = 2 + (2 if n == 126 else 8 if n == 127 else 0)
        if i + head > len(data):
            break
        size = n if n < 126 else int.from_bytes(data[i + 2:i + head], "big")
        i += head + (4 if data[i + 1] & 0x80 else 0) + size
    return starts


def ws_header_bits(rng: random.Random, data: bytearray) -> None:
    starts = _frame_starts(bytes(data))
    if starts:
        i = rng.choice(starts)
        data[i] ^= rng.choice([0x80, 0x40, 0x20, 0x10, 0x01, 0x02, 0x08, 0x0F])


def ws_opcode(rng: random.Random, data: bytearray) -> None:
    starts = _frame_starts(bytes(data))
    if starts:
        i = rng.choice(starts)
        data[i] = (data[i] & 0xF0) | rng.randrange(16)


def ws_mask_bit(rng: random.Random, data: bytearray) -> None:
    starts = _frame_starts(bytes(data))
    if starts:
        data[rng.choice(starts) + 1] ^= 0x80


def ws_length(rng: random.Random, data: bytearray) -> None:
    starts = _frame_starts(bytes(data))
    if starts:
        i = rng.choice(starts) + 1
        if i < len(data):
            data[i] = (data[i] & 0x80) | rng.choice([0, 1, 125, 126, 127, rng.randrange(128)])
            if data[i] & 0x7F == 127 and rng.random() < 0.5:
                data[i + 1:i + 9] = rng.choice([b"\x80" + b"\x00" * 7, b"\xff" * 8,
                                                b"\x00" * 5 + b"\x01\x00\x00",
                                                b"\x00" * 7 + b"\x05"])


WS_MUTATIONS: list[Callable[[random.Random, bytearray], None]] = [
    flip, set_byte, delete_range, duplicate_range, truncate, ws_header_bits, ws_header_bits,
    ws_opcode, ws_mask_bit, ws_length, ws_length,
]


def mutate_ws(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3])):
        rng.choice(WS_MUTATIONS)(rng, out)
    return bytes(out[:MAX_OUT])
