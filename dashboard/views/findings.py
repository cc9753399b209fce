"""Findings in words: the value, its time, the rule and the source, every time.

A finding never appears on a screen without its basis (criteria.md preamble). These
helpers turn a :class:`~dashboard.assessment.Finding` into the short text of the ward list
and the full lines of the next-dose card.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from dashboard.assessment import Finding
from dashboard.assessment.results import ENGINE_CRITERIA_TITLES
from dashboard.display import rewrite_utc_stamps
from dashboard.quantities import display_rule, format_quantity, parameter_words
from dashboard.views.clock import format_age, format_clock
from dashboard.views.statuses import finding_look, finding_rank

#: Outcomes that decide the status of a dose (criteria.md section 1).
DECIDING = ("discontinue", "stop_cycle", "cycle_complete", "hold")


def format_value(value, unit: str | None, parameter: str | None = None) -> str:
    """'84 mmHg', 'sustained VT', or 'no value' (never blank): the one formatter
    (:mod:`dashboard.quantities`), at the parameter's precision."""
    return format_quantity(parameter, value, unit)


def localise_times(text: str | None, timezone: str, at: pd.Timestamp) -> str | None:
    """The engine writes times in its details as 'YYYY-MM-DD HH:MM UTC'; the ward reads
    local time, and two clocks on one card invite a misreading."""
    return rewrite_utc_stamps(text, lambda moment: format_clock(moment, timezone, reference=at))


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


def criterion_titles(protocol) -> dict[str, str]:
    """Every criterion's title by id: the engine's own findings, then the protocol's."""
    titles = dict(ENGINE_CRITERIA_TITLES)
    if protocol is not None:
        titles.update({c.id: c.title for c in protocol.criteria})
    return titles


def finding_line(finding: Finding, title: str, timezone: str, at: pd.Timestamp) -> FindingLine:
    look = finding_look(finding.outcome)
    if finding.time is None or pd.isna(finding.time):
        when = "no time"
    else:
        when = (
            f"{format_clock(finding.time, timezone, reference=at)} ({format_age(finding.time, at)})"
        )
    return FindingLine(
        criterion=finding.criterion,
        title=title,
        outcome=finding.outcome,
        badge=look.label(),
        value=_finding_value(finding),
        time=when,
        rule=display_rule(finding.rule),
        source=finding.source,
        interpretation=finding.interpretation,
        detail=display_rule(localise_times(finding.detail, timezone, at) or "") or None,
        restart=display_rule(finding.restart) if finding.restart else None,
    )


def _finding_value(finding: Finding) -> str:
    name = parameter_words(finding.parameter)
    if finding.outcome == "incomplete":
        # The value shown for a stale parameter is the last one known: say it is stale.
        if finding.value is None:
            return f"no {name} recorded"
        return (
            f"last {name} {format_value(finding.value, finding.unit, finding.parameter)} (too old)"
        )
    text = format_value(finding.value, finding.unit, finding.parameter)
    if finding.parameter in ("event", "event_resolved", "rhythm") and isinstance(
        finding.value, str
    ):
        return text  # "sustained VT", "sepsis": the words say what it is
    return f"{name} {text}" if finding.parameter else text


def finding_value(finding: Finding) -> str:
    """The value a finding rests on, in words: "sbp 84 mmHg", "sustained VT"."""
    return _finding_value(finding)


def short_reason(finding: Finding, titles: Mapping[str, str] | None = None) -> str:
    """One line for the ward list: '▲ Hypotension: sbp 84 mmHg'."""
    look = finding_look(finding.outcome)
    title = (titles or {}).get(finding.criterion, finding.criterion.replace("_", " "))
    return f"{look.icon} {title}: {_finding_value(finding)}"


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most severe first (the engine orders them; this keeps the screens safe if not)."""
    return sorted(findings, key=lambda f: finding_rank(f.outcome))


def watch_words(findings: list[Finding], stage: str | None = None, compact: bool = False) -> str:
    """The early warnings in a few words: "creatinine KDIGO stage 2, urine output
    0.25 mL/kg/h" (criteria.md 9.2: visible on the card and the ward row); ``compact``
    (the ward row, where the support line beside it gives the creatinine): "KDIGO stage 2,
    urine output 0.25 mL/kg/h"."""
    parts = []
    for finding in findings:
        if finding.outcome != "watch":
            continue
        if finding.parameter == "creatinine" and stage:
            parts.append(stage if compact else f"creatinine {stage}")
        else:
            parts.append(_finding_value(finding))
    return ", ".join(parts)


def top_reasons(
    findings: list[Finding], limit: int = 3, titles: Mapping[str, str] | None = None
) -> str:
    """The reasons of a status, worst first; says how many more there are."""
    relevant = [f for f in ordered(findings) if f.outcome in (*DECIDING, "incomplete")]
    if not relevant:
        relevant = [f for f in ordered(findings) if f.outcome in ("resolved", "watch")]
    shown = [short_reason(f, titles) for f in relevant[:limit]]
    if len(relevant) > limit:
        shown.append(f"+{len(relevant) - limit} more")
    return "; ".join(shown) if shown else "—"
