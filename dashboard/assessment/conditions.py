"""Evaluation of the rule language (dashboard/protocols/rules.py) over many moments at once.

A *moment* is (patient, time T, interval start, cycle start) for one assessment point; the
engine evaluates a condition at every assessment point's T, and for withhold-until
criteria also at every observation time in the interval (criteria.md section 2: "X was met
by any observation in the interval"). Each evaluator returns a :class:`Reading`: whether
the condition is met per moment, and its basis (parameter, value, unit, time) so that a
finding can show what it rests on. Evaluators are vectorised: numpy over moments, with
positions found in :class:`~dashboard.assessment.series.SeriesIndex`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar, cast

import numpy as np
import pandas as pd

from dashboard.assessment import words
from dashboard.assessment.baselines import baseline_creatinine
from dashboard.assessment.series import NAT, NEG_INF, NONE, ObservationStore, SeriesIndex
from dashboard.protocols import rules
from dashboard.quantities import plain_number
from dashboard.vocabulary import CHARTED_UNTIL_CHANGED, CHARTED_WHEN_IT_HAPPENS, Vocabulary

HOUR_NS = 3_600_000_000_000


@dataclass
class Moments:
    """Where a condition is evaluated: one row per (assessment point, moment)."""

    point: np.ndarray  # row of the points frame
    pc: np.ndarray  # patient code (store order)
    t: np.ndarray  # int64 ns: the moment ("T" for this evaluation)
    interval_start: np.ndarray
    cycle_start: np.ndarray
    patient_values: dict[str, np.ndarray]  # per moment: baselines, targets, doses held
    at_assessment: bool  # True when t is the point's own T
    # Set by the engine before a count_criteria rule is evaluated (criteria.md section 1):
    # how many other criteria have the counted outcome at each moment, and which.
    counts: CriteriaCount | None = None

    def __len__(self) -> int:
        return len(self.t)

    def scope_start(self, scope: str) -> np.ndarray:
        if scope == "interval":
            return self.interval_start
        if scope == "cycle":
            return self.cycle_start
        return np.full(len(self.t), NEG_INF, dtype=np.int64)


@dataclass
class CriteriaCount:
    """Per moment: how many criteria have the outcome a count_criteria rule counts, and
    their ids in words ("hypotension, oliguria")."""

    count: np.ndarray  # int
    names: np.ndarray  # str

    def take(self, rows: np.ndarray) -> CriteriaCount:
        return CriteriaCount(self.count[rows], self.names[rows])


@dataclass
class Reading:
    """A condition's result per moment, with the basis of the decision."""

    met: np.ndarray
    parameter: np.ndarray  # object: the parameter the value belongs to
    value: np.ndarray  # float (NaN for codes)
    code: np.ndarray  # object: the code for categorical parameters
    unit: np.ndarray  # object
    time: np.ndarray  # int64 ns, NAT when none
    rule: np.ndarray  # object: the rule in words (the branch that decided)
    insufficient: np.ndarray  # window without enough history (informational)
    # Words about rows: the values the decision rested on ("creatinine 4.2 mg/dL at ...").
    describe_rows: Callable[[np.ndarray], np.ndarray] = field(
        repr=False, default=lambda rows: np.full(len(rows), "")
    )
    defaulted: np.ndarray | None = None  # threshold taken from the protocol default
    # Whether ``met`` is known: False where the basis cannot say (a window whose latest entry
    # is not fresh). None: known everywhere. A restart is only met where it is known
    # (criteria.md section 2: a stale window never reads `resolved`).
    known: np.ndarray | None = None


def known(reading: Reading) -> np.ndarray:
    """Where the reading's outcome is known (see :attr:`Reading.known`)."""
    return np.ones(len(reading.met), bool) if reading.known is None else reading.known


def _truths(readings: list[Reading]) -> tuple[np.ndarray, np.ndarray]:
    """(known met, known not met) of each reading, stacked: three-valued logic."""
    mets = np.vstack([r.met for r in readings])
    knowns = np.vstack([known(r) for r in readings])
    return mets & knowns, ~mets & knowns


def _any_of(stack: np.ndarray) -> np.ndarray:
    """Per moment (column of a stack of readings): whether any reading is true. An array
    always (numpy's stubs type ``.any(axis=0)`` as possibly a scalar)."""
    return np.asarray(stack.any(axis=0))


def _all_of(stack: np.ndarray) -> np.ndarray:
    """Per moment (column of a stack of readings): whether every reading is true."""
    return np.asarray(stack.all(axis=0))


def _full(n: int, value, dtype=object) -> np.ndarray:
    array = np.empty(n, dtype=dtype)
    array[:] = value
    return array


def _patient_column(comparison: rules.Comparison) -> str | None:
    """The patient column a comparison's threshold is read from (None: a number)."""
    if isinstance(comparison, rules.ThresholdComparison):
        return comparison.patient_column
    return None


def _threshold(
    comparison: rules.ThresholdComparison, moments: Moments | None
) -> tuple[np.ndarray | float, np.ndarray | None]:
    threshold = comparison.threshold
    if threshold.patient_column is None:
        assert threshold.value is not None  # a number threshold always has its number
        return threshold.value, None
    # a patient threshold always has the protocol's default (rules.py parses both)
    assert threshold.default is not None
    if moments is None:
        raise TypeError(f"a threshold from the patient's {threshold.patient_column} needs moments")
    values = moments.patient_values[threshold.patient_column]
    defaulted = np.isnan(values)
    return np.where(defaulted, threshold.default, values), defaulted


# criteria.md section 2: comparisons are decimal-exact. Values and thresholds are binary
# floats (1.2 - 0.9 is 0.29999999999999993; 75.9 kg over 66 kg is 15.000000000000007 %), so
# two numbers closer than this fraction of their size (at least of 1) are equal: far below
# any parameter's resolution, far above binary rounding (and the rounding of window sums).
RELATIVE_TOLERANCE = 1e-9


def _tolerance(bound) -> np.ndarray | float:
    return RELATIVE_TOLERANCE * np.maximum(np.abs(bound), 1.0)


def exceeds(values, bound) -> np.ndarray:
    """values > bound, decimal-exact (a value equal to the bound as written is not above)."""
    with np.errstate(invalid="ignore"):
        return values > bound + _tolerance(bound)


def at_least(values, bound) -> np.ndarray:
    """values >= bound, decimal-exact."""
    with np.errstate(invalid="ignore"):
        return values >= bound - _tolerance(bound)


def compare(
    comparison: rules.Comparison,
    values: np.ndarray,
    codes: np.ndarray | None,
    moments: Moments | None = None,
    threshold: np.ndarray | float | None = None,
) -> np.ndarray:
    """The comparison applied elementwise, decimal-exact (see :data:`RELATIVE_TOLERANCE`).
    NaN never meets a numeric comparison. Every numeric comparison of a rule goes through
    here or through :func:`exceeds` / :func:`at_least`."""
    if isinstance(comparison, rules.CodeComparison):
        # only a categorical parameter has codes (rules.py parses extremes as numeric)
        assert codes is not None
        return np.isin(codes, comparison.codes)
    values = np.asarray(values, dtype=float)
    if isinstance(comparison, rules.RangeComparison):
        return at_least(values, comparison.low) & ~exceeds(values, comparison.high)
    assert isinstance(comparison, rules.ThresholdComparison)  # the third and last shape
    if threshold is None:
        threshold, _ = _threshold(comparison, moments)
    op = comparison.op
    if op == "<":
        return ~at_least(values, threshold) & ~np.isnan(values)
    if op == "<=":
        return ~exceeds(values, threshold) & ~np.isnan(values)
    if op == ">":
        return exceeds(values, threshold)
    return at_least(values, threshold)


EvaluatorFunction = Callable[["Evaluator", rules.Condition, Moments], Reading]
#: How each rule kind is evaluated: filled by `evaluates`, checked complete at import.
_EVALUATORS: dict[type[rules.Condition], EvaluatorFunction] = {}

_Kind = TypeVar("_Kind", bound=rules.Condition)


def evaluates(
    kind: type[_Kind],
) -> Callable[
    [Callable[[Evaluator, _Kind, Moments], Reading]],
    Callable[[Evaluator, _Kind, Moments], Reading],
]:
    """Register the decorated Evaluator method as the evaluation of ``kind``: typed as
    taking that kind, so mypy checks each evaluator against its own condition class."""

    def register(
        function: Callable[[Evaluator, _Kind, Moments], Reading],
    ) -> Callable[[Evaluator, _Kind, Moments], Reading]:
        if kind in _EVALUATORS:
            raise TypeError(f"{kind.__name__} has two evaluators")
        # Stored for any condition: `Evaluator.evaluate` only calls it with type(condition)
        # == kind, which a dict of kinds cannot say to mypy.
        _EVALUATORS[kind] = cast(EvaluatorFunction, function)
        return function

    return register


def evaluator_of(kind: type[rules.Condition]) -> EvaluatorFunction | None:
    """The registered evaluation of a rule kind (None when it has none)."""
    return _EVALUATORS.get(kind)


def missing_evaluators() -> list[str]:
    """Rule kinds defined in rules.py that no evaluator is registered for."""
    return [kind.__name__ for kind in rules.rule_kinds() if kind not in _EVALUATORS]


class Evaluator:
    """Evaluates conditions against one ward's observations."""

    def __init__(self, store: ObservationStore, vocabulary: Vocabulary):
        self.store = store
        self.vocabulary = vocabulary
        self._latest_cache: dict[tuple, tuple] = {}

    # -- helpers
    def _unit(self, parameter: str) -> str:
        spec = self.vocabulary[parameter]
        return spec.unit or ""

    def _leaf(
        self,
        moments: Moments,
        met,
        parameter,
        series: SeriesIndex | None,
        position,
        has,
        rule_text: str,
        *,
        value=None,
        time=None,
        unit=None,
        note=None,
        insufficient=None,
        defaulted=None,
    ) -> Reading:
        n = len(moments)
        # without a series the caller gives the value and the time
        assert series is not None or (value is not None and time is not None)
        if value is None:
            assert series is not None
            value = series.take(series.values, position, has, np.nan)
        if time is None:
            assert series is not None
            time = np.where(
                has,
                series.times[np.clip(position, 0, max(series.n - 1, 0))] if series.n else NAT,
                NAT,
            )
        if series is not None and series.n and not self.vocabulary[parameter].is_numeric:
            code = np.where(has, series.codes[np.clip(position, 0, series.n - 1)], NONE)
        else:
            code = _full(n, None)
        unit_value = unit if unit is not None else self._unit(parameter)
        has_array = np.broadcast_to(np.asarray(has, dtype=bool), (n,))

        def describe(rows: np.ndarray) -> np.ndarray:
            # Values and codes as the screens write them (criteria.md section 9.6).
            is_code = np.array([c is not None for c in code[rows].tolist()], dtype=bool)
            shown = words.quantities(
                parameter, np.asarray(value, dtype=float)[rows], unit_value or None
            )
            if is_code.any():
                shown = np.where(
                    is_code,
                    words.codes(parameter, np.where(is_code, code[rows], "").astype(object)),
                    shown,
                )
            text = words.join(
                words.name(parameter),
                " ",
                shown,
                " at ",
                words.times(np.asarray(time, dtype=np.int64)[rows]),
            )
            if note is not None:
                extra = words.as_text(note(rows), len(rows))
                text = np.where(extra != "", words.join(text, " (", extra, ")"), text)
            if defaulted is not None:
                text = np.where(
                    defaulted[rows],
                    words.join(text, " (no patient target set: the protocol default applies)"),
                    text,
                )
            return np.where(has_array[rows], text, f"no {parameter} recorded")

        return Reading(
            met=np.asarray(met, dtype=bool) & np.asarray(has, dtype=bool),
            parameter=_full(n, parameter),
            value=np.asarray(value, dtype=float),
            code=code,
            unit=_full(n, unit_value),
            time=np.asarray(time, dtype=np.int64),
            rule=_full(n, rule_text),
            insufficient=(np.zeros(n, bool) if insufficient is None else insufficient),
            describe_rows=describe,
            defaulted=defaulted,
        )

    # -- dispatch: the evaluator registered for the condition's kind (see `evaluates`)
    def evaluate(self, condition: rules.Condition, moments: Moments) -> Reading:
        return _EVALUATORS[type(condition)](self, condition, moments)

    # -- branches
    @evaluates(rules.AnyOf)
    def _eval_AnyOf(self, condition: rules.AnyOf, moments: Moments) -> Reading:
        readings = [self.evaluate(item, moments) for item in condition.items]
        mets = np.vstack([reading.met for reading in readings])
        met = _any_of(mets)
        chosen = np.where(met, mets.argmax(axis=0), 0)
        rows = np.arange(len(moments))

        def pick(name):
            return np.vstack([getattr(reading, name) for reading in readings])[chosen, rows]

        rule_texts = pick("rule")
        rule_texts = np.where(met, rule_texts, condition.describe())
        insufficient = _any_of(np.vstack([r.insufficient for r in readings]))

        def describe(rows: np.ndarray) -> np.ndarray:
            out = np.full(len(rows), "", dtype=object)
            met_rows, chosen_rows = met[rows], chosen[rows]
            for k, reading in enumerate(readings):
                selected = met_rows & (chosen_rows == k)
                if selected.any():
                    out[selected] = reading.describe_rows(rows[selected])
            if (~met_rows).any():
                out[~met_rows] = words.join_distinct(
                    [r.describe_rows(rows[~met_rows]) for r in readings]
                )
            return out.astype(str)

        true, false = _truths(readings)
        return Reading(
            met=met,
            parameter=pick("parameter"),
            value=pick("value"),
            code=pick("code"),
            unit=pick("unit"),
            time=pick("time"),
            rule=rule_texts,
            insufficient=insufficient,
            describe_rows=describe,
            known=_any_of(true) | _all_of(false),
        )

    @evaluates(rules.AllOf)
    def _eval_AllOf(self, condition: rules.AllOf, moments: Moments) -> Reading:
        readings = [self.evaluate(item, moments) for item in condition.items]
        met = np.logical_and.reduce([reading.met for reading in readings])
        first = readings[0]
        insufficient = _any_of(np.vstack([r.insufficient for r in readings]))

        def describe(rows: np.ndarray) -> np.ndarray:
            return words.join_distinct([r.describe_rows(rows) for r in readings])

        true, false = _truths(readings)
        return Reading(
            met=met,
            parameter=first.parameter,
            value=first.value,
            code=first.code,
            unit=first.unit,
            time=first.time,
            rule=_full(len(moments), condition.describe()),
            insufficient=insufficient,
            describe_rows=describe,
            known=_all_of(true) | _any_of(false),
        )

    @evaluates(rules.NoneOf)
    def _eval_NoneOf(self, condition: rules.NoneOf, moments: Moments) -> Reading:
        readings = [self.evaluate(item, moments) for item in condition.items]
        met = ~np.logical_or.reduce([reading.met for reading in readings])
        first = readings[0]

        def describe(rows: np.ndarray) -> np.ndarray:
            return words.join_distinct([r.describe_rows(rows) for r in readings])

        true, false = _truths(readings)
        return Reading(
            met=met,
            parameter=first.parameter,
            value=first.value,
            code=first.code,
            unit=first.unit,
            time=first.time,
            rule=_full(len(moments), condition.describe()),
            insufficient=np.zeros(len(moments), bool),
            describe_rows=describe,
            known=_all_of(false) | _any_of(true),
        )

    # -- leaves
    def latest(self, series: SeriesIndex, moments: Moments) -> tuple[np.ndarray, np.ndarray]:
        """The latest observation of a series at each moment, cached per (series, moments):
        a protocol asks for the latest creatinine many times at the same moments."""
        key = (id(series), id(moments))
        cached = self._latest_cache.get(key)
        if cached is None:
            # keep the objects alive with the entry so that their ids are not reused
            cached = (series, moments, *series.latest(moments.pc, moments.t))
            self._latest_cache[key] = cached
        return cached[2], cached[3]

    @evaluates(rules.Latest)
    def _eval_Latest(self, condition: rules.Latest, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        position, has = self.latest(series, moments)
        safe = np.clip(position, 0, max(series.n - 1, 0))
        values = series.values[safe] if series.n else np.full(len(moments), np.nan)
        codes = series.codes[safe] if series.n else _full(len(moments), None)
        threshold, defaulted = (None, None)
        if isinstance(condition.comparison, rules.ThresholdComparison):
            threshold, defaulted = _threshold(condition.comparison, moments)
        if isinstance(condition.comparison, rules.CodeComparison):
            met = has & (series.code_mask(condition.comparison.codes)[safe] if series.n else False)
        else:
            met = has & compare(condition.comparison, values, codes, moments, threshold)
        note = None
        after_event = condition.after_event
        if after_event is not None:
            events = self.store.series("event", (after_event.code,))
            reading_time = np.where(has, series.times[safe] if series.n else NAT, NAT)
            event_position, event_has = events.latest(moments.pc, reading_time)
            event_time = np.where(
                event_has,
                events.times[np.clip(event_position, 0, max(events.n - 1, 0))] if events.n else NAT,
                NAT,
            )
            window = np.int64(after_event.hours * HOUR_NS)
            within = event_has & has & (reading_time - event_time <= window)
            met &= within

            def note(rows: np.ndarray) -> np.ndarray:
                code = after_event.code
                return np.where(
                    event_has[rows],
                    words.join(code, " at ", words.times(event_time[rows])),
                    f"no {code} before it",
                )

        return self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            note=note,
            defaulted=defaulted,
        )

    def _matching_mask(
        self, series: SeriesIndex, comparison: rules.Comparison, moments: Moments
    ) -> np.ndarray:
        if isinstance(comparison, rules.CodeComparison):
            return series.code_mask(comparison.codes)
        column = _patient_column(comparison)
        if column and isinstance(comparison, rules.ThresholdComparison):
            # per-observation threshold from the observation's patient
            per_patient = np.full(self.store.n_patients, np.nan)
            per_patient[moments.pc] = moments.patient_values[column]
            assert comparison.threshold.default is not None  # rules.py: with every column
            threshold = np.where(
                np.isnan(per_patient[series.patient]),
                comparison.threshold.default,
                per_patient[series.patient],
            )
            return compare(comparison, series.values, series.codes, threshold=threshold)
        return compare(comparison, series.values, series.codes, moments)

    @evaluates(rules.AnyIn)
    def _eval_AnyIn(self, condition: rules.AnyIn, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        mask = self._matching_mask(series, condition.comparison, moments)
        start = series.start_ge(moments.pc, moments.scope_start(condition.scope))
        end = series.end_le(moments.pc, moments.t)
        # the mask depends on the patient only through a patient threshold: cache otherwise
        per_patient = _patient_column(condition.comparison)
        _, last, found = series.last_matching(
            mask, start, end, key=None if per_patient else condition.comparison
        )
        return self._leaf(
            moments, found, condition.parameter, series, last, found, condition.describe()
        )

    @evaluates(rules.Extreme)
    def _eval_Extreme(self, condition: rules.Extreme, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        start = series.start_ge(moments.pc, moments.scope_start(condition.scope))
        end = series.end_le(moments.pc, moments.t)
        if self.vocabulary[condition.parameter].charted == CHARTED_UNTIL_CHANGED:
            # A rate charted before the scope began is still running in it (phenylephrine
            # 1.7 charted at 00:30 and weaned at 06:00 ran at 1.7 after a dose at 01:00).
            start = np.maximum(np.minimum(start, end) - 1, series.patient_start(moments.pc))
        extreme = series.range_extreme(start, end, condition.kind)
        comparison = condition.comparison
        met = (end > start) & compare(comparison, extreme, None, moments)
        # The basis shown: the last reading in the scope on the triggering side of the
        # bound (a reading that crossed it), else the last reading of the scope.
        bound: float | None
        op: str | None
        if isinstance(comparison, rules.RangeComparison):
            bound, op = comparison.low, None
        elif isinstance(comparison, rules.ThresholdComparison):
            bound, op = comparison.threshold.value, comparison.op
        else:
            bound, op = None, None
        if bound is not None and condition.kind == "max" and op in (None, ">", ">="):
            crossing = at_least(series.values, bound)
        elif bound is not None and condition.kind == "min" and op in ("<", "<="):
            crossing = ~exceeds(series.values, bound) & ~np.isnan(series.values)
        else:
            crossing = np.ones(series.n, bool)
        _, last, found = series.last_matching(crossing, start, end)
        fallback = np.maximum(end - 1, 0)
        position = np.where(found, last, fallback)
        has = end > start
        word = "maximum" if condition.kind == "max" else "minimum"
        return self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            note=lambda rows: words.join(
                f"{word} in the {condition.scope} ",
                words.quantities(condition.parameter, extreme[rows]),
            ),
        )

    @evaluates(rules.Window)
    def _eval_Window(self, condition: rules.Window, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        end_time = moments.t - np.int64(condition.offset_hours * HOUR_NS)
        start_time = end_time - np.int64(condition.hours * HOUR_NS)
        end = series.end_le(moments.pc, end_time)
        start = series.start_gt(moments.pc, start_time)
        total = series.range_sum(start, end)
        patient_start = series.patient_start(moments.pc)
        when_it_happens = self.vocabulary[condition.parameter].charted == CHARTED_WHEN_IT_HAPPENS
        if when_it_happens:
            # criteria.md section 2: charted only when it happens (diarrhoea), so the record
            # starts with the patient's first observation of any parameter, every entry
            # counts however early, and a window without an entry sums to 0.
            first_time = self.store.first_times()[moments.pc]
            has_records = first_time != NAT
            recorded = has_records & (first_time <= end_time)
        else:
            # criteria.md section 2: records that start after T - W cannot establish the
            # window. "Start" means this admission's records: those since the cycle's start
            # less the window. Between cycles the patient is at home, and an entry charted
            # after days without one does not hold those days' volume, so earlier cycles
            # do not count.
            history_from = np.maximum(moments.cycle_start, NAT + 1) - np.int64(
                condition.hours * HOUR_NS
            )
            first = series.start_ge(moments.pc, history_from)
            has_records = series.patient_end(moments.pc) > first
            first_time = np.where(
                has_records,
                series.times[np.clip(first, 0, max(series.n - 1, 0))] if series.n else NAT,
                NAT,
            )
            # No record of the parameter at all by the window's end: nothing to compare
            # (the criterion's required freshness reports it), never a volume of 0.
            recorded = end > patient_start
        insufficient = has_records & (first_time > start_time)
        value = total / condition.hours if condition.aggregate == "rate" else total
        unit = self._unit(condition.parameter)
        if condition.per_kg:
            weight = moments.patient_values["baseline_weight_kg"]
            with np.errstate(invalid="ignore", divide="ignore"):
                value = value / weight
            unit += "/kg"
        if condition.aggregate == "rate":
            unit += "/h"
        known = recorded & ~insufficient & (~np.isnan(value) if condition.per_kg else True)
        last_time = np.where(
            end > patient_start,
            series.times[np.clip(end - 1, 0, max(series.n - 1, 0))] if series.n else NAT,
            NAT,
        )
        fresh = np.ones(len(moments), bool)
        if condition.coverage_hours is not None:
            # The record must reach the window's end: uncharted hours are unknown volume
            # (see rules.Window.coverage_hours); the required freshness then reads incomplete.
            reach = end_time - np.int64(condition.coverage_hours * HOUR_NS)
            fresh = (last_time != NAT) & (last_time >= reach)
        # Too little volume is only known over a fresh window; too much is met whatever
        # comes later (entries only add). Either way a stale window is not known, so a
        # restart over it is never met (criteria.md section 2).
        met = known & compare(condition.comparison, value, None, moments)
        if condition.compares_below:
            met &= fresh
        known &= fresh
        value = np.round(value, 4)  # shown rounded; compared unrounded above
        hours = f"{plain_number(condition.hours)} h"

        def note(rows: np.ndarray) -> np.ndarray:
            return np.where(
                insufficient[rows],
                words.join(
                    f"insufficient history: {condition.parameter} records start at "
                    if not when_it_happens
                    else "insufficient history: the patient's records start at ",
                    words.times(first_time[rows]),
                    f", after the start of the {hours} window",
                ),
                words.join(words.quantities(condition.parameter, total[rows]), f" in {hours}"),
            )

        reading = self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            None,
            np.ones(len(moments), bool),
            condition.describe(),
            value=value,
            time=np.where(last_time == NAT, moments.t, last_time),
            unit=unit,
            note=note,
            insufficient=insufficient & moments.at_assessment
            if moments.at_assessment
            else np.zeros(len(moments), bool),
        )
        reading.known = known
        return reading

    @evaluates(rules.LatestRate)
    def _eval_LatestRate(self, condition: rules.LatestRate, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        position, has = self.latest(series, moments)
        safe = np.clip(position, 0, max(series.n - 1, 0))
        before = np.clip(position - 1, 0, max(series.n - 1, 0))
        volume = series.values[safe] if series.n else np.full(len(moments), np.nan)
        time = series.times[safe] if series.n else np.full(len(moments), NAT)
        previous_time = series.times[before] if series.n else np.full(len(moments), NAT)
        # The entry before must belong to this admission (from the cycle's start): days at
        # home between cycles are not charted, so they are no charting period.
        has_previous = (
            has
            & (position - 1 >= series.patient_start(moments.pc))
            & (previous_time >= moments.cycle_start)
        )
        hours = np.where(has_previous, (time - previous_time) / HOUR_NS, np.nan)
        fresh = has.copy()
        if condition.fresh_hours is not None:
            fresh &= moments.t - time <= np.int64(condition.fresh_hours * HOUR_NS)
        # The rate is only known with a period (an entry before, earlier) and a fresh
        # latest entry (criteria.md section 2).
        known_rate = has_previous & (hours > 0) & fresh
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(known_rate, volume / np.where(hours > 0, hours, np.nan), np.nan)
        met = known_rate & compare(condition.comparison, rate, None, moments)
        unit = self._unit(condition.parameter)
        reading = self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            value=np.round(rate, 4),
            unit=unit + "/h",
            note=lambda rows: np.where(
                known_rate[rows],
                words.join(
                    words.quantities(condition.parameter, volume[rows]),
                    " in ",
                    words.numbers(hours[rows], significant=3),
                    " h since the entry at ",
                    words.times(previous_time[rows]),
                ),
                np.where(
                    has_previous[rows] | ~has[rows],
                    "no rate: the latest entry is not fresh",
                    "no rate: no entry before the latest in this cycle",
                ),
            ),
        )
        reading.known = known_rate
        return reading

    @evaluates(rules.Rising)
    def _eval_Rising(self, condition: rules.Rising, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        position, has = self.latest(series, moments)
        has_previous = has & (position - 1 >= series.patient_start(moments.pc))
        safe = np.clip(position, 0, max(series.n - 1, 0))
        before = np.clip(position - 1, 0, max(series.n - 1, 0))
        latest = series.values[safe] if series.n else np.full(len(moments), np.nan)
        previous = series.values[before] if series.n else np.full(len(moments), np.nan)
        previous_time = series.times[before] if series.n else np.full(len(moments), NAT)
        met = has_previous & exceeds(latest, previous)
        self._unit(condition.parameter)
        return self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            note=lambda rows: np.where(
                has_previous[rows],
                words.join(
                    "the one before: ",
                    words.quantities(condition.parameter, previous[rows]),
                    " at ",
                    words.times(previous_time[rows]),
                ),
                "no earlier value",
            ),
        )

    def _baseline(self, parameter: str, moments: Moments) -> np.ndarray:
        column = rules.BASELINE_COLUMNS[parameter]
        baseline = moments.patient_values[column].astype(float)
        if parameter == "creatinine":
            # data-contract section 1: no baseline creatinine -> the first of the course
            series = self.store.series(parameter)
            first = series.patient_start(moments.pc)
            has = series.patient_end(moments.pc) > first
            first_value = np.where(
                has,
                series.values[np.clip(first, 0, max(series.n - 1, 0))] if series.n else np.nan,
                np.nan,
            )
            baseline = baseline_creatinine(baseline, first_value)
        return baseline

    @evaluates(rules.PercentOverBaseline)
    def _eval_PercentOverBaseline(
        self, condition: rules.PercentOverBaseline, moments: Moments
    ) -> Reading:
        series = self.store.series(condition.parameter)
        position, has = self.latest(series, moments)
        latest = series.take(series.values, position, has, np.nan)
        baseline = self._baseline(condition.parameter, moments)
        with np.errstate(invalid="ignore", divide="ignore"):
            percent = rules.percent_over_baseline(latest, baseline)
        met = compare(condition.comparison, percent, None, moments)
        self._unit(condition.parameter)
        return self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            note=lambda rows: words.join(
                words.quantities(None, percent[rows], "%"),
                " over baseline ",
                words.quantities(condition.parameter, baseline[rows]),
            ),
        )

    @evaluates(rules.RatioToBaseline)
    def _eval_RatioToBaseline(self, condition: rules.RatioToBaseline, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        position, has = self.latest(series, moments)
        latest = series.take(series.values, position, has, np.nan)
        baseline = self._baseline(condition.parameter, moments)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = latest / baseline
        met = compare(condition.comparison, ratio, None, moments)
        self._unit(condition.parameter)
        return self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            note=lambda rows: words.join(
                words.quantities(None, ratio[rows], "{times_baseline}"),
                " ",
                words.quantities(condition.parameter, baseline[rows]),
            ),
        )

    @evaluates(rules.FallFromPeak)
    def _eval_FallFromPeak(self, condition: rules.FallFromPeak, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        position, has = self.latest(series, moments)
        start = series.start_ge(moments.pc, moments.scope_start(condition.scope))
        end = series.end_le(moments.pc, moments.t)
        peak = series.range_extreme(start, end, "max")
        latest = series.take(series.values, position, has, np.nan)
        fall = peak - latest
        met = compare(condition.comparison, fall, None, moments)
        self._unit(condition.parameter)
        return self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            note=lambda rows: words.join(
                f"{condition.scope} peak ",
                words.quantities(condition.parameter, peak[rows]),
                ", fall ",
                words.quantities(condition.parameter, fall[rows]),
            ),
        )

    @evaluates(rules.RiseWithin)
    def _eval_RiseWithin(self, condition: rules.RiseWithin, moments: Moments) -> Reading:
        series = self.store.series(condition.parameter)
        position, has = self.latest(series, moments)
        start = series.start_gt(moments.pc, moments.t - np.int64(condition.hours * HOUR_NS))
        end = series.end_le(moments.pc, moments.t)
        lowest = series.range_extreme(start, end, "min")
        latest = series.take(series.values, position, has, np.nan)
        rise = latest - lowest
        met = compare(condition.comparison, rise, None, moments)
        self._unit(condition.parameter)
        return self._leaf(
            moments,
            met,
            condition.parameter,
            series,
            position,
            has,
            condition.describe(),
            note=lambda rows: words.join(
                f"lowest in {plain_number(condition.hours)} h ",
                words.quantities(condition.parameter, lowest[rows]),
                ", rise ",
                words.quantities(condition.parameter, rise[rows]),
            ),
        )

    @evaluates(rules.EventCondition)
    def _eval_EventCondition(self, condition: rules.EventCondition, moments: Moments) -> Reading:
        n = len(moments)
        if condition.scope == "active":
            met = np.zeros(n, bool)
            time = np.full(n, NAT, dtype=np.int64)
            code = _full(n, None)
            for event_code in condition.codes:
                states = self.store.event_states(event_code)
                position, has = states.latest(moments.pc, moments.t)
                safe = np.clip(position, 0, max(states.n - 1, 0))
                active = has & ((states.values[safe] == 1) if states.n else False)
                new = active & ~met
                time = np.where(new, states.times[safe] if states.n else NAT, time)
                code = np.where(new, event_code, code)
                met |= active
            rule_text = condition.describe()
            return Reading(
                met=met,
                parameter=_full(n, "event"),
                value=np.full(n, np.nan),
                code=code,
                unit=_full(n, ""),
                time=time,
                rule=_full(n, rule_text),
                insufficient=np.zeros(n, bool),
                describe_rows=lambda rows: np.where(
                    met[rows],
                    words.join(
                        "event ",
                        code[rows].astype(str),
                        " at ",
                        words.times(time[rows]),
                        ", not resolved",
                    ),
                    "no active event",
                ),
            )
        series = self.store.series("event", condition.codes)
        start = series.start_ge(moments.pc, moments.scope_start(condition.scope))
        end = series.end_le(moments.pc, moments.t)
        _, last, found = series.last_matching(np.ones(series.n, bool), start, end, key="all")
        return self._leaf(moments, found, "event", series, last, found, condition.describe())

    @evaluates(rules.EventCount)
    def _eval_EventCount(self, condition: rules.EventCount, moments: Moments) -> Reading:
        series = self.store.series("event", condition.codes)
        start = series.start_ge(moments.pc, moments.scope_start(condition.scope))
        end = series.end_le(moments.pc, moments.t)
        count, last, found = series.last_matching(np.ones(series.n, bool), start, end, key="all")
        met = count >= condition.at_least
        return self._leaf(
            moments,
            met,
            "event",
            series,
            last,
            found,
            condition.describe(),
            note=lambda rows: words.join(count[rows].astype(str), f" in the {condition.scope}"),
        )

    @evaluates(rules.Continuing)
    def _eval_Continuing(self, condition: rules.Continuing, moments: Moments) -> Reading:
        if condition.parameter == rules.EVENT_PARAMETER and len(condition.codes) > 1:
            # Events of different codes run side by side (a coma, then a toxic psychosis
            # that resolves): each code's episodes are their own, and any that lasted
            # long enough meets the rule. Interleaved, the later-starting one would hide
            # a coma still running.
            return self.evaluate(
                rules.AnyOf(tuple(replace(condition, codes=(code,)) for code in condition.codes)),
                moments,
            )
        episodes = self.store.episodes(condition.parameter, condition.codes)
        duration = np.int64(condition.hours * HOUR_NS)
        end_of = episodes.extra["end"]
        n = len(moments)
        # An episode qualifies at a moment t when min(end, t) - start > duration. Completed
        # long episodes qualify for good (a permanent criterion looks at the whole course);
        # the latest episode still running at t qualifies when t - start > duration.
        long_done = (end_of != NAT) & (end_of - episodes.times > duration)
        completed_by = np.where(long_done, end_of, np.iinfo(np.int64).max)
        start = episodes.patient_start(moments.pc)
        end = episodes.end_le(moments.pc, moments.t)
        if episodes.n:
            # earliest completion among the patient's episodes so far (ordered by start)
            running = _grouped_running_min(
                np.where(long_done, completed_by, np.iinfo(np.int64).max), episodes.patient
            )
            last = np.clip(end - 1, 0, episodes.n - 1)
            has = end > start
            done_before = has & (running[last] <= moments.t)
            done_position = last
            latest_start = np.where(has, episodes.times[last], NAT)
            latest_end = np.where(has, end_of[last], NAT)
            still_running = has & ((latest_end == NAT) | (latest_end > moments.t))
            running_long = still_running & (moments.t - latest_start > duration)
            met = done_before | running_long
            position = done_position
        else:
            met = np.zeros(n, bool)
            position = np.zeros(n, np.int64)
            has = np.zeros(n, bool)
        reading = self._leaf(
            moments,
            met,
            condition.parameter,
            episodes,
            position,
            has,
            condition.describe(),
            note=lambda rows: np.where(met[rows], "since this time", ""),
        )
        reading.code = np.where(
            has,
            episodes.codes[np.clip(position, 0, max(episodes.n - 1, 0))] if episodes.n else NONE,
            NONE,
        )
        return reading

    @evaluates(rules.Increased)
    def _eval_Increased(self, condition: rules.Increased, moments: Moments) -> Reading:
        n = len(moments)
        met = np.zeros(n, bool)
        parameter = _full(n, condition.parameters_[0])
        value = np.full(n, np.nan)
        time = np.full(n, NAT, dtype=np.int64)
        before = np.full(n, np.nan)
        for name in condition.parameters_:
            series = self.store.series(name)
            position, has = series.latest(moments.pc, moments.t)
            safe = np.clip(position, 0, max(series.n - 1, 0))
            now = np.where(has, series.values[safe] if series.n else 0.0, 0.0)  # none = 0
            start_position, start_has = series.latest(moments.pc, moments.interval_start)
            start_safe = np.clip(start_position, 0, max(series.n - 1, 0))
            then = np.where(start_has, series.values[start_safe] if series.n else 0.0, 0.0)
            increased = exceeds(now, then)
            new = increased & ~met
            parameter = np.where(new, name, parameter)
            value = np.where(new, now, value)
            before = np.where(new, then, before)
            time = np.where(new, series.times[safe] if series.n else NAT, time)
            met |= increased
        unit = self._unit(condition.parameters_[0])
        return Reading(
            met=met,
            parameter=parameter,
            value=value,
            code=_full(n, None),
            unit=_full(n, unit),
            time=time,
            rule=_full(n, condition.describe()),
            insufficient=np.zeros(n, bool),
            describe_rows=lambda rows: np.where(
                met[rows],
                words.join(
                    parameter[rows].astype(str),
                    " ",
                    words.quantities(None, value[rows], unit),
                    " at ",
                    words.times(time[rows]),
                    ", was ",
                    words.quantities(None, before[rows], unit),
                    " at the interval's start",
                ),
                "no vasopressor increase over the interval",
            ),
        )

    @evaluates(rules.DosesHeld)
    def _eval_DosesHeld(self, condition: rules.DosesHeld, moments: Moments) -> Reading:
        n = len(moments)
        held = moments.patient_values[f"held_in_{condition.scope}"].astype(float)
        met = held >= condition.at_least
        return Reading(
            met=met,
            parameter=_full(n, None),
            value=held,
            code=_full(n, None),
            unit=_full(n, "doses"),
            time=moments.t.copy(),
            rule=_full(n, condition.describe()),
            insufficient=np.zeros(n, bool),
            describe_rows=lambda rows: words.join(
                words.numbers(held[rows]), f" doses held in the {condition.scope}"
            ),
        )

    @evaluates(rules.CountCriteria)
    def _eval_CountCriteria(self, condition: rules.CountCriteria, moments: Moments) -> Reading:
        # Counted by the engine once every other criterion is known (Moments.counts).
        n = len(moments)
        counted = moments.counts
        counts = np.zeros(n) if counted is None else counted.count
        names = _full(n, "") if counted is None else counted.names
        met = counts >= condition.at_least
        return Reading(
            met=met,
            parameter=_full(n, None),
            value=counts.astype(float),
            code=_full(n, None),
            unit=_full(n, "criteria"),
            time=moments.t.copy(),
            rule=_full(n, condition.describe()),
            insufficient=np.zeros(n, bool),
            describe_rows=lambda rows: words.join(
                words.numbers(counts[rows]), " criteria: ", names[rows].astype(str)
            ),
        )


def _grouped_running_min(values: np.ndarray, group_first: np.ndarray) -> np.ndarray:
    """Running minimum that restarts at each group's first index (groups contiguous)."""
    n = len(values)
    if n == 0:
        return values
    # Offset each group so that a plain running minimum cannot cross groups: process in
    # pandas (vectorised groupby cummin).
    return pd.Series(values).groupby(group_first).cummin().to_numpy()


# A rule kind without its evaluation fails here, when the engine is imported (and so before
# any protocol is loaded for assessment), never while a dose is being assessed.
if missing_evaluators():  # pragma: no cover - tests/test_rule_kinds.py keeps this empty
    raise TypeError(f"rule kinds without an evaluator: {', '.join(missing_evaluators())}")
