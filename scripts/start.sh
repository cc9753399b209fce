#!/usr/bin/env bash
# Install the monitor and start it on the shipped demo ward: the README's start command.
# Creates .venv/ beside the code (ignored by git); safe to re-run. Extra arguments go to
# `il2-monitor app` (e.g. --port 8502).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
# Exactly the tested versions of every dependency, each file checked against its hash.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r requirements.lock
# Then the project itself: --no-deps (its dependencies are the locked ones above);
# --no-build-isolation (built with the locked setuptools, not a fresh unchecked download);
# editable (-e), so the app runs this clone's code and data/ as they are now, after a
# `git pull` or an edit too, never a stale copy inside .venv/.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation -e .

exec .venv/bin/il2-monitor app "$@"
