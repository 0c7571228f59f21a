"""Happy Eyeballs (RFC 8305) in TCPConnector: happy_eyeballs_delay, interleave, socket_factory.

A dead address here is a listening socket on 127.0.0.1 whose accept queue is full and never
drained: the kernel drops further SYNs, so a connection attempt hangs (as to a blackholed
host) instead of being refused. A name resolves (through a custom resolver) to the dead
address first and a live one second.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any, Iterator

import aiohttp as real_aiohttp
import pytest

import fasthttp as aiohttp
from client_servers import RawServer, assert_pool_clean, async_test, keep_alive, response
from test_client_resolvers import TableResolver

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


@contextlib.contextmanager
def blackhole(host: str = "127.0.0.1") -> Iterator[int]:
    """A port on host where a connection attempt hangs; yields the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family)
    server.bind((host, 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue (and the SYN queue behind it)
            filler = socket.socket(family)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect((host, port))
            fillers.append(filler)
        time.sleep(0.05)
        probe = socket.socket(family)
        probe.settimeout(0.3)
        try:
            with pytest.raises(TimeoutError):
                probe.connect((host, port))  # the premise: an attempt hangs, not refused
        finally:
            probe.close()
        yield port
    finally:
        for filler in fillers:
            filler.close()
        server.close()


def _server(host: str = "127.0.0.1") -> RawServer:
    return RawServer(keep_alive(lambda r: response(200, b"live")), host=host)


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_the_live_address_wins_within_the_delay(client: Any) -> None:
    async with _server() as server:
        with blackhole() as dead:
            resolver = TableResolver({"dual.test": [("127.0.0.1", dead), ("127.0.0.1", server.port)]})
            connector = client.TCPConnector(resolver=resolver, happy_eyeballs_delay=0.2)
            async with client.ClientSession(connector=connector) as session:
                started = time.monotonic()
                async with session.get(f"http://dual.test:{server.port}/") as resp:
                    assert await resp.read() == b"live"
                elapsed = time.monotonic() - started
                if client is aiohttp:
                    assert_pool_clean(connector)
    # The second attempt starts after the delay, not after the first one gives up.
    assert 0.2 <= elapsed < 2.0, elapsed


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_without_happy_eyeballs_the_dead_address_is_waited_for(client: Any) -> None:
    """happy_eyeballs_delay=None: one address after the other, so the hanging first one uses up
    sock_connect before the live one is tried; with only the dead one, the timeout."""
    async with _server() as server:
        with blackhole() as dead:
            table = {
                "dual.test": [("127.0.0.1", dead), ("127.0.0.1", server.port)],
                "dead.test": [("127.0.0.1", dead)],
            }
            connector = client.TCPConnector(resolver=TableResolver(table), happy_eyeballs_delay=None)
            timeout = client.ClientTimeout(sock_connect=0.5)
            async with client.ClientSession(connector=connector, timeout=timeout) as session:
                started = time.monotonic()
                async with session.get(f"http://dual.test:{server.port}/") as resp:
                    assert await resp.read() == b"live"
                assert time.monotonic() - started >= 0.5
                with pytest.raises(client.ConnectionTimeoutError):
                    await session.get(f"http://dead.test:{server.port}/")
                if client is aiohttp:
                    assert_pool_clean(connector)
    assert server.accepted == 1


def _recording_factory(attempts: list[tuple[int, Any]]) -> Any:
    def factory(addr_info: Any) -> socket.socket:
        family, type_, proto, _, address = addr_info
        attempts.append((family, address[1]))
        sock = socket.socket(family, type_, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock

    return factory


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("interleave,tries_before_live", [(None, 1), (1, 1), (2, 2)])
@async_test()
async def test_interleave_orders_the_attempts_by_family(
    client: Any, interleave: Any, tries_before_live: int
) -> None:
    """Two dead IPv4 addresses, then a live IPv6 one: interleave=1 (the default with Happy
    Eyeballs) alternates families, so IPv6 is second; interleave=2 tries two IPv4 first."""
    async with _server("::1") as server:
        with blackhole() as dead_a, blackhole() as dead_b:
            resolver = TableResolver({"dual.test": [
                ("127.0.0.1", dead_a), ("127.0.0.1", dead_b), ("::1", server.port),
            ]})
            attempts: list[tuple[int, Any]] = []
            connector = client.TCPConnector(
                resolver=resolver, happy_eyeballs_delay=0.1, interleave=interleave,
                socket_factory=_recording_factory(attempts),
            )
            async with client.ClientSession(connector=connector) as session:
                async with session.get(f"http://dual.test:{server.port}/") as resp:
                    assert await resp.read() == b"live"
    assert attempts[tries_before_live] == (socket.AF_INET6, server.port), attempts
    assert all(family == socket.AF_INET for family, _ in attempts[:tries_before_live])


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_socket_factory_makes_the_connection_socket(client: Any) -> None:
    """The factory's socket is the one connected: bound by it to 127.0.0.3, the server sees
    the connection come from there."""
    made: list[Any] = []

    def factory(addr_info: Any) -> socket.socket:
        family, type_, proto, _, _ = addr_info
        sock = socket.socket(family, type_, proto)
        sock.bind(("127.0.0.3", 0))
        made.append(addr_info)
        return sock

    peers: list[str] = []

    async def handler(conn: Any) -> None:
        peers.append(conn.writer.get_extra_info("peername")[0])
        await keep_alive(lambda r: response(200, b"live"))(conn)

    async with RawServer(handler) as server:
        connector = client.TCPConnector(socket_factory=factory)
        async with client.ClientSession(connector=connector) as session:
            async with session.get(server.url()) as resp:
                assert await resp.read() == b"live"
    assert peers == ["127.0.0.3"]
    assert [info[4][1] for info in made] == [server.port]


@async_test()
async def test_a_failing_socket_factory_is_a_connector_error() -> None:
    def factory(addr_info: Any) -> socket.socket:
        raise OSError(13, "no sockets for you")

    connector = aiohttp.TCPConnector(socket_factory=factory)
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientConnectorError, match="no sockets for you"):
            await session.get("http://127.0.0.1:9/")
        assert_pool_clean(connector)


@async_test()
async def test_bad_happy_eyeballs_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="happy_eyeballs_delay"):
        aiohttp.TCPConnector(happy_eyeballs_delay=-1)
    with pytest.raises(ValueError, match="interleave"):
        aiohttp.TCPConnector(interleave=0)
    await asyncio.sleep(0)
