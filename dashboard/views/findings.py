"""Findings in words: the value, its time, the rule and the source, every time.

A finding never appears on a screen without its basis (criteria.md preamble). These
helpers turn a :class:`~dashboard.assessment.Finding` into the short text of the ward list
and the full lines of the next-dose card.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from dashboard.assessment import Finding
from dashboard.display import rewrite_utc_stamps
from dashboard.views.clock import format_age, format_clock
from dashboard.views.statuses import finding_look, finding_rank

#: Outcomes that decide the status of a dose (criteria.md section 1).
DECIDING = ("discontinue", "stop_cycle", "cycle_complete", "hold")


#: UCUM codes as a ward writes them (display only; the data keep the UCUM code).
DISPLAY_UNITS = {"mm[Hg]": "mmHg", "Cel": "°C", "10*3/uL": "×10³/µL", "ug/kg/min": "µg/kg/min",
                 "/min": "/min", "[degF]": "°F"}


def display_unit(unit: str | None) -> str:
    return DISPLAY_UNITS.get(unit or "", unit or "")


def format_number(value: float) -> str:
    """Clinical precision: at most 3 significant decimals, no float noise (2.8959 -> 2.9)."""
    if math.isnan(value):
        return "no value"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_value(value, unit: str | None) -> str:
    """'84 mm[Hg]', 'moderate', or 'no value' (never blank)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no value"
    if isinstance(value, str):
        return value
    text = format_number(float(value))
    return f"{text} {display_unit(unit)}" if unit else text




def localise_times(text: str | None, timezone: str, at: pd.Timestamp) -> str | None:
    """The engine writes times in its details as 'YYYY-MM-DD HH:MM UTC'; the ward reads
    local time, and two clocks on one card invite a misreading."""
    return rewrite_utc_stamps(
        text, lambda moment: format_clock(moment, timezone, reference=at))


@dataclass(frozen=True)
class FindingLine:
    criterion: str
    title: str
    outcome: str
    badge: str  # icon + word
    value: str
    time: str  # ward-local clock time and age
    rule: str
    source: str
    interpretation: str | None
    detail: str | None
    restart: str | None

    def basis(self) -> str:
        return f"{self.value} at {self.time}"


def finding_line(finding: Finding, title: str, timezone: str, at: pd.Timestamp) -> FindingLine:
    look = finding_look(finding.outcome)
    if finding.time is None or pd.isna(finding.time):
        when = "no time"
    else:
        when = (f"{format_clock(finding.time, timezone, reference=at)} "
                f"({format_age(finding.time, at)})")
    return FindingLine(
        criterion=finding.criterion, title=title, outcome=finding.outcome, badge=look.label(),
        value=_finding_value(finding), time=when, rule=finding.rule, source=finding.source,
        interpretation=finding.interpretation,
        detail=localise_times(finding.detail, timezone, at), restart=finding.restart)


def _finding_value(finding: Finding) -> str:
    if finding.outcome == "incomplete":
        # The value shown for a stale parameter is the last one known: say it is stale.
        if finding.value is None:
            return f"no {finding.parameter} recorded"
        return f"last {finding.parameter} {format_value(finding.value, finding.unit)} (too old)"
    text = format_value(finding.value, finding.unit)
    return f"{finding.parameter} {text}" if finding.parameter else text


def short_reason(finding: Finding) -> str:
    """One line for the ward list: 'HOLD hypotension: sbp 84 mm[Hg]'."""
    look = finding_look(finding.outcome)
    return f"{look.icon} {finding.criterion}: {_finding_value(finding)}"


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most severe first (the engine orders them; this keeps the screens safe if not)."""
    return sorted(findings, key=lambda f: finding_rank(f.outcome))


def top_reasons(findings: list[Finding], limit: int = 3) -> str:
    """The reasons of a status, worst first; says how many more there are."""
    relevant = [f for f in ordered(findings) if f.outcome in (*DECIDING, "incomplete")]
    if not relevant:
        relevant = [f for f in ordered(findings) if f.outcome in ("resolved", "watch")]
    shown = [short_reason(f) for f in relevant[:limit]]
    if len(relevant) > limit:
        shown.append(f"+{len(relevant) - limit} more")
    return "; ".join(shown) if shown else "—"
