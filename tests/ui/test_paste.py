"""Paste from Excel/WPS and import files through the 检查提示 dialog, in the real grid over a real store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QInputDialog,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot

from app.files.paste_plan import PasteCancelledError
from app.models.period import Period
from app.models.row_view import ColumnFilter
from app.models.schema import table_schema
from app.models.store import Store
from app.ui import paste
from app.ui.clipboard import put_on_clipboard
from app.ui.paste import PROGRESS_DELAY_MS, Progress, run_cancellable
from app.ui.paste_dialog import PasteChoice, PasteDialog
from app.ui.table_editor import TableEditor
from tests.files.fixtures_build import (
    ID_A,
    ID_B,
    ID_C,
    STUDENT_HEADERS,
    student_row,
    write_csv,
    write_garbage,
    write_xlsx,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

PERIOD = Period("2026-2027", "秋季学期")
SCHEMA = table_schema("students")
NAME, GENDER, ID_NUMBER = SCHEMA.index_of("name"), SCHEMA.index_of("gender"), SCHEMA.index_of("id_number")
STAGE, GRADE, CLASS = SCHEMA.index_of("stage"), SCHEMA.index_of("grade"), SCHEMA.index_of("class_name")
ETHNICITY, REMARK = SCHEMA.index_of("ethnicity"), SCHEMA.index_of("remark")
ROWS = [
    {"name": "韦小宝", "gender": "男", "id_number": "45010220080101001X", "stage": "初中", "grade": "七年级"},
    {"name": "黄蓉", "gender": "女", "id_number": "450102200902020022", "stage": "小学", "grade": "三年级"},
    {"name": "郭靖", "gender": "男", "id_number": "450102200703030031", "stage": "", "grade": ""},
    {"name": "杨过", "gender": "男", "id_number": "450102200604040049", "stage": "普通高中", "grade": "高一"},
]
FIXTURES = Path(__file__).parents[1] / "files" / "fixtures" / "clipboard"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "store.sqlite3")
    opened.insert_rows("students", PERIOD, ROWS)
    yield opened
    opened.close()


@pytest.fixture
def editor(qtbot: QtBot, store: Store) -> TableEditor:
    grid = TableEditor(store, "students")
    qtbot.addWidget(grid)
    grid.load(PERIOD)
    grid.resize(1280, 600)
    grid.show()
    qtbot.waitExposed(grid)
    grid.view.setFocus()
    return grid


class _Dialogs:
    """Answers every 检查提示 dialog with one of its buttons and keeps what each one showed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.choice: PasteChoice = "all"
        self.replace = False
        self.remap: Callable[[PasteDialog], None] | None = None
        self.shown: list[dict[str, Any]] = []
        # A plain function, so that the patched method gets the dialog as its ``self``.
        monkeypatch.setattr(PasteDialog, "exec", lambda dialog: self._exec(dialog))  # noqa: PLW0108

    def _exec(self, dialog: PasteDialog) -> int:
        if self.replace:
            assert dialog.replace_button is not None
            dialog.replace_button.setChecked(True)
        self.shown.append(
            {
                "summary": dialog.summary_label.text(),
                "checks": _tree_texts(dialog.checks.invisibleRootItem()),
                "problems": dialog.problem_label.text(),
                "clean": dialog.buttons["clean"].isEnabled(),
                "mode": dialog.plan.mode,
                "preview_rows": dialog.preview_model.rowCount(),
                "marked": _marked_cells(dialog),
            }
        )
        if self.remap is not None:
            self.remap(dialog)
        dialog.buttons[self.choice].click()
        return int(dialog.result())

    @property
    def last(self) -> dict[str, Any]:
        return self.shown[-1]


def _marked_cells(dialog: PasteDialog) -> dict[tuple[str, str], tuple[str, str]]:
    """(row header, column header) → (background colour, tooltip) of the preview's coloured cells."""
    model = dialog.preview_model
    marked = {}
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            brush = model.data(index, Qt.ItemDataRole.BackgroundRole)
            if brush is not None:
                key = (
                    model.headerData(row, Qt.Orientation.Vertical),
                    model.headerData(column, Qt.Orientation.Horizontal),
                )
                marked[key] = (brush.color().name(), model.data(index, Qt.ItemDataRole.ToolTipRole))
    return marked


def _tree_texts(item: QTreeWidgetItem) -> list[str]:
    texts = []
    for index in range(item.childCount()):
        child = item.child(index)
        assert child is not None
        texts.append(child.text(0))
        texts.extend(_tree_texts(child))
    return texts


class _Messages:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        for name in ("information", "warning", "critical"):
            monkeypatch.setattr(QMessageBox, name, self._show)

    def _show(self, _parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        self.texts.append(text)
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> _Dialogs:
    return _Dialogs(monkeypatch)


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> _Messages:
    return _Messages(monkeypatch)


def _clipboard(text: str, html: str | None = None) -> None:
    mime = QMimeData()
    mime.setText(text)
    if html is not None:
        mime.setHtml(html)
    put_on_clipboard(mime)


def _go(editor: TableEditor, row: int, column: int) -> None:
    index = editor.model.index(row, column)
    editor.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _select(editor: TableEditor, top: int, left: int, bottom: int, right: int) -> None:
    model = editor.model
    selection = QItemSelection(model.index(top, left), model.index(bottom, right))
    editor.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    editor.view.selectionModel().setCurrentIndex(
        model.index(top, left), QItemSelectionModel.SelectionFlag.NoUpdate
    )


def _stored(store: Store) -> list[list[str]]:
    return store.load("students", PERIOD).values


def _shown(editor: TableEditor) -> list[list[str]]:
    return [list(row) for row in editor.model.visible_values()]


# -- pasting ---------------------------------------------------------------------------------------------


def test_a_block_with_a_header_row_is_mapped_by_header(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    _clipboard(f"身份证号\t学生姓名\t性别\r\n{ID_A}\t张三\t男\r\n{ID_B}\t李四\t女\r\n")
    _go(editor, 1, CLASS)  # the columns come from the header, not from the current cell

    assert editor.paste()

    assert dialogs.last["mode"] == "header"
    assert dialogs.last["summary"] == "将粘贴 2 行 × 3 列，从第 2 行「身份证号」开始；覆盖 6 个已有单元格。"
    stored = _stored(store)
    assert [(row[NAME], row[GENDER], row[ID_NUMBER]) for row in stored[1:3]] == [
        ("张三", "男", ID_A),
        ("李四", "女", ID_B),
    ]
    assert stored[0][NAME] == "韦小宝" and stored[3][NAME] == "杨过"
    assert _shown(editor) == stored
    assert editor.undo_stack.count() == 1


def test_a_block_without_header_goes_by_position_from_the_current_cell(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    _clipboard("小学\t一年级\r\n初中\t初一\r\n普通高中\t高二\r\n普通高中\t高三\r\n")
    _go(editor, 2, STAGE)

    assert editor.paste()

    assert dialogs.last["mode"] == "position"
    assert (
        dialogs.last["summary"]
        == "将粘贴 4 行 × 2 列，从第 3 行「学段」开始；覆盖 2 个已有单元格；新增 2 行。"
    )
    stored = _stored(store)
    assert len(stored) == 6
    assert [(row[STAGE], row[GRADE]) for row in stored[2:]] == [
        ("小学", "一年级"),
        ("初中", "七年级"),  # 初一 normalized (N04)
        ("普通高中", "高二"),
        ("普通高中", "高三"),
    ]
    assert [row[NAME] for row in stored[4:]] == ["", ""]
    assert "N04" in " ".join(dialogs.last["checks"])
    assert _shown(editor) == stored


def test_scientific_notation_is_warned_and_only_the_clean_rows_are_pasted(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    before = _stored(store)
    _clipboard(f"张三\t男\t{ID_A}\r\n李四\t女\t4.50102E+17\r\n王五\t男\t{ID_C}\r\n")
    _go(editor, 0, NAME)
    dialogs.choice = "clean"

    assert editor.paste()

    checks = " ".join(dialogs.last["checks"])
    assert "Excel 损坏的号码：1 个单元格" in checks
    assert '第2行「身份证号」（复制内容第2行）：「身份证号」为科学计数法"4.50102E+17"' in checks
    assert "重新录入完整号码" in checks  # the advice to fix the source
    assert "第 2 行" in dialogs.last["problems"]
    assert dialogs.last["clean"]
    colour, tip = dialogs.last["marked"][("2", "身份证号")]
    assert colour == "#ff9696" and "科学计数法" in tip  # the damaged cell is red in the preview
    stored = _stored(store)
    assert stored[0][:3] == ["张三", "男", ID_A]
    assert stored[1] == before[1]  # exactly the damaged row is skipped
    assert stored[2][:3] == ["王五", "男", ID_C]
    assert editor.undo_stack.count() == 1


def test_no_leaves_the_table_as_it_was(editor: TableEditor, store: Store, dialogs: _Dialogs) -> None:
    before = _stored(store)
    _clipboard("甲\r\n乙\r\n丙\r\n丁\r\n戊\r\n己\r\n")
    _go(editor, 2, NAME)
    dialogs.choice = "none"

    assert not editor.paste()

    assert len(dialogs.shown) == 1
    assert _stored(store) == before
    assert _shown(editor) == before
    assert editor.undo_stack.count() == 0


def test_undo_takes_back_the_whole_paste_and_redo_brings_the_same_rows(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    before = store.load("students", PERIOD)
    counts: list[tuple[int, int, bool]] = []
    editor.rows_changed.connect(lambda *shown: counts.append(shown))
    _clipboard("甲\t女\r\n乙\t女\r\n丙\t男\r\n")
    _go(editor, 3, NAME)
    assert editor.paste()
    pasted = store.load("students", PERIOD)
    assert [row[NAME] for row in pasted.values] == ["韦小宝", "黄蓉", "郭靖", "甲", "乙", "丙"]
    assert counts[-1] == (6, 6, False)

    editor.undo_stack.undo()

    assert store.load("students", PERIOD) == before
    assert _shown(editor) == before.values
    assert counts[-1] == (4, 4, False)  # what the status panel says: 共 4 行
    editor.undo_stack.redo()
    assert store.load("students", PERIOD) == pasted
    assert list(editor.model.uids) == pasted.uids


def test_a_number_cell_from_excels_html_is_damage_even_when_its_text_looks_whole(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    text = (FIXTURES / "excel_students.txt").read_bytes().decode()
    html = (FIXTURES / "excel_students.cfhtml").read_bytes().decode()
    before = _stored(store)
    _clipboard(text, html)
    _go(editor, 0, NAME)
    dialogs.choice = "clean"

    assert editor.paste()

    assert "Excel 损坏的号码：2 个单元格" in " ".join(dialogs.last["checks"])
    stored = _stored(store)
    assert stored[0][ID_NUMBER] == "45010220080101001X" and stored[0][ETHNICITY] == "壮族"
    assert stored[1] == before[1] and stored[2] == before[2]  # 黄蓉's and 郭靖's IDs were numbers in Excel
    assert stored[3][NAME] == "杨过" and stored[3][REMARK] == "a&b <c>"


def test_one_value_fills_the_selected_cells(editor: TableEditor, store: Store, dialogs: _Dialogs) -> None:
    _clipboard("3班\r\n")
    _select(editor, 0, CLASS, 2, CLASS)

    assert editor.paste()

    assert [row[CLASS] for row in _stored(store)] == ["3班", "3班", "3班", ""]
    editor.undo_stack.undo()
    assert [row[CLASS] for row in _stored(store)] == [""] * 4


def test_pasting_on_a_filtered_view_writes_to_the_rows_shown(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    editor.model.set_column_filter(GENDER, ColumnFilter(values=frozenset({"男"})))
    assert [row[NAME] for row in _shown(editor)] == ["韦小宝", "郭靖", "杨过"]
    _clipboard("1班\r\n2班\r\n")
    _go(editor, 0, CLASS)

    assert editor.paste()

    assert dialogs.last["summary"] == "将粘贴 2 行 × 1 列，从第 1 行「班级」开始。"
    assert [row[CLASS] for row in _stored(store)] == ["1班", "", "2班", ""]  # 黄蓉 is hidden: untouched


def test_a_locked_table_refuses_to_paste(
    editor: TableEditor, store: Store, dialogs: _Dialogs, messages: _Messages
) -> None:
    before = _stored(store)
    editor.set_read_only(True, "审核已通过，表格已锁定。")
    _clipboard("甲\r\n")
    _go(editor, 0, NAME)

    assert not editor.paste()
    assert not editor.import_file(Path("不存在.csv"))

    assert messages.texts == ["审核已通过，表格已锁定。"] * 2
    assert not dialogs.shown
    assert _stored(store) == before


def test_an_empty_clipboard_says_so(editor: TableEditor, dialogs: _Dialogs, messages: _Messages) -> None:
    _clipboard("")
    _go(editor, 0, NAME)

    assert not editor.paste()

    assert "没有可以粘贴的内容" in messages.texts[0]
    assert not dialogs.shown


def test_ctrl_v_in_the_grid_pastes(editor: TableEditor, store: Store, dialogs: _Dialogs) -> None:
    _clipboard("新名字\r\n")
    _go(editor, 1, NAME)

    QTest.keyClick(editor.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)

    assert len(dialogs.shown) == 1
    assert _stored(store)[1][NAME] == "新名字"


# -- big pastes ------------------------------------------------------------------------------------------


def test_a_big_paste_is_planned_and_written_off_the_gui_thread(
    editor: TableEditor, store: Store, dialogs: _Dialogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paste, "BIG_PASTE_ROWS", 20)
    monkeypatch.setattr(paste, "CHUNK_ROWS", 7)
    threads: set[str] = set()
    real_insert = Store.insert_rows

    def recording_insert(self: Store, *args: Any, **kwargs: Any) -> list[str]:
        threads.add(threading.current_thread().name)
        return real_insert(self, *args, **kwargs)

    monkeypatch.setattr(Store, "insert_rows", recording_insert)
    _clipboard("".join(f"学生{n}\r\n" for n in range(30)))
    _go(editor, 2, NAME)

    assert editor.paste()

    assert threads and threading.main_thread().name not in threads
    stored = _stored(store)
    assert len(stored) == 32 and [row[NAME] for row in stored[2:]] == [f"学生{n}" for n in range(30)]
    assert _shown(editor) == stored
    editor.undo_stack.undo()
    assert [row[NAME] for row in _stored(store)] == [row["name"] for row in ROWS]


def test_cancelling_a_big_paste_half_way_changes_nothing(
    editor: TableEditor, store: Store, dialogs: _Dialogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paste, "BIG_PASTE_ROWS", 20)
    monkeypatch.setattr(paste, "CHUNK_ROWS", 7)
    monkeypatch.setattr(paste, "CHUNK_CELLS", 1)
    before = store.load("students", PERIOD)
    real_set = Progress.set

    def cancel_after_some_writes(self: Progress, fraction: float) -> None:
        real_set(self, fraction)
        if fraction > 0.5:  # rows added and cells written by now: all must be taken back
            self.cancel()

    monkeypatch.setattr(Progress, "set", cancel_after_some_writes)
    _clipboard("".join(f"学生{n}\t女\r\n" for n in range(30)))
    _go(editor, 0, NAME)

    assert not editor.paste()

    assert store.load("students", PERIOD) == before
    assert _shown(editor) == before.values
    assert editor.undo_stack.count() == 0


def test_the_progress_dialog_cancels_and_holds_back_other_input(qtbot: QtBot, editor: TableEditor) -> None:
    seen: dict[str, object] = {}

    def work(progress: Progress) -> int:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            progress.check()
            progress.set(0.5)
            time.sleep(0.01)
        return 1

    def meanwhile() -> None:
        dialogs = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()
        ]
        seen["dialog"] = len(dialogs)
        _go(editor, 0, NAME)
        QTest.keyClicks(editor.view, "x")  # held back: no editor opens
        seen["editing"] = editor.view.state() == QAbstractItemView.State.EditingState
        if dialogs:
            seen["value"] = dialogs[0].value()
            cancel = dialogs[0].findChild(QPushButton)
            assert cancel is not None and cancel.text() == "取消"
            cancel.click()

    QTimer.singleShot(PROGRESS_DELAY_MS + 200, meanwhile)
    started = time.monotonic()
    with pytest.raises(PasteCancelledError):
        run_cancellable(editor, "正在测试……", work)

    assert time.monotonic() - started < 5
    assert seen == {"dialog": 1, "editing": False, "value": 50}


# -- fill down, insert rows, the menu ----------------------------------------------------------------------


def test_ctrl_d_fills_down_as_one_undo_step(qtbot: QtBot, editor: TableEditor, store: Store) -> None:
    _select(editor, 0, STAGE, 2, GRADE)

    QTest.keyClick(editor.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)

    assert [(row[STAGE], row[GRADE]) for row in _stored(store)[:3]] == [("初中", "七年级")] * 3
    assert _stored(store)[3][STAGE] == "普通高中"
    editor.undo_stack.undo()
    assert [row[STAGE] for row in _stored(store)] == ["初中", "小学", "", "普通高中"]


def test_insert_rows_above_the_selection(editor: TableEditor, store: Store) -> None:
    _select(editor, 1, NAME, 2, NAME)

    editor.insert_rows_above()

    assert [row[NAME] for row in _stored(store)] == ["韦小宝", "", "", "黄蓉", "郭靖", "杨过"]


def test_the_cell_menu_has_the_editing_commands(editor: TableEditor) -> None:
    _go(editor, 0, NAME)

    menu = editor.build_context_menu("cell")

    assert [action.text() for action in menu.actions()] == [
        "剪切",
        "复制",
        "粘贴",
        "清除内容",
        "向下填充",
        "插入行",
        "删除行",
    ]
    assert [action.shortcut().toString() for action in menu.actions()][:5] == [
        "Ctrl+X",
        "Ctrl+C",
        "Ctrl+V",
        "Del",
        "Ctrl+D",
    ]


# -- importing files --------------------------------------------------------------------------------------


def _students_file_rows(*rows: list[object]) -> list[list[object]]:
    return [list(STUDENT_HEADERS), *rows]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_importing_a_csv_appends_its_rows(
    editor: TableEditor, store: Store, dialogs: _Dialogs, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(
        tmp_path / "名单.csv",
        _students_file_rows(
            student_row("张三", ID_A, ethnicity="壮"), student_row("欧阳·娜娜", ID_B, gender="2")
        ),
        encoding=encoding,
    )

    assert editor.import_file(path)

    assert dialogs.last["summary"] == "将导入 2 行 × 17 列，从第 5 行「姓名」开始；新增 2 行。"
    stored = _stored(store)
    assert [(row[NAME], row[GENDER], row[ETHNICITY]) for row in stored[4:]] == [
        ("张三", "男", "壮族"),
        ("欧阳·娜娜", "女", "壮族"),
    ]
    assert stored[4][ID_NUMBER] == ID_A
    assert _shown(editor) == stored


def test_importing_an_xlsx_with_a_numeric_id_column_shows_the_damage(
    editor: TableEditor, store: Store, dialogs: _Dialogs, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        _students_file_rows(
            student_row("张三", 450102200801013000.0, student_no=f"G{ID_A}"),
            student_row("李四", ID_B),
            student_row("王五", 4.50103201005200e17, student_no=f"G{ID_C}"),
        ),
    )
    dialogs.choice = "clean"

    assert editor.import_file(path)

    checks = " ".join(dialogs.last["checks"])
    assert "Excel 损坏的号码：2 个单元格" in checks
    assert "文件第2行「身份证号」" in checks and "文件第4行「身份证号」" in checks
    stored = _stored(store)
    assert len(stored) == 5 and stored[4][NAME] == "李四"


def test_a_two_sheet_workbook_asks_which_sheet(
    editor: TableEditor, store: Store, dialogs: _Dialogs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        _students_file_rows(student_row("张三", ID_A)),
        sheet="学生名单",
        extra_sheets=["填表说明"],
    )
    asked: list[tuple[list[str], int]] = []

    def get_item(*args: Any) -> tuple[str, bool]:
        items, current = args[3], args[4]
        asked.append((list(items), current))
        return items[current], True

    monkeypatch.setattr(QInputDialog, "getItem", get_item)

    assert editor.import_file(path)

    assert asked == [(["填表说明", "学生名单"], 1)]  # the sheet with the table's header is offered
    assert _stored(store)[4][NAME] == "张三"


def test_replacing_the_table_and_undoing_it(
    editor: TableEditor, store: Store, dialogs: _Dialogs, tmp_path: Path
) -> None:
    before = store.load("students", PERIOD)
    path = write_csv(tmp_path / "新名单.csv", _students_file_rows(student_row("张三", ID_A)), encoding="gbk")
    dialogs.replace = True

    assert editor.import_file(path)

    assert dialogs.last["summary"] == "将导入 1 行 × 17 列，替换本表现有的 4 行。"
    assert [row[NAME] for row in _stored(store)] == ["张三"]
    assert editor.model.rowCount() == 1
    editor.undo_stack.undo()
    assert store.load("students", PERIOD) == before
    assert _shown(editor) == before.values


def test_a_file_that_cannot_be_read_is_explained(
    editor: TableEditor, dialogs: _Dialogs, messages: _Messages, tmp_path: Path
) -> None:
    assert not editor.import_file(write_garbage(tmp_path / "照片.xlsx"))

    assert "已损坏" in messages.texts[0]
    assert not dialogs.shown


def test_a_file_dropped_on_the_grid_is_imported(
    qtbot: QtBot, editor: TableEditor, store: Store, dialogs: _Dialogs, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "名单.csv", _students_file_rows(student_row("张三", ID_A)), encoding="gbk")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    viewport = editor.view.viewport()
    position = QPointF(viewport.rect().center())
    actions = Qt.DropAction.CopyAction
    no_buttons, no_keys = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier

    enter = QDragEnterEvent(position.toPoint(), actions, mime, no_buttons, no_keys)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(position, actions, mime, no_buttons, no_keys, QEvent.Type.Drop)
    QApplication.sendEvent(viewport, drop)

    qtbot.waitUntil(lambda: len(_stored(store)) == 5)
    assert _stored(store)[4][NAME] == "张三"
    assert len(dialogs.shown) == 1


def test_the_columns_matched_by_header_can_be_changed_in_the_dialog(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    _clipboard("姓名\t家庭住址\r\n张三\t那坡镇\r\n")
    _go(editor, 0, NAME)

    def map_address_to_remark(dialog: PasteDialog) -> None:
        assert [combo.currentText() for combo in dialog.combos] == ["姓名", "（不粘贴）"]
        dialog.combos[1].setCurrentIndex(REMARK + 1)

    dialogs.remap = map_address_to_remark

    assert editor.paste()

    assert any("家庭住址" in text for text in dialogs.last["checks"])  # said it would not be pasted …
    assert _stored(store)[0][REMARK] == "那坡镇"  # … until the user chose where it goes


def test_a_selection_of_several_areas_is_refused(
    editor: TableEditor, store: Store, dialogs: _Dialogs, messages: _Messages
) -> None:
    before = _stored(store)
    _clipboard("甲\r\n")
    selection = editor.view.selectionModel()
    model = editor.model
    selection.select(
        QItemSelection(model.index(0, 0), model.index(0, 0)), QItemSelectionModel.SelectionFlag.Select
    )
    selection.select(
        QItemSelection(model.index(2, 3), model.index(2, 3)), QItemSelectionModel.SelectionFlag.Select
    )

    assert not editor.paste()

    assert "多个不相连的区域" in messages.texts[0]
    assert _stored(store) == before and not dialogs.shown


def test_the_preview_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    from app.files.clipboard_text import read_clipboard
    from app.files.paste_plan import PasteSource, PasteTarget, plan_paste
    from app.ui.paste_dialog import PreviewModel

    table = read_clipboard(f"张三\t男\t{ID_A}\r\n李四\t女\t4.50102E+17\r\n", None)
    plan = plan_paste(PasteSource.from_clipboard(table), SCHEMA, PasteTarget.append(0))

    qtmodeltester.check(PreviewModel(plan))


def test_undo_and_redo_across_a_later_edit_of_a_pasted_row(
    editor: TableEditor, store: Store, dialogs: _Dialogs
) -> None:
    _clipboard("甲\r\n乙\r\n")
    _go(editor, 3, NAME)
    assert editor.paste()  # 杨过's name becomes 甲, 乙 is a new row
    assert editor.set_values([(4, NAME, "改过的乙")])

    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert [row[NAME] for row in _stored(store)] == ["韦小宝", "黄蓉", "郭靖", "杨过"]
    editor.undo_stack.redo()
    assert [row[NAME] for row in _stored(store)] == ["韦小宝", "黄蓉", "郭靖", "甲", "乙"]
    editor.undo_stack.redo()
    assert [row[NAME] for row in _stored(store)] == ["韦小宝", "黄蓉", "郭靖", "甲", "改过的乙"]
    assert _shown(editor) == _stored(store)
