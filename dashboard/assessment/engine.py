"""The assessment engine: every criterion of a protocol at every assessment point.

How a dose is assessed is criteria.md section 2; this module applies it, vectorised over
all assessment points of a ward at once (one numpy pass per rule, never a loop over
observations):

* **withhold-until** criteria (outcome ``hold``): triggered when the trigger X is met at T
  or at any moment of the interval (each observation time of the parameters X reads, and
  the interval's start); ``hold`` while the restart R (default: not X) is not met at T,
  ``resolved`` once it is. SpO2 88 then 90 under a "> 90" restart is still a hold.
* **stop-cycle** criteria are checked at every assessment point of the cycle and stay met
  for the rest of the cycle; **discontinue** criteria stay met for the rest of the course.
* **required parameters** without a fresh latest value make the criterion ``incomplete``:
  missing is never normal, so no fresh value never gives ``clear``.
* **dose limits**: the protocol's maximum doses per cycle / course reached ->
  ``cycle_complete``.
* **watch** criteria (section 7) and ``info`` (insufficient history of a window) are shown
  and never change the status; a watch is raised only where its ``required`` parameters
  are fresh.
* **no dose due** (section 9.1): a patient with every dose decided is assessed at T against
  the last cycle; only the standing discontinue / stop_cycle findings are kept.
* **refused dose rows** (section 9.7): a ``dose_record`` finding (incomplete) on every
  assessment of the patient.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from dashboard.assessment import words
from dashboard.assessment.conditions import (
    HOUR_NS,
    CriteriaCount,
    Evaluator,
    Moments,
    Reading,
    known,
)
from dashboard.assessment.results import (
    FINDING_SEVERITY,
    NO_DOSE_DUE,
    STANDING_OUTCOMES,
    STATUS_SEVERITY,
    ChecklistEntry,
    DoseAssessment,
    Finding,
)
from dashboard.assessment.series import NAT, NONE, ObservationStore, as_ns
from dashboard.errors import Problem
from dashboard.protocols import DEFAULT_PROTOCOL_ID, Criterion, Grade, Protocol, load_protocol
from dashboard.protocols.rules import CountCriteria
from dashboard.schedule import assessment_points
from dashboard.tables import ImportReport, WardData
from dashboard.vocabulary import load_vocabulary

FINDING_COLUMNS = [
    "point",
    "criterion",
    "outcome",
    "parameter",
    "value",
    "code",
    "unit",
    "time",
    "rule",
    "source",
    "interpretation",
    "detail",
    "restart",
    "system",
]
PATIENT_VALUE_COLUMNS = ("baseline_weight_kg", "baseline_creatinine_mg_dl", "target_sbp_mmhg")
DOSE_LIMITS = "dose_limits"
PATIENT_RECORD = "patient_record"
DOSE_RECORD = "dose_record"
OBSERVATION_RECORD = "observation_record"


def finding_frame(
    *,
    point,
    criterion,
    outcome,
    parameter,
    value,
    code,
    unit,
    time,
    rule,
    source,
    interpretation,
    detail,
    restart,
    system,
    key: str = "point",
) -> pd.DataFrame:
    """Findings as rows of FINDING_COLUMNS: the one place a finding row is written, so that
    every finding (criteria, freshness, dose limits, refused rows) carries the same
    columns: value, time, rule and source (design.md: every flag shows them). Each argument
    is a scalar or an array of one value per finding; ``key`` names the first column
    (``patient_id`` for findings made before points exist)."""
    return pd.DataFrame(
        {
            key: point,
            "criterion": criterion,
            "outcome": outcome,
            "parameter": parameter,
            "value": value,
            "code": code,
            "unit": unit,
            "time": time,
            "rule": rule,
            "source": source,
            "interpretation": interpretation,
            "detail": detail,
            "restart": restart,
            "system": system,
        }
    )


@dataclass
class EngineResult:
    """Assessment points (one row each, with ``status`` and ``protocol_id``) and findings
    (one row per finding, ``point`` = row of ``points``)."""

    points: pd.DataFrame
    findings: pd.DataFrame
    protocols: dict[str, Protocol]
    checklists: dict[str, ChecklistSource]


# --------------------------------------------------------------------------- protocols


def patient_protocols(
    patients: pd.DataFrame, patient_ids: pd.Index, protocol: Protocol | None = None
) -> tuple[pd.Series, dict[str, Protocol]]:
    """Each patient's protocol id, and the protocols by id, exactly as the engine assesses
    them: ``protocol`` for everyone, else each patient's ``protocol`` column (a shipped id
    or a site's file), empty = the default."""
    return _protocol_by_patient(patients, patient_ids, protocol)


def _protocol_by_patient(
    patients: pd.DataFrame, patient_ids: pd.Index, protocol: Protocol | None
) -> tuple[pd.Series, dict[str, Protocol]]:
    if protocol is not None:
        return pd.Series(protocol.id, index=patient_ids), {protocol.id: protocol}
    wanted = pd.Series(DEFAULT_PROTOCOL_ID, index=patient_ids)
    if "protocol" in patients.columns and len(patients):
        named = patients.set_index(patients["patient_id"].astype(str))["protocol"]
        named = named[~named.index.duplicated()]
        named = named.where(named.notna(), "").astype(str).str.strip()
        named = named[named != ""]
        wanted.loc[named.index.intersection(patient_ids)] = named
    protocols = {name: load_protocol(name) for name in wanted.unique()}
    # a file may be named by path: key by the id inside it
    by_id = {}
    for name, loaded in protocols.items():
        wanted = wanted.replace(name, loaded.id)
        by_id[loaded.id] = loaded
    return wanted, by_id


# --------------------------------------------------------------------------- the engine


class _ProtocolRun:
    """All criteria of one protocol over its patients' assessment points."""

    def __init__(
        self,
        protocol: Protocol,
        points: pd.DataFrame,
        store: ObservationStore,
        evaluator: Evaluator,
        patient_values: dict[str, np.ndarray],
    ):
        self.protocol = protocol
        self.points = points
        self.store = store
        self.evaluator = evaluator
        n = len(points)
        self.n = n
        self.pc = points["_pc"].to_numpy(np.int64)
        self.t = as_ns(points["assessed_at"])
        self.interval_start = as_ns(points["interval_start"])
        self.cycle_start = as_ns(points["cycle_start"])
        values = {name: array[self.pc] for name, array in patient_values.items()}
        values["held_in_cycle"] = points["held_in_cycle"].to_numpy()
        values["held_in_course"] = points["held_in_course"].to_numpy()
        self.moments = Moments(
            point=np.arange(n),
            pc=self.pc,
            t=self.t,
            interval_start=self.interval_start,
            cycle_start=self.cycle_start,
            patient_values=values,
            at_assessment=True,
        )
        self._interval_moments: dict[tuple, Moments] = {}
        self.rows: list[pd.DataFrame] = []
        self.hold_active: dict[str, np.ndarray] = {}  # criterion -> hold grade active
        cycle = points["cycle"].to_numpy(np.int64)
        self.cycles = cycle
        self.dose_numbers = points["dose_number"].to_numpy(np.int64)
        self.cycle_group = pd.Series(self.pc * 100_000 + cycle)
        self.course_group = pd.Series(self.pc)

    # -- moments in the interval
    def interval_moments(self, parameters: tuple[str, ...], include_start: bool) -> Moments:
        """Each observation time in [interval start, T] of the parameters, and (for states
        that last: windows, active events) the interval's start itself."""
        key = (tuple(sorted(parameters)), include_start)
        if key in self._interval_moments:
            return self._interval_moments[key]
        owners = [np.arange(self.n)] if include_start else [np.zeros(0, np.int64)]
        times = [self.interval_start] if include_start else [np.zeros(0, np.int64)]
        for name in key[0]:
            series = self.store.series(name)
            if series.n == 0:
                continue
            start = series.start_ge(self.pc, self.interval_start)
            end = series.end_le(self.pc, self.t)
            lengths = np.maximum(end - start, 0)
            total = int(lengths.sum())
            if total == 0:
                continue
            owner = np.repeat(np.arange(self.n), lengths)
            offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            owners.append(owner)
            times.append(series.times[start[owner] + offsets])
        owner = np.concatenate(owners)
        moment_times = np.concatenate(times)
        base = self.moments
        moments = Moments(
            point=owner,
            pc=base.pc[owner],
            t=moment_times,
            interval_start=base.interval_start[owner],
            cycle_start=base.cycle_start[owner],
            patient_values={k: v[owner] for k, v in base.patient_values.items()},
            at_assessment=False,
            counts=None if base.counts is None else base.counts.take(owner),
        )
        self._interval_moments[key] = moments
        return moments

    def _met_in_interval(
        self, criterion_trigger, parameters
    ) -> tuple[np.ndarray, np.ndarray, Reading]:
        """(met at some moment of the interval, the last such moment, the reading)."""
        # criteria.md section 2: a window criterion met at the interval's start stays active;
        # a value read before the interval does not count as "in the interval".
        lasting = any(node.lasting for node in criterion_trigger.walk())
        moments = self.interval_moments(parameters, include_start=lasting)
        reading = self.evaluator.evaluate(criterion_trigger, moments)
        met_index = np.flatnonzero(reading.met)
        met = np.zeros(self.n, bool)
        last = np.full(self.n, -1, dtype=np.int64)
        if len(met_index):
            owners = moments.point[met_index]
            order = np.lexsort((moments.t[met_index], owners))
            owners_sorted = owners[order]
            is_last = np.r_[owners_sorted[1:] != owners_sorted[:-1], True]
            chosen = met_index[order][is_last]
            met[moments.point[chosen]] = True
            last[moments.point[chosen]] = chosen
        return met, last, reading

    # -- stickiness (criteria.md section 2: once met, for the rest of the cycle / course)
    def _sticky(self, met: np.ndarray, outcome: str) -> tuple[np.ndarray, np.ndarray]:
        group = self.cycle_group if outcome == "stop_cycle" else self.course_group
        met_at = pd.Series(np.where(met, np.arange(self.n), -1))
        source = met_at.groupby(group.to_numpy()).cummax().to_numpy()
        return source >= 0, source

    # -- findings
    def _frame(
        self,
        criterion: Criterion,
        outcome: str,
        rows: np.ndarray,
        reading: Reading,
        reading_rows: np.ndarray,
        rule: np.ndarray | None = None,
        detail: np.ndarray | None = None,
        restart: str | None = None,
    ) -> None:
        if not len(rows):
            return
        if detail is None:
            detail = reading.describe_rows(reading_rows)
        self.rows.append(
            finding_frame(
                point=self.points.index.to_numpy()[rows],
                criterion=criterion.id,
                outcome=outcome,
                parameter=reading.parameter[reading_rows],
                value=reading.value[reading_rows],
                code=reading.code[reading_rows],
                unit=reading.unit[reading_rows],
                time=reading.time[reading_rows],
                rule=reading.rule[reading_rows] if rule is None else rule,
                source=criterion.source.text(),
                interpretation=criterion.interpretation,
                detail=detail,
                restart=restart,
                system=criterion.system,
            )
        )

    def run(self) -> pd.DataFrame:
        criteria = [c for c in self.protocol.criteria if not c.is_count_rule]
        count_rules = [c for c in self.protocol.criteria if c.is_count_rule]
        for criterion in criteria:
            self._criterion(criterion)
        for criterion in count_rules:
            self._prepare_count(criterion)
            self._criterion(criterion)
        self._dose_limits()
        if not self.rows:
            return pd.DataFrame(columns=FINDING_COLUMNS)
        return pd.concat(self.rows, ignore_index=True)

    def _criterion(self, criterion: Criterion) -> None:
        """One criterion at every point: each grade by its outcome (most severe first; a
        point decided by a grade is not reported again by a later one), then what is
        missing (freshness) and what is only informational (insufficient history)."""
        decided = np.zeros(self.n, bool)  # a status-setting or resolved finding was made
        insufficient = np.zeros(self.n, bool)
        resolved: list[_Resolved] = []
        for grade in criterion.grades:
            at_t = self.evaluator.evaluate(grade.trigger, self.moments)
            insufficient |= at_t.insufficient
            if grade.outcome == "hold":
                decided |= self._hold(criterion, grade, at_t, decided, resolved)
            elif grade.outcome in STANDING_OUTCOMES:
                decided |= self._standing(criterion, grade, at_t, decided)
            else:
                decided |= self._watch(criterion, grade, at_t, decided)
        self._resolved(criterion, resolved, decided)
        if not criterion.is_watch:
            # a watch criterion's `required` only gates it; the protocol's own criteria say
            # what is missing (criteria.md section 7)
            self._freshness(criterion)
        self._insufficient_history(criterion, insufficient & ~decided)

    def _hold(
        self,
        criterion: Criterion,
        grade: Grade,
        at_t: Reading,
        decided: np.ndarray,
        resolved: list[_Resolved],
    ) -> np.ndarray:
        """Withhold-until (criteria.md section 2): X met at T or in the interval, and R not
        met at T. Writes the holds; keeps the resolved ones for after every grade (a more
        severe grade may still decide those points). Returns where the hold is active."""
        in_interval, last, interval_reading = self._met_in_interval(
            grade.trigger, grade.trigger.parameters()
        )
        # criteria.md section 2: R is met only where it is known (a stale window never
        # reads resolved); the default "not X" only where X is known not met.
        if grade.restart is not None:
            restart = self.evaluator.evaluate(grade.restart, self.moments)
            restart_met = restart.met & known(restart)
        else:
            restart = None
            restart_met = ~at_t.met & known(at_t)
        triggered = at_t.met | in_interval
        active = triggered & ~restart_met
        self.hold_active[criterion.id] = active
        restart_words = grade.restart_words()
        assert restart_words is not None  # a hold grade always has restart words
        for outcome, mask in (
            ("hold", active & ~decided),
            ("resolved", triggered & restart_met & ~decided),
        ):
            rows = np.flatnonzero(mask)
            if not len(rows):
                continue
            # The basis: the reading at T when it meets X, else the interval moment.
            use_t = at_t.met[rows]
            basis = np.empty(len(rows), dtype=object)
            if use_t.any():
                basis[use_t] = at_t.describe_rows(rows[use_t])
            if (~use_t).any():
                basis[~use_t] = interval_reading.describe_rows(last[rows[~use_t]])
            basis = basis.astype(str)
            now = restart.describe_rows(rows) if restart is not None else np.full(len(rows), "")
            merged = _merge_readings(at_t, interval_reading, rows, use_t, last)
            if outcome == "hold":
                self._frame(
                    criterion,
                    outcome,
                    rows,
                    merged,
                    np.arange(len(rows)),
                    detail=words.hold_detail(basis, restart_words, now),
                    restart=restart_words,
                )
            else:
                details = words.resolved_detail(basis, now)
                resolved.append(_Resolved(rows, merged, details, restart_words))
        return active

    def _standing(
        self, criterion: Criterion, grade: Grade, at_t: Reading, decided: np.ndarray
    ) -> np.ndarray:
        """stop_cycle / discontinue (criteria.md section 2): once met, for the rest of the
        cycle / course, shown with the assessment where it was met. Returns where met."""
        met, source = self._sticky(at_t.met, grade.outcome)
        rows = np.flatnonzero(met & ~decided)
        origins = source[rows]
        details = words.standing_detail(
            at_t.describe_rows(origins),
            origins != rows,
            self.cycles[origins],
            self.dose_numbers[origins],
            self.t[origins],
            "cycle" if grade.outcome == "stop_cycle" else "course",
        )
        self._frame(
            criterion,
            grade.outcome,
            rows,
            at_t,
            origins,
            detail=words.graded(grade.label, details) if len(rows) else details,
        )
        return met

    def _watch(
        self, criterion: Criterion, grade: Grade, at_t: Reading, decided: np.ndarray
    ) -> np.ndarray:
        """A watch (criteria.md section 7): at T only, and only on fresh data. Returns
        where its trigger is met (a later grade does not repeat it)."""
        rows = np.flatnonzero(at_t.met & ~decided & self._fresh(criterion))
        if len(rows):
            self._frame(
                criterion,
                "watch",
                rows,
                at_t,
                rows,
                detail=words.graded(grade.label, at_t.describe_rows(rows)),
            )
        return at_t.met

    def _resolved(
        self, criterion: Criterion, resolved: list[_Resolved], decided: np.ndarray
    ) -> None:
        """The resolved holds, where no grade decided the point."""
        for found in resolved:
            keep = ~decided[found.rows]
            if keep.any():
                self._frame(
                    criterion,
                    "resolved",
                    found.rows[keep],
                    found.reading,
                    np.flatnonzero(keep),
                    detail=found.details[keep],
                    restart=found.restart_words,
                )
                decided[found.rows[keep]] = True

    def _insufficient_history(self, criterion: Criterion, where: np.ndarray) -> None:
        """A window without enough history: informational, only when nothing else was
        said about the criterion at the point."""
        rows = np.flatnonzero(where)
        if not len(rows):
            return
        grade = criterion.grades[-1]
        reading = self.evaluator.evaluate(grade.trigger, self.moments)
        self._frame(
            criterion,
            "info",
            rows,
            reading,
            rows,
            rule=np.full(
                len(rows), words.insufficient_history_rule(grade.trigger.describe()), dtype=object
            ),
            detail=reading.describe_rows(rows),
        )

    def _fresh(self, criterion: Criterion) -> np.ndarray:
        """Where every required parameter of the criterion has a fresh latest value."""
        fresh = np.ones(self.n, bool)
        for requirement in criterion.required:
            series = self.store.series(requirement.parameter)
            position, has = series.latest(self.pc, self.t)
            time = np.where(has, series.times[position] if series.n else NAT, NAT)
            fresh &= has & (self.t - time <= np.int64(requirement.fresh_hours * HOUR_NS))
        return fresh

    def _freshness(self, criterion: Criterion) -> None:
        """criteria.md section 2: a required parameter without a fresh latest value makes the
        criterion incomplete, naming the parameter and how fresh it had to be."""
        for requirement in criterion.required:
            series = self.store.series(requirement.parameter)
            position, has = series.latest(self.pc, self.t)
            safe = np.clip(position, 0, max(series.n - 1, 0))
            time = np.where(has, series.times[safe] if series.n else NAT, NAT)
            limit = np.int64(requirement.fresh_hours * HOUR_NS)
            stale = ~has | (self.t - time > limit)
            rows = np.flatnonzero(stale)
            if not len(rows):
                continue
            unit = self.evaluator._unit(requirement.parameter)
            values = np.where(has, series.values[safe] if series.n else np.nan, np.nan)
            codes = (
                np.where(has, series.codes[safe] if series.n else NONE, NONE)
                if not self.evaluator.vocabulary[requirement.parameter].is_numeric
                else np.full(self.n, None, dtype=object)
            )
            self.rows.append(
                finding_frame(
                    point=self.points.index.to_numpy()[rows],
                    criterion=criterion.id,
                    outcome="incomplete",
                    parameter=requirement.parameter,
                    value=values[rows],
                    code=codes[rows],
                    unit=unit,
                    time=time[rows],
                    rule=words.freshness_rule(requirement.parameter, requirement.fresh_hours),
                    source=criterion.source.text(),
                    interpretation=criterion.interpretation,
                    detail=words.stale_detail(
                        requirement.parameter,
                        requirement.fresh_hours,
                        has[rows],
                        self.t[rows] - time[rows],
                        time[rows],
                    ),
                    restart=None,
                    system=criterion.system,
                )
            )

    def _prepare_count(self, criterion: Criterion) -> None:
        node = next(
            n for g in criterion.grades for n in g.trigger.walk() if isinstance(n, CountCriteria)
        )
        names = node.criteria or tuple(
            c.id
            for c in self.protocol.criteria
            if not c.is_count_rule and node.outcome in c.outcomes
        )
        states = {}
        for name in names:
            if node.outcome == "hold":
                active = self.hold_active.get(name, np.zeros(self.n, bool))
            else:
                active = self._outcome_mask(name, node.outcome)
            if node.mode == "cumulative":
                active = (
                    pd.Series(active)
                    .groupby(self.cycle_group.to_numpy())
                    .cummax()
                    .to_numpy()
                    .astype(bool)
                )
            states[name] = active
        matrix = np.vstack(list(states.values())) if states else np.zeros((1, self.n), bool)
        count = matrix.sum(axis=0)
        names_text = words.join_names([(name, state) for name, state in states.items()], self.n)
        self.moments.counts = CriteriaCount(count, names_text)
        # moments in the interval copied the counts of the previous count rule: build anew
        self._interval_moments.clear()

    def _outcome_mask(self, criterion_id: str, outcome: str) -> np.ndarray:
        mask = np.zeros(self.n, bool)
        index = self.points.index
        for frame in self.rows:
            chosen = frame[(frame["criterion"] == criterion_id) & (frame["outcome"] == outcome)]
            mask[index.get_indexer(pd.Index(chosen["point"]))] = True
        return mask

    def _dose_limits(self) -> None:
        """criteria.md section 1: cycle_complete when the protocol's maximum doses for the
        cycle (or course, or the number of cycles) have been given."""
        dosing = self.protocol.dosing
        checks = [
            (
                "given_in_cycle",
                dosing.doses_per_cycle,
                f"doses given in the cycle >= {dosing.doses_per_cycle}",
            ),
            (
                "given_in_course",
                dosing.max_doses_per_course,
                f"doses given in the course >= {dosing.max_doses_per_course}",
            ),
            ("cycle", dosing.cycles + 1, f"cycle number > {dosing.cycles}"),
        ]
        done = np.zeros(self.n, bool)
        source = f"{self.protocol.title}: dosing limits"
        for column, limit, rule in checks:
            values = self.points[column].to_numpy()
            rows = np.flatnonzero((values >= limit) & ~done)
            done[rows] = True
            if not len(rows):
                continue
            self.rows.append(
                finding_frame(
                    point=self.points.index.to_numpy()[rows],
                    criterion=DOSE_LIMITS,
                    outcome="cycle_complete",
                    parameter=None,
                    value=values[rows].astype(float),
                    code=None,
                    unit="doses" if column != "cycle" else "cycle",
                    time=self.t[rows],
                    rule=rule,
                    source=source,
                    interpretation=None,
                    detail=words.join(
                        f"{column.replace('_', ' ')}: ",
                        values[rows].astype(np.int64).astype(str),
                    ),
                    restart=None,
                    system="treatment",
                )
            )


@dataclass
class _Resolved:
    """Resolved holds of one grade, written once every grade has had its say."""

    rows: np.ndarray
    reading: Reading
    details: np.ndarray
    restart_words: str


def _merge_readings(
    at_t: Reading, interval: Reading, rows: np.ndarray, use_t: np.ndarray, last: np.ndarray
) -> Reading:
    """The basis per row: the reading at T where it meets the trigger, else the interval
    moment that did."""
    other = np.where(use_t, 0, last[rows])
    from_interval = ~use_t  # only these rows read the interval (it may hold no moment)

    def pick(name):
        picked = getattr(at_t, name)[rows].copy()
        if from_interval.any():
            picked[from_interval] = getattr(interval, name)[other[from_interval]]
        return picked

    return Reading(
        met=np.ones(len(rows), bool),
        parameter=pick("parameter"),
        value=pick("value"),
        code=pick("code"),
        unit=pick("unit"),
        time=pick("time"),
        rule=pick("rule"),
        insufficient=np.zeros(len(rows), bool),
    )


# --------------------------------------------------------------------------- checklist


class ChecklistSource:
    """The latest value of each parameter at each point, for checklists built on demand."""

    def __init__(self, protocol: Protocol, run: _ProtocolRun, findings: pd.DataFrame):
        self.protocol = protocol
        self.run = run
        self.findings = findings
        self._latest: dict[str, tuple] = {}
        self._positions = {point: i for i, point in enumerate(run.points.index)}

    def latest(self, parameter: str):
        if parameter not in self._latest:
            series = self.run.store.series(parameter)
            position, has = series.latest(self.run.pc, self.run.t)
            self._latest[parameter] = (series, position, has)
        return self._latest[parameter]

    def entries(self, point: int) -> list[ChecklistEntry]:
        i = self._positions[point]
        mine = self.findings[self.findings["point"] == point]
        vocabulary = self.run.evaluator.vocabulary
        # With no dose waiting only the standing criteria are assessed: every other one is
        # "no dose due", never "clear" (a low pressure then is not a cleared hold).
        unassessed = "clear" if bool(self.run.points["dose_due"].iloc[i]) else NO_DOSE_DUE
        entries = []
        for criterion in self.protocol.criteria:
            outcomes = mine.loc[mine["criterion"] == criterion.id, "outcome"]
            state = min(outcomes, key=FINDING_SEVERITY.__getitem__) if len(outcomes) else unassessed
            values: list[dict[str, object]] = []
            for parameter in criterion.parameters():
                if parameter == "event_resolved":
                    continue
                series, position, has = self.latest(parameter)
                if not has[i]:
                    values.append(
                        {"parameter": parameter, "value": None, "unit": None, "time": None}
                    )
                    continue
                spec = vocabulary[parameter]
                p = int(position[i])
                values.append(
                    {
                        "parameter": parameter,
                        "value": float(series.values[p]) if spec.is_numeric else series.codes[p],
                        "unit": spec.unit if spec.is_numeric else None,
                        "time": pd.Timestamp(int(series.times[p]), tz="UTC"),
                    }
                )
            restarts = [g.restart_words() for g in criterion.grades if g.outcome == "hold"]
            entries.append(
                ChecklistEntry(
                    criterion=criterion.id,
                    title=criterion.title,
                    system=criterion.system,
                    state=state,
                    outcomes=criterion.outcomes,
                    rule="; ".join(
                        f"{g.outcome}: {g.trigger.describe()}" for g in criterion.grades
                    ),
                    restart=restarts[0] if restarts else None,
                    values=tuple(values),
                    source=criterion.source.text(),
                    interpretation=criterion.interpretation,
                )
            )
        outcomes = mine.loc[mine["criterion"] == DOSE_LIMITS, "outcome"]
        dosing = self.protocol.dosing
        entries.append(
            ChecklistEntry(
                criterion=DOSE_LIMITS,
                title="Dose limits",
                system="treatment",
                state=outcomes.iloc[0] if len(outcomes) else unassessed,
                outcomes=("cycle_complete",),
                rule=(
                    f"at most {dosing.doses_per_cycle} doses per cycle, {dosing.cycles} cycles, "
                    f"{dosing.max_doses_per_course} doses per course"
                ),
                restart=None,
                values=(
                    {
                        "parameter": "doses given in the cycle",
                        "value": int(self.run.points["given_in_cycle"].iloc[i]),
                        "unit": "doses",
                        "time": None,
                    },
                    {
                        "parameter": "doses given in the course",
                        "value": int(self.run.points["given_in_course"].iloc[i]),
                        "unit": "doses",
                        "time": None,
                    },
                ),
                source=f"{self.protocol.title}: dosing limits",
                interpretation=None,
            )
        )
        return entries


# --------------------------------------------------------------------------- refused dose rows


#: What a refused row of each table makes unknown, and what to check (criteria.md 9.7;
#: data-contract section 4: the criteria that needed refused rows read incomplete).
RECORD_FINDINGS = {
    "doses": (
        DOSE_RECORD,
        "every dose row of the patient read (a refused dose row makes the dose count unknown)",
        ". The doses given and held are unknown: check the dose record",
    ),
    "observations": (
        OBSERVATION_RECORD,
        "every observation row of the patient read (a refused reading may be the "
        "one a criterion needs)",
        ". A value a criterion needs may be missing: check the chart",
    ),
}


def _problems_by_row(report: ImportReport, table: str) -> dict[int, Problem]:
    """The problem of each refused row of ``table``, by its row number: that table's
    file's problem first (a per-dose sheet has one file for every table), so that row 3
    of patients.csv is never explained by row 3 of observations.csv."""
    problems: dict[int, Problem] = {}
    for problem in sorted(report.problems, key=lambda p: table[:-1] not in str(p.file).lower()):
        if problem.row is not None:
            problems.setdefault(int(problem.row), problem)
    return problems


def _dose_record_findings(ward: WardData) -> pd.DataFrame:
    """One finding per refused dose or observation row, by patient (criteria.md section
    9.7): when a load went on past refused rows, a refused dose row makes the patient's dose
    count unknown, and a refused reading may be the one a criterion needs (a creatinine of
    5.2 typed with a wrong unit must not leave an older 1.0 to read clear), so every
    assessment of that patient is incomplete and names the row."""
    columns = ["patient_id", *FINDING_COLUMNS[1:]]
    report: ImportReport | None = getattr(ward, "report", None)
    refused = getattr(report, "refused_rows", None)
    if report is None or refused is None or refused.empty or "table" not in refused.columns:
        return pd.DataFrame(columns=columns)
    frames = []
    for table, (criterion, rule, consequence) in RECORD_FINDINGS.items():
        rows_of = refused[refused["table"].eq(table) & refused["patient_id"].notna()]
        if rows_of.empty:
            continue
        problems = _problems_by_row(report, table)
        numbers = (
            pd.to_numeric(rows_of["source_row"], errors="coerce")
            if "source_row" in rows_of.columns
            else pd.Series(np.nan, index=rows_of.index)
        )
        where, why = [], []
        for row in numbers.tolist():
            problem = problems.get(int(row)) if pd.notna(row) else None
            if problem is None:
                where.append(f"{table}, row {int(row)}" if pd.notna(row) else f"a {table} row")
                why.append("refused at load")
            else:
                where.append(f"{problem.file}, {problem.row_kind} {problem.row}")
                why.append(
                    problem.reason + (f" (column {problem.column})" if problem.column else "")
                )
        sources = np.array(where, dtype=object)
        frames.append(
            finding_frame(
                key="patient_id",
                point=rows_of["patient_id"].astype(str).str.strip().to_numpy(),
                criterion=criterion,
                outcome="incomplete",
                parameter=None,
                value=np.nan,
                code=None,
                unit=None,
                time=NAT,
                rule=rule,
                source=sources,
                interpretation=None,
                detail=words.join(sources, " refused: ", np.array(why, dtype=object), consequence),
                restart=None,
                system="treatment",
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


# --------------------------------------------------------------------------- entry points


def evaluate_ward(
    ward: WardData, at: pd.Timestamp | None = None, protocol: Protocol | None = None
) -> EngineResult:
    """Assess a ward: the next dose of each patient at ``at``, or (``at`` None) every dose
    as of its scheduled time. Returns frames; see :func:`assess_next_doses` for objects."""
    patients = ward.patients
    patient_ids = pd.Index(
        pd.unique(
            pd.concat(
                [patients["patient_id"].astype(str), ward.doses["patient_id"].astype(str)],
                ignore_index=True,
            )
        )
    )
    protocol_of, protocols = _protocol_by_patient(patients, patient_ids, protocol)
    interval_hours = protocol_of.map({pid: p.dosing.interval_hours for pid, p in protocols.items()})
    if at is not None:
        at = _utc(at)
    points = assessment_points(ward.doses, at, interval_hours)
    points["_pc"] = patient_ids.get_indexer(pd.Index(points["patient_id"]))
    points["protocol_id"] = protocol_of.reindex(points["patient_id"]).to_numpy()

    table = patients.drop_duplicates("patient_id").set_index(
        patients.drop_duplicates("patient_id")["patient_id"].astype(str)
    )
    patient_values = {}
    for column in PATIENT_VALUE_COLUMNS:
        if column in table.columns:
            series = pd.to_numeric(table[column], errors="coerce")
        else:
            series = pd.Series(dtype=float)
        patient_values[column] = series.reindex(patient_ids).to_numpy(dtype=float)

    store = ObservationStore(ward.observations, patient_ids)
    evaluator = Evaluator(store, load_vocabulary())
    frames = []
    checklists = {}
    for protocol_id, chosen in protocols.items():
        subset = points[points["protocol_id"] == protocol_id]
        if subset.empty:
            continue
        run = _ProtocolRun(chosen, subset, store, evaluator, patient_values)
        findings = run.run()
        frames.append(findings)
        checklists[protocol_id] = ChecklistSource(chosen, run, findings)
    records = _dose_record_findings(ward)
    if len(records):
        joined = points[["patient_id"]].reset_index(names="point").merge(records, on="patient_id")
        frames.append(joined.drop(columns="patient_id")[FINDING_COLUMNS])
    findings = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    findings["time"] = (
        pd.to_datetime(findings["time"].astype("int64"), utc=True)
        if len(findings)
        else pd.Series(dtype="datetime64[ns, UTC]")
    )
    findings["severity"] = findings["outcome"].map(FINDING_SEVERITY)
    findings = findings.sort_values(["point", "severity", "criterion"], kind="stable").reset_index(
        drop=True
    )

    # criteria.md section 9.1: a patient with no dose due was assessed at T against the last
    # cycle; only what stands for the cycle or course is said (no dose waits to be held),
    # and the early warnings (9.2, 9.3: a KDIGO stage is shown whatever the status).
    no_dose = points.index[~points["dose_due"].to_numpy(bool)]
    if len(no_dose):
        not_standing = (
            findings["point"].isin(no_dose)
            & ~findings["outcome"].isin([*STANDING_OUTCOMES, "watch"])
            & ~findings["criterion"].isin([DOSE_RECORD, OBSERVATION_RECORD])
        )
        findings = findings[~not_standing].reset_index(drop=True)
    status_setting = findings[findings["outcome"].isin(list(STATUS_SEVERITY))]
    worst = status_setting.groupby("point")["severity"].min()
    rank_to_status = {rank: status for status, rank in STATUS_SEVERITY.items()}
    status = worst.reindex(points.index).map(rank_to_status).to_numpy()
    points["status"] = np.where(
        pd.isna(status), np.where(points["dose_due"].to_numpy(bool), "clear", NO_DOSE_DUE), status
    )
    for source in checklists.values():
        source.findings = findings
    return EngineResult(
        points=points.drop(columns="_pc"),
        findings=findings,
        protocols=protocols,
        checklists=checklists,
    )


def _utc(moment) -> pd.Timestamp:
    moment = pd.Timestamp(moment)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _finding_objects(findings: pd.DataFrame) -> dict[int, list[Finding]]:
    """Finding objects per point (findings are sorted by point, most severe first)."""
    grouped: dict[int, list[Finding]] = {}
    if findings.empty:
        return grouped
    codes = findings["code"].to_numpy(object)
    has_code = np.array([isinstance(c, str) for c in codes.tolist()], dtype=bool)
    values = findings["value"].to_numpy(float)
    shown = np.where(has_code, codes, np.where(np.isnan(values), NONE, values.astype(object)))
    times = findings["time"]
    time_list = [None if t is pd.NaT else t for t in times]
    units = [unit or None for unit in findings["unit"].tolist()]
    interpretations = [
        i if isinstance(i, str) else None for i in findings["interpretation"].tolist()
    ]
    restarts = [r if isinstance(r, str) else None for r in findings["restart"].tolist()]
    made = map(
        Finding._make,
        zip(
            findings["criterion"].tolist(),
            findings["outcome"].tolist(),
            findings["parameter"].tolist(),
            shown.tolist(),
            units,
            time_list,
            findings["rule"].tolist(),
            findings["source"].tolist(),
            interpretations,
            findings["detail"].tolist(),
            restarts,
            findings["system"].tolist(),
            strict=True,
        ),
    )
    for point, finding in zip(findings["point"].tolist(), made, strict=True):
        bucket = grouped.get(point)
        if bucket is None:
            grouped[point] = [finding]
        else:
            bucket.append(finding)
    return grouped


@contextmanager
def _no_collection_pauses():
    """Pause the cyclic garbage collector while building many small objects.

    Building 10^5 findings triggers repeated full collections that scan every object made
    so far (about a quarter of a course review's time); these objects hold no cycles, so
    nothing is lost by collecting once afterwards instead.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _assessments(result: EngineResult, targets: pd.DataFrame) -> list[DoseAssessment]:
    with _no_collection_pauses():
        return _build_assessments(result, targets)


def _build_assessments(result: EngineResult, targets: pd.DataFrame) -> list[DoseAssessment]:
    findings = _finding_objects(result.findings[result.findings["point"].isin(targets.index)])
    columns = zip(
        targets.index.tolist(),
        targets["patient_id"].tolist(),
        targets["protocol_id"].tolist(),
        targets["cycle"].tolist(),
        targets["dose_number"].tolist(),
        list(targets["scheduled_time"]),
        list(targets["assessed_at"]),
        targets["recorded_status"].tolist(),
        targets["status"].tolist(),
        strict=True,
    )
    sources = result.checklists
    due = targets["dose_due"].tolist()
    return [
        DoseAssessment(
            patient_id,
            protocol_id,
            int(cycle),
            int(number) if is_due else None,
            scheduled if is_due else None,
            assessed,
            recorded if is_due else None,
            status,
            findings.get(point, []),
            _ChecklistBuilder(sources[protocol_id], point) if protocol_id in sources else None,
        )
        for (
            point,
            patient_id,
            protocol_id,
            cycle,
            number,
            scheduled,
            assessed,
            recorded,
            status,
        ), is_due in zip(columns, due, strict=True)
    ]


class _ChecklistBuilder:
    """Builds one dose's checklist when it is first asked for."""

    __slots__ = ("point", "source")

    def __init__(self, source: ChecklistSource, point: int):
        self.source = source
        self.point = point

    def __call__(self) -> list[ChecklistEntry]:
        return self.source.entries(self.point)


def assess_next_doses(
    ward: WardData, at: pd.Timestamp, protocol: Protocol | None = None
) -> list[DoseAssessment]:
    """Each patient's next dose, assessed at ``at`` with the observations known then.

    ``protocol`` None: each patient's ``protocol`` column (empty = the default,
    proleukin-label). A patient with every dose decided is assessed at ``at`` against the
    last cycle (criteria.md section 9.1): ``dose_number`` and ``scheduled_time`` None,
    ``cycle`` the last cycle, status the standing outcome (``discontinue`` or
    ``stop_cycle``) with its findings, else ``no_dose_due``. A patient without any dose
    gets ``no_dose_due`` with no cycle.
    """
    at = _utc(at)
    result = evaluate_ward(ward, at, protocol)
    targets = result.points[result.points["is_target"]]
    assessments = {a.patient_id: a for a in _assessments(result, targets)}
    patient_ids = pd.unique(
        pd.concat([ward.patients["patient_id"].astype(str), ward.doses["patient_id"].astype(str)])
    )
    protocol_of, _ = _protocol_by_patient(ward.patients, pd.Index(patient_ids), protocol)
    # A patient without any dose read may still have refused dose rows (section 9.7).
    records = _dose_record_findings(ward)
    records = records[~records["patient_id"].isin(list(assessments))]
    unread: dict[str, list[Finding]] = {}
    if len(records):
        records = records.reset_index(drop=True)
        records["time"] = pd.NaT
        objects = _finding_objects(
            records.rename_axis("row").reset_index().assign(point=lambda frame: frame["row"])
        )
        for row, patient_id in enumerate(records["patient_id"].tolist()):
            unread.setdefault(patient_id, []).extend(objects.get(row, []))
    ordered = []
    for patient_id in patient_ids:
        if patient_id in assessments:
            ordered.append(assessments[patient_id])
        else:
            findings = unread.get(patient_id, [])
            ordered.append(
                DoseAssessment(
                    patient_id=patient_id,
                    protocol_id=protocol_of[patient_id],
                    cycle=None,
                    dose_number=None,
                    scheduled_time=None,
                    assessed_at=at,
                    recorded_status=None,
                    status="incomplete" if findings else NO_DOSE_DUE,
                    findings=findings,
                )
            )
    ordered.extend(_refused_patients(ward, at, set(patient_ids)))
    return ordered


def _refused_patients(ward: WardData, at: pd.Timestamp, known: set[str]) -> list[DoseAssessment]:
    """A patient whose own row was refused (a lenient load) is not assessed, and their
    doses and observations are not loaded: they are listed INCOMPLETE with a
    ``patient_record`` finding, never missing from the ward (criteria.md section 9.7)."""
    refused = ward.report.refused_rows
    if refused is None or refused.empty or "table" not in refused.columns:
        return []
    own = refused[refused["table"].eq("patients") & refused["patient_id"].notna()]
    result = []
    problems = _problems_by_row(ward.report, "patients")
    for row in own.itertuples(index=False):
        patient_id = str(row.patient_id).strip()
        if not patient_id or patient_id in known:
            continue
        known.add(patient_id)
        # a refused row's number is a number wherever it is not missing
        number = cast(float, row.source_row)
        problem = problems.get(int(number)) if pd.notna(number) else None
        where = (
            f"{problem.file}, {problem.row_kind} {problem.row}"
            if problem is not None
            else f"patients, row {row.source_row}"
        )
        why = (
            problem.reason + (f" (column {problem.column})" if problem.column else "")
            if problem is not None
            else "refused at load"
        )
        result.append(
            DoseAssessment(
                patient_id=patient_id,
                protocol_id="",
                cycle=None,
                dose_number=None,
                scheduled_time=None,
                assessed_at=at,
                recorded_status=None,
                status="incomplete",
                findings=[
                    Finding(
                        criterion=PATIENT_RECORD,
                        outcome="incomplete",
                        parameter=None,
                        value=None,
                        unit=None,
                        time=None,
                        rule="the patient's own row read (without it nothing of the patient is)",
                        source=where,
                        detail=(
                            f"{where} refused: {why}. None of this patient's doses and "
                            "observations are loaded: correct the patient row"
                        ),
                        system="treatment",
                    )
                ],
            )
        )
    return result


def assess_course(ward: WardData, protocol: Protocol | None = None) -> list[DoseAssessment]:
    """Every dose of every course, each assessed as of its scheduled time (a review)."""
    result = evaluate_ward(ward, None, protocol)
    points = result.points.sort_values(["patient_id", "cycle", "dose_number"], kind="stable")
    return _assessments(result, points)
