"""Shape 2 of data-contract section 3: the per-dose sheet (a paper IL-2 checklist).

One row per pre-dose assessment: ``patient_id, cycle, dose_number, time, status`` and one
column per parameter, named from the vocabulary, optionally with a unit in brackets
(``creatinine [umol/L]``); without a bracket the canonical unit applies. The sheet is
melted into the long observations table (each value timed at its row's ``time``), a doses
table (one dose per row) and, when no patients table is given, a patients table derived
from each patient's first row.

Every cell keeps the sheet's own header as the column to blame, so that a bad value is
reported where the nurse typed it (``creatinine [umol/L]``, not ``value``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from dashboard.errors import DataValidationError, Problem
from dashboard.loading.raw import InputFile, RawTables
from dashboard.loading.text_table import read_text_table
from dashboard.tables import DOSE_INPUT_COLUMNS, OBSERVATION_INPUT_COLUMNS, PATIENT_INPUT_COLUMNS
from dashboard.vocabulary import Vocabulary, load_vocabulary

#: Columns every per-dose sheet has.
SHEET_REQUIRED_COLUMNS = ("patient_id", "cycle", "dose_number", "time", "status")
#: Dose columns a sheet may add.
SHEET_OPTIONAL_COLUMNS = ("administered_time", "scheduled_time", "reason", "dose_iu_per_kg")
#: What separates several codes in one cell of a multi-valued parameter (events).
MULTI_VALUE_SEPARATOR = ";"

# "creatinine [umol/L]" -> ("creatinine", "umol/L"); "sbp [mm[Hg]]" -> ("sbp", "mm[Hg]") (UCUM
# units hold brackets themselves); "weight" -> ("weight", None)
_HEADER = re.compile(r"^\s*(?P<name>[^\[\]]*?)\s*(?:\[(?P<unit>.*)\]\s*)?$")


@dataclass(frozen=True)
class NamedTable:
    """A raw table of strings with ``source_row``, and the file name to show in messages."""

    frame: pd.DataFrame
    name: str


@dataclass(frozen=True)
class _ParameterColumn:
    header: str  # as typed in the sheet, the column to blame
    parameter: str
    unit: str  # as in the brackets; "" when there are none (the canonical unit applies)


def read_per_dose_csv(file: InputFile, patients: InputFile | None) -> RawTables:
    """Read a per-dose sheet saved as CSV, with an optional ``patients.csv`` beside it."""
    frame, problems = read_text_table(file.name, file.data, list(SHEET_REQUIRED_COLUMNS))
    patients_table = None
    if patients is not None:
        patients_frame, patient_problems = read_text_table(
            patients.name, patients.data, list(PATIENT_INPUT_COLUMNS)
        )
        problems.extend(patient_problems)
        patients_table = NamedTable(patients_frame, patients.name)
    raw = read_per_dose_frame(frame, file.name, patients_table)
    raw.problems[:0] = problems
    return raw


def read_per_dose_frame(
    frame: pd.DataFrame,
    file_name: str,
    patients: NamedTable | None,
    vocabulary: Vocabulary | None = None,
) -> RawTables:
    """Turn a per-dose sheet (strings plus ``source_row``) into the three raw tables.

    Shared by the CSV and the Excel readers. ``patients`` is a patients table given beside
    the sheet; without one, baselines come from each patient's first row.
    """
    vocabulary = vocabulary or load_vocabulary()
    frame = _strip_cells(frame)
    missing = _missing_columns(frame, file_name)
    columns, problems = _parameter_columns(frame, file_name, vocabulary)
    if missing:
        # Without its dose columns no row can be placed: every row would repeat the header's
        # problem, so the header's problems are the whole answer.
        raise DataValidationError([*missing, *problems])
    notices: list[str] = []
    doses = _doses(frame, notices, file_name)
    observations = _observations(frame, columns, vocabulary)
    if patients is not None:
        patients_frame, patients_name = patients.frame, patients.name
    else:
        patients_frame = _patients_from_first_rows(frame, columns, vocabulary)
        patients_name = file_name
        if len(patients_frame):
            notices.append(
                f"{file_name}: no patients table was given, so each patient's baseline weight "
                "and creatinine were taken from that patient's first row"
            )
    return RawTables(
        patients=patients_frame,
        doses=doses,
        observations=observations,
        files={"patients": patients_name, "doses": file_name, "observations": file_name},
        # A column without a bracket is in the canonical unit: the unit stays empty, so that
        # recorded_unit shows what was typed (nothing) and validation applies the canonical.
        units_required=False,
        problems=problems,
        notices=notices,
    )


def _strip_cells(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in frame.columns:
        if column != "source_row":
            # Readers may hand categoricals (repeated text is stored once): plain text here.
            frame[column] = frame[column].astype(object).fillna("").astype(str).str.strip()
    return frame.reset_index(drop=True)


def _missing_columns(frame: pd.DataFrame, file_name: str) -> list[Problem]:
    return [
        Problem(file_name, 1, column, "required column is missing")
        for column in SHEET_REQUIRED_COLUMNS
        if column not in frame.columns
    ]


def _parameter_columns(
    frame: pd.DataFrame, file_name: str, vocabulary: Vocabulary
) -> tuple[list[_ParameterColumn], list[Problem]]:
    """Read each non-dose header as ``parameter [unit]``; report the ones that are not.

    A wrong header is reported once, on the header row, rather than once per cell: the
    whole column is unusable (a misspelt ``creatinin`` must never pass for "no creatinine").
    """
    dose_columns = {*SHEET_REQUIRED_COLUMNS, *SHEET_OPTIONAL_COLUMNS, "source_row"}
    columns, problems = [], []
    seen: dict[str, str] = {}
    for header in frame.columns:
        if header in dose_columns:
            continue
        match = _HEADER.match(header)
        name = match["name"].lower() if match else header
        if not header:
            if (frame[header] != "").any():
                problems.append(
                    Problem(file_name, 1, "(no header)", "a column has values but no header")
                )
            continue
        if match is None or name not in vocabulary:
            problems.append(Problem(file_name, 1, header, _unknown_column_reason(name, vocabulary)))
            continue
        parameter = vocabulary[name]
        unit = (match["unit"] or "").strip()
        reason = _unit_reason(parameter, unit, match["unit"] is not None)
        if reason:
            problems.append(Problem(file_name, 1, header, reason))
            continue
        if name in seen:
            problems.append(
                Problem(file_name, 1, header, f"{name} already has the column '{seen[name]}'")
            )
            continue
        seen[name] = header
        columns.append(_ParameterColumn(header, name, unit))
    return columns, problems


def _unknown_column_reason(name: str, vocabulary: Vocabulary) -> str:
    hint = vocabulary.suggest(name)
    if hint:
        return f"'{name}' is not a known parameter; did you mean '{hint}'?"
    return (
        f"'{name}' is neither a dose column ({', '.join(SHEET_REQUIRED_COLUMNS)}, "
        f"{', '.join(SHEET_OPTIONAL_COLUMNS)}) nor a known parameter "
        f"({', '.join(vocabulary.names)})"
    )


def _unit_reason(parameter, unit: str, bracketed: bool) -> str | None:
    if not parameter.is_numeric:
        return f"{parameter.name} is categorical and takes no unit" if unit else None
    if bracketed and not unit:
        return f"the brackets hold no unit (accepted: {', '.join(parameter.accepted_units)})"
    if unit and parameter.conversion(unit) is None:
        return (
            f"'{unit}' is not a unit of {parameter.name} "
            f"(accepted: {', '.join(parameter.accepted_units)})"
        )
    return None


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series("", index=frame.index, dtype=object)


def _doses(frame: pd.DataFrame, notices: list[str], file_name: str) -> pd.DataFrame:
    """One dose per row; scheduled and administered times default to the row's time."""
    time = _column(frame, "time")
    status = _column(frame, "status")
    scheduled = _column(frame, "scheduled_time")
    scheduled_from_time = scheduled == ""
    if "scheduled_time" in frame.columns and scheduled_from_time.any():
        notices.append(
            f"{file_name}: scheduled_time empty in {int(scheduled_from_time.sum())} row(s): "
            "the row's time was taken as the dose's scheduled time"
        )
    administered = _column(frame, "administered_time")
    given = status.str.lower() == "given"
    administered_from_time = given & (administered == "")
    if administered_from_time.any():
        notices.append(
            f"{file_name}: {int(administered_from_time.sum())} given dose(s) have no "
            "administered_time: the row's time was taken as the time the dose was given"
        )
    doses = pd.DataFrame(
        {
            "patient_id": _column(frame, "patient_id"),
            "cycle": _column(frame, "cycle"),
            "dose_number": _column(frame, "dose_number"),
            "scheduled_time": scheduled.where(~scheduled_from_time, time),
            "status": status,
            "administered_time": administered.where(~administered_from_time, time),
            "dose_iu_per_kg": _column(frame, "dose_iu_per_kg"),
            "reason": _column(frame, "reason"),
            "source_row": frame["source_row"].to_numpy(),
        }
    )
    # A scheduled or administered time taken from the row's time is blamed on `time`.
    doses["blame_scheduled_time"] = scheduled_from_time.map({True: "time", False: "scheduled_time"})
    doses["blame_administered_time"] = administered_from_time.map(
        {True: "time", False: "administered_time"}
    )
    return doses[
        [*DOSE_INPUT_COLUMNS, "source_row", "blame_scheduled_time", "blame_administered_time"]
    ]


def _observations(
    frame: pd.DataFrame, columns: list[_ParameterColumn], vocabulary: Vocabulary
) -> pd.DataFrame:
    """Melt the parameter columns: each non-empty cell is an observation (an event: per code)."""
    parts = []
    for column in columns:
        values = frame[column.header]
        charted = values != ""
        if not charted.any():
            continue
        part = pd.DataFrame(
            {
                "patient_id": frame.loc[charted, "patient_id"]
                if "patient_id" in frame.columns
                else "",
                "time": _column(frame, "time")[charted],
                "parameter": column.parameter,
                "value": values[charted],
                "unit": column.unit,
                "source_row": frame.loc[charted, "source_row"],
                "blame_value": column.header,
                "blame_unit": column.header,
                "blame_parameter": column.header,
            }
        )
        if vocabulary[column.parameter].multi_valued:
            part = _split_codes(part)
        parts.append(part)
    if not parts:
        empty = {c: pd.Series(dtype=object) for c in OBSERVATION_INPUT_COLUMNS}
        return pd.DataFrame({**empty, "source_row": pd.Series(dtype="int64")})
    observations = pd.concat(parts, ignore_index=True)
    # Row order as in the sheet, so that messages come in the order a person reads them.
    return observations.sort_values("source_row", kind="stable").reset_index(drop=True)


def _split_codes(part: pd.DataFrame) -> pd.DataFrame:
    """``seizure; coma`` -> two rows; an empty piece (``seizure;;coma``) is dropped as blank."""
    part = part.assign(value=part["value"].str.split(MULTI_VALUE_SEPARATOR)).explode("value")
    part["value"] = part["value"].str.strip()
    return part.loc[part["value"] != ""]


def _patients_from_first_rows(
    frame: pd.DataFrame, columns: list[_ParameterColumn], vocabulary: Vocabulary
) -> pd.DataFrame:
    """One patient per id, baselines from the patient's first row (converted to kg, mg/dL).

    Only the first row counts: a later weight is taken after IL-2 began (with its fluid
    gain), so it would understate every later weight gain. A missing one is reported.
    """
    by_name = {c.parameter: c for c in columns}
    if "patient_id" not in frame.columns:
        return pd.DataFrame(columns=[*PATIENT_INPUT_COLUMNS, "source_row"])
    ids = frame["patient_id"]
    first = frame.loc[(ids != "") & ~ids.duplicated(keep="first")]
    patients = pd.DataFrame(
        {c: pd.Series("", index=first.index, dtype=object) for c in PATIENT_INPUT_COLUMNS}
    )
    patients["patient_id"] = first["patient_id"]
    patients["source_row"] = first["source_row"]
    for parameter, target, canonical in (
        ("weight", "baseline_weight_kg", "kg"),
        ("creatinine", "baseline_creatinine_mg_dl", "mg/dL"),
    ):
        column = by_name.get(parameter)
        header = column.header if column else parameter
        if column is not None:
            patients[target] = first[column.header].map(
                lambda text, c=column: _canonical_text(text, vocabulary[c.parameter], c.unit)
            )
        patients[f"blame_{target}"] = (
            f"{header} (the baseline, taken from the patient's first row, in {canonical})"
        )
    return patients.reset_index(drop=True)


def _canonical_text(text: str, parameter, unit: str) -> str:
    """A typed number converted to the canonical unit, as text; anything else as typed."""
    try:
        value = float(text)
    except ValueError:
        return text  # validation quotes it as typed
    return repr(parameter.to_canonical(value, unit)) if unit else text
