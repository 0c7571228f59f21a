"""pytest fixtures for testing web applications with fasthttp (pytest-aiohttp's, renamed).

    # conftest.py
    pytest_plugins = ["fasthttp.pytest_plugin"]

    # test_app.py
    import pytest

    @pytest.mark.asyncio            # or asyncio_mode = "auto" in the pytest configuration
    async def test_hello(fasthttp_client):
        client = await fasthttp_client(make_app())
        async with client.get("/") as resp:
            assert resp.status == 200

Fixtures (factories: await them with what to serve; everything is closed after the test):

- `fasthttp_client(app_or_server, *, server_kwargs=None, **session_kwargs)`: a TestClient for a
  fasthttp.web or aiohttp.web Application (served by a TestServer), or for a started or
  unstarted TestServer / RawTestServer;
- `fasthttp_server(app, *, port=None, **runner_kwargs)`: a started TestServer;
- `fasthttp_raw_server(handler, *, port=None, **server_kwargs)`: a started RawTestServer;
- `fasthttp_unused_port()`: an unused port of 127.0.0.1.

The same fixtures answer to pytest-aiohttp's names, `aiohttp_client`, `aiohttp_server`,
`aiohttp_raw_server` and `aiohttp_unused_port`, so a test file written for pytest-aiohttp ports
by changing its plugin line (do not load both plugins: the names would clash).

Async fixtures and tests run on pytest-asyncio (which pytest-aiohttp also uses): it must be
installed; this module says so when it is not.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Optional

import pytest

try:
    import pytest_asyncio
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "fasthttp.pytest_plugin runs async fixtures on pytest-asyncio: pip install pytest-asyncio"
    ) from exc

from .test_utils import BaseTestServer, RawTestServer, TestClient, TestServer, unused_port

__all__ = (
    "fasthttp_client",
    "fasthttp_server",
    "fasthttp_raw_server",
    "fasthttp_unused_port",
    "aiohttp_client",
    "aiohttp_server",
    "aiohttp_raw_server",
    "aiohttp_unused_port",
)


async def _started(started: list[Any], item: Any, **kwargs: Any) -> Any:
    """Start a TestServer, RawTestServer or TestClient, remembering it to close it after."""
    await item.start_server(**kwargs)
    started.append(item)
    return item


async def _close_all(started: list[Any]) -> None:
    for item in reversed(started):  # the last started first: clients before their servers
        await item.close()


@pytest_asyncio.fixture
async def fasthttp_server() -> AsyncIterator[Callable[..., Awaitable[TestServer]]]:
    servers: list[Any] = []

    async def start(app: Any, *, port: Optional[int] = None, **kwargs: Any) -> TestServer:
        return await _started(servers, TestServer(app, port=port), **kwargs)  # type: ignore[no-any-return]

    yield start
    await _close_all(servers)


@pytest_asyncio.fixture
async def fasthttp_raw_server() -> AsyncIterator[Callable[..., Awaitable[RawTestServer]]]:
    servers: list[Any] = []

    async def start(handler: Any, *, port: Optional[int] = None, **kwargs: Any) -> RawTestServer:
        return await _started(servers, RawTestServer(handler, port=port, **kwargs))  # type: ignore[no-any-return]

    yield start
    await _close_all(servers)


@pytest_asyncio.fixture
async def fasthttp_client() -> AsyncIterator[Callable[..., Awaitable[TestClient]]]:
    clients: list[Any] = []

    async def start(target: Any, *, server_kwargs: Optional[dict[str, Any]] = None,
                    **kwargs: Any) -> TestClient:
        if isinstance(target, BaseTestServer):
            server: BaseTestServer = target
        elif hasattr(target, "router") and hasattr(target, "on_startup"):  # an Application
            server = TestServer(target, **(server_kwargs or {}))
        else:
            raise TypeError(f"Unknown argument type: {type(target)!r}")
        return await _started(clients, TestClient(server, **kwargs))  # type: ignore[no-any-return]

    yield start
    await _close_all(clients)


@pytest.fixture
def fasthttp_unused_port() -> Callable[[], int]:
    return unused_port


# pytest-aiohttp's names for the same fixtures.

@pytest.fixture
def aiohttp_server(fasthttp_server: Any) -> Any:
    return fasthttp_server


@pytest.fixture
def aiohttp_raw_server(fasthttp_raw_server: Any) -> Any:
    return fasthttp_raw_server


@pytest.fixture
def aiohttp_client(fasthttp_client: Any) -> Any:
    return fasthttp_client


@pytest.fixture
def aiohttp_unused_port() -> Callable[[], int]:
    return unused_port
