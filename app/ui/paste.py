"""Paste from Excel/WPS and import a file into a table's grid, through the 检查提示 dialog.

Both take the same road: the cells are read (the clipboard's text and HTML, or a sheet of a file),
placed and checked by :func:`app.files.paste_plan.plan_paste`, shown in the
:class:`~app.ui.paste_dialog.PasteDialog`, and, on 是 or 只粘贴没有问题的行, committed as one
:class:`PasteCommand` (one undo step). Nothing changes before the user answered.

A big paste (:data:`BIG_PASTE_ROWS` rows or more) is read and planned on a pool thread, and its
first commit writes to the store on a pool thread too (a connection of its own, :data:`CHUNK_ROWS`
rows per transaction), behind a progress dialog whose 取消 rolls back what was written: a cancelled
paste changes nothing. The window keeps painting meanwhile and takes no other input.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar, cast

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QMimeData, QObject, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QUndoCommand, QWindow
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QProgressDialog, QWidget

from app.files.clipboard_text import ClipboardError, ClipboardTable, read_clipboard
from app.files.importer import find_header_row
from app.files.paste_plan import (
    NoHeaderError,
    PasteCancelledError,
    PasteChanges,
    PastePlan,
    PasteSource,
    PasteTarget,
    PlannedEdit,
    plan_paste,
)
from app.files.reader import (
    SUPPORTED_SUFFIXES,
    FileReadError,
    RawSheet,
    collector_paused,
    read_sheet,
    sheet_names,
)
from app.models.errors import StoreError
from app.models.period import Period
from app.models.schema import table_schema
from app.models.store import CellChange, Store, TableRows, new_row_uids
from app.ui.paste_dialog import PasteChoice, PasteDialog, ask
from app.ui.undo import GridSession, RowBlock
from app.ui.worker import USER_INPUT_EVENTS, start_quietly

if TYPE_CHECKING:
    from app.ui.table_editor import TableEditor

T = TypeVar("T")

BIG_PASTE_ROWS = 5_000
CHUNK_ROWS = 10_000
CHUNK_CELLS = 60_000
PROGRESS_DELAY_MS = 300
# A pasted block is selected afterwards (as Excel does) up to this many rows; a larger selection makes
# the header repaint slowly (highlighted sections ask the model about every selected row).
REVEAL_BLOCK_ROWS = 500
PROGRESS_TICK_MS = 50
FILE_FILTER = "表格文件 (*.xlsx *.xls *.xlsm *.csv *.tsv *.txt);;所有文件 (*)"
LOADING_MESSAGE = "表格还在读取中，请稍候片刻再粘贴或导入。"
NOTHING_CHANGES = "要{verb}的内容与表格中已有的完全相同，没有需要修改的单元格。"


# -- entry points -----------------------------------------------------------------------------------


def paste_clipboard(editor: TableEditor) -> bool:
    """Ctrl+V: paste what Excel/WPS (or any program) put on the clipboard; True when something changed."""
    if not _may_change(editor):
        return False
    mime = cast("QMimeData | None", QGuiApplication.clipboard().mimeData())  # None on some platforms
    text = mime.text() if mime is not None and mime.hasText() else None
    html = mime.html() if mime is not None and mime.hasHtml() else None
    return paste_text(editor, text, html)


def paste_text(editor: TableEditor, text: str | None, html: str | None = None) -> bool:
    """Paste a clipboard payload (its text and HTML) at the current cell or selection."""
    if not _may_change(editor):
        return False
    target = _target(editor)
    if target is None:
        QMessageBox.information(
            editor, "粘贴", "不能粘贴到多个不相连的区域，请只选择一个单元格或一个矩形区域。"
        )
        return False
    big = (text or "").count("\n") >= BIG_PASTE_ROWS or (html or "").count("<tr") >= BIG_PASTE_ROWS
    schema = editor.schema

    def work(progress: Progress) -> tuple[ClipboardTable, PastePlan]:
        table = read_clipboard(text, html)
        progress.set(0.3)
        plan = plan_paste(PasteSource.from_clipboard(table), schema, target, cancelled=progress.cancelled)
        return table, plan

    try:
        table, plan = _run(editor, "正在检查复制的内容……", work, big)
    except ClipboardError as exc:
        QMessageBox.information(editor, "粘贴", exc.user_message)
        return False
    except PasteCancelledError:
        return False
    dialog = PasteDialog(
        plan, editor, remap=_remapper(editor, PasteSource.from_clipboard(table), target, plan)
    )
    del table  # only the dialog's remapping needs the pasted cells (see _decide_and_commit)
    return _decide_and_commit(editor, dialog, "粘贴")


def import_file(editor: TableEditor, path: Path | None = None) -> bool:
    """日常工作 › 导入 (or a file dropped on the grid): a sheet of a file through the same check dialog."""
    if not _may_change(editor):
        return False
    if path is None:
        chosen, _filter = QFileDialog.getOpenFileName(editor, "导入", str(Path.home()), FILE_FILTER)
        if not chosen:
            return False
        path = Path(chosen)
    sheet = _sheet_to_import(editor, path)
    if sheet is None:
        return False
    total = editor.model.total_row_count()
    target = PasteTarget.append(total)
    source = PasteSource.from_sheet(sheet, editor.schema, path.name)
    plan = _import_plan(editor, source, target)
    if plan is None:
        return False
    dialog = PasteDialog(
        plan, editor, remap=_remapper(editor, source, target, plan), importing=True, existing_rows=total
    )
    del sheet, source  # only the dialog's remapping needs the file's cells (see _decide_and_commit)
    return _decide_and_commit(editor, dialog, "导入")


def _sheet_to_import(editor: TableEditor, path: Path) -> RawSheet | None:
    """The sheet of ``path`` to import (read on a pool thread), or None with the reason told."""
    try:
        sheets = _run(editor, "正在读取文件……", lambda _progress: _read_sheets(path), True)
    except FileReadError as exc:
        QMessageBox.warning(editor, "导入", exc.user_message)
        return None
    except PasteCancelledError:
        return None
    return _choose_sheet(editor, path, sheets)


def _import_plan(editor: TableEditor, source: PasteSource, target: PasteTarget) -> PastePlan | None:
    schema = editor.schema
    try:
        return _run(
            editor,
            "正在检查文件内容……",
            lambda progress: plan_paste(source, schema, target, cancelled=progress.cancelled),
            len(source.rows) >= BIG_PASTE_ROWS,
        )
    except NoHeaderError as exc:
        QMessageBox.warning(editor, "导入", exc.user_message)
    except PasteCancelledError:
        pass
    return None


def _read_sheets(path: Path) -> list[RawSheet]:
    """Every sheet of ``path`` that can be read (a chart sheet cannot); FileReadError if none can."""
    names = sheet_names(path)
    if len(names) == 1:
        return [read_sheet(path, None)]
    sheets: list[RawSheet] = []
    first_error: FileReadError | None = None
    for name in names:
        try:
            sheets.append(read_sheet(path, name))
        except FileReadError as exc:
            first_error = first_error or exc
    if not sheets:
        raise first_error or FileReadError(f"文件“{path.name}”中没有可以导入的工作表。")
    return sheets


def _choose_sheet(editor: TableEditor, path: Path, sheets: list[RawSheet]) -> RawSheet | None:
    """The sheet to import: the only one, or the one the user picks (the first with the table's header
    is offered first)."""
    if len(sheets) == 1:
        return sheets[0]
    names = [sheet.name for sheet in sheets]
    fitting = [i for i, sheet in enumerate(sheets) if find_header_row(sheet.rows, editor.schema) is not None]
    name, chosen = QInputDialog.getItem(
        editor,
        "选择工作表",
        f"文件“{path.name}”有 {len(sheets)} 个工作表，请选择要导入到{editor.schema.title}的一个：",
        names,
        fitting[0] if fitting else 0,
        False,
    )
    if not chosen or name not in names:
        return None
    return sheets[names.index(name)]


def _may_change(editor: TableEditor) -> bool:
    if editor.period is None:
        return False
    if editor.loading:
        QMessageBox.information(editor, "请稍候", LOADING_MESSAGE)
        return False
    if editor.read_only:
        editor.refuse_locked()
        return False
    return True


def _target(editor: TableEditor) -> PasteTarget | None:
    """The current cell (the top-left of a rectangular selection) and the view's rows from there on.

    Without a current cell the paste goes after the last row; None for a selection of several areas.
    """
    model = editor.model
    block = editor.selected_block()
    count = model.rowCount()
    if block is None:
        if editor.view.selectionModel().hasSelection():
            return None
        top, left, bottom, right = count, 0, count, 0
    else:
        top, left, bottom, right = block
    fill = (
        (bottom - top + 1, right - left + 1) if block is not None and (bottom > top or right > left) else None
    )
    uids = list(model.visible_uids()[top:])
    values = list(model.visible_values()[top:])
    numbers = [row + 1 for row in model.source_rows(range(top, count))]
    return PasteTarget(
        row=top,
        column=left,
        uids=uids,
        values=values,
        numbers=numbers,
        total_rows=model.total_row_count(),
        fill=fill,
    )


def _remapper(
    editor: TableEditor, source: PasteSource, target: PasteTarget, plan: PastePlan
) -> Callable[[Sequence[int | None]], PastePlan | None] | None:
    if plan.mode != "header":
        return None
    big = plan.height >= BIG_PASTE_ROWS

    def remap(column_map: Sequence[int | None]) -> PastePlan | None:
        """The plan for the mapping chosen in the dialog; None when the user cancelled the work."""
        try:
            return _run(
                editor,
                "正在重新检查……",
                lambda progress: plan_paste(
                    source,
                    plan.schema,
                    target,
                    column_map=column_map,
                    header=True,
                    cancelled=progress.cancelled,
                ),
                big,
            )
        except PasteCancelledError:
            return None

    return remap


# -- deciding and committing --------------------------------------------------------------------------


def _decide_and_commit(editor: TableEditor, dialog: PasteDialog, verb: str) -> bool:
    try:
        choice: PasteChoice = ask(dialog)
        plan, replace = dialog.plan, dialog.replace
    finally:
        dialog.release()  # the pasted cells go now, not while a big commit runs
        dialog.deleteLater()
    if choice == "none":
        return False
    return commit(editor, plan, verb, skip_problem_rows=choice == "clean", replace=replace)


class _Prepared(NamedTuple):
    """A paste's writes worked out, with the uids of its new rows and the rows it replaces."""

    changes: PasteChanges
    uids: tuple[str, ...]
    replaced: RowBlock | None
    shown_rows: list[list[str]]  # the new rows' lists for the grid to take (big pastes)


def commit(
    editor: TableEditor, plan: PastePlan, verb: str, *, skip_problem_rows: bool = False, replace: bool = False
) -> bool:
    """Write ``plan`` as one undo step (``replace``: the table's rows are replaced by the new ones).

    A big plan is worked out and written on a pool thread (see the module docstring); the grid then
    shows it and the command goes on the undo stack already done.
    """
    if not editor.flush():
        return False  # unsaved edits are pending: save_failed told the user; the paste would race them
    session = editor.session
    big = plan.height >= BIG_PASTE_ROWS and session.period is not None

    def prepare() -> _Prepared | None:
        with collector_paused():
            return _prepare()

    def _prepare() -> _Prepared | None:
        changes = plan.changes(skip_problem_rows=skip_problem_rows)
        if changes.is_empty and not replace:
            return None
        uids = tuple(new_row_uids(len(changes.new_rows)))
        replaced = _all_rows(session) if replace else None
        # The new rows' lists go to the grid as they are; the command does not keep them (see PasteCommand).
        return _Prepared(changes, uids, replaced, changes.new_rows if big else [])

    try:
        if big:
            period = cast(Period, session.period)
            prepared = run_cancellable(
                editor,
                f"正在{verb}……",
                lambda progress: _prepare_and_write(
                    prepare, session.store.path, session.table, period, progress
                ),
            )
        else:
            prepared = prepare()
    except PasteCancelledError:
        return False
    except StoreError as exc:
        session.failed.emit(exc)
        return False
    if prepared is None:
        QMessageBox.information(editor, verb, NOTHING_CHANGES.format(verb=verb))
        return False
    label = f"{verb} {plan.height - prepared.changes.skipped_rows:,} 行"
    command = PasteCommand(
        session,
        prepared.changes,
        label,
        uids=prepared.uids,
        replaced=prepared.replaced,
        columns=plan.target_columns,
    )
    if big:
        command.applied_in_background(prepared.shown_rows)
    before = editor.undo_stack.count()
    editor.undo_stack.push(command)
    return editor.undo_stack.count() > before


def _prepare_and_write(
    prepare: Callable[[], _Prepared | None], path: Path, table: str, period: Period, progress: Progress
) -> _Prepared | None:
    prepared = prepare()
    if prepared is not None:
        write_in_background(path, table, period, prepared, progress)
    return prepared


def _all_rows(session: GridSession) -> RowBlock:
    model = session.model
    return RowBlock(
        0,
        tuple(model.uids),
        tuple(tuple(values) for values in model.rows_values()),
        tuple(model.rows_accepted()),
    )


class PasteCommand(QUndoCommand):
    """One paste or import: new rows at the end, changed cells, and for 替换本表 the old rows removed.

    Redo adds the rows first and removes replaced rows after, so that a failure half-way never loses
    a row; undo puts back the old values and rows, then removes the added rows. The new rows' uids are
    fixed once, so a redo brings back the same rows (later commands refer to them). Their values are
    kept only while they are not in the grid (undo takes them from the grid, as deleting rows does):
    a 100,000-row paste is not held twice.
    """

    def __init__(
        self,
        session: GridSession,
        changes: PasteChanges,
        text: str,
        *,
        uids: Sequence[str] | None = None,
        replaced: RowBlock | None = None,
        columns: Sequence[int] = (),
    ) -> None:
        super().__init__(text)
        self._session = session
        self.edits: tuple[PlannedEdit, ...] = tuple(changes.edits)
        self._rows: Sequence[Sequence[str]] | None = changes.new_rows
        self.uids: tuple[str, ...] = tuple(new_row_uids(len(changes.new_rows)) if uids is None else uids)
        if len(self.uids) != len(changes.new_rows):
            raise ValueError("one uid per new row")
        self.replaced = replaced
        self._columns = tuple(columns) or (0,)
        self._applied = False
        self._shown_rows: list[list[str]] = []

    def applied_in_background(self, shown_rows: list[list[str]]) -> None:
        """The store already holds the change (written on a pool thread): the first redo only shows it,
        with ``shown_rows`` as the grid's rows (the lists themselves: nothing is copied)."""
        self._applied = True
        self._shown_rows = shown_rows

    def redo(self) -> None:
        session = self._session
        if self._applied:
            self._applied = False
            show_applied(session, self, self._shown_rows)
            self._shown_rows, self._rows = [], None
            self._reveal()
            return
        if self.uids:
            model = session.model
            empty: list[tuple[str, ...]] = [()] * len(self.uids)
            total, shown = model.total_row_count(), model.rowCount()
            rows = self._rows if self._rows is not None else ()
            if not session.insert_rows(total, self.uids, rows, empty, view_at=shown):
                self.setObsolete(True)
                return
            self._rows = None
        if self.replaced is not None and not session.delete_rows(self.replaced.uids):
            if self.uids:
                session.delete_rows(self.uids)
            self.setObsolete(True)
            return
        if self.edits:
            session.write_cells([(e.uid, e.row, e.column, e.new) for e in self.edits])
        self._reveal()

    def undo(self) -> None:
        session = self._session
        if self.edits:
            session.write_cells([(e.uid, e.row, e.column, e.old) for e in self.edits])
        if self.replaced is not None and not session.restore_blocks([self.replaced]):
            self.setObsolete(True)
            return
        if self.uids:
            rows = self._new_rows_in_grid()
            if not session.delete_rows(self.uids):
                self.setObsolete(True)
                return
            self._rows = rows
        self._reveal()

    def _new_rows_in_grid(self) -> list[tuple[str, ...]]:
        """The new rows' values as the grid has them (before undo removes them), in uid order."""
        model = self._session.model
        wanted = set(self.uids)
        values = model.rows_values()
        found = {uid: tuple(values[row]) for row, uid in enumerate(model.uids) if uid in wanted}
        return [found[uid] for uid in self.uids]

    def _reveal(self) -> None:
        """Select what the paste wrote (the pasted rows that are shown), as Excel does."""
        model = self._session.model
        uids = [e.uid for e in self.edits[:1]] + [e.uid for e in self.edits[-1:]] + list(self.uids[:1])
        uids += list(self.uids[-1:])
        rows = list(model.rows_of(uids).values())
        if not rows:
            return
        top, bottom, left, right = min(rows), max(rows), min(self._columns), max(self._columns)
        if bottom - top >= REVEAL_BLOCK_ROWS:
            bottom, right = top, left  # only the first cell: see REVEAL_BLOCK_ROWS
        self._session.reveal.emit(top, bottom, left, right)


def show_applied(session: GridSession, command: PasteCommand, shown_rows: list[list[str]]) -> None:
    """Show in the grid what :func:`write_in_background` wrote to the store (``shown_rows``: the new
    rows' lists for the grid to keep)."""
    model = session.model
    if command.uids:
        empty: list[tuple[str, ...]] = [()] * len(command.uids)
        if not model.is_filtered() and model.sort_spec is None:
            # The rows go after the last one in stored and shown order: the model takes the lists as
            # they are (insert_block would copy 100,000 rows on the GUI thread).
            model.append_loaded(TableRows(list(command.uids), shown_rows, empty))
        else:
            at, shown = model.total_row_count(), model.rowCount()
            model.insert_block(at, command.uids, shown_rows, empty, view_at=shown)
    if command.replaced is not None:
        session.forget_pending(command.replaced.uids)
        model.remove_uids(command.replaced.uids)
    if command.edits:
        model.apply_uid_cells([(e.uid, e.row, e.column, e.new) for e in command.edits])
    session.saved.emit(datetime.datetime.now())


def write_in_background(
    path: Path, table: str, period: Period, prepared: _Prepared, progress: Progress
) -> None:
    """The store part of a big paste, on a connection of this thread's own, in chunks.

    Cancelling (or a failure) rolls back what was written, so the store is as before; raises
    PasteCancelledError or the StoreError.
    """
    keys = table_schema(table).keys
    new_rows, uids, edits = prepared.changes.new_rows, prepared.uids, prepared.changes.edits
    total = len(new_rows) + len(edits) / len(keys) + 1
    done = 0.0
    inserted: list[str] = []
    written = 0
    with Store.open(path) as store:
        try:
            for start in range(0, len(new_rows), CHUNK_ROWS):
                progress.check()
                chunk = [
                    dict(zip(keys, values, strict=True)) for values in new_rows[start : start + CHUNK_ROWS]
                ]
                store.insert_rows(table, period, chunk, uids=uids[start : start + CHUNK_ROWS])
                inserted.extend(uids[start : start + CHUNK_ROWS])
                done += len(chunk)
                progress.set(done / total)
            for start in range(0, len(edits), CHUNK_CELLS):
                progress.check()
                cells = edits[start : start + CHUNK_CELLS]
                store.update_cells(table, [CellChange(e.uid, keys[e.column], e.new) for e in cells])
                written = start + len(cells)
                done += len(cells) / len(keys)
                progress.set(done / total)
            progress.check()
            if prepared.replaced is not None:
                store.delete_rows(table, prepared.replaced.uids)
        except (PasteCancelledError, StoreError):
            _roll_back(store, table, keys, edits[:written], inserted)
            raise


def _roll_back(
    store: Store, table: str, keys: Sequence[str], edits: Sequence[PlannedEdit], uids: list[str]
) -> None:
    if edits:
        store.update_cells(table, [CellChange(e.uid, keys[e.column], e.old) for e in edits])
    if uids:
        store.delete_rows(table, uids)


# -- background work with progress and 取消 ------------------------------------------------------------


class Progress:
    """Shared by a pool thread's work and the GUI thread: how far it got, and whether 取消 was pressed."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.fraction = 0.0

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise PasteCancelledError once 取消 was pressed (the work stops at its next check)."""
        if self._cancel.is_set():
            raise PasteCancelledError

    def set(self, fraction: float) -> None:
        self.fraction = max(0.0, min(1.0, fraction))


class _InputGate(QObject):
    """Holds back the user's input while work runs, except in the progress dialog (its 取消)."""

    def __init__(self) -> None:
        super().__init__()
        self.dialog: QProgressDialog | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in USER_INPUT_EVENTS:
            return False
        dialog = self.dialog
        if dialog is None:
            return True
        if isinstance(watched, QWidget):
            return not (watched is dialog or dialog.isAncestorOf(watched))
        if isinstance(watched, QWindow):
            return watched is not dialog.windowHandle()
        return True


def _run(parent: QWidget, label: str, work: Callable[[Progress], T], in_background: bool) -> T:
    if in_background:
        return run_cancellable(parent, label, work)
    return work(Progress())


def run_cancellable(parent: QWidget, label: str, work: Callable[[Progress], T]) -> T:
    """Run ``work(progress)`` on a pool thread and return its result (or raise its exception).

    The window keeps painting; input is held back except in the progress dialog, which appears after
    PROGRESS_DELAY_MS with a bar and 取消. 取消 sets ``progress.cancelled()``; the work is expected to
    stop by raising PasteCancelledError, which is raised here too.
    """
    progress = Progress()
    app = QCoreApplication.instance()
    if app is None:
        return work(progress)
    loop = QEventLoop()
    outcome: list[tuple[bool, object]] = []
    gate = _InputGate()

    def show() -> None:
        dialog = QProgressDialog(label, "取消", 0, 100, parent)
        dialog.setWindowTitle("请稍候")
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.setValue(int(progress.fraction * 100))
        dialog.canceled.connect(lambda: _cancel(dialog, progress))
        dialog.rejected.connect(lambda: _cancel(dialog, progress))  # Esc
        gate.dialog = dialog
        dialog.show()

    def tick() -> None:
        if gate.dialog is not None and not progress.cancelled():
            gate.dialog.setValue(int(progress.fraction * 100))

    def finished(ok: bool, value: object) -> None:
        outcome.append((ok, value))
        loop.quit()

    appear = QTimer()
    appear.setSingleShot(True)
    appear.timeout.connect(show)
    ticker = QTimer()
    ticker.timeout.connect(tick)
    app.installEventFilter(gate)
    try:
        appear.start(PROGRESS_DELAY_MS)
        ticker.start(PROGRESS_TICK_MS)
        start_quietly(lambda: work(progress), lambda v: finished(True, v), lambda e: finished(False, e))
        if not outcome:
            loop.exec()
    finally:
        appear.stop()
        ticker.stop()
        app.removeEventFilter(gate)
        if gate.dialog is not None:
            gate.dialog.close()
            gate.dialog.deleteLater()
    succeeded, value = outcome[0]
    if not succeeded:
        assert isinstance(value, BaseException)
        raise value
    return cast(T, value)


def _cancel(dialog: QProgressDialog, progress: Progress) -> None:
    progress.cancel()
    dialog.setLabelText("正在取消，已写入的内容会被撤回……")
    dialog.setCancelButton(None)  # pressing it again would do nothing more


# -- files dropped on the grid --------------------------------------------------------------------------


class _FileDrop(QObject):
    """Accepts a spreadsheet file dragged onto the grid and imports it (after the drop has finished)."""

    def __init__(self, editor: TableEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragEnterEvent | QDragMoveEvent)
            if dropped_file(event) is None:
                return False
            event.acceptProposedAction()
            return True
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            path = dropped_file(event)
            if path is None:
                return False
            event.acceptProposedAction()
            # Not inside the drop: a modal dialog there would keep the program the file came from waiting.
            QTimer.singleShot(0, self._editor, lambda: import_file(self._editor, path))
            return True
        return False


def dropped_file(event: QDropEvent) -> Path | None:
    """The one spreadsheet/CSV file a drag carries, else None."""
    mime = cast("QMimeData | None", event.mimeData())
    if mime is None or not mime.hasUrls():
        return None
    files = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    if len(files) != 1 or files[0].suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    return files[0]


def install_file_drop(editor: TableEditor) -> None:
    """Let files be dropped onto ``editor``'s grid (日常工作 › 导入 without the file dialog)."""
    viewport = editor.view.viewport()
    editor.view.setAcceptDrops(True)
    viewport.setAcceptDrops(True)
    viewport.installEventFilter(_FileDrop(editor))
