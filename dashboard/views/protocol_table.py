"""A protocol as the site's IL-2 lead reviews it, and two protocols compared on one course."""

from __future__ import annotations

import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.protocols import Protocol
from dashboard.quantities import plain_number
from dashboard.views.clock import format_clock
from dashboard.views.statuses import status_look


def criteria_rows(protocol: Protocol) -> pd.DataFrame:
    """Every criterion of the resolved protocol with where it is written (its origin), its
    rule, restart, freshness, source and review metadata."""
    rows = []
    for criterion in protocol.criteria:
        restarts = [g.restart_words() for g in criterion.grades if g.outcome == "hold"]
        rows.append(
            {
                "Criterion": f"{criterion.title} ({criterion.id})",
                "Origin": criterion.origin,
                "System": criterion.system,
                "Outcome": " / ".join(criterion.outcomes),
                "Trigger": "; ".join(
                    f"{g.outcome}{f' ({g.label})' if g.label else ''}: {g.trigger.describe()}"
                    for g in criterion.grades
                ),
                "Restart when": restarts[0] if restarts and restarts[0] else "—",
                "Required (freshness)": ", ".join(
                    f"{r.parameter} ({plain_number(r.fresh_hours)} h)" for r in criterion.required
                )
                or "—",
                "Source": criterion.source.text(),
                "Links": " ".join(criterion.source.links) or "—",
                "Interpretation": f"INTERPRETATION: {criterion.interpretation}"
                if criterion.interpretation
                else "—",
                "Reviewed by": criterion.review.reviewed_by,
                "Date reviewed": criterion.review.date_reviewed,
            }
        )
    return pd.DataFrame(rows)


def composition_text(protocol: Protocol) -> str | None:
    """What the protocol carries from other files, in one or two sentences (None: nothing).
    Its interpretation, if any, is ``protocol.extends.interpretation``: shown as a warning."""
    parts = []
    if protocol.extends is not None:
        ext = protocol.extends
        replaced = ", ".join(ext.replaces) or "none"
        parts.append(
            f"Extends {ext.base_title} ({ext.base_id}, version {ext.base_version}): "
            f"carries every criterion of it except those it replaces ({replaced})."
        )
    if protocol.includes:
        parts.append(f"Includes the shared criteria of {', '.join(protocol.includes)}.")
    if not parts:
        return None
    return " ".join(parts) + " The Origin column says where each criterion is written."


def dosing_text(protocol: Protocol) -> str:
    dosing = protocol.dosing
    interval = f"{plain_number(dosing.interval_hours)}"
    if dosing.interval_hours_max:
        interval += f"-{plain_number(dosing.interval_hours_max)}"
    return (
        f"{dosing.dose_iu_per_kg:,.0f} IU/kg every {interval} h, at most "
        f"{dosing.doses_per_cycle} doses per cycle, {dosing.cycles} cycles, at most "
        f"{dosing.max_doses_per_course} doses per course"
    )


def compare_courses(
    first: list[DoseAssessment],
    second: list[DoseAssessment],
    first_label: str,
    second_label: str,
    timezone: str,
) -> pd.DataFrame:
    """Side by side, per dose: what each protocol would have said, and what was recorded."""

    def key(a: DoseAssessment):
        return (a.cycle, a.dose_number)

    by_second = {key(a): a for a in second}
    rows = []
    for a in first:
        b = by_second.get(key(a))
        reasons_a = ", ".join(
            sorted(
                {f.criterion for f in a.findings if f.outcome not in ("watch", "info", "resolved")}
            )
        )
        reasons_b = (
            ", ".join(
                sorted(
                    {
                        f.criterion
                        for f in b.findings
                        if f.outcome not in ("watch", "info", "resolved")
                    }
                )
            )
            if b
            else ""
        )
        rows.append(
            {
                "Dose": f"C{a.cycle} D{a.dose_number}",
                "Scheduled": format_clock(a.scheduled_time, timezone),
                "Recorded": a.recorded_status or "—",
                first_label: status_look(a.status).label(),
                f"{first_label}: why": reasons_a or "—",
                second_label: status_look(b.status).label() if b else "not assessed",
                f"{second_label}: why": reasons_b or "—",
                "Differ": "yes" if b is None or a.status != b.status else "",
            }
        )
    return pd.DataFrame(rows)
