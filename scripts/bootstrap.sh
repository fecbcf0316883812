#!/usr/bin/env bash
# Installs everything Waybill needs into this checkout: uv (in .tools/), the Python environment
# (.venv/, from uv.lock) and the pinned AWS CDK CLI (node_modules/). Safe to run again: it only
# does what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    # The interpreter's own path, not a launcher's (a pyenv shim is a shell script): uv compares
    # it with the one .venv was made from, and a different path would make it recreate .venv.
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      "$candidate" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  echo "Waybill needs Python 3.11 or newer on PATH (or set PYTHON=/path/to/python3.11)" >&2
  return 1
}

PY=$(pick_python)
UV_VERSION=0.13.8
if command -v uv >/dev/null 2>&1 && uv --version | grep -q "$UV_VERSION"; then
  UV=uv
else
  UV=.tools/bin/uv
  if [ ! -x "$UV" ]; then
    echo "==> installing uv $UV_VERSION into .tools/"
    "$PY" -m venv .tools
    .tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
fi

# A working .venv is kept: uv only adds, removes or upgrades what uv.lock changed, so a stack
# running from this checkout keeps its packages. --python only chooses the interpreter of a new one.
if .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  python_choice=()
else
  python_choice=(--python "$PY")
fi
echo "==> Python environment (.venv) from uv.lock"
UV_PYTHON_DOWNLOADS=never "$UV" sync --frozen "${python_choice[@]}" --quiet

# checkov pins an older boto3 than Waybill's, so it gets an environment of its own (tests/infra/test_checkov.py).
echo "==> checkov environment (.tools/checkov) from tools/checkov/uv.lock"
UV_PROJECT_ENVIRONMENT="$PWD/.tools/checkov" UV_PYTHON_DOWNLOADS=never \
  "$UV" sync --frozen --project tools/checkov --python "$PY" --quiet

if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> AWS CDK CLI (node_modules) from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
