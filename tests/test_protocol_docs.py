"""docs/thresholds.md cannot drift from the protocol files (like datasette's
tests/test_docs.py): every criterion of every shipped protocol is in it, with a source."""

import pytest

from dashboard.protocols import shipped_protocols
from dashboard.protocols.docs import THRESHOLDS_DOC, render_thresholds


def test_thresholds_doc_is_up_to_date():
    assert THRESHOLDS_DOC.read_text(encoding="utf-8") == render_thresholds(), (
        "docs/thresholds.md is stale: run `python -m dashboard.protocols --write-docs`"
    )


@pytest.mark.parametrize("protocol", shipped_protocols(), ids=lambda p: p.id)
def test_every_criterion_is_documented_with_its_source(protocol):
    text = THRESHOLDS_DOC.read_text(encoding="utf-8")
    section = text.split(f"## `{protocol.id}`")[1].split("\n## ")[0]
    for criterion in protocol.criteria:
        rows = [line for line in section.splitlines() if line.startswith(f"| `{criterion.id}` |")]
        assert len(rows) == 1, criterion.id
        assert criterion.source.text().split(";")[0].replace("|", "\\|") in rows[0]
        if criterion.interpretation:
            assert "**interpretation**" in rows[0]


def test_protocol_format_doc_exists_and_shows_every_rule_kind():
    from dashboard.protocols.rules import rule_keys

    text = (THRESHOLDS_DOC.parent / "protocol-format.md").read_text(encoding="utf-8")
    for kind in rule_keys():
        assert f"`{kind}`" in text, kind
