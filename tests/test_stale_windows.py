"""criteria.md section 2: a restart over a window needs the window's latest entry to be
fresh; a stale window never reads `resolved`, and the default restart "not X" is only met
when X is known not to be met.

Background: tests/clinical.py (TIL: doses 1-5 given, dose 6 due 2026-03-04 08:00, assessed
07:30; interval from dose 5 at 2026-03-04 00:00). Patient 80 kg: the TIL hold is an 8-h
urine total < 4 mL/kg = 320 mL.
"""

from hypothesis import given
from hypothesis import strategies as st

from tests.clinical import assess, hourly, outcome
from tests.scenarios import obs


def low_urine_then_nothing():
    """| time                     | urine_output          | 8-h total at the entry |
    | 2026-03-02 08:00 - 03-03 23:00 | 40 mL every hour | 320 mL (not < 320)     |
    | 2026-03-04 00:00          | 10 mL                 | 290 mL                 |
    | 2026-03-04 01:00          | 10 mL                 | 260 mL  -> hold        |
    then nothing charted: at 07:30 the latest entry is 6 h 30 min old (freshness 4 h)."""
    return [
        *hourly("P1", "urine_output", 40, "2026-03-02 08:00", "2026-03-03 23:00"),
        obs("P1", "2026-03-04 00:00", "urine_output", 10),
        obs("P1", "2026-03-04 01:00", "urine_output", 10),
    ]


def test_til_low_urine_then_no_entry_for_6_hours_is_hold_and_incomplete():
    assessment = assess(*low_urine_then_nothing(), protocol="til-2024", skip=("urine_output",))
    urine = {f.outcome for f in assessment.findings if f.criterion == "urine_output"}
    assert urine == {"hold", "incomplete"}
    assert assessment.status == "hold"


def test_til_low_urine_then_a_fresh_good_window_is_resolved():
    # the same, then 400 mL at 07:00: the 8-h total is 420 mL, fresh -> resolved
    assessment = assess(
        *low_urine_then_nothing(),
        obs("P1", "2026-03-04 07:00", "urine_output", 400),
        protocol="til-2024",
        skip=("urine_output",),
    )
    assert outcome(assessment, "urine_output") == "resolved"


def test_label_oliguria_restart_over_a_stale_window_is_not_resolved():
    # label oliguria: 16-h rate < 10 mL/h and creatinine rising; restart: 8-h rate > 10 mL/h
    # and creatinine fallen. 5 mL/h from dose 1, rising creatinine in the interval, then a
    # large entry at 01:00 (8-h rate > 10 mL/h) and nothing since: stale, never resolved.
    urine = [
        *hourly("P1", "urine_output", 5, "2026-03-02 08:00", "2026-03-04 00:00"),
        obs("P1", "2026-03-04 01:00", "urine_output", 400),
    ]
    creatinine = [
        obs("P1", "2026-03-03 20:00", "creatinine", 1.0),
        obs("P1", "2026-03-04 00:30", "creatinine", 1.4),
        obs("P1", "2026-03-04 02:00", "creatinine", 0.9),
    ]
    assessment = assess(*urine, *creatinine, skip=("urine_output", "creatinine"))
    assert outcome(assessment, "oliguria") in ("hold", "incomplete")
    assert "resolved" not in {f.outcome for f in assessment.findings if f.criterion == "oliguria"}


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=12))
def test_a_later_stale_window_never_turns_a_hold_into_resolved(low, hours_later):
    """Low urine in the interval holds the dose; assessed later with no new entry, the
    window only gets staler: never `resolved`."""
    urine = [
        *hourly("P1", "urine_output", 40, "2026-03-02 08:00", "2026-03-03 23:00"),
        obs("P1", "2026-03-04 00:00", "urine_output", low),
        obs("P1", "2026-03-04 01:00", "urine_output", low),
    ]
    first = assess(*urine, protocol="til-2024", skip=("urine_output",), at="2026-03-04 02:00")
    assert outcome(first, "urine_output") == "hold"
    later_hour = 2 + hours_later
    later = assess(
        *urine, protocol="til-2024", skip=("urine_output",), at=f"2026-03-04 {later_hour:02d}:00"
    )
    assert "resolved" not in {f.outcome for f in later.findings if f.criterion == "urine_output"}
    assert later.status == "hold"
