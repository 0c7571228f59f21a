"""A scaled-down soak (benchmarks/soak.py): requests, then cancellations at random points,
against a fasthttp.web server on 127.0.0.1; the client's descriptors must come back to their
start value once the sessions are closed and garbage collected. Both twins (the soak starts
its client and server processes with and without FASTHTTP_NO_EXTENSIONS=1).

test_soak_descriptors_back_to_baseline_default_timeout guards issue 9 item 3 (cancelling while a
new connection is made, with the default ClientTimeout: total and sock_connect both set, leaked
the socket before the fix: +513 descriptors after 3,000 cancellations).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)

SOAK = Path(__file__).resolve().parent.parent / "benchmarks" / "soak.py"


ALL_POINTS = "connect,head write,body write,wait head,read body"


def run_soak(tmp_path: Path, twin: str, client_timeout: str,
             cancellations: int = 200) -> dict[str, Any]:
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [sys.executable, str(SOAK), "--warmup", "100", "--requests", "500", "--concurrent", "500",
         "--concurrency", "16", "--cancellations", str(cancellations), "--points", ALL_POINTS,
         "--client-timeout", client_timeout,
         "--twins", twin, "--seed", "7", "--rss-tolerance-mib", "64", "--timeout", "90",
         "--json", str(out)],
        capture_output=True, text=True, timeout=110)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())[twin]
    result["stdout"] = proc.stdout
    return result


def _fds(result: dict[str, Any]) -> tuple[int, int]:
    figures = result["figures"]
    return figures["start"]["client_fds"], figures["end"]["client_fds"]


@pytest.mark.parametrize("twin", ["compiled", "pure"])
def test_soak_descriptors_back_to_baseline_total_timeout_only(tmp_path: Path, twin: str) -> None:
    """Cancellations at all five points, ClientTimeout(total=300) alone: nothing leaks.

    The control for the test below: the same soak, the same measurement, with only one of the
    two timeouts of the default ClientTimeout set.
    """
    result = run_soak(tmp_path, twin, "total")
    assert result["implementation"] == ("cython" if twin == "compiled" else "python")
    cancelled = sum(c["cancelled"] for c in result["cancellations"].values())
    assert cancelled >= 120, result["cancellations"]  # the cancellations did land
    start, end = _fds(result)
    assert end == start, result["stdout"]


@pytest.mark.parametrize("twin", ["compiled", "pure"])
def test_soak_descriptors_back_to_baseline_default_timeout(tmp_path: Path, twin: str) -> None:
    result = run_soak(tmp_path, twin, "default")
    assert result["cancellations"]["connect"]["cancelled"] > 0, result["cancellations"]
    start, end = _fds(result)
    assert end == start, result["stdout"]
