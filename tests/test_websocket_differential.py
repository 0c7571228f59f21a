"""Differential property tests: the compiled and pure-Python WebSocket frame-codec twins.

Random frame sequences come from a small grammar (text/binary messages, fragmented or not,
compressed with permessage-deflate or not, interleaved control frames, close frames with valid
and invalid codes, and raw frames with arbitrary first bytes, mask bits and length forms), then
random byte mutations and truncation, fed in random splits to readers with random settings.

Both twins must produce identical messages per feed (same types, same values) or raise the same
WebSocketError (code and message) at the same feed, and keep raising it afterwards. Each twin
must also be split-invariant: the same messages or the same close code as when fed whole.

Client readers (expect_masked=False) and server readers (expect_masked=True) are separate tests
so that a failure of one does not hide the other. Hypothesis runs derandomized with bounded
examples (the file runs in well under 30 s).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ws_cases import (
    BINARY,
    CLOSE,
    CONT,
    INVALID_CLOSE_CODES,
    PING,
    PONG,
    TEXT,
    VALID_CLOSE_CODES,
    RefCompressor,
    build_frame,
    close_payload,
    load_ws_twin,
    run_reader,
    split_at,
)

pytestmark = [pytest.mark.timeout(120), pytest.mark.differential]

HYPOTHESIS = settings(
    derandomize=True,
    max_examples=400,
    deadline=None,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)

MAX_SIZES = [0, 1, 2, 10, 125, 126, 200, 1000, 65536, 4 * 1024 * 1024]


@pytest.fixture
def ws_twins() -> tuple[ModuleType, ModuleType]:
    """(pure, compiled); the compiled half skips or fails as in test_websocket_codec.py."""
    return load_ws_twin("python"), load_ws_twin("cython")


_payload_bytes = st.one_of(
    st.binary(max_size=40),
    st.binary(min_size=120, max_size=300),
    st.sampled_from([b"", b"x" * 125, b"y" * 126, b"z" * 65535, b"w" * 65536]),
)
_text_bytes = st.one_of(
    st.text(max_size=30).map(lambda s: s.encode("utf-8")),
    st.text(max_size=30).map(lambda s: s.encode("utf-8", "surrogatepass")),  # may hold surrogates
    st.binary(max_size=12),  # mostly invalid UTF-8
    st.sampled_from(["é" * 70, "😀" * 40, "a" * 200]).map(str.encode),
    # long text with an invalid sequence somewhere inside: split feeds cut the frame around it
    # (the check of a frame still arriving, "fail fast", must agree with the whole-frame one)
    st.tuples(st.sampled_from(["é€😀" * 30, "a" * 150]).map(str.encode), st.integers(0, 300),
              st.sampled_from([b"\xff", b"\xf4\x90", b"\xed\xa0", b"\xe0\x80", b"\xc3\x28",
                               b"\xf0\x9f\x98", b"\x80"])).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]),
)


@st.composite
def _stream(draw: Any, expect_masked: bool) -> tuple[dict, bytes, list[bytes]]:
    reader_settings = {
        "max_msg_size": draw(st.sampled_from(MAX_SIZES)),
        "compress": draw(st.booleans()),
        "window_bits": draw(st.integers(9, 15)),
        "no_context_takeover": draw(st.booleans()),
        "expect_masked": expect_masked,
    }
    comp = RefCompressor(reader_settings["window_bits"], reader_settings["no_context_takeover"])
    frames: list[bytes] = []

    def key() -> Any:
        # Mostly the right masking direction, sometimes the wrong one.
        masked = expect_masked if draw(st.integers(0, 15)) else not expect_masked
        return draw(st.binary(min_size=4, max_size=4)) if masked else None

    def control() -> bytes:
        op = draw(st.sampled_from([PING, PONG, CLOSE]))
        if op == CLOSE:
            payload = draw(st.one_of(
                st.just(b""),
                st.binary(min_size=1, max_size=1),
                st.tuples(st.sampled_from(VALID_CLOSE_CODES + INVALID_CLOSE_CODES),
                          _text_bytes.filter(lambda b: len(b) <= 123)).map(
                    lambda t: close_payload(*t)),
            ))
        else:
            payload = draw(st.binary(max_size=125))
        return build_frame(op, payload, key=key())

    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["text", "binary", "control", "raw"]))
        if kind in ("text", "binary"):
            data = draw(_text_bytes if kind == "text" else _payload_bytes)
            compressed = draw(st.booleans()) and (reader_settings["compress"]
                                                  or not draw(st.integers(0, 7)))
            payload = comp.compress(data) if compressed else data
            nfrag = draw(st.integers(1, 4))
            cuts = draw(st.lists(st.integers(0, len(payload)), min_size=nfrag - 1,
                                 max_size=nfrag - 1))
            pieces = split_at(payload, cuts)
            for i, piece in enumerate(pieces):
                op = (TEXT if kind == "text" else BINARY) if i == 0 else CONT
                frames.append(build_frame(op, piece, fin=(i == len(pieces) - 1),
                                          rsv1=compressed and i == 0, key=key()))
                if i < len(pieces) - 1 and not draw(st.integers(0, 3)):
                    frames.append(control())
        elif kind == "control":
            frames.append(control())
        else:
            first = draw(st.integers(0, 255))
            payload = draw(st.binary(max_size=140))
            form = draw(st.sampled_from([None, None, 7, 16, 64]))
            if form == 7 and len(payload) > 125:
                form = None
            claimed = draw(st.one_of(st.none(), st.none(), st.sampled_from(
                [0, 5, 126, 70000, 5 * 1024 * 1024, 1 << 62, 1 << 63, (1 << 64) - 1])))
            if claimed is not None and claimed >= 65536:
                form = 64
            elif claimed is not None and claimed >= 126 and form == 7:
                form = 16
            k = key()
            frame = build_frame(first & 0x0F, payload, fin=bool(first & 0x80),
                                rsv1=bool(first & 0x40), rsv2=bool(first & 0x20),
                                rsv3=bool(first & 0x10), key=k, length_form=form,
                                claimed_length=claimed)
            frames.append(frame)
    data = bytearray(b"".join(frames))
    for _ in range(draw(st.integers(0, 3)) if data and not draw(st.integers(0, 2)) else 0):
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] ^= draw(st.integers(1, 255))
    if data and not draw(st.integers(0, 5)):
        del data[draw(st.integers(0, len(data) - 1)) :]
    data = bytes(data)
    cuts = draw(st.lists(st.integers(0, len(data)), max_size=12))
    return reader_settings, data, split_at(data, cuts)


def _compare(pure: ModuleType, compiled: ModuleType, reader_settings: dict, data: bytes,
             chunks: list[bytes]) -> None:
    results = {}
    for mod in (pure, compiled):
        split = run_reader(mod, chunks, **reader_settings)
        whole = run_reader(mod, [data], **reader_settings)
        # Split invariance inside one twin.
        assert split.code == whole.code, (mod.__name__, split.error, whole.error)
        if whole.error is None:
            assert split.messages == whole.messages, mod.__name__
        results[mod.__name__] = split
    a, b = results[pure.__name__], results[compiled.__name__]
    assert a.error == b.error, (a.error, b.error)
    assert a.error_feed == b.error_feed
    assert a.per_feed == b.per_feed
    assert a.later_errors == b.later_errors


@pytest.mark.parametrize("expect_masked", [False, True], ids=["client", "server"])
def test_twins_agree(ws_twins: tuple[ModuleType, ModuleType], expect_masked: bool) -> None:
    pure, compiled = ws_twins

    @HYPOTHESIS
    @given(stream=_stream(expect_masked))
    def check(stream: tuple[dict, bytes, list[bytes]]) -> None:
        reader_settings, data, chunks = stream
        _compare(pure, compiled, reader_settings, data, chunks)

    check()


def test_mask_twins_agree(ws_twins: tuple[ModuleType, ModuleType]) -> None:
    pure, compiled = ws_twins

    @HYPOTHESIS
    @given(data=st.binary(max_size=2000), key=st.binary(min_size=4, max_size=4),
           offset=st.integers(0, 7))
    def check(data: bytes, key: bytes, offset: int) -> None:
        a = bytearray(b"\x00" * offset + data)
        del a[:offset]  # misaligned start
        b = bytearray(a)
        del b[:0]
        pure.apply_mask(a, key)
        compiled.apply_mask(b, key)
        assert a == b
        assert (compiled.encode_frame(BINARY, data, mask=False)
                == pure.encode_frame(BINARY, data, mask=False))

    check()


def test_twins_agree_on_raw_bytes(ws_twins: tuple[ModuleType, ModuleType]) -> None:
    """Plain random bytes (mostly garbage frames) as well."""
    pure, compiled = ws_twins

    @HYPOTHESIS
    @given(raw=st.binary(max_size=64), cuts=st.lists(st.integers(0, 64), max_size=6),
           expect_masked=st.booleans(), compress=st.booleans(),
           max_msg_size=st.sampled_from(MAX_SIZES))
    def check(raw: bytes, cuts: list[int], expect_masked: bool, compress: bool,
              max_msg_size: int) -> None:
        _compare(pure, compiled, {"expect_masked": expect_masked, "compress": compress,
                                  "max_msg_size": max_msg_size}, raw, split_at(raw, cuts))

    check()
