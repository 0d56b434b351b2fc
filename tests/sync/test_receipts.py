"""Receipts, pending keys and review status in the local store; 与上次上传相比 against the last receipt."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import app.models.store as store_module
from app.models.schema import table_schema
from app.models.store import PendingUpload, ReviewStatusRecord, Store, UploadReceiptRecord
from app.sync.client import UploadBody
from app.sync.receipts import Receipt
from app.sync.service import SyncService
from tests.sync.helpers import ORG, PERIOD, seed_account


def receipt_record(revision: int, *, table: str = "students", key: str = "k") -> UploadReceiptRecord:
    return UploadReceiptRecord(
        period=PERIOD.id,
        table=table,
        revision=revision,
        received_at=f"2026-09-2{revision}T08:00:00Z",
        uploaded_at=1_790_000_000_000 + revision,
        row_count=3,
        digest=f"sha256:{revision}",
        idempotency_key=key,
    )


def test_a_file_of_the_previous_version_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO students (row_uid, period, position, name) VALUES ('u1', ?, 0, '韦小明')",
            (PERIOD.id,),
        )
    raw.close()

    with Store.open(path) as store:
        assert store.load("students", PERIOD).values[0][0] == "韦小明"
        assert store.upload_receipts() == []
        store.add_upload_receipt(receipt_record(1), b"body")
        assert [r.revision for r in store.upload_receipts()] == [1]
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (store_module.SCHEMA_HEAD,)
        ]
    raw.close()


def test_receipts_are_kept_newest_first_with_their_bodies(isolated_data_dir: Path) -> None:
    with Store.for_account(ORG, isolated_data_dir) as store:
        store.add_upload_receipt(receipt_record(1), b"first")
        store.add_upload_receipt(receipt_record(2), b"second")
        store.add_upload_receipt(receipt_record(1, table="aid"), b"aid")

        assert [(r.table, r.revision) for r in store.upload_receipts()] == [
            ("students", 2),
            ("aid", 1),
            ("students", 1),
        ]
        assert [r.revision for r in store.upload_receipts(PERIOD, "students")] == [2, 1]
        assert store.upload_receipt_body(PERIOD, "students", 2) == b"second"
        assert store.upload_receipt_body(PERIOD, "students", 3) is None
        # The same revision answered twice (a replayed upload) is kept once.
        store.add_upload_receipt(receipt_record(2, key="k2"), b"second again")
        assert [r.idempotency_key for r in store.upload_receipts(PERIOD, "students")] == ["k2", "k"]


def test_a_receipt_clears_the_pending_key_of_its_table_only(isolated_data_dir: Path) -> None:
    with Store.for_account(ORG, isolated_data_dir) as store:
        store.set_pending_upload(PERIOD, "students", PendingUpload("key-s", "digest-s"))
        store.set_pending_upload(PERIOD, "aid", PendingUpload("key-a", "digest-a"))
        store.set_pending_upload(PERIOD, "students", PendingUpload("key-s2", "digest-s2"))
        assert store.pending_upload(PERIOD, "students") == PendingUpload("key-s2", "digest-s2")

        store.add_upload_receipt(receipt_record(1, key="key-s2"), b"x")

        assert store.pending_upload(PERIOD, "students") is None
        assert store.pending_upload(PERIOD, "aid") == PendingUpload("key-a", "digest-a")
        store.clear_pending_upload(PERIOD, "aid")
        assert store.pending_upload(PERIOD, "aid") is None


def test_review_status_is_replaced_per_table(isolated_data_dir: Path) -> None:
    with Store.for_account(ORG, isolated_data_dir) as store:
        store.set_review_status(
            PERIOD,
            [
                ReviewStatusRecord("students", "pending", 1, '{"status": "pending"}', '"e1"'),
                ReviewStatusRecord("aid", "draft", None, '{"status": "draft"}', '"e1"'),
            ],
        )
        store.set_review_status(PERIOD, [ReviewStatusRecord("students", "approved", 1, "{}", '"e2"')])
        records = {r.table: r for r in store.review_status(PERIOD)}
    assert records["students"].status == "approved" and records["students"].etag == '"e2"'
    assert records["aid"].status == "draft" and records["aid"].revision is None
    assert records["aid"].fetched_at > 0


def _upload_current_rows(data_dir: Path, revision: int) -> None:
    """Keep a receipt of the table as it is now, as a successful upload would."""
    with Store.for_account(ORG, data_dir) as store:
        rows = store.load("students", PERIOD)
    keys = table_schema("students").keys
    body = UploadBody.from_rows(
        [
            {"row_uid": uid, **dict(zip(keys, values, strict=True)), "accepted_warnings": list(accepted)}
            for uid, values, accepted in zip(rows.uids, rows.values, rows.accepted, strict=True)
        ],
        batch_id="batch",
    )
    receipt = Receipt(PERIOD.id, "students", revision, "", datetime.now(UTC), body.row_count, "d", "batch")
    with Store.for_account(ORG, data_dir) as store:
        store.add_upload_receipt(receipt.to_record(), body.gzipped)


def test_the_diff_lists_rows_added_changed_and_deleted_since_the_last_upload(isolated_data_dir: Path) -> None:
    seed_account(isolated_data_dir, students=6)
    service = SyncService(isolated_data_dir, org_code=ORG)
    never = service.diff_since_last_upload(PERIOD, "students")
    assert never.since is None and len(never.added) == 6 and "还没有上传过" in never.summary()

    _upload_current_rows(isolated_data_dir, revision=1)
    with Store.for_account(ORG, isolated_data_dir) as store:
        uids = store.load("students", PERIOD).uids
        store.update_cell("students", uids[1], "class_name", "三(2)班")
        store.delete_rows("students", [uids[4]])
        (new_uid,) = store.insert_rows("students", PERIOD, [{"name": "新同学"}])

    diff = service.diff_since_last_upload(PERIOD, "students")

    assert diff.since is not None and diff.since.revision == 1
    assert diff.added == [new_uid]
    assert [(c.row_uid, [(x.column, x.after) for x in c.changes]) for c in diff.changed] == [
        (uids[1], [("class_name", "三(2)班")])
    ]
    assert [d.row_uid for d in diff.deleted] == [uids[4]]
    assert diff.unchanged == 4
    assert "新增 1 行，修改 1 行，删除 1 行" in diff.summary()


def test_the_diff_is_against_the_newest_revision_and_empty_when_nothing_changed(
    isolated_data_dir: Path,
) -> None:
    seed_account(isolated_data_dir, students=3)
    _upload_current_rows(isolated_data_dir, revision=1)
    with Store.for_account(ORG, isolated_data_dir) as store:
        store.insert_rows("students", PERIOD, [{"name": "新同学"}])
    _upload_current_rows(isolated_data_dir, revision=2)

    diff = SyncService(isolated_data_dir, org_code=ORG).diff_since_last_upload(PERIOD, "students")

    assert diff.since is not None and diff.since.revision == 2
    assert diff.is_empty and diff.unchanged == 4
    assert diff.summary().endswith("没有变化。")


def test_a_receipt_gives_back_the_rows_as_sent(isolated_data_dir: Path) -> None:
    demo = seed_account(isolated_data_dir, students=4)
    _upload_current_rows(isolated_data_dir, revision=1)
    with Store.for_account(ORG, isolated_data_dir) as store:  # later edits do not change the receipt
        uid = store.load("students", PERIOD).uids[0]
        store.update_cell("students", uid, "name", "改过的名字")

    service = SyncService(isolated_data_dir, org_code=ORG)
    (receipt,) = service.receipts(PERIOD, "students")
    sent = service.receipt_rows(receipt)

    assert receipt.revision == 1 and receipt.row_count == 4
    assert [values[0] for values in sent.values] == [row["name"] for row in demo.students]
    assert sent.uids[0] == uid


def test_the_upload_body_carries_every_value_exactly(isolated_data_dir: Path) -> None:
    from app.sync.service import _rows_json

    tricky = ['引号"和\\反斜杠', "斜/线", "换\n行", "😀 表情", "  前后空格  ", "</script>", ""]
    with Store.for_account(ORG, isolated_data_dir) as store:
        uids = store.insert_rows("students", PERIOD, [{"name": text, "remark": text} for text in tricky])
        store.set_accepted_warnings("students", uids[1], ["S16", "S20"])
        frame = store.load_frame("students", PERIOD, with_accepted=True)

    rows_json, count = _rows_json(frame, "students")

    rows = json.loads(rows_json)
    assert count == len(tricky) == len(rows)
    assert [row["name"] for row in rows] == tricky and [row["remark"] for row in rows] == tricky
    assert [row["row_uid"] for row in rows] == uids
    assert rows[1]["accepted_warnings"] == ["S16", "S20"] and rows[0]["accepted_warnings"] == []
    assert list(rows[0]) == ["row_uid", *table_schema("students").keys, "accepted_warnings"]
    empty, none = _rows_json(frame.iloc[0:0], "students")
    assert json.loads(empty) == [] and none == 0
