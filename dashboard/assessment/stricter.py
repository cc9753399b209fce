"""When another shipped protocol is stricter, say so (criteria.md section 9.5).

Sources disagree (a phenylephrine ceiling, creatinine 3.0 vs 4.5 mg/dL): a patient that is
clear under the label may have had their cycle stopped under the consensus. The status stays
that of the patient's own protocol; the card notes, in one line, the most severe status
another shipped protocol would give and the criterion that gives it.

Only toxicity outcomes are compared (discontinue, stop cycle, hold): another protocol's
dosing limits (the TIL protocol's 6 doses a cycle) or its own required parameters
(incomplete) say nothing about how sick this patient is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.assessment.engine import assess_next_doses
from dashboard.assessment.results import STATUS_SEVERITY, DoseAssessment, Finding
from dashboard.protocols import Protocol

#: The outcomes that make another protocol "stricter" for a dose.
COMPARED = ("discontinue", "stop_cycle", "hold")


@dataclass(frozen=True)
class StricterNote:
    patient_id: str
    protocol_id: str
    protocol_title: str
    status: str
    finding: Finding  # the criterion and value that give that status
    criterion_title: str


def _effective(assessment: DoseAssessment) -> str:
    """The status, or the standing outcome of a patient with no dose due (both shapes of
    the engine: before and after a standing outcome became the status)."""
    if assessment.status == "no_dose_due":
        standing = [f.outcome for f in assessment.findings if f.outcome in COMPARED[:2]]
        if standing:
            return min(standing, key=STATUS_SEVERITY.__getitem__)
    return assessment.status


def _severity(status: str) -> int:
    return STATUS_SEVERITY.get(status, len(STATUS_SEVERITY))


def stricter_notes(
    own: Sequence[DoseAssessment], others: Iterable[tuple[Protocol, Sequence[DoseAssessment]]]
) -> dict[str, list[StricterNote]]:
    """For each patient, every other protocol whose status is more severe than the
    patient's own, most severe first (``others``: each other protocol with its assessments
    of the same ward at the same moment). Patients with none are left out."""
    mine = {str(a.patient_id): a for a in own}
    notes: dict[str, list[StricterNote]] = {}
    for protocol, assessments in others:
        titles = {c.id: c.title for c in protocol.criteria}
        for other in assessments:
            pid = str(other.patient_id)
            base = mine.get(pid)
            if base is None or base.protocol_id == protocol.id:
                continue
            status = _effective(other)
            if status not in COMPARED or _severity(status) >= _severity(_effective(base)):
                continue
            finding = next(f for f in other.findings if f.outcome == status)
            notes.setdefault(pid, []).append(
                StricterNote(
                    pid,
                    protocol.id,
                    protocol.title,
                    status,
                    finding,
                    titles.get(finding.criterion, finding.criterion),
                )
            )
    for found in notes.values():
        found.sort(key=lambda note: _severity(note.status))  # stable: protocol order kept
    return notes


def assess_other_protocols(
    ward, at: pd.Timestamp, protocols: Iterable[Protocol]
) -> list[tuple[Protocol, list[DoseAssessment]]]:
    """The ward's next doses at ``at`` under each given protocol (one engine call each)."""
    return [(protocol, assess_next_doses(ward, at, protocol)) for protocol in protocols]
