"""--ssl (the TLS version), --ciphers and --cert-key-pass against aiohttp.web over TLS on
127.0.0.1 (trustme's certificates): what the server negotiated, and one clear error line with
exit status 1 for what cannot work (never a traceback)."""

from __future__ import annotations

import json
import ssl
from typing import Any, Iterator

import pytest

from cli_helpers import ThreadLoop, run_cli, web_server

web: Any = pytest.importorskip("aiohttp.web")
trustme: Any = pytest.importorskip("trustme")


async def negotiated(request: Any) -> Any:
    tls = request.transport.get_extra_info("ssl_object")
    cert = request.transport.get_extra_info("peercert") or {}
    return web.json_response({"version": tls.version(), "cipher": tls.cipher()[0],
                              "client": [v for rdn in cert.get("subjectAltName", ()) for v in rdn]})


@pytest.fixture(scope="module")
def tls(tmp_path_factory: Any) -> Iterator[dict[str, str]]:
    """Two servers with one CA: `any` (TLS 1.2 and 1.3) and `tls12` (TLS 1.2 at most)."""
    from cryptography.hazmat.primitives import serialization

    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("client@example.test")
    folder = tmp_path_factory.mktemp("tls-options")
    paths = {"ca": str(folder / "ca.pem"), "cert": str(folder / "client-cert.pem"),
             "encrypted_key": str(folder / "client-key.pem")}
    ca.cert_pem.write_to_path(paths["ca"])
    client_cert.cert_chain_pems[0].write_to_path(paths["cert"])
    key = serialization.load_pem_private_key(client_cert.private_key_pem.bytes(), password=None)
    with open(paths["encrypted_key"], "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"open sesame")))
    tl = ThreadLoop()
    try:
        urls = {}
        with_servers = []
        for name, maximum in (("any", None), ("tls12", ssl.TLSVersion.TLSv1_2)):
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_cert.configure_cert(context)
            ca.configure_trust(context)
            context.verify_mode = ssl.CERT_OPTIONAL
            if maximum is not None:
                context.maximum_version = maximum
            app = web.Application()
            app.router.add_get("/tls", negotiated)
            server = web_server(tl, app, ssl_context=context)
            urls[name] = server.__enter__() + "/tls"
            with_servers.append(server)
        yield dict(paths, **urls)
        for server in with_servers:
            server.__exit__(None, None, None)
    finally:
        tl.close()


def seen(tls: dict[str, str], server: str, *args: str) -> dict[str, Any]:
    run = run_cli(f"--verify={tls['ca']}", *args, tls[server])
    assert run.code == 0, run
    return dict(json.loads(run.out))


def one_error(run: Any, *needles: str) -> str:
    assert run.code != 0 and run.out == b"", run
    assert "Traceback" not in run.err, run
    line = [line for line in run.err_lines if line.startswith("fasthttp: error:")]
    assert len(line) == 1, run
    for needle in needles:
        assert needle.lower() in line[0].lower(), run
    return line[0]


def test_ssl_pins_the_version(tls: dict[str, str]) -> None:
    assert seen(tls, "any")["version"] == "TLSv1.3"
    assert seen(tls, "any", "--ssl=tls1.2")["version"] == "TLSv1.2"
    assert seen(tls, "any", "--ssl=tls1.3")["version"] == "TLSv1.3"
    assert seen(tls, "any", "--ssl=ssl2.3")["version"] == "TLSv1.3"  # httpie's "the best both speak"


def test_ssl_version_the_server_refuses_is_a_handshake_error(tls: dict[str, str]) -> None:
    one_error(run_cli(f"--verify={tls['ca']}", "--ssl=tls1.3", tls["tls12"]), "TLS handshake", "failed")
    # Python's server side accepts TLS 1.2 at least: an old version fails the same clear way.
    one_error(run_cli(f"--verify={tls['ca']}", "--ssl=tls1.1", tls["any"]), "TLS handshake", "failed")


def test_unknown_ssl_version_is_a_usage_error(tls: dict[str, str]) -> None:
    run = run_cli("--ssl=tls9", tls["any"])
    assert run.code == 2 and "invalid choice: 'tls9'" in run.err and "Traceback" not in run.err, run


def test_ciphers_choose_the_suite(tls: dict[str, str]) -> None:
    first = seen(tls, "tls12")["cipher"]
    other = next(name for name in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                                   "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305")
                 if name != first and name.split("-")[1] in first)
    assert seen(tls, "tls12", f"--ciphers={other}")["cipher"] == other
    assert seen(tls, "tls12", f"--ciphers={first}")["cipher"] == first


def test_ciphers_nobody_speaks_and_unknown_ones(tls: dict[str, str]) -> None:
    one_error(run_cli(f"--verify={tls['ca']}", "--ciphers=no-such-cipher", tls["any"]), "--ciphers",
              "no-such-cipher")
    # A real suite the server cannot use with its key (plain RSA key exchange): no handshake.
    one_error(run_cli(f"--verify={tls['ca']}", "--ssl=tls1.2", "--ciphers=AES128-SHA", tls["tls12"]),
              "TLS handshake", "failed")


def test_cert_key_pass_unlocks_an_encrypted_key(tls: dict[str, str]) -> None:
    both = ("--cert", tls["cert"], "--cert-key", tls["encrypted_key"])
    assert seen(tls, "any", *both, "--cert-key-pass=open sesame")["client"] == ["email", "client@example.test"]
    one_error(run_cli(f"--verify={tls['ca']}", *both, tls["any"]), "encrypted", "--cert-key-pass")
    one_error(run_cli(f"--verify={tls['ca']}", *both, "--cert-key-pass=wrong", tls["any"]), "--cert",
              tls["encrypted_key"])
    one_error(run_cli(f"--verify={tls['ca']}", "--cert-key-pass=x", tls["any"]), "--cert-key-pass needs --cert")
