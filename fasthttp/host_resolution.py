"""A host's addresses for TCPConnector: IP literals as they are, names from the DNS cache
(`ttl_dns_cache`, at most `dns_cache_max_size` names) or from the resolver, with aiohttp's
tracing signals (cache hit/miss, resolvehost start/end).

Requests for a name no answer is cached for share one lookup, in a task of its own that each
waits on through a shield: a request cancelled meanwhile leaves it (and the others waiting on
it) untouched, where cancelling the lookup would throw CancelledError into requests nobody
cancelled. Only a new connection comes here: a reused one needs no address.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from typing import TYPE_CHECKING, Any, Coroutine, Optional, Sequence, TypeVar

from .bounded import Expired, bounded, keep
from .client_exceptions import (
    ClientConnectionError,
    ClientConnectorDNSError,
    ConnectionKey,
    ConnectionTimeoutError,
)
from .resolver import AbstractResolver, ResolveResult

if TYPE_CHECKING:
    from .tracing import Trace

__all__ = ("NameResolution", "is_ip_address")

_T = TypeVar("_T")
_CacheKey = tuple[str, int]


@functools.lru_cache(maxsize=1024)  # (bounded: a crawler meets host names without end)
def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class NameResolution:
    """The DNS cache and the lookups under way, in front of one resolver."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        resolver: AbstractResolver,
        *,
        use_cache: bool,
        ttl: Optional[float],
        max_size: int,
        family: int,
    ) -> None:
        if max_size < 1:
            raise ValueError("dns_cache_max_size must be at least 1")
        self._loop = loop
        self._resolver = resolver
        self.use_cache = use_cache
        self._ttl = ttl
        self._max_size = max_size
        self._family = socket.AddressFamily(family)  # (what resolvers are given)
        self.closed = False
        # (host, port) -> (addresses, expiry in loop time), oldest first.
        self.cache: dict[_CacheKey, tuple[list[ResolveResult], float]] = {}
        self._pending: dict[_CacheKey, asyncio.Task[list[ResolveResult]]] = {}

    def clear(self, host: Optional[str] = None, port: Optional[int] = None) -> None:
        if host is None:
            self.cache.clear()
        elif port is None:
            for cached in [k for k in self.cache if k[0] == host]:
                del self.cache[cached]
        else:
            self.cache.pop((host, port), None)

    def known(self, host: str, port: int) -> Optional[list[ResolveResult]]:
        """The addresses for host without a lookup (an IP literal, a fresh cache entry)."""
        if is_ip_address(host):
            address = host.strip("[]")
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [ResolveResult(
                hostname=host, host=address, port=port, family=family, proto=0, flags=0
            )]
        if self.use_cache:
            cached = self.cache.get((host, port))
            if cached is not None and (self._ttl is None or cached[1] > self._loop.time()):
                return cached[0]
        return None

    async def resolve(
        self,
        key: ConnectionKey,
        port: int,
        deadline: Optional[float],
        traces: Optional[Sequence[Trace]],
    ) -> list[ResolveResult]:
        """The addresses for key's host by `deadline` (loop time): ConnectionTimeoutError
        after it, ClientConnectorDNSError when the resolver fails."""
        host = key.host
        hosts = self.known(host, port)
        if hosts is not None:
            if traces is not None and not is_ip_address(host):
                await _trace_dns(traces, host, True, self.use_cache)
            return hosts
        lookup: Coroutine[Any, Any, list[ResolveResult]]
        if self.use_cache:
            shared, joining = self._shared_lookup(host, port)
            lookup = _shielded(shared)
        else:
            joining = False
            lookup = self._ask_resolver(host, port)
        if traces is not None:
            # A request that joins a lookup under way hears a cache hit, as in aiohttp.
            try:
                await _trace_dns(traces, host, joining, self.use_cache)
            except BaseException:
                lookup.close()
                raise
        try:
            hosts = await bounded(
                lookup, None if deadline is None else deadline - self._loop.time(), keep
            )
        except Expired:
            raise ConnectionTimeoutError(f"Connection timeout to host {host}:{key.port}") from None
        except ClientConnectionError:
            raise
        except OSError as exc:
            raise ClientConnectorDNSError(key, exc) from exc
        if traces is not None and not joining:
            for trace in traces:
                await trace.send_dns_resolvehost_end(host)
        return hosts

    def _shared_lookup(self, host: str, port: int) -> tuple[asyncio.Task[list[ResolveResult]], bool]:
        """The lookup every request for (host, port) waits on, and whether it was already
        under way. Registered before any await, so a request arriving while the first one is
        still sending its trace signals joins it."""
        cache_key = (host, port)
        pending = self._pending.get(cache_key)
        if pending is not None:
            return pending, True
        pending = self._loop.create_task(self._ask_resolver(host, port))
        pending.add_done_callback(_retrieve)
        self._pending[cache_key] = pending
        return pending, False

    async def _ask_resolver(self, host: str, port: int) -> list[ResolveResult]:
        try:
            if self.closed:
                raise ClientConnectionError("Connector is closed.")
            hosts = await self._resolver.resolve(host, port, family=self._family)
        finally:
            self._pending.pop((host, port), None)
        if not hosts:
            raise socket.gaierror(socket.EAI_NONAME, "no address found")
        if self.use_cache:
            expires = float("inf") if self._ttl is None else self._loop.time() + self._ttl
            cache = self.cache
            if len(cache) >= self._max_size and (host, port) not in cache:
                del cache[next(iter(cache))]  # the oldest entry makes room (bounded memory)
            cache[(host, port)] = (hosts, expires)
        return hosts


async def _shielded(task: "asyncio.Task[_T]") -> _T:
    """Wait for a task shared with other requests: cancelling the wait leaves it running."""
    return await asyncio.shield(task)


def _retrieve(task: "asyncio.Future[Any]") -> None:
    """Mark a shared task's failure as seen: the requests that waited may all have gone."""
    if not task.cancelled():
        task.exception()


async def _trace_dns(traces: Sequence[Trace], host: str, cached: bool, use_cache: bool) -> None:
    """The DNS signals before a lookup (aiohttp's order): a cache hit (an answer in the cache,
    or a lookup of the same name already under way), or a miss and the start of the lookup
    (resolvehost_end follows it)."""
    for trace in traces:
        if cached:
            await trace.send_dns_cache_hit(host)
            continue
        if use_cache:
            await trace.send_dns_cache_miss(host)
        await trace.send_dns_resolvehost_start(host)
