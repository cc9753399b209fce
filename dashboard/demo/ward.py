"""The demo ward as the data contract's input tables (patients, doses, observations)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.demo.chart import _Chart, _chart_admission
from dashboard.demo.clock import DEMO_ANCHOR, WARD_TIMEZONE, epoch_minutes
from dashboard.demo.physiology import (
    _PARAMETER_INDEX,
    DECIMALS,
    PARAMETERS,
    UNIT_SYSTEMS,
    _Admission,
)
from dashboard.demo.story import DEMO_PATIENTS, DEMO_SEED, PatientPlan, _patient_plans
from dashboard.demo.team import _decide_doses, _DoseRecord
from dashboard.tables import (
    DEFAULT_DOSE_IU_PER_KG,
    DOSE_INPUT_COLUMNS,
    OBSERVATION_INPUT_COLUMNS,
    PATIENT_INPUT_COLUMNS,
)
from dashboard.vocabulary import load_vocabulary

# --- the ward -------------------------------------------------------------------------------


def build_demo_ward(
    n_patients: int = DEMO_PATIENTS, seed: int = DEMO_SEED
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The demo ward as the contract's input tables (patients, doses, observations).

    Times are tz-aware (ward time zone). Observation ``value`` is the text as charted
    (a number with fixed decimals, or a code) and ``unit`` the unit as charted ('' for codes).
    """
    if n_patients < 1:
        raise ValueError("a ward needs at least one patient")
    return _simulate_ward(n_patients, seed, anchor=epoch_minutes(DEMO_ANCHOR))


def _simulate_ward(
    n_patients: int, seed: int, anchor: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ward as charted up to ``anchor`` (epoch minutes)."""
    chart = _Chart()
    patient_rows, dose_rows = [], []
    plans = _patient_plans(n_patients, seed)
    for index, (plan, rng) in enumerate(plans):
        patient_rows.append(_patient_row(plan))
        for cycle in plan.cycles:
            admission = _Admission.start(plan, cycle, rng)
            records, given = _decide_doses(admission, anchor)
            dose_rows += [(index, cycle.cycle, r) for r in records]
            _chart_admission(chart, index, admission, given, records, anchor, rng)
    ids = np.array([plan.patient_id for plan, _ in plans], dtype=object)
    unit_systems = [plan.units for plan, _ in plans]
    return (
        pd.DataFrame(patient_rows, columns=list(PATIENT_INPUT_COLUMNS)),
        _doses_frame(dose_rows, ids),
        _observations_frame(chart.columns(), ids, unit_systems),
    )


def _patient_row(plan: PatientPlan) -> dict:
    body = plan.body
    return {
        "patient_id": plan.patient_id,
        "name": plan.name,
        "bed": plan.bed,
        "indication": plan.indication,
        "protocol": plan.protocol,
        "baseline_weight_kg": round(body.weight_kg, 1),
        "baseline_creatinine_mg_dl": round(body.creatinine, 2),
        "target_sbp_mmhg": plan.target_sbp if plan.target_sbp is not None else np.nan,
    }


def _to_times(minutes: np.ndarray) -> pd.Series:
    return pd.Series(
        pd.to_datetime(np.asarray(minutes, dtype=np.int64) * 60, unit="s", utc=True)
    ).dt.tz_convert(WARD_TIMEZONE)


def _doses_frame(rows: list[tuple[int, int, _DoseRecord]], ids: np.ndarray) -> pd.DataFrame:
    administered = np.array(
        [np.nan if r.administered is None else r.administered for _, _, r in rows], dtype=float
    )
    frame = pd.DataFrame(
        {
            "patient_id": ids[[p for p, _, _ in rows]] if rows else [],
            "cycle": [c for _, c, _ in rows],
            "dose_number": [r.dose_number for _, _, r in rows],
            "scheduled_time": _to_times([r.scheduled for _, _, r in rows]),
            "status": [r.status for _, _, r in rows],
            "administered_time": _to_times(np.nan_to_num(administered).astype(np.int64)).where(
                ~np.isnan(administered)
            ),
            "dose_iu_per_kg": DEFAULT_DOSE_IU_PER_KG,
            "reason": [r.reason for _, _, r in rows],
        }
    )
    return frame[list(DOSE_INPUT_COLUMNS)].reset_index(drop=True)


def _observations_frame(
    columns: dict[str, np.ndarray], ids: np.ndarray, unit_systems: list[str]
) -> pd.DataFrame:
    # Stable order: patient, time, then the flowsheet order of parameters.
    order = np.lexsort((columns["parameter"], columns["time"], columns["patient"]))
    columns = {name: values[order] for name, values in columns.items()}
    systems = list(UNIT_SYSTEMS)
    system_of_patient = np.array([systems.index(s) for s in unit_systems], dtype=np.int8)
    system = system_of_patient[columns["patient"]]
    values = columns["code"]
    units = np.full(values.size, "", dtype=object)
    vocabulary = load_vocabulary()
    # Numbers become text group by group (parameter x unit system), all rows at once.
    for parameter, index in _PARAMETER_INDEX.items():
        if not vocabulary[parameter].is_numeric:
            continue
        of_parameter = columns["parameter"] == index
        for system_index, name in enumerate(systems):
            rows = of_parameter & (system == system_index)
            if not rows.any():
                continue
            unit = UNIT_SYSTEMS[name][parameter]
            typed = vocabulary[parameter].from_canonical(columns["value"][rows], unit)
            values[rows] = _fixed(typed, DECIMALS.get((parameter, unit), 0))
            units[rows] = unit
    frame = pd.DataFrame(
        {
            "patient_id": ids[columns["patient"]],
            "time": _to_times(columns["time"]),
            "parameter": np.asarray(PARAMETERS, dtype=object)[columns["parameter"]],
            "value": values,
            "unit": units,
        }
    )
    return frame[list(OBSERVATION_INPUT_COLUMNS)]


def _fixed(values: np.ndarray, decimals: int) -> np.ndarray:
    """Non-negative numbers as text with exactly ``decimals`` decimals, vectorised."""
    scaled = np.rint(np.asarray(values, dtype=float) * 10**decimals).astype(np.int64)
    if decimals == 0:
        return scaled.astype(str).astype(object)
    whole, fraction = np.divmod(scaled, 10**decimals)
    text = np.strings.add(
        np.strings.add(whole.astype(str), "."), np.strings.zfill(fraction.astype(str), decimals)
    )
    return text.astype(object)
