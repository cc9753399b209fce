"""Protocol `proleukin-label` (criteria.md section 3), criterion by criterion.

Every test: the background ward of tests/clinical.py (everything normal and fresh; dose 7
due 2026-03-04 08:00, interval from dose 6 at 00:00, assessed at 07:30) plus the readings
written in the test, and the outcome a clinician would expect for dose 7.
"""

import pytest

from tests.clinical import assess, finding, outcome, review
from tests.scenarios import obs


def o(time, parameter, value):
    return obs("P1", f"2026-03-04 {time}", parameter, value)


def earlier(day_time, parameter, value):
    return obs("P1", day_time, parameter, value)


# ------------------------------------------------------------------ hypotension


@pytest.mark.parametrize(
    ("sbp", "expected"),
    [
        (89, "hold"),  # below 90
        (89.9, "hold"),
        (90, "clear"),  # "< 90" is strict
        (91, "clear"),
    ],
)
def test_hypotension_latest_sbp_boundary(sbp, expected):
    assessment = assess(o("07:15", "sbp", sbp))
    assert outcome(assessment, "hypotension") == expected
    assert assessment.status == expected


def test_hypotension_finding_shows_value_time_rule_and_source():
    item = finding(assess(o("07:15", "sbp", 84)), "hypotension", "hold")
    assert (item.parameter, item.value, item.unit) == ("sbp", 84, "mm[Hg]")
    assert str(item.time) == "2026-03-04 07:15:00+00:00"
    assert item.rule == "latest sbp < 90 mm[Hg]"
    assert "[PI-2.4]" in item.source and "[PI-prior]" in item.source
    assert "latest sbp >= 90" in item.restart


def test_hypotension_recovered_without_pressor_increase_is_resolved():
    assessment = assess(o("03:00", "sbp", 85), o("07:15", "sbp", 95))
    assert outcome(assessment, "hypotension") == "resolved"
    assert assessment.status == "clear"


def test_hypotension_recovered_on_more_pressor_is_still_a_hold():
    # phenylephrine off at the interval's start, 0.5 at 05:00: requirement increased
    assessment = assess(
        earlier("2026-03-03 23:00", "phenylephrine", 0),
        o("03:00", "sbp", 85),
        o("05:00", "phenylephrine", 0.5),
        o("07:15", "sbp", 95),
    )
    assert outcome(assessment, "hypotension") == "hold"


def test_hypotension_low_before_the_interval_does_not_count():
    assessment = assess(earlier("2026-03-03 22:00", "sbp", 80))  # before dose 6 (00:00)
    assert outcome(assessment, "hypotension") == "clear"


def test_hypotension_stale_sbp_is_incomplete_never_clear():
    assessment = assess(earlier("2026-03-04 02:20", "sbp", 120), skip=("sbp",))
    item = finding(assessment, "hypotension", "incomplete")
    assert assessment.status == "incomplete"
    assert item.detail.startswith("no sbp in the last 4 h; last was 5 h 10 min ago")


def test_hypotension_sbp_exactly_4_hours_old_is_fresh():
    assessment = assess(earlier("2026-03-04 03:30", "sbp", 120), skip=("sbp",))
    assert outcome(assessment, "hypotension") == "clear"


def test_hypotension_no_sbp_at_all_is_incomplete():
    assessment = assess(skip=("sbp",))
    assert outcome(assessment, "hypotension") == "incomplete"
    assert "no sbp recorded" in finding(assessment, "hypotension").detail


# ------------------------------------------------------------------ arrhythmia


@pytest.mark.parametrize(
    ("rhythm", "expected"),
    [
        ("afib", "hold"),
        ("svt", "hold"),
        ("bradycardia_treated", "hold"),
        ("sinus", "clear"),
        ("sinus_tachycardia", "clear"),
    ],
)
def test_arrhythmia_latest_rhythm(rhythm, expected):
    assert outcome(assess(o("07:10", "rhythm", rhythm)), "arrhythmia") == expected


def test_arrhythmia_back_to_sinus_is_resolved():
    assessment = assess(o("03:00", "rhythm", "afib"), o("07:10", "rhythm", "sinus"))
    assert outcome(assessment, "arrhythmia") == "resolved"
    assert assessment.status == "clear"


def test_arrhythmia_in_the_interval_without_a_restart_rhythm_is_still_a_hold():
    # afib at 03:00; the latest rhythm is still treated bradycardia: not sinus
    assessment = assess(o("03:00", "rhythm", "afib"), o("07:10", "rhythm", "bradycardia_treated"))
    assert outcome(assessment, "arrhythmia") == "hold"


# ------------------------------------------------------------------ hypoxia


@pytest.mark.parametrize(("spo2", "expected"), [(89, "hold"), (90, "clear"), (91, "clear")])
def test_hypoxia_boundary(spo2, expected):
    assert outcome(assess(o("07:15", "spo2", spo2)), "hypoxia") == expected


def test_hypoxia_88_then_90_is_still_a_hold_under_a_restart_above_90():
    assessment = assess(o("05:00", "spo2", 88), o("07:15", "spo2", 90))
    assert outcome(assessment, "hypoxia") == "hold"
    assert "latest spo2 > 90 %" in finding(assessment, "hypoxia").restart


def test_hypoxia_88_then_91_is_resolved():
    assessment = assess(o("05:00", "spo2", 88), o("07:15", "spo2", 91))
    assert outcome(assessment, "hypoxia") == "resolved"
    assert assessment.status == "clear"


def test_hypoxia_stale_is_incomplete():
    assessment = assess(earlier("2026-03-04 01:00", "spo2", 97), skip=("spo2",))
    assert outcome(assessment, "hypoxia") == "incomplete"


# ------------------------------------------------------------------ mental status


@pytest.mark.parametrize(
    ("status", "expected"),
    [("moderate", "hold"), ("severe", "hold"), ("mild", "clear"), ("normal", "clear")],
)
def test_mental_status_latest(status, expected):
    assert outcome(assess(o("07:10", "mental_status", status)), "mental_status") == expected


def test_mental_status_must_resolve_completely():
    assert (
        outcome(
            assess(o("02:00", "mental_status", "moderate"), o("07:10", "mental_status", "mild")),
            "mental_status",
        )
        == "hold"
    )
    assert (
        outcome(
            assess(o("02:00", "mental_status", "moderate"), o("07:10", "mental_status", "normal")),
            "mental_status",
        )
        == "resolved"
    )


def test_mental_status_missing_is_incomplete():
    assert outcome(assess(skip=("mental_status",)), "mental_status") == "incomplete"


# ------------------------------------------------------------------ stool blood


def test_stool_blood_positive_earlier_in_the_cycle_holds():
    assessment = assess(earlier("2026-03-02 20:00", "stool_blood", "positive"))
    assert outcome(assessment, "stool_blood") == "hold"


def test_stool_blood_later_negative_restarts():
    assessment = assess(
        earlier("2026-03-02 20:00", "stool_blood", "positive"),
        earlier("2026-03-03 20:00", "stool_blood", "negative"),
    )
    assert outcome(assessment, "stool_blood") == "resolved"
    assert assessment.status == "clear"


def test_stool_blood_negative_is_clear():
    assert outcome(assess(o("06:00", "stool_blood", "negative")), "stool_blood") == "clear"


# ------------------------------------------------------------------ creatinine


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([("creatinine", 4.6)], "hold"),  # > 4.5
        ([("creatinine", 4.5)], "clear"),  # not > 4.5, no qualifier
        ([("creatinine", 4.0), ("bicarbonate", 17.9)], "hold"),  # >= 4.0 with acidosis
        ([("creatinine", 4.0), ("bicarbonate", 18)], "clear"),  # bicarbonate < 18 is strict
        ([("creatinine", 3.99), ("bicarbonate", 15)], "clear"),  # below 4.0
        ([("creatinine", 4.0), ("potassium", 5.6)], "hold"),  # hyperkalaemia
        ([("creatinine", 4.0), ("potassium", 5.5)], "clear"),
        ([("creatinine", 4.0), ("weight", 88)], "hold"),  # 10 % over 80 kg
        ([("creatinine", 4.0), ("weight", 87.9)], "clear"),
    ],
)
def test_creatinine_thresholds_and_qualifiers(readings, expected):
    assessment = assess(*[o("06:30", name, value) for name, value in readings])
    assert outcome(assessment, "creatinine") == expected


def test_creatinine_hold_until_below_4_with_no_qualifier():
    still = assess(o("01:00", "creatinine", 4.6), o("06:30", "creatinine", 4.2))
    assert outcome(still, "creatinine") == "hold"
    recovered = assess(o("01:00", "creatinine", 4.6), o("06:30", "creatinine", 3.9))
    assert outcome(recovered, "creatinine") == "resolved"


def test_creatinine_interpretation_is_shown():
    item = finding(assess(o("06:30", "creatinine", 4.6)), "creatinine", "hold")
    assert item.interpretation and "bicarbonate < 18" in item.interpretation


def test_creatinine_older_than_24_hours_is_incomplete():
    assessment = assess(earlier("2026-03-03 07:00", "creatinine", 1.0), skip=("creatinine",))
    assert outcome(assessment, "creatinine") == "incomplete"


# ------------------------------------------------------------------ oliguria


def _urine(per_hour, first="2026-03-02 08:00", last="2026-03-04 07:00"):
    from tests.clinical import hourly

    return hourly("P1", "urine_output", per_hour, first, last)


def test_oliguria_low_urine_with_rising_creatinine_holds():
    assessment = assess(*_urine(9), o("06:30", "creatinine", 1.4), skip=("urine_output",))
    assert outcome(assessment, "oliguria") == "hold"


def test_oliguria_rate_exactly_10_is_clear():
    assessment = assess(*_urine(10), o("06:30", "creatinine", 1.4), skip=("urine_output",))
    assert outcome(assessment, "oliguria") == "clear"


def test_oliguria_needs_creatinine_rising():
    assessment = assess(*_urine(9), skip=("urine_output",))  # creatinine 1.0 then 1.0
    assert outcome(assessment, "oliguria") == "clear"


def test_oliguria_restart_needs_urine_and_creatinine_normalised():
    # 5 mL/h until 02:00 with creatinine rising at 01:00 (oliguria met in the interval);
    # then 50 mL/h from 03:00
    urine = _urine(5, last="2026-03-04 02:00") + _urine(50, first="2026-03-04 03:00")
    recovered = assess(
        *urine, o("01:00", "creatinine", 2.0), o("06:30", "creatinine", 1.0), skip=("urine_output",)
    )
    assert outcome(recovered, "oliguria") == "resolved"
    not_yet = assess(
        *urine, o("01:00", "creatinine", 2.0), o("06:30", "creatinine", 1.9), skip=("urine_output",)
    )
    assert outcome(not_yet, "oliguria") == "hold"  # fell only 0.1 from its peak


def test_oliguria_insufficient_history_is_informational():
    # urine charted only since 2026-03-03 22:00: a 16-h window cannot be established
    assessment = assess(*_urine(100, first="2026-03-03 22:00"), skip=("urine_output",))
    assert outcome(assessment, "oliguria") == "info"
    assert "insufficient history" in finding(assessment, "oliguria").rule
    assert assessment.status == "clear"


def test_oliguria_urine_output_stale_is_incomplete():
    assessment = assess(*_urine(100, last="2026-03-04 03:00"), skip=("urine_output",))
    assert outcome(assessment, "oliguria") == "incomplete"


# ------------------------------------------------------------------ events with a restart


@pytest.mark.parametrize("code", ["sepsis", "bullous_dermatitis"])
def test_event_holds_until_resolved(code):
    assert outcome(assess(o("05:00", "event", code)), code) == "hold"
    assert outcome(assess(earlier("2026-03-02 12:00", "event", code)), code) == "hold"
    resolved = assess(o("01:00", "event", code), o("06:00", "event_resolved", code))
    assert outcome(resolved, code) == "resolved"
    long_ago = assess(
        earlier("2026-03-02 12:00", "event", code),
        earlier("2026-03-02 20:00", "event_resolved", code),
    )
    assert outcome(long_ago, code) == "clear"


def test_absence_of_events_is_not_missing_data():
    assessment = assess()
    assert outcome(assessment, "sepsis") == "clear"


# ------------------------------------------------------------------ stop the cycle


def test_hepatic_failure_stops_the_rest_of_the_cycle():
    doses = review(earlier("2026-03-03 10:00", "event", "hepatic_failure"))
    statuses = {d.dose_number: d.status for d in doses}
    assert statuses[4] != "stop_cycle"  # due 2026-03-03 08:00, before the event
    assert all(statuses[n] == "stop_cycle" for n in range(5, 15))  # from 16:00 on


def test_hepatic_failure_stays_for_the_cycle_even_if_resolved():
    doses = review(
        earlier("2026-03-03 10:00", "event", "hepatic_failure"),
        earlier("2026-03-03 20:00", "event_resolved", "hepatic_failure"),
    )
    assert {d.status for d in doses if d.dose_number >= 5} == {"stop_cycle"}


# ------------------------------------------------------------------ discontinue


@pytest.mark.parametrize(
    ("criterion", "parameter", "code"),
    [
        ("ventricular_tachycardia", "rhythm", "vt_sustained"),
        ("uncontrolled_arrhythmia", "rhythm", "uncontrolled"),
        ("cardiac_ischemia", "event", "ecg_ischemia"),
        ("cardiac_ischemia", "event", "chest_pain"),
        ("cardiac_tamponade", "event", "cardiac_tamponade"),
        ("bowel_ischemia_or_perforation", "event", "bowel_ischemia"),
        ("bowel_ischemia_or_perforation", "event", "bowel_perforation"),
        ("gi_bleeding_surgery", "event", "gi_bleed_surgery"),
    ],
)
def test_discontinue_on_a_single_charting_any_time_in_the_course(criterion, parameter, code):
    # charted on day 1, followed by normal readings: still discontinue for the course
    assessment = assess(earlier("2026-03-02 12:00", parameter, code))
    assert outcome(assessment, criterion) == "discontinue"
    assert assessment.status == "discontinue"


@pytest.mark.parametrize(
    ("criterion", "parameter", "code", "hours", "expected"),
    [
        ("prolonged_intubation", "o2_device", "intubated", 72.5, "discontinue"),
        ("prolonged_intubation", "o2_device", "intubated", 72, "clear"),  # > 72 h is strict
        ("dialysis", "event", "dialysis", 73, "discontinue"),
        ("dialysis", "event", "dialysis", 71, "clear"),
        ("coma_or_psychosis", "event", "coma", 49, "discontinue"),
        ("coma_or_psychosis", "event", "toxic_psychosis", 48, "clear"),
    ],
)
def test_continuing_states(criterion, parameter, code, hours, expected):
    import pandas as pd

    start = pd.Timestamp("2026-03-04 07:30") - pd.Timedelta(hours=hours)
    reading = earlier(start.strftime("%Y-%m-%d %H:%M"), parameter, code)
    skip = ("o2_device",) if parameter == "o2_device" else ()
    assert outcome(assess(reading, skip=skip), criterion) == expected


@pytest.mark.parametrize(
    "psychosis",
    [
        # | coma from 2026-03-02 06:00, never resolved (49.5 h at T = 2026-03-04 07:30) |
        ("2026-03-03 06:00", "2026-03-03 12:00"),  # a psychosis starts and resolves meanwhile
        ("2026-03-04 00:00", None),  # a psychosis starts later, still running
    ],
)
def test_a_coma_still_running_is_not_hidden_by_a_later_psychosis(psychosis):
    start, resolved = psychosis
    readings = [
        earlier("2026-03-02 06:00", "event", "coma"),
        earlier(start, "event", "toxic_psychosis"),
    ]
    if resolved:
        readings.append(earlier(resolved, "event_resolved", "toxic_psychosis"))
    assessment = assess(*readings)
    assert outcome(assessment, "coma_or_psychosis") == "discontinue"
    assert assessment.status == "discontinue"


def test_dialysis_resolved_before_72_hours_does_not_discontinue():
    assessment = assess(
        earlier("2026-03-01 06:00", "event", "dialysis"),
        earlier("2026-03-03 06:00", "event_resolved", "dialysis"),
    )  # 48 h
    assert outcome(assessment, "dialysis") == "clear"


def test_dialysis_that_lasted_more_than_72_hours_stays_met_after_resolution():
    assessment = assess(
        earlier("2026-02-27 06:00", "event", "dialysis"),
        earlier("2026-03-03 06:00", "event_resolved", "dialysis"),
    )  # 96 h
    assert outcome(assessment, "dialysis") == "discontinue"


def test_extubated_before_72_hours_does_not_discontinue():
    assessment = assess(
        earlier("2026-03-01 06:00", "o2_device", "intubated"),
        earlier("2026-03-03 06:00", "o2_device", "nasal_cannula"),
        skip=("o2_device",),
    )
    assert outcome(assessment, "prolonged_intubation") == "clear"


@pytest.mark.parametrize(("seizures", "expected"), [(1, "clear"), (2, "discontinue")])
def test_seizures_two_or_more_in_the_course(seizures, expected):
    readings = [earlier(f"2026-03-0{2 + i} 12:00", "event", "seizure") for i in range(seizures)]
    assessment = assess(*readings)
    assert outcome(assessment, "seizures") == expected
    if expected == "discontinue":
        assert finding(assessment, "seizures").interpretation


def test_discontinue_outranks_everything():
    assessment = assess(o("07:15", "sbp", 80), earlier("2026-03-02 12:00", "event", "chest_pain"))
    assert assessment.status == "discontinue"
    assert [f.outcome for f in assessment.findings][:2] == ["discontinue", "hold"]


def test_urine_from_a_previous_cycle_does_not_fill_the_window_after_readmission():
    # Cycle 1 ended two weeks ago with hourly urine charted; the patient went home and was
    # readmitted 4 h before cycle 2 dose 1, charting 30 mL/h since. Over the label's 16 h
    # window only 4 h are this admission's: oliguria cannot be established (information),
    # and the days at home must never read as "no urine".
    from dashboard.assessment import assess_next_doses
    from tests.scenarios import course, patient, series, utc, ward

    cycle_1 = course("P1", "2026-02-16 08:00", given=10, doses=10, cycle=1)
    cycle_2 = course("P1", "2026-03-02 08:00", given=0, doses=14, cycle=2)
    urine_cycle_1 = series(
        "P1", "urine_output", [(f"2026-02-19 {hour:02d}:00", 100) for hour in range(0, 12)]
    )
    urine_now = series(
        "P1", "urine_output", [(f"2026-03-02 0{hour}:00", 30) for hour in range(4, 8)]
    )
    vitals = [
        *series("P1", "sbp", [("2026-03-02 07:30", 118)]),
        *series("P1", "spo2", [("2026-03-02 07:30", 97)]),
        *series("P1", "mental_status", [("2026-03-02 07:30", "normal")]),
        *series("P1", "creatinine", [("2026-02-19 06:00", 1.1), ("2026-03-02 06:00", 1.3)]),
    ]
    ward_data = ward([patient("P1")], [*cycle_1, *cycle_2], [*urine_cycle_1, *urine_now, *vitals])
    (assessment,) = assess_next_doses(ward_data, utc("2026-03-02 07:45"))
    assert (assessment.cycle, assessment.dose_number) == (2, 1)
    oliguria = [f for f in assessment.findings if f.criterion == "oliguria"]
    assert [f.outcome for f in oliguria] == ["info"]
    assert "insufficient history" in oliguria[0].rule
    assert assessment.status == "clear"
