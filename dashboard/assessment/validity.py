"""How long a verdict holds (criteria.md section 9.4).

A verdict made at T rests on the latest value of each parameter its protocol requires
(the criteria's ``required`` lists). It stops being valid at the earliest moment one of them
turns stale (its time + the freshness the protocol asks for), or at the dose time,
whichever comes first. When that is before the dose, the nurse must recheck that parameter
by then. The ward shows the age of these deciding values (the oldest of them), not of the
newest reading of any kind: a fresh heart rate must not make a 6-hour-old neuro check look
recent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.assessment.results import DoseAssessment
from dashboard.protocols import Protocol


@dataclass(frozen=True)
class Validity:
    """When a verdict stops being valid, and why."""

    until: pd.Timestamp | None  # None: nothing ends it before a new dose is scheduled
    recheck: str | None  # the parameter to recheck by ``until`` (before the dose), or None
    deciding_time: pd.Timestamp | None  # the oldest latest-time of the required parameters
    deciding_parameter: str | None  # which parameter that is
    never_recorded: tuple[str, ...] = ()  # required parameters with no value at all

    @property
    def recheck_before_dose(self) -> bool:
        return self.recheck is not None


def required_freshness(protocol: Protocol) -> dict[str, float]:
    """Each required parameter of the protocol with the strictest freshness asked of it."""
    hours: dict[str, float] = {}
    for criterion in protocol.criteria:
        for requirement in criterion.required:
            known = hours.get(requirement.parameter)
            if known is None or requirement.fresh_hours < known:
                hours[requirement.parameter] = requirement.fresh_hours
    return hours


def latest_times(observations: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """The latest time of every (patient_id, parameter) at or before ``at`` (one groupby
    for the whole ward)."""
    known = observations[observations["time"] <= at]
    return known.groupby([known["patient_id"].astype(str), "parameter"], sort=False)["time"].max()


def validity(assessment: DoseAssessment, protocol: Protocol | None, times: pd.Series) -> Validity:
    """The validity of one assessment; ``times`` from :func:`latest_times`."""
    at = pd.Timestamp(assessment.assessed_at)
    pid = str(assessment.patient_id)
    stale_at: dict[str, pd.Timestamp] = {}
    seen: dict[str, pd.Timestamp] = {}
    never: list[str] = []
    for parameter, hours in (required_freshness(protocol) if protocol else {}).items():
        time = times.get((pid, parameter))
        if time is None or pd.isna(time):
            never.append(parameter)
            continue
        seen[parameter] = time
        stale_at[parameter] = time + pd.Timedelta(hours=hours)
    deciding = min(seen, key=seen.__getitem__) if seen else None
    deciding_time = seen[deciding] if deciding is not None else None
    dose = assessment.scheduled_time
    if dose is None or pd.isna(dose):
        # Nothing is due: a standing discontinue or stop-cycle holds until a later cycle is
        # scheduled, and "no dose due" until one is. No freshness ends it.
        return Validity(None, None, deciding_time, deciding, tuple(never))
    if never:
        # A required value never recorded: the verdict (incomplete) needs it now.
        return Validity(at, never[0], deciding_time, deciding, tuple(never))
    first = min(stale_at, key=stale_at.__getitem__) if stale_at else None
    # An overdue dose (its time already past) bounds nothing: the freshness does.
    dose_bound = dose if dose > at else None
    if first is not None and (dose_bound is None or stale_at[first] < dose_bound):
        return Validity(stale_at[first], first, deciding_time, deciding)
    return Validity(dose_bound, None, deciding_time, deciding)


def ward_validity(
    assessments: Sequence[DoseAssessment],
    protocols: Mapping[str, Protocol],
    observations: pd.DataFrame,
    at: pd.Timestamp,
) -> dict[str, Validity]:
    """The validity of each patient's assessment (``protocols`` by protocol id)."""
    times = latest_times(observations, pd.Timestamp(at))
    return {
        str(a.patient_id): validity(a, protocols.get(a.protocol_id), times) for a in assessments
    }
