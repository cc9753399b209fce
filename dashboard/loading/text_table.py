"""Reading a delimited text file into a table of strings, or one clear sentence why not.

Every cell is read as text: nothing is converted here, so that validation can quote what
was typed. Each row keeps ``source_row``, the row as a person counts it in a spreadsheet
(the header is row 1, so the first data row is row 2).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from dashboard.errors import InputFileError, Problem

SNIFF_BYTES = 64 * 1024


def check_text_file(name: str, data: bytes, expected_columns: list[str]) -> str:
    """Refuse a file that is not a readable comma-separated table; return its header line.

    Raises InputFileError with one sentence naming the file and what is wrong with it.
    """
    if not data.strip():
        raise InputFileError(
            f"{name} is empty: expected a header row ({', '.join(expected_columns)}) "
            "and at least one data row."
        )
    head = data[:SNIFF_BYTES]
    if b"\x00" in head or head.startswith(b"PK\x03\x04"):
        raise InputFileError(
            f"{name} is not a text file (it holds binary data, perhaps a "
            "spreadsheet or a zip): save it as CSV (UTF-8)."
        )
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sniff boundary
            raise InputFileError(
                f"{name} is not UTF-8 text (byte 0x{head[exc.start]:02x} at position {exc.start}): "
                "save it as 'CSV UTF-8'."
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    header = text.splitlines()[0] if text.splitlines() else ""
    fields = [f.strip().strip('"').lower() for f in header.split(",")]
    if len(fields) == 1:
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if delimiter in header:
                raise InputFileError(
                    f"{name} separates its columns with {label}; expected commas "
                    f"(a CSV with the header {','.join(expected_columns)})."
                )
    if not set(fields) & set(expected_columns):
        shown = header if len(header) <= 80 else header[:77] + "..."
        raise InputFileError(
            f"{name} has no header row: expected columns {', '.join(expected_columns)}; "
            f"the first line reads '{shown}'."
        )
    return header


def read_text_table(
    name: str, data: bytes, expected_columns: list[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a CSV's bytes into a DataFrame of strings ("" for empty) plus ``source_row``.

    Rows with the wrong number of fields are returned as Problems (never dropped silently);
    entirely blank rows carry no data and are left out.
    """
    check_text_file(name, data, expected_columns)
    invalid_rows: list[str] = []

    def remember_invalid(row) -> str:
        invalid_rows.append(row.text)
        return "skip"

    try:
        columns = _header_columns(data)
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(encoding="utf8"),
            parse_options=pacsv.ParseOptions(
                ignore_empty_lines=False, invalid_row_handler=remember_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        message = str(exc)
        if "UTF8" in message or "utf-8" in message.lower():
            raise InputFileError(f"{name} is not UTF-8 text: save it as 'CSV UTF-8'.") from None
        if "duplicate" in message.lower() or "column names" in message.lower():
            raise InputFileError(f"{name} has a malformed header row: {message}") from None
        return _read_with_python_csv(name, data)
    if invalid_rows:
        # Rows with the wrong number of fields: the fast reader cannot say where they are,
        # so read the file again with the exact (slower) reader to name each row.
        return _read_with_python_csv(name, data)

    # Categorical columns: a ward repeats its ids, names, units and times endlessly, and the
    # validator works once per distinct value (see distinct.py).
    frame = table.to_pandas(strings_to_categorical=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame["source_row"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    blank = (frame.drop(columns="source_row") == "").all(axis=1)
    if blank.any():
        frame = frame.loc[~blank]
    return frame.reset_index(drop=True), []


def _header_columns(data: bytes) -> list[str]:
    end = data.find(b"\n")
    first_line = data[: end if end >= 0 else len(data)].decode("utf-8-sig", errors="replace")
    return next(csv.reader([first_line]))


def _read_with_python_csv(name: str, data: bytes) -> tuple[pd.DataFrame, list[Problem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}): "
            "save it as 'CSV UTF-8'."
        ) from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    header = [c.strip() for c in records[0]]
    problems: list[Problem] = []
    rows, row_numbers = [], []
    for index, record in enumerate(records[1:], start=2):
        if not any(field.strip() for field in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    name,
                    index,
                    None,
                    f"has {len(record)} fields; the header has {len(header)} "
                    "(a stray comma, or a missing one?)",
                )
            )
            continue
        rows.append(record)
        row_numbers.append(index)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame["source_row"] = np.array(row_numbers, dtype=np.int64)
    return frame, problems
