"""Runs the client benchmarks (test_bench_client.py) and renders their Markdown tables.

Used by run.py (`python benchmarks/run.py --only client`). One run of the suite = two pytest
processes: the first with fasthttp's compiled twin (every client but `fasthttp-pure`), the
second with FASTHTTP_NO_EXTENSIONS=1 and BENCH_CLIENTS=fasthttp-pure (the pure twin is chosen
when fasthttp is first imported, so it needs its own process). Their pytest-benchmark JSON is
merged; with `--repeat N` the suite runs N times and each benchmark reports the median of its
N medians.

Throughput = requests per round / median round time (MiB/s for the download). Ratios are
this row's throughput / the peer's: > 1 means this row is faster.

The share of the ceiling is given twice: from the raw-asyncio row (measured before or after the
row, as every other ratio) and paired (each of the row's rounds right after one raw round, see
test_bench_client.py: the median over rounds of raw round time / row round time). The paired
one is what issue 15's ceiling targets are read from: on a machine that switches speed for
seconds at a time it compares like with like.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

from client_peers import CLIENTS, LOOPS, SCENARIO_NAMES, SCENARIOS  # noqa: E402

PYTEST_DEFAULTS = [
    "--benchmark-only",
    "--benchmark-sort=name",
    "--benchmark-columns=min,median,iqr,rounds",
    "-p",
    "no:cacheprovider",
    "-q",
]

REFERENCES = ("aiohttp", "aiosonic", "httpx")
HEADLINE = (
    ("fasthttp-compiled", "aiohttp"),
    ("fasthttp-compiled", "aiosonic"),
    ("fasthttp-compiled", "httpx"),
    ("fasthttp-pure", "aiohttp"),
    # The share of the ceiling (a bare asyncio protocol client, raw_client.py) fasthttp reaches.
    ("fasthttp-compiled", "raw-asyncio"),
)
# The share of the ceiling from rounds paired with a raw round (see the module docstring).
PAIRED_HEADLINE = ("fasthttp-compiled", "fasthttp-pure", "aiohttp")
# The acceptance figures, at concurrency 32 on the asyncio loop (reported, not asserted).
# Issue 15's acceptance at concurrency 32: (loop, ours, theirs, the ratio to reach).
TARGETS = (
    ("asyncio", "fasthttp-compiled", "aiohttp", 2.5),
    ("asyncio", "fasthttp-compiled", "raw-asyncio", 0.5),
    ("uvloop", "fasthttp-compiled", "raw-asyncio", 0.4),
    ("asyncio", "fasthttp-pure", "aiohttp", 1.6),
)

# (scenario, loop) -> client -> {"median": s, "min": s, "runs": n, "extra": {...}}
Table = dict[tuple[str, str], dict[str, dict[str, Any]]]


def _pytest(pytest_args: list[str], env_extra: dict[str, str], label: str) -> tuple[int, Optional[dict[str, Any]]]:
    fd, json_path = tempfile.mkstemp(prefix="fasthttp-client-bench-", suffix=".json")
    os.close(fd)
    try:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(HERE / "test_bench_client.py"),
            *PYTEST_DEFAULTS,
            f"--benchmark-json={json_path}",
            *pytest_args,
        ]
        shown = " ".join(f"{k}={v}" for k, v in env_extra.items())
        print(f"==> {shown + ' ' if shown else ''}{' '.join(cmd)}{label}", file=sys.stderr, flush=True)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **env_extra)
        if "FASTHTTP_NO_EXTENSIONS" not in env_extra:
            env.pop("FASTHTTP_NO_EXTENSIONS", None)
        rc = subprocess.call(cmd, cwd=ROOT, env=env)
        try:
            text = Path(json_path).read_text(encoding="utf-8")
            data = json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            data = None
        return rc, data
    finally:
        try:
            os.unlink(json_path)
        except OSError:
            pass


def run_once(pytest_args: list[str], index: int, total: int) -> tuple[int, list[dict[str, Any]]]:
    """One run of the whole client suite (two processes); returns (worst rc, JSON documents)."""
    label = f" (client run {index + 1}/{total})" if total > 1 else ""
    wanted = os.environ.get("BENCH_CLIENTS", "").strip()
    wanted_set = {c.strip() for c in wanted.split(",") if c.strip()} if wanted else set(CLIENTS)
    compiled_side = sorted(wanted_set - {"fasthttp-pure"}, key=CLIENTS.index)
    docs: list[dict[str, Any]] = []
    worst = 0
    passes: list[dict[str, str]] = []
    if compiled_side:
        passes.append({"BENCH_CLIENTS": ",".join(compiled_side)})
    if "fasthttp-pure" in wanted_set:
        passes.append({"BENCH_CLIENTS": "fasthttp-pure", "FASTHTTP_NO_EXTENSIONS": "1"})
    for env_extra in passes:
        rc, data = _pytest(pytest_args, env_extra, label)
        if rc == 5:  # no test selected (e.g. a -k meant for the parser benchmarks)
            rc = 0
        worst = worst or rc
        if data is not None and data.get("benchmarks"):
            docs.append(data)
    return worst, docs


def collect(runs: list[list[dict[str, Any]]]) -> Table:
    medians: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    mins: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    paired: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    extra: dict[tuple[str, str, str], dict[str, Any]] = {}
    for docs in runs:
        for data in docs:
            for bench in data.get("benchmarks", []):
                info = bench.get("extra_info", {})
                key = (info["scenario"], info["loop"], info["client"])
                medians[key].append(bench["stats"]["median"])
                mins[key].append(bench["stats"]["min"])
                extra[key] = info
                share = paired_share(info.get("ceiling_round_s"), bench["stats"].get("data"))
                if share is not None:
                    paired[key].append(share)
    table: Table = defaultdict(dict)
    for key, values in medians.items():
        scenario, loop, client = key
        table[(scenario, loop)][client] = {
            "median": statistics.median(values),
            "min": min(mins[key]),
            "runs": len(values),
            "extra": extra[key],
            "paired": statistics.median(paired[key]) if paired.get(key) else None,
        }
    return table


def paired_share(ceiling_s: Optional[list[float]], rounds_s: Optional[list[float]]) -> Optional[float]:
    """The row's throughput / the raw client's, round by round (each pair back to back)."""
    if not ceiling_s or not rounds_s or len(ceiling_s) != len(rounds_s):
        return None
    return statistics.median(c / r for c, r in zip(ceiling_s, rounds_s))


def _paired(row: Optional[dict[str, Any]]) -> str:
    share = row.get("paired") if row else None
    return "n/a" if share is None else f"{share:.2f}×"


def _rate(row: Optional[dict[str, Any]], which: str = "median") -> Optional[float]:
    if not row:
        return None
    info = row["extra"]
    per_round = info["requests_per_round"]
    if info.get("unit") == "MiB/s":
        return per_round * info["bytes_per_request"] / 1048576 / row[which]
    return per_round / row[which]


def _ratio(ours: Optional[float], theirs: Optional[float]) -> str:
    if ours is None or theirs is None:
        return "n/a"
    return f"{ours / theirs:.2f}×"


def _fmt_rate(rate: Optional[float], unit: str) -> str:
    if rate is None:
        return "n/a"
    return f"{rate:,.0f} {unit}" if rate >= 100 else f"{rate:,.1f} {unit}"


def _versions(table: Table) -> str:
    seen: dict[str, str] = {}
    for rows in table.values():
        for client, row in rows.items():
            v = row["extra"].get("version")
            if v:
                seen[client.split("-")[0]] = v
    try:
        import uvloop

        seen["uvloop"] = uvloop.__version__
    except ImportError:
        pass
    return ", ".join(f"{k} {v}" for k, v in sorted(seen.items())) or "n/a"


def render(table: Table, runs: list[list[dict[str, Any]]], repeat: int) -> str:
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    first = runs[0][0] if runs and runs[0] else {}
    commit = first.get("commit_info", {})
    commit_s = ""
    if commit.get("id"):
        commit_s = f", commit {commit['id'][:10]}{' (dirty tree)' if commit.get('dirty') else ''}"
    info = first.get("machine_info", {})
    cpu = info.get("cpu", {}) if isinstance(info.get("cpu"), dict) else {}
    brand = cpu.get("brand_raw") or platform.processor() or platform.machine()
    present = {c for rows in table.values() for c in rows}
    missing = [c for c in CLIENTS if c not in present]

    out: list[str] = []
    out.append(f"### Client benchmarks, {now}")
    out.append("")
    out.append(
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPU(s) ({brand}){commit_s}"
    )
    pins = sorted({row["extra"].get("pin", "off") for rows in table.values() for row in rows.values()})
    pin_s = "no CPU pinning" if pins == ["off"] else f"CPU pinning BENCH_PIN={'/'.join(pins)}"
    out.append(f"- clients: {_versions(table)}; canned server on uvloop in its own process; {pin_s}")
    out.append(
        f"- {repeat} run(s) of the suite; throughput = requests per round / median round time "
        f"({'median of the runs’ medians' if repeat > 1 else 'median over the rounds'}); "
        "best = from the fastest round"
    )
    out.append("- ratio vs X = this row's throughput / X's: **> 1 means this row is faster than X**")
    if missing:
        out.append(f"- not measured: {', '.join(missing)} (skipped or failed; see pytest's output)")
    out.append("")

    for which, title in (
        ("median", "#### Headline: throughput ratios (fasthttp's / the peer's), medians"),
        (
            "min",
            "#### The same from each benchmark's fastest round "
            "(less sensitive to a busy machine; not the official figure)",
        ),
    ):
        out.append(title)
        out.append("")
        header = ["scenario", "loop"] + [f"{o.split('-')[1]} vs {t}" for o, t in HEADLINE]
        paired_columns = PAIRED_HEADLINE if which == "median" else ()
        header += [f"{c.removeprefix('fasthttp-')} vs raw-asyncio, paired" for c in paired_columns]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join(["---", "---"] + ["---:"] * (len(HEADLINE) + len(paired_columns))) + "|")
        for scenario in SCENARIO_NAMES:
            for loop in LOOPS:
                rows = table.get((scenario, loop))
                if not rows:
                    continue
                cells = [f"`{scenario}`", loop]
                for ours, theirs in HEADLINE:
                    cells.append(_ratio(_rate(rows.get(ours), which), _rate(rows.get(theirs), which)))
                cells += [_paired(rows.get(c)) for c in paired_columns]
                out.append("| " + " | ".join(cells) + " |")
        out.append("")

    figures = []
    for loop, ours, theirs, target in TARGETS:
        rows = table.get(("get_c32", loop))
        if not rows or ours not in rows:
            continue
        if theirs == "raw-asyncio" and rows[ours].get("paired") is not None:
            unpaired = _ratio(_rate(rows.get(ours)), _rate(rows.get(theirs)))
            figures.append(
                f"{ours} vs {theirs} on {loop} {_paired(rows[ours])} paired "
                f"({unpaired} row to row; target ≥ {target:.2g}×)"
            )
        elif theirs in rows:
            # Both rows' paired shares of the ceiling give the same ratio measured through
            # the raw client: each side compared with a round run right next to it.
            ours_share, theirs_share = rows[ours].get("paired"), rows[theirs].get("paired")
            via = (
                f"; {ours_share / theirs_share:.2f}× through the paired ceiling"
                if ours_share and theirs_share else ""
            )
            figures.append(
                f"{ours} vs {theirs} on {loop} {_ratio(_rate(rows.get(ours)), _rate(rows.get(theirs)))} "
                f"(target ≥ {target:.2g}×{via})"
            )
    if figures:
        out.append("Acceptance figures (issue 15; get_c32): " + "; ".join(figures))
        out.append("")

    for scenario in SCENARIO_NAMES:
        for loop in LOOPS:
            rows = table.get((scenario, loop))
            if not rows:
                continue
            sc = SCENARIOS[scenario]
            out.append(f"#### `{scenario}` on {loop}: {sc.description}")
            out.append("")
            out.append(
                "| client | throughput | best | round (median) | "
                + " | ".join(f"vs {ref}" for ref in REFERENCES)
                + " | vs raw-asyncio, paired |"
            )
            out.append("|---|---:|---:|---:|" + "---:|" * (len(REFERENCES) + 1))
            for client in sorted(rows, key=lambda c: -(_rate(rows[c]) or 0)):
                row = rows[client]
                rate = _rate(row)
                cells = [
                    f"**{client}**" if client.startswith("fasthttp") else client,
                    _fmt_rate(rate, sc.unit),
                    _fmt_rate(_rate(row, "min"), sc.unit),
                    f"{row['median'] * 1e3:.1f} ms",
                ]
                for ref in REFERENCES:
                    cells.append("1" if ref == client else _ratio(rate, _rate(rows.get(ref))))
                cells.append(_paired(row))
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)
