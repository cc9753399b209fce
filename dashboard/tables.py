"""The three canonical tables every input is normalised into (data-contract section 1).

Inside the monitor every time is a timezone-aware UTC timestamp and every numeric value is
in its parameter's canonical unit. Each row keeps where it came from (``source``, the file
name, and ``source_row``, the row as a person counts it) so that any finding can be traced
back to the line a nurse typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

DEFAULT_DOSE_IU_PER_KG = 600_000.0  # data-contract section 1, doses.dose_iu_per_kg default

DOSE_STATUSES = ("given", "held", "scheduled", "skipped")
INDICATIONS = ("rcc", "melanoma", "til", "other")

# Input columns of each table: name -> required. Order is the contract's.
PATIENT_INPUT_COLUMNS = {
    "patient_id": True,
    "name": False,
    "bed": False,
    "indication": False,
    "protocol": False,
    "baseline_weight_kg": True,
    "baseline_creatinine_mg_dl": False,
    "target_sbp_mmhg": False,
}
DOSE_INPUT_COLUMNS = {
    "patient_id": True,
    "cycle": True,
    "dose_number": True,
    "scheduled_time": True,
    "status": True,
    "administered_time": False,
    "dose_iu_per_kg": False,
    "reason": False,
}
OBSERVATION_INPUT_COLUMNS = {
    "patient_id": True,
    "time": True,
    "parameter": True,
    "value": True,
    "unit": False,  # required for numeric parameters, checked per row
}

# Canonical frames (what the loaders return). Provenance columns last.
PATIENT_COLUMNS = [*PATIENT_INPUT_COLUMNS, "source", "source_row"]
DOSE_COLUMNS = [*DOSE_INPUT_COLUMNS, "source", "source_row"]
OBSERVATION_COLUMNS = [
    "patient_id",
    "time",  # UTC
    "parameter",
    "value",  # float, canonical unit; NaN for categorical parameters
    "code",  # categorical code; None for numeric parameters
    "unit",  # canonical unit; "" for categorical
    "recorded_value",  # the value as typed (string), so that no value is ever hidden
    "recorded_unit",  # the unit as typed
    "source",
    "source_row",
]
# patient_id, parameter and code are plain Python strings (code None for numeric rows);
# unit, recorded_value, recorded_unit and source are pandas categoricals (compare them with
# == or isin; do not group by them without observed=True).


@dataclass
class ImportReport:
    """What a load did besides returning data: kept with the data, shown on screen."""

    files: list[str] = field(default_factory=list)
    merged_duplicates: int = 0  # identical rows merged into one
    notices: list[str] = field(default_factory=list)  # e.g. inferred values, defaults applied
    problems: list = field(default_factory=list)  # Problems of refused rows (lenient loads)
    refused_rows: pd.DataFrame | None = None  # the refused rows as read, when going on

    def summary(self) -> str:
        parts = [f"read {', '.join(self.files)}" if self.files else "read nothing"]
        if self.merged_duplicates:
            parts.append(f"{self.merged_duplicates} duplicate row(s) merged")
        if self.problems:
            parts.append(f"{len(self.problems)} row(s) refused")
        return "; ".join(parts)


@dataclass
class WardData:
    """The canonical tables of one ward, plus the report of how they were read."""

    patients: pd.DataFrame
    doses: pd.DataFrame
    observations: pd.DataFrame
    report: ImportReport = field(default_factory=ImportReport)

    def refused_by_patient(self) -> dict[str, int]:
        """How many rows were refused for each patient (criteria.md 9.7: partial data is
        loud). Rows whose patient could not be read are not counted here; the import
        report lists them."""
        refused = self.report.refused_rows
        if refused is None or refused.empty or "patient_id" not in refused:
            return {}
        ids = refused["patient_id"].astype("string").str.strip()
        ids = ids[ids.notna() & (ids != "")]
        return {str(pid): int(n) for pid, n in ids.value_counts(sort=False).items()}

    def counts(self) -> dict[str, int]:
        return {
            "patients": len(self.patients),
            "doses": len(self.doses),
            "observations": len(self.observations),
        }
