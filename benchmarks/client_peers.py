"""The HTTP clients under benchmark, behind one small adapter each, and the scenarios' batches.

Each adapter opens one long-lived session (client) for a whole benchmark and performs exactly
one request per call, the way a user of that library would write it:

- `fasthttp-compiled`, `fasthttp-pure`, `aiohttp` (the same code: fasthttp is a drop-in):
  `async with session.get(url) as resp: body = await resp.read()`;
  `session.post(url, json=payload)`; the download is
  `async for chunk in resp.content.iter_chunked(65536)`. Default `ClientSession()` and
  `TCPConnector()` (limit=100, keep-alive).
- `httpx`: `AsyncClient(limits=Limits(max_connections=100, max_keepalive_connections=100))`
  (HTTP/1.1 only; its default keeps only 20 idle connections, which would close and reopen
  connections at concurrency 32); `resp = await client.get(url); resp.content`;
  `client.post(url, json=payload)`; the download is
  `async with client.stream("GET", url) as resp: async for chunk in resp.aiter_bytes(65536)`.
- `aiosonic`: `HTTPClient(connector=TCPConnector(pool_configs={":default":
  PoolConfig(size=100, max_conn_requests=None)}))` (its default pool recycles a connection
  every 1000 requests); `resp = await client.get(url); await resp.content()`;
  `client.post(url, json=payload)`; the download is
  `async with client.stream("GET", url) as resp: async for chunk in resp.read_chunks()`
  (aiosonic reads at most 64 KiB per piece).

Every call returns what the batch checks: the status and the body's length (or the body
itself for the small POST reply); a batch raises on the first wrong answer, so a broken setup
cannot silently benchmark nothing.

Which fasthttp twin a process gets is decided when fasthttp is first imported
(`FASTHTTP_NO_EXTENSIONS=1` selects the pure twin): `fasthttp_implementation()` says which,
and a process can only benchmark that one (run.py runs a second process for the other).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Awaitable, Callable, Optional

from canned_server import JSON_BODY, echo_reply

CLIENTS: tuple[str, ...] = (
    "fasthttp-compiled", "fasthttp-pure", "aiohttp", "httpx", "aiosonic",
    "raw-asyncio",  # the ceiling: a bare asyncio protocol client (raw_client.py), GET only
)
LOOPS: tuple[str, ...] = ("asyncio", "uvloop")
CHUNK = 65536
DOWNLOAD_SIZE = 10 * 1024 * 1024
CONNECTION_LIMIT = 100
# The target of the proxy scenario: the canned server answers absolute-form requests itself,
# as a caching forward proxy would, so what is measured is the client's proxy path.
PROXIED_URL = "http://origin.test/json"


def _make_payload() -> dict[str, Any]:
    """A JSON object of ~1 KiB (1024 bytes with json.dumps's default separators)."""
    items = [
        {"id": i, "sku": f"SKU-{i:05d}", "name": f"item number {i}", "price": 9.99 + i, "qty": i % 7}
        for i in range(12)
    ]
    payload: dict[str, Any] = {"order": 123456, "customer": "jane@example.com", "items": items, "note": ""}
    pad = 1024 - len(json.dumps(payload))
    payload["note"] = "n" * max(0, pad)
    return payload


PAYLOAD = _make_payload()
# Every client serializes with json.dumps, some with compact separators (httpx); both fine.
PAYLOAD_REPLIES = frozenset(
    echo_reply(len(json.dumps(PAYLOAD, separators=seps).encode()))
    for seps in (None, (",", ":"), (", ", ":"), (",", ": "))
)


def fasthttp_implementation() -> str:
    """'cython' or 'python': the twin this process's fasthttp uses (imports fasthttp)."""
    import fasthttp.http

    return fasthttp.http.IMPLEMENTATION


def client_available(client: str) -> Optional[str]:
    """None when `client` can run in this process, else the reason it cannot."""
    if client == "raw-asyncio":
        return None
    if client.startswith("fasthttp-"):
        impl = fasthttp_implementation()
        want = "cython" if client == "fasthttp-compiled" else "python"
        if impl != want:
            if want == "python":
                return "this process has fasthttp's compiled twin; run with FASTHTTP_NO_EXTENSIONS=1"
            return f"this process has fasthttp's {impl} twin (FASTHTTP_NO_EXTENSIONS set, or not built)"
        return None
    try:
        __import__(client)
    except ImportError as exc:
        return f"{client} is not installed ({exc})"
    return None


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    if kind == "asyncio":
        return asyncio.new_event_loop()
    raise ValueError(kind)


def loop_available(kind: str) -> Optional[str]:
    if kind == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError as exc:
            return f"uvloop is not installed ({exc})"
    return None


def version_of(client: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    if client == "raw-asyncio":
        return "benchmarks/raw_client.py"
    dist = "fasthttp" if client.startswith("fasthttp") else client
    try:
        return version(dist)
    except PackageNotFoundError:
        if dist == "fasthttp":
            import fasthttp

            return f"{fasthttp.__version__} (checkout)"
        return "?"


class Adapter:
    name = ""

    async def open(self, base: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def get_json(self) -> tuple[int, int]:
        raise NotImplementedError

    async def post_json(self) -> tuple[int, bytes]:
        raise NotImplementedError

    async def download(self) -> tuple[int, int, int]:
        """(status, bytes read, pieces)"""
        raise NotImplementedError

    async def get_json_via_proxy(self) -> tuple[int, int]:
        """GET http://origin.test/json through the canned server as an HTTP forward proxy."""
        raise NotImplementedError


class AiohttpStyle(Adapter):
    """fasthttp (either twin) and aiohttp: the very same calls."""

    def __init__(self, module: Any, name: str) -> None:
        self.mod = module
        self.name = name

    async def open(self, base: str) -> None:
        self.session = self.mod.ClientSession(
            connector=self.mod.TCPConnector(limit=CONNECTION_LIMIT)
        )
        self.json_url = base + "/json"
        self.post_url = base + "/echo-size"
        self.download_url = base + "/bytes/10MiB"
        # A forward proxy's request: the origin's name is never resolved by the client.
        # BENCH_PROXY=URL: a real proxy (tinyproxy, squid, ...) that forwards to the canned
        # server instead of the canned server answering as one.
        real_proxy = os.environ.get("BENCH_PROXY", "").strip()
        self.proxy_url = real_proxy or base
        self.proxied_url = base + "/json" if real_proxy else PROXIED_URL

    async def close(self) -> None:
        await self.session.close()

    async def get_json(self) -> tuple[int, int]:
        async with self.session.get(self.json_url) as resp:
            body = await resp.read()
            return resp.status, len(body)

    async def post_json(self) -> tuple[int, bytes]:
        async with self.session.post(self.post_url, json=PAYLOAD) as resp:
            return resp.status, await resp.read()

    async def get_json_via_proxy(self) -> tuple[int, int]:
        async with self.session.get(self.proxied_url, proxy=self.proxy_url) as resp:
            body = await resp.read()
            return resp.status, len(body)

    async def download(self) -> tuple[int, int, int]:
        n = pieces = 0
        async with self.session.get(self.download_url) as resp:
            async for chunk in resp.content.iter_chunked(CHUNK):
                n += len(chunk)
                pieces += 1
            return resp.status, n, pieces


class HttpxAdapter(Adapter):
    name = "httpx"

    async def open(self, base: str) -> None:
        import httpx

        self.client = httpx.AsyncClient(
            http1=True,
            http2=False,
            limits=httpx.Limits(
                max_connections=CONNECTION_LIMIT, max_keepalive_connections=CONNECTION_LIMIT
            ),
        )
        self.json_url = base + "/json"
        self.post_url = base + "/echo-size"
        self.download_url = base + "/bytes/10MiB"

    async def close(self) -> None:
        await self.client.aclose()

    async def get_json(self) -> tuple[int, int]:
        resp = await self.client.get(self.json_url)
        return resp.status_code, len(resp.content)

    async def post_json(self) -> tuple[int, bytes]:
        resp = await self.client.post(self.post_url, json=PAYLOAD)
        return resp.status_code, resp.content

    async def download(self) -> tuple[int, int, int]:
        n = pieces = 0
        async with self.client.stream("GET", self.download_url) as resp:
            async for chunk in resp.aiter_bytes(CHUNK):
                n += len(chunk)
                pieces += 1
            return resp.status_code, n, pieces


class AiosonicAdapter(Adapter):
    name = "aiosonic"

    async def open(self, base: str) -> None:
        import aiosonic
        from aiosonic.pools import PoolConfig

        self.client = aiosonic.HTTPClient(
            connector=aiosonic.TCPConnector(
                pool_configs={":default": PoolConfig(size=CONNECTION_LIMIT, max_conn_requests=None)}
            )
        )
        self.json_url = base + "/json"
        self.post_url = base + "/echo-size"
        self.download_url = base + "/bytes/10MiB"

    async def close(self) -> None:
        await self.client.aclose()
        await self.client.connector.cleanup()

    async def get_json(self) -> tuple[int, int]:
        resp = await self.client.get(self.json_url)
        return resp.status_code, len(await resp.content())

    async def post_json(self) -> tuple[int, bytes]:
        resp = await self.client.post(self.post_url, json=PAYLOAD)
        return resp.status_code, await resp.content()

    async def download(self) -> tuple[int, int, int]:
        n = pieces = 0
        async with self.client.stream("GET", self.download_url) as resp:
            async for chunk in resp.read_chunks():
                n += len(chunk)
                pieces += 1
            return resp.status_code, n, pieces


class RawAdapter(Adapter):
    """The ceiling row: raw_client.RawClient (GET /json only; the other scenarios skip)."""

    name = "raw-asyncio"

    async def open(self, base: str) -> None:
        from raw_client import RawClient

        self.client = RawClient(base, "/json")

    async def close(self) -> None:
        await self.client.close()

    async def get_json(self) -> tuple[int, int]:
        status, body = await self.client.get()
        return status, len(body)


def make_adapter(client: str) -> Adapter:
    if client == "raw-asyncio":
        return RawAdapter()
    if client.startswith("fasthttp-"):
        import fasthttp

        return AiohttpStyle(fasthttp, client)
    if client == "aiohttp":
        import aiohttp

        return AiohttpStyle(aiohttp, client)
    if client == "httpx":
        return HttpxAdapter()
    if client == "aiosonic":
        return AiosonicAdapter()
    raise ValueError(client)


# ---------------------------------------------------------------------------------------------
# Scenarios: each makes an async "batch" performing a fixed number of requests and checking
# every answer (raising on the first wrong one).


class Scenario:
    def __init__(self, name: str, description: str, unit: str, concurrency: int, per_round: int,
                 rounds: int, warmup: int) -> None:
        self.name = name
        self.description = description
        self.unit = unit  # "req/s" or "MiB/s"
        self.concurrency = concurrency
        self.per_round = per_round  # requests per round
        self.rounds = rounds
        self.warmup = warmup  # warm-up rounds (untimed)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("get_c1", "keep-alive GET /json (101-byte JSON body), concurrency 1", "req/s", 1, 300, 10, 1),
        Scenario("get_c32", "keep-alive GET /json (101-byte JSON body), concurrency 32", "req/s", 32, 1024, 10, 1),
        Scenario("post_json", "POST /echo-size with a 1 KiB JSON body (json=), concurrency 1", "req/s", 1, 300, 10, 1),
        Scenario("proxy_get_c32", "keep-alive GET /json through an HTTP forward proxy (absolute-form), concurrency 32", "req/s", 32, 1024, 10, 1),
        Scenario("download_10mib", "GET /bytes/10MiB, read in 64 KiB pieces, concurrency 1", "MiB/s", 1, 3, 10, 1),
    )
}
SCENARIO_NAMES = tuple(SCENARIOS)


class WrongAnswer(AssertionError):
    pass


def make_batch(adapter: Adapter, scenario: Scenario) -> Callable[[], Awaitable[int]]:
    """An async function performing one round of `scenario`; returns the requests it made."""
    n, conc = scenario.per_round, scenario.concurrency
    json_len = len(JSON_BODY)

    if scenario.name.startswith("get_") or scenario.name.startswith("proxy_get_"):
        get = adapter.get_json if scenario.name.startswith("get_") else adapter.get_json_via_proxy

        async def worker(count: int) -> int:
            for _ in range(count):
                status, length = await get()
                if status != 200 or length != json_len:
                    raise WrongAnswer(f"{adapter.name}: GET /json -> {status}, {length} bytes")
            return count

    elif scenario.name == "post_json":
        post = adapter.post_json
        replies = PAYLOAD_REPLIES

        async def worker(count: int) -> int:
            for _ in range(count):
                status, body = await post()
                if status != 200 or body not in replies:
                    raise WrongAnswer(f"{adapter.name}: POST /echo-size -> {status}, {body[:80]!r}")
            return count

    elif scenario.name == "download_10mib":
        download = adapter.download

        async def worker(count: int) -> int:
            for _ in range(count):
                status, size, pieces = await download()
                if status != 200 or size != DOWNLOAD_SIZE or pieces < DOWNLOAD_SIZE // CHUNK:
                    raise WrongAnswer(
                        f"{adapter.name}: GET /bytes/10MiB -> {status}, {size} bytes in {pieces} pieces"
                    )
            return count

    else:
        raise ValueError(scenario.name)

    if conc == 1:
        async def batch() -> int:
            return await worker(n)
    else:
        shares = [n // conc + (1 if i < n % conc else 0) for i in range(conc)]

        async def batch() -> int:
            done = await asyncio.gather(*(worker(k) for k in shares))
            return sum(done)

    return batch
