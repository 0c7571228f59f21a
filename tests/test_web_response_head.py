"""The response head the server writes without editing the response's headers (issue 15):
fields a handler or an on_response_prepare signal sets win over the defaults, the headers read
after the response went out show what was sent, bad values are still refused (500), and both
twins of serialize_response_head give the same bytes and the same errors. Checked on
127.0.0.1, against aiohttp.web where it answers the same question."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

import pytest
from aiohttp import web as aioweb
from multidict import CIMultiDict

from fasthttp import _http_writer_py
from fasthttp import web
from web_helpers import HOST, async_test, parse_responses, raw_exchange, running

try:
    from fasthttp import _http_writer as _compiled
except ImportError:  # pragma: no cover - a build without the extensions
    _compiled = None  # type: ignore[assignment]

TWINS = [_http_writer_py.serialize_response_head] + (
    [_compiled.serialize_response_head] if _compiled is not None else []
)


def _get(path: str, *, method: str = "GET", version: str = "1.1", close: bool = True) -> bytes:
    connection = "Connection: close\r\n" if close else ""
    return f"{method} {path} HTTP/{version}\r\nHost: {HOST}\r\n{connection}\r\n".encode("latin-1")


def _own_fields_app(mod: Any, seen: dict[str, Any]) -> Any:
    async def own_server(request: Any) -> Any:
        return mod.Response(text="s", headers={"Server": "mine/1", "Date": "Mon, 01 Jan 2001 00:00:00 GMT"})

    async def own_length(request: Any) -> Any:
        headers = CIMultiDict([("content-length", "999"), ("X-A", "a"), ("CONTENT-LENGTH", "5")])
        return mod.Response(body=b"four", headers=headers)

    async def own_type(request: Any) -> Any:
        return mod.Response(body=b"{}", headers={"content-type": "application/x-mine"})

    async def read_after(request: Any) -> Any:
        response = mod.Response(text="after")
        await response.prepare(request)
        seen["after"] = dict(response.headers)
        return response

    async def head_ok(request: Any) -> Any:
        return mod.Response(text="twelve bytes")

    app = mod.Application()
    app.router.add_get("/server", own_server)
    app.router.add_get("/length", own_length)
    app.router.add_get("/type", own_type)
    app.router.add_get("/after", read_after)
    app.router.add_get("/head", head_ok)
    return app


async def _ask(mod: Any, requests: list[bytes], seen: dict[str, Any]) -> list[Any]:
    async with running(_own_fields_app(mod, seen), mod) as port:
        return [parse_responses(await raw_exchange(port, raw), head_request=raw.startswith(b"HEAD"))[0]
                for raw in requests]


@async_test()
async def test_fields_the_handler_sets_win_as_on_aiohttp() -> None:
    requests = [_get("/server"), _get("/type"), _get("/head", method="HEAD")]
    ours = await _ask(web, requests, {})
    theirs = await _ask(aioweb, requests, {})
    for mine, peer in zip(ours, theirs):
        assert mine.status == peer.status == 200
        for name in ("Server", "Date", "Content-Length", "Content-Type"):
            assert len(mine.header_all(name)) == 1, (name, mine.headers)
    server, own_type, head = ours
    assert server.header("Server") == theirs[0].header("Server") == "mine/1"
    assert server.header("Date") == theirs[0].header("Date") == "Mon, 01 Jan 2001 00:00:00 GMT"
    assert own_type.header("Content-Type") == theirs[1].header("Content-Type") == "application/x-mine"
    assert head.header("Content-Length") == theirs[2].header("Content-Length") == "12"
    assert head.body == b""


@async_test()
async def test_a_content_length_the_handler_set_is_replaced_once() -> None:
    # aiohttp.web sends the handler's (wrong) Content-Length fields as they are; fasthttp.web
    # sends the body's length, once, in the place of the first.
    [length] = await _ask(web, [_get("/length")], {})
    assert length.header_all("Content-Length") == ["4"]
    assert [name for name, _ in length.headers][:2] == ["Content-Length", "X-A"]
    assert length.body == b"four"


@async_test()
async def test_headers_read_after_the_response_went_out_show_what_was_sent() -> None:
    ours: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    [sent] = await _ask(web, [_get("/after")], ours)
    await _ask(aioweb, [_get("/after")], theirs)
    names = {name.lower() for name in ours["after"]}
    assert names == {name.lower() for name in theirs["after"]}
    assert {"content-length", "content-type", "date", "server"} <= names
    for name, value in ours["after"].items():
        assert sent.header(name) == value


@async_test()
async def test_connection_field_for_http10_and_closing() -> None:
    for mod in (web, aioweb):

        async def hello(request: Any) -> Any:
            return mod.Response(text="hi")

        async def closing(request: Any) -> Any:
            response = mod.Response(text="bye", headers={"connection": "keep-alive"})
            response.force_close()
            return response

        app = mod.Application()
        app.router.add_get("/", hello)
        app.router.add_get("/close", closing)
        async with running(app, mod) as port:
            raw10 = b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\nHost: h\r\n\r\n"
            first, second = parse_responses(await raw_exchange(port, raw10))
            assert first.header("Connection", "").lower() == "keep-alive", mod
            assert second.header("Connection") is None, mod
            [closed] = parse_responses(await raw_exchange(port, _get("/close", close=False)))
        # The connection closes after it: fasthttp.web says so in place of the handler's
        # "keep-alive" (aiohttp.web sends the handler's field as it is).
        assert closed.header_all("Connection") == (["close"] if mod is web else ["keep-alive"])


@async_test()
async def test_a_signal_editing_headers_is_sent() -> None:
    async def on_prepare(request: Any, response: Any) -> None:
        response.headers["Server"] = "signal/2"
        response.headers["X-Signal"] = response.headers.get("Content-Type", "none")

    for mod in (web, aioweb):

        async def hello(request: Any) -> Any:
            return mod.Response(text="hi")

        app = mod.Application()
        app.router.add_get("/", hello)
        app.on_response_prepare.append(on_prepare)
        async with running(app, mod) as port:
            [answer] = parse_responses(await raw_exchange(port, _get("/")))
        assert answer.header_all("Server") == ["signal/2"], mod
        assert answer.header("X-Signal") == "text/plain; charset=utf-8", mod
        assert answer.body == b"hi"


@async_test()
async def test_access_log_reads_the_fields_the_server_added() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("test_web_response_head.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.handlers[:] = [Keep()]

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=logger,
                           access_log_format="%{Content-Length}o|%{Content-Type}o|%{Server}o")
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        await raw_exchange(runner.addresses[0][1], _get("/"))
    finally:
        await asyncio.wait_for(runner.cleanup(), 10)
    [record] = records
    length, ctype, server = record.getMessage().split("|")
    assert (length, ctype) == ("5", "text/plain; charset=utf-8")
    assert server.startswith("Python/3 fasthttp/")


@pytest.mark.parametrize("where", ["content_type", "header", "reason"])
@async_test()
async def test_a_control_character_is_refused_with_500(where: str) -> None:
    async def bad(request: web.Request) -> web.Response:
        if where == "content_type":
            return web.Response(text="x", content_type="text/plain\r\nX-Evil: 1")
        if where == "header":
            return web.Response(text="x", headers={"X-Ok": "fine\x00X-Evil: 1"})
        return web.Response(text="x", reason="Fine\x01")

    app = web.Application()
    app.router.add_get("/", bad)
    async with running(app, web) as port:
        raw = await raw_exchange(port, _get("/"))
    [answer] = parse_responses(raw)
    assert answer.status == 500
    assert b"X-Evil" not in raw


CASES: list[tuple[Any, Optional[str], Optional[str], Optional[str]]] = [
    (None, "text/plain; charset=utf-8", "5", None),
    (None, None, "0", "close"),
    (CIMultiDict(), "application/octet-stream", "12", "keep-alive"),
    (CIMultiDict([("X-A", "1"), ("content-LENGTH", "9"), ("Content-Length", "8"), ("X-B", "2")]),
     "application/octet-stream", "3", None),
    (CIMultiDict([("Connection", "upgrade"), ("connection", "x"), ("SERVER", "s"), ("date", "d")]),
     "text/html", "7", "close"),
    (CIMultiDict([("Connection", "upgrade"), ("Content-Length", "2")]), None, None, None),
    (CIMultiDict([("Content-Type", "a/b"), ("X-Caf\u00e9", "v")]), "c/d", "1", None),
    (CIMultiDict([("X-U", "caf\u00e9 \udcff")]), "c/d", "1", None),
    (CIMultiDict([("Date\r\nX", "1")]), None, "1", None),
    (CIMultiDict([("Content\rLength", "1")]), None, "1", None),
    (CIMultiDict([("X", "a\nb")]), None, "1", None),
    (CIMultiDict([("X", "\ud800")]), None, "1", None),
    (None, "text/plain\r\nX-Evil: 1", "1", None),
]


def _expected(headers: Any, content_type: Optional[str], content_length: Optional[str],
              connection: Optional[str]) -> bytes:
    """The head the multidict edits the server used to make give, serialized by serialize_head."""
    edited = CIMultiDict(headers or ())
    if content_type is not None:
        edited.setdefault("Content-Type", content_type)
    if content_length is not None:
        edited["Content-Length"] = content_length
    edited.setdefault("Date", "D")
    edited.setdefault("Server", "S")
    if connection is not None:
        edited["Connection"] = connection
    return _http_writer_py.serialize_head("HTTP/1.1 200 OK", edited)


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("serialize", TWINS, ids=lambda f: f.__module__)
def test_twins_match_the_multidict_edits(serialize: Any, case: int) -> None:
    headers, content_type, content_length, connection = CASES[case]
    before = None if headers is None else list(headers.items())
    try:
        expected: Any = _expected(headers, content_type, content_length, connection)
    except (ValueError, TypeError) as exc:
        expected = exc
    args = ("HTTP/1.1 200 OK", headers, content_type, content_length, "D", "S", connection)
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)) as raised:
            serialize(*args)
        assert str(raised.value) == str(expected)
    else:
        got = serialize(*args)
        # The same fields (the server's own are added in a fixed order, the rest kept in theirs).
        assert sorted(got.split(b"\r\n")) == sorted(expected.split(b"\r\n"))
        assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got.endswith(b"\r\n\r\n")
        assert got == _http_writer_py.serialize_response_head(*args)
    assert (None if headers is None else list(headers.items())) == before  # never edited


def test_a_bad_status_line_is_refused_by_both_twins() -> None:
    for serialize in TWINS:
        with pytest.raises(ValueError, match="start line"):
            serialize("HTTP/1.1 200 O\nK", None, None, "1", "D", "S", None)
        with pytest.raises(TypeError, match="must be str"):
            serialize("HTTP/1.1 200 OK", CIMultiDict([("X", "1")]), None, 1, "D", "S", None)


@async_test()
async def test_match_info_apps_lists_the_app_chain_as_aiohttp() -> None:
    seen: dict[str, list[str]] = {}

    def make(mod: Any) -> Any:
        main = mod.Application()
        sub = mod.Application()
        main["name"] = "main"
        sub["name"] = "sub"

        async def report(request: Any) -> Any:
            names = [app["name"] for app in request.match_info.apps]
            seen.setdefault(request.path, []).append(",".join(names))
            return mod.Response(text=",".join(names))

        main.router.add_get("/top", report)
        sub.router.add_get("/inner", report)
        main.add_subapp("/sub", sub)
        return main

    for mod in (web, aioweb):
        async with running(make(mod), mod) as port:
            for path in ("/top", "/sub/inner"):
                [answer] = parse_responses(await raw_exchange(port, _get(path)))
                assert answer.status == 200
    assert seen == {"/top": ["main", "main"], "/sub/inner": ["main,sub", "main,sub"]}
