"""Upload receipts (上传记录) and the comparison with the last upload (与上次上传相比).

A receipt is kept locally for every successful upload: revision, times, row count, the server's
digest, and the body exactly as sent (gzip JSON), so both work without the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.models.schema import table_schema
from app.models.store import TableRows, UploadReceiptRecord
from app.sync.client import decode_body


@dataclass(frozen=True)
class Receipt:
    """One successful upload of one table."""

    period: str  # the period id, e.g. "2026-2027-1"
    table: str
    revision: int
    received_at: str  # the server's time stamp (ISO 8601)
    uploaded_at: datetime  # this PC's clock, aware (UTC)
    row_count: int
    digest: str
    idempotency_key: str
    server_url: str = ""

    @classmethod
    def from_record(cls, record: UploadReceiptRecord) -> Receipt:
        return cls(
            period=record.period,
            table=record.table,
            revision=record.revision,
            received_at=record.received_at,
            uploaded_at=datetime.fromtimestamp(record.uploaded_at / 1000, UTC),
            row_count=record.row_count,
            digest=record.digest,
            idempotency_key=record.idempotency_key,
            server_url=record.server_url,
        )

    def to_record(self) -> UploadReceiptRecord:
        return UploadReceiptRecord(
            period=self.period,
            table=self.table,
            revision=self.revision,
            received_at=self.received_at,
            uploaded_at=int(self.uploaded_at.timestamp() * 1000),
            row_count=self.row_count,
            digest=self.digest,
            idempotency_key=self.idempotency_key,
            server_url=self.server_url,
        )

    @property
    def local_time_text(self) -> str:
        """The upload time on this PC's clock, as the receipt dialog shows it (2026-09-30 14:05:09)."""
        return self.uploaded_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class SentRows:
    """The rows of a receipt as sent: uids, values in the schema's column order, accepted warnings."""

    uids: list[str]
    values: list[list[str]]
    accepted: list[tuple[str, ...]]


def sent_rows(body: bytes, table: str) -> SentRows:
    """Decode the gzip body of a receipt into the rows as sent."""
    keys = table_schema(table).keys
    rows: list[dict[str, Any]] = decode_body(body).get("rows") or []
    return SentRows(
        uids=[str(row.get("row_uid") or "") for row in rows],
        values=[[_text(row.get(key)) for key in keys] for row in rows],
        accepted=[tuple(str(rule) for rule in row.get("accepted_warnings") or ()) for row in rows],
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


# ---------------------------------------------------------------- 与上次上传相比


@dataclass(frozen=True)
class CellChange:
    """One changed cell: the column key, its value as uploaded and as it is now."""

    column: str
    before: str
    after: str


@dataclass(frozen=True)
class ChangedRow:
    row_uid: str
    changes: tuple[CellChange, ...]


@dataclass(frozen=True)
class DeletedRow:
    """A row that was uploaded but is no longer in the table (its values as uploaded)."""

    row_uid: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class RowDiff:
    """The table now against its last upload (``since`` None: never uploaded, every row is added)."""

    since: Receipt | None
    added: list[str]  # row uids, in grid order
    changed: list[ChangedRow]  # in grid order
    deleted: list[DeletedRow]  # in the order they were uploaded
    unchanged: int

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.deleted)

    def summary(self) -> str:
        """One line in Chinese, e.g. "与第2版相比：新增 3 行，修改 1 行，删除 0 行。"."""
        if self.since is None:
            return f"本表还没有上传过，共 {len(self.added)} 行。"
        head = f"与第{self.since.revision}版（{self.since.local_time_text} 上传）相比："
        if self.is_empty:
            return head + "没有变化。"
        return head + f"新增 {len(self.added)} 行，修改 {len(self.changed)} 行，删除 {len(self.deleted)} 行。"


def diff_rows(table: str, current: TableRows, sent: SentRows | None, since: Receipt | None) -> RowDiff:
    """Compare the rows now with the rows last uploaded, by row uid (a uid never changes)."""
    if sent is None:
        return RowDiff(since, list(current.uids), [], [], 0)
    keys = table_schema(table).keys
    before = dict(zip(sent.uids, sent.values, strict=True))
    added: list[str] = []
    changed: list[ChangedRow] = []
    unchanged = 0
    for uid, values in zip(current.uids, current.values, strict=True):
        old = before.pop(uid, None)
        if old is None:
            added.append(uid)
        elif old == values:
            unchanged += 1
        else:
            changed.append(ChangedRow(uid, _cell_changes(keys, old, values)))
    deleted = [DeletedRow(uid, tuple(before[uid])) for uid in sent.uids if uid in before]
    return RowDiff(since, added, changed, deleted, unchanged)


def _cell_changes(keys: Sequence[str], old: Sequence[str], new: Sequence[str]) -> tuple[CellChange, ...]:
    return tuple(CellChange(key, a, b) for key, a, b in zip(keys, old, new, strict=True) if a != b)
