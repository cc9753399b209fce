"""Readings are kept in batches (an Arrow IPC stream per import or bedside entry) rather
than one row each: a million-reading import went from 5-6 s of row inserts to a fraction
of a second, and reading the ward back from 6 s to under one (dashboard/store/batches.py).
The ``observations`` table stays, with the rows written before, and is still read.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observation_batches",
        sa.Column("id", sa.Integer, primary_key=True),
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
    # Append-only in the database itself, as every record table (revision 0001).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER observation_batches_append_only BEFORE UPDATE OR DELETE OR "
            "TRUNCATE ON observation_batches FOR EACH STATEMENT EXECUTE FUNCTION "
            "il2_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER observation_batches_no_{operation.lower()} BEFORE {operation} "
                "ON observation_batches BEGIN SELECT RAISE(ABORT, 'the ward record is "
                f"append-only: {operation} on observation_batches refused'); END"
            )


def downgrade() -> None:
    op.drop_table("observation_batches")
