"""Validation of raw (all-text) tables into the canonical tables.

Every loader (CSV folder, per-dose sheet, FHIR bundle, workbook) turns its input into raw
tables of strings with a ``source_row`` column and hands them here, so the bad-input rules
of data-contract section 4 are written once: every problem is reported with file, row,
column and reason; a failing row is never silently dropped or coerced; identical
duplicates are merged and counted; conflicting duplicates are refused.

A raw table may carry ``blame_<column>`` columns: the name to report for that cell when it
is wrong (a per-dose sheet reports the header "creatinine [umol/L]" rather than "value").
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.errors import Problem
from dashboard.instants import as_ns
from dashboard.loading.distinct import as_categorical, per_distinct, per_distinct_pair, plain
from dashboard.loading.times import parse_times
from dashboard.quantities import plain_number
from dashboard.tables import (
    DEFAULT_DOSE_IU_PER_KG,
    DOSE_INPUT_COLUMNS,
    DOSE_STATUSES,
    INDICATIONS,
    OBSERVATION_COLUMNS,
    OBSERVATION_INPUT_COLUMNS,
    PATIENT_INPUT_COLUMNS,
)
from dashboard.vocabulary import Vocabulary, load_vocabulary


@dataclass
class Validated:
    """A canonical table, the problems of its refused rows, and what was done besides."""

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    refused: pd.DataFrame | None = None  # the raw rows that failed, as read
    merged_duplicates: int = 0
    notices: list[str] = field(default_factory=list)


class _Checker:
    """Collects problems against a raw table; remembers which rows failed."""

    def __init__(self, raw: pd.DataFrame, file: str, row_kind: str = "row"):
        self.raw = raw.reset_index(drop=True)
        self.file = file
        self.row_kind = row_kind
        self.problems: list[Problem] = []
        self.failed = np.zeros(len(raw), dtype=bool)
        self._text: dict[str, pd.Series] = {}

    def column_label(self, column: str, positions: np.ndarray) -> list[str]:
        blame = f"blame_{column}"
        if blame in self.raw.columns:
            return [str(v) for v in self.raw[blame].to_numpy()[positions]]
        return [column] * len(positions)

    def flag(self, mask, column: str, reasons) -> None:
        """Report rows where ``mask`` holds.

        ``reasons`` is one string, a per-row sequence, or a function of the row's position
        (called only for flagged rows: problems are rare, rows are many).
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
        rows = self.raw["source_row"].to_numpy()[positions]
        labels = self.column_label(column, positions)
        if isinstance(reasons, str):
            texts = [reasons] * len(positions)
        elif callable(reasons):
            texts = [str(reasons(int(i))) for i in positions]
        else:
            texts = [str(r) for r in np.asarray(reasons, dtype=object)[positions]]
        self.problems.extend(
            Problem(self.file, int(row), label, text, self.row_kind)
            for row, label, text in zip(rows, labels, texts, strict=True)
        )
        self.failed |= mask

    def header(self, columns: dict[str, bool], table: str) -> bool:
        """Check the header: required columns present, no unknown column. True if usable."""
        present = [c for c in self.raw.columns if c != "source_row" and not c.startswith("blame_")]
        ok = True
        for column, required in columns.items():
            if required and column not in present:
                self.problems.append(
                    Problem(
                        self.file,
                        1 if self.row_kind == "row" else None,
                        column,
                        "required column is missing",
                        self.row_kind,
                    )
                )
                ok = False
        for column in present:
            if column not in columns:
                close = difflib.get_close_matches(column, list(columns), n=1, cutoff=0.6)
                hint = (
                    f"; did you mean '{close[0]}'?"
                    if close
                    else f" (columns: {', '.join(columns)})"
                )
                self.problems.append(
                    Problem(
                        self.file,
                        1 if self.row_kind == "row" else None,
                        column,
                        f"is not a column of {table}{hint}",
                        self.row_kind,
                    )
                )
                ok = False
        if not ok:  # the table cannot be read as a whole: every row is refused, none lost
            self.failed[:] = True
        return ok

    def text(self, column: str) -> pd.Series:
        """The column's text, stripped, as a categorical (see distinct.py); "" if absent."""
        if column not in self._text:
            if column not in self.raw.columns:
                self._text[column] = pd.Series(
                    pd.Categorical([""] * len(self.raw)), index=self.raw.index
                )
            else:
                self._text[column] = per_distinct(
                    self.raw[column].astype(str)
                    if self.raw[column].dtype != "category"
                    else self.raw[column],
                    lambda values: values.astype(str).str.strip(),
                )
        return self._text[column]

    def result(self, frame: pd.DataFrame, drop: np.ndarray | None = None, **extra) -> Validated:
        """The frame less its failed rows (and ``drop``: rows merged away), and the problems."""
        refused = self.raw.loc[self.failed].drop(
            columns=[c for c in self.raw.columns if c.startswith("blame_")]
        )
        if len(frame) == len(self.raw):
            keep = ~self.failed if drop is None else ~self.failed & ~drop
            if not keep.all():  # copying a million rows for nothing costs a noticeable while
                frame = frame.loc[keep].reset_index(drop=True)
        return Validated(frame=frame, problems=self.problems, refused=refused, **extra)


def _numbers(
    checker: _Checker,
    column: str,
    required: bool,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    whole: bool = False,
) -> pd.Series:
    text = checker.text(column)
    empty = text == ""
    if required:
        checker.flag(empty, column, "a value is required")
    numbers = per_distinct(text, _to_number)
    not_number = ~empty & (numbers.isna() | np.isinf(numbers))
    checker.flag(not_number, column, lambda i: f"'{text.iat[i]}' is not a number")
    ok = ~empty & ~not_number
    if whole:
        fractional = ok & (numbers != np.floor(numbers))
        checker.flag(fractional, column, lambda i: f"'{text.iat[i]}' is not a whole number")
        ok &= ~fractional
    if low is not None:
        outside = ok & ((numbers < low) | (numbers > high))
        suffix = f" {unit}" if unit else ""
        checker.flag(
            outside,
            column,
            lambda i: (
                f"{text.iat[i]}{suffix} is outside the plausible range "
                f"{plain_number(low)}–{plain_number(high)}{suffix} "
                "(a typing error?)"
            ),
        )
    # An 'inf' is reported above and must not travel on (as a dose number it crashed the
    # conversion to whole numbers): a refused value is no value.
    return numbers.where(~not_number)


def _to_number(texts: pd.Series) -> pd.Series:
    return pd.to_numeric(texts.where(texts != ""), errors="coerce").astype(float)


def _lower(texts: pd.Series) -> pd.Series:
    return texts.str.lower()


def _codes(checker: _Checker, column: str, allowed: tuple[str, ...], required: bool) -> pd.Series:
    text = checker.text(column)
    lowered = per_distinct(text, _lower)
    empty = text == ""
    if required:
        checker.flag(empty, column, "a value is required")
    unknown = ~empty & ~lowered.isin(allowed)
    checker.flag(unknown, column, lambda i: f"'{text.iat[i]}' is not one of {', '.join(allowed)}")
    return plain(lowered).where(~empty, None)


@dataclass(frozen=True)
class PatientIndex:
    """Which patient ids the patients table names, and which of its rows were refused.

    Rows of a refused patient cannot be loaded (no baseline to assess them against); they
    get one summary line per patient instead of a misleading "unknown patient" on each row.
    """

    named: frozenset[str]
    refused: frozenset[str]
    file: str


def patients_named(raw_patients: pd.DataFrame) -> set[str]:
    """Every non-empty patient_id the raw patients table names, valid row or not."""
    if "patient_id" not in raw_patients.columns:
        return set()
    ids = raw_patients["patient_id"].astype(str).str.strip()
    return set(ids[ids != ""])


def _protocol_ids(checker: _Checker, known: Sequence[str] | None) -> pd.Series:
    """A protocol id the monitor cannot find would otherwise fail the whole ward later;
    it is a typing error in one row, reported like any other."""
    ids = plain(checker.text("protocol"))
    if known is not None:
        unknown = (ids != "") & ~ids.isin(list(known))
        checker.flag(unknown, "protocol", lambda i: _unknown_protocol_reason(ids.iat[i], known))
    return ids


def _unknown_protocol_reason(typed: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(typed, list(known), n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"'{typed}' is not a known protocol (known: {', '.join(known)}){hint}"


def _known_patients(checker: _Checker, patients: PatientIndex | None, noun: str) -> pd.Series:
    ids = checker.text("patient_id")
    checker.flag(ids == "", "patient_id", "a patient_id is required")
    if patients is None:
        return ids
    unknown = (ids != "") & ~ids.isin(patients.named)
    checker.flag(
        unknown, "patient_id", lambda i: f"patient '{ids.iat[i]}' is not in {patients.file}"
    )
    of_refused = ids.isin(patients.refused)
    refused_counts = plain(ids[of_refused]).value_counts(sort=False)
    for patient, count in refused_counts.items():
        checker.problems.append(
            Problem(
                checker.file,
                None,
                "patient_id",
                f"{count} {noun} row(s) of patient '{patient}' not loaded: the patient's own "
                "row in "
                f"{patients.file} was refused",
                checker.row_kind,
            )
        )
    checker.failed |= of_refused.to_numpy()
    return ids


def _times(checker: _Checker, column: str, timezone: str, required: bool) -> pd.Series:
    text = checker.text(column)
    empty = text == ""
    times, reasons = parse_times(text, timezone)
    if required:
        checker.flag(empty, column, "a time is required")
    checker.flag(~empty & reasons.notna(), column, reasons)
    return times


def validate_patients(
    raw: pd.DataFrame,
    file: str,
    vocabulary: Vocabulary | None = None,
    row_kind: str = "row",
    known_protocols: Sequence[str] | None = None,
) -> Validated:
    """Validate the patients table. ``known_protocols``: the protocol ids a patient's
    ``protocol`` column may name (empty means the default); None skips that check."""
    vocabulary = vocabulary or load_vocabulary()
    checker = _Checker(raw, file, row_kind)
    if not checker.header(PATIENT_INPUT_COLUMNS, "patients"):
        return checker.result(_empty_patients())
    ids = plain(checker.text("patient_id"))  # a small table: plain text is simplest
    checker.flag(ids == "", "patient_id", "a patient_id is required")
    repeated = (ids != "") & ids.duplicated(keep="first")
    first_row = raw.groupby(ids, sort=False)["source_row"].transform("first")
    checker.flag(
        repeated,
        "patient_id",
        lambda i: f"patient '{ids.iat[i]}' already appears in row {first_row.iat[i]}",
    )
    weight, creatinine, sbp = (vocabulary[p] for p in ("weight", "creatinine", "sbp"))
    frame = pd.DataFrame(
        {
            "patient_id": ids,
            "name": plain(checker.text("name")),
            "bed": plain(checker.text("bed")),
            "indication": _codes(checker, "indication", INDICATIONS, required=False),
            "protocol": _protocol_ids(checker, known_protocols),
            "baseline_weight_kg": _numbers(
                checker, "baseline_weight_kg", True, *weight.plausible, "kg"
            ),
            "baseline_creatinine_mg_dl": _numbers(
                checker, "baseline_creatinine_mg_dl", False, *creatinine.plausible, "mg/dL"
            ),
            "target_sbp_mmhg": _numbers(
                checker, "target_sbp_mmhg", False, *sbp.plausible, "mm[Hg]"
            ),
            "source": pd.Series(file, index=raw.index, dtype=object),  # not pandas 3 str
            "source_row": raw["source_row"].to_numpy(),
        }
    )
    return checker.result(frame)


def validate_doses(
    raw: pd.DataFrame,
    file: str,
    timezone: str,
    patients: PatientIndex | None,
    row_kind: str = "row",
) -> Validated:
    checker = _Checker(raw, file, row_kind)
    if not checker.header(DOSE_INPUT_COLUMNS, "doses"):
        return checker.result(_empty_doses())
    ids = plain(_known_patients(checker, patients, "dose"))
    cycle = _numbers(checker, "cycle", True, 1, 99, whole=True)
    dose_number = _numbers(checker, "dose_number", True, 1, 999, whole=True)
    scheduled = _times(checker, "scheduled_time", timezone, required=True)
    status = _codes(checker, "status", DOSE_STATUSES, required=True)
    administered = _times(checker, "administered_time", timezone, required=False)
    has_administered = checker.text("administered_time") != ""
    checker.flag(
        (status == "given") & ~has_administered,
        "administered_time",
        "a given dose needs its administered_time",
    )
    checker.flag(
        status.isin(["held", "skipped", "scheduled"]) & has_administered,
        "administered_time",
        lambda i: f"administered_time is set but the dose's status is '{status.iat[i]}'",
    )
    dose_iu = _numbers(checker, "dose_iu_per_kg", False, 1, 10_000_000)
    notices = []
    defaulted = int((checker.text("dose_iu_per_kg") == "").sum())
    if defaulted:
        notices.append(
            f"{file}: dose_iu_per_kg empty in {defaulted} row(s): the contract's "
            f"default {DEFAULT_DOSE_IU_PER_KG:,.0f} IU/kg applies"
        )
    key = ids + "|" + cycle.astype(str) + "|" + dose_number.astype(str)
    valid_key = (ids != "") & cycle.notna() & dose_number.notna()
    repeated = valid_key & key.duplicated(keep="first")
    first_row = raw.groupby(key, sort=False)["source_row"].transform("first")
    checker.flag(
        repeated,
        "dose_number",
        lambda i: (
            f"cycle {plain_number(cycle.iat[i])} dose {plain_number(dose_number.iat[i])} "
            f"of patient '{ids.iat[i]}' already "
            f"appears in row {first_row.iat[i]}"
        ),
    )
    _check_schedule(checker, ids, cycle, dose_number, scheduled, administered)
    frame = pd.DataFrame(
        {
            "patient_id": ids,
            "cycle": cycle.fillna(0).astype(int),
            "dose_number": dose_number.fillna(0).astype(int),
            "scheduled_time": scheduled,
            "status": status,
            "administered_time": administered,
            "dose_iu_per_kg": dose_iu.fillna(DEFAULT_DOSE_IU_PER_KG),
            "reason": plain(checker.text("reason")),
            "source": pd.Series(file, index=raw.index, dtype=object),  # not pandas 3 str
            "source_row": raw["source_row"].to_numpy(),
        }
    )
    return checker.result(frame, notices=notices)


def validate_observations(
    raw: pd.DataFrame,
    file: str,
    timezone: str,
    patients: PatientIndex | None,
    vocabulary: Vocabulary | None = None,
    row_kind: str = "row",
    units_required: bool = True,
) -> Validated:
    """Validate long-format observations; convert numeric values to canonical units."""
    vocabulary = vocabulary or load_vocabulary()
    checker = _Checker(raw, file, row_kind)
    if not checker.header(OBSERVATION_INPUT_COLUMNS, "observations"):
        return checker.result(_empty_observations())
    ids = _known_patients(checker, patients, "observation")
    times = _times(checker, "time", timezone, required=True)
    typed_parameter = checker.text("parameter")
    parameter = per_distinct(typed_parameter, _lower)
    value_text = checker.text("value")
    unit_text = checker.text("unit")

    known = parameter.isin(vocabulary.names)
    checker.flag(parameter == "", "parameter", "a parameter name is required")
    checker.flag(
        ~known & (parameter != ""),
        "parameter",
        lambda i: vocabulary.unknown_name_reason(typed_parameter.iat[i]),
    )
    checker.flag(known & (value_text == ""), "value", "a value is required")

    numeric_names = [p.name for p in vocabulary.parameters.values() if p.is_numeric]
    is_numeric = parameter.isin(numeric_names) & (value_text != "")
    is_categorical = known & ~parameter.isin(numeric_names) & (value_text != "")

    # Numeric parameters: a number, in an accepted unit, inside the plausible range.
    numbers = per_distinct(value_text, _to_number).where(is_numeric)
    not_number = is_numeric & (numbers.isna() | np.isinf(numbers))
    checker.flag(
        not_number,
        "value",
        lambda i: f"'{value_text.iat[i]}' is not a number (a {parameter.iat[i]} value)",
    )
    missing_unit = is_numeric & (unit_text == "") & units_required
    checker.flag(
        missing_unit,
        "unit",
        lambda i: (
            f"a unit is required for {parameter.iat[i]} "
            f"(accepted: {', '.join(vocabulary[parameter.iat[i]].accepted_units)})"
        ),
    )
    scale, zero, unit_known, canonical_unit, low, high = per_distinct_pair(
        parameter, unit_text, lambda p, u: _unit_facts(vocabulary, p, u)
    )
    canonical = pd.Series((numbers.to_numpy() - zero) * scale, index=numbers.index)
    wrong_unit = is_numeric & ~missing_unit & ~unit_known
    checker.flag(
        wrong_unit,
        "unit",
        lambda i: (
            f"'{unit_text.iat[i]}' is not a unit of {parameter.iat[i]} "
            f"(accepted: {', '.join(vocabulary[parameter.iat[i]].accepted_units)})"
        ),
    )
    checkable = is_numeric & ~not_number & unit_known
    outside = checkable & ((canonical < low) | (canonical > high))
    checker.flag(
        outside,
        "value",
        lambda i: _range_reason(
            vocabulary,
            parameter.iat[i],
            value_text.iat[i],
            unit_text.iat[i] or canonical_unit[i],
            canonical.iat[i],
            low[i],
            high[i],
        ),
    )

    # Categorical parameters: one of the parameter's codes, and no unit.
    code_text = per_distinct(value_text, _lower)
    if is_categorical.any():
        (code_allowed,) = per_distinct_pair(
            parameter,
            code_text,
            lambda p, c: (p in vocabulary and c in vocabulary[p].codes,),
        )
        checker.flag(
            is_categorical & ~code_allowed,
            "value",
            lambda i: (
                f"'{value_text.iat[i]}' is not a code of {parameter.iat[i]} "
                f"(codes: {', '.join(vocabulary[parameter.iat[i]].codes)})"
            ),
        )
        checker.flag(
            is_categorical & (unit_text != ""),
            "unit",
            lambda i: (
                f"{parameter.iat[i]} is categorical and takes no unit (got '{unit_text.iat[i]}')"
            ),
        )

    # Half a unit of the last digit typed, in the canonical unit: 212 umol/L says the value
    # to within 0.5 umol/L (0.0057 mg/dL), so 2.398 mg/dL at the same time is the same reading.
    typed_precision = per_distinct(value_text, _half_last_digit).to_numpy() * np.abs(scale)
    merged = _merge_duplicates(
        checker,
        ids,
        times,
        parameter,
        canonical.where(is_numeric),
        pd.Series(code_text.cat.codes.to_numpy(), index=code_text.index).where(is_categorical, -1),
        vocabulary,
        pd.Series(typed_precision, index=canonical.index),
    )
    frame = pd.DataFrame(
        {
            "patient_id": plain(ids),
            "time": times,
            "parameter": plain(parameter),
            "value": canonical.where(is_numeric),
            "code": plain(code_text).where(is_categorical, None),
            # Provenance columns stay categorical: few distinct values, a million rows, and
            # object columns would be copied together when the frame is built.
            "unit": pd.Categorical(canonical_unit),
            "recorded_value": value_text,
            "recorded_unit": unit_text,
            "source": pd.Categorical.from_codes(np.zeros(len(raw), dtype=np.int8), [file]),
            "source_row": raw["source_row"].to_numpy(),
        }
    )
    result = checker.result(frame[OBSERVATION_COLUMNS], drop=merged)
    result.merged_duplicates = int(merged.sum())
    if result.merged_duplicates:
        result.notices.append(
            f"{file}: {result.merged_duplicates} identical duplicate row(s) merged"
        )
    return result


def _unit_facts(vocabulary: Vocabulary, parameter: str, unit: str | None) -> tuple:
    """(scale, zero, known, canonical unit, low, high) of a typed unit of a parameter.

    An empty unit means the canonical one (the per-dose sheet's header without a bracket);
    where units are required, the empty unit is reported separately.
    """
    if parameter not in vocabulary or not vocabulary[parameter].is_numeric:
        unit_name = vocabulary[parameter].unit or "" if parameter in vocabulary else ""
        return (np.nan, np.nan, False, unit_name, np.nan, np.nan)
    spec = vocabulary[parameter]
    conversion = spec.conversion(unit) if unit else spec.conversion(spec.unit)
    low, high = spec.plausible
    if conversion is None:
        return (np.nan, np.nan, False, spec.unit, low, high)
    return (conversion.scale, conversion.zero, True, spec.unit, low, high)


def _range_reason(
    vocabulary: Vocabulary,
    parameter: str,
    typed: str,
    unit: str,
    canonical: float,
    low: float,
    high: float,
) -> str:
    canonical_unit = vocabulary[parameter].unit
    shown = f"{typed} {unit}"
    conversion = vocabulary[parameter].conversion(unit)
    if conversion is not None and (conversion.scale != 1 or conversion.zero != 0):
        shown += f" ({plain_number(canonical, 4)} {canonical_unit})"
    return (
        f"{parameter} {shown} is outside the plausible range "
        f"{plain_number(low)}–{plain_number(high)} "
        f"{canonical_unit} (a typing error?)"
    )


#: Doses of one cycle follow each other within this (a year typed wrong is far beyond);
#: the same bound separates cycles when a FHIR bundle's doses are numbered by time.
MAX_HOURS_BETWEEN_DOSES = 72
#: A given dose's administered time lies within this of its scheduled time.
MAX_HOURS_ADMINISTERED_OFF_SCHEDULE = 24


def _check_schedule(
    checker: _Checker,
    ids: pd.Series,
    cycle: pd.Series,
    number: pd.Series,
    scheduled: pd.Series,
    administered: pd.Series,
) -> None:
    """Refuse doses that contradict their own schedule, each naming what was expected.

    A dose renumbered 999 (or 15) would vanish from "the next dose"; swapped times, two
    doses at one time, a cycle-2 dose inside cycle 1, a year typed wrong or a dose given a
    year before its schedule would each change what is assessed when. docs/input-formats.md
    lists these rules. Only a patient whose doses all passed the row checks is checked, so
    that one refused row does not make its neighbours look wrong too.
    """
    rows = pd.DataFrame(
        {
            "patient": ids,
            "cycle": cycle,
            "number": number,
            "scheduled": scheduled,
            "administered": administered,
            "row": checker.raw["source_row"].to_numpy(),
            "position": np.arange(len(ids)),
        }
    )
    failed_patients = set(rows.loc[checker.failed, "patient"])
    rows = rows[~checker.failed & ~rows["patient"].isin(failed_patients)]
    if rows.empty:
        return
    rows = rows.sort_values(["patient", "cycle", "number"], kind="stable")
    local = rows["scheduled"].dt.strftime("%Y-%m-%d %H:%M UTC")
    same_cycle = (rows["patient"] == rows["patient"].shift()) & (
        rows["cycle"] == rows["cycle"].shift()
    )
    same_patient = rows["patient"] == rows["patient"].shift()
    expected = rows.groupby(["patient", "cycle"]).cumcount() + 1
    previous_time = rows["scheduled"].shift()
    previous_text = (
        " dose "
        + rows["number"].shift().fillna(0).astype(int).astype(str)
        + " of cycle "
        + rows["cycle"].shift().fillna(0).astype(int).astype(str)
        + " ("
        + local.shift().fillna("")
        + ", row "
        + rows["row"].shift().fillna(0).astype(int).astype(str)
        + ")"
    )
    reasons: dict[int, tuple[str, str]] = {}

    def refuse(mask: pd.Series, column: str, texts: pd.Series) -> None:
        for position, text in zip(rows.loc[mask, "position"], texts[mask], strict=True):
            reasons.setdefault(int(position), (column, text))

    refuse(
        rows["number"] != expected,
        "dose_number",
        "dose number " + rows["number"].astype(int).astype(str) + " is not the next of its "
        "cycle: cycle " + rows["cycle"].astype(int).astype(str) + "'s doses are numbered "
        "1, 2, 3… without gaps, and this one (scheduled "
        + local
        + ") would be dose "
        + expected.astype(str),
    )
    gap = rows["scheduled"] - previous_time
    refuse(
        same_cycle & (gap <= pd.Timedelta(0)),
        "scheduled_time",
        "scheduled " + local + " is not after" + previous_text + ": doses are numbered in "
        "the order they are scheduled",
    )
    refuse(
        same_cycle & (gap > pd.Timedelta(hours=MAX_HOURS_BETWEEN_DOSES)),
        "scheduled_time",
        "scheduled "
        + local
        + ", more than "
        + str(MAX_HOURS_BETWEEN_DOSES)
        + " h after"
        + previous_text
        + ": a typing error? (doses of one cycle follow each other within "
        + str(MAX_HOURS_BETWEEN_DOSES)
        + " h)",
    )
    refuse(
        same_patient & ~same_cycle & (gap <= pd.Timedelta(0)),
        "scheduled_time",
        "scheduled "
        + local
        + ", not after the last dose of the cycle before:"
        + previous_text
        + ": a dose of a later cycle inside an earlier one?",
    )
    off = (rows["administered"] - rows["scheduled"]).abs()
    refuse(
        off > pd.Timedelta(hours=MAX_HOURS_ADMINISTERED_OFF_SCHEDULE),
        "administered_time",
        "administered "
        + rows["administered"].dt.strftime("%Y-%m-%d %H:%M UTC").fillna("")
        + ", more than "
        + str(MAX_HOURS_ADMINISTERED_OFF_SCHEDULE)
        + " h from its "
        "scheduled time " + local + ": a typing error?",
    )
    for column in ("dose_number", "scheduled_time", "administered_time"):
        chosen = {position: text for position, (where, text) in reasons.items() if where == column}
        if chosen:
            mask = np.zeros(len(ids), dtype=bool)
            mask[list(chosen)] = True
            checker.flag(mask, column, lambda i, chosen=chosen: chosen[i])


def _half_last_digit(texts: pd.Series) -> pd.Series:
    """Half a unit of the last digit of typed numbers ("2.398" -> 0.0005; "212" -> 0.5)."""
    mantissa = texts.astype(str).str.strip().str.lower().str.split("e").str[0]
    decimals = mantissa.str.extract(r"\.(\d*)", expand=False).fillna("").str.len()
    return 0.5 * 10.0 ** -decimals.astype(float)


def _merge_duplicates(
    checker: _Checker,
    ids: pd.Series,
    times: pd.Series,
    parameter: pd.Series,
    values: pd.Series,
    code_keys: pd.Series,
    vocabulary: Vocabulary,
    precision: pd.Series | None = None,
) -> np.ndarray:
    """Merge identical rows (counted); refuse the same time and parameter with two values.

    Returns the mask of rows merged into an earlier identical one. Comparison is on
    canonical values, within the precision each was typed to (``precision``, canonical
    units): 212 umol/L and 2.398 mg/dL charted at the same time are one reading, 212 umol/L
    and 2.5 mg/dL are two. Multi-valued parameters (events) may have several codes at one
    time.
    """
    usable = ~checker.failed & times.notna().to_numpy()
    merged = np.zeros(len(checker.raw), dtype=bool)
    if not usable.any():
        return merged
    # Sort by (patient and parameter, time): rows charted at the same moment become
    # neighbours. Only those few rows are then compared reading by reading.
    rows = np.flatnonzero(usable)
    parameter_codes = as_categorical(parameter).cat.codes.to_numpy().astype(np.int64)
    slot = (
        as_categorical(ids).cat.codes.to_numpy().astype(np.int64)
        * (int(parameter_codes.max(initial=0)) + 2)
        + parameter_codes
    )[rows]
    time = as_ns(times)[rows]
    by_time = np.argsort(time, kind="stable")  # two stable integer sorts: far cheaper than
    order = by_time[np.argsort(slot[by_time], kind="stable")]  # a lexsort with float keys
    slot, time, rows = slot[order], time[order], rows[order]
    same_next = (slot[1:] == slot[:-1]) & (time[1:] == time[:-1])
    shared = np.r_[False, same_next] | np.r_[same_next, False]
    if not shared.any():
        return merged
    moments = pd.DataFrame(
        {
            "slot": slot[shared],
            "time": time[shared],
            "value": values.round(9).to_numpy()[rows[shared]],
            "code": code_keys.to_numpy()[rows[shared]],
        },
        index=rows[shared],
    ).sort_index()  # file order: the first row of a duplicate is the one kept
    identical = moments.duplicated(keep="first")
    if precision is not None:
        # Numeric readings of one moment that all agree within the coarser typed precision
        # are one reading written twice (two units): merged like identical rows.
        numeric = moments.assign(precision=precision.to_numpy()[moments.index])
        numeric = numeric[numeric["value"].notna()]
        spread = numeric.groupby(["slot", "time"])["value"].transform(lambda v: v.max() - v.min())
        allowed = numeric.groupby(["slot", "time"])["precision"].transform("max")
        same = (spread <= allowed + 1e-12) & numeric.duplicated(["slot", "time"], keep="first")
        identical |= pd.Series(
            moments.index.isin(numeric.index[same.to_numpy()]), index=moments.index
        )
    merged[moments.index[identical.to_numpy()]] = True

    multi = [p.name for p in vocabulary.parameters.values() if p.multi_valued]
    distinct = moments.loc[~identical.to_numpy()]
    distinct = distinct.loc[~parameter.iloc[distinct.index].isin(multi).to_numpy()]
    conflicting = distinct.duplicated(["slot", "time"], keep=False).to_numpy()
    if conflicting.any():
        # Neither reading can be trusted over the other: every row of the clash is refused,
        # each naming the others, so that a person decides which is right.
        clash = distinct.loc[conflicting]
        clash_rows = clash.index.to_numpy()
        clash_keys = list(zip(clash["slot"], clash["time"], strict=True))
        source_rows = checker.raw["source_row"].to_numpy()
        rows_of: dict[tuple, list[int]] = {}
        key_of: dict[int, tuple] = {}
        for position, key in zip(clash_rows, clash_keys, strict=True):
            rows_of.setdefault(key, []).append(int(source_rows[position]))
            key_of[int(position)] = key
        values_of, units_of = checker.text("value"), checker.text("unit")

        def reason(i: int) -> str:
            others = sorted(r for r in rows_of[key_of[i]] if r != source_rows[i])
            reading = f"{parameter.iat[i]} {values_of.iat[i]} {units_of.iat[i]}".rstrip()
            plural = "s" if len(others) > 1 else ""
            return (
                f"{reading} conflicts with a different value at the same time in "
                f"row{plural} {', '.join(map(str, others))}"
            )

        mask = np.zeros(len(checker.raw), dtype=bool)
        mask[clash_rows] = True
        checker.flag(mask, "value", reason)
    return merged


def _empty_patients() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in [*PATIENT_INPUT_COLUMNS, "source", "source_row"]}
    )


def _empty_doses() -> pd.DataFrame:
    frame = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in [*DOSE_INPUT_COLUMNS, "source", "source_row"]}
    )
    for column in ("scheduled_time", "administered_time"):
        frame[column] = pd.Series(dtype="datetime64[ns, UTC]")
    return frame


def _empty_observations() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in OBSERVATION_COLUMNS})
    frame["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["value"] = pd.Series(dtype=float)
    return frame
