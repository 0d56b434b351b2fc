"""The server's tables (SQLAlchemy 2 declarative models); migrations/versions holds their history.

Times are stored in UTC (``UtcDateTime``: aware on PostgreSQL, naive-as-UTC in SQLite) and always
come back as aware UTC datetimes. JSON payloads (rows, reports, comments) are kept as text written
by the server itself, so both databases store exactly the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHOOL: Final = "school"
REVIEWER: Final = "reviewer"
ADMIN: Final = "admin"
ACCOUNT_KINDS: Final = (SCHOOL, REVIEWER, ADMIN)

# Status of a submission (its latest revision); a revision replaced by a newer upload is superseded.
DRAFT: Final = "draft"
PENDING: Final = "pending"
RETURNED: Final = "returned"
APPROVED: Final = "approved"
SUPERSEDED: Final = "superseded"
STATUS_LABELS: Final = {
    DRAFT: "未上传",
    PENDING: "待审核",
    RETURNED: "退回重交",
    APPROVED: "审核通过",
    SUPERSEDED: "已被新版本替换",
}

# Constraint names are spelled out the same way on every database, so migrations can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Now, as an aware UTC datetime (what every time column holds)."""
    return datetime.now(UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite has no time zones: stored naive, read as UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"unexpected time value {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class Account(Base):
    """A login: a school (login = 10-digit 机构码), a reviewer (with region scope) or an admin."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    region_code: Mapped[str | None] = mapped_column(sa.String(6), index=True)
    # Reviewers: region-code prefixes, comma-separated ("4501,4502"); a prefix covers every code under it.
    scope: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuthToken(Base):
    """A bearer token; only its SHA-256 is stored, so a copy of the database logs nobody in."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    address: Mapped[str] = mapped_column(sa.String(64), default="")


class LoginThrottle(Base):
    """Failed logins of one account or one address ("account:…" / "address:…") in the current window."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReportingPeriod(Base):
    """A reporting period offered to schools (``GET /api/v1/periods``)."""

    __tablename__ = "periods"

    id: Mapped[str] = mapped_column(sa.String(11), primary_key=True)  # 2026-2027-1
    label: Mapped[str] = mapped_column(sa.String(40))
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    is_open: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class Submission(Base):
    """One table of one school for one period; ``status`` is that of its latest revision."""

    __tablename__ = "submissions"
    __table_args__ = (sa.UniqueConstraint("school_id", "period", "table_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    period: Mapped[str] = mapped_column(sa.String(11), index=True)
    table_key: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12), index=True)
    latest_revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Revision(Base):
    """One upload of a submission, kept whole, with the server's validation report and the decision."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"))
    number: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(12))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    uploaded_by: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    row_count: Mapped[int] = mapped_column(sa.Integer)
    digest: Mapped[str] = mapped_column(sa.String(64))
    schema_version: Mapped[int] = mapped_column(sa.Integer)
    client_batch_id: Mapped[str] = mapped_column(sa.String(100), default="")
    warning_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    notice_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    accepted_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    report: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list of the issues found
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    row_comments: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON [{row_uid, column, message}]


class RevisionRow(Base):
    """One data row of a revision: the row exactly as the protocol sends it, as compact JSON."""

    __tablename__ = "revision_rows"

    revision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    row_uid: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[str] = mapped_column(sa.Text)


class IdempotencyKey(Base):
    """An upload's Idempotency-Key: reserved while processing, then the first answer, kept for retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    key: Mapped[str] = mapped_column(sa.String(200))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(12))  # processing | done
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    response: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class AuditEntry(Base):
    """Append-only log of every state change (triggers refuse UPDATE and DELETE on both databases)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor: Mapped[str] = mapped_column(sa.String(64))  # login, or "命令行" for the CLI
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(40))
    school_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    submission_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    revision: Mapped[int | None] = mapped_column(sa.Integer)
    details: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON
