"""One table's editable grid: the view, its model and its undo stack, with Excel-like keyboard handling.

Every change is one undo command that writes to the store at once (see :mod:`app.ui.undo`). Typed
values get the normalization rules N01–N06 before they are stored. Nothing is blocked while typing
(validation marks wrong values later) except a value the column can never hold, which is refused:

- ID, account, phone, 学年 and date columns: longer than their ``max_length`` + :data:`CODE_SLACK`
  characters (a digit too many is a typo to fix later; far more is something pasted by mistake);
- 户籍所在县(区): longer than :data:`REGION_LIMIT` (a full county name may be typed instead of the code);
- other text columns: longer than twice their ``max_length``;
- drop-down columns: longer than twice their longest value (at least :data:`MIN_ENUM_LIMIT`);
- columns without a length (金额): longer than :data:`FREE_LIMIT`.

Loading a large table and row or cell operations on one (see :data:`app.ui.undo.BACKGROUND_SIZE`)
run through :func:`run_with_progress`: on a pool thread, the window painting meanwhile, the user's
input held back, and a busy dialog after :data:`PROGRESS_DELAY_MS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar, cast

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QItemSelection,
    QItemSelectionModel,
    QItemSelectionRange,
    QModelIndex,
    QObject,
    QPoint,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QInputMethodEvent, QKeyEvent, QKeySequence, QMouseEvent, QPaintEvent, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.bulk import return_free_memory
from app.models.errors import StoreError
from app.models.period import Period
from app.models.schema import Column, TableKey, table_schema
from app.models.store import Store
from app.ui.clipboard import HTML_CELL_LIMIT, mime_for, put_on_clipboard
from app.ui.delegates import GridDelegate, navigation_step
from app.ui.filter_header import FilterHeader, FilterPopup
from app.ui.grid_painter import GridColors, paint_grid
from app.ui.table_model import RowsTableModel
from app.ui.undo import CellEdit, DeleteRowsCommand, EditCellsCommand, GridSession, InsertRowsCommand
from app.ui.worker import USER_INPUT_EVENTS
from app.validation.normalize import normalize_value

CODE_TYPES = frozenset({"id18", "id", "student_no", "account", "phone", "school_year", "date"})
CODE_SLACK = 5
REGION_LIMIT = 30
TEXT_FACTOR = 2
MIN_ENUM_LIMIT = 20
FREE_LIMIT = 40
MAX_ADD_ROWS = 10_000
DEFAULT_LOCK_REASON = "这张表已锁定，不能修改。"
LOADING_MESSAGE = "表格还在读取中，请稍候片刻再修改（读取完成前不能改动，以免改在不完整的表上）。"
PROGRESS_DELAY_MS = 300
T = TypeVar("T")

ContextArea = Literal["cell", "empty", "row_header"]

_ANY_KEY = QAbstractItemView.EditTrigger.AnyKeyPressed
_CURSOR_AT_END_TRIGGERS = (
    QAbstractItemView.EditTrigger.EditKeyPressed,
    QAbstractItemView.EditTrigger.DoubleClicked,
)
_SHORTCUT_OVERRIDE = QEvent.Type.ShortcutOverride
_COMMAND_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# Keys the grid handles itself even where the window has a shortcut for them.
_OWN_KEYS = frozenset(
    (*_ENTER_KEYS, Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_F2)
)
_OWN_SEQUENCES = (
    QKeySequence.StandardKey.Copy,
    QKeySequence.StandardKey.Cut,
    QKeySequence.StandardKey.Paste,
    QKeySequence.StandardKey.SelectAll,
)


def _is_fill_down(event: QKeyEvent) -> bool:
    """Ctrl+D, Excel's 向下填充 (not a standard key sequence of Qt)."""
    return event.key() == Qt.Key.Key_D and event.modifiers() == Qt.KeyboardModifier.ControlModifier


def value_limit(column: Column) -> int:
    """The most characters a typed value of ``column`` may have (see the module docstring)."""
    if column.type == "region":
        return REGION_LIMIT
    if column.max_length is not None:
        if column.type in CODE_TYPES:
            return column.max_length + CODE_SLACK
        return column.max_length * TEXT_FACTOR
    if column.is_enum:
        longest = max((len(value) for value in column.code_list().values), default=0)
        return max(MIN_ENUM_LIMIT, longest * TEXT_FACTOR)
    return FREE_LIMIT


def too_long_message(row: int, column: Column, length: int) -> str:
    """The refusal of a value of ``length`` characters typed into grid row ``row`` (0-based)."""
    header = column.header
    allowed = f"「{header}」最多 {column.max_length} 个字符，" if column.max_length is not None else ""
    return (
        f"第{row + 1}行「{header}」输入的内容太长（{length} 个字符），{allowed}"
        f"不可能是有效的{header}，没有填入。请检查是否多粘贴了内容。"
    )


class _Outcome(QObject):
    """Carries a pool thread's result to the GUI thread and ends the waiting event loop there."""

    finished = Signal(object)

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.result: tuple[bool, object] | None = None
        self._loop = loop
        self.finished.connect(self._arrived, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _arrived(self, result: tuple[bool, object]) -> None:
        self.result = result
        self._loop.quit()


class _Job(QRunnable):
    def __init__(self, work: Callable[[], object], outcome: _Outcome) -> None:
        super().__init__()
        self._work = work
        self._outcome = outcome

    def run(self) -> None:
        try:
            result: tuple[bool, object] = (True, self._work())
        except Exception as exc:  # raised again on the GUI thread, where the caller handles it
            result = (False, exc)
        self._outcome.finished.emit(result)


class _InputBlocker(QObject):
    """Holds back the user's input while the GUI thread waits for background store work.

    The window keeps painting, but a click or a key (Ctrl+Z above all) must not start another change
    of the same grid before this one is done.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        return event.type() in USER_INPUT_EVENTS


def run_with_progress(parent: QWidget, label: str, work: Callable[[], T]) -> T:
    """Run ``work`` on a pool thread, keep painting, and return its result (or raise its exception).

    Input is held back meanwhile; a busy dialog saying ``label`` appears after PROGRESS_DELAY_MS.
    ``work`` must not touch widgets or the GUI thread's store connection.
    """
    app = QCoreApplication.instance()
    if app is None:
        return work()
    loop = QEventLoop()
    outcome = _Outcome(loop)
    blocker = _InputBlocker()
    dialogs: list[QProgressDialog] = []
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: dialogs.append(_busy_dialog(parent, label)))
    app.installEventFilter(blocker)
    try:
        timer.start(PROGRESS_DELAY_MS)
        QThreadPool.globalInstance().start(_Job(work, outcome))
        loop.exec()
    finally:
        timer.stop()
        app.removeEventFilter(blocker)
        for dialog in dialogs:
            dialog.close()
            dialog.deleteLater()
        return_free_memory()
    assert outcome.result is not None
    succeeded, value = outcome.result
    if not succeeded:
        assert isinstance(value, BaseException)
        raise value
    return cast(T, value)


def _busy_dialog(parent: QWidget, label: str) -> QProgressDialog:
    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setWindowTitle("请稍候")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.show()
    return dialog


class ContextEntry(NamedTuple):
    """One line of a context menu: title, the shortcut shown beside it ("" for none), what it does."""

    title: str
    shortcut: str
    callback: Callable[[], object]


@contextmanager
def _wait_cursor() -> Iterator[None]:
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


class GridView(QTableView):
    """The table view with Excel's keys: typing replaces, Enter down, Tab right, Delete clears."""

    def __init__(self, editor: TableEditor) -> None:
        super().__init__(editor)
        self._editor = editor
        self.delegate = GridDelegate(editor.model, self)
        self.setItemDelegate(self.delegate)
        self.delegate.navigate.connect(self.move_current)
        # Set when rows were picked by clicking row numbers: Delete then deletes those rows.
        self.rows_picked_by_header = False
        self._forwarding = False
        self._colors: GridColors | None = None
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        header = self.verticalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header.sectionPressed.connect(self._row_header_pressed)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._row_header_menu)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._cell_menu)

    def paintEvent(self, event: QPaintEvent) -> None:
        # One Python call per repaint instead of one delegate call per visible cell (grid_painter).
        if self._colors is None:
            self._colors = GridColors.from_view(self)
        paint_grid(self, self._editor.model, self._colors, event.rect())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._colors = None
        super().changeEvent(event)

    def set_column_widths(self) -> None:
        """Column widths from the schema, in digits of the view's font, never narrower than the header.

        Digits, not CJK characters, are the unit: the widest values are IDs, account numbers and
        phone numbers, and a 身份证号 column twenty CJK characters wide would fill half the window.
        """
        digit = self.fontMetrics().horizontalAdvance("0")
        header = self.horizontalHeader().fontMetrics()
        for column, spec in enumerate(self._editor.schema.columns):
            self.setColumnWidth(column, max(spec.width * digit, header.horizontalAdvance(spec.header)) + 16)

    # -- editing ----------------------------------------------------------------------------------------

    def edit(  # type: ignore[override]  # one Python method serves both of Qt's overloads
        self,
        index: QModelIndex,
        trigger: QAbstractItemView.EditTrigger | None = None,
        event: QEvent | None = None,
    ) -> bool:
        if trigger is None:
            super().edit(index)  # the public slot; Qt comes back here with a trigger
            return self.state() == QAbstractItemView.State.EditingState
        if not self._editor.model.is_editable and (trigger == _ANY_KEY or trigger in _CURSOR_AT_END_TRIGGERS):
            if event is not None or trigger != _ANY_KEY:
                self._editor.refuse_locked()
            return False
        # A key typed into a cell replaces its content (Excel); F2 and double-click keep it.
        self.delegate.replace_on_open = trigger == _ANY_KEY and event is not None
        try:
            opened = super().edit(index, trigger, cast(QEvent, event))  # Qt takes a null event
        finally:
            self.delegate.replace_on_open = False
        if opened and trigger in _CURSOR_AT_END_TRIGGERS:
            _put_cursor_at_end(self.indexWidget(index))
        return opened

    def move_current(self, rows: int, columns: int) -> None:
        """Move the current cell like Excel's Enter (rows) and Tab (columns; wraps to the next row)."""
        model = self.model()
        row_count, column_count = model.rowCount(), model.columnCount()
        if row_count == 0:
            return
        current = self.currentIndex()
        row, column = (current.row(), current.column()) if current.isValid() else (0, 0)
        row, column = row + rows, column + columns
        if column >= column_count:
            row, column = (row + 1, 0) if row + 1 < row_count else (row, column_count - 1)
        elif column < 0:
            row, column = (row - 1, column_count - 1) if row > 0 else (row, 0)
        target = model.index(min(max(row, 0), row_count - 1), column)
        # Through the selection model: the view's own setCurrentIndex would extend the selection
        # while Shift (of Shift+Enter) is held.
        self.selectionModel().setCurrentIndex(target, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.scrollTo(target)
        self.rows_picked_by_header = False

    # -- keys and mouse ---------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == _SHORTCUT_OVERRIDE and isinstance(event, QKeyEvent) and self._owns(event):
            event.accept()
            return True
        return super().event(event)

    @staticmethod
    def _owns(event: QKeyEvent) -> bool:
        if any(event.matches(sequence) for sequence in _OWN_SEQUENCES) or _is_fill_down(event):
            return True
        if event.modifiers() & _COMMAND_MODIFIERS:
            return False
        return event.key() in _OWN_KEYS or (bool(event.text()) and event.text().isprintable())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() == QAbstractItemView.State.EditingState:
            # A key the editor did not take comes back here while it is forwarded: Qt's own handling.
            if self._forwarding or not self._forward_to_editor(event):
                super().keyPressEvent(event)
            return
        if self._grid_key(event):
            return
        if not event.text() or not event.text().isprintable():
            self.rows_picked_by_header = False  # a navigation key: the selection is no longer header-made
        super().keyPressEvent(event)

    def _grid_key(self, event: QKeyEvent) -> bool:
        """Handle the keys that work like Excel's rather than Qt's; False for the others."""
        action = self._key_action(event)
        if action is None:
            return False
        action()
        return True

    def _key_action(self, event: QKeyEvent) -> Callable[[], object] | None:
        editor = self._editor
        for sequence, action in (
            (QKeySequence.StandardKey.Copy, editor.copy_selection),
            (QKeySequence.StandardKey.Cut, editor.cut_selection),
            (QKeySequence.StandardKey.Paste, editor.paste),
        ):
            if event.matches(sequence):
                return action
        if _is_fill_down(event):
            return editor.fill_down
        if event.modifiers() & _COMMAND_MODIFIERS:
            return None
        step = navigation_step(event)
        if step is not None:
            return lambda: self.move_current(*step)
        key = Qt.Key(event.key())  # PySide's Qt.Key accepts any key code, 0 (text only) included
        return {Qt.Key.Key_Delete: self._editor.delete_key, Qt.Key.Key_Backspace: self._edit_empty}.get(key)

    def _edit_empty(self) -> None:
        """Backspace: edit the current cell starting from nothing (Escape brings the value back)."""
        index = self.currentIndex()
        if not index.isValid():
            return
        if not self._editor.model.is_editable:
            self._editor.refuse_locked()
            return
        self.delegate.replace_on_open = True
        try:
            super().edit(index, _ANY_KEY, cast(QEvent, None))  # no key to pass on to the editor
        finally:
            self.delegate.replace_on_open = False

    def _forward_to_editor(self, event: QKeyEvent) -> bool:
        """Keys sent to the view while its editor is open (tests, accessibility tools) go to the editor."""
        target = _input_widget(self.indexWidget(self.currentIndex()))
        if target is None:
            return False
        self._forwarding = True
        try:
            QApplication.sendEvent(target, event)
        finally:
            self._forwarding = False
        return True

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        # Qt opens the editor for a commit that came without a preedit (full-width characters, some
        # IMEs' punctuation) but drops the committed text; start the editor with it here.
        if (
            self.state() != QAbstractItemView.State.EditingState
            and event.commitString()
            and not event.preeditString()
        ):
            index = self.currentIndex()
            if self.edit(index, _ANY_KEY, event):
                line = _input_widget(self.indexWidget(index))
                if isinstance(line, QLineEdit) and not line.text():
                    QApplication.sendEvent(line, event)
            return
        super().inputMethodEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.rows_picked_by_header = False
        super().mousePressEvent(event)

    def selectAll(self) -> None:
        self.rows_picked_by_header = False
        super().selectAll()

    def _row_header_pressed(self, _row: int) -> None:
        self.rows_picked_by_header = True

    # -- context menus ----------------------------------------------------------------------------------

    def _cell_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            self._editor.show_context_menu("empty", self.viewport().mapToGlobal(pos))
            return
        if not self.selectionModel().isSelected(index):
            self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._editor.show_context_menu("cell", self.viewport().mapToGlobal(pos))

    def _row_header_menu(self, pos: QPoint) -> None:
        header = self.verticalHeader()
        row = header.logicalIndexAt(pos)
        if row < 0:
            self._editor.show_context_menu("empty", header.mapToGlobal(pos))
            return
        if row not in self._editor.selected_rows():
            self.selectRow(row)
        self.rows_picked_by_header = True
        self._editor.show_context_menu("row_header", header.mapToGlobal(pos))


def _input_widget(editor: QWidget | None) -> QWidget | None:
    """Where an open editor takes typed text: a drop-down's line edit, else the editor itself."""
    if isinstance(editor, QComboBox):
        return editor.lineEdit() or editor
    return editor


def _put_cursor_at_end(editor: QWidget | None) -> None:
    line = _input_widget(editor)
    if isinstance(line, QLineEdit):
        line.deselect()
        line.end(False)


def _ranges(selection: QItemSelection) -> list[QItemSelectionRange]:
    return [selection.at(i) for i in range(selection.size())]


class TableEditor(QWidget):
    """The grid of one table (one per tab), with its model and its own undo stack."""

    saved = Signal(object)  # datetime of the last successful write
    save_failed = Signal(str)  # the Chinese message of the StoreError (StoreError.user_message)
    counts_changed = Signal(int, int)  # (row count, selected cell count)
    normalized = Signal(str)  # what N01–N06 changed in a typed value ("第3行「身份证号」…")
    loading_changed = Signal(bool)  # True while the rest of a large table is read in the background
    rows_changed = Signal(int, int, bool)  # (rows shown, rows in the table, a filter is on)

    def __init__(self, store: Store, table: TableKey, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.table: TableKey = table
        self.schema = table_schema(table)
        self.model = RowsTableModel(self.schema, self)
        self.undo_stack = QUndoStack(self)
        self.session = GridSession(store, table, self.model, self)
        self.view = GridView(self)
        self.view.setObjectName(f"grid_{table}")
        self.header = FilterHeader(self.view)
        self.view.setHorizontalHeader(self.header)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)  # a header click sorts the model (RowsTableModel.sort)
        self.view.set_column_widths()
        self._problem_uids: frozenset[str] | None = None
        self._locked_reason: str | None = None
        self._limits = [value_limit(column) for column in self.schema.columns]
        # Amounts stay numbers when pasted into Excel; every other column is text (IDs, codes, dates).
        self._text_columns = [column.type != "decimal" for column in self.schema.columns]
        # The main window's action registry may replace this provider of context-menu entries.
        self.context_entries: Callable[[ContextArea], list[ContextEntry]] = self.default_context_entries
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.model.set_edit_handler(self._edit_from_view)
        self.session.runner = self._run_in_background
        self.session.saved.connect(self.saved)
        self.session.failed.connect(self._store_failed)
        self.session.reveal.connect(self._reveal)
        self.session.loading_changed.connect(self._loading_changed)
        self.view.selectionModel().selectionChanged.connect(self._emit_counts)
        self.model.rowsInserted.connect(self._emit_counts)
        self.model.rows_removed_settled.connect(self._emit_counts)
        self.model.modelReset.connect(self._emit_counts)
        self.model.view_about_to_change.connect(self._before_view_change)
        self.model.view_changed.connect(self._view_changed)
        self.header.filter_requested.connect(self.show_filter_popup)
        self.header.filter_tips = self._filter_tip
        from app.ui.paste import install_file_drop  # app.ui.paste builds on this module

        install_file_drop(self)

    def _run_in_background(self, label: str, work: Callable[[], T]) -> T:
        return run_with_progress(self, label, work)

    @property
    def period(self) -> Period | None:
        return self.session.period

    # -- loading and saving -----------------------------------------------------------------------------

    def load(self, period: Period) -> None:
        """Show the rows of ``period`` and start a new undo history.

        Unsaved edits are written first; if that fails, or the store cannot be read, the StoreError is
        raised and the grid keeps what it showed.
        """
        self.session.flush(raise_errors=True)
        with _wait_cursor():
            self.session.load(period)
        self.undo_stack.clear()
        self._problem_uids = None  # the findings of 效验数据 were about the rows shown before

    def flush(self) -> bool:
        """Write the pending (unsaved) edits; True when nothing is left pending."""
        return self.session.flush()

    def pending_count(self) -> int:
        """How many cells show a value that is not in the store yet."""
        return len(self.session.pending)

    def _store_failed(self, error: StoreError) -> None:
        self.save_failed.emit(error.user_message)

    # -- cell edits -------------------------------------------------------------------------------------

    def set_values(self, cells: Sequence[tuple[int, int, str]], label: str = "编辑单元格") -> bool:
        """Normalize and store typed values of (row, column, text) cells as one undo step.

        Returns False, changing nothing, when the table is locked or a value is too long for its column
        (the user is told why). Values equal to what the cell holds are left out.
        """
        if not self._may_edit():
            return False
        model, columns = self.model, self.schema.columns
        edits: list[CellEdit] = []
        notices: list[str] = []
        for row, column, text in cells:
            spec = columns[column]
            value, changes = normalize_value(spec, text)
            if len(value) > self._limits[column]:
                self._warn_later("内容太长", too_long_message(model.source_row(row), spec, len(value)))
                return False
            notices.extend(f"第{model.source_row(row) + 1}行{notice.message}" for notice in changes)
            old = model.value(row, column)
            if value != old:
                edits.append(CellEdit(model.row_uid(row), row, column, old, value))
        if edits:
            self.undo_stack.push(EditCellsCommand(self.session, edits, label))
        if notices:
            self.normalized.emit("\n".join(notices))
        return True

    def _edit_from_view(self, row: int, column: int, text: str) -> bool:
        return self.set_values([(row, column, text)])

    def clear_selected_cells(self) -> None:
        """Empty the selected cells (the Delete key), one undo step."""
        self._clear_cells("清除内容")

    def _clear_cells(self, label: str) -> None:
        if not self._may_edit():
            return
        uids, values = self.model.visible_uids(), self.model.visible_values()
        edits = [
            CellEdit(uids[row], row, column, old, "")
            for row, column in self.selected_cells()
            if (old := values[row][column])
        ]
        if edits:
            with _wait_cursor():
                self.undo_stack.push(EditCellsCommand(self.session, edits, label))

    def delete_key(self) -> None:
        """Delete on rows picked by their numbers deletes the rows; otherwise it clears the cells."""
        if self.view.rows_picked_by_header and self._whole_rows_selected():
            self.delete_selected_rows()
        else:
            self.clear_selected_cells()

    # -- rows -------------------------------------------------------------------------------------------

    def add_rows(self, count: int) -> None:
        """Insert ``count`` empty rows below the selection, else at the end; one undo step."""
        if count <= 0 or self.period is None or not self._may_edit():
            return
        rows = self.selected_rows()
        at = max(rows) + 1 if rows else self.model.rowCount()
        with _wait_cursor():
            self.undo_stack.push(InsertRowsCommand(self.session, at, count))

    def ask_add_rows(self) -> None:
        """Ask how many rows to add (增加行…) and add them."""
        if self.period is None or not self._may_edit():
            return
        where = "在选中行的下方" if self.selected_rows() else "在表格末尾"
        count, ok = QInputDialog.getInt(self, "增加行", f"{where}增加多少行：", 1, 1, MAX_ADD_ROWS, 1)
        if ok:
            self.add_rows(count)

    def delete_selected_rows(self) -> bool:
        """Delete the rows of the selection after a confirmation stating the count; one undo step."""
        if not self._may_edit():
            return False
        rows = sorted(self.selected_rows())
        if not rows:
            return False
        answer = QMessageBox.question(
            self,
            "删除行",
            f"确定删除选中的 {len(rows):,} 行吗？",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        before = self.model.rowCount()
        with _wait_cursor():
            self.undo_stack.push(DeleteRowsCommand(self.session, self.session.snapshot_blocks(rows)))
        return self.model.rowCount() < before

    # -- clipboard --------------------------------------------------------------------------------------

    def copy_selection(self) -> bool:
        """Put the selected rectangle on the clipboard as TSV and as an HTML table; False if not one."""
        block = self.selected_block()
        if block is None:
            QMessageBox.information(self, "复制", "不能复制多个不相连的区域，请只选择一个矩形区域。")
            return False
        top, left, bottom, right = block
        values = self.model.visible_values()
        rows = [values[row][left : right + 1] for row in range(top, bottom + 1)]
        with _wait_cursor():
            put_on_clipboard(mime_for(rows, self._text_columns[left : right + 1]))
        cells = len(rows) * (right - left + 1)
        if cells > HTML_CELL_LIMIT:
            QMessageBox.information(
                self,
                "复制",
                f"已复制 {cells:,} 个单元格。内容较多，只能以纯文本复制，粘贴到 Excel 时身份证号等长数字"
                "可能被改成科学计数法。复制整张表请使用「导出到Excel」。",
            )
        return True

    def cut_selection(self) -> None:
        """Copy the selected rectangle, then empty it (one undo step)."""
        if self._may_edit() and self.copy_selection():
            self._clear_cells("剪切")

    def paste(self) -> bool:
        """粘贴 (Ctrl+V) from the clipboard through the 检查提示 dialog; True when something changed."""
        from app.ui.paste import paste_clipboard

        return paste_clipboard(self)

    def import_file(self, path: Path | None = None) -> bool:
        """导入 a spreadsheet or CSV file (asked for when ``path`` is None) through the same dialog."""
        from app.ui.paste import import_file

        return import_file(self, path)

    def fill_down(self) -> None:
        """向下填充 (Ctrl+D): the selection's top row into the rows below it; one row: the row above it."""
        if not self._may_edit():
            return
        block = self.selected_block()
        if block is None:
            QMessageBox.information(self, "向下填充", "不能对多个不相连的区域向下填充，请只选一个矩形区域。")
            return
        top, left, bottom, right = block
        source = top - 1 if bottom == top else top
        if source < 0:
            return
        uids, values = self.model.visible_uids(), self.model.visible_values()
        filled = values[source]
        edits = [
            CellEdit(uids[row], row, column, values[row][column], filled[column])
            for row in range(max(top, source + 1), bottom + 1)
            for column in range(left, right + 1)
            if values[row][column] != filled[column]
        ]
        if edits:
            with _wait_cursor():
                self.undo_stack.push(EditCellsCommand(self.session, edits, "向下填充"))

    def insert_rows_above(self) -> None:
        """插入行: as many empty rows as are selected, above the first selected row; one undo step."""
        if self.period is None or not self._may_edit():
            return
        rows = self.selected_rows()
        at = min(rows) if rows else self.model.rowCount()
        with _wait_cursor():
            self.undo_stack.push(InsertRowsCommand(self.session, at, max(1, len(rows))))

    # -- selection --------------------------------------------------------------------------------------

    def selected_rows(self) -> set[int]:
        """Rows with at least one selected cell (the current cell's row when nothing is selected)."""
        ranges = _ranges(self.view.selectionModel().selection())
        rows = {row for part in ranges for row in range(part.top(), part.bottom() + 1)}
        current = self.view.currentIndex()
        if not rows and current.isValid():
            rows.add(current.row())
        return rows

    def selected_cells(self) -> list[tuple[int, int]]:
        """The selected (row, column) cells, row by row."""
        ranges = _ranges(self.view.selectionModel().selection())
        if len(ranges) == 1:  # the usual case (and Ctrl+A): no set of possibly millions of cells
            part = ranges[0]
            columns = range(part.left(), part.right() + 1)
            return [(row, column) for row in range(part.top(), part.bottom() + 1) for column in columns]
        cells = {
            (row, column)
            for part in ranges
            for row in range(part.top(), part.bottom() + 1)
            for column in range(part.left(), part.right() + 1)
        }
        return sorted(cells)

    def selected_block(self) -> tuple[int, int, int, int] | None:
        """(top, left, bottom, right) of the selection if it is one rectangle (or just the current cell)."""
        ranges = _ranges(self.view.selectionModel().selection())
        if not ranges:
            current = self.view.currentIndex()
            if not current.isValid():
                return None
            return current.row(), current.column(), current.row(), current.column()
        top, left = min(r.top() for r in ranges), min(r.left() for r in ranges)
        bottom, right = max(r.bottom() for r in ranges), max(r.right() for r in ranges)
        if len(ranges) > 1 and len(self.selected_cells()) != (bottom - top + 1) * (right - left + 1):
            return None
        return top, left, bottom, right

    def selected_cell_count(self) -> int:
        """How many cells are selected (for the status panel)."""
        ranges = _ranges(self.view.selectionModel().selection())
        if len(ranges) <= 1:
            return sum(part.width() * part.height() for part in ranges)
        return len(self.selected_cells())

    def _whole_rows_selected(self) -> bool:
        ranges = _ranges(self.view.selectionModel().selection())
        last = self.model.columnCount() - 1
        return len(ranges) > 0 and all(part.left() == 0 and part.right() == last for part in ranges)

    def _reveal(self, top: int, bottom: int, left: int, right: int) -> None:
        """Show the cells an undo or redo changed (a negative column: keep the current column)."""
        if self.model.rowCount() == 0 or top < 0:
            return
        selection = self.view.selectionModel()
        if left < 0:
            column = max(self.view.currentIndex().column(), 0)
            index = self.model.index(top, column)
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        else:
            index = self.model.index(top, left)
            block = QItemSelection(index, self.model.index(bottom, right))
            selection.select(block, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.view.scrollTo(index)

    def _emit_counts(self) -> None:
        self.counts_changed.emit(self.model.rowCount(), self.selected_cell_count())
        self.rows_changed.emit(self.model.rowCount(), self.model.total_row_count(), self.model.is_filtered())

    # -- sorting and filtering --------------------------------------------------------------------------

    def sort_by(self, column: int, descending: bool = False) -> None:
        """Sort the rows by ``column`` (a negative column: the stored order); the header shows it."""
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.header.setSortIndicator(column, order)  # the view sorts the model when the indicator changes

    def show_filter_popup(self, column: int) -> FilterPopup:
        """Open the filter drop-down of ``column`` under its header."""
        popup = FilterPopup(
            self.model, column, self.model.labels_of(column), lambda down: self.sort_by(column, down), self
        )
        popup.show_below(self.header, column)
        return popup

    def clear_filters(self) -> None:
        """清除筛选: every row shows again (the sort stays)."""
        self.model.clear_filters()

    def set_problem_rows(self, uids: Iterable[str] | None, *, refresh: bool = False) -> None:
        """The rows 效验数据 found problems in (None: not checked yet), shown by 只看有问题的行.

        While that filter is on, the rows shown change only with ``refresh`` (a new 效验数据): a row
        fixed while the user looks at it stays, as an edited row stays under Excel's filter.
        """
        self._problem_uids = None if uids is None else frozenset(uids)
        if refresh and self.model.problem_filter is not None:
            self.model.set_problem_filter(self._problem_uids or frozenset())

    @property
    def problem_rows(self) -> frozenset[str] | None:
        """The uids given by :meth:`set_problem_rows` (None before 效验数据)."""
        return self._problem_uids

    @property
    def problem_rows_only(self) -> bool:
        """True while 只看有问题的行 is on."""
        return self.model.problem_filter is not None

    def show_problem_rows_only(self, on: bool) -> bool:
        """只看有问题的行 on or off; False, with a message, when there are no problem rows to show."""
        if not on:
            if self.model.problem_filter is not None:
                self.model.set_problem_filter(None)
            return True
        if self._problem_uids is None:
            QMessageBox.information(
                self, "只看有问题的行", "还没有效验数据。请先点「效验数据」，再只看有问题的行。"
            )
            return False
        if not self._problem_uids:
            QMessageBox.information(self, "只看有问题的行", "上次效验没有发现问题，没有要单独显示的行。")
            return False
        self.model.set_problem_filter(self._problem_uids)
        return True

    def reveal_uid(self, uid: str, column: int) -> bool:
        """Make the cell of row ``uid`` current and show it, clearing the filters if they hide the row.

        False if the table has no such row.
        """
        row = self.model.view_row_of_uid(uid)
        if row < 0:
            if uid not in self.model.uids:
                return False
            self.model.clear_filters()
            row = self.model.view_row_of_uid(uid)
        index = self.model.index(row, max(0, column))
        self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.view.scrollTo(index)
        return True

    def _before_view_change(self) -> None:
        # Qt would keep every selected row of a large selection through the change, one persistent
        # index per row; the current cell is enough (it is selected again afterwards).
        self.view.selectionModel().clearSelection()

    def _view_changed(self) -> None:
        self.header.set_filtered_columns(self.model.filtered_columns())
        current = self.view.currentIndex()
        if current.isValid():
            self.view.selectionModel().select(current, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.view.scrollTo(current)
        self._emit_counts()

    def _filter_tip(self, column: int) -> str:
        column_filter = self.model.column_filter(column)
        if column_filter is None:
            return ""
        parts = []
        if column_filter.values is not None:
            parts.append(f"只显示选中的 {len(column_filter.values):,} 个值")
        if column_filter.condition is not None:
            parts.append(column_filter.condition.describe())
        return "已筛选：" + "，".join(parts)

    # -- locking and messages ---------------------------------------------------------------------------

    def set_read_only(self, locked: bool, reason: str = "") -> None:
        """Lock the grid (审核通过): every edit is refused with ``reason``; the undo history is dropped."""
        self._locked_reason = (reason or DEFAULT_LOCK_REASON) if locked else None
        self.model.set_editable(not locked and not self.session.loading)
        if locked:
            self.undo_stack.clear()

    @property
    def loading(self) -> bool:
        """True while the rest of a large table is still being read (changes wait until it is complete)."""
        return self.session.loading

    def _loading_changed(self, loading: bool) -> None:
        self.model.set_editable(not loading and self._locked_reason is None)
        self.loading_changed.emit(loading)
        self._emit_counts()

    @property
    def read_only(self) -> bool:
        """True while the grid is locked (see :meth:`set_read_only`)."""
        return self._locked_reason is not None

    def refuse_locked(self) -> None:
        """Tell the user why nothing can be changed."""
        QMessageBox.information(self, "不能修改", self._locked_reason or DEFAULT_LOCK_REASON)

    def _may_edit(self) -> bool:
        if self.session.loading:
            self._warn_later("请稍候", LOADING_MESSAGE, information=True)
            return False
        if self._locked_reason is None:
            return True
        self._warn_later("不能修改", self._locked_reason, information=True)
        return False

    def _warn_later(self, title: str, text: str, *, information: bool = False) -> None:
        # Shown after the current event: a dialog opened while an editor is committing its value
        # would take the focus from it and make it commit a second time.
        show = QMessageBox.information if information else QMessageBox.warning
        QTimer.singleShot(0, self, lambda: show(self, title, text))

    # -- context menus ----------------------------------------------------------------------------------

    def default_context_entries(self, area: ContextArea) -> list[ContextEntry]:
        """The entries of the grid's context menus: cells, row numbers, the grey area below the rows."""
        if area == "empty":
            return [ContextEntry("增加行…", "", self.ask_add_rows)]
        if area == "row_header":
            return [
                ContextEntry("删除行", "", self.delete_selected_rows),
                ContextEntry("增加行…", "", self.ask_add_rows),
            ]
        return [
            ContextEntry("剪切", "Ctrl+X", self.cut_selection),
            ContextEntry("复制", "Ctrl+C", self.copy_selection),
            ContextEntry("粘贴", "Ctrl+V", self.paste),
            ContextEntry("清除内容", "Delete", self.clear_selected_cells),
            ContextEntry("向下填充", "Ctrl+D", self.fill_down),
            ContextEntry("插入行", "", self.insert_rows_above),
            ContextEntry("删除行", "", self.delete_selected_rows),
        ]

    def build_context_menu(self, area: ContextArea) -> QMenu:
        """The context menu of ``area`` from :attr:`context_entries`."""
        menu = QMenu(self)
        for entry in self.context_entries(area):
            action = menu.addAction(entry.title)
            if entry.shortcut:
                action.setShortcut(QKeySequence(entry.shortcut))
                action.setShortcutVisibleInContextMenu(True)
            callback = entry.callback
            action.triggered.connect(lambda _checked=False, run=callback: run())
        return menu

    def show_context_menu(self, area: ContextArea, global_pos: QPoint) -> None:
        menu = self.build_context_menu(area)
        if not menu.isEmpty():
            menu.exec(global_pos)
        menu.deleteLater()
