"""Failures caused by the environment become typed errors with a Chinese message, and lose no data."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models import errors
from app.models.errors import (
    NewerSchemaError,
    StorageFullError,
    StoreCorruptError,
    StoreError,
    StoreIOError,
    StoreLockedError,
    StoreOpenError,
    StoreReadOnlyError,
    classify,
)
from app.models.period import Period
from app.models.store import Store, TableRows

AUTUMN = Period("2026-2027", "秋季学期")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "school.sqlite3"


@pytest.fixture
def filled(path: Path) -> Iterator[Path]:
    """A store file holding three students, closed."""
    with Store.open(path) as store:
        store.insert_rows("students", AUTUMN, [{"name": name} for name in ("甲", "乙", "丙")])
    yield path


def snapshot(path: Path) -> TableRows:
    with Store.open(path) as store:
        return store.load("students", AUTUMN)


def file_bytes(path: Path) -> dict[str, bytes]:
    """The bytes of the database and of any journal beside it."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.name.startswith(path.name)}


# -- refusing files ---------------------------------------------------------------------------------


def test_a_file_from_a_newer_version_is_refused_and_left_unchanged(filled: Path) -> None:
    with sqlite3.connect(filled) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0042_future_columns'")
    # A rollback journal, so that switching the file to WAL too early would show in its bytes.
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()
    before = file_bytes(filled)
    with pytest.raises(NewerSchemaError) as raised:
        Store.open(filled)
    assert "更新版本" in raised.value.user_message
    assert file_bytes(filled) == before


def test_random_bytes_are_not_a_data_file(path: Path) -> None:
    path.write_bytes(os.urandom(8192))
    before = file_bytes(path)
    with pytest.raises(StoreCorruptError) as raised:
        Store.open(path)
    assert "损坏" in raised.value.user_message
    assert file_bytes(path) == before


def test_another_programs_sqlite_file_is_refused_and_left_unchanged(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        connection.execute("INSERT INTO contacts VALUES ('张三', '0771-5301234')")
    connection.close()
    before = file_bytes(path)
    with pytest.raises(StoreCorruptError):
        Store.open(path)
    assert file_bytes(path) == before
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    connection.close()


def test_a_damaged_data_file_is_reported_as_corrupt(filled: Path) -> None:
    data = bytearray(filled.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    garbage = bytes(range(256)) * (page_size // 256)
    for start in range(page_size, len(data), page_size):  # every page but the header page
        data[start : start + page_size] = garbage
    filled.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptError), Store.open(filled) as store:
        store.load("students", AUTUMN)


def test_a_file_in_a_missing_folder_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError) as raised:
        Store.open(tmp_path / "no-such-folder" / "school.sqlite3")
    assert "无法创建或打开" in raised.value.user_message


def test_an_account_folder_that_cannot_be_made_is_reported(isolated_data_dir: Path) -> None:
    isolated_data_dir.mkdir(parents=True)
    (isolated_data_dir / "accounts").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(StoreOpenError):
        Store.for_account("4501020001")


# -- failed writes --------------------------------------------------------------------------------


def test_a_full_disk_reports_and_keeps_the_previous_data(filled: Path) -> None:
    before = snapshot(filled)
    with Store.open(filled) as store:
        # SQLite reports a full disk the same way when the database reaches max_page_count.
        store._pragma(f"max_page_count = {store._pragma('page_count')}")
        big_rows = [{"name": f"学生{i}", "remark": "备注" * 50} for i in range(2000)]
        with pytest.raises(StorageFullError) as raised:
            store.insert_rows("students", AUTUMN, big_rows, at=1)
        assert raised.value.user_message.startswith("磁盘空间已满")
        assert store.load("students", AUTUMN) == before
        store._pragma("max_page_count = 1073741823")
        store.update_cell("students", before.uids[0], "name", "空间已清理")
    after = snapshot(filled)
    assert after.uids == before.uids
    assert after.values[0][0] == "空间已清理"
    assert after.values[1:] == before.values[1:]


def test_a_read_only_file_refuses_writes_and_keeps_the_data(filled: Path) -> None:
    before = snapshot(filled)
    # Tests run as root, for whom chmod does not prevent writing: open the file read-only instead.
    with Store._open(filled, read_only=True) as store:
        assert store.load("students", AUTUMN) == before
        with pytest.raises(StoreReadOnlyError) as raised:
            store.update_cell("students", before.uids[0], "name", "改不了")
        assert "只读" in raised.value.user_message
        with pytest.raises(StoreReadOnlyError):
            store.insert_rows("students", AUTUMN, [{"name": "丁"}])
        assert store.load("students", AUTUMN) == before
    assert snapshot(filled) == before


def test_a_file_locked_by_another_program_reports_and_recovers(filled: Path) -> None:
    before = snapshot(filled)
    other = sqlite3.connect(filled, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        other.execute("UPDATE students SET name = '别的程序' WHERE position = 2")
        with Store._open(filled, busy_timeout_ms=50) as store:
            with pytest.raises(StoreLockedError) as raised:
                store.update_cell("students", before.uids[0], "name", "被锁住")
            assert "另一个程序" in raised.value.user_message
            other.execute("ROLLBACK")
            store.update_cell("students", before.uids[0], "name", "解锁后保存")
            assert store.load("students", AUTUMN).values[0][0] == "解锁后保存"
    finally:
        other.close()
    assert [values[0] for values in snapshot(filled).values] == ["解锁后保存", "乙", "丙"]


def test_opening_a_file_another_program_holds_exclusively_reports_locked(path: Path) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        other.execute("CREATE TABLE half_written (x)")
        with pytest.raises(StoreLockedError):
            Store._open(path, busy_timeout_ms=50)
    finally:
        other.close()


def test_an_unexpected_database_error_becomes_a_generic_store_error(filled: Path) -> None:
    before = snapshot(filled)
    with Store.open(filled) as store:
        with pytest.raises(StoreError) as raised:
            # A uid that is already taken: a bug in the caller, not in the environment.
            store.insert_rows("students", AUTUMN, [{"name": "重复"}], uids=[before.uids[0]])
        assert type(raised.value) is StoreError
        assert isinstance(raised.value.__cause__, sqlite3.IntegrityError)
        assert store.load("students", AUTUMN) == before


# -- classification --------------------------------------------------------------------------------


def sqlite_error(code: int, message: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    error.sqlite_errorname = "TEST"
    return error


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (sqlite3.SQLITE_FULL, StorageFullError),
        (sqlite3.SQLITE_READONLY, StoreReadOnlyError),
        (sqlite3.SQLITE_READONLY_DBMOVED, StoreReadOnlyError),
        (sqlite3.SQLITE_BUSY, StoreLockedError),
        (sqlite3.SQLITE_BUSY_SNAPSHOT, StoreLockedError),
        (sqlite3.SQLITE_LOCKED, StoreLockedError),
        (sqlite3.SQLITE_CORRUPT, StoreCorruptError),
        (sqlite3.SQLITE_NOTADB, StoreCorruptError),
        (sqlite3.SQLITE_CANTOPEN, StoreOpenError),
        (sqlite3.SQLITE_IOERR_WRITE, StoreIOError),
        (sqlite3.SQLITE_NOMEM, StoreError),
    ],
)
def test_sqlite_errors_are_classified_by_code_not_message(code: int, expected: type[StoreError]) -> None:
    # The message says "locked" on purpose: only the code counts.
    error = classify(sqlite_error(code, "database is locked"))
    assert type(error) is expected


def test_sqlalchemy_wrapped_errors_are_classified_by_their_original() -> None:
    from sqlalchemy.exc import OperationalError

    wrapped = OperationalError("INSERT …", {}, sqlite_error(sqlite3.SQLITE_FULL, "disk I/O error"))
    assert type(classify(wrapped)) is StorageFullError


def test_file_system_errors_are_classified_by_errno() -> None:
    assert type(classify(OSError(errno.ENOSPC, "No space left on device"))) is StorageFullError
    assert type(classify(OSError(errno.EROFS, "Read-only file system"))) is StoreReadOnlyError
    assert type(classify(PermissionError(errno.EACCES, "Permission denied"))) is StoreOpenError
    assert classify(KeyError("not a storage problem")) is None


def test_every_error_has_its_own_plain_chinese_message() -> None:
    classes = [
        value for value in vars(errors).values() if isinstance(value, type) and issubclass(value, StoreError)
    ]
    messages = [cls.user_message for cls in classes]
    assert len(classes) >= 8
    assert len(set(messages)) == len(messages)
    for message in messages:
        assert re.search(r"[\u4e00-\u9fff]{10}", message)
        assert not re.search(r"[A-Za-z]{2,}", message), message  # no English words, no traceback


def test_the_error_detail_stays_out_of_the_user_message() -> None:
    error = classify(sqlite_error(sqlite3.SQLITE_FULL, "database or disk is full"))
    assert error is not None
    assert "disk" not in error.user_message
    assert "database or disk is full" in error.detail
