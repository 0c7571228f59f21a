"""Run a command under valgrind's callgrind and return the instructions it executed.

Shared by client_instructions.py and web_instructions.py: both count a small and a large run
of the same work and report the difference per request, so start-up cancels out.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile

__all__ = ("instructions",)


def instructions(argv: list[str]) -> int:
    """Instructions executed by `argv` (a command line) from start to exit, as callgrind counts."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        with open(out) as f:
            totals = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
    assert totals is not None, "no callgrind total"
    return int(totals.group(1))
