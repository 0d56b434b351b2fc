"""The grid's cells: how they are drawn, and their editors (a line edit, or an editable drop-down
with completion for enum columns).

The delegate only moves text between the editor and the model; normalization, length checks and
saving happen behind ``model.setData`` (the table editor). Enter/Tab in an open editor commit and
ask the view to move (``navigate``) like Excel: Enter down, Tab right, with Shift back.

Cells are not drawn here: the view paints a whole page in one call (grid_painter.py).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.models.codes import CodeList
from app.ui.table_model import RowsTableModel

Index = QModelIndex | QPersistentModelIndex

_EDIT = int(Qt.ItemDataRole.EditRole)
_KEY_PRESS = QEvent.Type.KeyPress
_SHIFT = Qt.KeyboardModifier.ShiftModifier
_MOVES = {
    Qt.Key.Key_Return: (1, 0),
    Qt.Key.Key_Enter: (1, 0),
    Qt.Key.Key_Tab: (0, 1),
    Qt.Key.Key_Backtab: (0, -1),
}
VISIBLE_CHOICES = 15


class GridDelegate(QStyledItemDelegate):
    """Editors for one table's columns; ``replace_on_open`` makes the next editor start empty."""

    navigate = Signal(int, int)  # (row step, column step) after an editor committed with Enter/Tab

    def __init__(self, model: RowsTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        schema = model.schema
        self._code_lists: dict[int, CodeList] = {
            column: spec.code_list() for column, spec in enumerate(schema.columns) if spec.is_enum
        }
        self._depends_on: dict[int, int] = {
            column: schema.index_of(spec.depends_on)
            for column, spec in enumerate(schema.columns)
            if spec.depends_on is not None
        }
        self.replace_on_open = False

    def choices(self, index: Index) -> tuple[str, ...] | None:
        """The values offered for the cell, None for a free-text column.

        A dependent column (年级) offers the values of the row's 学段, or all when 学段 is empty
        or unknown.
        """
        codes = self._code_lists.get(index.column())
        if codes is None:
            return None
        master = self._depends_on.get(index.column())
        if master is None:
            return codes.values
        stage = index.sibling(index.row(), master).data(_EDIT)
        return codes.values_for_stage(str(stage or "")) or codes.values

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        choices = self.choices(index)
        if choices is None:
            line = QLineEdit(parent)
            line.setFrame(False)
            return line
        box = _choice_box(parent, choices)
        _completion_list(box).installEventFilter(_CompletionKeys(box, self.finish))
        return box

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        text = "" if self.replace_on_open else str(index.data(_EDIT) or "")
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findText(text))
            editor.setEditText(text)
        elif isinstance(editor, QLineEdit):
            editor.setText(text)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), _EDIT)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), _EDIT)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == _KEY_PRESS and isinstance(event, QKeyEvent) and isinstance(watched, QWidget):
            step = navigation_step(event)
            if step is not None:
                editor = _editor_of(watched)
                if isinstance(editor, QComboBox) and editor.view().isVisible():
                    return super().eventFilter(watched, event)  # the open list takes Enter itself
                return self.finish(editor, step)
        return super().eventFilter(watched, event)

    def finish(self, editor: QWidget, step: tuple[int, int]) -> bool:
        """Commit and close ``editor``, then move the current cell by ``step``."""
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        self.navigate.emit(*step)
        return True


class _CompletionKeys(QObject):
    """Enter/Tab in a drop-down's open completion list: take its choice, then commit as in the editor.

    A child of the drop-down, so it goes with it; the delegate's own filter must not watch the list
    (it would take the list's Hide for an editor dialog closing and commit it).
    """

    def __init__(self, box: QComboBox, finish: Callable[[QWidget, tuple[int, int]], bool]) -> None:
        super().__init__(box)
        self._box = box
        self._finish = finish

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != _KEY_PRESS or not isinstance(event, QKeyEvent) or not isinstance(watched, QWidget):
            return False
        step = navigation_step(event)
        if step is None:
            return False
        self._box.setEditText(_completion(self._box))
        watched.hide()
        return self._finish(self._box, step)


def navigation_step(event: QKeyEvent) -> tuple[int, int] | None:
    """Where Enter/Tab (with Shift: back) move the current cell, None for other keys."""
    step = _MOVES.get(Qt.Key(event.key()))
    if step is None or not event.modifiers() & _SHIFT or event.key() == Qt.Key.Key_Backtab:
        return step
    return -step[0], -step[1]


def _completion(box: QComboBox) -> str:
    """What Enter in the completion list means: a value typed in full, else the highlighted or first match."""
    typed = box.currentText()
    exact = box.findText(typed, Qt.MatchFlag.MatchFixedString)
    if exact >= 0:
        return box.itemText(exact)
    completer = _completer(box)
    highlighted = _completion_list(box).currentIndex()
    if highlighted.isValid():
        return str(highlighted.data())
    if completer.completionCount() > 0:
        completer.setCurrentRow(0)
        return completer.currentCompletion()
    return typed


def _completer(box: QComboBox) -> QCompleter:
    completer = box.completer()
    if completer is None:
        raise ValueError("a drop-down editor without its completer")
    return completer


def _completion_list(box: QComboBox) -> QAbstractItemView:
    popup = _completer(box).popup()
    if popup is None:
        raise ValueError("a completer without its list")
    return popup


def _editor_of(widget: QWidget) -> QWidget:
    """The editor a key went to: the combo box itself when its line edit had the focus."""
    parent = widget.parentWidget()
    if isinstance(widget, QLineEdit) and isinstance(parent, QComboBox):
        return parent
    return widget


def _choice_box(parent: QWidget, choices: tuple[str, ...]) -> QComboBox:
    """An editable drop-down whose typed text pops up the matching values (anywhere in the value)."""
    box = QComboBox(parent)
    box.setEditable(True)
    box.setFrame(False)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    box.setMaxVisibleItems(VISIBLE_CHOICES)
    box.addItems(list(choices))
    completer = QCompleter(box.model(), box)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    box.setCompleter(completer)
    return box
