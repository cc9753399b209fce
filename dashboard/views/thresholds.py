"""Threshold lines and bands for the trend plots, read from the protocol objects.

The charts must draw exactly the numbers the engine decides with (design.md: "threshold
bands drawn from the same protocol objects the engine uses"), so nothing here holds a
number: every line comes from a :class:`~dashboard.protocols.Criterion`'s trigger.

Only conditions that are *sufficient on their own* are drawn: a leaf of the trigger, or of
an ``any_of``. A leaf inside an ``all_of`` (creatinine >= 4.0 *with* acidosis) would claim
that crossing the line holds the dose, which is untrue; such an ``all_of`` is drawn only
when all its parts compare the same parameter's latest value (a band such as the consensus
protocol's 2.5 <= creatinine < 3.0). Every threshold is an interval where the trigger is
met: ``< 90`` is (-inf, 90), ``between [100, 130]`` is [100, 130].

Derived series get converted thresholds, and say how: urine output is charted as mL/h per
collection period, so "80 mL over 8 h" becomes 10 mL/h; "per kg" uses the baseline weight;
a ratio to baseline creatinine uses the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

import numpy as np

from dashboard.protocols import Criterion, Protocol
from dashboard.protocols import rules as r
from dashboard.quantities import plain_number
from dashboard.vocabulary import load_vocabulary

#: Series that are not a vocabulary parameter but are derived for the charts.
WEIGHT_GAIN = "weight_gain_pct"
URINE_RATE = "urine_rate"
#: Categorical parameters drawn on an ordinal axis (their codes are ordered by severity).
ORDINAL_PARAMETERS = ("mental_status",)


@dataclass(frozen=True)
class Threshold:
    """Where one criterion's trigger is met on one charted series."""

    series: str  # a parameter name, or WEIGHT_GAIN / URINE_RATE
    criterion: str
    title: str
    outcome: str  # hold, stop_cycle, discontinue, watch
    grade_label: str | None
    low: float  # -inf when open below
    low_inclusive: bool
    high: float  # +inf when open above
    high_inclusive: bool
    rule: str  # the rule in the protocol's words
    derived: str | None = None  # how the number was converted for this series
    interpretation: bool = False

    def meets(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        above = values >= self.low if self.low_inclusive else values > self.low
        below = values <= self.high if self.high_inclusive else values < self.high
        return above & below & ~np.isnan(values)

    @property
    def edges(self) -> tuple[float, ...]:
        """The finite edges: where a line is drawn."""
        return tuple(v for v in (self.low, self.high) if math.isfinite(v))

    def words(self) -> str:
        text = f"{self.criterion} ({self.outcome}): {self.rule}"
        return f"{text}; {self.derived}" if self.derived else text


def _interval(op: str, value: float) -> tuple[float, bool, float, bool]:
    if op == "<":
        return -math.inf, False, value, False
    if op == "<=":
        return -math.inf, False, value, True
    if op == ">":
        return value, False, math.inf, False
    return value, True, math.inf, False  # ">="


def _sufficient(condition: r.Condition) -> Iterator[r.Condition]:
    """The parts of a trigger that meet it on their own."""
    if isinstance(condition, r.AnyOf):
        for item in condition.items:
            yield from _sufficient(item)
    elif isinstance(condition, r.AllOf):
        if _same_parameter_band(condition) is not None:
            yield condition
    elif not isinstance(condition, r.NoneOf):
        yield condition


def _same_parameter_band(condition: r.AllOf) -> tuple[str, tuple] | None:
    """``all_of`` of latest-value comparisons of one numeric parameter: one band."""
    bounds: list[tuple[str, str, float]] = []  # (parameter, op, value) of each leaf
    for leaf in condition.items:
        if not (
            isinstance(leaf, r.Latest)
            and leaf.after_event is None
            and isinstance(leaf.comparison, r.ThresholdComparison)
            and leaf.comparison.threshold.value is not None
        ):
            return None
        bounds.append((leaf.parameter, leaf.comparison.op, leaf.comparison.threshold.value))
    if not bounds:
        return None
    parameters = {parameter for parameter, _, _ in bounds}
    if len(parameters) != 1:
        return None
    low, low_inc, high, high_inc = -math.inf, False, math.inf, False
    for _, op, value in bounds:
        lo, lo_inc, hi, hi_inc = _interval(op, value)
        if lo > low or (lo == low and not lo_inc):
            low, low_inc = lo, lo_inc
        if hi < high or (hi == high and not hi_inc):
            high, high_inc = hi, hi_inc
    return parameters.pop(), (low, low_inc, high, high_inc)


def _comparison_interval(
    comparison: r.Comparison, patient: Mapping
) -> tuple[tuple[float, bool, float, bool], str | None] | None:
    """The interval of a numeric comparison, and a note when a default stood in."""
    if isinstance(comparison, r.RangeComparison):
        return (comparison.low, True, comparison.high, True), None
    if not isinstance(comparison, r.ThresholdComparison):
        return None
    threshold = comparison.threshold
    if threshold.value is not None:
        return _interval(comparison.op, threshold.value), None
    own = _number(patient.get(threshold.patient_column))
    if own is not None:
        return _interval(comparison.op, own), f"the patient's {threshold.patient_column}"
    if threshold.default is None:
        return None
    return (
        _interval(comparison.op, threshold.default),
        f"no {threshold.patient_column} set: the protocol default",
    )


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _scaled(
    interval: tuple[float, bool, float, bool], factor: float
) -> tuple[float, bool, float, bool]:
    low, low_inc, high, high_inc = interval
    return low * factor, low_inc, high * factor, high_inc


def _codes_interval(
    parameter: str, codes: tuple[str, ...]
) -> tuple[float, bool, float, bool] | None:
    """Codes of an ordinal parameter as a band on its axis (code i is drawn at y = i)."""
    order = load_vocabulary()[parameter].codes
    positions = sorted(order.index(code) for code in codes if code in order)
    if not positions or positions != list(range(positions[0], positions[-1] + 1)):
        return None  # not contiguous: not drawable as one band
    return positions[0] - 0.5, True, positions[-1] + 0.5, False


Interval = tuple[float, bool, float, bool]
#: What a chart handler yields: (series, interval where the rule is met, how it was derived).
Drawn = Iterator[tuple[str, Interval, str | None]]
ChartHandler = Callable[[r.Condition, Mapping, float | None], Drawn]
#: How each rule kind is drawn on the trends: a handler, or None for a kind declared
#: not drawn (`not_charted`). Checked complete at import.
_CHARTS: dict[type[r.Condition], ChartHandler | None] = {}


_Kind = TypeVar("_Kind", bound=r.Condition)


def charts(
    *kinds: type[_Kind],
) -> Callable[
    [Callable[[_Kind, Mapping, float | None], Drawn]],
    Callable[[_Kind, Mapping, float | None], Drawn],
]:
    """Register the decorated function as how ``kinds`` are drawn: typed as taking those
    kinds, so mypy checks each handler against its own condition classes."""

    def register(
        handler: Callable[[_Kind, Mapping, float | None], Drawn],
    ) -> Callable[[_Kind, Mapping, float | None], Drawn]:
        for kind in kinds:
            # Stored for any condition: `_leaf_thresholds` only calls it with
            # type(leaf) == kind, which a dict of kinds cannot say to mypy.
            _declare(kind, cast(ChartHandler, handler))
        return handler

    return register


def not_charted(*kinds: type[r.Condition]) -> None:
    """Declare rule kinds that no line or band can stand for (said why where declared)."""
    for kind in kinds:
        _declare(kind, None)


def _declare(kind: type[r.Condition], handler: ChartHandler | None) -> None:
    if kind in _CHARTS:
        raise TypeError(f"{kind.__name__} is declared twice for the charts")
    _CHARTS[kind] = handler


def chart_declared(kind: type[r.Condition]) -> bool:
    """Whether a rule kind has a chart handler or an explicit "not charted"."""
    return kind in _CHARTS


def _leaf_thresholds(
    leaf: r.Condition, patient: Mapping, baseline_creatinine: float | None
) -> Drawn:
    handler = _CHARTS[type(leaf)]
    if handler is not None:
        yield from handler(leaf, patient, baseline_creatinine)


@charts(r.AllOf)
def _band(leaf: r.AllOf, patient: Mapping, baseline_creatinine: float | None) -> Drawn:
    band = _same_parameter_band(leaf)
    if band is not None:
        yield band[0], band[1], None


@charts(r.Latest, r.AnyIn, r.Extreme)
def _compared_value(leaf, patient: Mapping, baseline_creatinine: float | None) -> Drawn:
    if isinstance(leaf, r.Latest) and leaf.after_event is not None:
        return  # met only after an event (a fluid bolus): a line would claim more
    if isinstance(leaf.comparison, r.CodeComparison):
        if leaf.parameter in ORDINAL_PARAMETERS:
            interval = _codes_interval(leaf.parameter, leaf.comparison.codes)
            if interval is not None:
                yield leaf.parameter, interval, None
        return
    found = _comparison_interval(leaf.comparison, patient)
    if found is not None:
        yield leaf.parameter, found[0], found[1]


@charts(r.PercentOverBaseline)
def _weight_gain(
    leaf: r.PercentOverBaseline, patient: Mapping, baseline_creatinine: float | None
) -> Drawn:
    if leaf.parameter != "weight":
        return
    found = _comparison_interval(leaf.comparison, patient)
    if found is not None:
        yield WEIGHT_GAIN, found[0], found[1]


@charts(r.Window)
def _urine_window(leaf: r.Window, patient: Mapping, baseline_creatinine: float | None) -> Drawn:
    if leaf.parameter != "urine_output" or leaf.offset_hours:
        return
    found = _comparison_interval(leaf.comparison, patient)
    if found is None:
        return
    factor, how = 1.0, []
    if leaf.aggregate == "sum":
        factor /= leaf.hours
        how.append(f"over {plain_number(leaf.hours)} h = per hour")
    if leaf.per_kg:
        weight = _number(patient.get("baseline_weight_kg"))
        if weight is None:
            return
        factor *= weight
        how.append(f"x baseline weight {plain_number(weight)} kg")
    yield (
        URINE_RATE,
        _scaled(found[0], factor),
        ("drawn in mL/h: " + ", ".join(how) if how else None),
    )


@charts(r.RatioToBaseline)
def _creatinine_ratio(
    leaf: r.RatioToBaseline, patient: Mapping, baseline_creatinine: float | None
) -> Drawn:
    if leaf.parameter != "creatinine":
        return
    found = _comparison_interval(leaf.comparison, patient)
    if found is None or baseline_creatinine is None:
        return
    yield (
        "creatinine",
        _scaled(found[0], baseline_creatinine),
        (f"x baseline creatinine {plain_number(baseline_creatinine)} mg/dL"),
    )


# No line stands for these: a change (rising, a fall from the peak, a rise within hours, a
# requirement increased), a rate of the latest charting period, events, states that last,
# doses held and counts of criteria are not a level of one charted series. An any_of is
# drawn through its branches and a none_of never (see _sufficient).
not_charted(
    r.LatestRate,
    r.Rising,
    r.FallFromPeak,
    r.RiseWithin,
    r.EventCondition,
    r.EventCount,
    r.Continuing,
    r.Increased,
    r.DosesHeld,
    r.CountCriteria,
    r.AnyOf,
    r.NoneOf,
)


def missing_chart_handlers() -> list[str]:
    """Rule kinds neither drawn nor declared not drawn."""
    return [kind.__name__ for kind in r.rule_kinds() if kind not in _CHARTS]


if missing_chart_handlers():  # pragma: no cover - tests/test_rule_kinds.py keeps this empty
    raise TypeError(
        f"rule kinds without a chart declaration: {', '.join(missing_chart_handlers())}"
    )


def criterion_thresholds(
    criterion: Criterion, patient: Mapping | None = None, baseline_creatinine: float | None = None
) -> list[Threshold]:
    """The drawable thresholds of one criterion (every grade)."""
    patient = patient or {}
    found: list[Threshold] = []
    for grade in criterion.grades:
        for leaf in _sufficient(grade.trigger):
            for series, (low, low_inc, high, high_inc), derived in _leaf_thresholds(
                leaf, patient, baseline_creatinine
            ):
                found.append(
                    Threshold(
                        series=series,
                        criterion=criterion.id,
                        title=criterion.title,
                        outcome=grade.outcome,
                        grade_label=grade.label,
                        low=low,
                        low_inclusive=low_inc,
                        high=high,
                        high_inclusive=high_inc,
                        rule=leaf.describe(),
                        derived=derived,
                        interpretation=criterion.interpretation is not None,
                    )
                )
    return found


def protocol_thresholds(
    protocol: Protocol, patient: Mapping | None = None, baseline_creatinine: float | None = None
) -> list[Threshold]:
    """Every drawable threshold of a protocol for one patient (patient targets, baseline
    weight and creatinine resolve the patient-specific ones)."""
    return [
        threshold
        for criterion in protocol.criteria
        for threshold in criterion_thresholds(criterion, patient, baseline_creatinine)
    ]


def freshness_hours(protocol: Protocol) -> dict[str, float]:
    """The strictest freshness each parameter must meet (criteria' ``required``)."""
    fresh: dict[str, float] = {}
    for criterion in protocol.criteria:
        for requirement in criterion.required:
            fresh[requirement.parameter] = min(
                fresh.get(requirement.parameter, math.inf), requirement.fresh_hours
            )
    return fresh
