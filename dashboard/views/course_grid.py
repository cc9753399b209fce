"""The course timeline: one row per dose, one column per criterion (what was met when).

Each dose is assessed as of its scheduled time (``assess_course``), next to what was
recorded (given / held). Criteria that were clear at every dose are folded into one
column and named, so that nothing disappears from the grid silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.views.clock import format_clock
from dashboard.views.statuses import finding_look, finding_rank, status_look

CLEAR_CELL = "✔"


@dataclass
class CourseGrid:
    table: pd.DataFrame  # text cells
    states: pd.DataFrame  # same shape: the state key of each cell (for colour)
    criteria: list[str]  # criterion columns shown
    clear_throughout: list[str]  # criteria clear at every dose


def course_grid(
    assessments: list[DoseAssessment],
    criterion_order: list[str],
    timezone: str,
    titles: Mapping[str, str] | None = None,
) -> CourseGrid:
    titles = titles or {}
    cells: list[dict[str, str]] = []
    seen: set[str] = set()
    for assessment in assessments:
        worst: dict[str, str] = {}
        for finding in assessment.findings:
            current = worst.get(finding.criterion)
            if current is None or finding_rank(finding.outcome) < finding_rank(current):
                worst[finding.criterion] = finding.outcome
        seen.update(worst)
        cells.append(worst)
    extra = sorted(seen - set(criterion_order))  # e.g. dose limits
    shown = [c for c in [*criterion_order, *extra] if c in seen]
    clear = [c for c in criterion_order if c not in seen]

    rows, state_rows = [], []
    for assessment, worst in zip(assessments, cells, strict=True):
        look = status_look(assessment.status)
        row = {
            "Dose": f"C{assessment.cycle} D{assessment.dose_number}",
            "Scheduled": format_clock(assessment.scheduled_time, timezone),
            "Recorded": assessment.recorded_status or "—",
            "Assessed status": look.label(),
        }
        states = {
            "Dose": "",
            "Scheduled": "",
            "Recorded": assessment.recorded_status or "",
            "Assessed status": assessment.status,
        }
        for criterion in shown:
            state = worst.get(criterion, "clear")
            column = titles.get(criterion, criterion)
            row[column] = CLEAR_CELL if state == "clear" else finding_look(state).label()
            states[column] = state
        if clear:
            row["All other criteria"] = CLEAR_CELL
            states["All other criteria"] = "clear"
        rows.append(row)
        state_rows.append(states)
    table = pd.DataFrame(rows)
    return CourseGrid(
        table=table,
        states=pd.DataFrame(state_rows, columns=table.columns),
        criteria=shown,
        clear_throughout=clear,
    )
