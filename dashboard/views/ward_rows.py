"""The ward overview: one row per patient, most severe first (the attending on rounds).

Every cell is text that says what it is, including when there is nothing: a missing
creatinine reads "no value", never a blank that looks like "normal".
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import numpy as np
import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.assessment.stricter import StricterNote
from dashboard.assessment.support import kdigo_stage, support_in_progress
from dashboard.assessment.validity import Validity, ward_validity
from dashboard.exports import spreadsheet_safe
from dashboard.protocols import Protocol
from dashboard.protocols.rules import percent_over_baseline
from dashboard.quantities import format_number, format_quantity, plain_number
from dashboard.schedule import decided_at
from dashboard.tables import WardData
from dashboard.views.clock import format_age, format_clock, format_until
from dashboard.views.dose_card import refused_text, stricter_text, validity_text
from dashboard.views.findings import (
    DECIDING,
    criterion_titles,
    parameter_words,
    top_reasons,
    watch_words,
)
from dashboard.views.statuses import display_status, status_look, ward_rank
from dashboard.views.support import support_line, support_short

#: Parameters summarised on the ward list (design.md: the key trends on rounds).
SUMMARY_PARAMETERS = ("sbp", "creatinine", "weight", "mental_status")

#: What a rounding attending reads at 1366 px without scrolling sideways (criteria.md 9):
#: the verdict and why, who and when, and the support in progress.
WARD_COLUMNS = [
    "Status",
    "Bed",
    "Patient",
    "Dose",
    "Next dose due",
    "Reasons",
    "Support",
]
#: Under the status of a new HOLD, CYCLE STOPPED or DISCONTINUED no physician has seen.
NOT_ACKNOWLEDGED = "⚑ not acknowledged"
#: Widths in px of the rounds columns: with the row selector they fit the 905 px a
#: 1366 px screen leaves beside the sidebar, and WRAPPED_ROW_PX rows wrap their text.
COLUMN_PX = {
    "Status": 122,
    "Bed": 57,
    "Patient": 118,
    "Dose": 62,
    "Next dose due": 125,
    "Reasons": 185,
    "Support": 210,
}
#: Taller than 4 rem: Streamlit then wraps a cell's text (here five lines), so the reason,
#: the support line and the due time with its recheck read whole instead of being cut off.
WRAPPED_ROW_PX = 104
#: The rest, on a wider screen or on request.
MORE_COLUMNS = [
    "Deciding values",
    "Valid until",
    "Stricter elsewhere",
    "Support in full",
    "SBP",
    "Urine",
    "Creatinine",
    "Weight gain",
    "Mental status",
    "Given / held (cycle)",
    "Protocol",
    "Indication",
]


def latest_values(
    observations: pd.DataFrame, at: pd.Timestamp, parameters: tuple[str, ...] = SUMMARY_PARAMETERS
) -> pd.DataFrame:
    """The last two observations of each (patient, parameter) at or before ``at``:
    columns patient_id, parameter, value, code, time, and prev_value, prev_time."""
    known = observations[
        (observations["time"] <= at) & observations["parameter"].isin(list(parameters))
    ]
    known = known.sort_values(["patient_id", "parameter", "time"], kind="stable")
    last_two = known.groupby(["patient_id", "parameter"], sort=False).tail(2)
    previous = last_two.groupby(["patient_id", "parameter"], sort=False).head(1)
    latest = last_two.groupby(["patient_id", "parameter"], sort=False).tail(1)
    counts = last_two.groupby(["patient_id", "parameter"], sort=False).size()
    previous = previous[previous.set_index(["patient_id", "parameter"]).index.map(counts) > 1]
    merged = latest[["patient_id", "parameter", "value", "code", "time"]].merge(
        previous[["patient_id", "parameter", "value", "time"]].rename(
            columns={"value": "prev_value", "time": "prev_time"}
        ),
        on=["patient_id", "parameter"],
        how="left",
    )
    return merged


def urine_in_window(
    observations: pd.DataFrame, at: pd.Timestamp, hours_by_patient: Mapping[str, float]
) -> pd.DataFrame:
    """Urine output summed over (at - W, at] per patient, W the protocol's dosing interval;
    ``partial`` when the patient's urine records start inside the window."""
    urine = observations[
        (observations["parameter"] == "urine_output") & (observations["time"] <= at)
    ]
    hours = urine["patient_id"].map(hours_by_patient).astype(float)
    start = at - pd.to_timedelta(hours, unit="h")
    inside = urine[urine["time"] > start]
    sums = inside.groupby("patient_id")["value"].sum()
    first = urine.groupby("patient_id")["time"].min()
    frame = pd.DataFrame({"total": sums, "first": first})
    frame["hours"] = frame.index.map(hours_by_patient).astype(float)
    frame["partial"] = frame["first"] > at - pd.to_timedelta(frame["hours"], unit="h")
    return frame


def _patient_info(ward: WardData) -> pd.DataFrame:
    patients = ward.patients.drop_duplicates("patient_id").copy()
    patients["patient_id"] = patients["patient_id"].astype(str)
    return patients.set_index("patient_id")


def _text(value, empty: str = "—") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return empty
    return str(value)


def ward_rows(
    ward: WardData,
    assessments: list[DoseAssessment],
    protocols: Mapping[str, Protocol],
    at: pd.Timestamp,
    timezone: str,
    stricter: Mapping[str, list[StricterNote]] | None = None,
    unacknowledged: Set[str] = frozenset(),
) -> pd.DataFrame:
    """The ward list, most severe first, then by next dose time.

    ``unacknowledged``: patients whose HOLD, CYCLE STOPPED or DISCONTINUED no physician
    has acknowledged yet; their Status says so (a second line: the row height stays).

    Columns: :data:`WARD_COLUMNS` and :data:`MORE_COLUMNS` (text for the screen) plus
    ``patient_id``, ``status`` (the engine's) and ``shown`` (the status as shown: a
    standing outcome, or clear with watch), keys for selection and colour.
    """
    at = pd.Timestamp(at)
    stricter = stricter or {}
    by_patient = {str(a.patient_id): protocols.get(a.protocol_id) for a in assessments}
    support = support_in_progress(
        ward,
        at,
        {pid: p for pid, p in by_patient.items() if p is not None},
        {str(a.patient_id): a.findings for a in assessments},
    )
    validity = ward_validity(assessments, protocols, ward.observations, at)
    refused = ward.refused_by_patient()
    info = _patient_info(ward)
    latest = latest_values(ward.observations, at).set_index(["patient_id", "parameter"])
    hours = {
        a.patient_id: protocols[a.protocol_id].dosing.interval_hours
        for a in assessments
        if a.protocol_id in protocols
    }
    urine = urine_in_window(ward.observations, at, hours)
    doses = ward.doses.copy()
    doses["decided"] = decided_at(doses, at)

    rows = []
    for assessment in assessments:
        pid = str(assessment.patient_id)
        patient = info.loc[pid] if pid in info.index else pd.Series(dtype=object)
        protocol = protocols.get(assessment.protocol_id)
        outcomes = [f.outcome for f in assessment.findings]
        shown = display_status(assessment.status, outcomes)
        look = status_look(shown)
        titles = criterion_titles(protocol)
        rows.append(
            {
                "patient_id": pid,
                "status": assessment.status,
                "shown": shown,
                "_rank": ward_rank(assessment.status, outcomes),
                "_due": assessment.scheduled_time
                if assessment.scheduled_time is not None
                else pd.Timestamp.max.tz_localize("UTC"),
                "Status": look.label() + (f"\n{NOT_ACKNOWLEDGED}" if pid in unacknowledged else ""),
                # From the input: the table's own CSV download must not hand a spreadsheet
                # a formula (=HYPERLINK...), so such a cell starts with an apostrophe.
                "Bed": spreadsheet_safe(_text(patient.get("bed"))),
                "Patient": spreadsheet_safe(f"{_text(patient.get('name'), pid)} ({pid})"),
                "Indication": _text(patient.get("indication")),
                "Protocol": assessment.protocol_id,
                "Dose": _dose_text(assessment, protocol),
                # The due time with what the verdict rests on (9.4): a recheck when one is
                # needed, else the age of the oldest deciding value.
                "Next dose due": _due_with_validity(
                    _due_text(assessment, at, timezone),
                    _valid_text(validity.get(pid), assessment, at, timezone),
                    validity.get(pid),
                    at,
                ),
                "Reasons": _reason_text(assessment, titles, protocol, refused.get(pid, 0)),
                "Support": support_short(support.get(pid)),
                "Support in full": support_line(support.get(pid)),
                "Deciding values": _deciding_text(validity.get(pid), at),
                "Valid until": _valid_text(validity.get(pid), assessment, at, timezone),
                "Stricter elsewhere": stricter_text(stricter.get(pid), timezone, at) or "—",
                "Given / held (cycle)": _given_held(doses, pid, assessment),
                "SBP": _latest_text(latest, pid, "sbp", at),
                "Urine": _urine_text(urine, pid),
                "Creatinine": _creatinine_text(latest, pid, at),
                "Weight gain": _weight_text(latest, pid, patient, at),
                "Mental status": _latest_text(latest, pid, "mental_status", at),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["patient_id", "status", "shown", "_rank", "_due", *WARD_COLUMNS, *MORE_COLUMNS],
    )
    frame = frame.sort_values(["_rank", "_due", "Bed"], kind="stable")
    return frame.drop(columns=["_rank", "_due"]).reset_index(drop=True)


def _reason_text(
    assessment: DoseAssessment, titles: Mapping[str, str], protocol: Protocol | None, refused: int
) -> str:
    """The top reason in words, the early warnings, and the rows refused (loud)."""
    parts = []
    if refused:
        parts.append(f"⚠ {refused_text(refused)}")
    deciding = [f for f in assessment.findings if f.outcome in (*DECIDING, "incomplete")]
    if deciding:
        parts.append(top_reasons(assessment.findings, limit=1, titles=titles))
    watch = watch_words(
        assessment.findings, kdigo_stage(assessment.findings, protocol), compact=True
    )
    if watch:
        parts.append(f"watch: {watch}")
    if not parts:
        parts.append(
            top_reasons(assessment.findings, limit=1, titles=titles)
            if assessment.findings
            else "none"
        )
    return " · ".join(parts)


def _due_with_validity(due: str, valid: str, validity: Validity | None, at: pd.Timestamp) -> str:
    """ "15:00 · in 1 h 43 min · data ≤ 9 h old (creatinine)", or the recheck to make."""
    if valid.startswith(("recheck", "record")):
        return f"{due} · ⚠ {valid}"
    if validity is None or validity.deciding_parameter is None or validity.deciding_time is None:
        return due
    hours = (at - validity.deciding_time) / pd.Timedelta(hours=1)
    age = f"{hours:.0f} h" if hours >= 1 else f"{hours * 60:.0f} min"
    return f"{due} · data ≤ {age} old ({parameter_words(validity.deciding_parameter)})"


def _deciding_text(validity: Validity | None, at: pd.Timestamp) -> str:
    """The age of the deciding values: the oldest latest value the protocol requires."""
    if validity is None:
        return "—"
    if validity.never_recorded:
        return f"no {parameter_words(validity.never_recorded[0])}"
    if validity.deciding_parameter is None:
        return "none required"
    return (
        f"{format_age(validity.deciding_time, at)} ({parameter_words(validity.deciding_parameter)})"
    )


def _valid_text(
    validity: Validity | None, assessment: DoseAssessment, at: pd.Timestamp, timezone: str
) -> str:
    """The card's recheck in a few words (the same sentence: "recheck mental status now
    (too old since 09:35)", never a time already past as a deadline)."""
    if validity is None or validity.until is None:
        return "—"
    _, recheck = validity_text(validity, assessment.status, assessment, at, timezone)
    return recheck or f"until the dose at {format_clock(validity.until, timezone, reference=at)}"


def _dose_text(assessment: DoseAssessment, protocol: Protocol | None) -> str:
    if assessment.dose_number is None:
        return "none due"
    limit = f"/{protocol.dosing.doses_per_cycle}" if protocol is not None else ""
    return f"C{assessment.cycle} D{assessment.dose_number}{limit}"


def _due_text(assessment: DoseAssessment, at: pd.Timestamp, timezone: str) -> str:
    if assessment.scheduled_time is None:
        return "no dose due"
    clock = format_clock(assessment.scheduled_time, timezone, reference=at)
    return f"{clock} · {format_until(assessment.scheduled_time, at)}"


def _given_held(doses: pd.DataFrame, pid: str, assessment: DoseAssessment) -> str:
    mine = doses[(doses["patient_id"].astype(str) == pid) & doses["decided"]]
    if assessment.cycle is not None:
        mine = mine[mine["cycle"] == assessment.cycle]
    elif len(mine):
        mine = mine[mine["cycle"] == mine["cycle"].max()]
    given = int(mine["status"].eq("given").sum())
    held = int(mine["status"].eq("held").sum())
    return f"{given} given · {held} held"


def _row(latest: pd.DataFrame, pid: str, parameter: str):
    key = (pid, parameter)
    return latest.loc[key] if key in latest.index else None


def _latest_text(latest: pd.DataFrame, pid: str, parameter: str, at: pd.Timestamp) -> str:
    row = _row(latest, pid, parameter)
    if row is None:
        return "no value"
    value = format_quantity(
        parameter, row["code"] if isinstance(row["code"], str) else row["value"]
    )
    return f"{value} ({format_age(row['time'], at)})"


def _creatinine_text(latest: pd.DataFrame, pid: str, at: pd.Timestamp) -> str:
    row = _row(latest, pid, "creatinine")
    if row is None:
        return "no value"
    arrow = "(first)"
    if not pd.isna(row["prev_value"]):
        arrow = (
            "↑"
            if row["value"] > row["prev_value"]
            else ("↓" if row["value"] < row["prev_value"] else "→")
        )
        arrow += f" from {format_number('creatinine', row['prev_value'])}"
    return f"{format_quantity('creatinine', row['value'])} {arrow} ({format_age(row['time'], at)})"


def _weight_text(latest: pd.DataFrame, pid: str, patient: pd.Series, at: pd.Timestamp) -> str:
    row = _row(latest, pid, "weight")
    baseline = pd.to_numeric(patient.get("baseline_weight_kg"), errors="coerce")
    if row is None:
        return "no weight"
    if pd.isna(baseline) or baseline <= 0:
        return f"{format_quantity('weight', row['value'])}, no baseline"
    gain = percent_over_baseline(row["value"], baseline)
    sign = "+" if gain > 0 else ""
    return f"{sign}{format_quantity('weight', gain, '%')} ({format_age(row['time'], at)})"


def _urine_text(urine: pd.DataFrame, pid: str) -> str:
    if pid not in urine.index or pd.isna(urine.loc[pid, "hours"]):
        return "none charted"
    row = urine.loc[pid]
    hours = float(row["hours"])
    total = 0.0 if pd.isna(row["total"]) else float(row["total"])
    text = (
        f"{format_quantity('urine_output', total)} / {plain_number(hours)} h "
        f"({format_quantity('urine_output', total / hours, 'mL/h')})"
    )
    return f"{text}, records start inside the window" if row["partial"] else text
