"""`fasthttp bench` driven as a user would: a subprocess against local servers and the embedded one.

Small loads only (a few hundred requests): these tests check counting, merging, reporting and
errors, never speed. Every run is bounded by a subprocess timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import random
import re
import ssl
import time
from typing import Any, Iterator

import pytest

from cli_helpers import ThreadLoop, raw_server, read_head, refused_port, run_cli, web_server
from cli_helpers import loop_thread  # noqa: F401 - the fixture, shared

aiohttp_web = pytest.importorskip("aiohttp.web")
web: Any = aiohttp_web

LATENCY_KEYS = ("p50", "p90", "p99", "p99.9", "max", "mean")


class Seen:
    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []


@pytest.fixture(scope="module")
def seen() -> Seen:
    return Seen()


@pytest.fixture(scope="module")
def base(loop_thread: ThreadLoop, seen: Seen) -> Iterator[str]:
    async def hello(request: Any) -> Any:
        return web.Response(text="hello, bench")

    async def record(request: Any) -> Any:
        body = await request.read()
        seen.requests.append((request.method, body))
        return web.Response(body=body)

    async def missing(request: Any) -> Any:
        return web.Response(status=404, text="no")

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_route("*", "/record", record)
    app.router.add_get("/missing", missing)
    with web_server(loop_thread, app) as url:
        yield url


def bench_json(*args: str, timeout: float = 60.0) -> dict[str, Any]:
    run = run_cli("bench", *args, "--json", timeout=timeout)
    assert run.code == 0, run
    report = json.loads(run.out)
    assert isinstance(report, dict), run
    return report


def check_latency(summary: dict[str, Any]) -> None:
    lat = summary["latency_ms"]
    assert set(LATENCY_KEYS) <= set(lat)
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99.9"] <= lat["max"]
    assert lat["mean"] <= lat["max"]


def assert_one_error_line(run: Any, *needles: str) -> str:
    assert run.code != 0, run
    assert "Traceback" not in run.err, run
    lines = run.err_lines
    errors = [line for line in lines if "error" in line]
    assert len(errors) == 1, run
    assert lines[-1] == errors[0], run
    for needle in needles:
        assert needle.lower() in errors[0].lower(), run
    return errors[0]


# --- counting and reporting --------------------------------------------------------------------


def test_fixed_count_json(base: str) -> None:
    report = bench_json(f"{base}/", "-c", "4", "-n", "200")
    assert report["target"] == f"{base}/"
    assert report["connections"] == 4 and report["processes"] == 1
    ours = report["fasthttp"]
    assert ours["client"] == "fasthttp"
    assert ours["requests"] == 200
    assert ours["status_codes"] == {"200": 200}
    assert ours["errors"] == {}
    assert ours["requests_per_sec"] > 0
    assert ours["elapsed_s"] > 0
    # 12-byte body per request: the transfer rate matches requests/s within rounding
    assert ours["transfer_bytes_per_sec"] == pytest.approx(ours["requests_per_sec"] * 12, rel=0.02)
    check_latency(ours)
    assert "aiohttp" not in report


def test_human_report(base: str) -> None:
    run = run_cli("bench", f"{base}/", "-c", "2", "-n", "100", timeout=60)
    assert run.code == 0, run
    text = run.out.decode()
    assert f"Target:        {base}/" in text
    assert re.search(r"Client:\s+fasthttp \(parser: (cython|python)\), 2 connections, 1 process", text), text
    assert re.search(r"Requests:\s+100 in \d+\.\d\d s", text), text
    assert re.search(r"Requests/sec:\s+\d+\.\d", text), text
    assert "Transfer/sec:" in text
    latency = re.search(r"Latency:\s+p50 ([\d.]+) ms\s+p90 ([\d.]+) ms\s+p99 ([\d.]+) ms\s+"
                        r"p99\.9 ([\d.]+) ms\s+max ([\d.]+) ms", text)
    assert latency, text
    values = [float(v) for v in latency.groups()]
    assert values == sorted(values)
    assert "Histogram:" in text
    bars = re.findall(r"^\s+[\d.]+ ms \|#*\s* (\d+)$", text, re.M)
    assert len(bars) == 10 and sum(int(n) for n in bars) == 100, text
    assert "Status codes:  200: 100" in text
    assert "Errors:        none" in text
    assert run.err == ""  # no live display off a terminal


def test_method_and_body(base: str, seen: Seen) -> None:
    seen.requests.clear()
    report = bench_json(f"{base}/record", "-c", "2", "-n", "50", "-m", "post", "--body", "ping body")
    assert report["fasthttp"]["requests"] == 50
    assert report["fasthttp"]["status_codes"] == {"200": 50}
    # the 50 counted requests plus a short warm-up per connection
    assert 50 <= len(seen.requests) <= 50 + 3 * 2
    assert set(seen.requests) == {("POST", b"ping body")}


def test_status_codes_counted(base: str) -> None:
    report = bench_json(f"{base}/missing", "-c", "2", "-n", "40")
    assert report["fasthttp"]["requests"] == 40
    assert report["fasthttp"]["status_codes"] == {"404": 40}
    assert report["fasthttp"]["errors"] == {}


def test_duration(base: str) -> None:
    started = time.monotonic()
    report = bench_json(f"{base}/", "-c", "4", "-z", "1s")
    wall = time.monotonic() - started
    ours = report["fasthttp"]
    assert 0.9 <= ours["elapsed_s"] <= 1.1  # -z stops on time (within 10%)
    assert ours["requests"] > 0
    assert ours["status_codes"] == {"200": ours["requests"]}
    check_latency(ours)
    assert wall < 10


def test_processes_merge(base: str) -> None:
    report = bench_json(f"{base}/", "-c", "4", "-n", "201", "-p", "2")
    assert report["processes"] == 2
    ours = report["fasthttp"]
    assert ours["requests"] == 201
    assert ours["status_codes"] == {"200": 201}
    check_latency(ours)


def test_processes_auto_is_one_per_core(base: str) -> None:
    report = bench_json(f"{base}/", "-c", "2", "-n", "8", "-p", "auto")
    assert report["processes"] == (os.cpu_count() or 1)
    assert report["fasthttp"]["status_codes"] == {"200": 8}


def test_processes_with_duration(base: str) -> None:
    report = bench_json(f"{base}/", "-c", "2", "-z", "500ms", "-p", "2")
    ours = report["fasthttp"]
    assert 0.45 <= ours["elapsed_s"] <= 0.55
    assert ours["requests"] > 0 and ours["status_codes"] == {"200": ours["requests"]}


# --- the embedded default ----------------------------------------------------------------------


def test_embedded_default() -> None:
    report = bench_json("-n", "500", "-c", "8")
    assert report["target"].startswith("http://127.0.0.1:")
    ours = report["fasthttp"]
    assert ours["requests"] == 500
    assert ours["status_codes"] == {"200": 500}
    assert ours["errors"] == {}
    assert ours["requests_per_sec"] > 0
    check_latency(ours)


def test_embedded_default_human_report() -> None:
    run = run_cli("bench", "-n", "200", "-c", "4", timeout=60)
    assert run.code == 0, run
    text = run.out.decode()
    assert "(embedded fasthttp.web server)" in text
    assert "Status codes:  200: 200" in text


def test_compare_with_aiohttp() -> None:
    """--compare: 3 rounds per client by default, the median ratio and its spread."""
    pytest.importorskip("aiohttp")
    run = run_cli("bench", "-n", "200", "-c", "4", "--compare", timeout=120)
    assert run.code == 0, run
    text = run.out.decode()
    assert re.search(r"^Client:\s+fasthttp", text, re.M), text
    assert re.search(r"^Client:\s+aiohttp, 4 connections", text, re.M), text
    assert text.count("Requests:      600 in ") == 2, text  # 3 rounds of 200 per client
    assert text.count("Status codes:  200: 600") == 2, text
    rounds = re.findall(r"^Round (\d): fasthttp (\d+) req/s, aiohttp (\d+) req/s, ([\d.]+)x$", text, re.M)
    assert [r[0] for r in rounds] == ["1", "2", "3"], text
    ratios = sorted(int(r[1]) / int(r[2]) for r in rounds)
    final = re.search(r"^fasthttp vs aiohttp: ([\d.]+)x median of 3 rounds \(spread ([\d.]+)x-([\d.]+)x\)$",
                      text, re.M)
    assert final, text
    median, low, high = (float(v) for v in final.groups())
    assert median == pytest.approx(ratios[1], rel=0.02, abs=0.01)
    assert low == pytest.approx(ratios[0], rel=0.02, abs=0.01)
    assert high == pytest.approx(ratios[2], rel=0.02, abs=0.01)


def test_compare_json(base: str) -> None:
    pytest.importorskip("aiohttp")
    report = bench_json(f"{base}/", "-n", "100", "-c", "4", "--compare", "--rounds", "2")
    assert report["fasthttp"]["requests"] == 200
    assert report["aiohttp"]["client"] == "aiohttp"
    assert report["aiohttp"]["requests"] == 200
    assert report["aiohttp"]["status_codes"] == {"200": 200}
    check_latency(report["aiohttp"])
    rounds = report["rounds"]
    assert len(rounds) == 2
    for one in rounds:
        assert one["ratio"] == pytest.approx(one["fasthttp"] / one["aiohttp"], rel=0.01)
    ratio = report["ratio_requests_per_sec"]
    ratios = sorted(one["ratio"] for one in rounds)
    assert ratio["min"] == ratios[0] and ratio["max"] == ratios[1]
    assert ratio["median"] == pytest.approx(sum(ratios) / 2, rel=0.01)


def test_no_compare_wins_when_last() -> None:
    """scripts/run puts --compare first; a --no-compare after it turns the comparison off."""
    report = bench_json("--compare", "-n", "50", "-c", "2", "--no-compare")
    assert "aiohttp" not in report and "rounds" not in report
    assert report["fasthttp"]["requests"] == 50


def test_scripts_run_keeps_compare() -> None:
    """scripts/run passes its arguments on after --compare (it used to drop --compare)."""
    script = (pathlib.Path(__file__).resolve().parent.parent / "scripts" / "run").read_text()
    command = [line for line in script.splitlines() if line.startswith("exec ")]
    assert command == ['exec "$VPY" -m fasthttp bench --compare "$@"'], command


# --- errors ------------------------------------------------------------------------------------


def test_errors_by_kind(loop_thread: ThreadLoop) -> None:
    """A server that sometimes answers, sometimes cuts the body short, sometimes just hangs up."""
    rng = random.Random(1234)

    async def flaky(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_head(reader) is not None:
            roll = rng.random()
            if roll < 0.15:  # truncated body, then close
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                await writer.drain()
                return
            if roll < 0.25:  # close without a word
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    with raw_server(loop_thread, flaky) as port:
        report = bench_json(f"http://127.0.0.1:{port}/", "-c", "4", "-n", "200")
    ours = report["fasthttp"]
    assert ours["requests"] == 200
    errors = ours["errors"]
    assert errors, ours
    # each reason is the exception class and what happened, not the class alone
    assert all(re.fullmatch(r"[A-Za-z]+: .+", reason) for reason in errors), errors
    assert any(reason.startswith("ClientPayloadError: ") for reason in errors), errors
    assert ours["status_codes"]["200"] + sum(errors.values()) == 200


@pytest.mark.parametrize("args,errors", [
    # -z bounds the run even when the server never answers (no 30 s request timeouts).
    (["-z", "0.5"], "no answer before the -z deadline (2 requests in flight were aborted)"),
    # -n with --timeout: each request ends as a timeout after 0.3 s (2 rounds of 2), not 30 s.
    (["-n", "4", "--timeout", "0.3"], "TimeoutError: no response within 0.3 s (--timeout) (4)"),
])
def test_silent_server_ends_on_time(loop_thread: ThreadLoop, args: list[str], errors: str) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(60)

    with raw_server(loop_thread, silent) as port:
        started = time.monotonic()
        run = run_cli("bench", f"http://127.0.0.1:{port}/", "-c", "2", *args, timeout=40)
        wall = time.monotonic() - started
    assert run.code == 1, run
    assert_one_error_line(run, "every request failed", errors)
    assert wall < 15, run


def test_insecure_against_self_signed_tls(loop_thread: ThreadLoop) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)

    async def hello(request: Any) -> Any:
        return web.Response(text="hello over tls")

    app = web.Application()
    app.router.add_get("/", hello)
    with web_server(loop_thread, app, ssl_context=context) as url:
        assert url.startswith("https://"), url
        report = bench_json(url, "-c", "2", "-n", "20", "-k")
        assert report["fasthttp"]["status_codes"] == {"200": 20}
        refused = run_cli("bench", url, "-c", "2", "-n", "4", "--json", timeout=60)
    # Without -k the self-signed certificate fails every request, by kind.
    assert refused.code == 1, refused
    errors = json.loads(refused.out)["fasthttp"]["errors"]
    assert list(errors) and all("SSL" in kind or "Certificate" in kind for kind in errors), errors


def test_duration_with_server_going_silent(loop_thread: ThreadLoop) -> None:
    """Answers ten requests per connection, then hangs: the in-flight ones are aborted at -z."""
    async def tires(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(10):
            if await read_head(reader) is None:
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            await writer.drain()
        await asyncio.sleep(60)

    with raw_server(loop_thread, tires) as port:
        started = time.monotonic()
        report = bench_json(f"http://127.0.0.1:{port}/", "-c", "2", "-z", "1s", timeout=40)
        wall = time.monotonic() - started
    ours = report["fasthttp"]
    assert ours["errors"] == {}
    assert ours["aborted"] == 2
    assert 1 <= ours["status_codes"]["200"] <= 20
    assert ours["requests"] == ours["status_codes"]["200"]
    assert ours["transfer_bytes_per_sec"] > 0  # bytes of the stuck workers' earlier answers kept
    assert 1.0 <= ours["elapsed_s"] <= 1.1
    check_latency(ours)
    assert wall < 15


def test_refused_port() -> None:
    port = refused_port()
    run = run_cli("bench", f"http://127.0.0.1:{port}/", "-c", "2", "-n", "10", timeout=60)
    assert run.code == 1, run
    line = assert_one_error_line(run, "every request failed", f"127.0.0.1:{port}")
    # the reason behind ClientConnectorError, with its count
    assert line.endswith(f": ConnectionRefusedError: connection refused to 127.0.0.1:{port} (10)"), line
    assert run.out == b""


def test_refused_port_json_still_reports() -> None:
    port = refused_port()
    run = run_cli("bench", f"http://127.0.0.1:{port}/", "-c", "2", "-n", "10", "--json", timeout=60)
    assert run.code == 1, run
    assert_one_error_line(run, "every request failed")
    report = json.loads(run.out)
    assert report["fasthttp"]["errors"] == {f"ConnectionRefusedError: connection refused to 127.0.0.1:{port}": 10}
    assert report["fasthttp"]["status_codes"] == {}


def test_unresolvable_host() -> None:
    run = run_cli("bench", "http://no-such-host.invalid/", "-c", "1", "-n", "3", timeout=60)
    assert run.code == 1, run
    assert_one_error_line(run, "every request failed", "no-such-host.invalid")


# --- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("args,needle", [
    (["-c", "0"], "-c"),
    (["-n", "-1"], "-n"),
    (["-n", "0"], "-n"),
    (["-z", "0"], "-z"),
    (["-z", "10 parsecs"], "invalid duration"),
    (["-q", "0"], "-q"),
    (["--latency-correction"], "needs -q"),
    (["-H", "no colon"], "-H"),
    (["-D", "/nonexistent/body"], "-D /nonexistent/body"),
    (["-d", "x", "-D", "f"], "not allowed with"),
    (["--rounds", "2"], "--rounds needs --compare"),
    (["-p", "0"], "-p"),
    (["-p", "many"], "'auto'"),
    (["--timeout", "0"], "--timeout"),
    (["--timeout", "soon"], "invalid duration"),
    (["-n", "5", "-z", "1"], "not allowed with"),
    (["-c", "many"], "invalid int"),
    (["--frobnicate"], "unrecognized"),
])
def test_bad_arguments(args: list[str], needle: str) -> None:
    run = run_cli("bench", "http://127.0.0.1:1/", *args, timeout=30)
    assert_one_error_line(run, needle)
    assert run.out == b""
