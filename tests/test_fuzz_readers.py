"""A bounded fuzz of every reader (issue 9): whatever bytes arrive, a load ends in
"loaded" or "refused with a user error" - never another exception, never a hang - and a
lenient load accounts for every line of the file: loaded, merged or refused.

How many examples, and whether they are derandomised, is the Hypothesis profile's
(tests/conftest.py): few and repeatable in CI, many more on a developer's machine.
"""

from __future__ import annotations

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.errors import MonitorUserError
from dashboard.loading import InputFile, load_ward
from dashboard.protocols import PROTOCOL_DIR, parse_protocol_text
from tests.conftest import FIXTURES

# An example is one small load: twice the profile's count (40 in CI) costs little.
FUZZ = settings(max_examples=2 * settings.default.max_examples)
GOOD = FIXTURES / "good" / "three_csv"
# Characters a sloppy export or a careless script produces.
NOISE = st.sampled_from(
    [
        '"',
        ",",
        ";",
        "\n",
        "\r",
        "\t",
        "\x00",
        "=",
        "-",
        "é",
        "\ufeff",
        "NaN",
        "inf",
        "  ",
        "µ",
        "x" * 50,
        "'",
        "\\",
        "1e309",
    ]
)


def mutate(text: str, edits: list[tuple[int, str, bool]]) -> str:
    for position, piece, replace in edits:
        at = position % (len(text) + 1)
        text = text[:at] + piece + text[at + (1 if replace else 0) :]
    return text


EDITS = st.lists(st.tuples(st.integers(0, 10_000), NOISE, st.booleans()), min_size=1, max_size=6)


def three_csv(observations: str) -> list[InputFile]:
    return [
        InputFile("patients.csv", (GOOD / "patients.csv").read_bytes()),
        InputFile("doses.csv", (GOOD / "doses.csv").read_bytes()),
        InputFile("observations.csv", observations.encode("utf-8", "surrogatepass")),
    ]


@FUZZ
@given(EDITS)
def test_a_mangled_observations_csv_is_loaded_or_refused_never_a_crash(edits):
    text = mutate((GOOD / "observations.csv").read_text(encoding="utf-8"), edits)
    lines = [
        line
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
        if line.strip(" ,")
    ]
    try:
        ward = load_ward(three_csv(text), "UTC", keep_going=True)
    except MonitorUserError:
        return  # refused whole, with a sentence
    refused = ward.report.refused_rows
    named = {int(row) for row in ward.observations["source_row"]}
    if refused is not None:
        named |= {int(row) for row in refused.loc[refused["table"] == "observations", "source_row"]}
    named |= {
        p.row
        for p in ward.report.problems
        if p.file == "observations.csv" and p.row is not None and p.row >= 2
    }
    # Every data line is loaded, merged into an identical one, or named as refused.
    assert len(named) + ward.report.merged_duplicates >= len(lines), (
        sorted(named),
        ward.report.merged_duplicates,
        len(lines),
    )


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "code",
                    "coding",
                    "valueQuantity",
                    "value",
                    "unit",
                    "subject",
                    "reference",
                    "extension",
                    "url",
                    "name",
                    "status",
                    "effectiveDateTime",
                    "medicationCodeableConcept",
                    "text",
                    "id",
                    "component",
                    "identifier",
                    "effectivePeriod",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@FUZZ
@given(
    st.lists(JSON_VALUES, min_size=1, max_size=4),
    st.sampled_from(["Patient", "Observation", "MedicationAdministration"]),
)
def test_a_bundle_of_any_json_is_loaded_or_refused_never_a_crash(resources, kind):
    entries = []
    for resource in resources:
        if isinstance(resource, dict):
            resource = {"resourceType": kind, **resource}
        entries.append({"resource": resource})
    body = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    with contextlib.suppress(MonitorUserError):
        load_ward(InputFile("ward.json", body.encode()), "UTC", keep_going=True)


@FUZZ
@given(EDITS)
def test_a_mangled_protocol_file_is_loaded_or_refused_never_a_crash(edits):
    text = mutate(
        (PROTOCOL_DIR / "cwg-consensus-2014.yaml").read_text(encoding="utf-8"),
        [(position * 7, piece, replace) for position, piece, replace in edits],
    )
    with contextlib.suppress(MonitorUserError):
        parse_protocol_text(text, "mangled.yaml")


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["ward.csv", "ward.xlsx", "ward.json"]))
def test_any_bytes_under_any_name_are_loaded_or_refused_never_a_crash(data, name):
    with contextlib.suppress(MonitorUserError):
        load_ward(InputFile(name, data), "UTC", keep_going=True)
