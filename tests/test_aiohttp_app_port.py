"""Issue 12's acceptance: an existing aiohttp.web application and its pytest suite, written for
pytest-aiohttp's `aiohttp_client` fixture, run on fasthttp.web by changing imports only.

tests/aiohttp_app_port/ holds the application (subapps, a View, static files, multipart
upload, a WebSocket route) and its suite exactly as written for aiohttp. Each run copies them
into a fresh directory and runs pytest there in a process of its own:

- on aiohttp: as written, with aiohttp's own pytest plugin (`aiohttp.pytest_plugin`, which
  runs the async tests itself; pytest-asyncio is switched off for that run);
- on fasthttp: the same files with their import lines changed (`from aiohttp import web` to
  `from fasthttp import web`, `import aiohttp` to `import fasthttp as aiohttp`) and the plugin
  line naming `fasthttp.pytest_plugin` (on pytest-asyncio, in its auto mode, as
  pytest-aiohttp's documentation sets it up).

Both runs must pass every test; the port's diff is checked to touch import lines only.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "aiohttp_app_port"

PORTED_IMPORTS = [
    ("from aiohttp import web\n", "from fasthttp import web\n"),
    ("import aiohttp\n", "import fasthttp as aiohttp\n"),
]
RUNS = {
    "aiohttp": ("aiohttp.pytest_plugin", ["-p", "no:asyncio"]),
    "fasthttp": ("fasthttp.pytest_plugin", ["-o", "asyncio_mode=auto",
                                            "-o", "asyncio_default_fixture_loop_scope=function"]),
}


def _lay_out(target: Path, framework: str) -> None:
    shutil.copytree(HERE, target)
    suite = (target / "suite.py").read_text()
    (target / "suite.py").unlink()
    (target / "test_app_suite.py").write_text(suite)
    if framework == "fasthttp":
        for name in ("app.py", "test_app_suite.py"):
            text = (target / name).read_text()
            for before, after in PORTED_IMPORTS:
                text = text.replace(before, after)
            (target / name).write_text(text)
    plugin, _ = RUNS[framework]
    (target / "conftest.py").write_text(f"pytest_plugins = [{plugin!r}]\n")


def _changed_lines(a: Path, b: Path) -> list[str]:
    diff = difflib.unified_diff(a.read_text().splitlines(), b.read_text().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_the_port_changes_imports_only(tmp_path: Path) -> None:
    _lay_out(tmp_path / "aiohttp", "aiohttp")
    _lay_out(tmp_path / "fasthttp", "fasthttp")
    changed = []
    for name in ("app.py", "test_app_suite.py"):
        changed += _changed_lines(tmp_path / "aiohttp" / name, tmp_path / "fasthttp" / name)
    assert changed and all(re.fullmatch(r"[+-](import|from) \w+( import \w+)?( as \w+)?", line)
                           for line in changed), changed
    assert _changed_lines(tmp_path / "aiohttp" / "conftest.py", tmp_path / "fasthttp" / "conftest.py") == [
        "-pytest_plugins = ['aiohttp.pytest_plugin']", "+pytest_plugins = ['fasthttp.pytest_plugin']"]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("framework", sorted(RUNS))
def test_the_same_suite_passes_on_aiohttp_and_on_fasthttp(tmp_path: Path, framework: str) -> None:
    target = tmp_path / framework
    _lay_out(target, framework)
    _, options = RUNS[framework]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-W", "error::pytest.PytestUnraisableExceptionWarning", *options, str(target)],
        cwd=target, capture_output=True, text=True, timeout=170,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert re.search(r"\b7 passed\b", report), report
    if framework == "fasthttp":  # the app really ran on fasthttp.web
        app_source = (target / "app.py").read_text()
        assert "from fasthttp import web\n" in app_source and "from aiohttp import" not in app_source
