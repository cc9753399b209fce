"""The ward's own records: dose events, bedside entries, acknowledgements, the access log.

Every function writes one record in one transaction (all of it or nothing) and returns it
as stored. Nothing is ever changed afterwards: a wrong dose event is corrected by a new
event whose ``corrects`` names it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa

from dashboard.errors import DataValidationError, MonitorUserError, Problem
from dashboard.loading.validation import PatientIndex, validate_observations
from dashboard.store import batches, schema
from dashboard.store.database import Store
from dashboard.store.schema import utc_now

DoseEventKind = Literal["given", "held", "delayed"]
#: Giving a dose the monitor shows with one of these statuses needs a physician's override.
OVERRIDE_STATUSES = frozenset({"hold", "discontinue", "stop_cycle"})
ACKNOWLEDGED_STATUSES = OVERRIDE_STATUSES


@dataclass(frozen=True)
class DoseEvent:
    id: int
    patient_id: str
    cycle: int
    dose_number: int
    kind: str
    at: datetime | None  # given: when; delayed: until when; held: None
    reason: str
    note: str
    who: str
    recorded_at: datetime
    snapshot: dict
    override_by: str | None
    override_reason: str | None
    corrects: int | None


@dataclass(frozen=True)
class Acknowledgement:
    id: int
    patient_id: str
    status: str
    cycle: int | None
    dose_number: int | None
    who: str
    recorded_at: datetime
    note: str


def _required(text: str | None, what: str) -> str:
    if text is None or not str(text).strip():
        raise MonitorUserError(f"{what} is required")
    return str(text).strip()


def _aware(moment: datetime | None, what: str) -> datetime:
    if moment is None:
        raise MonitorUserError(f"{what} is required")
    if moment.tzinfo is None:
        raise MonitorUserError(f"{what} has no time zone: give the moment with its offset")
    return moment


def record_dose_event(
    store: Store,
    *,
    patient_id: str,
    cycle: int,
    dose_number: int,
    kind: DoseEventKind,
    who: str,
    snapshot: Mapping[str, Any],
    at: datetime | None = None,
    reason: str = "",
    note: str = "",
    override_by: str | None = None,
    override_reason: str | None = None,
    corrects: int | None = None,
) -> DoseEvent:
    """Record that a dose was given (``at``: when), held (``reason``) or delayed (``at``:
    until when), with ``snapshot``: what the monitor showed (at least its ``status``).

    Giving a dose shown as HOLD, DISCONTINUED or CYCLE STOPPED needs ``override_by`` (a
    physician) and ``override_reason``. ``corrects``: the id of the event this one
    corrects (same patient and dose); the corrected event stays.
    """
    who = _required(who, "who records the dose")
    if kind not in ("given", "held", "delayed"):
        raise MonitorUserError(f"'{kind}' is not a dose event: given, held or delayed")
    if "status" not in snapshot:
        raise MonitorUserError("the snapshot must hold the status the monitor showed")
    snapshot = json.loads(json.dumps(dict(snapshot), default=str))  # stored as shown, plain
    if kind == "given":
        at = _aware(at, "the time the dose was given")
        if snapshot["status"] in OVERRIDE_STATUSES:
            override_by = _required(
                override_by, f"a physician's override (the monitor showed {snapshot['status']})"
            )
            override_reason = _required(override_reason, "the reason for the override")
    elif kind == "delayed":
        at = _aware(at, "the time the dose is delayed until")
    else:
        reason = _required(reason, "the reason the dose is held")
        at = None
    with store.writing() as connection:
        if corrects is not None:
            corrected = (
                connection.execute(
                    sa.select(schema.dose_events).where(schema.dose_events.c.id == corrects)
                )
                .mappings()
                .first()
            )
            if corrected is None:
                raise MonitorUserError(f"there is no dose event {corrects} to correct")
            if (corrected["patient_id"], corrected["cycle"], corrected["dose_number"]) != (
                patient_id,
                cycle,
                dose_number,
            ):
                raise MonitorUserError(
                    f"dose event {corrects} is about another dose: a correction names its own"
                )
        row = (
            connection.execute(
                sa.insert(schema.dose_events)
                .values(
                    patient_id=patient_id,
                    cycle=int(cycle),
                    dose_number=int(dose_number),
                    kind=kind,
                    at=at,
                    reason=reason or "",
                    note=note or "",
                    who=who,
                    recorded_at=utc_now(),
                    snapshot=snapshot,
                    override_by=override_by,
                    override_reason=override_reason,
                    corrects=corrects,
                )
                .returning(*schema.dose_events.c)
            )
            .mappings()
            .one()
        )
    return DoseEvent(**row)


def dose_events(store: Store, patient_id: str | None = None) -> list[DoseEvent]:
    """Every dose event (of one patient), in the order recorded, corrected ones included."""
    query = sa.select(schema.dose_events).order_by(schema.dose_events.c.id)
    if patient_id is not None:
        query = query.where(schema.dose_events.c.patient_id == patient_id)
    with store.reading() as connection:
        return [DoseEvent(**row) for row in connection.execute(query).mappings()]


def current_dose_events(events: list[DoseEvent]) -> list[DoseEvent]:
    """The events no later event corrects: what the record says now."""
    corrected = {e.corrects for e in events if e.corrects is not None}
    return [e for e in events if e.id not in corrected]


def add_bedside_entry(
    store: Store,
    *,
    patient_id: str,
    time: datetime,
    values: Mapping[str, tuple[str, str]],
    who: str,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Save a bedside assessment: ``values`` maps a vocabulary parameter to (value as
    typed, unit as typed), e.g. {"sbp": ("112", "mm[Hg]"), "mental_status": ("normal", "")}.

    Validated by the same rules as a file's observations (names, units, plausible ranges);
    any problem refuses the whole entry with the field named (DataValidationError), so a
    half-entered assessment is never saved. Saved rows carry source "bedside entry by WHO"
    and ``entered_by``. Returns the canonical rows saved.
    """
    who = _required(who, "who enters the values")
    when = pd.Timestamp(_aware(time, "the time of the assessment")).tz_convert("UTC")
    if not values:
        raise MonitorUserError("a bedside entry needs at least one value")
    parameters = list(values)
    raw = pd.DataFrame(
        {
            "patient_id": [patient_id] * len(parameters),
            "time": [when.isoformat()] * len(parameters),
            "parameter": parameters,
            "value": [str(values[p][0]).strip() for p in parameters],
            "unit": [str(values[p][1] or "").strip() for p in parameters],
            "source_row": list(range(1, len(parameters) + 1)),
        }
    )
    source = f"bedside entry by {who}"
    with store.writing() as connection:
        known = set(
            connection.execute(sa.select(schema.patients.c.patient_id).distinct()).scalars()
        )
        index = PatientIndex(named=frozenset(known), refused=frozenset(), file="patients")
        checked = validate_observations(raw, source, timezone, index, row_kind="field")
        if checked.problems:
            raise DataValidationError(
                [
                    Problem(
                        file=source,
                        row=None,
                        column=_field(parameters, p),
                        reason=p.reason,
                    )
                    for p in checked.problems
                ]
            )
        batches.write_batches(
            connection, batches.batch_table(checked.frame), import_id=None, entered_by=who
        )
    return checked.frame


def _field(parameters: list[str], problem: Problem) -> str:
    """The field a person filled in: the parameter, and which part of it was wrong."""
    name = parameters[problem.row - 1] if problem.row else "entry"
    return name if problem.column in (None, "parameter") else f"{name} {problem.column}"


def acknowledge(
    store: Store,
    *,
    patient_id: str,
    status: str,
    who: str,
    cycle: int | None = None,
    dose_number: int | None = None,
    note: str = "",
) -> Acknowledgement:
    """A physician acknowledges a new HOLD, CYCLE STOPPED or DISCONTINUED."""
    who = _required(who, "who acknowledges")
    if status not in ACKNOWLEDGED_STATUSES:
        raise MonitorUserError(
            f"'{status}' is not acknowledged: only {', '.join(sorted(ACKNOWLEDGED_STATUSES))}"
        )
    with store.writing() as connection:
        row = (
            connection.execute(
                sa.insert(schema.acknowledgements)
                .values(
                    patient_id=patient_id,
                    status=status,
                    cycle=cycle,
                    dose_number=dose_number,
                    who=who,
                    recorded_at=utc_now(),
                    note=note or "",
                )
                .returning(*schema.acknowledgements.c)
            )
            .mappings()
            .one()
        )
    return Acknowledgement(**row)


def acknowledgements(store: Store, patient_id: str | None = None) -> list[Acknowledgement]:
    query = sa.select(schema.acknowledgements).order_by(schema.acknowledgements.c.id)
    if patient_id is not None:
        query = query.where(schema.acknowledgements.c.patient_id == patient_id)
    with store.reading() as connection:
        return [Acknowledgement(**row) for row in connection.execute(query).mappings()]


def log_access(
    store: Store,
    *,
    who: str,
    action: str,
    detail: str = "",
    role: str | None = None,
    page: str | None = None,
    patient: str | None = None,
) -> None:
    """One line of the access log (who opened which page or patient, who imported...)."""
    with store.writing() as connection:
        connection.execute(
            sa.insert(schema.access_log).values(
                at=utc_now(),
                who=_required(who, "who"),
                action=action,
                detail=detail,
                role=role,
                page=page,
                patient=patient,
            )
        )


def access_log(store: Store) -> list[dict]:
    with store.reading() as connection:
        return [
            dict(row)
            for row in connection.execute(
                sa.select(schema.access_log).order_by(schema.access_log.c.id)
            ).mappings()
        ]
