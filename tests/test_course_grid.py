"""The course timeline a rounding team reads: past doses as recorded (with the recorded
reason) and as assessed at their time, a now row, future doses as scheduled."""

from __future__ import annotations

import pandas as pd

from dashboard.assessment import assess_course
from dashboard.protocols import load_protocol
from dashboard.views.course_grid import course_grid, course_grid_html, recorded_reasons
from tests.scenarios import course, patient, series, ward

NOW = pd.Timestamp("2026-03-02 23:00", tz="UTC")


def _grid():
    data = ward(
        [patient("P1", weight=80.0)],
        course("P1", "2026-03-02 00:00", given=3, held=(2,), doses=6),
        series("P1", "sbp", [("2026-03-02 07:30", 84), ("2026-03-02 15:30", 120)]),
    )
    data.doses.loc[data.doses["status"] == "held", "reason"] = "SBP 84 <b>on pressor</b>"
    protocol = load_protocol("proleukin-label")
    history = assess_course(data, protocol)
    titles = {c.id: c.title for c in protocol.criteria}
    grid = course_grid(
        history,
        [c.id for c in protocol.criteria],
        "UTC",
        titles,
        now=NOW,
        reasons=recorded_reasons(data.doses),
    )
    return grid, titles


def test_past_doses_as_recorded_with_the_reason_then_now_then_as_scheduled():
    grid, _ = _grid()
    doses = list(grid.table["Dose"])
    assert doses == ["C1 D1", "C1 D2", "C1 D3", "▶ now", "C1 D4", "C1 D5", "C1 D6"]
    assert grid.now_row == 3
    held = grid.table.iloc[1]
    assert held["Recorded"] == "held: SBP 84 <b>on pressor</b>"
    assert "HOLD" in held["Assessed then"]  # sbp 84 at 07:30, assessed as of 08:00
    future = grid.table.iloc[4:]
    assert set(future["Recorded"]) == {"scheduled"}
    assert set(future["Assessed then"]) == {"not yet"}  # never a predicted verdict
    criteria = [c for c in grid.table.columns if c not in ("Dose", "Scheduled", "Recorded")]
    for column in criteria[1:]:
        assert set(future[column]) == {""}


def test_heads_are_criterion_titles_and_text_is_escaped():
    grid, titles = _grid()
    assert titles["hypotension"] in grid.table.columns
    assert "hypotension" not in grid.table.columns
    page = course_grid_html(grid)
    assert "&lt;b&gt;on pressor&lt;/b&gt;" in page and "<b>on pressor</b>" not in page
    assert 'class="now"' in page


def test_without_now_every_dose_is_a_past_one():
    data = ward([patient("P1")], course("P1", "2026-03-02 00:00", given=1, doses=2), [])
    protocol = load_protocol("proleukin-label")
    grid = course_grid(assess_course(data, protocol), [c.id for c in protocol.criteria], "UTC")
    assert grid.now_row is None and "▶ now" not in list(grid.table["Dose"])
