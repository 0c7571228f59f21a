"""`fasthttp bench` shaping the load: rate (-q), latency correction, -z, -p, request options,
and the live view on a terminal. Subprocess runs against servers on 127.0.0.1 that count what
they receive, so the client's report is checked against the server's own tally.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from typing import Any, Iterator

import pytest

from cli_helpers import PYTHON, ThreadLoop, cli_env, run_cli, run_on_terminal, web_server
from cli_helpers import loop_thread  # noqa: F401 - the fixture, shared

aiohttp_web = pytest.importorskip("aiohttp.web")
web: Any = aiohttp_web


class Tally:
    """What the server saw."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.stall_at = -1  # the index of the request that stalls (once), -1 for none

    def reset(self, stall_at: int = -1) -> None:
        self.requests.clear()
        self.stall_at = stall_at


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


@pytest.fixture(scope="module")
def base(loop_thread: ThreadLoop, tally: Tally) -> Iterator[str]:
    async def record(request: Any) -> Any:
        index = len(tally.requests)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        tally.requests.append({"method": request.method, "headers": request.headers.copy(),
                               "body": await request.read(), "peer": peer, "at": time.monotonic()})
        if index == tally.stall_at:
            await asyncio.sleep(0.3)
        return web.Response(text="counted")

    async def mixed(request: Any) -> Any:
        index = len(tally.requests)
        tally.requests.append({"at": time.monotonic()})
        return web.Response(status=404 if index % 3 == 2 else 200, text="mixed")

    app = web.Application()
    app.router.add_route("*", "/record", record)
    app.router.add_get("/mixed", mixed)
    with web_server(loop_thread, app) as url:
        yield url


def bench_json(*args: str, timeout: float = 60.0) -> dict[str, Any]:
    run = run_cli("bench", *args, "--json", timeout=timeout)
    assert run.code == 0, run
    report: dict[str, Any] = json.loads(run.out)
    return report


# --- rate, latency correction, duration --------------------------------------------------------


def test_rate_is_held(base: str, tally: Tally) -> None:
    """-q 200 for 2 s: the server sees 400 requests (within 2%), spread over the 2 s."""
    tally.reset()
    report = bench_json(f"{base}/record", "-z", "2s", "-q", "200", "-c", "8")
    seen = len(tally.requests)
    assert 392 <= seen <= 408, seen
    ours = report["fasthttp"]
    assert ours["requests"] == seen and ours["status_codes"] == {"200": seen}
    assert report["rate"] == 200.0
    # no burst: the server's first and last request are ~2 s apart, each second gets its share
    times = sorted(r["at"] for r in tally.requests)
    assert 1.9 <= times[-1] - times[0] <= 2.1
    first_second = sum(1 for t in times if t - times[0] < 1.0)
    assert 190 <= first_second <= 210, first_second


def stalled_p90(base: str, tally: Tally, *correction: str) -> dict[str, Any]:
    # 1 connection, 100 requests/s for 1 s; the 20th request stalls 300 ms: ~30 requests fall due
    # during the stall and go out late.
    tally.reset(stall_at=20)
    report = bench_json(f"{base}/record", "-z", "1s", "-q", "100", "-c", "1", *correction)
    assert len(tally.requests) >= 95
    latency: dict[str, Any] = report["fasthttp"]["latency_ms"]
    assert latency["max"] >= 290  # the stalled request itself, either way
    return latency


def test_latency_correction_counts_the_stall(base: str, tally: Tally) -> None:
    corrected = stalled_p90(base, tally, "--latency-correction")
    # the late requests waited up to 300 ms for the connection: that is in their latency
    assert corrected["p90"] >= 150, corrected
    assert corrected["p50"] < 100, corrected


def test_without_correction_the_stall_is_omitted(base: str, tally: Tally) -> None:
    plain = stalled_p90(base, tally)
    # timed from when each went out, the late requests look fast (coordinated omission)
    assert plain["p90"] < 50, plain


def test_duration_without_rate_stops_on_time(base: str, tally: Tally) -> None:
    started = time.monotonic()
    report = bench_json(f"{base}/record", "-z", "1500ms", "-c", "4")
    wall = time.monotonic() - started
    assert 1.35 <= report["fasthttp"]["elapsed_s"] <= 1.65  # within 10%
    assert wall < 10


# --- several processes ------------------------------------------------------------------------


def test_processes_merge_counts_exactly(base: str, tally: Tally) -> None:
    """-p 2: the merged status counts equal the server's (every third answer is a 404)."""
    tally.reset()
    # -q keeps the warm-up off, so the server's count is the run's count
    report = bench_json(f"{base}/mixed", "-n", "301", "-c", "4", "-q", "3000", "-p", "2")
    assert report["processes"] == 2
    ours = report["fasthttp"]
    assert len(tally.requests) == 301
    assert ours["requests"] == 301
    assert ours["status_codes"] == {"200": 201, "404": 100}
    assert ours["errors"] == {}


def test_json_and_text_carry_the_same_numbers(base: str, tally: Tally) -> None:
    tally.reset()
    report = bench_json(f"{base}/mixed", "-n", "90", "-c", "3", "-q", "2000")
    tally.reset()
    run = run_cli("bench", f"{base}/mixed", "-n", "90", "-c", "3", "-q", "2000", timeout=60)
    assert run.code == 0, run
    text = run.out.decode()
    ours = report["fasthttp"]
    assert ours["status_codes"] == {"200": 60, "404": 30}
    assert re.search(rf"^Requests:\s+{ours['requests']} in ", text, re.M), text
    assert "Status codes:  200: 60, 404: 30" in text
    bars = re.findall(r"^\s+[\d.]+ ms \|#*\s* (\d+)$", text, re.M)
    assert sum(int(n) for n in bars) == ours["requests"]
    # the same keys in both
    lat = ours["latency_ms"]
    shown = dict(re.findall(r"(p50|p90|p99|p99\.9|max) ([\d.]+) ms", text.split("Latency:")[1].splitlines()[0]))
    assert set(shown) == {"p50", "p90", "p99", "p99.9", "max"} <= set(lat)


# --- what each request carries ------------------------------------------------------------------


def test_method_headers_body_and_content_type(base: str, tally: Tally) -> None:
    tally.reset()
    report = bench_json(f"{base}/record", "-n", "10", "-c", "2", "-q", "1000", "-m", "put",
                        "-H", "X-One: 1", "-H", "X-Two:  two words ", "-H", "X-One: again",
                        "-H", "Content-Type: text/plain", "-d", '{"a": 1}', "-T", "application/json")
    assert report["fasthttp"]["status_codes"] == {"200": 10}
    assert len(tally.requests) == 10
    for seen in tally.requests:
        assert seen["method"] == "PUT"
        assert seen["headers"].getall("X-One") == ["1", "again"]  # repeated, both sent
        assert seen["headers"]["X-Two"] == "two words"
        assert seen["headers"].getall("Content-Type") == ["application/json"]  # -T wins
        assert seen["body"] == b'{"a": 1}'


def test_body_from_file(base: str, tally: Tally, tmp_path: Any) -> None:
    payload = bytes(range(256)) * 40
    path = tmp_path / "body.bin"
    path.write_bytes(payload)
    tally.reset()
    bench_json(f"{base}/record", "-n", "4", "-c", "1", "-q", "1000", "-m", "POST", "-D", str(path))
    assert [seen["body"] for seen in tally.requests] == [payload] * 4


@pytest.mark.parametrize("flag,most_connections", [([], 2), (["--disable-keepalive"], 20)])
def test_disable_keepalive(base: str, tally: Tally, flag: list[str], most_connections: int) -> None:
    tally.reset()
    bench_json(f"{base}/record", "-n", "20", "-c", "2", "-q", "500", *flag)
    ports = {seen["peer"][1] for seen in tally.requests}
    assert len(tally.requests) == 20
    if flag:
        assert len(ports) == 20  # a new connection per request
    else:
        assert len(ports) <= most_connections


# --- Ctrl-C ------------------------------------------------------------------------------------


@pytest.mark.parametrize("processes,whole_group", [("1", False), ("2", True), ("2", False)])
def test_ctrl_c_stops_and_still_reports(base: str, tally: Tally, processes: str, whole_group: bool) -> None:
    """SIGINT (a terminal's Ctrl-C hits the whole process group; `kill -INT` only the parent):
    the run stops at once and the summary of the requests so far is printed, exit status 130."""
    tally.reset()
    started_at = time.monotonic()
    process = subprocess.Popen(
        [PYTHON, "-m", "fasthttp", "bench", f"{base}/record", "-z", "60s", "-c", "2", "-q", "200",
         "-p", processes, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        # every client process is sending (each of its connections has been seen), and the
        # server has answered enough requests to tell a summary from an empty one
        while ((len({seen["peer"] for seen in tally.requests}) < 2 or len(tally.requests) < 20)
               and time.monotonic() < deadline):
            time.sleep(0.05)
        interrupted_at = time.monotonic()
        if whole_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert time.monotonic() - interrupted_at < 10
    assert process.returncode == 130, err
    assert "interrupted (Ctrl-C)" in err.decode() and "Traceback" not in err.decode(), err
    ours = json.loads(out)["fasthttp"]
    assert ours["interrupted"] is True
    assert 10 <= ours["requests"] <= len(tally.requests)
    assert ours["status_codes"] == {"200": ours["requests"]}
    # Stopped by the interrupt, not by -z (a loaded machine may take long to start the run).
    assert ours["elapsed_s"] < interrupted_at - started_at + 10


def test_a_child_under_repeated_ctrl_c_still_reports(base: str, tally: Tally) -> None:
    """A -p child gets Ctrl-C twice (the terminal's and the parent's forward) and may get it at
    any point of its shutdown: while its loop closes (the self-pipe that SIGINT wakes the loop
    through is already closed, the handler not yet removed) or just after. Flooded with SIGINT
    from its first request until it exits, it still prints its RESULT, silently."""
    tally.reset()
    spec = {"client": "fasthttp", "url": f"{base}/record", "connections": 1, "requests": None,
            "duration": 60.0, "rate": 100.0, "latency_correction": False, "method": "GET",
            "headers": [], "body": None, "disable_keepalive": False, "insecure": False,
            "timeout": 20.0, "uvloop": False, "ticks": False}
    child = subprocess.Popen([PYTHON, "-m", "fasthttp.cli.bench_worker"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
    try:
        assert child.stdin is not None
        child.stdin.write(json.dumps(spec).encode())
        child.stdin.close()
        child.stdin = None  # (so that communicate() leaves it alone)
        deadline = time.monotonic() + 20
        while not tally.requests and time.monotonic() < deadline:  # its loop handles SIGINT
            time.sleep(0.01)
        assert tally.requests, "the child never sent a request"
        signals = 0
        while child.poll() is None and time.monotonic() < deadline:
            os.kill(child.pid, signal.SIGINT)
            signals += 1
            time.sleep(0.0002)
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    # (A SIGINT that lands while the interpreter finalizes, after the report, ends it by the
    # signal: the parent has the report by then and does not look at the status.)
    assert child.returncode in (0, -signal.SIGINT) and err == b"", (child.returncode, err.decode(), signals)
    kind, _, payload = out.decode().partition(" ")
    assert kind == "RESULT", out
    assert json.loads(payload)["interrupted"] is True


# A -p child whose event loop gets SIGINT right after closing its self-pipe, the moment a
# handler installed with loop.add_signal_handler still writes there (asyncio removes it later).
SIGINT_AS_THE_LOOP_CLOSES = """
import asyncio.selector_events, os, signal, sys
from fasthttp.cli import bench_worker
close_self_pipe = asyncio.selector_events.BaseSelectorEventLoop._close_self_pipe
def closing(loop):
    close_self_pipe(loop)
    os.kill(os.getpid(), signal.SIGINT)
asyncio.selector_events.BaseSelectorEventLoop._close_self_pipe = closing
bench_worker.main()
"""


def test_a_child_interrupted_as_its_loop_closes_still_reports(base: str, tally: Tally) -> None:
    spec = {"client": "fasthttp", "url": f"{base}/record", "connections": 1, "requests": 4,
            "duration": None, "rate": 0, "latency_correction": False, "method": "GET",
            "headers": [], "body": None, "disable_keepalive": False, "insecure": False,
            "timeout": 20.0, "uvloop": False, "ticks": False}
    run = subprocess.run([PYTHON, "-c", SIGINT_AS_THE_LOOP_CLOSES], input=json.dumps(spec).encode(),
                         capture_output=True, env=cli_env(), timeout=30)
    assert run.returncode == 0 and run.stderr == b"", (run.returncode, run.stderr.decode())
    kind, _, payload = run.stdout.decode().partition(" ")
    assert kind == "RESULT", run.stdout
    assert json.loads(payload)["statuses"] == {"200": 4}


# --- the live view ---------------------------------------------------------------------------


def drawn_on_terminal(*args: str) -> tuple[int, str]:
    """(exit code, what `fasthttp ARGS` drew on a pseudo-terminal)."""
    code, drawn = run_on_terminal(*args)
    return code, drawn.decode(errors="replace")


@pytest.mark.parametrize("processes", ["1", "2"])
def test_live_view_on_a_terminal(base: str, processes: str) -> None:
    code, drawn = drawn_on_terminal("bench", f"{base}/record", "-z", "1s", "-c", "2", "-q", "200",
                                  "-p", processes)
    assert code == 0, drawn
    frames = drawn.count("req/s now")
    # Redrawn at most ~10 times a second, by the view's own clock: each frame shows its elapsed
    # time (to 0.1 s). A loaded machine may keep the view up well past the 1 s (with -p the
    # parent redraws until its children have exited), so the span shown bounds the count:
    # one frame per 0.1 s of it, one for the rounding of its ends, and with -p one more per
    # child (the parent redraws at once when one exits).
    shown = [float(s) for s in re.findall(r"([\d.]+) s / 1 s", drawn)]
    assert len(shown) == frames, drawn
    most = round(10 * (shown[-1] - shown[0])) + 2 + (int(processes) if processes != "1" else 0)
    assert 3 <= frames <= most, (frames, shown)
    assert re.search(r"\[#+-*\]\s+\d+\.\d%", drawn), drawn  # a progress bar
    assert "Latency:  p50 " in drawn
    assert "\x1b[J" in drawn  # erased before the summary
    assert "Status codes:  200: " in drawn.split("\x1b[J")[-1]


def test_no_tui_and_pipes_get_the_summary_alone(base: str) -> None:
    code, drawn = drawn_on_terminal("bench", f"{base}/record", "-n", "20", "-c", "2", "--no-tui")
    assert code == 0, drawn
    assert "req/s now" not in drawn and "\x1b[" not in drawn
    assert "Status codes:  200: 20" in drawn


# --- the latency histogram --------------------------------------------------------------------


def test_histogram_is_bounded_and_accurate() -> None:
    """200k latencies up to 20 s: a few thousand buckets, percentiles within 0.4%."""
    import random

    from fasthttp.cli.bench_stats import LatencyHistogram

    rng = random.Random(7)
    samples = [rng.lognormvariate(-7, 2) for _ in range(200_000)] + [20.0, 0.00005]
    histogram = LatencyHistogram()
    for value in samples:
        histogram.record(value)
    assert len(histogram.counts) < 6000
    ordered = sorted(samples)
    for p in (50.0, 90.0, 99.0, 99.9):
        exact = ordered[max(0, -(-len(ordered) * int(p * 10) // 1000) - 1)]
        assert histogram.percentile(p) == pytest.approx(exact, rel=0.004, abs=1e-6), p
    assert histogram.max == 20.0 and histogram.min == min(samples)
    # merging two halves gives the same counts as recording everything in one
    left, right = LatencyHistogram(), LatencyHistogram()
    for index, value in enumerate(samples):
        (left if index % 2 else right).record(value)
    left.merge(right)
    assert left.counts == histogram.counts and left.count == histogram.count
