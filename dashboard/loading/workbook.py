"""Excel input: shape 4 (sheets patients, doses, observations) or a per-dose sheet (shape 2).

Every cell is read as text, exactly as Excel holds it, so that validation quotes what was
typed: a date-time becomes ISO 8601 (without an offset: Excel has no time zones, so it is
ward time), a whole number loses Excel's spurious ``.0``, an empty cell is "". Rows keep
their Excel row number, the one a person sees at the left of the sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pandas as pd

from dashboard.errors import InputFileError, Problem
from dashboard.loading.per_dose_sheet import NamedTable, read_per_dose_frame
from dashboard.loading.raw import InputFile, RawTables
from dashboard.loading.text_table import read_text_table
from dashboard.tables import PATIENT_INPUT_COLUMNS

TABLE_SHEETS = ("patients", "doses", "observations")
# A sheet named like this is the per-dose sheet when the workbook has several sheets.
_PER_DOSE_NAME = re.compile(r"per[\s_-]*dose|checklist|dose[\s_-]*sheet", re.IGNORECASE)


def read_excel_input(file: InputFile, patients: InputFile | None = None) -> RawTables:
    """Read an Excel workbook of either shape into raw tables (all text, Excel row numbers)."""
    workbook = _open_workbook(file)
    try:
        sheets = {ws.title.strip().lower(): ws for ws in workbook.worksheets}
        if any(name in sheets for name in ("doses", "observations")):
            return _read_table_sheets(file.name, sheets)
        return _read_per_dose_workbook(file.name, sheets, patients)
    finally:
        workbook.close()


def _open_workbook(file: InputFile):
    # openpyxl is imported here: only Excel input needs it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not file.data.strip():
        raise InputFileError(f"{file.name} is empty: expected an Excel workbook (.xlsx).")
    if not file.data.startswith(b"PK\x03\x04"):
        raise InputFileError(
            f"{file.name} is not an Excel workbook: {_what_it_looks_like(file.data)}"
        )
    try:
        return load_workbook(io.BytesIO(file.data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputFileError(
            f"{file.name} cannot be opened as an Excel workbook (.xlsx): it is damaged or "
            f"another kind of zip file ({type(exc).__name__})."
        ) from None


def _what_it_looks_like(data: bytes) -> str:
    head = data[:4096]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an old Excel 97-2003 (.xls) file; save it as .xlsx."
    if b"\x00" in head:
        return "it holds binary data of another kind; save the workbook as .xlsx."
    first_line = head.decode("utf-8", errors="replace").splitlines()[0][:60]
    return (
        f"it is a text file (it starts '{first_line}'), perhaps a CSV renamed to .xlsx; "
        "give it its real name (.csv)."
    )


def _read_table_sheets(file_name: str, sheets: dict) -> RawTables:
    """Shape 4: one sheet per canonical table, with the contract's column names."""
    missing = [name for name in TABLE_SHEETS if name not in sheets]
    if missing:
        raise InputFileError(
            f"{file_name} has no sheet named {', '.join(repr(m) for m in missing)}: a workbook "
            f"of tables needs the sheets patients, doses and observations "
            f"(it has {', '.join(repr(ws.title) for ws in sheets.values())})."
        )
    tables, problems, names = {}, [], {}
    for table in TABLE_SHEETS:
        name = sheet_label(file_name, table)
        frame, sheet_problems = read_sheet(sheets[table], name)
        tables[table] = frame
        problems.extend(sheet_problems)
        names[table] = name
    return RawTables(**tables, files=names, problems=problems)


def _read_per_dose_workbook(file_name: str, sheets: dict, patients: InputFile | None) -> RawTables:
    """Shape 2 in Excel: the per-dose sheet, and a patients sheet or CSV if there is one."""
    candidates = [name for name in sheets if name != "patients"]
    if not candidates:
        raise InputFileError(
            f"{file_name} holds only a 'patients' sheet: add the per-dose sheet, or the "
            "sheets doses and observations."
        )
    named = [name for name in candidates if _PER_DOSE_NAME.search(name)]
    sheet = sheets[named[0] if named else candidates[0]]
    label = sheet_label(file_name, sheet.title)
    frame, problems = read_sheet(sheet, label)
    patients_table = None
    if "patients" in sheets:
        patients_name = sheet_label(file_name, sheets["patients"].title)
        patients_frame, patient_problems = read_sheet(sheets["patients"], patients_name)
        problems.extend(patient_problems)
        patients_table = NamedTable(patients_frame, patients_name)
    elif patients is not None:
        patients_frame, patient_problems = read_text_table(
            patients.name, patients.data, list(PATIENT_INPUT_COLUMNS)
        )
        problems.extend(patient_problems)
        patients_table = NamedTable(patients_frame, patients.name)
    raw = read_per_dose_frame(frame, label, patients_table)
    raw.problems[:0] = problems
    return raw


def sheet_label(file_name: str, sheet: str) -> str:
    """How a sheet is named in messages: ``ward.xlsx [observations]``."""
    return f"{file_name} [{sheet}]"


def read_sheet(worksheet, label: str) -> tuple[pd.DataFrame, list[Problem]]:
    """A worksheet as a frame of strings plus ``source_row`` (the Excel row number).

    The header is row 1. Blank rows carry nothing and are left out; a value in a column
    without a header is reported, never dropped unseen.
    """
    rows = worksheet.iter_rows(values_only=True)
    header_cells = next(rows, None)
    header = [cell_text(c).strip() for c in header_cells or ()]
    if not any(header):
        raise InputFileError(f"{label} is empty: its first row must hold the column names.")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputFileError(
            f"{label} has the column {', '.join(repr(r) for r in repeated)} more than once "
            "in its header row."
        )
    problems: list[Problem] = []
    records, row_numbers = [], []
    for number, cells in enumerate(rows, start=2):
        texts = [cell_text(c) for c in cells]
        if not any(t.strip() for t in texts):
            continue
        texts = (texts + [""] * len(header))[: max(len(header), len(texts))]
        for position in range(len(texts)):
            if texts[position].strip() and (position >= len(header) or not header[position]):
                problems.append(
                    Problem(
                        label,
                        number,
                        _column_letter(position),
                        f"'{texts[position]}' is in a column without a header",
                    )
                )
        records.append(texts[: len(header)])
        row_numbers.append(number)
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame = frame.loc[:, [h != "" for h in header]]
    frame["source_row"] = pd.Series(row_numbers, dtype="int64")
    return frame, problems


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def cell_text(value) -> str:
    """One Excel cell as the text it shows, without the float noise of its storage."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        # Excel stores no time zone: a naive time is ward time, and stays without offset.
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
