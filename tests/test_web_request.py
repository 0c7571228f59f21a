"""Request: head attributes, and the body through read/text/json/post/content, with its limits."""

from __future__ import annotations

import json
import os
from typing import Any

import aiohttp
import httpx
import pytest

from fasthttp import web
from fasthttp.web import multipart_form
from web_helpers import HOST, app_with, async_test, parse_responses, raw_exchange, serve


@async_test()
async def test_head_attributes() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({
            "method": request.method,
            "path": request.path,
            "raw_path": request.raw_path,
            "query": list(request.query.items()),
            "query_string": request.query_string,
            "header": request.headers.get("X-Thing"),
            "header_ci": request.headers.get("x-THING"),
            "cookies": dict(request.cookies),
            "match_info": dict(request.match_info),
            "remote": request.remote,
            "can_read_body": request.can_read_body,
            "body_exists": request.body_exists,
            "app_is_app": request.app is app,
            "version": list(request.version),
            "keep_alive": request.keep_alive,
            "host": request.host,
            "scheme": request.scheme,
        })

    app = web.Application()
    app.router.add_route("*", "/items/{item}", handler)
    async with serve(app) as srv, aiohttp.ClientSession() as s:
        async with s.get(srv.url("/items/a%20b?x=1&y=2&x=3&e="), headers={"X-Thing": "v", "Cookie": "sid=abc; theme=dark"}) as resp:
            got = await resp.json()
        assert got == {
            "method": "GET", "path": "/items/a b", "raw_path": "/items/a%20b?x=1&y=2&x=3&e=",
            "query": [["x", "1"], ["y", "2"], ["x", "3"], ["e", ""]], "query_string": "x=1&y=2&x=3&e=",
            "header": "v", "header_ci": "v", "cookies": {"sid": "abc", "theme": "dark"},
            "match_info": {"item": "a b"}, "remote": "127.0.0.1", "can_read_body": False,
            "body_exists": False, "app_is_app": True, "version": [1, 1], "keep_alive": True,
            "host": f"127.0.0.1:{srv.port}", "scheme": "http",
        }
        async with s.post(srv.url("/items/z"), data=b"body") as resp:
            got = await resp.json()
        assert got["can_read_body"] is True and got["body_exists"] is True and got["method"] == "POST"


def body_app(client_max_size: int = 1024**2) -> web.Application:
    async def read(request: web.Request) -> web.Response:
        data = await request.read()
        again = await request.read()  # cached
        assert again == data
        return web.Response(body=data, content_type="application/octet-stream")

    async def text(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    async def as_json(request: web.Request) -> web.Response:
        return web.json_response(await request.json())

    async def stream(request: web.Request) -> web.Response:
        assert request.can_read_body
        sizes = []
        total = 0
        async for chunk in request.content.iter_chunked(1000):
            sizes.append(len(chunk))
            total += len(chunk)
        assert not request.can_read_body
        return web.json_response({"total": total, "max": max(sizes) if sizes else 0})

    async def form(request: web.Request) -> web.Response:
        data = await request.post()
        out: dict[str, object] = {}
        for key, value in data.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                rolled = bool(getattr(value.file, "_rolled", False))
                out.setdefault(key, []).append(  # type: ignore[union-attr]
                    {"filename": value.filename, "size": len(content), "ctype": value.content_type,
                     "on_disk": rolled, "head": content[:8].decode("latin-1")})
            else:
                out.setdefault(key, []).append(value)  # type: ignore[union-attr]
        return web.json_response(out)

    app = web.Application(client_max_size=client_max_size)
    app.router.add_post("/read", read)
    app.router.add_post("/text", text)
    app.router.add_post("/json", as_json)
    app.router.add_post("/stream", stream)
    app.router.add_post("/form", form)
    return app


@async_test()
async def test_read_text_json_content() -> None:
    async with serve(body_app()) as srv, aiohttp.ClientSession() as s:
        payload = os.urandom(200_000)
        async with s.post(srv.url("/read"), data=payload) as resp:
            assert await resp.read() == payload
        async with s.post(srv.url("/text"), data="héllo".encode("latin-1"),
                          headers={"Content-Type": "text/plain; charset=latin-1"}) as resp:
            assert await resp.text() == "héllo"
        async with s.post(srv.url("/json"), json={"a": [1, 2.5, "ü"]}) as resp:
            assert await resp.json() == {"a": [1, 2.5, "ü"]}

        async def gen():  # type: ignore[no-untyped-def]
            for _ in range(50):
                yield b"x" * 3000

        async with s.post(srv.url("/stream"), data=gen()) as resp:  # chunked upload
            got = await resp.json()
            assert got["total"] == 150_000 and got["max"] <= 1000
        async with s.post(srv.url("/read"), data=gen()) as resp:
            assert len(await resp.read()) == 150_000


@async_test()
async def test_post_urlencoded_and_multipart() -> None:
    async with serve(body_app(client_max_size=8 * 1024**2)) as srv, aiohttp.ClientSession() as s:
        async with s.post(srv.url("/form"), data={"a": "1", "b": "two words", "empty": ""}) as resp:
            assert await resp.json() == {"a": ["1"], "b": ["two words"], "empty": [""]}
        form = aiohttp.FormData()
        form.add_field("title", "hello")
        form.add_field("title", "again")
        form.add_field("small", b"tiny file", filename="small.txt", content_type="text/plain")
        big = b"BIGFILE!" + os.urandom(multipart_form.SPOOL_LIMIT + 100_000)
        form.add_field("big", big, filename="big.bin", content_type="application/octet-stream")
        async with s.post(srv.url("/form"), data=form) as resp:
            assert resp.status == 200, await resp.text()
            got = await resp.json()
        assert got["title"] == ["hello", "again"]
        assert got["small"] == [{"filename": "small.txt", "size": 9, "ctype": "text/plain",
                                 "on_disk": False, "head": "tiny fil"}]
        # a file part past the spool limit lands in a real temporary file
        assert got["big"] == [{"filename": "big.bin", "size": len(big), "ctype": "application/octet-stream",
                               "on_disk": True, "head": "BIGFILE!"}]
    # httpx's multipart encoder too
    async with serve(body_app()) as srv, httpx.AsyncClient() as c:
        r = await c.post(srv.url("/form"), data={"k": "v"}, files={"f": ("f.txt", b"data", "text/plain")})
        assert r.json() == {"k": ["v"], "f": [{"filename": "f.txt", "size": 4, "ctype": "text/plain",
                                               "on_disk": False, "head": "data"}]}


@async_test()
async def test_malformed_multipart_is_400() -> None:
    async with serve(body_app()) as srv, aiohttp.ClientSession() as s:
        async with s.post(srv.url("/form"), data=b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nno end",
                          headers={"Content-Type": "multipart/form-data; boundary=b"}) as resp:
            assert resp.status == 400
        async with s.post(srv.url("/form"), data=b"x", headers={"Content-Type": "multipart/form-data"}) as resp:
            assert resp.status == 400


@async_test()
async def test_client_max_size_413() -> None:
    async with serve(body_app()) as srv:
        async with aiohttp.ClientSession() as s:
            for path in ("/read", "/text", "/json"):
                async with s.post(srv.url(path), data=b"x" * (1024**2 + 1)) as resp:
                    assert resp.status == 413
                    assert "Maximum request body size 1048576 exceeded" in await resp.text()
            async with s.post(srv.url("/read"), data=b"x" * 1024**2) as resp:  # exactly the limit
                assert resp.status == 200 and len(await resp.read()) == 1024**2

            async def gen():  # type: ignore[no-untyped-def]
                for _ in range(40):
                    yield b"y" * 32768

            async with s.post(srv.url("/read"), data=gen()) as resp:  # chunked, no length up front
                assert resp.status == 413
            form = aiohttp.FormData()
            form.add_field("f", b"z" * (1024**2 + 10), filename="f.bin")
            async with s.post(srv.url("/form"), data=form) as resp:
                assert resp.status == 413
        # a declared length past the limit is refused without reading it all; the connection closes
        data = await raw_exchange(srv.port, b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n" + b"a" * 1000)
        [resp] = parse_responses(data)
        assert resp.status == 413 and resp.header("Connection") == "close"
    async with serve(body_app(client_max_size=10)) as srv, aiohttp.ClientSession() as s:
        async with s.post(srv.url("/json"), data=json.dumps([1, 2, 3, 4, 5])) as resp:
            assert resp.status == 413


@async_test()
async def test_unread_body_is_discarded_between_requests() -> None:
    async def ignore(request: web.Request) -> web.Response:
        return web.Response(text="ignored")

    app = web.Application()
    app.router.add_post("/ignore", ignore)
    async with serve(app) as srv:
        body = b"q" * 5000
        data = await raw_exchange(
            srv.port,
            b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + body
            + b"POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        assert [r.body for r in parse_responses(data)] == [b"ignored"] * 3


@async_test()
async def test_request_content_readchunk_reports_http_chunk_ends() -> None:
    """request.content.iter_chunks() on a chunked request body, as aiohttp.web gives it."""

    async def chunks(request: web.Request) -> web.Response:
        seen = [[data.decode(), end] async for data, end in request.content.iter_chunks()]
        return web.json_response(seen)

    body = b"3\r\nabc\r\n5\r\nhello\r\n1\r\nz\r\n0\r\n\r\n"
    head = f"POST /c HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    async with serve(app_with(web.post("/c", chunks))) as srv:
        # The whole body at once: the boundaries still split it chunk by chunk.
        data = await raw_exchange(srv.port, head.encode() + body)
    (resp,) = parse_responses(data)
    assert resp.status == 200, resp
    assert json.loads(resp.body) == [["abc", True], ["hello", True], ["z", True]]


FORWARDED_CASES = [
    [],
    ["for=192.0.2.60;proto=http;by=203.0.113.43"],
    ['for="[2001:db8:cafe::17]:4711"', "for=192.0.2.43, for=198.51.100.17"],
    ['For="\\"quoted\\" \\\\ value";HOST=example.com'],
    ["for=1.2.3.4;garbage here;proto=https, for=5.6.7.8"],
    ["for=1.2.3.4 for=5.6.7.8, proto=https"],
    [";;for=a,,for=b;", "secret=x;for=\"unterminated"],
    ["for=[::1]:8080;by=_hidden"],
]


@pytest.mark.parametrize("values", FORWARDED_CASES, ids=[str(i) for i in range(len(FORWARDED_CASES))])
def test_forwarded_as_aiohttp(values: list[str]) -> None:
    from aiohttp.test_utils import make_mocked_request
    from multidict import CIMultiDict

    from fasthttp.web.request import parse_forwarded

    headers = CIMultiDict(("Forwarded", value) for value in values)
    theirs = make_mocked_request("GET", "/", headers=headers).forwarded
    ours = parse_forwarded(values)
    assert [dict(e) for e in ours] == [dict(e) for e in theirs]


@async_test()
async def test_clone_as_aiohttp() -> None:
    from aiohttp import web as aioweb

    def describe(request: Any) -> list[Any]:
        return [request.method, request.path, request.query_string, dict(request.headers),
                request.host, request.scheme, request.remote, str(request.url),
                request.client_max_size, len(request)]

    async def run(mod: Any) -> Any:
        async def handler(request: Any) -> Any:
            request["x"] = 1
            plain = request.clone()
            changed = request.clone(
                method="POST", rel_url="/other/p%20ath?a=1", headers={"X-New": "v"},
                scheme="https", host="example.org:8443", remote="10.0.0.9", client_max_size=5,
            )
            await request.read()
            try:
                request.clone()
                after_read = "cloned"
            except RuntimeError as exc:
                after_read = str(exc)
            return mod.json_response([describe(plain), describe(changed), after_read])

        app = mod.Application()
        app.router.add_route("*", "/orig", handler)
        runner = mod.AppRunner(app, access_log=None)
        await runner.setup()
        site = mod.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession() as s:
                async with s.post(f"http://127.0.0.1:{port}/orig?q=2", data=b"body",
                                  headers={"X-Old": "o", "User-Agent": "ua"}) as r:
                    return await r.json()
        finally:
            await runner.cleanup()

    ours, theirs = await run(web), await run(aioweb)
    for mine, other in zip(ours[:2], theirs[:2]):
        mine[3].pop("Host", None), other[3].pop("Host", None)
        assert mine[:4] == other[:4]
        assert mine[5:7] + mine[8:] == other[5:7] + other[8:]
    # The changed clone's host and URL are what was given; the plain one's are the server's.
    assert ours[1][4] == theirs[1][4] == "example.org:8443"
    assert ours[1][7] == theirs[1][7] == "https://example.org:8443/other/p%20ath?a=1"
    assert ours[2] == theirs[2] == "Cannot clone request after reading its content"
