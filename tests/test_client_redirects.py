"""Redirects: method rules as aiohttp, history, max_redirects, cross-origin header stripping."""

from __future__ import annotations

from typing import Any

import pytest
from yarl import URL

import fasthttp as aiohttp
from client_servers import RawServer, Request, assert_pool_clean, async_test, keep_alive, response


def redirecting(status: int, location: str = "/target") -> Any:
    def route(request: Request) -> bytes:
        if request.target.startswith("/target"):
            return response(200, f"{request.method} {request.body.decode()}".encode())
        return response(status, b"moved", headers={"Location": location})

    return keep_alive(route)


@pytest.mark.parametrize(
    "status, method, expected_method, body_kept",
    [
        (301, "GET", "GET", False),
        (302, "GET", "GET", False),
        (303, "GET", "GET", False),
        (307, "GET", "GET", False),
        (308, "GET", "GET", False),
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (307, "POST", "POST", True),
        (308, "POST", "POST", True),
        (301, "PUT", "PUT", True),
        (302, "PATCH", "PATCH", True),
        (303, "PUT", "GET", False),
        (303, "DELETE", "GET", False),
        (307, "PUT", "PUT", True),
    ],
)
@async_test()
async def test_method_rules(status: int, method: str, expected_method: str, body_kept: bool) -> None:
    data = None if method == "GET" else b"payload"
    async with RawServer(redirecting(status)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.request(method, server.url("/start"), data=data) as resp:
                assert resp.status == 200
                text = await resp.text()
                assert len(resp.history) == 1
                assert resp.history[0].status == status
                assert resp.history[0].url == URL(server.url("/start"))
                assert resp.url == URL(server.url("/target"))
            assert_pool_clean(session.connector)
    first, second = server.requests
    assert first.method == method
    assert second.method == expected_method
    if body_kept:
        assert text == f"{expected_method} payload"
        assert second.header("Content-Type") == "application/octet-stream"
    else:
        assert text == f"{expected_method} "
        assert second.body == b""
        assert second.header("Content-Type") is None
        assert second.header("Content-Length") in (None, "0")


@async_test()
async def test_head_303_stays_head_and_head_does_not_follow_by_default() -> None:
    async with RawServer(redirecting(303)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.head(server.url("/start")) as resp:
                assert resp.status == 303
            async with session.head(server.url("/start"), allow_redirects=True) as resp:
                assert resp.status == 200
    assert [r.method for r in server.requests] == ["HEAD", "HEAD", "HEAD"]


@async_test()
async def test_allow_redirects_false() -> None:
    async with RawServer(redirecting(302)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/start"), allow_redirects=False) as resp:
                assert resp.status == 302
                assert resp.headers["Location"] == "/target"
                assert resp.history == ()
                assert await resp.read() == b"moved"
    assert len(server.requests) == 1


@async_test()
async def test_redirect_chain_history_relative_and_absolute() -> None:
    port_holder: list[int] = []

    def route(request: Request) -> bytes:
        if request.target == "/a":
            return response(301, b"", headers={"Location": "b"})
        if request.target == "/b":
            return response(302, b"", headers={"Location": f"http://127.0.0.1:{port_holder[0]}/c?x=1"})
        if request.target == "/c?x=1":
            return response(307, b"", headers={"Location": "/d#frag"})
        return response(200, request.target.encode())

    async with RawServer(keep_alive(route)) as server:
        port_holder.append(server.port)
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/a")) as resp:
                assert await resp.read() == b"/d"
                assert [h.status for h in resp.history] == [301, 302, 307]
                assert [h.url.path_qs for h in resp.history] == ["/a", "/b", "/c?x=1"]
                assert resp.url == URL(server.url("/d"))
            assert_pool_clean(session.connector)
    assert server.accepted == 1


@async_test()
async def test_too_many_redirects() -> None:
    counter = iter(range(100))

    def route(request: Request) -> bytes:
        return response(302, b"", headers={"Location": f"/loop{next(counter)}"})

    async with RawServer(keep_alive(route)) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.TooManyRedirects) as info:
                await session.get(server.url("/start"), max_redirects=3)
            assert len(info.value.history) == 4
            assert info.value.request_info.url == URL(server.url("/start"))
            assert isinstance(info.value, aiohttp.ClientResponseError)
            assert_pool_clean(session.connector)
            with pytest.raises(aiohttp.TooManyRedirects):
                await session.get(server.url("/start"))  # default 10
            assert_pool_clean(session.connector)
    assert len(server.requests) == 4 + 11


@async_test()
async def test_redirect_without_location_is_returned() -> None:
    async with RawServer(keep_alive(lambda r: response(302, b"nowhere"))) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url()) as resp:
                assert resp.status == 302
                assert await resp.read() == b"nowhere"


@async_test()
async def test_redirect_to_non_http_is_refused() -> None:
    async with RawServer(redirecting(302, "ftp://127.0.0.1/x")) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.NonHttpUrlRedirectClientError):
                await session.get(server.url("/start"))
            assert_pool_clean(session.connector)


@async_test()
async def test_cross_origin_redirect_drops_authorization_and_cookie() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"other"))) as other:
        target = other.url("/landing")
        async with RawServer(redirecting(302, target)) as origin:
            async with aiohttp.ClientSession(cookies={"jarcookie": "1"}) as session:
                session.cookie_jar  # noqa: B018
                async with session.get(
                    origin.url("/start"),
                    headers={"Authorization": "Bearer secret", "Cookie": "manual=1", "X-Keep": "k"},
                    cookies={"percall": "2"},
                ) as resp:
                    assert await resp.read() == b"other"
                async with session.get(
                    origin.url("/start"), auth=aiohttp.BasicAuth("user", "pw")
                ) as resp:
                    assert await resp.read() == b"other"
    first = origin.requests[0]
    assert first.header("Authorization") == "Bearer secret"
    assert "manual=1" in (first.header("Cookie") or "")
    assert "percall=2" in (first.header("Cookie") or "")
    landing = other.requests[0]
    assert landing.header("Authorization") is None
    # The manual Cookie header and per-request cookies are gone; the jar's shared cookie (set
    # without a domain, as aiohttp shares it with every host) is recomputed for the new URL.
    assert landing.header("Cookie") == "jarcookie=1"
    assert landing.header("X-Keep") == "k"
    assert origin.requests[1].header("Authorization") == aiohttp.BasicAuth("user", "pw").encode()
    assert other.requests[1].header("Authorization") is None


@async_test()
async def test_same_origin_redirect_keeps_authorization() -> None:
    async with RawServer(redirecting(302)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(
                server.url("/start"), headers={"Authorization": "Bearer secret"}
            ) as resp:
                await resp.read()
    assert [r.header("Authorization") for r in server.requests] == ["Bearer secret"] * 2
