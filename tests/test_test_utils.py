"""fasthttp.test_utils and fasthttp.pytest_plugin (issue 12): testing apps the aiohttp way."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web as aioweb

from fasthttp import web
from fasthttp.test_utils import (
    RawTestServer,
    TestClient,
    TestServer,
    loop_context,
    make_mocked_request,
    unused_port,
)
from web_helpers import async_test


def _app(mod: Any) -> Any:
    async def hello(request: Any) -> Any:
        return mod.Response(text=f"hello {request.query.get('name', 'you')}")

    async def echo(request: Any) -> Any:
        form = await request.post()
        return mod.json_response(dict(form))

    async def ws(request: Any) -> Any:
        socket = mod.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            await socket.send_str(message.data.upper())
        return socket

    async def set_cookie(request: Any) -> Any:
        response = mod.Response(text="set")
        response.set_cookie("session", "abc")
        return response

    async def read_cookie(request: Any) -> Any:
        return mod.Response(text=request.cookies.get("session", "none"))

    app = mod.Application()
    app.router.add_get("/", hello)
    app.router.add_post("/echo", echo)
    app.router.add_get("/ws", ws)
    app.router.add_get("/set", set_cookie)
    app.router.add_get("/read", read_cookie)
    return app


@pytest.mark.parametrize("mod", [web, aioweb], ids=["fasthttp.web", "aiohttp.web"])
@async_test()
async def test_client_and_server_serve_either_framework(mod: Any) -> None:
    async with TestClient(TestServer(_app(mod))) as client:
        assert client.port and client.host == "127.0.0.1"
        assert str(client.make_url("/x?y=1")) == f"http://127.0.0.1:{client.port}/x?y=1"
        async with client.get("/", params={"name": "test"}) as resp:
            assert (resp.status, await resp.text()) == (200, "hello test")
        resp = await client.post("/echo", data={"a": "1"})
        assert await resp.json() == {"a": "1"}
        ws = await client.ws_connect("/ws")
        await ws.send_str("ping")
        assert (await ws.receive()).data == "PING"
        # Cookies for 127.0.0.1 are kept (the jar is aiohttp's CookieJar(unsafe=True)).
        await (await client.get("/set")).text()
        assert await (await client.get("/read")).text() == "abc"
        assert client.app is client.server.app
    assert client.server.closed and client.session.closed
    assert ws.closed  # closed with the client


@async_test()
async def test_raw_server() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"raw {request.method} {request.path}")

    async with TestClient(RawTestServer(handler)) as client:
        async with client.request("PATCH", "/any/where") as resp:
            assert await resp.text() == "raw PATCH /any/where"


@async_test()
async def test_low_level_server_as_aiohttp() -> None:
    for mod in (web, aioweb):
        async def handler(request: Any, mod: Any = mod) -> Any:
            return mod.Response(text=request.path)

        server = mod.Server(handler)
        runner = mod.ServerRunner(server)
        await runner.setup()
        site = mod.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            port = runner.addresses[0][1]
            import fasthttp

            async with fasthttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/p") as resp:
                    assert await resp.text() == "/p"
        finally:
            await runner.cleanup()


def test_make_mocked_request() -> None:
    request = make_mocked_request("GET", "/path?x=1", headers={"X-Token": "t"},
                                  match_info={"id": "7"})
    assert (request.method, request.path, request.query["x"]) == ("GET", "/path", "1")
    assert request.headers["X-Token"] == "t" and request.match_info == {"id": "7"}
    assert request.host == "127.0.0.1:8080" and request.remote == "127.0.0.1"
    assert request.app is not None and request.version == (1, 1)


@async_test()
async def test_mocked_request_drives_a_handler() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"user": request.match_info["user"], "ua": request.headers["User-Agent"]})

    request = make_mocked_request("GET", "/u/ann", headers={"User-Agent": "t/1"},
                                  match_info={"user": "ann"})
    response = await handler(request)
    assert response.status == 200 and response.body == b'{"user": "ann", "ua": "t/1"}'


def test_unused_port_and_loop_context() -> None:
    port = unused_port()
    assert 0 < port < 65536
    with loop_context() as loop:
        assert loop.run_until_complete(_answer()) == 42
    assert loop.is_closed()


async def _answer() -> int:
    return 42


def test_client_refuses_what_is_not_a_server() -> None:
    with pytest.raises(TypeError, match="server must be TestServer"):
        TestClient(object())  # type: ignore[arg-type]


# --- the pytest plugin, in a pytest run of its own --------------------------------------------------

APP = '''
from {framework} import web


async def hello(request):
    return web.Response(text="Hello, " + request.match_info.get("name", "world"))


async def upload(request):
    data = await request.post()
    return web.json_response({{"fields": sorted(data)}})


async def echo_ws(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str("echo: " + msg.data)
    return ws


def make_app(static_dir):
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/hi/{{name}}", hello)
    app.router.add_post("/upload", upload)
    app.router.add_get("/ws", echo_ws)
    app.router.add_static("/static", static_dir)
    return app
'''

SUITE = '''
import pytest

from app import make_app

pytestmark = pytest.mark.asyncio


async def test_hello(aiohttp_client, tmp_path):
    client = await aiohttp_client(make_app(tmp_path))
    resp = await client.get("/hi/there")
    assert resp.status == 200
    assert await resp.text() == "Hello, there"


async def test_static(aiohttp_client, tmp_path):
    (tmp_path / "a.txt").write_text("static!")
    client = await aiohttp_client(make_app(tmp_path))
    resp = await client.get("/static/a.txt")
    assert await resp.text() == "static!"


async def test_upload(aiohttp_client, tmp_path):
    client = await aiohttp_client(make_app(tmp_path))
    resp = await client.post("/upload", data={{"a": "1", "b": "2"}})
    assert await resp.json() == {{"fields": ["a", "b"]}}


async def test_ws(aiohttp_client, tmp_path):
    client = await aiohttp_client(make_app(tmp_path))
    ws = await client.ws_connect("/ws")
    await ws.send_str("hi")
    msg = await ws.receive()
    assert msg.data == "echo: hi"
    await ws.close()


async def test_server_and_port(aiohttp_server, aiohttp_unused_port, tmp_path):
    port = aiohttp_unused_port()
    server = await aiohttp_server(make_app(tmp_path), port=port)
    assert server.port == port
'''


def _run_suite(tmp_path: Path, framework: str, plugin: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP.format(framework=framework)))
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(SUITE.format()))
    (tmp_path / "conftest.py").write_text(f"pytest_plugins = [{plugin!r}]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-o", "asyncio_default_fixture_loop_scope=function", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("framework", ["fasthttp", "aiohttp"])
def test_an_aiohttp_suite_ports_by_changing_imports(tmp_path: Path, framework: str) -> None:
    # The same test file, written for pytest-aiohttp's fixtures, against an app written for
    # aiohttp.web: only the framework import and the plugin line change. The aiohttp.web run
    # shows the plugin serves aiohttp.web apps too.
    result = _run_suite(tmp_path, framework, "fasthttp.pytest_plugin")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_python_m_fasthttp_web(tmp_path: Path) -> None:
    import os
    import signal
    import time

    (tmp_path / "served_app.py").write_text(textwrap.dedent('''
        from fasthttp import web

        def init(argv):
            async def hello(request):
                return web.Response(text="argv=" + ",".join(argv))
            app = web.Application()
            app.router.add_get("/", hello)
            return app
    '''))
    port = unused_port()
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fasthttp.web", "-H", "127.0.0.1", "-P", str(port),
         "served_app:init", "--extra", "x"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        import urllib.request

        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    assert resp.read() == b"argv=--extra,x"
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert "Running on http://127.0.0.1:" in out
    bad = subprocess.run([sys.executable, "-m", "fasthttp.web", "no_colon"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode == 2 and "'entry-func' not in 'module:function' syntax" in bad.stderr
