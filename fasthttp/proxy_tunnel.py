"""Opening a CONNECT tunnel through a proxy, on a connection already made to it.

The CONNECT is written, the proxy's answer read with the response parser and its limits (an
oversized or endless answer is refused, never waited for), then TLS to the origin runs over
the tunnel with loop.start_tls (SNI and certificate checks for the origin; over a TLS proxy
that is TLS inside TLS), and a certificate pin is checked. Each of the two steps is bounded by
`sock_connect` and what is left of the request's deadline (`connect`, `total`), as the TCP
connection to the proxy was. Whatever fails, the connection is closed before the error is
raised: a tunnel half made is never pooled nor left open.

The errors are aiohttp's: a non-200 answer raises ClientHttpProxyError (status, message and
headers of the answer; request_info of the CONNECT), an unreadable answer ClientResponseError,
a connection lost or refused TLS the connector's errors for the origin.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Callable, Optional

from multidict import CIMultiDictProxy

from . import hdrs
from .bounded import Expired, bounded
from .client_exceptions import (
    ClientConnectorError,
    ClientHttpProxyError,
    ClientResponseError,
    ConnectionKey,
    ConnectionTimeoutError,
    RequestInfo,
    ServerDisconnectedError,
)
from .http_exceptions import HttpProcessingError
from .protocol import ResponseHandler
from .streams import EMPTY_PAYLOAD, StreamReader
from .tls_settings import tls_failure

if TYPE_CHECKING:
    from .fingerprint import Fingerprint
    from .http import ResponseHead
    from .proxy import Tunnel

__all__ = ("open_tunnel",)


async def open_tunnel(
    loop: asyncio.AbstractEventLoop,
    proxy_protocol: ResponseHandler,
    key: ConnectionKey,
    tunnel: "Tunnel",
    tls: dict[str, Any],
    pin: "Optional[Fingerprint]",
    sock_connect: Optional[float],
    deadline: Optional[float],
    factory: Callable[[], ResponseHandler],
) -> ResponseHandler:
    """The origin's TLS connection through the proxy reached by `proxy_protocol` (which
    this call owns: it is taken over by the tunnel, or closed)."""
    try:
        await _connect_exchange(loop, proxy_protocol, key, tunnel, sock_connect, deadline)
    except BaseException:
        proxy_protocol.abort()
        raise
    transport = proxy_protocol.transport
    assert transport is not None
    origin = factory()
    try:
        tls_transport = await _bounded(
            loop, key, _start_tls(loop, transport, origin, tls), sock_connect, deadline
        )
    except ssl_module.SSLError as exc:
        raise tls_failure(key, exc) from exc
    except OSError as exc:
        raise ClientConnectorError(key, exc) from exc
    finally:
        if origin.transport is None:  # the handshake did not complete: nothing owns it
            transport.abort()
    if pin is not None:
        try:
            pin.check(tls_transport)
        except BaseException:
            origin.abort()
            raise
    return origin


def _no_body(
    exchange: Any, protocol: ResponseHandler, head: "ResponseHead", body: Optional[bytes] = None
) -> StreamReader:
    return EMPTY_PAYLOAD  # a 2xx to CONNECT has none (RFC 9110 9.3.6); errors: not read


async def _connect_exchange(
    loop: asyncio.AbstractEventLoop,
    protocol: ResponseHandler,
    key: ConnectionKey,
    tunnel: "Tunnel",
    sock_connect: Optional[float],
    deadline: Optional[float],
) -> None:
    """Write the CONNECT and read the answer's head; anything but a clean 200 raises."""

    # head_request: the parser expects no body after this head, whatever it says.
    waiter = protocol.expect_response(_no_body, None, True, None)
    transport = protocol.transport
    assert transport is not None
    transport.write(tunnel.head)
    request_info = RequestInfo(
        tunnel.target, hdrs.METH_CONNECT, CIMultiDictProxy(tunnel.headers), tunnel.target
    )
    try:
        head, _ = await _bounded(loop, tunnel.proxy_key, _wait(waiter), sock_connect, deadline)
    except HttpProcessingError as exc:
        raise ClientResponseError(
            request_info, (), status=exc.code, message=exc.message, headers=exc.headers
        ) from exc
    if head.status != 200:
        message = head.reason or _phrase(head.status)
        raise ClientHttpProxyError(
            request_info, (), status=head.status, message=message, headers=head.headers
        )
    if protocol.closed or transport.is_closing():
        # The proxy hung up after its 200: there is no tunnel to start TLS on (asyncio's
        # start_tls would wait for a handshake on a dead transport until its own timeout).
        raise ServerDisconnectedError(f"Proxy {tunnel.proxy_key.host} closed the tunnel to {key.host}")


async def _wait(waiter: "asyncio.Future[Any]") -> Any:
    return await waiter


async def _start_tls(
    loop: asyncio.AbstractEventLoop,
    transport: asyncio.Transport,
    protocol: ResponseHandler,
    tls: dict[str, Any],
) -> asyncio.Transport:
    context = tls["ssl"]
    options = {name: value for name, value in tls.items() if name != "ssl"}
    tls_transport = await loop.start_tls(transport, protocol, context, **options)
    if tls_transport is None:  # the transport closed during the handshake
        raise ConnectionResetError("Connection lost during the TLS handshake")
    protocol.connection_made(tls_transport)
    return tls_transport


async def _bounded(
    loop: asyncio.AbstractEventLoop,
    key: ConnectionKey,
    step: Any,
    sock_connect: Optional[float],
    deadline: Optional[float],
) -> Any:
    """One step of the tunnel's set-up within sock_connect and the request's deadline."""
    limit = sock_connect
    if deadline is not None:
        left = deadline - loop.time()
        if limit is None or left < limit:
            limit = left
    try:
        return await bounded(step, limit, _close)
    except Expired:
        raise ConnectionTimeoutError(f"Connection timeout to host {key.host}:{key.port}") from None


def _close(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
