"""The store's tables (SQLAlchemy Core). The migrations under ``migrations/`` create them;
this module is what the code reads and writes with, and a test checks the two agree.

Every table is append-only: nothing is ever updated or deleted (see APPEND_ONLY_TABLES).
A patient or dose that changes in a later import is a new version row; the newest version
is the one loaded. A correction of a dose event is a new event pointing at the one it
corrects.

Times of the canonical frames (observations, doses) are stored as integer nanoseconds since
the epoch, UTC: pandas keeps nanoseconds, and "the store gives exactly what the files give"
must hold to the last digit. Times of the ward's own records (imports, events) are
timezone-aware timestamps, readable by anyone querying the database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UtcTime(TypeDecorator):
    """A UTC moment. Refuses naive datetimes (a time without a zone is a guess); SQLite,
    which has no zone type, stores the UTC wall time and gets UTC back."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no zone: give a UTC moment")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


metadata = sa.MetaData()

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("started_at", UtcTime, nullable=False),
    sa.Column("finished_at", UtcTime, nullable=False),
    sa.Column("timezone", sa.Text, nullable=False),
    # imported: rows written; refused: the input was refused whole, nothing written;
    # nothing_new: every file's digest or every row was already in the store
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("rows_added", sa.Integer, nullable=False),
    sa.Column("rows_changed", sa.Integer, nullable=False),  # a new version of a patient/dose
    sa.Column("rows_merged", sa.Integer, nullable=False),  # already in the store or the input
    sa.Column("rows_refused", sa.Integer, nullable=False),
    sa.Column("notices", sa.JSON, nullable=False),
)

import_files = sa.Table(
    "import_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False, index=True),
    sa.Column("name", sa.Text),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.BigInteger, nullable=False),
)

import_problems = sa.Table(
    "import_problems",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False, index=True),
    sa.Column("table_name", sa.Text),  # patients/doses/observations; None: the whole input
    sa.Column("patient_id", sa.Text),  # as typed on the refused row, when there was one
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("row", sa.Integer),
    sa.Column("row_kind", sa.Text, nullable=False),
    sa.Column("column_name", sa.Text),
    sa.Column("reason", sa.Text),
)

# The rows a lenient import refused, as read: they keep their patient INCOMPLETE (criteria.md
# 9.7) exactly as they would when the files are evaluated.
import_refused_rows = sa.Table(
    "import_refused_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False, index=True),
    sa.Column("table_name", sa.Text, nullable=False),
    sa.Column("patient_id", sa.Text),
    sa.Column("source_row", sa.Integer),
)

patients = sa.Table(
    "patients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
    sa.Column("patient_id", sa.Text, nullable=False, index=True),
    sa.Column("name", sa.Text),
    sa.Column("bed", sa.Text),
    sa.Column("indication", sa.Text),
    sa.Column("protocol", sa.Text),
    sa.Column("baseline_weight_kg", sa.Double, nullable=False),
    sa.Column("baseline_creatinine_mg_dl", sa.Double),
    sa.Column("target_sbp_mmhg", sa.Double),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_row", sa.Integer, nullable=False),
)

doses = sa.Table(
    "doses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
    sa.Column("patient_id", sa.Text, nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("dose_number", sa.Integer, nullable=False),
    sa.Column("scheduled_time_ns", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("administered_time_ns", sa.BigInteger),
    sa.Column("dose_iu_per_kg", sa.Double, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_row", sa.Integer, nullable=False),
    sa.Index("ix_doses_key", "patient_id", "cycle", "dose_number"),
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    # an imported row names its import; a bedside entry names who entered it
    # no foreign key: written in the same transaction as its import row, and the per-row
    # check doubled the time of a bulk import (benchmarks/bench_store.py)
    sa.Column("import_id", sa.Integer),
    sa.Column("entered_by", sa.Text),
    sa.Column("patient_id", sa.Text, nullable=False),
    sa.Column("time_ns", sa.BigInteger, nullable=False),
    sa.Column("parameter", sa.Text, nullable=False),
    sa.Column("value", sa.Double),  # None for a categorical parameter
    sa.Column("code", sa.Text),  # None for a numeric parameter
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("recorded_value", sa.Text, nullable=False),
    sa.Column("recorded_unit", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_row", sa.Integer, nullable=False),
    sa.Index("ix_observations_patient_time", "patient_id", "time_ns"),
)

# Readings, from revision 0003 on: each write of readings (an import, a bedside entry) is one
# or more batches, an Arrow IPC stream of the canonical columns (dashboard/store/batches.py
# says why and how). The table above keeps the rows of records written before.
observation_batches = sa.Table(
    "observation_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # an import's readings name the import; a bedside entry names who entered it
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id")),
    sa.Column("entered_by", sa.Text),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.CheckConstraint(
        "(import_id IS NULL) <> (entered_by IS NULL)", name="ck_observation_batches_origin"
    ),
)

dose_events = sa.Table(
    "dose_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("patient_id", sa.Text, nullable=False, index=True),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("dose_number", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # given / held / delayed
    # given: when it was given; delayed: until when; held: None
    sa.Column("at", UtcTime),
    sa.Column("reason", sa.Text),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("recorded_at", UtcTime, nullable=False),
    sa.Column("snapshot", sa.JSON, nullable=False),  # what the monitor showed
    sa.Column("override_by", sa.Text),
    sa.Column("override_reason", sa.Text),
    sa.Column("corrects", sa.Integer, sa.ForeignKey("dose_events.id")),
    sa.CheckConstraint("kind IN ('given', 'held', 'delayed')", name="ck_dose_events_kind"),
)

acknowledgements = sa.Table(
    "acknowledgements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("patient_id", sa.Text, nullable=False, index=True),
    sa.Column("status", sa.Text, nullable=False),  # hold / stop_cycle / discontinue
    sa.Column("cycle", sa.Integer),
    sa.Column("dose_number", sa.Integer),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("recorded_at", UtcTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcTime, nullable=False),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("role", sa.Text),  # from revision 0002
    sa.Column("page", sa.Text),
    sa.Column("patient", sa.Text),
)

#: Nothing in these is ever updated or deleted: the code has no such statement, a guard on
#: the engine refuses one, and database triggers (SQLite and PostgreSQL) refuse it too.
APPEND_ONLY_TABLES = (
    "imports",
    "import_files",
    "import_problems",
    "import_refused_rows",
    "patients",
    "doses",
    "observations",
    "observation_batches",
    "dose_events",
    "acknowledgements",
    "access_log",
)
