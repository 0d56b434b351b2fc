"""Uploads: a whole table as a new revision, validated by the same engine as the client.

The order of work for ``PUT /submissions/{period}/{table}``:

1. parse the body (shape only) and compute the rows' digest;
2. reserve the Idempotency-Key — a row in ``idempotency_keys`` under a unique constraint, so of
   any number of concurrent requests with one key exactly one proceeds; the others get the stored
   answer, or 409 + Retry-After while the first is still running, or 422 for a different body;
3. check the submission (approved → 409, stale If-Match → 412);
4. validate with ``app.validation.engine.validate`` (an 学生资助表 against the school's latest
   在学状态表): errors → 422, stored as the key's answer, nothing else stored;
5. in one transaction: re-check 3 under the submission's write lock, insert the revision and all
   its rows in bulk (PostgreSQL COPY, SQLite executemany), update the submission, store the answer
   under the key, and append the audit entry.

Answers that depend on the moment (409 approved, 412, 413, failures) are not stored: the key is
released and a retry is judged afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.bulk import collector_paused
from app.models.period import Period
from app.models.schema import TableKey
from server import audit
from server.auth import Principal
from server.db import Database
from server.errors import (
    ConflictError,
    InvalidRequestError,
    PreconditionFailedError,
    PreconditionRequiredError,
    ServiceError,
)
from server.models import (
    APPROVED,
    PENDING,
    SUPERSEDED,
    IdempotencyKey,
    Revision,
    RevisionRow,
    Submission,
    utc_now,
)
from server.rows import ParsedRows, decode_rows, parse_upload, rows_frame
from server.settings import Settings
from server.submissions import check_table, iso, load_entry, parse_period, require_school, table_title

if TYPE_CHECKING:
    import pandas as pd

    from app.validation.engine import Report
    from app.validation.report import Issue

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:+/=-]{8,200}$")
MAX_ERRORS_LISTED = 10_000
IN_PROGRESS_RETRY_AFTER = 1
_PROCESSING = "processing"
_DONE = "done"


class ValidationIncompleteError(ServiceError):
    """A rule of the engine failed on the server: the upload cannot be judged (HTTP 500)."""

    status_code = 500
    code = "validation_incomplete"


@dataclass(frozen=True)
class UploadRequest:
    """One ``PUT`` as the API received it (the body already decompressed)."""

    period: str
    table: str
    body: bytes
    idempotency_key: str | None
    if_match: str | None
    address: str


@dataclass(frozen=True)
class UploadAnswer:
    """The HTTP answer: status, JSON body, and whether it is a stored first answer being replayed."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def handle_upload(
    db: Database, settings: Settings, principal: Principal, request: UploadRequest
) -> UploadAnswer:
    """Run one upload (see the module docstring); raises ServiceError for answers that are not stored."""
    require_school(principal)
    period = parse_period(request.period)
    table = check_table(request.table)
    key = _idempotency_key(request.idempotency_key)
    expected = _expected_revision(request.if_match)
    timings = Timings()
    # Hundreds of thousands of small strings and tuples, none in a cycle: the collector would only
    # walk them again and again.
    with collector_paused():
        with timings.phase("parse"):
            parsed = parse_upload(request.body, table, max_rows=settings.max_rows)
        fingerprint = _fingerprint(period, parsed)
        stored = _reserve(db, settings, principal.account_id, key, fingerprint)
        if stored is not None:
            return stored
        try:
            answer = _process(db, _Job(principal, period, parsed, expected, key, request.address, timings))
        except BaseException:
            _release(db, principal.account_id, key)
            raise
    log.info(
        "upload %s %s/%s: %d rows -> %d, %s",
        principal.login, period.id, table, parsed.row_count, answer.status_code, timings.summary(),
    )  # fmt: skip
    return answer


class Timings:
    """Wall-clock and CPU time of an upload and of its phases, for the log (and the benchmarks)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.cpu_started = time.thread_time()
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start

    def summary(self) -> str:
        total = time.perf_counter() - self.started
        cpu = time.thread_time() - self.cpu_started
        parts = ", ".join(f"{name} {seconds:.2f}" for name, seconds in self.phases.items())
        return f"{total:.2f} s (CPU {cpu:.2f} s; {parts})"


# ---------------------------------------------------------------- headers


def _idempotency_key(value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidRequestError(
            "缺少 Idempotency-Key 请求头：每次上传须带一个唯一标识（如 UUID）。",
            code="idempotency_key_missing",
        )
    if not IDEMPOTENCY_KEY.match(value.strip()):
        raise InvalidRequestError(
            "Idempotency-Key 格式错误：应为8至200个字母、数字或 - _ . : 等字符（如 UUID）。",
            code="idempotency_key_invalid",
        )
    return value.strip()


def _expected_revision(if_match: str | None) -> int:
    """The revision the client last saw: ``"3"`` → 3; ``"*"`` (first upload) → 0."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequiredError('缺少 If-Match 请求头：请带上最近一次看到的版本号，首次上传为 "*"。')
    value = if_match.strip().removeprefix("W/").strip('"').strip()
    if value == "*":
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise InvalidRequestError(
            f'If-Match 请求头“{if_match[:20]}”格式错误：应为版本号（如 "3"）或 "*"。', code="if_match_invalid"
        )
    return int(value)


def _fingerprint(period: Period, parsed: ParsedRows) -> str:
    text = "\n".join(
        (period.id, parsed.table, str(parsed.schema_version), parsed.client_batch_id, parsed.digest)
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------- idempotency keys

# protocol.md: keys are kept for the whole reporting season, at least 180 days (an offline PC may
# retry days later); only older ones may be purged.
KEY_RETENTION_MIN_DAYS = 180


def purge_idempotency_keys(
    db: Database, actor: audit.Actor, older_than_days: int, *, now: datetime | None = None
) -> int:
    """Delete the Idempotency-Keys last used more than ``older_than_days`` ago; returns how many.

    Each key keeps its first answer (a refused upload's answer lists every error), so a season of
    uploads adds up; this is the operator's way to reclaim it once no client can retry any more.
    """
    if older_than_days < KEY_RETENTION_MIN_DAYS:
        raise InvalidRequestError(
            f"上传标识至少要保留 {KEY_RETENTION_MIN_DAYS} 天（离线的电脑可能隔很多天才重试上传），"
            f"不能清理 {older_than_days} 天以内的。"
        )
    cutoff = (now or utc_now()) - timedelta(days=older_than_days)
    with db.write() as session:
        stale = sa.delete(IdempotencyKey).where(IdempotencyKey.updated_at < cutoff)
        purged = session.connection().execute(stale).rowcount  # a Connection's result knows the count
        audit.record(
            session,
            actor,
            "idempotency_keys.purge",
            details={"older_than_days": older_than_days, "before": cutoff.isoformat(), "purged": purged},
        )
    return purged


def _reserve(
    db: Database, settings: Settings, account_id: int, key: str, fingerprint: str
) -> UploadAnswer | None:
    """Reserve ``key`` for this request (None), or the stored first answer; raises 409/422."""
    for _attempt in range(3):
        try:
            with db.write() as session:
                return _reserve_in(session, settings, account_id, key, fingerprint)
        except IntegrityError:
            # PostgreSQL: another request inserted the same key between our read and our insert.
            continue
    raise ConflictError(
        "相同的上传正在处理中，请稍后重试。",
        code="upload_in_progress",
        headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER)},
    )


def _reserve_in(
    session: Session, settings: Settings, account_id: int, key: str, fingerprint: str
) -> UploadAnswer | None:
    now = utc_now()
    row = session.scalars(
        sa.select(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .with_for_update()
    ).first()
    if row is None:
        session.add(
            IdempotencyKey(
                account_id=account_id,
                key=key,
                fingerprint=fingerprint,
                state=_PROCESSING,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        return None
    if row.fingerprint != fingerprint:
        raise InvalidRequestError(
            "同一个 Idempotency-Key 已用于另一份数据：每次新的上传须使用新的 Idempotency-Key。",
            code="idempotency_key_reused",
        )
    if row.state == _DONE and row.status_code is not None and row.response is not None:
        return UploadAnswer(row.status_code, json.loads(row.response), replayed=True)
    if now - row.updated_at < settings.idempotency_lease:
        raise ConflictError(
            "相同的上传正在处理中，请稍后重试。",
            code="upload_in_progress",
            headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER)},
        )
    row.updated_at = now  # an abandoned reservation (its worker died): this request takes it over
    return None


def _release(db: Database, account_id: int, key: str) -> None:
    try:
        with db.write() as session:
            session.execute(
                sa.delete(IdempotencyKey).where(
                    IdempotencyKey.account_id == account_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.state == _PROCESSING,
                )
            )
    except sa.exc.SQLAlchemyError:
        # The lease lets a later retry take the key over; the original error is what matters.
        log.exception("could not release idempotency key")


def _finish_key(session: Session, account_id: int, key: str, answer: UploadAnswer) -> None:
    session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.account_id == account_id, IdempotencyKey.key == key)
        .values(
            state=_DONE,
            status_code=answer.status_code,
            response=json.dumps(answer.body, ensure_ascii=False, separators=(",", ":")),
            updated_at=utc_now(),
        )
    )


# ---------------------------------------------------------------- processing


@dataclass(frozen=True)
class _Job:
    """One upload past its header and body checks, with the Idempotency-Key it holds."""

    principal: Principal
    period: Period
    parsed: ParsedRows
    expected: int  # the revision named by If-Match (0: none yet)
    key: str
    address: str
    timings: Timings = field(default_factory=Timings)

    @property
    def school_id(self) -> int:
        return self.principal.account_id

    @property
    def actor(self) -> audit.Actor:
        return self.principal.actor(self.address)


def _process(db: Database, job: _Job) -> UploadAnswer:
    parsed = job.parsed
    with db.read() as session:
        submission = _submission(session, job.school_id, job.period.id, parsed.table)
        _check_submission(session, submission, job.expected, parsed.table)
        students = _latest_students(session, job.school_id, job.period.id) if parsed.table == "aid" else None
    if students is not None and not len(students):
        # Every aid row must match a student of the 在学状态表 (A03): without one there is nothing to
        # check against, and the school should upload that table first.
        raise InvalidRequestError(
            "请先上传本期的在学状态表：学生资助表要与它逐人核对后才能上传。", code="students_missing"
        )
    with job.timings.phase("validate"):
        report = validate_rows(parsed, job.period, students)
    errors = [issue for issue in report.issues if issue.severity == "error"]
    if errors:
        answer = _rejected(parsed, errors)
        with db.write() as session:
            _finish_key(session, job.school_id, job.key, answer)
            audit.record(
                session,
                job.actor,
                "upload.rejected",
                school_id=job.school_id,
                submission_id=submission.id if submission is not None else None,
                details={
                    "period": job.period.id,
                    "table": parsed.table,
                    "errors": len(errors),
                    "rows": parsed.row_count,
                },
            )
        return answer
    with job.timings.phase("store"), db.write() as session:
        return _store(session, job, report)


def _submission(
    session: Session, school_id: int, period_id: str, table: str, *, lock: bool = False
) -> Submission | None:
    query = sa.select(Submission).where(
        Submission.school_id == school_id, Submission.period == period_id, Submission.table_key == table
    )
    return session.scalars(query.with_for_update() if lock else query).first()


def _check_submission(session: Session, submission: Submission | None, expected: int, table: str) -> None:
    latest = submission.latest_revision if submission is not None else 0
    if submission is not None and submission.status == APPROVED:
        raise ConflictError(
            f"{table_title(table)}已审核通过，数据已锁定，不能再上传；如需修改请联系上级撤销审核。",
            code="approved",
            extra={"status": APPROVED, "revision": latest},
        )
    if expected != latest:
        current = load_entry(session, submission.id).as_json() if submission is not None else None
        seen = f"第{expected}版" if expected else "尚未上传"
        now = f"第{latest}版" if latest else "尚未上传"
        raise PreconditionFailedError(
            f"服务器上的{table_title(table)}已有变化（您看到的是{seen}，服务器上是{now}），请先刷新审核状态再上传。",
            extra={
                "status": submission.status if submission is not None else "draft",
                "revision": latest,
                "current": current,
            },
        )


def _latest_students(session: Session, school_id: int, period_id: str) -> pd.DataFrame:
    """The school's latest 在学状态表 of the period (an empty table when none was uploaded)."""
    revision_id = session.scalar(
        sa.select(Revision.id)
        .join(
            Submission,
            (Submission.id == Revision.submission_id) & (Revision.number == Submission.latest_revision),
        )
        .where(
            Submission.school_id == school_id,
            Submission.period == period_id,
            Submission.table_key == "students",
        )
    )
    texts: Sequence[str] = ()
    if revision_id is not None:
        texts = session.scalars(
            sa.select(RevisionRow.data)
            .where(RevisionRow.revision_id == revision_id)
            .order_by(RevisionRow.position)
        ).all()
    columns, uids, accepted = decode_rows(texts, "students")
    return rows_frame(columns, uids, accepted)


def validate_rows(
    parsed: ParsedRows, period: Period, students: pd.DataFrame | None, today: date | None = None
) -> Report:
    """The engine's full catalog over the upload (aid: cross-table rules against ``students`` too)."""
    from app.validation.engine import rule_catalog, validate

    frame = parsed.frame()
    if parsed.table == "students":
        report = validate(frame, None, period, today=today)
    else:
        aid_rules = [rule.id for rule in rule_catalog() if rule.applies_to("aid")]
        report = validate(students, frame, period, today=today, rules=aid_rules)
        report.issues = [issue for issue in report.issues if issue.table == "aid"]
    if report.failed_rules:
        failed = "、".join(sorted(set(report.failed_rules)))
        raise ValidationIncompleteError(
            f"服务器检查数据时部分规则（{failed}）出错，未能完成检查，数据未保存。请联系管理员。"
        )
    return report


def _issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "row_uid": issue.row_uid,
        "row": issue.row,
        "column": issue.column,
        "rule": issue.rule,
        "severity": issue.severity,
        "message": issue.message,
    }


def _rejected(parsed: ParsedRows, errors: list[Issue]) -> UploadAnswer:
    title = table_title(parsed.table)
    listed = errors[:MAX_ERRORS_LISTED]
    more = f"（仅列出前 {MAX_ERRORS_LISTED} 个）" if len(errors) > MAX_ERRORS_LISTED else ""
    body = {
        "code": "validation_failed",
        "message": f"{title}有 {len(errors)} 个错误{more}，数据未保存。请修改后重新上传。",
        "error_count": len(errors),
        "errors": [_issue_json(issue) for issue in listed],
    }
    return UploadAnswer(422, body)


def _store(session: Session, job: _Job, report: Report) -> UploadAnswer:
    principal, period, parsed, actor = job.principal, job.period, job.parsed, job.actor
    now = utc_now()
    submission = _locked_submission(session, principal.account_id, period.id, parsed.table)
    _check_submission(session, submission, job.expected, parsed.table)
    number = submission.latest_revision + 1
    session.execute(
        sa.update(Revision)
        .where(Revision.submission_id == submission.id, Revision.status == PENDING)
        .values(status=SUPERSEDED)
    )
    summary = report.summary()
    revision_id = session.execute(
        sa.insert(Revision)
        .values(
            submission_id=submission.id,
            number=number,
            status=PENDING,
            received_at=now,
            uploaded_by=principal.account_id,
            address=audit.clip_address(actor.address),
            row_count=parsed.row_count,
            digest=parsed.digest,
            schema_version=parsed.schema_version,
            client_batch_id=parsed.client_batch_id,
            warning_count=summary["warning"],
            notice_count=summary["notice"],
            accepted_count=report.accepted_count,
            report=_report_json(report),
            row_comments="[]",
        )
        .returning(Revision.id)
    ).scalar_one()
    insert_rows(session, revision_id, parsed.uids, parsed.encoded)
    submission.latest_revision, submission.status, submission.updated_at = number, PENDING, now
    answer = UploadAnswer(
        201,
        {
            "revision": number,
            "status": PENDING,
            "received_at": iso(now),
            "row_count": parsed.row_count,
            "digest": parsed.digest,
            "submission_id": submission.id,
        },
    )
    _finish_key(session, principal.account_id, job.key, answer)
    audit.record(
        session,
        actor,
        "upload.accepted",
        school_id=principal.account_id,
        submission_id=submission.id,
        revision=number,
        details={
            "period": period.id,
            "table": parsed.table,
            "rows": parsed.row_count,
            "digest": parsed.digest,
        },
        at=now,
    )
    return answer


def _report_json(report: Report) -> str:
    issues = [{**_issue_json(issue), "accepted": issue.accepted} for issue in report.issues]
    return json.dumps(issues, ensure_ascii=False, separators=(",", ":"))


def _locked_submission(session: Session, school_id: int, period_id: str, table: TableKey) -> Submission:
    """The submission row, created if needed, locked for this transaction (PostgreSQL: FOR UPDATE)."""
    submission = _submission(session, school_id, period_id, table, lock=True)
    if submission is not None:
        return submission
    try:
        with session.begin_nested():
            session.add(
                Submission(
                    school_id=school_id,
                    period=period_id,
                    table_key=table,
                    status=PENDING,
                    latest_revision=0,
                    updated_at=utc_now(),
                )
            )
    except IntegrityError:
        pass  # created by a concurrent upload of the same table (PostgreSQL); lock theirs
    submission = _submission(session, school_id, period_id, table, lock=True)
    assert submission is not None
    return submission


_COPY = "COPY revision_rows (revision_id, position, row_uid, data) FROM STDIN"
_INSERT = "INSERT INTO revision_rows (revision_id, position, row_uid, data) VALUES (?, ?, ?, ?)"


def insert_rows(session: Session, revision_id: int, uids: Sequence[str], encoded: Sequence[str]) -> None:
    """Insert a revision's rows in one bulk operation (COPY on PostgreSQL, executemany on SQLite)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
            for position, (uid, data) in enumerate(zip(uids, encoded, strict=True)):
                copy.write_row((revision_id, position, uid, data))
        return
    with _raw_cursor(connection) as cursor:
        cursor.executemany(
            _INSERT,
            [
                (revision_id, position, uid, data)
                for position, (uid, data) in enumerate(zip(uids, encoded, strict=True))
            ],
        )


@contextmanager
def _raw_cursor(connection: sa.Connection) -> Iterator[Any]:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()
