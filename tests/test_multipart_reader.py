"""MultipartReader / BodyPartReader and request.multipart() (issue 12), against aiohttp's."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import hashlib
import json
import random
from typing import Any, AsyncIterator

import aiohttp
import pytest
from aiohttp import web as aioweb

import fasthttp
from fasthttp import web
from fasthttp.multipart_reader import MultipartReader
from web_helpers import HOST, async_test, parse_responses, raw_exchange

BIG = random.Random(5).randbytes(3 * 1024 * 1024 + 17)


async def _describe(reader: Any) -> list[Any]:
    """What a handler sees of a multipart body, part by part (nested ones recursively)."""
    out: list[Any] = []
    async for part in reader:
        if hasattr(part, "fetch_next_part"):  # a nested multipart
            out.append(["nested", await _describe(part)])
            continue
        entry: list[Any] = [part.name, part.filename, part.headers.get("Content-Type")]
        if part.filename:
            digest = hashlib.sha256()
            size = 0
            while chunk := await part.read_chunk(8192):
                assert len(chunk) <= 8192
                digest.update(chunk)
                size += len(chunk)
            entry += [size, digest.hexdigest()]
        else:
            entry.append(await part.text())
        out.append(entry)
    return out


async def _serve_both(handler_factory: Any, send: Any) -> dict[str, Any]:
    answers = {}
    for mod in (web, aioweb):
        app = mod.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/", handler_factory(mod))
        runner = mod.AppRunner(app, access_log=None)
        await runner.setup()
        site = mod.TCPSite(runner, HOST, 0)
        await site.start()
        try:
            answers[mod.__name__] = await send(f"http://{HOST}:{runner.addresses[0][1]}/")
        finally:
            await runner.cleanup()
    return answers


def _describing_handler(mod: Any) -> Any:
    async def handler(request: Any) -> Any:
        return mod.json_response(await _describe(await request.multipart()))

    return handler


@async_test(timeout=60)
async def test_form_data_as_aiohttp() -> None:
    async def send(url: str) -> Any:
        form = aiohttp.FormData()
        form.add_field("title", "héllo wörld")
        form.add_field("empty", "")
        form.add_field("big", BIG, filename="big.bin", content_type="application/octet-stream")
        form.add_field("doc", b"tiny", filename="naïve résumé.txt", content_type="text/plain")
        form.add_field("json", json.dumps({"a": [1, 2]}), content_type="application/json")
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=form) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

    answers = await _serve_both(_describing_handler, send)
    assert answers["fasthttp.web"] == answers["aiohttp.web"]
    assert answers["fasthttp.web"][2][3:] == [len(BIG), hashlib.sha256(BIG).hexdigest()]
    assert answers["fasthttp.web"][3][1] == "na%C3%AFve%20r%C3%A9sum%C3%A9.txt"  # as aiohttp sends it


@async_test()
async def test_nested_mixed_as_aiohttp() -> None:
    async def send(url: str) -> Any:
        with aiohttp.MultipartWriter("form-data") as outer:
            part = outer.append("first")
            part.set_content_disposition("form-data", name="first")
            with aiohttp.MultipartWriter("mixed") as inner:
                inner.append("inner one")
                inner.append_json({"k": "v"})
            nested = outer.append(inner)
            nested.set_content_disposition("form-data", name="files")
            last = outer.append("last")
            last.set_content_disposition("form-data", name="last")
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=outer) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

    answers = await _serve_both(_describing_handler, send)
    assert answers["fasthttp.web"] == answers["aiohttp.web"]
    assert answers["fasthttp.web"][1][0] == "nested"


class _Pieces:
    """A content stream that hands out a body in the given pieces (readany())."""

    def __init__(self, data: bytes, cuts: list[int]) -> None:
        self._pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]

    async def readany(self) -> bytes:
        return self._pieces.pop(0) if self._pieces else b""


def _body(boundary: str = "XyZ") -> bytes:
    return (
        "preamble to ignore\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="a"\r\n\r\n'
        "alpha\r\nline two\r\n"
        f"--{boundary}  \t\r\n"  # transport padding
        "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt\r\n"
        "Content-Type: text/plain; charset=latin-1\r\n\r\n"
        f"--{boundary}x not a delimiter\r\n-- nor this\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="e"\r\n\r\n'
        f"\r\n--{boundary}--\r\nepilogue"
    ).encode("utf-8")


async def _read_all(content: Any) -> list[Any]:
    reader = MultipartReader({"Content-Type": "multipart/form-data; boundary=XyZ"}, content)
    parts = []
    async for part in reader:
        parts.append((part.name, part.filename, await part.read()))
    assert reader.at_eof()
    return parts


@pytest.mark.parametrize("seed", range(30))
def test_any_split_gives_the_same_parts(seed: int) -> None:
    data = _body()
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, min(40, len(data) - 1))))
    whole = asyncio.run(_read_all(_Pieces(data, [])))
    assert whole == [
        ("a", None, b"alpha\r\nline two"),
        ("f", "\u20ac.txt", b"--XyZx not a delimiter\r\n-- nor this"),
        ("e", None, b""),
    ]
    assert asyncio.run(_read_all(_Pieces(data, cuts))) == whole
    assert asyncio.run(_read_all(_Pieces(data, list(range(1, len(data)))))) == whole


def test_readline_text_form_json_and_decoding() -> None:
    async def main() -> None:
        gz = gzip.compress(b'{"zipped": true}')
        body = (
            b"--B\r\nContent-Type: text/plain\r\n\r\nl1\nl2\r\nl3\r\n"
            b"--B\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"decoded!") + b"\r\n"
            b"--B\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n"
            b"--B\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\n\r\n" + gz + b"\r\n"
            b"--B\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nx=1&y=&z=%C3%A9\r\n"
            b"--B--\r\n"
        )
        reader = MultipartReader({"Content-Type": "multipart/mixed; boundary=B"}, _Pieces(body, [7, 30, 61]))
        part = await reader.next()
        assert [await part.readline() for _ in range(4)] == [b"l1\n", b"l2\r\n", b"l3", b""]
        assert await (await reader.next()).read(decode=True) == b"decoded!"
        assert await (await reader.next()).text() == "café"
        assert await (await reader.next()).json() == {"zipped": True}
        assert await (await reader.next()).form() == [("x", "1"), ("y", ""), ("z", "é")]
        assert await reader.next() is None

    asyncio.run(main())


@pytest.mark.parametrize("body,message", [
    (b"--B\r\nX: y\r\n\r\nno end", "no closing boundary"),
    (b"--B\r\nX: y\r\nno empty line", "ended inside a part head"),
    (b"nothing at all", "no opening boundary"),
    (b"--Bjunk\r\n\r\n", "not followed by CRLF"),
    (b"--B\r\nno colon here\r\n\r\n", "invalid part header line"),
    (b"--B\r\n" + b"X-Long: " + b"v" * 9000 + b"\r\n\r\n", "longer than 8190"),
    (b"--B\r\n" + b"X: y\r\n" * 200 + b"\r\n", "more than 128 header lines"),
], ids=["no_close", "head_truncated", "no_open", "junk_after", "bad_header", "long_header", "many_headers"])
def test_malformed_bodies(body: bytes, message: str) -> None:
    async def main() -> None:
        reader = MultipartReader({"Content-Type": "multipart/mixed; boundary=B"}, _Pieces(body, []))
        with pytest.raises(fasthttp.http_exceptions.BadHttpMessage, match=message):
            async for part in reader:
                await part.read()

    asyncio.run(main())


def test_bad_content_types() -> None:
    with pytest.raises(ValueError, match="boundary missed"):
        MultipartReader({"Content-Type": "multipart/form-data"}, _Pieces(b"", []))
    with pytest.raises(ValueError, match="too long"):
        MultipartReader({"Content-Type": "multipart/form-data; boundary=" + "b" * 71}, _Pieces(b"", []))
    with pytest.raises(ValueError, match="multipart/\\* content type expected"):
        MultipartReader({"Content-Type": "text/plain"}, _Pieces(b"", []))


@async_test()
async def test_server_refuses_malformed_and_oversized() -> None:
    async def handler(request: web.Request) -> web.Response:
        sizes = []
        async for part in await request.multipart():
            sizes.append(len(await part.read()))
        return web.json_response(sizes)

    app = web.Application(client_max_size=1000)
    app.router.add_post("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]

    def request(body: bytes) -> bytes:
        return (b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Content-Type: multipart/form-data; boundary=B\r\n"
                b"Content-Length: %d\r\n\r\n%b" % (len(body), body))

    try:
        ok = await raw_exchange(port, request(b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--B--\r\n"))
        assert parse_responses(ok)[0].status == 200
        truncated = await raw_exchange(port, request(b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv"))
        [resp] = parse_responses(truncated)
        assert resp.status == 400 and b"malformed multipart body" in resp.body
        big = b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\n" + b"x" * 2000 + b"\r\n--B--\r\n"
        [resp] = parse_responses(await raw_exchange(port, request(big)))
        assert resp.status == 413
    finally:
        await runner.cleanup()


@async_test()
async def test_from_response_on_the_client() -> None:
    async def handler(request: Any) -> Any:
        with aiohttp.MultipartWriter("mixed", boundary="resp-bound") as writer:
            writer.append("one")
            writer.append_json({"two": 2})
        body = b"".join([
            b"--resp-bound\r\nContent-Type: text/plain; charset=utf-8\r\n\r\none\r\n",
            b"--resp-bound\r\nContent-Type: application/json\r\n\r\n{\"two\": 2}\r\n",
            b"--resp-bound--\r\n",
        ])
        return aioweb.Response(body=body, content_type="multipart/mixed",
                               headers={"X-Boundary": writer.boundary})

    app = aioweb.Application()
    app.router.add_get("/", handler)
    runner = aioweb.AppRunner(app, access_log=None)
    await runner.setup()
    site = aioweb.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        async with fasthttp.ClientSession() as session:
            async with session.get(f"http://{HOST}:{runner.addresses[0][1]}/") as resp:
                resp.headers  # noqa: B018
                ctype = resp.headers["Content-Type"]
                assert ctype.startswith("multipart/mixed")
                reader = MultipartReader({"Content-Type": "multipart/mixed; boundary=resp-bound"}, resp.content)
                first = await reader.next()
                assert await first.text() == "one"
                second = await reader.next()
                assert await second.json() == {"two": 2}
                assert await reader.next() is None
    finally:
        await runner.cleanup()


def test_iterating_a_part_yields_bounded_chunks() -> None:
    # aiohttp's BodyPartReader iteration reads the whole part into memory in one step;
    # fasthttp's yields read_chunk() pieces (deliberate: an upload is never held whole).
    async def main() -> list[int]:
        body = b"--B\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\n" + BIG + b"\r\n--B--\r\n"
        reader = MultipartReader({"Content-Type": "multipart/form-data; boundary=B"},
                                 _Pieces(body, list(range(65536, len(body), 65536))))
        part = await reader.next()
        sizes = [len(chunk) async for chunk in part]
        assert sum(sizes) == len(BIG)
        return sizes

    assert max(asyncio.run(main())) <= 8192


@contextlib.asynccontextmanager
async def _listening(module: Any, app: Any) -> AsyncIterator[int]:
    """app served by module (fasthttp.web or aiohttp.web) on 127.0.0.1: its port."""
    runner = module.AppRunner(app, access_log=None)
    await runner.setup()
    site = module.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


class _CountingPieces(_Pieces):
    """_Pieces that records how many bytes were handed out."""

    def __init__(self, data: bytes, cuts: list[int]) -> None:
        super().__init__(data, cuts)
        self.given = 0

    async def readany(self) -> bytes:
        chunk = await super().readany()
        self.given += len(chunk)
        return chunk


def _one_line_part(line: bytes) -> bytes:
    return b"--B\r\nContent-Type: text/plain\r\n\r\n" + line + b"\r\n--B--\r\n"


def test_readline_is_bounded_when_the_reader_is_built_directly() -> None:
    limit = fasthttp.BodyPartReader.max_line_size

    async def main() -> None:
        # A part of 8 MiB without a newline: LineTooLong, read no further than the limit
        # (plus a piece), although the reader's client_max_size is sys.maxsize.
        data = _one_line_part(b"x" * (8 * 1024 * 1024))
        content = _CountingPieces(data, list(range(65536, len(data), 65536)))
        reader = MultipartReader({"Content-Type": "multipart/mixed; boundary=B"}, content)
        part = await reader.next()
        with pytest.raises(fasthttp.http_exceptions.LineTooLong, match=f"limit of {limit} bytes"):
            await part.readline()
        assert content.given < limit + 3 * 65536
        # A line of exactly the limit (newline included) is returned whole, then the next one.
        exact = b"y" * (limit - 1) + b"\n"
        reader = MultipartReader({"Content-Type": "multipart/mixed; boundary=B"},
                                 _Pieces(_one_line_part(exact + b"end"), [1000, 70000]))
        part = await reader.next()
        assert await part.readline() == exact
        assert await part.readline() == b"end"
        # One byte more, with or without its newline: refused.
        for line in (b"z" * limit + b"\n", b"z" * (limit + 1)):
            reader = MultipartReader({"Content-Type": "multipart/mixed; boundary=B"},
                                     _Pieces(_one_line_part(line), [5000]))
            part = await reader.next()
            with pytest.raises(fasthttp.http_exceptions.LineTooLong):
                await part.readline()

    asyncio.run(main())


@async_test()
async def test_readline_limit_on_the_server_is_400() -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        return web.Response(text=str(len(await part.readline())))

    app = web.Application(client_max_size=64 * 1024 * 1024)  # the line limit, not this, applies
    app.router.add_post("/", handler)
    async with _listening(web, app) as port:
        for line, status, body in ((b"a" * 100 + b"\n", 200, b"101"),
                                   (b"a" * (4 * 1024 * 1024), 400, b"a multipart body line is longer")):
            data = _one_line_part(line)
            raw = (b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   b"Content-Type: multipart/mixed; boundary=B\r\n"
                   b"Content-Length: %d\r\n\r\n%b" % (len(data), data))
            [resp] = parse_responses(await raw_exchange(port, raw, timeout=10))
            assert resp.status == status and body in resp.body, resp


@async_test()
async def test_readline_limit_on_the_client() -> None:
    async def handler(request: Any) -> Any:
        return aioweb.Response(body=_one_line_part(b"q" * (1024 * 1024)),
                               headers={"Content-Type": "multipart/mixed; boundary=B"})

    app = aioweb.Application()
    app.router.add_get("/", handler)
    async with _listening(aioweb, app) as port, fasthttp.ClientSession() as session:
        async with session.get(f"http://{HOST}:{port}/") as resp:
            reader = MultipartReader.from_response(resp)
            part = await reader.next()
            with pytest.raises(fasthttp.http_exceptions.LineTooLong):
                await part.readline()
