"""Protocol files: the four shipped ones load and carry what criteria.md section 8 asks;
a malformed file is refused with a message naming the file and the key."""

import re

import pytest

from dashboard.errors import MonitorUserError, ProtocolError
from dashboard.protocols import PROTOCOL_DIR, load_protocol, shipped_protocol_ids
from dashboard.protocols.rules import Comparison, Latest

CRITERIA_MD = {  # criteria.md sections 3-7: every criterion id of every protocol
    "proleukin-label": {
        "hypotension",
        "arrhythmia",
        "hypoxia",
        "mental_status",
        "stool_blood",
        "creatinine",
        "oliguria",
        "sepsis",
        "bullous_dermatitis",
        "hepatic_failure",
        "ventricular_tachycardia",
        "uncontrolled_arrhythmia",
        "cardiac_ischemia",
        "cardiac_tamponade",
        "prolonged_intubation",
        "dialysis",
        "coma_or_psychosis",
        "seizures",
        "bowel_ischemia_or_perforation",
        "gi_bleeding_surgery",
    },
    "cwg-consensus-2014": {
        "sinus_tachycardia",
        "arrhythmia",
        "urine_output",
        "creatinine",
        "acidosis",
        "weight_gain",
        "platelets",
        "bilirubin",
        "vasopressor",
        "oxygen",
        "neuro",
        "diarrhea",
        "stool_blood",
        "infection",
    },
    "community-2015": {
        "sinus_tachycardia",
        "arrhythmia",
        "urine_output",
        "creatinine",
        "acidosis",
        "weight_gain",
        "platelets",
        "bilirubin",
        "vasopressor",
        "oxygen",
        "neuro",
        "diarrhea",
        "stool_blood",
        "infection",
        "three_relative_criteria",
        "three_doses_held",
    },
    "til-2024": {
        "hypotension",
        "fluid_refractory_hypotension",
        "vasopressor",
        "urine_output",
        "creatinine",
    },
}
# criteria.md section 6: til-2024 also carries every label criterion it does not replace.
TIL_REPLACES = {"hypotension", "oliguria", "creatinine"}
CRITERIA_MD["til-2024"] |= CRITERIA_MD["proleukin-label"] - TIL_REPLACES
WATCH = {"creatinine_rising", "urine_output_low"}


def test_the_four_protocols_are_shipped():
    assert set(shipped_protocol_ids()) == set(CRITERIA_MD)


@pytest.mark.parametrize("protocol_id", sorted(CRITERIA_MD))
def test_every_criterion_of_the_spec_is_in_the_file(protocol_id):
    protocol = load_protocol(protocol_id)
    assert protocol.id == protocol_id
    assert set(protocol.criterion_ids) == CRITERIA_MD[protocol_id] | WATCH


@pytest.mark.parametrize("protocol_id", sorted(CRITERIA_MD))
def test_every_criterion_carries_source_review_and_system(protocol_id):
    for criterion in load_protocol(protocol_id).criteria:
        assert criterion.source.refs, criterion.id
        assert criterion.source.text()
        assert criterion.review.reviewed_by and criterion.review.date_reviewed
        assert criterion.system


def test_label_provenance_is_visible():
    label = load_protocol("proleukin-label")
    assert label.criterion("hypoxia").source.provenance == ("PI-2.4",)
    assert label.criterion("creatinine").source.provenance == ("PI-prior",)
    assert label.criterion("hypotension").source.provenance == ("PI-2.4", "PI-prior")


def test_interpretations_marked_in_criteria_md_are_flagged():
    flagged = {
        (p, c.id) for p in CRITERIA_MD for c in load_protocol(p).criteria if c.interpretation
    }
    assert {
        ("proleukin-label", "creatinine"),
        ("proleukin-label", "oliguria"),
        ("proleukin-label", "seizures"),
        ("community-2015", "three_relative_criteria"),
        ("til-2024", "fluid_refractory_hypotension"),
    } <= flagged


def test_default_protocol_is_the_label():
    assert load_protocol(None).id == "proleukin-label"
    assert load_protocol("").id == "proleukin-label"


def test_thresholds_are_converted_from_the_unit_written():
    text = (PROTOCOL_DIR / "til-2024.yaml").read_text()
    text = text.replace(
        '{latest: creatinine, op: ">=", value: 2.5, unit: mg/dL}',
        '{latest: creatinine, op: ">=", value: 221, unit: umol/L}',
    )
    from dashboard.protocols import parse_protocol_text

    protocol = parse_protocol_text(text, "site.yaml")
    trigger = protocol.criterion("creatinine").grades[0].trigger
    assert isinstance(trigger, Latest) and isinstance(trigger.comparison, Comparison)
    assert trigger.comparison.threshold.value == pytest.approx(221 / 88.4)
    assert trigger.describe() == "latest creatinine >= 221 umol/L"


def test_a_site_file_loads_from_a_path(tmp_path):
    site = tmp_path / "our-ward.yaml"
    site.write_text(
        (PROTOCOL_DIR / "til-2024.yaml").read_text().replace("id: til-2024", "id: our-ward")
    )
    assert load_protocol(str(site)).id == "our-ward"


def test_unknown_protocol_id():
    with pytest.raises(ProtocolError, match="'nope' is not a known protocol"):
        load_protocol("nope")


# ------------------------------------------------------------------ strict loading


def _broken(tmp_path, old: str, new: str, count: int = 1):
    text = (PROTOCOL_DIR / "proleukin-label.yaml").read_text()
    assert old in text, old
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, count))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  - id: hypoxia\n",
            "  - id: hypoxia\n    colour: red\n",
            r"broken.yaml: criteria\[2\] \(id hypoxia\).colour: unknown key",
        ),
        (
            '{latest: spo2, op: "<", value: 90, unit: "%"}',
            '{latest: spo3, op: "<", value: 90, unit: "%"}',
            r"broken.yaml: criteria\[2\] \(id hypoxia\).trigger.latest: 'spo3' is not a known "
            r"parameter; did you mean 'spo2'\?",
        ),
        (
            '{latest: spo2, op: "<", value: 90, unit: "%"}',
            '{latest: spo2, op: "<", value: 90, unit: mmHg}',
            r"criteria\[2\] \(id hypoxia\).trigger.unit: 'mmHg' is not a unit of spo2",
        ),
        (
            '{latest: spo2, op: "<", value: 90, unit: "%"}',
            '{latest: spo2, op: "=<", value: 90, unit: "%"}',
            r"criteria\[2\] \(id hypoxia\).trigger.op: must be one of",
        ),
        (
            '{latest: spo2, op: "<", value: 90, unit: "%"}',
            '{latest: spo2, op: "<", value: ninety, unit: "%"}',
            r"criteria\[2\] \(id hypoxia\).trigger.value: must be a number",
        ),
        (
            '{latest: spo2, op: "<", value: 90, unit: "%"}',
            "{lowest: spo2}",
            r"criteria\[2\] \(id hypoxia\).trigger.lowest: unknown rule",
        ),
        (
            "{latest: rhythm, in: [afib, svt, bradycardia_treated]}",
            "{latest: rhythm, in: [afib, torsades]}",
            r"criteria\[1\] \(id arrhythmia\).trigger.in\[1\]: 'torsades' is not a code of rhythm",
        ),
        (
            "required: [{parameter: spo2, fresh_hours: 4}]",
            "required: [{parameter: spo2, fresh_hours: 0}]",
            r"criteria\[2\] \(id hypoxia\).required\[0\].fresh_hours: must be a positive number",
        ),
        (
            "    outcome: hold\n    trigger: {latest: spo2",
            "    outcome: pause\n    trigger: {latest: spo2",
            r"criteria\[2\] \(id hypoxia\).outcome: must be one of",
        ),
        (
            "  doses_per_cycle: 14\n",
            "  doses_per_cycle: 14\n  doses_per_day: 3\n",
            r"broken.yaml: dosing.doses_per_day: unknown key",
        ),
    ],
)
def test_a_malformed_file_names_the_file_and_the_key(tmp_path, old, new, message):
    with pytest.raises(ProtocolError, match=message):
        load_protocol(str(_broken(tmp_path, old, new)))


def test_a_criterion_without_a_source_is_refused(tmp_path):
    path = _broken(
        tmp_path,
        "    required: [{parameter: spo2, fresh_hours: 4}]\n    source: {refs: [PI-2.4]}\n",
        "    required: [{parameter: spo2, fresh_hours: 4}]\n",
    )
    with pytest.raises(
        ProtocolError, match=re.escape("broken.yaml: criteria[2] (id hypoxia).source: missing")
    ):
        load_protocol(str(path))


def test_a_source_must_name_a_known_reference(tmp_path):
    path = _broken(
        tmp_path,
        "    source: {refs: [PI-2.4]}\n    interpretation: null\n"
        "    review: *review\n\n  - id: hypoxia",
        "    source: {refs: [PI-2.5]}\n    interpretation: null\n"
        "    review: *review\n\n  - id: hypoxia",
    )
    with pytest.raises(ProtocolError, match=r"source.refs\[0\]: 'PI-2.5' is not in references"):
        load_protocol(str(path))


def test_not_yaml_is_one_sentence(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(ProtocolError, match=r"bad\.yaml: not valid YAML"):
        load_protocol(str(path))


def test_protocol_errors_are_user_errors():
    assert issubclass(ProtocolError, MonitorUserError)
