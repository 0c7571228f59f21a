"""Response body decoders (Content-Encoding) with explicit anti-bomb limits.

Every decoder returns at most ``max_length`` bytes per call, however well the input
compresses, and keeps whatever it could not decode yet inside itself. The stream layer
feeds each received body piece with ``decompress(piece, max_length)``, then keeps calling
``decompress(b"", max_length)`` while ``has_pending_output`` is true, as the consumer
drains, and calls ``flush()`` at the end of the body. Memory then stays bounded by about
``max_length`` plus a codec-specific constant (see each class), never by the
compression ratio: a 10 GB body of zeros sent as a 10 MB gzip stream is never held whole.

Encodings, as aiohttp 3.x decodes them (`Content-Encoding` matched case-insensitively):

- ``gzip`` and ``deflate`` (stdlib zlib). ``deflate`` accepts both the zlib-wrapped form
  (RFC 1950, what the RFC means) and raw deflate (RFC 1951, what some servers send),
  told apart from the first two bytes. Concatenated members are decoded in turn, at most
  ``MAX_MEMBERS`` of them.
- ``br`` with the ``brotli`` package (>= 1.2 for bounded output; ``brotlicffi`` or an
  older ``brotli`` still work, with the weaker bound described at `BrotliDecoder`).
- ``zstd`` with ``compression.zstd`` (Python 3.14+), ``backports.zstd`` or, failing those,
  the ``zstandard`` package (weaker bound, see `ZstandardDecoder`).

Anything else (identity, unknown or stacked encodings) is passed through undecoded, as
aiohttp does: `get_decoder` returns None. A known encoding whose library is missing
raises `ContentEncodingError`, as aiohttp does.

A limit on the total decoded size of one body, ``max_decompressed_size`` (on
``ClientSession`` and per request), is fasthttp's extension over aiohttp (which has none):
off by default, as in aiohttp; when set, the stream layer counts what the decoder gives it
and fails the body with `ClientDecompressedSizeError` past the limit (see fasthttp.streams).

Corrupted input raises `ContentEncodingError` naming the encoding; a body that ends in
the middle of a compressed stream raises it from `flush()` (aiohttp checks this for
deflate only; we check it for every encoding rather than return a silently truncated
body).
"""

from __future__ import annotations

import sys
import zlib
from typing import Any, Callable, Final, Protocol

from .http_exceptions import ContentEncodingError, DecompressSizeError

__all__ = (
    "ACCEPT_ENCODING",
    "DEFAULT_MAX_LENGTH",
    "HAS_BROTLI",
    "HAS_ZSTD",
    "MAX_MEMBERS",
    "ZSTD_BACKEND",
    "Decoder",
    "DeflateDecoder",
    "GzipDecoder",
    "BrotliDecoder",
    "ZstdDecoder",
    "ZstandardDecoder",
    "check_max_decompressed_size",
    "get_decoder",
    "supported_encodings",
)

# ---------------------------------------------------------------------------------------
# Optional codecs
# ---------------------------------------------------------------------------------------

_brotli: Any
try:
    import brotli as _brotli  # type: ignore[import-not-found,import-untyped,no-redef,unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    try:
        import brotlicffi as _brotli  # type: ignore[import-not-found,import-untyped,unused-ignore,no-redef]
    except ImportError:
        _brotli = None

HAS_BROTLI: Final[bool] = _brotli is not None


def _brotli_has_output_limit() -> bool:
    if _brotli is None:
        return False
    try:
        _brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:
        return False
    except Exception:  # pragma: no cover - an odd build; fall back to slicing
        return False
    return True


_BROTLI_BOUNDED: Final[bool] = _brotli_has_output_limit()

# The stdlib API (3.14+) and its backport have `decompress(data, max_length)`.
_ZstdStd: Any = None
_ZstdStdError: Any = None
_ZstdParam: Any = None
_zstandard: Any = None
ZSTD_BACKEND: str | None
if sys.version_info >= (3, 14):  # pragma: no cover - exercised on 3.14 only
    try:
        from compression.zstd import (  # type: ignore[import-not-found,unused-ignore]
            DecompressionParameter as _ZstdParam,
            ZstdDecompressor as _ZstdStd,
            ZstdError as _ZstdStdError,
        )
    except ImportError:
        pass
if _ZstdStd is None:
    try:
        from backports.zstd import (  # type: ignore[import-not-found,import-untyped,unused-ignore,no-redef]
            DecompressionParameter as _ZstdParam,
            ZstdDecompressor as _ZstdStd,
            ZstdError as _ZstdStdError,
        )
    except ImportError:
        pass
try:  # also imported when a stdlib-API backend exists, so both decoders can be tested
    import zstandard as _zstandard  # type: ignore[import-not-found,import-untyped,no-redef,unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    _zstandard = None
if _ZstdStd is not None:
    ZSTD_BACKEND = "backports.zstd" if _ZstdStd.__module__.startswith("backports") else (
        "compression.zstd"
    )
elif _zstandard is not None:  # pragma: no cover - depends on the environment
    ZSTD_BACKEND = "zstandard"
else:  # pragma: no cover - depends on the environment
    ZSTD_BACKEND = None

HAS_ZSTD: Final[bool] = ZSTD_BACKEND is not None

# ---------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------

#: Default bound for `Decoder.flush` (aiohttp's default read_bufsize, 2**16).
DEFAULT_MAX_LENGTH: Final[int] = 2**16

#: Most concatenated members (gzip/deflate members, zstd frames) decoded in one body.
MAX_MEMBERS: Final[int] = 1024

#: Compressed bytes handed at once to a codec that cannot bound its own output (zstandard,
#: old brotli). A zstd block is at most 128 KiB of output from at least 3-4 bytes of input,
#: so this caps the output of one codec call at about ``_SLICE / 3 * 128 KiB`` (~1.4 MiB)
#: in the worst case; a gzip-grade ratio gives far less.
_SLICE: Final[int] = 32


#: Largest zstd window a response may ask the decoder for. RFC 9659 section 3: encoders MUST
#: NOT need more than 8 MB, decoders MUST support up to 8 MB. libzstd's own default accepts
#: 128 MiB, which lets a ~1 MiB body make the decoder allocate that much (aiohttp accepts it);
#: a frame asking for more is refused as corrupt data.
ZSTD_MAX_WINDOW_LOG: Final[int] = 23


def _error_types(library_error: Any) -> tuple[type[BaseException], ...]:
    """The exceptions a codec raises on bad input (wrapped into ContentEncodingError)."""
    if isinstance(library_error, type) and issubclass(library_error, BaseException):
        return (library_error, ValueError, EOFError)
    return (ValueError, EOFError)


class Decoder(Protocol):
    """What the stream layer needs from a Content-Encoding decoder."""

    @property
    def encoding(self) -> str:
        """The Content-Encoding this decoder undoes ("gzip", "br", ...)."""

    @property
    def eof(self) -> bool:
        """True once the compressed stream (its last member) is complete."""

    @property
    def has_pending_output(self) -> bool:
        """True if `decompress(b"", n)` may give more output without more input."""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        """Feed `data`; return at most `max_length` (> 0) decoded bytes."""

    def flush(self, max_length: int = DEFAULT_MAX_LENGTH) -> bytes:
        """End of body: return what is left (at most `max_length` bytes), check completeness."""


# ---------------------------------------------------------------------------------------
# Common machinery
# ---------------------------------------------------------------------------------------


class _BaseDecoder:
    """Spill buffer, output bound, error wrapping and end-of-body checks.

    Subclasses implement `_feed` (take input, decode nothing), `_produce` (decode some
    output from what is held; may return more than asked only if the codec cannot be
    bounded, the excess is kept in the spill buffer; b"" when nothing can be produced
    without more input), `_library_pending` and `_complete`.
    """

    __slots__ = ("_spill", "_spill_pos", "_started", "_final", "_members")

    encoding: str = ""
    _errors: tuple[type[BaseException], ...] = (ValueError, EOFError)

    def __init__(self) -> None:
        self._spill = b""  # output decoded but not yet returned, from _spill_pos on
        self._spill_pos = 0
        self._started = False  # any input received
        self._final = False  # flush() called: no more input
        self._members = 1

    # -- to implement --------------------------------------------------------------------
    def _feed(self, data: bytes) -> None:
        raise NotImplementedError

    def _produce(self, budget: int) -> bytes:
        raise NotImplementedError

    def _library_pending(self) -> bool:
        raise NotImplementedError

    def _complete(self) -> bool:
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------------
    def _next_member(self) -> None:
        self._members += 1
        if self._members > MAX_MEMBERS:
            raise ContentEncodingError(
                f"Can not decode content-encoding: {self.encoding}: the body concatenates "
                f"more than {MAX_MEMBERS} compressed members"
            )

    def _fail(self, exc: BaseException) -> ContentEncodingError:
        detail = str(exc) or type(exc).__name__
        return ContentEncodingError(
            f"Can not decode content-encoding: {self.encoding}: corrupted data ({detail})"
        )

    @property
    def eof(self) -> bool:
        return not self._spill and self._complete()

    @property
    def has_pending_output(self) -> bool:
        return bool(self._spill) or self._library_pending()

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if max_length <= 0:
            raise ValueError(f"max_length must be a positive number of bytes, got {max_length}")
        if self._final and data:
            raise RuntimeError(f"{type(self).__name__}.decompress() called with data after flush()")
        try:
            if data:
                self._started = True
                self._feed(bytes(data))
            parts: list[bytes] = []
            produced = 0
            if self._spill:
                spill, pos = self._spill, self._spill_pos
                take = spill[pos : pos + max_length]
                pos += len(take)
                if pos >= len(spill):
                    self._spill, self._spill_pos = b"", 0
                else:
                    self._spill_pos = pos
                parts.append(take)
                produced = len(take)
            while produced < max_length:
                need = max_length - produced
                chunk = self._produce(need)
                if not chunk:
                    break
                if len(chunk) > need:  # a codec that cannot bound itself went over
                    self._spill, self._spill_pos = chunk, need
                    chunk = chunk[:need]
                parts.append(chunk)
                produced += len(chunk)
        except ContentEncodingError:
            raise
        except self._errors as exc:
            raise self._fail(exc) from exc
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)

    def flush(self, max_length: int = DEFAULT_MAX_LENGTH) -> bytes:
        self._final = True
        out = self.decompress(b"", max_length)
        if self.has_pending_output and self.decompress(b"", 1):
            raise DecompressSizeError(
                f"more than {max_length} bytes of {self.encoding}-decoded output remained "
                f"at the end of the body: drain it with decompress(b'', n) while "
                f"has_pending_output before calling flush()"
            )
        if self._started and not self._complete():
            raise ContentEncodingError(
                f"Can not decode content-encoding: {self.encoding}: the body ended in the "
                f"middle of the compressed stream (truncated)"
            )
        return out

    def __repr__(self) -> str:
        state = "eof" if self.eof else ("pending" if self.has_pending_output else "open")
        return f"<{type(self).__name__} {self.encoding} {state}>"


# ---------------------------------------------------------------------------------------
# gzip / deflate
# ---------------------------------------------------------------------------------------


def _looks_like_zlib(head: bytes) -> bool:
    """RFC 1950 header: CM = 8, CINFO <= 7 and (CMF*256 + FLG) % 31 == 0."""
    cmf = head[0]
    if cmf & 0x0F != 8 or cmf >> 4 > 7:
        return False
    return len(head) < 2 or (cmf * 256 + head[1]) % 31 == 0


class _ZlibDecoder(_BaseDecoder):
    """zlib-based decoder; zlib bounds its own output exactly (``max_length``)."""

    __slots__ = ("_d", "_in", "_last_full", "_fed", "_wbits")
    _errors = (zlib.error, ValueError, EOFError)
    _default_wbits = 16 + zlib.MAX_WBITS

    def __init__(self) -> None:
        super().__init__()
        self._wbits = self._default_wbits
        self._d: Any = None
        self._in = b""  # input not handed to `_d` yet (zlib keeps its own tail)
        self._last_full = False  # last call stopped at its budget: zlib may hold output
        self._fed = False  # the current member has received input

    def _new(self) -> Any:
        return zlib.decompressobj(wbits=self._wbits)

    def _feed(self, data: bytes) -> None:
        self._in = self._in + data if self._in else data

    def _ensure(self) -> bool:
        if self._d is None:
            self._d = self._new()
        return True

    def _produce(self, budget: int) -> bytes:
        if not self._ensure():
            return b""
        while True:
            d = self._d
            if d.eof:
                rest = d.unused_data + self._in if d.unused_data else self._in
                if not rest:
                    return b""
                self._next_member()
                self._d = self._new()
                self._in = rest
                self._fed = False
                self._last_full = False
                continue
            tail = d.unconsumed_tail
            if self._in:
                buf = tail + self._in if tail else self._in
                self._in = b""
            elif tail or self._last_full:
                buf = tail
            else:
                return b""
            if buf:
                self._fed = True
            out: bytes = d.decompress(buf, budget)
            self._last_full = len(out) >= budget
            if out:
                return out
            if not d.eof:
                return b""

    def _library_pending(self) -> bool:
        d = self._d
        if self._in:
            return True
        if d is None:
            return False
        if d.eof:
            return bool(d.unused_data)
        return bool(d.unconsumed_tail) or self._last_full

    def _complete(self) -> bool:
        d = self._d
        if d is None:
            return not self._in
        if self._in or d.unconsumed_tail:
            return False
        if d.eof:
            return not d.unused_data
        return not self._fed


class GzipDecoder(_ZlibDecoder):
    """``Content-Encoding: gzip``. Bound: exactly ``max_length`` per call; memory is
    ``max_length`` plus zlib's 32 KiB window plus the unconsumed input piece."""

    __slots__ = ()
    encoding = "gzip"


class DeflateDecoder(_ZlibDecoder):
    """``Content-Encoding: deflate``, zlib-wrapped or raw (detected from the first bytes)."""

    __slots__ = ()
    encoding = "deflate"

    def _ensure(self) -> bool:
        if self._d is None:
            if len(self._in) < 2 and not (self._final and self._in):
                return False  # wait for the two header bytes
            self._wbits = zlib.MAX_WBITS if _looks_like_zlib(self._in[:2]) else -zlib.MAX_WBITS
            self._d = self._new()
        return True

    def _library_pending(self) -> bool:
        if self._d is None:
            return self._final and bool(self._in)
        return super()._library_pending()


# ---------------------------------------------------------------------------------------
# brotli
# ---------------------------------------------------------------------------------------


class BrotliDecoder(_BaseDecoder):
    """``Content-Encoding: br``.

    With brotli >= 1.2, ``process(..., output_buffer_limit=n)`` stops near ``n``; it
    works in blocks (about 32 KiB), so a call may go over the budget by up to one block,
    which is kept here and handed out next time: output is exactly ``max_length`` per
    call, memory about ``max_length`` + 96 KiB (+ the 4 MiB-at-most brotli window).
    Without that argument (brotlicffi, older brotli) input is fed ``_SLICE`` bytes at a
    time; brotli's worst ratio makes that a weaker bound (one slice may decode to several
    MiB), which is the documented limitation of those libraries.
    """

    __slots__ = ("_d", "_in", "_pos", "_more")
    encoding = "br"
    _errors = _error_types(_brotli and _brotli.error)

    def __init__(self) -> None:
        if _brotli is None:
            raise ContentEncodingError(
                "Can not decode content-encoding: brotli (br). Please install `Brotli`"
            )
        super().__init__()
        self._d: Any = _brotli.Decompressor()
        self._in = b""
        self._pos = 0
        self._more = False  # the last call gave output: brotli may hold more

    def _feed(self, data: bytes) -> None:
        rest = self._in[self._pos :] if self._pos else self._in
        self._in = rest + data if rest else data
        self._pos = 0

    def _produce(self, budget: int) -> bytes:
        d = self._d
        if _BROTLI_BOUNDED:
            # can_accept_more_data() only says whether input may be passed; output can
            # still be pending when it is true, so ask again while the last call gave any.
            while True:
                if self._in and d.can_accept_more_data():
                    buf, self._in = self._in, b""
                elif self._more or not d.can_accept_more_data():
                    buf = b""
                else:
                    return b""
                out = bytes(d.process(buf, output_buffer_limit=budget))
                self._more = bool(out) and not d.is_finished()
                if out or not self._in:
                    return out
        while self._pos < len(self._in):  # pragma: no cover - old brotli / brotlicffi
            buf = self._in[self._pos : self._pos + _SLICE]
            self._pos += len(buf)
            if self._pos >= len(self._in):
                self._in, self._pos = b"", 0
            out = bytes(d.process(buf))
            if out:
                return out
        return b""

    def _library_pending(self) -> bool:
        if self._pos < len(self._in):
            return True
        return _BROTLI_BOUNDED and (self._more or not self._d.can_accept_more_data())

    def _complete(self) -> bool:
        return bool(self._d.is_finished()) and not self._library_pending()


# ---------------------------------------------------------------------------------------
# zstd
# ---------------------------------------------------------------------------------------


def _new_zstd_std() -> Any:
    return _ZstdStd(options={_ZstdParam.window_log_max: ZSTD_MAX_WINDOW_LOG})


class ZstdDecoder(_BaseDecoder):
    """``Content-Encoding: zstd`` with compression.zstd (3.14+) or backports.zstd.

    ``ZstdDecompressor.decompress(data, max_length)`` bounds output exactly; input it
    could not decode yet stays inside it. Frames with or without a content size, and
    several frames in a row (up to ``MAX_MEMBERS``), are decoded. Memory: ``max_length``
    plus the frame's window (at most 8 MiB: ``ZSTD_MAX_WINDOW_LOG``, RFC 9659).
    """

    __slots__ = ("_d", "_in", "_fed")
    encoding = "zstd"
    _errors = _error_types(_ZstdStdError)

    def __init__(self) -> None:
        if _ZstdStd is None:
            raise ContentEncodingError(
                "Can not decode content-encoding: zstandard (zstd). "
                "Please install `backports.zstd` (or use Python 3.14+)"
            )
        super().__init__()
        self._d: Any = _new_zstd_std()
        self._in = b""
        self._fed = False

    def _feed(self, data: bytes) -> None:
        self._in = self._in + data if self._in else data

    def _produce(self, budget: int) -> bytes:
        while True:
            d = self._d
            if d.eof:
                rest = d.unused_data + self._in if d.unused_data else self._in
                if not rest:
                    return b""
                self._next_member()
                self._d = _new_zstd_std()
                self._in = rest
                self._fed = False
                continue
            if self._in:
                buf, self._in = self._in, b""
                self._fed = True
            elif d.needs_input:
                return b""
            else:
                buf = b""
            out: bytes = d.decompress(buf, budget)
            if out:
                return out
            if not d.eof:
                return b""

    def _library_pending(self) -> bool:
        d = self._d
        if self._in:
            return True
        if d.eof:
            return bool(d.unused_data)
        return not d.needs_input

    def _complete(self) -> bool:
        d = self._d
        if self._in:
            return False
        if d.eof:
            return not d.unused_data
        return not self._fed


class ZstandardDecoder(_BaseDecoder):
    """``Content-Encoding: zstd`` with the ``zstandard`` package (fallback backend).

    zstandard's ``decompressobj().decompress`` has no output limit: it decodes all the
    input it is given. We therefore hand it ``_SLICE`` (64) compressed bytes at a time and
    keep the excess output in the spill buffer. Output is exactly ``max_length`` per call;
    memory is ``max_length`` plus what one slice decodes to: 32 x 32 KiB = 1 MiB for a
    stream of zeros (zstd's best ratio; measured peak 1.2 MiB with max_length 64 KiB), and
    at most ~1.4 MiB by the format's limits (a block decodes to at most 128 KiB and costs
    at least 3 bytes). Prefer ``backports.zstd`` / ``compression.zstd`` for an exact bound.
    """

    __slots__ = ("_dctx", "_d", "_in", "_pos", "_fed")
    encoding = "zstd"
    _errors = _error_types(_zstandard and _zstandard.ZstdError)

    def __init__(self) -> None:
        if _zstandard is None:
            raise ContentEncodingError(
                "Can not decode content-encoding: zstandard (zstd). "
                "Please install `zstandard` or `backports.zstd`"
            )
        super().__init__()
        self._dctx: Any = _zstandard.ZstdDecompressor(max_window_size=1 << ZSTD_MAX_WINDOW_LOG)
        self._d: Any = self._dctx.decompressobj()
        self._in = b""
        self._pos = 0
        self._fed = False

    def _feed(self, data: bytes) -> None:
        rest = self._in[self._pos :] if self._pos else self._in
        self._in = rest + data if rest else data
        self._pos = 0

    def _produce(self, budget: int) -> bytes:
        while True:
            d = self._d
            if d.eof:
                unused = d.unused_data
                rest = self._in[self._pos :]
                if unused:
                    rest = unused + rest
                if not rest:
                    self._in, self._pos = b"", 0
                    return b""
                self._next_member()
                self._d = self._dctx.decompressobj()
                self._in, self._pos = rest, 0
                self._fed = False
                continue
            if self._pos >= len(self._in):
                self._in, self._pos = b"", 0
                return b""
            buf = self._in[self._pos : self._pos + _SLICE]
            self._pos += len(buf)
            self._fed = True
            out: bytes = d.decompress(buf)
            if out:
                return out

    def _library_pending(self) -> bool:
        d = self._d
        if self._pos < len(self._in):
            return True
        return bool(d.eof and d.unused_data)

    def _complete(self) -> bool:
        d = self._d
        if self._pos < len(self._in):
            return False
        if d.eof:
            return not d.unused_data
        return not self._fed


# ---------------------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------------------

_FACTORIES: dict[str, Callable[[], Decoder]] = {
    "gzip": GzipDecoder,
    "deflate": DeflateDecoder,
    "br": BrotliDecoder,
    "zstd": ZstdDecoder if _ZstdStd is not None else ZstandardDecoder,
}


def supported_encodings() -> tuple[str, ...]:
    """Content-Encodings this installation can decode, in preference order of aiohttp."""
    names = ["gzip", "deflate"]
    if HAS_BROTLI:
        names.append("br")
    if HAS_ZSTD:
        names.append("zstd")
    return tuple(names)


#: Default ``Accept-Encoding`` request header: only what can be decoded here.
ACCEPT_ENCODING: Final[str] = ", ".join(supported_encodings())


def get_decoder(content_encoding: str | None) -> Decoder | None:
    """A fresh decoder for a response's ``Content-Encoding`` value, or None.

    None means "pass the body through as is": no header, ``identity``, an unknown token
    or a list of several encodings (aiohttp decodes none of those either). ``br`` or
    ``zstd`` without their library raise `ContentEncodingError`, as in aiohttp.
    """
    if not content_encoding or not content_encoding.isascii():
        return None
    factory = _FACTORIES.get(content_encoding.strip().lower())
    if factory is None:
        return None
    return factory()


def check_max_decompressed_size(value: int | None) -> int | None:
    """``max_decompressed_size`` as given to ClientSession or a request: None or bytes > 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"max_decompressed_size must be None (no limit) or a positive number of bytes, "
            f"not {value!r}"
        )
    return value
