"""What a school reads about its submissions: the status of both tables and its receipts.

The status answer is small and the same for every poll until something changes, so its ETag is a
hash of the answer itself: no version counter has to be kept in step anywhere.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from app.models.period import Period, PeriodError
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from server.auth import Principal, require_principal
from server.db import Database
from server.errors import ForbiddenError, InvalidRequestError, NotFoundError
from server.models import DRAFT, STATUS_LABELS, Account, Revision, RevisionRow, Submission
from server.rows import rows_json


def iso(moment: datetime | None) -> str | None:
    """A UTC time as the API writes it: ``2026-09-01T08:00:00.123456Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_period(period_id: str) -> Period:
    """The period of an ASCII id (``2026-2027-1``), or InvalidRequestError."""
    try:
        return Period.from_id(period_id)
    except PeriodError as exc:
        raise InvalidRequestError(str(exc), code="bad_period") from exc


def check_table(table: str) -> TableKey:
    if table not in TABLE_KEYS:
        raise InvalidRequestError(
            f"表名“{table[:20]}”无效，应为 students（在学状态表）或 aid（学生资助表）。", code="bad_table"
        )
    return table


def table_title(table: str) -> str:
    return table_schema(table).title if table in TABLE_KEYS else table


@dataclass(frozen=True)
class StatusEntry:
    """The status of one table: that of its latest revision (``draft`` and revision 0 before any upload)."""

    table: str
    revision: int
    status: str
    reviewer: str | None
    reviewed_at: datetime | None
    comment: str | None
    row_comments: list[dict[str, str]]
    received_at: datetime | None
    row_count: int | None
    digest: str | None
    submission_id: int | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "revision": self.revision,
            "status": self.status,
            "status_label": self.status_label,
            "reviewer": self.reviewer,
            "reviewed_at": iso(self.reviewed_at),
            "comment": self.comment,
            "row_comments": self.row_comments,
            "received_at": iso(self.received_at),
            "row_count": self.row_count,
            "digest": self.digest,
        }


def draft_entry(table: str) -> StatusEntry:
    return StatusEntry(table, 0, DRAFT, None, None, None, [], None, None, None, None)


def entry_of(submission: Submission, revision: Revision | None, reviewer: str | None) -> StatusEntry:
    if revision is None:
        return draft_entry(submission.table_key)
    return StatusEntry(
        table=submission.table_key,
        revision=revision.number,
        status=submission.status,
        reviewer=reviewer,
        reviewed_at=revision.reviewed_at,
        comment=revision.comment,
        row_comments=json.loads(revision.row_comments),
        received_at=revision.received_at,
        row_count=revision.row_count,
        digest=revision.digest,
        submission_id=submission.id,
    )


def _school_entries_query() -> sa.Select[*tuple[Any, ...]]:
    reviewer = aliased(Account)
    return (
        sa.select(
            Submission.id,
            Submission.table_key,
            Submission.status,
            Revision.number,
            Revision.reviewed_at,
            Revision.comment,
            Revision.row_comments,
            Revision.received_at,
            Revision.row_count,
            Revision.digest,
            reviewer.name.label("reviewer"),
        )
        .select_from(Submission)
        .outerjoin(
            Revision,
            (Revision.submission_id == Submission.id) & (Revision.number == Submission.latest_revision),
        )
        .outerjoin(reviewer, reviewer.id == Revision.reviewer_id)
        .where(
            Submission.school_id == sa.bindparam("school_id"),
            Submission.period == sa.bindparam("period_id"),
        )
    )


# Status polling is the busiest request: the statement is built once and reads plain columns
# (building it and loading ORM entities cost several times the query itself).
_SCHOOL_ENTRIES = _school_entries_query()


def load_entries(session: Session | sa.Connection, school_id: int, period_id: str) -> dict[str, StatusEntry]:
    """Status of every table of the school for the period (draft for tables never uploaded)."""
    connection = session.connection() if isinstance(session, Session) else session
    parameters = {"school_id": school_id, "period_id": period_id}
    rows = connection.execute(_SCHOOL_ENTRIES, parameters).all()
    entries: dict[str, StatusEntry] = {table: draft_entry(table) for table in TABLE_KEYS}
    for row in rows:
        if row.number is None:
            continue
        entries[row.table_key] = StatusEntry(
            table=row.table_key,
            revision=row.number,
            status=row.status,
            reviewer=row.reviewer,
            reviewed_at=row.reviewed_at,
            comment=row.comment,
            row_comments=json.loads(row.row_comments),
            received_at=row.received_at,
            row_count=row.row_count,
            digest=row.digest,
            submission_id=row.id,
        )
    return entries


def load_entry(session: Session, submission_id: int) -> StatusEntry:
    reviewer = aliased(Account)
    row = session.execute(
        sa.select(Submission, Revision, reviewer.name)
        .outerjoin(
            Revision,
            (Revision.submission_id == Submission.id) & (Revision.number == Submission.latest_revision),
        )
        .outerjoin(reviewer, reviewer.id == Revision.reviewer_id)
        .where(Submission.id == submission_id)
    ).one()
    return entry_of(row[0], row[1], row[2])


def require_school(principal: Principal) -> None:
    if not principal.is_school:
        raise ForbiddenError("只有学校账号可以使用此功能。", code="school_only")


@dataclass(frozen=True)
class SchoolStatus:
    body: bytes
    etag: str


def school_status(db: Database, principal: Principal, period_id: str) -> SchoolStatus:
    """``GET /submissions/{period}``: both tables' latest status, as JSON bytes with their ETag."""
    require_school(principal)
    period = parse_period(period_id)
    with db.read() as session:
        return school_status_in(session, principal, period.id)


def polled_status(db: Database, token: str | None, period_id: str) -> SchoolStatus:
    """The status answer for a bearer token: the login check and the status on one connection.

    Polling is the busiest request of all; this is ``require_principal`` + ``school_status`` at a
    third of the cost (no ORM session, no transaction round trips on PostgreSQL, one trip to the
    thread pool in the API; bench/bench_server.py).
    """
    with db.lookups() as connection:
        principal = require_principal(connection, token)
        require_school(principal)
        return school_status_in(connection, principal, parse_period(period_id).id)


def school_status_in(session: Session | sa.Connection, principal: Principal, period_id: str) -> SchoolStatus:
    entries = load_entries(session, principal.account_id, period_id)
    answer = {"period": period_id, "submissions": [entries[table].as_json() for table in TABLE_KEYS]}
    body = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # The account is hashed in too: two schools with the same answer (nothing uploaded yet) must not
    # be able to validate each other's ETag.
    digest = hashlib.sha256(f"{principal.account_id}\n".encode() + body).hexdigest()[:32]
    return SchoolStatus(body, f'"{digest}"')


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (weak comparison, as RFC 9110 asks for GET)."""
    if not if_none_match:
        return False
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in candidates)


def receipt_json(db: Database, principal: Principal, period_id: str, table: str, number: int) -> bytes:
    """``GET /submissions/{period}/{table}/revisions/{n}``: an uploaded revision with all its rows."""
    require_school(principal)
    period = parse_period(period_id)
    key = check_table(table)
    with db.read() as session:
        revision = session.scalars(
            sa.select(Revision)
            .join(Submission, Submission.id == Revision.submission_id)
            .where(
                Submission.school_id == principal.account_id,
                Submission.period == period.id,
                Submission.table_key == key,
                Revision.number == number,
            )
        ).first()
        if revision is None:
            raise NotFoundError(f"没有找到{table_title(key)}第{number}次上传的记录。", code="no_revision")
        texts = session.scalars(
            sa.select(RevisionRow.data)
            .where(RevisionRow.revision_id == revision.id)
            .order_by(RevisionRow.position)
        ).all()
    head = {
        "period": period.id,
        "table": key,
        "revision": revision.number,
        "status": revision.status,
        "status_label": STATUS_LABELS.get(revision.status, revision.status),
        "received_at": iso(revision.received_at),
        "row_count": revision.row_count,
        "digest": revision.digest,
        "schema_version": revision.schema_version,
        "client_batch_id": revision.client_batch_id,
    }
    prefix = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return f'{prefix},"rows":{rows_json(texts, table_schema(key).keys)}}}'.encode()
