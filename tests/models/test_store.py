"""The local store keeps every value exactly, in grid order, per period, across reopening."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from app.models import store as store_module
from app.models.paths import store_path
from app.models.period import Period
from app.models.schema import TABLE_KEYS, table_schema
from app.models.store import (
    APPLICATION_ID,
    SCHEMA_HEAD,
    CellChange,
    Store,
    TableCount,
    TableRows,
    new_row_uids,
)

AUTUMN = Period("2026-2027", "秋季学期")
SPRING = Period("2026-2027", "春季学期")
ORG = "4501020001"

STUDENT = {
    "name": "韦小宝",
    "gender": "男",
    "id_number": "45030219990101123X",
    "ethnicity": "壮族",
    "stage": "小学",
    "grade": "三年级",
    "class_name": "3班",
    "student_no": "G450302201501011234",
    "status": "在读",
    "boarding": "是",
    "hardship": "脱贫户(建档立卡)",
    "household_region": "450302",
    "householder_name": "韦大山",
    "householder_id": "450302197001010012",
    "relation": "子",
    "guardian_phone": "0771-5301234",
    "remark": "家住  山里，  步行 2 小时\n（含换行）",
}


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.for_account(ORG) as opened:
        yield opened


def named(*names: str) -> list[dict[str, str]]:
    return [{"name": name} for name in names]


def names(store: Store, period: Period = AUTUMN) -> list[str]:
    name_index = table_schema("students").index_of("name")
    return [values[name_index] for values in store.load("students", period).values]


def stored_positions(path: Path, table: str, period: Period) -> list[int]:
    """The position column as the file holds it, read with a separate connection."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            f"SELECT position FROM {table} WHERE period = ? ORDER BY position", (period.id,)
        ).fetchall()
    connection.close()
    return [row[0] for row in rows]


def test_for_account_creates_the_file_in_the_account_folder(isolated_data_dir: Path) -> None:
    with Store.for_account(ORG) as store:
        assert store.path == store_path(ORG)
        assert store.path.is_relative_to(isolated_data_dir)
    assert store_path(ORG).is_file()


def test_values_round_trip_exactly_even_after_reopening() -> None:
    awkward = {
        **STUDENT,
        "student_no": "0012345678901234567",  # leading zeros kept
        "householder_id": "45030219800101002x",  # lower-case x is not "fixed" by the store
    }
    with Store.for_account(ORG) as store:
        (uid,) = store.insert_rows("students", AUTUMN, [awkward])
        loaded = store.load("students", AUTUMN)
    with Store.for_account(ORG) as reopened:
        again = reopened.load("students", AUTUMN)
    expected = [awkward[key] for key in table_schema("students").keys]
    assert loaded == TableRows(uids=[uid], values=[expected], accepted=[()])
    assert again == loaded
    for value in again.values[0]:
        assert type(value) is str


def test_missing_keys_are_stored_as_empty_text(store: Store) -> None:
    store.insert_rows("students", AUTUMN, [{"name": "李四"}, {}])
    values = store.load("students", AUTUMN).values
    assert values[0][0] == "李四"
    assert values[0][1:] == [""] * (len(table_schema("students").keys) - 1)
    assert values[1] == [""] * len(table_schema("students").keys)


def test_both_tables_store_their_own_columns(store: Store) -> None:
    aid_row = {"name": "韦小宝", "id_number": "45030219990101123X", "account_no": "6228480012345678901"}
    store.insert_rows("aid", AUTUMN, [aid_row])
    store.insert_rows("students", AUTUMN, [STUDENT])
    aid = store.load("aid", AUTUMN)
    keys = table_schema("aid").keys
    assert aid.values[0][keys.index("account_no")] == "6228480012345678901"
    assert len(aid.values[0]) == len(keys)
    assert store.count("students", AUTUMN) == 1


def test_appending_keeps_the_order_given(store: Store) -> None:
    store.insert_rows("students", AUTUMN, named("甲", "乙"))
    store.insert_rows("students", AUTUMN, named("丙"))
    assert names(store) == ["甲", "乙", "丙"]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (0, ["新1", "新2", "甲", "乙", "丙"]),
        (1, ["甲", "新1", "新2", "乙", "丙"]),
        (3, ["甲", "乙", "丙", "新1", "新2"]),
    ],
)
def test_inserting_at_a_grid_index_puts_the_rows_there(store: Store, at: int, expected: list[str]) -> None:
    store.insert_rows("students", AUTUMN, named("甲", "乙", "丙"))
    uids = store.insert_rows("students", AUTUMN, named("新1", "新2"), at=at)
    assert names(store) == expected
    assert store.load("students", AUTUMN).uids[at : at + 2] == uids
    assert stored_positions(store.path, "students", AUTUMN) == [0, 1, 2, 3, 4]


def test_inserting_outside_the_grid_is_refused(store: Store) -> None:
    store.insert_rows("students", AUTUMN, named("甲"))
    for at in (-1, 2):
        with pytest.raises(ValueError, match="insert position"):
            store.insert_rows("students", AUTUMN, named("新"), at=at)
    assert names(store) == ["甲"]


def test_an_unknown_column_key_rolls_back_the_whole_insert(store: Store) -> None:
    store.insert_rows("students", AUTUMN, named("甲"))
    bad_batch = [*named("乙", "丙"), {"name": "丁", "nickname": "小丁"}]
    with pytest.raises(ValueError, match="nickname"):
        store.insert_rows("students", AUTUMN, bad_batch, at=0)
    assert names(store) == ["甲"]
    assert stored_positions(store.path, "students", AUTUMN) == [0]


def test_an_unknown_key_in_a_complete_row_is_refused(store: Store) -> None:
    complete_but_wrong = {**STUDENT}
    del complete_but_wrong["remark"]
    complete_but_wrong["remarks"] = "拼错的列名"
    with pytest.raises(ValueError, match="remarks"):
        store.insert_rows("students", AUTUMN, [complete_but_wrong])
    assert store.count("students", AUTUMN) == 0


def test_unknown_table_or_column_is_a_programming_error(store: Store) -> None:
    (uid,) = store.insert_rows("students", AUTUMN, named("甲"))
    with pytest.raises(ValueError, match="unknown table"):
        store.load("teachers", AUTUMN)
    with pytest.raises(ValueError, match="unknown column"):
        store.update_cell("students", uid, "position", "9")
    with pytest.raises(ValueError, match="unknown column"):
        store.update_cell("students", uid, "account_no", "1")  # an aid column, not a students one
    assert names(store) == ["甲"]


def test_given_uids_and_accepted_warnings_are_kept(store: Store) -> None:
    uids = [str(uuid.uuid4()), str(uuid.uuid4())]
    returned = store.insert_rows("students", AUTUMN, named("甲", "乙"), uids=uids, accepted=[["W01"], []])
    loaded = store.load("students", AUTUMN)
    assert returned == uids
    assert loaded.uids == uids
    assert loaded.accepted == [("W01",), ()]


def test_update_cell_changes_only_that_cell(store: Store) -> None:
    _first, second = store.insert_rows("students", AUTUMN, [STUDENT, STUDENT])
    store.update_cell("students", second, "guardian_phone", "13907712345")
    values = store.load("students", AUTUMN).values
    phone = table_schema("students").index_of("guardian_phone")
    assert values[0][phone] == "0771-5301234"
    assert values[1][phone] == "13907712345"
    assert [v for i, v in enumerate(values[1]) if i != phone] == [
        v for i, v in enumerate(values[0]) if i != phone
    ]


def stamps(path: Path, uid: str) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT created_at, updated_at FROM students WHERE row_uid = ?", (uid,))
        created, updated = row.fetchone()
    connection.close()
    return created, updated


def test_rows_record_when_they_were_created_and_changed(store: Store) -> None:
    before_ms = time.time() * 1000
    first, second = store.insert_rows("students", AUTUMN, named("甲", "乙"))
    created, updated = stamps(store.path, second)
    assert before_ms - 1 <= created == updated <= time.time() * 1000 + 1
    time.sleep(0.005)
    store.update_cell("students", second, "name", "乙乙")
    assert stamps(store.path, second)[0] == created
    assert stamps(store.path, second)[1] > updated
    assert stamps(store.path, first) == (created, updated)
    with sqlite3.connect(store.path) as connection:  # the column default, for rows written by hand
        connection.execute("INSERT INTO students (row_uid, period, position) VALUES ('manual', 'x', 0)")
    connection.close()
    assert abs(stamps(store.path, "manual")[0] - time.time() * 1000) < 60_000


def test_update_cells_applies_all_changes_or_none(store: Store) -> None:
    first, second = store.insert_rows("students", AUTUMN, named("甲", "乙"))
    store.update_cells(
        "students",
        [
            CellChange(first, "name", "甲甲"),
            CellChange(second, "class_name", "2班"),
            CellChange(first, "name", "A"),
        ],
    )
    assert names(store) == ["A", "乙"]  # the later change of the same cell wins
    with pytest.raises(ValueError, match="not in students"):
        store.update_cells(
            "students", [CellChange(first, "name", "不应保存"), CellChange("no-such-row", "name", "x")]
        )
    assert names(store) == ["A", "乙"]


def test_update_cells_sets_several_columns_of_several_rows(store: Store) -> None:
    uids = store.insert_rows("students", AUTUMN, named("甲", "乙", "丙"))
    changes = [
        CellChange(uid, column, f"{column}-{n}")
        for n, uid in enumerate(uids)
        for column in ("name", "class_name")
    ]
    changes.append(CellChange(uids[2], "student_no", "L1"))  # a row changing other columns than the rest
    store.update_cells("students", changes)
    frame = store.load_frame("students", AUTUMN)
    assert list(frame["name"]) == ["name-0", "name-1", "name-2"]
    assert list(frame["class_name"]) == ["class_name-0", "class_name-1", "class_name-2"]
    assert list(frame["student_no"]) == ["", "", "L1"]


def test_update_cell_of_a_missing_row_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="not in students"):
        store.update_cell("students", str(uuid.uuid4()), "name", "甲")


def test_non_text_values_are_refused(store: Store) -> None:
    (uid,) = store.insert_rows("students", AUTUMN, named("甲"))
    with pytest.raises(TypeError):
        store.update_cell("students", uid, "student_no", 12345)  # type: ignore[arg-type]
    assert names(store) == ["甲"]


def test_deleting_keeps_the_order_and_dense_positions(store: Store) -> None:
    uids = store.insert_rows("students", AUTUMN, named("0", "1", "2", "3", "4", "5"))
    store.delete_rows("students", [uids[4], uids[1], uids[0]])
    assert names(store) == ["2", "3", "5"]
    assert store.load("students", AUTUMN).uids == [uids[2], uids[3], uids[5]]
    assert stored_positions(store.path, "students", AUTUMN) == [0, 1, 2]
    store.insert_rows("students", AUTUMN, named("new"), at=1)
    assert names(store) == ["2", "new", "3", "5"]


def test_deleting_rows_of_two_periods_renumbers_both(store: Store) -> None:
    autumn = store.insert_rows("students", AUTUMN, named("秋1", "秋2", "秋3"))
    spring = store.insert_rows("students", SPRING, named("春1", "春2", "春3"))
    store.delete_rows("students", [autumn[0], spring[1]])
    assert names(store, AUTUMN) == ["秋2", "秋3"]
    assert names(store, SPRING) == ["春1", "春3"]
    assert stored_positions(store.path, "students", AUTUMN) == [0, 1]
    assert stored_positions(store.path, "students", SPRING) == [0, 1]


def test_deleting_an_unknown_row_deletes_nothing(store: Store) -> None:
    uids = store.insert_rows("students", AUTUMN, named("甲", "乙"))
    with pytest.raises(ValueError, match="not in students"):
        store.delete_rows("students", [uids[0], str(uuid.uuid4())])
    assert names(store) == ["甲", "乙"]


def test_reorder_saves_the_new_grid_order(store: Store) -> None:
    uids = store.insert_rows("students", AUTUMN, named("甲", "乙", "丙", "丁"))
    store.reorder("students", AUTUMN, [uids[3], uids[1], uids[0], uids[2]])
    assert names(store) == ["丁", "乙", "甲", "丙"]
    assert stored_positions(store.path, "students", AUTUMN) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="exactly once"):
        store.reorder("students", AUTUMN, [uids[0], uids[0], uids[1], uids[2]])
    with pytest.raises(ValueError, match="exactly once"):
        store.reorder("students", AUTUMN, uids[:3])
    assert names(store) == ["丁", "乙", "甲", "丙"]


def test_replace_rows_replaces_only_that_table_and_period(store: Store) -> None:
    old = store.insert_rows("students", AUTUMN, named("旧1", "旧2"))
    store.insert_rows("students", SPRING, named("春"))
    store.insert_rows("aid", AUTUMN, named("资助"))
    new = store.replace_rows("students", AUTUMN, named("新1", "新2", "新3"))
    assert names(store) == ["新1", "新2", "新3"]
    assert not set(new) & set(old)
    assert names(store, SPRING) == ["春"]
    assert store.count("aid", AUTUMN) == 1
    assert stored_positions(store.path, "students", AUTUMN) == [0, 1, 2]


def test_accepted_warnings_are_saved_per_row(store: Store) -> None:
    first, second = store.insert_rows("students", AUTUMN, named("甲", "乙"))
    store.set_accepted_warnings("students", second, ["W03", "W11"])
    assert store.load("students", AUTUMN).accepted == [(), ("W03", "W11")]
    store.set_accepted_warnings("students", second, [])
    assert store.load("students", AUTUMN).accepted == [(), ()]
    with pytest.raises(ValueError, match="rule id"):
        store.set_accepted_warnings("students", first, ["W03,W11"])
    with pytest.raises(ValueError, match="not in students"):
        store.set_accepted_warnings("students", str(uuid.uuid4()), ["W03"])


def test_meta_settings_persist() -> None:
    with Store.for_account(ORG) as store:
        assert store.get_meta("last_period") is None
        assert store.get_meta("last_period", "2025-2026-2") == "2025-2026-2"
        store.set_meta("last_period", "2026-2027-1")
        store.set_meta("last_period", "2026-2027-2")
        store.set_meta("负责人", "覃老师")
    with Store.for_account(ORG) as reopened:
        assert reopened.get_meta("last_period") == "2026-2027-2"
        assert reopened.get_meta("负责人") == "覃老师"


def test_periods_are_kept_apart_and_counted(store: Store) -> None:
    store.insert_rows("students", AUTUMN, named("秋1", "秋2"))
    store.insert_rows("students", SPRING, named("春1"))
    store.insert_rows("aid", SPRING, named("资助1", "资助2", "资助3"))
    assert names(store, AUTUMN) == ["秋1", "秋2"]
    assert names(store, SPRING) == ["春1"]
    assert store.count("aid", AUTUMN) == 0
    assert store.summary() == [
        TableCount("students", "2026-2027-1", 2),
        TableCount("students", "2026-2027-2", 1),
        TableCount("aid", "2026-2027-2", 3),
    ]


def test_load_frame_has_uid_and_schema_columns_in_grid_order(store: Store) -> None:
    uids = store.insert_rows("students", AUTUMN, [STUDENT, {"name": "乙", "student_no": "007"}])
    store.insert_rows("students", AUTUMN, named("甲"), at=0)
    frame = store.load_frame("students", AUTUMN)
    assert list(frame.columns) == ["row_uid", *table_schema("students").keys]
    assert list(frame["name"]) == ["甲", "韦小宝", "乙"]
    assert list(frame["row_uid"])[1:] == uids
    assert list(frame["student_no"])[2] == "007"
    assert frame.loc[1, "guardian_phone"] == "0771-5301234"
    assert list(frame.index) == [0, 1, 2]


def test_load_frame_of_an_empty_period_has_the_columns(store: Store) -> None:
    frame = store.load_frame("aid", SPRING)
    assert len(frame) == 0
    assert list(frame.columns) == ["row_uid", *table_schema("aid").keys]


def test_the_store_can_be_used_from_a_worker_thread(store: Store) -> None:
    results: list[object] = []

    def work() -> None:
        try:
            store.insert_rows("students", AUTUMN, named("线程"))
            results.append(names(store))
        except Exception as exc:  # handed to the test thread, which fails on it
            results.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert results == [["线程"]]


def test_a_closed_store_refuses_to_work() -> None:
    store = Store.for_account(ORG)
    store.close()
    store.close()
    with pytest.raises(ValueError, match="closed"):
        store.count("students", AUTUMN)


def test_importing_the_store_loads_neither_pandas_nor_alembic() -> None:
    # Start-up time: the login window must appear quickly, and only some paths need these.
    probe = "import sys, app.models.store; print(sorted({'pandas', 'alembic'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("count", [0, 1, 2, 1000])
def test_new_row_uids_are_distinct_uuid4_strings(count: int) -> None:
    uids = new_row_uids(count)
    assert len(set(uids)) == count
    for uid in uids:
        parsed = uuid.UUID(uid)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == uid


# -- schema and migrations -------------------------------------------------------------------------


def table_columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"PRAGMA table_info({table})").fetchall()
    connection.close()
    return [row[1] for row in rows]


@pytest.mark.parametrize("table", TABLE_KEYS)
def test_every_schema_column_has_a_database_column(store: Store, table: str) -> None:
    # Fails when resources/tables/<table>.toml gains a column without a migration that adds it.
    columns = table_columns(store.path, table)
    missing = [key for key in table_schema(table).keys if key not in columns]
    assert missing == []
    assert {"row_uid", "period", "position", "accepted_warnings", "created_at", "updated_at"} <= set(columns)


def test_a_new_file_is_at_the_migration_head(store: Store) -> None:
    script = ScriptDirectory(str(Path(store_module.__file__).with_name("migrations")))
    with sqlite3.connect(store.path) as connection:
        revisions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    connection.close()
    assert revisions == [(script.get_current_head(),)]
    assert script.get_current_head() == SCHEMA_HEAD
    assert application_id == APPLICATION_ID


def test_the_connection_is_tuned_for_durability(store: Store) -> None:
    assert store._pragma("journal_mode") == "wal"
    assert store._pragma("synchronous") == 2  # FULL: every commit reaches the disk
    assert store._pragma("foreign_keys") == 1
    assert store._pragma("busy_timeout") == store_module.BUSY_TIMEOUT_MS


def test_accepted_warnings_reach_the_validation_engine(store: Store) -> None:
    from app.validation.engine import validate
    from tests.validation.samples import STUDENT, TODAY

    wrong_age = {**STUDENT, "grade": "六年级"}  # a 6-year-old in 六年级: warning S16
    (uid,) = store.insert_rows("students", AUTUMN, [wrong_age])
    before = validate(store.load_frame("students", AUTUMN, with_accepted=True), None, AUTUMN, today=TODAY)
    assert [(i.rule, i.accepted) for i in before.issues] == [("S16", False)]

    store.set_accepted_warnings("students", uid, ["S16"])
    after = validate(store.load_frame("students", AUTUMN, with_accepted=True), None, AUTUMN, today=TODAY)
    assert [(i.rule, i.accepted) for i in after.issues] == [("S16", True)]
    assert after.summary()["warning"] == 0


def test_integrity_check_of_a_healthy_file(store: Store) -> None:
    store.insert_rows("students", AUTUMN, [{"name": "韦小宝"}])
    assert store.check_integrity()
