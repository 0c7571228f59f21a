"""The differential fuzzer (tests/fuzzing/) as a short, seeded run inside the suite.

Each twin pair gets a fixed number of cases from a fixed seed (a couple of seconds each), so
a run is reproducible; any divergence fails the test and prints its minimized reproducer.
FASTHTTP_FUZZ_CASES scales the number of cases (e.g. 10 for a tenfold run). Longer runs:
scripts/fuzz SECONDS [TARGET...]. Divergences already reported and not fixed yet are listed in
tests/fuzzing/known.py (KNOWN_DIVERGENCE) and skipped; test_known_divergence_still_there fails
as soon as one is fixed, so that its switch gets flipped and the class is fuzzed again.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict

from fuzzing import known, runner, targets
from fuzzing.observe import write_head

pytestmark = [pytest.mark.differential, pytest.mark.timeout(120)]

SEED = 20240909
SCALE = float(os.environ.get("FASTHTTP_FUZZ_CASES", "1"))
CASES = {"response": 2500, "request": 3000, "chunked": 3000, "websocket": 3000, "writer": 15000}
HERE = Path(__file__).resolve().parent


def _require(twin_names: tuple[str, str]) -> None:
    """Skip (or fail, with FASTHTTP_REQUIRE_EXTENSIONS=1) when the compiled twin is missing."""
    try:
        targets.load(twin_names)
    except ImportError as exc:
        if os.environ.get("FASTHTTP_REQUIRE_EXTENSIONS", "") == "1":
            pytest.fail(f"compiled twin missing: {exc!r}", pytrace=False)
        pytest.skip(f"compiled twin not built: {exc}")


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_twins_agree_under_fuzz(name: str) -> None:
    _require(targets.TARGETS[name].twins)
    stats = runner.run(name, seed=SEED, cases=max(1, int(CASES[name] * SCALE)), max_findings=3)
    assert stats.cases > 0
    assert not stats.findings, "\n\n".join(f.report() for f in stats.findings)


KNOWN_REPRODUCERS: dict[str, tuple[str, list[tuple[Any, Any]]]] = {
    "head_writer_lone_surrogate": ("GET / HTTP/1.1", [("X", "\ud800\r\n")]),
    "head_writer_non_str_message": ("GET / HTTP/1.1", [("X", None)]),
}


@pytest.mark.parametrize("switch", list(known.KNOWN_DIVERGENCE))
def test_known_divergence_still_there(switch: str) -> None:
    """While a KNOWN_DIVERGENCE switch is on, its reproducer must still diverge."""
    _require(targets.WRITER_TWINS)
    first, pairs = KNOWN_REPRODUCERS[switch]
    outs = [write_head(m, first, CIMultiDict(pairs)) for m in targets.load(targets.WRITER_TWINS)]
    if not known.KNOWN_DIVERGENCE[switch]:
        assert outs[0] == outs[1]
        return
    assert outs[0] != outs[1], (
        f"the twins now agree on {first!r}, {pairs!r}: the known divergence is fixed; set "
        f"KNOWN_DIVERGENCE[{switch!r}] = False in tests/fuzzing/known.py")


def test_harness_finds_and_minimizes_a_planted_divergence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "compiled twin" that garbles body pieces holding a NUL is caught and shrunk."""
    pure = importlib.import_module("fasthttp._parser_py")

    class Decoder(pure.ChunkedDecoder):  # type: ignore[misc, name-defined]
        def feed_data(self, data: Any) -> list[Any]:
            events = super().feed_data(data)
            return [e.replace(b"\x00", b"0") if isinstance(e, bytes) else e for e in events]

    mutant = types.SimpleNamespace(ChunkedDecoder=Decoder)
    monkeypatch.setattr(targets, "load", lambda names: (pure, mutant))
    stats = runner.run("chunked", seed=1, cases=3000, max_findings=1)
    assert stats.findings, "the planted divergence was not found"
    finding = stats.findings[0]
    assert finding.kind == "twins"
    assert len(finding.case["data"]) <= 12, finding.report()  # minimized: b"1\r\n\x00" or so
    assert "replay('chunked'" in finding.report()


def test_scripts_fuzz_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    proc = subprocess.run(
        [sys.executable, "-m", "fuzzing", "1", "chunked", "writer", "--seed", "3", "--out",
         str(tmp_path / "found")], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cases/s" in proc.stdout
    lines = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[2:] if line}
    assert set(lines) == {"chunked", "writer"}
    assert int(lines["chunked"][1]) > 100, proc.stdout


def test_atheris_entry_point(tmp_path: Path) -> None:
    """Runs a few hundred atheris inputs where atheris is installed; a clean skip elsewhere."""
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    proc = subprocess.run(
        [sys.executable, "-m", "fuzzing", "--atheris", "chunked", "-runs=300", "-seed=1"],
        env=env, capture_output=True, text=True, timeout=90, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    try:
        importlib.import_module("atheris")
    except ImportError:
        assert "skipping" in proc.stdout
    else:
        assert "Done 300 runs" in proc.stderr, proc.stderr[-2000:]
