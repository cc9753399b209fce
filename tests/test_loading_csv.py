"""The three-CSV input (data-contract sections 1, 3.1 and 4), read as a spec.

Each bad fixture is tied to the exact message a user sees; each good one to the canonical
rows it must become.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.errors import DataValidationError, InputFileError
from dashboard.loading import InputFile, load_ward
from tests.conftest import FIXTURES, WARD_ZONE

GOOD = FIXTURES / "good" / "three_csv"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


@pytest.fixture(scope="module")
def good_ward():
    return load_ward(GOOD, WARD_ZONE)


def test_the_good_set_becomes_the_canonical_tables(good_ward):
    assert good_ward.counts() == {"patients": 2, "doses": 4, "observations": 10}
    first = good_ward.patients.set_index("patient_id").loc["P001"]
    assert first["name"] == "Test, Alpha"
    assert first["baseline_weight_kg"] == 82.5
    assert math.isnan(
        good_ward.patients.set_index("patient_id").loc["P002", "baseline_creatinine_mg_dl"]
    )


def test_values_are_converted_to_canonical_units_and_keep_what_was_typed(good_ward):
    obs = good_ward.observations
    temperature = obs[obs.parameter == "temperature"].iloc[0]
    assert temperature["value"] == pytest.approx(38.5)  # 101.3 °F
    assert (temperature["unit"], temperature["recorded_value"], temperature["recorded_unit"]) == (
        "Cel",
        "101.3",
        "°F",
    )
    creatinine = obs[obs.parameter == "creatinine"].iloc[0]
    assert creatinine["value"] == pytest.approx(212 / 88.4)  # µmol/L -> mg/dL
    assert creatinine["unit"] == "mg/dL"
    weight = obs[obs.parameter == "weight"].iloc[0]
    assert weight["value"] == pytest.approx(154.3 * 0.45359237)  # lb -> kg


def test_categorical_values_are_codes(good_ward):
    obs = good_ward.observations
    rhythm = obs[obs.parameter == "rhythm"].iloc[0]
    assert rhythm["code"] == "sinus"  # typed "Sinus"
    assert math.isnan(rhythm["value"])
    events = sorted(obs.loc[obs.parameter == "event", "code"])
    assert events == ["fluid_bolus", "sepsis"]  # two events at one time are both kept


def test_times_are_utc_inside_offsets_honoured_and_naive_times_read_in_the_ward_zone(good_ward):
    doses = good_ward.doses.set_index(["patient_id", "dose_number"])
    assert doses.loc[("P001", 1), "scheduled_time"] == utc("2026-03-02T08:00:00-05:00")
    assert doses.loc[("P002", 1), "administered_time"] == utc("2026-03-02T09:30:00-05:00")
    assert str(good_ward.observations["time"].dt.tz) == "UTC"


def test_identical_duplicates_are_merged_and_counted(good_ward):
    obs = good_ward.observations
    sbp_at_noon = obs[(obs.parameter == "sbp") & (obs.time == utc("2026-03-02T12:05:00-05:00"))]
    assert len(sbp_at_noon) == 1
    assert good_ward.report.merged_duplicates == 1
    assert "observations.csv: 1 identical duplicate row(s) merged" in good_ward.report.notices


def test_doses_keep_their_status_reason_and_the_contract_default_dose(good_ward):
    doses = good_ward.doses.set_index(["patient_id", "dose_number"])
    assert doses.loc[("P001", 2), "status"] == "held"
    assert doses.loc[("P001", 2), "reason"] == "SBP 84 on phenylephrine"
    assert pd.isna(doses.loc[("P001", 2), "administered_time"])
    assert doses.loc[("P002", 1), "dose_iu_per_kg"] == 600_000


# Each bad fixture and the exact lines a user reads (after the count line).
ROW_PROBLEMS = {
    "csv_misspelt_parameter": [
        "observations.csv, row 10, column parameter: 'creatinin' is not a known parameter; "
        "did you mean 'creatinine'?"
    ],
    "csv_wrong_unit": [
        "observations.csv, row 10, column unit: 'mg/dl/h' is not a unit of creatinine "
        "(accepted: mg/dL, umol/L)"
    ],
    "csv_out_of_range": [
        "observations.csv, row 2, column value: sbp 900 mmHg is outside the plausible range "
        "30–300 mm[Hg] (a typing error?)"
    ],
    "csv_conflicting_duplicate": [
        "observations.csv, row 4, column value: sbp 84 mm[Hg] conflicts with a different value "
        "at the same time in row 5",
        "observations.csv, row 5, column value: sbp 48 mmHg conflicts with a different value "
        "at the same time in row 4",
    ],
    "csv_unknown_patient": [
        "observations.csv, row 13, column patient_id: patient 'P003' is not in patients.csv"
    ],
    "csv_bad_time": [
        "observations.csv, row 9, column time: '02/03/2026 13:00' is not a date and time of day "
        "(expected ISO 8601, e.g. 2026-03-02T14:05 or 2026-03-02T14:05:00-05:00)"
    ],
    "csv_nonexistent_local_time": [
        "observations.csv, row 11, column time: '2026-03-08 02:30' does not exist or is "
        "ambiguous in America/New_York (a daylight-saving change): write it with its UTC offset"
    ],
    "csv_missing_unit": [
        "observations.csv, row 9, column unit: a unit is required for urine_output (accepted: mL)"
    ],
    "csv_bad_code": [
        "observations.csv, row 12, column value: 'irregular' is not a code of rhythm (codes: "
        "sinus, sinus_tachycardia, afib, svt, bradycardia_treated, vt_sustained, uncontrolled)"
    ],
    "csv_not_a_number": [
        "observations.csv, row 2, column value: '11B' is not a number (a sbp value)"
    ],
    "csv_given_without_time": [
        "doses.csv, row 5, column administered_time: a given dose needs its administered_time"
    ],
    "csv_wrong_field_count": [
        "observations.csv, row 9: has 6 fields; the header has 5 (a stray comma, or a missing one?)"
    ],
    "csv_missing_weight": [
        "patients.csv, row 2, column baseline_weight_kg: a value is required",
        "doses.csv, column patient_id: 3 dose row(s) of patient 'P001' not loaded: "
        "the patient's own row in patients.csv was refused",
        "observations.csv, column patient_id: 8 observation row(s) of patient 'P001' not loaded: "
        "the patient's own row in patients.csv was refused",
    ],
    "csv_unknown_protocol": [
        "patients.csv, row 3, column protocol: 'cwg-2014' is not a known protocol (known: "
        "community-2015, cwg-consensus-2014, proleukin-label, til-2024); did you mean "
        "'cwg-consensus-2014'?",
        "doses.csv, column patient_id: 1 dose row(s) of patient 'P002' not loaded: "
        "the patient's own row in patients.csv was refused",
        "observations.csv, column patient_id: 3 observation row(s) of patient 'P002' not "
        "loaded: the patient's own row in patients.csv was refused",
    ],
    "csv_unknown_column": [
        "patients.csv, row 1, column baseline_creatinine: is not a column of patients; did you "
        "mean 'baseline_creatinine_mg_dl'?",
        "doses.csv, column patient_id: 1 dose row(s) of patient 'P002' not loaded: "
        "the patient's own row in patients.csv was refused",
        "doses.csv, column patient_id: 3 dose row(s) of patient 'P001' not loaded: "
        "the patient's own row in patients.csv was refused",
        "observations.csv, column patient_id: 3 observation row(s) of patient 'P002' not loaded: "
        "the patient's own row in patients.csv was refused",
        "observations.csv, column patient_id: 8 observation row(s) of patient 'P001' not loaded: "
        "the patient's own row in patients.csv was refused",
    ],
    # Issue 9: the hostile-input corpus.
    "csv_stray_quote": [
        'observations.csv, row 5: has a double quote (") that is not closed on its line: a '
        "stray quote? (a value may not span lines)"
    ],
    "csv_dose_renumbered": [
        "doses.csv, row 4, column dose_number: dose number 999 is not the next of its cycle: "
        "cycle 1's doses are numbered 1, 2, 3… without gaps, and this one (scheduled "
        "2026-03-03 05:00 UTC) would be dose 3"
    ],
    "csv_dose_year_typo": [
        "doses.csv, row 4, column scheduled_time: scheduled 2062-03-03 05:00 UTC, more than "
        "72 h after dose 2 of cycle 1 (2026-03-02 21:00 UTC, row 3): a typing error? (doses "
        "of one cycle follow each other within 72 h)"
    ],
    "csv_inf_dose_number": ["doses.csv, row 4, column dose_number: 'inf' is not a number"],
}

# Files that cannot be read at all: one sentence, naming the file.
FILE_PROBLEMS = {
    "csv_semicolons": "observations.csv separates its columns with semicolons; expected commas "
    "(a CSV with the header patient_id,time,parameter,value,unit).",
    "csv_empty_file": "observations.csv is empty: expected a header row (patient_id, time, "
    "parameter, value, unit) and at least one data row.",
    "csv_binary": "observations.csv is not a text file (it holds binary data, perhaps a "
    "spreadsheet or a zip): save it as CSV (UTF-8).",
    "csv_latin1": "observations.csv is not UTF-8 text (byte 0xb0 at position 271): save it as "
    "'CSV UTF-8'.",
    "csv_no_header": "observations.csv has no header row: expected columns patient_id, time, "
    "parameter, value, unit; the first line reads "
    "'P001,2026-03-02T07:40:00-05:00,sbp,118,mmHg'.",
    "csv_missing_file": "doses.csv is missing: the CSV input needs all three of patients.csv, "
    "doses.csv and observations.csv.",
    "csv_duplicate_column": "observations.csv has a malformed header row: the column unit "
    "appears more than once.",
    "csv_utf16": "observations.csv is UTF-16 text, not UTF-8: save it as 'CSV UTF-8'.",
    "csv_header_only": "patients.csv holds no patient (only a header, or nothing to read): an "
    "empty export is not loaded as an empty ward.",
}


def test_every_bad_fixture_is_covered_by_a_stated_message(fixtures):
    on_disk = {p.name for p in (fixtures / "bad").iterdir() if p.name.startswith("csv_")}
    assert on_disk == set(ROW_PROBLEMS) | set(FILE_PROBLEMS)


@pytest.mark.parametrize("fixture", sorted(ROW_PROBLEMS))
def test_bad_rows_are_all_listed_with_file_row_column_and_reason(fixture):
    with pytest.raises(DataValidationError) as raised:
        load_ward(FIXTURES / "bad" / fixture, WARD_ZONE)
    assert [str(p) for p in raised.value.problems] == ROW_PROBLEMS[fixture]


@pytest.mark.parametrize("fixture", sorted(FILE_PROBLEMS))
def test_unreadable_files_get_one_clear_sentence(fixture):
    with pytest.raises(InputFileError) as raised:
        load_ward(FIXTURES / "bad" / fixture, WARD_ZONE)
    assert str(raised.value) == FILE_PROBLEMS[fixture]


@pytest.mark.parametrize("fixture", sorted([*ROW_PROBLEMS, *FILE_PROBLEMS]))
def test_the_command_line_prints_the_problems_and_exits_2_without_a_traceback(fixture, capsys):
    code = main(["check", str(FIXTURES / "bad" / fixture), "--timezone", WARD_ZONE])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err
    expected = ROW_PROBLEMS.get(fixture) or [FILE_PROBLEMS[fixture]]
    for line in expected:
        assert line in captured.err


def test_the_command_line_reads_a_good_set_and_exits_0(capsys):
    assert main(["check", str(GOOD), "--timezone", WARD_ZONE]) == 0
    assert "2 patients, 4 doses, 10 observations" in capsys.readouterr().out


def test_going_on_loads_the_valid_rows_and_keeps_the_refused_ones_in_the_report():
    ward = load_ward(FIXTURES / "bad" / "csv_out_of_range", WARD_ZONE, keep_going=True)
    assert ward.counts()["observations"] == 9  # 10 good readings, the typing error refused
    refused = ward.report.refused_rows
    assert list(
        refused[["table", "parameter", "value", "source_row"]].itertuples(index=False, name=None)
    ) == [("observations", "sbp", "900", 2)]
    assert [str(p) for p in ward.report.problems] == ROW_PROBLEMS["csv_out_of_range"]


def test_a_refused_patient_takes_its_rows_with_it_but_they_are_listed_not_lost():
    ward = load_ward(FIXTURES / "bad" / "csv_missing_weight", WARD_ZONE, keep_going=True)
    assert set(ward.patients["patient_id"]) == {"P002"}
    refused = ward.report.refused_rows
    assert (refused["patient_id"] == "P001").sum() == 1 + 3 + 8  # patient, doses, observations


def test_uploaded_files_load_like_a_folder():
    uploads = [InputFile(p.name, p.read_bytes()) for p in sorted(GOOD.iterdir())]
    assert load_ward(uploads, WARD_ZONE).counts() == load_ward(GOOD, WARD_ZONE).counts()


class _Upload:
    """What Streamlit's file uploader hands over: a name and the bytes."""

    def __init__(self, path):
        self.name = path.name
        self._data = path.read_bytes()

    def getvalue(self) -> bytes:
        return self._data


def test_streamlit_style_upload_objects_are_accepted():
    uploads = [_Upload(p) for p in sorted(GOOD.iterdir())]
    assert load_ward(uploads, WARD_ZONE).counts()["observations"] == 10


def test_blank_lines_are_ignored_and_do_not_shift_row_numbers(tmp_path):
    for p in GOOD.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    text = (GOOD / "observations.csv").read_text(encoding="utf-8").splitlines()
    text.insert(2, "")  # a blank line after the first data row
    text[5] = text[5].replace(",84,mmHg", ",840,mmHg")  # row 6 as a spreadsheet shows it
    (tmp_path / "observations.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as raised:
        load_ward(tmp_path, WARD_ZONE)
    assert [(p.row, p.column) for p in raised.value.problems] == [(6, "value")]


def test_a_per_dose_sheet_with_patients_csv_beside_it_is_not_taken_for_the_three_csvs(fixtures):
    ward = load_ward(fixtures / "good" / "per_dose_with_patients", WARD_ZONE)
    assert ward.counts()["patients"] >= 1
    assert "patients.csv" in ward.report.files


def test_an_observations_file_with_only_its_header_loads_no_observations(tmp_path):
    for p in GOOD.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "observations.csv").write_text(
        "patient_id,time,parameter,value,unit\n", encoding="utf-8"
    )
    ward = load_ward(tmp_path, WARD_ZONE)
    assert ward.counts() == {"patients": 2, "doses": 4, "observations": 0}


def _ward_with_observations(tmp_path, rows: list[str]):
    for p in GOOD.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "observations.csv").write_text(
        "\n".join(["patient_id,time,parameter,value,unit", *rows]) + "\n", encoding="utf-8"
    )
    return tmp_path


def test_an_event_charted_twice_among_others_at_one_time_is_one_event(tmp_path):
    # Two seizures at one time would count as "two or more seizures in the course".
    folder = _ward_with_observations(
        tmp_path,
        [
            "P001,2026-03-02T12:05:00-05:00,event,seizure,",
            "P001,2026-03-02T12:05:00-05:00,event,coma,",
            "P001,2026-03-02T12:05:00-05:00,event,seizure,",
        ],
    )
    ward = load_ward(folder, WARD_ZONE)
    assert sorted(ward.observations["code"]) == ["coma", "seizure"]
    assert ward.report.merged_duplicates == 1


def test_a_reading_repeated_around_a_different_one_is_a_clash_of_all_three(tmp_path):
    folder = _ward_with_observations(
        tmp_path,
        [
            "P001,2026-03-02T12:05:00-05:00,sbp,84,mmHg",
            "P001,2026-03-02T12:05:00-05:00,sbp,94,mmHg",
            "P001,2026-03-02T12:05:00-05:00,sbp,84,mmHg",
        ],
    )
    with pytest.raises(DataValidationError) as raised:
        load_ward(folder, WARD_ZONE)
    assert [str(p) for p in raised.value.problems] == [
        "observations.csv, row 2, column value: sbp 84 mmHg conflicts with a different value "
        "at the same time in row 3",
        "observations.csv, row 3, column value: sbp 94 mmHg conflicts with a different value "
        "at the same time in row 2",
    ]  # row 4 repeats row 2 exactly: merged into it, and the clash is between rows 2 and 3


def test_the_same_reading_in_two_units_is_one_reading(tmp_path):
    folder = _ward_with_observations(
        tmp_path,
        [
            "P002,2026-03-02T06:00:00-05:00,creatinine,1.5,mg/dL",
            "P002,2026-03-02T06:00:00-05:00,creatinine,132.6,umol/L",  # 132.6 / 88.4 = 1.5
        ],
    )
    ward = load_ward(folder, WARD_ZONE)
    assert len(ward.observations) == 1
    assert ward.report.merged_duplicates == 1


def test_one_reading_typed_in_two_units_is_merged_within_the_precision_typed(tmp_path):
    # 212 umol/L = 2.3982 mg/dL: typed as 2.398 mg/dL it is the same reading; 2.5 is not.
    folder = _ward_with_observations(
        tmp_path,
        [
            "P002,2026-03-02T06:00:00-05:00,creatinine,212,umol/L",
            "P002,2026-03-02T06:00:00-05:00,creatinine,2.398,mg/dL",
        ],
    )
    ward = load_ward(folder, WARD_ZONE)
    assert len(ward.observations) == 1
    assert ward.observations["recorded_value"].tolist() == ["212"]  # the first row is kept
    assert ward.report.merged_duplicates == 1
    folder = _ward_with_observations(
        tmp_path,
        [
            "P002,2026-03-02T06:00:00-05:00,creatinine,212,umol/L",
            "P002,2026-03-02T06:00:00-05:00,creatinine,2.5,mg/dL",
        ],
    )
    with pytest.raises(DataValidationError) as caught:
        load_ward(folder, WARD_ZONE)
    assert [p.reason for p in caught.value.problems] == [
        "creatinine 212 umol/L conflicts with a different value at the same time in row 3",
        "creatinine 2.5 mg/dL conflicts with a different value at the same time in row 2",
    ]
