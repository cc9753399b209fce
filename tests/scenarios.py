"""Small readable builders of canonical ward data for the scenario tests.

    ward(patients=[patient("P1")],
         doses=course("P1", "2026-03-02 08:00", given=6),
         observations=[obs("P1", "2026-03-02 12:05", "sbp", 84)])

Times are written in UTC as "YYYY-MM-DD HH:MM". Numbers are in the canonical unit of the
parameter (data-contract section 2); a categorical value is its code.
"""

from __future__ import annotations

import pandas as pd

from dashboard.tables import (
    DOSE_COLUMNS,
    OBSERVATION_COLUMNS,
    PATIENT_COLUMNS,
    WardData,
)
from dashboard.vocabulary import load_vocabulary


def utc(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC") if text is not None else pd.NaT


def patient(
    patient_id: str = "P1",
    *,
    protocol: str = "",
    weight: float = 80.0,
    creatinine: float | None = 1.0,
    target_sbp: float | None = None,
    name: str | None = None,
) -> dict:
    return {
        "patient_id": patient_id,
        "name": name or f"Patient {patient_id}",
        "bed": "1",
        "indication": "melanoma",
        "protocol": protocol,
        "baseline_weight_kg": weight,
        "baseline_creatinine_mg_dl": creatinine if creatinine is not None else float("nan"),
        "target_sbp_mmhg": target_sbp if target_sbp is not None else float("nan"),
        "source": "test",
        "source_row": 2,
    }


def dose(
    patient_id: str,
    cycle: int,
    number: int,
    scheduled: str,
    status: str = "scheduled",
    administered: str | None = None,
) -> dict:
    if status == "given" and administered is None:
        administered = scheduled
    return {
        "patient_id": patient_id,
        "cycle": cycle,
        "dose_number": number,
        "scheduled_time": utc(scheduled),
        "status": status,
        "administered_time": utc(administered),
        "dose_iu_per_kg": 600000.0,
        "reason": "",
        "source": "test",
        "source_row": 2,
    }


def course(
    patient_id: str,
    first: str,
    *,
    given: int = 0,
    held: tuple[int, ...] = (),
    doses: int = 14,
    cycle: int = 1,
    every_hours: float = 8,
) -> list[dict]:
    """A cycle of ``doses`` doses every ``every_hours`` from ``first``: the first ``given``
    are given on time (except the numbers in ``held``, which are held); the rest scheduled."""
    start = utc(first)
    rows = []
    for number in range(1, doses + 1):
        when = start + pd.Timedelta(hours=every_hours * (number - 1))
        text = when.strftime("%Y-%m-%d %H:%M")
        if number in held:
            rows.append(dose(patient_id, cycle, number, text, "held"))
        elif number <= given:
            rows.append(dose(patient_id, cycle, number, text, "given"))
        else:
            rows.append(dose(patient_id, cycle, number, text))
    return rows


def obs(patient_id: str, time: str, parameter: str, value) -> dict:
    vocabulary = load_vocabulary()
    spec = vocabulary[parameter]
    if spec.is_numeric:
        return {
            "patient_id": patient_id,
            "time": utc(time),
            "parameter": parameter,
            "value": float(value),
            "code": None,
            "unit": spec.unit,
            "recorded_value": str(value),
            "recorded_unit": spec.unit,
            "source": "test",
            "source_row": 2,
        }
    return {
        "patient_id": patient_id,
        "time": utc(time),
        "parameter": parameter,
        "value": float("nan"),
        "code": str(value),
        "unit": "",
        "recorded_value": str(value),
        "recorded_unit": "",
        "source": "test",
        "source_row": 2,
    }


def ward(patients: list[dict], doses: list[dict], observations: list[dict] = ()) -> WardData:
    patients_frame = pd.DataFrame(patients, columns=PATIENT_COLUMNS)
    doses_frame = pd.DataFrame(doses, columns=DOSE_COLUMNS)
    for column in ("scheduled_time", "administered_time"):
        doses_frame[column] = pd.to_datetime(doses_frame[column], utc=True).dt.as_unit("ns")
    doses_frame["cycle"] = doses_frame["cycle"].astype(int)
    doses_frame["dose_number"] = doses_frame["dose_number"].astype(int)
    observations_frame = pd.DataFrame(list(observations), columns=OBSERVATION_COLUMNS)
    # nanoseconds, as the loaders give them (pandas 3 would keep microseconds here)
    observations_frame["time"] = pd.to_datetime(observations_frame["time"], utc=True).dt.as_unit(
        "ns"
    )
    observations_frame["value"] = observations_frame["value"].astype(float)
    return WardData(
        patients=_plain_text(patients_frame),
        doses=_plain_text(doses_frame),
        observations=_plain_text(observations_frame),
    )


def _plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text as the loaders give it (dashboard/tables.py): Python strings and None for
    absent, not pandas 3's inferred ``str`` dtype with NaN."""
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.StringDtype):
            frame[column] = values.astype(object).where(values.notna(), None)
    return frame


def series(patient_id: str, parameter: str, readings: list[tuple[str, object]]) -> list[dict]:
    """Several readings of one parameter: [("2026-03-02 08:00", 120), ...]."""
    return [obs(patient_id, time, parameter, value) for time, value in readings]
