"""Protocols as data: what a protocol file carries (criteria.md section 8).

A :class:`Protocol` is read from a YAML file in ``data/protocols/`` (or a site's own file)
by :func:`load_protocol`. Loading is strict: an unknown key, an unknown parameter, a unit
that does not belong to its parameter, a criterion without a source, or a malformed rule
raises :class:`~dashboard.errors.ProtocolError` whose message names the file and the key; a
duplicated key or a non-finite number is refused with the file and the line.

A file says what it shares instead of copying it (criteria.md section 6):
``extends: {protocol, replaces, interpretation}`` carries every criterion of a base protocol
that it does not replace, and ``include: [common/kdigo-watch]`` carries the criteria of a
shared file in ``data/protocols/common/`` (the KDIGO watch criteria every protocol has).
The loaded protocol is the *resolved* one: each criterion records in ``origin`` the file it
is written in.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import overload

from dashboard import DATA_DIR
from dashboard.errors import ProtocolError
from dashboard.protocols import rules
from dashboard.protocols.rules import (
    Condition,
    CountCriteria,
    RuleError,
    RuleParser,
)
from dashboard.strict_yaml import YamlFileError, load_yaml
from dashboard.vocabulary import load_vocabulary

PROTOCOL_DIR = DATA_DIR / "protocols"
#: Shared criteria files (``include:``); not protocols, so not in shipped_protocol_ids().
SHARED_DIR_NAME = "common"
DEFAULT_PROTOCOL_ID = "proleukin-label"  # criteria.md section 3: the default

#: Outcomes a criterion may have, most severe first (criteria.md section 1). ``watch``
#: never changes a dose's status.
CRITERION_OUTCOMES = ("discontinue", "stop_cycle", "hold", "watch")
SYSTEMS = (
    "cardiovascular",
    "renal",
    "neurological",
    "respiratory",
    "gastrointestinal",
    "haematological",
    "hepatic",
    "infection",
    "dermatological",
    "metabolic",
    "treatment",
)


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
    # The file the criterion is written in: "proleukin-label 2024.1" (a protocol, with its
    # version) or "common/kdigo-watch" (a shared file). A protocol that extends another
    # shows the base's criteria with the base as their origin.
    origin: str = ""

    @property
    def outcomes(self) -> tuple[str, ...]:
        return tuple(grade.outcome for grade in self.grades)

    @property
    def is_watch(self) -> bool:
        return all(outcome == "watch" for outcome in self.outcomes)

    @property
    def is_count_rule(self) -> bool:
        return any(
            isinstance(node, CountCriteria)
            for grade in self.grades
            for node in grade.trigger.walk()
        )

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
class Extension:
    """``extends:``: the base protocol whose criteria a file carries, and the ids it replaces
    (its own criterion of that id, or none). ``interpretation`` says why the combination is
    read so (criteria.md section 6); it is shown wherever the criteria are listed."""

    base_id: str
    base_title: str
    base_version: str
    replaces: tuple[str, ...]
    interpretation: str | None = None

    @property
    def base_origin(self) -> str:
        return f"{self.base_id} {self.base_version}"

    def describe(self) -> str:
        replaced = ", ".join(self.replaces) if self.replaces else "nothing"
        return (
            f"Carries every criterion of {self.base_id} (version {self.base_version}) "
            f"except those it replaces: {replaced}."
        )


@dataclass(frozen=True)
class Protocol:
    id: str
    title: str
    version: str
    description: str
    dosing: Dosing
    references: dict[str, Reference]
    criteria: tuple[Criterion, ...]  # resolved: own, then included, then the base's
    review: Review
    path: Path | None = None
    extends: Extension | None = None
    includes: tuple[str, ...] = ()  # the shared files included, as named in the file

    @property
    def origin(self) -> str:
        """How a criterion written in this file names where it came from."""
        return f"{self.id} {self.version}"

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
                raise self.fail(
                    f"{path}.{key}" if path else key,
                    f"unknown key (allowed: {', '.join(sorted(required | optional))})",
                )
        for key in sorted(required):
            if key not in raw or raw[key] in (None, ""):
                raise self.fail(f"{path}.{key}" if path else key, "missing")
        return raw

    def text(self, raw, path: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(path, "must be non-empty text")
        return raw.strip()

    def number(self, raw, path: str, positive: bool = True) -> float:
        if (
            isinstance(raw, bool)
            or not isinstance(raw, int | float)
            or not math.isfinite(raw)
            or (positive and raw <= 0)
        ):
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
        return Review(
            self.text(raw["reviewed_by"], f"{path}.reviewed_by"),
            self.date(raw["date_reviewed"], f"{path}.date_reviewed"),
        )


def _references(raw, reader: _Reader) -> dict[str, Reference]:
    if not isinstance(raw, dict) or not raw:
        raise reader.fail("references", "must be a mapping of reference keys")
    references = {}
    for key, ref in raw.items():
        where = f"references.{key}"
        ref = reader.mapping(ref, where, {"citation", "short"}, {"link"})
        references[str(key)] = Reference(
            str(key),
            reader.text(ref["citation"], f"{where}.citation"),
            reader.text(ref["short"], f"{where}.short"),
            ref.get("link"),
        )
    return references


@dataclass(frozen=True)
class _Resolved:
    """A protocol file read with everything it extends and includes."""

    protocol: Protocol
    # The resolved criteria before the protocol-wide window coverage: a protocol that
    # extends this one takes these and applies its own (see _with_protocol_coverage).
    criteria: tuple[Criterion, ...]
    shared: frozenset[str]  # ids of the criteria that come from a shared (included) file
    files: tuple[tuple[Path, int], ...] = ()  # every file read, with its mtime


@dataclass(frozen=True)
class _Shared:
    """A shared criteria file (``include:``), e.g. common/kdigo-watch."""

    name: str  # its origin, e.g. "common/kdigo-watch"
    criteria: tuple[Criterion, ...]
    references: dict[str, Reference]


def _named_file(raw, here: Path | None, reader: _Reader, where: str, shared: bool) -> Path:
    """The file an ``extends.protocol`` or ``include`` entry names: a shipped protocol id
    (``proleukin-label``) or shared file (``common/kdigo-watch``), or a path ending .yaml,
    relative to the file that names it."""
    name = reader.text(raw, where)
    if name.lower().endswith((".yaml", ".yml")):
        path = ((here.parent if here is not None else Path.cwd()) / name).resolve()
        if not path.is_file():
            raise reader.fail(where, f"no such file '{name}'")
        return path
    if shared:
        known = shared_file_names()
        if name not in known:
            raise reader.fail(
                where,
                f"'{name}' is not a shared criteria file (known: "
                f"{', '.join(known) or 'none'}; or give a path ending .yaml)",
            )
    elif name not in shipped_protocol_ids():
        raise reader.fail(
            where,
            f"'{name}' is not a known protocol (known: "
            f"{', '.join(shipped_protocol_ids())}; "
            "or give a path ending .yaml)",
        )
    return (PROTOCOL_DIR / f"{name}.yaml").resolve()


def _shared_name(path: Path) -> str:
    try:
        return path.relative_to(PROTOCOL_DIR.resolve()).with_suffix("").as_posix()
    except ValueError:
        return path.name


def _read_shared(path: Path, parser: RuleParser) -> _Shared:
    name = _shared_name(path)
    file = name if name == path.name else f"{name}.yaml"  # what its messages call it
    raw = _read_yaml(path, file)
    reader = _Reader(file)
    raw = reader.mapping(raw, "", {"criteria", "references"}, {"title", "description"})
    references = _references(raw["references"], reader)
    if not isinstance(raw["criteria"], list) or not raw["criteria"]:
        raise reader.fail("criteria", "must be a non-empty list")
    criteria: list[Criterion] = []
    for index, item in enumerate(raw["criteria"]):
        label = _criterion_label(item, index)
        criterion = _parse_criterion(item, label, reader, parser, references, name)
        if criterion.id in {c.id for c in criteria}:
            raise reader.fail(f"{label}.id", f"duplicate criterion id '{criterion.id}'")
        criteria.append(criterion)
    return _Shared(name, tuple(criteria), references)


def _criterion_label(item, index: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return f"criteria[{index}] (id {item['id']})"
    return f"criteria[{index}]"


def _merge_references(
    into: dict[str, Reference],
    more: dict[str, Reference],
    where: dict[str, str],
    origin: str,
    reader: _Reader,
    path: str,
) -> None:
    """Add ``more`` to ``into``; a key both define must mean the same reference."""
    for key, reference in more.items():
        if key in into and into[key] != reference:
            raise reader.fail(
                path,
                f"reference '{key}' of {origin} differs from the one of "
                f"the same key in {where[key]}: give one of them another key",
            )
        into.setdefault(key, reference)
        where.setdefault(key, origin)


def _resolve(raw, file: str, path: Path | None, stack: tuple[Path, ...] = ()) -> _Resolved:
    reader = _Reader(file)
    composed = isinstance(raw, dict) and ("extends" in raw or "include" in raw)
    required = {"id", "title", "version", "dosing", "review"}
    if not composed:  # a file that extends or includes may have no references or criteria
        required |= {"references", "criteria"}
    raw = reader.mapping(
        raw, "", required, {"description", "extends", "include", "references", "criteria"}
    )
    protocol_id = reader.text(raw["id"], "id")
    version = str(raw["version"])
    origin = f"{protocol_id} {version}"
    dosing_raw = reader.mapping(
        raw["dosing"],
        "dosing",
        {"dose_iu_per_kg", "interval_hours", "doses_per_cycle", "cycles", "max_doses_per_course"},
        {"interval_hours_max"},
    )
    dosing = Dosing(
        dose_iu_per_kg=reader.number(dosing_raw["dose_iu_per_kg"], "dosing.dose_iu_per_kg"),
        interval_hours=reader.number(dosing_raw["interval_hours"], "dosing.interval_hours"),
        doses_per_cycle=reader.integer(dosing_raw["doses_per_cycle"], "dosing.doses_per_cycle"),
        cycles=reader.integer(dosing_raw["cycles"], "dosing.cycles"),
        max_doses_per_course=reader.integer(
            dosing_raw["max_doses_per_course"], "dosing.max_doses_per_course"
        ),
        interval_hours_max=(
            reader.number(dosing_raw["interval_hours_max"], "dosing.interval_hours_max")
            if "interval_hours_max" in dosing_raw
            else None
        ),
    )
    own_references = _references(raw["references"], reader) if "references" in raw else {}
    references = dict(own_references)
    defined_in = dict.fromkeys(own_references, file)
    files: list[tuple[Path, int]] = []
    parser = RuleParser(load_vocabulary())

    # -- the shared files it includes
    includes: list[str] = []
    included: list[Criterion] = []
    if "include" in raw:
        if not isinstance(raw["include"], list) or not raw["include"]:
            raise reader.fail(
                "include",
                "must be a non-empty list of shared criteria files, e.g. [common/kdigo-watch]",
            )
        for index, name in enumerate(raw["include"]):
            where = f"include[{index}]"
            shared_path = _named_file(name, path, reader, where, shared=True)
            files.append((shared_path, _mtime(shared_path)))
            shared = _read_shared(shared_path, parser)
            for criterion in shared.criteria:
                if criterion.id in {c.id for c in included}:
                    raise reader.fail(
                        where,
                        f"criterion '{criterion.id}' of {shared.name} is "
                        "already included: include each file once",
                    )
            _merge_references(references, shared.references, defined_in, shared.name, reader, where)
            includes.append(str(name))
            included.extend(shared.criteria)

    # -- the protocol it extends
    extension: Extension | None = None
    inherited: list[Criterion] = []
    shared_ids = {c.id for c in included}
    if "extends" in raw:
        ext = reader.mapping(
            raw["extends"], "extends", {"protocol", "replaces"}, {"interpretation"}
        )
        base_path = _named_file(ext["protocol"], path, reader, "extends.protocol", shared=False)
        chain = (*stack, path) if path is not None else stack
        if base_path in chain:
            names = " -> ".join(p.name for p in (*chain, base_path))
            raise reader.fail(
                "extends.protocol", f"protocols extend each other in a cycle ({names})"
            )
        base = _resolved_file(base_path, chain)
        files.extend(base.files)
        base_ids = [c.id for c in base.criteria]
        if not isinstance(ext["replaces"], list):
            raise reader.fail(
                "extends.replaces", f"must be a list of criterion ids of {base.protocol.id} (or [])"
            )
        replaces: list[str] = []
        for index, name in enumerate(ext["replaces"]):
            if name not in base_ids:
                raise reader.fail(
                    f"extends.replaces[{index}]",
                    f"'{name}' is not a criterion of {base.protocol.id} "
                    f"(its criteria: {', '.join(base_ids)})",
                )
            if name in replaces:
                raise reader.fail(f"extends.replaces[{index}]", f"'{name}' is listed twice")
            replaces.append(name)
        interpretation = ext.get("interpretation")
        if interpretation is not None:
            interpretation = reader.text(interpretation, "extends.interpretation")
        extension = Extension(
            base.protocol.id,
            base.protocol.title,
            base.protocol.version,
            tuple(replaces),
            interpretation,
        )
        _merge_references(
            references,
            base.protocol.references,
            defined_in,
            base.protocol.id,
            reader,
            "extends.protocol",
        )
        for criterion in base.criteria:
            if criterion.id in replaces:
                continue
            if criterion.id in shared_ids:
                raise reader.fail(
                    "include",
                    f"criterion '{criterion.id}' is already carried "
                    f"from {base.protocol.id} ({criterion.origin}): "
                    "include it once",
                )
            if interpretation and criterion.id not in base.shared:
                # The base's own rows apply here because of the combination: say so on each
                # (criteria.md section 6), keeping the row's own interpretation after it.
                combined = interpretation + (
                    f" (The {base.protocol.id} row itself: {criterion.interpretation})"
                    if criterion.interpretation
                    else ""
                )
                criterion = replace(criterion, interpretation=combined)
            inherited.append(criterion)
            if criterion.id in base.shared:
                shared_ids.add(criterion.id)

    # -- its own criteria
    own: list[Criterion] = []
    if "criteria" in raw and (not isinstance(raw["criteria"], list) or not raw["criteria"]):
        raise reader.fail("criteria", "must be a non-empty list")
    carried = {c.id: c.origin for c in (*included, *inherited)}
    inherited_ids = {c.id for c in inherited}
    for index, item in enumerate(raw.get("criteria") or []):
        label = _criterion_label(item, index)
        criterion = _parse_criterion(item, label, reader, parser, references, origin)
        if criterion.id in {c.id for c in own}:
            raise reader.fail(f"{label}.id", f"duplicate criterion id '{criterion.id}'")
        if criterion.id in inherited_ids:  # explicit is safer: a replacement says so
            assert extension is not None  # only an extension inherits criteria
            raise reader.fail(
                f"{label}.id",
                f"'{criterion.id}' is a criterion of {extension.base_id} "
                f"({carried[criterion.id]}), which this file extends: list it "
                "in extends.replaces to replace it",
            )
        if criterion.id in carried:
            raise reader.fail(
                f"{label}.id",
                f"'{criterion.id}' is already a criterion of "
                f"{carried[criterion.id]}, which this file "
                "includes: a criterion id is written once",
            )
        own.append(criterion)

    criteria = [*own, *included, *inherited]
    if not criteria:
        raise reader.fail("criteria", "must be a non-empty list")
    known = {c.id for c in criteria}
    for index, criterion in enumerate(criteria):
        label = (
            f"criteria[{index}] (id {criterion.id})"
            if index < len(own)
            else f"criteria (id {criterion.id}, from {criterion.origin})"
        )
        for grade in criterion.grades:
            for node in grade.trigger.walk():
                if isinstance(node, CountCriteria):
                    for name in node.criteria:
                        if name not in known:
                            raise reader.fail(
                                f"{label}.trigger",
                                f"count_criteria names unknown criterion '{name}'",
                            )
    protocol = Protocol(
        id=protocol_id,
        title=reader.text(raw["title"], "title"),
        version=version,
        description=str(raw.get("description") or "").strip(),
        dosing=dosing,
        references=references,
        criteria=tuple(_with_protocol_coverage(criteria)),
        review=reader.review(raw["review"], "review"),
        path=path,
        extends=extension,
        includes=tuple(includes),
    )
    return _Resolved(protocol, tuple(criteria), frozenset(shared_ids), tuple(files))


def _parse_criterion(
    raw,
    path: str,
    reader: _Reader,
    parser: RuleParser,
    references: dict[str, Reference],
    origin: str,
) -> Criterion:
    if isinstance(raw, dict) and "source" not in raw:
        raise reader.fail(f"{path}.source", "missing: every criterion must cite its source")
    raw = reader.mapping(
        raw,
        path,
        {"id", "title", "system", "source", "review"},
        {"outcome", "trigger", "restart", "grades", "required", "interpretation"},
    )
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
            raise reader.fail(
                where, f"must be one of {', '.join(CRITERION_OUTCOMES)}, not {value!r}"
            )
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
            grades.append(
                Grade(
                    outcome(grade["outcome"], f"{where}.outcome"),
                    rule(grade["trigger"], f"{where}.trigger"),
                    rule(grade["restart"], f"{where}.restart")
                    if grade.get("restart") is not None
                    else None,
                    grade.get("label"),
                )
            )
    else:
        for key in ("outcome", "trigger"):
            if key not in raw:
                raise reader.fail(f"{path}.{key}", "missing")
        grades = [
            Grade(
                outcome(raw["outcome"], f"{path}.outcome"),
                rule(raw["trigger"], f"{path}.trigger"),
                rule(raw["restart"], f"{path}.restart") if raw.get("restart") is not None else None,
            )
        ]
    for index, grade in enumerate(grades):
        if grade.restart is not None and grade.outcome != "hold":
            raise reader.fail(
                f"{path}.grades[{index}].restart" if "grades" in raw else f"{path}.restart",
                "only a hold has a restart condition",
            )
    # Most severe first, whatever the order in the file (watch grades keep their order).
    grades.sort(key=lambda grade: CRITERION_OUTCOMES.index(grade.outcome))

    required = []
    vocabulary = parser.vocabulary
    for index, item in enumerate(raw.get("required") or []):
        where = f"{path}.required[{index}]"
        item = reader.mapping(item, where, {"parameter", "fresh_hours"}, set())
        if item["parameter"] not in vocabulary:
            raise reader.fail(
                f"{where}.parameter", vocabulary.unknown_name_reason(item["parameter"])
            )
        required.append(
            Requirement(
                item["parameter"], reader.number(item["fresh_hours"], f"{where}.fresh_hours")
            )
        )

    fresh_hours = {req.parameter: req.fresh_hours for req in required}
    grades = [
        replace(
            grade,
            trigger=_with_window_coverage(grade.trigger, fresh_hours),
            restart=_with_window_coverage(grade.restart, fresh_hours),
        )
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
            raise reader.fail(
                f"{path}.source.refs[{index}]",
                f"'{key}' is not in references (known: {', '.join(references)})",
            )
        cited.append(references[key])
    interpretation = raw.get("interpretation")
    if interpretation is not None:
        interpretation = reader.text(interpretation, f"{path}.interpretation")
    return Criterion(
        id=reader.text(raw["id"], f"{path}.id"),
        title=reader.text(raw["title"], f"{path}.title"),
        system=system,
        grades=tuple(grades),
        required=tuple(required),
        source=Source(tuple(cited), source_raw.get("note")),
        interpretation=interpretation,
        review=reader.review(raw["review"], f"{path}.review"),
        origin=origin,
    )


@overload
def _with_window_coverage(condition: Condition, fresh_hours: dict[str, float]) -> Condition: ...
@overload
def _with_window_coverage(condition: None, fresh_hours: dict[str, float]) -> None: ...
def _with_window_coverage(
    condition: Condition | None, fresh_hours: dict[str, float]
) -> Condition | None:
    """Give every window over a required parameter that parameter's freshness as coverage
    (a window that has one already keeps it).

    A urine window whose entries stop hours before T must read "unknown", never "low"
    (missing is never normal); see rules.Window.coverage_hours.
    """
    if (
        isinstance(condition, rules.Window)
        and condition.coverage_hours is None
        and condition.parameter in fresh_hours
    ):
        return replace(condition, coverage_hours=fresh_hours[condition.parameter])
    if (
        isinstance(condition, rules.LatestRate)
        and condition.fresh_hours is None
        and condition.parameter in fresh_hours
    ):
        return replace(condition, fresh_hours=fresh_hours[condition.parameter])
    if isinstance(condition, (rules.AllOf, rules.AnyOf, rules.NoneOf)):
        return replace(
            condition,
            items=tuple(_with_window_coverage(item, fresh_hours) for item in condition.items),
        )
    return condition


def _with_protocol_coverage(criteria: list[Criterion]) -> list[Criterion]:
    """Windows in criteria that do not require their parameter (the KDIGO urine watch) take
    the protocol's freshness for it: the tightest of the criteria that do require it. A watch
    must not read a gap in the chart as low urine either."""
    protocol_fresh: dict[str, float] = {}
    for criterion in criteria:
        for req in criterion.required:
            protocol_fresh[req.parameter] = min(
                req.fresh_hours, protocol_fresh.get(req.parameter, req.fresh_hours)
            )
    return [
        replace(
            criterion,
            grades=tuple(
                replace(
                    grade,
                    trigger=_with_window_coverage(grade.trigger, protocol_fresh),
                    restart=_with_window_coverage(grade.restart, protocol_fresh),
                )
                for grade in criterion.grades
            ),
        )
        for criterion in criteria
    ]


def parse_protocol_text(text: str, name: str = "<protocol>") -> Protocol:
    """Parse a protocol from YAML text (``name`` is what error messages call the file; a
    relative ``extends``/``include`` path is read from the working directory)."""
    try:
        raw = load_yaml(text, name)
    except YamlFileError as error:
        raise ProtocolError(str(error)) from None
    return _resolve(raw, name, None).protocol


def shipped_protocol_ids() -> list[str]:
    """The protocols in data/protocols/ (the shared files of common/ are not protocols)."""
    return sorted(path.stem for path in PROTOCOL_DIR.glob("*.yaml") if path.is_file())


def shared_file_names() -> list[str]:
    """The shared criteria files a protocol may include, e.g. common/kdigo-watch."""
    return sorted(
        f"{SHARED_DIR_NAME}/{path.stem}" for path in (PROTOCOL_DIR / SHARED_DIR_NAME).glob("*.yaml")
    )


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _read_yaml(path: Path, file: str):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProtocolError(f"{file}: cannot be read ({error})") from None
    try:
        return load_yaml(text, file)
    except YamlFileError as error:
        raise ProtocolError(str(error)) from None


# A resolved protocol per file, valid while none of the files it read has changed (a base
# edited on disk must reach the protocols that extend it). Bounded: the oldest goes first.
_CACHE: dict[Path, _Resolved] = {}
_CACHE_SIZE = 32


def _resolved_file(path: Path, stack: tuple[Path, ...] = ()) -> _Resolved:
    cached = _CACHE.get(path)
    if cached is not None and all(_mtime(file) == mtime for file, mtime in cached.files):
        return cached
    mtime = _mtime(path)
    resolved = _resolve(_read_yaml(path, path.name), path.name, path, stack)
    if path.parent == PROTOCOL_DIR.resolve() and resolved.protocol.id != path.stem:
        raise ProtocolError(
            f"{path.name}: id: '{resolved.protocol.id}' must be the file's name '{path.stem}'"
        )
    resolved = replace(resolved, files=((path, mtime), *resolved.files))
    _CACHE.pop(path, None)
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)), None)
    _CACHE[path] = resolved
    return resolved


def load_protocol(id_or_path: str | Path | None = None) -> Protocol:
    """A shipped protocol by id (None: the default), or a site's own file by path.

    The protocol is resolved: a base it extends and the shared files it includes are read,
    and each criterion says in ``origin`` where it is written."""
    if id_or_path is None or (isinstance(id_or_path, str) and not id_or_path.strip()):
        id_or_path = DEFAULT_PROTOCOL_ID
    text = str(id_or_path)
    candidate = Path(text)
    if candidate.suffix.lower() in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise ProtocolError(f"{text}: no such protocol file")
        path = candidate.resolve()
        if path.parent == (PROTOCOL_DIR / SHARED_DIR_NAME).resolve():
            raise ProtocolError(
                f"{path.name}: a shared criteria file, not a protocol: a "
                f"protocol carries it with `include: [{_shared_name(path)}]`"
            )
    else:
        if text not in shipped_protocol_ids():
            raise ProtocolError(
                f"'{text}' is not a known protocol "
                f"(known: {', '.join(shipped_protocol_ids())}; or give a file)"
            )
        path = (PROTOCOL_DIR / f"{text}.yaml").resolve()
    return _resolved_file(path).protocol


def shipped_protocols() -> list[Protocol]:
    return [load_protocol(protocol_id) for protocol_id in shipped_protocol_ids()]
