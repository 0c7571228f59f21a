"""The fuzz loops: a fixed number of cases (the test suite) or a time budget (scripts/fuzz).

Case ``i`` of a run with seed ``s`` is generated from ``random.Random(s * 1_000_003 + i)``,
so a run is reproducible and any case can be regenerated from (seed, index). A divergence is
minimized (``minimize``: feeds made coarser, bytes and headers removed while the same kind of
finding remains) before it is reported or saved.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .targets import TARGETS, Finding, Target
import random


@dataclass
class Stats:
    target: str
    cases: int = 0
    seconds: float = 0.0
    known: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def case_rng(seed: int, index: int) -> random.Random:
    return random.Random(seed * 1_000_003 + index)


def check_safely(target: Target, case: dict[str, Any]) -> Optional[Finding]:
    """target.check, with a crash of the harness or a twin turned into a finding."""
    try:
        return target.check(case)
    except Exception:  # noqa: BLE001 - e.g. an AssertionError of ws_cases' integrity check
        return Finding(target.name, "crash", traceback.format_exc(limit=6), case)


def run(target_name: str, *, seed: int = 0, cases: Optional[int] = None,
        seconds: Optional[float] = None, out_dir: Optional[Path] = None,
        max_findings: int = 20, minimize_findings: bool = True) -> Stats:
    """Run until `cases` cases or `seconds` seconds (whichever is given; both: the first)."""
    if cases is None and seconds is None:
        raise ValueError("give cases or seconds")
    target = TARGETS[target_name]
    stats = Stats(target_name)
    seen: set[tuple[str, str]] = set()
    start = time.monotonic()
    deadline = start + seconds if seconds is not None else float("inf")
    index = 0
    while (cases is None or index < cases) and time.monotonic() < deadline:
        case = target.generate(case_rng(seed, index))
        index += 1
        finding = check_safely(target, case)
        if finding is None:
            continue
        if finding.kind == "known":
            stats.known += 1
            continue
        # One report per distinct first difference (the same bug is hit many times).
        signature = (finding.kind, _signature(finding.detail))
        if signature in seen:
            continue
        seen.add(signature)
        if minimize_findings:
            finding = minimize(target, finding)
        stats.findings.append(finding)
        if out_dir is not None:
            save(finding, out_dir, seed, index - 1)
        if len(stats.findings) >= max_findings:
            break
    stats.cases = index
    stats.seconds = time.monotonic() - start
    return stats


def _signature(detail: str) -> str:
    # The path to the first difference and the exception names, without the data.
    return detail.split(":")[0] + "|" + ",".join(
        w for w in detail.replace("'", " ").split() if w.endswith(("Error", "Header", "Line",
                                                                   "Message", "Method")))


def save(finding: Finding, out_dir: Path, seed: int, index: int) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{finding.target}-{finding.kind}-seed{seed}-case{index}-{os.getpid()}.txt"
    path.write_text(finding.report())
    return path


# --------------------------------------------------------------------------- minimization


def minimize(target: Target, finding: Finding, budget: float = 20.0) -> Finding:
    """A smaller case giving a finding of the same kind (bounded by `budget` seconds)."""
    deadline = time.monotonic() + budget
    best = finding

    def still(case: dict[str, Any]) -> Optional[Finding]:
        if time.monotonic() > deadline:
            return None
        found = check_safely(target, case)
        return found if found is not None and found.kind == finding.kind else None

    case = dict(best.case)
    if "cuts" in case and case["cuts"] not in ("whole",):
        for cuts in ("whole", "bytewise"):
            found = still({**case, "cuts": cuts})
            if found:
                best, case = found, dict(found.case)
                break
    if "data" in case:
        best = _shrink_bytes(best, still)
    if "pairs" in case:
        best = _shrink_pairs(best, still)
    return best


def _shrink_bytes(best: Finding, still: Any) -> Finding:
    size = max(1, len(best.case["data"]) // 2)
    while size >= 1:
        i = 0
        progressed = False
        while i < len(best.case["data"]):
            data = best.case["data"]
            case = {**best.case, "data": data[:i] + data[i + size:]}
            if isinstance(case.get("cuts"), list):  # keep the pieces around the hole as they were
                case["cuts"] = sorted({c if c <= i else max(i, c - size) for c in case["cuts"]})
            found = still(case)
            if found:
                best = found
                progressed = True
            else:
                i += size
        if not progressed:
            size //= 2
    if isinstance(best.case.get("cuts"), list):  # then drop the cuts that do not matter
        j = 0
        while j < len(best.case["cuts"]):
            cuts = best.case["cuts"]
            found = still({**best.case, "cuts": cuts[:j] + cuts[j + 1:]})
            if found:
                best = found
            else:
                j += 1
    return best


def _shrink_pairs(best: Finding, still: Any) -> Finding:
    i = 0
    while i < len(best.case["pairs"]):
        pairs = best.case["pairs"]
        found = still({**best.case, "pairs": pairs[:i] + pairs[i + 1:]})
        if found:
            best = found
        else:
            i += 1
    best = _shrink_text(best, still, lambda c: c["first_line"],
                        lambda c, t: {**c, "first_line": t})
    for i in range(len(best.case["pairs"])):
        for side in (0, 1):
            def get(c: dict[str, Any], i: int = i, side: int = side) -> Any:
                return c["pairs"][i][side]

            def put(c: dict[str, Any], t: str, i: int = i, side: int = side) -> dict[str, Any]:
                pairs = list(c["pairs"])
                pair = list(pairs[i])
                pair[side] = t
                pairs[i] = tuple(pair)
                return {**c, "pairs": pairs}

            best = _shrink_text(best, still, get, put)
    return best


def _shrink_text(best: Finding, still: Any, get: Any, put: Any) -> Finding:
    """Delete runs of characters (halving their length) while the finding remains."""
    text = get(best.case)
    if not isinstance(text, str):
        return best
    size = max(1, len(text) // 2)
    while size >= 1:
        j = 0
        progressed = False
        while j < len(get(best.case)):
            text = get(best.case)
            found = still(put(best.case, text[:j] + text[j + size:]))
            if found:
                best, progressed = found, True
            else:
                j += size
        if not progressed:
            size //= 2
    return best
