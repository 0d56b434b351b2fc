"""Undo commands of the grid and the session they act through: the store first, then the model.

Every change the user makes in a grid is one :class:`QUndoCommand` whose ``redo()``/``undo()`` call
:class:`GridSession`, which writes to the store at once (durable) and then updates the model.

A cell write the store refuses (disk full, read-only or locked file) is not lost: the new value stays
in the grid, its cell is marked unsaved and it is kept as *pending*; every later write (and
:meth:`GridSession.flush`) retries all pending cells together, the latest value of a cell winning,
so undoing an unsaved edit simply makes the old value the pending one. Adding or deleting rows the
store refuses does not happen at all: the command leaves the undo stack and the grid is unchanged.

Work whose cost grows with the table (adding or deleting rows renumbers the rows after them) or that
writes many cells runs through the session's ``runner`` once it reaches :data:`BACKGROUND_SIZE`: the
table editor's runner does it on a pool thread, with a connection of its own to the same file, while
the window keeps painting.

Opening a large table shows its first :data:`FIRST_SCREEN_ROWS` rows at once and reads the rest on a
pool thread (``loading`` is True meanwhile, and the editor refuses changes until the rows are complete).
"""

from __future__ import annotations

import datetime
import gc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from app.models.bulk import return_free_memory
from app.models.errors import StoreError
from app.models.period import Period
from app.models.schema import TableKey, table_schema
from app.models.store import CellChange, Store, TableRows, new_row_uids
from app.ui.table_model import RowsTableModel, contiguous_blocks
from app.ui.worker import start_quietly

T = TypeVar("T")

# Rows in the table (for row operations) or cells written at or above which store work goes to the runner.
BACKGROUND_SIZE = 20_000
# Rows read on the GUI thread when a large table opens: more than any screen shows, a few ms to read.
FIRST_SCREEN_ROWS = 500


class Runner(Protocol):
    """Runs ``work`` (which touches no widget) and returns its result; ``label`` says what it does."""

    def __call__(self, label: str, work: Callable[[], T]) -> T: ...


def run_here(label: str, work: Callable[[], T]) -> T:
    """The plain runner: ``work()`` on the calling thread."""
    return work()


class CellEdit(NamedTuple):  # a tuple: a paste or a cleared column makes a hundred thousand of them
    """One cell's change; ``row`` is the view row at the time (a hint: rows move when others are added,
    when the grid is sorted or filtered)."""

    uid: str
    row: int
    column: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class RowBlock:
    """Consecutive deleted rows as they were: stored position of the first, uids, values, accepted rules."""

    start: int
    uids: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]
    accepted: tuple[tuple[str, ...], ...]


class GridSession(QObject):
    """The store operations of one table's grid, each followed by the matching model change."""

    saved = Signal(object)  # datetime of the successful write
    failed = Signal(object)  # the StoreError of a refused write
    reveal = Signal(int, int, int, int)  # first row, last row, first column, last column to show
    loading_changed = Signal(bool)  # True while the rest of a large table is read in the background
    accepted_changed = Signal(str, object)  # (row uid, tuple of rule ids) after 已核对 was written
    cells_shown = Signal(object)  # [(row uid, view row hint)] of cells given new values (to check again)

    def __init__(self, store: Store, table: TableKey, model: RowsTableModel, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.table: TableKey = table
        self.model = model
        self.period: Period | None = None
        self._keys = table_schema(table).keys
        self._pending: dict[tuple[str, int], str] = {}  # (row uid, column) -> value not in the store yet
        self.runner: Runner = run_here
        self.loading = False
        self._load_generation = 0  # a later load() makes the rows of an earlier one arrive too late

    # -- cells ----------------------------------------------------------------------------------------

    @property
    def pending(self) -> Mapping[tuple[str, int], str]:
        """The cell values shown in the grid but not yet written, by (row uid, column)."""
        return self._pending

    def write_cells(self, cells: Sequence[tuple[str, int, int, str]]) -> bool:
        """Write (uid, row hint, column, value) cells, then show them; False when they stay unsaved."""
        if self._pending:  # retried together, so that the latest value of a cell wins
            for uid, _row, column, value in cells:
                self._pending[(uid, column)] = value
            written = self._write_pending()
        else:
            written = self._write_new(cells)
        model = self.model
        model.apply_uid_cells(cells)
        model.set_unsaved(self._pending)
        self.cells_shown.emit([(uid, row) for uid, row, _column, _value in cells])
        return written

    def flush(self, *, raise_errors: bool = False) -> bool:
        """Retry the pending cell writes; True when nothing is left unsaved.

        With ``raise_errors`` a refused write raises its StoreError instead of emitting ``failed``.
        """
        if not self._pending:
            return True
        written = self._write_pending(raise_errors=raise_errors)
        self.model.set_unsaved(self._pending)
        return written

    def _write_new(self, cells: Sequence[tuple[str, int, int, str]]) -> bool:
        keys = self._keys
        changes = [CellChange(uid, keys[column], value) for uid, _row, column, value in cells]
        try:
            self._call(len(changes), "正在保存……", lambda store: store.update_cells(self.table, changes))
        except StoreError as exc:
            self._pending.update({(uid, column): value for uid, _row, column, value in cells})
            self.failed.emit(exc)
            return False
        self._saved()
        return True

    def _write_pending(self, *, raise_errors: bool = False) -> bool:
        keys = self._keys
        changes = [CellChange(uid, keys[column], value) for (uid, column), value in self._pending.items()]
        try:
            self._call(len(changes), "正在保存……", lambda store: store.update_cells(self.table, changes))
        except StoreError as exc:
            if raise_errors:
                raise
            self.failed.emit(exc)
            return False
        self._pending.clear()
        self._saved()
        return True

    def set_accepted(self, uid: str, rules: Sequence[str]) -> bool:
        """Store which warnings (rule ids) of row ``uid`` are ticked 已核对; False if the store refused."""
        try:
            self.store.set_accepted_warnings(self.table, uid, rules)
        except StoreError as exc:
            self.failed.emit(exc)
            return False
        self.model.set_row_accepted(uid, rules)
        self.accepted_changed.emit(uid, tuple(rules))
        self._saved()
        return True

    def forget_pending(self, uids: Sequence[str]) -> None:
        gone = set(uids)
        self._pending = {cell: value for cell, value in self._pending.items() if cell[0] not in gone}

    # -- rows -----------------------------------------------------------------------------------------

    def insert_rows(
        self,
        at: int,
        uids: Sequence[str],
        values: Sequence[Sequence[str]],
        accepted: Sequence[tuple[str, ...]],
        *,
        view_at: int | None = None,
    ) -> bool:
        """Insert rows before stored row ``at`` in the store, then in the grid; False if the store refused.

        They show before view row ``view_at`` (default: where they belong in the sorted/filtered view).
        To append rows, ``at`` is ``model.total_row_count()``: the view may hide rows.
        """
        period = self._period()
        at = min(at, self.model.total_row_count())
        rows = self._as_dicts(values)
        try:
            self._call(
                self.model.total_row_count() + len(rows),
                "正在增加行……",
                lambda store: store.insert_rows(
                    self.table, period, rows, at=at, uids=uids, accepted=accepted
                ),
            )
        except StoreError as exc:
            self.failed.emit(exc)
            return False
        self.model.insert_block(at, uids, values, accepted, view_at=view_at)
        self._saved()
        return True

    def delete_rows(self, uids: Sequence[str]) -> bool:
        """Delete rows from the store, then from the grid; False if the store refused."""
        try:
            self._call(
                self.model.total_row_count(),
                "正在删除行……",
                lambda store: store.delete_rows(self.table, uids),
            )
        except StoreError as exc:
            self.failed.emit(exc)
            return False
        self.forget_pending(uids)
        self.model.remove_uids(uids)
        self._saved()
        return True

    def restore_blocks(self, blocks: Sequence[RowBlock]) -> bool:
        """Put deleted rows back at their stored positions with their uids, values and accepted warnings."""
        if len(blocks) == 1:
            block = blocks[0]
            return self.insert_rows(block.start, block.uids, block.values, block.accepted)
        # Several blocks: inserting each at its place would move the later rows once per block (an
        # UPDATE of the whole table each time); append all in one write, then reorder once.
        period = self._period()
        uids = [uid for block in blocks for uid in block.uids]
        values = [row for block in blocks for row in block.values]
        accepted = [rules for block in blocks for rules in block.accepted]
        rows = self._as_dicts(values)
        size = self.model.total_row_count() + len(rows)
        try:
            self._call(
                size,
                "正在恢复行……",
                lambda store: store.insert_rows(self.table, period, rows, uids=uids, accepted=accepted),
            )
        except StoreError as exc:
            self.failed.emit(exc)
            return False
        order = list(self.model.uids)
        for block in sorted(blocks, key=lambda b: b.start):
            order[block.start : block.start] = block.uids
        try:
            self._call(size, "正在恢复行……", lambda store: store.reorder(self.table, period, order))
        except StoreError as exc:
            # The rows are back, only at the end: show them where the store has them.
            self.model.insert_block(self.model.total_row_count(), uids, values, accepted)
            self.failed.emit(exc)
            return True
        self.model.insert_blocks(
            [(b.start, b.uids, b.values, b.accepted) for b in sorted(blocks, key=lambda b: b.start)]
        )
        self._saved()
        return True

    def snapshot_blocks(self, rows: Sequence[int]) -> list[RowBlock]:
        """The given view rows as they are now, in runs of consecutive stored rows."""
        model = self.model
        uids, values, accepted = model.uids, model.rows_values(), model.rows_accepted()
        return [
            RowBlock(
                first,
                tuple(uids[first : last + 1]),
                tuple(tuple(row) for row in values[first : last + 1]),
                tuple(accepted[first : last + 1]),
            )
            for first, last in contiguous_blocks(model.source_rows(rows))
        ]

    def load(self, period: Period) -> None:
        """Read the rows of ``period`` and show them (StoreError if the store cannot be read).

        A large table shows its first screen now; the rest arrives from a pool thread (``loading``).
        """
        self._load_generation += 1
        size = self.store.count(self.table, period)
        if size < BACKGROUND_SIZE or self.runner is run_here:
            rows = self.store.load(self.table, period)
            self.period = period
            self.model.set_rows(rows)
            self._set_loading(False)
            return
        first_screen = self.store.load(self.table, period, limit=FIRST_SCREEN_ROWS)
        self.period = period
        self.model.set_rows(first_screen)
        self._set_loading(True)
        self._load_rest(period, len(first_screen.uids))

    def _load_rest(self, period: Period, offset: int) -> None:
        path, table, generation = self.store.path, self.table, self._load_generation

        def read() -> TableRows:
            with Store.open(path) as store:
                return store.load(table, period, offset=offset)

        def arrived(rest: TableRows) -> None:
            if generation != self._load_generation:
                return  # the user opened another period meanwhile
            self.model.append_loaded(rest)
            # A full collection pass over millions of cell strings stalls the window for 0.2–0.5 s each
            # time it runs; the rows hold no reference cycles (refcounting frees them), so leave them out.
            gc.freeze()
            return_free_memory()  # what the pool thread's read left in its malloc arena
            self._set_loading(False)

        def failed(error: BaseException) -> None:
            if generation != self._load_generation:
                return
            if not isinstance(error, StoreError):
                raise error
            self.failed.emit(error)  # the grid stays read-only: a partial table must not be changed

        start_quietly(read, arrived, failed)

    def _set_loading(self, loading: bool) -> None:
        if loading != self.loading:
            self.loading = loading
            self.loading_changed.emit(loading)

    # -- helpers --------------------------------------------------------------------------------------

    def _call(self, size: int, label: str, work: Callable[[Store], T]) -> T:
        """``work(store)``: here when small, else through the runner with a connection of its own.

        A Store connection serves one thread at a time, so background work opens the same file
        again (SQLite serializes the writers); the GUI thread keeps its own connection.
        """
        if size < BACKGROUND_SIZE or self.runner is run_here:
            return work(self.store)
        path = self.store.path

        def on_own_connection() -> T:
            with Store.open(path) as store:
                return work(store)

        return self.runner(label, on_own_connection)

    def _period(self) -> Period:
        if self.period is None:
            raise ValueError("no period loaded")
        return self.period

    def _as_dicts(self, values: Sequence[Sequence[str]]) -> list[dict[str, str]]:
        keys = self._keys
        return [dict(zip(keys, row, strict=True)) for row in values]

    def _saved(self) -> None:
        self.saved.emit(datetime.datetime.now())


class EditCellsCommand(QUndoCommand):
    """New values for some cells (typing, clearing, cutting, later pasting or filling): one undo step."""

    def __init__(self, session: GridSession, edits: Sequence[CellEdit], text: str) -> None:
        super().__init__(text)
        self._session = session
        self._edits = tuple(edits)
        self._first = True

    @property
    def edits(self) -> tuple[CellEdit, ...]:
        return self._edits

    def redo(self) -> None:
        self._session.write_cells([(e.uid, e.row, e.column, e.new) for e in self._edits])
        self._reveal()

    def undo(self) -> None:
        self._session.write_cells([(e.uid, e.row, e.column, e.old) for e in self._edits])
        self._reveal()

    def _reveal(self) -> None:
        # The first redo is the user's own edit: the cursor is where they left it.
        if self._first:
            self._first = False
            return
        model = self._session.model
        uids = {e.uid for e in self._edits}
        model.show_uids(uids)  # a row a filter hides comes back to show what changed
        rows = list(model.rows_of(uids).values())
        if not rows:
            return
        columns = [e.column for e in self._edits]
        self._session.reveal.emit(min(rows), max(rows), min(columns), max(columns))


class InsertRowsCommand(QUndoCommand):
    """``count`` empty rows before view row ``at``, with uids fixed once so redo brings back the same rows.

    In the store they go right after the row shown above ``at`` (:meth:`RowsTableModel.insert_position`).
    """

    def __init__(self, session: GridSession, at: int, count: int) -> None:
        super().__init__(f"增加 {count} 行")
        self._session = session
        self._at = at
        self._stored_at = session.model.insert_position(at)
        self._uids = tuple(new_row_uids(count))
        self._width = session.model.columnCount()

    @property
    def uids(self) -> tuple[str, ...]:
        return self._uids

    def redo(self) -> None:
        empty = [[""] * self._width for _ in self._uids]
        accepted: list[tuple[str, ...]] = [()] * len(self._uids)
        if not self._session.insert_rows(self._stored_at, self._uids, empty, accepted, view_at=self._at):
            self.setObsolete(True)
            return
        start = self._session.model.row_of(self._uids[0], self._at)
        self._session.reveal.emit(start, start + len(self._uids) - 1, 0, self._width - 1)

    def undo(self) -> None:
        if not self._session.delete_rows(self._uids):
            self.setObsolete(True)


class DeleteRowsCommand(QUndoCommand):
    """Rows deleted together; undo puts them back where they were with their uids and accepted warnings."""

    def __init__(self, session: GridSession, blocks: Sequence[RowBlock]) -> None:
        count = sum(len(block.uids) for block in blocks)
        super().__init__(f"删除 {count} 行")
        self._session = session
        self._blocks = tuple(blocks)
        self._uids = [uid for block in blocks for uid in block.uids]
        self._view_row = min(session.model.rows_of(self._uids).values(), default=0)

    def redo(self) -> None:
        if not self._session.delete_rows(self._uids):
            self.setObsolete(True)
            return
        row = min(self._view_row, self._session.model.rowCount() - 1)
        self._session.reveal.emit(row, row, -1, -1)

    def undo(self) -> None:
        if not self._session.restore_blocks(self._blocks):
            self.setObsolete(True)
            return
        model = self._session.model
        first = min(self._blocks, key=lambda block: block.start)
        top = model.row_of(first.uids[0], first.start)
        self._session.reveal.emit(top, top + len(first.uids) - 1, 0, model.columnCount() - 1)


class AcceptWarningsCommand(QUndoCommand):
    """已核对 ticked or cleared on warnings of one row: its accepted rule ids change (store, then model)."""

    def __init__(
        self, session: GridSession, uid: str, old: Sequence[str], new: Sequence[str], text: str
    ) -> None:
        super().__init__(text)
        self._session = session
        self._uid = uid
        self._old = tuple(old)
        self._new = tuple(new)

    def redo(self) -> None:
        if not self._session.set_accepted(self._uid, self._new):
            self.setObsolete(True)

    def undo(self) -> None:
        if not self._session.set_accepted(self._uid, self._old):
            self.setObsolete(True)
