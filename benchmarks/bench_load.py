"""Load benchmark: a 1,000,000-row long-format observations CSV read, validated, normalised.

    .venv/bin/python -m benchmarks.bench_load [--patients N] [--runs 3]

Generates the ward once with the demo generator at scale (benchmarks/out/, not in git),
then measures each run in a fresh process: wall time of ``load_ward`` and the process's
peak resident memory (which includes the interpreter and pandas, ~150 MB). Targets from
the foundation issue: at most 3 s and 1.5 GB on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks._machine import describe_machine
from dashboard.demo.story import PATIENTS_FOR_A_MILLION_ROWS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
TARGET_SECONDS = 3.0
TARGET_PEAK_MB = 1536

MEASURE = """
import json, resource, time
from dashboard.loading import load_ward
started = time.perf_counter()
ward = load_ward({folder!r}, "America/New_York")
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb, **ward.counts()}}))
"""


def ensure_ward(patients: int) -> Path:
    folder = OUT / f"ward-{patients}"
    if not (folder / "observations.csv").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dashboard.demo",
                "--out",
                str(folder),
                "--patients",
                str(patients),
            ],
            cwd=ROOT,
            check=True,
        )
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--patients",
        type=int,
        default=PATIENTS_FOR_A_MILLION_ROWS,
        help="demo patients to generate (default gives > 1,000,000 rows)",
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    folder = ensure_ward(args.patients)
    runs = []
    for _ in range(args.runs):
        output = subprocess.run(
            [sys.executable, "-c", MEASURE.format(folder=str(folder))],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(json.loads(output))
    rows = runs[0]["observations"]
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_mb"] for r in runs)
    print(f"machine: {describe_machine()}")
    print(
        f"input: {folder} ({rows:,} observation rows after merging, "
        f"{runs[0]['patients']} patients, {runs[0]['doses']} doses)"
    )
    each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(
        f"load_ward: median {seconds:.2f} s over {len(runs)} runs (runs: {each}); "
        f"peak RSS {peak:.0f} MB"
    )
    print(
        f"targets: <= {TARGET_SECONDS} s, <= {TARGET_PEAK_MB} MB -> "
        f"{'met' if seconds <= TARGET_SECONDS and peak <= TARGET_PEAK_MB else 'NOT met'}"
    )
    if rows < 1_000_000:
        print(f"warning: only {rows:,} rows; raise --patients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
