"""Testing an application on 127.0.0.1 (aiohttp.test_utils' names and behaviour).

    from fasthttp.test_utils import TestClient, TestServer

    async with TestClient(TestServer(app)) as client:
        async with client.get("/items") as resp:
            assert resp.status == 200

- `TestServer(app)`: the app served on an unused port of 127.0.0.1 (`start_server()`,
  `close()`, `make_url(path)`, `host`, `port`, `scheme`). The app may be a fasthttp.web
  Application or an aiohttp.web one: each is served by its own framework's runner, so the same
  test drives either.
- `RawTestServer(handler)`: a low-level `web.Server` for one handler.
- `TestClient(server)`: a fasthttp ClientSession aimed at the server: `get/post/...(path)`,
  `request(method, path)`, `ws_connect(path)`, `session`, `app`, `close()`; responses and
  WebSockets it opened are closed with it. Its cookie jar accepts cookies for IP addresses
  (aiohttp's `CookieJar(unsafe=True)`).
- `make_mocked_request(method, path, headers=None, ...)`: a Request with no connection behind
  it, for testing a handler or a middleware directly.
- `unused_port()`, `loop_context()`.

The pytest fixtures built on these are in fasthttp.pytest_plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from types import TracebackType
from typing import Any, Callable, Iterator, Optional, Union

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .client import ClientSession
from .cookiejar import CookieJar
from .http_types import HttpVersion, HttpVersion11

__all__ = (
    "BaseTestServer",
    "TestServer",
    "RawTestServer",
    "TestClient",
    "make_mocked_request",
    "unused_port",
    "loop_context",
)


def unused_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on (at the time of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def loop_context(fast: bool = False) -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop, set as the current one, closed (its tasks cancelled) on exit."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)


def _is_aiohttp_app(app: Any) -> bool:
    return type(app).__module__.startswith("aiohttp.")


class BaseTestServer:
    """A server on an unused port of `host` (127.0.0.1), started by start_server()."""

    __test__ = False  # not a test class for pytest

    def __init__(self, *, scheme: str = "", host: str = "127.0.0.1", port: Optional[int] = None,
                 skip_url_asserts: bool = False, **kwargs: Any) -> None:
        self.runner: Any = None
        self.host = host
        self.port = port
        self.scheme = scheme
        self.skip_url_asserts = skip_url_asserts
        self._runner_kwargs = kwargs
        self._root: Optional[URL] = None
        self._closed = False

    async def start_server(self, loop: Optional[asyncio.AbstractEventLoop] = None, **kwargs: Any) -> None:
        if self.runner is not None:
            return
        ssl_context = kwargs.pop("ssl", None)
        self.runner = self._make_runner(**{**self._runner_kwargs, **kwargs})
        await self.runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port or 0))
        self.port = sock.getsockname()[1]
        site = self._site_class()(self.runner, sock, ssl_context=ssl_context)
        await site.start()
        if not self.scheme:
            self.scheme = "https" if ssl_context else "http"
        host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self._root = URL(f"{self.scheme}://{host}:{self.port}")

    def _make_runner(self, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _site_class(self) -> Any:
        from .web import SockSite

        return SockSite

    def make_url(self, path: Union[str, URL]) -> URL:
        assert self._root is not None, "the server is not started"
        url = URL(path)
        if not self.skip_url_asserts:
            assert not url.absolute, "make_url() takes a path on this server"
            return self._root.join(url)
        return URL(str(self._root) + str(path))

    @property
    def started(self) -> bool:
        return self.runner is not None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def handler(self) -> Any:
        return self.runner.server

    async def close(self) -> None:
        if self.started and not self._closed:
            await self.runner.cleanup()
            self._root = None
            self.port = None
            self._closed = True

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(self, *exc_info: Any) -> None:  # pragma: no cover - pairs __enter__
        pass

    async def __aenter__(self) -> "BaseTestServer":
        await self.start_server()
        return self

    async def __aexit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        await self.close()


class TestServer(BaseTestServer):
    """An application (fasthttp.web's or aiohttp.web's) on 127.0.0.1."""

    def __init__(self, app: Any, *, scheme: str = "", host: str = "127.0.0.1",
                 port: Optional[int] = None, **kwargs: Any) -> None:
        self.app = app
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    def _make_runner(self, **kwargs: Any) -> Any:
        if _is_aiohttp_app(self.app):
            from aiohttp import web as aioweb

            return aioweb.AppRunner(self.app, **kwargs)
        from .web import AppRunner

        return AppRunner(self.app, **kwargs)

    def _site_class(self) -> Any:
        if _is_aiohttp_app(self.app):
            from aiohttp import web as aioweb

            return aioweb.SockSite
        return super()._site_class()


class RawTestServer(BaseTestServer):
    """One handler on 127.0.0.1, through the low-level web.Server."""

    def __init__(self, handler: Callable[[Any], Any], *, scheme: str = "", host: str = "127.0.0.1",
                 port: Optional[int] = None, **kwargs: Any) -> None:
        self._handler = handler
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    def _make_runner(self, **kwargs: Any) -> Any:
        from .web import Server, ServerRunner

        return ServerRunner(Server(self._handler, **kwargs))


class TestClient:
    """A ClientSession aimed at a test server: paths instead of URLs."""

    __test__ = False

    def __init__(self, server: BaseTestServer, *, cookie_jar: Any = None, **kwargs: Any) -> None:
        if not isinstance(server, BaseTestServer):
            raise TypeError(f"server must be TestServer instance, found type: {type(server)!r}")
        self._server = server
        self._session = ClientSession(
            cookie_jar=cookie_jar if cookie_jar is not None else CookieJar(unsafe=True), **kwargs
        )
        self._closed = False
        self._responses: list[Any] = []
        self._websockets: list[Any] = []

    async def start_server(self) -> None:
        await self._server.start_server()

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> Optional[int]:
        return self._server.port

    @property
    def server(self) -> BaseTestServer:
        return self._server

    @property
    def app(self) -> Any:
        return getattr(self._server, "app", None)

    @property
    def session(self) -> ClientSession:
        """The session itself: its requests need whole URLs (make_url)."""
        return self._session

    def make_url(self, path: Union[str, URL]) -> URL:
        return self._server.make_url(path)

    async def _request(self, method: str, path: Union[str, URL], **kwargs: Any) -> Any:
        response = await self._session.request(method, self.make_url(path), **kwargs)
        self._responses.append(response)
        return response

    def request(self, method: str, path: Union[str, URL], **kwargs: Any) -> Any:
        return _Awaitable(self._request(method, path, **kwargs))

    def get(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return self.request("OPTIONS", path, **kwargs)

    def ws_connect(self, path: Union[str, URL], **kwargs: Any) -> Any:
        return _Awaitable(self._ws_connect(path, **kwargs))

    async def _ws_connect(self, path: Union[str, URL], **kwargs: Any) -> Any:
        ws = await self._session.ws_connect(self.make_url(path), **kwargs)
        self._websockets.append(ws)
        return ws

    async def close(self) -> None:
        if self._closed:
            return
        for response in self._responses:
            response.close()
        for ws in self._websockets:
            await ws.close()
        await self._session.close()
        await self._server.close()
        self._closed = True

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(self, *exc_info: Any) -> None:  # pragma: no cover - pairs __enter__
        pass

    async def __aenter__(self) -> "TestClient":
        await self.start_server()
        return self

    async def __aexit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        await self.close()


class _Awaitable:
    """What client.get(...) returns: awaited, the response; `async with`, released after."""

    __slots__ = ("_coro", "_result")

    def __init__(self, coro: Any) -> None:
        self._coro = coro
        self._result: Any = None

    def __await__(self) -> Any:
        return self._coro.__await__()

    async def __aenter__(self) -> Any:
        self._result = await self._coro
        return self._result

    async def __aexit__(self, *exc_info: Any) -> None:
        result = self._result
        if hasattr(result, "release"):
            result.release()
        elif hasattr(result, "close"):
            await result.close()


# --- requests without a connection ------------------------------------------------------------

class _MockedTransport(asyncio.Transport):
    """A transport that keeps what is written (make_mocked_request's)."""

    def __init__(self, sslcontext: Any = None) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self._extra = {"peername": ("127.0.0.1", 12345), "sockname": ("127.0.0.1", 8080),
                       "sslcontext": sslcontext}

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        value = self._extra.get(name)
        return default if value is None else value

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def make_mocked_request(
    method: str,
    path: str,
    headers: Any = None,
    *,
    match_info: Any = None,
    version: HttpVersion = HttpVersion11,
    closing: bool = False,
    app: Any = None,
    payload: Any = None,
    sslcontext: Any = None,
    client_max_size: int = 1024**2,
    client_max_fields: int = 1000,
    loop: Any = None,
    transport: Any = None,
    **kwargs: Any,
) -> Any:
    """A Request for `method path`, with no socket behind it (aiohttp.test_utils'): what its
    response writes is collected by a transport that only records. `payload`: a StreamReader
    (or anything with its read methods) for the body; empty by default."""
    from .http import RequestHead
    from .streams import EMPTY_PAYLOAD
    from .web import Application
    from .web.protocol import RequestHandler, ServerSettings
    from .web.request import Request
    from .web.routing import MatchInfo

    if kwargs:
        raise TypeError(f"unexpected keyword argument {next(iter(kwargs))!r}")
    if app is None:
        app = Application()
        app.freeze()
    header_map: CIMultiDict[str] = CIMultiDict(headers or {})
    if version == HttpVersion11 and "Host" not in header_map:
        header_map["Host"] = "127.0.0.1:8080"
    if closing:
        header_map["Connection"] = "close"
    proxy = CIMultiDictProxy(header_map)
    raw = tuple((k.encode("utf-8"), v.encode("utf-8")) for k, v in proxy.items())
    length = proxy.get("Content-Length")
    head = RequestHead(
        method, path, version, proxy, raw, not closing, "chunked" in proxy.get("Transfer-Encoding", ""),
        int(length) if length and length.isdigit() else None, False, proxy.get("Content-Encoding"),
    )
    if loop is None:  # as aiohttp's: the loop given, else the running one
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
    protocol = RequestHandler(ServerSettings(app, access_logger=None), loop)
    protocol.connection_made(transport if transport is not None else _MockedTransport(sslcontext))
    request = Request(head, payload if payload is not None else EMPTY_PAYLOAD, protocol, app,
                      client_max_size=client_max_size, client_max_fields=client_max_fields)
    request._match_info = match_info if match_info is not None else MatchInfo({}, _no_handler)
    if isinstance(match_info, dict) and not isinstance(match_info, MatchInfo):
        request._match_info = MatchInfo(match_info, _no_handler)
    return request


async def _no_handler(request: Any) -> Any:  # pragma: no cover - never routed to
    raise RuntimeError("a mocked request is not routed")
