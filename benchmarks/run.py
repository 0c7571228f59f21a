"""Run the benchmarks and print Markdown tables of medians and ratios (parser, then client).

    python benchmarks/run.py [--only parser|client] [--repeat N] [--output FILE] [extra pytest args ...]

By default everything runs: first `pytest benchmarks/` without the client suite (the parser
benchmarks, test_bench_parser.py, get the tables below; any other benchmark file there runs
too and shows in pytest-benchmark's output), then the HTTP client benchmarks
(test_bench_client.py, see client_report.py: two pytest processes per run, the second one for
fasthttp's pure twin). `--only parser` runs test_bench_parser.py alone, `--only client` the
client suite alone.

Parser benchmarks:

From the repository root, inside the project's venv (scripts/bench does exactly that). It runs
`python -m pytest benchmarks/ --benchmark-only` (client suite excluded) with pytest-benchmark's JSON output written to a
temporary file, `--repeat N` times (default 1), and prints per corpus the median time of one
round for each parser (the median of the N runs' medians when N > 1) and the speed ratios
against aiohttp-c, aiohttp-py and h11: ratio = their median / this row's median, so > 1 means
the row is faster than that peer.

Any argument run.py does not know goes to pytest after the defaults (so it wins), e.g.
`-k small_json`, `--benchmark-max-time=2`, `--benchmark-disable-gc`.
`--output FILE` also writes the Markdown (with date, Python and machine info) to FILE.
The exit status is pytest's (non-zero when a benchmark's correctness check failed).
Unknown arguments go to the client suite's pytest too (a run that selects no client benchmark,
e.g. `-k small_json`, is not an error).
"""

from __future__ import annotations

import argparse
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
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))

from corpora import CORPORA, CORPUS_NAMES  # noqa: E402
from test_bench_parser import PARSERS  # noqa: E402

# Defaults for a run of about 1.5 minutes on a 2-core machine (24 benchmarks, each
# warm-up + up to ~1 s of rounds; a round below 50 µs is looped so the timer's own cost is
# amortised). GC stays enabled: every parser pays for what it allocates, as in real use
# (pass --benchmark-disable-gc to compare without it).
PYTEST_DEFAULTS = [
    "--benchmark-only",
    "--benchmark-warmup=on",
    "--benchmark-warmup-iterations=10000",
    "--benchmark-min-rounds=20",
    "--benchmark-min-time=0.00005",
    "--benchmark-max-time=1.0",
    "--benchmark-sort=min",
    "--benchmark-columns=min,median,iqr,rounds,iterations",
    "-p",
    "no:cacheprovider",
    "-q",
]

REFERENCES = ("aiohttp-c", "aiohttp-py", "h11")
# The headline pairs: (ours, theirs).
HEADLINE = (
    ("fasthttp-cython", "aiohttp-c"),
    ("fasthttp-cython", "httptools"),
    ("fasthttp-cython", "h11"),
    ("fasthttp-python", "aiohttp-py"),
    ("fasthttp-python", "h11"),
)


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds:.3f} s"


def _fmt_ratio(theirs: float | None, ours: float | None) -> str:
    if theirs is None or ours is None:
        return "n/a"
    return f"{theirs / ours:.2f}×"


def _targets(only: str) -> list[str]:
    """What the first pytest pass collects.

    `--only parser`: the parser benchmarks alone. The default run: every benchmark file in this
    directory except the client suite (which client_report.py runs in its own two processes),
    as `pytest benchmarks/` did before the client suite existed; only the parser groups get
    tables here, other files' benchmarks show in pytest-benchmark's own output.
    """
    if only == "parser":
        return [str(HERE / "test_bench_parser.py")]
    return [str(HERE), f"--ignore={HERE / 'test_bench_client.py'}"]


def run_once(
    pytest_args: list[str], index: int, total: int, only: str = "parser"
) -> tuple[int, dict[str, Any] | None]:
    fd, json_path = tempfile.mkstemp(prefix="fasthttp-bench-", suffix=".json")
    os.close(fd)
    try:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            *_targets(only),
            *PYTEST_DEFAULTS,
            f"--benchmark-json={json_path}",
            *pytest_args,
        ]
        label = f" (run {index + 1}/{total})" if total > 1 else ""
        print(f"==> {' '.join(cmd)}{label}", file=sys.stderr, flush=True)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        rc = subprocess.call(cmd, cwd=ROOT, env=env)
        try:
            with open(json_path, encoding="utf-8") as f:
                text = f.read()
            data = json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            data = None
        return rc, data
    finally:
        try:
            os.unlink(json_path)
        except OSError:
            pass


def collect(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """{corpus: {parser: {"median": s, "min": s, "runs": n, "extra": {...}}}}"""
    medians: dict[tuple[str, str], list[float]] = defaultdict(list)
    mins: dict[tuple[str, str], list[float]] = defaultdict(list)
    extra: dict[tuple[str, str], dict[str, Any]] = {}
    for data in runs:
        for bench in data.get("benchmarks", []):
            info = bench.get("extra_info", {})
            key = (info.get("corpus", bench.get("group")), info.get("parser", bench.get("name")))
            medians[key].append(bench["stats"]["median"])
            mins[key].append(bench["stats"]["min"])
            extra[key] = info
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for key, values in medians.items():
        corpus, parser = key
        table[corpus][parser] = {
            "median": statistics.median(values),
            "min": min(mins[key]),
            "runs": len(values),
            "extra": extra[key],
        }
    return table


def _machine(runs: list[dict[str, Any]]) -> str:
    info = runs[0].get("machine_info", {}) if runs else {}
    cpu = info.get("cpu", {}) if isinstance(info.get("cpu"), dict) else {}
    brand = cpu.get("brand_raw") or platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPU(s) ({brand})"
    )


def _versions(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    seen: dict[str, str] = {}
    for parsers in table.values():
        for name, row in parsers.items():
            version = row["extra"].get("version")
            if version:
                seen[name.split("-")[0]] = version
    return ", ".join(f"{k} {v}" for k, v in sorted(seen.items())) or "n/a"


def _twins(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    present = {name for parsers in table.values() for name in parsers}
    cython = "present" if "fasthttp-cython" in present else "NOT built (skipped)"
    python = "present" if "fasthttp-python" in present else "missing"
    return f"compiled twin (fasthttp._parser) {cython}, pure twin (fasthttp._parser_py) {python}"


def render(table: dict[str, dict[str, dict[str, Any]]], runs: list[dict[str, Any]], repeat: int) -> str:
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = runs[0].get("commit_info", {}) if runs else {}
    commit_s = ""
    if commit.get("id"):
        commit_s = f", commit {commit['id'][:10]}{' (dirty tree)' if commit.get('dirty') else ''}"
    out: list[str] = []
    out.append(f"### Parser benchmarks, {now}")
    out.append("")
    out.append(
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{_machine(runs)}"
    )
    out.append(f"- {_twins(table)}{commit_s}")
    out.append(f"- peers: {_versions(table)}")
    out.append(
        f"- {repeat} run(s) of the whole suite; time = median time of one round "
        f"({'median of the runs’ medians' if repeat > 1 else 'median over the rounds'}); "
        "min = fastest round seen"
    )
    out.append(
        "- ratio vs X = X's median / this row's median: **> 1 means this row is faster than X**"
    )
    out.append("")

    # Headline.
    out.append("#### Headline: speed ratios (their median / fasthttp's median)")
    out.append("")
    header = ["corpus"] + [f"{ours.split('-')[1]} vs {theirs}" for ours, theirs in HEADLINE]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join(["---"] + ["---:"] * len(HEADLINE)) + "|")
    for corpus in CORPUS_NAMES:
        rows = table.get(corpus, {})
        cells = [f"`{corpus}`"]
        for ours, theirs in HEADLINE:
            o = rows.get(ours, {}).get("median")
            t = rows.get(theirs, {}).get("median")
            cells.append(_fmt_ratio(t, o))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")

    for corpus in CORPUS_NAMES:
        rows = table.get(corpus)
        if not rows:
            continue
        c = CORPORA[corpus]
        out.append(f"#### `{corpus}`: {c.description}")
        out.append("")
        out.append(
            "| parser | median | min | MB/s | "
            + " | ".join(f"vs {ref}" for ref in REFERENCES)
            + " |"
        )
        out.append("|---|---:|---:|---:|" + "---:|" * len(REFERENCES))
        for parser in sorted(
            (p for p in PARSERS if p in rows), key=lambda p: rows[p]["median"]
        ):
            row = rows[parser]
            med = row["median"]
            mbps = c.size / med / 1e6
            cells = [
                f"**{parser}**" if parser.startswith("fasthttp") else parser,
                _fmt_time(med),
                _fmt_time(row["min"]),
                f"{mbps:,.0f}",
            ]
            for ref in REFERENCES:
                cells.append(
                    "1" if ref == parser else _fmt_ratio(rows.get(ref, {}).get("median"), med)
                )
            out.append("| " + " | ".join(cells) + " |")
        missing = [p for p in PARSERS if p not in rows]
        if missing:
            out.append("")
            out.append(f"Not measured: {', '.join(missing)} (skipped or failed; see pytest's output).")
        out.append("")
    return "\n".join(out)


def _run_parser(args: argparse.Namespace, pytest_args: list[str]) -> tuple[int, str | None]:
    runs: list[dict[str, Any]] = []
    worst_rc = 0
    for i in range(args.repeat):
        rc, data = run_once(pytest_args, i, args.repeat, args.only)
        if rc == 5 and args.only == "all":  # nothing selected (e.g. -k meant for the clients)
            rc = 0
        worst_rc = worst_rc or rc
        if data is not None and data.get("benchmarks"):
            runs.append(data)
        if rc not in (0,) and data is None:
            break
    if not runs:
        if worst_rc or args.only == "parser":
            print("no parser benchmark results (see pytest's output above)", file=sys.stderr)
        return worst_rc or (1 if args.only == "parser" else 0), None
    return worst_rc, render(collect(runs), runs, len(runs))


def _run_client(args: argparse.Namespace, pytest_args: list[str]) -> tuple[int, str | None]:
    import client_report

    runs: list[list[dict[str, Any]]] = []
    worst_rc = 0
    for i in range(args.repeat):
        rc, docs = client_report.run_once(pytest_args, i, args.repeat)
        worst_rc = worst_rc or rc
        if docs:
            runs.append(docs)
        elif rc:
            break
    if not runs:
        if worst_rc or args.only == "client":
            print("no client benchmark results (see pytest's output above)", file=sys.stderr)
        return worst_rc or (1 if args.only == "client" else 0), None
    return worst_rc, client_report.render(client_report.collect(runs), runs, len(runs))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Unknown arguments are passed to pytest (after the defaults, so they win).",
    )
    ap.add_argument("--only", choices=("all", "parser", "client"), default="all", help="run only one suite (default: both)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N", help="run the suite N times, report the median of the medians")
    ap.add_argument("--output", metavar="FILE", help="also write the Markdown tables to FILE")
    args, pytest_args = ap.parse_known_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]

    sections: list[str] = []
    worst_rc = 0
    if args.only in ("all", "parser"):
        rc, md = _run_parser(args, pytest_args)
        worst_rc = worst_rc or rc
        if md:
            sections.append(md)
    if args.only in ("all", "client"):
        rc, md = _run_client(args, pytest_args)
        worst_rc = worst_rc or rc
        if md:
            sections.append(md)
    if not sections:
        return worst_rc or 1

    markdown = "\n\n".join(sections)
    print()
    print(markdown)
    if args.output:
        Path(args.output).write_text(markdown + "\n", encoding="utf-8")
        print(f"\n(written to {args.output})", file=sys.stderr)
    return worst_rc


if __name__ == "__main__":
    sys.exit(main())
