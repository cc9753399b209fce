"""The numbers the simulated team doses by, read from the shipped protocol files
(data/protocols/), never copied: when a protocol file changes, the demo's recorded decisions
follow it, and the demo and the monitor cannot disagree on a number.

The team reads a criterion's trigger as a clinician reads the table it transcribes: "the
creatinine limit for a hold" is the number written there. It reads the file's document, not
the monitor's rule classes, so that it stays a reader of the data and not of the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from dashboard.protocols import PROTOCOL_DIR
from dashboard.strict_yaml import load_yaml

LABEL = "proleukin-label"
CONSENSUS = "cwg-consensus-2014"
TIL = "til-2024"

#: The keys of a rule that name the parameter it reads (docs/protocol-format.md).
_PARAMETER_KEYS = ("latest", "any", "max", "min", "window", "percent_over_baseline")


@lru_cache(maxsize=8)
def _document(protocol_id: str) -> dict:
    path = PROTOCOL_DIR / f"{protocol_id}.yaml"
    return load_yaml(path.read_text(encoding="utf-8"), path.name)


def dosing(protocol_id: str, key: str) -> int | float:
    """A number of the protocol's dosing section: ``interval_hours``, ``doses_per_cycle``..."""
    return _document(protocol_id)["dosing"][key]


def _triggers(protocol_id: str, criterion: str, outcome: str | None) -> Iterator[dict]:
    for entry in _document(protocol_id)["criteria"]:
        if entry["id"] != criterion:
            continue
        if "grades" in entry:
            yield from (g["trigger"] for g in entry["grades"] if outcome in (None, g["outcome"]))
        elif outcome in (None, entry.get("outcome")):
            yield entry["trigger"]


def _leaves(rule: dict) -> Iterator[dict]:
    for key in ("any_of", "all_of"):
        for part in rule.get(key, ()):
            yield from _leaves(part)
    if not rule.keys() & {"any_of", "all_of", "not"}:
        yield rule


def _matching(
    protocol_id: str, criterion: str, parameter: str, op: str, outcome: str | None, scope=None
) -> Any:  # the one limit as the YAML has it: a number, or a tuple of a range or codes
    found = []
    for trigger in _triggers(protocol_id, criterion, outcome):
        for leaf in _leaves(trigger):
            named = next((leaf[k] for k in _PARAMETER_KEYS if k in leaf), None)
            if named != parameter or leaf.get("scope") != scope:
                continue
            if op == "between" and "between" in leaf:
                found.append(tuple(leaf["between"]))
            elif op == "in" and "in" in leaf:
                found.append(tuple(leaf["in"]))
            elif leaf.get("op") == op:
                found.append(leaf["value"])
    distinct = list(dict.fromkeys(found))
    if len(distinct) != 1:
        raise LookupError(
            f"{protocol_id} {criterion}: expected one {parameter} {op} limit"
            f"{f' for {outcome}' if outcome else ''}, found {distinct}"
        )
    return distinct[0]


def limit(
    protocol_id: str,
    criterion: str,
    parameter: str,
    op: str,
    outcome: str | None = None,
    scope: str | None = None,
) -> float:
    """The one number of ``criterion``'s trigger comparing ``parameter`` with ``op``
    (``outcome`` picks a grade; ``scope`` a rule over the interval or the cycle)."""
    return _matching(protocol_id, criterion, parameter, op, outcome, scope)


def between(
    protocol_id: str, criterion: str, parameter: str, outcome: str | None = None, scope=None
) -> tuple[float, float]:
    """The ``between: [low, high]`` range (both inclusive) of the trigger."""
    return _matching(protocol_id, criterion, parameter, "between", outcome, scope)


def codes(
    protocol_id: str, criterion: str, parameter: str, outcome: str | None = None
) -> tuple[str, ...]:
    """The codes (``in: [...]``) of the trigger, such as the mental states that hold."""
    return _matching(protocol_id, criterion, parameter, "in", outcome)
