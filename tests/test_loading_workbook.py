"""Excel input (data-contract sections 3.2 and 3.4), read as a spec.

Workbooks are built here with openpyxl in tmp_path, so no binary file is committed: each
test shows the cells it types.
"""

from __future__ import annotations

import datetime as dt
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from dashboard.errors import DataValidationError, InputFileError
from dashboard.loading import InputFile, load_ward
from dashboard.loading.workbook import cell_text
from tests.conftest import FIXTURES

PATIENTS = [
    ["patient_id", "name", "bed", "indication", "protocol", "baseline_weight_kg",
     "baseline_creatinine_mg_dl", "target_sbp_mmhg"],
    ["P001", "Test, Alpha", 12, "melanoma", None, 82.5, 0.9, None],
]  # fmt: skip
DOSES = [
    ["patient_id", "cycle", "dose_number", "scheduled_time", "status", "administered_time",
     "dose_iu_per_kg", "reason"],
    ["P001", 1, 1, dt.datetime(2026, 3, 2, 8), "given", dt.datetime(2026, 3, 2, 8, 10), 600000,
     None],
    ["P001", 1, 2, dt.datetime(2026, 3, 2, 16), "held", None, None, "hypotension"],
]  # fmt: skip
OBSERVATIONS = [
    ["patient_id", "time", "parameter", "value", "unit"],
    ["P001", dt.datetime(2026, 3, 2, 7, 30), "sbp", 118, "mmHg"],
    ["P001", dt.datetime(2026, 3, 2, 7, 30), "creatinine", 106.08, "umol/L"],
    ["P001", dt.datetime(2026, 3, 2, 15, 30), "mental_status", "Mild", None],
]  # fmt: skip


def workbook(tmp_path, name: str = "ward.xlsx", **sheets: list[list]) -> InputFile:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return InputFile(name, path.read_bytes())


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_a_workbook_of_three_sheets_becomes_the_canonical_tables(tmp_path):
    file = workbook(tmp_path, patients=PATIENTS, doses=DOSES, observations=OBSERVATIONS)
    loaded = load_ward(file, "UTC")
    assert loaded.counts() == {"patients": 1, "doses": 2, "observations": 3}
    obs = loaded.observations.set_index("parameter")
    assert obs.loc["creatinine", "value"] == pytest.approx(1.2)
    assert obs.loc["creatinine", "recorded_value"] == "106.08"
    assert obs.loc["sbp", "recorded_value"] == "118"  # not "118.0"
    assert obs.loc["sbp", "time"] == utc("2026-03-02 07:30")
    assert obs.loc["mental_status", "code"] == "mild"
    assert loaded.doses.loc[0, "administered_time"] == utc("2026-03-02 08:10")
    assert loaded.doses.loc[1, "reason"] == "hypotension"
    assert loaded.observations["source"].iloc[0] == "ward.xlsx [observations]"


def test_problems_name_the_sheet_and_the_excel_row(tmp_path):
    observations = [*OBSERVATIONS, ["P001", dt.datetime(2026, 3, 2, 16), "sbp", 900, "mmHg"]]
    file = workbook(tmp_path, patients=PATIENTS, doses=DOSES, observations=observations)
    with pytest.raises(DataValidationError) as caught:
        load_ward(file, "UTC")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("ward.xlsx [observations]", 5, "value")


def test_a_blank_row_keeps_the_excel_row_numbers_of_the_rows_after_it(tmp_path):
    observations = [*OBSERVATIONS[:2], [None] * 5, ["P001", "yesterday", "sbp", 120, "mmHg"]]
    file = workbook(tmp_path, patients=PATIENTS, doses=DOSES, observations=observations)
    with pytest.raises(DataValidationError) as caught:
        load_ward(file, "UTC")
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "time")]


def test_a_value_under_no_header_is_reported_not_dropped(tmp_path):
    observations = [*OBSERVATIONS[:2], ["P001", dt.datetime(2026, 3, 2, 9), "sbp", 120, "mmHg",
                                        "see note"]]  # fmt: skip
    file = workbook(tmp_path, patients=PATIENTS, doses=DOSES, observations=observations)
    with pytest.raises(DataValidationError) as caught:
        load_ward(file, "UTC")
    assert [str(p) for p in caught.value.problems] == [
        "ward.xlsx [observations], row 3, column F: 'see note' is in a column without a header"
    ]


def test_a_per_dose_workbook_with_a_patients_sheet(tmp_path):
    checklist = [
        ["patient_id", "cycle", "dose_number", "time", "status", "sbp", "creatinine [umol/L]",
         "event"],
        ["P001", 1, 1, dt.datetime(2026, 3, 2, 7, 30), "given", 118, 88.4, None],
        ["P001", 1, 2, dt.datetime(2026, 3, 2, 15, 30), "held", 86, 4000, "seizure;coma"],
    ]  # fmt: skip
    file = workbook(tmp_path, patients=PATIENTS, checklist=checklist)
    with pytest.raises(DataValidationError) as caught:
        load_ward(file, "UTC")
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [
        ("ward.xlsx [checklist]", 3, "creatinine [umol/L]")
    ]
    checklist[2][6] = 150
    loaded = load_ward(workbook(tmp_path, patients=PATIENTS, checklist=checklist), "UTC")
    assert loaded.patients.loc[0, "baseline_weight_kg"] == 82.5  # from the patients sheet
    assert sorted(loaded.observations.loc[loaded.observations.parameter == "event", "code"]) == [
        "coma",
        "seizure",
    ]
    assert loaded.doses.loc[0, "administered_time"] == utc("2026-03-02 07:30")


def test_a_single_sheet_per_dose_workbook_takes_baselines_from_first_rows(tmp_path):
    sheet = [
        ["patient_id", "cycle", "dose_number", "time", "status", "weight [lb]"],
        ["P7", 1, 1, dt.datetime(2026, 3, 2, 7, 30), "given", 176.4],
    ]
    loaded = load_ward(workbook(tmp_path, Sheet1=sheet), "UTC")
    assert loaded.patients.loc[0, "baseline_weight_kg"] == pytest.approx(176.4 * 0.45359237)


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (None, ""),
        (2.0, "2"),
        (1.1, "1.1"),
        (600000, "600000"),
        (dt.datetime(2026, 3, 2, 7, 30), "2026-03-02T07:30:00"),
        (dt.datetime(2026, 3, 2, 7, 30, tzinfo=dt.UTC), "2026-03-02T07:30:00+00:00"),
        (dt.date(2026, 3, 2), "2026-03-02"),
        ("Mild ", "Mild "),
    ],
)
def test_cells_are_read_as_the_text_they_show(cell, text):
    assert cell_text(cell) == text


# -- files that are not workbooks ----------------------------------------------------------


def one_sentence(file: InputFile) -> str:
    with pytest.raises(InputFileError) as caught:
        load_ward(file, "UTC")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_renamed_csv_is_not_a_workbook():
    path = FIXTURES / "bad" / "workbook_renamed_csv.xlsx"
    assert one_sentence(InputFile(path.name, path.read_bytes())) == (
        "workbook_renamed_csv.xlsx is not an Excel workbook: it is a text file (it starts "
        "'patient_id,cycle,dose_number,time,status,sbp'), perhaps a CSV renamed to .xlsx; give "
        "it its real name (.csv)."
    )


def test_a_damaged_or_foreign_zip_is_not_a_workbook(tmp_path):
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert one_sentence(InputFile("ward.xlsx", path.read_bytes())).startswith(
        "ward.xlsx cannot be opened as an Excel workbook (.xlsx): it is damaged or another "
        "kind of zip file"
    )
    truncated = workbook(tmp_path, patients=PATIENTS).data[:200]
    assert one_sentence(InputFile("ward.xlsx", truncated)).startswith(
        "ward.xlsx cannot be opened as an Excel workbook"
    )


def test_an_empty_file_and_an_old_xls(tmp_path):
    assert one_sentence(InputFile("ward.xlsx", b"")) == (
        "ward.xlsx is empty: expected an Excel workbook (.xlsx)."
    )
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert one_sentence(InputFile("ward.xlsx", old)) == (
        "ward.xlsx is not an Excel workbook: it is an old Excel 97-2003 (.xls) file; save it "
        "as .xlsx."
    )


def test_a_workbook_missing_a_sheet_names_it(tmp_path):
    file = workbook(tmp_path, patients=PATIENTS, observations=OBSERVATIONS)
    assert one_sentence(file) == (
        "ward.xlsx has no sheet named 'doses': a workbook of tables needs the sheets patients, "
        "doses and observations (it has 'patients', 'observations')."
    )


def test_an_empty_sheet_is_named(tmp_path):
    file = workbook(tmp_path, patients=PATIENTS, doses=[], observations=OBSERVATIONS)
    assert one_sentence(file) == (
        "ward.xlsx [doses] is empty: its first row must hold the column names."
    )
