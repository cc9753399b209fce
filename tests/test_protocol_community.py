"""Protocol `community-2015` (criteria.md section 5): the consensus criteria with its own
exceptions, and the two count rules.

Background: tests/clinical.py (normal, fresh; dose 7 due 08:00, assessed 07:30).
"""

import pytest

from tests.clinical import assess, finding, hourly, outcome
from tests.scenarios import obs

COMMUNITY = "community-2015"


def o(time, parameter, value):
    return obs("P1", f"2026-03-04 {time}", parameter, value)


def community(*readings, **kwargs):
    return assess(*readings, protocol=COMMUNITY, **kwargs)


@pytest.mark.parametrize(
    ("heart_rate", "expected"), [(119, "clear"), (120, "hold"), (130, "hold"), (131, "stop_cycle")]
)
def test_sinus_tachycardia_band_120_to_130(heart_rate, expected):
    assert outcome(community(o("07:15", "heart_rate", heart_rate)), "sinus_tachycardia") == expected


@pytest.mark.parametrize("drug", ["phenylephrine", "dopamine", "norepinephrine"])
def test_any_vasopressor_running_stops_the_cycle(drug):
    assert outcome(community(o("07:00", drug, 0.1)), "vasopressor") == "stop_cycle"
    assert outcome(community(o("07:00", drug, 0)), "vasopressor") == "clear"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("normal", "clear"),
        ("mild", "stop_cycle"),
        ("moderate", "stop_cycle"),
        ("severe", "stop_cycle"),
    ],
)
def test_any_mental_status_change_stops_the_cycle(status, expected):
    assert outcome(community(o("07:10", "mental_status", status)), "neuro") == expected


@pytest.mark.parametrize(
    ("last_hour", "expected"), [(9, "stop_cycle"), (10, "hold"), (20, "hold"), (21, "clear")]
)
def test_urine_output_over_the_last_hour(last_hour, expected):
    # 100 mL/h until 06:00 (8-h total far above 160 mL), then the last hour's volume
    urine = hourly("P1", "urine_output", 100, "2026-03-02 08:00", "2026-03-04 06:00")
    urine.append(o("07:00", "urine_output", last_hour))
    # 07:00 entry is the volume since 06:00; the 1-h window (06:30, 07:30] holds just it
    assessment = community(*urine, skip=("urine_output",))
    assert outcome(assessment, "urine_output") == expected


@pytest.mark.parametrize(("per_hour", "expected"), [(9.875, "stop_cycle"), (10, "hold")])
def test_urine_output_over_8_hours_as_the_consensus(per_hour, expected):
    urine = hourly("P1", "urine_output", per_hour, "2026-03-02 08:00", "2026-03-04 07:00")
    assert outcome(community(*urine, skip=("urine_output",)), "urine_output") == expected


@pytest.mark.parametrize(("weight", "expected"), [(91.9, "clear"), (92, "hold")])
def test_weight_gain_of_15_percent_or_more(weight, expected):
    assert outcome(community(o("06:30", "weight", weight)), "weight_gain") == expected


@pytest.mark.parametrize(
    ("name", "parameter", "value", "expected"),
    [
        ("creatinine", "creatinine", 2.5, "hold"),
        ("creatinine", "creatinine", 3.0, "stop_cycle"),
        ("acidosis", "bicarbonate", 18, "hold"),
        ("platelets", "platelets", 29, "stop_cycle"),
        ("platelets", "platelets", 50, "hold"),
        ("bilirubin", "bilirubin", 7.1, "hold"),
        ("oxygen", "o2_flow", 3, "hold"),
        ("oxygen", "o2_flow", 4.1, "stop_cycle"),
        ("stool_blood", "stool_blood", "positive", "hold"),
    ],
)
def test_criteria_as_in_the_consensus(name, parameter, value, expected):
    assert outcome(community(o("06:30", parameter, value)), name) == expected


def test_diarrhea_and_infection_and_arrhythmia_as_in_the_consensus():
    assert (
        outcome(
            community(o("04:00", "diarrhea", 1001), obs("P1", "2026-03-02 09:00", "diarrhea", 0)),
            "diarrhea",
        )
        == "hold"
    )
    assert outcome(community(o("05:00", "event", "sepsis")), "infection") == "stop_cycle"
    assert outcome(community(o("05:00", "rhythm", "afib")), "arrhythmia") == "stop_cycle"


# ------------------------------------------------------------------ count rules


def test_three_relative_criteria_at_one_assessment_stop_the_cycle():
    assessment = community(
        o("06:30", "bilirubin", 8), o("06:30", "bicarbonate", 17), o("06:30", "platelets", 40)
    )
    item = finding(assessment, "three_relative_criteria", "stop_cycle")
    assert assessment.status == "stop_cycle"
    assert item.value == 3
    assert "acidosis" in item.detail and "platelets" in item.detail
    assert item.interpretation and "simultaneous" in item.interpretation


def test_two_relative_criteria_are_two_holds():
    assessment = community(o("06:30", "bilirubin", 8), o("06:30", "bicarbonate", 17))
    assert outcome(assessment, "three_relative_criteria") == "clear"
    assert assessment.status == "hold"


def test_relative_criteria_at_different_doses_are_not_simultaneous():
    # two at dose 5 (resolved since), one at dose 7: not three at one assessment
    assessment = community(
        obs("P1", "2026-03-03 15:00", "bilirubin", 8),
        obs("P1", "2026-03-03 15:00", "bicarbonate", 17),
        obs("P1", "2026-03-03 17:00", "bilirubin", 1),
        obs("P1", "2026-03-03 17:00", "bicarbonate", 24),
        o("06:30", "platelets", 40),
    )
    assert outcome(assessment, "three_relative_criteria") == "clear"


def test_cumulative_mode_counts_relative_criteria_over_the_cycle(tmp_path):
    from dashboard.protocols import PROTOCOL_DIR

    text = (PROTOCOL_DIR / "community-2015.yaml").read_text()
    text = text.replace("mode: simultaneous", "mode: cumulative").replace(
        "id: community-2015", "id: community-2015-cumulative"
    )
    site = tmp_path / "community-cumulative.yaml"
    site.write_text(text)
    assessment = assess(
        obs("P1", "2026-03-03 15:00", "bilirubin", 8),
        obs("P1", "2026-03-03 15:00", "bicarbonate", 17),
        obs("P1", "2026-03-03 17:00", "bilirubin", 1),
        obs("P1", "2026-03-03 17:00", "bicarbonate", 24),
        o("06:30", "platelets", 40),
        protocol=str(site),
    )
    assert outcome(assessment, "three_relative_criteria") == "stop_cycle"


@pytest.mark.parametrize(("held", "expected"), [((4, 5), "clear"), ((3, 4, 5), "stop_cycle")])
def test_dose_held_on_three_occasions_in_the_cycle(held, expected):
    assessment = community(given=6, held=held)
    assert outcome(assessment, "three_doses_held") == expected
