"""The demo's simulated team doses by the protocol files' numbers, not copies of them
(dashboard/demo/limits.py), and the demo's generator never reads a time's integer storage
(whose unit changes in pandas 3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.demo import limits

DEMO = Path(__file__).resolve().parent.parent / "dashboard" / "demo"

DOCUMENT = {
    "dosing": {"interval_hours": 12, "doses_per_cycle": 5},
    "criteria": [
        {
            "id": "pressure",
            "grades": [
                {"outcome": "stop_cycle", "trigger": {"latest": "sbp", "op": "<", "value": 70}},
                {
                    "outcome": "hold",
                    "trigger": {
                        "any_of": [
                            {"latest": "sbp", "between": [70, 85]},
                            {"max": "phenylephrine", "scope": "interval", "op": ">", "value": 1},
                        ]
                    },
                },
            ],
        },
        {"id": "neuro", "outcome": "hold", "trigger": {"latest": "mental_status", "in": ["x"]}},
        {
            "id": "twice",
            "outcome": "hold",
            "trigger": {
                "all_of": [
                    {"latest": "potassium", "op": ">", "value": 5},
                    {"latest": "potassium", "op": ">", "value": 6},
                ]
            },
        },
    ],
}


@pytest.fixture
def site(monkeypatch):
    monkeypatch.setattr(limits, "_document", lambda protocol_id: DOCUMENT)


def test_a_limit_is_the_number_of_the_grade_and_scope_asked(site):
    assert limits.limit("p", "pressure", "sbp", "<", "stop_cycle") == 70
    assert limits.between("p", "pressure", "sbp", "hold") == (70, 85)
    assert limits.limit("p", "pressure", "phenylephrine", ">", "hold", scope="interval") == 1
    assert limits.codes("p", "neuro", "mental_status") == ("x",)
    assert limits.dosing("p", "interval_hours") == 12


def test_a_limit_that_is_absent_or_ambiguous_is_refused_not_guessed(site):
    with pytest.raises(LookupError, match="expected one sbp > limit"):
        limits.limit("p", "pressure", "sbp", ">")
    with pytest.raises(LookupError, match=r"found \[5, 6\]"):
        limits.limit("p", "twice", "potassium", ">")
    with pytest.raises(LookupError):  # the interval rule is not the latest value's
        limits.limit("p", "pressure", "phenylephrine", ">", "hold")


def test_the_shipped_protocols_give_the_team_the_numbers_criteria_md_writes():
    assert limits.limit(limits.LABEL, "creatinine", "creatinine", ">") == 4.5
    assert limits.between(limits.CONSENSUS, "urine_output", "urine_output", "hold") == (80, 160)
    assert limits.limit(limits.TIL, "vasopressor", "phenylephrine", ">") == 0.5
    assert limits.dosing(limits.TIL, "doses_per_cycle") == 6


def test_the_simulated_team_compares_with_no_number_of_its_own():
    """Every clinical threshold the team holds by comes from limits.py: the only literals
    compared with in team.py are its own habits, none a protocol's number."""
    habits = {
        "> 0",  # an index: a creatinine has a previous one to rise from
        "< 3",  # three doses held in a row end the cycle (the team's rule, no protocol's)
        "> 45",  # minutes after schedule that a dose counts as given late
    }
    source = (DEMO / "team.py").read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    assert set(re.findall(r"(?:[<>]=?|==)\s*\d[\d.]*", code)) <= habits


def test_the_generator_never_reads_the_integer_storage_of_times():
    for path in DEMO.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert ".asi8" not in source, path.name
        assert not re.search(r"\.value\s*//", source), path.name
