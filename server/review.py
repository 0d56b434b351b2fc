"""The reviewer's work, as plain functions: the queue, a submission's rows, report and diff, decisions.

Used by the API (``/api/v1/review/…``) and by the server-rendered reviewer console; nothing here
knows about HTTP. Every function takes the ``Database`` and the acting ``Principal`` (from
``server.auth``) and checks access itself:

- a school account gets ``ForbiddenError`` (403);
- a reviewer asking for a submission outside its scope gets ``NotFoundError`` (404), exactly as for a
  submission that does not exist, so scope cannot be probed; admins see every school.

Decisions run in one write transaction that locks the submission, so two reviewers clicking at the
same moment cannot both decide; every decision is written to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from app.models.schema import TABLE_KEYS, table_schema
from server import audit
from server.audit import AuditRecord
from server.auth import Principal
from server.db import Database
from server.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from server.models import (
    APPROVED,
    PENDING,
    RETURNED,
    STATUS_LABELS,
    Account,
    Revision,
    RevisionRow,
    Submission,
    utc_now,
)
from server.rows import ACCEPTED_KEY, split_row
from server.submissions import StatusEntry, load_entry, parse_period, table_title

Decision = Literal["approve", "return"]
QUEUE_STATUSES = (PENDING, RETURNED, APPROVED)
MAX_COMMENT_LENGTH = 2000
MAX_ROW_COMMENTS = 1000
MAX_ROW_COMMENT_LENGTH = 500
ACCEPTED_HEADER = "已核对警告"


# ---------------------------------------------------------------- shapes


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: ``status`` (pending/returned/approved, None = all), ``county`` (a region
    code or prefix), ``period`` (id), ``table``, ``search`` (机构码 or part of the school name)."""

    status: str | None = None
    county: str | None = None
    period: str | None = None
    table: str | None = None
    search: str = ""
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class QueueItem:
    """One submission as the queue lists it (its latest revision)."""

    submission_id: int
    org_code: str
    school_name: str
    region_code: str
    region_label: str
    period: str
    period_label: str
    table: str
    table_title: str
    revision: int
    status: str
    status_label: str
    received_at: datetime | None
    row_count: int
    warning_count: int
    notice_count: int
    accepted_count: int
    reviewer: str | None
    reviewed_at: datetime | None


@dataclass(frozen=True)
class Queue:
    """A page of the queue; ``counts`` are per status under the same filter without ``status``."""

    items: list[QueueItem]
    total: int
    counts: dict[str, int]
    offset: int
    limit: int


@dataclass(frozen=True)
class RowComment:
    """A reviewer's comment on a row (``column`` empty) or on one cell (column key or header)."""

    row_uid: str
    column: str
    message: str


@dataclass(frozen=True)
class RevisionInfo:
    number: int
    status: str
    status_label: str
    received_at: datetime
    uploaded_by: str
    row_count: int
    digest: str
    warning_count: int
    notice_count: int
    accepted_count: int
    reviewer: str | None
    reviewed_at: datetime | None
    comment: str | None
    row_comments: list[RowComment]


@dataclass(frozen=True)
class SubmissionDetail:
    item: QueueItem
    entry: StatusEntry  # what the school sees
    revisions: list[RevisionInfo]  # newest first
    columns: list[tuple[str, str]]  # (key, Chinese header) of the table, in order


@dataclass(frozen=True)
class RowRecord:
    position: int  # 0-based
    row: int  # the row number the school sees (position + 1)
    row_uid: str
    values: dict[str, str]
    accepted_warnings: list[str]


@dataclass(frozen=True)
class RowPage:
    revision: int
    total: int  # rows matching ``query``
    offset: int
    limit: int
    query: str
    rows: list[RowRecord]


@dataclass(frozen=True)
class IssueView:
    row_uid: str | None
    row: int
    column: str
    rule: str
    rule_title: str
    severity: str
    message: str
    accepted: bool


@dataclass(frozen=True)
class ReportView:
    """The server's validation report of a revision (errors are always 0: such uploads are refused)."""

    revision: int
    summary: dict[str, int]  # error / warning / notice / accepted
    issues: list[IssueView]


@dataclass(frozen=True)
class CellChange:
    column: str  # column key (or "accepted_warnings")
    header: str
    old: str
    new: str


@dataclass(frozen=True)
class ChangedRow:
    row_uid: str
    row: int  # row number in the newer revision
    old_row: int
    cells: list[CellChange]


@dataclass(frozen=True)
class RevisionDiff:
    """A revision against the one before it, rows matched by row_uid; lists cut at ``limit``."""

    revision: int
    previous: int | None
    added: list[RowRecord]
    deleted: list[RowRecord]
    changed: list[ChangedRow]
    added_count: int
    deleted_count: int
    changed_count: int
    truncated: bool


# ---------------------------------------------------------------- access


def require_reviewer(principal: Principal) -> None:
    if not principal.is_reviewer:
        raise ForbiddenError("只有审核员或管理员可以使用审核功能。", code="reviewer_only")


def _not_found() -> NotFoundError:
    return NotFoundError("找不到该报送记录，或它不在您的审核范围内。", code="no_submission")


def _scope_clause(principal: Principal, school: Any) -> sa.ColumnElement[bool]:
    if principal.is_admin:
        return sa.true()
    if not principal.scope:
        return sa.false()
    # Prefixes are digits only (checked when the reviewer was created): safe inside LIKE.
    return sa.or_(*(school.region_code.like(f"{prefix}%") for prefix in principal.scope))


def _in_scope(
    session: Session, principal: Principal, submission_id: int, *, lock: bool = False
) -> tuple[Submission, Account]:
    require_reviewer(principal)
    query = (
        sa.select(Submission, Account)
        .join(Account, Account.id == Submission.school_id)
        .where(Submission.id == submission_id)
    )
    if lock:
        query = query.with_for_update(of=Submission)
    row = session.execute(query).first()
    if row is None or not principal.covers(row[1].region_code):
        raise _not_found()
    return row[0], row[1]


def _revision(session: Session, submission: Submission, number: int | None) -> Revision:
    wanted = submission.latest_revision if number is None else number
    revision = session.scalars(
        sa.select(Revision).where(Revision.submission_id == submission.id, Revision.number == wanted)
    ).first()
    if revision is None:
        raise NotFoundError(f"该报送没有第{wanted}版。", code="no_revision")
    return revision


# ---------------------------------------------------------------- the queue


def review_queue(db: Database, principal: Principal, flt: QueueFilter) -> Queue:
    """Submissions in the principal's scope that match ``flt``, newest activity first, with counts."""
    require_reviewer(principal)
    if flt.status is not None and flt.status not in QUEUE_STATUSES:
        raise InvalidRequestError(
            "审核状态应为 pending（待审核）、returned（退回重交）或 approved（审核通过）。"
        )
    school, reviewer = aliased(Account), aliased(Account)
    conditions = [_scope_clause(principal, school), *_filter_conditions(flt, school)]
    with db.read() as session:
        counts = dict.fromkeys(QUEUE_STATUSES, 0)
        for status, count in session.execute(
            sa.select(Submission.status, sa.func.count())
            .join(school, school.id == Submission.school_id)
            .where(*conditions)
            .group_by(Submission.status)
        ):
            counts[status] = int(count)
        if flt.status is not None:
            conditions.append(Submission.status == flt.status)
        total = counts.get(flt.status, 0) if flt.status is not None else sum(counts.values())
        rows = session.execute(
            sa.select(Submission, school, Revision, reviewer.name)
            .join(school, school.id == Submission.school_id)
            .join(
                Revision,
                (Revision.submission_id == Submission.id) & (Revision.number == Submission.latest_revision),
            )
            .outerjoin(reviewer, reviewer.id == Revision.reviewer_id)
            .where(*conditions)
            .order_by(Submission.updated_at.desc(), Submission.id.desc())
            .offset(max(0, flt.offset))
            .limit(max(1, min(flt.limit, 500)))
        ).all()
    items = [_item(submission, account, revision, name) for submission, account, revision, name in rows]
    return Queue(items, total, counts, flt.offset, flt.limit)


def _filter_conditions(flt: QueueFilter, school: Any) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if flt.county:
        if not flt.county.isdigit() or not 2 <= len(flt.county) <= 6:
            raise InvalidRequestError("县（区）应为区划代码或其前缀，如 450102 或 4501。")
        conditions.append(school.region_code.like(f"{flt.county}%"))
    if flt.period:
        conditions.append(Submission.period == parse_period(flt.period).id)
    if flt.table:
        if flt.table not in TABLE_KEYS:
            raise InvalidRequestError("表名应为 students 或 aid。")
        conditions.append(Submission.table_key == flt.table)
    if flt.search:
        pattern = "%" + flt.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            sa.or_(school.login.like(pattern, escape="\\"), school.name.like(pattern, escape="\\"))
        )
    return conditions


def _item(submission: Submission, school: Account, revision: Revision, reviewer: str | None) -> QueueItem:
    from app.models.period import Period
    from app.models.regions import region_label

    region = school.region_code or ""
    return QueueItem(
        submission_id=submission.id,
        org_code=school.login,
        school_name=school.name,
        region_code=region,
        region_label=region_label(region, region[:2]) if region else "",
        period=submission.period,
        period_label=Period.from_id(submission.period).label,
        table=submission.table_key,
        table_title=table_title(submission.table_key),
        revision=submission.latest_revision,
        status=submission.status,
        status_label=STATUS_LABELS.get(submission.status, submission.status),
        received_at=revision.received_at,
        row_count=revision.row_count,
        warning_count=revision.warning_count,
        notice_count=revision.notice_count,
        accepted_count=revision.accepted_count,
        reviewer=reviewer,
        reviewed_at=revision.reviewed_at,
    )


# ---------------------------------------------------------------- one submission


def get_submission(db: Database, principal: Principal, submission_id: int) -> SubmissionDetail:
    """A submission's summary, the school's view of its status, and every revision (newest first)."""
    uploader, reviewer = aliased(Account), aliased(Account)
    with db.read() as session:
        submission, school = _in_scope(session, principal, submission_id)
        rows = session.execute(
            sa.select(Revision, uploader.login, reviewer.name)
            .join(uploader, uploader.id == Revision.uploaded_by)
            .outerjoin(reviewer, reviewer.id == Revision.reviewer_id)
            .where(Revision.submission_id == submission.id)
            .order_by(Revision.number.desc())
        ).all()
        entry = load_entry(session, submission.id)
    revisions = [_revision_info(revision, login, name) for revision, login, name in rows]
    latest = rows[0][0]
    item = _item(submission, school, latest, rows[0][2])
    schema = table_schema(submission.table_key)
    return SubmissionDetail(item, entry, revisions, [(c.key, c.header) for c in schema.columns])


def _revision_info(revision: Revision, uploaded_by: str, reviewer: str | None) -> RevisionInfo:
    return RevisionInfo(
        number=revision.number,
        status=revision.status,
        status_label=STATUS_LABELS.get(revision.status, revision.status),
        received_at=revision.received_at,
        uploaded_by=uploaded_by,
        row_count=revision.row_count,
        digest=revision.digest,
        warning_count=revision.warning_count,
        notice_count=revision.notice_count,
        accepted_count=revision.accepted_count,
        reviewer=reviewer,
        reviewed_at=revision.reviewed_at,
        comment=revision.comment,
        row_comments=[RowComment(**comment) for comment in json.loads(revision.row_comments)],
    )


def submission_rows(
    db: Database,
    principal: Principal,
    submission_id: int,
    *,
    revision: int | None = None,
    query: str = "",
    offset: int = 0,
    limit: int = 100,
) -> RowPage:
    """A page of a revision's rows (latest by default); ``query`` finds rows containing that text."""
    limit = max(1, min(limit, 1000))
    offset = max(0, offset)
    with db.read() as session:
        submission, _school = _in_scope(session, principal, submission_id)
        found = _revision(session, submission, revision)
        condition = RevisionRow.revision_id == found.id
        if query:
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            condition = condition & RevisionRow.data.like(f"%{escaped}%", escape="\\")
        total = session.scalar(sa.select(sa.func.count()).select_from(RevisionRow).where(condition)) or 0
        rows = session.execute(
            sa.select(RevisionRow.position, RevisionRow.data)
            .where(condition)
            .order_by(RevisionRow.position)
            .offset(offset)
            .limit(limit)
        ).all()
    keys = table_schema(submission.table_key).keys
    return RowPage(found.number, int(total), offset, limit, query, [_row(p, d, keys) for p, d in rows])


def _row(position: int, data: str, keys: Sequence[str]) -> RowRecord:
    uid, values, accepted = split_row(data, len(keys))
    return RowRecord(
        position=position,
        row=position + 1,
        row_uid=uid,
        values=dict(zip(keys, values, strict=True)),
        accepted_warnings=list(accepted),
    )


def validation_report(
    db: Database, principal: Principal, submission_id: int, revision: int | None = None
) -> ReportView:
    """The server's validation findings of a revision (warnings, accepted warnings, notices)."""
    from app.validation.engine import RULES

    with db.read() as session:
        submission, _school = _in_scope(session, principal, submission_id)
        found = _revision(session, submission, revision)
    issues = [
        IssueView(
            row_uid=item.get("row_uid"),
            row=int(item["row"]),
            column=str(item["column"]),
            rule=str(item["rule"]),
            rule_title=RULES[item["rule"]].title if item["rule"] in RULES else str(item["rule"]),
            severity=str(item["severity"]),
            message=str(item["message"]),
            accepted=bool(item.get("accepted")),
        )
        for item in json.loads(found.report)
    ]
    summary = {
        "error": 0,
        "warning": found.warning_count,
        "notice": found.notice_count,
        "accepted": found.accepted_count,
    }
    return ReportView(found.number, summary, issues)


def revision_diff(
    db: Database, principal: Principal, submission_id: int, revision: int | None = None, *, limit: int = 1000
) -> RevisionDiff:
    """Rows added, deleted and changed (cell by cell) since the revision before (matched by row_uid)."""
    with db.read() as session:
        submission, _school = _in_scope(session, principal, submission_id)
        found = _revision(session, submission, revision)
        if found.number == 1:
            return RevisionDiff(1, None, [], [], [], 0, 0, 0, truncated=False)
        previous = _revision(session, submission, found.number - 1)
        new_rows = _all_rows(session, found.id)
        old_rows = _all_rows(session, previous.id)
    keys = table_schema(submission.table_key).keys
    old = {row.row_uid: row for row in (_row(p, d, keys) for p, d in old_rows)}
    new = {row.row_uid: row for row in (_row(p, d, keys) for p, d in new_rows)}
    added = [row for uid, row in new.items() if uid not in old]
    deleted = [row for uid, row in old.items() if uid not in new]
    changed = [
        change
        for uid, row in new.items()
        if uid in old and (change := _changed(old[uid], row, submission.table_key)) is not None
    ]
    truncated = max(len(added), len(deleted), len(changed)) > limit
    return RevisionDiff(
        found.number,
        previous.number,
        added[:limit],
        deleted[:limit],
        changed[:limit],
        len(added),
        len(deleted),
        len(changed),
        truncated,
    )


def _all_rows(session: Session, revision_id: int) -> Sequence[tuple[int, str]]:
    return [
        (position, data)
        for position, data in session.execute(
            sa.select(RevisionRow.position, RevisionRow.data)
            .where(RevisionRow.revision_id == revision_id)
            .order_by(RevisionRow.position)
        )
    ]


def _changed(old: RowRecord, new: RowRecord, table: str) -> ChangedRow | None:
    schema = table_schema(table)
    cells = [
        CellChange(column.key, column.header, old.values[column.key], new.values[column.key])
        for column in schema.columns
        if old.values[column.key] != new.values[column.key]
    ]
    if sorted(old.accepted_warnings) != sorted(new.accepted_warnings):
        cells.append(
            CellChange(
                ACCEPTED_KEY,
                ACCEPTED_HEADER,
                ",".join(old.accepted_warnings),
                ",".join(new.accepted_warnings),
            )
        )
    if not cells:
        return None
    return ChangedRow(new.row_uid, new.row, old.row, cells)


def submission_audit(
    db: Database, principal: Principal, submission_id: int, *, limit: int = 500
) -> list[AuditRecord]:
    """The audit entries of one submission, newest first."""
    with db.read() as session:
        submission, _school = _in_scope(session, principal, submission_id)
        return audit.entries(session, submission_id=submission.id, limit=limit)


# ---------------------------------------------------------------- decisions


def decide(
    db: Database,
    principal: Principal,
    submission_id: int,
    *,
    revision: int,
    decision: str,
    comment: str,
    row_comments: Sequence[RowComment] = (),
    address: str = "",
) -> StatusEntry:
    """审核通过 (``approve``) or 退回重交 (``return``, comment required) of the pending latest revision.

    ConflictError (409) when ``revision`` is not the latest (``stale_revision``) or the submission is not
    pending (``not_pending``); InvalidRequestError (422) for a missing comment or a comment on an unknown row.
    """
    if decision not in ("approve", "return"):
        raise InvalidRequestError(
            "审核结论应为 approve（审核通过）或 return（退回重交）。", code="bad_decision"
        )
    text = _comment(comment, required=decision == "return", what="退回原因")
    if len(row_comments) > MAX_ROW_COMMENTS:
        raise InvalidRequestError(f"逐行意见最多{MAX_ROW_COMMENTS}条。", code="too_many_comments")
    now = utc_now()
    with db.write() as session:
        submission, school = _in_scope(session, principal, submission_id, lock=True)
        if revision != submission.latest_revision:
            raise ConflictError(
                f"该表已有新的上传（第{submission.latest_revision}版），第{revision}版不能再审核，请刷新后审核最新版本。",
                code="stale_revision",
                extra={"status": submission.status, "revision": submission.latest_revision},
            )
        if submission.status != PENDING:
            label = STATUS_LABELS.get(submission.status, submission.status)
            raise ConflictError(
                f"该表当前状态为“{label}”，只有待审核的数据可以审核。",
                code="not_pending",
                extra={"status": submission.status, "revision": submission.latest_revision},
            )
        found = _revision(session, submission, revision)
        comments = _checked_row_comments(session, found, submission.table_key, row_comments)
        status = APPROVED if decision == "approve" else RETURNED
        found.status, found.reviewer_id, found.reviewed_at = status, principal.account_id, now
        found.comment = text or None
        found.row_comments = json.dumps(comments, ensure_ascii=False)
        submission.status, submission.updated_at = status, now
        audit.record(
            session,
            principal.actor(address),
            "review.approved" if status == APPROVED else "review.returned",
            school_id=school.id,
            submission_id=submission.id,
            revision=revision,
            details={"comment": text, "row_comments": len(comments)},
            at=now,
        )
        session.flush()
        return load_entry(session, submission.id)


def reopen(
    db: Database, principal: Principal, submission_id: int, *, comment: str, address: str = ""
) -> StatusEntry:
    """撤销审核: an approved submission goes back to ``returned`` with the reason (required)."""
    text = _comment(comment, required=True, what="撤销审核的原因")
    now = utc_now()
    with db.write() as session:
        submission, school = _in_scope(session, principal, submission_id, lock=True)
        if submission.status != APPROVED:
            label = STATUS_LABELS.get(submission.status, submission.status)
            raise ConflictError(
                f"只有审核通过的数据可以撤销审核，该表当前状态为“{label}”。",
                code="not_approved",
                extra={"status": submission.status, "revision": submission.latest_revision},
            )
        found = _revision(session, submission, None)
        found.status, found.reviewer_id, found.reviewed_at = RETURNED, principal.account_id, now
        found.comment, found.row_comments = text, "[]"
        submission.status, submission.updated_at = RETURNED, now
        audit.record(
            session,
            principal.actor(address),
            "review.reopened",
            school_id=school.id,
            submission_id=submission.id,
            revision=found.number,
            details={"comment": text},
            at=now,
        )
        session.flush()
        return load_entry(session, submission.id)


def _comment(comment: str, *, required: bool, what: str) -> str:
    text = comment.strip()
    if required and not text:
        raise InvalidRequestError(f"请填写{what}。", code="comment_required")
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidRequestError(f"{what}不能超过{MAX_COMMENT_LENGTH}个字。", code="comment_too_long")
    return text


def _checked_row_comments(
    session: Session, revision: Revision, table: str, comments: Sequence[RowComment]
) -> list[dict[str, str]]:
    """Row comments as stored: the row must exist in the revision, the column is given by its header."""
    if not comments:
        return []
    schema = table_schema(table)
    headers = {column.key: column.header for column in schema.columns}
    headers.update({column.header: column.header for column in schema.columns})
    uids = {c.row_uid for c in comments}
    known = set(
        session.scalars(
            sa.select(RevisionRow.row_uid).where(
                RevisionRow.revision_id == revision.id, RevisionRow.row_uid.in_(uids)
            )
        )
    )
    stored: list[dict[str, str]] = []
    for comment in comments:
        if comment.row_uid not in known:
            raise InvalidRequestError(
                f"逐行意见指向的行（row_uid {comment.row_uid[:64]}）不在第{revision.number}版数据中。",
                code="unknown_row",
            )
        column = comment.column.strip()
        if column and column not in headers:
            raise InvalidRequestError(
                f"逐行意见的列“{column[:40]}”不是{schema.title}的列。", code="unknown_column"
            )
        message = comment.message.strip()
        if not message or len(message) > MAX_ROW_COMMENT_LENGTH:
            raise InvalidRequestError(
                f"逐行意见不能为空，不能超过{MAX_ROW_COMMENT_LENGTH}个字。", code="bad_row_comment"
            )
        stored.append({"row_uid": comment.row_uid, "column": headers.get(column, ""), "message": message})
    return stored
