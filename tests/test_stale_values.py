"""criteria.md section 2: a stale latest value that meets the trigger takes the outcome that
value gives AND `incomplete`: both findings are listed (a stale low pressure is still a low
pressure).

Background: tests/clinical.py (dose 7 assessed 2026-03-04 07:30).
"""

from tests.clinical import assess
from tests.scenarios import obs


def outcomes(assessment, criterion):
    return {f.outcome for f in assessment.findings if f.criterion == criterion}


def test_consensus_stale_creatinine_in_the_absolute_band_stops_the_cycle_and_is_incomplete():
    # | time             | creatinine |  30 h before T; freshness 24 h; >= 3.0 stops the cycle
    # | 2026-03-03 01:30 | 3.2 mg/dL  |
    assessment = assess(
        obs("P1", "2026-03-03 01:30", "creatinine", 3.2),
        protocol="cwg-consensus-2014",
        skip=("creatinine",),
    )
    assert outcomes(assessment, "creatinine") == {"stop_cycle", "incomplete"}
    assert assessment.status == "stop_cycle"


def test_label_stale_low_sbp_holds_and_is_incomplete():
    # | time             | sbp       |  5 h 30 min before T; freshness 4 h; < 90 holds
    # | 2026-03-04 02:00 | 84 mm[Hg] |
    assessment = assess(obs("P1", "2026-03-04 02:00", "sbp", 84), skip=("sbp",))
    assert outcomes(assessment, "hypotension") == {"hold", "incomplete"}
    assert assessment.status == "hold"


def test_a_new_patient_with_only_a_low_reading_before_the_interval_holds_not_crashes():
    # First dose at 2026-03-02 08:00, assessed 07:30: the interval is 23:30-07:30, and the
    # only reading, SpO2 86 % at 22:30 the evening before, lies before it (no reading of the
    # parameter in any interval: this once crashed with an IndexError).
    from dashboard.assessment import assess_next_doses
    from tests.scenarios import course, patient, utc, ward

    data = ward(
        [patient("P1")],
        course("P1", "2026-03-02 08:00"),
        [obs("P1", "2026-03-01 22:30", "spo2", 86)],
    )
    (assessment,) = assess_next_doses(data, utc("2026-03-02 07:30"))
    assert outcomes(assessment, "hypoxia") == {"hold", "incomplete"}
    assert assessment.status == "hold"
