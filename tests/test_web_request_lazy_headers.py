"""request.headers is built on first access (the parser keeps the raw fields: issue 15).

What a handler sees must not change with when it looks: the same raw requests go to
fasthttp.web and aiohttp.web, and each handler reports its headers read at different moments
(before the body, after it, on a clone, on the second request of a keep-alive connection). A
malformed header is still refused with a 400 by the parser, before any handler runs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web as aioweb

from fasthttp import web
from web_helpers import HOST, async_test, parse_responses, raw_exchange, running

SERVERS = [pytest.param(web, id="fasthttp"), pytest.param(aioweb, id="aiohttp")]


def _report(headers: Any) -> list[list[str]]:
    return [[str(name), value] for name, value in headers.items()]


def _app(w: Any, calls: list[str]) -> Any:
    async def after_body(request: Any) -> Any:
        calls.append("after_body")
        body = await request.read()
        return w.json_response({"body": body.decode(), "headers": _report(request.headers),
                                "x": request.headers.getall("X-Twice")})

    async def on_clone(request: Any) -> Any:
        calls.append("on_clone")
        same = request.clone()
        replaced = request.clone(headers={"X-New": "n"})
        return w.json_response({
            "same": _report(same.headers), "replaced": _report(replaced.headers),
            "original": _report(request.headers), "raw": [list(map(bytes.decode, pair)) for pair in replaced.raw_headers],
        })

    async def echo(request: Any) -> Any:
        calls.append("echo")
        return w.json_response({"id": request.headers.get("X-Id"), "ua": request.headers["user-agent"]})

    async def untouched(request: Any) -> Any:
        calls.append("untouched")
        return w.Response(text="ok")

    app = w.Application()
    app.router.add_post("/after-body", after_body)
    app.router.add_get("/clone", on_clone)
    app.router.add_get("/echo", echo)
    app.router.add_get("/untouched", untouched)
    return app


async def _exchange(w: Any, data: bytes) -> tuple[list[Any], list[str]]:
    calls: list[str] = []
    async with running(_app(w, calls), w) as port:
        raw = await raw_exchange(port, data, timeout=5.0)
    return parse_responses(raw), calls


def _request(method: str, path: str, fields: str = "", body: bytes = b"", close: bool = False) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n{fields}"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode("latin-1") + b"\r\n" + body


@pytest.mark.parametrize("w", SERVERS)
@async_test()
async def test_headers_read_after_the_body(w: Any) -> None:
    data = _request("POST", "/after-body", "X-Twice: 1\r\nx-twice: 2\r\nX-Utf8: \xe9\r\n", b"payload", close=True)
    [response], calls = await _exchange(w, data)
    got = json.loads(response.body)
    assert response.status == 200 and calls == ["after_body"]
    assert got["body"] == "payload" and got["x"] == ["1", "2"]
    assert ["X-Twice", "1"] in got["headers"] and ["x-twice", "2"] in got["headers"]
    assert ["X-Utf8", "\udce9"] in got["headers"]  # latin-1 byte, not UTF-8: kept as a surrogate
    assert ["Content-Length", "7"] in got["headers"]


@pytest.mark.parametrize("w", SERVERS)
@async_test()
async def test_headers_on_a_clone(w: Any) -> None:
    [response], calls = await _exchange(w, _request("GET", "/clone", "X-A: a\r\n", close=True))
    got = json.loads(response.body)
    assert response.status == 200
    assert got["same"] == got["original"] and ["X-A", "a"] in got["original"]
    assert got["replaced"] == [["X-New", "n"]] and got["raw"] == [["X-New", "n"]]


@pytest.mark.parametrize("w", SERVERS)
@async_test()
async def test_each_keep_alive_request_sees_its_own_headers(w: Any) -> None:
    data = (
        _request("GET", "/untouched", "X-Id: 0\r\nUser-Agent: zero\r\n")
        + _request("GET", "/echo", "X-Id: 1\r\nUser-Agent: one\r\n")
        + _request("GET", "/echo", "User-Agent: two\r\n", close=True)
    )
    responses, calls = await _exchange(w, data)
    assert [r.status for r in responses] == [200, 200, 200]
    assert responses[0].body == b"ok"
    assert [json.loads(r.body) for r in responses[1:]] == [{"id": "1", "ua": "one"}, {"id": None, "ua": "two"}]
    assert calls == ["untouched", "echo", "echo"]


@pytest.mark.parametrize("w", SERVERS)
@pytest.mark.parametrize(
    "field",
    ["X-Bad\x01: v\r\n", "X-Ctl: a\x00b\r\n", "Bad Name: v\r\n", " folded\r\n"],
    ids=["name-ctl", "value-nul", "name-space", "obs-fold"],
)
@async_test()
async def test_a_malformed_header_is_refused_before_the_handler(w: Any, field: str) -> None:
    data = _request("GET", "/untouched", "User-Agent: u\r\n" + field)
    responses, calls = await _exchange(w, data)
    assert [r.status for r in responses] == [400]
    assert calls == []
