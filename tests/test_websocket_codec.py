"""Conformance tests for the WebSocket frame-codec twins (mask, frame writer, frame reader).

One test class, `TestWebSocketCodec`, runs against both twins in one pytest process through
the `ws` fixture (ids "python" = fasthttp._websocket_py, "cython" = fasthttp._websocket). A
missing compiled twin skips its half, or fails it when FASTHTTP_REQUIRE_EXTENSIONS=1.

Reader cases are fed whole, one byte at a time and in seeded random splits, and must give the
same messages or the same close code every way. Hostile frames follow the Autobahn testsuite's
categories (framing, reserved bits, opcodes, control frames, fragmentation, UTF-8, limits, close
handling, compression); where the docstring of _websocket_py.py promises a check "before the
payload is buffered", the case is also fed only up to the end of the bad frame's header.
"""

from __future__ import annotations

import gc
import random
import subprocess
import sys
import textwrap
import tracemalloc
import zlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Optional

import pytest

from ws_cases import (
    BINARY,
    CLOSE,
    CONT,
    INVALID_CLOSE_CODES,
    PING,
    PONG,
    RESERVED_OPCODES,
    SPLITS,
    TEXT,
    VALID_CLOSE_CODES,
    RefCompressor,
    build_frame,
    close_payload,
    deflate_final,
    expected_msg,
    header_len,
    load_ws_twin,
    run_reader,
    split_bytes,
    split_whole,
    xor_ref,
    zeros_deflated,
)

pytestmark = pytest.mark.timeout(60)

KEY = b"\x37\xfa\x21\x3d"
MIB = 1 << 20


@pytest.fixture(params=["python", "cython"])
def ws(request: pytest.FixtureRequest) -> ModuleType:
    """One frame-codec twin (ids: python, cython)."""
    return load_ws_twin(request.param)


# ---------------------------------------------------------------------------------------------
# Reader cases


@dataclass
class Case:
    id: str
    data: bytes
    messages: list = field(default_factory=list)  # expected, normalized
    code: Optional[int] = None  # expected close code of the WebSocketError
    # The error must already be raised once data[:fail_by] has been fed (None: only at the end).
    fail_by: Optional[int] = None
    settings: dict = field(default_factory=dict)


def _t(s: str) -> tuple:
    return expected_msg("text", s)


def _b(b: bytes) -> tuple:
    return expected_msg("binary", b)


def _valid_cases() -> list[Case]:
    cases = []
    for n in (0, 1, 125, 126, 127, 65535, 65536):
        text = ("é" * n)[:n] if n < 2 else ("a" * (n - 2) + "é")
        cases.append(Case(f"text-{n}", build_frame(TEXT, text.encode()), [_t(text)]))
        payload = bytes(range(256)) * (n // 256 + 1)
        cases.append(Case(f"binary-{n}", build_frame(BINARY, payload[:n]), [_b(payload[:n])]))
    cases += [
        Case("ping-empty", build_frame(PING), [expected_msg("ping", b"")]),
        Case("ping-125", build_frame(PING, b"p" * 125), [expected_msg("ping", b"p" * 125)]),
        Case("pong", build_frame(PONG, b"\x00\xffpong"), [expected_msg("pong", b"\x00\xffpong")]),
        Case("close-empty", build_frame(CLOSE), [expected_msg("close", 0, "")]),
        Case("close-code-only", build_frame(CLOSE, close_payload(1000)),
             [expected_msg("close", 1000, "")]),
        Case("close-reason", build_frame(CLOSE, close_payload(1001, "bye ✓".encode())),
             [expected_msg("close", 1001, "bye ✓")]),
        Case("close-123-byte-reason", build_frame(CLOSE, close_payload(4000, b"r" * 123)),
             [expected_msg("close", 4000, "r" * 123)]),
        # Non-minimal length encodings are accepted by both twins (not a requirement either way).
        Case("text-len-16bit-form", build_frame(TEXT, b"abc", length_form=16), [_t("abc")]),
        Case("text-len-64bit-form", build_frame(BINARY, b"abc", length_form=64), [_b(b"abc")]),
        Case(
            "fragmented-text-3",
            build_frame(TEXT, b"Hel", fin=False) + build_frame(CONT, b"lo, ", fin=False)
            + build_frame(CONT, b"world"),
            [_t("Hello, world")],
        ),
        Case(
            "fragmented-binary-empty-frames",
            build_frame(BINARY, b"", fin=False) + build_frame(CONT, b"", fin=False)
            + build_frame(CONT, b"x", fin=False) + build_frame(CONT, b""),
            [_b(b"x")],
        ),
        Case(
            "fragmented-with-interleaved-control",
            build_frame(TEXT, b"frag", fin=False) + build_frame(PING, b"1")
            + build_frame(CONT, b"ment", fin=False) + build_frame(PONG, b"2")
            + build_frame(CLOSE, close_payload(1000, b"late"))
            + build_frame(CONT, b"ed"),
            [expected_msg("ping", b"1"), expected_msg("pong", b"2"),
             expected_msg("close", 1000, "late"), _t("fragmented")],
        ),
        Case(
            "many-messages",
            b"".join(build_frame(TEXT, f"m{i}".encode()) for i in range(50))
            + build_frame(BINARY, b"\x00" * 300),
            [_t(f"m{i}") for i in range(50)] + [_b(b"\x00" * 300)],
        ),
        # UTF-8 split across fragments, each sequence length 2..4 at every cut position.
        Case(
            "utf8-split-across-fragments",
            build_frame(TEXT, "κ".encode()[:1], fin=False)
            + build_frame(CONT, "κ".encode()[1:] + "€".encode()[:2], fin=False)
            + build_frame(CONT, "€".encode()[2:] + "😀".encode()[:1], fin=False)
            + build_frame(CONT, "😀".encode()[1:3], fin=False)
            + build_frame(CONT, "😀".encode()[3:]),
            [_t("κ€😀")],
        ),
        Case(
            "utf8-one-byte-per-fragment",
            b"".join(build_frame(TEXT if i == 0 else CONT, bytes([c]), fin=(i == 3))
                     for i, c in enumerate("😀".encode())),
            [_t("😀")],
        ),
        # Multi-byte characters in large frames: random and byte-wise feeds cut them at every
        # place, the check of a frame still arriving must wait for the rest of a character.
        Case("utf8-multibyte-large-frame", build_frame(TEXT, ("κ€😀" * 3000).encode()),
             [_t("κ€😀" * 3000)]),
        Case("utf8-multibyte-large-frame-masked",
             build_frame(TEXT, ("aé€😀" * 2000).encode(), key=KEY), [_t("aé€😀" * 2000)],
             settings={"expect_masked": True}),
        Case(
            "utf8-multibyte-large-fragments-cut-mid-character",
            build_frame(TEXT, ("€😀" * 500).encode()[:1001], fin=False)
            + build_frame(PING, b"in between")
            + build_frame(CONT, ("€😀" * 500).encode()[1001:2002], fin=False)
            + build_frame(CONT, ("€😀" * 500).encode()[2002:]),
            [expected_msg("ping", b"in between"), _t("€😀" * 500)],
        ),
        Case(
            "utf8-multibyte-large-fragments-masked",
            build_frame(TEXT, ("é😀" * 300).encode()[:601], fin=False, key=KEY)
            + build_frame(CONT, ("é😀" * 300).encode()[601:1203], fin=False,
                          key=b"\x01\x02\x03\x04")
            + build_frame(CONT, ("é😀" * 300).encode()[1203:], key=b"\xff\x00\xff\x00"),
            [_t("é😀" * 300)],
            settings={"expect_masked": True},
        ),
        # A text frame still arriving after a binary message and a text one (the check of the
        # frame in progress starts afresh for each frame).
        Case(
            "utf8-text-after-binary-and-fragmented-text",
            build_frame(BINARY, b"\xff" * 300) + build_frame(TEXT, b"ab\xe2", fin=False)
            + build_frame(CONT, b"\x82\xac" + b"c" * 300) + build_frame(TEXT, "😀".encode() * 80),
            [_b(b"\xff" * 300), _t("ab€" + "c" * 300), _t("😀" * 80)],
        ),
        # Client side of a server: masked frames expected.
        Case("server-masked-text", build_frame(TEXT, b"hi there", key=KEY), [_t("hi there")],
             settings={"expect_masked": True}),
        Case(
            "server-masked-fragments",
            build_frame(BINARY, b"ab", fin=False, key=b"\x01\x02\x03\x04")
            + build_frame(PING, b"pp", key=b"\xff\xff\xff\xff")
            + build_frame(CONT, b"cd", key=b"\x00\x00\x00\x00"),
            [expected_msg("ping", b"pp"), _b(b"abcd")],
            settings={"expect_masked": True},
        ),
        # Limits: exactly max_msg_size is fine, in one frame and across fragments.
        Case("max-size-exact", build_frame(BINARY, b"x" * 1000), [_b(b"x" * 1000)],
             settings={"max_msg_size": 1000}),
        Case(
            "max-size-exact-fragments",
            build_frame(TEXT, b"x" * 600, fin=False) + build_frame(PING, b"p" * 125)
            + build_frame(CONT, b"y" * 400),
            [expected_msg("ping", b"p" * 125), _t("x" * 600 + "y" * 400)],
            settings={"max_msg_size": 1000},
        ),
        Case("max-size-0-unlimited", build_frame(BINARY, b"z" * 70000), [_b(b"z" * 70000)],
             settings={"max_msg_size": 0}),
        # Control frames are not counted against max_msg_size.
        Case("ping-over-small-limit", build_frame(PING, b"p" * 100),
             [expected_msg("ping", b"p" * 100)], settings={"max_msg_size": 10}),
    ]
    for code in VALID_CLOSE_CODES:
        cases.append(Case(f"close-valid-{code}", build_frame(CLOSE, close_payload(code, b"ok")),
                          [expected_msg("close", code, "ok")]))
    return cases


def _hostile(id: str, bad: bytes, code: int, *, prefix: bytes = b"", header_only: bool = True,
             settings: Optional[dict] = None, fail_by: Optional[int] = None) -> Case:
    """A case whose last frame `bad` must be rejected with `code`.

    header_only: the error must already be raised when fed up to the end of bad's header.
    """
    if fail_by is None:
        fail_by = len(prefix) + (header_len(bad) if header_only else len(bad))
    return Case(id, prefix + bad, [], code, fail_by, settings or {})


def _hostile_cases() -> list[Case]:
    cases = [
        _hostile("rsv2", build_frame(TEXT, b"x", rsv2=True), 1002),
        _hostile("rsv3", build_frame(BINARY, b"x", rsv3=True), 1002),
        _hostile("rsv2-rsv3-on-ping", build_frame(PING, b"", rsv2=True, rsv3=True), 1002),
        _hostile("rsv2-with-deflate", build_frame(TEXT, b"x", rsv2=True), 1002,
                 settings={"compress": True}),
        _hostile("rsv1-without-deflate", build_frame(TEXT, b"x", rsv1=True), 1002),
        _hostile("rsv1-on-ping-with-deflate", build_frame(PING, b"x", rsv1=True), 1002,
                 settings={"compress": True}),
        _hostile("rsv1-on-continuation-with-deflate",
                 build_frame(CONT, b"x", rsv1=True), 1002,
                 prefix=build_frame(BINARY, b"\x00", fin=False, rsv1=True),
                 settings={"compress": True}),
        _hostile("rsv-after-valid-message", build_frame(TEXT, b"x", rsv3=True), 1002,
                 prefix=build_frame(PING, b"")),
        # Control frames: > 125 bytes (16-bit and 64-bit forms), fragmented.
        _hostile("ping-126", build_frame(PING, b"p" * 126), 1002),
        _hostile("pong-126", build_frame(PONG, b"p" * 126), 1002),
        _hostile("close-126", build_frame(CLOSE, close_payload(1000, b"r" * 124)), 1002),
        _hostile("ping-64bit-length", build_frame(PING, b"p" * 200, length_form=64), 1002),
        _hostile("ping-5-in-16bit-form", build_frame(PING, b"12345", length_form=16), 1002),
        _hostile("ping-fragmented", build_frame(PING, b"x", fin=False), 1002),
        _hostile("close-fragmented", build_frame(CLOSE, b"", fin=False), 1002),
        _hostile("pong-fragmented-in-message", build_frame(PONG, b"x", fin=False), 1002,
                 prefix=build_frame(TEXT, b"a", fin=False)),
        # Masking direction.
        _hostile("masked-from-server", build_frame(TEXT, b"hello", key=KEY), 1002),
        _hostile("masked-ping-from-server", build_frame(PING, b"", key=KEY), 1002),
        _hostile("unmasked-from-client", build_frame(TEXT, b"hello"), 1002,
                 settings={"expect_masked": True}),
        _hostile("unmasked-cont-from-client", build_frame(CONT, b"b"), 1002,
                 prefix=build_frame(TEXT, b"a", fin=False, key=KEY),
                 settings={"expect_masked": True}),
        # Fragmentation.
        _hostile("continuation-without-start", build_frame(CONT, b"x"), 1002),
        _hostile("continuation-without-start-not-fin", build_frame(CONT, b"x", fin=False), 1002),
        _hostile("continuation-after-finished-message", build_frame(CONT, b"x"), 1002,
                 prefix=build_frame(TEXT, b"a", fin=False) + build_frame(CONT, b"b")),
        _hostile("text-inside-fragmented-binary", build_frame(TEXT, b"x"), 1002,
                 prefix=build_frame(BINARY, b"a", fin=False)),
        _hostile("binary-inside-fragmented-text", build_frame(BINARY, b"x", fin=False), 1002,
                 prefix=build_frame(TEXT, b"a", fin=False) + build_frame(PING, b"")),
        # Close frames.
        _hostile("close-1-byte", build_frame(CLOSE, b"\x03"), 1002, header_only=False),
        _hostile("close-invalid-utf8-reason",
                 build_frame(CLOSE, close_payload(1000, b"ok\xce")), 1007, header_only=False),
        _hostile("close-invalid-utf8-reason-surrogate",
                 build_frame(CLOSE, close_payload(1000, b"\xed\xa0\x80")), 1007,
                 header_only=False),
        # Limits (raised on the header, before the payload is here).
        _hostile("too-big-one-frame-7bit", build_frame(BINARY, b"x" * 11), 1009,
                 settings={"max_msg_size": 10}),
        _hostile("too-big-one-frame-16bit", build_frame(TEXT, b"x" * 1001), 1009,
                 settings={"max_msg_size": 1000}),
        _hostile("too-big-one-frame-64bit-claimed",
                 build_frame(BINARY, b"", claimed_length=5 * MIB), 1009),
        _hostile("too-big-across-fragments", build_frame(CONT, b"y" * 401), 1009,
                 prefix=build_frame(TEXT, b"x" * 600, fin=False) + build_frame(PING, b"p"),
                 settings={"max_msg_size": 1000}),
        _hostile("too-big-across-many-fragments", build_frame(CONT, b"y" * 10, fin=False), 1009,
                 prefix=b"".join(build_frame(BINARY if i == 0 else CONT, b"x" * 10, fin=False)
                                 for i in range(10)),
                 settings={"max_msg_size": 105}),
        _hostile("64bit-length-top-bit",
                 build_frame(BINARY, b"", claimed_length=1 << 63), 1002,
                 settings={"max_msg_size": 0}),
        _hostile("64bit-length-all-ones",
                 build_frame(TEXT, b"", claimed_length=(1 << 64) - 1), 1002),
        # Invalid UTF-8 (single frame).
        _hostile("text-invalid-utf8", build_frame(TEXT, b"abc\xffdef"), 1007, header_only=False),
        _hostile("text-overlong", build_frame(TEXT, b"\xc0\xaf"), 1007, header_only=False),
        _hostile("text-surrogate", build_frame(TEXT, b"\xed\xa0\x80"), 1007, header_only=False),
        _hostile("text-above-10ffff", build_frame(TEXT, b"\xf4\x90\x80\x80"), 1007,
                 header_only=False),
        _hostile("text-truncated-at-end", build_frame(TEXT, b"ok\xe2\x82"), 1007,
                 header_only=False),
        _hostile("text-truncated-at-end-of-fragments", build_frame(CONT, b"\xe2\x82"), 1007,
                 prefix=build_frame(TEXT, b"ok", fin=False), header_only=False),
    ]
    for op in RESERVED_OPCODES:
        cases.append(_hostile(f"reserved-opcode-{op}", build_frame(op, b"abc"), 1002))
        cases.append(_hostile(f"reserved-opcode-{op}-in-message", build_frame(op, b"", fin=False),
                              1002, prefix=build_frame(TEXT, b"a", fin=False)))
    for code in INVALID_CLOSE_CODES:
        cases.append(_hostile(f"close-invalid-code-{code}",
                              build_frame(CLOSE, close_payload(code, b"x")), 1002,
                              header_only=False))
    # Invalid UTF-8 in a fragment: raised when that fragment is complete, before the final one
    # (the final fragment is part of the data but must never be needed).
    final = build_frame(CONT, b"tail")
    for name, first, bad in [
        ("bad-continuation-byte", "abc€".encode()[:-1], b"\x28more"),  # e2 82 | 28
        ("lone-continuation", b"abc", b"\x80"),
        ("above-10ffff-split", b"x\xf4", b"\x90\x80\x80"),
        ("surrogate-split", b"x\xed", b"\xa0\x80"),
        ("overlong-split", b"x\xe0", b"\x80\x80"),
        ("ff-in-second", "ø".encode(), b"ok\xff"),
    ]:
        prefix = build_frame(TEXT, first, fin=False)
        bad_frame = build_frame(CONT, bad, fin=False)
        cases.append(Case(f"utf8-fragment-{name}", prefix + bad_frame + final, [], 1007,
                          len(prefix) + len(bad_frame)))
    # Fail fast inside one frame (Autobahn 6.4.3/6.4.4): the error shows once the invalid
    # sequence is in, long before the frame is complete.
    filler = "é" * 3000
    for name, head, bad, certain in [
        ("above-10ffff", "κόσμε", b"\xf4\x90\x80\x80", 2),  # F4 90: above U+10FFFF already
        ("lone-ff", "ok", b"\xff", 1),
        ("overlong", "", b"\xe0\x80\x80", 2),
        ("bad-continuation", "abc", b"\xe2\x82\x28", 3),
        ("surrogate", "x" * 200, b"\xed\xa0\x80", 2),  # ED A0: a UTF-16 surrogate already
    ]:
        for masked in (False, True):
            frame = build_frame(TEXT, head.encode() + bad + filler.encode(),
                                key=KEY if masked else None)
            fail_by = header_len(frame) + len(head.encode()) + certain
            cases.append(Case(f"utf8-fail-fast-{name}{'-masked' if masked else ''}", frame, [],
                              1007, fail_by, {"expect_masked": masked}))
    # ... also in a continuation frame, the invalid sequence split across the fragment boundary,
    # and with a control frame in between.
    first = build_frame(TEXT, "κόσμε".encode() + b"\xf4", fin=False)
    cont = build_frame(CONT, b"\x90\x80\x80" + filler.encode())
    cases.append(Case("utf8-fail-fast-split-across-fragments", first + build_frame(PING, b"p")
                      + cont, [], 1007, len(first) + 2 + 1 + header_len(cont) + 1))
    first = build_frame(TEXT, b"ok\xe2\x82", fin=False, key=KEY)
    cont = build_frame(CONT, filler.encode(), key=b"\x00\x01\x02\x03")
    cases.append(Case("utf8-fail-fast-split-across-fragments-masked", first + cont, [], 1007,
                      len(first) + header_len(cont) + 1, {"expect_masked": True}))
    first = build_frame(TEXT, b"fine", fin=False)
    cont = build_frame(CONT, b"still fine \xc3\x28" + filler.encode(), fin=False)
    cases.append(Case("utf8-fail-fast-inside-continuation", first + cont + build_frame(CONT),
                      [], 1007, len(first) + header_len(cont) + 13))
    # Invalid UTF-8 inside the very first fragment.
    bad_first = build_frame(TEXT, b"\xffabc", fin=False)
    cases.append(Case("utf8-invalid-first-fragment", bad_first + final, [], 1007, len(bad_first)))
    return cases


def _deflate_cases() -> list[Case]:
    cases = []
    texts = ["Hello, permessage-deflate! " * 20, "second message " * 10, "", "é😀" * 50]
    for wb in range(9, 16):
        for nct in (False, True):
            comp = RefCompressor(wb, nct)
            data = b"".join(build_frame(TEXT, comp.compress(t.encode()), rsv1=True)
                            for t in texts)
            cases.append(Case(f"deflate-wb{wb}-{'nct' if nct else 'takeover'}", data,
                              [_t(t) for t in texts],
                              settings={"compress": True, "window_bits": wb,
                                        "no_context_takeover": nct}))
    comp = RefCompressor()
    payload = comp.compress(bytes(range(256)) * 40)
    third = len(payload) // 3
    data = (
        build_frame(BINARY, payload[:third], fin=False, rsv1=True)
        + build_frame(PING, b"mid")
        + build_frame(CONT, payload[third : 2 * third], fin=False)
        + build_frame(CONT, b"", fin=False)
        + build_frame(CONT, payload[2 * third :])
        + build_frame(TEXT, b"plain, uncompressed")
        + build_frame(TEXT, comp.compress(b"again, with context"), rsv1=True)
    )
    cases.append(Case("deflate-fragmented-interleaved", data,
                      [expected_msg("ping", b"mid"), _b(bytes(range(256)) * 40),
                       _t("plain, uncompressed"), _t("again, with context")],
                      settings={"compress": True}))
    # Compressed text that inflates to invalid UTF-8.
    comp = RefCompressor()
    cases.append(Case("deflate-invalid-utf8", build_frame(TEXT, comp.compress(b"ab\xff"),
                                                          rsv1=True), [], 1007,
                      settings={"compress": True}))
    # Decompressed size limits: exactly the limit is fine, one more byte is 1009.
    comp = RefCompressor()
    cases.append(Case("deflate-exact-limit", build_frame(BINARY, comp.compress(b"a" * 5000),
                                                         rsv1=True), [_b(b"a" * 5000)],
                      settings={"compress": True, "max_msg_size": 5000}))
    comp = RefCompressor()
    cases.append(Case("deflate-limit-plus-one",
                      build_frame(BINARY, comp.compress(b"a" * 5001), rsv1=True), [], 1009,
                      settings={"compress": True, "max_msg_size": 5000}))
    whole = RefCompressor().compress(b"a" * 3000 + bytes(range(256)) * 8)
    p1, p2 = whole[: len(whole) // 2], whole[len(whole) // 2 :]
    cases.append(Case("deflate-limit-across-fragments",
                      build_frame(BINARY, p1, fin=False, rsv1=True) + build_frame(CONT, p2),
                      [], 1009, settings={"compress": True, "max_msg_size": 5000}))
    # Corrupted deflate data: as implemented, zlib errors are answered with 1002.
    cases.append(Case("deflate-invalid-block-type", build_frame(BINARY, b"\x07\x00abc",
                                                               rsv1=True), [], 1002,
                      settings={"compress": True}))
    cases.append(Case("deflate-bad-stored-length", build_frame(BINARY, b"\x00\x01\x00",
                                                              rsv1=True), [], 1002,
                      settings={"compress": True}))
    cases.append(Case("deflate-distance-too-far", _too_far_back(), [], 1002,
                      settings={"compress": True, "window_bits": 9}))
    # A compressed message of no byte at all is the empty message, and leaves the context as it
    # was (some senders skip the compressor for an empty message); so is one of empty fragments.
    for nct in (False, True):
        comp = RefCompressor(no_context_takeover=nct)
        first = comp.compress(b"context for later " * 4)
        later = comp.compress(b"context for later " * 4 + b"and more")
        cases.append(Case(
            f"deflate-empty-payload-message-{'nct' if nct else 'takeover'}",
            build_frame(TEXT, first, rsv1=True) + build_frame(TEXT, b"", rsv1=True)
            + build_frame(BINARY, b"", fin=False, rsv1=True) + build_frame(CONT, b"", fin=False)
            + build_frame(CONT, b"") + build_frame(TEXT, later, rsv1=True),
            [_t("context for later " * 4), _t(""), _b(b""),
             _t("context for later " * 4 + "and more")],
            settings={"compress": True, "no_context_takeover": nct}))
    # The sync-flush tail left on by the sender (RFC 7692 §7.2.1 says to strip it): the tail the
    # reader appends then opens a stored block that never ends, refused like a cut message.
    unstripped = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = unstripped.compress(b"tail left on") + unstripped.flush(zlib.Z_SYNC_FLUSH)
    cases.append(Case("deflate-sync-tail-not-stripped", build_frame(TEXT, raw, rsv1=True), [],
                      1007, settings={"compress": True, "no_context_takeover": True}))
    # A message cut short: its last deflate block never ends (1007, invalid payload data).
    whole = RefCompressor().compress(bytes(range(256)) * 8)
    cases.append(Case("deflate-truncated", build_frame(BINARY, whole[:-7], rsv1=True), [], 1007,
                      settings={"compress": True}))
    stored = zlib.compressobj(0, zlib.DEFLATED, -15)
    raw = stored.compress(b"stored block " * 20) + stored.flush(zlib.Z_SYNC_FLUSH)
    cases.append(Case("deflate-truncated-stored-block",
                      build_frame(TEXT, raw[:-4][:-30], rsv1=True), [], 1007,
                      settings={"compress": True}))
    comp = RefCompressor()
    ok = comp.compress(b"a whole first message")
    cut = comp.compress(b"the second one is cut short " * 10)[:-5]
    cases.append(Case("deflate-truncated-after-valid-fragmented",
                      build_frame(TEXT, ok, rsv1=True)
                      + build_frame(TEXT, cut[:10], fin=False, rsv1=True)
                      + build_frame(CONT, cut[10:]),
                      [_t("a whole first message")], 1007, settings={"compress": True}))
    return cases


def _too_far_back() -> bytes:
    """Two messages compressed with a 32 KiB window (context takeover), read with a 512-byte
    one: the second copies from 2000 bytes back, past the reader's window."""
    rnd = random.Random(5)
    block = bytes(rnd.getrandbits(8) for _ in range(2000))
    comp = RefCompressor(15)
    return (build_frame(BINARY, comp.compress(block), rsv1=True)
            + build_frame(BINARY, comp.compress(block), rsv1=True))


VALID_CASES = _valid_cases()
HOSTILE_CASES = _hostile_cases()
DEFLATE_CASES = _deflate_cases()
ALL_CASES = VALID_CASES + HOSTILE_CASES + DEFLATE_CASES
SPLIT_NAMES = list(SPLITS)


def _split(case: Case, split: str) -> list[bytes]:
    if split == "bytewise" and len(case.data) > 20000:
        # Byte-at-a-time over 64 KiB frames is slow and adds nothing over the smaller cases:
        # feed the headers byte by byte and the payload in 997-byte pieces.
        return split_bytes(case.data[:20]) + [case.data[i : i + 997]
                                              for i in range(20, len(case.data), 997)]
    return SPLITS[split](case.data)


class TestWebSocketCodec:
    # -----------------------------------------------------------------------------------------
    # apply_mask

    @pytest.mark.parametrize("size", list(range(0, 70)) + [125, 126, 127, 255, 256, 511, 512,
                                                            513, 1000, 4095, 4096, 65535,
                                                            65536, 65537])
    def test_mask_lengths(self, ws: ModuleType, size: int) -> None:
        rnd = random.Random(size)
        plain = rnd.randbytes(size)
        key = rnd.randbytes(4)
        data = bytearray(plain)
        assert ws.apply_mask(data, key) is None
        assert bytes(data) == xor_ref(plain, key)
        ws.apply_mask(data, key)  # involution
        assert bytes(data) == plain

    def test_mask_all_lengths_to_1000(self, ws: ModuleType) -> None:
        rnd = random.Random(1000)
        big = rnd.randbytes(1000)
        for size in range(1001):
            key = rnd.randbytes(4)
            data = bytearray(big[:size])
            ws.apply_mask(data, key)
            assert bytes(data) == xor_ref(big[:size], key), size

    @pytest.mark.parametrize("size", [3 * MIB + 5, 16 * MIB + 3])
    def test_mask_large(self, ws: ModuleType, size: int) -> None:
        plain = random.Random(size).randbytes(size)
        data = bytearray(plain)
        ws.apply_mask(data, b"\xa5\x5a\x00\xff")
        assert bytes(data) == xor_ref(plain, b"\xa5\x5a\x00\xff")
        ws.apply_mask(data, b"\xa5\x5a\x00\xff")
        assert data == plain

    @pytest.mark.parametrize("offset", range(8))
    @pytest.mark.parametrize("size", [0, 1, 3, 7, 8, 9, 31, 32, 33, 100, 1000, 4099])
    def test_mask_alignment(self, ws: ModuleType, offset: int, size: int) -> None:
        rnd = random.Random(offset * 10007 + size)
        big = rnd.randbytes(size + 16)
        key = rnd.randbytes(4)
        want = xor_ref(big[offset : offset + size], key)
        # A slice at `offset` of a larger buffer, copied into a bytearray.
        data = bytearray(big[offset : offset + size])
        ws.apply_mask(data, key)
        assert bytes(data) == want
        # A really misaligned buffer: deleting from the front of a bytearray moves its start
        # pointer without copying (CPython), so the data starts `offset` bytes into a block.
        shifted = bytearray(big[: offset + size])
        del shifted[:offset]
        ws.apply_mask(shifted, key)
        assert bytes(shifted) == want
        ws.apply_mask(shifted, key)
        assert bytes(shifted) == big[offset : offset + size]

    def test_mask_key_patterns(self, ws: ModuleType) -> None:
        plain = bytes(range(256)) * 3
        for key in (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x01\x00\x00\x00",
                    b"\x00\x00\x00\x80", b"\x12\x34\x56\x78"):
            data = bytearray(plain)
            ws.apply_mask(data, key)
            assert bytes(data) == xor_ref(plain, key), key

    def test_mask_rejects_bad_key(self, ws: ModuleType) -> None:
        for key in (b"", b"abc", b"abcde"):
            with pytest.raises(ValueError):
                ws.apply_mask(bytearray(b"data"), key)

    def test_mask_rejects_none(self, ws: ModuleType) -> None:
        # Twins must raise the same errors; None must never reach C code unchecked. Run in a
        # subprocess so that a crash fails this test instead of the run.
        code = textwrap.dedent(f"""
            import importlib
            mod = importlib.import_module({ws.__name__!r})
            res = []
            for args in ((None, b"abcd"), (bytearray(b"xyz"), None)):
                try:
                    mod.apply_mask(*args)
                except Exception as exc:
                    res.append(type(exc).__name__)
                else:
                    res.append("no error")
            print(res)
        """)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=30)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "['TypeError', 'TypeError']", (
            f"apply_mask(None, key) / apply_mask(data, None) gave {proc.stdout.strip()}"
        )

    # -----------------------------------------------------------------------------------------
    # encode_frame

    @pytest.mark.parametrize(
        "size,length_bytes",
        [(0, b"\x00"), (1, b"\x01"), (125, b"\x7d"), (126, b"\x7e\x00\x7e"),
         (65535, b"\x7e\xff\xff"), (65536, b"\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
         (70000, b"\x7f" + (70000).to_bytes(8, "big"))],
    )
    def test_encode_lengths_unmasked(self, ws: ModuleType, size: int, length_bytes: bytes) -> None:
        payload = random.Random(size).randbytes(size)
        frame = ws.encode_frame(BINARY, payload, mask=False)
        assert type(frame) is bytes
        assert frame == b"\x82" + length_bytes + payload

    @pytest.mark.parametrize(
        "size,length_bytes",
        [(0, b"\x80"), (125, b"\xfd"), (126, b"\xfe\x00\x7e"), (65535, b"\xfe\xff\xff"),
         (65536, b"\xff\x00\x00\x00\x00\x00\x01\x00\x00")],
    )
    def test_encode_lengths_masked(self, ws: ModuleType, size: int, length_bytes: bytes) -> None:
        payload = random.Random(size).randbytes(size)
        frame = ws.encode_frame(TEXT, payload)  # mask=True is the default
        head = 1 + len(length_bytes)
        assert frame[:head] == b"\x81" + length_bytes
        assert len(frame) == head + 4 + size
        key = frame[head : head + 4]
        assert frame[head + 4 :] == xor_ref(payload, key)

    @pytest.mark.parametrize("opcode", [CONT, TEXT, BINARY, CLOSE, PING, PONG])
    @pytest.mark.parametrize("fin", [True, False])
    @pytest.mark.parametrize("rsv1", [True, False])
    def test_encode_first_byte(self, ws: ModuleType, opcode: int, fin: bool, rsv1: bool) -> None:
        frame = ws.encode_frame(opcode, b"abc", fin=fin, rsv1=rsv1, mask=False)
        assert frame[0] == (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
        assert frame[1:] == b"\x03abc"

    def test_encode_accepts_bytearray_and_memoryview(self, ws: ModuleType) -> None:
        for payload in (bytearray(b"hello"), memoryview(b"hello")):
            assert ws.encode_frame(TEXT, payload, mask=False) == b"\x81\x05hello"
            frame = ws.encode_frame(TEXT, payload)
            assert xor_ref(frame[6:], frame[2:6]) == b"hello"

    def test_encode_keys_differ(self, ws: ModuleType) -> None:
        payload = b"\x00" * 8
        keys = []
        for _ in range(2000):
            frame = ws.encode_frame(BINARY, payload)
            key = frame[2:6]
            assert frame[6:] == key + key  # zeros masked are the key repeated
            keys.append(key)
        # 2000 random 32-bit keys: a collision has probability ~5e-4; allow two.
        assert len(set(keys)) >= 1998
        assert b"\x00\x00\x00\x00" not in keys[:10] or len(set(keys[:10])) > 1
        # Not a counter or a constant pattern: bytes of the keys spread over all values.
        assert len({k[0] for k in keys}) > 200

    def test_encode_mask_payload_not_mutated(self, ws: ModuleType) -> None:
        payload = bytearray(b"do not touch")
        ws.encode_frame(TEXT, payload)
        assert payload == b"do not touch"

    @pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 100000])
    def test_encode_round_trip(self, ws: ModuleType, size: int) -> None:
        text = ("ü" * size)[: size // 2] + "x" * (size - 2 * (size // 2))
        payload = random.Random(size).randbytes(size)
        data = (ws.encode_frame(TEXT, text.encode()) + ws.encode_frame(PING, b"ping")
                + ws.encode_frame(BINARY, payload[: size // 2], fin=False)
                + ws.encode_frame(CONT, payload[size // 2 :])
                + ws.encode_frame(CLOSE, close_payload(1000, b"bye")))
        want = [_t(text), expected_msg("ping", b"ping"), _b(payload),
                expected_msg("close", 1000, "bye")]
        for split in ("whole", "random3"):
            out = run_reader(ws, SPLITS[split](data), expect_masked=True, max_msg_size=0)
            assert out.error is None, out.error
            assert out.messages == want
        # Unmasked frames (server side writer) are read by a client reader.
        plain = ws.encode_frame(BINARY, payload, mask=False)
        assert run_reader(ws, [plain], max_msg_size=0).messages == [_b(payload)]

    def test_encode_compressed_round_trip(self, ws: ModuleType) -> None:
        comp = RefCompressor()
        msgs = ["compress me " * 30, "and me, with the context " * 5]
        data = b"".join(ws.encode_frame(TEXT, comp.compress(m.encode()), rsv1=True)
                        for m in msgs)
        out = run_reader(ws, [data], expect_masked=True, compress=True)
        assert out.error is None and out.messages == [_t(m) for m in msgs]

    # -----------------------------------------------------------------------------------------
    # WebSocketReader: table of cases, every split

    @pytest.mark.parametrize("split", SPLIT_NAMES)
    @pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
    def test_reader_case(self, ws: ModuleType, case: Case, split: str) -> None:
        out = run_reader(ws, _split(case, split), **case.settings)
        if case.code is None:
            assert out.error is None, f"{case.id}: unexpected {out.error}"
            assert out.messages == case.messages
        else:
            assert out.error is not None, (
                f"{case.id}: expected close code {case.code}, got messages {out.messages[:5]}"
            )
            assert out.code == case.code, f"{case.id}: {out.error}"
            assert out.error[1] == "WebSocketError"
            # After the error, every feed raises again (the same exception, same code).
            assert out.later_errors and all(
                e[0] == case.code for e in out.later_errors
            ), out.later_errors
            if case.fail_by is not None:
                # Raised as soon as the offending bytes are in, not later.
                # (the feed that raised must have started before byte fail_by)
                assert out.error_start < case.fail_by, (
                    f"{case.id}: raised only by the feed of bytes {out.error_start}.."
                    f"{out.error_bytes}, expected once {case.fail_by} bytes are in"
                )

    @pytest.mark.parametrize("case", [c for c in ALL_CASES if c.fail_by is not None],
                             ids=lambda c: c.id)
    def test_reader_fails_before_payload(self, ws: ModuleType, case: Case) -> None:
        """Fed only up to fail_by (the bad header / the bad fragment), the error is raised."""
        out = run_reader(ws, [case.data[: case.fail_by]], **case.settings)
        assert out.code == case.code, f"{case.id}: {out.error} / {out.messages}"

    def test_reader_later_feeds_raise_same_exception(self, ws: ModuleType) -> None:
        from fasthttp.ws_types import WebSocketError

        reader = ws.WebSocketReader()
        with pytest.raises(WebSocketError) as first:
            reader.feed_data(build_frame(5, b""))
        assert first.value.code == 1002
        for data in (b"", build_frame(TEXT, b"valid"), b"\x00"):
            with pytest.raises(WebSocketError) as again:
                reader.feed_data(data)
            assert again.value.code == 1002

    def test_reader_message_types(self, ws: ModuleType) -> None:
        from fasthttp.ws_types import WSMessage, WSMsgType

        data = (build_frame(TEXT, b"t") + build_frame(BINARY, b"b")
                + build_frame(TEXT, b"f", fin=False) + build_frame(CONT, b"g")
                + build_frame(BINARY, b"h", fin=False) + build_frame(CONT, b"i")
                + build_frame(PING, b"p") + build_frame(PONG, b"q")
                + build_frame(CLOSE, close_payload(1000, b"r")) + build_frame(CLOSE))
        msgs = ws.WebSocketReader().feed_data(data)
        assert [type(m) for m in msgs] == [WSMessage] * 8
        assert [m.type for m in msgs] == [WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.TEXT,
                                         WSMsgType.BINARY, WSMsgType.PING, WSMsgType.PONG,
                                         WSMsgType.CLOSE, WSMsgType.CLOSE]
        assert all(type(m.type) is WSMsgType for m in msgs)
        assert [type(m.data) for m in msgs] == [str, bytes, str, bytes, bytes, bytes, int, int]
        assert [m.data for m in msgs] == ["t", b"b", "fg", b"hi", b"p", b"q", 1000, 0]
        assert [m.extra for m in msgs] == ["", "", "", "", "", "", "r", ""]

    def test_reader_accepts_bytearray_and_memoryview(self, ws: ModuleType) -> None:
        frame = build_frame(TEXT, b"abc")
        for data in (bytearray(frame), memoryview(frame)):
            assert [m.data for m in ws.WebSocketReader().feed_data(data)] == ["abc"]

    def test_reader_header_only_waits(self, ws: ModuleType) -> None:
        """A valid header whose payload has not arrived yields nothing and raises nothing."""
        frame = build_frame(BINARY, b"x" * 70000)
        reader = ws.WebSocketReader(max_msg_size=0)
        assert reader.feed_data(frame[:10]) == []
        assert reader.feed_data(frame[10:-1]) == []
        assert [len(m.data) for m in reader.feed_data(frame[-1:])] == [70000]

    def test_reader_one_byte_masked_payload_keeps_interpreter_intact(self, ws: ModuleType) -> None:
        """Unmasking a 1-byte payload must not write into CPython's shared 1-byte bytes object.

        Run in a fresh interpreter: the failure mode is process-wide corruption (afterwards
        bytes([0x60]) == b"a" everywhere in the process).
        """
        code = textwrap.dedent(f"""
            import importlib
            mod = importlib.import_module({ws.__name__!r})
            reader = mod.WebSocketReader(expect_masked=True)
            frame = bytes([0x82, 0x81, 1, 2, 3, 4, ord("a") ^ 1])  # wire byte 0x60
            msgs = reader.feed_data(frame)
            print(msgs[0].data, bytes([0x60]), chr(0x60).encode())
        """)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=30)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["b'a'", "b'`'", "b'`'"], proc.stdout

    def test_messages_before_error_are_not_lost(self, ws: ModuleType) -> None:
        """Messages that precede a bad frame must not depend on how the bytes were split.

        Fed byte by byte, "hello" is returned before the reserved opcode raises; fed in one
        piece, feed_data raises and "hello" is gone (Autobahn 4.1.3/4.2.3 shape: a text message,
        then a frame with a reserved opcode, then a ping; the text must still be delivered).
        """
        data = build_frame(TEXT, b"hello") + build_frame(5, b"") + build_frame(PING, b"")
        whole = run_reader(ws, split_whole(data))
        bytewise = run_reader(ws, split_bytes(data))
        assert bytewise.messages == [_t("hello")] and bytewise.code == 1002
        assert whole.code == 1002
        assert whole.messages == bytewise.messages, (
            "feed_data raised and dropped the messages parsed before the bad frame in the "
            "same buffer"
        )

    def test_utf8_fail_fast_inside_partial_frame(self, ws: ModuleType) -> None:
        frame = build_frame(TEXT, b"valid " + b"\xf4\x90\x80\x80" + b"x" * 100)
        out = run_reader(ws, [frame[:2 + 10]])
        assert out.code == 1007

    # -----------------------------------------------------------------------------------------
    # permessage-deflate

    def test_deflate_bfinal_message_then_next(self, ws: ModuleType) -> None:
        """RFC 7692 §7.2.3.4: a sender may end a message with a BFINAL=1 block. The next message
        (context takeover negotiated) must still decode, not silently come out empty."""
        data = (build_frame(TEXT, deflate_final(b"first message"), rsv1=True)
                + build_frame(TEXT, RefCompressor().compress(b"second message"), rsv1=True))
        out = run_reader(ws, [data], compress=True)
        assert out.error is None or out.code in (1002, 1007), out.error
        assert out.messages == [_t("first message"), _t("second message")], out.messages

    def test_deflate_unlimited_max_msg_size(self, ws: ModuleType) -> None:
        """max_msg_size=0 means no limit (aiohttp); compressed messages must still decode."""
        comp = RefCompressor()
        data = (build_frame(TEXT, comp.compress(b"unlimited " * 50), rsv1=True)
                + build_frame(BINARY, comp.compress(b"x" * 100), fin=False, rsv1=True)
                + build_frame(CONT, b""))
        reader = ws.WebSocketReader(compress=True, max_msg_size=0)
        msgs = reader.feed_data(data)  # must not raise (OverflowError is a bug)
        assert [m.data for m in msgs] == ["unlimited " * 50, b"x" * 100]

    def test_deflate_bfinal_no_context_takeover(self, ws: ModuleType) -> None:
        data = (build_frame(TEXT, deflate_final(b"first message"), rsv1=True)
                + build_frame(TEXT, deflate_final(b"second message"), rsv1=True))
        out = run_reader(ws, [data], compress=True, no_context_takeover=True)
        assert out.messages == [_t("first message"), _t("second message")], out

    @pytest.mark.parametrize("fragments", [1, 16])
    def test_deflate_bomb_bounded_memory(self, ws: ModuleType, fragments: int) -> None:
        limit = 1 * MIB
        inflated = 64 * MIB
        bomb = zeros_deflated(inflated)
        if fragments == 1:
            data = build_frame(BINARY, bomb, rsv1=True)
        else:
            step = len(bomb) // fragments + 1
            pieces = [bomb[i : i + step] for i in range(0, len(bomb), step)]
            data = b"".join(
                build_frame(BINARY if i == 0 else CONT, p, fin=(i == len(pieces) - 1),
                            rsv1=(i == 0))
                for i, p in enumerate(pieces)
            )
        assert len(data) < limit  # each frame is small: only inflation can exceed the limit
        reader = ws.WebSocketReader(compress=True, max_msg_size=limit)
        from fasthttp.ws_types import WebSocketError

        gc.collect()
        tracemalloc.start()
        try:
            with pytest.raises(WebSocketError) as err:
                reader.feed_data(data)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert err.value.code == 1009
        # 64 MiB would come out; a bounded inflater holds about the limit (plus the input).
        assert peak < 4 * limit + 2 * len(data), f"peak {peak} bytes while inflating a bomb"

    @pytest.mark.parametrize("opcode", [BINARY, TEXT], ids=["binary", "text"])
    @pytest.mark.parametrize("size", [0, 2], ids=["empty", "2-byte"])
    @pytest.mark.parametrize("compress", [False, True], ids=["plain", "deflate"])
    def test_many_small_fragments_hold_about_their_size(
        self, ws: ModuleType, opcode: int, size: int, compress: bool
    ) -> None:
        """A message still arriving in tiny fragments holds about its payload, not a Python
        object per fragment; empty fragments (which never reach max_msg_size) hold nothing."""
        count = 20_000
        piece = b"ab"[:size]
        if compress:  # each fragment a stored deflate block of `size` bytes (5-byte header)
            piece = bytes((0, size, 0, 255 - size, 255)) + piece
        first = build_frame(opcode, piece, fin=False, rsv1=compress)
        data = first + build_frame(CONT, piece, fin=False) * count
        reader = ws.WebSocketReader(compress=compress, max_msg_size=4 * MIB)
        gc.collect()
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            assert reader.feed_data(data) == []
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        held -= before
        payload = (count + 1) * size
        # A list of fragments held ~50 bytes each (1 MB here, 160 KB for the empty ones).
        assert held < 2 * payload + 64 * 1024, f"{held} bytes held for {payload} bytes of payload"
        # A compressed message ends with the header byte of the sender's stripped sync flush.
        last = build_frame(CONT, piece + (b"\x00" if compress else b""), fin=True)
        (msg,) = reader.feed_data(last)
        whole = b"ab"[:size] * (count + 2)
        assert msg.data == (whole.decode() if opcode == TEXT else whole)

    @pytest.mark.parametrize("level,strategy", [
        (0, zlib.Z_DEFAULT_STRATEGY), (1, zlib.Z_DEFAULT_STRATEGY), (6, zlib.Z_DEFAULT_STRATEGY),
        (9, zlib.Z_FILTERED), (6, zlib.Z_HUFFMAN_ONLY), (6, zlib.Z_RLE), (6, zlib.Z_FIXED),
    ])
    @pytest.mark.parametrize("nct", [False, True], ids=["takeover", "nct"])
    def test_deflate_complete_messages_never_truncated(self, ws: ModuleType, level: int,
                                                       strategy: int, nct: bool) -> None:
        """The end-of-message check never rejects a whole message: every zlib level and
        strategy, several flushes inside one message, empty messages, a BFINAL=1 message, and
        each message also split into fragments at every byte."""
        rnd = random.Random(level * 10 + strategy)
        texts = [b"", b"a", b"abc" * 1000, rnd.randbytes(3000), bytes(5000),
                 " ".join(str(rnd.random()) for _ in range(300)).encode()]
        comp = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
        payloads = []
        for data in texts:
            if nct:
                comp = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
            half = len(data) // 2
            # Two flushes in one message: a block boundary inside it, then the message end.
            out = (comp.compress(data[:half]) + comp.flush(zlib.Z_SYNC_FLUSH)
                   + comp.compress(data[half:]) + comp.flush(zlib.Z_FULL_FLUSH))
            assert out.endswith(b"\x00\x00\xff\xff")
            payloads.append(out[:-4])
        stream = b"".join(build_frame(BINARY, p, rsv1=True) for p in payloads)
        stream += build_frame(BINARY, deflate_final(b"the end"), rsv1=True)
        settings = {"compress": True, "no_context_takeover": nct, "max_msg_size": 0}
        want = [_b(t) for t in texts] + [_b(b"the end")]
        for split in ("whole", "random1"):
            out = run_reader(ws, SPLITS[split](stream), **settings)
            assert out.error is None, out.error
            assert out.messages == want
        # Fragment boundaries anywhere (the check only runs on the final fragment).
        payload = payloads[5]
        for cut in range(0, len(payload) + 1, 7):
            data = (build_frame(BINARY, payload[:cut], fin=False, rsv1=True)
                    + build_frame(CONT, payload[cut:]))
            out = run_reader(ws, [data], compress=True)
            assert out.error is None and out.messages == [_b(texts[5])], (cut, out.error)

    @pytest.mark.parametrize("kind", ["default", "stored", "fixed", "huffman"])
    def test_deflate_truncated_message_rejected(self, ws: ModuleType, kind: str) -> None:
        """A message cut short anywhere (its last block unfinished) fails with 1007, or 1002
        when the bytes that remain are not even valid deflate data; never a message."""
        level, strategy = {"default": (6, zlib.Z_DEFAULT_STRATEGY),
                           "stored": (0, zlib.Z_DEFAULT_STRATEGY),
                           "fixed": (6, zlib.Z_FIXED),
                           "huffman": (6, zlib.Z_HUFFMAN_ONLY)}[kind]
        data = b"".join(b"line %d of a message that gets cut\n" % i for i in range(40))
        comp = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
        payload = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
        payload = payload[:-4]
        codes = []
        # Every cut that keeps more than the first byte and removes more than the last one (the
        # final empty stored block's header): the data (+ 00 00 ff ff) ends inside a block. (A
        # stored block's first byte alone is, with the tail, a whole empty message.)
        for keep in range(2, len(payload) - 1):
            out = run_reader(ws, [build_frame(BINARY, payload[:keep], rsv1=True)], compress=True)
            if kind == "stored" and keep == len(payload) - 5:
                # Undetectable, and not an error: cut 4 bytes before the end of the stored
                # block's content (and its closing empty block), the 00 00 ff ff tail becomes
                # that content's end, and data + tail is a whole deflate stream.
                assert out.error is None
                assert out.messages == [_b(data[:-4] + b"\x00\x00\xff\xff")]
                continue
            assert out.messages == [], (keep, out.messages)
            assert out.code in (1002, 1007), (keep, out.error)
            codes.append(out.code)
        assert 1007 in codes

    def test_deflate_truncated_then_context_is_not_reused(self, ws: ModuleType) -> None:
        """The check probes a copy of the inflater: a whole message after whole ones, with
        context takeover, still decodes (the probe did not end the real stream)."""
        comp = RefCompressor()
        msgs = [b"first " * 50, b"first " * 50 + b"second", b"third, back-referencing first " * 9]
        data = b"".join(build_frame(TEXT, comp.compress(m), rsv1=True) for m in msgs)
        out = run_reader(ws, split_bytes(data), compress=True)
        assert out.error is None and out.messages == [_t(m.decode()) for m in msgs]

    def test_deflate_corrupted_code(self, ws: ModuleType) -> None:
        """As implemented: corrupt deflate data is answered with 1002 (PROTOCOL_ERROR), or
        1007 when it decodes but leaves the last block unfinished (see ws_deflate.py)."""
        from fasthttp.ws_types import WebSocketError

        good = RefCompressor().compress(b"some text that compresses " * 20)
        codes = set()
        for i in range(len(good)):
            for flip in (0x01, 0x80, 0xFF):
                bad = bytearray(good)
                bad[i] ^= flip
                reader = ws.WebSocketReader(compress=True)
                try:
                    reader.feed_data(build_frame(BINARY, bytes(bad), rsv1=True))
                except WebSocketError as exc:
                    codes.add(exc.code)
        assert codes <= {1002, 1007, 1009}, codes
        assert 1002 in codes


def test_both_twins_listed() -> None:
    """The compiled twin's absence is a skip here only without FASTHTTP_REQUIRE_EXTENSIONS."""
    load_ws_twin("python")
    load_ws_twin("cython")


# ---------------------------------------------------------------------------------------------
# decode_text=False (ws_connect(decode_text=False), aiohttp 3.14): TEXT data as bytes


def _server_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> bytes:
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    assert len(payload) < 126
    return bytes((first, len(payload))) + payload


def _deflated(data: bytes) -> bytes:
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


@pytest.mark.parametrize("decode_text", [True, False])
def test_reader_decode_text(ws: ModuleType, decode_text: bool) -> None:
    text = "héllo wörld".encode()
    data = (
        _server_frame(0x1, text)  # one frame
        + _server_frame(0x1, text[:2], fin=False) + _server_frame(0x0, text[2:])  # fragments
        + _server_frame(0x1, _deflated(text), rsv1=True)  # compressed
        + _server_frame(0x2, b"\xff")
    )
    reader = ws.WebSocketReader(compress=True, decode_text=decode_text)
    got = [(m.type, m.data) for m in reader.feed_data(data)]
    expected = text.decode() if decode_text else text
    assert got == [(1, expected)] * 3 + [(2, b"\xff")]
    assert all(type(d) is type(expected) for _, d in got[:3])


@pytest.mark.parametrize("decode_text", [True, False])
def test_reader_decode_text_false_still_checks_utf8(ws: ModuleType, decode_text: bool) -> None:
    """RFC 6455 §8.1: invalid UTF-8 in a text message fails the connection (1007), whether the
    application gets str or bytes (aiohttp's decode_text=False skips the check)."""
    reader = ws.WebSocketReader(decode_text=decode_text)
    from fasthttp.ws_types import WebSocketError

    with pytest.raises(WebSocketError) as info:
        reader.feed_data(_server_frame(0x1, b"ok \xff"))
    assert info.value.code == 1007
