"""The dosing schedule: which dose is next, and over which interval it is assessed.

A small domain module over the canonical ``doses`` frame (data-contract section 1), used by
the assessment engine and by the screens. Everything is vectorised over patients and doses.

Definitions (criteria.md section 2), for a moment T:

* A dose is **decided at T** when it was *given* with ``administered_time <= T``, or
  *held* / *skipped* with ``scheduled_time <= T``. A given dose without an
  administered_time is taken as given at its scheduled_time. A dose recorded as given
  after T is not decided at T: as of T the nurse had not given it yet (reviewing the past
  must show what was known then).
* The **next dose** of a patient at T is the first dose, by (cycle, dose_number), that is
  not decided at T. None left: the patient has no dose due (``no_dose_due``).
* The **interval** of a dose D assessed at T starts at the administered_time of the last
  dose of D's cycle that was *given* at or before T and comes before D (by dose_number);
  when none has been given yet, at T minus the protocol's dosing interval (8 h). A held
  dose does not start an interval: what happened before it still counts.
* The **cycle start** is the earliest scheduled or administered time of the cycle's doses
  minus the dosing interval, so that the pre-dose assessment of dose 1 belongs to the cycle
  (used by criteria that look back over the whole cycle).
* **Counts** (given / held in the cycle and in the course) are over the doses that come
  before D (by cycle, dose_number) and are decided at T.

An **assessment point** is one (patient, dose) to assess at a moment T. For the next dose T
is "now"; in a course review T is each dose's scheduled_time.

A patient with no dose due at T is still assessed at T against the last cycle
(criteria.md section 9.1: a stopped course or cycle is never "no dose due"): a point with
``dose_due`` False, the last cycle, a dose number one past that cycle's last (so every dose
of the cycle counts as before it) and no scheduled time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.instants import NAT, as_ns, from_ns

DEFAULT_INTERVAL_HOURS = 8.0  # criteria.md section 2: "from T - 8 h"
CYCLE_KEY = 1_000_000  # patient code * CYCLE_KEY + cycle: one key per (patient, cycle)

POINT_COLUMNS = [
    "patient_id",
    "cycle",
    "dose_number",
    "scheduled_time",
    "recorded_status",
    "assessed_at",
    "interval_start",
    "interval_from_dose",
    "cycle_start",
    "given_in_cycle",
    "held_in_cycle",
    "given_in_course",
    "held_in_course",
    "is_target",
    "dose_due",
]


def effective_administered_time(doses: pd.DataFrame) -> pd.Series:
    """Administered time of given doses (scheduled time when it was not charted); else NaT."""
    given = doses["status"].eq("given")
    administered = doses["administered_time"].where(
        doses["administered_time"].notna(), doses["scheduled_time"]
    )
    return administered.where(given)


def decided_at(doses: pd.DataFrame, at: pd.Timestamp | pd.Series) -> pd.Series:
    """True for doses decided at ``at`` (a moment, or one moment per row)."""
    administered = effective_administered_time(doses)
    given = doses["status"].eq("given") & (administered <= at)
    not_given = doses["status"].isin(["held", "skipped"]) & (doses["scheduled_time"] <= at)
    return given | not_given


def _interval_hours_by_patient(
    patient_ids: pd.Series, interval_hours: float | pd.Series | dict
) -> pd.Series:
    if isinstance(interval_hours, dict):
        interval_hours = pd.Series(interval_hours)
    if isinstance(interval_hours, pd.Series):
        hours = patient_ids.map(interval_hours).astype(float)
        return hours.fillna(DEFAULT_INTERVAL_HOURS)
    return pd.Series(float(interval_hours), index=patient_ids.index)


def _sorted_doses(doses: pd.DataFrame) -> pd.DataFrame:
    frame = doses[
        ["patient_id", "cycle", "dose_number", "scheduled_time", "status", "administered_time"]
    ].copy()
    frame["patient_id"] = frame["patient_id"].astype(str)
    frame["cycle"] = frame["cycle"].astype(int)
    frame["dose_number"] = frame["dose_number"].astype(int)
    frame["administered"] = effective_administered_time(frame)
    return frame.sort_values(["patient_id", "cycle", "dose_number"], kind="stable").reset_index(
        drop=True
    )


def _complete_points(
    points: pd.DataFrame, doses: pd.DataFrame, interval_hours: float | pd.Series | dict
) -> pd.DataFrame:
    """Add interval, cycle start and counts to points (patient_id, cycle, dose_number,
    assessed_at, ...), from the decided doses that come before each point's dose.

    Vectorised over (point, dose of the same patient) pairs: a course has tens of doses, so
    the pairs stay few, and "decided at T" stays exact for late or late-charted doses."""
    points = points.reset_index(drop=True)
    n = len(points)
    hours = _interval_hours_by_patient(points["patient_id"], interval_hours).to_numpy()
    hour_ns = (hours * 3_600_000_000_000).astype(np.int64)

    patient_index = pd.Index(pd.unique(doses["patient_id"]))
    dose_codes = patient_index.get_indexer(doses["patient_id"])  # doses sorted by patient
    point_codes = patient_index.get_indexer(points["patient_id"])
    bounds = np.searchsorted(dose_codes, np.arange(len(patient_index) + 1))
    start = np.where(point_codes >= 0, bounds[np.maximum(point_codes, 0)], 0)
    end = np.where(point_codes >= 0, bounds[np.maximum(point_codes, 0) + 1], 0)
    lengths = end - start
    owner = np.repeat(np.arange(n), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    j = start[owner] + offsets

    d_cycle = doses["cycle"].to_numpy(np.int64)[j]
    d_number = doses["dose_number"].to_numpy(np.int64)[j]
    d_status = doses["status"].to_numpy(object)[j]
    d_scheduled = as_ns(doses["scheduled_time"])[j]
    d_administered = as_ns(doses["administered"])[j]
    p_cycle = points["cycle"].to_numpy(np.int64)[owner]
    p_number = points["dose_number"].to_numpy(np.int64)[owner]
    at = as_ns(points["assessed_at"])[owner]

    before = (d_cycle < p_cycle) | ((d_cycle == p_cycle) & (d_number < p_number))
    given = before & (d_status == "given") & (d_administered <= at)
    held = before & (d_status == "held") & (d_scheduled <= at)
    same_cycle = d_cycle == p_cycle

    def count(mask):
        return np.bincount(owner[mask], minlength=n).astype(int)

    points["given_in_course"] = count(given)
    points["held_in_course"] = count(held)
    points["given_in_cycle"] = count(given & same_cycle)
    points["held_in_cycle"] = count(held & same_cycle)

    last_given = np.full(n, NAT, dtype=np.int64)
    chosen = given & same_cycle
    np.maximum.at(last_given, owner[chosen], d_administered[chosen])
    assessed = as_ns(points["assessed_at"])
    points["interval_from_dose"] = last_given != NAT
    points["interval_start"] = from_ns(np.where(last_given != NAT, last_given, assessed - hour_ns))

    # cycle start: the earliest scheduled or administered time of the cycle, minus the
    # interval (the pre-dose assessment of dose 1 belongs to the cycle)
    all_cycles = doses["cycle"].to_numpy(np.int64)
    all_scheduled = as_ns(doses["scheduled_time"])
    all_administered = as_ns(doses["administered"])
    earliest = np.where(
        all_administered != NAT, np.minimum(all_scheduled, all_administered), all_scheduled
    )
    cycle_keys = dose_codes.astype(np.int64) * CYCLE_KEY + all_cycles
    unique_keys, inverse = np.unique(cycle_keys, return_inverse=True)
    firsts = np.full(len(unique_keys), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(firsts, inverse, earliest)
    point_keys = point_codes.astype(np.int64) * CYCLE_KEY + points["cycle"].to_numpy(np.int64)
    position = np.clip(np.searchsorted(unique_keys, point_keys), 0, max(len(unique_keys) - 1, 0))
    first_of_cycle = firsts[position] if len(unique_keys) else np.zeros(n, np.int64)
    points["cycle_start"] = from_ns((first_of_cycle - hour_ns).astype(np.int64))
    return points


def next_doses(
    doses: pd.DataFrame,
    at: pd.Timestamp,
    interval_hours: float | pd.Series | dict = DEFAULT_INTERVAL_HOURS,
) -> pd.DataFrame:
    """The next dose of each patient at ``at``: one row per patient with a dose left.

    Columns are :data:`POINT_COLUMNS`, with ``assessed_at`` = ``at`` and ``is_target`` True.
    Patients with every dose decided are absent (they have no dose due).
    """
    at = pd.Timestamp(at)
    frame = _sorted_doses(doses)
    undecided = frame[~decided_at(frame, at)]
    first = undecided.drop_duplicates("patient_id", keep="first")
    points = pd.DataFrame(
        {
            "patient_id": first["patient_id"],
            "cycle": first["cycle"],
            "dose_number": first["dose_number"],
            "scheduled_time": first["scheduled_time"],
            "recorded_status": first["status"],
            "assessed_at": at,
            "is_target": True,
            "dose_due": True,
        }
    )
    points = _complete_points(points, frame, interval_hours)
    return points[POINT_COLUMNS]


def no_dose_points(
    doses: pd.DataFrame,
    at: pd.Timestamp,
    interval_hours: float | pd.Series | dict = DEFAULT_INTERVAL_HOURS,
) -> pd.DataFrame:
    """One point at ``at`` per patient whose every dose is decided at ``at``: the patient
    assessed against the last cycle (criteria.md section 9.1), ``dose_due`` False.

    Its dose number is one past the last of that cycle, so that the interval starts at the
    cycle's last given dose and the counts include every dose of the cycle; its
    scheduled_time is NaT (no dose is waiting)."""
    at = pd.Timestamp(at)
    frame = _sorted_doses(doses)
    pending = frame.loc[~decided_at(frame, at), "patient_id"].unique()
    done = frame[~frame["patient_id"].isin(pending)]
    last = done.drop_duplicates("patient_id", keep="last")  # sorted by cycle, dose_number
    points = pd.DataFrame(
        {
            "patient_id": last["patient_id"],
            "cycle": last["cycle"],
            "dose_number": last["dose_number"] + 1,
            "scheduled_time": pd.Series(pd.NaT, index=last.index, dtype="datetime64[ns, UTC]"),
            "recorded_status": None,
            "assessed_at": at,
            "is_target": True,
            "dose_due": False,
        }
    )
    points = _complete_points(points, frame, interval_hours)
    return points[POINT_COLUMNS]


def course_points(
    doses: pd.DataFrame,
    interval_hours: float | pd.Series | dict = DEFAULT_INTERVAL_HOURS,
    before: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One point per dose, assessed as of its own scheduled_time (a course review).

    With ``before``, only the doses scheduled before that moment (the history that
    stop-cycle and discontinue criteria look back over when assessing the next dose).
    """
    frame = _sorted_doses(doses)
    if before is not None:
        frame_points = frame[frame["scheduled_time"] < pd.Timestamp(before)]
    else:
        frame_points = frame
    points = pd.DataFrame(
        {
            "patient_id": frame_points["patient_id"],
            "cycle": frame_points["cycle"],
            "dose_number": frame_points["dose_number"],
            "scheduled_time": frame_points["scheduled_time"],
            "recorded_status": frame_points["status"],
            "assessed_at": frame_points["scheduled_time"],
            "is_target": True,
            "dose_due": True,
        }
    )
    points = _complete_points(points, frame, interval_hours)
    return points[POINT_COLUMNS]


def assessment_points(
    doses: pd.DataFrame,
    at: pd.Timestamp | None = None,
    interval_hours: float | pd.Series | dict = DEFAULT_INTERVAL_HOURS,
) -> pd.DataFrame:
    """The points to assess, with the history each needs.

    ``at`` given: each patient's next dose at ``at`` (``is_target`` True), plus every
    other dose scheduled before ``at`` as of its own scheduled_time (``is_target`` False):
    stop-cycle criteria are checked at every assessment point of the cycle and
    discontinue criteria over the course (criteria.md section 2).
    A patient with every dose decided at ``at`` gets a target point at ``at`` against the
    last cycle (``dose_due`` False; :func:`no_dose_points`).
    ``at`` None: every dose as of its scheduled_time, all targets (a course review).
    Sorted by patient, then time of assessment.
    """
    if at is None:
        points = course_points(doses, interval_hours)
    else:
        target = next_doses(doses, at, interval_hours)
        finished = no_dose_points(doses, at, interval_hours)
        if len(finished):
            target = pd.concat([target, finished], ignore_index=True) if len(target) else finished
        history = course_points(doses, interval_hours, before=at)
        key = ["patient_id", "cycle", "dose_number"]
        history = history.merge(target[key], on=key, how="left", indicator=True)
        history = history[history["_merge"] == "left_only"].drop(columns="_merge")
        history["is_target"] = False
        points = pd.concat([history, target], ignore_index=True) if len(history) else target
    points = points.sort_values(
        ["patient_id", "assessed_at", "cycle", "dose_number"], kind="stable"
    ).reset_index(drop=True)
    points["is_target"] = points["is_target"].astype(bool)
    points["dose_due"] = points["dose_due"].astype(bool)
    return points
