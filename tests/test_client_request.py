"""The request object and the session's pipeline (issue 10, items 1 and the auth check of 5).

ClientRequest is what the session builds once per attempt and the transport sends; these
tests check what reaches the wire through it, against raw servers on 127.0.0.1 (exact bytes)
and against aiohttp.web with aiohttp's own client on the same server where aiohttp decides.
"""

from __future__ import annotations

import warnings
from typing import Any

import aiohttp as real_aiohttp
import pytest
from aiohttp import web

import fasthttp as aiohttp
from client_servers import RawServer, async_test, echo_route, keep_alive, web_server


def _auth_app() -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Authorization", "-"))

    app = web.Application()
    app.router.add_get("/", handler)
    return app


@pytest.mark.parametrize(
    "session_kwargs, request_kwargs",
    [
        ({}, {"auth": ("u", "p"), "headers": {"Authorization": "Bearer t"}}),
        ({"auth": ("u", "p")}, {"headers": {"Authorization": "Bearer t"}}),
        ({"headers": {"Authorization": "Bearer t"}}, {"auth": ("u", "p")}),
    ],
    ids=["both-per-request", "session-auth", "session-header"],
)
@async_test()
async def test_auth_with_an_authorization_header_is_refused_as_aiohttp(
    session_kwargs: dict[str, Any], request_kwargs: dict[str, Any]
) -> None:
    def build(module: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(kwargs)
        if "auth" in kwargs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                kwargs["auth"] = module.BasicAuth(*kwargs["auth"])
        return kwargs

    requests_seen = []

    @web.middleware
    async def count(request: web.Request, handler: Any) -> Any:
        requests_seen.append(request.path)
        return await handler(request)

    app = _auth_app()
    app.middlewares.append(count)
    async with web_server(app) as base:
        outcomes = []
        for module in (aiohttp, real_aiohttp):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # aiohttp 3.14 on auth=
                async with module.ClientSession(**build(module, session_kwargs)) as session:
                    with pytest.raises(ValueError) as info:
                        await session.get(base + "/", **build(module, request_kwargs))
            outcomes.append(str(info.value))
        assert requests_seen == []  # refused before a byte went out, by both clients
        assert "AUTHORIZATION header" in outcomes[0] and "AUTH argument" in outcomes[0]


@async_test()
async def test_auth_alone_and_header_alone_still_work() -> None:
    async with web_server(_auth_app()) as base:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/", auth=aiohttp.BasicAuth("u", "p")) as resp:
                assert await resp.text() == "Basic dTpw"
            async with session.get(base + "/", headers={"Authorization": "Bearer t"}) as resp:
                assert await resp.text() == "Bearer t"


@async_test()
async def test_session_version_http10_goes_on_the_request_line_as_aiohttp_sends_it() -> None:
    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession(version=aiohttp.HttpVersion10) as session:
            async with session.get(server.url("/v")) as resp:
                assert resp.status == 200
                await resp.read()
        async with real_aiohttp.ClientSession(version=real_aiohttp.HttpVersion10) as session:
            async with session.get(server.url("/v")) as resp:
                await resp.read()
        ours, theirs = server.requests[-2:] if len(server.requests) >= 2 else (None, None)
    assert ours is not None and theirs is not None
    assert ours.version == theirs.version == "HTTP/1.0"
    assert ours.header("connection") == theirs.header("connection") == "keep-alive"


@async_test()
async def test_response_class_is_the_one_the_session_was_given() -> None:
    class MyResponse(aiohttp.ClientResponse):
        pass

    async with RawServer(keep_alive(echo_route)) as server:
        async with aiohttp.ClientSession(response_class=MyResponse) as session:
            async with session.get(server.url("/")) as resp:
                assert type(resp) is MyResponse
                assert resp.status == 200


@async_test()
async def test_fallback_charset_resolver_reaches_the_response_without_the_session() -> None:
    def resolver(response: Any, body: bytes) -> str:
        return "latin-1"

    async def route(request: Any) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n\xe9"

    async with RawServer(keep_alive(route)) as server:
        async with aiohttp.ClientSession(fallback_charset_resolver=resolver) as session:
            async with session.get(server.url("/")) as resp:
                assert await resp.text() == "\xe9"
                assert not hasattr(resp, "_session")
