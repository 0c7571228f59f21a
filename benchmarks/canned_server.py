"""A canned-response HTTP/1.1 server for the client benchmarks, run in its own process.

    python benchmarks/canned_server.py [--host 127.0.0.1] [--port 0] [--loop auto|uvloop|asyncio]
                                       [--lifetime SECONDS]

It prints one line, `READY <port>`, on stdout once it listens, and then serves until its stdin
is closed (the parent exited or called `stop()`), it gets SIGTERM/SIGINT, or `--lifetime`
seconds have passed (default 3600): it can never outlive a benchmark run by long.

Every client is served alike, as cheaply as possible so that the server is not the bottleneck:
a raw `asyncio.Protocol` (on uvloop when installed), keep-alive, prebuilt responses, no
per-request allocation beyond slicing the input buffer. Requests may be pipelined.

Routes (anything else: 404 with an empty body):

- `GET /json`: 200, a 101-byte JSON body (`JSON_BODY`) with Date, Server, Content-Type,
  Content-Length, Cache-Control, Vary and X-Request-Id headers;
- `POST /echo-size`: reads the request body (Content-Length or chunked) and answers 200 with
  the tiny JSON `{"received":N}` where N is the body's length in bytes;
- `GET /bytes/10MiB` (also `/bytes/N` for N bytes, `KiB`/`MiB`/`GiB` suffixes allowed): a
  Content-Length body of that many bytes (the byte `x` repeated);
- `GET /stream?size=N` (same suffixes): N bytes streamed with Content-Length. Large bodies are
  written in 256 KiB blocks under the transport's flow control (`pause_writing` /
  `resume_writing`), so a slow reader holds the server back instead of filling its memory;
- `GET /stats`: `{"opened":N,"open":M}`, connections accepted so far and open now (to check
  that a client really keeps its connections alive).

`CannedServer` (used by the benchmark fixtures, the runner and memory_check.py) starts it as a
subprocess on a free 127.0.0.1 port and stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Optional

from malloc_modes import use_small_reads  # beside this file

JSON_BODY = (
    b'{"id":12345,"name":"demo","tags":["http","client","asyncio"],'
    b'"active":true,"score":9,"items":[1,2,3]}'
)
assert len(JSON_BODY) == 101, len(JSON_BODY)

BLOCK = b"x" * (256 * 1024)
_SUFFIX = {"": 1, "b": 1, "kib": 1024, "k": 1024, "mib": 1024**2, "m": 1024**2, "gib": 1024**3, "g": 1024**3}
_SIZE_RE = re.compile(rb"^(\d+)([A-Za-z]*)$")


def parse_size(text: bytes | str) -> Optional[int]:
    raw = text.encode() if isinstance(text, str) else text
    m = _SIZE_RE.match(raw)
    if not m:
        return None
    mult = _SUFFIX.get(m.group(2).decode().lower())
    return None if mult is None else int(m.group(1)) * mult


def echo_reply(n: int) -> bytes:
    """The exact body POST /echo-size answers for an n-byte request body."""
    return b'{"received":%d}' % n


class _Clock:
    date = b""

    @classmethod
    def tick(cls) -> None:
        cls.date = email.utils.formatdate(usegmt=True).encode()


def _head(status: bytes, ctype: Optional[bytes], length: int, extra: bytes = b"") -> bytes:
    out = b"HTTP/1.1 " + status + b"\r\nDate: " + _Clock.date + b"\r\nServer: canned/1.0\r\n"
    if ctype:
        out += b"Content-Type: " + ctype + b"\r\n"
    return out + b"Content-Length: %d\r\n" % length + extra + b"\r\n"


class _Responses:
    """Prebuilt responses, rebuilt once a second for the Date header."""

    json = b""
    not_found = b""
    bad = b""

    @classmethod
    def rebuild(cls) -> None:
        _Clock.tick()
        cls.json = (
            _head(
                b"200 OK",
                b"application/json; charset=utf-8",
                len(JSON_BODY),
                b"Cache-Control: no-cache\r\nVary: Accept-Encoding\r\nX-Request-Id: 8f14e45f-ceea-467a\r\n",
            )
            + JSON_BODY
        )
        cls.not_found = _head(b"404 Not Found", None, 0)
        cls.bad = _head(b"400 Bad Request", None, 0, b"Connection: close\r\n")


class CannedProtocol(asyncio.Protocol):
    __slots__ = (
        "transport",
        "buf",
        "body_left",
        "chunked",
        "chunk_state",
        "received",
        "stream_left",
        "paused",
        "queue",
    )

    def __init__(self) -> None:
        self.transport: Any = None
        self.buf = b""
        self.body_left = 0  # request body bytes still to read (Content-Length)
        self.chunked = False  # reading a chunked request body
        self.received = 0
        self.stream_left = 0  # response body bytes still to write (large bodies)
        self.paused = False
        self.queue: list[bytes] = []  # pipelined requests waiting behind a streamed body

    opened = 0  # connections accepted so far (GET /stats)
    open_now = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        use_small_reads(transport)  # 64 KiB on asyncio's loop, as fasthttp's (malloc_modes.py)
        CannedProtocol.opened += 1
        CannedProtocol.open_now += 1
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        CannedProtocol.open_now -= 1
        self.transport = None
        self.stream_left = 0

    # -- flow control for large bodies -------------------------------------------------------
    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._pump()

    def _pump(self) -> None:
        tr = self.transport
        while self.stream_left and not self.paused and tr is not None:
            n = self.stream_left
            if n >= len(BLOCK):
                tr.write(BLOCK)
                n = len(BLOCK)
            else:
                tr.write(BLOCK[:n])
            self.stream_left -= n
        if not self.stream_left and self.buf and tr is not None:
            self._process()

    # -- requests ----------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        self.buf = self.buf + data if self.buf else data
        if not self.stream_left:
            self._process()

    def _process(self) -> None:
        while self.buf and self.transport is not None and not self.stream_left:
            if self.chunked:
                if not self._read_chunked():
                    return
                continue
            if self.body_left:
                take = min(self.body_left, len(self.buf))
                self.body_left -= take
                self.received += take
                self.buf = self.buf[take:]
                if self.body_left:
                    return
                self.transport.write(self._echo())
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    self._bad()
                return
            head = self.buf[:end]
            self.buf = self.buf[end + 4 :]
            self._handle(head)

    def _bad(self) -> None:
        if self.transport is not None:
            self.transport.write(_Responses.bad)
            self.transport.close()
        self.buf = b""

    def _echo(self) -> bytes:
        body = echo_reply(self.received)
        self.received = 0
        return _head(b"200 OK", b"application/json", len(body)) + body

    def _handle(self, head: bytes) -> None:
        line_end = head.find(b"\r\n")
        line = head if line_end < 0 else head[:line_end]
        parts = line.split(b" ")
        if len(parts) != 3:
            return self._bad()
        method, target = parts[0], parts[1]
        if target[:7] == b"http://":
            # The absolute form a client sends to a forward proxy: answered here, as a caching
            # proxy would (the proxy scenario of the client benchmarks).
            slash = target.find(b"/", 7)
            target = b"/" if slash < 0 else target[slash:]
        tr = self.transport
        if method == b"GET":
            if target == b"/json":
                tr.write(_Responses.json)
                return
            if target == b"/stats":
                body = b'{"opened":%d,"open":%d}' % (CannedProtocol.opened, CannedProtocol.open_now)
                tr.write(_head(b"200 OK", b"application/json", len(body)) + body)
                return
            size: Optional[int] = None
            if target.startswith(b"/bytes/"):
                size = parse_size(target[7:])
            elif target.startswith(b"/stream?size="):
                size = parse_size(target[13:])
            if size is None:
                tr.write(_Responses.not_found)
                return
            tr.write(_head(b"200 OK", b"application/octet-stream", size))
            self.stream_left = size
            self._pump()
            return
        if method == b"POST" and target == b"/echo-size":
            lower = head.lower()
            self.received = 0
            if b"\r\ntransfer-encoding: chunked" in lower:
                self.chunked = True
                return
            i = lower.find(b"\r\ncontent-length:")
            if i < 0:
                tr.write(self._echo())
                return
            j = lower.find(b"\r\n", i + 2)
            try:
                self.body_left = int(lower[i + 17 : j if j >= 0 else None].strip())
            except ValueError:
                return self._bad()
            if not self.body_left:
                tr.write(self._echo())
            return
        # Anything else: drain a Content-Length body if any, answer 404.
        lower = head.lower()
        i = lower.find(b"\r\ncontent-length:")
        if i >= 0:
            j = lower.find(b"\r\n", i + 2)
            try:
                n = int(lower[i + 17 : j if j >= 0 else None].strip())
            except ValueError:
                return self._bad()
            self.buf = self.buf[n:] if len(self.buf) >= n else b""  # good enough for a 404
        tr.write(_Responses.not_found)

    def _read_chunked(self) -> bool:
        """Consume chunked body bytes from buf; False when more input is needed."""
        while True:
            nl = self.buf.find(b"\r\n")
            if nl < 0:
                return False
            try:
                size = int(self.buf[:nl].split(b";", 1)[0], 16)
            except ValueError:
                self._bad()
                return False
            if size == 0:
                # Last chunk: skip optional trailers up to the empty line.
                if self.buf[nl + 2 : nl + 4] == b"\r\n":
                    self.buf = self.buf[nl + 4 :]
                else:
                    end = self.buf.find(b"\r\n\r\n", nl + 2)
                    if end < 0:
                        return False
                    self.buf = self.buf[end + 4 :]
                self.chunked = False
                assert self.transport is not None
                self.transport.write(self._echo())
                return True
            need = nl + 2 + size + 2
            if len(self.buf) < need:
                return False
            self.received += size
            self.buf = self.buf[need:]


async def serve(host: str, port: int, lifetime: float) -> None:
    loop = asyncio.get_running_loop()
    _Responses.rebuild()

    def _tick() -> None:
        _Responses.rebuild()
        loop.call_later(1.0, _tick)

    loop.call_later(1.0, _tick)
    server = await loop.create_server(CannedProtocol, host, port, backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass

    def _watch_stdin() -> None:
        # The parent closes our stdin (or dies): stop.
        try:
            while sys.stdin.buffer.read(1):
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(stop.set)

    if not sys.stdin.isatty():
        threading.Thread(target=_watch_stdin, daemon=True).start()
    loop.call_later(lifetime, stop.set)
    print(f"READY {port}", flush=True)
    await stop.wait()
    server.close()


def _new_loop(kind: str) -> tuple[asyncio.AbstractEventLoop, str]:
    if kind in ("auto", "uvloop"):
        try:
            import uvloop

            return uvloop.new_event_loop(), "uvloop"
        except ImportError:
            if kind == "uvloop":
                raise
    return asyncio.new_event_loop(), "asyncio"


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--loop", default="auto", choices=("auto", "uvloop", "asyncio"))
    ap.add_argument("--lifetime", type=float, default=3600.0)
    args = ap.parse_args(argv)
    loop, _ = _new_loop(args.loop)
    try:
        loop.run_until_complete(serve(args.host, args.port, args.lifetime))
    finally:
        loop.close()
    return 0


class CannedServer:
    """Runs canned_server.py in a subprocess; `url` is its base URL once started."""

    def __init__(self, loop: str = "auto", lifetime: float = 3600.0) -> None:
        self.loop = loop
        self.lifetime = lifetime
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "CannedServer":
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--port", "0", "--loop", self.loop,
             "--lifetime", str(self.lifetime)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(max(0.0, deadline - time.monotonic()))
        line = result[0] if result else b""
        if not line.startswith(b"READY "):
            self.stop()
            raise RuntimeError(f"canned server did not start (got {line!r})")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> "CannedServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(main())
