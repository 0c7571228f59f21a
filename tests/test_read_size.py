"""Reads of at most 64 KiB on asyncio's socket transports (fasthttp/read_size.py), client and
server: asyncio's own 256 KiB reads cost glibc an mmap, mremap and munmap per small message.

Checked on real connections on 127.0.0.1: the transport a response arrived on and the one a
handler's request arrived on have the smaller read size; a body many times that size still
arrives whole and intact, on both sides; a transport without the setting (uvloop's) is left
alone."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

import fasthttp as aiohttp
from client_servers import async_test, web_server
from fasthttp import web
from fasthttp.read_size import READ_SIZE, use_small_reads
from web_helpers import app_with, running

BIG = bytes(range(256)) * (5 * 4096 + 17)  # ~5 MiB, not a multiple of any read size


@async_test()
async def test_a_client_connection_reads_at_most_64_kib_and_a_large_body_arrives_whole() -> None:
    from aiohttp import web as aioweb

    async def big(request: Any) -> Any:
        return aioweb.Response(body=BIG)

    app = aioweb.Application()
    app.router.add_get("/big", big)
    async with web_server(app) as base:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/big") as resp:
                assert resp.connection is not None
                transport = resp.connection.transport
                assert transport is not None
                assert transport.max_size == READ_SIZE  # type: ignore[attr-defined]
                pieces = [chunk async for chunk in resp.content.iter_any()]
    assert max(map(len, pieces)) <= READ_SIZE
    assert hashlib.sha256(b"".join(pieces)).digest() == hashlib.sha256(BIG).digest()


@async_test()
async def test_a_server_connection_reads_at_most_64_kib_and_a_large_upload_arrives_whole() -> None:
    seen: dict[str, Any] = {}

    async def upload(request: web.Request) -> web.Response:
        seen["max_size"] = request.transport.max_size  # type: ignore[union-attr]
        body = await request.read()
        return web.Response(text=hashlib.sha256(body).hexdigest())

    app = app_with(web.post("/up", upload), client_max_size=len(BIG) * 2)
    async with running(app, web) as port:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{port}/up", data=BIG) as resp:
                assert resp.status == 200
                assert await resp.text() == hashlib.sha256(BIG).hexdigest()
    assert seen["max_size"] == READ_SIZE


def test_a_transport_without_the_setting_or_already_smaller_is_left_alone() -> None:
    class NoSetting(asyncio.Transport):
        pass

    class Smaller(asyncio.Transport):
        max_size = 4096

    plain = NoSetting()
    use_small_reads(plain)
    assert not hasattr(plain, "max_size")
    smaller = Smaller()
    use_small_reads(smaller)
    assert smaller.max_size == 4096


@async_test()
async def test_uvloop_connections_work_unchanged() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(body=BIG)

    async def scenario() -> bytes:
        async with running(app_with(web.get("/", hello)), web) as port:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/") as resp:
                    return await resp.read()

    loop = uvloop.new_event_loop()
    try:
        body = await asyncio.get_running_loop().run_in_executor(
            None, lambda: loop.run_until_complete(asyncio.wait_for(scenario(), 20))
        )
    finally:
        loop.close()
    assert body == BIG
