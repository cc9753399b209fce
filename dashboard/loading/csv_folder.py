"""Shape 1 of data-contract section 3: the three CSV files patients, doses, observations."""

from __future__ import annotations

from dashboard.errors import InputFileError
from dashboard.loading.raw import InputFile, RawTables
from dashboard.loading.text_table import read_text_table
from dashboard.tables import DOSE_INPUT_COLUMNS, OBSERVATION_INPUT_COLUMNS, PATIENT_INPUT_COLUMNS

TABLE_FILES = {
    "patients": ("patients.csv", list(PATIENT_INPUT_COLUMNS)),
    "doses": ("doses.csv", list(DOSE_INPUT_COLUMNS)),
    "observations": ("observations.csv", list(OBSERVATION_INPUT_COLUMNS)),
}


def is_csv_set(files: list[InputFile]) -> bool:
    """True when the files are (meant to be) the three CSVs.

    patients.csv alone does not make a set: it also travels beside a per-dose sheet.
    """
    names = {f.name.rsplit("/", 1)[-1].lower() for f in files}
    return bool(names & {"doses.csv", "observations.csv"})


def read_csv_set(files: list[InputFile]) -> RawTables:
    by_name = {f.name.rsplit("/", 1)[-1].lower(): f for f in files}
    missing = [name for name, _ in TABLE_FILES.values() if name not in by_name]
    if missing:
        raise InputFileError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing: the CSV input "
            "needs all three of patients.csv, doses.csv and observations.csv."
        )
    tables, problems, names = {}, [], {}
    for table, (file_name, columns) in TABLE_FILES.items():
        file = by_name[file_name]
        frame, read_problems = read_text_table(file_name, file.data, columns)
        tables[table] = frame
        problems.extend(read_problems)
        names[table] = file_name
    return RawTables(
        patients=tables["patients"],
        doses=tables["doses"],
        observations=tables["observations"],
        files=names,
        problems=problems,
    )
