"""Speed of the assessment engine and of the command line.

    .venv/bin/python -m benchmarks.bench_engine            # both parts
    .venv/bin/python -m benchmarks.bench_engine --part engine --patients 1000
    .venv/bin/python -m benchmarks.bench_engine --part cli --runs 7

(a) engine only: ``assess_course`` over N synthetic patient-courses (default 1,000; more
    than 1,000,000 observation rows), target <= 2 s and <= 2 GB peak. Also times a plain
    pandas pass over the same data (merge_asof of the latest values at every dose, a
    groupby-rolling 8-h urine sum, the comparisons: the least any engine must do) and
    prints the engine time as a ratio to it.
(b) the command line end to end on data/demo with --at, as a whole process (several runs,
    median), target <= 1.5 s.

Figures are printed, not asserted: speed is measured here, not in timed tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.assessment import assess_course, evaluate_ward
from dashboard.tables import DOSE_COLUMNS, OBSERVATION_COLUMNS, PATIENT_COLUMNS, WardData

ROOT = Path(__file__).resolve().parent.parent

HOUR = pd.Timedelta(hours=1)
# (parameter, every N hours, mean, sd) of the synthetic charting; codes for categorical ones
NUMERIC = [
    ("sbp", 1, 112, 14),
    ("heart_rate", 1, 98, 12),
    ("spo2", 1, 95, 2.5),
    ("urine_output", 1, 70, 30),
    ("map", 2, 78, 9),
    ("temperature", 4, 37.6, 0.6),
    ("creatinine", 24, 1.6, 0.6),
    ("weight", 24, 82, 4),
    ("bicarbonate", 24, 22, 2),
    ("potassium", 24, 4.1, 0.4),
    ("platelets", 24, 120, 50),
    ("bilirubin", 24, 1.5, 1),
]
CATEGORICAL = [
    ("mental_status", 4, ["normal"] * 8 + ["mild", "moderate"], None),
    ("rhythm", 4, ["sinus"] * 6 + ["sinus_tachycardia"] * 3 + ["afib"], None),
    ("o2_device", 8, ["room_air"] * 6 + ["nasal_cannula"] * 3 + ["mask"], None),
]


def synthetic_ward(n_patients: int, seed: int = 1) -> WardData:
    """A vectorised generator of canonical tables: two cycles of 14 doses every 8 h per
    patient, 14 days apart, with hourly vitals and urine, 4-hourly neuro and rhythm checks
    and daily labs, from 8 h before each cycle to its last dose."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"S{i:05d}" for i in range(n_patients)], dtype=object)
    start = pd.Timestamp("2026-01-05 08:00", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 60 * 24, n_patients), unit="h"
    )
    start_utc = start.tz_convert(None).to_numpy()  # naive UTC datetime64
    protocols = rng.choice(
        ["", "proleukin-label", "cwg-consensus-2014", "community-2015"], n_patients
    )
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "name": ids,
            "bed": "",
            "indication": "melanoma",
            "protocol": protocols,
            "baseline_weight_kg": rng.normal(80, 10, n_patients).round(1),
            "baseline_creatinine_mg_dl": rng.normal(1.0, 0.2, n_patients).round(2),
            "target_sbp_mmhg": np.nan,
            "source": "synthetic",
            "source_row": np.arange(n_patients) + 2,
        }
    )[PATIENT_COLUMNS]

    cycles, numbers = np.meshgrid([1, 2], np.arange(1, 15), indexing="ij")
    cycles, numbers = cycles.ravel(), numbers.ravel()
    per = len(cycles)
    owner = np.repeat(np.arange(n_patients), per)
    offset = (np.tile(cycles, n_patients) - 1) * 14 * 24 + (np.tile(numbers, n_patients) - 1) * 8
    scheduled = start_utc[owner] + pd.to_timedelta(offset, unit="h").to_numpy()
    status = np.where(rng.random(len(owner)) < 0.12, "held", "given")
    late = pd.to_timedelta(rng.integers(0, 90, len(owner)), unit="min").to_numpy()
    doses = pd.DataFrame(
        {
            "patient_id": ids[owner],
            "cycle": np.tile(cycles, n_patients),
            "dose_number": np.tile(numbers, n_patients),
            "scheduled_time": pd.to_datetime(scheduled, utc=True),
            "status": status,
            "administered_time": pd.to_datetime(
                np.where(status == "given", scheduled + late, np.datetime64("NaT")), utc=True
            ),
            "dose_iu_per_kg": 600000.0,
            "reason": "",
            "source": "synthetic",
            "source_row": 2,
        }
    )[DOSE_COLUMNS]

    frames = []
    span = 8 + 13 * 8 + 8  # hours charted per cycle
    for name, every, mean, sd in NUMERIC + CATEGORICAL:
        steps = np.arange(0, span, every)
        grid_cycle, grid_step = np.meshgrid([0, 1], steps, indexing="ij")
        grid = (grid_cycle * 14 * 24 + grid_step - 8).ravel()
        who = np.repeat(np.arange(n_patients), len(grid))
        times = start_utc[who] + pd.to_timedelta(np.tile(grid, n_patients), unit="h").to_numpy()
        times = times + pd.to_timedelta(rng.integers(0, 20, len(who)), unit="min").to_numpy()
        if isinstance(mean, list):
            codes = rng.choice(mean, len(who)).astype(object)
            values = np.full(len(who), np.nan)
            unit = ""
        else:
            values = np.clip(rng.normal(mean, sd, len(who)), 0.1, None).round(2)
            codes = np.full(len(who), None, dtype=object)
            unit = {
                "sbp": "mm[Hg]",
                "map": "mm[Hg]",
                "heart_rate": "/min",
                "spo2": "%",
                "urine_output": "mL",
                "temperature": "Cel",
                "creatinine": "mg/dL",
                "weight": "kg",
                "bicarbonate": "mmol/L",
                "potassium": "mmol/L",
                "platelets": "10*3/uL",
                "bilirubin": "mg/dL",
            }[name]
        frames.append(
            pd.DataFrame(
                {
                    "patient_id": ids[who],
                    "time": pd.to_datetime(times, utc=True),
                    "parameter": name,
                    "value": values,
                    "code": codes,
                    "unit": unit,
                }
            )
        )
    observations = pd.concat(frames, ignore_index=True)
    observations = observations.drop_duplicates(["patient_id", "time", "parameter"])
    for column in ("recorded_value", "recorded_unit", "source", "source_row"):
        observations[column] = ""
    return WardData(
        _as_loaded(patients), _as_loaded(doses), _as_loaded(observations[OBSERVATION_COLUMNS])
    )


def _as_loaded(frame: pd.DataFrame) -> pd.DataFrame:
    """Text and times held as the loaders hold them (dashboard/tables.py): Python strings
    with None for absent and nanosecond UTC times. pandas 3 would infer its ``str`` dtype
    and microseconds here, and the engine would be timed on frames it is never given."""
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.StringDtype):
            frame[column] = values.astype(object).where(values.notna(), None)
        elif isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.as_unit("ns")
    return frame


def plain_pandas_pass(ward: WardData) -> float:
    """The least any engine must do: latest value of each numeric parameter at every dose
    (merge_asof), a groupby-rolling 8-h urine sum, and a comparison per rule."""
    began = time.perf_counter()
    points = (
        ward.doses[["patient_id", "scheduled_time"]]
        .rename(columns={"scheduled_time": "time"})
        .sort_values("time")
    )
    observations = ward.observations
    flags = []
    for name, threshold in (
        ("sbp", 90),
        ("spo2", 90),
        ("heart_rate", 130),
        ("creatinine", 2.5),
        ("bicarbonate", 18),
        ("potassium", 5.5),
        ("platelets", 50),
        ("bilirubin", 7),
        ("weight", 92),
    ):
        series = observations.loc[
            observations["parameter"] == name, ["patient_id", "time", "value"]
        ].sort_values("time")
        latest = pd.merge_asof(points, series, on="time", by="patient_id")
        flags.append(latest["value"].to_numpy() < threshold)
    urine = observations.loc[
        observations["parameter"] == "urine_output", ["patient_id", "time", "value"]
    ].sort_values(["patient_id", "time"])
    rolled = (
        urine.set_index("time")
        .groupby("patient_id")["value"]
        .rolling("8h")
        .sum()
        .reset_index()
        # pandas 3 rebuilds the group keys as its str dtype, which merge_asof will not
        # join to the object keys of the doses
        .astype({"patient_id": points["patient_id"].dtype})
        .sort_values("time")
    )
    window = pd.merge_asof(points, rolled, on="time", by="patient_id")
    flags.append(window["value"].to_numpy() < 80)
    np.logical_or.reduce(flags)
    return time.perf_counter() - began


def bench_engine(n_patients: int, repeats: int) -> None:
    print(f"(a) engine: assess_course over {n_patients} synthetic patient-courses")
    ward = synthetic_ward(n_patients)
    counts = ward.counts()
    print(
        f"    {counts['patients']} patients, {counts['doses']} doses, "
        f"{counts['observations']:,} observation rows"
    )
    evaluate_ward(
        ward.__class__(ward.patients.head(5), ward.doses.head(5), ward.observations.head(100))
    )  # warm imports and caches
    frames, objects = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        evaluate_ward(ward)
        frames.append(time.perf_counter() - began)
        began = time.perf_counter()
        assessments = assess_course(ward)
        objects.append(time.perf_counter() - began)
    baseline = min(plain_pandas_pass(ward) for _ in range(repeats))
    tracemalloc.start()
    assess_course(ward)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    statuses = pd.Series([a.status for a in assessments]).value_counts().to_dict()
    print(f"    evaluate_ward (frames):           {min(frames):.2f} s (best of {repeats})")
    print(
        f"    assess_course (DoseAssessments):  {min(objects):.2f} s (best of {repeats}); "
        f"target <= 2 s"
    )
    print(
        f"    plain pandas pass (merge_asof + rolling + compare): {baseline:.2f} s; "
        f"engine / plain = {min(objects) / baseline:.1f}x"
    )
    print(
        f"    peak traced memory of assess_course: {peak / 2**20:.0f} MB; peak RSS of the "
        f"process (incl. data generation): {rss:.0f} MB; target <= 2 GB"
    )
    print(f"    statuses: {statuses}")


def bench_cli(runs: int) -> None:
    demo = ROOT / "data" / "demo"
    at = "2026-03-04T14:30:00-05:00"
    if not (demo / "patients.csv").exists():
        demo = Path(tempfile.mkdtemp()) / "demo"
        subprocess.run(
            [sys.executable, "-m", "dashboard.demo", "--out", str(demo)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    anchor = demo / "ward.yaml"
    if anchor.exists():
        for line in anchor.read_text().splitlines():
            if line.startswith("anchor:"):
                at = line.split(":", 1)[1].strip().strip("'\"")
    command = [
        sys.executable,
        "-m",
        "dashboard",
        "evaluate",
        str(demo),
        "--at",
        at,
        "--format",
        "json",
    ]
    print(f"(b) command line, whole process: {' '.join(command[1:])}")
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - began)
        if result.returncode != 0:
            print(result.stderr)
            raise SystemExit(result.returncode)
    print(
        f"    median {statistics.median(times):.2f} s over {runs} runs (min {min(times):.2f}, "
        f"max {max(times):.2f}); target <= 1.5 s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["engine", "cli", "all"], default="all")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}"
    )
    if args.part in ("engine", "all"):
        bench_engine(args.patients, args.repeats)
    if args.part in ("cli", "all"):
        bench_cli(args.runs)


if __name__ == "__main__":
    main()
