"""The assessment engine (criteria.md sections 1, 2 and 7), separate from the protocol
models: what a rule is lives in :mod:`dashboard.protocols`, how it is evaluated here.

Public API (the Streamlit app and the command line call these):

* :func:`assess_next_doses` - each patient's next dose at a moment T;
* :func:`assess_course` - every dose as of its scheduled time (a retrospective review);
* :func:`evaluate_ward` - the same as frames (points with status, findings), for
  vectorised callers;
* :class:`Finding`, :class:`DoseAssessment`, :class:`ChecklistEntry`.
"""

from dashboard.assessment.engine import (
    DOSE_LIMITS,
    FINDING_COLUMNS,
    EngineResult,
    assess_course,
    assess_next_doses,
    evaluate_ward,
    patient_protocols,
)
from dashboard.assessment.results import (
    FINDING_ORDER,
    NO_DOSE_DUE,
    STATUS_ORDER,
    ChecklistEntry,
    DoseAssessment,
    Finding,
)

__all__ = [
    "DOSE_LIMITS",
    "FINDING_COLUMNS",
    "FINDING_ORDER",
    "NO_DOSE_DUE",
    "STATUS_ORDER",
    "ChecklistEntry",
    "DoseAssessment",
    "EngineResult",
    "Finding",
    "assess_course",
    "assess_next_doses",
    "evaluate_ward",
    "patient_protocols",
]
