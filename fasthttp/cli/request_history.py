"""--all: every exchange on the wire, so that the intermediate ones (the redirects followed with
--follow, the 401 of a digest challenge) can be printed before the final one, as httpie prints
them. A client middleware, innermost, sees each attempt; it reads the body of each answer that
the client will not hand back (a redirect it follows) before the client discards it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ("Exchange", "HistoryRecorder")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass
class Exchange:
    request_info: Any
    request_body: Optional[bytes]
    response: Any
    body: bytes


@dataclass
class HistoryRecorder:
    follows_redirects: bool
    exchanges: list[Exchange] = field(default_factory=list)

    async def __call__(self, request: Any, handler: Any) -> Any:
        sent = request.body
        response = await handler(request)
        body = b""
        # The final answer is read by the command itself (perhaps streamed to a file); only a
        # redirect about to be followed, or an auth challenge about to be answered, is read here.
        if response.status == 401 or (self.follows_redirects and response.status in _REDIRECTS):
            body = await response.read()
        self.exchanges.append(Exchange(request.request_info,
                                       bytes(sent) if isinstance(sent, (bytes, bytearray)) else None,
                                       response, body))
        return response

    def before(self, final: Any) -> list[Exchange]:
        """The exchanges that led to `final`."""
        return [exchange for exchange in self.exchanges if exchange.response is not final]
