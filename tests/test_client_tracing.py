"""Tracing (issue 10 item 3): TraceConfig's signals, sent as aiohttp sends them.

Each scenario runs with fasthttp and with aiohttp on the same aiohttp.web server, a recording
TraceConfig of each library's own kind, and the two recordings must match; fasthttp must also
drive aiohttp's TraceConfig objects, which is what OpenTelemetry's aiohttp-client
instrumentation builds (checked with the real package: same spans as under aiohttp).
"""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace
from typing import Any

import aiohttp as real_aiohttp
import pytest
from aiohttp import web

import fasthttp as aiohttp
from client_servers import async_test, web_server

SIGNALS = [
    "on_request_start", "on_request_chunk_sent", "on_response_chunk_received", "on_request_end",
    "on_request_exception", "on_request_redirect", "on_connection_queued_start",
    "on_connection_queued_end", "on_connection_create_start", "on_connection_create_end",
    "on_connection_reuseconn", "on_dns_resolvehost_start", "on_dns_resolvehost_end",
    "on_dns_cache_hit", "on_dns_cache_miss", "on_request_headers_sent",
]


def _recording(config_module: Any, log: list[tuple[str, Any]]) -> Any:
    config = config_module.TraceConfig()
    for name in SIGNALS:
        async def record(session: Any, ctx: Any, params: Any, name: str = name) -> None:
            log.append((name, params))
        getattr(config, name).append(record)
    return config


def _app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("sleep", "0")))
        return web.Response(body=await request.read() or b"none")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/echo")

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/redirect", redirect)
    return app


async def _scenario(module: Any, config_module: Any, base: str) -> list[tuple[str, Any]]:
    log: list[tuple[str, Any]] = []
    base = base.replace("127.0.0.1", "localhost")  # a name, for the DNS signals
    connector = module.TCPConnector(family=socket.AF_INET)  # localhost -> 127.0.0.1 only
    async with module.ClientSession(connector=connector, trace_configs=[_recording(config_module, log)]) as session:
        async with session.get(base + "/redirect") as resp:
            assert await resp.read() == b"none"
        async with session.post(base + "/echo", data=b"payload") as resp:
            assert await resp.read() == b"payload"
        async def chunks() -> Any:
            yield b"one"
            yield b"two"
        async with session.put(base + "/echo", data=chunks()) as resp:
            assert await resp.read() == b"onetwo"
    return log


def _summary(log: list[tuple[str, Any]]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for name, params in log:
        fields: tuple[Any, ...] = (name,)
        for attribute in ("method", "url", "host", "chunk"):
            if hasattr(params, attribute):
                fields += (str(getattr(params, attribute)),)
        if hasattr(params, "response"):
            fields += (params.response.status,)
        out.append(fields)
    return out


@async_test()
async def test_signals_match_aiohttps_for_redirects_bodies_and_reuse() -> None:
    async with web_server(_app()) as base:
        ours = _summary(await _scenario(aiohttp, aiohttp, base))
        theirs = _summary(await _scenario(real_aiohttp, real_aiohttp, base))
    assert ours == theirs
    names = [entry[0] for entry in ours]
    for expected in ("on_dns_cache_miss", "on_dns_resolvehost_start", "on_dns_resolvehost_end",
                     "on_connection_create_start", "on_connection_create_end",
                     "on_connection_reuseconn", "on_request_redirect", "on_request_chunk_sent",
                     "on_response_chunk_received", "on_request_headers_sent"):
        assert expected in names


@async_test()
async def test_aiohttps_own_trace_config_is_driven_with_the_same_fields() -> None:
    async with web_server(_app()) as base:
        ours = _summary(await _scenario(aiohttp, real_aiohttp, base))
        theirs = _summary(await _scenario(real_aiohttp, real_aiohttp, base))
    assert ours == theirs


@async_test()
async def test_the_start_and_end_params_carry_method_url_headers_and_response() -> None:
    log: list[tuple[str, Any]] = []
    async with web_server(_app()) as base:
        async with aiohttp.ClientSession(trace_configs=[_recording(aiohttp, log)]) as session:
            async with session.get(base + "/echo", params={"a": "1"}, headers={"X-T": "v"}) as resp:
                await resp.read()
    start = next(params for name, params in log if name == "on_request_start")
    end = next(params for name, params in log if name == "on_request_end")
    assert isinstance(start, aiohttp.TraceRequestStartParams)
    assert start.method == "GET" and str(start.url) == base + "/echo?a=1" and start.headers["X-T"] == "v"
    assert isinstance(end, aiohttp.TraceRequestEndParams) and end.response is resp
    with pytest.raises(Exception):
        start.method = "POST"  # type: ignore[misc]  # frozen


@pytest.mark.parametrize("module", [aiohttp, real_aiohttp], ids=["fasthttp", "aiohttp"])
@async_test()
async def test_a_failed_request_sends_request_exception(module: Any) -> None:
    log: list[tuple[str, Any]] = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    async with module.ClientSession(trace_configs=[_recording(module, log)]) as session:
        with pytest.raises(module.ClientConnectorError) as info:
            await session.get(f"http://127.0.0.1:{port}/")
    assert [name for name, _ in log] == [
        "on_request_start", "on_connection_create_start", "on_request_exception",
    ]
    assert log[-1][1].exception is info.value


@pytest.mark.parametrize("module", [aiohttp, real_aiohttp], ids=["fasthttp", "aiohttp"])
@async_test()
async def test_a_request_waiting_for_a_connection_is_queued(module: Any) -> None:
    log: list[tuple[str, Any]] = []
    async with web_server(_app()) as base:
        connector = module.TCPConnector(limit=1)
        async with module.ClientSession(connector=connector, trace_configs=[_recording(module, log)]) as session:
            async def one(path: str) -> bytes:
                async with session.get(base + path) as resp:
                    return await resp.read()
            await asyncio.gather(one("/echo?sleep=0.2"), one("/echo"))
    names = [name for name, _ in log]
    assert names.count("on_connection_queued_start") == names.count("on_connection_queued_end") == 1


@async_test()
async def test_trace_request_ctx_and_the_context_factory() -> None:
    contexts: list[Any] = []

    class Ctx(SimpleNamespace):
        pass

    config = aiohttp.TraceConfig(trace_config_ctx_factory=Ctx)

    async def on_start(session: Any, ctx: Any, params: Any) -> None:
        ctx.started = True
        contexts.append(ctx)

    async def on_end(session: Any, ctx: Any, params: Any) -> None:
        assert ctx.started
        contexts.append(ctx)

    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    async with web_server(_app()) as base:
        async with aiohttp.ClientSession(trace_configs=[config]) as session:
            async with session.get(base + "/echo", trace_request_ctx={"id": 7}) as resp:
                await resp.read()
    assert len(contexts) == 2 and contexts[0] is contexts[1]
    assert type(contexts[0]) is Ctx and contexts[0].trace_request_ctx == {"id": 7}


@async_test()
async def test_a_session_freezes_its_trace_configs() -> None:
    config = aiohttp.TraceConfig()
    with pytest.raises(RuntimeError):
        await config.on_request_start.send(None, SimpleNamespace(), None)  # not frozen yet
    async with aiohttp.ClientSession(trace_configs=[config]) as session:
        assert session.trace_configs == (config,)
        with pytest.raises(RuntimeError):
            config.on_request_start.append(lambda *a: None)  # type: ignore[arg-type,return-value]


@async_test()
async def test_without_trace_configs_no_trace_travels_with_the_request() -> None:
    seen: list[Any] = []

    async def look(request: Any, handler: Any) -> Any:
        seen.append(request._traces)
        return await handler(request)

    async with web_server(_app()) as base:
        async with aiohttp.ClientSession(middlewares=(look,)) as session:
            async with session.get(base + "/echo") as resp:
                await resp.read()
                assert resp._traces is None
    assert seen == [None]


def _otel_spans(module: Any, base: str) -> list[tuple[str, dict[str, Any]]]:
    otel = pytest.importorskip("opentelemetry.instrumentation.aiohttp_client")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    seen_headers: list[str] = []

    async def main() -> None:
        config = otel.create_trace_config(tracer_provider=provider)
        async with module.ClientSession(trace_configs=[config]) as session:
            async with session.get(base + "/echo?x=1") as resp:
                await resp.read()
            async with session.post(base + "/missing", data=b"x") as resp:
                await resp.read()

    asyncio.run(asyncio.wait_for(main(), 20))
    del seen_headers
    return [(span.name, dict(span.attributes or {})) for span in exporter.get_finished_spans()]


def test_opentelemetry_aiohttp_client_instrumentation_gives_the_same_spans() -> None:
    import threading

    spans: dict[str, Any] = {}
    traceparents: list[str] = []

    async def echo(request: web.Request) -> web.Response:
        traceparents.append(request.headers.get("traceparent", ""))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/echo", echo)
    ready = threading.Event()
    stop: list[Any] = []
    address: list[str] = []

    def serve() -> None:
        async def run() -> None:
            async with web_server(app) as base:
                address.append(base)
                stop.append(asyncio.get_running_loop().create_future())
                ready.set()
                await asyncio.wait_for(stop[0], 30)

        asyncio.run(run())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        spans["ours"] = _otel_spans(aiohttp, address[0])
        spans["theirs"] = _otel_spans(real_aiohttp, address[0])
    finally:
        loop_future = stop[0]
        loop_future.get_loop().call_soon_threadsafe(loop_future.set_result, None)
        thread.join(10)
    ours, theirs = spans["ours"], spans["theirs"]
    assert ours == theirs
    assert [name for name, _ in ours] == ["GET", "POST"]
    attributes = ours[0][1]
    assert any(str(value).endswith("/echo?x=1") for value in attributes.values())
    assert 200 in attributes.values() and "GET" in attributes.values()
    assert 404 in ours[1][1].values()
    assert len(traceparents) == 2 and all(traceparents)  # trace context injected by both
