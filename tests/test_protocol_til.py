"""Protocol `til-2024` (criteria.md section 6): IL-2 after TIL therapy, at most 6 doses.

Background: tests/clinical.py; doses 1-5 given, dose 6 due 2026-03-04 08:00, assessed 07:30.
"""

import pytest

from dashboard.protocols import load_protocol
from tests.clinical import assess, finding, hourly, outcome
from tests.scenarios import course, obs

TIL = "til-2024"


def o(time, parameter, value):
    return obs("P1", f"2026-03-04 {time}", parameter, value)


def til(*readings, **kwargs):
    return assess(*readings, protocol=TIL, **kwargs)


@pytest.mark.parametrize(
    ("target", "sbp", "expected"),
    [(100, 99, "hold"), (100, 100, "clear"), (None, 89, "hold"), (None, 90, "clear")],
)
def test_hypotension_against_the_patients_target(target, sbp, expected):
    assessment = til(o("07:15", "sbp", sbp), target_sbp=target)
    assert outcome(assessment, "hypotension") == expected


def test_hypotension_without_a_target_says_the_default_applies():
    item = finding(til(o("07:15", "sbp", 85)), "hypotension", "hold")
    assert "protocol default" in item.detail
    assert "default 90" in item.rule


def test_hypotension_missing_sbp_is_incomplete():
    assert outcome(til(skip=("sbp",)), "hypotension") == "incomplete"


@pytest.mark.parametrize(
    ("bolus", "expected"),
    [
        ("05:15", "stop_cycle"),  # 2 h before the 07:15 reading: "within 2 h" includes 2 h
        ("05:14", "hold"),  # 2 h 1 min before: only the hypotension hold
        (None, "hold"),
    ],
)
def test_fluid_refractory_hypotension(bolus, expected):
    readings = [o("07:15", "sbp", 85)]
    if bolus:
        readings.append(o(bolus, "event", "fluid_bolus"))
    assessment = til(*readings)
    assert assessment.status == expected
    if expected == "stop_cycle":
        assert finding(assessment, "fluid_refractory_hypotension").interpretation


def test_bolus_then_pressure_recovered_is_not_refractory():
    assessment = til(o("06:00", "event", "fluid_bolus"), o("07:15", "sbp", 95))
    assert outcome(assessment, "fluid_refractory_hypotension") == "clear"


@pytest.mark.parametrize(("rate", "expected"), [(0.5, "clear"), (0.51, "hold")])
def test_phenylephrine_above_0_5(rate, expected):
    assert outcome(til(o("07:00", "phenylephrine", rate)), "vasopressor") == expected


@pytest.mark.parametrize(("per_hour", "expected"), [(39.875, "hold"), (40, "clear")])
def test_urine_output_under_4_ml_per_kg_over_8_hours(per_hour, expected):
    # 80 kg: 4 mL/kg = 320 mL in 8 h = 40 mL/h
    urine = hourly("P1", "urine_output", per_hour, "2026-03-02 08:00", "2026-03-04 07:00")
    assert outcome(til(*urine, skip=("urine_output",)), "urine_output") == expected


@pytest.mark.parametrize(("creatinine", "expected"), [(2.49, "clear"), (2.5, "hold")])
def test_creatinine(creatinine, expected):
    assert outcome(til(o("06:30", "creatinine", creatinine)), "creatinine") == expected


def test_six_doses_given_complete_the_cycle():
    doses = course("P1", "2026-03-02 08:00", given=6, doses=7)
    assessment = til(doses=doses)
    assert assessment.status == "cycle_complete"
    assert finding(assessment, "dose_limits").rule == "doses given in the cycle >= 6"


def test_every_dose_decided_is_no_dose_due():
    doses = course("P1", "2026-03-02 08:00", given=6, doses=6)
    assert til(doses=doses).status == "no_dose_due"


# criteria.md section 6: the drug's own label still applies after TIL. til-2024 carries every
# label criterion it does not replace, and says that this combination is an interpretation.


@pytest.mark.parametrize(
    ("parameter", "value", "criterion", "expected"),
    [
        ("rhythm", "afib", "arrhythmia", "hold"),  # atrial fibrillation
        ("rhythm", "svt", "arrhythmia", "hold"),
        ("rhythm", "sinus_tachycardia", "arrhythmia", "clear"),
        ("spo2", 88, "hypoxia", "hold"),  # hypoxic
        ("spo2", 90, "hypoxia", "clear"),  # "< 90 %": 90 is not hypoxic
        ("mental_status", "moderate", "mental_status", "hold"),  # confused
        ("mental_status", "severe", "mental_status", "hold"),
        ("mental_status", "mild", "mental_status", "clear"),
        ("rhythm", "vt_sustained", "ventricular_tachycardia", "discontinue"),
    ],
)
def test_a_til_patient_is_held_as_the_label_says(parameter, value, criterion, expected):
    assessment = til(o("07:20", parameter, value))
    assert outcome(assessment, criterion) == expected
    assert assessment.status == expected
    if expected != "clear":
        item = finding(assessment, criterion, expected)
        assert item.source.startswith("[PI-2.4]")  # the label's own source, not the TIL table
        # the combination is an interpretation, and the finding says so
        assert item.interpretation.startswith(load_protocol(TIL).extends.interpretation)


def test_a_til_patient_without_a_fresh_spo2_is_incomplete_as_under_the_label():
    assessment = til(o("02:00", "spo2", 97), skip=("spo2",))  # 5 h 30 min old; label: 4 h
    assert outcome(assessment, "hypoxia") == "incomplete"


@pytest.mark.parametrize(("creatinine", "expected"), [(2.5, "hold"), (4.6, "hold")])
def test_the_label_creatinine_and_oliguria_rows_are_replaced(creatinine, expected):
    # TIL's own creatinine rule (>= 2.5) decides; the label's (> 4.5) is not also applied
    assessment = til(o("06:30", "creatinine", creatinine))
    assert [f.criterion for f in assessment.findings if f.outcome == "hold"] == ["creatinine"]
    assert "oliguria" not in {f.criterion for f in assessment.findings}
