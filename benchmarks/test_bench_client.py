"""HTTP client benchmarks: fasthttp (both twins) against aiohttp, httpx and aiosonic.

One pytest-benchmark group per (scenario, event loop), one benchmark per client in each group.
Every client talks to the same canned-response server (canned_server.py) running in a
separate process, started once for the module on a free 127.0.0.1 port and stopped afterwards.

Scenarios (client_peers.SCENARIOS): keep-alive GET /json at concurrency 1 and 32, the same at
concurrency 32 through an HTTP forward proxy (proxy=; the canned server answers the
absolute-form request itself, as a caching proxy would, so the client's proxy path is what is
measured; aiohttp-API clients only; BENCH_PROXY=URL sends it through a real proxy instead, which
forwards to the canned server), a POST of a 1 KiB JSON body (json=), a 10 MiB download
read in 64 KiB pieces. Loops: the default asyncio
loop and uvloop. One round = one batch of a fixed number of requests (300, 1024 at concurrency
32 spread over 32 coroutines, 3 downloads) run to completion on the benchmark's own event loop
with one long-lived session per benchmark; throughput = requests per round / round time.
pytest-benchmark's pedantic mode: one warm-up round (untimed, also used to size the number of
rounds to a time budget, 5 to 15 rounds), then the timed rounds. Every response is checked
(status, body length, or the exact reply) inside the batch; a wrong answer raises, so a broken
setup cannot benchmark nothing.

Which fasthttp twin a process benchmarks is fixed at import: `fasthttp-pure` runs only when the
process was started with FASTHTTP_NO_EXTENSIONS=1 (run.py starts such a second process, with
BENCH_CLIENTS=fasthttp-pure), `fasthttp-compiled` only without it. Set BENCH_CLIENTS,
BENCH_LOOPS or BENCH_SCENARIOS (comma-separated) to narrow a run; BENCH_ROUND_BUDGET (seconds
of timed rounds per benchmark, default 2.0) trades time for steadier medians; BENCH_PIN=same
puts the server and this process on one CPU, BENCH_PIN=split on different CPUs (default off:
the OS scheduler decides).

The ceiling, paired: in the GET scenarios every other client's timed round is preceded by one
round of the raw asyncio client (raw_client.py, on its own event loop of the same kind, same
server, untimed by pytest-benchmark: it runs in pedantic's `setup`), timed here and stored in
`extra_info["ceiling_round_s"]`. The report's share of the ceiling is then the median over
rounds of ceiling round time / row round time, each pair measured back to back. On a machine
whose speed switches between modes for seconds at a time (this project's 2-core VMs do: both
the raw client and fasthttp run 1.5x slower for a stretch, then fast again), comparing two rows
measured one after the other mixes modes; a pair of adjacent rounds sees the same one.
BENCH_PAIRED=0 turns the pairing off (the separate raw-asyncio row is measured either way).

Benchmarks never assert a time.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from typing import Any, Optional

import pytest

from canned_server import CannedServer
from malloc_modes import start_in_fast_mode
from client_peers import (
    CLIENTS,
    Adapter,
    CONNECTION_LIMIT,
    DOWNLOAD_SIZE,
    LOOPS,
    SCENARIO_NAMES,
    SCENARIOS,
    client_available,
    loop_available,
    make_adapter,
    make_batch,
    new_loop,
    version_of,
)


def _selected(var: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    chosen = tuple(x.strip() for x in raw.split(",") if x.strip())
    unknown = [x for x in chosen if x not in default]
    if unknown:
        raise pytest.UsageError(f"{var}: unknown {unknown}; choose from {default}")
    return chosen


SEL_CLIENTS = _selected("BENCH_CLIENTS", CLIENTS)
SEL_LOOPS = _selected("BENCH_LOOPS", LOOPS)
SEL_SCENARIOS = _selected("BENCH_SCENARIOS", SCENARIO_NAMES)
ROUND_BUDGET = float(os.environ.get("BENCH_ROUND_BUDGET", "2.0"))
MIN_ROUNDS, MAX_ROUNDS = 5, 15


PAIRED = os.environ.get("BENCH_PAIRED", "1").strip() != "0"

# Every client in glibc's fast mode, whatever the order of the benchmarks (malloc_modes.py).
start_in_fast_mode()
PIN = os.environ.get("BENCH_PIN", "off").strip() or "off"
if PIN not in ("off", "same", "split"):
    raise pytest.UsageError(f"BENCH_PIN={PIN!r}: choose off, same or split")


def _pin(server_pid: int) -> Optional[set[int]]:
    """BENCH_PIN=same: server and client on one CPU; split: server on one, client on the rest.

    Returns the client's previous affinity (to restore), None when nothing was pinned.
    """
    if PIN == "off" or not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if PIN == "split" and len(cpus) < 2:
        return None
    last = cpus[-1]
    os.sched_setaffinity(server_pid, {last})
    os.sched_setaffinity(0, {last} if PIN == "same" else set(cpus[:-1]))
    return set(cpus)


@pytest.fixture(scope="module")
def server() -> Iterator[CannedServer]:
    with CannedServer(lifetime=3600) as srv:
        assert srv.proc is not None
        previous = _pin(srv.proc.pid)
        try:
            yield srv
        finally:
            if previous is not None:
                os.sched_setaffinity(0, previous)


class _Ceiling:
    """The raw asyncio client on its own loop, run for one round right before each timed round."""

    def __init__(self, loop_kind: str, url: str, scenario: Any) -> None:
        self.loop = new_loop(loop_kind)
        self.adapter = make_adapter("raw-asyncio")
        self.per_round = scenario.per_round
        self.times: list[float] = []
        self.loop.run_until_complete(self.adapter.open(url))
        self.batch = make_batch(self.adapter, scenario)
        self._round()  # warm-up: its connections opened

    def _round(self) -> None:
        done = self.loop.run_until_complete(self.batch())
        assert done == self.per_round, (done, self.per_round)

    def timed_round(self) -> None:
        t0 = time.perf_counter()
        self._round()
        self.times.append(time.perf_counter() - t0)

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.adapter.close())
        finally:
            self.loop.close()


# Parametrized so that pytest runs, per loop and scenario, all the clients one after the other
# (close in time: the noise of a shared machine hits them alike).
@pytest.mark.parametrize("client", SEL_CLIENTS)
@pytest.mark.parametrize("scenario_name", SEL_SCENARIOS)
@pytest.mark.parametrize("loop_kind", SEL_LOOPS)
def test_client(benchmark: Any, server: CannedServer, loop_kind: str, scenario_name: str, client: str) -> None:
    reason = client_available(client) or loop_available(loop_kind)
    if reason:
        pytest.skip(reason)
    scenario = SCENARIOS[scenario_name]
    adapter = make_adapter(client)
    if scenario_name.startswith("proxy_") and (
        type(adapter).get_json_via_proxy is Adapter.get_json_via_proxy
    ):
        pytest.skip(f"{client}: the proxy scenario is written for aiohttp's API only")
    if client == "raw-asyncio" and not scenario_name.startswith("get_"):
        pytest.skip("raw-asyncio: the ceiling row is measured for the GET scenarios only")
    loop = new_loop(loop_kind)
    ceiling: Optional[_Ceiling] = None
    try:
        if PAIRED and client != "raw-asyncio" and scenario_name.startswith("get_"):
            ceiling = _Ceiling(loop_kind, server.url, scenario)
        loop.run_until_complete(adapter.open(server.url))
        batch = make_batch(adapter, scenario)

        # Warm-up (untimed): connections opened, caches filled; it also sizes the rounds.
        t0 = time.perf_counter()
        for _ in range(scenario.warmup):
            done = loop.run_until_complete(batch())
            assert done == scenario.per_round, (done, scenario.per_round)
        per_round = (time.perf_counter() - t0) / max(1, scenario.warmup)
        rounds = max(MIN_ROUNDS, min(MAX_ROUNDS, int(ROUND_BUDGET / max(per_round, 1e-6))))

        def round_() -> int:
            return loop.run_until_complete(batch())

        benchmark.group = f"{scenario_name} / {loop_kind}"
        benchmark.name = client
        benchmark.extra_info.update(
            client=client,
            scenario=scenario_name,
            loop=loop_kind,
            unit=scenario.unit,
            requests_per_round=scenario.per_round,
            bytes_per_request=DOWNLOAD_SIZE if scenario.unit == "MiB/s" else 0,
            concurrency=scenario.concurrency,
            connection_limit=CONNECTION_LIMIT,
            pin=PIN,
            version=version_of(client),
        )
        gc.collect()
        done = benchmark.pedantic(
            round_, rounds=rounds, iterations=1, warmup_rounds=0,
            setup=ceiling.timed_round if ceiling is not None else None,
        )
        assert done == scenario.per_round, (done, scenario.per_round)
        if ceiling is not None:
            benchmark.extra_info["ceiling_round_s"] = ceiling.times
    finally:
        if ceiling is not None:
            ceiling.close()
        try:
            loop.run_until_complete(adapter.close())
        except Exception:  # noqa: BLE001 - never mask the benchmark's own error
            pass
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
