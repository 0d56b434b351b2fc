"""The editable grid, driven through the keyboard and the editor's API, over a real store (offscreen)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QPoint, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QImage, QInputMethodEvent, QKeyEvent, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QCompleter,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.models.errors import StorageFullError
from app.models.period import Period
from app.models.schema import table_schema
from app.models.store import Store
from app.ui import clipboard, table_editor, undo
from app.ui.clipboard import to_html, to_tsv, tsv_cell
from app.ui.table_editor import PROGRESS_DELAY_MS, TableEditor, run_with_progress, value_limit
from app.ui.table_model import UNSAVED_TOOLTIP, RowsTableModel

# The offscreen platform says so when a window or popup is shown; it is not about our code.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

PERIOD = Period("2026-2027", "秋季学期")
SCHEMA = table_schema("students")
NAME, GENDER, ID_NUMBER = SCHEMA.index_of("name"), SCHEMA.index_of("gender"), SCHEMA.index_of("id_number")
STAGE, GRADE, CLASS = SCHEMA.index_of("stage"), SCHEMA.index_of("grade"), SCHEMA.index_of("class_name")
ROWS = [
    {"name": "韦小宝", "gender": "男", "id_number": "45010220080101001X", "stage": "初中", "grade": "七年级"},
    {"name": "黄蓉", "gender": "女", "id_number": "450102200902020022", "stage": "小学", "grade": "三年级"},
    {"name": "郭靖", "gender": "男", "id_number": "450102200703030031", "stage": "", "grade": ""},
    {"name": "杨过", "gender": "男", "id_number": "450102200604040049", "stage": "普通高中", "grade": "高一"},
]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    opened = Store.open(store_path)
    opened.insert_rows("students", PERIOD, ROWS)
    yield opened
    opened.close()


@pytest.fixture
def editor(qtbot: QtBot, store: Store) -> TableEditor:
    return _open_editor(qtbot, store)


def _open_editor(qtbot: QtBot, store: Store) -> TableEditor:
    editor = TableEditor(store, "students")
    qtbot.addWidget(editor)
    editor.load(PERIOD)
    editor.resize(1280, 600)
    editor.show()
    qtbot.waitExposed(editor)
    editor.view.setFocus()
    return editor


def _type(widget: QWidget, text: str) -> None:
    QTest.keyClicks(widget, text)


def _key(
    widget: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    QTest.keyClick(widget, key, modifiers)


def _go(editor: TableEditor, row: int, column: int) -> None:
    editor.view.setCurrentIndex(editor.model.index(row, column))


def _stored(store: Store, row: int, column: int) -> str:
    return store.load("students", PERIOD).values[row][column]


def _current(editor: TableEditor) -> tuple[int, int]:
    index = editor.view.currentIndex()
    return index.row(), index.column()


def _open_editor_widget(editor: TableEditor) -> QLineEdit | QComboBox:
    widget = editor.view.indexWidget(editor.view.currentIndex())
    assert isinstance(widget, QLineEdit | QComboBox), widget
    return widget


def _ime_commit(widget: QWidget, text: str, *, preedit: str = "") -> None:
    """Chinese text arrives from an input method: pinyin being composed (preedit), then the commit."""
    if preedit:
        QApplication.sendEvent(widget, QInputMethodEvent(preedit, []))
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _select(editor: TableEditor, top: int, left: int, bottom: int, right: int) -> None:
    model = editor.model
    selection = QItemSelection(model.index(top, left), model.index(bottom, right))
    editor.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    editor.view.selectionModel().setCurrentIndex(
        model.index(top, left), QItemSelectionModel.SelectionFlag.NoUpdate
    )


class _Answers:
    """Records the texts of patched message boxes; question() answers Yes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.questions: list[str] = []
        self.warnings: list[str] = []
        monkeypatch.setattr(QMessageBox, "question", self._question)
        monkeypatch.setattr(QMessageBox, "warning", self._warning)
        monkeypatch.setattr(QMessageBox, "information", self._warning)

    def _question(
        self, _parent: object, _title: str, text: str, *_args: object
    ) -> QMessageBox.StandardButton:
        self.questions.append(text)
        return QMessageBox.StandardButton.Yes

    def _warning(self, _parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        self.warnings.append(text)
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> _Answers:
    return _Answers(monkeypatch)


# -- typing and navigation ------------------------------------------------------------------------------


def test_typing_replaces_the_cell_and_enter_saves_and_moves_down(
    qtbot: QtBot, editor: TableEditor, store: Store
) -> None:
    _go(editor, 0, NAME)
    _type(editor.view, "Li Lei")
    assert isinstance(_open_editor_widget(editor), QLineEdit)
    _key(editor.view, Qt.Key.Key_Return)

    assert editor.model.value(0, NAME) == "Li Lei"  # "韦小宝" was replaced, not appended to
    assert _stored(store, 0, NAME) == "Li Lei"
    assert _current(editor) == (1, NAME)
    assert editor.undo_stack.count() == 1


def test_chinese_typed_through_an_input_method_replaces_the_cell(
    qtbot: QtBot, editor: TableEditor, store: Store
) -> None:
    _go(editor, 1, NAME)
    _ime_commit(editor.view, "欧阳", preedit="ouyang")
    _ime_commit(_open_editor_widget(editor), "锋", preedit="feng")
    _key(editor.view, Qt.Key.Key_Tab)

    assert _stored(store, 1, NAME) == "欧阳锋"
    assert _current(editor) == (1, NAME + 1)

    # Some keyboards send characters as key events with no key code, only text.
    _go(editor, 2, NAME)
    QApplication.sendEvent(
        editor.view, QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, "乔")
    )
    _key(editor.view, Qt.Key.Key_Return)
    assert _stored(store, 2, NAME) == "乔"


def test_f2_keeps_the_content_and_puts_the_cursor_at_its_end(
    qtbot: QtBot, editor: TableEditor, store: Store
) -> None:
    _go(editor, 1, NAME)
    _key(editor.view, Qt.Key.Key_F2)
    _type(editor.view, "er")
    _key(editor.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)

    assert _stored(store, 1, NAME) == "黄蓉er"
    assert _current(editor) == (0, NAME)  # Shift+Enter moves up


def test_backspace_starts_an_empty_editor_and_escape_keeps_the_value(
    qtbot: QtBot, editor: TableEditor, store: Store
) -> None:
    _go(editor, 1, NAME)
    _key(editor.view, Qt.Key.Key_Backspace)
    line = _open_editor_widget(editor)
    assert isinstance(line, QLineEdit) and line.text() == ""
    _key(line, Qt.Key.Key_Escape)
    assert _stored(store, 1, NAME) == "黄蓉"

    _key(editor.view, Qt.Key.Key_Backspace)
    _type(editor.view, "HR")
    _key(editor.view, Qt.Key.Key_Up)  # an arrow key commits and moves, as in Excel
    assert _stored(store, 1, NAME) == "HR"
    assert _current(editor) == (0, NAME)


def test_enter_tab_and_their_shift_forms_move_like_excel(qtbot: QtBot, editor: TableEditor) -> None:
    _go(editor, 1, 1)
    _key(editor.view, Qt.Key.Key_Return)
    assert _current(editor) == (2, 1)
    _key(editor.view, Qt.Key.Key_Tab)
    assert _current(editor) == (2, 2)
    _key(editor.view, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert _current(editor) == (2, 1)
    _key(editor.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert _current(editor) == (1, 1)

    last = editor.model.columnCount() - 1
    _go(editor, 0, last)
    _key(editor.view, Qt.Key.Key_Tab)
    assert _current(editor) == (1, 0)  # Tab at the last column goes on in the next row
    _go(editor, 3, 0)
    _key(editor.view, Qt.Key.Key_Return)
    assert _current(editor) == (3, 0)  # Enter on the last row stays there
    assert editor.undo_stack.count() == 0


def test_tab_in_an_open_editor_commits_and_moves_right(
    qtbot: QtBot, editor: TableEditor, store: Store
) -> None:
    _go(editor, 2, CLASS)
    _type(editor.view, "3")
    _key(editor.view, Qt.Key.Key_Tab)
    _type(editor.view, "G450")
    _key(editor.view, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)

    assert [_stored(store, 2, CLASS), _stored(store, 2, CLASS + 1)] == ["3", "G450"]
    assert _current(editor) == (2, CLASS)


def test_select_all_selects_every_cell_and_reports_the_count(qtbot: QtBot, editor: TableEditor) -> None:
    counts: list[tuple[int, int]] = []
    editor.counts_changed.connect(lambda rows, cells: counts.append((rows, cells)))
    _go(editor, 0, 0)
    _key(editor.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)

    assert counts[-1] == (4, 4 * len(SCHEMA.columns))
    assert editor.selected_cell_count() == 4 * len(SCHEMA.columns)


# -- normalization and refusals ---------------------------------------------------------------------------


def test_typed_full_width_digits_are_stored_as_ascii(qtbot: QtBot, editor: TableEditor, store: Store) -> None:
    notices: list[str] = []
    editor.normalized.connect(notices.append)
    _go(editor, 2, ID_NUMBER)
    _ime_commit(editor.view, "４５０１０２２００７０３０３００３ｘ")
    _key(editor.view, Qt.Key.Key_Return)

    assert _stored(store, 2, ID_NUMBER) == "45010220070303003X"
    assert any(notice.startswith("第3行「身份证号」含全角字符") for notice in notices), notices


def test_a_value_the_column_can_never_hold_is_refused(
    qtbot: QtBot, editor: TableEditor, store: Store, answers: _Answers
) -> None:
    _go(editor, 0, NAME)
    editor.view.edit(editor.model.index(0, NAME))
    line = _open_editor_widget(editor)
    assert isinstance(line, QLineEdit)
    line.setText("长" * 300)
    _key(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(answers.warnings))

    assert "第1行「姓名」输入的内容太长（300 个字符）" in answers.warnings[0]
    assert editor.model.value(0, NAME) == "韦小宝"
    assert _stored(store, 0, NAME) == "韦小宝"
    assert editor.undo_stack.count() == 0
    # A wrong but possible value is not blocked: validation marks it later.
    assert editor.set_values([(0, ID_NUMBER, "4501022008010100123")])
    assert _stored(store, 0, ID_NUMBER) == "4501022008010100123"


def test_length_limits_leave_room_for_typos_but_not_for_wrong_pastes() -> None:
    assert value_limit(SCHEMA.column("name")) == 60
    assert value_limit(SCHEMA.column("id_number")) == 23
    assert value_limit(SCHEMA.column("guardian_phone")) == 18
    assert value_limit(SCHEMA.column("household_region")) == 30
    assert value_limit(SCHEMA.column("gender")) >= 20


# -- drop-downs -------------------------------------------------------------------------------------------


def _grade_choices(qtbot: QtBot, editor: TableEditor, row: int) -> list[str]:
    _go(editor, row, GRADE)
    _key(editor.view, Qt.Key.Key_F2)
    box = _open_editor_widget(editor)
    assert isinstance(box, QComboBox)
    choices = [box.itemText(i) for i in range(box.count())]
    _key(box, Qt.Key.Key_Escape)
    return choices


def test_grade_drop_down_follows_the_rows_stage(qtbot: QtBot, editor: TableEditor) -> None:
    assert _grade_choices(qtbot, editor, 0) == ["七年级", "八年级", "九年级"]
    assert _grade_choices(qtbot, editor, 1) == ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
    every_grade = _grade_choices(qtbot, editor, 2)  # 学段 empty: all grades
    assert {"小班", "七年级", "高三"} <= set(every_grade)

    editor.set_values([(0, STAGE, "普通高中")])
    assert _grade_choices(qtbot, editor, 0) == ["高一", "高二", "高三"]


def test_drop_down_completes_case_insensitively_anywhere_in_the_value(
    qtbot: QtBot, editor: TableEditor, store: Store
) -> None:
    _go(editor, 0, STAGE)
    _key(editor.view, Qt.Key.Key_F2)
    box = _open_editor_widget(editor)
    assert isinstance(box, QComboBox)
    completer = box.completer()
    assert completer is not None
    assert completer.filterMode() == Qt.MatchFlag.MatchContains
    assert completer.caseSensitivity() == Qt.CaseSensitivity.CaseInsensitive
    assert completer.completionMode() == QCompleter.CompletionMode.PopupCompletion
    completer.setCompletionPrefix("高中")
    assert completer.currentCompletion() == "普通高中"
    _key(box, Qt.Key.Key_Escape)

    _go(editor, 0, STAGE)
    _ime_commit(editor.view, "高中")  # an alias: normalized to the canonical value (N04)
    _key(editor.view, Qt.Key.Key_Return)
    assert _stored(store, 0, STAGE) == "普通高中"

    _go(editor, 1, STAGE)
    _key(editor.view, Qt.Key.Key_F2)
    box = _open_editor_widget(editor)
    assert isinstance(box, QComboBox)
    box.clearEditText()
    _ime_commit(box, "初", preedit="chu")
    completer = box.completer()
    popup = completer.popup() if completer is not None else None
    assert popup is not None and popup.isVisible()
    _key(popup, Qt.Key.Key_Return)  # one Enter takes the first match and saves it
    assert _stored(store, 1, STAGE) == "初中"
    assert _current(editor) == (2, STAGE)


# -- rows and undo -----------------------------------------------------------------------------------------


def test_add_five_delete_two_undo_both_redo(
    qtbot: QtBot, editor: TableEditor, store: Store, answers: _Answers
) -> None:
    store.set_accepted_warnings("students", editor.model.row_uid(2), ["S27"])
    editor.load(PERIOD)
    uids_before = list(editor.model.uids)

    _go(editor, 1, 0)
    editor.add_rows(5)
    assert editor.model.rowCount() == store.count("students", PERIOD) == 9
    assert store.load("students", PERIOD).values[2:7] == [[""] * len(SCHEMA.columns)] * 5  # below row 2
    added = list(editor.model.uids[2:7])

    _select(editor, 7, 0, 8, 3)  # 郭靖 and 杨过, now rows 8 and 9
    assert editor.delete_selected_rows()
    assert answers.questions == ["确定删除选中的 2 行吗？"]
    assert [row[NAME] for row in store.load("students", PERIOD).values] == ["韦小宝", "黄蓉", *[""] * 5]
    assert editor.undo_stack.count() == 2

    editor.undo_stack.undo()
    loaded = store.load("students", PERIOD)
    assert loaded.uids[7:] == uids_before[2:]
    assert loaded.accepted[7] == ("S27",)
    editor.undo_stack.undo()
    assert store.load("students", PERIOD).uids == uids_before == list(editor.model.uids)

    editor.undo_stack.redo()
    editor.undo_stack.redo()
    loaded = store.load("students", PERIOD)
    assert loaded.uids == [*uids_before[:2], *added] == list(editor.model.uids)


def test_undo_puts_back_scattered_deleted_rows_in_place(
    editor: TableEditor, store: Store, answers: _Answers
) -> None:
    uids = list(editor.model.uids)
    selection = QItemSelection(editor.model.index(0, 0), editor.model.index(0, 0))
    selection.select(editor.model.index(2, 4), editor.model.index(3, 4))
    editor.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    assert editor.delete_selected_rows()
    assert answers.questions == ["确定删除选中的 3 行吗？"]
    assert store.load("students", PERIOD).uids == [uids[1]]
    editor.undo_stack.undo()
    assert store.load("students", PERIOD).uids == uids == list(editor.model.uids)
    assert [row[NAME] for row in store.load("students", PERIOD).values] == [row["name"] for row in ROWS]


def test_declining_the_confirmation_deletes_nothing(
    editor: TableEditor, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.No)
    _select(editor, 0, 0, 1, 0)
    assert not editor.delete_selected_rows()
    assert store.count("students", PERIOD) == 4
    assert editor.undo_stack.count() == 0


def test_delete_key_on_rows_picked_by_their_numbers_deletes_the_rows(
    qtbot: QtBot, editor: TableEditor, store: Store, answers: _Answers
) -> None:
    header = editor.view.verticalHeader()
    position = header.sectionViewportPosition(1) + header.sectionSize(1) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, position))
    assert editor.selected_rows() == {1}
    _key(editor.view, Qt.Key.Key_Delete)

    assert answers.questions == ["确定删除选中的 1 行吗？"]
    assert store.count("students", PERIOD) == 3


def test_delete_key_clears_the_selected_cells_as_one_undo_step(
    qtbot: QtBot, editor: TableEditor, store: Store
) -> None:
    _select(editor, 0, NAME, 1, GENDER)
    _key(editor.view, Qt.Key.Key_Delete)

    assert [row[:2] for row in store.load("students", PERIOD).values[:2]] == [["", ""], ["", ""]]
    assert editor.undo_stack.count() == 1
    editor.undo_stack.undo()
    assert [row[:2] for row in store.load("students", PERIOD).values[:2]] == [
        ["韦小宝", "男"],
        ["黄蓉", "女"],
    ]


def test_context_menu_of_the_grey_area_adds_the_rows_asked_for(
    editor: TableEditor, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getInt", lambda *_args: (3, True))
    editor.view.clearSelection()
    editor.view.selectionModel().clearCurrentIndex()
    entries = editor.context_entries("empty")
    assert [entry.title for entry in entries] == ["增加行…"]
    entries[0].callback()
    assert store.count("students", PERIOD) == 7
    assert store.load("students", PERIOD).values[4:] == [[""] * len(SCHEMA.columns)] * 3  # at the end

    menu = editor.build_context_menu("row_header")
    assert [action.text() for action in menu.actions()] == ["删除行", "增加行…"]


# -- clipboard ---------------------------------------------------------------------------------------------


def test_copy_puts_the_block_as_excel_tsv_and_a_text_formatted_table(
    qtbot: QtBot, editor: TableEditor
) -> None:
    editor.set_values([(1, CLASS, 'say "hi"\tthere')])
    _select(editor, 0, NAME, 1, ID_NUMBER)
    _key(editor.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)

    assert QApplication.clipboard().text() == "韦小宝\t男\t45010220080101001X\r\n黄蓉\t女\t450102200902020022"
    html = QApplication.clipboard().mimeData().html()
    assert "<td style='mso-number-format:\"\\@\"'>45010220080101001X</td>" in html

    _select(editor, 1, CLASS, 1, CLASS)
    editor.copy_selection()
    assert QApplication.clipboard().text() == '"say ""hi""\tthere"'


def test_a_huge_copy_is_text_only_and_says_so(
    editor: TableEditor, answers: _Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clipboard, "HTML_CELL_LIMIT", 4)
    monkeypatch.setattr(table_editor, "HTML_CELL_LIMIT", 4)
    _select(editor, 0, NAME, 1, ID_NUMBER)
    assert editor.copy_selection()

    assert QApplication.clipboard().text() == "韦小宝\t男\t45010220080101001X\r\n黄蓉\t女\t450102200902020022"
    assert not QApplication.clipboard().mimeData().hasHtml()
    assert "已复制 6 个单元格" in answers.warnings[0]


def test_cut_copies_then_clears_as_one_undo_step(qtbot: QtBot, editor: TableEditor, store: Store) -> None:
    _select(editor, 2, NAME, 3, NAME)
    _key(editor.view, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)

    assert QApplication.clipboard().text() == "郭靖\r\n杨过"
    assert [_stored(store, 2, NAME), _stored(store, 3, NAME)] == ["", ""]
    editor.undo_stack.undo()
    assert [_stored(store, 2, NAME), _stored(store, 3, NAME)] == ["郭靖", "杨过"]


def test_tsv_and_html_building() -> None:
    assert tsv_cell("a\nb") == '"a\nb"'
    assert tsv_cell("plain") == "plain"
    assert to_tsv([["1", ""], ["", "2"]]) == "1\t\r\n\t2"
    html = to_html([["1250.00", "0771<5>"]], [False, True])
    assert "<td>1250.00</td>" in html
    assert "0771&lt;5&gt;</td>" in html


# -- saving ------------------------------------------------------------------------------------------------


def test_a_refused_write_stays_in_the_grid_marked_unsaved_until_flush(
    qtbot: QtBot, editor: TableEditor, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_update = Store.update_cells
    calls = {"n": 0}

    def full_once(self: Store, table: str, changes: list[object]) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StorageFullError("test")
        real_update(self, table, changes)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "update_cells", full_once)
    failures: list[str] = []
    editor.save_failed.connect(failures.append)
    _go(editor, 0, NAME)
    _type(editor.view, "Wei")
    _key(editor.view, Qt.Key.Key_Return)

    assert failures == [StorageFullError.user_message]
    index = editor.model.index(0, NAME)
    assert index.data() == "Wei"
    assert isinstance(index.data(Qt.ItemDataRole.BackgroundRole), QBrush)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == UNSAVED_TOOLTIP
    assert _painted_background(editor, 0, NAME) == QColor(255, 205, 205)  # what the user sees: light red
    assert editor.pending_count() == 1
    assert _stored(store, 0, NAME) == "韦小宝"

    saved: list[object] = []
    editor.saved.connect(saved.append)
    assert editor.flush()
    assert _stored(store, 0, NAME) == "Wei"
    assert editor.pending_count() == 0 and len(saved) == 1
    assert index.data(Qt.ItemDataRole.BackgroundRole) is None
    assert _painted_background(editor, 0, NAME) != QColor(255, 205, 205)


def _painted_background(editor: TableEditor, row: int, column: int) -> QColor:
    editor.view.clearSelection()
    editor.view.selectionModel().clearCurrentIndex()
    rect = editor.view.visualRect(editor.model.index(row, column))
    image = editor.view.viewport().grab().toImage()
    return image.pixelColor(rect.right() - 3, rect.top() + 3)


def test_undoing_an_unsaved_edit_keeps_grid_and_store_consistent(
    editor: TableEditor, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_update = Store.update_cells
    full = {"on": True}

    def maybe_full(self: Store, table: str, changes: list[object]) -> None:
        if full["on"]:
            raise StorageFullError("test")
        real_update(self, table, changes)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "update_cells", maybe_full)
    editor.set_values([(1, NAME, "新名字")])
    editor.undo_stack.undo()
    assert editor.model.value(1, NAME) == "黄蓉"
    assert editor.pending_count() == 1

    full["on"] = False
    assert editor.flush()
    assert _stored(store, 1, NAME) == "黄蓉"
    editor.undo_stack.redo()
    assert _stored(store, 1, NAME) == "新名字"


def test_switching_period_with_unsaved_edits_refuses_and_keeps_them(
    editor: TableEditor, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object) -> None:
        raise StorageFullError("test")

    monkeypatch.setattr(Store, "update_cells", full)
    editor.set_values([(0, NAME, "未保存")])
    with pytest.raises(StorageFullError):
        editor.load(Period("2026-2027", "春季学期"))
    assert editor.period == PERIOD
    assert editor.model.value(0, NAME) == "未保存"
    assert editor.pending_count() == 1


def test_rows_the_store_refuses_are_not_added(
    editor: TableEditor, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise StorageFullError("test")

    monkeypatch.setattr(Store, "insert_rows", full)
    failures: list[str] = []
    editor.save_failed.connect(failures.append)
    editor.add_rows(2)

    assert failures == [StorageFullError.user_message]
    assert editor.model.rowCount() == 4
    assert editor.undo_stack.count() == 0


def test_every_value_is_found_back_after_closing_and_reopening(
    qtbot: QtBot, editor: TableEditor, store: Store, store_path: Path, answers: _Answers
) -> None:
    _go(editor, 3, NAME)
    _type(editor.view, "Yang Guo")
    _key(editor.view, Qt.Key.Key_Tab)
    _type(editor.view, "2")  # 性别 alias 2 → 女
    _key(editor.view, Qt.Key.Key_Return)
    editor.add_rows(1)
    editor.set_values([(4, NAME, "新同学")])
    shown = [editor.model.row_values(row) for row in range(editor.model.rowCount())]
    editor.close()
    store.close()

    with Store.open(store_path) as reopened:
        again = _open_editor(qtbot, reopened)
        assert [again.model.row_values(row) for row in range(again.model.rowCount())] == shown
        assert again.model.value(3, GENDER) == "女"
        assert again.model.value(4, NAME) == "新同学"


def test_a_locked_table_refuses_edits_with_the_reason(
    qtbot: QtBot, editor: TableEditor, store: Store, answers: _Answers
) -> None:
    editor.set_read_only(True, "审核已通过，表格已锁定。")
    _go(editor, 0, NAME)
    _type(editor.view, "x")
    editor.add_rows(1)
    qtbot.waitUntil(lambda: len(answers.warnings) >= 2)

    assert answers.warnings[0] == "审核已通过，表格已锁定。"
    assert _stored(store, 0, NAME) == "韦小宝"
    assert store.count("students", PERIOD) == 4
    editor.set_read_only(False)
    assert editor.set_values([(0, NAME, "x")])


# -- large tables: store work off the GUI thread -----------------------------------------------------------


def test_big_operations_run_on_a_worker_with_the_same_results(
    qtbot: QtBot, store: Store, answers: _Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(undo, "BACKGROUND_SIZE", 1)  # every store call goes through the worker
    rest_read_on: set[str] = set()
    real_load = Store.load

    def recording_load(self: Store, table: str, period: Period, **window: int) -> object:
        if window.get("offset"):
            rest_read_on.add(threading.current_thread().name)
        return real_load(self, table, period, **window)

    monkeypatch.setattr(Store, "load", recording_load)
    editor = _open_editor(qtbot, store)
    qtbot.waitUntil(lambda: not editor.loading)
    assert rest_read_on and threading.main_thread().name not in rest_read_on
    uids = list(editor.model.uids)

    _go(editor, 0, NAME)
    _type(editor.view, "Wei")
    _key(editor.view, Qt.Key.Key_Return)
    editor.add_rows(2)
    _select(editor, 0, 0, 0, 0)
    editor.delete_selected_rows()
    assert [row[NAME] for row in real_load(store, "students", PERIOD).values] == [
        "黄蓉",
        "",
        "",
        "郭靖",
        "杨过",
    ]
    for _step in range(3):
        editor.undo_stack.undo()
    assert real_load(store, "students", PERIOD).uids == uids
    assert _stored(store, 0, NAME) == "韦小宝"


def test_the_window_paints_but_takes_no_input_while_waiting(qtbot: QtBot, editor: TableEditor) -> None:
    seen: dict[str, object] = {}

    def meanwhile() -> None:
        seen["dialog"] = any(
            isinstance(widget, QProgressDialog) and widget.isVisible()
            for widget in QApplication.topLevelWidgets()
        )
        _go(editor, 0, NAME)
        _type(editor.view, "x")  # held back: no editor opens
        seen["editing"] = editor.view.state() == QAbstractItemView.State.EditingState

    QTimer.singleShot(PROGRESS_DELAY_MS + 200, meanwhile)
    result = run_with_progress(editor, "正在测试……", _slow_answer)

    assert result == 42
    assert seen == {"dialog": True, "editing": False}
    assert not any(
        isinstance(widget, QProgressDialog) and widget.isVisible()
        for widget in QApplication.topLevelWidgets()
    )
    with pytest.raises(StorageFullError):
        run_with_progress(editor, "正在测试……", _raise_full)


def _slow_answer() -> int:
    time.sleep(0.8)
    return 42


def _raise_full() -> None:
    raise StorageFullError("test")


# -- the model ---------------------------------------------------------------------------------------------


def test_rows_model_passes_qt_model_tester_while_rows_change(
    qtmodeltester: object, editor: TableEditor, answers: _Answers
) -> None:
    qtmodeltester.check(editor.model)  # type: ignore[attr-defined]
    editor.add_rows(3)
    editor.set_values([(0, NAME, "改")])
    _select(editor, 1, 0, 2, 0)
    editor.delete_selected_rows()
    assert editor.model.rowCount() == 5
    for _step in range(3):
        editor.undo_stack.undo()
    assert editor.model.rowCount() == 4
    assert editor.model.value(0, NAME) == "韦小宝"
    assert editor.model.headerData(3, Qt.Orientation.Vertical) == "4"


def test_rows_model_passes_the_python_model_tester(qtmodeltester: object, store: Store) -> None:
    model = RowsTableModel(SCHEMA)
    model.set_rows(store.load("students", PERIOD))
    qtmodeltester.check(model, force_py=True)  # type: ignore[attr-defined]
    assert not model.setData(model.index(0, 0), "x")  # no edit handler: the model never writes itself


def test_household_county_shows_its_name_but_edits_the_code(qtbot: QtBot, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "labels.sqlite3")
    try:
        store.insert_rows("students", PERIOD, [{"name": "韦小宝", "household_region": "450102"}])
        editor = TableEditor(store, "students")
        qtbot.addWidget(editor)
        editor.load(PERIOD)
        column = editor.model.schema.index_of("household_region")
        index = editor.model.index(0, column)
        assert index.data(Qt.ItemDataRole.DisplayRole) == "450102 兴宁区"
        assert index.data(Qt.ItemDataRole.EditRole) == "450102"
        assert editor.model.rows_values()[0][column] == "450102"
    finally:
        store.close()


# -- painting (grid_painter) ----------------------------------------------------------------------------


def _viewport_image(editor: TableEditor) -> QImage:
    return editor.view.viewport().grab().toImage()


def test_the_grid_paints_text_selection_and_grid_lines(editor: TableEditor) -> None:
    view = editor.view
    view.clearSelection()
    view.selectionModel().clearCurrentIndex()
    first = view.visualRect(editor.model.index(0, NAME))
    plain = _viewport_image(editor)
    base = view.palette().color(QPalette.ColorRole.Base)
    text_pixels = sum(
        plain.pixelColor(x, first.center().y()) != base for x in range(first.left() + 2, first.right() - 2)
    )
    assert text_pixels > 3, "the name is drawn in its cell"
    grid = plain.pixelColor(first.right() + 1, first.center().y())
    assert grid != base, "a grid line separates the columns"

    view.selectionModel().select(
        QItemSelection(editor.model.index(0, NAME), editor.model.index(1, NAME)),
        QItemSelectionModel.SelectionFlag.ClearAndSelect,
    )
    selected = _viewport_image(editor)
    highlight = view.palette().color(QPalette.ColorRole.Highlight)
    assert selected.pixelColor(first.right() - 2, first.top() + 2) == highlight
    second = view.visualRect(editor.model.index(1, NAME))
    assert selected.pixelColor(second.right() - 2, second.top() + 2) == highlight
    third = view.visualRect(editor.model.index(2, NAME))
    assert selected.pixelColor(third.right() - 2, third.top() + 2) != highlight


def test_a_large_table_shows_its_first_screen_at_once_and_takes_edits_once_complete(
    qtbot: QtBot, store: Store, answers: _Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(undo, "BACKGROUND_SIZE", 1)
    monkeypatch.setattr(undo, "FIRST_SCREEN_ROWS", 1)
    stored = store.count("students", PERIOD)
    editor = TableEditor(store, "students")
    qtbot.addWidget(editor)
    seen_while_loading: list[tuple[int, bool]] = []
    editor.loading_changed.connect(
        lambda loading: seen_while_loading.append((editor.model.rowCount(), loading))
    )

    editor.load(PERIOD)
    assert editor.loading and editor.model.rowCount() == 1  # the first screen, before the rest is read
    assert not editor.model.flags(editor.model.index(0, NAME)) & Qt.ItemFlag.ItemIsEditable
    editor.add_rows(1)  # refused: the table is not complete yet
    qtbot.waitUntil(lambda: bool(answers.warnings))
    assert "读取" in answers.warnings[0]

    qtbot.waitUntil(lambda: not editor.loading)
    assert editor.model.uids == store.load("students", PERIOD).uids
    assert seen_while_loading[-1] == (stored, False)
    assert editor.model.flags(editor.model.index(0, NAME)) & Qt.ItemFlag.ItemIsEditable
    editor.add_rows(1)
    assert store.count("students", PERIOD) == stored + 1
