"""The ward's record: a database that keeps every import, dose event and bedside entry.

SQLite file by default (``IL2_DATABASE_PATH``, else under the user's data folder), the
PostgreSQL database ``IL2_DATABASE_URL`` names for a hospital (psycopg 3). The schema is
made by Alembic migrations shipped here (``migrations/``), run by ``upgrade(store)`` or
``python -m dashboard db upgrade``; a store at a revision this code does not know is
refused (StoreError), never used.

The service API the pages and the command line call (``who`` is the signed-in user; the
command line passes ``--who`` or the OS user until login exists)::

    store = open_store()                      # settings' URL; schema checked
    load_frames(store) -> WardData            # what evaluating the same files gives
    import_ward(store, PATH_OR_UPLOADS, who=..., timezone=..., keep_going=False)
        -> ImportResult                       # same validator as files; report kept
    import_reports(store) -> list[dict]       # every import, newest first
    record_dose_event(store, patient_id=, cycle=, dose_number=, kind="given"|"held"|"delayed",
                      who=, snapshot={"status": ..., ...}, at=, reason=, note=,
                      override_by=, override_reason=, corrects=) -> DoseEvent
    dose_events(store, patient_id) / current_dose_events(events)
    add_bedside_entry(store, patient_id=, time=, values={"sbp": ("112", "mm[Hg]")}, who=)
    acknowledge(store, patient_id=, status=, who=, ...) / acknowledgements(store)
    log_access(store, who=, action=, detail=) / access_log(store)
    export_observations(store) -> DataFrame   # every reading as plain columns, for audit

Everything is append-only (no UPDATE or DELETE, enforced by this code and by database
triggers). The core never imports streamlit; the pages are thin shells over these calls.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.store import batches, schema
from dashboard.store.database import (
    AppendOnlyError,
    Store,
    StoreError,
    check_schema,
    current_revision,
    open_store,
    upgrade,
)
from dashboard.store.frames import read_ward
from dashboard.store.imports import ImportResult, import_ward
from dashboard.store.records import (
    Acknowledgement,
    DoseEvent,
    access_log,
    acknowledge,
    acknowledgements,
    add_bedside_entry,
    current_dose_events,
    dose_events,
    log_access,
    record_dose_event,
)
from dashboard.tables import WardData

__all__ = [
    "Acknowledgement",
    "AppendOnlyError",
    "DoseEvent",
    "ImportResult",
    "Store",
    "StoreError",
    "access_log",
    "acknowledge",
    "acknowledgements",
    "add_bedside_entry",
    "check_schema",
    "current_dose_events",
    "current_revision",
    "data_version",
    "dose_events",
    "export_observations",
    "holds_ward",
    "import_reports",
    "import_ward",
    "load_frames",
    "log_access",
    "open_store",
    "record_dose_event",
    "upgrade",
]


def holds_ward(store: Store) -> bool:
    """Whether anything was ever imported or entered for a patient (records are never
    removed, so once true it stays true)."""
    with store.reading() as connection:
        return connection.execute(sa.select(schema.patients.c.id).limit(1)).first() is not None


def data_version(store: Store) -> str:
    """Changes with every import, dose event and bedside entry (ids only grow): the key of
    every cache of the canonical frames and what is assessed from them. Acknowledgements
    are not part of it: they change no verdict, and the pages read them on every run."""
    tables = (
        schema.imports,
        schema.observations,
        schema.observation_batches,
        schema.dose_events,
    )
    with store.reading() as connection:
        values = connection.execute(
            sa.select(*(sa.select(sa.func.max(t.c.id)).scalar_subquery() for t in tables))
        ).one()
    return ".".join(str(v or 0) for v in values)


def export_observations(store: Store) -> pd.DataFrame:
    """Every stored reading (imported or entered) as plain columns with its origin, in the
    order written: the readings are kept as batches (dashboard/store/batches.py), and this
    is how they are read without this code's frames."""
    with store.reading() as connection:
        return batches.readings(connection)


def load_frames(store: Store) -> WardData:
    """The canonical frames of everything imported and entered, read in one transaction:
    the newest version of each patient and dose, every observation, and the newest import's
    refused rows (they keep their patients INCOMPLETE, as the files would)."""
    with store.reading() as connection:
        return read_ward(connection)


def import_reports(store: Store, newest: int | None = None) -> list[dict]:
    """Every import's report (or the ``newest`` few), newest first: who, when, outcome,
    counts, files with their digests, and each problem (refused rows with their reasons)."""
    with store.reading() as connection:
        imports = connection.execute(
            sa.select(schema.imports).order_by(schema.imports.c.id.desc()).limit(newest)
        ).mappings()
        reports = [dict(row) for row in imports]
        for report in reports:
            report["files"] = [
                dict(row)
                for row in connection.execute(
                    sa.select(schema.import_files.c.name, schema.import_files.c.sha256)
                    .where(schema.import_files.c.import_id == report["id"])
                    .order_by(schema.import_files.c.id)
                ).mappings()
            ]
            report["problems"] = [
                dict(row)
                for row in connection.execute(
                    sa.select(schema.import_problems)
                    .where(schema.import_problems.c.import_id == report["id"])
                    .order_by(schema.import_problems.c.id)
                ).mappings()
            ]
        return reports
