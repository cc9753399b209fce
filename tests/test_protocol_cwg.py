"""Protocol `cwg-consensus-2014` (criteria.md section 4): relative criteria hold the dose,
absolute criteria stop the cycle. Ranges "a-b" include both ends.

Background: tests/clinical.py (normal, fresh; dose 7 due 08:00, assessed 07:30).
"""

import pytest

from tests.clinical import assess, finding, hourly, outcome
from tests.scenarios import obs

CWG = "cwg-consensus-2014"


def o(time, parameter, value):
    return obs("P1", f"2026-03-04 {time}", parameter, value)


def cwg(*readings, **kwargs):
    return assess(*readings, protocol=CWG, **kwargs)


@pytest.mark.parametrize(
    ("heart_rate", "expected"),
    [(99, "clear"), (100, "hold"), (115, "hold"), (130, "hold"), (131, "stop_cycle")],
)
def test_sinus_tachycardia(heart_rate, expected):
    assessment = cwg(o("07:15", "heart_rate", heart_rate))
    assert outcome(assessment, "sinus_tachycardia") == expected
    assert assessment.status == expected


def test_sinus_tachycardia_missing_heart_rate_is_incomplete():
    assert outcome(cwg(skip=("heart_rate",)), "sinus_tachycardia") == "incomplete"


@pytest.mark.parametrize(
    ("parameter", "code", "expected"),
    [
        ("rhythm", "afib", "stop_cycle"),
        ("rhythm", "svt", "stop_cycle"),
        ("rhythm", "vt_sustained", "stop_cycle"),
        ("rhythm", "uncontrolled", "stop_cycle"),
        ("rhythm", "bradycardia_treated", "clear"),
        ("event", "ecg_ischemia", "stop_cycle"),
    ],
)
def test_arrhythmia_in_the_cycle_stops_it(parameter, code, expected):
    # charted on day 1 of the cycle, sinus since
    assessment = cwg(obs("P1", "2026-03-02 12:00", parameter, code))
    assert outcome(assessment, "arrhythmia") == expected


def test_arrhythmia_in_the_previous_cycle_does_not_stop_this_one():
    from tests.scenarios import course

    doses = course("P1", "2026-02-16 08:00", given=14) + course(
        "P1", "2026-03-02 08:00", cycle=2, given=6
    )
    assessment = cwg(obs("P1", "2026-02-17 12:00", "rhythm", "afib"), doses=doses)
    assert outcome(assessment, "arrhythmia") == "clear"


@pytest.mark.parametrize(
    ("per_hour", "expected"),
    [
        (9.875, "stop_cycle"),  # 79 mL in 8 h
        (10, "hold"),  # 80 mL
        (20, "hold"),  # 160 mL
        (20.125, "clear"),  # 161 mL
    ],
)
def test_urine_output_over_8_hours(per_hour, expected):
    urine = hourly("P1", "urine_output", per_hour, "2026-03-02 08:00", "2026-03-04 07:00")
    assessment = cwg(*urine, skip=("urine_output",))
    assert outcome(assessment, "urine_output") == expected


def test_urine_output_stale_is_incomplete():
    urine = hourly("P1", "urine_output", 100, "2026-03-02 08:00", "2026-03-04 03:00")
    assert outcome(cwg(*urine, skip=("urine_output",)), "urine_output") == "incomplete"


@pytest.mark.parametrize(
    ("creatinine", "expected"),
    [(2.49, "clear"), (2.5, "hold"), (2.99, "hold"), (3.0, "stop_cycle"), (3.5, "stop_cycle")],
)
def test_creatinine(creatinine, expected):
    assert outcome(cwg(o("06:30", "creatinine", creatinine)), "creatinine") == expected


@pytest.mark.parametrize(("bicarbonate", "expected"), [(18, "hold"), (18.1, "clear")])
def test_acidosis(bicarbonate, expected):
    assert outcome(cwg(o("06:30", "bicarbonate", bicarbonate)), "acidosis") == expected


@pytest.mark.parametrize(("weight", "expected"), [(92, "clear"), (92.1, "hold")])
def test_weight_gain_over_15_percent(weight, expected):  # baseline 80 kg: 15 % = 92 kg
    assert outcome(cwg(o("06:30", "weight", weight)), "weight_gain") == expected


def test_weight_older_than_30_hours_is_incomplete():
    stale = obs("P1", "2026-03-03 01:00", "weight", 80)
    assert outcome(cwg(stale, skip=("weight",)), "weight_gain") == "incomplete"


@pytest.mark.parametrize(
    ("platelets", "expected"), [(29, "stop_cycle"), (30, "hold"), (50, "hold"), (51, "clear")]
)
def test_platelets(platelets, expected):
    assert outcome(cwg(o("06:30", "platelets", platelets)), "platelets") == expected


@pytest.mark.parametrize(("bilirubin", "expected"), [(7, "clear"), (7.1, "hold")])
def test_bilirubin(bilirubin, expected):
    assert outcome(cwg(o("06:30", "bilirubin", bilirubin)), "bilirubin") == expected


@pytest.mark.parametrize(
    ("latest", "expected"), [(0.5, "clear"), (0.51, "hold"), (0.8, "hold"), (0.81, "stop_cycle")]
)
def test_phenylephrine_at_dosing(latest, expected):
    assert outcome(cwg(o("07:00", "phenylephrine", latest)), "vasopressor") == expected


@pytest.mark.parametrize(
    ("maximum", "expected"), [(0.99, "clear"), (1.0, "hold"), (1.5, "hold"), (1.6, "stop_cycle")]
)
def test_phenylephrine_maximum_in_the_interval(maximum, expected):
    assessment = cwg(o("02:00", "phenylephrine", maximum), o("07:00", "phenylephrine", 0.3))
    assert outcome(assessment, "vasopressor") == expected


def test_phenylephrine_maximum_before_the_interval_does_not_count():
    # 1.2 in dose 6's interval (a hold for dose 6, not sticky); dose 7's interval from 00:00
    assessment = cwg(
        obs("P1", "2026-03-03 22:00", "phenylephrine", 1.2),
        obs("P1", "2026-03-03 23:00", "phenylephrine", 0.3),
    )
    assert outcome(assessment, "vasopressor") == "clear"


@pytest.mark.parametrize(("rate_before", "expected"), [(1.2, "hold"), (0.9, "clear")])
def test_a_rate_charted_before_the_interval_is_in_force_in_it(rate_before, expected):
    # Dose 6 due 2026-03-04 00:00 but given at 01:00: dose 7's interval starts at 01:00.
    # | time             | phenylephrine |
    # | 2026-03-04 00:30 | rate_before   |  <- after dose 6's check, before the interval
    # | 2026-03-04 06:00 | 0.3           |  <- weaned inside it
    # The infusion ran at rate_before from 01:00 to 06:00: the maximum in the interval is
    # rate_before (relative band 1.0-1.5 -> hold), not the 0.3 charted in it.
    from dashboard.assessment import assess_next_doses
    from dashboard.protocols import load_protocol
    from tests.scenarios import course, dose, patient, utc, ward

    doses = course("P1", "2026-03-02 08:00", given=5, doses=14)
    doses[5] = dose("P1", 1, 6, "2026-03-04 00:00", "given", "2026-03-04 01:00")
    readings = [
        obs("P1", "2026-03-04 07:00", name, value)
        for name, value in (
            ("sbp", 120),
            ("heart_rate", 80),
            ("mental_status", "normal"),
            ("creatinine", 1.0),
            ("urine_output", 400),
            ("weight", 80),
        )
    ]
    readings += [
        obs("P1", "2026-03-04 00:30", "phenylephrine", rate_before),
        obs("P1", "2026-03-04 06:00", "phenylephrine", 0.3),
    ]
    (assessment,) = assess_next_doses(
        ward([patient("P1")], doses, readings),
        utc("2026-03-04 07:30"),
        load_protocol("cwg-consensus-2014"),
    )
    assert outcome(assessment, "vasopressor") == expected


def test_absolute_phenylephrine_at_an_earlier_dose_stops_the_cycle():
    # 1.6 before dose 6 (due 00:00): absolute at dose 6, so stop for the rest of the cycle
    assessment = cwg(
        obs("P1", "2026-03-03 22:00", "phenylephrine", 1.6),
        obs("P1", "2026-03-03 23:00", "phenylephrine", 0.3),
    )
    assert outcome(assessment, "vasopressor") == "stop_cycle"
    assert "cycle 1 dose 6" in finding(assessment, "vasopressor").detail


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([("o2_flow", 2.9)], "clear"),
        ([("o2_flow", 3)], "hold"),
        ([("o2_flow", 4)], "hold"),
        ([("o2_flow", 4.1)], "stop_cycle"),
        ([("o2_device", "mask")], "stop_cycle"),
        ([("o2_device", "high_flow")], "stop_cycle"),
        ([("o2_device", "intubated")], "stop_cycle"),
        ([("o2_device", "nasal_cannula")], "clear"),
    ],
)
def test_oxygen(readings, expected):
    assessment = cwg(*[o("07:10", name, value) for name, value in readings])
    assert outcome(assessment, "oxygen") == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [("normal", "clear"), ("mild", "hold"), ("moderate", "stop_cycle"), ("severe", "stop_cycle")],
)
def test_neuro(status, expected):
    assert outcome(cwg(o("07:10", "mental_status", status)), "neuro") == expected


def test_neuro_missing_is_incomplete():
    assert outcome(cwg(skip=("mental_status",)), "neuro") == "incomplete"


@pytest.mark.parametrize(
    ("previous_8h", "last_8h", "expected"),
    [(0, 1000, "clear"), (0, 1001, "hold"), (1000, 1001, "hold"), (1001, 1001, "stop_cycle")],
)
def test_diarrhea(previous_8h, last_8h, expected):
    readings = []
    if previous_8h:
        readings.append(obs("P1", "2026-03-03 20:00", "diarrhea", previous_8h))
    readings.append(o("04:00", "diarrhea", last_8h))
    # records from the start of the course, so both windows are established
    readings.append(obs("P1", "2026-03-02 09:00", "diarrhea", 0))
    assert outcome(cwg(*readings), "diarrhea") == expected


def test_stool_blood_positive_holds():
    assert outcome(cwg(o("06:00", "stool_blood", "positive")), "stool_blood") == "hold"
    assert outcome(cwg(o("06:00", "stool_blood", "negative")), "stool_blood") == "clear"


def test_sepsis_stops_the_cycle():
    assessment = cwg(o("05:00", "event", "sepsis"), o("06:00", "event_resolved", "sepsis"))
    assert outcome(assessment, "infection") == "stop_cycle"  # once met, for the cycle


def test_relative_criterion_recovered_since_is_resolved():
    assessment = cwg(o("02:00", "heart_rate", 110), o("07:15", "heart_rate", 90))
    assert outcome(assessment, "sinus_tachycardia") == "resolved"
    assert assessment.status == "clear"


def test_absolute_criterion_stays_for_the_rest_of_the_cycle():
    from tests.clinical import review

    doses = review(
        obs("P1", "2026-03-03 06:00", "heart_rate", 140),
        obs("P1", "2026-03-03 09:00", "heart_rate", 90),
        protocol=CWG,
    )
    by_number = {d.dose_number: d for d in doses}
    assert outcome(by_number[4], "sinus_tachycardia") == "stop_cycle"  # due 03-03 08:00
    later = finding(by_number[10], "sinus_tachycardia", "stop_cycle")
    assert "stays for the rest of the cycle" in later.detail
    assert later.value == 140


@pytest.mark.parametrize(
    ("last_entry", "status", "why"),
    [
        (
            "2026-03-04 01:00",
            "incomplete",
            "30 mL/h charted until 01:00, then nothing: 60 mL in the window",
        ),
        # At the interval's start (dose 6, 00:00) the 8-h total was 150 mL (17:00-21:00, the
        # latest entry 3 h old: fresh), in the 80-160 mL hold band; a stale window at T never
        # reads resolved (criteria.md section 2), so hold and incomplete.
        ("2026-03-03 21:00", "hold", "nothing charted in the 8 h window at all"),
    ],
)
def test_urine_not_charted_to_the_end_of_the_window_is_unknown_not_low(last_entry, status, why):
    # Each entry is the volume since the previous one: hours not yet charted are unknown
    # volume. A stop for "< 80 mL in 8 h" must never rest on a gap in the chart.
    urine = hourly("P1", "urine_output", 30, "2026-03-02 08:00", last_entry)
    assessment = cwg(*urine, skip=("urine_output",))
    assert "incomplete" in {
        f.outcome for f in assessment.findings if f.criterion == "urine_output"
    }, why
    assert outcome(assessment, "urine_output") == status, why
    assert assessment.status == status, why


def test_urine_charted_to_the_end_of_the_window_still_stops_the_cycle_when_low():
    urine = hourly("P1", "urine_output", 5, "2026-03-02 08:00", "2026-03-04 07:00")
    assert outcome(cwg(*urine, skip=("urine_output",)), "urine_output") == "stop_cycle"
