"""Every rule kind is whole: a rule kind is one class in dashboard/protocols/rules.py, and
that class is all it takes to be parsed; its evaluation, its chart and its docs row are
registered or written beside it, and a kind that lacks one is refused when the engine or
the charts are imported, never while a dose is being assessed."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dashboard.assessment.conditions import evaluator_of, missing_evaluators
from dashboard.protocols.rules import (
    RULE_KINDS,
    Condition,
    RuleParser,
    rule_keys,
    rule_kinds,
)
from dashboard.views.thresholds import chart_declared, missing_chart_handlers
from dashboard.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parent.parent
FORMAT_DOC = ROOT / "docs" / "protocol-format.md"


def documented_rows() -> dict[str, str]:
    """The rule table of docs/protocol-format.md: each kind key -> the row's example."""
    section = FORMAT_DOC.read_text(encoding="utf-8").split("\n## Rules\n")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        example = cells[1].strip("`")
        for key in re.findall(r"`(\w+)`", cells[0]):
            assert key not in rows, f"{key} has two rows"
            rows[key] = example
    return rows


@pytest.mark.parametrize("kind", rule_kinds(), ids=lambda kind: kind.__name__)
def test_every_kind_has_a_parser_an_evaluator_words_a_chart_and_a_docs_row(kind):
    assert kind.yaml_keys, "a kind names its YAML key"
    assert "parse" in vars(kind), f"{kind.__name__} does not parse itself"
    assert "describe" in vars(kind), f"{kind.__name__} does not say itself in words"
    assert evaluator_of(kind) is not None, f"{kind.__name__} has no evaluator"
    assert chart_declared(kind), f"{kind.__name__} is neither charted nor declared not charted"
    documented = documented_rows()
    for key in kind.yaml_keys:
        assert key in documented, f"`{key}` has no row in docs/protocol-format.md"


def test_the_docs_table_has_no_row_for_a_kind_that_does_not_exist():
    assert set(documented_rows()) == set(rule_keys())


@pytest.mark.parametrize("key", rule_keys())
def test_each_documented_example_parses_into_its_kind_and_reads_in_words(key):
    example = documented_rows()[key]
    raw = yaml.safe_load(example)
    parsed = RuleParser(load_vocabulary()).parse(raw, "trigger")
    head = next(iter(raw))
    assert type(parsed) is RULE_KINDS[head]
    assert parsed.describe().strip()


def test_nothing_is_missing_now():
    assert missing_evaluators() == []
    assert missing_chart_handlers() == []


def test_the_keys_a_kind_allows_are_its_own():
    # `unit` is refused on a ratio, accepted on a latest value: each kind's own table
    parser = RuleParser(load_vocabulary())
    with pytest.raises(ValueError, match=r"trigger\.unit: unknown key in a `ratio_to_baseline`"):
        parser.parse(
            {"ratio_to_baseline": "creatinine", "op": ">=", "value": 1.5, "unit": "mg/dL"},
            "trigger",
        )
    assert parser.parse({"latest": "sbp", "op": "<", "value": 90, "unit": "mm[Hg]"}, "t")


NEW_KIND = """
from dataclasses import dataclass
from dashboard.protocols import rules

@dataclass(frozen=True)
class ProbeKind(rules.Condition):
    parameter: str
    yaml_keys = ("probe_kind",)

    @classmethod
    def parse(cls, parser, raw, path, key):
        return cls(parser.parameter(raw[key], f"{path}.{key}", numeric=True))

    def describe(self):
        return f"{self.parameter} probed"

from dashboard.vocabulary import load_vocabulary
print(rules.RuleParser(load_vocabulary()).parse({"probe_kind": "sbp"}, "trigger").describe())
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_defining_a_kind_is_all_it_takes_to_parse_it():
    result = run_python(NEW_KIND)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sbp probed"


def test_a_kind_without_an_evaluator_is_refused_when_the_engine_is_imported():
    result = run_python(NEW_KIND + "\nimport dashboard.assessment.conditions\n")
    assert result.returncode != 0
    assert "rule kinds without an evaluator: ProbeKind" in result.stderr


def test_a_kind_without_a_chart_declaration_is_refused_when_the_charts_are_imported():
    result = run_python(NEW_KIND + "\nimport dashboard.views.thresholds\n")
    assert result.returncode != 0
    assert "rule kinds without a chart declaration" in result.stderr
    assert "ProbeKind" in result.stderr


def test_a_key_is_claimed_by_one_kind_only():
    result = run_python(
        "from dataclasses import dataclass\n"
        "from dashboard.protocols import rules\n"
        "class Again(rules.Condition):\n"
        "    yaml_keys = ('latest',)\n"
    )
    assert result.returncode != 0
    assert "rule key `latest` is claimed by Latest and Again" in result.stderr


def test_the_base_class_is_no_kind():
    assert Condition not in rule_kinds()
