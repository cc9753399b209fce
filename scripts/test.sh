#!/usr/bin/env bash
# Install everything the tests need and run every test: the README's test command.
# Creates .venv/ beside the code (ignored by git); safe to re-run. Extra arguments go to
# pytest (e.g. -k loading).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: Chromium for the real-browser tests (a browser is never
# downloaded), poppler-utils (pdftotext, pdftoppm) to read the printed PDFs back, and the
# DejaVu Sans font the PDFs are printed with.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo_if_needed=""
    [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq "${missing[@]}"
fi

python3 -m venv .venv
# Exactly the tested versions of every dependency and test tool, each checked by its hash.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r requirements-dev.lock
# Then the project itself, as scripts/start.sh does (--no-deps: the lock has them;
# --no-build-isolation: the locked setuptools builds it). Editable, so the tests, the
# `il2-monitor` command and the app they start all run this clone's code: one copy, not a
# second one in .venv/ that could differ from what the tests import.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation -e .

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # over dashboard/, as [tool.mypy] in pyproject.toml says
.venv/bin/python -m pytest "$@"
