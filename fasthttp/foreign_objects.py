"""aiohttp's own option objects handed to a fasthttp session, read by their documented attributes.

Libraries written for aiohttp take an injected session but keep building their arguments with
aiohttp: `timeout=aiohttp.ClientTimeout(...)`, `auth=aiohttp.BasicAuth(...)`,
`data=aiohttp.FormData(...)` or an aiohttp payload. A fasthttp session reads those objects the
way aiohttp documents them (attributes, `FormData()` giving a payload, `payload.write(writer)`)
instead of by their class, so aiohttp is never imported here. What cannot be read that way
raises TypeError naming the object, never a half-understood request.

Nothing here runs for fasthttp's own objects: callers test their own class first.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Protocol, Union

from multidict import CIMultiDict

if TYPE_CHECKING:
    from .fingerprint import Fingerprint

from .arguments import refuse
from .auth import BasicAuth, basic_auth
from .payloads import Payload, PayloadWriter
from .timeouts import ClientTimeout

__all__ = (
    "auth_from", "check_connector", "foreign_payload", "ssl_from", "timeout_from",
    "ws_timeout_fields",
)

_TIMEOUT_FIELDS = ("total", "connect", "sock_read", "sock_connect")


def _seconds(owner: Any, name: str, value: Any) -> Optional[float]:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise TypeError(
        f"{type(owner).__name__}.{name} must be a number of seconds or None, not {value!r}"
    )


def timeout_from(value: Any) -> ClientTimeout:
    """A request's `timeout=` that is not fasthttp's ClientTimeout: a number of seconds (the
    total, as aiohttp 3 still accepts), or an object with ClientTimeout's attributes (total,
    connect, sock_read, sock_connect; ceil_threshold if it has one), such as aiohttp's."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ClientTimeout(total=value)
    if all(hasattr(value, name) for name in _TIMEOUT_FIELDS):
        fields = {name: _seconds(value, name, getattr(value, name)) for name in _TIMEOUT_FIELDS}
        threshold = getattr(value, "ceil_threshold", 5)
        return ClientTimeout(**fields, ceil_threshold=threshold)
    raise TypeError(
        f"timeout= must be a ClientTimeout (fasthttp's or aiohttp's) or a number of seconds, "
        f"not {_name(value)}"
    )


def ws_timeout_fields(value: Any) -> Optional[tuple[Optional[float], Optional[float]]]:
    """(ws_receive, ws_close) of an object with ClientWSTimeout's attributes (aiohttp's),
    or None if it has not got them."""
    if hasattr(value, "ws_receive") and hasattr(value, "ws_close"):
        return (
            _seconds(value, "ws_receive", value.ws_receive),
            _seconds(value, "ws_close", value.ws_close),
        )
    return None


def auth_from(value: Any) -> BasicAuth:
    """`auth=` that is not fasthttp's BasicAuth: an object with BasicAuth's fields (login,
    password, encoding), such as aiohttp's BasicAuth; anything else is refused as aiohttp
    refuses it."""
    login, password, encoding = (
        getattr(value, name, None) for name in ("login", "password", "encoding")
    )
    if isinstance(login, str) and isinstance(password, str) and isinstance(encoding, str):
        return basic_auth(login, password, encoding)
    raise TypeError(f"BasicAuth() tuple is required instead (got {_name(value)})")


def _is_aiohttp_object(value: Any, *names: str) -> bool:
    """Whether value's class, or one of its bases, is aiohttp's class of one of these names."""
    return any(
        klass.__module__.partition(".")[0] == "aiohttp" and klass.__name__ in names
        for klass in type(value).__mro__
    )


def _name(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def ssl_from(value: Any) -> "Union[ssl.SSLContext, Fingerprint]":
    """A request's `ssl=` that is not True, False or None: an SSLContext, a Fingerprint, or
    aiohttp's Fingerprint, read by its documented `fingerprint` digest (so the same pin is
    checked, never taken as a true value that would verify but pin nothing)."""
    from .fingerprint import Fingerprint

    if isinstance(value, (ssl.SSLContext, Fingerprint)):
        return value
    if _is_aiohttp_object(value, "Fingerprint"):
        return Fingerprint(bytes(value.fingerprint))
    raise TypeError(f"ssl should be SSLContext, bool, Fingerprint or None, got {value!r} instead.")


def check_connector(value: Any) -> NoReturn:
    """A session's `connector=` that is not a fasthttp connector: an aiohttp connector cannot
    carry fasthttp's connections, and its settings are not all readable (its ssl= is private):
    refused by name rather than half-copied."""
    raise TypeError(
        f"connector= must be a fasthttp connector, not {_name(value)} (fasthttp.TCPConnector "
        f"takes aiohttp's TCPConnector arguments)"
    )


class _ForeignBody(Protocol):
    """What aiohttp documents of a payload: the bytes come from write(writer)."""

    @property
    def size(self) -> Optional[int]: ...

    @property
    def headers(self) -> Any: ...

    def write(self, writer: Any) -> Awaitable[None]: ...




def foreign_payload(value: Any) -> Optional[Payload]:
    """A Payload streaming what an aiohttp FormData or payload (MultipartWriter included)
    produces, or None if value is neither."""
    if _is_aiohttp_object(value, "FormData"):
        value = value()  # aiohttp's documented way to turn a form into its payload
    if _is_aiohttp_object(value, "Payload"):
        return AiohttpPayload(value)
    return None


class AiohttpPayload(Payload):
    """An aiohttp payload sent as it writes itself: its size (None: chunked), its headers
    (Content-Type, and Content-Disposition and the like inside multipart), its bytes."""

    def __init__(self, payload: _ForeignBody) -> None:
        headers = CIMultiDict(payload.headers)
        content_type = headers.pop("Content-Type", None)
        super().__init__(payload, headers=headers, content_type=content_type)
        self._foreign = payload
        self._size = payload.size
        if content_type is None:
            self.content_type = None  # aiohttp's payload has none: send none either

    async def write(self, writer: PayloadWriter) -> None:
        await self._foreign.write(_WriterForAiohttp(writer))

    async def close(self) -> None:
        close = getattr(self._foreign, "close", None)
        if close is not None:
            result = close()
            if isinstance(result, Awaitable):
                await result


class _WriterForAiohttp:
    """fasthttp's body writer with the part of aiohttp's AbstractStreamWriter payloads use."""

    __slots__ = ("_writer",)

    def __init__(self, writer: PayloadWriter) -> None:
        self._writer = writer

    async def write(self, chunk: Any) -> None:
        if chunk:
            await self._writer.write(bytes(chunk))

    async def drain(self) -> None:
        """write() already waits for the socket's back-pressure."""
