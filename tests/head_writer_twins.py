"""The two HTTP head-writer twins, loaded for a test (shared by test_http_writer.py and
test_head_writer_strict.py): the pure one must import; the compiled one must too under
FASTHTTP_REQUIRE_EXTENSIONS=1, else its tests are skipped."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

TWINS = {"python": "fasthttp._http_writer_py", "cython": "fasthttp._http_writer"}


def load_head_writer(name: str) -> ModuleType:
    try:
        return importlib.import_module(TWINS[name])
    except ImportError as exc:
        if name == "python" or os.environ.get("FASTHTTP_REQUIRE_EXTENSIONS", "") == "1":
            pytest.fail(f"head writer twin {TWINS[name]} cannot be imported: {exc!r}", pytrace=False)
        pytest.skip(f"compiled head writer {TWINS[name]} is not built ({exc})")
