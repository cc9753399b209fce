"""Reading a delimited text file into a table of strings, or one clear sentence why not.

Every cell is read as text: nothing is converted here, so that validation can quote what
was typed. Each row keeps ``source_row``, the row as a person counts it in a spreadsheet
(the header is row 1, so the first data row is row 2).

One line is one row. A value may not span lines: a stray double quote at the start of a
value would otherwise open a quoted value that swallows every following line up to the
next quote, and those rows would vanish without a word. So the fast reader's row count is
checked against the file's lines, and on any difference the file is read again line by
line, where a quote that is not closed on its own line is a problem of that row only
(docs/input-formats.md: "a value may not contain a line break").
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from dashboard.errors import InputFileError, Problem

SNIFF_BYTES = 64 * 1024
LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: The longest value the exact reader accepts (the csv module's own default limit is
#: 128 KiB and raises; no clinical value comes near this).
MAX_FIELD_CHARACTERS = 10_000


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
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputFileError(f"{name} is UTF-16 text, not UTF-8: save it as 'CSV UTF-8'.")
    nul = data.find(b"\x00")
    if nul >= SNIFF_BYTES:
        # Past the first block a NUL byte would cut its cell short without a word.
        line = data.count(b"\n", 0, nul) + 1
        raise InputFileError(
            f"{name} holds a NUL byte (binary data) in row {line}: the file is damaged or "
            "not a CSV; export it again as CSV (UTF-8)."
        )
    if nul >= 0 or head.startswith(b"PK\x03\x04"):
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

    columns = _header_columns(data)
    _refuse_repeated_columns(name, [c.strip() for c in columns])
    try:
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
        return _read_line_by_line(name, data)
    if invalid_rows or table.num_rows != _line_count(data) - 1:
        # Rows with the wrong number of fields, or rows and lines that do not match (a
        # quote that swallowed line breaks, lines ended by CR alone): the fast reader cannot
        # say where, so read the file again with the exact (slower) reader to name each row.
        return _read_line_by_line(name, data)

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
    first_line = LINE_BREAK.split(
        data[:SNIFF_BYTES].decode("utf-8-sig", errors="replace"), maxsplit=1
    )[0]
    return next(csv.reader([first_line]), [])


def _refuse_repeated_columns(name: str, header: list[str]) -> None:
    """Two columns of one name: which one is the value? Refused, never guessed."""
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise InputFileError(
            f"{name} has a malformed header row: the column {', '.join(repeated)} appears "
            "more than once."
        )


def _line_count(data: bytes) -> int:
    """Lines in the file as the fast reader ends them (at LF; a last line without one)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _read_line_by_line(name: str, data: bytes) -> tuple[pd.DataFrame, list[Problem]]:
    """The exact reader: one line is one row, whatever its quotes; every line that is not
    a row of the header's width is a Problem naming it (nothing is dropped silently)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}): "
            "save it as 'CSV UTF-8'."
        ) from None
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    header = [c.strip() for c in next(csv.reader(lines[:1]), [])]
    _refuse_repeated_columns(name, header)
    problems: list[Problem] = []
    rows, row_numbers = [], []
    for index, line in enumerate(lines[1:], start=2):
        try:
            record = _parse_line(line)
        except csv.Error as error:
            problems.append(Problem(name, index, None, _unparseable_reason(line, error)))
            continue
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
        long = next((f for f in record if len(f) > MAX_FIELD_CHARACTERS), None)
        if long is not None:
            column = header[record.index(long)]
            problems.append(
                Problem(
                    name,
                    index,
                    column,
                    f"a value of {len(long):,} characters: longer "
                    f"than any value this monitor reads ({MAX_FIELD_CHARACTERS:,})",
                )
            )
            continue
        rows.append(record)
        row_numbers.append(index)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame["source_row"] = np.array(row_numbers, dtype=np.int64)
    return frame, problems


def _parse_line(line: str) -> list[str]:
    """One line as fields; csv.Error when a quote is not closed on the line."""
    if line.count('"') % 2:
        raise csv.Error("unclosed quote")
    return next(csv.reader([line], strict=True), [])


def _unparseable_reason(line: str, error: csv.Error) -> str:
    if line.count('"') % 2:
        return (
            'has a double quote (") that is not closed on its line: a stray quote? '
            "(a value may not span lines)"
        )
    if "field larger than field limit" in str(error):
        return (
            f"has a value longer than any value this monitor reads "
            f"({MAX_FIELD_CHARACTERS:,} characters)"
        )
    return f"cannot be read as comma-separated values ({error})"
