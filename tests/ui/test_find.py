"""查找 and 替换 in the real main window (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.models.period import Period
from app.models.row_view import ColumnFilter
from app.models.schema import table_schema
from app.models.store import Store
from app.ui.find_dialog import FindDialog
from app.ui.main_window import MainWindow
from app.ui.table_editor import TableEditor

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

PERIOD = Period("2026-2027", "秋季学期")
SCHEMA = table_schema("students")
NAME, GENDER, STAGE, CLASS = (SCHEMA.index_of(key) for key in ("name", "gender", "stage", "class_name"))
STUDENTS = [
    ("韦小宝", "男", "初中", "1班"),  # row 1
    ("黄蓉", "女", "小学", "１班"),  # 2: full-width digit, as typed with a Chinese input method
    ("郭靖", "男", "初中", "初中1班"),  # 3
    ("杨过", "男", "普通高中", "2班"),  # 4
    ("小龙女", "女", "初中", "11班"),  # 5
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "store.sqlite3")
    rows = [{"name": n, "gender": g, "stage": s, "class_name": c} for n, g, s, c in STUDENTS]
    opened.insert_rows("students", PERIOD, rows)
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, store: Store) -> MainWindow:
    main = MainWindow(store, "2145000001", PERIOD)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    texts: list[str] = []

    def record(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        texts.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "information", record)
    monkeypatch.setattr(QMessageBox, "warning", record)
    return texts


def _dialog(window: MainWindow, *, replacing: bool = False) -> FindDialog:
    window.actions_by_id["replace" if replacing else "find"].trigger()
    dialog = window.findChild(FindDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def _editor(window: MainWindow) -> TableEditor:
    return window.pages["students"].editor


def _at(window: MainWindow) -> tuple[str, int]:
    """The name of the current cell's row and its column."""
    editor = _editor(window)
    current = editor.view.currentIndex()
    return editor.model.value(current.row(), NAME), current.column()


def _go(window: MainWindow, row: int, column: int) -> None:
    editor = _editor(window)
    editor.view.setCurrentIndex(editor.model.index(row, column))


def _stored_classes(store: Store) -> list[str]:
    return [row[CLASS] for row in store.load("students", PERIOD).values]


def test_ctrl_f_opens_the_dialog_with_its_choices(window: MainWindow) -> None:
    dialog = _dialog(window)
    assert dialog.windowTitle() == "查找"
    assert not dialog.isModal()
    assert not dialog.replace_text.isVisible()
    assert [dialog.scope_box.itemText(i) for i in range(3)] == ["全部列", "姓名", "性别"]
    assert [dialog.mode_box.itemText(i) for i in range(3)] == ["包含", "完全一致", "开头是"]
    assert not dialog.width_box.isChecked()
    assert window.actions_by_id["find"].shortcut().toString() == "Ctrl+F"
    assert window.actions_by_id["replace"].shortcut().toString() == "Ctrl+H"


def test_find_next_and_previous_with_each_match_mode(window: MainWindow) -> None:
    dialog = _dialog(window)
    _go(window, 0, 0)
    dialog.find_text.setText("初中")
    assert dialog.find_next()
    assert _at(window) == ("韦小宝", STAGE)
    assert dialog.find_next()
    assert _at(window) == ("郭靖", STAGE)
    assert dialog.find_next()
    assert _at(window) == ("郭靖", CLASS)  # 初中1班 contains 初中
    assert dialog.find_next(backwards=True)
    assert _at(window) == ("郭靖", STAGE)

    dialog.set_mode("equals")
    _go(window, 2, STAGE)
    assert dialog.find_next()
    assert _at(window) == ("小龙女", STAGE)  # 初中1班 is not exactly 初中
    dialog.set_mode("starts")
    dialog.find_text.setText("1")
    _go(window, 0, 0)
    assert dialog.find_next()
    assert _at(window) == ("韦小宝", CLASS)
    assert dialog.find_next()
    assert _at(window) == ("黄蓉", CLASS)  # １班 starts with a full-width 1
    assert dialog.find_next()
    assert _at(window) == ("小龙女", CLASS)  # not 初中1班, which only contains it

    dialog.find_text.setText("没有这个人")
    assert not dialog.find_next()
    assert "找不到“没有这个人”" in dialog.status.text()


def test_full_and_half_width_match_unless_told_apart(window: MainWindow) -> None:
    dialog = _dialog(window)
    dialog.find_text.setText("1班")
    dialog.set_mode("equals")
    assert dialog.find_all() == 2  # 1班 and １班
    dialog.width_box.setChecked(True)
    assert dialog.find_all() == 1
    assert [cell.text for cell in dialog.hits.cells] == ["1班"]
    dialog.width_box.setChecked(False)
    dialog.find_text.setText("１班")
    assert dialog.find_all() == 2


def test_find_all_lists_the_hits_and_a_click_goes_to_the_cell(qtbot: QtBot, window: MainWindow) -> None:
    dialog = _dialog(window)
    dialog.find_text.setText("1班")
    assert dialog.find_all() == 4
    assert dialog.results.isVisible()
    rows = [
        [dialog.hits.index(row, column).data() for column in range(3)]
        for row in range(dialog.hits.rowCount())
    ]
    assert rows == [
        ["1", "班级", "1班"],
        ["2", "班级", "１班"],
        ["3", "班级", "初中1班"],
        ["5", "班级", "11班"],
    ]
    assert "找到 4 个单元格" in dialog.status.text()

    window.tabs.setCurrentIndex(1)  # the other table: a click comes back to the hit's table
    qtbot.waitUntil(lambda: dialog.results.visualRect(dialog.hits.index(2, 0)).isValid())
    rect = dialog.results.visualRect(dialog.hits.index(2, 0))
    QTest.mouseClick(dialog.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentIndex() == 0
    assert _at(window) == ("郭靖", CLASS)


def test_a_click_on_a_hit_that_a_filter_hides_clears_the_filter(window: MainWindow) -> None:
    dialog = _dialog(window)
    dialog.find_text.setText("黄蓉")
    assert dialog.find_all() == 1
    editor = _editor(window)
    editor.model.set_column_filter(GENDER, ColumnFilter(frozenset({"男"})))
    dialog._result_clicked(dialog.hits.index(0, 0))
    assert not editor.model.is_filtered()
    assert _at(window) == ("黄蓉", NAME)


def test_only_the_rows_shown_are_searched_in_the_order_shown(window: MainWindow) -> None:
    editor = _editor(window)
    editor.sort_by(NAME, descending=True)
    editor.model.set_column_filter(STAGE, ColumnFilter(frozenset({"初中"})))
    dialog = _dialog(window)
    dialog.find_text.setText("班")
    dialog.set_scope(CLASS)
    assert dialog.find_all() == 3
    assert [cell.row_number for cell in dialog.hits.cells] == [1, 3, 5]  # 韦小宝, 郭靖, 小龙女 (descending)
    _go(window, 0, 0)
    assert dialog.find_next()
    assert _at(window) == ("韦小宝", CLASS)
    assert dialog.find_next()
    assert _at(window) == ("郭靖", CLASS)


def test_f3_and_shift_f3_search_again_with_the_dialog_closed(window: MainWindow, messages: list[str]) -> None:
    window.actions_by_id["find_next"].trigger()  # nothing searched yet: opens 查找
    dialog = window.findChild(FindDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.find_text.setText("男")
    dialog.close()
    _go(window, 0, 0)

    editor = _editor(window)
    editor.view.setFocus()
    QTest.keyClick(editor.view, Qt.Key.Key_F3)
    assert _at(window) == ("韦小宝", GENDER)
    window.actions_by_id["find_next"].trigger()
    assert _at(window) == ("郭靖", GENDER)
    QTest.keyClick(editor.view, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert _at(window) == ("韦小宝", GENDER)
    assert window.actions_by_id["find_previous"].shortcut().toString() == "Shift+F3"
    assert not dialog.isVisible()

    dialog.find_text.setText("找不到的字")
    window.actions_by_id["find_next"].trigger()
    assert messages and "找不到“找不到的字”" in messages[-1]  # said in a message box: the dialog is closed


def test_replace_one_cell_then_go_to_the_next(window: MainWindow, store: Store) -> None:
    dialog = _dialog(window, replacing=True)
    assert dialog.windowTitle() == "替换"
    assert dialog.replace_text.isVisible()
    dialog.find_text.setText("1班")
    dialog.replace_text.setText("一班")
    _go(window, 0, CLASS)  # 1班
    assert dialog.replace_one()
    assert _stored_classes(store)[0] == "一班"
    assert _at(window) == ("黄蓉", CLASS)  # the next hit: １班
    assert dialog.replace_one()
    assert _stored_classes(store)[1] == "一班"
    assert _editor(window).undo_stack.count() == 2


def test_replace_all_is_one_undo_step(window: MainWindow, store: Store) -> None:
    dialog = _dialog(window, replacing=True)
    dialog.find_text.setText("1班")
    dialog.replace_text.setText("一班")
    assert dialog.replace_all() == 4
    assert _stored_classes(store) == ["一班", "一班", "初中一班", "2班", "1一班"]
    assert "已替换 4 个单元格" in dialog.status.text()
    editor = _editor(window)
    assert editor.undo_stack.count() == 1
    assert editor.undo_stack.undoText() == "全部替换"

    window.actions_by_id["undo"].trigger()
    assert _stored_classes(store) == [c for *_rest, c in STUDENTS]
    assert [editor.model.value(row, CLASS) for row in range(5)] == [c for *_rest, c in STUDENTS]
    window.actions_by_id["redo"].trigger()
    assert _stored_classes(store)[2] == "初中一班"


def test_replace_all_with_each_mode(window: MainWindow, store: Store) -> None:
    dialog = _dialog(window, replacing=True)
    dialog.set_scope(CLASS)
    dialog.find_text.setText("1班")
    dialog.replace_text.setText("X")
    dialog.set_mode("equals")
    assert dialog.replace_all() == 2  # 1班 and １班
    assert _stored_classes(store) == ["X", "X", "初中1班", "2班", "11班"]
    dialog.set_mode("starts")
    dialog.find_text.setText("1")
    assert dialog.replace_all() == 1
    assert _stored_classes(store)[4] == "X1班"


def test_replacing_is_refused_in_a_locked_table(
    window: MainWindow, store: Store, messages: list[str]
) -> None:
    editor = _editor(window)
    editor.set_read_only(True, "审核通过，已锁定。")
    dialog = FindDialog(window, window)
    dialog.open_for(True)
    dialog.find_text.setText("1班")
    dialog.replace_text.setText("一班")
    assert dialog.replace_all() == 0
    assert not dialog.replace_one()
    assert messages[-2:] == ["审核通过，已锁定。"] * 2
    assert _stored_classes(store) == [c for *_rest, c in STUDENTS]
    assert dialog.find_all() == 4  # finding still works
