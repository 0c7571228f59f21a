"""Name resolution: TCPConnector(resolver=...), ThreadedResolver, AsyncResolver (aiodns), the DNS
cache in front of them and the DNS tracing signals, side by side with aiohttp.

Every name here resolves to 127.0.0.1 / ::1: custom resolvers answer from a table, and the
system and c-ares resolvers are only asked for "localhost" (answered from /etc/hosts or by
c-ares itself, without a query on the network).
"""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any

import aiohttp as real_aiohttp
import aiohttp.abc as real_abc
import pytest

import fasthttp as aiohttp
import fasthttp.abc
from client_servers import RawServer, assert_pool_clean, async_test, keep_alive, response

CLIENTS = [pytest.param(aiohttp, id="fasthttp"), pytest.param(real_aiohttp, id="aiohttp")]


class TableResolver(fasthttp.abc.AbstractResolver, real_abc.AbstractResolver):
    """Answers from a table {name: [(ip, port), ...]}; counts the lookups. Both libraries'
    AbstractResolver, so one resolver drives both clients."""

    def __init__(self, table: dict[str, list[tuple[str, int]]], delay: float = 0.0) -> None:
        self.table = table
        self.delay = delay
        self.calls: list[tuple[str, int, int]] = []
        self.closed = False

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
        self.calls.append((host, port, int(family)))
        if self.delay:
            await asyncio.sleep(self.delay)
        if host not in self.table:
            raise OSError(None, f"{host} is not in the table")
        return [
            {
                "hostname": host, "host": ip, "port": ip_port,
                "family": socket.AF_INET6 if ":" in ip else socket.AF_INET,
                "proto": 0, "flags": socket.AI_NUMERICHOST,
            }
            for ip, ip_port in self.table[host]
        ]

    async def close(self) -> None:
        self.closed = True


def _server() -> RawServer:
    return RawServer(keep_alive(lambda r: response(200, (r.header("host") or "").encode())))


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_custom_resolver_decides_where_a_name_goes(client: Any) -> None:
    async with _server() as server:
        resolver = TableResolver({"service.test": [("127.0.0.1", server.port)]})
        connector = client.TCPConnector(resolver=resolver)
        async with client.ClientSession(connector=connector) as session:
            for _ in range(3):
                async with session.get(f"http://service.test:{server.port}/") as resp:
                    assert await resp.text() == f"service.test:{server.port}"
            if client is aiohttp:
                assert_pool_clean(connector)
        # One lookup (then a reused connection, no lookup), with the connector's family (0).
        assert resolver.calls == [("service.test", server.port, 0)]
        assert server.accepted == 1
        # A resolver given to the connector is the caller's: the connector leaves it open.
        assert not resolver.closed


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_the_dns_cache_sits_in_front_of_the_resolver(client: Any) -> None:
    async with _server() as server:
        url = f"http://service.test:{server.port}/"
        for kwargs, lookups in (({}, 1), ({"use_dns_cache": False}, 3), ({"ttl_dns_cache": 0.05}, 3)):
            resolver = TableResolver({"service.test": [("127.0.0.1", server.port)]})
            connector = client.TCPConnector(resolver=resolver, force_close=True, **kwargs)
            async with client.ClientSession(connector=connector) as session:
                for _ in range(3):
                    async with session.get(url) as resp:
                        assert resp.status == 200
                    await asyncio.sleep(0.1)
            assert len(resolver.calls) == lookups, kwargs


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_resolver_failures_are_client_connector_dns_errors(client: Any) -> None:
    class Empty(TableResolver):
        async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> Any:
            raise OSError(None, "no such name here")

    for resolver in (TableResolver({}), Empty({})):
        connector = client.TCPConnector(resolver=resolver)
        async with client.ClientSession(connector=connector) as session:
            with pytest.raises(client.ClientConnectorDNSError) as info:
                await session.get("http://nowhere.test:9/")
            assert info.value.host == "nowhere.test" and info.value.port == 9
            assert isinstance(info.value.os_error, OSError)


@async_test()
async def test_an_empty_answer_is_a_dns_error_not_a_crash() -> None:
    connector = aiohttp.TCPConnector(resolver=TableResolver({"empty.test": []}))
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientConnectorDNSError):
            await session.get("http://empty.test:9/")
        assert_pool_clean(connector)


@async_test()
async def test_a_resolver_must_resolve_and_close() -> None:
    with pytest.raises(TypeError, match="resolver"):
        aiohttp.TCPConnector(resolver=object())  # type: ignore[arg-type]


@async_test()
async def test_the_connector_closes_the_resolver_it_made_only() -> None:
    connector = aiohttp.TCPConnector()
    assert isinstance(connector._resolver, aiohttp.DefaultResolver)
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    connector._resolver.close = close  # type: ignore[method-assign]
    await connector.close()
    assert closed == [True]


def test_the_default_resolver_is_the_threaded_one() -> None:
    assert aiohttp.DefaultResolver is aiohttp.ThreadedResolver
    assert issubclass(aiohttp.ThreadedResolver, fasthttp.abc.AbstractResolver)
    assert issubclass(aiohttp.AsyncResolver, fasthttp.abc.AbstractResolver)


def _shape(results: list[Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (r["hostname"], r["host"], r["port"], int(r["family"]), r["flags"]) for r in results
    )


@async_test()
async def test_threaded_resolver_answers_as_aiohttps() -> None:
    ours = aiohttp.ThreadedResolver()
    theirs = real_aiohttp.ThreadedResolver()
    for family in (socket.AF_UNSPEC, socket.AF_INET):
        got = await ours.resolve("localhost", 8080, family=family)
        assert got and all(set(r) == {"hostname", "host", "port", "family", "proto", "flags"} for r in got)
        assert _shape(got) == _shape(await theirs.resolve("localhost", 8080, family=family))
    with pytest.raises(OSError):
        await ours.resolve("", 80)
    await ours.close()
    await theirs.close()


@async_test()
async def test_async_resolver_on_aiodns_answers_as_aiohttps_and_connects() -> None:
    pytest.importorskip("aiodns")
    ours = aiohttp.AsyncResolver()
    theirs = real_aiohttp.AsyncResolver()
    try:
        got = await ours.resolve("localhost", 8080, family=socket.AF_INET)
        assert _shape(got) == _shape(await theirs.resolve("localhost", 8080, family=socket.AF_INET))
        assert [r["host"] for r in got] == ["127.0.0.1"]
    finally:
        await theirs.close()
    async with _server() as server:
        connector = aiohttp.TCPConnector(resolver=ours, family=socket.AF_INET)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(f"http://localhost:{server.port}/") as resp:
                assert await resp.text() == f"localhost:{server.port}"
    await ours.close()


@async_test()
async def test_async_resolver_failure_is_an_oserror() -> None:
    """A c-ares failure reaches the connector as an OSError (a ClientConnectorDNSError for the
    request). The only name server is 127.0.0.1, where nothing answers: no query leaves."""
    pytest.importorskip("aiodns")
    resolver = aiohttp.AsyncResolver(nameservers=["127.0.0.1"], timeout=0.2, tries=1)
    connector = aiohttp.TCPConnector(resolver=resolver)
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp.ClientConnectorDNSError):
            await session.get("http://no-such-name.invalid:9/")
    await resolver.close()


@async_test()
async def test_async_resolver_without_aiodns_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiodns", None)  # what an installation without it sees
    with pytest.raises(RuntimeError, match="aiodns"):
        aiohttp.AsyncResolver()


# --- tracing -------------------------------------------------------------------------------------


def _dns_recorder(client: Any, events: list[str]) -> Any:
    config = client.TraceConfig()
    for name in ("dns_resolvehost_start", "dns_resolvehost_end", "dns_cache_hit", "dns_cache_miss"):

        async def record(session: Any, ctx: Any, params: Any, name: str = name) -> None:
            events.append(f"{name}:{params.host}")

        getattr(config, f"on_{name}").append(record)
    return config


async def _dns_events(client: Any, port: int, concurrent: bool, **kwargs: Any) -> list[str]:
    events: list[str] = []
    resolver = TableResolver({"service.test": [("127.0.0.1", port)]}, delay=0.05)
    connector = client.TCPConnector(resolver=resolver, force_close=True, **kwargs)
    async with client.ClientSession(
        connector=connector, trace_configs=[_dns_recorder(client, events)]
    ) as session:

        async def one() -> None:
            async with session.get(f"http://service.test:{port}/") as resp:
                await resp.read()

        if concurrent:
            await asyncio.gather(one(), one())
        else:
            await one()
            await one()
        # An IP literal is no lookup: no DNS signal at all.
        async with session.get(f"http://127.0.0.1:{port}/") as resp:
            await resp.read()
    return events


@pytest.mark.parametrize("concurrent", [False, True], ids=["sequential", "concurrent"])
@pytest.mark.parametrize("use_dns_cache", [True, False])
@async_test()
async def test_dns_signals_as_aiohttp_sends_them(concurrent: bool, use_dns_cache: bool) -> None:
    async with _server() as server:
        ours = await _dns_events(aiohttp, server.port, concurrent, use_dns_cache=use_dns_cache)
        theirs = await _dns_events(real_aiohttp, server.port, concurrent, use_dns_cache=use_dns_cache)
    assert sorted(ours) == sorted(theirs)
    if not concurrent:
        assert ours == theirs
    if use_dns_cache:
        # A miss and one lookup, then a hit (a cached answer, or joining the lookup under way).
        assert sorted(ours) == sorted([
            "dns_cache_miss:service.test", "dns_resolvehost_start:service.test",
            "dns_resolvehost_end:service.test", "dns_cache_hit:service.test",
        ])
    else:
        assert ours.count("dns_resolvehost_start:service.test") == 2


@pytest.mark.parametrize("client", CLIENTS)
@async_test()
async def test_a_hanging_resolver_is_bounded_by_the_connect_timeout(client: Any) -> None:
    resolver = TableResolver({"slow.test": [("127.0.0.1", 9)]}, delay=30)
    connector = client.TCPConnector(resolver=resolver)
    timeout = client.ClientTimeout(connect=0.3)
    async with client.ClientSession(connector=connector, timeout=timeout) as session:
        started = asyncio.get_running_loop().time()
        with pytest.raises(client.ConnectionTimeoutError):
            await session.get("http://slow.test:9/")
        assert asyncio.get_running_loop().time() - started < 2
        if client is aiohttp:
            assert_pool_clean(connector)
