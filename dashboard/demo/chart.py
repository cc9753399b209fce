"""What is charted during one admission: vital signs, bedside signs, labs, urine and
events, as columns of the observations file."""

from __future__ import annotations

import numpy as np

from dashboard.demo.physiology import _PARAMETER_INDEX, ADMISSION, AFTER_DOSE, PRE_DOSE, _Admission
from dashboard.demo.team import _DoseRecord

# --- one admission: what is charted ---------------------------------------------------------


class _Chart:
    """Observations of a ward, accumulated as columns (no per-row Python objects)."""

    def __init__(self):
        self.patient: list[np.ndarray] = []
        self.time: list[np.ndarray] = []
        self.parameter: list[np.ndarray] = []
        self.value: list[np.ndarray] = []
        self.code: list[np.ndarray] = []

    def add(self, patient: int, times: np.ndarray, parameter: str, values: np.ndarray) -> None:
        times = np.asarray(times, dtype=np.int64)
        if times.size == 0:
            return
        values = np.asarray(values)
        numeric = values.dtype.kind in "fiu"
        self.patient.append(np.full(times.size, patient, dtype=np.int32))
        self.time.append(times)
        self.parameter.append(np.full(times.size, _PARAMETER_INDEX[parameter], dtype=np.int16))
        self.value.append(values.astype(float) if numeric else np.full(times.size, np.nan))
        self.code.append(
            np.full(times.size, "", dtype=object) if numeric else values.astype(object)
        )

    def columns(self) -> dict[str, np.ndarray]:
        if not self.time:
            return {
                "patient": np.array([], dtype=np.int32),
                "time": np.array([], np.int64),
                "parameter": np.array([], np.int16),
                "value": np.array([]),
                "code": np.array([], dtype=object),
            }
        return {
            "patient": np.concatenate(self.patient),
            "time": np.concatenate(self.time),
            "parameter": np.concatenate(self.parameter),
            "value": np.concatenate(self.value),
            "code": np.concatenate(self.code),
        }


VITAL_SIGNS = ("sbp", "dbp", "map", "heart_rate", "resp_rate", "temperature", "spo2")
LABS = ("creatinine", "potassium", "bicarbonate", "bilirubin", "platelets")


def _chart_admission(
    chart: _Chart,
    patient: int,
    admission: _Admission,
    given: np.ndarray,
    records: list[_DoseRecord],
    anchor: int,
    rng: np.random.Generator,
) -> None:
    """Everything charted from admission to discharge (or to "now", if still in)."""
    plan, grid = admission.plan, admission.grid
    end = _charting_end(admission, records, anchor, rng)

    rows = np.flatnonzero(grid.vitals_time <= end)
    times = grid.vitals_time[rows]
    vitals = admission.vital_signs(rows, given)
    for name in VITAL_SIGNS:
        chart.add(patient, times, name, vitals[name])
    _chart_running(chart, patient, times, "phenylephrine", vitals["phenylephrine"])
    oxygen = vitals["o2_flow"]
    _chart_running(chart, patient, times, "o2_flow", oxygen)
    _chart_running(
        chart,
        patient,
        times,
        "o2_device",
        oxygen,
        codes=np.where(oxygen > 0, "nasal_cannula", "room_air"),
    )

    kinds = grid.vitals_kind[rows]
    neuro = kinds != AFTER_DOSE  # the neuro check: admission, pre-dose, neuro rounds
    if plan.neuro_check_missed_after is not None:
        neuro &= times <= plan.neuro_check_missed_after
    chart.add(patient, times[neuro], "mental_status", vitals["mental_status"][neuro])
    telemetry = (kinds == ADMISSION) | (kinds == PRE_DOSE)
    chart.add(patient, times[telemetry], "rhythm", vitals["rhythm"][telemetry])

    # A fluid bolus after every low reading (the capillary leak "needing fluids").
    low = vitals["sbp"] < (plan.target_sbp or 90)
    bolus = times[low] + rng.integers(5, 21, int(low.sum()))
    bolus = bolus[bolus <= end]
    chart.add(patient, bolus, "event", np.full(bolus.size, "fluid_bolus"))

    lab_rows = np.flatnonzero(grid.lab_time <= end)
    labs = admission.laboratory(lab_rows, given)
    for name in LABS:
        chart.add(patient, grid.lab_time[lab_rows], name, labs[name])
    weight_rows = np.flatnonzero(grid.weight_time <= end)
    chart.add(
        patient, grid.weight_time[weight_rows], "weight", admission.weight(weight_rows, given)
    )
    _chart_urine(chart, patient, admission, given, end)
    _chart_discontinuation(chart, patient, admission, end)


def _charting_end(
    admission: _Admission, records: list[_DoseRecord], anchor: int, rng: np.random.Generator
) -> int:
    """Discharge 1.5-2 days after the cycle ended; "now" if the patient is still in."""
    cycle_over = records and records[-1].status != "scheduled"
    if not cycle_over:
        return anchor
    last = records[-1].administered or records[-1].scheduled  # last dose, or the stop
    discharge = last + int(rng.integers(36 * 60, 48 * 60))
    return min(discharge, anchor, int(admission.grid.vitals_time[-1]))


def _chart_running(
    chart: _Chart,
    patient: int,
    times: np.ndarray,
    parameter: str,
    amount: np.ndarray,
    codes: np.ndarray | None = None,
) -> None:
    """An infusion or oxygen: charted while running, and once more (0, room air) when stopped."""
    before = np.concatenate([[0.0], amount[:-1]])
    charted = (amount > 0) | (before > 0)
    chart.add(patient, times[charted], parameter, (codes if codes is not None else amount)[charted])


def _chart_urine(
    chart: _Chart, patient: int, admission: _Admission, given: np.ndarray, end: int
) -> None:
    """Hourly volumes, or each 8-h shift's volume (volume since the previous entry)."""
    hours = admission.grid.urine_hour
    volumes = admission.urine_per_hour(given)
    keep = hours <= end
    if admission.plan.urine_charting == "hourly":
        chart.add(patient, hours[keep], "urine_output", volumes[keep])
        return
    shift_ends = admission.grid.shift_end[admission.grid.shift_end <= end]
    shift_of_hour = np.searchsorted(shift_ends, hours, side="left")
    totals = np.bincount(shift_of_hour, weights=volumes, minlength=shift_ends.size + 1)
    chart.add(patient, shift_ends, "urine_output", totals[: shift_ends.size])


def _chart_discontinuation(chart: _Chart, patient: int, admission: _Admission, end: int) -> None:
    """The telemetry strip of the event that ended a course, and the rhythm after treatment."""
    event = admission.plan.discontinued_by
    if event is None or not admission.grid.admission < event[0] <= end:
        return
    chart.add(patient, [event[0]], "rhythm", np.array(["vt_sustained"]))
    chart.add(patient, [event[0]], "heart_rate", np.array([176.0]))
    chart.add(patient, [event[0] + 40], "rhythm", np.array(["sinus_tachycardia"]))
