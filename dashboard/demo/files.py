"""The demo ward's files: the contract's CSVs and ward.yaml written byte for byte, the
same ward in the other input shapes, and ``python -m dashboard.demo``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import DEMO_DIR
from dashboard.demo.clock import DEMO_ANCHOR, WARD_TIMEZONE, read_ward_info, shift_ward
from dashboard.demo.story import (
    DEMO_DESCRIPTION,
    DEMO_PATIENTS,
    DEMO_SEED,
    PATIENTS_FOR_A_MILLION_ROWS,
)
from dashboard.demo.ward import _fixed, build_demo_ward
from dashboard.loading.raw import InputFile

FILE_NAMES = ("patients.csv", "doses.csv", "observations.csv", "ward.yaml")
# The same ward in the contract's other shapes, for single patients: the µmol/L-°F-lb
# patient as a per-dose sheet (units in brackets) and the sickest patient as a FHIR bundle.
SINGLE_PATIENT_DIR = "single-patient"
PER_DOSE_SHEET = (
    "DEMO-06",
    "DEMO-06-per-dose-sheet.csv",
    {"creatinine": "umol/L", "bilirubin": "umol/L", "temperature": "[degF]", "weight": "lb"},
)
FHIR_BUNDLE = ("DEMO-02", "DEMO-02-fhir-bundle.json")

# --- files ----------------------------------------------------------------------------------


def write_demo_ward(
    out_dir: Path, n_patients: int = DEMO_PATIENTS, seed: int = DEMO_SEED
) -> list[Path]:
    """Write patients.csv, doses.csv, observations.csv (data-contract section 1) and
    ward.yaml into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        **_table_texts(*build_demo_ward(n_patients, seed)),
        "ward.yaml": _ward_yaml(n_patients, seed),
    }
    paths = []
    for name in FILE_NAMES:
        path = out_dir / name
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(texts[name])
        paths.append(path)
    if n_patients == DEMO_PATIENTS and seed == DEMO_SEED:
        paths.extend(write_single_patient_exports(out_dir))
    return paths


def demo_input_files(now: pd.Timestamp) -> list[InputFile]:
    """The demo ward's three CSVs with its story moved so that ``now`` (tz-aware) falls at
    the story's "now", as named bytes: what the app imports to seed a demo record (through
    the same validator as any file)."""
    shifted = shift_ward(*build_demo_ward(DEMO_PATIENTS, DEMO_SEED), DEMO_ANCHOR, now)
    return [InputFile(name, text.encode("utf-8")) for name, text in _table_texts(*shifted).items()]


def _table_texts(
    patients: pd.DataFrame, doses: pd.DataFrame, observations: pd.DataFrame
) -> dict[str, str]:
    """The contract's three CSVs of a generated ward, by file name."""
    return {
        "patients.csv": _patients_text(patients),
        "doses.csv": _doses_text(doses),
        "observations.csv": _observations_text(observations),
    }


def write_single_patient_exports(out_dir: Path) -> list[Path]:
    """Write one per-dose sheet and one FHIR bundle from the ward just written in out_dir.

    They are made through the loader and the exporters, so that the shipped files are
    exactly what the readers accept.
    """
    from dashboard.loading import load_ward
    from dashboard.loading.export import write_fhir_bundle, write_per_dose_sheet

    ward = load_ward(out_dir, read_ward_info(out_dir).timezone)
    tables = (ward.patients, ward.doses, ward.observations)
    folder = Path(out_dir) / SINGLE_PATIENT_DIR
    folder.mkdir(exist_ok=True)
    sheet_patient, sheet_name, sheet_units = PER_DOSE_SHEET
    bundle_patient, bundle_name = FHIR_BUNDLE
    return [
        write_per_dose_sheet(*tables, sheet_patient, folder / sheet_name, units=sheet_units),
        write_fhir_bundle(*tables, bundle_patient, folder / bundle_name),
    ]


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def _patients_text(patients: pd.DataFrame) -> str:
    text = patients.copy()
    text["baseline_weight_kg"] = _fixed(patients["baseline_weight_kg"].to_numpy(), 1)
    text["baseline_creatinine_mg_dl"] = _fixed(patients["baseline_creatinine_mg_dl"], 2)
    target = patients["target_sbp_mmhg"]
    text["target_sbp_mmhg"] = np.where(target.isna(), "", _fixed(target.fillna(0), 0))
    return _csv(text)


def _doses_text(doses: pd.DataFrame) -> str:
    text = doses.copy()
    text["scheduled_time"] = format_times(doses["scheduled_time"])
    text["administered_time"] = format_times(doses["administered_time"])
    text["dose_iu_per_kg"] = _fixed(doses["dose_iu_per_kg"].to_numpy(), 0)
    return _csv(text)


def _observations_text(observations: pd.DataFrame) -> str:
    text = observations.copy()
    text["time"] = format_times(observations["time"])
    return _csv(text)


def format_times(times: pd.Series) -> np.ndarray:
    """ISO 8601 in the ward's local time with its UTC offset ('2026-03-02T08:00:00-05:00');
    '' for a missing time. Each distinct time is formatted once (a ward charts many values
    at each time)."""
    codes, distinct = pd.factorize(times, sort=False)
    utc = pd.DatetimeIndex(distinct).tz_convert("UTC")
    local = utc.tz_convert(WARD_TIMEZONE).tz_localize(None)
    text = np.datetime_as_string(local.to_numpy("datetime64[s]"), unit="s")
    offset_min = ((local - utc.tz_localize(None)) // pd.Timedelta(minutes=1)).to_numpy(np.int64)
    offset_text = np.array(
        [f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in offset_min],
        dtype=str,
    )
    formatted = np.append(np.strings.add(text, offset_text).astype(object), "")
    return formatted[codes]  # code -1 (a missing time) picks the final ''


def _ward_yaml(n_patients: int, seed: int) -> str:
    description = (
        DEMO_DESCRIPTION
        if n_patients == DEMO_PATIENTS
        else (
            f"Synthetic scaled ward for benchmarks: {n_patients} fake patients on high-dose "
            "IL-2 (no real patient data)"
        )
    )
    return (
        "# Written by `python -m dashboard.demo`; do not edit by hand (regenerate instead).\n"
        f"description: {_yaml_text(description)}\n"
        f"timezone: {WARD_TIMEZONE}\n"
        "# 'Now' in the demo's story. The app shifts every time by (real now - anchor),\n"
        "# rounded to whole hours, so the ward is always mid-cycle.\n"
        f"anchor: '{DEMO_ANCHOR.isoformat()}'\n"
        f"seed: {seed}\n"
        f"patients: {n_patients}\n"
    )


def _yaml_text(text: str) -> str:
    """A single-quoted YAML string (a ': ' inside a plain scalar would not parse)."""
    return "'" + text.replace("'", "''") + "'"


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dashboard.demo --out data/demo [--patients N] [--seed S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.demo",
        description="Write the synthetic demo ward (or a scaled one for benchmarks).",
    )
    parser.add_argument(
        "--out", type=Path, default=DEMO_DIR, help=f"folder to write into (default {DEMO_DIR})"
    )
    parser.add_argument(
        "--patients",
        type=int,
        default=DEMO_PATIENTS,
        help=f"number of patients (default {DEMO_PATIENTS}; "
        f"{PATIENTS_FOR_A_MILLION_ROWS} give over a million observations)",
    )
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed")
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error("--patients must be at least 1")
    started = time.perf_counter()
    paths = write_demo_ward(args.out, args.patients, args.seed)
    seconds = time.perf_counter() - started
    rows = ", ".join(f"{p.name} {_data_rows(p):,} rows" for p in paths if p.suffix == ".csv")
    print(f"wrote {args.out} in {seconds:.1f} s: {rows}")
    return 0


def _data_rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle) - 1
