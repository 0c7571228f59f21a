"""Content-Encoding decoders: round trips, bounded output, bombs, corrupted input."""

from __future__ import annotations

import os
import random
import tracemalloc
import zlib
from typing import Any, Callable, Iterator

import pytest

from fasthttp import compression as C
from fasthttp.http_exceptions import ContentEncodingError, DecompressSizeError

brotli: Any
zstandard: Any
std_zstd: Any
try:
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

try:
    import zstandard
except ImportError:  # pragma: no cover
    zstandard = None

try:
    from compression import zstd as std_zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from backports import zstd as std_zstd  # type: ignore[no-redef,unused-ignore]
    except ImportError:  # pragma: no cover
        std_zstd = None

GIB = 1 << 30
ZEROS_16M = b"\0" * (1 << 24)


# -- compressors used to make test bodies ------------------------------------------------


def gzip_c(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=31)
    return c.compress(data) + c.flush()


def zlib_c(data: bytes) -> bytes:
    return zlib.compress(data)


def raw_deflate_c(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def br_c(data: bytes) -> bytes:
    return bytes(brotli.compress(data))


def zstd_c(data: bytes) -> bytes:
    # zstandard's one-shot without a content size: frames of unknown size must work.
    if zstandard is not None:
        return bytes(zstandard.ZstdCompressor(write_content_size=False).compress(data))
    return bytes(std_zstd.compress(data))


# (id, compressor, decoder factory)
Case = tuple[str, Callable[[bytes], bytes], Callable[[], C.Decoder]]


def _cases() -> Iterator[object]:
    yield pytest.param(gzip_c, C.GzipDecoder, id="gzip")
    yield pytest.param(zlib_c, C.DeflateDecoder, id="deflate-zlib")
    yield pytest.param(raw_deflate_c, C.DeflateDecoder, id="deflate-raw")
    yield pytest.param(
        br_c,
        C.BrotliDecoder,
        id="br",
        marks=pytest.mark.skipif(brotli is None, reason="brotli not installed"),
    )
    yield pytest.param(
        zstd_c,
        C.ZstdDecoder,
        id="zstd-std",
        marks=pytest.mark.skipif(
            std_zstd is None, reason="neither compression.zstd nor backports.zstd"
        ),
    )
    yield pytest.param(
        zstd_c,
        C.ZstandardDecoder,
        id="zstd-zstandard",
        marks=pytest.mark.skipif(zstandard is None, reason="zstandard not installed"),
    )


CASES = list(_cases())


def body() -> bytes:
    rnd = random.Random(1234)
    words = [rnd.randbytes(rnd.randint(1, 6)).hex().encode() for _ in range(300)]
    text = b" ".join(rnd.choice(words) for _ in range(40000))
    return rnd.randbytes(3000) + text + b"\0" * 200000 + rnd.randbytes(100)


DATA = body()


def decode_all(
    decoder: C.Decoder, pieces: list[bytes], max_length: int, *, check: bool = True
) -> bytes:
    out: list[bytes] = []
    for piece in pieces:
        chunk = decoder.decompress(piece, max_length)
        assert len(chunk) <= max_length
        out.append(chunk)
        while decoder.has_pending_output:
            chunk = decoder.decompress(b"", max_length)
            assert len(chunk) <= max_length
            out.append(chunk)
    out.append(decoder.flush(max_length))
    if check:
        assert decoder.eof
        assert not decoder.has_pending_output
    return b"".join(out)


def split(data: bytes, rnd: random.Random, lo: int, hi: int) -> list[bytes]:
    pieces, pos = [], 0
    while pos < len(data):
        n = rnd.randint(lo, hi)
        pieces.append(data[pos : pos + n])
        pos += n
    return pieces


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("compress, factory", CASES)
def test_round_trip_whole(compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]) -> None:
    assert decode_all(factory(), [compress(DATA)], 2**16) == DATA


@pytest.mark.parametrize("compress, factory", CASES)
@pytest.mark.parametrize("max_length", [1, 100, 4096, 2**16])
def test_round_trip_small_pieces(
    compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder], max_length: int
) -> None:
    data = DATA[:60000] if max_length == 1 else DATA
    comp = compress(data)
    rnd = random.Random(max_length)
    pieces = split(comp, rnd, 1, 700)
    assert decode_all(factory(), pieces, max_length) == data


@pytest.mark.parametrize("compress, factory", CASES)
def test_one_byte_at_a_time(compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]) -> None:
    data = DATA[:20000]
    comp = compress(data)
    pieces = [comp[i : i + 1] for i in range(len(comp))]
    assert decode_all(factory(), pieces, 777) == data


@pytest.mark.parametrize("compress, factory", CASES)
def test_concatenated_members(compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]) -> None:
    if compress is raw_deflate_c or compress is br_c:
        pytest.skip("raw deflate and brotli have no concatenated members")
    parts = [DATA[:10], DATA[10:5000], DATA[5000:]]
    comp = b"".join(compress(p) for p in parts)
    rnd = random.Random(7)
    assert decode_all(factory(), split(comp, rnd, 1, 3000), 1000) == DATA


@pytest.mark.parametrize("compress, factory", CASES)
def test_empty_body_is_fine(compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]) -> None:
    decoder = factory()
    assert decoder.flush() == b""


@pytest.mark.parametrize("compress, factory", CASES)
def test_empty_payload_stream(compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]) -> None:
    assert decode_all(factory(), [compress(b"")], 10) == b""


def test_too_many_members() -> None:
    comp = gzip_c(b"x") * (C.MAX_MEMBERS + 1)
    decoder = C.GzipDecoder()
    with pytest.raises(ContentEncodingError, match="gzip.*members"):
        decode_all(decoder, [comp], 2**16)


# -- bounded output ------------------------------------------------------------------------


@pytest.mark.parametrize("compress, factory", CASES)
def test_every_call_is_bounded_even_when_fed_at_once(
    compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]
) -> None:
    data = b"\0" * (20 * 2**20)
    comp = compress(data)
    decoder = factory()
    first = decoder.decompress(comp, 1000)
    assert len(first) == 1000
    assert decoder.has_pending_output
    total = len(first)
    calls = 0
    while decoder.has_pending_output:
        chunk = decoder.decompress(b"", 2**16)
        assert len(chunk) <= 2**16
        total += len(chunk)
        calls += 1
    assert decoder.flush() == b""
    assert total == len(data)
    assert calls >= len(data) // 2**16


@pytest.mark.parametrize("compress, factory", CASES)
def test_flush_refuses_to_release_undrained_output(
    compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]
) -> None:
    decoder = factory()
    decoder.decompress(compress(b"\0" * 2**20), 100)
    with pytest.raises(DecompressSizeError, match="drain"):
        decoder.flush(1000)


@pytest.mark.parametrize("max_length", [0, -1])
def test_max_length_must_be_positive(max_length: int) -> None:
    with pytest.raises(ValueError, match="max_length"):
        C.GzipDecoder().decompress(gzip_c(b"x"), max_length)


# -- bombs ---------------------------------------------------------------------------------


def _stream_compress(compressor: object, finish: str, method: str) -> bytes:
    parts = [getattr(compressor, method)(ZEROS_16M) for _ in range(GIB // len(ZEROS_16M))]
    parts.append(getattr(compressor, finish)())
    return b"".join(parts)


@pytest.fixture(scope="session")
def bombs() -> dict[str, bytes]:
    """1 GiB of zeros per encoding, compressed once per session 16 MiB at a time."""
    out = {"gzip": _stream_compress(zlib.compressobj(1, wbits=31), "flush", "compress")}
    if brotli is not None:
        out["br"] = _stream_compress(brotli.Compressor(quality=1), "finish", "process")
    if std_zstd is not None:
        out["zstd"] = _stream_compress(std_zstd.ZstdCompressor(), "flush", "compress")
    elif zstandard is not None:
        cobj = zstandard.ZstdCompressor().compressobj()
        out["zstd"] = _stream_compress(cobj, "flush", "compress")
    return out


# Measured (tracemalloc peak, max_length 64 KiB, 64 KiB input pieces, CPython 3.11):
# gzip ~360 KiB, br ~450 KiB, zstd (std/backports) ~220 KiB, zstd (zstandard) ~1.2 MiB.
BOMB_LIMITS = {
    "gzip": (C.GzipDecoder, 1 << 20),
    "br": (C.BrotliDecoder, 1 << 20),
    "zstd-std": (C.ZstdDecoder, 1 << 20),
    "zstd-zstandard": (C.ZstandardDecoder, 3 << 20),
}


@pytest.mark.parametrize("name", list(BOMB_LIMITS))
def test_bomb_memory_is_bounded(bombs: dict[str, bytes], name: str) -> None:
    factory, limit = BOMB_LIMITS[name]
    encoding = name.split("-")[0]
    if encoding not in bombs:
        pytest.skip(f"{encoding} not available")
    if name == "zstd-std" and std_zstd is None or name == "zstd-zstandard" and zstandard is None:
        pytest.skip(f"{name} backend not installed")
    comp = bombs[encoding]
    max_length = 2**16
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        decoder = factory()
        total = 0
        for start in range(0, len(comp), 2**16):
            chunk = decoder.decompress(comp[start : start + 2**16], max_length)
            assert len(chunk) <= max_length
            total += len(chunk)
            while decoder.has_pending_output:
                chunk = decoder.decompress(b"", max_length)
                assert len(chunk) <= max_length
                total += len(chunk)
            chunk = b""
        total += len(decoder.flush(max_length))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert total == GIB
    assert peak < limit, f"{name}: peak {peak} bytes while decoding a 1 GiB bomb"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("compress, factory", CASES)
def test_corrupted_input_names_the_encoding(
    compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]
) -> None:
    comp = bytearray(compress(DATA))
    decoder = factory()
    # Garbage from the start: no codec accepts this as a valid stream.
    garbage = b"\xff\xfe\xfd\xfc this is not compressed" * 10
    with pytest.raises(ContentEncodingError, match=decoder.encoding):
        decode_all(decoder, [garbage], 2**16)
    if compress is raw_deflate_c:
        return  # raw deflate has no checksum: damage may decode to wrong bytes silently
    # Damage in the middle of a valid stream (caught by the format's checksums).
    for i in range(len(comp) // 3, len(comp) // 3 + 64):
        comp[i] ^= 0x5A
    with pytest.raises(ContentEncodingError, match=decoder.encoding):
        decode_all(factory(), [bytes(comp)], 2**16)


@pytest.mark.parametrize("compress, factory", CASES)
def test_truncated_stream_is_detected_at_flush(
    compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]
) -> None:
    comp = compress(DATA)
    decoder = factory()
    with pytest.raises(ContentEncodingError, match="truncated"):
        decode_all(decoder, [comp[: len(comp) // 2]], 2**16, check=False)


def test_gzip_trailing_garbage_is_an_error() -> None:
    with pytest.raises(ContentEncodingError, match="gzip"):
        decode_all(C.GzipDecoder(), [gzip_c(b"hello") + b"garbage!"], 100)


def test_decompress_after_flush_is_refused() -> None:
    decoder = C.GzipDecoder()
    decoder.flush()
    with pytest.raises(RuntimeError):
        decoder.decompress(b"x", 10)


# -- selection -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "identity", "compress", "gzip, br", "x-gzip", "gzíp"])
def test_get_decoder_passes_unknown_through(value: str | None) -> None:
    assert C.get_decoder(value) is None


@pytest.mark.parametrize(
    "value, encoding",
    [("gzip", "gzip"), ("GZIP", "gzip"), ("Deflate", "deflate"), (" gzip ", "gzip")],
)
def test_get_decoder_known(value: str, encoding: str) -> None:
    decoder = C.get_decoder(value)
    assert decoder is not None and decoder.encoding == encoding


def test_get_decoder_optional_codecs() -> None:
    if C.HAS_BROTLI:
        assert isinstance(C.get_decoder("br"), C.BrotliDecoder)
    else:  # pragma: no cover
        with pytest.raises(ContentEncodingError, match="br"):
            C.get_decoder("br")
    if C.HAS_ZSTD:
        assert C.get_decoder("zstd") is not None
    else:  # pragma: no cover
        with pytest.raises(ContentEncodingError, match="zstd"):
            C.get_decoder("zstd")


def test_accept_encoding_lists_what_is_installed() -> None:
    expected = ["gzip", "deflate"]
    if brotli is not None:
        expected.append("br")
    if std_zstd is not None or zstandard is not None:
        expected.append("zstd")
    assert C.ACCEPT_ENCODING == ", ".join(expected)
    assert C.supported_encodings() == tuple(expected)


def test_accept_encoding_matches_aiohttp_when_codecs_match() -> None:
    client_reqrep = pytest.importorskip("aiohttp.client_reqrep")
    theirs = client_reqrep._gen_default_accept_encoding()
    if zstandard is not None and std_zstd is None:
        pytest.skip("aiohttp does not use the zstandard package")
    assert C.ACCEPT_ENCODING == theirs


def test_deflate_detection_with_header_split() -> None:
    comp = zlib_c(DATA[:5000])
    decoder = C.DeflateDecoder()
    assert decoder.decompress(comp[:1], 100) == b""
    assert decode_all(decoder, [comp[1:]], 100) == DATA[:5000]


def test_repr() -> None:
    assert "gzip" in repr(C.GzipDecoder())


def test_random_bytes_survive_round_trip() -> None:
    data = os.urandom(100000)
    for compress, factory in [(gzip_c, C.GzipDecoder), (raw_deflate_c, C.DeflateDecoder)]:
        assert decode_all(factory(), [compress(data)], 3000) == data


def _zstd_frame_with_window(window_log: int, payload: bytes = b"a") -> bytes:
    """A minimal zstd frame (RFC 8878 3.1.1) whose header asks for a 2**window_log window and
    that holds one raw block: the window is what a decoder must allocate, whatever follows."""
    magic = b"\x28\xb5\x2f\xfd"
    descriptor = b"\x00"  # no content size, not single-segment, no checksum, no dictionary
    window = bytes([(window_log - 10) << 3])
    block_header = (1 | (len(payload) << 3)).to_bytes(3, "little")  # last block, raw
    return magic + descriptor + window + block_header + payload


ZSTD_DECODERS = [p for p in CASES if p.id in ("zstd-std", "zstd-zstandard")]


@pytest.mark.parametrize("compress, factory", ZSTD_DECODERS)
def test_zstd_window_up_to_8_mib_is_decoded(
    compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder]
) -> None:
    """RFC 9659 section 3: decoders MUST support windows up to 8 MB."""
    decoder = factory()
    frame = _zstd_frame_with_window(C.ZSTD_MAX_WINDOW_LOG, b"hello")
    assert decoder.decompress(frame, 2**16) + decoder.flush() == b"hello"


@pytest.mark.parametrize("window_log", [24, 27, 31])
@pytest.mark.parametrize("compress, factory", ZSTD_DECODERS)
def test_zstd_window_over_8_mib_is_refused(
    compress: Callable[[bytes], bytes], factory: Callable[[], C.Decoder], window_log: int
) -> None:
    """A 12-byte body must not make the decoder allocate 128 MiB (libzstd's own default
    limit, which aiohttp keeps): a frame asking for more than RFC 9659's 8 MB is refused."""
    decoder = factory()
    with pytest.raises(ContentEncodingError, match="zstd: corrupted data"):
        decoder.decompress(_zstd_frame_with_window(window_log), 2**16)
        decoder.flush()
