"""Request tracing (aiohttp's TraceConfig): signals a session sends at each step of a request.

    trace_config = TraceConfig()
    trace_config.on_request_start.append(on_request_start)   # async (session, ctx, params)
    ClientSession(trace_configs=[trace_config])

Every aiohttp signal is here, with aiohttp's parameter classes and fields. A session accepts
these TraceConfig objects and aiohttp's own (what OpenTelemetry's aiohttp-client
instrumentation builds): both are used only through `trace_config_ctx()`, `freeze()` and the
`on_*` signals' `send(session, ctx, params)`, with parameter objects carrying the same fields.

A session without trace configs makes no Trace object and the request path only tests
`traces is not None` where a signal would be sent: tracing costs nothing when unused.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Generic, Iterable, SupportsIndex, TypeVar

from multidict import CIMultiDict
from yarl import URL

if TYPE_CHECKING:
    from .client_response import ClientResponse

__all__ = (
    "TraceConfig",
    "TraceRequestStartParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionCreateEndParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsResolveHostStartParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceRequestRedirectParams",
    "TraceRequestChunkSentParams",
    "TraceResponseChunkReceivedParams",
    "TraceRequestHeadersSentParams",
)

_P = TypeVar("_P")
_Handler = Callable[[Any, SimpleNamespace, Any], Awaitable[None]]


class Signal(list[_Handler], Generic[_P]):
    """A list of async callbacks `(session, trace_config_ctx, params)`; frozen before use.

    As aiosignal's: it can be changed until frozen, and sent only once frozen.
    """

    def __init__(self, owner: Any) -> None:
        super().__init__()
        self._owner = owner
        self._frozen = False

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        self._frozen = True

    async def send(self, *args: Any, **kwargs: Any) -> None:
        if not self._frozen:
            raise RuntimeError("Cannot send non-frozen signal.")
        for receiver in self:
            await receiver(*args, **kwargs)

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify frozen list.")

    def append(self, item: _Handler) -> None:
        self._check()
        super().append(item)

    def extend(self, items: Iterable[_Handler]) -> None:
        self._check()
        super().extend(items)

    def insert(self, index: SupportsIndex, item: _Handler) -> None:
        self._check()
        super().insert(index, item)

    def remove(self, item: _Handler) -> None:
        self._check()
        super().remove(item)

    def pop(self, index: SupportsIndex = -1) -> _Handler:
        self._check()
        return super().pop(index)

    def clear(self) -> None:
        self._check()
        super().clear()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check()
        super().__setitem__(index, value)

    def __delitem__(self, index: Any) -> None:
        self._check()
        super().__delitem__(index)

    def __iadd__(self, items: Iterable[_Handler]) -> "Signal[_P]":  # type: ignore[override,misc]
        self._check()
        super().__iadd__(items)
        return self

    def __repr__(self) -> str:
        return f"<Signal owner={self._owner!r}, frozen={self._frozen}, {list(self)!r}>"

    __hash__ = None  # a list, not hashable


# --- the parameters of each signal (aiohttp's fields, frozen) ---------------------------------


@dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    method: str
    url: URL
    headers: "CIMultiDict[str]"


@dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams:
    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams:
    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    method: str
    url: URL
    headers: "CIMultiDict[str]"
    response: "ClientResponse"


@dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    method: str
    url: URL
    headers: "CIMultiDict[str]"
    exception: BaseException


@dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    method: str
    url: URL
    headers: "CIMultiDict[str]"
    response: "ClientResponse"


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams:
    pass


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams:
    pass


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams:
    pass


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams:
    pass


@dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams:
    pass


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams:
    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams:
    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams:
    host: str


@dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams:
    host: str


@dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams:
    method: str
    url: URL
    headers: "CIMultiDict[str]"


# --- TraceConfig ---------------------------------------------------------------------------

_SIGNALS = (
    "on_request_start",
    "on_request_chunk_sent",
    "on_response_chunk_received",
    "on_request_end",
    "on_request_exception",
    "on_request_redirect",
    "on_connection_queued_start",
    "on_connection_queued_end",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_dns_resolvehost_start",
    "on_dns_resolvehost_end",
    "on_dns_cache_hit",
    "on_dns_cache_miss",
    "on_request_headers_sent",
)


class TraceConfig:
    """The callbacks one tracer registers, and the factory of its per-request context."""

    def __init__(self, trace_config_ctx_factory: Callable[..., SimpleNamespace] = SimpleNamespace) -> None:
        self._on_request_start: Signal[TraceRequestStartParams] = Signal(self)
        self._on_request_chunk_sent: Signal[TraceRequestChunkSentParams] = Signal(self)
        self._on_response_chunk_received: Signal[TraceResponseChunkReceivedParams] = Signal(self)
        self._on_request_end: Signal[TraceRequestEndParams] = Signal(self)
        self._on_request_exception: Signal[TraceRequestExceptionParams] = Signal(self)
        self._on_request_redirect: Signal[TraceRequestRedirectParams] = Signal(self)
        self._on_connection_queued_start: Signal[TraceConnectionQueuedStartParams] = Signal(self)
        self._on_connection_queued_end: Signal[TraceConnectionQueuedEndParams] = Signal(self)
        self._on_connection_create_start: Signal[TraceConnectionCreateStartParams] = Signal(self)
        self._on_connection_create_end: Signal[TraceConnectionCreateEndParams] = Signal(self)
        self._on_connection_reuseconn: Signal[TraceConnectionReuseconnParams] = Signal(self)
        self._on_dns_resolvehost_start: Signal[TraceDnsResolveHostStartParams] = Signal(self)
        self._on_dns_resolvehost_end: Signal[TraceDnsResolveHostEndParams] = Signal(self)
        self._on_dns_cache_hit: Signal[TraceDnsCacheHitParams] = Signal(self)
        self._on_dns_cache_miss: Signal[TraceDnsCacheMissParams] = Signal(self)
        self._on_request_headers_sent: Signal[TraceRequestHeadersSentParams] = Signal(self)
        self._trace_config_ctx_factory = trace_config_ctx_factory

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> SimpleNamespace:
        """A new context for one request (given to every callback of that request)."""
        return self._trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        for name in _SIGNALS:
            getattr(self, "_" + name).freeze()

    @property
    def on_request_start(self) -> Signal[TraceRequestStartParams]:
        return self._on_request_start

    @property
    def on_request_chunk_sent(self) -> Signal[TraceRequestChunkSentParams]:
        return self._on_request_chunk_sent

    @property
    def on_response_chunk_received(self) -> Signal[TraceResponseChunkReceivedParams]:
        return self._on_response_chunk_received

    @property
    def on_request_end(self) -> Signal[TraceRequestEndParams]:
        return self._on_request_end

    @property
    def on_request_exception(self) -> Signal[TraceRequestExceptionParams]:
        return self._on_request_exception

    @property
    def on_request_redirect(self) -> Signal[TraceRequestRedirectParams]:
        return self._on_request_redirect

    @property
    def on_connection_queued_start(self) -> Signal[TraceConnectionQueuedStartParams]:
        return self._on_connection_queued_start

    @property
    def on_connection_queued_end(self) -> Signal[TraceConnectionQueuedEndParams]:
        return self._on_connection_queued_end

    @property
    def on_connection_create_start(self) -> Signal[TraceConnectionCreateStartParams]:
        return self._on_connection_create_start

    @property
    def on_connection_create_end(self) -> Signal[TraceConnectionCreateEndParams]:
        return self._on_connection_create_end

    @property
    def on_connection_reuseconn(self) -> Signal[TraceConnectionReuseconnParams]:
        return self._on_connection_reuseconn

    @property
    def on_dns_resolvehost_start(self) -> Signal[TraceDnsResolveHostStartParams]:
        return self._on_dns_resolvehost_start

    @property
    def on_dns_resolvehost_end(self) -> Signal[TraceDnsResolveHostEndParams]:
        return self._on_dns_resolvehost_end

    @property
    def on_dns_cache_hit(self) -> Signal[TraceDnsCacheHitParams]:
        return self._on_dns_cache_hit

    @property
    def on_dns_cache_miss(self) -> Signal[TraceDnsCacheMissParams]:
        return self._on_dns_cache_miss

    @property
    def on_request_headers_sent(self) -> Signal[TraceRequestHeadersSentParams]:
        return self._on_request_headers_sent


class Trace:
    """One trace config's view of one request: its context and the signals to send.

    Works with fasthttp's TraceConfig and aiohttp's alike (same attribute names).
    """

    __slots__ = ("_session", "_config", "_ctx")

    def __init__(self, session: Any, config: Any, ctx: SimpleNamespace) -> None:
        self._session = session
        self._config = config
        self._ctx = ctx

    async def _send(self, signal: str, params: Any) -> None:
        await getattr(self._config, signal).send(self._session, self._ctx, params)

    async def send_request_start(self, method: str, url: URL, headers: "CIMultiDict[str]") -> None:
        await self._send("on_request_start", TraceRequestStartParams(method, url, headers))

    async def send_request_chunk_sent(self, method: str, url: URL, chunk: bytes) -> None:
        await self._send("on_request_chunk_sent", TraceRequestChunkSentParams(method, url, chunk))

    async def send_response_chunk_received(self, method: str, url: URL, chunk: bytes) -> None:
        await self._send(
            "on_response_chunk_received", TraceResponseChunkReceivedParams(method, url, chunk)
        )

    async def send_request_end(
        self, method: str, url: URL, headers: "CIMultiDict[str]", response: "ClientResponse"
    ) -> None:
        await self._send("on_request_end", TraceRequestEndParams(method, url, headers, response))

    async def send_request_exception(
        self, method: str, url: URL, headers: "CIMultiDict[str]", exception: BaseException
    ) -> None:
        await self._send(
            "on_request_exception", TraceRequestExceptionParams(method, url, headers, exception)
        )

    async def send_request_redirect(
        self, method: str, url: URL, headers: "CIMultiDict[str]", response: "ClientResponse"
    ) -> None:
        await self._send(
            "on_request_redirect", TraceRequestRedirectParams(method, url, headers, response)
        )

    async def send_connection_queued_start(self) -> None:
        await self._send("on_connection_queued_start", TraceConnectionQueuedStartParams())

    async def send_connection_queued_end(self) -> None:
        await self._send("on_connection_queued_end", TraceConnectionQueuedEndParams())

    async def send_connection_create_start(self) -> None:
        await self._send("on_connection_create_start", TraceConnectionCreateStartParams())

    async def send_connection_create_end(self) -> None:
        await self._send("on_connection_create_end", TraceConnectionCreateEndParams())

    async def send_connection_reuseconn(self) -> None:
        await self._send("on_connection_reuseconn", TraceConnectionReuseconnParams())

    async def send_dns_resolvehost_start(self, host: str) -> None:
        await self._send("on_dns_resolvehost_start", TraceDnsResolveHostStartParams(host))

    async def send_dns_resolvehost_end(self, host: str) -> None:
        await self._send("on_dns_resolvehost_end", TraceDnsResolveHostEndParams(host))

    async def send_dns_cache_hit(self, host: str) -> None:
        await self._send("on_dns_cache_hit", TraceDnsCacheHitParams(host))

    async def send_dns_cache_miss(self, host: str) -> None:
        await self._send("on_dns_cache_miss", TraceDnsCacheMissParams(host))

    async def send_request_headers(self, method: str, url: URL, headers: "CIMultiDict[str]") -> None:
        await self._send(
            "on_request_headers_sent", TraceRequestHeadersSentParams(method, url, headers)
        )
