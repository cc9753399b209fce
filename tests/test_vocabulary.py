"""The parameter vocabulary and the one reviewed conversion table (data-contract section 2)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.errors import UnitError
from dashboard.vocabulary import convert_to_canonical, load_vocabulary

VOCABULARY = load_vocabulary()
CONVERSIONS = [(p.name, u.spelling) for p in VOCABULARY.parameters.values() for u in p.units]


def test_the_contracts_parameters_are_all_there():
    assert set(VOCABULARY.names) == {
        "sbp",
        "dbp",
        "map",
        "heart_rate",
        "resp_rate",
        "temperature",
        "spo2",
        "o2_flow",
        "fio2",
        "urine_output",
        "weight",
        "creatinine",
        "potassium",
        "bicarbonate",
        "bilirubin",
        "platelets",
        "phenylephrine",
        "dopamine",
        "norepinephrine",
        "diarrhea",
        "mental_status",
        "rhythm",
        "stool_blood",
        "o2_device",
        "event",
        "event_resolved",
    } | {
        # Beyond the contract's table: the pre-dose neuro check's components, which the
        # bedside entry keeps beside the grade (issue 13, item 4); no criterion reads them.
        "orientation",
        "serial_sevens",
        "world_backwards",
    }


@pytest.mark.parametrize(
    ("parameter", "value", "unit", "canonical"),
    [
        ("creatinine", 88.4, "umol/L", 1.0),  # 1 mg/dL = 88.4 µmol/L
        ("creatinine", 88.4, "µmol/L", 1.0),  # micro sign
        ("creatinine", 88.4, "μmol/L", 1.0),  # Greek mu
        ("bilirubin", 17.1, "umol/L", 1.0),  # 1 mg/dL = 17.1 µmol/L
        ("weight", 1.0, "lb", 0.45359237),  # 1 lb = 0.45359237 kg
        ("weight", 1.0, "[lb_av]", 0.45359237),
        ("temperature", 212.0, "[degF]", 100.0),  # °C = (°F − 32) × 5/9
        ("temperature", 98.6, "°F", 37.0),
        ("temperature", 32.0, "F", 0.0),
        ("temperature", 38.5, "°C", 38.5),
        ("platelets", 150.0, "10*9/L", 150.0),  # 10^3/µL = 10^9/L
        ("platelets", 150.0, "K/uL", 150.0),
        ("sbp", 90.0, "MMHG", 90.0),  # spellings are case-insensitive
        ("heart_rate", 120.0, "bpm", 120.0),
        ("potassium", 5.5, "mEq/L", 5.5),
        ("phenylephrine", 0.5, "mcg/kg/min", 0.5),
    ],
)
def test_conversions_follow_the_contracts_factors(parameter, value, unit, canonical):
    assert VOCABULARY[parameter].to_canonical(value, unit) == pytest.approx(canonical)


@pytest.mark.parametrize(("parameter", "unit"), CONVERSIONS)
@given(value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_every_conversion_round_trips(parameter, unit, value):
    spec = VOCABULARY[parameter]
    back = spec.from_canonical(spec.to_canonical(value, unit), unit)
    assert back == pytest.approx(value, rel=1e-12, abs=1e-9)


def test_a_unit_of_another_parameter_is_refused_with_the_accepted_ones():
    with pytest.raises(
        UnitError,
        match=r"'mmHg' is not a unit of creatinine \(accepted: mg/dL, "
        r"umol/L\)",
    ):
        VOCABULARY["creatinine"].to_canonical(1.0, "mmHg")


def test_vectorised_conversion_matches_the_scalar_one_and_flags_unknown_units():
    values = pd.Series([212.0, 101.3, 84.0, 1.0])
    parameters = pd.Series(["creatinine", "temperature", "sbp", "creatinine"])
    units = pd.Series(["µmol/L", "°F", "mmHg", "mg/dl/h"])
    canonical, known = convert_to_canonical(values, parameters, units, VOCABULARY)
    assert list(known) == [True, True, True, False]
    assert canonical[:3].tolist() == pytest.approx([212 / 88.4, 38.5, 84.0])
    assert pd.isna(canonical[3])


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("creatinin", "creatinine"),
        ("Creatinine_", "creatinine"),
        ("spo", "spo2"),
        ("heartrate", "heart_rate"),
        ("urine", "urine_output"),
    ],
)
def test_a_misspelt_parameter_gets_the_closest_known_name(typed, suggestion):
    assert VOCABULARY.suggest(typed) == suggestion


def test_every_numeric_parameter_has_a_plausible_range_and_every_categorical_its_codes():
    for parameter in VOCABULARY.parameters.values():
        if parameter.is_numeric:
            low, high = parameter.plausible
            assert low < high, parameter.name
            assert parameter.unit in parameter.accepted_units, parameter.name
        else:
            assert parameter.codes, parameter.name


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # A LOINC code written bare would have become one code per character.
        (
            ("    loinc: [8480-6]", "    loinc: 8480-6"),
            "parameters.yaml: parameters.sbp.loinc: Input should be a valid list",
        ),
        # A misspelt key was ignored, and its absence surfaced later as a TypeError.
        (
            ("    plausible: [30, 300]", "    plausibel: [30, 300]"),
            "parameters.yaml: parameters.sbp.plausibel: Extra inputs are not permitted",
        ),
        (
            ("    plausible: [30, 300]", "    plausible: [30]"),
            "parameters.yaml: parameters.sbp.plausible: List should have at least 2 items",
        ),
    ],
)
def test_a_vocabulary_file_of_the_wrong_shape_is_refused_naming_the_key(tmp_path, edit, message):
    from dashboard.vocabulary import VOCABULARY_FILE

    text = VOCABULARY_FILE.read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "parameters.yaml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_vocabulary(path)
    assert str(caught.value).startswith(message)
