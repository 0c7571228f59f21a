"""pytest setup for the benchmarks (not part of the test suite: `testpaths = ["tests"]`).

`python -m pytest benchmarks/` from the repository root imports the checkout's `fasthttp`
(the current directory comes first on sys.path). A bare `pytest benchmarks/` does not put the
root on sys.path; if fasthttp is not installed either, add the checkout so it still runs.
"""

from __future__ import annotations

import importlib.util
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if importlib.util.find_spec("fasthttp") is None:
    sys.path.insert(0, _ROOT)
