"""The access log (issue 12): aiohttp.web's format directives, logger, extra fields and classes,
checked against aiohttp.web serving the same requests on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Any

import pytest
from aiohttp import abc as aioabc
from aiohttp import web as aioweb

from fasthttp import web
from web_helpers import HOST, async_test, raw_exchange


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _logger(name: str) -> tuple[logging.Logger, _Records]:
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = _Records()
    logger.handlers[:] = [handler]
    return logger, handler


async def _serve_and_ask(mod: Any, requests: list[bytes], **runner_kwargs: Any) -> list[bytes]:
    async def hello(request: Any) -> Any:
        return mod.Response(text="hello", headers={"X-Out": "out-value"})

    async def teapot(request: Any) -> Any:
        raise mod.HTTPNotFound()

    app = mod.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/missing", teapot)
    runner = mod.AppRunner(app, **runner_kwargs)
    await runner.setup()
    site = mod.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        return [await raw_exchange(port, raw) for raw in requests]
    finally:
        await asyncio.wait_for(runner.cleanup(), 10)


def _get(target: str, extra: str = "") -> bytes:
    return (f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: probe/1.0\r\n{extra}"
            "Connection: close\r\n\r\n").encode("latin-1")


REQUESTS = [_get("/hello?x=1&y=%20z", "Referer: http://ref.example/\r\n"), _get("/missing"), _get("/nowhere")]


@async_test()
async def test_default_format() -> None:
    logger, records = _logger("test.fasthttp.access.default")
    answers = await _serve_and_ask(web, REQUESTS, access_log=logger)
    lines = [r.getMessage() for r in records.records]
    assert len(lines) == 3
    pattern = re.compile(
        r'127\.0\.0\.1 \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "(GET [^"]+ HTTP/1\.1)" '
        r'(\d{3}) (\d+) "([^"]*)" "([^"]*)"'
    )
    parsed = [pattern.fullmatch(line) for line in lines]
    assert all(parsed), lines
    assert [m.group(1) for m in parsed] == [  # type: ignore[union-attr]
        "GET /hello?x=1&y=%20z HTTP/1.1", "GET /missing HTTP/1.1", "GET /nowhere HTTP/1.1"]
    assert [m.group(2) for m in parsed] == ["200", "404", "404"]  # type: ignore[union-attr]
    # %b: every byte the client got (head included), as aiohttp counts it.
    assert [int(m.group(3)) for m in parsed] == [len(a) for a in answers]  # type: ignore[union-attr]
    assert [m.group(4) for m in parsed] == ["http://ref.example/", "-", "-"]  # type: ignore[union-attr]
    assert {m.group(5) for m in parsed} == {"probe/1.0"}  # type: ignore[union-attr]


FORMAT = '%a "%r" %s %{User-Agent}i %{X-Out}o %{X-Absent}i %P 100%% done %{FASTHTTP_TEST_ENV}e'


@async_test()
async def test_lines_and_extra_fields_as_aiohttp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTHTTP_TEST_ENV", "env-value")
    ours, our_records = _logger("test.fasthttp.access.compare")
    theirs, their_records = _logger("test.aiohttp.access.compare")
    # aiohttp documents %{NAME}e but raises on it, and turns %% into %%% (its every line then
    # reads "Error in logging"): both are compared on fasthttp alone below.
    aio_format = FORMAT.replace(" 100%% done %{FASTHTTP_TEST_ENV}e", "")
    await _serve_and_ask(web, REQUESTS, access_log=ours, access_log_format=aio_format)
    await _serve_and_ask(aioweb, REQUESTS, access_log=theirs, access_log_format=aio_format)
    assert [r.getMessage() for r in our_records.records] == [r.getMessage() for r in their_records.records]
    assert our_records.records[0].getMessage().endswith(f"<{os.getpid()}>")
    for mine, theirs_record in zip(our_records.records, their_records.records):
        for name in ("remote_address", "first_request_line", "response_status", "process_id",
                     "request_header", "response_header"):
            assert getattr(mine, name) == getattr(theirs_record, name), name
    our_records.records.clear()
    await _serve_and_ask(web, REQUESTS[:1], access_log=ours, access_log_format=FORMAT)
    [record] = our_records.records
    assert record.getMessage().endswith("100% done env-value")
    assert record.environ == {"FASTHTTP_TEST_ENV": "env-value"}  # type: ignore[attr-defined]


@async_test()
async def test_times() -> None:
    logger, records = _logger("test.fasthttp.access.times")
    await _serve_and_ask(web, REQUESTS[:1], access_log=logger, access_log_format="%T|%Tf|%D")
    seconds, fraction, micro = records.records[0].getMessage().split("|")
    assert seconds == "0" and re.fullmatch(r"0\.\d{6}", fraction)
    assert 0 < int(micro) < 5_000_000
    assert records.records[0].request_time_micro == micro  # type: ignore[attr-defined]


@async_test()
async def test_off_and_disabled() -> None:
    calls: list[Any] = []

    class Counting(web.AbstractAccessLogger):
        @property
        def enabled(self) -> bool:
            return self.logger.isEnabledFor(logging.INFO)

        def log(self, request: Any, response: Any, time: float) -> None:
            calls.append((request.path, response.status, time))

    logger = logging.getLogger("test.fasthttp.access.disabled")
    logger.setLevel(logging.WARNING)  # INFO not enabled: nothing is timed or logged
    await _serve_and_ask(web, REQUESTS, access_log=logger, access_log_class=Counting)
    assert calls == []
    logger.setLevel(logging.INFO)
    await _serve_and_ask(web, REQUESTS, access_log=logger, access_log_class=Counting)
    assert [c[:2] for c in calls] == [("/hello", 200), ("/missing", 404), ("/nowhere", 404)]
    assert all(c[2] > 0 for c in calls)
    calls.clear()
    await _serve_and_ask(web, REQUESTS, access_log=None, access_log_class=Counting)
    assert calls == []


@async_test()
async def test_aiohttp_access_logger_classes_work() -> None:
    seen: list[tuple[str, int]] = []

    class TheirKind(aioabc.AbstractAccessLogger):
        def log(self, request: Any, response: Any, time: float) -> None:
            seen.append((request.method, response.status))

    await _serve_and_ask(web, REQUESTS[:1], access_log=logging.getLogger("x"), access_log_class=TheirKind)
    assert seen == [("GET", 200)]


def test_arguments_refuse_loudly() -> None:
    app = web.Application()
    with pytest.raises(TypeError, match="access_log_class"):
        web.AppRunner(app, access_log_class=dict)
    with pytest.raises(NotImplementedError, match="tcp_keepalive"):
        web.AppRunner(app, tcp_keepalive=False)
    with pytest.raises(TypeError, match="no_such_option"):
        web.AppRunner(app, no_such_option=1)
    with pytest.raises(NotImplementedError, match="lingering_time"):
        web.run_app(app, lingering_time=1.0)
    with pytest.raises(TypeError, match="no_such_option"):
        web.run_app(app, no_such_option=1)
