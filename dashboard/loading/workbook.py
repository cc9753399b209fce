"""Excel input: shape 4 (sheets patients, doses, observations) or a per-dose sheet (shape 2).

Every cell is read as text, exactly as Excel holds it, so that validation quotes what was
typed: a date-time becomes ISO 8601 (without an offset: Excel has no time zones, so it is
ward time), a date alone stays a date (refused as a time, like the same text typed), a
whole number loses Excel's spurious ``.0``, an empty cell is "". Rows keep their Excel row
number, the one a person sees at the left of the sheet.

The package is inspected first (dashboard/loading/xlsx_package.py: size, reach of the
cells, formulas without a stored result); then python-calamine reads the stored values.
Every sheet with data must be one the monitor reads: a second per-dose sheet or an extra
observations sheet is refused by name, never ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass

import pandas as pd

from dashboard.errors import InputFileError, Problem
from dashboard.loading.per_dose_sheet import NamedTable, read_per_dose_frame
from dashboard.loading.raw import InputFile, RawTables
from dashboard.loading.text_table import read_text_table
from dashboard.loading.xlsx_package import (
    SheetFacts,
    column_letters,
    column_number,
    inspect_package,
)
from dashboard.tables import PATIENT_INPUT_COLUMNS

TABLE_SHEETS = ("patients", "doses", "observations")
# A sheet named like this is the per-dose sheet when the workbook has several sheets.
_PER_DOSE_NAME = re.compile(r"per[\s_-]*dose|checklist|dose[\s_-]*sheet", re.IGNORECASE)


@dataclass
class Sheet:
    """One worksheet: its title, its cells' reach and formulas, and a reader of its rows."""

    title: str
    facts: SheetFacts
    # python_calamine.CalamineWorkbook, imported only when Excel input is read
    workbook: CalamineWorkbook

    def rows(self):
        """(Excel row number, cells from column A) for each row of the used range."""
        sheet = self.workbook.get_sheet_by_name(self.title)
        start = sheet.start  # None only for an empty sheet
        first_row, first_column = start if sheet.height and start is not None else (0, 0)
        padding = [None] * first_column
        for offset, cells in enumerate(sheet.iter_rows()):
            yield first_row + offset + 1, padding + list(cells)


def read_excel_input(file: InputFile, patients: InputFile | None = None) -> RawTables:
    """Read an Excel workbook of either shape into raw tables (all text, Excel row numbers)."""
    workbook, facts = _open_workbook(file)
    try:
        sheets = {}
        for title in workbook.sheet_names:
            sheets[title.strip().lower()] = Sheet(
                title, facts.get(title, SheetFacts(title)), workbook
            )
        if any(name in sheets for name in ("doses", "observations")):
            return _read_table_sheets(file.name, sheets)
        return _read_per_dose_workbook(file.name, sheets, patients)
    finally:
        workbook.close()


def _open_workbook(file: InputFile):
    # python-calamine is imported here: only Excel input needs it.
    import python_calamine

    if not file.data.strip():
        raise InputFileError(f"{file.name} is empty: expected an Excel workbook (.xlsx).")
    if not file.data.startswith(b"PK\x03\x04"):
        raise InputFileError(
            f"{file.name} is not an Excel workbook: {_what_it_looks_like(file.data)}"
        )
    damaged = (
        f"{file.name} cannot be opened as an Excel workbook (.xlsx): it is damaged or "
        "another kind of zip file"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise InputFileError(f"{damaged} (it has no xl/workbook.xml).")
            facts = inspect_package(file.name, archive)
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(file.data))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        RuntimeError,
        python_calamine.CalamineError,
    ) as exc:
        raise InputFileError(f"{damaged} ({type(exc).__name__}).") from None
    return workbook, facts


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
    _refuse_unread_sheets(file_name, sheets, TABLE_SHEETS)
    tables, problems, names = {}, [], {}
    for table in TABLE_SHEETS:
        name = sheet_label(file_name, table)
        frame, sheet_problems = read_sheet(sheets[table], name)
        tables[table] = frame
        problems.extend(sheet_problems)
        names[table] = name
    return RawTables(
        patients=tables["patients"],
        doses=tables["doses"],
        observations=tables["observations"],
        files=names,
        problems=problems,
    )


def _read_per_dose_workbook(file_name: str, sheets: dict, patients: InputFile | None) -> RawTables:
    """Shape 2 in Excel: the per-dose sheet, and a patients sheet or CSV if there is one."""
    candidates = [name for name in sheets if name != "patients"]
    if not candidates:
        raise InputFileError(
            f"{file_name} holds only a 'patients' sheet: add the per-dose sheet, or the "
            "sheets doses and observations."
        )
    named = [name for name in candidates if _PER_DOSE_NAME.search(name)]
    chosen = named[0] if named else candidates[0]
    sheet = sheets[chosen]
    _refuse_unread_sheets(file_name, sheets, (chosen, "patients"))
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


def _refuse_unread_sheets(file_name: str, sheets: dict[str, Sheet], read: tuple[str, ...]) -> None:
    """A sheet with data that the monitor would not read is refused by name: an extra
    observations sheet holding a systolic of 70 must not be ignored without a word."""
    unread = [
        sheet.title
        for name, sheet in sheets.items()
        if name not in read and sheet.facts.last_row > 0
    ]
    if unread:
        raise InputFileError(
            f"{file_name} has data in sheet(s) {', '.join(repr(t) for t in unread)} that "
            f"this monitor would not read (it reads {', '.join(repr(r) for r in read)}): "
            "move those rows into the sheets it reads, or delete the extra sheets."
        )


def sheet_label(file_name: str, sheet: str) -> str:
    """How a sheet is named in messages: ``ward.xlsx [observations]``."""
    return f"{file_name} [{sheet}]"


def read_sheet(worksheet: Sheet, label: str) -> tuple[pd.DataFrame, list[Problem]]:
    """A worksheet as a frame of strings plus ``source_row`` (the Excel row number).

    The header is row 1. Blank rows carry nothing and are left out; a value in a column
    without a header is reported, never dropped unseen; a formula cell without a stored
    result is reported (a reader of stored values would see it empty).
    """
    rows = worksheet.rows()
    first = next(rows, None)
    header_cells = first[1] if first is not None and first[0] == 1 else ()
    header = [cell_text(c).strip() for c in header_cells]
    if not any(header):
        raise InputFileError(f"{label} is empty: its first row must hold the column names.")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputFileError(
            f"{label} has the column {', '.join(repr(r) for r in repeated)} more than once "
            "in its header row."
        )
    problems: list[Problem] = [
        Problem(
            label,
            int(row),
            _column_name(header, letters),
            f"cell {letters}{row} holds a formula without a stored result (the workbook "
            "was saved without calculating it): type the value, or open and save the "
            "workbook in Excel",
        )
        for letters, row in (
            _split_reference(ref) for ref in worksheet.facts.formulas_without_value
        )
    ]
    refused_rows = {problem.row for problem in problems}
    records, row_numbers = [], []
    for number, cells in rows:
        if number in refused_rows:
            continue
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
    return column_letters(position + 1)


def _column_name(header: list[str], letters: str) -> str:
    """A column as a message names it: its header, else its letter."""
    position = column_number(letters) - 1
    return header[position] if position < len(header) and header[position] else letters


def _split_reference(reference: str) -> tuple[str, str]:
    letters = reference.rstrip("0123456789")
    return letters, reference[len(letters) :]


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
