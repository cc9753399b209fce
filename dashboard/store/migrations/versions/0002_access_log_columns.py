"""The access log keeps the role, page and patient of each entry in their own columns (the
file log it replaces had them), so "who opened patient X" is one query.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN keeps the table, so its append-only triggers stay as they are.
    for column in ("role", "page", "patient"):
        op.add_column("access_log", sa.Column(column, sa.Text, nullable=True))


def downgrade() -> None:
    for column in ("patient", "page", "role"):
        op.drop_column("access_log", column)
