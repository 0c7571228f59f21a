"""aiohttp's submodules reached as attributes after `import fasthttp as aiohttp`.

`import aiohttp` loads public submodules that code reaches as `aiohttp.abc.AbstractResolver`,
`aiohttp.helpers.BasicAuth`, `aiohttp.log.client_logger`. For each one the installed aiohttp
loads (read from a fresh interpreter, so a submodule a new aiohttp adds fails here until
fasthttp has it or says why), `fasthttp.<name>` resolves in a fresh interpreter too, or raises
an AttributeError with the reason (fasthttp/aiohttp_submodules.py; docs/aiohttp-compat.md).
The names each module has are aiohttp's names, and they work as aiohttp's: the tests below use
them against servers on 127.0.0.1.
"""

from __future__ import annotations

import importlib
import json
import logging
import socket
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, get_type_hints

import aiohttp as real_aiohttp
import pytest

import fasthttp as aiohttp
from fasthttp import aiohttp_submodules, web
from client_servers import RawServer, async_test, keep_alive, response
from web_helpers import serve


def _fresh(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


AIOHTTP_SUBMODULES: list[str] = json.loads(_fresh(
    "import aiohttp, json, sys; print(json.dumps(sorted("
    "m.split('.')[1] for m in sys.modules if m.count('.') == 1 and m.startswith('aiohttp.') and '._' not in m)))"
))

# fasthttp's own modules of aiohttp's name (the rest are built or refused by aiohttp_submodules)
OWN = {
    "abc", "client", "client_exceptions", "client_middleware_digest_auth", "client_middlewares", "client_ws",
    "connector", "cookiejar", "formdata", "hdrs", "http", "http_exceptions", "multipart", "resolver", "streams",
    "tracing",
}

# aiohttp names a fasthttp module of aiohttp's name has not, beyond aiohttp_submodules.MISSING_NAMES
# (which gives the reason in the AttributeError): docs/aiohttp-compat.md lists them too.
NOT_HERE = {
    "abc": {"AbstractRouter", "AbstractMatchInfo", "AbstractStreamWriter"},
    "client_middleware_digest_auth": {"DigestAuthChallenge", "escape_quotes", "unescape_quotes", "parse_header_pairs"},
    "client_ws": {"DEFAULT_WS_CLIENT_TIMEOUT"},
}


def test_the_submodule_list_is_aiohttps() -> None:
    assert len(AIOHTTP_SUBMODULES) >= 29 and "helpers" in AIOHTTP_SUBMODULES
    ours = OWN | set(aiohttp_submodules.COMPAT) | set(aiohttp_submodules.ABSENT_MODULES)
    assert set(AIOHTTP_SUBMODULES) == ours, (
        f"aiohttp's, not here: {sorted(set(AIOHTTP_SUBMODULES) - ours)}; here, not aiohttp's: {sorted(ours - set(AIOHTTP_SUBMODULES))}"
    )


def test_each_submodule_is_an_attribute_after_import_fasthttp_alone() -> None:
    """In a fresh interpreter: `import fasthttp` loads neither the builder nor the server, and
    then each name resolves lazily or says why not."""
    out = _fresh(
        "import json, sys\n"
        "import fasthttp\n"
        "before = sorted(m for m in ('fasthttp.aiohttp_submodules', 'fasthttp.web', 'fasthttp.abc') if m in sys.modules)\n"
        "got = {}\n"
        f"for name in {AIOHTTP_SUBMODULES!r}:\n"
        "    try:\n"
        "        got[name] = getattr(fasthttp, name).__name__\n"
        "    except AttributeError as exc:\n"
        "        got[name] = 'AttributeError: ' + str(exc)\n"
        "print(json.dumps([before, got]))\n"
    )
    before, got = json.loads(out)
    assert before == []
    for name, value in got.items():
        why = aiohttp_submodules.ABSENT_MODULES.get(name)
        if why is None:
            assert value == f"fasthttp.{name}"
        else:
            assert value == f"AttributeError: fasthttp does not provide aiohttp.{name}: {why}"


@pytest.mark.parametrize("name", sorted(aiohttp_submodules.ABSENT_MODULES))
def test_an_internal_submodule_says_why(name: str) -> None:
    with pytest.raises(AttributeError, match=f"fasthttp does not provide aiohttp.{name}: "):
        getattr(aiohttp, name)
    assert not hasattr(aiohttp, name)
    with pytest.raises(ModuleNotFoundError, match=f"fasthttp does not provide aiohttp.{name}: "):
        importlib.import_module(f"fasthttp.{name}")
    with pytest.raises(ModuleNotFoundError, match="No module named 'fasthttp.no_such_module'"):
        importlib.import_module("fasthttp.no_such_module")


def test_built_modules_are_importable_in_a_fresh_interpreter() -> None:
    out = _fresh(
        "import fasthttp.typedefs\n"
        "from fasthttp.helpers import BasicAuth\n"
        "import fasthttp, sys\n"
        "assert BasicAuth is fasthttp.BasicAuth and fasthttp.typedefs is sys.modules['fasthttp.typedefs']\n"
        "from fasthttp.log import client_logger\n"
        "from fasthttp.payload import BytesPayload\n"
        "print(fasthttp.typedefs.StrOrURL, client_logger.name, BytesPayload is fasthttp.BytesPayload)\n"
    )
    assert out.split() == ["typing.Union[str,", "yarl.URL]", "fasthttp.client", "True"]


def _public_names(module: types.ModuleType) -> set[str]:
    if hasattr(module, "__all__"):
        return set(module.__all__)
    if module.__name__ == "aiohttp.typedefs":  # aliases carry no __module__
        return {"Byteish", "JSONEncoder", "JSONBytesEncoder", "JSONDecoder", "LooseHeaders", "RawHeaders", "StrOrURL",
                "LooseCookiesMappings", "LooseCookiesIterables", "LooseCookies", "Handler", "Middleware", "PathLike",
                "DEFAULT_JSON_ENCODER", "DEFAULT_JSON_DECODER"}
    if module.__name__ == "aiohttp.log":
        return {name for name, value in vars(module).items() if isinstance(value, logging.Logger)}
    if module.__name__ == "aiohttp.hdrs":
        return {name for name in vars(module) if name.isupper()}
    return {name for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__}


@pytest.mark.parametrize("name", sorted(set(AIOHTTP_SUBMODULES) - set(aiohttp_submodules.ABSENT_MODULES)))
def test_every_public_name_of_the_module_or_a_listed_reason(name: str) -> None:
    theirs = importlib.import_module(f"aiohttp.{name}")
    ours = getattr(aiohttp, name)
    said = aiohttp_submodules.MISSING_NAMES.get(name, {})
    missing = set()
    for attr in _public_names(theirs) | set(said):
        assert attr in vars(theirs), attr
        try:
            getattr(ours, attr)
        except AttributeError as exc:
            missing.add(attr)
            if attr in said:
                assert str(exc) == f"fasthttp does not provide aiohttp.{name}.{attr}: {said[attr]}"
    assert missing == set(said) | NOT_HERE.get(name, set())
    for attr in aiohttp_submodules.COMPAT.get(name, {}):  # a built module claims aiohttp's names only
        assert attr in vars(theirs), attr
    for attr in aiohttp_submodules.REEXPORTS.get(name, {}):
        assert attr in vars(theirs), attr


def test_names_are_fasthttps_objects() -> None:
    assert aiohttp.helpers.BasicAuth is aiohttp.BasicAuth
    assert aiohttp.helpers.ChainMapProxy is aiohttp.ChainMapProxy
    assert aiohttp.helpers.ETag is aiohttp.ETag
    assert aiohttp.helpers.AppKey is web.AppKey
    assert aiohttp.client_reqrep.ClientRequest is aiohttp.ClientRequest
    assert aiohttp.client_reqrep.RequestInfo is aiohttp.RequestInfo
    assert aiohttp.client_reqrep.Fingerprint is aiohttp.Fingerprint
    assert aiohttp.http_websocket.WSMsgType is aiohttp.WSMsgType is aiohttp.http.WSMsgType
    assert aiohttp.http_websocket.WSCloseCode.GOING_AWAY == real_aiohttp.http_websocket.WSCloseCode.GOING_AWAY
    assert aiohttp.http_writer.HttpVersion11 == real_aiohttp.http_writer.HttpVersion11
    assert aiohttp.connector.UnixConnector is aiohttp.UnixConnector
    assert aiohttp.multipart.MultipartReader is aiohttp.MultipartReader
    assert aiohttp.client.ClientError is aiohttp.ClientError
    assert aiohttp.http.RESPONSES == real_aiohttp.http.RESPONSES
    assert aiohttp.hdrs.HOST_ALL == real_aiohttp.hdrs.HOST_ALL
    assert aiohttp.hdrs.SEC_FETCH_SITE == "Sec-Fetch-Site"
    assert aiohttp.typedefs.DEFAULT_JSON_ENCODER is real_aiohttp.typedefs.DEFAULT_JSON_ENCODER
    assert isinstance(aiohttp.payload.get_payload(b"x"), aiohttp.payload.BytesPayload)
    assert isinstance(aiohttp.payload.get_payload("x"), aiohttp.payload.StringPayload)
    assert not hasattr(aiohttp.log, "web_logger") and not hasattr(aiohttp.payload, "PAYLOAD_REGISTRY")
    with pytest.raises(AttributeError, match="module 'fasthttp.helpers' has no attribute 'nope'"):
        aiohttp.helpers.nope  # noqa: B018
    assert "BasicAuth" in dir(aiohttp.helpers) and "BasicAuth" in aiohttp.helpers.__all__


def test_typedefs_in_annotations() -> None:
    def send(url: aiohttp.typedefs.StrOrURL, headers: aiohttp.typedefs.LooseHeaders) -> aiohttp.typedefs.RawHeaders:
        return ()

    hints = get_type_hints(send, localns={"aiohttp": aiohttp})
    assert hints["url"] == real_aiohttp.typedefs.StrOrURL
    assert hints["return"] == real_aiohttp.typedefs.RawHeaders


class TableResolver(aiohttp.abc.AbstractResolver):
    """aiohttp code's resolver, written against `aiohttp.abc` reached as an attribute."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[aiohttp.abc.ResolveResult]:
        self.asked.append(host)
        return [{"hostname": host, "host": "127.0.0.1", "port": self.port, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


@async_test()
async def test_a_resolver_from_aiohttp_abc_and_the_client_reqrep_response() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"hello"))) as server:
        resolver = TableResolver(server.port)
        async with aiohttp.ClientSession(connector=aiohttp.connector.TCPConnector(resolver=resolver)) as session:
            async with session.get(f"http://service.test:{server.port}/") as resp:
                assert isinstance(resp, aiohttp.client_reqrep.ClientResponse)
                assert isinstance(resp.request_info, aiohttp.client_reqrep.RequestInfo)
                assert await resp.text() == "hello"
    assert resolver.asked == ["service.test"]


@async_test()
async def test_log_client_logger_is_where_the_client_logs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text('machine 127.0.0.1 login\n  garbage " ')
    monkeypatch.setenv("NETRC", str(netrc))
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        with caplog.at_level(logging.WARNING, logger=aiohttp.log.client_logger.name):
            async with aiohttp.ClientSession(trust_env=True) as session:
                async with session.get(server.url("/")) as resp:
                    assert resp.status == 200
    assert [r.name for r in caplog.records if "Could not parse .netrc" in r.getMessage()] == [aiohttp.log.client_logger.name]


@async_test()
async def test_log_server_and_access_loggers_are_where_the_server_logs(caplog: pytest.LogCaptureFixture) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise ZeroDivisionError

    async def fine(request: web.Request) -> web.Response:
        return web.Response(text="fine")

    app = web.Application()
    app.router.add_get("/boom", boom)
    app.router.add_get("/fine", fine)
    caplog.set_level(logging.INFO)
    async with serve(app) as served:
        async with aiohttp.ClientSession() as session:
            for path in ("/boom", "/fine"):
                async with session.get(served.url(path)) as resp:
                    await resp.read()
    errors = [r.name for r in caplog.records if r.getMessage() == "Error handling request"]
    assert errors == [aiohttp.log.server_logger.name]
    access = [r for r in caplog.records if r.name == aiohttp.log.access_logger.name]
    assert [("GET /boom" in r.getMessage(), "GET /fine" in r.getMessage()) for r in access] == [(True, False), (False, True)]


def test_hdrs_values_are_aiohttps() -> None:
    theirs = {name: value for name, value in vars(real_aiohttp.hdrs).items() if name.isupper()}
    differ = {name for name, value in theirs.items() if getattr(aiohttp.hdrs, name) != value}
    assert differ == {"ETAG"}  # RFC 9110 spells it "ETag" (aiohttp: "Etag"); both match the field in a CIMultiDict
