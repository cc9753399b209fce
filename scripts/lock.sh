#!/usr/bin/env bash
# Regenerate the lock files from the human-edited inputs, in one command:
#   requirements.txt     + requirements-build.txt -> requirements.lock      (scripts/start.sh)
#   requirements-dev.txt + requirements-build.txt -> requirements-dev.lock  (scripts/test.sh)
# Every transitive dependency is pinned with the hashes of its files, for CPython 3.11 on
# x86_64 Linux (the project's machines). Versions already in a lock are kept while the
# inputs allow them; extra arguments go to `uv pip compile` (e.g. --upgrade-package
# plotly, or --upgrade for everything). Uses the uv pinned in requirements-dev.txt,
# installed into .venv/ (created if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

uv_version="$(sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements-dev.txt)"
[ -n "$uv_version" ] || { echo "requirements-dev.txt pins no uv==VERSION" >&2; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$uv_version"

compile() {
    local output="$1"
    shift
    .venv/bin/uv pip compile --quiet --generate-hashes \
        --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
        --custom-compile-command "bash scripts/lock.sh" \
        --output-file "$output" "$@"
}
compile requirements.lock requirements.txt requirements-build.txt "$@"
compile requirements-dev.lock requirements-dev.txt requirements-build.txt "$@"
echo "wrote requirements.lock and requirements-dev.lock"
