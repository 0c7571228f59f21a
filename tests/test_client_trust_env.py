"""ClientSession(trust_env=True): the proxy of each request from HTTP_PROXY / HTTPS_PROXY /
WS_PROXY / WSS_PROXY and NO_PROXY, and .netrc credentials, side by side with aiohttp where
the semantics are aiohttp's (fasthttp/trust_env.py says where they are not).

Where a request went is proven by who received it: an origin and a recording proxy (both
RawServers on 127.0.0.1), or pproxy forwarding to the origin. Names like origin.test resolve
to 127.0.0.1 through a resolver of the test's own: nothing leaves 127.0.0.1 / ::1, no DNS.
"""

from __future__ import annotations

import asyncio

import logging
import os
import socket
from pathlib import Path
from typing import Any, Optional

import aiohttp as real_aiohttp
import aiohttp.abc as real_abc
import pytest

import fasthttp as aiohttp
import fasthttp.abc
from client_servers import RawServer, async_test, keep_alive, response, web_server
from test_client_proxy import _head, pproxy_server

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No proxy variable, no NETRC, a home folder without .netrc: each test sets its own."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in ("NETRC", "REQUEST_METHOD"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))


class LocalResolver(fasthttp.abc.AbstractResolver, real_abc.AbstractResolver):
    """Every name is 127.0.0.1 (both libraries' AbstractResolver: one class for both)."""

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
        return [{
            "hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET,
            "proto": 0, "flags": socket.AI_NUMERICHOST,
        }]

    async def close(self) -> None:
        pass


def _session(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("trust_env", True)
    return client.ClientSession(connector=client.TCPConnector(resolver=LocalResolver()), **kwargs)


def _answer(name: str) -> Any:
    """A keep-alive server answering 200 with its own name (a CONNECT: 403, no tunnel)."""
    return keep_alive(lambda r: response(403 if r.method == "CONNECT" else 200, name.encode()))


async def _get(client: Any, url: str, session: Any = None, **kwargs: Any) -> str:
    """GET url; the body says who answered it (the origin or the recording proxy)."""
    if session is None:
        async with _session(client) as session:
            return await _get(client, url, session, **kwargs)
    async with session.get(url, **kwargs) as resp:
        assert resp.status == 200
        return str(await resp.text())


# --- which requests go through the proxy ---------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_http_proxy_serves_http_targets(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        target = f"http://origin.test:{origin.port}/a?b=c"
        async with _session(client) as session:
            assert session.trust_env is True
            assert await _get(client, target, session) == "proxy"
        # trust_env=False (the default): the environment is not read.
        assert await _get(client, target, _session(client, trust_env=False)) == "origin"
        async with client.ClientSession() as session:
            assert session.trust_env is False
    (request,) = proxy.requests
    assert request.target == target  # the absolute form: forwarded by the proxy
    assert request.header("host") == f"origin.test:{origin.port}"
    assert len(origin.requests) == 1


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_lowercase_wins_and_set_empty_means_none(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("lower")) as lower, \
            RawServer(_answer("upper")) as upper:
        target = f"http://origin.test:{origin.port}/"
        monkeypatch.setenv("HTTP_PROXY", upper.url(""))
        assert await _get(client, target) == "upper"
        monkeypatch.setenv("http_proxy", lower.url(""))
        assert await _get(client, target) == "lower"
        monkeypatch.setenv("http_proxy", "")
        assert await _get(client, target) == "origin"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_cgi_process_ignores_uppercase_http_proxy(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQUEST_METHOD set: HTTP_PROXY may be a client's "Proxy:" header (httpoxy)."""
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("REQUEST_METHOD", "GET")
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        assert await _get(client, f"http://origin.test:{origin.port}/") == "origin"
        monkeypatch.setenv("http_proxy", proxy.url(""))
        assert await _get(client, f"http://origin.test:{origin.port}/") == "proxy"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_each_scheme_has_its_own_variable(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("proxy")) as proxy:
        for name in ("HTTPS_PROXY", "WS_PROXY", "WSS_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy.url(""))
        assert await _get(client, f"http://origin.test:{origin.port}/") == "origin"
    assert proxy.accepted == 0


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_the_environment_is_read_per_request(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("one")) as one, \
            RawServer(_answer("two")) as two:
        target = f"http://origin.test:{origin.port}/"
        async with _session(client) as session:
            assert await _get(client, target, session) == "origin"
            monkeypatch.setenv("HTTP_PROXY", one.url(""))
            assert await _get(client, target, session) == "one"
            monkeypatch.setenv("HTTP_PROXY", two.url(""))
            assert await _get(client, target, session) == "two"
            monkeypatch.setenv("NO_PROXY", "origin.test")
            assert await _get(client, target, session) == "origin"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_redirect_chooses_its_proxy_again(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxied answer redirects to a host NO_PROXY exempts: that request goes direct."""
    async with RawServer(_answer("origin")) as origin:
        location = f"http://direct.test:{origin.port}/after"
        redirect = keep_alive(lambda r: response(302, headers={"Location": location}))
        async with RawServer(redirect) as proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
            monkeypatch.setenv("NO_PROXY", "direct.test")
            assert await _get(client, f"http://proxied.test:{origin.port}/before") == "origin"
    assert [r.target for r in proxy.requests] == [f"http://proxied.test:{origin.port}/before"]
    assert [r.target for r in origin.requests] == ["/after"]


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_credentials_of_the_proxy(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In the variable's URL; else the .netrc entry for the proxy's host (as aiohttp)."""
    seen: list[Any] = []

    async def middleware(request: Any, handler: Any) -> Any:
        seen.append((request.proxy, request.proxy_auth))
        return await handler(request)

    async with RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://u:p@127.0.0.1:{proxy.port}")
        await _get(client, "http://origin.test/", middlewares=(middleware,))
        # The request shows the proxy without its credentials, and them apart (as aiohttp).
        assert seen == [(real_aiohttp.client.URL(proxy.url("")), client.BasicAuth("u", "p"))]
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login nu password np\n")
        monkeypatch.setenv("NETRC", str(netrc))
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        await _get(client, "http://origin.test/")
    first, second = proxy.requests
    assert first.header("proxy-authorization") == "Basic dTpw"
    assert second.header("proxy-authorization") == "Basic bnU6bnA="
    assert first.header("authorization") is second.header("authorization") is None


@async_test()
async def test_the_proxy_sees_the_same_request_from_both_clients(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """HTTP_PROXY with credentials, .netrc credentials for the origin: the same request line
    and headers reach the proxy from fasthttp and from aiohttp."""
    _netrc(monkeypatch, tmp_path, "machine origin.test login n password m\n")
    heads = []
    for client in (aiohttp, real_aiohttp):
        async with RawServer(_answer("proxy")) as proxy:
            monkeypatch.setenv("HTTP_PROXY", f"http://u:p@127.0.0.1:{proxy.port}")
            await _get(client, "http://origin.test/p?q=1", headers={"X-Test": "yes"})
        (request,) = proxy.requests
        line, headers = _head(request)
        heads.append((line, sorted(headers)))
    assert heads[0] == heads[1]
    assert ("authorization", "Basic bjpt") in heads[0][1]
    assert ("proxy-authorization", "Basic dTpw") in heads[0][1]


@async_test()
async def test_proxy_auth_argument_applies_to_the_environments_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """fasthttp only: aiohttp drops proxy_auth= when the proxy comes from the environment;
    fasthttp sends it (the request's, else the session's) rather than ignore an argument."""
    async with RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://u:p@127.0.0.1:{proxy.port}")
        async with _session(aiohttp, proxy_auth=aiohttp.BasicAuth("s", "t")) as session:
            await _get(aiohttp, "http://origin.test/", session)
            await _get(aiohttp, "http://origin.test/", session, proxy_auth=aiohttp.BasicAuth("r", "q"))
    assert [r.header("proxy-authorization") for r in proxy.requests] == ["Basic czp0", "Basic cjpx"]


@pytest.mark.parametrize("client", CLIENTS)
@async_test(30)
async def test_through_pproxy_from_the_environment(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real proxy, its credentials in HTTP_PROXY's URL; the origin never sees them."""
    seen = keep_alive(lambda r: response(200, f"{r.target} {r.header('proxy-authorization')}".encode()))
    async with RawServer(seen) as origin, pproxy_server("user:secret") as port:
        # Without credentials: the proxy's 407. (First: pproxy then trusts an address that
        # logged in.)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        async with client.ClientSession(trust_env=True) as session:
            async with session.get(origin.url("/")) as resp:
                assert resp.status == 407
        monkeypatch.setenv("HTTP_PROXY", f"http://user:secret@127.0.0.1:{port}")
        async with client.ClientSession(trust_env=True) as session:
            for path in ("/a", "/b?c=d"):
                assert await _get(client, origin.url(path), session) == f"{path} None"
    assert [r.target for r in origin.requests] == ["/a", "/b?c=d"]


# --- what is not built yet refuses, never goes around the proxy ----------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_https_target_never_bypasses_https_proxy(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An https:// target needs a CONNECT tunnel: aiohttp asks for one (here refused by the
    proxy); fasthttp either does the same or, until tunnels are built, refuses naming
    trust_env. Either way, nothing reaches the origin."""
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url(""))
        with pytest.raises((NotImplementedError, client.ClientHttpProxyError)) as caught:
            await _get(client, f"https://origin.test:{origin.port}/")
    if isinstance(caught.value, NotImplementedError):
        assert "trust_env=" in str(caught.value) and "HTTPS_PROXY" in str(caught.value)
        assert proxy.accepted == 0
    else:
        assert [r.method for r in proxy.requests] == ["CONNECT"]
    assert origin.accepted == 0


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_an_https_proxy_url(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp logs that https:// proxies from the environment are not supported and sends
    the request directly; fasthttp never goes around a proxy it was told to use: it refuses
    (naming trust_env) until TLS proxies are built, or tries the proxy (which here does not
    speak TLS, so the handshake never ends: the timeout ends it)."""
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"https://127.0.0.1:{proxy.port}")
        target = f"http://origin.test:{origin.port}/"
        if client is real_aiohttp:
            assert await _get(client, target) == "origin"
            return
        with pytest.raises((NotImplementedError, aiohttp.ClientError, asyncio.TimeoutError)) as caught:
            await _get(client, target, timeout=aiohttp.ClientTimeout(total=1))
        assert proxy.accepted == 1  # it went to the proxy, and nowhere else
    if isinstance(caught.value, NotImplementedError):
        assert "trust_env=" in str(caught.value) and "HTTP_PROXY" in str(caught.value)
    assert origin.accepted == 0


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_proxy_variable_without_scheme_is_an_invalid_url(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with RawServer(_answer("origin")) as origin:
        monkeypatch.setenv("HTTP_PROXY", "127.0.0.1:3128")
        with pytest.raises(client.InvalidURL):
            await _get(client, f"http://origin.test:{origin.port}/")
    assert origin.accepted == 0


def _ws_app() -> Any:
    from aiohttp import web

    async def ws(request: Any) -> Any:
        socket_ = web.WebSocketResponse()
        await socket_.prepare(request)
        await socket_.send_str("hello")
        await socket_.close()
        return socket_

    app = web.Application()
    app.router.add_get("/ws", ws)
    return app


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_ws_connect_takes_ws_proxy_not_http_proxy(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with web_server(_ws_app()) as base, RawServer(_answer("proxy")) as proxy:
        url = base.replace("http://", "ws://") + "/ws"
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        async with client.ClientSession(trust_env=True) as session:
            async with session.ws_connect(url) as ws:
                assert (await ws.receive()).data == "hello"
        assert proxy.accepted == 0
        if client is aiohttp:
            # WS_PROXY set: the handshake goes to that proxy, forwarded (the request line in
            # absolute form, as aiohttp sends it); this one answers 200, not 101.
            monkeypatch.setenv("WS_PROXY", proxy.url(""))
            async with client.ClientSession(trust_env=True) as session:
                with pytest.raises(aiohttp.WSServerHandshakeError):
                    await session.ws_connect(url)
            assert proxy.accepted == 1
            assert proxy.requests[-1].target.startswith("ws://")


# --- NO_PROXY ------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    ("no_proxy", "host", "where"),
    [
        ("origin.test", "origin.test", "origin"),
        ("ORIGIN.test", "origin.test", "origin"),
        ("other.test, origin.test", "origin.test", "origin"),
        ("origin.test", "api.origin.test", "origin"),  # a subdomain
        (".origin.test", "origin.test", "origin"),  # leading dots are ignored
        ("test", "api.origin.test", "origin"),  # a suffix, on a dot boundary
        ("in.test", "origin.test", "proxy"),  # ... not a substring
        ("other.test", "origin.test", "proxy"),
        ("*", "origin.test", "origin"),
        ("", "origin.test", "proxy"),
    ],
)
@async_test()
async def test_no_proxy_hosts(
    client: Any, monkeypatch: pytest.MonkeyPatch, no_proxy: str, host: str, where: str
) -> None:
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        monkeypatch.setenv("NO_PROXY", no_proxy)
        assert await _get(client, f"http://{host}:{origin.port}/") == where


@pytest.mark.parametrize("variable", ["no_proxy", "NO_PROXY"])
@async_test()
async def test_no_proxy_ports_and_cidr(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    """Where fasthttp reads NO_PROXY further than aiohttp (which compares the host's text
    only): an entry's port is the target's port; CIDR blocks and addresses match IPs in them.
    aiohttp, side by side, proxies all of these."""
    async with RawServer(_answer("origin")) as origin, RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        cases = [
            (f"origin.test:{origin.port}", f"http://origin.test:{origin.port}/", "origin"),
            (f"origin.test:{origin.port + 1}", f"http://origin.test:{origin.port}/", "proxy"),
            ("127.0.0.0/8", f"http://127.0.0.1:{origin.port}/", "origin"),
            ("127.0.0.1", f"http://127.0.0.1:{origin.port}/", "origin"),
            (f"127.0.0.1:{origin.port}", f"http://127.0.0.1:{origin.port}/", "origin"),
            ("10.0.0.0/8, 192.168.0.0/16", f"http://127.0.0.1:{origin.port}/", "proxy"),
            ("127.0.0.0/8", f"http://origin.test:{origin.port}/", "proxy"),  # not an address
        ]
        for no_proxy, url, where in cases:
            monkeypatch.setenv(variable, no_proxy)
            assert (no_proxy, await _get(aiohttp, url)) == (no_proxy, where)
            if no_proxy != "127.0.0.1":  # urllib's own rule matches that one's text
                assert await _get(real_aiohttp, url) == "proxy"


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback on this machine")
@async_test()
async def test_no_proxy_ipv6(monkeypatch: pytest.MonkeyPatch) -> None:
    async with RawServer(_answer("origin"), host="::1") as origin, RawServer(_answer("proxy")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        url = f"http://[::1]:{origin.port}/"
        for no_proxy, where in [
            ("::1/128", "origin"), ("::/0", "origin"), ("::1", "origin"), ("[::1]", "origin"),
            (f"[::1]:{origin.port}", "origin"), (f"[::1]:{origin.port + 1}", "proxy"),
            ("::2/127", "proxy"), ("fe80::/10", "proxy"), ("127.0.0.0/8", "proxy"),
        ]:
            monkeypatch.setenv("NO_PROXY", no_proxy)
            assert (no_proxy, await _get(aiohttp, url)) == (no_proxy, where)


# --- .netrc --------------------------------------------------------------------------------------


def _auth_app() -> Any:
    """An aiohttp.web origin: /auth answers the Authorization header it got; /hop redirects
    to /auth on the host named in the query."""
    from aiohttp import web

    async def auth(request: Any) -> Any:
        return web.Response(text=str(request.headers.get("Authorization")))

    async def hop(request: Any) -> Any:
        raise web.HTTPFound(f"http://{request.query['to']}:{request.url.port}/auth")

    app = web.Application()
    app.router.add_get("/auth", auth)
    app.router.add_get("/hop", hop)
    return app


def _netrc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> Path:
    path = tmp_path / "netrc"
    path.write_text(text)
    monkeypatch.setenv("NETRC", str(path))
    return path


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_netrc_credentials_for_a_request_without(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _netrc(monkeypatch, tmp_path, "machine 127.0.0.1 login u password p\nmachine localhost login l password q\n")
    async with web_server(_auth_app()) as base:
        async with client.ClientSession(trust_env=True) as session:
            assert await _get(client, base + "/auth", session) == "Basic dTpw"
            # Given credentials win: auth=, then the URL's.
            assert await _get(client, base + "/auth", session, auth=client.BasicAuth("a", "b")) == "Basic YTpi"
            url_auth = base.replace("http://", "http://x:y@") + "/auth"
            assert await _get(client, url_auth, session) == "Basic eDp5"
            # A redirect to another host gets that host's entry (aiohttp looks again).
            assert await _get(client, base + "/hop?to=localhost", session) == "Basic bDpx"
            # With an Authorization header of its own, aiohttp refuses the combination.
            with pytest.raises(ValueError, match="Cannot combine AUTHORIZATION header"):
                await _get(client, base + "/auth", session, headers={"Authorization": "Bearer t"})
        async with client.ClientSession() as session:  # trust_env=False: no .netrc
            assert await _get(client, base + "/auth", session) == "None"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_netrc_default_entry_and_home_file(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".netrc").write_text("machine elsewhere login e password e\ndefault login d password f\n")
    async with web_server(_auth_app()) as base:
        async with client.ClientSession(trust_env=True) as session:
            assert await _get(client, base + "/auth", session) == "Basic ZDpm"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_netrc_change_applies_to_the_next_request(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Rewritten between two requests of one session (same size, within the same clock
    tick): the second request sees the new credentials."""
    path = _netrc(monkeypatch, tmp_path, "machine 127.0.0.1 login u password p\n")
    async with web_server(_auth_app()) as base:
        async with client.ClientSession(trust_env=True) as session:
            assert await _get(client, base + "/auth", session) == "Basic dTpw"
            path.write_text("machine 127.0.0.1 login v password q\n")
            assert await _get(client, base + "/auth", session) == "Basic djpx"
            path.unlink()
            assert await _get(client, base + "/auth", session) == "None"


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_malformed_netrc_is_logged_and_ignored(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _netrc(monkeypatch, tmp_path, 'machine 127.0.0.1 login\n  garbage " ')
    async with web_server(_auth_app()) as base:
        with caplog.at_level(logging.WARNING):
            assert await _get(client, base + "/auth", _session(client)) == "None"
    logger = "fasthttp.client" if client is aiohttp else "aiohttp.client"
    assert any(
        r.name == logger and "Could not parse .netrc file" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_unreadable_netrc_named_by_netrc_is_logged(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    async with web_server(_auth_app()) as base:
        with caplog.at_level(logging.WARNING):
            assert await _get(client, base + "/auth", _session(client)) == "None"
    assert any("Could not read .netrc file" in r.getMessage() for r in caplog.records)


# --- trust_env=False costs nothing ---------------------------------------------------------------


class _CountingEnviron(dict):  # type: ignore[type-arg]
    """os.environ's stand-in that counts reads."""

    reads = 0

    def __getitem__(self, key: Any) -> Any:
        type(self).reads += 1
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        type(self).reads += 1
        return super().get(key, default)

    def __contains__(self, key: Any) -> bool:
        type(self).reads += 1
        return super().__contains__(key)


@async_test()
async def test_trust_env_false_reads_nothing_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with RawServer(_answer("origin")) as origin:
        for trust_env, expect_reads in ((False, False), (True, True)):
            async with aiohttp.ClientSession(trust_env=trust_env) as session:
                await _get(aiohttp, origin.url("/"), session)  # the pool and caches warm
                _CountingEnviron.reads = 0
                with monkeypatch.context() as patch:
                    patch.setattr(os, "environ", _CountingEnviron(os.environ))
                    await _get(aiohttp, origin.url("/"), session)
                assert (_CountingEnviron.reads > 0) is expect_reads, _CountingEnviron.reads


class _Stat:
    """What trust_env's cache reads of os.stat(): the file's identity and timestamps."""

    def __init__(self, size: int, seconds_ago: float) -> None:
        import time

        self.st_ino, self.st_size = 1, size
        self.st_mtime_ns = self.st_ctime_ns = time.time_ns() - int(seconds_ago * 1e9)


@pytest.mark.parametrize(("seconds_ago", "parses"), [(3600, 1), (0, 2)])
def test_netrc_parsed_once_unless_it_may_still_be_changing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seconds_ago: float, parses: int
) -> None:
    """The parsed .netrc is kept while stat() says the file is unchanged, but not when it
    was modified so recently that a rewrite in the same timestamp tick would look the same
    (coarse file system clocks): then it is read again."""
    import netrc

    from fasthttp import trust_env

    path = _netrc(monkeypatch, tmp_path, "machine h login u password p\n")
    frozen = _Stat(path.stat().st_size, seconds_ago)
    real_stat, real_netrc = os.stat, netrc.netrc
    calls: list[str] = []

    def counting_netrc(file: str) -> Any:
        calls.append(file)
        return real_netrc(file)

    monkeypatch.setattr(os, "stat", lambda p, *a, **k: frozen if str(p) == str(path) else real_stat(p, *a, **k))
    monkeypatch.setattr(netrc, "netrc", counting_netrc)
    assert trust_env.netrc_credentials("h") == aiohttp.BasicAuth("u", "p")
    path.write_text("machine h login v password q\n")  # same size, same (frozen) stat
    expected = aiohttp.BasicAuth("u", "p") if parses == 1 else aiohttp.BasicAuth("v", "q")
    assert trust_env.netrc_credentials("h") == expected
    assert len(calls) == parses


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("given", ["argument", "environment"])
@async_test()
async def test_a_redirect_to_https_never_goes_in_clear_to_the_proxy(
    client: Any, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy is chosen again for a redirect's target: an https:// one needs a tunnel
    (aiohttp asks for a CONNECT, which this proxy refuses; fasthttp does the same or refuses
    until tunnels are built), never `GET https://...` in clear to the proxy."""
    redirect = keep_alive(lambda r: response(
        403 if r.method == "CONNECT" else 302, headers={"Location": "https://secure.test/x"}
    ))
    async with RawServer(redirect) as proxy:
        kwargs = {}
        if given == "argument":
            kwargs["proxy"] = proxy.url("")
        else:
            monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
            monkeypatch.setenv("HTTPS_PROXY", proxy.url(""))
        with pytest.raises((NotImplementedError, client.ClientHttpProxyError)):
            await _get(client, "http://origin.test/", **kwargs)
    assert [(r.method, r.target) for r in proxy.requests][0] == ("GET", "http://origin.test/")
    assert all(r.method == "CONNECT" for r in proxy.requests[1:])


@pytest.mark.parametrize("no_proxy", [
    "*", "", " , ,", "example.com", ".example.com", "EXAMPLE.com", "ample.com", "com",
    "other.org, example.com", "example.com:8080", "localhost,127.0.0.1", "api.example.com",
])
@pytest.mark.parametrize(("host", "port"), [
    ("example.com", None), ("example.com", 8080), ("api.example.com", None), ("myexample.com", None),
    ("127.0.0.1", None), ("localhost", 8080),
])
def test_no_proxy_hosts_as_urllib_reads_them(no_proxy: str, host: str, port: Optional[int]) -> None:
    """Entries without a CIDR block: the same answer as the standard library's reading (given
    the host with the port the URL spells, as urllib's own handler passes it)."""
    from urllib.request import proxy_bypass_environment

    from fasthttp.trust_env import no_proxy_matches

    spelled = host if port is None else f"{host}:{port}"
    expected = bool(proxy_bypass_environment(spelled, {"no": no_proxy}))
    assert no_proxy_matches(no_proxy, host, port if port is not None else 80) is expected
