"""Class-based views (aiohttp.web.View): one method per HTTP verb, picked by the request's method.

`router.add_view(path, MyView)` registers the class for every method; the router calls
`MyView(request)` like any handler and awaits the instance, which runs `self.get()`,
`self.post()`, ... A verb the class does not define answers 405 with the ones it does in Allow.
"""

from __future__ import annotations

from typing import Any, Generator, NoReturn

from .. import hdrs
from .exceptions import HTTPMethodNotAllowed

__all__ = ("AbstractView", "View")


class AbstractView:
    """The base of class-based views: holds the request."""

    def __init__(self, request: Any) -> None:
        self._request = request

    @property
    def request(self) -> Any:
        return self._request

    def __await__(self) -> Generator[Any, None, Any]:
        raise NotImplementedError


class View(AbstractView):
    """Dispatches to the method named after the request's verb (lower case)."""

    async def _iter(self) -> Any:
        method = self.request.method
        handler = getattr(self, method.lower(), None) if method in hdrs.METH_ALL else None
        if handler is None:
            self._raise_allowed_methods()
        return await handler()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._iter().__await__()

    def _raise_allowed_methods(self) -> NoReturn:
        allowed = {m for m in hdrs.METH_ALL if hasattr(self, m.lower())}
        raise HTTPMethodNotAllowed(self.request.method, allowed)
