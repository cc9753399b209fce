"""The ward's record: imports, canonical frames, dose events, acknowledgements, access log.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from dashboard.store.schema import UtcTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = (
    "imports",
    "import_files",
    "import_problems",
    "import_refused_rows",
    "patients",
    "doses",
    "observations",
    "dose_events",
    "acknowledgements",
    "access_log",
)


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("started_at", UtcTime, nullable=False),
        sa.Column("finished_at", UtcTime, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("rows_added", sa.Integer, nullable=False),
        sa.Column("rows_changed", sa.Integer, nullable=False),
        sa.Column("rows_merged", sa.Integer, nullable=False),
        sa.Column("rows_refused", sa.Integer, nullable=False),
        sa.Column("notices", sa.JSON, nullable=False),
    )
    op.create_table(
        "import_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_import_files_import_id", "import_files", ["import_id"])
    op.create_index("ix_import_files_sha256", "import_files", ["sha256"])
    op.create_table(
        "import_problems",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("table_name", sa.Text),
        sa.Column("patient_id", sa.Text),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("row", sa.Integer),
        sa.Column("row_kind", sa.Text, nullable=False),
        sa.Column("column_name", sa.Text),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_import_problems_import_id", "import_problems", ["import_id"])
    op.create_table(
        "import_refused_rows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("patient_id", sa.Text),
        sa.Column("source_row", sa.Integer),
    )
    op.create_index("ix_import_refused_rows_import_id", "import_refused_rows", ["import_id"])
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("patient_id", sa.Text, nullable=False),
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
    op.create_index("ix_patients_patient_id", "patients", ["patient_id"])
    op.create_table(
        "doses",
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
    )
    op.create_index("ix_doses_key", "doses", ["patient_id", "cycle", "dose_number"])
    op.create_table(
        "observations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        # no foreign key: written in the same transaction as its import row, and the per-row
        # check doubled the time of a bulk import (benchmarks/bench_store.py)
        sa.Column("import_id", sa.Integer),
        sa.Column("entered_by", sa.Text),
        sa.Column("patient_id", sa.Text, nullable=False),
        sa.Column("time_ns", sa.BigInteger, nullable=False),
        sa.Column("parameter", sa.Text, nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("code", sa.Text),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("recorded_value", sa.Text, nullable=False),
        sa.Column("recorded_unit", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
    )
    op.create_index("ix_observations_patient_time", "observations", ["patient_id", "time_ns"])
    op.create_table(
        "dose_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Text, nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("dose_number", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("at", UtcTime),
        sa.Column("reason", sa.Text),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("recorded_at", UtcTime, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("override_by", sa.Text),
        sa.Column("override_reason", sa.Text),
        sa.Column("corrects", sa.Integer, sa.ForeignKey("dose_events.id")),
        sa.CheckConstraint("kind IN ('given', 'held', 'delayed')", name="ck_dose_events_kind"),
    )
    op.create_index("ix_dose_events_patient_id", "dose_events", ["patient_id"])
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("cycle", sa.Integer),
        sa.Column("dose_number", sa.Integer),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("recorded_at", UtcTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_acknowledgements_patient_id", "acknowledgements", ["patient_id"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UtcTime, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    _forbid_update_and_delete()


def _forbid_update_and_delete() -> None:
    """The record is append-only in the database itself, not only in this code: a script
    or a console session that tries UPDATE or DELETE is refused by a trigger."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION il2_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the ward record is append-only: % on % refused',
                    TG_OP, TG_TABLE_NAME;
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION il2_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the ward record is append-only: "
                    f"{operation} on {table} refused'); END"
                )


def downgrade() -> None:
    for table in reversed(APPEND_ONLY):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS il2_append_only()")
