"""Store benchmark: importing a 1,000,000-row observations ward into the store (SQLite and
PostgreSQL) against loading the same files into frames, and reading it back.

    .venv/bin/python -m benchmarks.bench_store [--patients N] [--runs 3] [--postgres URL]

The ward is bench_load's (benchmarks/out/, not in git). Each run is a fresh process and a
fresh database (a temporary SQLite file; a PostgreSQL schema created and dropped). Target
(issue 13): an import within 2x the time of ``load_ward`` on the same files; the import
includes that validation, since it runs the same validator.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

from benchmarks._machine import describe_machine
from benchmarks.bench_load import ensure_ward
from dashboard.demo.story import PATIENTS_FOR_A_MILLION_ROWS

ROOT = Path(__file__).resolve().parent.parent

TARGET_RATIO = 2.0
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

MEASURE = """
import json, sys, tempfile, time
from dashboard.loading import load_ward
from dashboard.store import import_ward, load_frames, open_store, upgrade
from dashboard.store.database import Store, make_engine
kind, url, folder = {kind!r}, {url!r}, {folder!r}
if kind == "frames":
    started = time.perf_counter()
    ward = load_ward(folder, "America/New_York")
    print(json.dumps({{"seconds": time.perf_counter() - started, "rows": len(ward.observations)}}))
    raise SystemExit
if kind == "sqlite":
    url = "sqlite:///" + tempfile.mkdtemp() + "/ward.sqlite3"
upgrade(Store(make_engine(url)))
store = open_store(url)
started = time.perf_counter()
result = import_ward(store, folder, who="bench", timezone="America/New_York")
imported = time.perf_counter() - started
started = time.perf_counter()
ward = load_frames(store)
read = time.perf_counter() - started
started = time.perf_counter()
again = import_ward(store, folder, who="bench", timezone="America/New_York")
twice = time.perf_counter() - started
print(json.dumps({{"seconds": imported, "read": read, "again": twice, "added": result.added,
                   "again_added": again.added, "rows": len(ward.observations)}}))
"""


def measure(kind: str, folder: Path, url: str = "") -> dict:
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE.format(root=str(ROOT), kind=kind, url=url, folder=str(folder)),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def postgres_run(folder: Path, admin_url: str) -> dict:
    admin = sa.create_engine(admin_url, poolclass=sa.NullPool)
    schema = f"il2_bench_{uuid.uuid4().hex[:8]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = sa.make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return measure("postgresql", folder, url.render_as_string(hide_password=False))
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=PATIENTS_FOR_A_MILLION_ROWS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=POSTGRES, help=f"(default {POSTGRES})")
    args = parser.parse_args()

    folder = ensure_ward(args.patients)
    runs: dict[str, list[dict]] = {"frames": [], "sqlite": [], "postgresql": []}
    for _ in range(args.runs):  # interleaved: the machine is shared
        runs["frames"].append(measure("frames", folder))
        runs["sqlite"].append(measure("sqlite", folder))
        runs["postgresql"].append(postgres_run(folder, args.postgres))
        print(json.dumps({kind: found[-1] for kind, found in runs.items()}), flush=True)
    frames = statistics.median(r["seconds"] for r in runs["frames"])
    print(f"machine: {describe_machine()}")
    print(f"input: {folder} ({runs['frames'][0]['rows']:,} observation rows after merging)")
    print(f"load_ward (files -> frames): median {frames:.2f} s over {args.runs} runs")
    for kind in ("sqlite", "postgresql"):
        median = statistics.median(r["seconds"] for r in runs[kind])
        read = statistics.median(r["read"] for r in runs[kind])
        again = statistics.median(r["again"] for r in runs[kind])
        ratio = median / frames
        assert all(r["rows"] == runs["frames"][0]["rows"] for r in runs[kind])
        assert all(r["again_added"] == 0 for r in runs[kind])
        print(
            f"{kind}: import {median:.2f} s ({ratio:.2f}x load_ward; target <= {TARGET_RATIO}x "
            f"-> {'met' if ratio <= TARGET_RATIO else 'NOT met'}); read back (load_frames) "
            f"{read:.2f} s; the same files again (adds 0) {again:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
