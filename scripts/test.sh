#!/usr/bin/env bash
# Run the whole test suite on this machine: set-up (packages, services, venv), lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[test] ruff"; .venv/bin/ruff check .
echo "[test] mypy"; .venv/bin/mypy gis sensors layers maps cli
echo "[test] pytest"
exec .venv/bin/python -m pytest "$@"
