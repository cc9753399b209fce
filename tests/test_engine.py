"""The assessment engine's public API (dashboard.assessment): statuses, ordering, the
checklist, next dose versus course review, several patients and protocols at once."""

import pandas as pd

from dashboard.assessment import (
    STATUS_ORDER,
    DoseAssessment,
    assess_course,
    assess_next_doses,
    evaluate_ward,
)
from dashboard.protocols import load_protocol
from tests.clinical import AT, assess, background, finding
from tests.scenarios import course, dose, obs, patient, utc, ward


def test_status_order_of_the_spec():
    assert STATUS_ORDER == (
        "discontinue",
        "stop_cycle",
        "cycle_complete",
        "hold",
        "incomplete",
        "clear",
    )


def test_findings_are_most_severe_first():
    assessment = assess(
        obs("P1", "2026-03-04 07:15", "sbp", 80),
        obs("P1", "2026-03-04 07:00", "creatinine", 2.0),
        skip=("spo2",),
    )
    outcomes = [f.outcome for f in assessment.findings]
    assert outcomes == sorted(outcomes, key=["hold", "incomplete", "watch"].index)


def test_a_clear_dose_has_a_checklist_of_every_criterion_with_its_values():
    assessment = assess()
    assert assessment.status == "clear" and assessment.findings == []
    protocol = load_protocol("proleukin-label")
    entries = {entry.criterion: entry for entry in assessment.checklist}
    assert set(entries) == set(protocol.criterion_ids) | {"dose_limits"}
    hypotension = entries["hypotension"]
    assert hypotension.state == "clear"
    sbp = next(v for v in hypotension.values if v["parameter"] == "sbp")
    assert (sbp["value"], sbp["unit"], str(sbp["time"])) == (
        120,
        "mm[Hg]",
        "2026-03-04 07:00:00+00:00",
    )
    assert entries["dose_limits"].values[0]["value"] == 6


def test_checklist_state_follows_the_findings():
    assessment = assess(obs("P1", "2026-03-04 07:15", "spo2", 85))
    entries = {entry.criterion: entry for entry in assessment.checklist}
    assert entries["hypoxia"].state == "hold"
    assert entries["hypoxia"].restart == "latest spo2 > 90 %"


def test_each_patient_follows_its_own_protocol():
    patients = [patient("P1"), patient("P2", protocol="cwg-consensus-2014")]
    doses = course("P1", "2026-03-02 08:00", given=6) + course("P2", "2026-03-02 08:00", given=6)
    data = ward(
        patients,
        doses,
        background("P1")
        + background("P2")
        + [
            obs("P1", "2026-03-04 07:15", "heart_rate", 120),
            obs("P2", "2026-03-04 07:15", "heart_rate", 120),
        ],
    )
    by_patient = {a.patient_id: a for a in assess_next_doses(data, utc(AT))}
    assert by_patient["P1"].protocol_id == "proleukin-label"
    assert by_patient["P1"].status == "clear"  # the label has no heart-rate criterion
    assert by_patient["P2"].protocol_id == "cwg-consensus-2014"
    assert by_patient["P2"].status == "hold"


def test_a_late_dose_is_still_the_next_dose():
    doses = course("P1", "2026-03-02 08:00", given=6)
    assessment = assess(at="2026-03-04 10:30", doses=doses)  # dose 7 was due 08:00
    assert (assessment.dose_number, assessment.scheduled_time) == (7, utc("2026-03-04 08:00"))
    assert assessment.assessed_at == utc("2026-03-04 10:30")


def test_no_dose_due_for_a_patient_without_doses():
    data = ward([patient("P1"), patient("P2")], course("P1", "2026-03-02 08:00", given=1))
    statuses = {a.patient_id: a.status for a in assess_next_doses(data, utc(AT))}
    assert statuses["P2"] == "no_dose_due"


def test_course_review_assesses_each_dose_as_of_its_time():
    data = ward(
        [patient("P1")],
        course("P1", "2026-03-02 08:00", given=3, doses=3),
        [
            obs("P1", "2026-03-02 07:00", "sbp", 120),
            obs("P1", "2026-03-02 15:00", "sbp", 85),
            obs("P1", "2026-03-02 23:00", "sbp", 110),
        ],
    )
    doses = assess_course(data)
    assert [d.dose_number for d in doses] == [1, 2, 3]
    assert all(isinstance(d, DoseAssessment) for d in doses)
    by_number = {d.dose_number: d for d in doses}
    assert not [f for f in by_number[1].findings if f.criterion == "hypotension"]
    assert finding(by_number[2], "hypotension", "hold").value == 85
    # dose 3's interval starts when dose 2 was given (16:00), after the 85 at 15:00
    assert not [f for f in by_number[3].findings if f.criterion == "hypotension"]
    assert by_number[2].recorded_status == "given"


def test_frames_for_vectorised_callers():
    data = ward([patient("P1")], course("P1", "2026-03-02 08:00", given=6), background())
    result = evaluate_ward(data, utc(AT), load_protocol("proleukin-label"))
    targets = result.points[result.points["is_target"]]
    assert targets["status"].tolist() == ["clear"]
    assert set(result.findings.columns) >= {
        "criterion",
        "outcome",
        "value",
        "time",
        "rule",
        "source",
    }


def test_a_held_dose_does_not_start_the_interval_so_earlier_readings_count():
    # dose 6 held (no new interval): sbp 85 after dose 5 (given 2026-03-03 16:00) counts
    doses = course("P1", "2026-03-02 08:00", given=6, held=(6,))
    assessment = assess(obs("P1", "2026-03-03 20:00", "sbp", 85), doses=doses)
    assert finding(assessment, "hypotension").outcome == "resolved"


def test_timezone_naive_at_is_taken_as_utc():
    data = ward([patient("P1")], course("P1", "2026-03-02 08:00", given=6), background())
    (assessment,) = assess_next_doses(data, pd.Timestamp(AT))
    assert assessment.assessed_at == utc(AT)


def test_doses_of_unknown_patients_do_not_break_the_ward():
    data = ward([patient("P1")], [dose("P9", 1, 1, "2026-03-04 08:00")], background())
    statuses = {a.patient_id: a.status for a in assess_next_doses(data, utc(AT))}
    assert statuses == {"P1": "no_dose_due", "P9": "incomplete"}


def test_a_course_stopped_for_good_shows_why_even_with_no_dose_due():
    # Sustained VT after dose 5; dose 6 recorded held and nothing scheduled after it. The
    # ward must say "discontinue: vt_sustained", not only "no dose due".
    from dashboard.assessment import assess_next_doses
    from tests.scenarios import course, patient, series, utc, ward

    doses = course("P1", "2026-03-02 08:00", given=5, held=(6,), doses=6)
    rhythm = series(
        "P1", "rhythm", [("2026-03-03 16:00", "sinus"), ("2026-03-03 21:40", "vt_sustained")]
    )
    (assessment,) = assess_next_doses(ward([patient("P1")], doses, rhythm), utc("2026-03-04 12:00"))
    # criteria.md section 9.1: a stopped course is never "no dose due"
    assert assessment.status == "discontinue"
    assert [(f.criterion, f.outcome, f.value) for f in assessment.findings] == [
        ("ventricular_tachycardia", "discontinue", "vt_sustained")
    ]
