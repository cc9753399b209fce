"""The ward overview: one row per patient, most severe first (the attending on rounds).

Every cell is text that says what it is, including when there is nothing: a missing
creatinine reads "no value", never a blank that looks like "normal".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.protocols import Protocol
from dashboard.protocols.rules import percent_over_baseline
from dashboard.schedule import decided_at
from dashboard.tables import WardData
from dashboard.views.clock import format_age, format_clock, format_until
from dashboard.views.findings import format_number, top_reasons
from dashboard.views.statuses import status_look, ward_rank

#: Parameters summarised on the ward list (design.md: the key trends on rounds).
SUMMARY_PARAMETERS = ("sbp", "creatinine", "weight", "mental_status")

#: Rounds order: the verdict and why first; who and when; then the key trends.
WARD_COLUMNS = [
    "Status", "Bed", "Patient", "Dose", "Next dose due", "Reasons", "SBP", "Urine",
    "Creatinine", "Weight gain", "Mental status", "Given / held (cycle)", "Data age",
    "Protocol", "Indication",
]


def latest_values(observations: pd.DataFrame, at: pd.Timestamp,
                  parameters: tuple[str, ...] = SUMMARY_PARAMETERS) -> pd.DataFrame:
    """The last two observations of each (patient, parameter) at or before ``at``:
    columns patient_id, parameter, value, code, time, and prev_value, prev_time."""
    known = observations[(observations["time"] <= at)
                         & observations["parameter"].isin(list(parameters))]
    known = known.sort_values(["patient_id", "parameter", "time"], kind="stable")
    last_two = known.groupby(["patient_id", "parameter"], sort=False).tail(2)
    previous = last_two.groupby(["patient_id", "parameter"], sort=False).head(1)
    latest = last_two.groupby(["patient_id", "parameter"], sort=False).tail(1)
    counts = last_two.groupby(["patient_id", "parameter"], sort=False).size()
    previous = previous[previous.set_index(["patient_id", "parameter"]).index.map(counts) > 1]
    merged = latest[["patient_id", "parameter", "value", "code", "time"]].merge(
        previous[["patient_id", "parameter", "value", "time"]].rename(
            columns={"value": "prev_value", "time": "prev_time"}),
        on=["patient_id", "parameter"], how="left")
    return merged


def urine_in_window(observations: pd.DataFrame, at: pd.Timestamp,
                    hours_by_patient: Mapping[str, float]) -> pd.DataFrame:
    """Urine output summed over (at - W, at] per patient, W the protocol's dosing interval;
    ``partial`` when the patient's urine records start inside the window."""
    urine = observations[(observations["parameter"] == "urine_output")
                         & (observations["time"] <= at)]
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


def ward_rows(ward: WardData, assessments: list[DoseAssessment],
              protocols: Mapping[str, Protocol], at: pd.Timestamp, timezone: str
              ) -> pd.DataFrame:
    """The ward list, most severe first, then by next dose time.

    Columns: :data:`WARD_COLUMNS` (text for the screen) plus ``patient_id`` and ``status``
    (keys for selection and colour).
    """
    at = pd.Timestamp(at)
    info = _patient_info(ward)
    latest = latest_values(ward.observations, at).set_index(["patient_id", "parameter"])
    hours = {a.patient_id: protocols[a.protocol_id].dosing.interval_hours for a in assessments
             if a.protocol_id in protocols}
    urine = urine_in_window(ward.observations, at, hours)
    last_seen = ward.observations[ward.observations["time"] <= at].groupby(
        "patient_id")["time"].max()
    doses = ward.doses.copy()
    doses["decided"] = decided_at(doses, at)

    rows = []
    for assessment in assessments:
        pid = str(assessment.patient_id)
        patient = info.loc[pid] if pid in info.index else pd.Series(dtype=object)
        protocol = protocols.get(assessment.protocol_id)
        look = status_look(assessment.status)
        rows.append({
            "patient_id": pid,
            "status": assessment.status,
            "_rank": ward_rank(assessment.status, [f.outcome for f in assessment.findings]),
            "_due": assessment.scheduled_time if assessment.scheduled_time is not None
            else pd.Timestamp.max.tz_localize("UTC"),
            "Status": look.label(),
            "Bed": _text(patient.get("bed")),
            "Patient": f"{_text(patient.get('name'), pid)} ({pid})",
            "Indication": _text(patient.get("indication")),
            "Protocol": assessment.protocol_id,
            "Dose": _dose_text(assessment, protocol),
            "Next dose due": _due_text(assessment, at, timezone),
            "Reasons": top_reasons(assessment.findings)
            if assessment.status != "clear" or assessment.findings else "none",
            "Given / held (cycle)": _given_held(doses, pid, assessment),
            "SBP": _latest_text(latest, pid, "sbp", at),
            "Urine": _urine_text(urine, pid),
            "Creatinine": _creatinine_text(latest, pid, at),
            "Weight gain": _weight_text(latest, pid, patient, at),
            "Mental status": _latest_text(latest, pid, "mental_status", at),
            "Data age": format_age(last_seen.get(pid), at),
        })
    frame = pd.DataFrame(rows, columns=["patient_id", "status", "_rank", "_due", *WARD_COLUMNS])
    frame = frame.sort_values(["_rank", "_due", "Bed"], kind="stable")
    return frame.drop(columns=["_rank", "_due"]).reset_index(drop=True)


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
    value = row["code"] if isinstance(row["code"], str) else format_number(row["value"])
    return f"{value} ({format_age(row['time'], at)})"


def _creatinine_text(latest: pd.DataFrame, pid: str, at: pd.Timestamp) -> str:
    row = _row(latest, pid, "creatinine")
    if row is None:
        return "no value"
    arrow = "(first)"
    if not pd.isna(row["prev_value"]):
        arrow = "↑" if row["value"] > row["prev_value"] else (
            "↓" if row["value"] < row["prev_value"] else "→")
        arrow += f" from {format_number(row['prev_value'])}"
    return f"{format_number(row['value'])} {arrow} ({format_age(row['time'], at)})"


def _weight_text(latest: pd.DataFrame, pid: str, patient: pd.Series, at: pd.Timestamp) -> str:
    row = _row(latest, pid, "weight")
    baseline = pd.to_numeric(patient.get("baseline_weight_kg"), errors="coerce")
    if row is None:
        return "no weight"
    if pd.isna(baseline) or baseline <= 0:
        return f"{format_number(row['value'])} kg, no baseline"
    gain = percent_over_baseline(row["value"], baseline)
    return f"{gain:+.1f} % ({format_age(row['time'], at)})"


def _urine_text(urine: pd.DataFrame, pid: str) -> str:
    if pid not in urine.index or pd.isna(urine.loc[pid, "hours"]):
        return "none charted"
    row = urine.loc[pid]
    hours = float(row["hours"])
    total = 0.0 if pd.isna(row["total"]) else float(row["total"])
    text = f"{total:.0f} mL / {hours:g} h ({total / hours:.0f} mL/h)"
    return f"{text}, records start inside the window" if row["partial"] else text
