"""The dose record as people read it: what the monitor showed when a dose was recorded
(the snapshot kept with each event), the history table, and which statuses still wait for
a physician's acknowledgement. Plain data in, plain data out: no streamlit here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from dashboard.assessment import DoseAssessment
from dashboard.assessment.validity import Validity
from dashboard.display import local_time
from dashboard.protocols import Protocol
from dashboard.store.records import ACKNOWLEDGED_STATUSES, OVERRIDE_STATUSES
from dashboard.views.statuses import status_look

HISTORY_COLUMNS = [
    "Event",
    "Dose",
    "Recorded",
    "What",
    "Reason",
    "Who",
    "Monitor showed",
    "Override",
    "Note",
    "Corrects",
    "Now",
]
#: The outcomes a nurse may give as the reason a dose is held (preselected on the form).
HOLDING_OUTCOMES = ("discontinue", "stop_cycle", "hold", "incomplete")


def needs_override(status: str) -> bool:
    """Giving a dose the monitor shows with this status needs a physician's override."""
    return status in OVERRIDE_STATUSES


def status_word(status: str) -> str:
    return status_look(status).word


def snapshot(
    assessment: DoseAssessment, protocol: Protocol, validity: Validity | None
) -> dict[str, object]:
    """What the monitor showed for this dose at this moment: kept with the event, so that
    who decided what can be read against what they were shown."""
    return {
        "status": assessment.status,
        "shown_as": status_word(assessment.status),
        "findings": [
            {
                "criterion": f.criterion,
                "outcome": f.outcome,
                "parameter": f.parameter,
                "value": None if f.value is None else str(f.value),
                "unit": f.unit,
                "time": None if f.time is None else pd.Timestamp(f.time).isoformat(),
                "rule": f.rule,
                "source": f.source,
            }
            for f in assessment.findings
        ],
        "protocol": protocol.id,
        "protocol_version": protocol.version,
        "assessed_at": pd.Timestamp(assessment.assessed_at).isoformat(),
        "valid_until": None
        if validity is None or validity.until is None
        else pd.Timestamp(validity.until).isoformat(),
        "cycle": assessment.cycle,
        "dose_number": assessment.dose_number,
    }


def held_reason_options(assessment: DoseAssessment, protocol: Protocol) -> list[str]:
    """The criteria on the card that hold the dose, by title: preselected as the reason."""
    titles = {c.id: c.title for c in protocol.criteria}
    seen: list[str] = []
    for finding in assessment.findings:
        if finding.outcome in HOLDING_OUTCOMES:
            title = titles.get(finding.criterion, finding.criterion)
            if title not in seen:
                seen.append(title)
    return seen


def _what(event, timezone: str) -> str:
    if event.kind == "given":
        return f"given at {local_time(pd.Timestamp(event.at), timezone)}"
    if event.kind == "delayed":
        return f"delayed until {local_time(pd.Timestamp(event.at), timezone)}"
    return "held"


def history_rows(events: Sequence, timezone: str) -> pd.DataFrame:
    """Every event of a patient, newest first, corrected ones included and marked."""
    corrected_by = {e.corrects: e.id for e in events if e.corrects is not None}
    rows = []
    for event in sorted(events, key=lambda e: e.id, reverse=True):
        shown = event.snapshot or {}
        rows.append(
            {
                "Event": f"#{event.id}",
                "Dose": f"cycle {event.cycle} dose {event.dose_number}",
                "Recorded": local_time(pd.Timestamp(event.recorded_at), timezone),
                "What": _what(event, timezone),
                "Reason": event.reason or "",
                "Who": event.who,
                "Monitor showed": f"{status_word(str(shown.get('status', '')))}"
                f" ({shown.get('protocol', '?')} {shown.get('protocol_version', '')})".strip(),
                "Override": f"{event.override_by}: {event.override_reason}"
                if event.override_by
                else "",
                "Note": event.note or "",
                "Corrects": f"#{event.corrects}" if event.corrects is not None else "",
                "Now": f"corrected by #{corrected_by[event.id]}"
                if event.id in corrected_by
                else "current",
            }
        )
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def acknowledgement_key(assessment: DoseAssessment) -> tuple[str, int | None, int | None]:
    return (assessment.status, assessment.cycle, assessment.dose_number)


def unacknowledged(
    assessments: Iterable[DoseAssessment], acknowledgements: Mapping[str, Iterable]
) -> set[str]:
    """Patients whose HOLD, CYCLE STOPPED or DISCONTINUED no physician has acknowledged
    yet: an acknowledgement counts for the same status of the same dose (a hold that
    carries on to the next dose is a new hold to acknowledge)."""
    waiting = set()
    for assessment in assessments:
        if assessment.status not in ACKNOWLEDGED_STATUSES:
            continue
        pid = str(assessment.patient_id)
        done = {(a.status, a.cycle, a.dose_number) for a in acknowledgements.get(pid, ())}
        if acknowledgement_key(assessment) not in done:
            waiting.add(pid)
    return waiting
