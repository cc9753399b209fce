"""The rule language of protocol files: conditions as data.

A condition is a small tree. Its leaves say *what is looked at* (the latest value, any value
in a scope, a window sum, an event...) and *how it is compared*; its branches are
``all_of``, ``any_of`` and ``none_of``. The classes here only describe rules (and say them
in words); :mod:`dashboard.assessment` evaluates them. Every number, operator and unit of a
rule comes from a protocol file (criteria.md section 8); none is written in Python.

Each rule kind is one :class:`Condition` subclass that owns its YAML key, its keys, its
parsing and its words; defining it registers it (:data:`RULE_KINDS`). How it is evaluated
and charted is registered beside the engine and the charts, which refuse to import while a
kind lacks its handler (tests/test_rule_kinds.py checks all four and the docs row).

The file format is documented in docs/protocol-format.md. Parsing is strict: an unknown
key, an unknown parameter or code, or a unit that does not belong to the parameter raises
:class:`RuleError` with the key path, which the protocol loader turns into a
:class:`~dashboard.errors.ProtocolError` naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from dashboard.quantities import plain_number
from dashboard.vocabulary import Vocabulary, unit_key

OPERATORS = ("<", "<=", ">", ">=")
OPERATOR_WORDS = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}
SCOPES = ("interval", "cycle", "course")
EVENT_SCOPES = ("active", "interval", "cycle", "course")
COUNT_MODES = ("simultaneous", "cumulative")
# Patient columns a threshold may name (data-contract section 1).
PATIENT_THRESHOLD_COLUMNS = ("target_sbp_mmhg",)
# What "baseline" means for a parameter (data-contract section 1, patients table).
BASELINE_COLUMNS = {"weight": "baseline_weight_kg", "creatinine": "baseline_creatinine_mg_dl"}
EVENT_PARAMETER = "event"
EVENT_RESOLVED_PARAMETER = "event_resolved"


class RuleError(ValueError):
    """A malformed rule; ``path`` is where in the file (e.g. ``trigger.any_of[1].op``)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _format_number(number: float) -> str:
    return plain_number(number)  # hours and limits as the protocol writes them


# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class Threshold:
    """A number in the canonical unit, or a patient column with the protocol's default."""

    value: float | None  # canonical; None when taken from the patient
    written: str  # as written in the file, with its unit ("90 mm[Hg]")
    patient_column: str | None = None
    default: float | None = None  # canonical

    def describe(self) -> str:
        return self.written


class Comparison:
    """How a rule compares what it looks at. Three shapes, each its own class:
    :class:`ThresholdComparison` (``op value``), :class:`RangeComparison` (``between``,
    both ends inclusive) and :class:`CodeComparison` (``in [codes]``)."""

    #: True for a comparison of codes (a categorical parameter)
    is_codes: ClassVar[bool] = False

    def describe(self) -> str:  # pragma: no cover - every shape overrides
        raise NotImplementedError

    def negated_words(self) -> str:
        return f"not {self.describe()}"


@dataclass(frozen=True)
class ThresholdComparison(Comparison):
    """``op threshold``: a number, or a patient column with the protocol's default."""

    op: str
    threshold: Threshold

    @property
    def patient_column(self) -> str | None:
        """The patient column the threshold is read from, if any."""
        return self.threshold.patient_column

    def describe(self) -> str:
        return f"{OPERATOR_WORDS[self.op]} {self.threshold.describe()}"


@dataclass(frozen=True)
class RangeComparison(Comparison):
    """``between [low, high]``, both inclusive, in the canonical unit."""

    low: float
    high: float
    written_range: str = ""

    def describe(self) -> str:
        return f"between {self.written_range} (inclusive)"


@dataclass(frozen=True)
class CodeComparison(Comparison):
    """``in [codes]`` of a categorical parameter."""

    codes: tuple[str, ...]
    is_codes: ClassVar[bool] = True

    def describe(self) -> str:
        return "is " + " or ".join(f"`{code}`" for code in self.codes)


# --------------------------------------------------------------------------- conditions

#: Every rule kind by the YAML key that names it, filled by defining a Condition subclass
#: with ``yaml_keys`` (see :meth:`Condition.__init_subclass__`), in definition order.
RULE_KINDS: dict[str, type[Condition]] = {}

# The keys a comparison is written with (docs/protocol-format.md, "Rules").
NUMERIC_COMPARISON = frozenset({"op", "value", "unit", "between"})
ANY_COMPARISON = NUMERIC_COMPARISON | {"in"}


@dataclass(frozen=True)
class Condition:
    """Base of every rule node.

    A rule kind is one subclass: it names its YAML key(s) in ``yaml_keys``, the other keys
    it accepts in ``options``, parses itself in :meth:`parse` and says itself in words in
    :meth:`describe`. Defining the class registers it in :data:`RULE_KINDS`; the engine
    (dashboard/assessment/conditions.py) and the charts (dashboard/views/thresholds.py)
    each register their handler of it, and refuse to import when one is missing."""

    #: the YAML key(s) naming this kind, e.g. ``("latest",)``; ``("max", "min")``
    yaml_keys: ClassVar[tuple[str, ...]] = ()
    #: the other keys a rule of this kind may have
    options: ClassVar[frozenset[str]] = frozenset()
    #: a state that lasts (a window, a rate, an event): a hold trigger met at the
    #: interval's start counts as met in the interval (criteria.md section 2)
    lasting: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for key in cls.__dict__.get("yaml_keys", ()):
            if key in RULE_KINDS:
                raise TypeError(
                    f"rule key `{key}` is claimed by {RULE_KINDS[key].__name__} and {cls.__name__}"
                )
            RULE_KINDS[key] = cls

    @classmethod
    def parse(cls, parser: RuleParser, raw: dict, path: str, key: str) -> Condition:
        """The rule ``raw`` (a mapping whose kind key is ``key``) read strictly; ``path``
        is where it is in the file. Raises :class:`RuleError`."""
        raise NotImplementedError(f"{cls.__name__} does not parse itself")

    def describe(self) -> str:  # pragma: no cover - every node overrides
        raise NotImplementedError

    def parameters(self) -> tuple[str, ...]:
        """The vocabulary parameters this condition reads (for the checklist and docs)."""
        return ()

    def children(self) -> tuple[Condition, ...]:
        return ()

    def walk(self):
        yield self
        for child in self.children():
            yield from child.walk()


def rule_keys() -> tuple[str, ...]:
    """Every YAML key that names a rule kind, in definition order."""
    return tuple(RULE_KINDS)


def rule_kinds() -> tuple[type[Condition], ...]:
    """Every rule kind (a class may own more than one key)."""
    return tuple(dict.fromkeys(RULE_KINDS.values()))


@dataclass(frozen=True)
class AfterEvent:
    """The reading came within ``hours`` after an event (e.g. a fluid bolus)."""

    code: str
    hours: float


@dataclass(frozen=True)
class Latest(Condition):
    """The latest value of a parameter at T (any age; freshness is a separate check)."""

    parameter: str
    comparison: Comparison
    after_event: AfterEvent | None = None

    yaml_keys = ("latest",)
    options = ANY_COMPARISON | {"after_event"}

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = parser.parameter(raw[key], f"{path}.{key}")
        categorical = not parser.vocabulary[parameter].is_numeric
        comparison = parser.comparison(raw, path, parameter, codes_allowed=categorical)
        after = raw.get("after_event")
        after_event = None
        if after is not None:
            if not isinstance(after, dict) or set(after) - {"code", "within_hours"}:
                raise RuleError(f"{path}.after_event", "must be {code, within_hours}")
            code = parser.codes(EVENT_PARAMETER, after.get("code"), f"{path}.after_event.code")[0]
            hours = parser.number(after.get("within_hours"), f"{path}.after_event.within_hours")
            after_event = AfterEvent(code, hours)
        return cls(parameter, comparison, after_event)

    def describe(self) -> str:
        text = f"latest {self.parameter} {self.comparison.describe()}"
        if self.after_event:
            text += (
                f" within {_format_number(self.after_event.hours)} h after an event "
                f"`{self.after_event.code}`"
            )
        return text

    def parameters(self):
        return (self.parameter, *((EVENT_PARAMETER,) if self.after_event else ()))


@dataclass(frozen=True)
class AnyIn(Condition):
    """Any value of a parameter in the scope (interval, cycle or course) meets it."""

    parameter: str
    comparison: Comparison
    scope: str

    yaml_keys = ("any",)
    options = ANY_COMPARISON | {"scope"}

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = parser.parameter(raw[key], f"{path}.{key}")
        categorical = not parser.vocabulary[parameter].is_numeric
        comparison = parser.comparison(raw, path, parameter, codes_allowed=categorical)
        return cls(parameter, comparison, parser.scope(raw.get("scope"), f"{path}.scope"))

    def describe(self) -> str:
        return f"any {self.parameter} {self.comparison.describe()} in the {self.scope}"

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class Extreme(Condition):
    """The maximum (or minimum) of a parameter over the scope."""

    parameter: str
    kind: str  # "max" or "min"
    comparison: Comparison
    scope: str

    yaml_keys = ("max", "min")
    options = NUMERIC_COMPARISON | {"scope"}

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = parser.parameter(raw[key], f"{path}.{key}", numeric=True)
        return cls(
            parameter,
            key,
            parser.comparison(raw, path, parameter),
            parser.scope(raw.get("scope"), f"{path}.scope"),
        )

    def describe(self) -> str:
        word = "maximum" if self.kind == "max" else "minimum"
        return f"{word} {self.parameter} in the {self.scope} {self.comparison.describe()}"

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class Window(Condition):
    """Sum (or rate = sum / hours) of a volume parameter over (T - offset - W, T - offset],
    optionally per kg of baseline weight."""

    parameter: str
    hours: float
    aggregate: str  # "sum" or "rate"
    per_kg: bool
    offset_hours: float
    comparison: Comparison
    # Not written in the file: set by the loader from the criterion's required freshness of
    # this parameter. Each entry is the volume since the previous one, so a window the
    # record does not reach holds an unknown volume, not a low one: a "below" comparison is
    # only met when the latest entry is within coverage_hours of the window's end.
    coverage_hours: float | None = None

    yaml_keys = ("window",)
    lasting = True
    options = NUMERIC_COMPARISON | {"hours", "aggregate", "per_kg", "offset_hours"}

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = parser.parameter(raw[key], f"{path}.{key}", numeric=True)
        hours = parser.number(raw.get("hours"), f"{path}.hours")
        if hours <= 0:
            raise RuleError(f"{path}.hours", "must be positive")
        aggregate = parser.choice(
            raw.get("aggregate"), ("sum", "rate"), f"{path}.aggregate", default="sum"
        )
        per_kg = raw.get("per_kg", False)
        if not isinstance(per_kg, bool):
            raise RuleError(f"{path}.per_kg", "must be true or false")
        offset = parser.number(raw.get("offset_hours", 0), f"{path}.offset_hours")
        derived = (
            parser.vocabulary[parameter].unit
            + ("/kg" if per_kg else "")
            + ("/h" if aggregate == "rate" else "")
        )
        comparison = parser.comparison(raw, path, parameter, derived_unit=derived)
        return cls(parameter, hours, aggregate, per_kg, offset, comparison)

    @property
    def compares_below(self) -> bool:
        """True when too little volume meets it (<, <= or a range), so gaps would mislead."""
        comparison = self.comparison
        if isinstance(comparison, RangeComparison):
            return True
        return isinstance(comparison, ThresholdComparison) and comparison.op in ("<", "<=")

    def describe(self) -> str:
        what = "rate" if self.aggregate == "rate" else "total"
        per = " per kg of baseline weight" if self.per_kg else ""
        when = f"the last {_format_number(self.hours)} h"
        if self.offset_hours:
            end = _format_number(self.offset_hours)
            start = _format_number(self.offset_hours + self.hours)
            when = f"the {_format_number(self.hours)} h from {start} h to {end} h before T"
        return f"{self.parameter} {what}{per} over {when} {self.comparison.describe()}"

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class LatestRate(Condition):
    """The rate of the latest charting period of a volume parameter: the latest entry's
    volume / the hours since the entry before it (criteria.md section 2, "An hourly urine
    rate"; a literal one-hour window would read 0 between two-hourly entries)."""

    parameter: str
    comparison: Comparison
    # Not written in the file: set by the loader from the required freshness of this
    # parameter. The latest entry must be at most this old; else no rate is read.
    fresh_hours: float | None = None

    yaml_keys = ("latest_rate",)
    lasting = True
    options = NUMERIC_COMPARISON

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = parser.parameter(raw[key], f"{path}.{key}", numeric=True)
        derived = parser.vocabulary[parameter].unit + "/h"
        return cls(parameter, parser.comparison(raw, path, parameter, derived_unit=derived))

    def describe(self) -> str:
        return (
            f"{self.parameter} rate over its latest charting period (the latest entry / "
            f"the hours since the one before) {self.comparison.describe()}"
        )

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class Rising(Condition):
    """The latest value is higher than the one before it."""

    parameter: str

    yaml_keys = ("rising",)

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(parser.parameter(raw[key], f"{path}.{key}", numeric=True))

    def describe(self) -> str:
        return f"{self.parameter} rising (latest > the one before it)"

    def parameters(self):
        return (self.parameter,)


def percent_over_baseline(values, baseline):
    """(value - baseline) / baseline x 100: the weight gain of the criteria, used by the
    engine and by every view that shows it, so that a chart never disagrees with a rule."""
    return (values - baseline) / baseline * 100.0


def _baseline_parameter(parser: RuleParser, raw: dict, path: str, key: str) -> str:
    here = f"{path}.{key}"
    parameter = parser.parameter(raw[key], here, numeric=True)
    if parameter not in BASELINE_COLUMNS:
        raise RuleError(
            here, f"no baseline for {parameter} (baselines: {', '.join(BASELINE_COLUMNS)})"
        )
    return parameter


@dataclass(frozen=True)
class PercentOverBaseline(Condition):
    """(latest - baseline) / baseline x 100, baseline from the patients table."""

    parameter: str
    comparison: Comparison

    yaml_keys = ("percent_over_baseline",)
    options = NUMERIC_COMPARISON

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = _baseline_parameter(parser, raw, path, key)
        return cls(parameter, parser.comparison(raw, path, parameter, derived_unit="%"))

    def describe(self) -> str:
        return f"latest {self.parameter} over baseline {self.comparison.describe()}"

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class RatioToBaseline(Condition):
    """latest / baseline (baseline creatinine: the patients table, else the first of the
    course)."""

    parameter: str
    comparison: Comparison

    yaml_keys = ("ratio_to_baseline",)
    options = frozenset({"op", "value", "between"})  # a ratio: no unit

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = _baseline_parameter(parser, raw, path, key)
        return cls(parameter, parser.comparison(raw, path, parameter, unitless=True))

    def describe(self) -> str:
        return f"latest {self.parameter} / baseline {self.comparison.describe()}"

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class FallFromPeak(Condition):
    """Peak of the scope minus the latest value."""

    parameter: str
    scope: str
    comparison: Comparison

    yaml_keys = ("fall_from_peak",)
    options = NUMERIC_COMPARISON | {"scope"}

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = parser.parameter(raw[key], f"{path}.{key}", numeric=True)
        return cls(
            parameter,
            parser.scope(raw.get("scope"), f"{path}.scope"),
            parser.comparison(raw, path, parameter, difference=True),
        )

    def describe(self) -> str:
        return f"{self.parameter} fall from its {self.scope} peak {self.comparison.describe()}"

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class RiseWithin(Condition):
    """Latest value minus the lowest value in the last ``hours``."""

    parameter: str
    hours: float
    comparison: Comparison

    yaml_keys = ("rise_within",)
    options = NUMERIC_COMPARISON | {"hours"}

    @classmethod
    def parse(cls, parser, raw, path, key):
        parameter = parser.parameter(raw[key], f"{path}.{key}", numeric=True)
        return cls(
            parameter,
            parser.number(raw.get("hours"), f"{path}.hours"),
            parser.comparison(raw, path, parameter, difference=True),
        )

    def describe(self) -> str:
        return (
            f"{self.parameter} rise within the last {_format_number(self.hours)} h "
            f"{self.comparison.describe()}"
        )

    def parameters(self):
        return (self.parameter,)


@dataclass(frozen=True)
class EventCondition(Condition):
    """An event of one of the codes: ``active`` (charted and not followed by an
    event_resolved of the same code) or charted in the interval / cycle / course."""

    codes: tuple[str, ...]
    scope: str

    yaml_keys = ("event",)
    lasting = True
    options = frozenset({"scope"})

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(
            parser.codes(EVENT_PARAMETER, raw[key], f"{path}.{key}"),
            parser.scope(raw.get("scope"), f"{path}.scope", EVENT_SCOPES),
        )

    def describe(self) -> str:
        codes = " or ".join(f"`{code}`" for code in self.codes)
        if self.scope == "active":
            return f"event {codes} active (not followed by event_resolved)"
        return f"event {codes} in the {self.scope}"

    def parameters(self):
        return (EVENT_PARAMETER, EVENT_RESOLVED_PARAMETER)


@dataclass(frozen=True)
class EventCount(Condition):
    codes: tuple[str, ...]
    scope: str
    at_least: int

    yaml_keys = ("event_count",)
    options = frozenset({"scope", "at_least"})

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(
            parser.codes(EVENT_PARAMETER, raw[key], f"{path}.{key}"),
            parser.scope(raw.get("scope"), f"{path}.scope"),
            parser.positive_int(raw.get("at_least"), f"{path}.at_least"),
        )

    def describe(self) -> str:
        codes = " or ".join(f"`{code}`" for code in self.codes)
        return f"{self.at_least} or more events {codes} in the {self.scope}"

    def parameters(self):
        return (EVENT_PARAMETER,)


@dataclass(frozen=True)
class Continuing(Condition):
    """A state (an event until its event_resolved, or a categorical code until a reading
    with another code) that lasted, or has lasted up to T, more than ``hours``."""

    parameter: str
    codes: tuple[str, ...]
    hours: float

    yaml_keys = ("continuing",)
    options = frozenset({"in", "hours"})

    @classmethod
    def parse(cls, parser, raw, path, key):
        here = f"{path}.{key}"
        parameter = parser.parameter(raw[key], here, numeric=False)
        if parameter == EVENT_RESOLVED_PARAMETER:
            raise RuleError(here, "use `event`: it continues until its event_resolved")
        hours = parser.number(raw.get("hours"), f"{path}.hours")
        return cls(parameter, parser.codes(parameter, raw.get("in"), f"{path}.in"), hours)

    def describe(self) -> str:
        codes = " or ".join(f"`{code}`" for code in self.codes)
        return f"{self.parameter} {codes} continuing for more than {_format_number(self.hours)} h"

    def parameters(self):
        if self.parameter == EVENT_PARAMETER:
            return (EVENT_PARAMETER, EVENT_RESOLVED_PARAMETER)
        return (self.parameter,)


@dataclass(frozen=True)
class Increased(Condition):
    """For any of the parameters, the latest rate at T is higher than the rate in force at
    the interval's start (no entry = 0): the vasopressor requirement increased."""

    parameters_: tuple[str, ...]

    yaml_keys = ("increased",)

    @classmethod
    def parse(cls, parser, raw, path, key):
        value = raw[key]
        names = value if isinstance(value, list) else [value]
        return cls(
            tuple(
                parser.parameter(name, f"{path}.{key}[{i}]", numeric=True)
                for i, name in enumerate(names)
            )
        )

    def describe(self) -> str:
        return f"requirement increased over the interval ({', '.join(self.parameters_)})"

    def parameters(self):
        return self.parameters_


@dataclass(frozen=True)
class DosesHeld(Condition):
    scope: str
    at_least: int

    yaml_keys = ("doses_held",)
    options = frozenset({"at_least"})

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(
            parser.choice(raw[key], ("cycle", "course"), f"{path}.{key}"),
            parser.positive_int(raw.get("at_least"), f"{path}.at_least"),
        )

    def describe(self) -> str:
        return f"{self.at_least} or more doses already held in the {self.scope}"


@dataclass(frozen=True)
class CountCriteria(Condition):
    """At least ``at_least`` other criteria have ``outcome`` at this assessment
    (simultaneous) or at any assessment of the cycle so far (cumulative)."""

    outcome: str
    at_least: int
    mode: str
    criteria: tuple[str, ...] = ()  # empty: every criterion that has that outcome

    yaml_keys = ("count_criteria",)
    options = frozenset({"at_least", "mode", "criteria"})

    @classmethod
    def parse(cls, parser, raw, path, key):
        outcome = parser.choice(raw[key], ("hold", "stop_cycle"), f"{path}.{key}")
        mode = parser.choice(raw.get("mode"), COUNT_MODES, f"{path}.mode")
        criteria = raw.get("criteria") or []
        if not isinstance(criteria, list):
            raise RuleError(f"{path}.criteria", "must be a list of criterion ids")
        return cls(
            outcome,
            parser.positive_int(raw.get("at_least"), f"{path}.at_least"),
            mode,
            tuple(str(c) for c in criteria),
        )

    def describe(self) -> str:
        which = f" among {', '.join(self.criteria)}" if self.criteria else ""
        when = (
            "at this assessment"
            if self.mode == "simultaneous"
            else "over the cycle so far (cumulative)"
        )
        return f"{self.at_least} or more criteria{which} with outcome {self.outcome} {when}"


def _parse_items(parser: RuleParser, raw: dict, path: str, key: str) -> tuple[Condition, ...]:
    here = f"{path}.{key}"
    value = raw[key]
    if not isinstance(value, list) or not value:
        raise RuleError(here, "must be a non-empty list of rules")
    return tuple(parser.parse(item, f"{here}[{i}]") for i, item in enumerate(value))


@dataclass(frozen=True)
class AllOf(Condition):
    items: tuple[Condition, ...] = field(default_factory=tuple)

    yaml_keys = ("all_of",)

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(_parse_items(parser, raw, path, key))

    def describe(self) -> str:
        return " and ".join(_bracket(item) for item in self.items)

    def parameters(self):
        return tuple(dict.fromkeys(p for item in self.items for p in item.parameters()))

    def children(self):
        return self.items


@dataclass(frozen=True)
class AnyOf(Condition):
    items: tuple[Condition, ...] = field(default_factory=tuple)

    yaml_keys = ("any_of",)

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(_parse_items(parser, raw, path, key))

    def describe(self) -> str:
        return " or ".join(_bracket(item) for item in self.items)

    def parameters(self):
        return tuple(dict.fromkeys(p for item in self.items for p in item.parameters()))

    def children(self):
        return self.items


@dataclass(frozen=True)
class NoneOf(Condition):
    items: tuple[Condition, ...] = field(default_factory=tuple)

    yaml_keys = ("none_of",)

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(_parse_items(parser, raw, path, key))

    def describe(self) -> str:
        if len(self.items) == 1:
            return f"not {_bracket(self.items[0])}"
        return "none of (" + "; ".join(item.describe() for item in self.items) + ")"

    def parameters(self):
        return tuple(dict.fromkeys(p for item in self.items for p in item.parameters()))

    def children(self):
        return self.items


def _bracket(condition: Condition) -> str:
    text = condition.describe()
    return (
        f"({text})" if isinstance(condition, AllOf | AnyOf) and len(condition.items) > 1 else text
    )


# --------------------------------------------------------------------------- parsing


class RuleParser:
    """Parses condition trees against the vocabulary (strict). The grammar of each kind is
    its class's :meth:`Condition.parse`; these are the checks they share."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary

    # -- shared checks
    def parameter(self, name, path: str, numeric: bool | None = None) -> str:
        if not isinstance(name, str) or name not in self.vocabulary:
            raise RuleError(path, self.vocabulary.unknown_name_reason(name))
        spec = self.vocabulary[name]
        if numeric is True and not spec.is_numeric:
            raise RuleError(path, f"'{name}' is categorical; this rule needs a numeric parameter")
        if numeric is False and spec.is_numeric:
            raise RuleError(path, f"'{name}' is numeric; this rule needs a categorical parameter")
        return name

    def codes(self, parameter: str, raw, path: str) -> tuple[str, ...]:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise RuleError(path, "must be a code or a non-empty list of codes")
        allowed = self.vocabulary[parameter].codes
        for index, code in enumerate(raw):
            if code not in allowed:
                raise RuleError(
                    f"{path}[{index}]",
                    f"'{code}' is not a code of {parameter} (known: {', '.join(allowed)})",
                )
        return tuple(raw)

    @staticmethod
    def number(raw, path: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise RuleError(path, f"must be a number, not {raw!r}")
        return float(raw)

    @staticmethod
    def positive_int(raw, path: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise RuleError(path, f"must be a whole number >= 1, not {raw!r}")
        return raw

    @staticmethod
    def choice(raw, choices, path: str, default=None):
        if raw is None and default is not None:
            return default
        if raw not in choices:
            raise RuleError(path, f"must be one of {', '.join(choices)}, not {raw!r}")
        return raw

    def scope(self, raw, path: str, choices=SCOPES) -> str:
        return self.choice(raw, choices, path)

    def unit_scale(self, parameter: str, unit, path: str, derived: str | None = None):
        """(scale, zero) to convert a threshold written in ``unit`` to canonical."""
        if unit is None:
            raise RuleError(path, "a unit is required for a numeric threshold")
        if derived is not None:  # units such as mL/h or mL/kg that are not in the vocabulary
            if unit_key(unit) != unit_key(derived):
                raise RuleError(path, f"'{unit}' is not the unit of this rule (use {derived})")
            return 1.0, 0.0
        spec = self.vocabulary[parameter]
        conversion = spec.conversion(str(unit))
        if conversion is None:
            raise RuleError(
                path,
                f"'{unit}' is not a unit of {parameter} "
                f"(accepted: {', '.join(spec.accepted_units)})",
            )
        return conversion.scale, conversion.zero

    def comparison(
        self,
        raw: dict,
        path: str,
        parameter: str | None,
        *,
        derived_unit: str | None = None,
        unitless: bool = False,
        codes_allowed: bool = False,
        difference: bool = False,
    ) -> Comparison:
        """``op`` + ``value`` (+ ``unit``), or ``between`` (+ ``unit``), or ``in``."""
        has_in = "in" in raw
        has_between = "between" in raw
        has_op = "op" in raw or "value" in raw
        if sum((has_in, has_between, has_op)) != 1:
            raise RuleError(path, "give exactly one of: op + value, between, in")
        if has_in:
            if not codes_allowed:
                raise RuleError(f"{path}.in", "codes are only for categorical parameters")
            return CodeComparison(self.codes(parameter, raw["in"], f"{path}.in"))
        if codes_allowed:
            raise RuleError(path, f"'{parameter}' is categorical: compare it with `in: [codes]`")
        unit = raw.get("unit")
        if unitless:
            if unit is not None:
                raise RuleError(f"{path}.unit", "this rule compares a ratio: no unit")
            scale, zero, unit_text = 1.0, 0.0, ""
        else:
            scale, zero = self.unit_scale(parameter, unit, f"{path}.unit", derived_unit)
            if difference:  # a difference of two values: only the scale applies
                zero = 0.0
            unit_text = f" {unit}"

        def convert(number: float) -> float:
            return (number - zero) * scale

        if has_between:
            pair = raw["between"]
            if not isinstance(pair, list) or len(pair) != 2:
                raise RuleError(f"{path}.between", "must be [low, high]")
            low = self.number(pair[0], f"{path}.between[0]")
            high = self.number(pair[1], f"{path}.between[1]")
            if low > high:
                raise RuleError(f"{path}.between", "low must not be above high")
            return RangeComparison(
                low=convert(low),
                high=convert(high),
                written_range=f"{plain_number(low)} and {plain_number(high)}{unit_text}",
            )
        op = self.choice(raw.get("op"), OPERATORS, f"{path}.op")
        if "value" not in raw:
            raise RuleError(f"{path}.value", "missing")
        value = raw["value"]
        if isinstance(value, dict):
            extra = set(value) - {"patient", "default"}
            if extra:
                raise RuleError(f"{path}.value.{sorted(extra)[0]}", "unknown key")
            column = value.get("patient")
            if column not in PATIENT_THRESHOLD_COLUMNS:
                raise RuleError(
                    f"{path}.value.patient",
                    f"must be one of {', '.join(PATIENT_THRESHOLD_COLUMNS)}, not {column!r}",
                )
            default = self.number(value.get("default"), f"{path}.value.default")
            return ThresholdComparison(
                op=op,
                threshold=Threshold(
                    value=None,
                    patient_column=column,
                    default=convert(default),
                    written=f"the patient's {column} (default {plain_number(default)}{unit_text})",
                ),
            )
        number = self.number(value, f"{path}.value")
        return ThresholdComparison(
            op=op,
            threshold=Threshold(
                value=convert(number), written=f"{plain_number(number)}{unit_text}"
            ),
        )

    # -- the grammar: one kind key, the keys that kind allows, then the kind parses itself
    def parse(self, raw, path: str) -> Condition:
        if not isinstance(raw, dict) or not raw:
            raise RuleError(path, "a rule must be a mapping such as {latest: sbp, op: '<', ...}")
        heads = [key for key in raw if key in RULE_KINDS]
        if len(heads) != 1:
            unknown = [key for key in raw if key not in RULE_KINDS]
            if not heads and unknown:
                raise RuleError(
                    f"{path}.{unknown[0]}", f"unknown rule (known: {', '.join(RULE_KINDS)})"
                )
            raise RuleError(path, f"a rule has exactly one kind; found {', '.join(heads)}")
        head = heads[0]
        kind = RULE_KINDS[head]
        allowed = kind.options | {head}
        for key in raw:
            if key not in allowed:
                raise RuleError(
                    f"{path}.{key}",
                    f"unknown key in a `{head}` rule (allowed: {', '.join(sorted(allowed))})",
                )
        return kind.parse(self, raw, path, head)
