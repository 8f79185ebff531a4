#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install skillfit (editable) with its test extra
# (and the docs extra when SKILLFIT_EXTRAS asks for it, as `make docs` does).
#
# Why this exists: on a machine whose default python3 is 3.11, `pip install pymc` quietly
# resolves to PyMC 5 / ArviZ 0.x. skillfit needs PyMC 6 and ArviZ 1, which need Python >= 3.12,
# so we pick the interpreter ourselves and refuse to go on without one.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${SKILLFIT_VENV:-.venv}

ok_python() {  # prints the interpreter path if it runs and is 3.12 <= version < 3.15
  "$1" -c 'import sys; raise SystemExit(0 if (3, 12) <= sys.version_info[:2] < (3, 15) else 1)' \
    >/dev/null 2>&1 && command -v "$1"
}

find_python() {
  local c
  if [ -n "${SKILLFIT_PYTHON:-}" ]; then
    ok_python "$SKILLFIT_PYTHON" && return 0
    echo "setup: SKILLFIT_PYTHON=$SKILLFIT_PYTHON is not a Python 3.12-3.14 interpreter" >&2
    return 1
  fi
  for c in python3.13 python3.12 python3.14 python3; do
    ok_python "$c" && return 0
  done
  # pyenv installs that are not the selected version are invisible through the shims.
  local root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for c in $(ls -d "$root"/versions/3.1[234]* 2>/dev/null | sort -rV); do
    for exe in "$c"/bin/python3.1[234]; do
      [ -x "$exe" ] && ok_python "$exe" && return 0
    done
  done
  return 1
}

if [ -x "$VENV/bin/python" ] && ok_python "$VENV/bin/python" >/dev/null; then
  :
else
  PY=$(find_python) || {
    echo "setup: skillfit needs Python 3.12, 3.13 or 3.14 (PyMC 6 does not support older ones)," >&2
    echo "       and none was found on PATH or under pyenv. Install one (e.g. 'pyenv install 3.12')" >&2
    echo "       or point SKILLFIT_PYTHON at it." >&2
    exit 1
  }
  echo "setup: creating $VENV with $PY ($("$PY" --version 2>&1))"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

# Optional-dependency groups to install: SKILLFIT_EXTRAS=test (default) or e.g. test,docs
# (`make docs` asks for docs). Groups installed earlier are kept, so `make test` after
# `make docs` does not reinstall anything.
extras=$(echo "${SKILLFIT_EXTRAS:-test}" | tr ', ' '\n\n' | sed '/^$/d' | sort -u)

# Reinstall only when the dependency declaration changed or a new group is asked for.
# The stamp holds the hash of pyproject.toml, then the groups installed with it, one a line.
stamp="$VENV/.skillfit-installed"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
have_hash=$(head -n 1 "$stamp" 2>/dev/null || true)
have_extras=$(tail -n +2 "$stamp" 2>/dev/null || true)
[ "$have_hash" = "$want" ] || have_extras=""
missing=$(comm -23 <(echo "$extras") <(echo "$have_extras" | sed '/^$/d' | sort -u))
if [ "$have_hash" != "$want" ] || [ -n "$missing" ]; then
  all=$(printf '%s\n%s\n' "$extras" "$have_extras" | sed '/^$/d' | sort -u)
  echo "setup: installing skillfit with extras: $(echo $all | tr ' ' ',')"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e ".[$(echo $all | tr ' ' ',')]"
  printf '%s\n%s\n' "$want" "$all" > "$stamp"
fi
"$VENV/bin/python" - <<'PY'
import arviz, pymc, sys
if not pymc.__version__.startswith("6.") or not arviz.__version__.startswith("1."):
    sys.exit(f"setup: expected PyMC 6 and ArviZ 1, got PyMC {pymc.__version__}, ArviZ {arviz.__version__}")
print(f"setup: Python {sys.version.split()[0]}, PyMC {pymc.__version__}, ArviZ {arviz.__version__}")
PY
