"""查找 (Ctrl+F) and 替换 (Ctrl+H): one non-modal dialog per main window, acting on the current table.

查找内容, 查找位置 (全部列 or one column), 匹配方式 (包含 / 完全一致 / 开头是), 区分全半角 (off: full- and
half-width forms match each other); 查找下一个 / 查找上一个 (F3 / Shift+F3, also with the dialog
closed), 全部查找 (a list of hits; a click goes to the cell), 替换 / 全部替换 (one undo step, refused
in a locked table). Only the rows shown are searched, in the order shown; the matching itself is
:mod:`app.models.search`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.search import MATCH_TITLES, Hit, MatchMode, Query, find_all, find_next, matches, replaced
from app.ui.table_editor import TableEditor

ALL_COLUMNS = "全部列"
Index = QModelIndex | QPersistentModelIndex
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_HIT_HEADERS = ("行", "列", "内容")


class EditorHost(Protocol):
    """The main window as the dialog sees it: it has a current table editor."""

    def current_editor(self) -> TableEditor: ...


@dataclass(frozen=True)
class FoundCell:
    """One line of 全部查找: where the cell was (row uid, the user's row number, column) and its text."""

    uid: str
    row_number: int
    column: int
    header: str
    text: str


class HitsModel(QAbstractTableModel):
    """The hits of 全部查找: 行, 列, 内容."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cells: list[FoundCell] = []
        self.editor: TableEditor | None = None

    def set_cells(self, editor: TableEditor, cells: list[FoundCell]) -> None:
        self.beginResetModel()
        self.editor = editor
        self.cells = cells
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.cells)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HIT_HEADERS)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role != _DISPLAY or not index.isValid():
            return None
        cell = self.cells[index.row()]
        return (str(cell.row_number), cell.header, cell.text)[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return _HIT_HEADERS[section]
        return None


class FindDialog(QDialog):
    """查找 and 替换 over the rows shown in the current table (non-modal)."""

    def __init__(self, host: EditorHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("find_dialog")
        self.setModal(False)
        self._host = host
        self._scope_table = ""
        self.find_text = QLineEdit(self)
        self.replace_text = QLineEdit(self)
        self.scope_box = QComboBox(self)
        self.mode_box = QComboBox(self)
        for mode, title in MATCH_TITLES.items():
            self.mode_box.addItem(title, mode)
        self.width_box = QCheckBox("区分全半角", self)
        self.width_box.setToolTip("不勾选时，全角和半角的字母、数字、符号视为相同（如 １２３ 和 123）。")
        self.status = QLabel("", self)
        self.status.setObjectName("find_status")
        self.status.setWordWrap(True)
        self.hits = HitsModel(self)
        self.results = QTableView(self)
        self._build()
        self.set_replace_mode(False)

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("查找内容：", self.find_text)
        self._replace_label = QLabel("替换为：", self)
        form.addRow(self._replace_label, self.replace_text)
        form.addRow("查找位置：", self.scope_box)
        form.addRow("匹配方式：", self.mode_box)
        form.addRow("", self.width_box)
        self.next_button = self._button("查找下一个", self.find_next)
        self.next_button.setDefault(True)
        self.previous_button = self._button("查找上一个", lambda: self.find_next(backwards=True))
        self.all_button = self._button("全部查找", self.find_all)
        self.replace_button = self._button("替换", self.replace_one)
        self.replace_all_button = self._button("全部替换", self.replace_all)
        close_button = self._button("关闭", self.close)
        buttons = QVBoxLayout()
        for button in (
            self.next_button,
            self.previous_button,
            self.all_button,
            self.replace_button,
            self.replace_all_button,
            close_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        top.addLayout(buttons)
        self.results.setModel(self.hits)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.verticalHeader().hide()
        self.results.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.results.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.results.clicked.connect(self._result_clicked)
        self.results.activated.connect(self._result_clicked)
        self.results.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        self.resize(520, 260)

    def _button(self, title: str, action: Any) -> QPushButton:
        button = QPushButton(title, self)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: action())
        return button

    # -- the form ---------------------------------------------------------------------------------------

    def set_replace_mode(self, replacing: bool) -> None:
        """Show the 替换 parts of the dialog, or only the 查找 ones."""
        self.setWindowTitle("替换" if replacing else "查找")
        for widget in (self._replace_label, self.replace_text, self.replace_button, self.replace_all_button):
            widget.setVisible(replacing)

    def open_for(self, replacing: bool) -> None:
        """Show the dialog (查找 or 替换) with the current cell's text as a first guess to look for."""
        self.set_replace_mode(replacing)
        self._refresh_scope()
        editor = self._host.current_editor()
        current = editor.view.currentIndex()
        if not self.find_text.text() and current.isValid():
            self.find_text.setText(editor.model.display_text(current.row(), current.column()))
        self.show()
        self.raise_()
        self.activateWindow()
        self.find_text.setFocus()
        self.find_text.selectAll()

    def query(self) -> Query:
        """What the form asks for."""
        column = self.scope_box.currentData()
        mode: MatchMode = self.mode_box.currentData()
        return Query(
            self.find_text.text(),
            mode,
            width_sensitive=self.width_box.isChecked(),
            columns=None if column is None or column < 0 else (int(column),),
        )

    def set_scope(self, column: int | None) -> None:
        """Search every column (None) or one."""
        self._refresh_scope()
        self.scope_box.setCurrentIndex(self.scope_box.findData(-1 if column is None else column))

    def set_mode(self, mode: MatchMode) -> None:
        self.mode_box.setCurrentIndex(self.mode_box.findData(mode))

    def _refresh_scope(self) -> None:
        """The 查找位置 choices of the current table (kept when the table has not changed)."""
        editor = self._host.current_editor()
        if self._scope_table == editor.table:
            return
        self._scope_table = editor.table
        self.scope_box.clear()
        self.scope_box.addItem(ALL_COLUMNS, -1)
        for column, spec in enumerate(editor.schema.columns):
            self.scope_box.addItem(spec.header, column)

    # -- finding ----------------------------------------------------------------------------------------

    def find_next(self, *, backwards: bool = False) -> bool:
        """查找下一个 (or 上一个) from the current cell, wrapping around; False (and a note) if none."""
        editor, query = self._ready()
        if editor is None:
            return False
        model = editor.model
        current = editor.view.currentIndex()
        after: Hit | None = (current.row(), current.column()) if current.isValid() else None
        hit = find_next(
            model.visible_values(),
            query,
            model.columnCount(),
            after,
            backwards=backwards,
            labels=_labels(editor),
        )
        if hit is None:
            self._say(self._not_found(query, editor))
            return False
        _go_to(editor, *hit)
        self._say("")
        return True

    def find_all(self) -> int:
        """全部查找: list every hit (行, 列, 内容); returns how many."""
        editor, query = self._ready()
        if editor is None:
            return 0
        model = editor.model
        hits = find_all(model.visible_values(), query, model.columnCount(), labels=_labels(editor))
        headers = editor.schema.headers
        cells = [
            FoundCell(
                model.row_uid(row),
                model.source_row(row) + 1,
                column,
                headers[column],
                model.display_text(row, column),
            )
            for row, column in hits
        ]
        self.hits.set_cells(editor, cells)
        self.results.setVisible(True)
        if self.height() < 420:
            self.resize(self.width(), 420)
        self._say(f"找到 {len(cells):,} 个单元格。" if cells else self._not_found(query, editor))
        return len(cells)

    def _result_clicked(self, index: QModelIndex) -> None:
        editor = self.hits.editor
        if editor is None or not index.isValid():
            return
        cell = self.hits.cells[index.row()]
        _bring_to_front(editor)
        if not editor.reveal_uid(cell.uid, cell.column):
            self._say(f"第{cell.row_number}行已被删除。")

    # -- replacing --------------------------------------------------------------------------------------

    def replace_one(self) -> bool:
        """替换: replace in the current cell if it matches, then go to the next hit."""
        editor, query = self._ready()
        if editor is None or not self._may_replace(editor):
            return False
        current = editor.view.currentIndex()
        if current.isValid() and _in_scope(query, current.column()):
            row, column = current.row(), current.column()
            value = editor.model.value(row, column)
            if matches(value, query):
                new = replaced(value, query, self.replace_text.text())
                if new != value and not editor.set_values([(row, column, new)], "替换"):
                    return False
        self.find_next()
        return True

    def replace_all(self) -> int:
        """全部替换 in the rows shown, as one undo step; returns how many cells changed."""
        editor, query = self._ready()
        if editor is None or not self._may_replace(editor):
            return 0
        model = editor.model
        replacement = self.replace_text.text()
        values = model.visible_values()
        cells = []
        for row, column in find_all(values, query, model.columnCount()):
            old = values[row][column]
            new = replaced(old, query, replacement)
            if new != old:
                cells.append((row, column, new))
        if not cells:
            self._say(self._not_found(query, editor))
            return 0
        before = editor.undo_stack.count()
        if not editor.set_values(cells, "全部替换"):
            self._say("没有替换。")
            return 0
        changed = sum(len(command.edits) for command in _new_commands(editor, before))
        self._say(f"已替换 {changed:,} 个单元格（可撤销）。")
        return changed

    def _may_replace(self, editor: TableEditor) -> bool:
        if editor.read_only:
            editor.refuse_locked()
            return False
        return True

    # -- helpers ----------------------------------------------------------------------------------------

    def _ready(self) -> tuple[TableEditor | None, Query]:
        self._refresh_scope()
        query = self.query()
        if not query.text:
            self._say("请输入查找内容。")
            return None, query
        return self._host.current_editor(), query

    def _not_found(self, query: Query, editor: TableEditor) -> str:
        where = "显示的行中" if editor.model.is_filtered() else ""
        scope = self.scope_box.currentText() if query.columns is not None else ALL_COLUMNS
        return f"在{where}「{scope}」中找不到“{query.text}”（{MATCH_TITLES[query.mode]}）。"

    def _say(self, text: str) -> None:
        self.status.setText(text)
        if text and not self.isVisible():  # F3 with the dialog closed
            parent = self.parentWidget()
            QMessageBox.information(parent if parent is not None else self, "查找", text)


def _labels(editor: TableEditor) -> Mapping[int, Mapping[str, str]]:
    model = editor.model
    return {column: labels for column in range(model.columnCount()) if (labels := model.labels_of(column))}


def _in_scope(query: Query, column: int) -> bool:
    return query.columns is None or column in query.columns


def _new_commands(editor: TableEditor, before: int) -> list[Any]:
    stack = editor.undo_stack
    return [command for i in range(before, stack.count()) if hasattr(command := stack.command(i), "edits")]


def _go_to(editor: TableEditor, row: int, column: int) -> None:
    index = editor.model.index(row, column)
    editor.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    editor.view.scrollTo(index)


def _bring_to_front(widget: QWidget) -> None:
    """Show the tab that holds ``widget``."""
    chain: list[QWidget] = [widget]
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QTabWidget):
            for child in chain:
                if (tab := parent.indexOf(child)) >= 0:
                    parent.setCurrentIndex(tab)
        chain.append(parent)
        parent = parent.parentWidget()


# -- what the actions call ------------------------------------------------------------------------------


def find_dialog(window: QWidget, host: EditorHost) -> FindDialog:
    """The window's find dialog (made on first use)."""
    dialog = window.findChild(FindDialog, "find_dialog")
    if dialog is None:
        dialog = FindDialog(host, window)
    return dialog


def open_find(window: QWidget, host: EditorHost, *, replacing: bool = False) -> FindDialog:
    """查找 (Ctrl+F) or 替换 (Ctrl+H)."""
    dialog = find_dialog(window, host)
    dialog.open_for(replacing)
    return dialog


def find_again(window: QWidget, host: EditorHost, *, backwards: bool = False) -> bool:
    """查找下一个 / 查找上一个 (F3 / Shift+F3) with the last search; opens 查找 if there was none."""
    dialog = find_dialog(window, host)
    if not dialog.find_text.text():
        dialog.open_for(False)
        return False
    return dialog.find_next(backwards=backwards)
