#!/usr/bin/env bash
# Install everything the tests need and run every test: the README's test command.
# Creates .venv/ beside the code (ignored by git); safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
