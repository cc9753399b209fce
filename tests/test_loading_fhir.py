"""A FHIR R4 Bundle (data-contract section 3.3), read as a spec.

Bundles are written inline as the few FHIR elements that matter; problems are located by
entry (counted from 1) and FHIR element path.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from dashboard.errors import DataValidationError, InputFileError
from dashboard.loading import InputFile, load_ward
from dashboard.loading.export import write_fhir_bundle
from tests.conftest import FIXTURES, WARD_ZONE
from tests.scenarios import course, obs, patient, ward

EXT = "https://il2-monitor.example.org/fhir/StructureDefinition/"
PARAMETER = "https://il2-monitor.example.org/fhir/CodeSystem/parameter"
LOINC = "http://loinc.org"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def bundle(*resources: dict) -> InputFile:
    body = {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}  # fmt: skip
    return InputFile("ward.json", json.dumps(body).encode())


def a_patient(pid: str = "P1", weight: float | None = 80, **extensions) -> dict:
    values = {"baseline-weight-kg": weight, **extensions} if weight is not None else extensions
    return {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"text": f"Patient {pid}"}],
        "extension": [{"url": EXT + key, "valueDecimal": v} for key, v in values.items()],
    }


def an_observation(code: dict, time: str = "2026-03-02T08:00:00Z", pid: str = "P1", **value):
    return {"resourceType": "Observation", "status": value.pop("status", "final"),
            "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": time,
            "code": code, **value}  # fmt: skip


def loinc(code: str) -> dict:
    return {"coding": [{"system": LOINC, "code": code}]}


def ours(name: str) -> dict:
    return {"coding": [{"system": PARAMETER, "code": name}]}


def quantity(v, unit: str) -> dict:
    return {"valueQuantity": {"value": v, "unit": unit}}


def a_dose(status: str, time: str, pid: str = "P1", cycle=None, number=None, **more) -> dict:
    extensions = []
    if cycle is not None:
        extensions = [{"url": EXT + "il2-cycle", "valueInteger": cycle},
                      {"url": EXT + "il2-dose-number", "valueInteger": number}]  # fmt: skip
    return {"resourceType": "MedicationAdministration", "status": status,
            "subject": {"reference": f"Patient/{pid}"},
            "medicationCodeableConcept": {"text": "Aldesleukin 22 MIU"},
            "effectiveDateTime": time, "extension": extensions, **more}  # fmt: skip


def a_reading() -> dict:
    return an_observation(loinc("8480-6"), **quantity(120, "mmHg"))


def problems_of(file: InputFile) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        load_ward(file, "UTC")
    return [str(p) for p in caught.value.problems]


# -- the good bundle -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_bundle():
    return load_ward(FIXTURES / "good" / "fhir_bundle.json", WARD_ZONE)


def test_the_patient_comes_from_identifier_name_and_extensions(good_bundle):
    p = good_bundle.patients.iloc[0]
    assert (p["patient_id"], p["name"], p["bed"], p["indication"]) == (
        "P001", "Test, Alpha", "12", "melanoma")  # fmt: skip
    assert p["baseline_weight_kg"] == 82.5
    assert p["source_row"] == 1


def test_a_blood_pressure_panel_is_split_into_sbp_and_dbp(good_bundle):
    o = good_bundle.observations
    panel = o[o.source_row == 2].set_index("parameter")
    assert panel.loc["sbp", "value"] == 84 and panel.loc["dbp", "value"] == 48
    assert panel.loc["sbp", "time"] == utc("2026-03-02 12:30")


def test_loinc_codes_and_ucum_units_map_to_the_vocabulary(good_bundle):
    o = good_bundle.observations.set_index("parameter")
    assert o.loc["creatinine", "value"] == pytest.approx(212 / 88.4)  # LOINC 14682-9, umol/L
    assert o.loc["temperature", "value"] == pytest.approx(38.5)  # "unit": "°F", no UCUM code
    assert o.loc["urine_output", "time"] == utc("2026-03-02 12:30")  # the collection's end
    assert o.loc["phenylephrine", "value"] == 0.5  # this monitor's code system
    assert o.loc["mental_status", "code"] == "moderate"  # coding[0].code, not the text
    assert o.loc["event", "code"] == "fluid_bolus"  # valueString


def test_aldesleukin_doses_given_and_held_with_reason(good_bundle):
    doses = good_bundle.doses.set_index("dose_number")
    assert doses.loc[1, "status"] == "given"
    assert doses.loc[1, "scheduled_time"] == utc("2026-03-01 21:00")  # the extension
    assert doses.loc[1, "administered_time"] == utc("2026-03-01 21:05")
    assert (doses.loc[2, "status"], doses.loc[2, "reason"]) == ("held", "SBP 84 on pressors")
    assert doses.loc[2, "scheduled_time"] == utc("2026-03-02 05:00")  # effectiveDateTime


def test_retractions_and_other_medicines_are_not_loaded_but_counted(good_bundle):
    assert good_bundle.counts()["observations"] == 8  # the entered-in-error sbp is not one
    assert (
        "fhir_bundle.json: not loaded: 1 Observation(s) with status entered-in-error (withdrawn "
        "at the source); "
        "1 MedicationAdministration(s) of medicines other than aldesleukin"
    ) in good_bundle.report.notices


# -- inline bundles ------------------------------------------------------------------------


def test_not_done_with_a_skipped_reason_is_skipped_and_in_progress_is_given():
    loaded = load_ward(
        bundle(
            a_patient(),
            a_dose("completed", "2026-03-02T08:00:00Z", cycle=1, number=1),
            a_dose(
                "not-done",
                "2026-03-02T16:00:00Z",
                cycle=1,
                number=2,
                statusReason=[{"coding": [{"code": "skipped"}], "text": "patient off ward"}],
            ),
            a_dose(
                "not-done",
                "2026-03-03T00:00:00Z",
                cycle=1,
                number=3,
                statusReason=[{"text": "Skipped: CT scan"}],
            ),
            a_dose("in-progress", "2026-03-03T08:00:00Z", cycle=1, number=4),
            a_reading(),
        ),
        "UTC",
    )
    doses = loaded.doses.set_index("dose_number")
    assert list(doses["status"]) == ["given", "skipped", "skipped", "given"]
    assert doses.loc[2, "reason"] == "patient off ward"


def test_missing_cycles_are_inferred_from_time_order_with_a_notice():
    times = [
        "2026-03-02T08:00:00Z",
        "2026-03-02T16:00:00Z",
        "2026-03-03T00:00:00Z",
        "2026-03-16T08:00:00Z",
        "2026-03-16T16:00:00Z",
    ]  # a 13-day rest: cycle 2
    resources = [a_dose("completed", t) for t in reversed(times)]
    loaded = load_ward(bundle(a_patient(), *resources, a_reading()), "UTC")
    doses = loaded.doses.sort_values("scheduled_time")
    assert list(zip(doses["cycle"], doses["dose_number"], strict=True)) == [
        (1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]  # fmt: skip
    assert (
        "ward.json: cycle and dose numbers were not in the bundle for patient(s) P1; they were "
        "inferred from the order of the doses (a new cycle after a gap of more than 72 h)"
    ) in loaded.report.notices


def test_cycles_given_on_some_doses_only_are_a_problem():
    assert problems_of(
        bundle(
            a_patient(),
            a_dose("completed", "2026-03-02T08:00:00Z", cycle=1, number=1),
            a_dose("completed", "2026-03-02T16:00:00Z"),
            a_reading(),
        )
    ) == [
        "ward.json, entry 3, column MedicationAdministration.extension[il2-cycle]: cycle and "
        "dose number are missing, while other doses of patient 'P1' have them: give them on "
        "every dose or on none"
    ]


def test_a_missing_baseline_weight_is_the_first_weight_observation():
    loaded = load_ward(
        bundle(
            a_patient(weight=None),
            an_observation(loinc("29463-7"), "2026-03-03T08:00:00Z", **quantity(84, "kg")),
            an_observation(loinc("29463-7"), "2026-03-02T08:00:00Z", **quantity(176.4, "[lb_av]")),
        ),
        "UTC",
    )
    assert loaded.patients.loc[0, "baseline_weight_kg"] == pytest.approx(176.4 * 0.45359237)
    assert (
        "ward.json: no baseline-weight-kg extension for patient(s) P1: the baseline weight is "
        "the patient's first weight Observation"
    ) in loaded.report.notices


def test_an_unknown_code_is_a_problem_naming_the_codes():
    hemoglobin = {"coding": [{"system": LOINC, "code": "718-7", "display": "Hemoglobin"}]}
    hb = an_observation(hemoglobin, **quantity(9, "g/dL"))
    assert problems_of(bundle(a_patient(), hb, a_reading())) == [
        "ward.json, entry 2, column Observation.code: the code http://loinc.org|718-7 "
        "(Hemoglobin) is not a parameter the monitor knows: use a LOINC code of the vocabulary "
        f"or a coding of {PARAMETER} (a vocabulary name)"
    ]


def test_bad_values_are_located_by_entry_and_element_path():
    problems = problems_of(
        bundle(
            a_patient(),
            an_observation(loinc("8480-6"), **quantity(900, "mmHg")),
            an_observation(loinc("2160-0"), **quantity(1.2, "mg/dl/h")),
            an_observation(ours("rhythm"), valueCodeableConcept={"text": "wobbly"}),
            an_observation(loinc("8867-4"), time="yesterday", **quantity(80, "bpm")),
            an_observation(loinc("8867-4"), status="unknown", **quantity(80, "bpm")),
        )
    )
    assert problems == [
        "ward.json, entry 2, column Observation.valueQuantity.value: sbp 900 mmHg is outside "
        "the plausible range 30–300 mm[Hg] (a typing error?)",
        "ward.json, entry 3, column Observation.valueQuantity.unit: 'mg/dl/h' is not a unit of "
        "creatinine (accepted: mg/dL, umol/L)",
        "ward.json, entry 4, column Observation.valueCodeableConcept.text: 'wobbly' is not a "
        "code of rhythm (codes: sinus, sinus_tachycardia, afib, svt, bradycardia_treated, "
        "vt_sustained, uncontrolled)",
        "ward.json, entry 5, column Observation.effectiveDateTime: 'yesterday' is not a date and "
        "time of day (expected ISO 8601, e.g. 2026-03-02T14:05 or 2026-03-02T14:05:00-05:00)",
        "ward.json, entry 6, column Observation.status: status 'unknown' is not one of the loaded "
        "statuses (preliminary, final, amended, corrected) nor a retraction",
    ]


def test_an_observation_of_an_unknown_patient_names_the_reference():
    problems = problems_of(
        bundle(a_patient(), an_observation(loinc("8480-6"), pid="P9", **quantity(120, "mmHg")))
    )
    assert problems == [
        "ward.json, entry 2, column Observation.subject.reference: patient 'P9' is not in ward.json"
    ]


def test_an_administration_status_that_is_neither_given_nor_held_is_a_problem():
    stopped = a_dose("stopped", "2026-03-02T08:00:00Z", cycle=1, number=1)
    problems = problems_of(bundle(a_patient(), stopped, a_reading()))
    assert problems == [
        "ward.json, entry 2, column MedicationAdministration.status: status 'stopped' cannot be "
        "read as a dose given (completed, in-progress) or not given (not-done)"
    ]


def test_a_bundle_with_doses_and_no_observations_loads():
    loaded = load_ward(
        bundle(a_patient(), a_dose("completed", "2026-03-02T08:00:00Z", cycle=1, number=1)), "UTC"
    )
    assert loaded.counts() == {"patients": 1, "doses": 1, "observations": 0}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "ward.json is empty: expected a FHIR R4 Bundle (JSON)."),
        (b"PK\x03\x04\x00\x00", "ward.json is not a text file (it holds binary data): expected "
         "a FHIR R4 Bundle (JSON)."),
        (b'{"resourceType": "Bundle", "entry": [\n', "ward.json is not valid JSON (line 2, "
         "column 1: Expecting value)."),
        (b'{"resourceType": "Patient"}', "ward.json is not a FHIR Bundle (its resourceType is "
         "'Patient')."),
        (b"[1, 2]", "ward.json is not a FHIR Bundle (it has no resourceType)."),
        (b'{"resourceType": "Bundle", "entry": []}', "ward.json is a FHIR Bundle with no "
         "entries: nothing to load."),
        (b"\xff\xfe{}", "ward.json is not UTF-8 text: a FHIR bundle is UTF-8 JSON."),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_bundle_gets_one_sentence(data, expected):
    with pytest.raises(InputFileError) as caught:
        load_ward(InputFile("ward.json", data), "UTC")
    assert str(caught.value) == expected


@pytest.mark.parametrize(
    "name", ["fhir_not_a_bundle.json", "fhir_not_json.json", "fhir_no_entries.json"]
)
def test_the_bad_bundle_fixtures_are_refused_in_one_sentence(name):
    with pytest.raises(InputFileError) as caught:
        load_ward(FIXTURES / "bad" / name, "UTC")
    assert str(caught.value).startswith(f"{name} is ")
    assert "\n" not in str(caught.value)


# -- round trip ----------------------------------------------------------------------------


def a_course():
    readings = [
        ("2026-03-02 07:00", "sbp", 121), ("2026-03-02 07:00", "dbp", 74),
        ("2026-03-02 07:05", "sbp", 118),  # an sbp without its dbp: not a panel
        ("2026-03-02 07:00", "weight", 80.4), ("2026-03-02 07:00", "creatinine", 0.9),
        ("2026-03-02 07:00", "temperature", 36.8), ("2026-03-02 07:00", "urine_output", 400),
        ("2026-03-02 07:00", "platelets", 212), ("2026-03-02 07:00", "rhythm", "sinus"),
        ("2026-03-02 15:00", "creatinine", 1.37), ("2026-03-02 15:00", "diarrhea", 250),
        ("2026-03-02 15:00", "norepinephrine", 0.05), ("2026-03-02 15:00", "o2_device", "mask"),
        ("2026-03-02 15:00", "event", "fluid_bolus"), ("2026-03-02 15:00", "event", "sepsis"),
        ("2026-03-02 23:30", "event_resolved", "sepsis"), ("2026-03-02 23:30", "spo2", 91),
    ]  # fmt: skip
    doses = course("P1", "2026-03-02 08:00", given=2, held=(3,), doses=4)
    doses[2]["reason"] = "hypotension"
    doses.append(
        {
            **doses[0],
            "cycle": 2,
            "dose_number": 1,
            "scheduled_time": utc("2026-03-16"),
            "administered_time": pd.NaT,
            "status": "skipped",
            "reason": "admission late",
        }
    )
    return ward(
        [patient("P1", weight=80.4, creatinine=0.9, target_sbp=95)],
        doses,
        [obs("P1", time, parameter, v) for time, parameter, v in readings],
    )  # fmt: skip


def test_a_written_bundle_reads_back_as_the_same_data(tmp_path):
    original = a_course()
    path = write_fhir_bundle(
        original.patients, original.doses, original.observations, "P1", tmp_path / "P1.json"
    )
    loaded = load_ward(path, "UTC")
    columns = ["patient_id", "time", "parameter", "value", "code"]
    order = ["time", "parameter", "code"]
    before = original.observations[columns].sort_values(order).reset_index(drop=True)
    after = loaded.observations[columns].sort_values(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        before.drop(columns="value"), after.drop(columns="value"), check_dtype=False
    )
    assert (before["value"].fillna(0) - after["value"].fillna(0)).abs().max() < 1e-9
    dose_columns = ["cycle", "dose_number", "scheduled_time", "status", "administered_time",
                    "reason"]  # fmt: skip
    written = original.doses.loc[original.doses.status != "scheduled", dose_columns]
    pd.testing.assert_frame_equal(
        loaded.doses[dose_columns].reset_index(drop=True),
        written.reset_index(drop=True),
        check_dtype=False,
    )
    p = loaded.patients.iloc[0]
    assert (p["baseline_weight_kg"], p["baseline_creatinine_mg_dl"], p["target_sbp_mmhg"]) == (
        80.4, 0.9, 95)  # fmt: skip
    assert not math.isnan(p["baseline_weight_kg"])


def test_the_written_bundle_is_byte_for_byte_reproducible(tmp_path):
    original = a_course()
    paths = [
        write_fhir_bundle(
            original.patients, original.doses, original.observations, "P1", tmp_path / name
        )
        for name in ("a.json", "b.json")
    ]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    written = json.loads(paths[0].read_text())
    panels = [
        e["resource"] for e in written["entry"] if "component" in e["resource"]
    ]  # one BP panel: 07:00
    assert len(panels) == 1
    assert panels[0]["code"]["coding"][0]["code"] == "85354-9"


def test_a_value_with_a_comparator_is_not_taken_as_a_reading():
    below = an_observation(loinc("2160-0"), valueQuantity={"value": 0.2, "comparator": "<",
                                                           "unit": "mg/dL"})  # fmt: skip
    assert problems_of(bundle(a_patient(), below, a_reading())) == [
        "ward.json, entry 2, column Observation.valueQuantity.comparator: a creatinine value "
        "with comparator '<' is a bound, not a measurement: the monitor cannot assess it"
    ]


# -- the boundary: refused with entry and element, never guessed or dropped ----------------


def test_a_misspelt_extension_url_is_refused_not_dropped():
    # A TIL patient's target SBP of 95 under a misspelt key would silently become the
    # protocol default of 90: a hold would read clear.
    misspelt = a_patient("P1", **{"target-sbp-mmHg": 95})
    elsewhere = a_patient("P2")
    elsewhere["extension"].append(
        {"url": "https://example.org/fhir/target-sbp-mmhg", "valueDecimal": 95}
    )
    problems = problems_of(bundle(misspelt, elsewhere, a_reading()))
    assert problems[2:] == [  # the refused patient's reading: its patient is not loaded
        "ward.json, entry 3, column Observation.subject.reference: patient 'P1' is not in ward.json"
    ]
    assert problems[:2] == [
        f"ward.json, entry 1, column Patient.extension[1].url: '{EXT}target-sbp-mmHg' is not "
        f"an extension this monitor reads (its extensions are {EXT}<bed|indication|protocol|"
        "baseline-weight-kg|baseline-creatinine-mg-dl|target-sbp-mmhg>); did you mean "
        f"{EXT}target-sbp-mmhg?",
        "ward.json, entry 2, column Patient.extension[1].url: 'https://example.org/fhir/"
        "target-sbp-mmhg' is not an extension this monitor reads (its extensions are "
        f"{EXT}<bed|indication|protocol|baseline-weight-kg|baseline-creatinine-mg-dl|"
        f"target-sbp-mmhg>); did you mean {EXT}target-sbp-mmhg?",
    ]


def test_a_medicine_that_only_mentions_aldesleukin_is_not_a_dose():
    premedication = a_dose("completed", "2026-03-02T07:30:00Z")
    premedication["medicationCodeableConcept"] = {
        "text": "Ondansetron 8 mg, premedication for aldesleukin"
    }
    assert problems_of(bundle(a_patient(), a_reading(), premedication)) == [
        "ward.json, entry 3, column MedicationAdministration.medication[x]: the medicine reads "
        "'Ondansetron 8 mg, premedication for aldesleukin': it mentions aldesleukin but is not "
        "named as it, so the monitor cannot tell whether this is an aldesleukin dose (name "
        "aldesleukin first, or code it as ATC L03AC01)"
    ]
    other = a_dose("completed", "2026-03-02T07:30:00Z")
    other["medicationCodeableConcept"] = {"text": "Ondansetron 8 mg"}
    loaded = load_ward(bundle(a_patient(), a_reading(), other), "UTC")
    assert loaded.counts()["doses"] == 0
    assert any(
        "1 MedicationAdministration(s) of medicines other than aldesleukin" in n
        for n in loaded.report.notices
    )


def test_a_coded_aldesleukin_dose_without_text_is_a_dose_and_an_unknown_code_a_problem():
    coded = a_dose("completed", "2026-03-02T07:30:00Z")
    coded["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.whocc.no/atc", "code": "L03AC01"}]
    }
    loaded = load_ward(bundle(a_patient(), a_reading(), coded), "UTC")
    assert loaded.doses["status"].tolist() == ["given"]
    rxnorm = a_dose("completed", "2026-03-02T07:30:00Z")
    rxnorm["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "12345"}]
    }
    assert problems_of(bundle(a_patient(), a_reading(), rxnorm)) == [
        "ward.json, entry 3, column MedicationAdministration.medication[x]: the medicine has no "
        "name and its coding (http://www.nlm.nih.gov/research/umls/rxnorm|12345) is not one "
        "the monitor knows as aldesleukin: name it in medicationCodeableConcept.text, or code "
        "it as ATC L03AC01"
    ]


def test_spo2_coded_as_the_fhir_oxygen_saturation_profile_requires_is_spo2():
    reading = an_observation(loinc("2708-6"), **quantity(91, "%"))
    loaded = load_ward(bundle(a_patient(), reading), "UTC")
    assert loaded.observations[["parameter", "value"]].values.tolist() == [["spo2", 91.0]]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            {**a_patient(), "name": ["Alpha"]},
            "entry 1, column Patient.name[0]: must be a HumanName object, not the text 'Alpha'",
        ),
        (
            {**a_patient(), "extension": {"url": EXT + "bed"}},
            "entry 1, column Patient.extension: must be a JSON array, not an object",
        ),
        (
            an_observation(loinc("8480-6"), valueQuantity="120 mmHg"),
            "entry 2, column Observation.valueQuantity: must be a JSON object, not the text "
            "'120 mmHg'",
        ),
        (
            an_observation(loinc("8480-6"), valueQuantity={"value": [120], "unit": "mmHg"}),
            "entry 2, column Observation.valueQuantity.value: must be a single value, not a list",
        ),
        (
            an_observation({"coding": "8480-6"}, **quantity(120, "mmHg")),
            "entry 2, column Observation.code.coding: must be a JSON array, not the text '8480-6'",
        ),
        (
            {**a_dose("completed", "2026-03-02T07:30:00Z"), "subject": "Patient/P1"},
            "entry 2, column MedicationAdministration.subject: must be a JSON object, not the "
            "text 'Patient/P1'",
        ),
    ],
)
def test_an_element_of_the_wrong_type_is_a_problem_of_its_entry(resource, expected):
    resources = (
        [resource, a_reading()]
        if resource["resourceType"] == "Patient"
        else [a_patient(), resource]
    )
    assert f"ward.json, {expected}" in problems_of(bundle(*resources))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "fhir_misspelt_extension.json",
            f"fhir_misspelt_extension.json, entry 1, column Patient.extension[1].url: '{EXT}"
            "target-sbp-mmHg' is not an extension this monitor reads",
        ),
        (
            "fhir_premedication.json",
            "fhir_premedication.json, entry 3, column MedicationAdministration.medication[x]: the "
            "medicine reads 'Ondansetron 8 mg, premedication for aldesleukin': it mentions "
            "aldesleukin but is not named as it",
        ),
        (
            "fhir_wrong_types.json",
            "fhir_wrong_types.json, entry 2, column Observation.valueQuantity: must be a JSON "
            "object, not the text '120 mmHg'",
        ),
    ],
)
def test_the_hostile_bundle_fixtures_name_entry_and_element(name, expected):
    with pytest.raises(DataValidationError) as caught:
        load_ward(FIXTURES / "bad" / name, "UTC")
    assert str(caught.value.problems[0]).startswith(expected)
