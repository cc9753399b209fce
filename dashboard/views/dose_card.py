"""The next-dose card: what the nurse must see in one glance before a dose.

"HOLD dose 7 (C1) due 16:00, in 2 h 05 min", then why (each finding with value, time,
rule and source), what is missing or stale (and how fresh it had to be), what must
recover before the dose can be given, and the moment the assessment was made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.assessment.stricter import StricterNote
from dashboard.assessment.support import Support, kdigo_stage
from dashboard.assessment.validity import Validity
from dashboard.protocols import Protocol
from dashboard.quantities import display_rule
from dashboard.views.clock import format_age, format_clock, format_until
from dashboard.views.findings import (
    DECIDING,
    FindingLine,
    criterion_titles,
    finding_line,
    finding_value,
    ordered,
    parameter_words,
    watch_words,
)
from dashboard.views.statuses import CLEAR_WATCH, Look, display_status, status_look
from dashboard.views.support import support_parts

SUPPORT_NOTE = (
    "This monitor supports the clinical decision; it does not make it. Check the "
    "patient and the chart, and decide with the team."
)

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
    CLEAR_WATCH: "No criterion met and nothing missing, as of the time below; but an early "
    "warning is raised: it does not change the status, look at it.",
    "no_dose_due": "Every scheduled dose of this course is decided.",
}


#: What a standing outcome with no dose due means, in the headline.
STANDING_WORDS = {
    "discontinue": "no further IL-2 this course",
    "stop_cycle": "no further IL-2 this cycle",
}


@dataclass
class DoseCard:
    status: str  # the engine's status
    look: Look  # of what is shown (see views.statuses.display_status)
    headline: str
    meaning: str
    as_of: str
    protocol: str
    recorded: str | None
    reasons: list[FindingLine] = field(default_factory=list)  # set the status
    missing: list[FindingLine] = field(default_factory=list)  # incomplete
    restart_unmet: list[str] = field(default_factory=list)
    notes: list[FindingLine] = field(default_factory=list)  # resolved, info
    support_note: str = SUPPORT_NOTE
    shown: str = ""  # the status as shown: CLEAR_WATCH, or a standing outcome
    watch: list[FindingLine] = field(default_factory=list)  # early warnings, on the card
    watch_text: str | None = None  # "creatinine KDIGO stage 2, urine output 0.25 mL/kg/h"
    support: list[str] = field(default_factory=list)  # support in progress, in words
    validity: str | None = None  # "valid until 14:35: recheck sbp by 14:35"
    recheck: str | None = None  # "recheck sbp by 14:35" when before the dose
    deciding_age: str | None = None  # age of the oldest deciding value
    stricter: str | None = None  # one line when another shipped protocol is stricter
    refused: str | None = None  # "2 rows refused" (partial data is loud)


def headline(
    assessment: DoseAssessment,
    at: pd.Timestamp,
    timezone: str,
    titles: Mapping[str, str] | None = None,
) -> str:
    outcomes = [f.outcome for f in assessment.findings]
    shown = display_status(assessment.status, outcomes)
    look = status_look(shown)
    no_dose = assessment.dose_number is None or assessment.scheduled_time is None
    if shown in STANDING_WORDS and any(f.outcome == shown for f in assessment.findings):
        # "DISCONTINUED: no further IL-2 this course — Sustained ventricular tachycardia,
        # sustained VT at 03:10": the criterion, its value and time (9.1), whether or not
        # the table still lists doses after it.
        finding = next(f for f in ordered(assessment.findings) if f.outcome == shown)
        title = (titles or {}).get(finding.criterion, finding.criterion)
        when = (
            f" at {format_clock(finding.time, timezone, reference=at)}"
            if finding.time is not None and not pd.isna(finding.time)
            else ""
        )
        scope = STANDING_WORDS[shown]
        if shown == "stop_cycle" and assessment.cycle is not None:
            scope += f" (C{assessment.cycle})"
        text = f"{look.word}: {scope} — {title}, {finding_value(finding)}{when}"
        if not no_dose:
            clock = format_clock(assessment.scheduled_time, timezone, reference=at)
            text += f" (dose {assessment.dose_number} was due {clock})"
        return text
    if no_dose:
        return f"{look.word}: no dose of this course is waiting for a decision"
    clock = format_clock(assessment.scheduled_time, timezone, reference=at)
    return (
        f"{look.word} dose {assessment.dose_number} (C{assessment.cycle}) due {clock}, "
        f"{format_until(assessment.scheduled_time, at)}"
    )


def validity_text(
    validity: Validity | None,
    shown: str,
    assessment: DoseAssessment,
    at: pd.Timestamp,
    timezone: str,
) -> tuple[str | None, str | None]:
    """(how long the verdict holds, the recheck before the dose or None)."""
    if validity is None:
        return None, None
    if shown == "discontinue":  # no recheck can lift it, dose listed or not
        return "Stands for the rest of the course.", None
    if shown == "stop_cycle":
        return "Stands until a dose of a later cycle is scheduled.", None
    if validity.until is None:
        if assessment.scheduled_time is None:
            return "Until a dose is scheduled.", None
        return (
            "No value this protocol requires can turn stale: reassess when anything new "
            "is charted.",
            None,
        )
    clock = format_clock(validity.until, timezone, reference=at)
    name = parameter_words(validity.recheck) if validity.recheck else ""
    if validity.recheck is None:
        recheck = None
    elif validity.recheck in validity.never_recorded:
        recheck = f"record {name} now (none recorded)"
    elif validity.until <= at:
        recheck = f"recheck {name} now (too old since {clock})"
    else:
        recheck = f"recheck {name} by {clock}"
    dose = (
        format_clock(assessment.scheduled_time, timezone, reference=at)
        if assessment.scheduled_time is not None
        else ""
    )
    if assessment.scheduled_time is not None and assessment.scheduled_time <= at:
        # An overdue dose: no "before the dose" - the dose time has passed.
        if recheck is None:
            return (f"The dose was due at {dose} (overdue); the verdict holds until {clock}.", None)
        return f"The dose was due at {dose} (overdue): {recheck}.", recheck
    if recheck is None:
        return f"Valid until the dose at {clock}: every deciding value stays fresh.", None
    if validity.until <= at:
        return f"Not valid for the dose at {dose}: {recheck}.", recheck
    return f"Valid until {clock}, before the dose at {dose}: {recheck}.", recheck


def dose_card(
    assessment: DoseAssessment,
    protocol: Protocol | None,
    timezone: str,
    titles: Mapping[str, str] | None = None,
    *,
    support: Support | None = None,
    validity: Validity | None = None,
    stricter: Sequence[StricterNote] | None = None,
    refused: int = 0,
) -> DoseCard:
    """The card of one patient's next dose (``assessed_at`` is the "as of" time), with
    the support in progress, how long the verdict holds, another protocol's stricter
    status and the rows refused for this patient (criteria.md section 9)."""
    at = pd.Timestamp(assessment.assessed_at)
    titles = criterion_titles(protocol) | dict(titles or {})

    def line(finding):
        return finding_line(finding, titles.get(finding.criterion, finding.criterion), timezone, at)

    findings = ordered(assessment.findings)
    reasons = [line(f) for f in findings if f.outcome in DECIDING]
    missing = [line(f) for f in findings if f.outcome == "incomplete"]
    notes = [line(f) for f in findings if f.outcome not in (*DECIDING, "incomplete", "watch")]
    watch = [line(f) for f in findings if f.outcome == "watch"]
    shown = display_status(assessment.status, [f.outcome for f in findings])
    valid, recheck = validity_text(validity, shown, assessment, at, timezone)
    restart = [
        f"{titles.get(f.criterion, f.criterion)}: {display_rule(f.restart)}"
        for f in findings
        if f.outcome == "hold" and f.restart
    ]
    recorded = assessment.recorded_status
    stage = kdigo_stage(findings, protocol)
    return DoseCard(
        status=assessment.status,
        look=status_look(shown),
        headline=headline(assessment, at, timezone, titles),
        meaning=STATUS_MEANING.get(shown, "Unknown status: check the chart."),
        as_of=f"as of {format_clock(at, timezone, with_day=True)} ({timezone})",
        protocol=(
            f"{protocol.title} ({protocol.id}, version {protocol.version})"
            if protocol is not None
            else assessment.protocol_id
        ),
        recorded=recorded if recorded and recorded != "scheduled" else None,
        reasons=reasons,
        missing=missing,
        restart_unmet=restart,
        notes=notes,
        shown=shown,
        watch=watch,
        watch_text=watch_words(findings, stage) or None,
        support=support_parts(support, timezone, at) if support is not None else [],
        validity=valid,
        recheck=recheck,
        deciding_age=_deciding_age(validity, at, timezone),
        stricter=stricter_text(stricter, timezone, at),
        refused=refused_text(refused),
    )


def _deciding_age(validity: Validity | None, at: pd.Timestamp, timezone: str) -> str | None:
    if validity is None or validity.deciding_parameter is None:
        return None
    return (
        f"oldest deciding value: {parameter_words(validity.deciding_parameter)} "
        f"{format_age(validity.deciding_time, at)}"
    )


def stricter_text(
    notes: Sequence[StricterNote] | None, timezone: str, at: pd.Timestamp
) -> str | None:
    """One line: "cwg-consensus-2014 would say CYCLE STOPPED: Phenylephrine requirement,
    phenylephrine 1.50 µg/kg/min at 09:00" (the status stays the patient's own)."""
    if not notes:
        return None
    parts = []
    for note in notes:
        finding = note.finding
        when = (
            f" at {format_clock(finding.time, timezone, reference=at)}"
            if finding.time is not None and not pd.isna(finding.time)
            else ""
        )
        parts.append(
            f"{note.protocol_id} would say {status_look(note.status).word}: "
            f"{note.criterion_title}, {finding_value(finding)}{when}"
        )
    return "; ".join(parts)


def refused_text(count: int) -> str | None:
    if not count:
        return None
    return f"{count} row{'s' if count != 1 else ''} refused for this patient"
