"""criteria.md section 2: diarrhoea is charted only when it happens (like an event). Its
window is established from the patient's first observation of any parameter, a window
with no entry sums to 0, and every entry counts however long before the first dose.

Background: tests/clinical.py (doses 1-6 from 2026-03-02 08:00, dose 7 assessed
2026-03-04 07:30; the patient's first observation is urine at 2026-03-02 08:00).
"""

import pytest

from dashboard.assessment import assess_next_doses
from dashboard.protocols import load_protocol
from dashboard.vocabulary import _parse, load_vocabulary
from tests.clinical import assess, finding, outcome
from tests.scenarios import course, obs, patient, utc, ward


def test_diarrhoea_is_a_parameter_charted_when_it_happens():
    vocabulary = load_vocabulary()
    assert vocabulary["diarrhea"].charted == "when_it_happens"
    assert vocabulary["urine_output"].charted is None


def test_an_unknown_charted_value_is_refused_naming_the_key():
    with pytest.raises(ValueError, match=r"diarrhea\.charted"):
        _parse(
            {"parameters": {"diarrhea": {"unit": "mL", "decimals": 0, "charted": "sometimes"}}},
            "f.yaml",
        )


@pytest.mark.parametrize("protocol", ["cwg-consensus-2014", "community-2015"])
def test_one_entry_of_1200_ml_in_the_last_8_hours_holds(protocol):
    # | time             | diarrhea |
    # | 2026-03-04 04:00 | 1200 mL  |  the only entry: the 8 h before it sum to 0, known
    assessment = assess(obs("P1", "2026-03-04 04:00", "diarrhea", 1200), protocol=protocol)
    assert outcome(assessment, "diarrhea") == "hold"


def test_two_8_hour_periods_over_1000_ml_stop_the_cycle_with_an_entry_before_the_course():
    # | time             | diarrhea |
    # | 2026-02-28 10:00 | 0 mL     |  charted days before the first dose: still counts
    # | 2026-03-03 20:00 | 1100 mL  |  the 8 h from 16 h to 8 h before T
    # | 2026-03-04 04:00 | 1200 mL  |  the last 8 h
    assessment = assess(
        obs("P1", "2026-02-28 10:00", "diarrhea", 0),
        obs("P1", "2026-03-03 20:00", "diarrhea", 1100),
        obs("P1", "2026-03-04 04:00", "diarrhea", 1200),
        protocol="cwg-consensus-2014",
    )
    assert outcome(assessment, "diarrhea") == "stop_cycle"


def test_community_three_relative_criteria_count_diarrhoea():
    assessment = assess(
        obs("P1", "2026-03-04 04:00", "diarrhea", 1200),
        obs("P1", "2026-03-04 06:30", "bilirubin", 8),
        obs("P1", "2026-03-04 06:30", "bicarbonate", 17),
        protocol="community-2015",
    )
    item = finding(assessment, "three_relative_criteria", "stop_cycle")
    assert "diarrhea" in item.detail
    assert assessment.status == "stop_cycle"


def test_no_observation_of_anything_before_the_window_is_insufficient_history():
    # the patient's first observation of any parameter is at 2026-03-04 04:00, after the
    # 8-h window's start (2026-03-03 23:30): the window cannot be established
    data = ward(
        [patient("P1")],
        course("P1", "2026-03-02 08:00", given=6),
        [obs("P1", "2026-03-04 04:00", "diarrhea", 1200)],
    )
    (assessment,) = assess_next_doses(
        data, utc("2026-03-04 07:30"), load_protocol("cwg-consensus-2014")
    )
    assert outcome(assessment, "diarrhea") == "info"
