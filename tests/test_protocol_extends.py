"""Protocol files that say what they share (criteria.md sections 6, 7 and 8).

``extends: {protocol, replaces, interpretation}`` carries every criterion of a base protocol
that the file does not replace; ``include: [common/kdigo-watch]`` carries a shared file's
criteria. The loaded protocol is the resolved one, and each criterion says where it is
written (``origin``). What could change a rule silently is refused with the file and key.
"""

from __future__ import annotations

import os
import re

import pytest

from dashboard.errors import ProtocolError
from dashboard.protocols import (
    PROTOCOL_DIR,
    load_protocol,
    parse_protocol_text,
    shared_file_names,
    shipped_protocol_ids,
)
from dashboard.protocols.__main__ import main as protocols_main
from dashboard.protocols.docs import THRESHOLDS_DOC
from dashboard.views.protocol_table import composition_text, criteria_rows

LABEL = "proleukin-label"
WATCH = ("creatinine_rising", "urine_output_low")

HEAD = """\
id: site
title: Our ward
version: "2026.1"
review: {reviewed_by: "Dr A. Lead", date_reviewed: 2026-11-21}
dosing: {dose_iu_per_kg: 600000, interval_hours: 8, doses_per_cycle: 10, cycles: 1,
         max_doses_per_course: 10}
references:
  OWN: {citation: "Our ward's IL-2 rules, 2026", short: "our ward's rules"}
"""


def criterion(criterion_id: str, refs: str = "OWN", trigger: str | None = None) -> str:
    trigger = trigger or "{latest: rhythm, in: [afib]}"
    return f"""\
  - id: {criterion_id}
    title: Our {criterion_id}
    system: cardiovascular
    outcome: hold
    trigger: {trigger}
    source: {{refs: [{refs}]}}
    interpretation: null
    review: {{reviewed_by: "Dr A. Lead", date_reviewed: 2026-11-21}}
"""


def site(extends: str = "", include: str = "", criteria: tuple[str, ...] = ()) -> str:
    text = HEAD + extends + include
    if criteria:
        text += "criteria:\n" + "".join(criteria)
    return text


def extends(base: str = LABEL, replaces: str = "[]", interpretation: str | None = None) -> str:
    text = f"extends:\n  protocol: {base}\n  replaces: {replaces}\n"
    if interpretation:
        text += f'  interpretation: "{interpretation}"\n'
    return text


# ------------------------------------------------------------------ til-2024 = TIL table + label


def test_til_carries_every_label_criterion_it_does_not_replace():
    til, label = load_protocol("til-2024"), load_protocol(LABEL)
    assert til.extends.base_id == LABEL
    assert til.extends.replaces == ("hypotension", "oliguria", "creatinine")
    carried = [c.id for c in til.criteria if c.origin == label.origin]
    assert carried == [
        c for c in label.criterion_ids if c not in til.extends.replaces and c not in WATCH
    ]
    # the label rows are the label's, unchanged but for the interpretation that carries them
    assert til.criterion("arrhythmia").grades == label.criterion("arrhythmia").grades
    assert til.criterion("arrhythmia").source == label.criterion("arrhythmia").source


def test_til_replaces_hypotension_and_creatinine_with_its_own_and_drops_oliguria():
    til = load_protocol("til-2024")
    assert til.criterion("hypotension").origin == "til-2024 2024.1"
    assert til.criterion("creatinine").origin == "til-2024 2024.1"
    assert til.criterion("creatinine").source.provenance == ("TIL-2024",)
    assert "oliguria" not in til.criterion_ids


def test_the_combination_is_an_interpretation_and_says_so():
    til = load_protocol("til-2024")
    assert "interpretation" in til.extends.interpretation
    for criterion in til.criteria:
        if criterion.origin == "proleukin-label 2024.1":
            assert criterion.interpretation.startswith(til.extends.interpretation), criterion.id
    # a label row with its own interpretation keeps it, after the combination's
    assert "two or more seizure events" in til.criterion("seizures").interpretation
    # the TIL table's own rows and the shared watch criteria are not carried by it
    assert til.criterion("hypotension").interpretation is None
    assert til.criterion("creatinine_rising").interpretation is None


# ------------------------------------------------------------------ the watch criteria, once


def test_the_kdigo_watch_criteria_are_written_once():
    files = sorted(PROTOCOL_DIR.rglob("*.yaml"))
    for criterion_id in WATCH:
        written = [
            f.relative_to(PROTOCOL_DIR).as_posix()
            for f in files
            if f"- id: {criterion_id}\n" in f.read_text()
        ]
        assert written == ["common/kdigo-watch.yaml"], criterion_id


@pytest.mark.parametrize(
    "protocol_id", ["proleukin-label", "cwg-consensus-2014", "community-2015", "til-2024"]
)
def test_every_protocol_carries_the_watch_criteria_from_the_shared_file(protocol_id):
    protocol = load_protocol(protocol_id)
    assert protocol.criterion_ids[-2:] == WATCH
    origins = {c.id: c.origin for c in protocol.criteria}
    assert {origins[c] for c in WATCH} == {"common/kdigo-watch"}
    assert {o for c, o in origins.items() if c not in WATCH} <= {
        "proleukin-label 2024.1",
        protocol.origin,
    }
    assert protocol.references["KDIGO-2012"].short == "KDIGO 2012 AKI definition and staging"


def test_the_shared_file_is_not_a_protocol():
    assert shared_file_names() == ["common/kdigo-watch"]
    assert shipped_protocol_ids() == [
        "community-2015",
        "cwg-consensus-2014",
        "proleukin-label",
        "til-2024",
    ]
    with pytest.raises(ProtocolError, match="'common/kdigo-watch' is not a known protocol"):
        load_protocol("common/kdigo-watch")
    with pytest.raises(
        ProtocolError,
        match=re.escape(
            "kdigo-watch.yaml: a shared criteria file, not a protocol: a protocol carries it "
            "with `include: [common/kdigo-watch]`"
        ),
    ):
        load_protocol(str(PROTOCOL_DIR / "common" / "kdigo-watch.yaml"))


# ------------------------------------------------------------------ what extends means


def test_the_extending_file_sets_id_title_version_dosing_and_review():
    protocol = parse_protocol_text(site(extends()), "site.yaml")
    assert (protocol.id, protocol.title, protocol.version) == ("site", "Our ward", "2026.1")
    assert protocol.dosing.doses_per_cycle == 10
    assert protocol.review.reviewed_by == "Dr A. Lead"
    assert protocol.criterion_ids == load_protocol(LABEL).criterion_ids
    assert set(protocol.references) == {"OWN", "PI-2.4", "PI-prior", "KDIGO-2012"}


def test_a_replacing_criterion_may_cite_the_bases_references():
    text = site(extends(replaces="[arrhythmia]"), criteria=(criterion("arrhythmia", "PI-2.4"),))
    protocol = parse_protocol_text(text, "site.yaml")
    arrhythmia = protocol.criterion("arrhythmia")
    assert (arrhythmia.title, arrhythmia.origin) == ("Our arrhythmia", "site 2026.1")
    assert protocol.criterion_ids.count("arrhythmia") == 1
    assert protocol.criterion_ids[0] == "arrhythmia"  # own criteria first, then the base's


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # an own criterion the base has, not listed in replaces: explicit is safer
        (
            site(extends(), criteria=(criterion("arrhythmia"),)),
            "site.yaml: criteria[0] (id arrhythmia).id: 'arrhythmia' is a criterion of "
            "proleukin-label (proleukin-label 2024.1), which this file extends: list it in "
            "extends.replaces to replace it",
        ),
        (
            site(extends(replaces="[hypotension, olguria]")),
            "site.yaml: extends.replaces[1]: 'olguria' is not a criterion of proleukin-label",
        ),
        (
            site(extends(replaces="[oliguria, oliguria]")),
            "site.yaml: extends.replaces[1]: 'oliguria' is listed twice",
        ),
        (
            site(extends(replaces="oliguria")),
            "site.yaml: extends.replaces: must be a list of criterion ids of proleukin-label",
        ),
        (
            site(extends(base="proleukin-lable")),
            "site.yaml: extends.protocol: 'proleukin-lable' is not a known protocol",
        ),
        (site(extends().replace("  replaces: []\n", "")), "site.yaml: extends.replaces: missing"),
        (site(extends() + "  version: '2024.1'\n"), "site.yaml: extends.version: unknown key"),
        # the base already carries the shared watch criteria
        (
            site(extends(), "include: [common/kdigo-watch]\n"),
            "site.yaml: include: criterion 'creatinine_rising' is already carried from "
            "proleukin-label (common/kdigo-watch)",
        ),
        (
            site(include="include: [common/kdigo-wach]\n", criteria=(criterion("x"),)),
            "site.yaml: include[0]: 'common/kdigo-wach' is not a shared criteria file",
        ),
        (
            site(
                include="include: [common/kdigo-watch, common/kdigo-watch]\n",
                criteria=(criterion("x"),),
            ),
            "site.yaml: include[1]: criterion 'creatinine_rising' of common/kdigo-watch is already "
            "included",
        ),
        (
            site(
                include="include: [common/kdigo-watch]\n", criteria=(criterion("urine_output_low"),)
            ),
            "site.yaml: criteria[0] (id urine_output_low).id: 'urine_output_low' is already a "
            "criterion of common/kdigo-watch, which this file includes",
        ),
        # a reference key that means something else in the shared file
        (
            site(include="include: [common/kdigo-watch]\n", criteria=(criterion("x"),)).replace(
                "  OWN:", "  KDIGO-2012: {citation: KDIGO 2024, short: KDIGO 2024}\n  OWN:"
            ),
            "site.yaml: include[0]: reference 'KDIGO-2012' of common/kdigo-watch differs from the "
            "one of the same key in site.yaml",
        ),
        # a count rule must not count a criterion that was replaced away
        (
            site(
                extends(),
                criteria=(
                    criterion(
                        "three",
                        trigger="{count_criteria: hold, at_least: 3, "
                        "mode: simultaneous, "
                        "criteria: [oliguria]}",
                    ),
                ),
            ).replace("replaces: []", "replaces: [oliguria]"),
            "site.yaml: criteria[0] (id three).trigger: count_criteria names unknown criterion "
            "'oliguria'",
        ),
    ],
)
def test_what_extends_and_include_refuse_names_the_file_and_the_key(text, message):
    with pytest.raises(ProtocolError, match=re.escape(message)):
        parse_protocol_text(text, "site.yaml")


def test_protocols_that_extend_each_other_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(site(extends(base="b.yaml")).replace("id: site", "id: a"))
    (tmp_path / "b.yaml").write_text(site(extends(base="a.yaml")).replace("id: site", "id: b"))
    with pytest.raises(
        ProtocolError,
        match=re.escape(
            "b.yaml: extends.protocol: protocols extend each other in a cycle "
            "(a.yaml -> b.yaml -> a.yaml)"
        ),
    ):
        load_protocol(str(tmp_path / "a.yaml"))
    (tmp_path / "c.yaml").write_text(site(extends(base="c.yaml")))
    with pytest.raises(ProtocolError, match=re.escape("cycle (c.yaml -> c.yaml)")):
        load_protocol(str(tmp_path / "c.yaml"))


def test_an_error_in_the_base_names_the_base_file(tmp_path):
    base = (PROTOCOL_DIR / f"{LABEL}.yaml").read_text().replace("id: proleukin-label", "id: base")
    (tmp_path / "base.yaml").write_text(base.replace('unit: "%"}', "unit: mmHg}", 1))
    (tmp_path / "site.yaml").write_text(site(extends(base="base.yaml")))
    with pytest.raises(ProtocolError, match=r"^base\.yaml: criteria\[2\] \(id hypoxia\)"):
        load_protocol(str(tmp_path / "site.yaml"))


def test_a_base_edited_on_disk_reaches_the_protocols_that_extend_it(tmp_path):
    base = (PROTOCOL_DIR / f"{LABEL}.yaml").read_text().replace("id: proleukin-label", "id: base")
    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "site.yaml").write_text(site(extends(base="base.yaml")))
    before = load_protocol(str(tmp_path / "site.yaml")).criterion("hypoxia")
    assert before.grades[0].trigger.describe() == "latest spo2 < 90 %"
    (tmp_path / "base.yaml").write_text(
        base.replace('op: "<", value: 90, unit: "%"', 'op: "<", value: 92, unit: "%"')
    )
    stat = (tmp_path / "base.yaml").stat()
    os.utime(tmp_path / "base.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after = load_protocol(str(tmp_path / "site.yaml")).criterion("hypoxia")
    assert after.grades[0].trigger.describe() == "latest spo2 < 92 %"
    assert after.origin == "base 2024.1"


# ------------------------------------------------------------------ shown resolved, with origin


def test_the_thresholds_document_shows_the_resolved_protocol_with_origins():
    text = THRESHOLDS_DOC.read_text(encoding="utf-8")
    section = text.split("## `til-2024`")[1].split("\n## ")[0]
    assert "| criterion | origin |" in section
    assert load_protocol("til-2024").extends.interpretation in section
    assert "| `arrhythmia` | proleukin-label 2024.1 |" in section
    assert "| `hypotension` | til-2024 2024.1 |" in section
    assert "| `creatinine_rising` | common/kdigo-watch |" in section


def test_the_protocol_table_has_an_origin_column_and_says_what_it_extends():
    til = load_protocol("til-2024")
    table = criteria_rows(til).set_index("Criterion")
    assert (
        table.loc[
            "Atrial fibrillation, SVT or bradycardia requiring treatment (arrhythmia)", "Origin"
        ]
        == "proleukin-label 2024.1"
    )
    assert set(table["Origin"]) == {
        "til-2024 2024.1",
        "proleukin-label 2024.1",
        "common/kdigo-watch",
    }
    assert (
        "Extends Proleukin (aldesleukin) prescribing information (proleukin-label, "
        "version 2024.1)" in composition_text(til)
    )
    assert "hypotension, oliguria, creatinine" in composition_text(til)
    assert composition_text(load_protocol(LABEL)) == (
        "Includes the shared criteria of common/kdigo-watch. The Origin column says where "
        "each criterion is written."
    )


def test_the_strict_loader_lists_the_resolved_criteria_with_origins(capsys):
    assert protocols_main(["--check", "til-2024"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "til-2024: 24 criteria, version 2024.1"
    assert out[1] == "  extends proleukin-label 2024.1, replacing hypotension, oliguria, creatinine"
    assert out[2].startswith("  INTERPRETATION: The TIL table covers")
    rows = {line.split()[0]: line.split()[2:] for line in out[3:]}
    assert rows["arrhythmia"] == ["proleukin-label", "2024.1", "INTERPRETATION"]
    assert rows["hypotension"] == ["til-2024", "2024.1"]
    assert rows["creatinine_rising"] == ["common/kdigo-watch"]


def test_the_format_document_explains_extends_include_duplicates_and_origin():
    text = (THRESHOLDS_DOC.parent / "protocol-format.md").read_text(encoding="utf-8")
    for words in (
        "`extends`",
        "`replaces`",
        "`include`",
        "common/kdigo-watch",
        "duplicate key",
        "origin",
        "not a finite number",
    ):
        assert words in text, words
