"""The course timeline: one row per dose, one column per criterion (what was met when).

Past doses show what was recorded (given / held, with the recorded reason) next to what
the protocol says as of their scheduled time (``assess_course``). A "now" row separates
them from the doses still to come, which are shown as scheduled and nothing more: the
engine's verdict on a future dose would be a prediction from data not yet charted.
Criteria that were clear at every past dose are folded into one column and named, so
that nothing disappears from the grid silently. Column heads are the criteria's titles.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.views.clock import format_clock
from dashboard.views.statuses import finding_look, finding_rank, status_look

CLEAR_CELL = "✔"
NOW_ROW = "now"
UNDECIDED = (None, "scheduled")
FIXED_COLUMNS = ("Dose", "Scheduled", "Recorded", "Assessed then")


@dataclass
class CourseGrid:
    table: pd.DataFrame  # text cells
    states: pd.DataFrame  # same shape: the state key of each cell (for colour)
    criteria: list[str]  # criterion ids of the columns shown
    clear_throughout: list[str]  # criteria clear at every past dose
    now_row: int | None = None  # the index of the "now" row in table (None: no now given)


def is_future(assessment: DoseAssessment, now: pd.Timestamp | None) -> bool:
    """A dose not yet given or held whose time is still to come."""
    return (
        now is not None
        and assessment.recorded_status in UNDECIDED
        and assessment.scheduled_time is not None
        and pd.Timestamp(assessment.scheduled_time) > pd.Timestamp(now)
    )


def recorded_reasons(doses: pd.DataFrame) -> dict[tuple[int, int], str]:
    """(cycle, dose number) -> the reason recorded with a held or skipped dose."""
    if "reason" not in doses.columns:
        return {}
    found = {}
    for row in doses.itertuples(index=False):
        if isinstance(row.reason, str) and row.reason.strip():
            found[(int(row.cycle), int(row.dose_number))] = row.reason.strip()
    return found


def course_grid(
    assessments: list[DoseAssessment],
    criterion_order: list[str],
    timezone: str,
    titles: Mapping[str, str] | None = None,
    *,
    now: pd.Timestamp | None = None,
    reasons: Mapping[tuple[int, int], str] | None = None,
) -> CourseGrid:
    titles = titles or {}
    reasons = reasons or {}
    past = [a for a in assessments if not is_future(a, now)]
    future = [a for a in assessments if is_future(a, now)]
    cells: list[dict[str, str]] = []
    seen: set[str] = set()
    for assessment in past:
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
    heads = {c: titles.get(c, c) for c in shown}
    columns = [*FIXED_COLUMNS, *heads.values(), *(["All other criteria"] if clear else [])]

    rows, state_rows = [], []

    def recorded(assessment: DoseAssessment) -> str:
        text = assessment.recorded_status or "—"
        key = (assessment.cycle, assessment.dose_number)
        reason = reasons.get(key) if None not in key else None
        return f"{text}: {reason}" if reason and text in ("held", "skipped") else text

    for assessment, worst in zip(past, cells, strict=True):
        look = status_look(assessment.status)
        row = {
            "Dose": f"C{assessment.cycle} D{assessment.dose_number}",
            "Scheduled": format_clock(assessment.scheduled_time, timezone),
            "Recorded": recorded(assessment),
            "Assessed then": look.label(),
        }
        states = {
            "Dose": "",
            "Scheduled": "",
            "Recorded": assessment.recorded_status or "",
            "Assessed then": assessment.status,
        }
        for criterion, column in heads.items():
            state = worst.get(criterion, "clear")
            row[column] = CLEAR_CELL if state == "clear" else finding_look(state).label()
            states[column] = state
        if clear:
            row["All other criteria"] = CLEAR_CELL
            states["All other criteria"] = "clear"
        rows.append(row)
        state_rows.append(states)
    now_row = None
    if now is not None:
        now_row = len(rows)
        rows.append(
            {c: "" for c in columns} | {"Dose": "▶ now", "Scheduled": format_clock(now, timezone)}
        )
        state_rows.append({c: NOW_ROW for c in columns})
    for assessment in future:
        rows.append(
            {c: "" for c in columns}
            | {
                "Dose": f"C{assessment.cycle} D{assessment.dose_number}",
                "Scheduled": format_clock(assessment.scheduled_time, timezone),
                "Recorded": "scheduled",
                "Assessed then": "not yet",
            }
        )
        state_rows.append({c: "" for c in columns} | {"Recorded": "scheduled"})
    table = pd.DataFrame(rows, columns=columns)
    return CourseGrid(
        table=table,
        states=pd.DataFrame(state_rows, columns=columns),
        criteria=shown,
        clear_throughout=clear,
        now_row=now_row,
    )


def course_grid_html(grid: CourseGrid) -> str:
    """The grid as an HTML table whose heads wrap (criterion titles are long), so that it
    fits a 1366 px screen and prints whole. Every cell is escaped text; a state's colour
    comes with its word, never alone."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in grid.table.columns)
    body = []
    coloured = set(grid.table.columns) - {"Dose", "Scheduled", "Recorded"}
    for index, row in grid.table.iterrows():
        states = grid.states.loc[index]
        if index == grid.now_row:
            body.append(
                f'<tr class="now"><td colspan="{len(grid.table.columns)}"><b>'
                f"{html.escape(row['Dose'])} {html.escape(row['Scheduled'])}</b>: doses above "
                "as recorded and as assessed at their time; below, as scheduled</td></tr>"
            )
            continue
        cells = []
        for column in grid.table.columns:
            state = states[column]
            style = ""
            if column in coloured and state and state not in ("clear", NOW_ROW):
                look = finding_look(state)
                style = f' style="background:{look.colour};color:{look.ink};font-weight:600"'
            cells.append(f"<td{style}>{html.escape(str(row[column]))}</td>")
        future = states["Recorded"] == "scheduled" and row["Assessed then"] == "not yet"
        body.append(f"<tr{' class=future' if future else ''}>{''.join(cells)}</tr>")
    return (
        "<style>"
        ".course-grid{border-collapse:collapse;width:100%;font-size:0.8rem;table-layout:auto}"
        ".course-grid th{vertical-align:bottom;text-align:left;font-weight:600;"
        "border-bottom:2px solid #888;padding:2px 4px;white-space:normal;min-width:3.5rem}"
        ".course-grid td{border-bottom:1px solid #ddd;padding:2px 4px;vertical-align:top}"
        ".course-grid tr.now td{border-top:2px solid #000;border-bottom:2px solid #000;"
        "background:#F0F0F0}"
        ".course-grid tr.future td{color:#555}"
        "</style>"
        f'<table class="course-grid" data-testid="course-grid"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
