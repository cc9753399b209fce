#!/usr/bin/env bash
# Install the monitor and start it on the shipped demo ward: the README's start command.
# Creates .venv/ beside the code (ignored by git); safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

exec .venv/bin/python -m dashboard app "$@"
