"""Initial schema: accounts, tokens, throttling, periods, submissions with revisions, idempotency, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Migrations are frozen history: spell out every column here, never import server.models. Each must
run on SQLite and on PostgreSQL (tests/server runs both).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TIME = sa.DateTime(timezone=True)

# The audit log is append-only: the database itself refuses to change or delete an entry.
_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
)
_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    _accounts()
    _sessions()
    _submissions()
    _idempotency()
    _audit()


def _accounts() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=True),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("contact_name", sa.String(50), nullable=False),
        sa.Column("contact_phone", sa.String(30), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("password_changed_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("login", name="uq_accounts_login"),
    )
    op.create_index("ix_accounts_region_code", "accounts", ["region_code"])


def _sessions() -> None:
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_auth_tokens_token_hash"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_auth_tokens_account_id_accounts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_auth_tokens_account_id", "auth_tokens", ["account_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_started_at", _TIME, nullable=False),
        sa.Column("locked_until", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )


def _submissions() -> None:
    op.create_table(
        "periods",
        sa.Column("id", sa.String(11), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("deadline", sa.Date, nullable=True),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_periods"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("school_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(11), nullable=False),
        sa.Column("table_key", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("latest_revision", sa.Integer, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.ForeignKeyConstraint(["school_id"], ["accounts.id"], name="fk_submissions_school_id_accounts"),
        sa.UniqueConstraint(
            "school_id", "period", "table_key", name="uq_submissions_school_id_period_table_key"
        ),
    )
    op.create_index("ix_submissions_period", "submissions", ["period"])
    op.create_index("ix_submissions_status", "submissions", ["status"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("uploaded_by", sa.Integer, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("client_batch_id", sa.String(100), nullable=False),
        sa.Column("warning_count", sa.Integer, nullable=False),
        sa.Column("notice_count", sa.Integer, nullable=False),
        sa.Column("accepted_count", sa.Integer, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("reviewer_id", sa.Integer, nullable=True),
        sa.Column("reviewed_at", _TIME, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("row_comments", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_revisions"),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name="fk_revisions_submission_id_submissions"
        ),
        sa.ForeignKeyConstraint(["uploaded_by"], ["accounts.id"], name="fk_revisions_uploaded_by_accounts"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["accounts.id"], name="fk_revisions_reviewer_id_accounts"),
        sa.UniqueConstraint("submission_id", "number", name="uq_revisions_submission_id_number"),
    )
    op.create_table(
        "revision_rows",
        sa.Column("revision_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("row_uid", sa.String(64), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("revision_id", "position", name="pk_revision_rows"),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revisions.id"],
            name="fk_revision_rows_revision_id_revisions",
            ondelete="CASCADE",
        ),
    )


def _idempotency() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("response", sa.Text, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_idempotency_keys_account_id_accounts"
        ),
        sa.UniqueConstraint("account_id", "key", name="uq_idempotency_keys_account_id_key"),
    )
    op.create_index("ix_idempotency_keys_updated_at", "idempotency_keys", ["updated_at"])


def _audit() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("school_id", sa.Integer, nullable=True),
        sa.Column("submission_id", sa.Integer, nullable=True),
        sa.Column("revision", sa.Integer, nullable=True),
        sa.Column("details", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_school_id", "audit_log", ["school_id"])
    op.create_index("ix_audit_log_submission_id", "audit_log", ["submission_id"])
    triggers = _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_append_only() CASCADE")
    for table in (
        "audit_log",
        "idempotency_keys",
        "revision_rows",
        "revisions",
        "submissions",
        "periods",
        "login_throttle",
        "auth_tokens",
        "accounts",
    ):
        op.drop_table(table)
