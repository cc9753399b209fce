"""Protocols as data: what a protocol file carries (criteria.md section 8).

A :class:`Protocol` is read from a YAML file in ``data/protocols/`` (or a site's own file)
by :func:`load_protocol`. Loading is strict: an unknown key, an unknown parameter, a unit
that does not belong to its parameter, a criterion without a source, or a malformed rule
raises :class:`~dashboard.errors.ProtocolError` whose message names the file and the key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from dashboard import DATA_DIR
from dashboard.errors import ProtocolError
from dashboard.protocols import rules
from dashboard.protocols.rules import (
    Condition,
    CountCriteria,
    RuleError,
    RuleParser,
)
from dashboard.vocabulary import load_vocabulary

PROTOCOL_DIR = DATA_DIR / "protocols"
DEFAULT_PROTOCOL_ID = "proleukin-label"  # criteria.md section 3: the default

#: Outcomes a criterion may have, most severe first (criteria.md section 1). ``watch``
#: never changes a dose's status.
CRITERION_OUTCOMES = ("discontinue", "stop_cycle", "hold", "watch")
SYSTEMS = ("cardiovascular", "renal", "neurological", "respiratory", "gastrointestinal",
           "haematological", "hepatic", "infection", "dermatological", "metabolic",
           "treatment")


@dataclass(frozen=True)
class Reference:
    key: str
    citation: str  # full citation
    short: str  # how a finding names it
    link: str | None = None


@dataclass(frozen=True)
class Source:
    refs: tuple[Reference, ...]
    note: str | None = None  # which part comes from which reference

    @property
    def provenance(self) -> tuple[str, ...]:
        return tuple(ref.key for ref in self.refs)

    def text(self) -> str:
        """The citation a finding shows, with the provenance tags visible."""
        cited = "; ".join(f"[{ref.key}] {ref.short}" for ref in self.refs)
        return f"{cited} ({self.note})" if self.note else cited

    @property
    def links(self) -> tuple[str, ...]:
        return tuple(ref.link for ref in self.refs if ref.link)


@dataclass(frozen=True)
class Review:
    reviewed_by: str
    date_reviewed: str  # ISO date


@dataclass(frozen=True)
class Requirement:
    """A parameter the criterion cannot be assessed without, and how fresh it must be."""

    parameter: str
    fresh_hours: float


@dataclass(frozen=True)
class Grade:
    """One outcome of a criterion: its trigger and (for hold) its restart condition."""

    outcome: str
    trigger: Condition
    restart: Condition | None = None  # None: "not the trigger" (criteria.md section 2)
    label: str | None = None  # e.g. "KDIGO stage 2"

    def restart_words(self) -> str | None:
        if self.outcome != "hold":
            return None
        if self.restart is None:
            return f"not ({self.trigger.describe()})"
        return self.restart.describe()


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    system: str
    grades: tuple[Grade, ...]  # most severe first
    required: tuple[Requirement, ...]
    source: Source
    interpretation: str | None
    review: Review

    @property
    def outcomes(self) -> tuple[str, ...]:
        return tuple(grade.outcome for grade in self.grades)

    @property
    def is_watch(self) -> bool:
        return all(outcome == "watch" for outcome in self.outcomes)

    @property
    def is_count_rule(self) -> bool:
        return any(isinstance(node, CountCriteria) for grade in self.grades
                   for node in grade.trigger.walk())

    def parameters(self) -> tuple[str, ...]:
        names = [req.parameter for req in self.required]
        for grade in self.grades:
            names += grade.trigger.parameters()
            if grade.restart is not None:
                names += grade.restart.parameters()
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Dosing:
    dose_iu_per_kg: float
    interval_hours: float  # the usual interval; also "T - interval" before the first dose
    doses_per_cycle: int
    cycles: int
    max_doses_per_course: int
    interval_hours_max: float | None = None  # TIL: 8-12 h


@dataclass(frozen=True)
class Protocol:
    id: str
    title: str
    version: str
    description: str
    dosing: Dosing
    references: dict[str, Reference]
    criteria: tuple[Criterion, ...]
    review: Review
    path: Path | None = None

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(criterion.id for criterion in self.criteria)


# --------------------------------------------------------------------------- loading


class _Reader:
    """Strict reading of a mapping with key paths for the error messages."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, path: str, message: str) -> ProtocolError:
        return ProtocolError(f"{self.file}: {path}: {message}")

    def mapping(self, raw, path: str, required: set[str], optional: set[str]) -> dict:
        if not isinstance(raw, dict):
            raise self.fail(path, "must be a mapping")
        for key in raw:
            if key not in required | optional:
                raise self.fail(f"{path}.{key}" if path else key,
                                f"unknown key (allowed: {', '.join(sorted(required | optional))})")
        for key in sorted(required):
            if key not in raw or raw[key] in (None, ""):
                raise self.fail(f"{path}.{key}" if path else key, "missing")
        return raw

    def text(self, raw, path: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(path, "must be non-empty text")
        return raw.strip()

    def number(self, raw, path: str, positive: bool = True) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or (positive and raw <= 0):
            raise self.fail(path, f"must be a positive number, not {raw!r}")
        return float(raw)

    def integer(self, raw, path: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise self.fail(path, f"must be a whole number >= 1, not {raw!r}")
        return raw

    def date(self, raw, path: str) -> str:
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise self.fail(path, f"must be a date YYYY-MM-DD, not {raw!r}") from None

    def review(self, raw, path: str) -> Review:
        raw = self.mapping(raw, path, {"reviewed_by", "date_reviewed"}, set())
        return Review(self.text(raw["reviewed_by"], f"{path}.reviewed_by"),
                      self.date(raw["date_reviewed"], f"{path}.date_reviewed"))


def _parse_protocol(raw, file: str, path: Path | None) -> Protocol:
    reader = _Reader(file)
    raw = reader.mapping(raw, "", {"id", "title", "version", "dosing", "references", "criteria",
                                   "review"}, {"description"})
    protocol_id = reader.text(raw["id"], "id")
    dosing_raw = reader.mapping(raw["dosing"], "dosing",
                                {"dose_iu_per_kg", "interval_hours", "doses_per_cycle", "cycles",
                                 "max_doses_per_course"}, {"interval_hours_max"})
    dosing = Dosing(
        dose_iu_per_kg=reader.number(dosing_raw["dose_iu_per_kg"], "dosing.dose_iu_per_kg"),
        interval_hours=reader.number(dosing_raw["interval_hours"], "dosing.interval_hours"),
        doses_per_cycle=reader.integer(dosing_raw["doses_per_cycle"], "dosing.doses_per_cycle"),
        cycles=reader.integer(dosing_raw["cycles"], "dosing.cycles"),
        max_doses_per_course=reader.integer(dosing_raw["max_doses_per_course"],
                                            "dosing.max_doses_per_course"),
        interval_hours_max=(reader.number(dosing_raw["interval_hours_max"],
                                          "dosing.interval_hours_max")
                            if "interval_hours_max" in dosing_raw else None),
    )
    if not isinstance(raw["references"], dict) or not raw["references"]:
        raise reader.fail("references", "must be a mapping of reference keys")
    references = {}
    for key, ref in raw["references"].items():
        where = f"references.{key}"
        ref = reader.mapping(ref, where, {"citation", "short"}, {"link"})
        references[str(key)] = Reference(
            str(key), reader.text(ref["citation"], f"{where}.citation"),
            reader.text(ref["short"], f"{where}.short"), ref.get("link"))
    parser = RuleParser(load_vocabulary())
    if not isinstance(raw["criteria"], list) or not raw["criteria"]:
        raise reader.fail("criteria", "must be a non-empty list")
    criteria = []
    seen: set[str] = set()
    for index, item in enumerate(raw["criteria"]):
        label = f"criteria[{index}]"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            label = f"criteria[{index}] (id {item['id']})"
        criterion = _parse_criterion(item, label, reader, parser, references)
        if criterion.id in seen:
            raise reader.fail(f"{label}.id", f"duplicate criterion id '{criterion.id}'")
        seen.add(criterion.id)
        criteria.append(criterion)
    criteria = _with_protocol_coverage(criteria)
    for index, criterion in enumerate(criteria):
        for grade in criterion.grades:
            for node in grade.trigger.walk():
                if isinstance(node, CountCriteria):
                    for name in node.criteria:
                        if name not in seen:
                            raise reader.fail(f"criteria[{index}] (id {criterion.id}).trigger",
                                              f"count_criteria names unknown criterion '{name}'")
    return Protocol(
        id=protocol_id, title=reader.text(raw["title"], "title"),
        version=str(raw["version"]), description=str(raw.get("description") or "").strip(),
        dosing=dosing, references=references, criteria=tuple(criteria),
        review=reader.review(raw["review"], "review"), path=path)


def _parse_criterion(raw, path: str, reader: _Reader, parser: RuleParser,
                     references: dict[str, Reference]) -> Criterion:
    if isinstance(raw, dict) and "source" not in raw:
        raise reader.fail(f"{path}.source", "missing: every criterion must cite its source")
    raw = reader.mapping(raw, path, {"id", "title", "system", "source", "review"},
                         {"outcome", "trigger", "restart", "grades", "required", "interpretation"})
    system = raw["system"]
    if system not in SYSTEMS:
        raise reader.fail(f"{path}.system", f"must be one of {', '.join(SYSTEMS)}, not {system!r}")

    def rule(node, where):
        try:
            return parser.parse(node, where)
        except RuleError as error:
            raise reader.fail(error.path, error.message) from None

    def outcome(value, where):
        if value not in CRITERION_OUTCOMES:
            raise reader.fail(where, f"must be one of {', '.join(CRITERION_OUTCOMES)}, "
                                     f"not {value!r}")
        return value

    if "grades" in raw:
        if {"outcome", "trigger", "restart"} & set(raw):
            raise reader.fail(path, "give either grades or outcome + trigger (+ restart)")
        if not isinstance(raw["grades"], list) or not raw["grades"]:
            raise reader.fail(f"{path}.grades", "must be a non-empty list")
        grades = []
        for index, grade in enumerate(raw["grades"]):
            where = f"{path}.grades[{index}]"
            grade = reader.mapping(grade, where, {"outcome", "trigger"}, {"restart", "label"})
            grades.append(Grade(outcome(grade["outcome"], f"{where}.outcome"),
                                rule(grade["trigger"], f"{where}.trigger"),
                                rule(grade["restart"], f"{where}.restart")
                                if grade.get("restart") is not None else None,
                                grade.get("label")))
    else:
        for key in ("outcome", "trigger"):
            if key not in raw:
                raise reader.fail(f"{path}.{key}", "missing")
        grades = [Grade(outcome(raw["outcome"], f"{path}.outcome"),
                        rule(raw["trigger"], f"{path}.trigger"),
                        rule(raw["restart"], f"{path}.restart")
                        if raw.get("restart") is not None else None)]
    for index, grade in enumerate(grades):
        if grade.restart is not None and grade.outcome != "hold":
            raise reader.fail(f"{path}.grades[{index}].restart" if "grades" in raw
                              else f"{path}.restart",
                              "only a hold has a restart condition")
    # Most severe first, whatever the order in the file (watch grades keep their order).
    grades.sort(key=lambda grade: CRITERION_OUTCOMES.index(grade.outcome))

    required = []
    vocabulary = parser.vocabulary
    for index, item in enumerate(raw.get("required") or []):
        where = f"{path}.required[{index}]"
        item = reader.mapping(item, where, {"parameter", "fresh_hours"}, set())
        if item["parameter"] not in vocabulary:
            raise reader.fail(f"{where}.parameter",
                              vocabulary.unknown_name_reason(item["parameter"]))
        required.append(Requirement(item["parameter"],
                                    reader.number(item["fresh_hours"], f"{where}.fresh_hours")))

    fresh_hours = {req.parameter: req.fresh_hours for req in required}
    grades = [
        replace(grade, trigger=_with_window_coverage(grade.trigger, fresh_hours),
                restart=_with_window_coverage(grade.restart, fresh_hours))
        for grade in grades
    ]

    source_raw = reader.mapping(raw["source"], f"{path}.source", {"refs"}, {"note"})
    refs = source_raw["refs"]
    if isinstance(refs, str):
        refs = [refs]
    if not isinstance(refs, list) or not refs:
        raise reader.fail(f"{path}.source.refs", "must list at least one reference key")
    cited = []
    for index, key in enumerate(refs):
        if key not in references:
            raise reader.fail(f"{path}.source.refs[{index}]",
                              f"'{key}' is not in references (known: {', '.join(references)})")
        cited.append(references[key])
    interpretation = raw.get("interpretation")
    if interpretation is not None:
        interpretation = reader.text(interpretation, f"{path}.interpretation")
    return Criterion(
        id=reader.text(raw["id"], f"{path}.id"), title=reader.text(raw["title"], f"{path}.title"),
        system=system, grades=tuple(grades), required=tuple(required),
        source=Source(tuple(cited), source_raw.get("note")), interpretation=interpretation,
        review=reader.review(raw["review"], f"{path}.review"))


def _with_window_coverage(condition: Condition | None,
                          fresh_hours: dict[str, float]) -> Condition | None:
    """Give every window over a required parameter that parameter's freshness as coverage
    (a window that has one already keeps it).

    A urine window whose entries stop hours before T must read "unknown", never "low"
    (missing is never normal); see rules.Window.coverage_hours.
    """
    if (isinstance(condition, rules.Window) and condition.coverage_hours is None
            and condition.parameter in fresh_hours):
        return replace(condition, coverage_hours=fresh_hours[condition.parameter])
    if (isinstance(condition, rules.LatestRate) and condition.fresh_hours is None
            and condition.parameter in fresh_hours):
        return replace(condition, fresh_hours=fresh_hours[condition.parameter])
    if isinstance(condition, (rules.AllOf, rules.AnyOf, rules.NoneOf)):
        return replace(condition, items=tuple(_with_window_coverage(item, fresh_hours)
                                              for item in condition.items))
    return condition


def _with_protocol_coverage(criteria: list[Criterion]) -> list[Criterion]:
    """Windows in criteria that do not require their parameter (the KDIGO urine watch) take
    the protocol's freshness for it: the tightest of the criteria that do require it. A watch
    must not read a gap in the chart as low urine either."""
    protocol_fresh: dict[str, float] = {}
    for criterion in criteria:
        for req in criterion.required:
            protocol_fresh[req.parameter] = min(req.fresh_hours,
                                                protocol_fresh.get(req.parameter, req.fresh_hours))
    return [
        replace(criterion, grades=tuple(
            replace(grade, trigger=_with_window_coverage(grade.trigger, protocol_fresh),
                    restart=_with_window_coverage(grade.restart, protocol_fresh))
            for grade in criterion.grades))
        for criterion in criteria
    ]


def parse_protocol_text(text: str, name: str = "<protocol>") -> Protocol:
    """Parse a protocol from YAML text (``name`` is what error messages call the file)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProtocolError(f"{name}: not valid YAML ({error})") from None
    return _parse_protocol(raw, name, None)


def shipped_protocol_ids() -> list[str]:
    return sorted(path.stem for path in PROTOCOL_DIR.glob("*.yaml"))


@lru_cache(maxsize=32)
def _load_file(path: Path, mtime: float) -> Protocol:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProtocolError(f"{path.name}: cannot be read ({error})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProtocolError(f"{path.name}: not valid YAML ({error})") from None
    return _parse_protocol(raw, path.name, path)


def load_protocol(id_or_path: str | Path | None = None) -> Protocol:
    """A shipped protocol by id (None: the default), or a site's own file by path."""
    if id_or_path is None or (isinstance(id_or_path, str) and not id_or_path.strip()):
        id_or_path = DEFAULT_PROTOCOL_ID
    text = str(id_or_path)
    candidate = Path(text)
    if candidate.suffix.lower() in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise ProtocolError(f"{text}: no such protocol file")
        path = candidate.resolve()
    else:
        path = (PROTOCOL_DIR / f"{text}.yaml").resolve()
        if not path.is_file():
            raise ProtocolError(f"'{text}' is not a known protocol "
                                f"(known: {', '.join(shipped_protocol_ids())}; or give a file)")
    protocol = _load_file(path, path.stat().st_mtime)
    if path.parent == PROTOCOL_DIR.resolve() and protocol.id != path.stem:
        raise ProtocolError(f"{path.name}: id: '{protocol.id}' must be the file's name "
                            f"'{path.stem}'")
    return protocol


def shipped_protocols() -> list[Protocol]:
    return [load_protocol(protocol_id) for protocol_id in shipped_protocol_ids()]
