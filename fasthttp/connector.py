"""Connectors: where connections come from and go back to (aiohttp's TCPConnector API).

The pool keeps idle keep-alive connections per ConnectionKey (host, port, TLS settings), reusing
the most recently used first (it is the least likely to have been closed by the server). Limits:
`limit` connections in use in all, `limit_per_host` per key (0: no limit). A request that finds
no room waits in one FIFO queue; a waiter woken and then cancelled passes its turn on, so a
cancellation never strands the others.

The fast path, an idle connection ready for the key, involves no await and no allocation but
the Connection handle.

A new connection is made under the request's deadline applied to each step in turn (the name
lookup, each connection attempt with `sock_connect`), never under a timeout nested in
another, and a cancelled or expired step closes whatever it still produces (_bounded): every
transport made is handed out, pooled or closed.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import ipaddress
import socket
import ssl as ssl_module
import warnings
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Optional, Sequence, TypeVar, Union

from .client_exceptions import (
    ClientConnectionError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ConnectionKey,
    ConnectionTimeoutError,
)
from .arguments import merge_ssl, refuse
from .protocol import ResponseHandler

if TYPE_CHECKING:
    from .tracing import Trace

__all__ = ("BaseConnector", "TCPConnector", "Connection")

SSLSetting = Union[bool, ssl_module.SSLContext, None]
_T = TypeVar("_T")
_NOT_GIVEN: Any = object()


class Connection:
    """One acquired connection; `release()` gives it back to the pool, `close()` drops it."""

    __slots__ = ("_connector", "_key", "_protocol", "_reused")

    def __init__(
        self,
        connector: "BaseConnector",
        key: ConnectionKey,
        protocol: ResponseHandler,
        reused: bool,
    ) -> None:
        self._connector: Optional[BaseConnector] = connector
        self._key = key
        self._protocol: Optional[ResponseHandler] = protocol
        self._reused = reused

    def __repr__(self) -> str:
        return f"Connection<{self._key}>"

    @property
    def key(self) -> ConnectionKey:
        return self._key

    @property
    def reused(self) -> bool:
        """Taken from the pool (so it may have been closed by the server meanwhile)."""
        return self._reused

    @property
    def protocol(self) -> Optional[ResponseHandler]:
        return self._protocol

    @property
    def transport(self) -> Optional[asyncio.Transport]:
        return None if self._protocol is None else self._protocol.transport

    @property
    def closed(self) -> bool:
        return self._protocol is None or self._protocol.closed

    def release(self) -> None:
        """Back to the pool if the exchange ended cleanly, else closed."""
        protocol, connector = self._protocol, self._connector
        if protocol is not None and connector is not None:
            self._protocol = self._connector = None
            connector._release(self._key, protocol, protocol.is_reusable())

    def close(self) -> None:
        protocol, connector = self._protocol, self._connector
        if protocol is not None and connector is not None:
            self._protocol = self._connector = None
            connector._release(self._key, protocol, False)


class _Reservation:
    """Holds a slot in the limits while a new connection is being made."""

    __slots__ = ()


class BaseConnector:
    """The pool and its limits; subclasses make the connections."""

    def __init__(
        self,
        *,
        keepalive_timeout: Optional[float] = 15.0,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        timeout_ceil_threshold: float = 5,
    ) -> None:
        if enable_cleanup_closed:
            refuse("enable_cleanup_closed")
        if timeout_ceil_threshold != 5:
            refuse("timeout_ceil_threshold", "(timeouts are not rounded)")
        if force_close and keepalive_timeout not in (None, 15.0):
            raise ValueError("keepalive_timeout cannot be set if force_close is True")
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._keepalive_timeout = 0.0 if force_close or keepalive_timeout is None else keepalive_timeout
        self._force_close = force_close
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._closed = False
        self._idle: dict[ConnectionKey, list[tuple[ResponseHandler, float]]] = {}
        self._acquired: set[Any] = set()
        self._acquired_per_host: collections.defaultdict[ConnectionKey, set[Any]] = (
            collections.defaultdict(set)
        )
        self._waiters: collections.deque[tuple[ConnectionKey, asyncio.Future[None]]] = (
            collections.deque()
        )
        self._cleanup_handle: Optional[asyncio.TimerHandle] = None

    def __del__(self, _warnings: Any = warnings) -> None:
        if getattr(self, "_closed", True) or not self._idle and not self._acquired:
            return
        _warnings.warn(f"Unclosed connector {self!r}", ResourceWarning, source=self)

    async def __aenter__(self) -> "BaseConnector":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # --- properties (aiohttp's) -------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def limit_per_host(self) -> int:
        return self._limit_per_host

    @property
    def force_close(self) -> bool:
        return self._force_close

    # --- lifecycle ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Close every connection, idle or in use."""
        if self._closed:
            return
        self._closed = True
        if self._cleanup_handle is not None:
            self._cleanup_handle.cancel()
            self._cleanup_handle = None
        protocols = [p for idle in self._idle.values() for p, _ in idle]
        protocols += [p for p in self._acquired if isinstance(p, ResponseHandler)]
        self._idle.clear()
        self._acquired.clear()
        self._acquired_per_host.clear()
        for protocol in protocols:
            protocol.close()
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(ClientConnectionError("Connector is closed."))
        self._waiters.clear()
        for protocol in protocols:
            if protocol.transport is not None:
                await protocol.wait_closed()

    # --- acquiring ---------------------------------------------------------------------------

    def _has_room(self, key: ConnectionKey) -> bool:
        if self._limit and len(self._acquired) >= self._limit:
            return False
        if self._limit_per_host and len(self._acquired_per_host[key]) >= self._limit_per_host:
            return False
        return True

    def _take_idle(self, key: ConnectionKey) -> Optional[ResponseHandler]:
        idle = self._idle.get(key)
        if not idle:
            return None
        now = self._loop.time()
        while idle:
            protocol, expires = idle.pop()
            if expires > now and protocol.is_reusable():
                if not idle:
                    del self._idle[key]
                return protocol
            protocol.close()
        del self._idle[key]
        return None

    async def connect(
        self,
        key: ConnectionKey,
        timeout: Any = None,
        *,
        deadline: Optional[float] = None,
        traces: Optional[Sequence[Trace]] = None,
    ) -> Connection:
        """A connection for key: an idle one, a new one, or the next one freed.

        `timeout` is a ClientTimeout (its `connect` and `sock_connect` apply) or None;
        `deadline` (loop time) is the request's total deadline, which bounds the wait too.
        `traces`: the request's tracing hooks (queued, create, reuse, DNS signals), if any.
        """
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        if self._has_room(key):  # the fast path: no timeout arithmetic
            protocol = self._take_idle(key)
            if protocol is not None:
                self._acquired.add(protocol)
                self._acquired_per_host[key].add(protocol)
                if traces is not None:
                    for trace in traces:
                        await trace.send_connection_reuseconn()
                return Connection(self, key, protocol, True)
        connect_timeout = None if timeout is None else timeout.connect
        sock_connect = None if timeout is None else timeout.sock_connect
        if connect_timeout is not None:
            connect_deadline = self._loop.time() + connect_timeout
            if deadline is None or connect_deadline < deadline:
                deadline = connect_deadline
        while True:
            if self._has_room(key):
                protocol = self._take_idle(key)
                if protocol is not None:
                    self._acquired.add(protocol)
                    self._acquired_per_host[key].add(protocol)
                    if traces is not None:
                        for trace in traces:
                            await trace.send_connection_reuseconn()
                    return Connection(self, key, protocol, True)
                if traces is None:
                    return await self._connect_new(key, deadline, sock_connect, None)
                for trace in traces:
                    await trace.send_connection_create_start()
                connection = await self._connect_new(key, deadline, sock_connect, traces)
                for trace in traces:
                    await trace.send_connection_create_end()
                return connection
            if traces is None:
                await self._wait_for_room(key, deadline, connect_timeout)
                continue
            for trace in traces:
                await trace.send_connection_queued_start()
            await self._wait_for_room(key, deadline, connect_timeout)
            for trace in traces:
                await trace.send_connection_queued_end()

    async def _wait_for_room(
        self, key: ConnectionKey, deadline: Optional[float], connect_timeout: Optional[float]
    ) -> None:
        waiter: asyncio.Future[None] = self._loop.create_future()
        entry = (key, waiter)
        self._waiters.append(entry)
        timer = None
        if deadline is not None:
            timer = self._loop.call_at(
                deadline,
                _expire,
                waiter,
                ConnectionTimeoutError(
                    f"Connection timeout: no free connection within {connect_timeout} s"
                ),
            )
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._wake_next()  # we were woken but leave: the turn goes on
            else:
                try:
                    self._waiters.remove(entry)
                except ValueError:
                    pass
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _wake_next(self) -> None:
        """Wake the first waiter whose key has room (FIFO among the eligible)."""
        waiters = self._waiters
        for index, (key, waiter) in enumerate(waiters):
            if waiter.done():
                continue
            if self._has_room(key):
                del waiters[index]
                waiter.set_result(None)
                return

    async def _connect_new(
        self,
        key: ConnectionKey,
        deadline: Optional[float],
        sock_connect: Optional[float],
        traces: Optional[Sequence[Trace]],
    ) -> Connection:
        reservation = _Reservation()
        self._acquired.add(reservation)
        self._acquired_per_host[key].add(reservation)
        try:
            # The deadline goes down to each step rather than around the whole: a timeout
            # wrapped around another one (asyncio.wait_for in wait_for) drops, when the outer
            # is cancelled just as the inner completes, the connection the inner made: a socket
            # nobody tracks any more.
            protocol = await self._create_connection(key, sock_connect, deadline, traces)
        except BaseException:
            self._drop_reservation(key, reservation)
            self._wake_next()
            raise
        self._drop_reservation(key, reservation)
        if self._closed:
            protocol.close()
            raise ClientConnectionError("Connector is closed.")
        self._acquired.add(protocol)
        self._acquired_per_host[key].add(protocol)
        return Connection(self, key, protocol, False)

    def _drop_reservation(self, key: ConnectionKey, reservation: _Reservation) -> None:
        self._acquired.discard(reservation)
        per_host = self._acquired_per_host.get(key)
        if per_host is not None:
            per_host.discard(reservation)
            if not per_host:
                del self._acquired_per_host[key]

    # --- releasing ---------------------------------------------------------------------------

    def _release(self, key: ConnectionKey, protocol: ResponseHandler, reusable: bool) -> None:
        if self._closed:
            protocol.close()
            return
        self._acquired.discard(protocol)
        per_host = self._acquired_per_host.get(key)
        if per_host is not None:
            per_host.discard(protocol)
            if not per_host:
                del self._acquired_per_host[key]
        if reusable and not self._force_close and self._keepalive_timeout > 0:
            expires = self._loop.time() + self._keepalive_timeout
            idle = self._idle.get(key)
            if idle is None:
                self._idle[key] = [(protocol, expires)]
            else:
                idle.append((protocol, expires))
            if self._cleanup_handle is None:
                self._cleanup_handle = self._loop.call_at(expires, self._cleanup)
        else:
            protocol.close()
        if self._waiters:
            self._wake_next()

    def _cleanup(self) -> None:
        """Close idle connections past their keep-alive time."""
        self._cleanup_handle = None
        now = self._loop.time()
        next_expiry = None
        for key in list(self._idle):
            kept = []
            for protocol, expires in self._idle[key]:
                if expires <= now or protocol.closed:
                    protocol.close()
                else:
                    kept.append((protocol, expires))
                    if next_expiry is None or expires < next_expiry:
                        next_expiry = expires
            if kept:
                self._idle[key] = kept
            else:
                del self._idle[key]
        if next_expiry is not None:
            self._cleanup_handle = self._loop.call_at(next_expiry, self._cleanup)

    async def _create_connection(
        self,
        key: ConnectionKey,
        sock_connect: Optional[float],
        deadline: Optional[float],
        traces: Optional[Sequence[Trace]] = None,
    ) -> ResponseHandler:
        """A new connection for key, made by `deadline` (loop time), each attempt within
        `sock_connect` seconds; ConnectionTimeoutError otherwise."""
        raise NotImplementedError


class _Expired(Exception):
    """_bounded's time ran out (not an OSError: a socket's own ETIMEDOUT stays apart)."""


async def _bounded(
    coro: Coroutine[Any, Any, _T], timeout: Optional[float], discard: Callable[[_T], None]
) -> _T:
    """Await coro for at most `timeout` seconds (None: no limit); _Expired when it runs out.

    Unlike asyncio.wait_for on Python 3.11, a cancellation of the caller is never swallowed,
    and whatever the abandoned coroutine still produces (a connection made just as the caller
    was cancelled or timed out) is given to `discard` instead of being dropped.
    """
    if timeout is None:
        return await coro  # no task in between: nothing can complete unseen
    if timeout <= 0:
        coro.close()
        raise _Expired()
    task = asyncio.ensure_future(coro)
    try:
        done, _ = await asyncio.wait((task,), timeout=timeout)
    except BaseException:
        _abandon(task, discard)
        raise
    if not done:
        _abandon(task, discard)
        raise _Expired()
    return task.result()


def _abandon(task: "asyncio.Future[_T]", discard: Callable[[_T], None]) -> None:
    """Stop a task whose caller has gone; discard its result if it still produces one."""

    def settle(done: "asyncio.Future[_T]") -> None:
        if done.cancelled():
            return
        if done.exception() is None:  # (retrieving it also keeps asyncio from logging it)
            discard(done.result())

    task.cancel()
    if task.done():
        settle(task)
    else:
        task.add_done_callback(settle)


def _close_transport(result: tuple[asyncio.BaseTransport, Any]) -> None:
    result[0].close()


def _keep(result: Any) -> None:
    pass


def _retrieve(task: "asyncio.Future[Any]") -> None:
    """Mark a shared task's failure as seen: the requests that waited may all have gone."""
    if not task.cancelled():
        task.exception()


def _expire(waiter: asyncio.Future[None], exc: BaseException) -> None:
    if not waiter.done():
        waiter.set_exception(exc)


async def _trace_dns(traces: Sequence[Trace], host: str, cached: bool, use_cache: bool) -> None:
    """The DNS signals before a lookup (aiohttp's order): a cache hit, or a miss and the start
    of the lookup (resolvehost_end follows it)."""
    for trace in traces:
        if cached:
            await trace.send_dns_cache_hit(host)
            continue
        if use_cache:
            await trace.send_dns_cache_miss(host)
        await trace.send_dns_resolvehost_start(host)


@functools.lru_cache(maxsize=None)
def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=None)
def _default_ssl_context(verify: bool) -> ssl_module.SSLContext:
    """The two default contexts, each built once per process (building one costs ~ms)."""
    if verify:
        return ssl_module.create_default_context()
    context = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl_module.CERT_NONE
    return context


class TCPConnector(BaseConnector):
    """Connections over TCP (and TLS), with a DNS cache."""

    def __init__(
        self,
        *,
        verify_ssl: bool = True,
        fingerprint: Any = None,
        ssl: SSLSetting = True,
        ssl_context: Optional[ssl_module.SSLContext] = None,
        use_dns_cache: bool = True,
        ttl_dns_cache: Optional[float] = 10,
        dns_cache_max_size: int = 1000,
        family: int = 0,
        local_addr: Optional[tuple[str, int]] = None,
        resolver: Any = None,
        happy_eyeballs_delay: Optional[float] = 0.25,
        interleave: Optional[int] = None,
        socket_factory: Any = None,
        ssl_shutdown_timeout: Any = _NOT_GIVEN,
        keepalive_timeout: Optional[float] = 15.0,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        timeout_ceil_threshold: float = 5,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
    ) -> None:
        super().__init__(
            keepalive_timeout=keepalive_timeout,
            force_close=force_close,
            limit=limit,
            limit_per_host=limit_per_host,
            enable_cleanup_closed=enable_cleanup_closed,
            loop=loop,
            timeout_ceil_threshold=timeout_ceil_threshold,
        )
        # What is not built refuses, naming itself (fasthttp.arguments).
        if fingerprint is not None:
            refuse("fingerprint", "(certificate pinning: use an ssl.SSLContext)")
        if resolver is not None:
            refuse("resolver", "(the loop's getaddrinfo resolves)")
        if happy_eyeballs_delay not in (0.25, None):
            # Addresses are tried one after the other: happy_eyeballs_delay=None's behaviour.
            refuse("happy_eyeballs_delay")
        if interleave is not None:
            refuse("interleave")
        if socket_factory is not None:
            refuse("socket_factory")
        if ssl_shutdown_timeout is not _NOT_GIVEN:
            refuse("ssl_shutdown_timeout", "(deprecated by aiohttp)")
        if not verify_ssl or ssl_context is not None:
            ssl = merge_ssl(ssl, verify_ssl, ssl_context)  # aiohttp's older spellings of ssl=
        if dns_cache_max_size < 1:
            raise ValueError("dns_cache_max_size must be at least 1")
        self._dns_cache_max_size = dns_cache_max_size
        if ssl is None:
            ssl = True
        if not isinstance(ssl, (bool, ssl_module.SSLContext)):
            from .foreign_objects import ssl_from

            ssl = ssl_from(ssl)  # aiohttp's Fingerprint refused by name; others: TypeError
        self._ssl = ssl
        self._use_dns_cache = use_dns_cache
        self._ttl_dns_cache = ttl_dns_cache
        self._family = family
        self._local_addr = local_addr
        self._dns_cache: dict[tuple[str, int], tuple[list[tuple[int, str, int]], float]] = {}
        self._dns_pending: dict[tuple[str, int], asyncio.Future[list[tuple[int, str, int]]]] = {}
        self._parser_limits = (max_line_size, max_field_size, max_headers)

    @property
    def family(self) -> int:
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        return self._use_dns_cache

    @property
    def ssl(self) -> SSLSetting:
        return self._ssl

    def clear_dns_cache(self, host: Optional[str] = None, port: Optional[int] = None) -> None:
        if host is None:
            self._dns_cache.clear()
        elif port is None:
            for cached in [k for k in self._dns_cache if k[0] == host]:
                del self._dns_cache[cached]
        else:
            self._dns_cache.pop((host, port), None)

    def ssl_context(self, setting: Any) -> Optional[ssl_module.SSLContext]:
        """The SSLContext for a request's ssl= setting (None or True: the connector's).

        A request's ssl=True (the default) defers to the connector's `ssl`, as in aiohttp:
        else TCPConnector(ssl=context) or TCPConnector(ssl=False) would be ignored.
        """
        if setting is None or setting is True:
            setting = self._ssl
        if isinstance(setting, ssl_module.SSLContext):
            return setting
        return _default_ssl_context(bool(setting))

    def _known_addresses(self, host: str, port: int) -> Optional[list[tuple[int, str, int]]]:
        """The addresses for host without a lookup (an IP literal, a fresh cache entry)."""
        if _is_ip_address(host):
            address = host.strip("[]")
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, address, port)]
        if self._use_dns_cache:
            cached = self._dns_cache.get((host, port))
            if cached is not None and (
                self._ttl_dns_cache is None or cached[1] > self._loop.time()
            ):
                return cached[0]
        return None

    async def _resolve(self, host: str, port: int) -> list[tuple[int, str, int]]:
        addresses = self._known_addresses(host, port)
        if addresses is not None:
            return addresses
        return await self._lookup(host, port)

    async def _lookup(self, host: str, port: int) -> list[tuple[int, str, int]]:
        if not self._use_dns_cache:
            return await self._getaddrinfo(host, port)
        cache_key = (host, port)
        pending = self._dns_pending.get(cache_key)
        if pending is None:
            # One lookup per name, in a task of its own that every request for the name waits
            # on through a shield: a request cancelled meanwhile leaves it (and the others
            # waiting on it) untouched, where cancelling the lookup would have thrown
            # CancelledError into requests nobody cancelled.
            pending = self._loop.create_task(self._getaddrinfo(host, port))
            pending.add_done_callback(_retrieve)
            self._dns_pending[cache_key] = pending
        return await asyncio.shield(pending)

    async def _getaddrinfo(self, host: str, port: int) -> list[tuple[int, str, int]]:
        try:
            infos = await self._loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, family=self._family
            )
        finally:
            self._dns_pending.pop((host, port), None)
        addresses: list[tuple[int, str, int]] = [
            (int(info[0]), str(info[4][0]), int(info[4][1])) for info in infos
        ]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "no address found")
        if self._use_dns_cache:
            expires = (
                float("inf") if self._ttl_dns_cache is None
                else self._loop.time() + self._ttl_dns_cache
            )
            cache = self._dns_cache
            if len(cache) >= self._dns_cache_max_size and (host, port) not in cache:
                del cache[next(iter(cache))]  # the oldest entry makes room (bounded memory)
            cache[(host, port)] = (addresses, expires)
        return addresses

    async def _create_connection(
        self,
        key: ConnectionKey,
        sock_connect: Optional[float],
        deadline: Optional[float],
        traces: Optional[Sequence[Trace]] = None,
    ) -> ResponseHandler:
        loop = self._loop
        port = key.port or (443 if key.is_ssl else 80)
        addresses = self._known_addresses(key.host, port)
        if traces is not None and not _is_ip_address(key.host):
            await _trace_dns(traces, key.host, addresses is not None, self._use_dns_cache)
        if addresses is None:
            try:
                addresses = await _bounded(
                    self._lookup(key.host, port),
                    None if deadline is None else deadline - loop.time(),
                    _keep,
                )
            except _Expired:
                raise ConnectionTimeoutError(
                    f"Connection timeout to host {key.host}:{key.port}"
                ) from None
            except OSError as exc:
                raise ClientConnectorDNSError(key, exc) from exc
            if traces is not None:
                for trace in traces:
                    await trace.send_dns_resolvehost_end(key.host)
        ssl_context = self.ssl_context(key.ssl) if key.is_ssl else None
        server_hostname = (key.server_hostname or key.host) if ssl_context is not None else None
        max_line_size, max_field_size, max_headers = self._parser_limits

        def factory() -> ResponseHandler:
            return ResponseHandler(
                loop,
                max_line_size=max_line_size,
                max_field_size=max_field_size,
                max_headers=max_headers,
            )

        last_error: Optional[OSError] = None
        for family, address, port in addresses:
            attempt = loop.create_connection(
                factory,
                address,
                port,
                ssl=ssl_context,
                server_hostname=server_hostname,
                family=family,
                local_addr=self._local_addr,
            )
            # One bound per attempt: sock_connect, or what is left of the deadline if less.
            limit = sock_connect
            by_deadline = False
            if deadline is not None:
                left = deadline - loop.time()
                if limit is None or left < limit:
                    limit, by_deadline = left, True
            try:
                _, protocol = await _bounded(attempt, limit, _close_transport)
            except _Expired:
                if by_deadline:
                    raise ConnectionTimeoutError(
                        f"Connection timeout to host {key.host}:{key.port}"
                    ) from None
                raise ConnectionTimeoutError(
                    f"Connection timeout to host {key.host}:{key.port} ({sock_connect} s)"
                ) from None
            except ssl_module.SSLCertVerificationError as exc:
                raise ClientConnectorCertificateError(key, exc) from exc
            except ssl_module.CertificateError as exc:
                raise ClientConnectorCertificateError(key, exc) from exc
            except ssl_module.SSLError as exc:
                raise ClientConnectorSSLError(key, exc) from exc
            except OSError as exc:
                last_error = exc
                continue
            return protocol
        assert last_error is not None
        raise ClientConnectorError(key, last_error) from last_error
