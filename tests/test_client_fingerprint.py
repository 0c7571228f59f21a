"""Certificate pinning: Fingerprint, ssl=Fingerprint(...), the deprecated fingerprint= and
ServerFingerprintMismatch, against TLS servers on 127.0.0.1 with trustme certificates (which
the client does not trust: with a pin, the pin is the trust, as in aiohttp)."""

from __future__ import annotations

import hashlib
import ssl
import warnings
from typing import Any

import pytest

trustme = pytest.importorskip("trustme")

import aiohttp as real_aiohttp  # noqa: E402

import fasthttp as aiohttp  # noqa: E402
from client_servers import (  # noqa: E402
    RawServer,
    assert_pool_clean,
    async_test,
    keep_alive,
    response,
)
from test_client_resolvers import TableResolver  # noqa: E402

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


class Site:
    """A TLS server with its own certificate, and that certificate's SHA-256 pin."""

    def __init__(self, ca: Any, name: str = "127.0.0.1") -> None:
        leaf = ca.issue_cert(name, "pinned.test")
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(self.context)
        der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
        self.pin = hashlib.sha256(der).digest()
        self.server = RawServer(
            keep_alive(lambda r: response(200, f"pinned {r.target}".encode())),
            ssl_context=self.context,
        )


@pytest.fixture(scope="module")
def ca() -> Any:
    return trustme.CA()


WRONG = hashlib.sha256(b"not the certificate").digest()


@pytest.mark.parametrize("client", CLIENTS)
def test_only_sha256_digests_are_accepted(client: Any) -> None:
    with pytest.raises(ValueError, match="md5 and sha1 are insecure and not supported. Use sha256."):
        client.Fingerprint(hashlib.md5(b"x").digest())
    with pytest.raises(ValueError, match="md5 and sha1 are insecure and not supported. Use sha256."):
        client.Fingerprint(hashlib.sha1(b"x").digest())
    with pytest.raises(ValueError, match="fingerprint has invalid length"):
        client.Fingerprint(b"\x00" * 31)
    assert client.Fingerprint(WRONG).fingerprint == WRONG


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_the_right_pin_connects_and_the_wrong_one_raises(client: Any, ca: Any) -> None:
    site = Site(ca)
    async with site.server as server:
        async with client.ClientSession() as session:
            async with session.get(server.url("/ok"), ssl=client.Fingerprint(site.pin)) as resp:
                assert await resp.text() == "pinned /ok"
            with pytest.raises(client.ServerFingerprintMismatch) as info:
                await session.get(server.url("/bad"), ssl=client.Fingerprint(WRONG))
            error = info.value
            assert (error.expected, error.got) == (WRONG, site.pin)
            assert (error.host, error.port) == ("127.0.0.1", server.port)
            assert isinstance(error, client.ServerConnectionError)
            if client is aiohttp:
                assert_pool_clean(session.connector)
        # The mismatched connection was never used: only /ok was asked.
        assert [r.target for r in server.requests] == ["/ok"]


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_connector_pin_holds_whatever_the_request_ssl_says(client: Any, ca: Any) -> None:
    """ssl=False on a request through a pinned connector turns off chain verification only:
    the pin is still checked, so a wrong certificate is never accepted."""
    site = Site(ca)
    async with site.server as server:
        for pin, accepted in ((WRONG, False), (site.pin, True)):
            connector = client.TCPConnector(ssl=client.Fingerprint(pin))
            async with client.ClientSession(connector=connector) as session:
                for ssl_setting in (True, False, None):
                    if accepted:
                        async with session.get(server.url(), ssl=ssl_setting) as resp:
                            assert resp.status == 200
                    else:
                        with pytest.raises(client.ServerFingerprintMismatch):
                            await session.get(server.url(), ssl=ssl_setting)
                if client is aiohttp:
                    assert_pool_clean(connector)


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_pinned_request_never_reuses_an_unpinned_connection(client: Any, ca: Any) -> None:
    site = Site(ca)
    async with site.server as server:
        async with client.ClientSession() as session:
            async with session.get(server.url("/plain"), ssl=False) as resp:
                assert resp.status == 200  # pooled now, for ssl=False
            with pytest.raises(client.ServerFingerprintMismatch):
                await session.get(server.url("/pinned"), ssl=client.Fingerprint(WRONG))
            # Equal pins share connections: one for /a and /b.
            for path in ("/a", "/b"):
                async with session.get(server.url(path), ssl=client.Fingerprint(site.pin)) as resp:
                    assert resp.status == 200
    assert [r.target for r in server.requests] == ["/plain", "/a", "/b"]
    if client is aiohttp:
        assert server.accepted == 3  # /plain, the refused one, then /a and /b on one


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_the_pin_is_checked_on_every_new_connection(client: Any, ca: Any) -> None:
    """The name moves (a DNS change, or someone in the middle) to a server with another
    certificate: the next new connection is refused, though earlier ones were fine."""
    genuine, impostor = Site(ca), Site(ca)
    async with genuine.server as good, impostor.server as bad:
        resolver = TableResolver({"pinned.test": [("127.0.0.1", good.port)]})
        connector = client.TCPConnector(
            resolver=resolver, ssl=client.Fingerprint(genuine.pin), force_close=True
        )
        async with client.ClientSession(connector=connector) as session:
            url = f"https://pinned.test:{good.port}/"
            for _ in range(2):
                async with session.get(url) as resp:
                    assert resp.status == 200
            resolver.table["pinned.test"] = [("127.0.0.1", bad.port)]
            connector.clear_dns_cache()
            with pytest.raises(client.ServerFingerprintMismatch) as info:
                await session.get(url)
            assert info.value.port == bad.port
        assert len(good.requests) == 2 and not bad.requests


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_deprecated_fingerprint_argument(client: Any, ca: Any) -> None:
    site = Site(ca)
    async with site.server as server:
        async with client.ClientSession() as session:
            with pytest.warns(DeprecationWarning, match="use ssl=Fingerprint"):
                async with session.get(server.url(), fingerprint=site.pin) as resp:
                    assert resp.status == 200
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                with pytest.raises(client.ServerFingerprintMismatch):
                    await session.get(server.url(), fingerprint=WRONG)
                # fingerprint= with an ssl= of its own is an error, never a pin dropped.
                with pytest.raises(ValueError, match="mutually exclusive"):
                    await session.get(server.url(), fingerprint=WRONG, ssl=False)
                with pytest.raises(ValueError, match="md5 and sha1"):
                    await session.get(server.url(), fingerprint=hashlib.sha1(b"x").digest())
        with pytest.warns(DeprecationWarning, match="use ssl=Fingerprint"):
            connector = client.TCPConnector(fingerprint=WRONG)
        assert isinstance(connector.ssl if client is aiohttp else connector._ssl, client.Fingerprint)
        async with client.ClientSession(connector=connector) as session:
            with pytest.raises(client.ServerFingerprintMismatch):
                await session.get(server.url())


@async_test()
async def test_ws_connect_fingerprint(ca: Any) -> None:
    from aiohttp import web

    site = Site(ca)

    async def handler(request: Any) -> Any:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            await ws.send_str(message.data.upper())
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    from client_servers import web_server

    async with web_server(app, ssl_context=site.context) as base:
        url = base.replace("https", "wss") + "/ws"
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, ssl=aiohttp.Fingerprint(site.pin)) as ws:
                await ws.send_str("hi")
                assert (await ws.receive()).data == "HI"
            with pytest.warns(DeprecationWarning):
                with pytest.raises(aiohttp.ServerFingerprintMismatch):
                    await session.ws_connect(url, fingerprint=WRONG)


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_pin_on_plain_http_checks_nothing(client: Any) -> None:
    """No TLS, no certificate: a pin given to an http:// request has nothing to check (aiohttp)."""
    async with RawServer(keep_alive(lambda r: response(200, b"plain"))) as server:
        async with client.ClientSession() as session:
            async with session.get(server.url(), ssl=client.Fingerprint(WRONG)) as resp:
                assert await resp.read() == b"plain"


@async_test()
async def test_ssl_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError, match="ssl should be SSLContext, bool, Fingerprint or None"):
        aiohttp.TCPConnector(ssl="yes")  # type: ignore[arg-type]
