"""Name resolution (aiohttp's resolver interface): what TCPConnector asks for a host's addresses.

`AbstractResolver.resolve(host, port, family)` returns a list of ResolveResult dicts (aiohttp's
shape: hostname, host, port, family, proto, flags) or raises OSError; `close()` releases it.
ThreadedResolver (the default) runs the standard library's getaddrinfo in the loop's executor,
so /etc/hosts and the system's configuration apply; AsyncResolver asks c-ares through aiodns
(the `aiodns` extra). TCPConnector caches the answers (ttl_dns_cache) and calls its resolver
only for a new connection to a name it has no fresh answer for.
"""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from typing import Any, Optional, TypedDict

__all__ = (
    "AbstractResolver",
    "AsyncResolver",
    "DefaultResolver",
    "ResolveResult",
    "ThreadedResolver",
)

# Addresses the connector receives are numeric: it can connect without another lookup.
_NUMERIC_FLAGS = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_NAME_INFO_FLAGS = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
# Only the families the machine has an address of (no IPv6 answers on an IPv4-only host).
_AI_ADDRCONFIG = socket.AI_ADDRCONFIG & getattr(socket, "AI_MASK", -1)


class ResolveResult(TypedDict):
    """One address of a name (aiohttp's ResolveResult)."""

    hostname: str
    host: str
    port: int
    family: int
    proto: int
    flags: int


class AbstractResolver(ABC):
    """What TCPConnector(resolver=...) accepts."""

    @abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of host (OSError when there are none)."""

    @abstractmethod
    async def close(self) -> None:
        """Release what the resolver holds."""


def _result(hostname: str, host: str, port: int, family: int, proto: int) -> ResolveResult:
    return ResolveResult(
        hostname=hostname, host=host, port=port, family=family, proto=proto, flags=_NUMERIC_FLAGS
    )


class ThreadedResolver(AbstractResolver):
    """getaddrinfo in the loop's default executor (a thread)."""

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._loop = loop if loop is not None else asyncio.get_running_loop()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await self._loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=_AI_ADDRCONFIG
        )
        results: list[ResolveResult] = []
        for info_family, _, proto, _, address in infos:
            if info_family == socket.AF_INET6:
                if len(address) < 3:
                    continue  # an interpreter built without IPv6
                if address[3]:
                    # A link-local address: its scope must travel with it ("fe80::1%eth0").
                    name, service = await self._loop.getnameinfo(address, _NAME_INFO_FLAGS)
                    results.append(_result(host, name, int(service), info_family, proto))
                    continue
            elif info_family != socket.AF_INET:
                continue
            results.append(_result(host, str(address[0]), int(address[1]), info_family, proto))
        return results

    async def close(self) -> None:
        pass


class AsyncResolver(AbstractResolver):
    """c-ares through aiodns (`pip install fasthttp[aiodns]`); extra arguments go to
    aiodns.DNSResolver (nameservers=, timeout=, tries=, ...)."""

    def __init__(
        self, loop: Optional[asyncio.AbstractEventLoop] = None, *args: Any, **kwargs: Any
    ) -> None:
        try:
            import aiodns
        except ImportError:
            raise RuntimeError(
                "AsyncResolver requires the aiodns library: pip install 'fasthttp[aiodns]'"
            ) from None
        self._aiodns: Any = aiodns
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        if len(args) < 2:  # (nameservers, loop, ...) positionally: the loop is given
            kwargs.setdefault("loop", self._loop)
        self._resolver: Any = aiodns.DNSResolver(*args, **kwargs)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._resolver is None:
            raise RuntimeError("the resolver is closed")
        try:
            answer = await self._resolver.getaddrinfo(
                host, port=port, type=socket.SOCK_STREAM, family=family, flags=_AI_ADDRCONFIG
            )
        except self._aiodns.error.DNSError as exc:
            # The connector turns OSError into ClientConnectorDNSError, as for getaddrinfo.
            message = exc.args[1] if len(exc.args) > 1 else "DNS lookup failed"
            raise OSError(exc.args[0] if exc.args else None, message) from exc
        results: list[ResolveResult] = []
        for node in answer.nodes:
            address = node.addr
            name = address[0].decode("ascii") if isinstance(address[0], bytes) else address[0]
            if node.family == socket.AF_INET6 and len(address) > 3 and address[3]:
                info = await self._resolver.getnameinfo((name, *address[1:]), _NAME_INFO_FLAGS)
                name = info.node
            elif node.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            results.append(_result(host, name, int(address[1]), int(node.family), 0))
        if not results:
            raise OSError(None, "DNS lookup failed")
        return results

    async def close(self) -> None:
        resolver, self._resolver = self._resolver, None
        if resolver is not None:
            await resolver.close()


# The resolver a TCPConnector makes when given none: the system's, as the standard library
# sees it. (aiohttp picks AsyncResolver when aiodns is importable; fasthttp keeps the system
# resolver whatever happens to be installed, and AsyncResolver is one argument away.)
DefaultResolver = ThreadedResolver
