"""What an import would load, and every problem found, before anything is used."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.errors import Problem
from dashboard.tables import WardData
from dashboard.views.clock import format_clock

PROBLEM_COLUMNS = ["File", "Row", "Column", "Reason"]


def problem_rows(problems: list[Problem]) -> pd.DataFrame:
    """One row per problem: file, row (as a person counts it), column, reason."""
    return pd.DataFrame(
        [
            {
                "File": p.file,
                "Row": f"{p.row_kind} {p.row}" if p.row is not None else "whole file",
                "Column": p.column or "—",
                "Reason": p.reason,
            }
            for p in problems
        ],
        columns=PROBLEM_COLUMNS,
    )


@dataclass
class Preview:
    counts: dict[str, int]
    patients: pd.DataFrame
    first: str
    last: str
    files: list[str]
    notices: list[str]
    merged_duplicates: int
    refused: int


def preview(ward: WardData, timezone: str) -> Preview:
    """Counts, the patients, and the date range of what would be loaded."""
    times = pd.concat(
        [ward.observations["time"], ward.doses["scheduled_time"]], ignore_index=True
    ).dropna()
    doses = ward.doses.groupby("patient_id").agg(
        doses=("dose_number", "size"), cycles=("cycle", "nunique")
    )
    observations = ward.observations.groupby("patient_id").size().rename("observations")
    patients = ward.patients.drop_duplicates("patient_id").set_index("patient_id")
    columns = [
        c
        for c in ("name", "bed", "indication", "protocol", "baseline_weight_kg")
        if c in patients.columns
    ]
    table = patients[columns].join(doses).join(observations).reset_index()
    table[["doses", "cycles", "observations"]] = (
        table[["doses", "cycles", "observations"]].fillna(0).astype(int)
    )
    return Preview(
        counts=ward.counts(),
        patients=table,
        first=format_clock(times.min(), timezone) if len(times) else "no times",
        last=format_clock(times.max(), timezone) if len(times) else "no times",
        files=list(ward.report.files),
        notices=list(ward.report.notices),
        merged_duplicates=ward.report.merged_duplicates,
        refused=len(ward.report.problems),
    )
