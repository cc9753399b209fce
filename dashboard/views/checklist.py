"""The protocol's full checklist for one dose: every criterion with its state.

Clear criteria are listed too, with the values they were checked against, so that a nurse
sees what was looked at and not only what was flagged.
"""

from __future__ import annotations

import pandas as pd

from dashboard.assessment import ChecklistEntry
from dashboard.quantities import display_rule
from dashboard.views.clock import format_age, format_clock
from dashboard.views.findings import format_value, parameter_words
from dashboard.views.statuses import finding_look, finding_rank

CHECKLIST_COLUMNS = [
    "State",
    "Criterion",
    "System",
    "Values checked",
    "Rule",
    "Restart when",
    "Source",
    "Interpretation",
]


def _values_text(entry: ChecklistEntry, timezone: str, at: pd.Timestamp) -> str:
    parts = []
    for item in entry.values:
        value = format_value(item.get("value"), item.get("unit"), item.get("parameter"))
        time = item.get("time")
        if time is not None and not pd.isna(time):
            value += f" at {format_clock(time, timezone, reference=at)} ({format_age(time, at)})"
        parts.append(f"{parameter_words(item['parameter'])}: {value}")
    return "; ".join(parts) if parts else "events only (none charted is not missing data)"


def checklist_rows(entries: list[ChecklistEntry], timezone: str, at: pd.Timestamp) -> pd.DataFrame:
    """One row per criterion, most severe state first (clear last), protocol order within."""
    rows = []
    for order, entry in enumerate(entries):
        look = finding_look(entry.state)
        rows.append(
            {
                "state": entry.state,
                "_rank": finding_rank(entry.state) if entry.state != "clear" else 99,
                "_order": order,
                "State": look.label(),
                "Criterion": f"{entry.title} ({entry.criterion})",
                "System": entry.system,
                "Values checked": _values_text(entry, timezone, at),
                "Rule": display_rule(entry.rule),
                "Restart when": entry.restart or "—",
                "Source": entry.source,
                "Interpretation": f"INTERPRETATION: {entry.interpretation}"
                if entry.interpretation
                else "—",
            }
        )
    frame = pd.DataFrame(rows, columns=["state", "_rank", "_order", *CHECKLIST_COLUMNS])
    return (
        frame.sort_values(["_rank", "_order"])
        .drop(columns=["_rank", "_order"])
        .reset_index(drop=True)
    )
