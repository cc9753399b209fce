"""Load and validate an input into the canonical tables (files -> canonical frames).

``load_ward`` accepts every file shape of data-contract section 3: a folder (or a set of
uploaded files) holding the three CSVs, a per-dose sheet (CSV or Excel), a FHIR R4 bundle
(JSON), or an Excel workbook with patients/doses/observations sheets. A path, a folder, an
uploaded file object (anything with ``name`` and ``getvalue()``/``read()``) or a list of
them all work.

By default a load with any problem is refused whole with every problem listed
(DataValidationError). With ``keep_going=True`` the valid rows are loaded and the refused
ones are kept in the import report, listed, never lost.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.errors import DataValidationError, InputFileError, order_problems
from dashboard.loading.csv_folder import is_csv_set, read_csv_set
from dashboard.loading.raw import InputFile, RawTables
from dashboard.loading.validation import (
    PatientIndex,
    patients_named,
    validate_doses,
    validate_observations,
    validate_patients,
)
from dashboard.protocols import shipped_protocol_ids
from dashboard.quantities import plain_number
from dashboard.settings import machine_timezone
from dashboard.tables import ImportReport, WardData
from dashboard.vocabulary import Vocabulary, load_vocabulary

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".json")
#: The largest single input file read (a 200 MB ward export loads in about 8 s and 1.9 GB;
#: at this cap a load takes about 20 s and 5 GB; /dev/zero is refused).
MAX_INPUT_BYTES = 512 * 1024 * 1024
#: A load still running after this is refused between its stages (reading, validating):
#: a backstop behind the size caps, which are what bound a load's time in practice.
LOAD_SECONDS = 120.0

__all__ = ["InputFile", "load_ward", "read_input_files"]


def load_ward(
    source: Any,
    timezone: str | None = None,
    *,
    keep_going: bool = False,
    vocabulary: Vocabulary | None = None,
) -> WardData:
    """Read, validate and normalise an input; raise a MonitorUserError if it cannot be used."""
    timezone = timezone or machine_timezone()
    vocabulary = vocabulary or load_vocabulary()
    started = time.monotonic()
    files = read_input_files(source)
    raw = read_raw_tables(files)
    _within_time(started, "reading", files)
    ward = validate_raw_tables(raw, timezone, keep_going=keep_going, vocabulary=vocabulary)
    _within_time(started, "validating", files)
    return ward


def _within_time(started: float, stage: str, files: list[InputFile]) -> None:
    if time.monotonic() - started > LOAD_SECONDS:
        raise InputFileError(
            f"{', '.join(f.name for f in files)}: {stage} took longer than "
            f"{plain_number(LOAD_SECONDS)} s, "
            "the longest a load may take: split the input (by patient or by date)."
        )


def read_input_files(source: Any) -> list[InputFile]:
    """Turn a path, a folder, an upload or a list of them into named bytes."""
    if isinstance(source, InputFile):
        return [source]
    if isinstance(source, (list, tuple)):
        return [f for item in source for f in read_input_files(item)]
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
            if not files:
                raise InputFileError(f"{path} holds no CSV, Excel or JSON file to read.")
            return [InputFile(p.name, _read_regular_file(p)) for p in files]
        if not path.exists():
            raise InputFileError(f"{path} does not exist.")
        return [InputFile(path.name, _read_regular_file(path))]
    name = getattr(source, "name", None)
    if name is not None and (hasattr(source, "getvalue") or hasattr(source, "read")):
        data = (
            source.getvalue() if hasattr(source, "getvalue") else source.read(MAX_INPUT_BYTES + 1)
        )
        return [InputFile(Path(str(name)).name, _within_cap(Path(str(name)).name, bytes(data)))]
    raise InputFileError(f"cannot read {source!r}: give a file, a folder or an uploaded file.")


def _read_regular_file(path: Path) -> bytes:
    """A file's bytes, only from a regular file of at most MAX_INPUT_BYTES: a device
    (/dev/zero), a pipe or a socket would exhaust memory or block a thread for ever."""
    try:
        with open(
            path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)
        ) as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise InputFileError(
                    f"{path.name} is not a regular file (a device, a pipe or "
                    "a socket): give a file saved on disk."
                )
            return _within_cap(path.name, handle.read(MAX_INPUT_BYTES + 1))
    except OSError as error:
        raise InputFileError(f"{path.name} cannot be read ({error.strerror}).") from None


def _within_cap(name: str, data: bytes) -> bytes:
    if len(data) > MAX_INPUT_BYTES:
        raise InputFileError(
            f"{name} is larger than {MAX_INPUT_BYTES // 2**20:,} MiB, the "
            "largest input this monitor reads: split it (by patient or date)."
        )
    return data


def read_raw_tables(files: list[InputFile]) -> RawTables:
    """Recognise the input's shape (data-contract section 3) and read it as text tables."""
    unsupported = [f.name for f in files if f.suffix not in SUPPORTED_SUFFIXES]
    if unsupported:
        raise InputFileError(
            f"{', '.join(unsupported)}: not a CSV, Excel (.xlsx) or FHIR bundle (.json) file."
        )
    names = [f.name.lower() for f in files]
    clashing = sorted({f.name for f in files if names.count(f.name.lower()) > 1})
    if clashing:
        raise InputFileError(
            f"{', '.join(clashing)} differ only in upper and lower case: which one is meant? "
            "Keep one of them."
        )
    if names == ["patients.csv"]:
        raise InputFileError(
            "patients.csv alone holds no doses or observations: give doses.csv and "
            "observations.csv with it (or a per-dose sheet beside it)."
        )
    if is_csv_set(files):
        raw = read_csv_set(files)
        others = [
            f.name
            for f in files
            if f.name.lower() not in {"patients.csv", "doses.csv", "observations.csv"}
        ]
        if others:
            raw.notices.append(
                f"not read with the three CSVs: {', '.join(others)} (load them on their own)"
            )
        return raw
    if len(files) == 1 or (
        len(files) == 2 and any(f.name.lower() == "patients.csv" for f in files)
    ):
        main = (
            next(f for f in files if f.name.lower() != "patients.csv")
            if len(files) == 2
            else files[0]
        )
        patients = next((f for f in files if f is not main), None)
        return _read_single(main, patients)
    raise InputFileError(
        f"cannot tell what {', '.join(f.name for f in files)} are: give the three CSVs "
        "(patients.csv, doses.csv, observations.csv), or one per-dose sheet, FHIR bundle or "
        "Excel workbook."
    )


def _read_single(file: InputFile, patients: InputFile | None) -> RawTables:
    # The other shapes' readers are imported here so that a missing optional reader never
    # breaks the CSV path, and so that the Excel reader is imported only for Excel input.
    if file.suffix == ".json":
        from dashboard.loading.fhir import read_fhir_bundle

        return read_fhir_bundle(file)
    if file.suffix in (".xlsx", ".xlsm"):
        from dashboard.loading.workbook import read_excel_input

        return read_excel_input(file, patients)
    from dashboard.loading.per_dose_sheet import read_per_dose_csv

    return read_per_dose_csv(file, patients)


def validate_raw_tables(
    raw: RawTables, timezone: str, *, keep_going: bool = False, vocabulary: Vocabulary | None = None
) -> WardData:
    """Validate the three raw tables together (doses and observations name known patients)."""
    vocabulary = vocabulary or load_vocabulary()
    common = {"row_kind": raw.row_kind}
    patients = validate_patients(
        raw.patients,
        raw.files["patients"],
        vocabulary,
        known_protocols=shipped_protocol_ids(),
        **common,
    )
    named = patients_named(raw.patients)
    index = PatientIndex(
        named=frozenset(named),
        refused=frozenset(named - set(patients.frame["patient_id"])),
        file=raw.files["patients"],
    )
    doses = validate_doses(raw.doses, raw.files["doses"], timezone, index, **common)
    observations = validate_observations(
        raw.observations,
        raw.files["observations"],
        timezone,
        index,
        vocabulary,
        units_required=raw.units_required,
        **common,
    )
    problems = [*raw.problems, *patients.problems, *doses.problems, *observations.problems]
    if not len(raw.patients) and not problems:
        # Header-only files are no ward: loading them would show an empty list that reads
        # like "no IL-2 patient today" rather than "the export was empty".
        raise InputFileError(
            f"{raw.files['patients']} holds no patient (only a header, or nothing to read): "
            "an empty export is not loaded as an empty ward."
        )
    if problems and not keep_going:
        raise DataValidationError(problems)
    refused = [
        r.refused.assign(table=name)
        for name, r in (("patients", patients), ("doses", doses), ("observations", observations))
        if r.refused is not None and len(r.refused)
    ]
    report = ImportReport(
        files=sorted(set(raw.files.values())),
        merged_duplicates=observations.merged_duplicates,
        notices=[*raw.notices, *patients.notices, *doses.notices, *observations.notices],
        problems=order_problems(problems),
        refused_rows=pd.concat(refused, ignore_index=True) if refused else None,
    )
    return WardData(
        patients=patients.frame, doses=doses.frame, observations=observations.frame, report=report
    )
