"""Sync with the review server: upload receipts, pending Idempotency-Keys, last known review status.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-16

- ``upload_receipts``: one row per successful upload (revision, times, digest, and the gzip body
  exactly as sent, so "与上次上传相比" and the 上传记录 export work offline).
- ``pending_uploads``: the Idempotency-Key of an upload that was started but not confirmed, written
  before the request goes out, so a retry after a crash or a lost answer reuses it.
- ``review_status``: the review status last fetched per table and period, with the period's ETag.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "upload_receipts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("table_key", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.Text(), nullable=False, server_default=""),
        sa.Column("uploaded_at", sa.Integer(), nullable=False),  # Unix time in ms, this PC's clock
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False, server_default=""),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("server_url", sa.Text(), nullable=False, server_default=""),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("period", "table_key", "revision", name="uq_upload_receipts_revision"),
    )
    op.create_table(
        "pending_uploads",
        sa.Column("period", sa.Text(), primary_key=True),
        sa.Column("table_key", sa.Text(), primary_key=True),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("content_digest", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
    )
    op.create_table(
        "review_status",
        sa.Column("period", sa.Text(), primary_key=True),
        sa.Column("table_key", sa.Text(), primary_key=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),  # the server's JSON entry for the table
        sa.Column("etag", sa.Text(), nullable=False, server_default=""),
        sa.Column("fetched_at", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_status")
    op.drop_table("pending_uploads")
    op.drop_table("upload_receipts")
