"""FormData and MultipartWriter: urlencoded vs multipart choice and bytes, against aiohttp."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import gzip
import io
import warnings
import zlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from multidict import MultiDict

from fasthttp.formdata import FormData
from fasthttp.multipart import MultipartWriter
from fasthttp.payloads import BytesPayload, Payload, payload_from

aiohttp: Any
try:
    import aiohttp
except ImportError:  # pragma: no cover
    aiohttp = None

needs_aiohttp = pytest.mark.skipif(aiohttp is None, reason="aiohttp not importable")

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


class Collect:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.parts.append(bytes(data))

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)


async def _over_socket(payload: Any) -> bytes:
    """Write a payload (ours or aiohttp's) through a real 127.0.0.1 socket."""
    done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        done.set_result(await reader.read())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        _, writer = await asyncio.open_connection(
            "127.0.0.1", server.sockets[0].getsockname()[1]
        )

        class W:
            async def write(self, data: bytes) -> None:
                writer.write(data)
                await writer.drain()

        await payload.write(W())
        writer.write_eof()
        body = await done
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    return body


def body_of(payload: Any) -> bytes:
    return run(_over_socket(payload))


def parse(content_type: str, body: bytes) -> list[Any]:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    assert msg.is_multipart()
    return list(msg.iter_parts())


# -- the choice table ----------------------------------------------------------------------


def _file(tmp: Path, name: str = "up.txt", data: bytes = b"file data") -> io.BufferedReader:
    path = tmp / name
    path.write_bytes(data)
    return open(path, "rb")


# Each case: a function that fills a FormData-like object (ours or aiohttp's).
CASES: dict[str, Callable[[Any, Path], Any]] = {
    "empty": lambda F, tmp: F(),
    "dict": lambda F, tmp: F({"a": "1", "b": "x y"}),
    "pairs": lambda F, tmp: F([("a", "1"), ("a", "2")]),
    "multidict": lambda F, tmp: F(MultiDict([("k", "v"), ("k", "w")])),
    "charset": lambda F, tmp: F({"é": "ü"}, charset="latin-1"),
    "default_multipart": lambda F, tmp: F({"a": "1"}, default_to_multipart=True),
    "file": lambda F, tmp: F({"a": "1", "f": _file(tmp)}),
    "bare_file": lambda F, tmp: F([_file(tmp, "bare.bin")]),
    "bytes_value": lambda F, tmp: F({"b": b"raw"}),
    "int_value": lambda F, tmp: F({"n": 5}),
    "bytesio": lambda F, tmp: F({"b": io.BytesIO(b"in memory")}),
    "stringio": lambda F, tmp: F({"s": io.StringIO("text io")}),
}


def _add(F: Any, tmp: Path, **kw: Any) -> Any:
    form = F()
    form.add_field("plain", "value")
    form.add_field("extra", "data", **kw)
    return form


ADD_CASES: dict[str, dict[str, Any]] = {
    "add_plain": {},
    "add_filename": {"filename": "name with space.txt"},
    "add_content_type": {"content_type": "application/x-custom"},
    "add_unicode_filename": {"filename": "ünï.txt"},
}


def _build(F: Any, case: str, tmp: Path) -> Any:
    if case in CASES:
        return CASES[case](F, tmp)
    return _add(F, tmp, **ADD_CASES[case])


ALL_CASES = list(CASES) + list(ADD_CASES)


def _normalise(body: bytes, boundary: str) -> bytes:
    return body.replace(boundary.encode(), b"BOUNDARY")


@needs_aiohttp
@pytest.mark.parametrize("case", ALL_CASES)
def test_same_choice_and_bytes_as_aiohttp(case: str, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ours_form = _build(FormData, case, tmp_path)
        theirs_form = _build(aiohttp.FormData, case, tmp_path)
    assert ours_form.is_multipart == theirs_form.is_multipart
    ours = ours_form()
    theirs = theirs_form()
    ours_ct = ours.content_type
    theirs_ct = theirs.content_type
    ours_body = body_of(ours)
    theirs_body = body_of(theirs)
    if ours_form.is_multipart:
        assert isinstance(ours, MultipartWriter)
        assert ours_ct == f"multipart/form-data; boundary={ours.boundary}"
        assert _normalise(ours_body, ours.boundary) == _normalise(theirs_body, theirs.boundary)
        assert ours.size == theirs.size == len(ours_body) or ours.size is None
        parse(ours_ct, ours_body)  # the standard library can read it
    else:
        assert ours_ct == theirs_ct
        assert ours_body == theirs_body
        assert ours.size == theirs.size


# -- FormData behaviour --------------------------------------------------------------------


def test_bytes_value_without_filename_warns_and_becomes_file() -> None:
    form = FormData()
    with pytest.warns(DeprecationWarning, match="bytes"):
        form.add_field("blob", b"\x00\x01")
    assert form.is_multipart
    writer = form()
    parts = parse(writer.content_type or "", body_of(writer))
    assert parts[0].get_filename() == "blob"
    assert parts[0].get_payload(decode=True) == b"\x00\x01"


def test_add_fields_rejects_bad_records() -> None:
    with pytest.raises(TypeError, match="pairs allowed"):
        FormData([("a", "b", "c")])
    with pytest.raises(TypeError, match="filename must be"):
        FormData().add_field("a", "b", filename=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="control character"):
        FormData().add_field("a\r\nX-Evil: 1", "b")


def test_multipart_nested_value_refused() -> None:
    form = FormData(default_to_multipart=True)
    form.add_field("a", {"nested": "dict"})
    with pytest.raises(TypeError, match="serialize"):
        form()


def test_charset_applies_to_multipart_text_parts() -> None:
    form = FormData(charset="latin-1", default_to_multipart=True)
    form.add_field("t", "é")
    writer = form()
    parts = parse(writer.content_type or "", body_of(writer))
    assert parts[0].get_content_charset() == "latin-1"
    assert parts[0].get_payload(decode=True) == "é".encode("latin-1")


# -- MultipartWriter -----------------------------------------------------------------------


def test_writer_mixed_with_json_form_and_sizes() -> None:
    w = MultipartWriter("mixed", boundary="XyZ")
    w.append("text part")
    w.append_json({"a": 1})
    w.append_form({"k": "v w"})
    w.append(b"\x00bin", {"X-Header": "yes"})
    assert w.content_type == "multipart/mixed; boundary=XyZ"
    body = body_of(w)
    assert w.size == len(body)
    parts = parse(w.content_type or "", body)
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "application/json",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
    ]
    assert parts[1].get_payload(decode=True) == b'{"a": 1}'
    assert parts[2].get_payload(decode=True) == b"k=v+w"
    assert parts[3]["X-Header"] == "yes"
    assert parts[0]["Content-Length"] == "9"
    assert body.endswith(b"--XyZ--\r\n")


@needs_aiohttp
def test_writer_bytes_match_aiohttp() -> None:
    def fill(w: Any) -> None:
        w.append("text part")
        w.append_json({"a": [1, 2]})
        w.append_form([("k", "v"), ("k", "é")])
        w.append(io.BytesIO(b"bytes io"))

    ours = MultipartWriter("related", boundary="b0undary")
    theirs = aiohttp.MultipartWriter("related", boundary="b0undary")
    fill(ours)
    fill(theirs)
    assert ours.content_type == theirs.content_type
    assert body_of(ours) == body_of(theirs)
    assert ours.size == theirs.size


def test_boundary_quoting() -> None:
    assert MultipartWriter(boundary="a b").content_type == 'multipart/mixed; boundary="a b"'
    with pytest.raises(ValueError, match="ASCII"):
        MultipartWriter(boundary="é")
    with pytest.raises(ValueError):
        MultipartWriter(boundary="a\nb")
    # A generated boundary is a token and differs between writers.
    assert MultipartWriter().boundary != MultipartWriter().boundary


def test_form_data_part_names_default_and_forbidden_headers() -> None:
    w = MultipartWriter("form-data", boundary="bb")
    w.append("x")
    assert w._parts[0][0].headers["Content-Disposition"] == 'form-data; name="section-0"'
    with pytest.raises(ValueError, match="RFC 7578"):
        w.append(BytesPayload(b"x", headers={"Content-Encoding": "gzip"}))


def test_part_transfer_and_content_encodings() -> None:
    data = b"hello world " * 5000
    w = MultipartWriter("mixed", boundary="enc")
    w.append(data, {"Content-Transfer-Encoding": "base64"})
    w.append(data, {"Content-Encoding": "gzip"})
    w.append(data, {"Content-Encoding": "deflate"})
    w.append("é=1", {"Content-Transfer-Encoding": "quoted-printable"})
    assert w.size is None
    parts = parse(w.content_type or "", body_of(w))
    assert parts[0].get_payload(decode=True) == data
    assert gzip.decompress(parts[1].get_payload(decode=True)) == data
    assert zlib.decompress(parts[2].get_payload(decode=True), -15) == data
    assert parts[3].get_payload(decode=True) == "é=1".encode()
    with pytest.raises(RuntimeError, match="unknown content encoding"):
        w.append(b"x", {"Content-Encoding": "br"})


def test_file_part_is_streamed_in_pieces(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"z" * (1 << 20))
    with open(path, "rb") as f:
        w = MultipartWriter("form-data", boundary="big")
        w.append(payload_from(f))
        c = Collect()
        run(w.write(c))
    assert max(len(p) for p in c.parts) <= 2**16
    assert w.size == len(c.body)
    parts = parse(w.content_type or "", c.body)
    assert parts[0].get_filename() == "big.bin"
    assert len(parts[0].get_payload(decode=True)) == 1 << 20


def test_unsupported_part_type() -> None:
    with pytest.raises(TypeError, match="Cannot create payload"):
        MultipartWriter().append(3.5)


def test_close_closes_file_parts(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_bytes(b"c")
    f = open(path, "rb")
    w = MultipartWriter()
    w.append(f)
    run(w.close())
    assert f.closed


def test_payload_interface_types() -> None:
    w = MultipartWriter()
    assert isinstance(w, Payload)
    assert len(w) == 0 and bool(w)
    assert "MultipartWriter" in repr(w)
