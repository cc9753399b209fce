"""The per-dose sheet (data-contract section 3.2), read as a spec.

A small sheet in, the canonical rows or the exact messages out. Naive times in the
fixtures are ward time (New York); expected times are written in UTC.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.errors import DataValidationError, InputFileError
from dashboard.loading import InputFile, load_ward, validate_raw_tables
from dashboard.loading.export import write_per_dose_sheet
from dashboard.loading.per_dose_sheet import read_per_dose_csv
from tests.conftest import FIXTURES, WARD_ZONE
from tests.scenarios import course, obs, patient, ward

GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def sheet(text: str, name: str = "sheet.csv") -> InputFile:
    return InputFile(name, text.encode("utf-8"))


def load_sheet(text: str, patients: str | None = None, zone: str = "UTC"):
    patients_file = sheet(patients, "patients.csv") if patients else None
    raw = read_per_dose_csv(sheet(text), patients_file)
    return validate_raw_tables(raw, zone)


def problems_of(text: str, patients: str | None = None) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        load_sheet(text, patients)
    return [str(p) for p in caught.value.problems]


def value(ward_data, patient_id: str, parameter: str, time: str) -> float | str:
    o = ward_data.observations
    row = o[(o.patient_id == patient_id) & (o.parameter == parameter) & (o.time == utc(time))]
    assert len(row) == 1, row
    return row["code"].iat[0] if row["code"].iat[0] is not None else row["value"].iat[0]


@pytest.fixture(scope="module")
def good_sheet():
    return load_ward(GOOD / "per_dose_sheet" / "checklist.csv", WARD_ZONE)


# -- the good sheet ------------------------------------------------------------------------


def test_each_charted_cell_becomes_one_observation_at_the_rows_time(good_sheet):
    # 3 rows of P001 and 1 of P002; empty cells are "not charted", not problems.
    assert good_sheet.counts() == {"patients": 2, "doses": 4, "observations": 26}
    assert value(good_sheet, "P001", "sbp", "2026-03-02 12:30") == 118  # 07:30 EST
    assert value(good_sheet, "P001", "heart_rate", "2026-03-03 04:30") == 121


def test_units_in_brackets_are_converted_and_the_typed_value_kept(good_sheet):
    assert value(good_sheet, "P001", "temperature", "2026-03-03 04:30") == pytest.approx(38.5)
    assert value(good_sheet, "P001", "weight", "2026-03-02 12:30") == pytest.approx(
        176.4 * 0.45359237
    )
    assert value(good_sheet, "P001", "creatinine", "2026-03-03 04:30") == pytest.approx(150 / 88.4)
    o = good_sheet.observations
    creatinine = o[(o.parameter == "creatinine")].iloc[-1]
    assert (creatinine["recorded_value"], creatinine["recorded_unit"]) == ("150", "umol/L")
    sbp = o[(o.parameter == "sbp")].iloc[0]
    assert (sbp["unit"], sbp["recorded_unit"]) == ("mm[Hg]", "")  # no bracket: canonical


def test_categorical_cells_are_codes_and_events_split_on_semicolons(good_sheet):
    assert value(good_sheet, "P001", "mental_status", "2026-03-03 04:30") == "mild"
    o = good_sheet.observations
    events = o[(o.parameter == "event")].sort_values("code")
    assert list(events["code"]) == ["chest_pain", "fluid_bolus"]
    assert list(events["source_row"]) == [4, 4]
    assert math.isnan(events["value"].iat[0])


def test_doses_come_one_per_row_with_the_rows_time_as_given_time(good_sheet):
    doses = good_sheet.doses.set_index(["patient_id", "dose_number"])
    held = doses.loc[("P001", 3)]
    assert (held["status"], held["reason"]) == ("held", "hypotension")
    assert held["scheduled_time"] == utc("2026-03-03 04:30")
    assert pd.isna(held["administered_time"])
    first = doses.loc[("P001", 1)]
    assert first["administered_time"] == utc("2026-03-02 12:30")
    assert (
        "checklist.csv: 3 given dose(s) have no administered_time: the row's time was taken as "
        "the time the dose was given" in good_sheet.report.notices
    )


def test_baselines_come_from_each_patients_first_row_in_kg_and_mg_dl(good_sheet):
    patients = good_sheet.patients.set_index("patient_id")
    assert patients.loc["P001", "baseline_weight_kg"] == pytest.approx(176.4 * 0.45359237)
    assert patients.loc["P001", "baseline_creatinine_mg_dl"] == pytest.approx(1.0)
    assert patients.loc["P002", "baseline_weight_kg"] == pytest.approx(154.3 * 0.45359237)
    assert math.isnan(patients.loc["P002", "baseline_creatinine_mg_dl"])
    assert any("taken from that patient's first row" in n for n in good_sheet.report.notices)


def test_a_patients_file_beside_the_sheet_gives_the_baselines():
    folder = GOOD / "per_dose_with_patients"
    raw = read_per_dose_csv(
        InputFile("checklist.csv", (folder / "checklist.csv").read_bytes()),
        InputFile("patients.csv", (folder / "patients.csv").read_bytes()),
    )
    loaded = validate_raw_tables(raw, WARD_ZONE)
    assert loaded.patients.loc[0, "baseline_weight_kg"] == 82.5
    assert loaded.patients.loc[0, "name"] == "Test, Alpha"
    doses = loaded.doses.set_index("dose_number")
    assert doses.loc[1, "scheduled_time"] == utc("2026-03-02 13:00")
    assert doses.loc[1, "administered_time"] == utc("2026-03-02 13:12")
    assert doses.loc[2, "status"] == "held"
    assert not any("first row" in n for n in loaded.report.notices)


def test_a_given_dose_with_its_own_administered_time_gets_no_notice():
    loaded = load_sheet(
        "patient_id,cycle,dose_number,time,status,administered_time,weight\n"
        "P1,1,1,2026-03-02T07:30,given,2026-03-02T08:05,80\n"
    )
    assert loaded.doses.loc[0, "administered_time"] == utc("2026-03-02 08:05")
    assert not any("administered_time" in n for n in loaded.report.notices)


# -- bad sheets ----------------------------------------------------------------------------


def test_a_misspelt_parameter_column_is_refused_with_the_closest_name():
    with pytest.raises(DataValidationError) as caught:
        load_ward(BAD / "sheet_misspelt_column.csv", WARD_ZONE)
    assert [str(p) for p in caught.value.problems] == [
        "sheet_misspelt_column.csv, row 1, column creatinin: 'creatinin' is not a known "
        "parameter; did you mean 'creatinine'?"
    ]


def test_an_unknown_column_lists_what_a_column_may_be():
    (message,) = problems_of(
        "patient_id,cycle,dose_number,time,status,weight,nurse\n"
        "P1,1,1,2026-03-02T07:30,given,80,Ann\n"
    )
    assert message.startswith(
        "sheet.csv, row 1, column nurse: 'nurse' is neither a dose column (patient_id, cycle, "
        "dose_number, time, status, administered_time, scheduled_time, reason, dose_iu_per_kg) "
        "nor a known parameter (sbp, dbp,"
    )


def test_a_unit_in_brackets_that_is_not_the_parameters_is_refused_once_on_the_header():
    assert problems_of(
        "patient_id,cycle,dose_number,time,status,weight,creatinine [mg/dl/h],mental_status [%]\n"
        "P1,1,1,2026-03-02T07:30,given,80,1.0,normal\n"
        "P1,1,2,2026-03-02T15:30,given,80,1.1,normal\n"
    ) == [
        "sheet.csv, row 1, column creatinine [mg/dl/h]: 'mg/dl/h' is not a unit of creatinine "
        "(accepted: mg/dL, umol/L)",
        "sheet.csv, row 1, column mental_status [%]: mental_status is categorical and takes "
        "no unit",
    ]


def test_out_of_range_values_name_the_sheets_column_and_row():
    with pytest.raises(DataValidationError) as caught:
        load_ward(BAD / "sheet_out_of_range.csv", WARD_ZONE)
    located = [(p.file, p.row, p.column) for p in caught.value.problems]
    assert located == [
        ("sheet_out_of_range.csv", 3, "creatinine [umol/L]"),
        ("sheet_out_of_range.csv", 3, "sbp"),
    ]
    reasons = [p.reason for p in caught.value.problems]
    assert all("outside the plausible range" in r for r in reasons)
    assert "4000 umol/L (45.25 mg/dL)" in reasons[0]


def test_a_bad_code_and_a_bad_number_are_quoted_as_typed():
    problems = problems_of(
        "patient_id,cycle,dose_number,time,status,weight,sbp,mental_status,event\n"
        "P1,1,1,2026-03-02T07:30,given,80,1l8,confused,seizure;fit\n"
    )
    assert problems == [
        "sheet.csv, row 2, column event: 'fit' is not a code of event (codes: ecg_ischemia, "
        "chest_pain, cardiac_tamponade, seizure, coma, toxic_psychosis, dialysis, sepsis, "
        "hepatic_failure, bowel_ischemia, bowel_perforation, gi_bleed_surgery, "
        "bullous_dermatitis, fluid_bolus)",
        "sheet.csv, row 2, column mental_status: 'confused' is not a code of mental_status "
        "(codes: normal, mild, moderate, severe)",
        "sheet.csv, row 2, column sbp: '1l8' is not a number (a sbp value)",
    ]


def test_a_first_row_without_weight_is_a_problem_on_that_row_and_column():
    with pytest.raises(DataValidationError) as caught:
        load_ward(BAD / "sheet_first_row_without_weight.csv", WARD_ZONE)
    (first,) = [p for p in caught.value.problems if p.row is not None]
    assert (first.file, first.row) == ("sheet_first_row_without_weight.csv", 2)
    assert first.column.startswith("weight (the baseline, taken from the patient's first row")
    assert first.reason == "a value is required"


def test_a_missing_dose_column_is_named():
    problems = problems_of(
        "patient_id,cycle,time,status,weight,creatinin\n"
        "P1,1,2026-03-02T07:30,given,80,1.1\n"
        "P1,1,2026-03-02T15:30,given,80,1.2\n"
    )
    assert problems == [
        "sheet.csv, row 1, column creatinin: 'creatinin' is not a known parameter; did you "
        "mean 'creatinine'?",
        "sheet.csv, row 1, column dose_number: required column is missing",
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "sheet.csv is empty: expected a header row"),
        (b"\x00\x01\x02binary", "sheet.csv is not a text file (it holds binary data"),
        (
            b"patient_id;cycle;dose_number;time;status\nP1;1;1;2026-03-02T07:30;given\n",
            "sheet.csv separates its columns with semicolons",
        ),
    ],
)
def test_a_file_that_is_not_a_sheet_gets_one_sentence(data, expected):
    with pytest.raises(InputFileError) as caught:
        load_ward(InputFile("sheet.csv", data), "UTC")
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


# -- round trip ----------------------------------------------------------------------------


def course_with_observations():
    readings = [
        ("2026-03-02 07:00", "sbp", 121),
        ("2026-03-02 07:00", "dbp", 74),
        ("2026-03-02 07:00", "weight", 80.0),
        ("2026-03-02 07:00", "creatinine", 0.9),
        ("2026-03-02 07:00", "temperature", 36.8),
        ("2026-03-02 07:00", "urine_output", 400),
        ("2026-03-02 07:00", "mental_status", "normal"),
        ("2026-03-02 15:00", "sbp", 96),
        ("2026-03-02 15:00", "creatinine", 1.37),
        ("2026-03-02 15:00", "temperature", 38.9),
        ("2026-03-02 15:00", "urine_output", 150),
        ("2026-03-02 15:00", "phenylephrine", 0.4),
        ("2026-03-02 15:00", "event", "fluid_bolus"),
        ("2026-03-02 15:00", "event", "chest_pain"),
        ("2026-03-02 23:30", "sbp", 84),
        ("2026-03-02 23:30", "mental_status", "mild"),
    ]
    return ward(
        [patient("P1", weight=80.0, creatinine=0.9)],
        course("P1", "2026-03-02 08:00", given=2, held=(3,), doses=4),
        [obs("P1", time, parameter, v) for time, parameter, v in readings],
    )


def canonical(observations: pd.DataFrame) -> pd.DataFrame:
    return (
        observations[["patient_id", "time", "parameter", "value", "code"]]
        .sort_values(["time", "parameter", "code"])
        .reset_index(drop=True)
    )


@pytest.mark.parametrize(
    "units", [None, {"creatinine": "umol/L", "temperature": "[degF]", "weight": "lb"}]
)
def test_a_written_sheet_reads_back_as_the_same_observations(tmp_path, units):
    original = course_with_observations()
    path = write_per_dose_sheet(
        original.patients, original.doses, original.observations, "P1",
        tmp_path / "P1.csv", units=units,
    )  # fmt: skip
    loaded = load_ward(path, "UTC")
    before, after = canonical(original.observations), canonical(loaded.observations)
    pd.testing.assert_frame_equal(
        before.drop(columns="value"), after.drop(columns="value"), check_dtype=False
    )
    assert (before["value"].fillna(0) - after["value"].fillna(0)).abs().max() < 1e-9
    doses = loaded.doses[["cycle", "dose_number", "scheduled_time", "status", "administered_time"]]
    pd.testing.assert_frame_equal(
        doses.reset_index(drop=True),
        original.doses[doses.columns].reset_index(drop=True),
        check_dtype=False,
    )
    assert loaded.patients.loc[0, "baseline_weight_kg"] == pytest.approx(80.0, abs=1e-9)


def test_the_sheet_sums_urine_since_the_previous_dose_and_is_reproducible(tmp_path):
    original = course_with_observations()
    extra = ward(
        [],
        [],
        [
            obs("P1", "2026-03-02 12:00", "urine_output", 100),
            obs("P1", "2026-03-02 12:00", "sbp", 99),
        ],
    ).observations
    observations = pd.concat([original.observations, extra], ignore_index=True)
    first = write_per_dose_sheet(
        original.patients, original.doses, observations, "P1", tmp_path / "a.csv"
    )
    second = write_per_dose_sheet(
        original.patients, original.doses, observations, "P1", tmp_path / "b.csv"
    )
    assert first.read_bytes() == second.read_bytes()
    loaded = load_ward(first, "UTC")
    assert value(loaded, "P1", "urine_output", "2026-03-02 15:00") == 250  # 100 + 150
    assert value(loaded, "P1", "sbp", "2026-03-02 15:00") == 96  # the latest, not 99
