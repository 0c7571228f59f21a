"""TCPConnector: keep-alive reuse, limits, fair waiters, expiry, close, stale connections."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import fasthttp as aiohttp
from client_servers import (
    Conn,
    RawServer,
    Request,
    assert_pool_clean,
    async_test,
    idle_count,
    keep_alive,
    response,
)


class Holder:
    """Keep-alive server answering with the target; /hold gets a body that is completed only
    when `release()` is called, so the client's connection stays acquired until then."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def release(self) -> None:
        self.event.set()

    def server(self) -> RawServer:
        async def handler(conn: Conn) -> None:
            while True:
                request = await conn.read_request()
                if request is None:
                    return
                if request.target == "/hold":
                    await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhe")
                    await self.event.wait()
                    await conn.send(b"ld")
                else:
                    await conn.send(response(200, request.target.encode()))

        return RawServer(handler)


class Gauge:
    """Counts requests in progress at the server, and the most seen at once."""

    def __init__(self) -> None:
        self.now = 0
        self.max = 0

    def route(self, delay: float = 0.0) -> Any:
        async def route(request: Request) -> bytes:
            self.now += 1
            self.max = max(self.max, self.now)
            try:
                await asyncio.sleep(delay)
            finally:
                self.now -= 1
            return response(200, request.target.encode())

        return route


@async_test()
async def test_keep_alive_reuses_one_connection() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(20):
                async with session.get(server.url()) as resp:
                    assert await resp.read() == b"ok"
            # Awaited and read without a context manager: also returned.
            for _ in range(5):
                resp = await session.get(server.url())
                await resp.text()
            assert idle_count(session.connector) == 1
            assert_pool_clean(session.connector)
    assert server.accepted == 1
    assert len(server.requests) == 25


@async_test()
async def test_connection_close_response_is_not_reused() -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(response(200, b"bye", headers={"Connection": "close"}))

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.get(server.url()) as resp:
                    assert await resp.read() == b"bye"
            assert idle_count(session.connector) == 0
            assert_pool_clean(session.connector)
    assert server.accepted == 3


@async_test()
async def test_limit_is_respected() -> None:
    gauge = Gauge()
    async with RawServer(keep_alive(gauge.route(0.02))) as server:
        connector = aiohttp.TCPConnector(limit=3)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(i: int) -> bytes:
                async with session.get(server.url(f"/{i}")) as resp:
                    return await resp.read()

            bodies = await asyncio.gather(*(one(i) for i in range(30)))
            assert bodies == [f"/{i}".encode() for i in range(30)]
            assert_pool_clean(connector)
            assert idle_count(connector) == 3
    assert gauge.max == 3
    assert server.accepted == 3


@async_test()
async def test_limit_per_host_is_respected() -> None:
    gauges = [Gauge(), Gauge()]
    async with RawServer(keep_alive(gauges[0].route(0.02))) as s1, RawServer(
        keep_alive(gauges[1].route(0.02))
    ) as s2:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=2)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(server: RawServer, i: int) -> None:
                async with session.get(server.url(f"/{i}")) as resp:
                    await resp.read()

            await asyncio.gather(*(one(s, i) for i in range(20) for s in (s1, s2)))
            assert_pool_clean(connector)
    assert gauges[0].max == 2 and gauges[1].max == 2
    assert s1.accepted == 2 and s2.accepted == 2


@async_test()
async def test_waiters_are_served_in_fifo_order() -> None:
    hold = Holder()
    async with hold.server() as server:
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as session:
            holder = await session.get(server.url("/hold"))  # unfinished: holds the slot
            order: list[str] = []

            async def one(name: str) -> None:
                async with session.get(server.url(f"/{name}")) as resp:
                    order.append((await resp.read()).decode())

            tasks = []
            for name in "abcdef":
                tasks.append(asyncio.ensure_future(one(name)))
                await asyncio.sleep(0.01)  # queued in this order
            assert len(connector._waiters) == 6
            hold.release()
            assert await holder.read() == b"held"  # frees the slot
            await asyncio.gather(*tasks)
            assert order == [f"/{name}" for name in "abcdef"]
            assert_pool_clean(connector)
    assert server.accepted == 1


@async_test()
async def test_cancelled_waiter_does_not_strand_others() -> None:
    hold = Holder()
    async with hold.server() as server:
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as session:
            holder = await session.get(server.url("/hold"))

            async def one(name: str) -> bytes:
                async with session.get(server.url(f"/{name}")) as resp:
                    return await resp.read()

            a = asyncio.ensure_future(one("a"))
            await asyncio.sleep(0.01)
            b = asyncio.ensure_future(one("b"))
            await asyncio.sleep(0.01)
            c = asyncio.ensure_future(one("c"))
            await asyncio.sleep(0.01)
            # Cancelled while waiting.
            a.cancel()
            await asyncio.sleep(0.01)
            # Woken and cancelled in the same turn: its turn must pass on to c.
            assert len(connector._waiters) == 2
            await holder.content.readexactly(2)
            hold.release()
            await holder.content.readexactly(2)  # the body ends: the slot frees, b is woken
            assert len(connector._waiters) == 1
            b.cancel()
            assert await asyncio.wait_for(c, 3) == b"/c"
            for task in (a, b):
                with pytest.raises(asyncio.CancelledError):
                    await task
            assert_pool_clean(connector)
            assert not connector._waiters


@async_test()
async def test_force_close_opens_a_connection_per_request() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(4):
                async with session.get(server.url()) as resp:
                    await resp.read()
            assert idle_count(connector) == 0
            assert_pool_clean(connector)
            assert await server.wait_open_count(0) == 0
    assert server.accepted == 4


@async_test()
async def test_keepalive_timeout_expiry_closes_idle_connections() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        # 1 s: the 0.1 s pause below must stay well inside it on a loaded machine (a loop
        # stalled past the expiry runs the expiry first).
        connector = aiohttp.TCPConnector(keepalive_timeout=1.0)
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(server.url()) as resp:
                await resp.read()
            assert idle_count(connector) == 1
            assert server.open_count == 1
            await asyncio.sleep(0.1)
            async with session.get(server.url()) as resp:  # still alive: reused
                await resp.read()
            released = loop.time()
            assert server.accepted == 1
            while idle_count(connector) and loop.time() < released + 10:  # until it expires
                await asyncio.sleep(0.05)
            assert idle_count(connector) == 0
            assert loop.time() - released >= 1.0  # not before its time
            assert await server.wait_open_count(0) == 0
            async with session.get(server.url()) as resp:
                await resp.read()
            assert server.accepted == 2


@async_test()
async def test_connector_close_closes_every_socket() -> None:
    async def handler(conn: Conn) -> None:
        while True:
            request = await conn.read_request()
            if request is None:
                return
            if request.target == "/hold":
                await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
            else:
                await conn.send(response(200, b"ok"))

    async with RawServer(handler) as server:
        connector = aiohttp.TCPConnector()
        session = aiohttp.ClientSession(connector=connector)
        held = [await session.get(server.url("/hold")) for _ in range(3)]
        for _ in range(2):
            async with session.get(server.url("/idle")) as resp:
                await resp.read()
        assert server.open_count == 4  # 3 held + 1 idle
        await session.close()
        assert connector.closed
        assert await server.wait_open_count(0) == 0
        for resp in held:
            with pytest.raises(aiohttp.ClientError):
                await resp.read()
        with pytest.raises(RuntimeError):
            await session.get(server.url())


@async_test()
async def test_shared_connector_not_owned_survives_session_close() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        connector = aiohttp.TCPConnector()
        async with aiohttp.ClientSession(connector=connector, connector_owner=False) as session:
            async with session.get(server.url()) as resp:
                await resp.read()
        assert not connector.closed
        async with aiohttp.ClientSession(connector=connector, connector_owner=False) as session:
            async with session.get(server.url()) as resp:
                await resp.read()
        assert server.accepted == 1
        await connector.close()
        assert await server.wait_open_count(0) == 0


def stale_server() -> RawServer:
    """Answers the first request on each connection; closes the second without answering (a
    keep-alive connection the server dropped just as the client reused it)."""

    async def handler(conn: Conn) -> None:
        request = await conn.read_request()
        assert request is not None
        data = response(200, b"first")
        if request.method == "HEAD":
            data = data[: data.index(b"\r\n\r\n") + 4]
        await conn.send(data)
        await conn.read_request()

    return RawServer(handler)


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
@async_test()
async def test_stale_keepalive_connection_is_retried_for_idempotent(method: str) -> None:
    async with stale_server() as server:
        async with aiohttp.ClientSession() as session:
            async with session.request(method, server.url("/1")) as resp:
                await resp.read()
            async with session.request(method, server.url("/2")) as resp:
                assert resp.status == 200
                if method != "HEAD":
                    assert await resp.read() == b"first"
            assert_pool_clean(session.connector)
    assert server.accepted == 2
    assert [r.target for r in server.requests] == ["/1", "/2", "/2"]


@pytest.mark.parametrize("same_url", [False, True])
@async_test()
async def test_stale_retry_takes_a_new_connection_not_another_pooled_one(same_url: bool) -> None:
    # Four pooled connections, every one of them dropped by the server on its next request
    # (as tinyproxy does: it closes after each response without Connection: close). A retry
    # that took the next idle connection would fail just the same; it must dial a new one.
    # same_url: the last request is one asked for before (the session's prepared way).
    async with stale_server() as server:
        async with aiohttp.ClientSession() as session:
            async def first(index: int) -> None:
                path = "/again" if same_url else f"/open{index}"
                async with session.get(server.url(path)) as resp:
                    assert await resp.read() == b"first"

            await asyncio.gather(*(first(index) for index in range(4)))
            assert server.accepted == 4
            assert idle_count(session.connector) == 4
            async with session.get(server.url("/again")) as resp:
                assert resp.status == 200
                assert await resp.read() == b"first"
            assert server.accepted == 5
            assert_pool_clean(session.connector)
    assert [r.target for r in server.requests].count("/again") == (6 if same_url else 2)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@async_test()
async def test_stale_keepalive_connection_is_not_retried_for_post(method: str) -> None:
    async with stale_server() as server:
        async with aiohttp.ClientSession() as session:
            async with session.request(method, server.url("/1"), data=b"x") as resp:
                await resp.read()
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await session.request(method, server.url("/2"), data=b"y")
            assert_pool_clean(session.connector)
    assert server.accepted == 1
    assert [r.body for r in server.requests] == [b"x", b"y"]


@async_test()
async def test_fresh_connection_failure_is_not_retried() -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()  # then close without answering

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await session.get(server.url())
            assert_pool_clean(session.connector)
    assert server.accepted == 1


@async_test()
async def test_idle_connection_closed_by_server_is_not_reused() -> None:
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(response(200, b"once"))  # keep-alive by the headers, then closed

    async with RawServer(handler) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.get(server.url()) as resp:
                    assert await resp.read() == b"once"
                await asyncio.sleep(0.05)  # the client notices the close
            assert_pool_clean(session.connector)
    assert server.accepted == 3


@async_test(timeout=60)
async def test_500_concurrent_requests_through_limit_10() -> None:
    gauge = Gauge()
    async with RawServer(keep_alive(gauge.route(0.0))) as server:
        connector = aiohttp.TCPConnector(limit=10)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(i: int) -> bytes:
                async with session.get(server.url(f"/{i}")) as resp:
                    return await resp.read()

            bodies = await asyncio.gather(*(one(i) for i in range(500)))
            assert bodies == [f"/{i}".encode() for i in range(500)]
            assert_pool_clean(connector)
            assert idle_count(connector) <= 10
            assert server.open_count == idle_count(connector)
            # Mixed: some read whole, some released half-read, some failing; still clean.
            async def mixed(i: int) -> None:
                resp = await session.get(server.url(f"/{i}"))
                if i % 3 == 0:
                    await resp.read()
                elif i % 3 == 1:
                    resp.release()
                else:
                    resp.close()

            await asyncio.gather(*(mixed(i) for i in range(300)))
            assert_pool_clean(connector)
    assert gauge.max <= 10
    assert server.accepted <= 10 + 200  # closes open new connections, never more than 10 at once


@async_test()
async def test_dns_cache_and_localhost() -> None:
    async with RawServer(keep_alive(lambda r: response(200, b"ok"))) as server:
        connector = aiohttp.TCPConnector(family=__import__("socket").AF_INET)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(server.url(host="localhost")) as resp:
                assert await resp.read() == b"ok"
            assert ("localhost", server.port) in connector._dns_cache
            connector.clear_dns_cache()
            assert not connector._dns_cache
