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
another, and a cancelled or expired step closes whatever it still produces (bounded.py): every
transport made is handed out, pooled or closed. Name resolution (the DNS cache, shared lookups)
is host_resolution.py; resolvers are resolver.py; the TLS context and pin are tls_settings.py.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import socket
import ssl as ssl_module
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Optional, Sequence, Union

import aiohappyeyeballs
from aiohappyeyeballs import AddrInfoType, SocketFactoryType

from .client_exceptions import (
    ClientConnectionError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientProxyConnectionError,
    ConnectionKey,
    ConnectionTimeoutError,
    ServerFingerprintMismatch,
)
from .arguments import check_ssl, merge_ssl, refuse
from .bounded import Expired, bounded
from .fingerprint import Fingerprint
from .host_resolution import NameResolution
from .protocol import ResponseHandler
from .resolver import AbstractResolver, DefaultResolver, ResolveResult
from .tls_settings import connection_tls, ssl_context_for, tls_failure

if TYPE_CHECKING:
    from .proxy import Tunnel
    from .tracing import Trace

__all__ = ("BaseConnector", "TCPConnector", "Connection")
# (UnixConnector and NamedPipeConnector: connector_unix.py.)

SSLSetting = Union[bool, ssl_module.SSLContext, None]
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
        if getattr(self, "_closed", True) or not any(self._idle.values()) and not self._acquired:
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

    async def close(self, *, abort_ssl: bool = False) -> None:
        """Close every connection, idle or in use; TLS ones without the closing handshake
        when abort_ssl (aiohttp's)."""
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
            protocol.close(abort=abort_ssl and _is_tls(protocol))
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
                # An emptied list stays (until _cleanup): under load a key's list empties
                # and refills all the time, and each removal and re-insertion would hash
                # the key again (a proxy's holds a URL, whose hash is Python code).
                return protocol
            protocol.close()
        del self._idle[key]
        return None

    def _reuse_idle(self, key: ConnectionKey) -> Optional[Connection]:
        """An idle pooled connection for key, taken at once, or None (connect() then waits
        for room or dials). Not a coroutine: the common keep-alive request creates none here.
        Tracing sessions go through connect(), which sends the reuse signal."""
        if self._closed:
            return None
        limit = self._limit
        if limit and len(self._acquired) >= limit or self._limit_per_host and not self._has_room(key):
            return None
        protocol = self._take_idle(key)
        if protocol is None:
            return None
        self._acquired.add(protocol)
        if self._limit_per_host:
            self._acquired_per_host[key].add(protocol)
        return Connection(self, key, protocol, True)

    async def connect(
        self,
        key: ConnectionKey,
        timeout: Any = None,
        *,
        deadline: Optional[float] = None,
        traces: Optional[Sequence[Trace]] = None,
        tunnel: Optional[Tunnel] = None,
        fresh: bool = False,
    ) -> Connection:
        """A connection for key: an idle one, a new one, or the next one freed.

        `timeout` is a ClientTimeout (its `connect` and `sock_connect` apply) or None;
        `deadline` (loop time) is the request's total deadline, which bounds the wait too.
        `traces`: the request's tracing hooks (queued, create, reuse, DNS signals), if any.
        `tunnel`: for a key through a proxy's CONNECT tunnel, how to open one (proxy.py).
        `fresh`: a new connection only, never an idle one (the retry on a stale connection).
        """
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        if not fresh and self._has_room(key):  # the fast path: no timeout arithmetic
            protocol = self._take_idle(key)
            if protocol is not None:
                self._acquired.add(protocol)
                if self._limit_per_host:
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
                protocol = None if fresh else self._take_idle(key)
                if protocol is not None:
                    self._acquired.add(protocol)
                    if self._limit_per_host:
                        self._acquired_per_host[key].add(protocol)
                    if traces is not None:
                        for trace in traces:
                            await trace.send_connection_reuseconn()
                    return Connection(self, key, protocol, True)
                if traces is None:
                    return await self._connect_new(key, deadline, sock_connect, None, tunnel)
                for trace in traces:
                    await trace.send_connection_create_start()
                connection = await self._connect_new(key, deadline, sock_connect, traces, tunnel)
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
        tunnel: Optional[Tunnel] = None,
    ) -> Connection:
        reservation = _Reservation()
        self._acquired.add(reservation)
        if self._limit_per_host:
            self._acquired_per_host[key].add(reservation)
        try:
            # The deadline goes down to each step rather than around the whole: a timeout
            # wrapped around another one (asyncio.wait_for in wait_for) drops, when the outer
            # is cancelled just as the inner completes, the connection the inner made: a socket
            # nobody tracks any more.
            if tunnel is None:
                if key.proxy is not None:
                    traces = None  # the proxy's name lookup is not traced (aiohttp's rule)
                protocol = await self._create_connection(key, sock_connect, deadline, traces)
            else:
                protocol = await self._create_tunnel(key, tunnel, sock_connect, deadline)
        except BaseException:
            self._drop_reservation(key, reservation)
            self._wake_next()
            raise
        self._drop_reservation(key, reservation)
        if self._closed:
            protocol.close()
            raise ClientConnectionError("Connector is closed.")
        self._acquired.add(protocol)
        if self._limit_per_host:
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
        if self._limit_per_host:  # (else nothing is counted per host)
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

    async def _create_tunnel(
        self,
        key: ConnectionKey,
        tunnel: Tunnel,
        sock_connect: Optional[float],
        deadline: Optional[float],
    ) -> ResponseHandler:
        """A new connection for key through a proxy's CONNECT tunnel."""
        refuse("proxy", f"with {type(self).__name__} (tunnels go through a TCPConnector)")


async def open_bounded(
    loop: asyncio.AbstractEventLoop,
    key: ConnectionKey,
    open_: Callable[[], Coroutine[Any, Any, tuple[asyncio.Transport, ResponseHandler]]],
    sock_connect: Optional[float],
    deadline: Optional[float],
    os_error: Callable[[OSError], ClientConnectorError],
) -> tuple[asyncio.Transport, ResponseHandler]:
    """One connection attempt, bounded by sock_connect or what is left of the deadline if
    less, its failures as aiohttp's errors (`os_error` wraps a plain OSError)."""
    limit = sock_connect
    by_deadline = False
    if deadline is not None:
        left = deadline - loop.time()
        if limit is None or left < limit:
            limit, by_deadline = left, True
    try:
        return await bounded(open_(), limit, _close_transport)
    except Expired:
        if by_deadline:
            raise ConnectionTimeoutError(
                f"Connection timeout to host {key.host}:{key.port}"
            ) from None
        raise ConnectionTimeoutError(
            f"Connection timeout to host {key.host}:{key.port} ({sock_connect} s)"
        ) from None
    except ssl_module.SSLError as exc:
        raise tls_failure(key, exc) from exc
    except OSError as exc:
        raise os_error(exc) from exc
    except RuntimeError as exc:  # uvloop's connect failures
        raise os_error(OSError(None, str(exc))) from exc


def _is_tls(protocol: ResponseHandler) -> bool:
    transport = protocol.transport
    return transport is not None and transport.get_extra_info("sslcontext") is not None


def _close_transport(result: tuple[asyncio.BaseTransport, Any]) -> None:
    result[0].close()


def _expire(waiter: asyncio.Future[None], exc: BaseException) -> None:
    if not waiter.done():
        waiter.set_exception(exc)


def _addr_infos(hosts: Sequence[ResolveResult], family: int) -> list[AddrInfoType]:
    """A resolver's answers as getaddrinfo tuples (what aiohappyeyeballs connects to), keeping
    the connector's family only when it asks for one."""
    infos: list[AddrInfoType] = []
    for entry in hosts:
        host = entry["host"]
        is_ipv6 = ":" in host
        entry_family = socket.AF_INET6 if is_ipv6 else socket.AF_INET
        if family and family != entry_family:
            continue
        address = (host, entry["port"], 0, 0) if is_ipv6 else (host, entry["port"])
        infos.append((entry_family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address))
    return infos


async def _open_socket_then_transport(
    loop: asyncio.AbstractEventLoop,
    connect: Callable[[], Coroutine[Any, Any, socket.socket]],
    factory: Callable[[], ResponseHandler],
    tls: dict[str, Any],
) -> tuple[asyncio.Transport, ResponseHandler]:
    """A connected socket (Happy Eyeballs), then the transport (and TLS) on it: one attempt."""
    sock = await connect()
    try:
        return await loop.create_connection(factory, sock=sock, **tls)
    except BaseException:
        sock.close()  # create_connection owns it only once it succeeds
        raise


class TCPConnector(BaseConnector):
    """Connections over TCP (and TLS), with a resolver, a DNS cache and Happy Eyeballs.

    Every new connection resolves the host (a fresh cache entry or an IP literal needs no
    lookup), then races its addresses as RFC 8305 describes (aiohappyeyeballs:
    `happy_eyeballs_delay` between attempts, None for one after the other; `interleave`
    addresses of the first family before alternating), then does TLS and checks a pin
    (tls_settings). A reused connection does none of this.
    """

    def __init__(
        self,
        *,
        verify_ssl: bool = True,
        fingerprint: Optional[bytes] = None,
        ssl: Union[SSLSetting, Fingerprint] = True,
        ssl_context: Optional[ssl_module.SSLContext] = None,
        use_dns_cache: bool = True,
        ttl_dns_cache: Optional[float] = 10,
        dns_cache_max_size: int = 1000,
        family: int = 0,
        local_addr: Optional[tuple[str, int]] = None,
        resolver: Optional[AbstractResolver] = None,
        happy_eyeballs_delay: Optional[float] = 0.25,
        interleave: Optional[int] = None,
        socket_factory: Optional[SocketFactoryType] = None,
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
        if not verify_ssl or ssl_context is not None or fingerprint is not None:
            # aiohttp's older spellings of ssl= (each warns, each exclusive with ssl=).
            ssl = merge_ssl(ssl, verify_ssl, ssl_context, fingerprint)
        if ssl is None:
            ssl = True
        if not isinstance(ssl, (bool, ssl_module.SSLContext, Fingerprint)):
            from .foreign_objects import ssl_from

            ssl = ssl_from(ssl)  # aiohttp's Fingerprint read by its digest; others: TypeError
        check_ssl(ssl)
        self._ssl: Union[SSLSetting, Fingerprint] = ssl
        if resolver is None:
            self._resolver: AbstractResolver = DefaultResolver(loop=self._loop)
            self._resolver_owner = True
        elif callable(getattr(resolver, "resolve", None)) and callable(
            getattr(resolver, "close", None)
        ):
            # Duck-typed as in aiohttp: a resolver written against aiohttp.abc works too.
            self._resolver = resolver
            self._resolver_owner = False
        else:
            raise TypeError(
                f"resolver should be an AbstractResolver (resolve() and close()), got {resolver!r}"
            )
        if happy_eyeballs_delay is not None and happy_eyeballs_delay < 0:
            raise ValueError("happy_eyeballs_delay must not be negative")
        if interleave is not None and interleave < 1:
            raise ValueError("interleave must be at least 1")
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave
        self._socket_factory = socket_factory
        self._tls_extra = self._ssl_shutdown_options(ssl_shutdown_timeout)
        self._names = NameResolution(
            self._loop,
            self._resolver,
            use_cache=use_dns_cache,
            ttl=ttl_dns_cache,
            max_size=dns_cache_max_size,
            family=family,
        )
        self._dns_cache = self._names.cache  # (the same dict: tests look into it)
        self._family = family
        self._local_addr = local_addr
        self._local_addr_infos = aiohappyeyeballs.addr_to_addr_infos(local_addr)
        self._parser_limits = (max_line_size, max_field_size, max_headers)

    def _ssl_shutdown_options(self, ssl_shutdown_timeout: Any) -> dict[str, Any]:
        """aiohttp 3.x's deprecated ssl_shutdown_timeout: 0 (the default) aborts TLS
        connections on close(); a positive time is the grace period for the TLS closing
        handshake (Python 3.11+; older ones warn and ignore it, as aiohttp does); None leaves
        asyncio's own grace period."""
        if ssl_shutdown_timeout is _NOT_GIVEN:
            self._ssl_shutdown_timeout: Optional[float] = 0
            return {}
        warnings.warn(
            "The ssl_shutdown_timeout parameter is deprecated and will be removed in aiohttp 4.0",
            DeprecationWarning,
            stacklevel=3,
        )
        if ssl_shutdown_timeout is not None and ssl_shutdown_timeout < 0:
            raise ValueError("ssl_shutdown_timeout must not be negative")
        self._ssl_shutdown_timeout = ssl_shutdown_timeout
        if ssl_shutdown_timeout and sys.version_info < (3, 11):
            warnings.warn(
                f"ssl_shutdown_timeout={ssl_shutdown_timeout} is ignored on Python < 3.11; "
                "only ssl_shutdown_timeout=0 is supported. The timeout will be ignored.",
                RuntimeWarning,
                stacklevel=3,
            )
            return {}
        return {"ssl_shutdown_timeout": ssl_shutdown_timeout} if ssl_shutdown_timeout else {}

    @property
    def family(self) -> int:
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        return self._names.use_cache

    @property
    def ssl(self) -> Union[SSLSetting, Fingerprint]:
        return self._ssl

    async def close(self, *, abort_ssl: bool = False) -> None:
        """Close every connection, and the resolver if the connector made it. TLS connections
        are aborted (no closing handshake) when abort_ssl or ssl_shutdown_timeout=0."""
        # A lookup under way is left to end (requests waiting on it then hear that the
        # connector is closed): cancelling it would throw CancelledError into them.
        self._names.closed = True
        await super().close(abort_ssl=abort_ssl or self._ssl_shutdown_timeout == 0)
        if self._resolver_owner:
            await self._resolver.close()

    def clear_dns_cache(self, host: Optional[str] = None, port: Optional[int] = None) -> None:
        self._names.clear(host, port)

    def ssl_context(self, setting: Any) -> Optional[ssl_module.SSLContext]:
        """The SSLContext for a request's ssl= setting (None or True: the connector's)."""
        return ssl_context_for(setting, self._ssl)

    # --- connecting --------------------------------------------------------------------------

    def _new_protocol(self) -> ResponseHandler:
        max_line_size, max_field_size, max_headers = self._parser_limits
        return ResponseHandler(
            self._loop,
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
        )

    async def _create_tunnel(
        self,
        key: ConnectionKey,
        tunnel: Tunnel,
        sock_connect: Optional[float],
        deadline: Optional[float],
    ) -> ResponseHandler:
        """The proxy reached (TLS to it for an https:// proxy: its key says so), then the
        tunnel through it to the origin. As in aiohttp, the proxy hop sends no DNS or
        connection signals of its own (the request's create start/end surround it all), and
        failing to reach the proxy is a ClientProxyConnectionError."""
        from .proxy_tunnel import open_tunnel

        proxy_key = tunnel.proxy_key
        try:
            proxy_protocol = await self._create_connection(proxy_key, sock_connect, deadline, None)
        except ClientConnectorError as exc:
            if type(exc) is not ClientConnectorError:
                raise  # DNS, TLS: as aiohttp, those keep their own type
            raise ClientProxyConnectionError(proxy_key, exc.os_error) from exc
        tls, pin = connection_tls(key, self._ssl, self._tls_extra)
        return await open_tunnel(
            self._loop, proxy_protocol, key, tunnel, tls, pin, sock_connect, deadline,
            self._new_protocol,
        )

    async def _create_connection(
        self,
        key: ConnectionKey,
        sock_connect: Optional[float],
        deadline: Optional[float],
        traces: Optional[Sequence[Trace]] = None,
    ) -> ResponseHandler:
        loop = self._loop
        port = key.port or (443 if key.is_ssl else 80)
        hosts = await self._names.resolve(key, port, deadline, traces)
        addr_infos = _addr_infos(hosts, self._family)
        if not addr_infos:
            raise ClientConnectorDNSError(
                key, OSError(None, f"no address of family {self._family!r} for {key.host}")
            )
        tls, pin = connection_tls(key, self._ssl, self._tls_extra)
        factory = self._new_protocol
        mismatch: Optional[ServerFingerprintMismatch] = None
        while addr_infos:
            connect = functools.partial(
                aiohappyeyeballs.start_connection,
                list(addr_infos),
                local_addr_infos=self._local_addr_infos,
                happy_eyeballs_delay=self._happy_eyeballs_delay,
                interleave=self._interleave,
                loop=loop,
                socket_factory=self._socket_factory,
            )
            try:
                transport, protocol = await open_bounded(
                    loop,
                    key,
                    functools.partial(_open_socket_then_transport, loop, connect, factory, tls),
                    sock_connect,
                    deadline,
                    functools.partial(ClientConnectorError, key),
                )
            except ConnectionTimeoutError as exc:
                if deadline is not None and deadline <= loop.time():
                    raise  # the request's time is up
                # sock_connect ran out on the first address(es): on to the next ones, as
                # aiohttp does (what a hanging address costs is sock_connect, not the request).
                aiohappyeyeballs.pop_addr_infos_interleave(addr_infos, self._interleave)
                if not addr_infos:
                    raise
                continue
            if pin is None:
                return protocol
            try:
                pin.check(transport)
            except ServerFingerprintMismatch as exc:
                # Never used, never pooled; the other addresses may still be the real server
                # (aiohttp tries them), but this one is not tried again.
                protocol.abort()
                mismatch = exc
                before = len(addr_infos)
                addr_infos = [info for info in addr_infos if info[4][0] != exc.host]
                if len(addr_infos) == before:
                    break
                continue
            return protocol
        assert mismatch is not None
        raise mismatch


def __getattr__(name: str) -> Any:
    # aiohttp.connector's names fasthttp keeps in other modules (or why it has not); the import
    # system's probes (`__path__` on every `from .connector import x`) do not load that table
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .aiohttp_submodules import reexport

    return reexport("connector", name)
