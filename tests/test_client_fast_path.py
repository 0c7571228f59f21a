"""The plain request's fast path gives the same wire bytes and objects as the general path.

A request with nothing of its own (no headers, body, credentials, cookies, proxy, middlewares
or tracing) reuses the headers and head bytes prepared the last time its URL was asked for, a
URL asked for before skips its parsing and checks, a pooled connection is handed over without
a coroutine, and RequestInfo is built only when read. Each of those must stay invisible: what
the server receives and what the caller sees is what the general path gives, whatever changed
in between (the session's headers, its cookie jar, the method, credentials in the URL).
"""

from __future__ import annotations

from typing import Any, Optional

import pytest
from yarl import URL

import fasthttp as aiohttp
from client_servers import RawServer, Request, async_test, keep_alive, response


def _recording_server(extra: Optional[dict[str, str]] = None) -> RawServer:
    def route(request: Request) -> bytes:
        headers = dict(extra or {})
        if request.target.startswith("/set-cookie"):
            headers["Set-Cookie"] = "flavour=oat; Path=/"
        if request.target.startswith("/fail"):
            return response(500, b"no")
        return response(200, request.method.encode(), headers)

    return RawServer(keep_alive(route))


@async_test()
async def test_session_header_changes_reach_the_next_plain_request() -> None:
    async with _recording_server() as server, aiohttp.ClientSession() as session:
        for value in ("one", "two"):
            session.headers["X-Flavour"] = value
            for _ in range(2):
                async with session.get(server.url("/a")) as resp:
                    assert await resp.read() == b"GET"
        del session.headers["X-Flavour"]
        async with session.get(server.url("/a")) as resp:
            await resp.read()
    assert [r.header("x-flavour") for r in server.requests] == ["one", "one", "two", "two", None]
    # The same bytes each time for the same headers (the prepared head is the encoded one).
    assert server.requests[0].head == server.requests[1].head
    assert server.requests[2].head == server.requests[3].head


@async_test()
async def test_cookies_set_by_a_response_go_on_the_next_plain_request() -> None:
    jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address
    async with _recording_server() as server, aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(server.url("/a")) as resp:
            await resp.read()
        async with session.get(server.url("/set-cookie")) as resp:
            await resp.read()
        async with session.get(server.url("/a")) as resp:
            await resp.read()
        session.cookie_jar.clear()
        async with session.get(server.url("/a")) as resp:
            await resp.read()
    cookies = [r.header("cookie") for r in server.requests]
    assert cookies == [None, None, "flavour=oat", None]


@async_test()
async def test_another_method_on_the_same_url_gets_its_own_request_line() -> None:
    async with _recording_server() as server, aiohttp.ClientSession() as session:
        for method in ("GET", "DELETE", "GET", "OPTIONS", "HEAD", "GET"):
            async with session.request(method, server.url("/same")) as resp:
                await resp.read()
    assert [r.method for r in server.requests] == ["GET", "DELETE", "GET", "OPTIONS", "HEAD", "GET"]
    assert all(r.target == "/same" for r in server.requests)


@async_test()
async def test_credentials_in_a_url_are_sent_every_time() -> None:
    async with _recording_server() as server, aiohttp.ClientSession() as session:
        url = server.url("/private").replace("http://", "http://user:pw@")
        for _ in range(3):
            async with session.get(url) as resp:
                await resp.read()
        async with session.get(server.url("/private")) as resp:
            await resp.read()
    auth = [r.header("authorization") for r in server.requests]
    assert auth == ["Basic dXNlcjpwdw=="] * 3 + [None]


@async_test()
async def test_base_url_joins_are_kept_apart_per_session() -> None:
    async with _recording_server() as server:
        async with aiohttp.ClientSession(base_url=server.url("/v1/")) as one, \
                aiohttp.ClientSession(base_url=server.url("/v2/")) as two:
            for session in (one, two, one):
                async with session.get("items") as resp:
                    await resp.read()
    assert [r.target for r in server.requests] == ["/v1/items", "/v2/items", "/v1/items"]


@async_test()
async def test_a_bad_url_is_refused_every_time_not_only_the_first() -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            with pytest.raises(aiohttp.InvalidURL):
                async with session.get("http:///no-host"):
                    pass


@async_test()
async def test_request_info_is_the_request_that_was_sent() -> None:
    async with _recording_server() as server, aiohttp.ClientSession(headers={"X-A": "1"}) as session:
        async with session.get(server.url("/a")) as resp:
            info = resp.request_info
            assert info is resp.request_info  # built once
        assert info.method == "GET"
        assert info.url == URL(server.url("/a"))
        assert info.real_url == URL(server.url("/a"))
        assert info.headers["X-A"] == "1"
        assert info.headers["Host"] == f"127.0.0.1:{server.port}"
        sent = server.requests[0]
        assert {k.lower(): v for k, v in info.headers.items()} == {
            k.lower(): v for k, v in sent.headers
        }
        with pytest.raises(TypeError):
            info.headers["X-A"] = "2"  # type: ignore[index]  # read-only, as aiohttp's
        # The error of raise_for_status carries it too.
        async with session.get(server.url("/fail")) as resp:
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                resp.raise_for_status()
        assert caught.value.request_info.url == URL(server.url("/fail"))
        assert caught.value.request_info.method == "GET"


@async_test()
async def test_a_connector_overriding_connect_is_asked_for_pooled_connections_too() -> None:
    calls: list[Any] = []

    class CountingConnector(aiohttp.TCPConnector):
        async def connect(self, key: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            calls.append(key)
            return await super().connect(key, *args, **kwargs)

    async with _recording_server() as server:
        async with aiohttp.ClientSession(connector=CountingConnector()) as session:
            for _ in range(3):
                async with session.get(server.url("/a")) as resp:
                    await resp.read()
    assert len(calls) == 3
    assert server.accepted == 1  # and the connection was pooled all the same


@async_test()
async def test_plain_requests_reuse_one_connection_and_leave_the_pool_clean() -> None:
    async with _recording_server() as server, aiohttp.ClientSession() as session:
        for _ in range(20):
            async with session.get(server.url("/a")) as resp:
                assert await resp.read() == b"GET"
        connector = session.connector
        assert connector is not None
        assert not connector._acquired
        assert not connector._acquired_per_host  # no per-host limit: no per-host bookkeeping
    assert server.accepted == 1


@async_test()
async def test_netrc_credentials_found_through_trust_env_are_sent_every_time(
    tmp_path: Any, monkeypatch: Any
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with _recording_server() as server, aiohttp.ClientSession(trust_env=True) as session:
        for login in ("user", "user", "other", None):
            if login is None:
                netrc.unlink()
            else:
                netrc.write_text(f"machine 127.0.0.1 login {login} password pw\n")
            async with session.get(server.url("/private")) as resp:
                await resp.read()
    auth = [r.header("authorization") for r in server.requests]
    assert auth == ["Basic dXNlcjpwdw==", "Basic dXNlcjpwdw==", "Basic b3RoZXI6cHc=", None]


def _redirecting_server() -> RawServer:
    def route(request: Request) -> bytes:
        if request.target == "/moved":
            return response(302, b"", {"Location": "/a", "Set-Cookie": "seen=1; Path=/"})
        return response(200, request.method.encode())

    return RawServer(keep_alive(route))


@pytest.mark.parametrize("allow_redirects", [True, False])
@async_test()
async def test_a_redirect_is_followed_the_same_on_every_repeat(allow_redirects: bool) -> None:
    # The first call of a URL goes the general way, the next ones the prepared one: a
    # redirect answer, its cookie and the history are the same whichever way sent it.
    jar = aiohttp.CookieJar(unsafe=True)
    async with _redirecting_server() as server, aiohttp.ClientSession(cookie_jar=jar) as session:
        seen = []
        for _ in range(3):
            session.cookie_jar.clear()
            async with session.get(server.url("/moved"), allow_redirects=allow_redirects) as resp:
                seen.append((resp.status, str(resp.url), [h.status for h in resp.history], await resp.read()))
    if allow_redirects:
        assert seen == [(200, server.url("/a"), [302], b"GET")] * 3
        targets = ["/moved", "/a"] * 3
        assert [r.header("cookie") for r in server.requests] == [None, "seen=1"] * 3
    else:
        assert seen == [(302, server.url("/moved"), [], b"")] * 3
        targets = ["/moved"] * 3
    assert [r.target for r in server.requests] == targets


@async_test()
async def test_a_plain_redirect_loop_stops_at_max_redirects() -> None:
    async def loop_route(request: Request) -> bytes:
        return response(302, b"", {"Location": "/loop"})

    async with RawServer(keep_alive(loop_route)) as server, aiohttp.ClientSession() as session:
        for _ in range(3):
            with pytest.raises(aiohttp.TooManyRedirects) as caught:
                await session.get(server.url("/loop"))
            assert len(caught.value.history) == 11
    assert len(server.requests) == 33


@async_test()
async def test_raise_for_status_applies_to_every_repeat() -> None:
    async with _recording_server() as server:
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            for _ in range(3):
                with pytest.raises(aiohttp.ClientResponseError) as caught:
                    await session.get(server.url("/fail"))
                assert caught.value.status == 500
            for _ in range(3):
                async with session.get(server.url("/a")) as resp:
                    assert await resp.read() == b"GET"
            checked = []

            async def check(resp: aiohttp.ClientResponse) -> None:
                checked.append(resp.status)

        async with aiohttp.ClientSession(raise_for_status=check) as session:
            for _ in range(3):
                async with session.get(server.url("/a")) as resp:
                    await resp.read()
            assert checked == [200, 200, 200]
            assert not session.connector._acquired  # type: ignore[union-attr]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "DELETE"])
@async_test()
async def test_every_shortcut_without_arguments_sends_what_request_sends(method: str) -> None:
    async with _recording_server() as server, aiohttp.ClientSession() as session:
        shortcut = getattr(session, method.lower())
        for _ in range(3):
            async with shortcut(server.url("/a")) as resp:
                assert resp.method == method
                assert resp.request_info.method == method
                await resp.read()
        async with session.request(method, server.url("/a")) as resp:
            await resp.read()
    assert len({r.head for r in server.requests}) == 1
    assert server.accepted == 1


@async_test()
async def test_a_plain_call_works_awaited_as_a_task_and_in_async_with() -> None:
    import asyncio
    import gc
    import warnings

    async with _recording_server() as server, aiohttp.ClientSession(raise_for_status=False) as session:
        url = server.url("/a")
        for _ in range(3):
            resp = await session.get(url)  # awaited: the caller releases
            assert await resp.read() == b"GET"
            resp.release()
            task = asyncio.ensure_future(session.get(url))  # a coroutine for asyncio
            resp = await task
            assert await resp.read() == b"GET"
            resp.release()
            async with session.get(url) as resp:
                assert await resp.read() == b"GET"
                assert resp._in_context
            assert resp.connection is None
            context = session.get(url)
            async with context as resp:
                await resp.read()
            with pytest.raises(RuntimeError):
                async with context:
                    pass
        # A call never awaited sends nothing and warns of nothing.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            session.get(url)
            gc.collect()
        for _ in range(2):
            async with session.get(server.url("/fail")) as resp:
                with pytest.raises(aiohttp.ClientResponseError):
                    resp.raise_for_status()
                assert await resp.read() == b"no"  # released at the exit, not before
        connector = session.connector
        assert connector is not None
        assert not connector._acquired
    assert len(server.requests) == 3 * 4 + 2
    assert server.accepted == 1


@async_test()
async def test_a_url_argument_of_the_wrong_type_is_refused_as_before() -> None:
    async with aiohttp.ClientSession() as session:
        for wrong in (["http://127.0.0.1/"], {"url": 1}, 12):
            # (What _request raises for it; the prepared way's lookup must not fail first.)
            with pytest.raises(Exception) as caught:
                await session.get(wrong)  # type: ignore[arg-type]
            assert "unhashable" not in str(caught.value)


@async_test()
async def test_a_plain_call_is_prepared_again_after_the_session_headers_change() -> None:
    async with _recording_server() as server, aiohttp.ClientSession() as session:
        url = server.url("/a")
        for value in ("one", "two"):
            session.headers["X-Flavour"] = value
            for _ in range(3):
                async with session.get(url) as resp:
                    await resp.read()
            entry = session._plain_requests[("GET", url, None)]
            assert entry[2]["X-Flavour"] == value  # the prepared way serves the new headers
    assert [r.header("x-flavour") for r in server.requests] == ["one"] * 3 + ["two"] * 3
