"""Request: head attributes, and the body through read/text/json/post/content, with its limits."""

from __future__ import annotations

import json
import os

import aiohttp
import httpx

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
