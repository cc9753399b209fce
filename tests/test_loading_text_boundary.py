"""The CSV reader at the boundary (issue 9): every line ends as a row or as a problem
naming it. A ward export with one stray quote, CR line endings, a giant cell or a NUL byte
must never lose rows without a word."""

from __future__ import annotations

import re

import pytest

from dashboard.errors import InputFileError
from dashboard.loading.text_table import read_text_table

COLUMNS = ["patient_id", "time", "parameter", "value", "unit"]
HEADER = ",".join(COLUMNS)


def observation_lines(count: int) -> list[str]:
    return [
        f"P{i % 60},2026-03-02T{(i // 60) % 24:02d}:{i % 60:02d}:00+00:00,sbp,{100 + i % 50},mmHg"
        for i in range(count)
    ]


def read(lines: list[str], ending: str = "\n"):
    data = (ending.join([HEADER, *lines]) + ending).encode()
    return read_text_table("observations.csv", data, COLUMNS)


@pytest.mark.parametrize("rows", [200, 40_000])  # 40,000 rows: about 1.7 MB, many blocks
def test_a_stray_quote_opening_a_value_refuses_that_row_only(rows):
    lines = observation_lines(rows)
    bad = rows // 2
    lines[bad] = lines[bad].replace(",sbp,", ',"sbp,')
    frame, problems = read(lines)
    assert [str(p) for p in problems] == [
        f'observations.csv, row {bad + 2}: has a double quote (") that is not closed on its '
        "line: a stray quote? (a value may not span lines)"
    ]
    assert len(frame) == rows - 1  # loaded + refused = the rows of the file
    assert frame["source_row"].iloc[-1] == rows + 1  # later rows keep their numbers
    assert bad + 2 not in set(frame["source_row"])


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_lines_ended_by_cr_or_crlf_read_like_lf(ending):
    frame, problems = read(observation_lines(300), ending)
    assert problems == []
    assert len(frame) == 300
    assert frame.iloc[-1][COLUMNS].tolist() == [
        "P59",
        "2026-03-02T04:59:00+00:00",
        "sbp",
        "149",
        "mmHg",
    ]


def test_a_value_spanning_two_lines_is_refused_naming_both_lines():
    lines = [*observation_lines(3), 'P1,2026-03-02T05:00:00+00:00,"sbp', 'x",120,mmHg']
    frame, problems = read(lines)
    assert len(frame) == 3
    assert [p.row for p in problems] == [5, 6]


def test_a_long_value_is_a_problem_of_its_row():
    lines = observation_lines(3)
    lines.append('P1,2026-03-02T05:00:00+00:00,"' + "x" * 20_000 + '",120,mmHg')
    lines.append('P1,2026-03-02T06:00:00+00:00,"sbp')  # forces the exact reader
    frame, problems = read(lines)
    assert len(frame) == 3
    assert [(p.row, p.column) for p in problems] == [(5, "parameter"), (6, None)]
    assert "a value of 20,000 characters" in problems[0].reason


def test_a_field_longer_than_the_csv_module_allows_is_a_problem_not_a_traceback():
    lines = observation_lines(3)
    lines.append('P1,2026-03-02T05:00:00+00:00,"' + "x" * 200_000 + '",120,mmHg')
    lines.append('P1,2026-03-02T06:00:00+00:00,"sbp')  # forces the exact reader
    frame, problems = read(lines)
    assert len(frame) == 3
    assert [p.row for p in problems] == [5, 6]
    assert "longer than any value this monitor reads" in problems[0].reason


def test_a_nul_byte_after_the_first_block_refuses_the_file_naming_its_row():
    lines = observation_lines(3000)  # about 130 KB, past the 64 KB sniffed at first
    lines[2500] = lines[2500].replace("sbp", "s\x00bp")
    with pytest.raises(InputFileError, match=r"NUL byte \(binary data\) in row 2502"):
        read(lines)


def test_a_repeated_column_name_is_refused():
    data = (HEADER + ",unit\nP1,2026-03-02T00:00:00Z,sbp,100,mmHg,x\n").encode()
    with pytest.raises(InputFileError, match="the column unit appears more than once"):
        read_text_table("observations.csv", data, COLUMNS)


def test_utf16_is_named_as_such():
    data = (HEADER + "\nP1,2026-03-02T00:00:00Z,sbp,100,mmHg\n").encode("utf-16")
    with pytest.raises(InputFileError, match="UTF-16 text, not UTF-8"):
        read_text_table("observations.csv", data, COLUMNS)


# -- what reaches the readers at all --------------------------------------------------------


def test_a_device_or_a_pipe_is_refused_without_reading_it(tmp_path):
    import os

    from dashboard.loading import load_ward

    with pytest.raises(InputFileError, match="zero is not a regular file"):
        load_ward("/dev/zero", "UTC")
    fifo = tmp_path / "observations.csv"
    os.mkfifo(fifo)  # nobody writes to it: a blocking read would wait for ever
    with pytest.raises(InputFileError, match=re.escape("observations.csv is not a regular file")):
        load_ward(fifo, "UTC")


def test_an_input_over_the_size_cap_is_refused(monkeypatch, tmp_path):
    from dashboard import loading

    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 100)
    path = tmp_path / "ward.csv"
    path.write_text(HEADER + "\n" + "\n".join(observation_lines(10)) + "\n")
    with pytest.raises(InputFileError, match=re.escape("ward.csv is larger than 0 MiB")):
        loading.load_ward(path, "UTC")


def test_two_files_differing_only_in_case_are_refused(tmp_path):
    from dashboard.loading import InputFile, load_ward

    same = [InputFile("observations.csv", b"x"), InputFile("Observations.csv", b"y")]
    with pytest.raises(InputFileError, match="differ only in upper and lower case"):
        load_ward(same, "UTC")


def test_patients_csv_alone_is_not_taken_for_a_per_dose_sheet(fixtures):
    from dashboard.loading import load_ward

    with pytest.raises(InputFileError, match=re.escape("patients.csv alone holds no doses")):
        load_ward(fixtures / "good" / "three_csv" / "patients.csv", "UTC")


def test_header_only_files_are_not_an_empty_ward(tmp_path, fixtures):
    from dashboard.loading import load_ward

    for name in ("patients.csv", "doses.csv", "observations.csv"):
        header = (fixtures / "good" / "three_csv" / name).read_text().splitlines()[0]
        (tmp_path / name).write_text(header + "\n")
    with pytest.raises(
        InputFileError,
        match=re.escape("patients.csv holds no patient (only a header, or nothing to read)"),
    ):
        load_ward(tmp_path, "UTC")


def test_a_load_over_its_time_bound_is_refused_between_stages(monkeypatch, fixtures):
    from dashboard import loading

    monkeypatch.setattr(loading, "LOAD_SECONDS", -1.0)  # every load is already too long
    with pytest.raises(InputFileError, match=re.escape("reading took longer than -1 s")):
        loading.load_ward(fixtures / "good" / "three_csv", "UTC")
