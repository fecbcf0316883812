#!/usr/bin/env bash
# The test command: lint, type-check, then every test (unit, integration, end-to-end, infra).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/bootstrap.sh

bash scripts/chromium.sh

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> mypy"
.venv/bin/mypy .
echo "==> pytest"
status=0
# loadgroup: the console's browser tests (one xdist group) share one stack on one worker
# --durations: the slowest tests, to keep the whole command under 15 minutes
.venv/bin/pytest -n 2 --dist loadgroup --durations=30 "$@" || status=$?
echo "test command took $(( $(date +%s) - started )) s"
exit $status
