"""The byte corpora the parser benchmarks feed to every parser.

Everything here is built deterministically (no clocks, no randomness), so every run and every
parser sees exactly the same bytes.

A corpus is what one benchmark round feeds: `pieces`, a tuple of `bytes` objects handed to the
parser one `feed_data` call each, as successive socket reads would deliver them. The expected
outcome (how many responses, how many body bytes in all) is recorded next to the bytes, so each
benchmark can check once, outside the timing, that its parser really did the whole job.

- `small_json`:    one ~100-byte JSON response with eleven typical headers, one piece.
- `chunked`:       one chunked response of ten chunks (200..470 bytes each), one piece.
- `body_1mib`:     one response with a 1 MiB Content-Length body, cut into 64 KiB pieces exactly
                   as 64 KiB socket reads would return it (the head arrives inside the first
                   piece, so 17 pieces: 16 full ones and a small last one).
- `pipelined_100`: 100 small responses back to back in one buffer, one piece.

All responses are HTTP/1.1 keep-alive, so a parser can read the same corpus again and again
as the continuation of one connection.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ("Corpus", "CORPORA", "CORPUS_NAMES", "PIECE_SIZE")

# The size of one socket read for the 1 MiB body (asyncio's selector transports read 256 KiB
# at most; 64 KiB is aiohttp's default `read_bufsize` and a common socket receive size).
PIECE_SIZE = 64 * 1024


@dataclass(frozen=True)
class Corpus:
    name: str
    description: str
    pieces: tuple[bytes, ...]  # one feed_data call each, in order
    messages: int  # complete responses in one round
    body_bytes: int  # body bytes in one round, all responses together
    body_sizes: tuple[int, ...]  # body length of each response, in order

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.pieces)


_DATE = b"Sun, 23 Nov 2025 12:00:00 GMT"


def _head(status_line: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    lines = [status_line]
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _json_body() -> bytes:
    body = (
        b'{"id":12345,"name":"fasthttp","ok":true,"tags":["http","asyncio","cython"],'
        b'"score":98.6,"owner":null}'
    )
    assert 90 <= len(body) <= 110, len(body)
    return body


def _json_response(request_id: int = 0) -> bytes:
    body = _json_body()
    return (
        _head(
            b"HTTP/1.1 200 OK",
            [
                (b"Date", _DATE),
                (b"Server", b"nginx/1.25.3"),
                (b"Content-Type", b"application/json; charset=utf-8"),
                (b"Content-Length", str(len(body)).encode()),
                (b"Connection", b"keep-alive"),
                (b"Cache-Control", b"no-cache, no-store, must-revalidate"),
                (b"Vary", b"Accept-Encoding, Origin"),
                (b"X-Request-Id", b"5f3c2a9e-8d1b-4c6f-9a7e-%012d" % request_id),
                (b"Access-Control-Allow-Origin", b"*"),
                (b"Strict-Transport-Security", b"max-age=63072000; includeSubDomains; preload"),
                (b"X-Content-Type-Options", b"nosniff"),
            ],
        )
        + body
    )


def _chunk_payload(index: int, size: int) -> bytes:
    # Printable, varied, deterministic: a line of text repeated and cut to size.
    line = b"chunk %02d: the quick brown fox jumps over the lazy dog 0123456789\n" % index
    return (line * (size // len(line) + 1))[:size]


def _small_json() -> Corpus:
    data = _json_response()
    return Corpus(
        name="small_json",
        description="one ~100-byte JSON response, 11 headers, in one piece",
        pieces=(data,),
        messages=1,
        body_bytes=len(_json_body()),
        body_sizes=(len(_json_body()),),
    )


def _chunked() -> Corpus:
    head = _head(
        b"HTTP/1.1 200 OK",
        [
            (b"Date", _DATE),
            (b"Server", b"nginx/1.25.3"),
            (b"Content-Type", b"text/plain; charset=utf-8"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Connection", b"keep-alive"),
            (b"Cache-Control", b"no-cache"),
            (b"X-Request-Id", b"5f3c2a9e-8d1b-4c6f-9a7e-000000000001"),
        ],
    )
    sizes = [200 + 30 * i for i in range(10)]  # 200, 230, ..., 470 bytes
    parts = [head]
    for i, size in enumerate(sizes):
        parts.append(b"%x\r\n" % size)
        parts.append(_chunk_payload(i, size))
        parts.append(b"\r\n")
    parts.append(b"0\r\n\r\n")
    total = sum(sizes)
    return Corpus(
        name="chunked",
        description=f"one chunked response, 10 chunks of 200..470 bytes ({total} body bytes), in one piece",
        pieces=(b"".join(parts),),
        messages=1,
        body_bytes=total,
        body_sizes=(total,),
    )


def _body_1mib() -> Corpus:
    size = 1024 * 1024
    body = bytes(range(256)) * (size // 256)
    head = _head(
        b"HTTP/1.1 200 OK",
        [
            (b"Date", _DATE),
            (b"Server", b"nginx/1.25.3"),
            (b"Content-Type", b"application/octet-stream"),
            (b"Content-Length", str(size).encode()),
            (b"Connection", b"keep-alive"),
            (b"Accept-Ranges", b"bytes"),
            (b"ETag", b'"5f3c2a9e-100000"'),
            (b"Last-Modified", b"Sat, 22 Nov 2025 08:30:00 GMT"),
        ],
    )
    stream = head + body
    pieces = tuple(stream[i : i + PIECE_SIZE] for i in range(0, len(stream), PIECE_SIZE))
    return Corpus(
        name="body_1mib",
        description=(
            f"one 1 MiB Content-Length response in {len(pieces)} pieces of 64 KiB "
            "(the head inside the first)"
        ),
        pieces=pieces,
        messages=1,
        body_bytes=size,
        body_sizes=(size,),
    )


def _pipelined_100() -> Corpus:
    n = 100
    data = b"".join(_json_response(i) for i in range(n))
    body = len(_json_body())
    return Corpus(
        name="pipelined_100",
        description=f"100 pipelined small JSON responses in one buffer ({len(data)} bytes)",
        pieces=(data,),
        messages=n,
        body_bytes=n * body,
        body_sizes=(body,) * n,
    )


CORPORA: dict[str, Corpus] = {
    c.name: c for c in (_small_json(), _chunked(), _body_1mib(), _pipelined_100())
}
CORPUS_NAMES: tuple[str, ...] = tuple(CORPORA)


if __name__ == "__main__":  # a quick look: python benchmarks/corpora.py
    for corpus in CORPORA.values():
        print(
            f"{corpus.name:14} {corpus.size:>9} bytes in {len(corpus.pieces):>2} piece(s), "
            f"{corpus.messages:>3} response(s), {corpus.body_bytes:>8} body bytes: "
            f"{corpus.description}"
        )
    print()
    print(CORPORA["small_json"].pieces[0].decode())
