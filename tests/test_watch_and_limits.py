"""Watch criteria (criteria.md section 7, every protocol) and dose limits (section 1).

Watch findings are early warnings: they are shown and never change a dose's status.
"""

import pytest

from dashboard.protocols import shipped_protocol_ids
from tests.clinical import assess, finding, hourly, outcome
from tests.scenarios import course, obs


def o(time, parameter, value):
    return obs("P1", f"2026-03-04 {time}", parameter, value)


@pytest.mark.parametrize(
    ("latest", "stage"),
    [
        (1.29, None),  # rise 0.29 in 48 h, 1.29 x baseline
        (1.3, "KDIGO stage 1"),  # rise >= 0.3 mg/dL within 48 h
        (1.5, "KDIGO stage 1"),  # 1.5 x baseline
        (2.0, "KDIGO stage 2"),
        (2.9, "KDIGO stage 2"),
        (3.0, "KDIGO stage 3"),
    ],
)
def test_creatinine_rising_kdigo_stage(latest, stage):
    # baseline 1.0 mg/dL; 1.0 at 2026-03-03 06:00 and 2026-03-04 06:00, then the latest
    assessment = assess(o("07:00", "creatinine", latest), protocol="cwg-consensus-2014")
    if stage is None:
        assert outcome(assessment, "creatinine_rising") == "clear"
    else:
        item = finding(assessment, "creatinine_rising", "watch")
        assert item.detail.startswith(stage)


def test_creatinine_4_with_a_rise_is_stage_3():
    assessment = assess(o("07:00", "creatinine", 4.0), creatinine=3.0)
    assert finding(assessment, "creatinine_rising", "watch").detail.startswith("KDIGO stage 3")


def test_without_a_baseline_creatinine_the_first_of_the_course_is_used():
    assessment = assess(o("07:00", "creatinine", 1.6), creatinine=None)
    assert "1.60 × baseline 1" in finding(assessment, "creatinine_rising").detail


def test_watch_never_changes_the_status():
    assessment = assess(o("07:00", "creatinine", 2.0))
    assert outcome(assessment, "creatinine_rising") == "watch"
    assert assessment.status == "clear"


@pytest.mark.parametrize(("per_hour", "expected"), [(39.9, "watch"), (40, "clear")])
def test_urine_output_low_under_half_ml_per_kg_per_hour(per_hour, expected):
    urine = hourly("P1", "urine_output", per_hour, "2026-03-02 08:00", "2026-03-04 07:00")
    assessment = assess(*urine, skip=("urine_output",))  # 80 kg: 0.5 mL/kg/h = 40 mL/h
    assert outcome(assessment, "urine_output_low") == expected


@pytest.mark.parametrize("protocol", shipped_protocol_ids())
def test_every_protocol_has_the_watch_criteria(protocol):
    from dashboard.protocols import load_protocol

    ids = load_protocol(protocol).criterion_ids
    assert "creatinine_rising" in ids and "urine_output_low" in ids


def test_fourteen_doses_given_complete_the_cycle():
    doses = course("P1", "2026-02-27 08:00", given=14, doses=15)
    assessment = assess(doses=doses)
    assert assessment.status == "cycle_complete"
    assert finding(assessment, "dose_limits").value == 14


def test_twenty_eight_doses_in_the_course():
    doses = (
        course("P1", "2026-02-01 08:00", given=14)
        + course("P1", "2026-02-16 08:00", cycle=2, given=14, doses=14)
        + course("P1", "2026-03-03 08:00", cycle=3, given=0, doses=3)
    )
    assessment = assess(doses=doses)
    assert assessment.status == "cycle_complete"


def test_cycle_complete_outranks_hold_but_not_stop_cycle():
    doses = course("P1", "2026-02-27 08:00", given=14, doses=15)
    assert assess(o("07:15", "sbp", 80), doses=doses).status == "cycle_complete"
    stop = assess(o("05:00", "event", "hepatic_failure"), doses=doses)
    assert stop.status == "stop_cycle"


def test_the_urine_watch_does_not_read_a_gap_in_the_chart_as_low_urine():
    # 60 mL/h charted until 01:00, nothing since; assessed 07:30, so nothing is charted in
    # the watch's 6 h window. It must not report 0 mL/kg/h; the freshness of urine_output
    # (required by the protocol's urine criteria) reads incomplete instead.
    from tests.clinical import assess, hourly

    urine = hourly("P1", "urine_output", 60, "2026-03-02 08:00", "2026-03-04 01:00")
    assessment = assess(*urine, skip=("urine_output",))
    assert "urine_output_low" not in {
        f.criterion for f in assessment.findings if f.outcome == "watch"
    }
    assert assessment.status == "incomplete"
