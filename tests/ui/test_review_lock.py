"""审核通过 locks a table in the window: every editing action is disabled or refused with the lock message.

No server is needed: the window shows the review status last fetched (kept in the account's store),
exactly as it does at start-up before the first poll.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.models.store import ReviewStatusRecord, Store
from app.sync.client import RowComment, TableStatus
from app.sync.errors import LOCKED_MESSAGE
from app.sync.service import SyncService
from app.ui.find_dialog import open_find
from app.ui.main_window import MainWindow
from app.ui.validation_results import REVIEW_RULE
from app.validation.report import Issue
from tests.sync.helpers import ORG, PERIOD, seed_account

EDITING_ACTIONS = (
    "add_rows",
    "delete_rows",
    "import",
    "cut",
    "paste",
    "fill_down",
    "insert_rows",
    "clear",
    "replace",
    "upload",
)


def _record(status: TableStatus) -> ReviewStatusRecord:
    payload = json.dumps(status.as_json(), ensure_ascii=False)
    return ReviewStatusRecord(status.table, status.status, status.revision, payload, etag="")


def _set_status(data_dir: Path, *statuses: TableStatus) -> None:
    with Store.for_account(ORG, data_dir) as store:
        store.set_review_status(PERIOD, [_record(status) for status in statuses])


def _rows(store: Store, table: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    rows = store.load(table, PERIOD)
    return [(u, tuple(v), a) for u, v, a in zip(rows.uids, rows.values, rows.accepted, strict=True)]


@pytest.fixture
def window(qtbot: QtBot, isolated_data_dir: Path) -> Iterator[MainWindow]:
    seed_account(isolated_data_dir, students=6)
    _set_status(
        isolated_data_dir,
        TableStatus("students", "approved", 2, reviewer="青秀区资助中心", reviewed_at="2026-10-08T09:30:00Z"),
        TableStatus("aid", "pending", 1),
    )
    store = Store.for_account(ORG, isolated_data_dir)
    main = MainWindow(store, ORG, PERIOD, sync_service=SyncService(isolated_data_dir, org_code=ORG))
    qtbot.addWidget(main)
    yield main
    store.close()


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_every_editing_action_is_disabled_or_refused_on_an_approved_table(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))
    monkeypatch.setattr(
        QMessageBox, "question", lambda *_args: pytest.fail("a locked table must not ask to delete rows")
    )
    window.show()
    editor = window.pages["students"].editor
    before = _rows(window.store, "students")

    # The status at the right, greyed; the banner says why nothing can be changed.
    button = window.pages["students"].panel.review_button
    assert (button.text(), button.isEnabled()) == ("审核通过", False)
    assert "青秀区资助中心" in button.toolTip()
    banner = window.pages["students"].banner
    assert banner.isVisible() and LOCKED_MESSAGE in banner.text_label.text()
    assert editor.read_only and not window.pages["aid"].editor.read_only

    # Menus, toolbar and context menus offer no editing action on this table …
    window.tabs.setCurrentWidget(window.pages["students"])
    for action_id in EDITING_ACTIONS:
        assert not window.actions_by_id[action_id].isEnabled(), action_id
    assert [entry.title for entry in editor.context_entries("cell")] == ["复制"]
    assert editor.context_entries("empty") == []
    # … while the other table, 待审核, stays editable and uploadable.
    window.tabs.setCurrentWidget(window.pages["aid"])
    assert all(window.actions_by_id[action_id].isEnabled() for action_id in EDITING_ACTIONS)
    window.tabs.setCurrentWidget(window.pages["students"])

    # Every way in is refused with the lock message, and nothing changes.
    view = editor.view
    view.setFocus()
    view.selectionModel().setCurrentIndex(
        editor.model.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    QTest.keyClicks(view, "x")  # typing into a cell
    QTest.keyClick(view, Qt.Key.Key_F2)  # editing a cell
    QTest.keyClick(view, Qt.Key.Key_Delete)  # clearing cells
    assert not editor.set_values([(0, 0, "李四")])
    QGuiApplication.clipboard().setText("王五\t男")
    assert not editor.paste()
    source = tmp_path / "more.csv"
    source.write_text("姓名,性别\n赵六,女\n", encoding="utf-8")
    assert not editor.import_file(source)
    view.selectRow(2)
    assert not editor.delete_selected_rows()
    editor.add_rows(3)
    editor.insert_rows_above()
    editor.fill_down()
    editor.clear_selected_cells()
    editor.cut_selection()
    finder = open_find(window, window, replacing=True)
    finder.find_text.setText(before[0][1][0])
    finder.replace_text.setText("改掉")
    assert finder.replace_all() == 0
    finder.close()
    warning = Issue("students", 1, "姓名", "W01", "warning", "某个警告", before[0][0])
    window.validation.request_accept(warning, True)  # ticking 已核对 changes the row too
    window.upload()

    attempts = 15  # each line above is one attempt, refused with one message
    qtbot.waitUntil(lambda: len(told) >= attempts, timeout=5000)
    qtbot.wait(50)
    assert told == [LOCKED_MESSAGE] * attempts
    assert editor.undo_stack.count() == 0
    assert _rows(window.store, "students") == before
    assert editor.model.rowCount() == len(before)
    assert window.sync.uploading is None


def test_reopening_unlocks_the_table_and_a_return_marks_the_commented_rows(
    qtbot: QtBot, window: MainWindow, isolated_data_dir: Path
) -> None:
    editor = window.pages["students"].editor
    uids = list(editor.model.uids)
    assert editor.read_only

    # 撤销审核 (the reviewer reopened it: returned, with a comment on the third row's 身份证号).
    _set_status(
        isolated_data_dir,
        TableStatus(
            "students",
            "returned",
            2,
            comment="需补充一名转入学生",
            row_comments=(RowComment(uids[2], "身份证号", "与户口簿不一致"),),
        ),
        TableStatus("aid", "pending", 1),
    )
    window.sync.period_changed()

    assert not editor.read_only
    assert window.actions_by_id["add_rows"].isEnabled() and window.actions_by_id["upload"].isEnabled()
    button = window.pages["students"].panel.review_button
    assert (button.text(), button.isEnabled()) == ("退回重交", True)
    banner = window.pages["students"].banner
    assert not banner.isHidden()
    assert "需补充一名转入学生" in banner.text_label.text() and "有 1 行" in banner.text_label.text()
    column = editor.schema.headers.index("身份证号")
    assert editor.model.mark(2, column) == ("error", "审核意见：与户口簿不一致")
    listed = window.validation.panel.model.issues_shown()
    assert [(i.rule, i.row, i.row_uid) for i in listed] == [(REVIEW_RULE, 3, uids[2])]
    banner.comments_button.click()  # 查看逐行意见: to the commented cell
    current = editor.view.currentIndex()
    assert (current.row(), current.column()) == (2, column)
    assert editor.set_values([(2, editor.schema.headers.index("班级"), "一(2)班")])

    # Uploaded again (待审核): the comments and the banner go away.
    _set_status(isolated_data_dir, TableStatus("students", "pending", 3), TableStatus("aid", "pending", 1))
    window.sync.period_changed()
    assert banner.isHidden()
    assert editor.model.mark(2, column) is None
    assert window.validation.panel.model.issues_shown() == []
