"""Shared fixtures: the two parser twins, exercised in one pytest process.

`twin` is parametrized over the pure-Python twin (id "python") and the compiled twin
(id "cython"). When the compiled twin cannot be imported, its parameters are skipped with
the import error as reason, unless FASTHTTP_REQUIRE_EXTENSIONS=1, in which case they fail
loudly (so a missing build cannot hide in CI).

`twins` gives both modules at once, (python, cython), for differential tests; it skips or
fails the same way when the compiled twin is missing.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

import pytest

# Helper modules (parser_cases.py, ...) live next to this file; make them importable however
# pytest is configured (rootdir-relative or package import mode).
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def _aiohttp_reference_resolves_as_the_system_does() -> None:
    """aiohttp, the reference peer, picks c-ares (AsyncResolver) by default whenever aiodns is
    importable, and the test extra installs aiodns to test fasthttp's AsyncResolver. Its
    default is put back to ThreadedResolver (aiohttp's default without aiodns, and
    fasthttp's): side-by-side tests compare like with like, and name lookups go through the
    system's resolver (/etc/hosts) as they do for fasthttp."""
    try:
        import aiohttp.connector
        import aiohttp.resolver
    except ImportError:
        return
    aiohttp.connector.DefaultResolver = aiohttp.resolver.ThreadedResolver  # type: ignore[misc]


_aiohttp_reference_resolves_as_the_system_does()

TWIN_MODULES = {
    "python": "fasthttp._parser_py",
    "cython": "fasthttp._parser",
}

_import_cache: dict[str, object] = {}


def _require_extensions() -> bool:
    return os.environ.get("FASTHTTP_REQUIRE_EXTENSIONS", "") == "1"


def _import_twin(name: str) -> ModuleType | BaseException:
    if name not in _import_cache:
        try:
            _import_cache[name] = importlib.import_module(TWIN_MODULES[name])
        except ImportError as exc:  # not built / not written yet
            _import_cache[name] = exc
    return _import_cache[name]  # type: ignore[return-value]


def load_twin(name: str) -> ModuleType:
    """Return the twin module `name`, or skip/fail the calling test if it is missing."""
    mod = _import_twin(name)
    if isinstance(mod, BaseException):
        if name == "python":
            pytest.fail(
                f"the pure-Python parser twin {TWIN_MODULES[name]} cannot be imported: {mod!r}",
                pytrace=False,
            )
        if _require_extensions():
            pytest.fail(
                f"FASTHTTP_REQUIRE_EXTENSIONS=1 but the compiled parser twin "
                f"{TWIN_MODULES[name]} cannot be imported: {mod!r}",
                pytrace=False,
            )
        pytest.skip(
            f"compiled parser twin {TWIN_MODULES[name]} is not built ({mod}); "
            f"set FASTHTTP_REQUIRE_EXTENSIONS=1 to make this a failure"
        )
    return mod


@pytest.fixture(params=["python", "cython"])
def twin(request: pytest.FixtureRequest) -> ModuleType:
    """One parser twin module (ids: python, cython)."""
    return load_twin(request.param)


@pytest.fixture
def twins() -> tuple[ModuleType, ModuleType]:
    """Both twins at once: (python, cython). For differential tests."""
    return load_twin("python"), load_twin("cython")


@pytest.fixture
def py_twin() -> ModuleType:
    """The pure-Python twin alone."""
    return load_twin("python")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "differential: compares the compiled and pure-Python parser twins"
    )
