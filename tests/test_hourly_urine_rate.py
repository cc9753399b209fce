"""criteria.md section 2, "An hourly urine rate": community-2015's "10-20 mL/h over the last
hour" (hold) and "< 10 mL/h" (stop the cycle) are the rate of the latest charting period:
the latest entry's volume / the hours since the entry before it, the latest entry within
the parameter's freshness. A literal one-hour window reads 0 mL/h between two-hourly entries.

Background: tests/clinical.py (dose 7 assessed 2026-03-04 07:30).
"""

import pytest

from dashboard.errors import ProtocolError
from dashboard.protocols import load_protocol
from dashboard.protocols.models import parse_protocol_text
from dashboard.protocols.rules import LatestRate
from tests.clinical import assess, finding, hourly, outcome
from tests.scenarios import obs


def every_2_hours(volume, last="2026-03-04 06:00"):
    """| time                                   | urine_output |
    | 2026-03-02 08:00, 10:00, ... 2026-03-04 06:00 | volume |  (rate = volume / 2 per hour)
    At 07:30 the literal window of the last hour, (06:30, 07:30], holds no entry."""
    import pandas as pd

    times = pd.date_range("2026-03-02 08:00", last, freq="2h", tz="UTC")
    return [obs("P1", t.strftime("%Y-%m-%d %H:%M"), "urine_output", volume) for t in times]


def community(*readings):
    return assess(*readings, protocol="community-2015", skip=("urine_output",))


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        (60, "clear"),  # 30 mL/h; 8-h total 240 mL
        (40, "hold"),  # 20 mL/h (10-20: hold); 8-h total 160 mL is also the hold band
        (30, "hold"),  # 15 mL/h: hold (a literal 1-h window would read 0 -> stop)
        (18, "stop_cycle"),  # 9 mL/h: < 10 stops the cycle (and 72 mL in 8 h < 80)
    ],
)
def test_entries_every_2_hours(volume, expected):
    assert outcome(community(*every_2_hours(volume)), "urine_output") == expected


def test_a_good_latest_period_after_low_ones_in_the_interval_is_resolved():
    # 30 mL every 2 h until 04:00 (15 mL/h at 00:00, 02:00, 04:00: in the interval), then
    # 300 mL at 06:00: the latest period is 04:00-06:00, 150 mL/h; 8-h total 390 mL
    readings = [
        *every_2_hours(30, "2026-03-04 04:00"),
        obs("P1", "2026-03-04 06:00", "urine_output", 300),
    ]
    assert outcome(community(*readings), "urine_output") == "resolved"
    rate_rule = load_protocol("community-2015").criterion("urine_output")
    assert any(isinstance(node, LatestRate) for g in rate_rule.grades for node in g.trigger.walk())


def test_a_rate_finding_shows_the_rate_and_the_period():
    # 100 mL every hour until 05:00, then 30 mL at 07:00: 15 mL/h over 05:00-07:00, while
    # the 8-h total (630 mL) is not low: the hold rests on the rate
    readings = [
        *hourly("P1", "urine_output", 100, "2026-03-02 08:00", "2026-03-04 05:00"),
        obs("P1", "2026-03-04 07:00", "urine_output", 30),
    ]
    item = finding(community(*readings), "urine_output", "hold")
    assert (item.value, item.unit) == (15, "mL/h")
    assert "30 mL in 2 h since the entry at" in item.detail


def test_a_stale_latest_entry_gives_no_rate():
    # 18 mL every 2 h until 02:00, nothing since: the latest entry is 5 h 30 min old
    # (freshness 4 h): no rate is read from it; the criterion is incomplete
    assessment = community(*every_2_hours(18, "2026-03-04 02:00"))
    assert "incomplete" in {f.outcome for f in assessment.findings if f.criterion == "urine_output"}


def test_latest_rate_is_parsed_strictly():
    text = """
id: x
title: x
version: "1"
review: {reviewed_by: x, date_reviewed: 2026-01-01}
dosing: {dose_iu_per_kg: 600000, interval_hours: 8, doses_per_cycle: 14, cycles: 2,
         max_doses_per_course: 28}
references: {R: {citation: c, short: s}}
criteria:
  - id: u
    title: u
    system: renal
    outcome: hold
    trigger: {latest_rate: urine_output, op: "<", value: 10, unit: mL/h, hours: 1}
    source: {refs: [R]}
    interpretation: null
    review: {reviewed_by: x, date_reviewed: 2026-01-01}
"""
    with pytest.raises(ProtocolError, match="hours"):
        parse_protocol_text(text)
    with pytest.raises(ProtocolError, match="mL/h"):
        parse_protocol_text(text.replace(", hours: 1", "").replace("unit: mL/h", "unit: mL"))
    parsed = parse_protocol_text(text.replace(", hours: 1", ""))
    rule = parsed.criterion("u").grades[0].trigger
    assert rule.describe() == (
        "urine_output rate over its latest charting period (the latest "
        "entry / the hours since the one before) < 10 mL/h"
    )


def test_the_first_entry_of_an_admission_has_no_rate_from_the_last_admission():
    # Cycle 2 starts 2026-03-16 08:00 after days at home. Cycle 1's last urine entry is
    # 2026-03-06 06:00; the first of cycle 2 is 300 mL at 2026-03-16 07:00. Over the 241 h
    # between them that would read 1.2 mL/h (a stop); those days are not charted, so the
    # entry has no period in this admission and gives no rate.
    from dashboard.assessment import assess_next_doses
    from tests.scenarios import course, patient, utc, ward

    doses = course("P1", "2026-03-02 08:00", given=14, doses=14) + course(
        "P1", "2026-03-16 08:00", doses=14, cycle=2
    )
    readings = [
        obs("P1", "2026-03-06 06:00", "urine_output", 100),
        obs("P1", "2026-03-16 07:00", "urine_output", 300),
    ]
    (assessment,) = assess_next_doses(
        ward([patient("P1")], doses, readings),
        utc("2026-03-16 07:30"),
        load_protocol("community-2015"),
    )
    assert (assessment.cycle, assessment.dose_number) == (2, 1)
    assert "stop_cycle" not in {
        f.outcome for f in assessment.findings if f.criterion == "urine_output"
    }
