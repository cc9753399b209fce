"""The next-dose card: what the nurse must see in one glance before a dose.

"HOLD dose 7 (C1) due 16:00, in 2 h 05 min", then why (each finding with value, time,
rule and source), what is missing or stale (and how fresh it had to be), what must
recover before the dose can be given, and the moment the assessment was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.protocols import Protocol
from dashboard.views.clock import format_clock, format_until
from dashboard.views.findings import DECIDING, FindingLine, finding_line, ordered
from dashboard.views.statuses import Look, status_look

SUPPORT_NOTE = ("This monitor supports the clinical decision; it does not make it. Check the "
                "patient and the chart, and decide with the team.")

#: What a status means for the dose, in plain words (criteria.md section 1).
STATUS_MEANING = {
    "discontinue": "A permanent-discontinuation criterion is met: no further IL-2 this course.",
    "stop_cycle": "A criterion that ends the current cycle is met: the rest of the cycle is "
                  "not given.",
    "cycle_complete": "The protocol's maximum doses for this cycle have been given.",
    "hold": "Withhold this dose; it may be given when every restart condition below is met.",
    "incomplete": "Cannot be assessed: a required value is missing or too old. Record it, "
                  "then reassess. Missing is never normal.",
    "clear": "No criterion met and nothing missing, as of the time below.",
    "no_dose_due": "Every scheduled dose of this course is decided.",
}


@dataclass
class DoseCard:
    status: str
    look: Look
    headline: str
    meaning: str
    as_of: str
    protocol: str
    recorded: str | None
    reasons: list[FindingLine] = field(default_factory=list)  # set the status
    missing: list[FindingLine] = field(default_factory=list)  # incomplete
    restart_unmet: list[str] = field(default_factory=list)
    notes: list[FindingLine] = field(default_factory=list)  # resolved, watch, info
    support_note: str = SUPPORT_NOTE


def headline(assessment: DoseAssessment, at: pd.Timestamp, timezone: str) -> str:
    look = status_look(assessment.status)
    if assessment.dose_number is None:
        return f"{look.word}: no dose of this course is waiting for a decision"
    clock = format_clock(assessment.scheduled_time, timezone, reference=at)
    return (f"{look.word} dose {assessment.dose_number} (C{assessment.cycle}) due {clock}, "
            f"{format_until(assessment.scheduled_time, at)}")


def dose_card(assessment: DoseAssessment, protocol: Protocol | None, timezone: str,
              titles: Mapping[str, str] | None = None) -> DoseCard:
    """The card of one patient's next dose (``assessed_at`` is the "as of" time)."""
    at = pd.Timestamp(assessment.assessed_at)
    titles = dict(titles or {})
    if protocol is not None:
        titles = {c.id: c.title for c in protocol.criteria} | titles

    def line(finding):
        return finding_line(finding, titles.get(finding.criterion, finding.criterion),
                            timezone, at)

    findings = ordered(assessment.findings)
    reasons = [line(f) for f in findings if f.outcome in DECIDING]
    missing = [line(f) for f in findings if f.outcome == "incomplete"]
    notes = [line(f) for f in findings if f.outcome not in (*DECIDING, "incomplete")]
    restart = [f"{titles.get(f.criterion, f.criterion)}: {f.restart}" for f in findings
               if f.outcome == "hold" and f.restart]
    recorded = assessment.recorded_status
    return DoseCard(
        status=assessment.status,
        look=status_look(assessment.status),
        headline=headline(assessment, at, timezone),
        meaning=STATUS_MEANING.get(assessment.status, "Unknown status: check the chart."),
        as_of=f"as of {format_clock(at, timezone, with_day=True)} ({timezone})",
        protocol=(f"{protocol.title} ({protocol.id}, version {protocol.version})"
                  if protocol is not None else assessment.protocol_id),
        recorded=recorded if recorded and recorded != "scheduled" else None,
        reasons=reasons, missing=missing, restart_unmet=restart, notes=notes)
