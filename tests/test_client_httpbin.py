"""Behaviour against a real httpbin (pytest-httpbin, served on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import io
import ssl
from typing import Any

import pytest

pytest.importorskip("pytest_httpbin")

import fasthttp as aiohttp  # noqa: E402
from client_servers import assert_pool_clean, async_test  # noqa: E402


@async_test()
async def test_get_params_and_headers(httpbin: Any) -> None:
    async with aiohttp.ClientSession(headers={"X-Session": "s"}) as session:
        async with session.get(
            httpbin.url + "/get", params=[("a", "1"), ("a", "2"), ("b", "é")], headers={"X-Req": "r"}
        ) as resp:
            assert resp.status == 200
            data = await resp.json()
        assert_pool_clean(session.connector)
    assert data["args"] == {"a": ["1", "2"], "b": "é"}
    assert data["headers"]["X-Session"] == "s"
    assert data["headers"]["X-Req"] == "r"
    assert data["headers"]["User-Agent"].startswith("Python/3.")
    assert "fasthttp/" in data["headers"]["User-Agent"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@async_test()
async def test_methods_with_json(httpbin: Any, method: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with getattr(session, method)(httpbin.url + f"/{method}", json={"k": [1, "v"]}) as resp:
            data = await resp.json()
    assert data["json"] == {"k": [1, "v"]}
    assert data["headers"]["Content-Type"] == "application/json"


@async_test()
async def test_form_multipart_and_text(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(httpbin.url + "/post", data={"a": "1", "b": "two"}) as resp:
            form = await resp.json()
        upload = io.BytesIO(b"file body")
        upload.name = "notes.txt"
        async with session.post(httpbin.url + "/post", data={"field": "v", "up": upload}) as resp:
            multipart = await resp.json()
        async with session.post(httpbin.url + "/post", text="plain text") as resp:
            text = await resp.json()
    assert form["form"] == {"a": "1", "b": "two"}
    assert form["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert multipart["form"] == {"field": "v"}
    assert multipart["files"] == {"up": "file body"}
    assert multipart["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert text["data"] == "plain text"
    assert text["headers"]["Content-Type"] == "text/plain; charset=utf-8"


# No chunked upload here: httpbin under wsgiref cannot read chunked request bodies (it
# answers and closes); test_client_bodies.py checks the chunked bytes against a raw server.


@pytest.mark.parametrize("path", ["/redirect/3", "/relative-redirect/3", "/absolute-redirect/3"])
@async_test()
async def test_redirects(httpbin: Any, path: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin.url + path) as resp:
            assert resp.status == 200
            assert len(resp.history) == 3
            assert resp.url.path == "/get"
        with pytest.raises(aiohttp.TooManyRedirects):
            await session.get(httpbin.url + path, max_redirects=2)
        assert_pool_clean(session.connector)


@async_test()
async def test_redirect_to_303_changes_post_to_get(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            httpbin.url + "/redirect-to", params={"url": "/get", "status_code": "303"}, data=b"x"
        ) as resp:
            assert resp.status == 200
            assert resp.history[0].status == 303
            assert (await resp.json())["url"].endswith("/get")


@async_test()
async def test_cookies(httpbin: Any) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(httpbin.url + "/cookies/set", params={"k1": "v1", "k2": "v2"}) as resp:
            data = await resp.json()  # after the redirect to /cookies
        assert data["cookies"] == {"k1": "v1", "k2": "v2"}
        async with session.get(httpbin.url + "/cookies/delete", params={"k1": ""}) as resp:
            data = await resp.json()
        assert data["cookies"] == {"k2": "v2"}
        async with session.get(httpbin.url + "/cookies", cookies={"extra": "x"}) as resp:
            assert (await resp.json())["cookies"] == {"k2": "v2", "extra": "x"}


@async_test()
async def test_basic_auth(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin.url + "/basic-auth/user/pass") as resp:
            assert resp.status == 401
        async with session.get(
            httpbin.url + "/basic-auth/user/pass", auth=aiohttp.BasicAuth("user", "pass")
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["authenticated"] is True
        url = httpbin.url.replace("http://", "http://user:pass@") + "/basic-auth/user/pass"
        async with session.get(url) as resp:
            assert resp.status == 200


@async_test()
async def test_status_and_raise_for_status(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin.url + "/status/418") as resp:
            assert resp.status == 418
            assert not resp.ok
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(httpbin.url + "/status/503", raise_for_status=True)
        assert info.value.status == 503
        assert_pool_clean(session.connector)


@pytest.mark.parametrize("path, key", [("/gzip", "gzipped"), ("/deflate", "deflated"), ("/brotli", "brotli")])
@async_test()
async def test_compressed_endpoints(httpbin: Any, path: str, key: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin.url + path) as resp:
            data = await resp.json()
    assert data[key] is True


@async_test()
async def test_streaming_endpoints(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin.url + "/stream/20") as resp:
            lines = [line async for line in resp.content]
        assert len(lines) == 20
        async with session.get(httpbin.url + "/bytes/5000", params={"seed": "1"}) as resp:
            body = await resp.read()
        assert len(body) == 5000
        async with session.get(httpbin.url + "/stream-bytes/10000", params={"chunk_size": "999"}) as resp:
            pieces = [p async for p in resp.content.iter_chunked(1024)]
        assert sum(map(len, pieces)) == 10000
        async with session.get(httpbin.url + "/drip", params={"numbytes": "5", "duration": "0.2", "delay": "0"}) as resp:
            assert await resp.read() == b"*****"


@async_test()
async def test_delay_and_timeout(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(httpbin.url + "/delay/3", timeout=aiohttp.ClientTimeout(total=0.5))
        with pytest.raises(aiohttp.SocketTimeoutError):
            await session.get(httpbin.url + "/delay/3", timeout=aiohttp.ClientTimeout(sock_read=0.5))
        assert_pool_clean(session.connector)


@async_test()
async def test_encoding_utf8_text(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin.url + "/encoding/utf8") as resp:
            assert resp.charset == "utf-8"
            text = await resp.text()
    assert "∮ E⋅da = Q" in text


@async_test()
async def test_head_and_options(httpbin: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.head(httpbin.url + "/get") as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        async with session.options(httpbin.url + "/get") as resp:
            assert resp.status == 200
            assert "GET" in resp.headers.get("Allow", "")


@async_test()
async def test_https(httpbin_secure: Any) -> None:
    from pytest_httpbin import certs

    context = ssl.create_default_context(cafile=certs.where())
    async with aiohttp.ClientSession() as session:
        async with session.get(httpbin_secure.url + "/get", ssl=context) as resp:
            assert (await resp.json())["url"].startswith("https://")
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(httpbin_secure.url + "/get")
        async with session.get(httpbin_secure.url + "/get", ssl=False) as resp:
            assert resp.status == 200
