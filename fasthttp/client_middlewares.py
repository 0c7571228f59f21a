"""Client middlewares (aiohttp 3.12+): `async def mw(request, handler) -> ClientResponse`.

A middleware gets the ClientRequest the session built for one attempt (each redirect hop is
an attempt of its own) and the handler that sends it: it may change the request, call the
handler more than once (a retry, a token refresh), or answer without calling it. The first
middleware of the list is the outermost. With none, the session calls its sender directly:
no chain is built and nothing is added to the request path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable, Sequence

if TYPE_CHECKING:
    from .client_request import ClientRequest
    from .client_response import ClientResponse

__all__ = ("ClientHandlerType", "ClientMiddlewareType", "build_client_middlewares")

ClientHandlerType = Callable[["ClientRequest"], Awaitable["ClientResponse"]]
ClientMiddlewareType = Callable[["ClientRequest", ClientHandlerType], Awaitable["ClientResponse"]]


def build_client_middlewares(
    handler: ClientHandlerType, middlewares: Sequence[ClientMiddlewareType]
) -> ClientHandlerType:
    """`handler` wrapped by `middlewares`, the first one outermost."""
    for middleware in reversed(middlewares):
        handler = _wrap(middleware, handler)
    return handler


def _wrap(middleware: ClientMiddlewareType, inner: ClientHandlerType) -> ClientHandlerType:
    async def handle(request: "ClientRequest") -> "ClientResponse":
        return await middleware(request, inner)

    return handle
