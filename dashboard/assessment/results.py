"""What an assessment returns: findings, the status of a dose, and its checklist.

These are the public shapes the command line and the Streamlit app read. Every finding
carries its basis: the value and its time, the rule in words and the source (criteria.md,
preamble: "Every screen that shows an outcome shows its basis").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

#: Status of a dose, most severe first (criteria.md section 1).
STATUS_ORDER = ("discontinue", "stop_cycle", "cycle_complete", "hold", "incomplete", "clear")
#: Every finding outcome, most severe first; resolved, watch and info never set the status.
FINDING_ORDER = (*STATUS_ORDER[:-1], "resolved", "watch", "info")
STATUS_SEVERITY = {status: rank for rank, status in enumerate(STATUS_ORDER)}
FINDING_SEVERITY = {outcome: rank for rank, outcome in enumerate(FINDING_ORDER)}
NO_DOSE_DUE = "no_dose_due"
#: Outcomes that stand for the rest of the cycle or course (criteria.md section 1): a
#: patient with no dose due still shows them, and the ward sorts by them.
STANDING_OUTCOMES = ("discontinue", "stop_cycle")
#: Titles of the findings the engine makes itself, not from a protocol's criteria.
ENGINE_CRITERIA_TITLES = {
    "dose_limits": "Dose limits",
    "dose_record": "Dose record incomplete (a dose row was refused)",
    "observation_record": "Chart incomplete (an observation row was refused)",
    "patient_record": "Patient row refused (nothing of the patient is loaded)",
}


class Finding(NamedTuple):
    """One criterion's outcome for one dose, with its basis.

    Immutable like a frozen dataclass, but a tuple: a course review of a large ward builds
    10^5 of them, and a tuple is built several times faster.
    """

    criterion: str
    outcome: str  # discontinue | stop_cycle | cycle_complete | hold | incomplete | resolved
    #               | watch | info
    parameter: str | None
    value: float | str | None  # a number in `unit`, or a code
    unit: str | None
    time: pd.Timestamp | None  # UTC
    rule: str  # the rule in words, e.g. "latest sbp < 90 mm[Hg]"
    source: str  # citation text
    interpretation: str | None = None
    detail: str | None = None  # the values it rests on, freshness, what must recover
    restart: str | None = None  # restart condition in words (hold and resolved)
    system: str | None = None


@dataclass(frozen=True)
class ChecklistEntry:
    """One criterion of the protocol for one dose, clear ones included."""

    criterion: str
    title: str
    system: str
    state: str  # the criterion's most severe finding outcome, else "clear"
    outcomes: tuple[str, ...]  # what the criterion can decide
    rule: str  # every grade's trigger in words
    restart: str | None
    values: tuple[dict, ...]  # latest value used of each parameter: parameter, value, unit, time
    source: str
    interpretation: str | None


@dataclass
class DoseAssessment:
    """The assessment of one dose of one patient."""

    patient_id: str
    protocol_id: str
    cycle: int | None
    dose_number: int | None
    scheduled_time: pd.Timestamp | None
    assessed_at: pd.Timestamp
    recorded_status: str | None
    status: str  # discontinue | stop_cycle | hold | incomplete | clear | cycle_complete
    #              | no_dose_due. With no dose due (dose_number and scheduled_time None,
    #              cycle the last cycle) the status is the standing discontinue or
    #              stop_cycle, else no_dose_due (criteria.md section 9.1); a refused dose
    #              row makes it incomplete (finding dose_record, section 9.7).
    findings: list[Finding] = field(default_factory=list)  # most severe first
    _checklist_builder: Callable[[], list[ChecklistEntry]] | None = field(
        default=None, repr=False, compare=False
    )
    _checklist: list[ChecklistEntry] | None = field(default=None, repr=False, compare=False)

    @property
    def checklist(self) -> list[ChecklistEntry]:
        """One entry per criterion of the protocol (built when first asked for)."""
        if self._checklist is None:
            self._checklist = self._checklist_builder() if self._checklist_builder else []
        return self._checklist
