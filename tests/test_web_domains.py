"""app.add_domain(): Host-based sub-applications (issue 12, point 1), compared with aiohttp.web
on 127.0.0.1: the Host with and without a port, its case, masks, the order against the
parent's routes, url_for, and the validation errors."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web as aioweb

from fasthttp import web
from web_helpers import HOST, async_test, parse_responses, raw_exchange, running


def domains_app(w: ModuleType, log: list[str]) -> Any:
    def answer(text: str) -> Any:
        async def handler(request: Any) -> Any:
            return w.Response(text=f"{text} {request.path} {dict(request.match_info)}")

        return handler

    @w.middleware
    async def sub_mw(request: Any, handler: Any) -> Any:
        log.append(f"mw {request.host}")
        return await handler(request)

    async def on_prepare(request: Any, response: Any) -> None:
        response.headers["X-Api"] = "prepared"

    root = w.Application()
    root.router.add_get("/", answer("root index"))
    root.router.add_get("/users/{id}", answer("root user"))
    api = w.Application(middlewares=[sub_mw])
    api.router.add_get("/", answer("api index"))
    api.router.add_get("/users/{id}", answer("api user"), name="user")
    api.on_response_prepare.append(on_prepare)
    wild = w.Application()
    wild.router.add_get("/", answer("wild index"))
    ported = w.Application()
    ported.router.add_get("/", answer("ported index"))
    root.add_domain("API.example.com", api)
    root.add_domain("*.example.org", wild)
    root.add_domain("*.example.net:8080", ported)
    return root


HOSTS = [
    "api.example.com", "API.Example.COM", "api.example.com:9999", "api.example.com.",
    "example.com", "xapi.example.com", "a.example.org", "a.b.EXAMPLE.org:81", "example.org",
    ".example.org", "x.example.net:8080", "x.example.net", "x.example.net:8081", "other",
]
PATHS = [("GET", "/"), ("GET", "/users/7"), ("GET", "/missing"), ("POST", "/users/7")]


async def answers(w: ModuleType) -> tuple[list[Any], list[str]]:
    log: list[str] = []
    out = []
    async with running(domains_app(w, log), w) as port:
        for host in HOSTS:
            for method, path in PATHS:
                raw = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                [resp] = parse_responses(await raw_exchange(port, raw.encode(), timeout=10))
                headers = dict(resp.headers)
                out.append((host, method, path, resp.status, resp.body, headers.get("X-Api"),
                            headers.get("Allow")))
        # No Host at all (HTTP/1.0): no domain matches.
        [resp] = parse_responses(await raw_exchange(port, b"GET / HTTP/1.0\r\n\r\n", timeout=10))
        out.append(("", "GET", "/", resp.status, resp.body, None, None))
    return out, log


@async_test(60)
async def test_domains_as_aiohttp() -> None:
    ours, theirs = await answers(web), await answers(aioweb)
    assert ours == theirs
    by = {(host, method, path): (status, body) for host, method, path, status, body, _, _ in ours[0]}
    assert by["API.Example.COM", "GET", "/users/7"] == (200, b"api user /users/7 {'id': '7'}")
    assert by["api.example.com:9999", "GET", "/"] == (200, b"api index / {}")
    assert by["api.example.com", "GET", "/missing"][0] == 404  # the domain's app answers all
    assert by["a.b.EXAMPLE.org:81", "GET", "/"][0] == 200
    assert by["example.org", "GET", "/"] == (200, b"root index / {}")
    assert by["x.example.net:8080", "GET", "/"] == (200, b"ported index / {}")
    assert by["x.example.net:8081", "GET", "/"] == (200, b"root index / {}")


def test_domain_rules_and_errors_as_aiohttp() -> None:
    for w in (web, aioweb):
        root = w.Application()
        resource = root.add_domain("Пример.РФ.", w.Application())
        assert resource.canonical == "xn--e1afmkfd.xn--p1ai"
        assert root.add_domain("example.com:80", w.Application()).canonical == "example.com"
        assert root.add_domain("example.com:8080", w.Application()).canonical == "example.com:8080"
        assert root.add_domain("*.example.com", w.Application()).canonical == r"[^:]*\.example\.com(:.*)?"
        assert len(root.router.resources()) == 4
    ours, theirs = web.Application(), aioweb.Application()
    for bad, error, message in [(1, TypeError, "Domain must be str"), ("", ValueError, "Domain cannot be empty"),
                                (".", ValueError, "Domain cannot be empty"),
                                ("http://example.com", ValueError, "Scheme not supported"),
                                ("-a.example.com", ValueError, "Domain not valid"),
                                ("a_b.example.com", ValueError, "Domain not valid"),
                                ("a..b", ValueError, "Domain not valid"),
                                ("x" * 64 + ".com", ValueError, "Domain not valid")]:
        for app, w in ((ours, web), (theirs, aioweb)):
            with pytest.raises(error, match=message):
                app.add_domain(bad, w.Application())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="url_for"):
        ours.add_domain("example.com", web.Application()).url_for()
    ours.freeze()
    with pytest.raises(RuntimeError, match="frozen application"):
        ours.add_domain("late.example.com", web.Application())


@async_test(30)
async def test_url_for_and_lifecycle_of_a_domain_app() -> None:
    log: list[str] = []
    for w in (web, aioweb):
        sub = w.Application()

        async def user(request: Any) -> Any:
            return w.Response(text=str(request.app.router["user"].url_for(id="a b")))

        async def started(app: Any, w: Any = w) -> None:
            log.append(f"{w.__name__} started")

        sub.router.add_get("/u/{id}", user, name="user")
        sub.on_startup.append(started)
        root = w.Application()
        root.add_domain("example.com", sub)
        assert str(sub.router["user"].url_for(id="7")) == "/u/7"  # no prefix: the host picks it
        async with running(root, w) as port, aiohttp.ClientSession() as session:
            async with session.get(f"http://{HOST}:{port}/u/1", headers={"Host": "example.com"}) as resp:
                assert (resp.status, await resp.text()) == (200, "/u/a%20b")
    assert log == ["fasthttp.web started", "aiohttp.web started"]
