"""A session that meets host names without end (a crawler) holds a bounded amount for them.

The session keeps small caches per URL and per host (checked URLs, Host header values, pool
keys, prepared heads and plain calls) and the resolver's front remembers which names are IP
literals. Each must stay bounded however many hosts are met: 600 names here, all resolved to
one server on 127.0.0.1 by a table resolver, each asked for the long way (with headers) and
the short way (the URL alone)."""

from __future__ import annotations

import socket
from typing import Any

import fasthttp.abc
import fasthttp as aiohttp
from client_servers import RawServer, async_test, keep_alive, response
from fasthttp.host_resolution import is_ip_address

HOSTS = 600


class AllToOneServer(fasthttp.abc.AbstractResolver):
    """Every name resolves to the test server."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
        return [{
            "hostname": host, "host": "127.0.0.1", "port": self.port, "family": socket.AF_INET,
            "proto": 0, "flags": socket.AI_NUMERICHOST,
        }]

    async def close(self) -> None:
        pass


@async_test(timeout=60)
async def test_a_session_meeting_600_hosts_keeps_every_cache_bounded() -> None:
    async with RawServer(keep_alive(lambda request: response(200, b"ok"))) as server:
        port = server.port
        connector = aiohttp.TCPConnector(resolver=AllToOneServer(port), limit=20, ttl_dns_cache=None)
        async with aiohttp.ClientSession(connector=connector) as session:
            for i in range(HOSTS):
                url = f"http://host-{i}.test:{port}/page"
                for kwargs in ({"headers": {"X-Crawl": str(i)}}, {}, {}):
                    async with session.get(url, **kwargs) as resp:
                        assert resp.status == 200
                        assert await resp.read() == b"ok"
            caches = {
                "checked URLs": session._checked_urls,
                "Host headers": session._host_headers,
                "pool keys": session._connection_keys,
                "prepared heads": session._prepared_heads,
                "plain calls": session._plain_requests,
            }
            sizes = {name: len(cache) for name, cache in caches.items()}
            assert all(size <= 512 for size in sizes.values()), sizes
            assert sizes["Host headers"] < HOSTS, sizes
    info = is_ip_address.cache_info()
    assert info.maxsize is not None and info.currsize <= info.maxsize, info


class Unreachable(fasthttp.abc.AbstractResolver):
    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
        raise OSError(None, f"{host}: no such host")

    async def close(self) -> None:
        pass


@async_test(timeout=60)
async def test_hosts_that_never_answer_leave_nothing_in_the_pool() -> None:
    connector = aiohttp.TCPConnector(resolver=Unreachable(), limit_per_host=2)
    async with aiohttp.ClientSession(connector=connector) as session:
        for i in range(300):
            try:
                await session.get(f"http://gone-{i}.test/")
            except aiohttp.ClientConnectorError:
                pass
            else:
                raise AssertionError("the request to an unresolvable host succeeded")
        assert len(connector._acquired_per_host) == 0, len(connector._acquired_per_host)
        assert len(connector._idle) == 0
