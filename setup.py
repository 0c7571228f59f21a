"""Build script for fasthttp's optional Cython extensions.

All metadata lives in pyproject.toml; this file only declares the compiled twins.

- ``FASTHTTP_NO_EXTENSIONS`` set (to anything but "" or "0") at build time: no extension is
  built and the wheel is pure (``py3-none-any``).
- No compiler, or an extension fails to compile: a warning is printed and the pure-Python
  package is installed anyway (the twins in ``fasthttp/*_py.py`` take over at run time).
- ``FASTHTTP_REQUIRE_EXTENSIONS`` set (to anything but "" or "0") at build time: a failed
  extension build is an error instead (used by scripts/test, scripts/bench and cibuildwheel,
  so that a broken build can never pass silently as a pure one).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import (
    CCompilerError,
    CompileError,
    ExecError,
    LinkError,
    PlatformError,
)

HERE = Path(__file__).resolve().parent

# One line per compiled twin: "fasthttp.<name>" is built from "fasthttp/<name>.pyx".
EXTENSION_MODULES: list[str] = [
    "fasthttp._parser",
    "fasthttp._http_writer",
    "fasthttp._websocket",
]

# Global Cython defaults; a .pyx may override them with its own "# cython:" header line.
CYTHON_DIRECTIVES: dict[str, object] = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "embedsignature": True,
}

BUILD_ERRORS: tuple[type[BaseException], ...] = (
    CCompilerError,
    CompileError,
    LinkError,
    ExecError,
    PlatformError,
    OSError,
    ValueError,  # e.g. a compiler that setuptools cannot find or identify
)


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = _flag("FASTHTTP_NO_EXTENSIONS")
REQUIRE_EXTENSIONS = _flag("FASTHTTP_REQUIRE_EXTENSIONS")


def _warn(message: str) -> None:
    bar = "*" * 76
    print(f"\n{bar}\n{message}\n{bar}\n", file=sys.stderr, flush=True)


class BuildFailed(Exception):
    pass


def _extensions() -> list[Extension]:
    extensions = []
    for module in EXTENSION_MODULES:
        source = module.replace(".", "/") + ".pyx"
        if not (HERE / source).is_file():
            message = f"fasthttp: {source} is missing, so {module} cannot be built."
            if REQUIRE_EXTENSIONS:
                raise SystemExit(message)
            _warn(message + " Its pure-Python twin will be used.")
            continue
        extensions.append(Extension(module, [source]))
    return extensions


class OptionalBuildExt(build_ext):
    """Cythonizes each extension as it is built; a failure means 'use the pure twin'."""

    def run(self) -> None:
        try:
            super().run()
        except BUILD_ERRORS as exc:  # e.g. no usable compiler at all (Windows without MSVC)
            self._failed("the C compiler could not be used", exc)
            self.extensions[:] = []

    def build_extensions(self) -> None:
        # One at a time, so that one failure drops only that module; a dropped module is
        # removed from the list so that later steps (in-place copy, outputs) skip it.
        self.check_extensions_list(self.extensions)
        for ext in list(self.extensions):
            try:
                self._cythonize(ext)
                self.build_extension(ext)
            except (*BUILD_ERRORS, BuildFailed) as exc:
                self._failed(f"{ext.name} could not be built", exc)
                self.extensions.remove(ext)

    def _cythonize(self, ext: Extension) -> None:
        if not any(source.endswith(".pyx") for source in ext.sources):
            return
        try:
            from Cython.Build import cythonize
        except ImportError as exc:
            raise BuildFailed("Cython (>= 3.0) is not installed") from exc
        try:
            (translated,) = cythonize(
                [ext],
                compiler_directives=CYTHON_DIRECTIVES,
                build_dir=self.build_temp,  # the generated .c stays out of the source tree
                force=self.force,
                quiet=not self.verbose,
            )
        except Exception as exc:  # Cython's CompileError and friends: a bad .pyx
            raise BuildFailed(f"Cython could not translate {ext.sources}: {exc!r}") from exc
        ext.sources = translated.sources

    def _failed(self, why: str, exc: BaseException) -> None:
        if REQUIRE_EXTENSIONS:
            raise SystemExit(
                f"fasthttp: {why}: {exc!r}\n"
                "FASTHTTP_REQUIRE_EXTENSIONS is set, so this build fails instead of "
                "falling back to pure Python."
            ) from exc
        traceback.print_exc()
        _warn(
            f"WARNING: fasthttp: {why} ({exc!r}).\n"
            "The C extensions are NOT built: the pure-Python implementation will be used,\n"
            "which works the same but is slower. Install a C compiler and the Python\n"
            "headers and reinstall for the fast one."
        )


if NO_EXTENSIONS:
    _warn(
        "fasthttp: FASTHTTP_NO_EXTENSIONS is set: building the pure-Python package "
        "(no C extensions, wheel tag py3-none-any)."
    )
    ext_modules: list[Extension] = []
else:
    ext_modules = _extensions()

setup(
    ext_modules=ext_modules,
    cmdclass={"build_ext": OptionalBuildExt},
)
