"""criteria.md section 8: a threshold must never change because a line was pasted twice.

Plain YAML keeps the last of two equal keys without a word; the protocol and vocabulary
files are read by one strict reader that refuses it with the file and the line. It refuses
non-finite numbers (.nan, .inf) too, with the file, the line and the key.
"""

import re

import pytest

from dashboard.errors import MonitorUserError, ProtocolError
from dashboard.protocols import PROTOCOL_DIR, load_protocol, parse_protocol_text
from dashboard.strict_yaml import YamlFileError, load_yaml
from dashboard.vocabulary import VOCABULARY_FILE, load_vocabulary


def _pasted(source, tmp_path, name: str, line: str, pasted: str) -> tuple:
    """``source`` with ``pasted`` added after ``line``; the path and both line numbers."""
    text = source.read_text(encoding="utf-8")
    assert text.count(line) == 1, line
    first = text[: text.index(line)].count("\n") + 1
    path = tmp_path / name
    path.write_text(text.replace(line, line + pasted), encoding="utf-8")
    return path, first, first + 1


def test_a_line_pasted_twice_in_a_protocol_is_refused_with_file_and_line(tmp_path):
    # the second `value` would silently replace the patient's target with 80
    path, first, second = _pasted(
        PROTOCOL_DIR / "til-2024.yaml",
        tmp_path,
        "til-2024.yaml",
        "      value: {patient: target_sbp_mmhg, default: 90}\n",
        "      value: 80\n",
    )
    with pytest.raises(
        ProtocolError,
        match=re.escape(
            f"til-2024.yaml, line {second}: duplicate key 'value' (first at line {first})"
        ),
    ):
        load_protocol(str(path))


def test_a_duplicated_key_in_a_flow_mapping_is_refused():
    old = '{latest: spo2, op: "<", value: 90, unit: "%"}'
    text = (PROTOCOL_DIR / "proleukin-label.yaml").read_text()
    line = text[: text.index(old)].count("\n") + 1
    text = text.replace(old, '{latest: spo2, op: "<", value: 90, unit: "%", value: 85}')
    with pytest.raises(
        ProtocolError,
        match=re.escape(f"site.yaml, line {line}: duplicate key 'value' (first at line {line})"),
    ):
        parse_protocol_text(text, "site.yaml")


def test_a_line_pasted_twice_in_a_shared_criteria_file_is_refused(tmp_path):
    watch, first, second = _pasted(
        PROTOCOL_DIR / "common" / "kdigo-watch.yaml",
        tmp_path,
        "our-watch.yaml",
        '        trigger: {ratio_to_baseline: creatinine, op: ">=", value: 2.0}\n',
        '        trigger: {ratio_to_baseline: creatinine, op: ">=", value: 2.5}\n',
    )
    site = tmp_path / "site.yaml"
    site.write_text(
        (PROTOCOL_DIR / "cwg-consensus-2014.yaml")
        .read_text()
        .replace("include: [common/kdigo-watch]", f"include: [{watch.name}]")
    )
    with pytest.raises(
        ProtocolError,
        match=re.escape(
            f"our-watch.yaml, line {second}: duplicate key 'trigger' (first at line {first})"
        ),
    ):
        load_protocol(str(site))


def test_a_line_pasted_twice_in_the_vocabulary_is_refused_with_file_and_line(tmp_path):
    path, first, second = _pasted(
        VOCABULARY_FILE,
        tmp_path,
        "parameters.yaml",
        "    plausible: [0.1, 25]\n",
        "    plausible: [0.1, 250]\n",
    )
    with pytest.raises(
        YamlFileError,
        match=re.escape(
            f"parameters.yaml, line {second}: duplicate key 'plausible' (first at line {first})"
        ),
    ):
        load_vocabulary(path)


def test_the_shipped_vocabulary_has_no_duplicated_key():
    assert "creatinine" in load_vocabulary()


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            '{latest: spo2, op: "<", value: 90, unit: "%"}',
            '{latest: spo2, op: "<", value: .nan, unit: "%"}',
            "criteria[2] (id hypoxia).trigger.value: .nan is not a finite number",
        ),
        (
            "required: [{parameter: spo2, fresh_hours: 4}]",
            "required: [{parameter: spo2, fresh_hours: .inf}]",
            "criteria[2] (id hypoxia).required[0].fresh_hours: .inf is not a finite number",
        ),
        (
            '{latest: spo2, op: "<", value: 90, unit: "%"}',
            '{latest: spo2, between: [-.inf, 90], unit: "%"}',
            "criteria[2] (id hypoxia).trigger.between[0]: -.inf is not a finite number",
        ),
        (
            "  dose_iu_per_kg: 600000\n",
            "  dose_iu_per_kg: .NaN\n",
            "dosing.dose_iu_per_kg: .NaN is not a finite number",
        ),
    ],
)
def test_a_non_finite_number_is_refused_with_file_and_key(old, new, key):
    text = (PROTOCOL_DIR / "proleukin-label.yaml").read_text()
    assert old in text
    text = text.replace(old, new, 1)
    line = text[: text.index(new.strip())].count("\n") + 1
    with pytest.raises(ProtocolError, match=re.escape(f"site.yaml, line {line}: {key}")):
        parse_protocol_text(text, "site.yaml")


def test_a_non_finite_number_in_the_vocabulary_is_refused(tmp_path):
    path = tmp_path / "parameters.yaml"
    path.write_text(
        VOCABULARY_FILE.read_text(encoding="utf-8").replace(
            "    plausible: [0.1, 25]\n", "    plausible: [0.1, .inf]\n"
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        YamlFileError,
        match=r"parameters\.yaml, line \d+: "
        r"parameters\.creatinine\.plausible\[1\]: \.inf",
    ):
        load_vocabulary(path)


def test_anchors_aliases_and_merge_keys_keep_working():
    review = {"reviewed_by": "a", "date_reviewed": "2026"}
    assert load_yaml(
        "first: &review {reviewed_by: a, date_reviewed: '2026'}\nagain: *review\n", "f.yaml"
    ) == {"first": review, "again": review}
    # an explicit key after a merge key overrides it by design: not a duplicate
    assert load_yaml("base: &base {a: 1, b: 2}\nsite:\n  <<: *base\n  b: 3\n", "f.yaml")[
        "site"
    ] == {"a": 1, "b": 3}


def test_the_strict_reader_errors_are_user_errors():
    assert issubclass(YamlFileError, MonitorUserError)
    with pytest.raises(
        YamlFileError,
        match=r"^f\.yaml, line 2: duplicate key 'a' "
        r"\(first at line 1\)$",
    ):
        load_yaml("a: 1\na: 2\n", "f.yaml")


# -- hostile files: refused in one sentence, never a hang or a traceback --------------------


def test_aliases_that_would_expand_to_billions_are_refused_at_once():
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(YamlFileError, match="aliases expand to more than 200,000 values"):
        load_yaml(laughs, "laughs.yaml")


def test_a_document_nested_thousands_deep_is_refused():
    with pytest.raises(YamlFileError, match=r"deep\.yaml: nested deeper than a reviewed file"):
        load_yaml("a: " + "[" * 20_000 + "]" * 20_000 + "\n", "deep.yaml")


def test_an_impossible_date_is_refused_with_its_line():
    with pytest.raises(YamlFileError, match=r"x.yaml, line 2: '2026-13-45' is not a date"):
        load_yaml("review:\n  date_reviewed: 2026-13-45\n", "x.yaml")
