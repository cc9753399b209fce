"""criteria.md section 9.1: a stopped course or cycle is never "no dose due".

With no dose due at T the patient is assessed at T against the last cycle: permanent
criteria over the whole course, stop-cycle criteria over that cycle. The status is the
standing outcome; ``no_dose_due`` only when nothing stands.

    cycle 1: doses 1-6 every 8 h from 2026-03-02 08:00, all given (last 2026-03-03 24:00)
    T = 2026-03-04 12:00, no dose of cycle 2 in the table yet
"""

from dashboard.assessment import assess_next_doses
from dashboard.protocols import load_protocol
from tests.scenarios import course, obs, patient, utc, ward

T = utc("2026-03-04 12:00")
SIX_GIVEN = course("P1", "2026-03-02 08:00", given=6, doses=6)


def next_dose(observations, protocol="proleukin-label", doses=SIX_GIVEN):
    (assessment,) = assess_next_doses(
        ward([patient("P1")], doses, observations), T, load_protocol(protocol)
    )
    return assessment


def test_sustained_vt_charted_after_the_last_dose_discontinues_at_once():
    # | time             | rhythm       |
    # | 2026-03-03 23:00 | sinus        |
    # | 2026-03-04 10:00 | vt_sustained |  <- after dose 6 (2026-03-04 00:00), no dose due
    assessment = next_dose(
        [
            obs("P1", "2026-03-03 23:00", "rhythm", "sinus"),
            obs("P1", "2026-03-04 10:00", "rhythm", "vt_sustained"),
        ]
    )
    assert assessment.status == "discontinue"
    assert (assessment.cycle, assessment.dose_number, assessment.scheduled_time) == (1, None, None)
    (vt,) = assessment.findings
    assert (vt.criterion, vt.outcome, vt.value, vt.time) == (
        "ventricular_tachycardia",
        "discontinue",
        "vt_sustained",
        utc("2026-03-04 10:00"),
    )


def test_a_finished_course_with_nothing_standing_is_no_dose_due():
    # sinus rhythm, nothing else charted (stale sbp etc. do not matter: no dose waits)
    assessment = next_dose([obs("P1", "2026-03-04 10:00", "rhythm", "sinus")])
    assert assessment.status == "no_dose_due"
    assert assessment.findings == []
    assert (assessment.cycle, assessment.dose_number) == (1, None)


def test_a_stopped_cycle_stands_until_a_dose_of_a_later_cycle_is_scheduled():
    # consensus: atrial fibrillation in the cycle stops it; charted after the last dose of
    # cycle 1, with cycle 2 not in the table yet
    afib = [obs("P1", "2026-03-04 10:00", "rhythm", "afib")]
    stopped = next_dose(afib, protocol="cwg-consensus-2014")
    assert stopped.status == "stop_cycle"
    assert [(f.criterion, f.outcome, f.value) for f in stopped.findings] == [
        ("arrhythmia", "stop_cycle", "afib")
    ]
    # once cycle 2's first dose is scheduled (2026-03-16 08:00) it is the next dose, and
    # cycle 1's stop is over
    cycle_2 = SIX_GIVEN + course("P1", "2026-03-16 08:00", doses=6, cycle=2)
    (later,) = assess_next_doses(
        ward([patient("P1")], cycle_2, afib),
        utc("2026-03-16 07:00"),
        load_protocol("cwg-consensus-2014"),
    )
    assert (later.cycle, later.dose_number) == (2, 1)
    assert "stop_cycle" not in [f.outcome for f in later.findings]


def test_with_no_dose_waiting_the_checklist_never_calls_a_criterion_clear():
    # | time             | sbp | rhythm       |
    # | 2026-03-04 10:00 | 80  | vt_sustained |  <- no dose waits: hypotension is not assessed
    assessment = next_dose(
        [
            obs("P1", "2026-03-04 10:00", "sbp", 80),
            obs("P1", "2026-03-04 10:00", "rhythm", "vt_sustained"),
        ]
    )
    states = {entry.criterion: entry.state for entry in assessment.checklist}
    assert states["ventricular_tachycardia"] == "discontinue"
    assert states["hypotension"] == "no_dose_due"  # not "clear" beside an SBP of 80
    assert "clear" not in states.values()


def test_with_no_dose_waiting_an_early_warning_still_shows():
    # creatinine 1.0 -> 2.1 mg/dL (2.1 x the patient's baseline of 1.0): KDIGO stage 2
    assessment = next_dose(
        [
            obs("P1", "2026-03-03 08:00", "creatinine", 1.0),
            obs("P1", "2026-03-04 08:00", "creatinine", 2.1),
        ]
    )
    assert assessment.status == "no_dose_due"  # a warning never changes the status
    assert [(f.criterion, f.outcome) for f in assessment.findings] == [
        ("creatinine_rising", "watch")
    ]
    assert assessment.findings[0].detail.startswith("KDIGO stage 2")
