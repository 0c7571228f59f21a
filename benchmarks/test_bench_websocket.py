"""WebSocket frame-codec benchmarks: fasthttp's twins against aiohttp and websockets.

Groups (one pytest-benchmark group each, so the table shows ratios within a group):

- `mask-125B`, `mask-4KiB`, `mask-1MiB`, `mask-16MiB`: XOR a buffer with a 4-byte key.
  - `fasthttp-cython` / `fasthttp-python`: `apply_mask(bytearray, key)`, in place.
  - `aiohttp-cython` / `aiohttp-python`: `aiohttp._websocket.mask._websocket_mask_cython(key,
    bytearray)` and `aiohttp._websocket.helpers._websocket_mask_python(key, bytearray)`, in place.
  - `websockets-c`: `websockets.speedups.apply_mask(bytes, key)`, which returns a new bytes
    object (its API: the allocation and copy are part of its job).
  - `bytearray-copy`: `bytearray(data)`, a plain copy: the memory-bandwidth reference.
  Masking twice restores the data, so in-place masks run on one long-lived buffer.
- `reader-1000-text`: one buffer of 1000 small unmasked text frames (a server's burst) parsed
  into 1000 text messages. Each round builds a fresh reader (and, for aiohttp, its
  WebSocketDataQueue; aiohttp's reader delivers into that queue) and feeds it the whole buffer.
  - `fasthttp-cython` / `fasthttp-python`: `WebSocketReader().feed_data(buf)` -> list.
  - `aiohttp-cython` / `aiohttp-python`: aiohttp's `reader_c` / `reader_py` WebSocketReader
    (max_msg_size 4 MiB, no compression, decode_text=True as its client uses it).

Every implementation's output is checked once before timing (a peer set up wrongly errors
instead of benchmarking nothing). Benchmarks never assert a time.
"""

from __future__ import annotations

import asyncio
import importlib
import random
from typing import Any, Callable

import pytest

SIZES = {"125B": 125, "4KiB": 4096, "1MiB": 1 << 20, "16MiB": 16 << 20}
KEY = b"\x9a\x1f\x5c\xe3"
MASKS = (
    "fasthttp-cython",
    "fasthttp-python",
    "aiohttp-cython",
    "aiohttp-python",
    "websockets-c",
    "bytearray-copy",
)
READERS = ("fasthttp-cython", "fasthttp-python", "aiohttp-cython", "aiohttp-python")

_data_cache: dict[int, bytes] = {}


def _data(size: int) -> bytes:
    if size not in _data_cache:
        _data_cache[size] = random.Random(size).randbytes(size)
    return _data_cache[size]


def _xor_ref(data: bytes, key: bytes) -> bytes:
    size = len(data)
    repeated = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(
        size, "little"
    )


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pytest.skip(f"{name} is not importable: {exc}")


def _mask_round(impl: str, data: bytes) -> tuple[Callable[[], Any], Callable[[Any], bytes]]:
    """(round function, function giving the masked bytes from what a round returned)."""
    buf = bytearray(data)
    if impl in ("fasthttp-cython", "fasthttp-python"):
        mod = _import("fasthttp._websocket" if impl == "fasthttp-cython"
                      else "fasthttp._websocket_py")
        apply_mask = mod.apply_mask
        return (lambda: apply_mask(buf, KEY)), (lambda _: bytes(buf))
    if impl == "aiohttp-cython":
        mask = _import("aiohttp._websocket.mask")._websocket_mask_cython
        return (lambda: mask(KEY, buf)), (lambda _: bytes(buf))
    if impl == "aiohttp-python":
        mask = _import("aiohttp._websocket.helpers")._websocket_mask_python
        return (lambda: mask(KEY, buf)), (lambda _: bytes(buf))
    if impl == "websockets-c":
        apply = _import("websockets.speedups").apply_mask
        return (lambda: apply(data, KEY)), (lambda out: bytes(out))
    assert impl == "bytearray-copy"
    return (lambda: bytearray(data)), (lambda out: _xor_ref(bytes(out), KEY))


@pytest.mark.parametrize("impl", MASKS)
@pytest.mark.parametrize("size_name", list(SIZES))
def test_mask(benchmark: Any, size_name: str, impl: str) -> None:
    data = _data(SIZES[size_name])
    benchmark.group = f"mask-{size_name}"
    run, result = _mask_round(impl, data)
    want = _xor_ref(data, KEY)
    out = run()
    if result(out) != want:
        raise AssertionError(f"{impl} at {size_name}: wrong mask output")
    if impl not in ("websockets-c", "bytearray-copy"):
        run()  # back to the plain data; rounds then alternate masked/plain
    benchmark(run)


# ---------------------------------------------------------------------------------------------
# Reader throughput


def _frames() -> bytes:
    out = []
    for i in range(1000):
        payload = f"message {i:04d} ok".encode()
        out.append(bytes((0x81, len(payload))) + payload)
    return b"".join(out)


class _Protocol:
    """The two attributes aiohttp's WebSocketDataQueue uses from its protocol."""

    _reading_paused = False

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self) -> None:
        self._reading_paused = False


def _reader_round(impl: str, buf: bytes) -> tuple[Callable[[], Any], Callable[[Any], list]]:
    if impl.startswith("fasthttp"):
        mod = _import("fasthttp._websocket" if impl == "fasthttp-cython"
                      else "fasthttp._websocket_py")
        Reader = mod.WebSocketReader

        def run() -> Any:
            return Reader().feed_data(buf)

        return run, lambda msgs: [(int(m.type), m.data) for m in msgs]
    mod = _import("aiohttp._websocket.reader_c" if impl == "aiohttp-cython"
                  else "aiohttp._websocket.reader_py")
    Queue, Reader = mod.WebSocketDataQueue, mod.WebSocketReader
    loop = asyncio.new_event_loop()
    protocol = _Protocol()

    def run_aiohttp() -> Any:
        queue = Queue(protocol, 1 << 22, loop=loop)
        reader = Reader(queue, 4 << 20, False, True)
        reader.feed_data(buf)
        return queue

    def summary(queue: Any) -> list:
        # `_buffer` (a deque of (message, size)) is public in both of aiohttp's queues.
        return [(int(msg[0]), msg[1]) for msg, _size in queue._buffer]

    return run_aiohttp, summary


@pytest.mark.parametrize("impl", READERS)
def test_reader_1000_text_frames(benchmark: Any, impl: str) -> None:
    benchmark.group = "reader-1000-text"
    buf = _frames()
    run, summary = _reader_round(impl, buf)
    want = [(1, f"message {i:04d} ok") for i in range(1000)]
    got = summary(run())
    if got != want:
        raise AssertionError(f"{impl}: expected 1000 text messages, got {got[:3]}...")
    benchmark(run)
