"""The twin selector (fasthttp.http) and what the build is expected to have produced.

The environment decides what must hold:
- FASTHTTP_REQUIRE_EXTENSIONS=1 (scripts/test, cibuildwheel) with FASTHTTP_NO_EXTENSIONS unset:
  this process must run the compiled twin;
- FASTHTTP_NO_EXTENSIONS=1 in a child process: the pure twin, whatever is built;
- FASTHTTP_NO_EXTENSIONS=0 or "": exactly as if unset.
Child processes import the same fasthttp as this process and are bounded in time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fasthttp

TWIN_NAMES = (
    "HttpResponseParser",
    "HttpRequestParser",
    "ChunkedDecoder",
    "ResponseHead",
    "RequestHead",
    "EndOfMessage",
)
TWIN_MODULE = {"cython": "fasthttp._parser", "python": "fasthttp._parser_py"}
SUBPROCESS_TIMEOUT = 60

_PROBE = """
import json, fasthttp.http as h
print(json.dumps({
    "implementation": h.IMPLEMENTATION,
    "no_extensions": h.NO_EXTENSIONS,
    "modules": {name: getattr(h, name).__module__ for name in %r},
    "is_pure_class": h.HttpResponseParser is __import__(
        "fasthttp._parser_py", fromlist=["x"]).HttpResponseParser,
}))
""" % (TWIN_NAMES,)


def _flag(value: str | None) -> bool:
    return value not in (None, "", "0")


def _compiled_available() -> bool:
    return importlib.util.find_spec("fasthttp._parser") is not None


def _probe(no_extensions: str | None) -> dict[str, object]:
    """Import fasthttp.http in a fresh interpreter with FASTHTTP_NO_EXTENSIONS as given."""
    env = dict(os.environ)
    env.pop("FASTHTTP_NO_EXTENSIONS", None)
    if no_extensions is not None:
        env["FASTHTTP_NO_EXTENSIONS"] = no_extensions
    # The child must import the very fasthttp this process imported.
    package_parent = str(Path(fasthttp.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_parent, env.get("PYTHONPATH", "")) if p
    )
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=env,
        cwd=package_parent,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, f"probe failed:\n{proc.stdout}\n{proc.stderr}"
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_required_extensions_are_selected() -> None:
    if os.environ.get("FASTHTTP_REQUIRE_EXTENSIONS") != "1":
        pytest.skip("FASTHTTP_REQUIRE_EXTENSIONS=1 is not set")
    if _flag(os.environ.get("FASTHTTP_NO_EXTENSIONS")):
        pytest.skip("FASTHTTP_NO_EXTENSIONS is set in this run")
    import fasthttp.http as http

    assert http.IMPLEMENTATION == "cython", (
        "FASTHTTP_REQUIRE_EXTENSIONS=1 but fasthttp.http chose the pure-Python twin: "
        "the compiled extension fasthttp._parser is not built or does not import"
    )
    assert http.NO_EXTENSIONS is False
    for name in TWIN_NAMES:
        assert getattr(http, name).__module__ == "fasthttp._parser", name


def test_in_process_choice_is_consistent() -> None:
    """IMPLEMENTATION, NO_EXTENSIONS and the re-exported names agree with each other."""
    import fasthttp.http as http

    disabled = _flag(os.environ.get("FASTHTTP_NO_EXTENSIONS"))
    assert http.NO_EXTENSIONS is disabled
    expected = "python" if disabled or not _compiled_available() else "cython"
    assert http.IMPLEMENTATION == expected
    for name in TWIN_NAMES:
        assert getattr(http, name).__module__ == TWIN_MODULE[expected], name


def test_no_extensions_selects_pure_twin() -> None:
    result = _probe("1")
    assert result["implementation"] == "python"
    assert result["no_extensions"] is True
    assert result["is_pure_class"] is True
    assert result["modules"] == {name: "fasthttp._parser_py" for name in TWIN_NAMES}


@pytest.mark.parametrize("value", ["0", ""], ids=["zero", "empty"])
def test_no_extensions_zero_or_empty_is_unset(value: str) -> None:
    unset = _probe(None)
    given = _probe(value)
    assert given == unset
    assert given["no_extensions"] is False
    expected = "cython" if _compiled_available() else "python"
    assert given["implementation"] == expected
    assert given["modules"] == {name: TWIN_MODULE[expected] for name in TWIN_NAMES}
    if os.environ.get("FASTHTTP_REQUIRE_EXTENSIONS") == "1":
        assert given["implementation"] == "cython"
