"""criteria.md section 7: a watch criterion is raised only on fresh data; when its
parameter's latest value is not fresh, the protocol's own `incomplete` finding says so
instead. The freshness is data: each watch criterion's `required` (creatinine 24 h, urine
output 4 h) gates it; it never emits an `incomplete` of its own.

Background: tests/clinical.py (dose 7 assessed 2026-03-04 07:30; baseline creatinine 1.0).
"""

import pytest

from dashboard.protocols import load_protocol
from tests.clinical import assess, hourly, outcome
from tests.scenarios import obs

ALL = ["proleukin-label", "cwg-consensus-2014", "community-2015", "til-2024"]


@pytest.mark.parametrize("protocol", ALL)
def test_watch_criteria_carry_their_freshness_as_data(protocol):
    loaded = load_protocol(protocol)
    assert [
        (r.parameter, r.fresh_hours) for r in loaded.criterion("creatinine_rising").required
    ] == [("creatinine", 24)]
    assert [
        (r.parameter, r.fresh_hours) for r in loaded.criterion("urine_output_low").required
    ] == [("urine_output", 4)]


@pytest.mark.parametrize("protocol", ALL)
@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("2026-03-03 05:30", "clear"),  # 26 h old: no KDIGO watch
        ("2026-03-03 07:30", "watch"),  # 24 h old: fresh (the limit is inclusive)
    ],
)
def test_kdigo_watch_only_on_a_fresh_creatinine(protocol, time, expected):
    # | time             | creatinine |  baseline 1.0: 2.1 is 2.1 x baseline (KDIGO 2)
    # | 2026-03-02 06:00 | 1.0        |
    # | time             | 2.1        |
    assessment = assess(
        obs("P1", "2026-03-02 06:00", "creatinine", 1.0),
        obs("P1", time, "creatinine", 2.1),
        protocol=protocol,
        skip=("creatinine",),
    )
    assert outcome(assessment, "creatinine_rising") == expected
    watch_outcomes = {
        f.outcome
        for f in assessment.findings
        if f.criterion in ("creatinine_rising", "urine_output_low")
    }
    assert "incomplete" not in watch_outcomes  # a watch never says incomplete itself
    if expected == "clear":  # the protocol's own creatinine criterion says it instead
        assert "incomplete" in {
            f.outcome for f in assessment.findings if f.parameter == "creatinine"
        }


@pytest.mark.parametrize("protocol", ALL)
def test_low_urine_watch_only_on_fresh_urine(protocol):
    # 20 mL/h (0.25 mL/kg/h for 80 kg) charted hourly until 02:00, then nothing: at 07:30
    # the latest entry is 5 h 30 min old (freshness 4 h): no watch, the status unchanged
    urine = hourly("P1", "urine_output", 20, "2026-03-02 08:00", "2026-03-04 02:00")
    stale = assess(*urine, protocol=protocol, skip=("urine_output",))
    assert outcome(stale, "urine_output_low") == "clear"
    fresh = assess(
        *hourly("P1", "urine_output", 20, "2026-03-02 08:00", "2026-03-04 07:00"),
        protocol=protocol,
        skip=("urine_output",),
    )
    assert outcome(fresh, "urine_output_low") == "watch"
