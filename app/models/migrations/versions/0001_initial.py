"""Initial schema: the students and aid tables, per-account settings, the file's application id.

Revision ID: 0001
Revises:
Create Date: 2026-05-09

Frozen history: the column lists are spelled out as resources/tables/*.toml had them at this
revision. A column added to a TOML file needs a new migration (tests/models/test_store.py fails
until it exists).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Marks the file as a 资助通 data file (the bytes "ZZT1"); app.models.store checks it on open.
APPLICATION_ID = 0x5A5A5431

STUDENTS_COLUMNS = (
    "name",
    "gender",
    "id_number",
    "ethnicity",
    "stage",
    "grade",
    "class_name",
    "student_no",
    "status",
    "boarding",
    "hardship",
    "household_region",
    "householder_name",
    "householder_id",
    "relation",
    "guardian_phone",
    "remark",
)

AID_COLUMNS = (
    "name",
    "id_number",
    "stage",
    "item",
    "school_year",
    "term",
    "amount",
    "payout",
    "account_no",
    "bank",
    "holder_name",
    "holder_relation",
    "paid_on",
    "remark",
)

# Timestamps are Unix time in milliseconds (UTC): compact in every row, easy to compare.
_NOW_MS = sa.text("(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))")


def _grid_table(name: str, columns: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("row_uid", sa.Text(), primary_key=True),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("accepted_warnings", sa.Text(), nullable=False, server_default=""),
        *(sa.Column(column, sa.Text(), nullable=False, server_default="") for column in columns),
        sa.Column("created_at", sa.Integer(), nullable=False, server_default=_NOW_MS),
        sa.Column("updated_at", sa.Integer(), nullable=False, server_default=_NOW_MS),
    )
    op.create_index(f"ix_{name}_period_position", name, ["period", "position"])


def upgrade() -> None:
    _grid_table("students", STUDENTS_COLUMNS)
    _grid_table("aid", AID_COLUMNS)
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    # Part of the migration's transaction: a file is marked only once its tables exist.
    op.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def downgrade() -> None:
    op.drop_table("meta")
    for name in ("aid", "students"):
        op.drop_index(f"ix_{name}_period_position", table_name=name)
        op.drop_table(name)
    op.execute("PRAGMA application_id = 0")
