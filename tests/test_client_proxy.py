"""Requests through an HTTP proxy (proxy=, proxy_auth=, proxy_headers=, the session's proxy=):
http:// targets forwarded by a real proxy (pproxy, started here on 127.0.0.1) and by a
recording proxy (a RawServer) that shows what each client sent it, side by side with aiohttp.
No request leaves 127.0.0.1: the origins' names are only what the proxy is asked for."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import pytest

import aiohttp as real_aiohttp

import fasthttp as aiohttp
from client_servers import (
    RawServer,
    assert_pool_clean,
    async_test,
    echo_route,
    free_port,
    keep_alive,
    pproxy_server,
    response,
)

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


def _head(request: Any) -> tuple[str, list[tuple[str, str]]]:
    """A recorded request's line and headers, without the one that names the client."""
    line = f"{request.method} {request.target} {request.version}"
    return line, [(k.lower(), v) for k, v in request.headers if k.lower() != "user-agent"]


async def _through_recorder(client: Any, url: str, **kwargs: Any) -> Any:
    """What `client` sends a proxy for GET url (the recorder answers 200 itself)."""
    async with RawServer(keep_alive(echo_route)) as proxy:
        async with client.ClientSession() as session:
            async with session.get(url, proxy=proxy.url("/"), **kwargs) as resp:
                assert resp.status == 200
                await resp.read()
    (request,) = proxy.requests
    return request


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_forwarded_request_line_and_proxy_authorization(client: Any) -> None:
    """The request to the proxy: absolute form, the origin's Host, the proxy's credentials
    in Proxy-Authorization; proxy_headers are for a CONNECT, not sent here (aiohttp's rule)."""
    request = await _through_recorder(
        client,
        "http://origin.test:8080/a/b?x=1",
        proxy_auth=client.BasicAuth("user", "pass"),
        proxy_headers={"X-For-Proxy": "1"},
        headers={"X-Test": "yes"},
    )
    line, headers = _head(request)
    assert line == "GET http://origin.test:8080/a/b?x=1 HTTP/1.1"
    assert ("host", "origin.test:8080") in headers
    assert ("proxy-authorization", "Basic dXNlcjpwYXNz") in headers
    assert ("x-test", "yes") in headers
    assert all(k != "x-for-proxy" for k, _ in headers)


@async_test()
async def test_same_request_line_and_headers_as_aiohttp() -> None:
    for kwargs in ({}, {"proxy_auth": "auth"}):
        heads = []
        for client in (aiohttp, real_aiohttp):
            extra = {"proxy_auth": client.BasicAuth("u", "p")} if kwargs else {}
            request = await _through_recorder(client, "http://origin.test/p?q=1#frag", **extra)
            heads.append(_head(request))
        assert heads[0][0] == heads[1][0]
        assert sorted(heads[0][1]) == sorted(heads[1][1])


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_credentials_in_the_proxy_url(client: Any) -> None:
    async with RawServer(keep_alive(echo_route)) as proxy:
        async with client.ClientSession() as session:
            async with session.get("http://origin.test/", proxy=f"http://u:p@127.0.0.1:{proxy.port}") as resp:
                await resp.read()
    assert proxy.requests[0].header("proxy-authorization") == "Basic dTpw"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_session_proxy_and_request_info(client: Any) -> None:
    async with RawServer(keep_alive(echo_route)) as proxy:
        async with client.ClientSession(
            proxy=proxy.url("/"), proxy_auth=client.BasicAuth("s", "t")
        ) as session:
            seen: list[Any] = []

            async def middleware(request: Any, handler: Any) -> Any:
                seen.append((request.proxy, request.proxy_auth))
                return await handler(request)

            async with session.get("http://origin.test/one", middlewares=(middleware,)) as resp:
                await resp.read()
            # The request's own proxy_auth wins over the session's.
            async with session.get("http://origin.test/two", proxy_auth=client.BasicAuth("x", "y")) as resp:
                await resp.read()
            async with session.get("http://origin.test/one") as resp:  # reuses the first
                await resp.read()
            if client is aiohttp:
                assert_pool_clean(session.connector)
    assert seen == [(real_aiohttp.client.URL(proxy.url("/")), client.BasicAuth("s", "t"))]
    assert [r.target for r in proxy.requests] == ["http://origin.test/one", "http://origin.test/two", "http://origin.test/one"]
    assert proxy.requests[0].header("proxy-authorization") == "Basic czp0"
    assert proxy.requests[1].header("proxy-authorization") == "Basic eDp5"
    if client is aiohttp:
        # Pooled by proxy credentials too: the other credentials got their own connection.
        assert proxy.accepted == 2


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_unreachable_proxy(client: Any) -> None:
    port = free_port()
    async with client.ClientSession() as session:
        with pytest.raises(client.ClientProxyConnectionError):
            await session.get("http://origin.test/", proxy=f"http://127.0.0.1:{port}")


@async_test()
async def test_bad_proxy_url_and_auth() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="proxy_auth must be None or BasicAuth"):
            await session.get("http://origin.test/", proxy="http://127.0.0.1:9", proxy_auth="u:p")
        with pytest.raises(NotImplementedError, match="proxy="):
            await session.get("http://origin.test/", proxy="socks5://127.0.0.1:9")


# --- a real proxy: pproxy ------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@async_test(30)
async def test_through_pproxy(client: Any) -> None:
    origin_route = keep_alive(lambda r: response(200, f"{r.method} {r.target}".encode()))
    async with RawServer(origin_route) as origin, pproxy_server() as port:
        async with client.ClientSession() as session:
            for path in ("/a", "/b?c=d"):
                async with session.get(origin.url(path), proxy=f"http://127.0.0.1:{port}") as resp:
                    assert resp.status == 200
                    assert await resp.text() == f"GET {path}"
            if client is aiohttp:
                assert_pool_clean(session.connector)


@pytest.mark.parametrize("client", CLIENTS)
@async_test(30)
async def test_through_pproxy_with_auth(client: Any) -> None:
    origin_route = keep_alive(lambda r: response(200, str(r.header("proxy-authorization")).encode()))
    async with RawServer(origin_route) as origin, pproxy_server("user:secret") as port:
        async with client.ClientSession() as session:
            # Without credentials the proxy's 407 is the response (a forwarded request: no
            # tunnel to fail, as aiohttp). First: pproxy then trusts an address that logged in.
            async with session.get(origin.url("/"), proxy=f"http://127.0.0.1:{port}") as resp:
                assert resp.status == 407
            async with session.get(
                origin.url("/"), proxy=f"http://127.0.0.1:{port}",
                proxy_auth=client.BasicAuth("user", "secret"),
            ) as resp:
                assert resp.status == 200
                # The proxy took its credentials off: they never reach the origin.
                assert await resp.text() == "None"


@async_test()
async def test_repeated_calls_through_a_proxy_send_what_aiohttp_sends_every_time() -> None:
    """session.get(url, proxy=...) again and again (the session's prepared way after the
    first): the same request line and headers as aiohttp's each time, one pooled connection
    to the proxy, the credentials in the proxy URL on every request; an https:// target
    through the proxy is still tunnelled (a CONNECT each new connection, never forwarded)."""
    for proxy_auth_in_url in (False, True):
        heads = []
        for client in (aiohttp, real_aiohttp):
            async with RawServer(keep_alive(echo_route)) as proxy:
                proxy_url = proxy.url("/")
                if proxy_auth_in_url:
                    proxy_url = proxy_url.replace("http://", "http://u:p@")
                async with client.ClientSession() as session:
                    for _ in range(3):
                        for target in ("http://origin.test/p?q=1", "http://other.test:81/"):
                            async with session.get(target, proxy=proxy_url) as resp:
                                assert resp.status == 200
                                await resp.read()
                    if client is aiohttp:
                        assert_pool_clean(session.connector)
            if client is aiohttp:
                assert proxy.accepted == 1  # one connection to the proxy serves both origins
            heads.append([_head(request) for request in proxy.requests])
        ours, theirs = heads
        assert len(ours) == len(theirs) == 6
        assert [line for line, _ in ours] == [line for line, _ in theirs]
        assert [sorted(h) for _, h in ours] == [sorted(h) for _, h in theirs]
        assert (("proxy-authorization", "Basic dTpw") in ours[-1][1]) is proxy_auth_in_url


@async_test()
async def test_repeated_https_calls_through_a_proxy_stay_tunnelled() -> None:
    async with RawServer(keep_alive(lambda r: response(403, b"no tunnel"))) as proxy:
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                with pytest.raises(aiohttp.ClientError):
                    await session.get("https://origin.test/", proxy=proxy.url("/"))
    assert [r.method for r in proxy.requests] == ["CONNECT"] * 3
