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


# -- the boundary: what a workbook holds is read whole, or refused by name -------------------


def test_a_formula_without_a_stored_result_is_refused_naming_its_cell(tmp_path):
    # An event written as a formula that was never calculated: a reader of stored values
    # sees an empty cell, and the discontinuing event would vanish.
    observations = [*OBSERVATIONS,
                    ["P001", dt.datetime(2026, 3, 2, 16), "event",
                     '=IF(1>0,"ecg_ischemia","")', None]]  # fmt: skip
    file = workbook(tmp_path, patients=PATIENTS, doses=DOSES, observations=observations)
    with pytest.raises(DataValidationError) as caught:
        load_ward(file, "UTC")
    assert [str(p) for p in caught.value.problems] == [
        "ward.xlsx [observations], row 5, column value: cell D5 holds a formula without a "
        "stored result (the workbook was saved without calculating it): type the value, or "
        "open and save the workbook in Excel"
    ]
    kept = load_ward(file, "UTC", keep_going=True)
    assert kept.counts()["observations"] == 3  # the three rows without a formula
    assert [p.row for p in kept.report.problems] == [5]


def test_an_extra_sheet_with_data_is_refused_by_name(tmp_path):
    extra = [OBSERVATIONS[0], ["P001", dt.datetime(2026, 3, 2, 9), "sbp", 70, "mmHg"]]
    file = workbook(
        tmp_path, patients=PATIENTS, doses=DOSES, observations=OBSERVATIONS, observations2=extra
    )
    assert one_sentence(file) == (
        "ward.xlsx has data in sheet(s) 'observations2' that this monitor would not read (it "
        "reads 'patients', 'doses', 'observations'): move those rows into the sheets it reads, "
        "or delete the extra sheets."
    )
    empty_extra = workbook(
        tmp_path, patients=PATIENTS, doses=DOSES, observations=OBSERVATIONS, notes=[]
    )
    assert load_ward(empty_extra, "UTC").counts()["observations"] == 3


def test_a_second_per_dose_sheet_is_refused_by_name(tmp_path):
    checklist = [
        ["patient_id", "cycle", "dose_number", "time", "status", "sbp"],
        ["P001", 1, 1, dt.datetime(2026, 3, 2, 7, 30), "given", 118],
    ]
    file = workbook(tmp_path, patients=PATIENTS, checklist=checklist, checklist_2=checklist)
    assert "data in sheet(s) 'checklist_2' that this monitor would not read" in one_sentence(file)


def test_a_cell_far_outside_the_table_is_refused_before_it_is_read(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "observations"
    for row in OBSERVATIONS:
        sheet.append(row)
    sheet["XFD1048576"] = "x"  # a dense reader would allocate 17 billion cells and die
    path = tmp_path / "far.xlsx"
    book.save(path)
    assert one_sentence(InputFile("far.xlsx", path.read_bytes())) == (
        "far.xlsx [observations] has a cell as far as XFD1048576, beyond any table this "
        "monitor reads (at most 500 columns and 20,000,000 cells): delete what is there, or "
        "copy the table to a new sheet."
    )


def test_a_workbook_that_unpacks_beyond_the_cap_is_refused(tmp_path, monkeypatch):
    from dashboard.loading import xlsx_package

    file = workbook(tmp_path, patients=PATIENTS, doses=DOSES, observations=OBSERVATIONS)
    monkeypatch.setattr(xlsx_package, "MAX_UNPACKED_BYTES", 4096)  # the mechanism, small
    message = one_sentence(file)
    assert message.startswith("ward.xlsx unpacks to ")
    assert "more than the 0 MiB an Excel input may hold" in message


def test_a_date_only_cell_is_refused_as_a_time_like_the_same_text_typed(tmp_path):
    observations = [OBSERVATIONS[0], ["P001", dt.date(2026, 3, 2), "sbp", 118, "mmHg"]]
    date_cell = workbook(tmp_path, patients=PATIENTS, doses=DOSES, observations=observations)
    observations[1][1] = "2026-03-02"
    typed = workbook(
        tmp_path, name="typed.xlsx", patients=PATIENTS, doses=DOSES, observations=observations
    )
    reasons = []
    for file in (date_cell, typed):
        with pytest.raises(DataValidationError) as caught:
            load_ward(file, "UTC")
        (problem,) = caught.value.problems
        assert (problem.row, problem.column) == (2, "time")
        reasons.append(problem.reason)
    assert reasons[0] == reasons[1]
