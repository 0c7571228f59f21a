"""TLS: verification with a trustme CA, ssl=False, server_hostname, certificate errors."""

from __future__ import annotations

import datetime
import ssl
import warnings
from pathlib import Path
from typing import Any

import pytest

trustme = pytest.importorskip("trustme")

import aiohttp as real_aiohttp  # noqa: E402

import fasthttp as aiohttp  # noqa: E402
from client_servers import (  # noqa: E402
    web_server,
    RawServer,
    Request,
    assert_pool_clean,
    async_test,
    keep_alive,
    response,
)
from tls_helpers import ca, client_context, server_context  # noqa: E402,F401 - ca: the fixture


def tls_server(context: ssl.SSLContext) -> RawServer:
    def route(request: Request) -> bytes:
        return response(200, f"secure {request.target}".encode())

    return RawServer(keep_alive(route), ssl_context=context)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self-signed.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    directory: Path = tmp_path_factory.mktemp("selfsigned")
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


@async_test()
async def test_verified_tls_with_a_context_per_request_and_per_connector(ca: Any) -> None:
    async with tls_server(server_context(ca, "127.0.0.1", "localhost")) as server:
        assert server.url().startswith("https://")
        context = client_context(ca)
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/a"), ssl=context) as resp:
                assert await resp.text() == "secure /a"
            async with session.get(server.url("/b", host="localhost"), ssl=context) as resp:
                assert await resp.text() == "secure /b"
            assert_pool_clean(session.connector)
        connector = aiohttp.TCPConnector(ssl=context)
        async with aiohttp.ClientSession(connector=connector) as session:
            for path in ("/c", "/d"):
                async with session.get(server.url(path)) as resp:
                    assert await resp.text() == f"secure {path}"
            assert_pool_clean(connector)
    # Keep-alive works over TLS too: the connector's two requests shared one connection.
    assert server.accepted == 2 + 1


@async_test()
async def test_ssl_true_rejects_an_untrusted_certificate(ca: Any) -> None:
    async with tls_server(server_context(ca, "127.0.0.1")) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectorCertificateError) as info:
                await session.get(server.url())  # ssl=True: the system's CAs only
            error = info.value
            assert isinstance(error, aiohttp.ClientSSLError)
            assert isinstance(error, aiohttp.ClientConnectorError)
            assert isinstance(error.certificate_error, ssl.SSLCertVerificationError)
            assert error.host == "127.0.0.1" and error.port == server.port
            assert_pool_clean(session.connector)
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(server.url(), ssl=True)


@async_test()
async def test_ssl_false_accepts_a_self_signed_certificate(self_signed: ssl.SSLContext) -> None:
    async with tls_server(self_signed) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(server.url())
            async with session.get(server.url("/x"), ssl=False) as resp:
                assert await resp.text() == "secure /x"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as session:
            async with session.get(server.url("/y")) as resp:
                assert await resp.text() == "secure /y"


@async_test()
async def test_server_hostname(ca: Any) -> None:
    # The certificate names only "service.test"; we connect to 127.0.0.1.
    async with tls_server(server_context(ca, "service.test")) as server:
        context = client_context(ca)
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(server.url(), ssl=context)
            async with session.get(server.url("/sni"), ssl=context, server_hostname="service.test") as resp:
                assert await resp.text() == "secure /sni"
            assert_pool_clean(session.connector)


@async_test()
async def test_plain_http_to_a_tls_server_fails_cleanly(ca: Any) -> None:
    async with tls_server(server_context(ca, "127.0.0.1")) as server:
        async with aiohttp.ClientSession() as session:
            url = server.url().replace("https://", "http://")
            with pytest.raises(aiohttp.ClientError):
                await session.get(url, timeout=aiohttp.ClientTimeout(total=3))
            assert_pool_clean(session.connector)


@async_test()
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_deprecated_verify_ssl_and_ssl_context_spellings(
    ca: Any, self_signed: ssl.SSLContext
) -> None:
    """aiohttp's older spellings of ssl=, on the connector and per request, as aiohttp
    (deprecated there: the warnings are test_client_args' concern)."""
    async with tls_server(self_signed) as server:
        connector = aiohttp.TCPConnector(verify_ssl=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(server.url("/v")) as resp:
                assert await resp.text() == "secure /v"
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/r"), verify_ssl=False) as resp:
                assert await resp.text() == "secure /r"
    async with tls_server(server_context(ca, "127.0.0.1")) as server:
        connector = aiohttp.TCPConnector(ssl_context=client_context(ca))
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(server.url("/c")) as resp:
                assert await resp.text() == "secure /c"
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url("/q"), ssl_context=client_context(ca)) as resp:
                assert await resp.text() == "secure /q"
    for module in (aiohttp, real_aiohttp):
        with pytest.raises(ValueError, match="mutually exclusive"), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module.TCPConnector(verify_ssl=False, ssl=client_context(ca))


def _ws_app() -> Any:
    from aiohttp import web

    async def ws(request: Any) -> Any:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        await sock.send_str("hello")
        await sock.close()
        return sock

    app = web.Application()
    app.router.add_get("/ws", ws)
    return app


@pytest.mark.parametrize("client", [aiohttp, real_aiohttp], ids=["fasthttp", "aiohttp"])
@async_test()
async def test_wss_with_the_ssl_arguments_of_ws_connect(
    client: Any, ca: Any, self_signed: ssl.SSLContext
) -> None:
    async def hello(session: Any, url: str, **kwargs: Any) -> str:
        async with session.ws_connect(url, **kwargs) as ws:
            return str((await ws.receive()).data)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        async with web_server(_ws_app(), ssl_context=server_context(ca, "service.test")) as base:
            url = base.replace("https", "wss") + "/ws"
            async with client.ClientSession() as session:
                with pytest.raises(client.ClientConnectorCertificateError):
                    await hello(session, url, ssl=client_context(ca))
                assert await hello(
                    session, url, ssl=client_context(ca), server_hostname="service.test"
                ) == "hello"
                assert await hello(
                    session, url, ssl_context=client_context(ca), server_hostname="service.test"
                ) == "hello"
        async with web_server(_ws_app(), ssl_context=self_signed) as base:
            url = base.replace("https", "wss") + "/ws"
            async with client.ClientSession() as session:
                assert await hello(session, url, verify_ssl=False) == "hello"
