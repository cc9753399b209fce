"""The series a patient's trend plots draw, in ward-local naive time.

Prepared here (pure pandas) so that the figure builder only draws. Observations after the
"as of" moment are left out: a review of the past shows what was known then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.assessment.baselines import baseline_creatinine
from dashboard.protocols import Protocol
from dashboard.protocols.rules import percent_over_baseline
from dashboard.quantities import display_unit, plain_number
from dashboard.tables import WardData
from dashboard.views.clock import local_naive, local_naive_one
from dashboard.views.thresholds import (
    URINE_RATE,
    WEIGHT_GAIN,
    Threshold,
    freshness_hours,
    protocol_thresholds,
)
from dashboard.vocabulary import load_vocabulary

VASOPRESSORS = ("phenylephrine", "dopamine", "norepinephrine")
#: Numeric parameters drawn as they were charted (vital signs, oxygen, labs).
PLAIN_SERIES = (
    "sbp",
    "map",
    "heart_rate",
    "resp_rate",
    "temperature",
    "spo2",
    "o2_flow",
    "creatinine",
    "potassium",
    "bicarbonate",
    "bilirubin",
    "platelets",
)
#: Raw parameters whose charted series has another name.
SERIES_OF_PARAMETER = {"urine_output": URINE_RATE, "weight": WEIGHT_GAIN}
GAP_FACTOR = 1.5
UNREQUIRED_GAP_HOURS = 24.0


@dataclass
class Series:
    key: str
    label: str
    unit: str
    x: np.ndarray  # datetime64[ns], ward-local naive
    y: np.ndarray  # float (ordinal position for categorical series)
    gap_hours: float | None  # break the line where readings are further apart than this
    step: bool = False  # a rate in force until the next entry (infusions)
    codes: tuple[str, ...] = ()  # categorical series: y = index of the code
    note: str | None = None


@dataclass
class DoseMark:
    x: pd.Timestamp  # ward-local naive
    cycle: int
    number: int
    status: str  # given, held, skipped, scheduled
    reason: str = ""


@dataclass
class TrendData:
    patient_id: str
    timezone: str
    protocol_id: str
    series: dict[str, Series]
    doses: list[DoseMark]
    thresholds: list[Threshold]
    now: pd.Timestamp  # ward-local naive
    window: tuple[pd.Timestamp, pd.Timestamp]  # initial x range: the current cycle
    notes: list[str] = field(default_factory=list)
    #: Series the protocol decides with (required or thresholded): always given a panel,
    #: even without readings ("no readings charted": missing is never normal).
    protocol_series: frozenset[str] = frozenset()


def _baseline_creatinine(patient: pd.Series, creatinine: pd.DataFrame) -> float | None:
    recorded = pd.to_numeric(patient.get("baseline_creatinine_mg_dl"), errors="coerce")
    first = float(creatinine["value"].iloc[0]) if len(creatinine) else np.nan
    return baseline_creatinine(np.nan if pd.isna(recorded) else float(recorded), first)


def patient_trends(
    ward: WardData, patient_id: str, protocol: Protocol, at: pd.Timestamp, timezone: str
) -> TrendData:
    at = pd.Timestamp(at)
    pid = str(patient_id)
    patients = ward.patients[ward.patients["patient_id"].astype(str) == pid]
    patient = patients.iloc[0] if len(patients) else pd.Series(dtype=object)
    obs = ward.observations[
        (ward.observations["patient_id"].astype(str) == pid) & (ward.observations["time"] <= at)
    ]
    obs = obs.sort_values("time", kind="stable")
    vocabulary = load_vocabulary()
    fresh = freshness_hours(protocol)
    default_gap = protocol.dosing.interval_hours

    def gap(parameter: str) -> float:
        # A line is broken where readings are further apart than 1.5x the protocol's
        # freshness (a day for parameters it does not require): a daily lab drawn 20 min
        # late is not a gap worth breaking the line for; a missed night of vitals is.
        return GAP_FACTOR * fresh.get(parameter, UNREQUIRED_GAP_HOURS)

    series: dict[str, Series] = {}
    by_parameter = {name: frame for name, frame in obs.groupby("parameter", sort=False)}
    empty = obs.iloc[0:0]
    for name in PLAIN_SERIES:
        frame = by_parameter.get(name, empty)
        series[name] = Series(
            name,
            vocabulary[name].label,
            vocabulary[name].unit,
            local_naive(frame["time"], timezone).to_numpy(),
            frame["value"].to_numpy(dtype=float),
            gap(name),
        )

    notes = []
    urine = by_parameter.get("urine_output", empty)
    times = urine["time"]
    hours = times.diff().dt.total_seconds() / 3600
    rate = urine["value"] / hours
    # An entry more than a day after the previous one closes no collection period that can
    # be charted: the patient was at home between cycles, or charting stopped. Its volume
    # over "weeks" would draw as a rate near 0 mL/h, so it is not drawn as a rate, and the
    # line breaks there.
    keep = (hours > 0) & (hours <= UNREQUIRED_GAP_HOURS)
    if len(urine):
        notes.append(
            "Urine output is drawn as mL/h over each collection period (volume / time "
            "since the previous entry); the first entry, and an entry more than "
            f"{plain_number(UNREQUIRED_GAP_HOURS)} h after the previous one, have no known period "
            "and are not drawn as a rate."
        )
    series[URINE_RATE] = Series(
        URINE_RATE,
        "Urine output",
        "mL/h",
        local_naive(times[keep], timezone).to_numpy(),
        rate[keep].to_numpy(dtype=float),
        UNREQUIRED_GAP_HOURS,
        step=True,
        note="a rate over each collection period",
    )

    weight = by_parameter.get("weight", empty)
    baseline_weight = pd.to_numeric(patient.get("baseline_weight_kg"), errors="coerce")
    gain = (
        percent_over_baseline(weight["value"], baseline_weight)
        if not pd.isna(baseline_weight) and baseline_weight > 0
        else weight["value"] * np.nan
    )
    series[WEIGHT_GAIN] = Series(
        WEIGHT_GAIN,
        "Weight over baseline",
        "%",
        local_naive(weight["time"], timezone).to_numpy(),
        gain.to_numpy(dtype=float),
        gap("weight"),
    )

    for name in VASOPRESSORS:
        frame = by_parameter.get(name, empty)
        series[name] = Series(
            name,
            vocabulary[name].label,
            vocabulary[name].unit,
            local_naive(frame["time"], timezone).to_numpy(),
            frame["value"].to_numpy(dtype=float),
            None,
            step=True,
        )

    mental = by_parameter.get("mental_status", empty)
    codes = vocabulary["mental_status"].codes
    position = mental["code"].map({code: i for i, code in enumerate(codes)})
    series["mental_status"] = Series(
        "mental_status",
        vocabulary["mental_status"].label,
        "",
        local_naive(mental["time"], timezone).to_numpy(),
        position.to_numpy(dtype=float),
        gap("mental_status"),
        codes=codes,
    )

    creatinine = by_parameter.get("creatinine", empty)
    thresholds = protocol_thresholds(
        protocol, patient.to_dict(), _baseline_creatinine(patient, creatinine)
    )

    doses = ward.doses[ward.doses["patient_id"].astype(str) == pid].sort_values(
        ["cycle", "dose_number"]
    )
    marks = []
    for row in doses.itertuples(index=False):
        status = row.status
        when = (
            row.administered_time
            if status == "given" and not pd.isna(row.administered_time)
            else row.scheduled_time
        )
        if status == "given" and when > at:
            status = "scheduled"  # given after the "as of" moment: not known then
        marks.append(
            DoseMark(
                local_naive_one(when, timezone),
                int(row.cycle),
                int(row.dose_number),
                status,
                row.reason if isinstance(row.reason, str) else "",
            )
        )
    now = local_naive_one(at, timezone)
    return TrendData(
        pid,
        timezone,
        protocol.id,
        series,
        marks,
        thresholds,
        now,
        _window(marks, now, default_gap),
        notes,
        frozenset(
            {SERIES_OF_PARAMETER.get(name, name) for name in fresh} | {t.series for t in thresholds}
        ),
    )


def trend_table(data: TrendData) -> pd.DataFrame:
    """The plotted readings as a table (the accessible view of the same data): one row
    per reading, newest first, with what it meets in the protocol."""
    rows = []
    for series in data.series.values():
        thresholds = [t for t in data.thresholds if t.series == series.key]
        for x, y in zip(series.x, series.y, strict=True):
            if series.codes:
                shown = series.codes[int(y)] if np.isfinite(y) else "?"
            else:
                shown = plain_number(y) if np.isfinite(y) else "?"
            met = [f"{t.criterion} ({t.outcome})" for t in thresholds if t.meets([y])[0]]
            rows.append(
                {
                    "Time": pd.Timestamp(x),
                    "Parameter": series.label,
                    "Value": shown,
                    "Unit": display_unit(series.unit) if series.unit else "",
                    "Meets": ", ".join(met),
                }
            )
    table = pd.DataFrame(rows, columns=["Time", "Parameter", "Value", "Unit", "Meets"])
    return table.sort_values(["Time", "Parameter"], ascending=[False, True], kind="stable")


def _window(
    marks: list[DoseMark], now: pd.Timestamp, interval_hours: float
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The current cycle: from one interval before its first dose to one interval after
    the later of now and its next undecided dose."""
    pad = pd.Timedelta(hours=interval_hours)
    if not marks:
        return now - 4 * pad, now + pad
    past = [m for m in marks if m.x <= now]
    cycle = (past[-1] if past else marks[0]).cycle
    mine = [m for m in marks if m.cycle == cycle]
    start = min(m.x for m in mine) - pad
    upcoming = [m.x for m in mine if m.x > now]
    end = max(now, min(upcoming) if upcoming else now) + pad
    return start, end


def finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[~np.isnan(values)]


def is_finite(value: float) -> bool:
    return math.isfinite(value)
