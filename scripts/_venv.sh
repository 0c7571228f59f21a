# shellcheck shell=bash
# Shared by scripts/test and scripts/bench (sourced, not run): the project's own virtualenv.
#
#   fasthttp_venv EXTRA   make sure $ROOT/.venv exists and holds this checkout installed in
#                         editable mode with the [EXTRA] dependencies and the Cython extensions
#                         compiled in place (fasthttp/_parser.*.so). Idempotent: when nothing
#                         that affects the build changed and the extensions import, pip is not
#                         run again.
#
# Needs only python3 >= 3.10 (with venv) and a C compiler; everything else comes from PyPI.
# Env: PYTHON=/path/to/python3 picks the interpreter for a new venv;
#      FASTHTTP_FORCE_INSTALL=1 reinstalls even when the stamp says it is up to date.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"

export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1

_log() { printf '==> %s\n' "$*" >&2; }
_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

_fasthttp_find_python() {
    local c
    for c in "${PYTHON:-}" python3 python3.14 python3.13 python3.12 python3.11 python3.10 python; do
        [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
        if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

_fasthttp_ensure_venv() {
    if [ -x "$VPY" ] && "$VPY" -c 'import sys, pip; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
        return 0
    fi
    local base
    base="$(_fasthttp_find_python)" || _die "Python >= 3.10 not found (set PYTHON=/path/to/python3)"
    if [ -e "$VENV" ]; then
        _log "$VENV is unusable: recreating it"
        rm -rf "$VENV"
    fi
    _log "creating $VENV with $(command -v "$base") ($("$base" -c 'import sys; print(sys.version.split()[0])'))"
    "$base" -m venv "$VENV" \
        || _die "'$base -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
    "$VPY" -m pip install --quiet --upgrade pip || _die "could not upgrade pip in $VENV"
}

# A hash of everything that decides what the install builds, plus the interpreter and EXTRA.
_fasthttp_stamp() {
    "$VPY" - "$ROOT" "$1" <<'PY'
import hashlib, pathlib, sys
root, extra = pathlib.Path(sys.argv[1]), sys.argv[2]
h = hashlib.sha256(f"{extra}\n{sys.version}\n{sys.executable}\n".encode())
files = [root / "pyproject.toml", root / "setup.py"]
files += sorted(p for ext in ("*.pyx", "*.pxd", "*.pxi") for p in (root / "fasthttp").rglob(ext))
for path in files:
    h.update(str(path.relative_to(root)).encode() + b"\0")
    h.update(path.read_bytes() if path.is_file() else b"<missing>")
print(h.hexdigest())
PY
}

# Every fasthttp/*.pyx must import as a compiled module, from this checkout.
_fasthttp_check_extensions() {
    (cd / && env -u FASTHTTP_NO_EXTENSIONS "$VPY" - "$ROOT" <<'PY'
import importlib, pathlib, sys
root = pathlib.Path(sys.argv[1]).resolve()
import fasthttp
where = pathlib.Path(fasthttp.__file__).resolve().parent
if where != root / "fasthttp":
    sys.exit(f"fasthttp is imported from {where}, not from {root / 'fasthttp'}")
for pyx in sorted((root / "fasthttp").glob("*.pyx")):
    name = f"fasthttp.{pyx.stem}"
    try:
        mod = importlib.import_module(name)
    except ImportError as exc:
        sys.exit(f"{name} is not built ({exc}); is it listed in setup.py's EXTENSION_MODULES?")
    if not str(mod.__file__).endswith((".so", ".pyd")):
        sys.exit(f"{name} is not compiled: {mod.__file__}")
PY
    )
}

fasthttp_venv() {
    local extra="$1" stamp_file="$VENV/.fasthttp-install-$1" stamp
    _fasthttp_ensure_venv
    stamp="$(_fasthttp_stamp "$extra")"
    if [ "${FASTHTTP_FORCE_INSTALL:-}" != "1" ] && [ -f "$stamp_file" ] \
        && [ "$(cat "$stamp_file")" = "$stamp" ] && _fasthttp_check_extensions 2>/dev/null; then
        _log ".venv is up to date (fasthttp[$extra], extensions built)"
        return 0
    fi
    rm -f "$stamp_file"
    _log "installing fasthttp[$extra] (editable) into .venv and compiling the extensions"
    # FASTHTTP_REQUIRE_EXTENSIONS makes setup.py fail instead of falling back to pure Python.
    (cd "$ROOT" && env -u FASTHTTP_NO_EXTENSIONS FASTHTTP_REQUIRE_EXTENSIONS=1 \
        "$VPY" -m pip install --quiet --editable ".[$extra]") \
        || _die "pip install of fasthttp[$extra] failed (see above)"
    _fasthttp_check_extensions || _die "the compiled extensions do not import after the install"
    printf '%s\n' "$stamp" >"$stamp_file"
}
