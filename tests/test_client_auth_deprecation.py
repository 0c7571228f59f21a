"""aiohttp 3.14's deprecation of Basic auth objects and arguments, mirrored.

aiohttp 3.14 (helpers.BasicAuth.__new__, client.ClientSession.__init__/_request/ws_connect)
warns DeprecationWarning when a BasicAuth is built, and when `auth=` or `proxy_auth=` is
passed to ClientSession(), a request or ws_connect(); BasicAuth.decode()/from_url() and the
credentials of a URL do not warn. The same script runs on both libraries against an
aiohttp.web server on 127.0.0.1 and the warnings must be the same: category, message, and
the line they point at.
"""

from __future__ import annotations

import warnings
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import fasthttp
from client_servers import async_test, web_server

BOTH = pytest.mark.parametrize("lib", [aiohttp, fasthttp], ids=["aiohttp", "fasthttp"])


def _app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Authorization", "-"))

    app = web.Application()
    app.router.add_get("/", hello)
    return app


def _seen(log: list[warnings.WarningMessage]) -> list[tuple[Any, str, int]]:
    return [(w.category, str(w.message), w.lineno) for w in log if w.filename == __file__]


async def _script(lib: Any, url: str) -> tuple[list[tuple[Any, str, int]], list[str]]:
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        auth = lib.BasicAuth("user", "pass")
        texts = []
        async with lib.ClientSession(auth=auth, proxy_auth=auth) as session:
            async with session.get(url) as resp:  # the session's: no warning here
                texts.append(await resp.text())
            async with session.get(url, auth=auth) as resp:
                texts.append(await resp.text())
            async with session.request("GET", url, auth=auth, proxy_auth=auth) as resp:
                texts.append(await resp.text())
        async with lib.ClientSession() as session:
            async with session.get(URL(url).with_user("in").with_password("url")) as resp:
                texts.append(await resp.text())
        lib.BasicAuth.decode(auth.encode())
        lib.BasicAuth.from_url(URL("http://a:b@h/"))
        texts.append(lib.encode_basic_auth("user", "pass"))
    return _seen(log), texts


@async_test()
async def test_basic_auth_and_auth_arguments_warn_as_in_aiohttp() -> None:
    async with web_server(_app()) as url:
        theirs = await _script(aiohttp, url)
        ours = await _script(fasthttp, url)
    assert ours == theirs
    categories = {category for category, _, _ in ours[0]}
    assert categories == {DeprecationWarning}
    messages = [message for _, message, _ in ours[0]]
    assert messages[0].startswith("BasicAuth is deprecated and will be removed in aiohttp 4.0")
    assert sum("The 'auth' parameter is deprecated" in m for m in messages) == 3
    assert sum("The 'proxy_auth' parameter is deprecated" in m for m in messages) == 2
    assert "pass proxy_headers={'Proxy-Authorization': aiohttp.encode_basic_auth(login, password)}" in messages[2]


@BOTH
@async_test()
async def test_ws_connect_auth_arguments_warn(lib: Any) -> None:
    async def ws(request: web.Request) -> web.WebSocketResponse:
        response = web.WebSocketResponse()
        await response.prepare(request)
        await response.close()
        return response

    app = web.Application()
    app.router.add_get("/ws", ws)
    async with web_server(app) as url:
        async with lib.ClientSession() as session:
            with warnings.catch_warnings(record=True) as log:
                warnings.simplefilter("always")
                auth = lib.BasicAuth("user", "pass")
                async with session.ws_connect(url + "/ws", auth=auth, proxy_auth=auth):
                    pass
    # (aiohttp's point into its own client.py: ws_connect() is not a coroutine function.)
    messages = [str(w.message) for w in log if w.category is DeprecationWarning]
    names = {message.split("'")[1] for message in messages if message.startswith("The ")}
    assert names == {"auth", "proxy_auth"}


def test_encode_basic_auth_as_aiohttp() -> None:
    for args in [("user", "pass"), ("üser", "päss", "utf-8"), ("user",), ("u", "p", "latin1")]:
        assert fasthttp.encode_basic_auth(*args) == aiohttp.encode_basic_auth(*args)
    with pytest.raises(ValueError, match='":" is not allowed in login'):
        fasthttp.encode_basic_auth("a:b", "c")
