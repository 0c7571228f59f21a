"""Hostile peers against fasthttp.web (issue 9, server items), over real sockets on 127.0.0.1.

- pipelining without reading: the request queue is bounded (reading pauses), the write buffer too;
- a body the handler leaves unread, trickled: the drain has an overall deadline;
- post() with too many form fields: 413, as aiohttp.web (client_max_fields);
- "//" targets keep their first segment (routing, path, rel_url, url as aiohttp.web's);
- Host: missing in HTTP/1.1 or repeated is 400; an absolute-form target gives the host;
- FileResponse sends exactly the declared length (grown file cut, shrunk file closes);
- versions: only 1.0 and 1.1 (505), no 100 Continue to 1.0, 1.0 with chunked closes.

Where aiohttp.web is the reference, the same raw requests go to an aiohttp.web server too and the
answers are compared. The whole suite runs once per parser twin (scripts/test), so these do too.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import quopri
import time
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp import web as aioweb

from fasthttp import web
from fasthttp.web import protocol as web_protocol
from web_helpers import (
    HOST, app_with, async_test, parse_responses, raw_connection, raw_exchange, read_response,
    read_until_close, serve, simple_get,
)

# --- helpers ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve_aiohttp(app: aioweb.Application) -> AsyncIterator[int]:
    runner = aioweb.AppRunner(app, access_log=None)
    await runner.setup()
    site = aioweb.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await asyncio.wait_for(runner.cleanup(), 10)


def connections(srv: Any) -> list[web_protocol.RequestHandler]:
    return list(srv.runner.server.connections)


# --- 4: pipelining from a client that never reads ------------------------------------------------


@async_test(60)
async def test_pipelined_flood_is_queued_up_to_a_bound_then_reading_pauses() -> None:
    release = asyncio.Event()

    async def block(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="blocked")

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=request.query["n"])

    app = app_with(web.get("/block", block), web.get("/", index))
    count = 20000
    pad = "X-Pad: " + "p" * 150 + "\r\n"
    requests = [simple_get(f"/?n={i}", pad) for i in range(count)]
    per_slice = web_protocol.PARSE_SLICE // min(len(r) for r in requests) + 1
    bound = web_protocol.MAX_PIPELINED + per_slice
    async with serve(app) as srv, raw_connection(srv.port) as (reader, writer):
        writer.write(simple_get("/block"))
        await asyncio.sleep(0.1)
        [handler] = connections(srv)
        most = 0

        async def sample() -> None:
            nonlocal most
            while True:
                most = max(most, len(handler._queue))
                await asyncio.sleep(0.001)

        sampler = asyncio.ensure_future(sample())
        flood = b"".join(requests)  # about 3.4 MiB, never read until the handler is released
        writer.write(flood)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(writer.drain(), 3.0)  # stalls once the server stops reading
        await asyncio.sleep(0.3)
        queued = len(handler._queue)
        reading = handler.transport is not None and handler.transport.is_reading()
        sampler.cancel()
        assert most <= bound and queued <= bound, (most, queued, bound)
        assert not reading
        # Once served, every request is answered, in order: reading resumed as the queue drained.
        release.set()
        first = await read_response(reader)
        assert first.body == b"blocked"
        for i in range(count):
            resp = await read_response(reader, timeout=10)
            assert resp.body == str(i).encode(), i


@pytest.mark.parametrize("chunked", [False, True])
@async_test(60)
async def test_pipelined_requests_with_bodies_survive_the_pause(chunked: bool) -> None:
    # Bodies cut by slice and read boundaries, kept unparsed while the queue is full, then
    # parsed as it drains: every request gets its own body back, in order.
    release = asyncio.Event()

    async def block(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="blocked")

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    def post(i: int) -> bytes:
        body = b"%d:" % i + b"b" * (i % 300)
        if chunked:
            half = len(body) // 2
            framed = b"%x\r\n%b\r\n%x\r\n%b\r\n0\r\n\r\n" % (half, body[:half], len(body) - half, body[half:])
            return b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + framed
        return b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)

    count = 3000
    app = app_with(web.get("/block", block), web.post("/echo", echo))
    async with serve(app) as srv, raw_connection(srv.port) as (reader, writer):
        writer.write(simple_get("/block") + b"".join(post(i) for i in range(count)))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(writer.drain(), 2.0)
        await asyncio.sleep(0.2)
        [handler] = connections(srv)
        assert handler._queue_full
        release.set()
        assert (await read_response(reader)).body == b"blocked"
        for i in range(count):
            resp = await read_response(reader, timeout=10)
            assert resp.body == b"%d:" % i + b"b" * (i % 300), i


@async_test(30)
async def test_responses_never_read_wait_on_the_write_buffer_not_in_it() -> None:
    # (Held before this issue too: a guard for the write side of the bound.) Each response is
    # 64 KiB; the client reads none: the serving task waits on the transport's high-water mark,
    # so the server's write buffer stays within one response of it.
    body = b"r" * 65536

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=body)

    async with serve(app_with(web.get("/", big))) as srv:
        sock_reader, writer = await asyncio.open_connection(HOST, srv.port)
        try:
            writer.write(simple_get("/"))
            await asyncio.sleep(0.1)
            [handler] = connections(srv)
            transport = handler.transport
            assert transport is not None
            high = transport.get_write_buffer_limits()[1]
            most = 0
            for _ in range(200):
                writer.write(simple_get("/") * 5)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(writer.drain(), 0.05)
                most = max(most, transport.get_write_buffer_size())
            assert handler._write_paused and most > high // 2, (most, high)  # it did fill up
            assert most <= high + len(body) + 4096, (most, high)
        finally:
            writer.transport.abort()


# --- 6: a body the handler does not read, trickled ------------------------------------------------


def test_discard_deadline_is_aiohttp_lingering_time() -> None:
    assert web_protocol.DISCARD_BODY_TIME == 10.0


@async_test(30)
async def test_unread_trickled_body_is_dropped_within_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_protocol, "DISCARD_BODY_TIME", 1.0)

    async def noread(request: web.Request) -> web.Response:
        return web.Response(text="not read")

    async with serve(app_with(web.post("/", noread))) as srv, raw_connection(srv.port) as (reader, writer):
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        resp = await read_response(reader)
        assert resp.body == b"not read"
        started = time.monotonic()

        async def trickle() -> None:
            # one byte every 0.2 s: each read of the drain gets something well inside its
            # per-read timeout, so only an overall deadline ends it
            with contextlib.suppress(ConnectionError):
                for _ in range(100):
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.2)

        trickler = asyncio.ensure_future(trickle())
        try:
            rest = await read_until_close(reader, timeout=6)
        finally:
            trickler.cancel()
        held = time.monotonic() - started
        assert rest == b""
        assert held < 1.0 + 1.5, held


# --- 7: form fields -----------------------------------------------------------------------------------


def form_app(module: Any, **app_kwargs: Any) -> Any:
    async def form(request: Any) -> Any:
        data = await request.post()
        return module.Response(text=f"{len(data)} fields")

    app = module.Application(**app_kwargs)
    app.router.add_post("/", form)
    return app


def urlencoded(body: bytes) -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%b" % (len(body), body)
    )


def multipart(parts: int) -> bytes:
    body = b"".join(
        b"--BOUND\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n" % i for i in range(parts)
    ) + b"--BOUND--\r\n"
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=BOUND\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%b" % (len(body), body)
    )


FORM_CASES = {
    "urlencoded_1000": (urlencoded(b"&".join(b"a%d=1" % i for i in range(1000))), {}),
    "urlencoded_1001": (urlencoded(b"&".join(b"a%d=1" % i for i in range(1001))), {}),
    "urlencoded_empty_fields": (urlencoded(b"&" * 500_000), {}),
    "urlencoded_limit_3": (urlencoded(b"a=1&b=2&c=3&d=4"), {"client_max_fields": 3}),
    "urlencoded_no_limit": (urlencoded(b"&".join(b"a%d=1" % i for i in range(2000))), {"client_max_fields": 0}),
    "multipart_3_of_3": (multipart(3), {"client_max_fields": 3}),
    "multipart_4_of_3": (multipart(4), {"client_max_fields": 3}),
    "multipart_1001": (multipart(1001), {}),
}


@pytest.mark.parametrize("case", sorted(FORM_CASES))
@async_test(30)
async def test_form_field_limit_as_aiohttp(case: str) -> None:
    raw, app_kwargs = FORM_CASES[case]
    async with serve(form_app(web, **app_kwargs)) as srv:
        ours = parse_responses(await raw_exchange(srv.port, raw, timeout=10))
    async with serve_aiohttp(form_app(aioweb, **app_kwargs)) as port:
        theirs = parse_responses(await raw_exchange(port, raw, timeout=10))
    assert [(r.status, r.body) for r in ours] == [(r.status, r.body) for r in theirs]
    expect_413 = case in ("urlencoded_1001", "urlencoded_empty_fields", "urlencoded_limit_3",
                          "multipart_4_of_3", "multipart_1001")
    assert ours[0].status == (413 if expect_413 else 200), ours[0]


def test_client_max_fields_names_and_defaults() -> None:
    assert web.Application()._client_max_fields == aioweb.Application()._client_max_fields == 1000


# --- 9 and 10: the target as sent, and the host ------------------------------------------------------


def url_app(module: Any) -> Any:
    async def admin(request: Any) -> Any:
        return module.Response(text="ADMIN")

    async def show(request: Any) -> Any:
        return module.Response(text=" | ".join([
            request.path, request.raw_path, str(request.rel_url), str(request.url), request.host,
            request.path_qs, request.query_string,
        ]))

    app = module.Application()
    app.router.add_get("/admin", admin)
    app.router.add_route("*", "/{tail:.*}", show)
    return app


TARGETS = [
    (b"//evil.example/admin", b"HTTP/1.1", b"Host: h\r\n"),
    (b"///admin", b"HTTP/1.1", b"Host: h\r\n"),
    (b"//evil.example/admin?x=1#f", b"HTTP/1.1", b"Host: h\r\n"),
    (b"//", b"HTTP/1.1", b"Host: h\r\n"),
    (b"//a//b", b"HTTP/1.1", b"Host: h:8080\r\n"),
    (b"//a/%2e%2e/admin", b"HTTP/1.1", b"Host: h\r\n"),
    (b"//a/../admin", b"HTTP/1.1", b"Host: h\r\n"),
    (b"/a/../admin", b"HTTP/1.1", b"Host: h\r\n"),
    (b"/plain/path", b"HTTP/1.1", b"Host: h\r\n"),
    (b"/a%20b?q=%41&r", b"HTTP/1.1", b"Host: h\r\n"),
    (b"http://other.example:81/x?q=1", b"HTTP/1.1", b"Host: h\r\n"),
    (b"https://other.example/x", b"HTTP/1.1", b"Host: h\r\n"),
    (b"http://other.example//admin", b"HTTP/1.1", b"Host: h\r\n"),
    (b"http://other.example/x", b"HTTP/1.0", b""),
    (b"/no-host", b"HTTP/1.0", b""),
]


@pytest.mark.parametrize("target,version,host", TARGETS, ids=[t[0].decode() + " " + t[1].decode() for t in TARGETS])
@async_test()
async def test_target_path_url_and_host_as_aiohttp(target: bytes, version: bytes, host: bytes) -> None:
    raw = b"GET %b %b\r\n%bConnection: close\r\n\r\n" % (target, version, host)
    async with serve(url_app(web)) as srv:
        [ours] = parse_responses(await raw_exchange(srv.port, raw))
    async with serve_aiohttp(url_app(aioweb)) as port:
        [theirs] = parse_responses(await raw_exchange(port, raw))
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
    if target.startswith(b"//"):
        assert ours.body != b"ADMIN"  # the first segment is part of the path, not a host


@async_test()
async def test_double_slash_target_does_not_reach_the_route_of_its_tail() -> None:
    async def admin(request: web.Request) -> web.Response:
        return web.Response(text="ADMIN")

    async with serve(app_with(web.get("/admin", admin))) as srv:
        for target in (b"//evil.example/admin", b"///admin", b"//admin"):
            data = await raw_exchange(srv.port, b"GET %b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target)
            [resp] = parse_responses(data)
            assert resp.status == 404, (target, resp)


BAD_TARGETS = [b"http:///admin", b"http:/admin", b"admin", b"http://h@/admin", b"*", b"http://?x"]


@pytest.mark.parametrize("target", BAD_TARGETS, ids=[t.decode() for t in BAD_TARGETS])
@async_test()
async def test_target_of_no_valid_form_is_400_as_aiohttp(target: bytes) -> None:
    # An absolute-form target without a host must not fall back to its path ("http:///admin"
    # reaching /admin); a target of none of the four forms is refused.
    raw = b"GET %b HTTP/1.1\r\nHost: h\r\n\r\n%b" % (target, simple_get("/never"))
    async with serve(url_app(web)) as srv:
        ours = parse_responses(await raw_exchange(srv.port, raw))
    async with serve_aiohttp(url_app(aioweb)) as port:
        theirs = parse_responses(await raw_exchange(port, raw))
    assert [r.status for r in ours] == [r.status for r in theirs] == [400]
    assert ours[0].header("Connection") == "close"


def test_plain_path_fast_path_agrees_with_the_built_url() -> None:
    # Request.path skips building a URL for a target that is its own path ("//x" included):
    # the shortcut must give what rel_url.path gives, for any target it accepts.
    import random

    from yarl import URL

    from fasthttp.web.request import _PLAIN_PATH

    rng = random.Random(9)
    alphabet = "/abAZ09_-~!$&'()*+,;=:@.%?#"
    for _ in range(20000):
        target = "/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        if _PLAIN_PATH.fullmatch(target):
            rest, _, fragment = target.partition("#")
            path, _, query = rest.partition("?")
            built = URL.build(path=path, query_string=query, fragment=fragment, encoded=True)
            assert built.path == target, target


HOST_REFUSED = {
    "missing_http11": b"GET / HTTP/1.1\r\n\r\n",
    "missing_http11_absolute_form": b"GET http://a.example/ HTTP/1.1\r\n\r\n",
    "two_hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "two_hosts_same": b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
    "two_hosts_http10": b"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
    "after_a_good_request": simple_get("/") + b"GET / HTTP/1.1\r\n\r\n" + simple_get("/never"),
}


@pytest.mark.parametrize("name", sorted(HOST_REFUSED))
@async_test()
async def test_host_missing_or_repeated_is_400_and_close(name: str) -> None:
    async with serve(url_app(web)) as srv:
        data = await raw_exchange(srv.port, HOST_REFUSED[name])
    responses = parse_responses(data)
    statuses = [r.status for r in responses]
    assert statuses == ([200, 400] if name == "after_a_good_request" else [400]), data
    assert responses[-1].header("Connection") == "close"
    assert b"Host" in responses[-1].body


# --- 11: FileResponse sends the declared length ---------------------------------------------------


def file_app(path: Path, change: str) -> web.Application:
    async def send(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, chunk_size=1024)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="next")

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        # Runs once the head (with the file's size) is built, before the body is read.
        if isinstance(response, web.FileResponse):
            if change == "grow":
                with open(path, "ab") as f:
                    f.write(b"G" * 5000)
            else:
                os.truncate(path, 3000)

    app = app_with(web.get("/file", send), web.get("/hello", hello))
    app.on_response_prepare.append(on_prepare)
    return app


@async_test()
async def test_file_that_grows_is_sent_at_its_declared_length(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    content = bytes(range(256)) * 40  # 10240 bytes
    path.write_bytes(content)
    async with serve(file_app(path, "grow")) as srv, raw_connection(srv.port) as (reader, writer):
        writer.write(simple_get("/file") + simple_get("/hello"))
        first = await read_response(reader)
        assert first.header("Content-Length") == str(len(content))
        assert first.body == content
        # the next bytes are the next response, not the file's extra bytes
        assert await asyncio.wait_for(reader.readexactly(17), 5) == b"HTTP/1.1 200 OK\r\n"


@async_test()
async def test_file_that_shrinks_closes_the_connection(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"s" * 10240)
    async with serve(file_app(path, "shrink")) as srv:
        data = await raw_exchange(srv.port, simple_get("/file") + simple_get("/hello"), timeout=5)
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length: 10240" in head
    assert body == b"s" * 3000  # what there was, then the close: never a next response
    assert "shrank" in caplog.text


# --- 12: versions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [b"HTTP/1.9", b"HTTP/1.2"])
@async_test()
async def test_other_http1_versions_are_505_and_close(version: bytes) -> None:
    async with serve(url_app(web)) as srv:
        data = await raw_exchange(srv.port, b"GET / %b\r\nHost: x\r\n\r\n%b" % (version, simple_get("/never")))
    [resp] = parse_responses(data)
    assert (resp.version, resp.status) == ("HTTP/1.1", 505)
    assert resp.header("Connection") == "close"


@async_test()
async def test_http10_is_answered_in_http10_as_aiohttp() -> None:
    raw = b"GET /x HTTP/1.0\r\nHost: h\r\n\r\n"
    async with serve(url_app(web)) as srv:
        [ours] = parse_responses(await raw_exchange(srv.port, raw))
    async with serve_aiohttp(url_app(aioweb)) as port:
        [theirs] = parse_responses(await raw_exchange(port, raw))
    assert ours.version == theirs.version == "HTTP/1.0"


async def echo_body(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


@async_test()
async def test_no_100_continue_to_http10() -> None:
    async with serve(app_with(web.post("/", echo_body))) as srv, raw_connection(srv.port) as (reader, writer):
        writer.write(b"POST / HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        early = b""
        with contextlib.suppress(asyncio.TimeoutError):
            early = await asyncio.wait_for(reader.read(100), 0.5)
        assert early == b""
        writer.write(b"hello")
        data = await read_until_close(reader)
    [resp] = parse_responses(data)
    assert (resp.version, resp.status, resp.body) == ("HTTP/1.0", 200, b"hello")


@async_test()
async def test_100_continue_still_sent_to_http11() -> None:
    async with serve(app_with(web.post("/", echo_body))) as srv, raw_connection(srv.port) as (reader, writer):
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        assert (await read_response(reader)).body == b"hello"


@pytest.mark.parametrize("early_response", [False, True])
@async_test()
async def test_http10_chunked_request_closes_after_its_response(early_response: bool) -> None:
    async def noread(request: web.Request) -> web.Response:
        return web.Response(text="early")

    app = app_with(web.post("/", echo_body), web.post("/early", noread), web.get("/never", noread))
    path = b"/early" if early_response else b"/"
    raw = (
        b"POST %b HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
        b"GET /never HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % path
    )
    async with serve(app) as srv:
        data = await raw_exchange(srv.port, raw, timeout=5)  # returns once the server closed
    [resp] = parse_responses(data)
    assert resp.status == 200 and resp.body == (b"early" if early_response else b"hello")
    assert resp.header("Connection") != "keep-alive"


def test_request_entity_too_large_takes_aiohttp_arguments() -> None:
    ours = web.HTTPRequestEntityTooLarge(100, 200)
    theirs = aioweb.HTTPRequestEntityTooLarge(100, 200)
    assert (ours.status, ours.text) == (theirs.status, theirs.text)
    ours = web.HTTPRequestEntityTooLarge(max_size=5, actual_size=9, text="custom")
    assert ours.text == "custom"


# --- post() reads multipart/form-data with the one multipart scanner ------------------------------


def form_echo_app(module: Any, **app_kwargs: Any) -> Any:
    async def form(request: Any) -> Any:
        data = await request.post()
        out = []
        for key, value in data.items():
            if hasattr(value, "file"):
                out.append([key, value.filename, value.content_type, value.file.read().decode("latin-1")])
            else:
                out.append([key, value])
        return module.json_response(out)

    app = module.Application(**app_kwargs)
    app.router.add_post("/", form)
    return app


def form_request(body: bytes, boundary: bytes = b"BOUND") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=%b\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%b" % (boundary, len(body), body)
    )


def field(name: bytes, value: bytes, extra: bytes = b"") -> bytes:
    return b'--BOUND\r\nContent-Disposition: form-data; name="%b"\r\n%b\r\n%b\r\n' % (name, extra, value)


POST_FORMS = {
    "preamble_and_padding": b"preamble\r\n" + field(b"a", b"1").replace(b"--BOUND\r\n", b"--BOUND \t\r\n")
                            + field(b"b", b"2") + b"--BOUND--\r\nepilogue",
    "base64_field": field(b"x", b"aGVsbG8=", b"Content-Transfer-Encoding: base64\r\n") + b"--BOUND--\r\n",
    "file_and_field": field(b"f", b"file\r\nbody", b"Content-Type: text/plain\r\n").replace(
        b'name="f"', b'name="f"; filename="a.txt"') + field(b"k", b"v") + b"--BOUND--\r\n",
    "base64_file": field(b"f", b"aGVs\r\nbG8=", b"Content-Transfer-Encoding: base64\r\n").replace(
        b'name="f"', b'name="f"; filename="b.bin"') + b"--BOUND--\r\n",
    "qp_file": field(b"f", b"caf=C3=A9 soft=\r\nbreak", b"Content-Transfer-Encoding: quoted-printable\r\n").replace(
        b'name="f"', b'name="f"; filename="q.txt"') + b"--BOUND--\r\n",
    "delimiter_lookalike": field(b"a", b"a--BOUND mid-line\r\n--BOUN") + b"--BOUND--\r\n",
}


@pytest.mark.parametrize("case", sorted(POST_FORMS))
@async_test(30)
async def test_post_multipart_as_aiohttp(case: str) -> None:
    raw = form_request(POST_FORMS[case])
    async with serve(form_echo_app(web)) as srv:
        ours = parse_responses(await raw_exchange(srv.port, raw, timeout=10))
    async with serve_aiohttp(form_echo_app(aioweb)) as port:
        theirs = parse_responses(await raw_exchange(port, raw, timeout=10))
    assert ours[0].status == theirs[0].status == 200, (ours, theirs)
    assert json.loads(ours[0].body) == json.loads(theirs[0].body)


@async_test(30)
async def test_post_multipart_limits() -> None:
    # client_max_size counts the whole body, not a part: 40 parts of 100 bytes against 2000.
    many = b"".join(field(b"f%d" % i, b"v" * 100) for i in range(40)) + b"--BOUND--\r\n"
    long_head = b'--BOUND\r\nContent-Disposition: form-data; name="a"\r\nX-Long: ' + b"h" * 9000 + b"\r\n\r\nv\r\n--BOUND--\r\n"
    cases = [
        (many, {"client_max_size": 2000}, 413, b"Maximum request body size 2000 exceeded"),
        (many, {"client_max_fields": 39}, 413, b"Maximum number of form fields 39 exceeded."),
        (many, {"client_max_fields": 40}, 200, b'["f39", "'),
        (long_head, {}, 400, b"longer than 8190"),
        (field(b"a", b"1") + b"--BOUND", {}, 400, b"malformed multipart body"),
        (b'--BOUND\r\nContent-Disposition: form-data\r\n\r\nv\r\n--BOUND--\r\n', {}, 400, b"part without a name"),
    ]
    for body, app_kwargs, status, text in cases:
        async with serve(form_echo_app(web, **app_kwargs)) as srv:
            [resp] = parse_responses(await raw_exchange(srv.port, form_request(body), timeout=10))
        assert resp.status == status and text in resp.body, (app_kwargs, resp)
    async with serve(form_echo_app(web)) as srv:  # no boundary, or one past RFC 2046's 70
        for content_type in (b"multipart/form-data", b"multipart/form-data; boundary=" + b"b" * 71):
            raw = form_request(b"x").replace(b"multipart/form-data; boundary=BOUND", content_type)
            [resp] = parse_responses(await raw_exchange(srv.port, raw, timeout=10))
            assert resp.status == 400 and b"without a valid boundary" in resp.body, resp


@async_test(30)
async def test_post_decodes_a_large_encoded_file_across_pieces() -> None:
    """A base64 or quoted-printable file part of several hundred KiB, with line breaks every
    76 characters (so no read boundary falls on a 4-character group), comes out whole."""
    blob = os.urandom(300_000).replace(b"\r", b"\n")  # what quopri round-trips
    encodings = {b"base64": base64.encodebytes(blob), b"quoted-printable": quopri.encodestring(blob)}
    for transfer, encoded in encodings.items():
        body = field(b"f", encoded, b"Content-Transfer-Encoding: %b\r\n" % transfer).replace(
            b'name="f"', b'name="f"; filename="x.bin"') + b"--BOUND--\r\n"

        async def digest(request: Any) -> Any:
            data = await request.post()
            return web.Response(text=hashlib.sha256(data["f"].file.read()).hexdigest())

        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/", digest)
        async with serve(app) as srv:
            [resp] = parse_responses(await raw_exchange(srv.port, form_request(body), timeout=10))
        assert (resp.status, resp.body.decode()) == (200, hashlib.sha256(blob).hexdigest()), transfer
