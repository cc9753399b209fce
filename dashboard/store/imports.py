"""Importing files into the store, through the very validator that reads files
(dashboard.loading.load_ward): the store never holds a row the files would have refused.

Identity: a patient is its patient_id, a dose its (patient_id, cycle, dose_number), an
observation its (patient_id, time, parameter, value, code). A row already in the store is
counted as merged and not written again, so importing the same content twice adds nothing;
a patient or dose whose content changed is written as a new version (counted as changed),
the old one kept. Every import, refused ones included, leaves its report: who, when, the
files with their SHA-256 digests, and the rows added, changed, merged and refused (with
each refused row's reason).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from dashboard.errors import DataValidationError, MonitorUserError, Problem
from dashboard.instants import as_ns
from dashboard.loading import load_ward, read_input_files
from dashboard.loading.raw import InputFile
from dashboard.store import batches, frames, schema
from dashboard.store.database import Store
from dashboard.store.schema import utc_now
from dashboard.tables import ImportReport, WardData
from dashboard.vocabulary import load_vocabulary

#: PostgreSQL advisory lock key: one import at a time (its identity checks read, then write).
IMPORT_LOCK = 0x1121_2026


@dataclass
class ImportResult:
    """What one import did (the report kept in the store, as returned to the caller)."""

    import_id: int
    outcome: str  # imported / nothing_new / refused
    files: list[tuple[str, str]]  # (name, sha256)
    added: int = 0
    changed: int = 0
    merged: int = 0
    refused: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"import {self.import_id} ({self.outcome}): {self.added} row(s) added, "
            f"{self.changed} changed, {self.merged} already there or merged, "
            f"{self.refused} refused"
        )


def import_ward(
    store: Store,
    source: Any,
    *,
    who: str,
    timezone: str,
    keep_going: bool = False,
) -> ImportResult:
    """Validate ``source`` (anything load_ward reads) and write what is new.

    A refused input (any problem without ``keep_going``, or an unreadable file) is recorded
    as a refused import with its problems, then the MonitorUserError is raised again: the
    caller shows it as it would for the files.
    """
    if not who.strip():
        raise MonitorUserError("an import needs the name of who made it")
    started = utc_now()
    files = read_input_files(source)
    digests = [(f.name, hashlib.sha256(f.data).hexdigest(), len(f.data)) for f in files]
    try:
        ward = load_ward(files, timezone, keep_going=keep_going)
    except MonitorUserError as error:
        problems = (
            error.problems
            if isinstance(error, DataValidationError)
            else [
                Problem(
                    file=", ".join(f.name for f in files), row=None, column=None, reason=str(error)
                )
            ]
        )
        _record_refused(store, who, started, timezone, digests, problems)
        raise
    try:
        return _write(
            store,
            ward,
            files,
            digests,
            who=who,
            started=started,
            timezone=timezone,
            keep_going=keep_going,
        )
    except _Contradicted as contradicted:
        # The transaction that found them rolled back: nothing of this input was written.
        problems = [*ward.report.problems, *contradicted.problems]
        _record_refused(store, who, started, timezone, digests, problems)
        raise DataValidationError(problems) from None


class _Contradicted(Exception):
    """Rows of the input contradict readings already in the store (see _contradictions)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems


def _record_refused(store, who, started, timezone, digests, problems) -> None:
    with store.writing() as connection:
        import_id = _insert_import(
            connection,
            who=who,
            started=started,
            timezone=timezone,
            outcome="refused",
            counts=(0, 0, 0, len({(p.file, p.row) for p in problems})),
            notices=[],
            digests=digests,
        )
        _insert_problems(connection, import_id, problems, refused_rows=None)


def _insert_import(connection, *, who, started, timezone, outcome, counts, notices, digests) -> int:
    added, changed, merged, refused = counts
    import_id = connection.execute(
        sa.insert(schema.imports)
        .values(
            who=who,
            started_at=started,
            finished_at=utc_now(),
            timezone=timezone,
            outcome=outcome,
            rows_added=added,
            rows_changed=changed,
            rows_merged=merged,
            rows_refused=refused,
            notices=list(notices),
        )
        .returning(schema.imports.c.id)
    ).scalar_one()
    connection.execute(
        sa.insert(schema.import_files),
        [{"import_id": import_id, "name": n, "sha256": d, "size": s} for n, d, s in digests],
    )
    return import_id


def _insert_problems(connection, import_id, problems, refused_rows) -> None:
    if problems:
        connection.execute(
            sa.insert(schema.import_problems),
            [
                {
                    "import_id": import_id,
                    "table_name": None,
                    "patient_id": None,
                    "file": p.file,
                    "row": p.row,
                    "row_kind": p.row_kind,
                    "column_name": p.column,
                    "reason": p.reason,
                }
                for p in problems
            ],
        )
    if refused_rows is not None and len(refused_rows):
        ids = (
            refused_rows["patient_id"].astype("string").str.strip()
            if "patient_id" in refused_rows
            else pd.Series(pd.NA, index=refused_rows.index, dtype="string")
        )
        rows = pd.to_numeric(refused_rows.get("source_row"), errors="coerce")
        connection.execute(
            sa.insert(schema.import_refused_rows),
            [
                {
                    "import_id": import_id,
                    "table_name": str(table),
                    "patient_id": None if pd.isna(pid) else str(pid),
                    "source_row": None if pd.isna(row) else int(row),
                }
                for table, pid, row in zip(
                    refused_rows["table"].tolist(), ids.tolist(), rows.tolist(), strict=True
                )
            ],
        )


def _write(
    store: Store,
    ward: WardData,
    files: list[InputFile],
    digests: list[tuple[str, str, int]],
    *,
    who: str,
    started: datetime,
    timezone: str,
    keep_going: bool,
) -> ImportResult:
    report = ward.report
    refused_count = 0 if report.refused_rows is None else len(report.refused_rows)
    with store.writing() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
        ids = ward.patients["patient_id"].astype(str).tolist()
        new_patients, patients_changed, patients_merged = _versions(
            ward.patients,
            frames.read_patients(connection, ids),
            ["patient_id"],
            frames.PATIENT_CONTENT,
        )
        new_doses, doses_changed, doses_merged = _versions(
            ward.doses,
            frames.read_doses(connection, ids),
            frames.DOSE_KEY,
            frames.DOSE_CONTENT,
        )
        observations = ward.observations
        # every stored reading, read only when this input has readings to check
        stored = batches.read_batches(connection) if len(observations) else batches.EMPTY
        fresh = _new_observations(observations, stored)
        contradicting, contradictions = _contradictions(observations, fresh, stored)
        if contradictions and not keep_going:
            raise _Contradicted(contradictions)
        if contradictions:  # keep going: those rows are refused, the others written
            fresh = fresh & ~contradicting
            refused_count += len(contradictions)
            report = _with_refused(report, observations, contradicting, contradictions)
        added = (
            len(new_patients) - patients_changed + len(new_doses) - doses_changed + int(fresh.sum())
        )
        changed = patients_changed + doses_changed
        merged = patients_merged + doses_merged + int((~fresh).sum()) + report.merged_duplicates
        outcome = "imported" if added or changed else "nothing_new"
        import_id = _insert_import(
            connection,
            who=who,
            started=started,
            timezone=timezone,
            outcome=outcome,
            counts=(added, changed, merged, refused_count),
            notices=report.notices,
            digests=digests,
        )
        _insert_problems(connection, import_id, report.problems, report.refused_rows)
        if len(new_patients):
            frames.insert_rows(
                connection, schema.patients, frames.patient_rows(new_patients, import_id)
            )
        if len(new_doses):
            frames.insert_rows(connection, schema.doses, frames.dose_rows(new_doses, import_id))
        batches.write_batches(
            connection,
            batches.batch_table(observations.loc[fresh]),
            import_id=import_id,
            entered_by=None,
        )
    return ImportResult(
        import_id=import_id,
        outcome=outcome,
        files=[(n, d) for n, d, _ in digests],
        added=added,
        changed=changed,
        merged=merged,
        refused=refused_count,
        problems=list(report.problems),
        notices=list(report.notices),
    )


def _comparable(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Content as plain comparable values: NaN/NaT become None, times nanoseconds."""
    out = {}
    for column in columns:
        series = frame[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = frames.to_ns(series)
        else:
            out[column] = [
                None if (v is None or (isinstance(v, float) and np.isnan(v))) else v
                for v in series.tolist()
            ]
    return pd.DataFrame(out, index=frame.index, dtype=object)


def _versions(
    incoming: pd.DataFrame, stored: pd.DataFrame, key: list[str], content: list[str]
) -> tuple[pd.DataFrame, int, int]:
    """The incoming rows to write (new keys, or a changed content), how many of them are
    changes, and how many were already stored as they are."""
    if incoming.empty:
        return incoming, 0, 0
    mine = _comparable(incoming, key + content)
    theirs = _comparable(stored, key + content)
    stored_content = {
        tuple(row[: len(key)]): tuple(row[len(key) :]) for row in theirs.itertuples(index=False)
    }
    write, changed, merged = [], 0, 0
    for row in mine.itertuples(index=False):
        k, c = tuple(row[: len(key)]), tuple(row[len(key) :])
        if k not in stored_content:
            write.append(True)
        elif stored_content[k] == c:
            write.append(False)
            merged += 1
        else:
            write.append(True)
            changed += 1
    return incoming[np.array(write, dtype=bool)], changed, merged


def _new_observations(table: pd.DataFrame, stored: pa.Table) -> np.ndarray:
    """True for each row not yet in the store (by OBSERVATION_KEY)."""
    if table.empty:
        return np.zeros(0, dtype=bool)
    if not stored.num_rows:
        return np.ones(len(table), dtype=bool)
    return ~_known(table, _stored_frame(stored, []))


def _stored_frame(stored: pa.Table, more: list[str]) -> pd.DataFrame:
    """The stored readings' identity columns (and ``more``) as plain pandas columns."""
    out: dict[str, np.ndarray] = {}
    for name in ["patient_id", "time_ns", "parameter", "value", "code", *more]:
        column = stored[name]
        if pa.types.is_dictionary(column.type):
            out[name] = batches.texts(column)
        elif name in batches.ORIGIN_COLUMNS:  # None where the other origin applies
            out[name] = np.array(column.to_pylist(), dtype=object)
        else:
            out[name] = column.to_numpy()
    # object columns stay object (pandas 3 would convert each to its string dtype)
    return pd.DataFrame(
        {k: pd.Series(v, dtype=object) if v.dtype == object else v for k, v in out.items()}
    )


def _contradictions(
    table: pd.DataFrame, fresh: np.ndarray, stored: pa.Table
) -> tuple[np.ndarray, list[Problem]]:
    """New rows that give a different value for a reading the store already holds (same
    patient, moment and parameter): the file contract refuses two different values at the
    same moment within one input, and a later import must not slip one past it. Each such
    row is refused naming the value stored and where it came from; a person decides which
    is right. Multi-valued parameters (events) may hold several values at one moment."""
    contradicting = np.zeros(len(table), dtype=bool)
    if table.empty or not fresh.any() or not stored.num_rows:
        return contradicting, []
    held = _stored_frame(
        stored,
        ["recorded_value", "recorded_unit", "source", "source_row", "import_id", "entered_by"],
    )
    held = held.loc[~held["parameter"].isin(_multi_valued())]
    held = held.drop(columns=["value", "code"]).rename(
        columns={c: f"stored_{c}" for c in held.columns if c not in _SAME_READING}
    )
    candidates = pd.DataFrame(
        {
            "position": np.flatnonzero(fresh),
            **_key_frame(table.loc[fresh])[_SAME_READING].to_dict("series"),
        }
    )
    candidates = candidates.assign(
        **{
            c: table.loc[fresh, c].astype(object).to_numpy()
            for c in ("recorded_value", "recorded_unit", "source", "source_row")
        }
    )
    joined = candidates.merge(held, on=_SAME_READING, how="inner")
    if joined.empty:
        return contradicting, []
    # A fresh row matching a stored one on its whole identity would not be fresh: every
    # match here differs in value or code, so each is a contradiction.
    problems = []
    for row in joined.itertuples(index=False):
        contradicting[row.position] = True
        reading = f"{row.parameter} {row.recorded_value} {row.recorded_unit}".rstrip()
        stored_reading = f"{row.stored_recorded_value} {row.stored_recorded_unit}".rstrip()
        origin = (
            f"import {row.stored_import_id}, {row.stored_source} row {row.stored_source_row}"
            if not pd.isna(row.stored_import_id)
            else f"entered by {row.stored_entered_by}"
        )
        problems.append(
            Problem(
                file=str(row.source),
                row=int(row.source_row),
                column="value",
                reason=f"{reading} contradicts the reading already in the ward's record at "
                f"the same time: {stored_reading} ({origin})",
            )
        )
    return contradicting, problems


#: Two readings of the same patient, moment and parameter are the same reading.
_SAME_READING = ["patient_id", "time_ns", "parameter"]


def _multi_valued() -> list[str]:
    return [p.name for p in load_vocabulary().parameters.values() if p.multi_valued]


def _with_refused(
    report: ImportReport, table: pd.DataFrame, contradicting: np.ndarray, problems: list[Problem]
) -> ImportReport:
    """The report with the contradicting rows refused (a lenient import)."""
    refused = pd.DataFrame(
        {
            "table": "observations",
            "patient_id": table.loc[contradicting, "patient_id"].to_numpy(),
            "source_row": table.loc[contradicting, "source_row"].to_numpy(),
        }
    )
    rows = refused if report.refused_rows is None else pd.concat([report.refused_rows, refused])
    return replace(report, problems=[*report.problems, *problems], refused_rows=rows)


def _key_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A reading's identity (OBSERVATION_KEY) of a loaded frame (with ``time``) or a stored
    one (with ``time_ns``). NaN and None compare equal in a merge only as one marker: a
    numeric row has no code, a categorical row no value. Texts stay object columns (the
    loader's and the store's are str): pandas 3 would turn each into its string dtype and
    back, a second per million readings."""
    times = as_ns(table["time"]) if "time" in table else table["time_ns"].astype("int64")
    return pd.DataFrame(
        {
            "patient_id": pd.Series(table["patient_id"].to_numpy(dtype=object), dtype=object),
            "time_ns": np.asarray(times, dtype=np.int64),
            "parameter": pd.Series(table["parameter"].to_numpy(dtype=object), dtype=object),
            "value": table["value"].astype(float).fillna(np.inf).to_numpy(),
            "code": pd.Series(
                table["code"].astype(object).where(table["code"].notna(), "\0").to_numpy(),
                dtype=object,
            ),
        }
    )


def _known(incoming: pd.DataFrame, stored: pd.DataFrame) -> np.ndarray:
    """True for each incoming reading whose whole identity is among the stored ones. The
    texts are numbered together first, so the match is on integers (exact, and fast)."""
    mine, theirs = _key_frame(incoming), _key_frame(stored)
    columns = {}
    for name in mine.columns:
        both = np.concatenate([mine[name].to_numpy(), theirs[name].to_numpy()])
        columns[name] = pd.factorize(both)[0] if both.dtype == object else both
    keys = pd.DataFrame(columns)
    left, right = keys.iloc[: len(mine)], keys.iloc[len(mine) :].drop_duplicates()
    matched = left.merge(right, how="left", indicator=True)
    return (matched["_merge"] == "both").to_numpy()
