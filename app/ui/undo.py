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
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from app.models.errors import StoreError
from app.models.period import Period
from app.models.schema import TableKey, table_schema
from app.models.store import CellChange, Store, new_row_uids
from app.ui.table_model import RowsTableModel, contiguous_blocks

T = TypeVar("T")

# Rows in the table (for row operations) or cells written at or above which store work goes to the runner.
BACKGROUND_SIZE = 20_000


class Runner(Protocol):
    """Runs ``work`` (which touches no widget) and returns its result; ``label`` says what it does."""

    def __call__(self, label: str, work: Callable[[], T]) -> T: ...


def run_here(label: str, work: Callable[[], T]) -> T:
    """The plain runner: ``work()`` on the calling thread."""
    return work()


class CellEdit(NamedTuple):  # a tuple: a paste or a cleared column makes a hundred thousand of them
    """One cell's change; ``row`` is the grid row at the time (a hint: rows move when others are added)."""

    uid: str
    row: int
    column: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class RowBlock:
    """Consecutive deleted rows as they were: grid row of the first, uids, values, accepted warnings."""

    start: int
    uids: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]
    accepted: tuple[tuple[str, ...], ...]


class GridSession(QObject):
    """The store operations of one table's grid, each followed by the matching model change."""

    saved = Signal(object)  # datetime of the successful write
    failed = Signal(object)  # the StoreError of a refused write
    reveal = Signal(int, int, int, int)  # first row, last row, first column, last column to show

    def __init__(self, store: Store, table: TableKey, model: RowsTableModel, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.table: TableKey = table
        self.model = model
        self.period: Period | None = None
        self._keys = table_schema(table).keys
        self._pending: dict[tuple[str, int], str] = {}  # (row uid, column) -> value not in the store yet
        self.runner: Runner = run_here

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
        shown = [(model.row_of(uid, row), column, value) for uid, row, column, value in cells]
        model.apply_cells(shown)
        model.set_unsaved(self._pending)
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
    ) -> bool:
        """Insert rows before grid row ``at`` in the store, then in the grid; False if the store refused."""
        period = self._period()
        at = min(at, self.model.rowCount())
        rows = self._as_dicts(values)
        try:
            self._call(
                self.model.rowCount() + len(rows),
                "正在增加行……",
                lambda store: store.insert_rows(
                    self.table, period, rows, at=at, uids=uids, accepted=accepted
                ),
            )
        except StoreError as exc:
            self.failed.emit(exc)
            return False
        self.model.insert_block(at, uids, values, accepted)
        self._saved()
        return True

    def delete_rows(self, uids: Sequence[str]) -> bool:
        """Delete rows from the store, then from the grid; False if the store refused."""
        try:
            self._call(
                self.model.rowCount(), "正在删除行……", lambda store: store.delete_rows(self.table, uids)
            )
        except StoreError as exc:
            self.failed.emit(exc)
            return False
        self.forget_pending(uids)
        self.model.remove_rows(self.model.rows_of(uids).values())
        self._saved()
        return True

    def restore_blocks(self, blocks: Sequence[RowBlock]) -> bool:
        """Put deleted rows back at their grid rows with their uids, values and accepted warnings."""
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
        size = self.model.rowCount() + len(rows)
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
            self.model.insert_block(self.model.rowCount(), uids, values, accepted)
            self.failed.emit(exc)
            return True
        self.model.insert_blocks(
            [(b.start, b.uids, b.values, b.accepted) for b in sorted(blocks, key=lambda b: b.start)]
        )
        self._saved()
        return True

    def snapshot_blocks(self, rows: Sequence[int]) -> list[RowBlock]:
        """The given grid rows as they are now, in runs of consecutive rows."""
        uids, values, model = self.model.uids, self.model.rows_values(), self.model
        return [
            RowBlock(
                first,
                tuple(uids[first : last + 1]),
                tuple(tuple(row) for row in values[first : last + 1]),
                tuple(model.row_accepted(row) for row in range(first, last + 1)),
            )
            for first, last in contiguous_blocks(rows)
        ]

    def load(self, period: Period) -> None:
        """Read the rows of ``period`` and show them (StoreError if the store cannot be read)."""
        size = self.store.count(self.table, period)
        rows = self._call(size, "正在读取表格……", lambda store: store.load(self.table, period))
        self.period = period
        self.model.set_rows(rows)

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
        rows = [model.row_of(e.uid, e.row) for e in self._edits]
        columns = [e.column for e in self._edits]
        self._session.reveal.emit(min(rows), max(rows), min(columns), max(columns))


class InsertRowsCommand(QUndoCommand):
    """``count`` empty rows before grid row ``at``, with uids fixed once so redo brings back the same rows."""

    def __init__(self, session: GridSession, at: int, count: int) -> None:
        super().__init__(f"增加 {count} 行")
        self._session = session
        self._at = at
        self._uids = tuple(new_row_uids(count))
        self._width = session.model.columnCount()

    @property
    def uids(self) -> tuple[str, ...]:
        return self._uids

    def redo(self) -> None:
        empty = [[""] * self._width for _ in self._uids]
        if not self._session.insert_rows(self._at, self._uids, empty, [()] * len(self._uids)):
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

    def redo(self) -> None:
        if not self._session.delete_rows(self._uids):
            self.setObsolete(True)
            return
        first = min(block.start for block in self._blocks)
        row = min(first, self._session.model.rowCount() - 1)
        self._session.reveal.emit(row, row, -1, -1)

    def undo(self) -> None:
        if not self._session.restore_blocks(self._blocks):
            self.setObsolete(True)
            return
        model = self._session.model
        first = min(self._blocks, key=lambda block: block.start)
        top = model.row_of(first.uids[0], first.start)
        self._session.reveal.emit(top, top + len(first.uids) - 1, 0, model.columnCount() - 1)
