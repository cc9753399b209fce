"""A ward where every criterion of every shipped protocol is plainly clear, to which a test
adds the one observation it is about.

The patient (P1, 80 kg, baseline creatinine 1.0 mg/dL) has had doses 1-6 of cycle 1 on
time from 2026-03-02 08:00; dose 7 is due 2026-03-04 08:00. The nurse looks at 07:30
(``AT``). The interval of dose 7 started when dose 6 was given, 2026-03-04 00:00.
Background readings are normal and fresh; ``skip`` leaves a parameter out entirely.
"""

from __future__ import annotations

import pandas as pd

from dashboard.assessment import DoseAssessment, assess_course, assess_next_doses
from dashboard.assessment.results import FINDING_SEVERITY
from dashboard.protocols import load_protocol
from tests.scenarios import course, obs, patient, utc, ward

AT = "2026-03-04 07:30"
FIRST_DOSE = "2026-03-02 08:00"

NORMAL = {  # parameter: (time, value) of the background's latest reading
    "sbp": ("2026-03-04 07:00", 120),
    "heart_rate": ("2026-03-04 07:00", 80),
    "spo2": ("2026-03-04 07:00", 97),
    "mental_status": ("2026-03-04 07:00", "normal"),
    "rhythm": ("2026-03-04 07:00", "sinus"),
    "o2_device": ("2026-03-04 07:00", "room_air"),
    "weight": ("2026-03-04 06:00", 80),
    "platelets": ("2026-03-04 06:00", 150),
    "bilirubin": ("2026-03-04 06:00", 1.0),
    "bicarbonate": ("2026-03-04 06:00", 24),
    "potassium": ("2026-03-04 06:00", 4.0),
}


def background(patient_id: str = "P1", skip: tuple[str, ...] = ()) -> list[dict]:
    rows = [
        obs(patient_id, time, name, value)
        for name, (time, value) in NORMAL.items()
        if name not in skip
    ]
    if "creatinine" not in skip:
        rows += [
            obs(patient_id, "2026-03-03 06:00", "creatinine", 1.0),
            obs(patient_id, "2026-03-04 06:00", "creatinine", 1.0),
        ]
    if "urine_output" not in skip:  # 100 mL every hour since the first dose
        rows += hourly(patient_id, "urine_output", 100, "2026-03-02 08:00", "2026-03-04 07:00")
    return rows


def hourly(patient_id: str, parameter: str, value: float, first: str, last: str) -> list[dict]:
    times = pd.date_range(utc(first), utc(last), freq="h")
    return [obs(patient_id, t.strftime("%Y-%m-%d %H:%M"), parameter, value) for t in times]


def assess(
    *extra: dict,
    protocol: str = "proleukin-label",
    skip: tuple[str, ...] = (),
    at: str = AT,
    given: int = 6,
    held: tuple[int, ...] = (),
    doses: list | None = None,
    **patient_fields,
) -> DoseAssessment:
    """The next dose of P1 at ``at`` with the background plus ``extra`` observations."""
    if doses is None and protocol == "til-2024":
        # TIL: at most 6 doses; doses 1-5 given, dose 6 due at the same 08:00
        doses = course("P1", "2026-03-02 16:00", given=5, held=held, doses=6)
    data = ward(
        [patient("P1", **patient_fields)],
        doses if doses is not None else course("P1", FIRST_DOSE, given=given, held=held),
        background(skip=skip) + list(extra),
    )
    (assessment,) = assess_next_doses(data, utc(at), load_protocol(protocol))
    return assessment


def review(
    *extra: dict,
    protocol: str = "proleukin-label",
    given: int = 14,
    doses: list | None = None,
    skip: tuple[str, ...] = (),
) -> list[DoseAssessment]:
    data = ward(
        [patient("P1")],
        doses if doses is not None else course("P1", FIRST_DOSE, given=given),
        background(skip=skip) + list(extra),
    )
    return assess_course(data, load_protocol(protocol))


def outcome(assessment: DoseAssessment, criterion: str) -> str:
    """The criterion's most severe finding for this dose, or "clear"."""
    outcomes = [f.outcome for f in assessment.findings if f.criterion == criterion]
    return min(outcomes, key=FINDING_SEVERITY.get) if outcomes else "clear"


def finding(assessment: DoseAssessment, criterion: str, outcome_name: str | None = None):
    for item in assessment.findings:
        if item.criterion == criterion and (outcome_name is None or item.outcome == outcome_name):
            return item
    raise AssertionError(
        f"no {outcome_name or ''} finding for {criterion}: "
        f"{[(f.criterion, f.outcome) for f in assessment.findings]}"
    )
