"""Helpers for the WebSocket frame-codec tests: twin loading, a reference frame builder,
reference mask, permessage-deflate reference compressor, feed/split strategies, outcomes.

Everything here is independent of the code under test (frames are built by hand, the mask
reference is a big-integer XOR, compression uses zlib directly), so a bug shared by both twins
still shows.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import sys
import random
import zlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterable, Optional, Sequence

import pytest

WS_TWIN_MODULES = {
    "python": "fasthttp._websocket_py",
    "cython": "fasthttp._websocket",
}

_cache: dict[str, Any] = {}


def _require_extensions() -> bool:
    return os.environ.get("FASTHTTP_REQUIRE_EXTENSIONS", "") == "1"


def load_ws_twin(name: str) -> ModuleType:
    """The frame-codec twin `name` ("python" / "cython"); skip (or fail) when missing."""
    if name not in _cache:
        try:
            _cache[name] = importlib.import_module(WS_TWIN_MODULES[name])
        except ImportError as exc:
            _cache[name] = exc
    mod = _cache[name]
    if isinstance(mod, BaseException):
        if name == "python" or _require_extensions():
            pytest.fail(
                f"the WebSocket codec twin {WS_TWIN_MODULES[name]} cannot be imported "
                f"(FASTHTTP_REQUIRE_EXTENSIONS={os.environ.get('FASTHTTP_REQUIRE_EXTENSIONS', '')!r}): "
                f"{mod!r}",
                pytrace=False,
            )
        pytest.skip(
            f"compiled WebSocket codec twin {WS_TWIN_MODULES[name]} is not built ({mod}); "
            f"set FASTHTTP_REQUIRE_EXTENSIONS=1 to make this a failure"
        )
    return mod  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Opcodes and close codes

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
RESERVED_OPCODES = (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
INVALID_CLOSE_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)
VALID_CLOSE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                     3000, 3999, 4000, 4999)


# ---------------------------------------------------------------------------------------------
# Reference mask and frame builder


def xor_ref(data: bytes, key: bytes) -> bytes:
    """Reference RFC 6455 mask: one big-integer XOR with the key repeated (linear time)."""
    size = len(data)
    if not size:
        return b""
    repeated = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(
        size, "little"
    )


def build_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    key: Optional[bytes] = None,
    length_form: Optional[int] = None,
    claimed_length: Optional[int] = None,
) -> bytes:
    """A frame built by hand. key=None: unmasked; key=4 bytes: masked with it.

    length_form: 7, 16 or 64 forces that length encoding (default: the minimal one);
    claimed_length: the length written in the header (default: len(payload)).
    """
    size = len(payload) if claimed_length is None else claimed_length
    first = (
        (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0)
        | (0x10 if rsv3 else 0) | (opcode & 0x0F)
    )
    mask_bit = 0x80 if key is not None else 0
    if length_form is None:
        length_form = 7 if size < 126 else 16 if size < 65536 else 64
    if length_form == 7:
        header = bytes((first, mask_bit | size))
    elif length_form == 16:
        header = bytes((first, mask_bit | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((first, mask_bit | 127)) + size.to_bytes(8, "big")
    if key is None:
        return header + payload
    return header + key + xor_ref(payload, key)


def header_len(frame: bytes) -> int:
    """Header length (with mask key) of the frame starting at frame[0]."""
    n = frame[1] & 0x7F
    size = 2 + (2 if n == 126 else 8 if n == 127 else 0)
    return size + (4 if frame[1] & 0x80 else 0)


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2, "big") + reason


# ---------------------------------------------------------------------------------------------
# permessage-deflate reference (zlib directly, not fasthttp.ws_deflate)


class RefCompressor:
    """RFC 7692 sender: raw deflate, sync flush, the 00 00 ff ff tail stripped."""

    def __init__(self, window_bits: int = 15, no_context_takeover: bool = False) -> None:
        self.window_bits = max(window_bits, 9)
        self.no_context_takeover = no_context_takeover
        self._c = self._new()

    def _new(self) -> Any:
        return zlib.compressobj(6, zlib.DEFLATED, -self.window_bits)

    def compress(self, data: bytes) -> bytes:
        if self.no_context_takeover:
            self._c = self._new()
        out = self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]


def deflate_final(data: bytes, window_bits: int = 15) -> bytes:
    """A message compressed with BFINAL=1 (RFC 7692 §7.2.3.4 allows it); no tail to strip."""
    c = zlib.compressobj(6, zlib.DEFLATED, -window_bits)
    return c.compress(data) + c.flush(zlib.Z_FINISH)


_bomb_cache: dict[int, bytes] = {}


def zeros_deflated(size: int) -> bytes:
    """`size` zero bytes, deflated (tail stripped): a decompression bomb, cached."""
    if size not in _bomb_cache:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        chunk = bytes(1 << 20)
        parts = []
        left = size
        while left:
            n = min(left, len(chunk))
            parts.append(c.compress(chunk[:n]))
            left -= n
        out = b"".join(parts) + c.flush(zlib.Z_SYNC_FLUSH)
        _bomb_cache[size] = out[:-4]
    return _bomb_cache[size]


# ---------------------------------------------------------------------------------------------
# Interpreter integrity: CPython shares one bytes object per single byte value (and one empty
# bytes). A reader that unmasks "in place" into such a shared object corrupts every later
# b"\x60"-like value in the process. Detect it (and repair it, so one bad test does not poison
# the rest of the run).

_SVAL_OFFSET = bytes.__basicsize__ - 1  # offsetof(PyBytesObject, ob_sval)
_SHASH_OFFSET = _SVAL_OFFSET - ctypes.sizeof(ctypes.c_ssize_t)  # ob_shash (3.11-3.13)
_CAN_REPAIR = sys.implementation.name == "cpython" and (3, 11) <= sys.version_info < (3, 14)


def corrupted_byte_singletons() -> list[tuple[int, int]]:
    """(value it should hold, value it holds) for each shared 1-byte bytes object changed."""
    bad = []
    for i in range(256):
        b = bytes([i])
        if b[0] != i:
            bad.append((i, b[0]))
    return bad


def check_byte_singletons(context: str) -> None:
    """Raise AssertionError (after repairing them) if shared 1-byte bytes were mutated."""
    bad = corrupted_byte_singletons()
    if not bad:
        return
    repaired = False
    if _CAN_REPAIR:
        for i, _ in bad:
            obj = bytes([i])
            ctypes.memset(id(obj) + _SVAL_OFFSET, i, 1)
            ctypes.c_ssize_t.from_address(id(obj) + _SHASH_OFFSET).value = -1
        repaired = not corrupted_byte_singletons()
    raise AssertionError(
        f"{context}: CPython's shared 1-byte bytes objects were mutated "
        f"(value should be -> is now: {', '.join(f'{a:#04x}->{b:#04x}' for a, b in bad[:8])}); "
        f"{'repaired for the rest of the run' if repaired else 'NOT repaired: later results are unreliable'}"
    )


# ---------------------------------------------------------------------------------------------
# Feeding strategies and outcomes


def split_whole(data: bytes) -> list[bytes]:
    return [data]


def split_bytes(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def split_random(data: bytes, seed: int, max_piece: int = 17) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    i = 0
    while i < len(data):
        n = rnd.randint(0, max_piece)  # empty pieces included on purpose
        out.append(data[i : i + n])
        i += n
    return out


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({min(max(c, 0), len(data)) for c in cuts})
    out = []
    prev = 0
    for p in points:
        out.append(data[prev:p])
        prev = p
    out.append(data[prev:])
    return out


SPLITS: dict[str, Callable[[bytes], list[bytes]]] = {
    "whole": split_whole,
    "bytewise": split_bytes,
    "random1": lambda d: split_random(d, 1),
    "random2": lambda d: split_random(d, 2, 3),
    "random3": lambda d: split_random(d, 3, 300),
}


def norm(msg: Any) -> tuple:
    """A message as a comparable tuple, with the Python types of its fields."""
    return (int(msg.type), type(msg.type).__name__, type(msg.data).__name__, msg.data,
            msg.extra)


@dataclass
class Outcome:
    messages: list = field(default_factory=list)  # normalized, all feeds concatenated
    per_feed: list = field(default_factory=list)  # normalized, per feed
    error: Optional[tuple[int, str, str]] = None  # (code, exception type, str(exc))
    error_feed: int = -1  # index of the first feed that raised
    error_bytes: int = -1  # bytes fed in total when it raised
    error_start: int = -1  # bytes fed before the feed that raised
    later_errors: list = field(default_factory=list)  # (code, same object?) for later feeds

    @property
    def code(self) -> Optional[int]:
        return None if self.error is None else self.error[0]


def run_reader(mod: ModuleType, chunks: Sequence[bytes], *, after_error: bool = True,
               **settings: Any) -> Outcome:
    """Feed `chunks` to a fresh mod.WebSocketReader(**settings); record what comes out."""
    WebSocketError = _ws_error()
    reader = mod.WebSocketReader(**settings)
    # Only a reader expecting masked frames unmasks anything (others reject masked frames).
    check = bool(settings.get("expect_masked"))
    out = Outcome()
    fed = 0
    first_exc = None
    for i, chunk in enumerate(chunks):
        fed += len(chunk)
        try:
            try:
                msgs = reader.feed_data(chunk)
            finally:
                if check:
                    check_byte_singletons(
                        f"{mod.__name__}.WebSocketReader({settings}).feed_data({chunk[:40]!r}) "
                        f"(feed #{i}, after {fed - len(chunk)} bytes)"
                    )
        except WebSocketError as exc:
            if first_exc is None:
                first_exc = exc
                # Messages decoded before the bad frame in the same call travel with the error.
                out.messages.extend(norm(m) for m in getattr(exc, "messages", ()))
                out.error = (exc.code, type(exc).__name__, str(exc))
                out.error_feed = i
                out.error_bytes = fed
                out.error_start = fed - len(chunk)
                if not after_error:
                    break
            else:
                out.later_errors.append((exc.code, exc is first_exc))
            continue
        if first_exc is not None:
            out.later_errors.append(("no error", [norm(m) for m in msgs]))
            continue
        normed = [norm(m) for m in msgs]
        out.per_feed.append(normed)
        out.messages.extend(normed)
    if first_exc is not None and after_error:
        # Every later feed raises again, also an empty one and a perfectly valid frame.
        for extra in (b"", build_frame(PING, b"x"), build_frame(PING, b"x", key=b"abcd")):
            try:
                msgs = reader.feed_data(extra)
            except WebSocketError as exc:
                out.later_errors.append((exc.code, exc is first_exc))
            else:
                out.later_errors.append(("no error", [norm(m) for m in msgs]))
    return out


def _ws_error() -> type:
    from fasthttp.ws_types import WebSocketError

    return WebSocketError


def expected_msg(kind: str, data: Any, extra: str = "") -> tuple:
    """The normalized form of an expected message."""
    from fasthttp.ws_types import WSMsgType

    t = {"text": WSMsgType.TEXT, "binary": WSMsgType.BINARY, "ping": WSMsgType.PING,
         "pong": WSMsgType.PONG, "close": WSMsgType.CLOSE}[kind]
    return (int(t), "WSMsgType", type(data).__name__, data, extra)
