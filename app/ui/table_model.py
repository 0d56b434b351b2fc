"""Qt item model over one table's rows: a thin adapter, O(1) per cell, no SQL or rules inside.

The model holds the rows the store loaded (uids, values, accepted warnings) and is changed only by
the grid's undo commands after they wrote to the store. ``setData`` does not change anything itself:
it hands the typed text to the edit handler (the :class:`~app.ui.table_editor.TableEditor`), which
normalizes it and pushes one undo command.

Sorting and filtering happen here, not in a proxy model: :mod:`app.models.row_view` computes which
stored rows to show in which order (numpy, a whole column at once) and the model shows that *view*.
Every method taking a ``row`` means a view row (what the grid shows there); :meth:`source_row` gives
its position in the stored order, which is the row number the user sees and talks about ("第12行").
Like Excel, an edited row stays where it is and stays shown until the sort or filter is applied
again, and rows added while a filter is on stay shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

import numpy as np
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from app.models import row_view
from app.models.policy import default_policy
from app.models.regions import current_counties
from app.models.row_view import ColumnFilter, IntArray, SortSpec
from app.models.schema import TableSchema
from app.models.store import TableRows

# Enum member lookups cost microseconds each in PySide6 and data() runs per painted cell and role.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_TEXT_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_CELL_TEXT_ROLES = frozenset((_DISPLAY, _EDIT))
_MARK_ROLES = frozenset((_BACKGROUND, _TOOLTIP))
_TEXT_ROLE_LIST = [_DISPLAY, _EDIT]
_MARK_ROLE_LIST = [_BACKGROUND, _TOOLTIP]
_HORIZONTAL = Qt.Orientation.Horizontal
_VERTICAL = Qt.Orientation.Vertical
_DESCENDING = Qt.SortOrder.DescendingOrder
_SORT_HINT = QAbstractItemModel.LayoutChangeHint.VerticalSortHint  # only rows move (or hide)
_INITIAL_SORT_ORDER = int(Qt.ItemDataRole.InitialSortOrderRole)
_ASCENDING = Qt.SortOrder.AscendingOrder.value
_LAYOUT_SIGNAL = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")  # with a hint
_ALIGN_ROW_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_READ_ONLY_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDITABLE_FLAGS = _READ_ONLY_FLAGS | Qt.ItemFlag.ItemIsEditable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags

UNSAVED_TOOLTIP = "尚未保存"
_UNSAVED_BRUSH = QBrush(QColor(255, 205, 205))
# 效验数据 marks: a problem cell is red (error) or orange (warning), its message the tooltip.
CellMark = tuple[str, str]  # (severity "error" | "warning", tooltip)
MARK_BRUSHES: Mapping[str, QBrush] = {
    "error": QBrush(QColor(255, 150, 150)),
    "warning": QBrush(QColor(255, 204, 128)),
}
# Above this many row blocks a removal or insertion resets the model: one begin/end pair per block
# would make the header recompute its sections thousands of times.
_MAX_BLOCK_SIGNALS = 50

Index = QModelIndex | QPersistentModelIndex
EditHandler = Callable[[int, int, str], bool]
Cell = tuple[int, int, str]  # (row, column, value)


def _role_data(span: QModelRoleDataSpan | QModelRoleData) -> Sequence[QModelRoleData]:
    """The role slots of a multiData() request (PySide lets a span be indexed like a sequence)."""
    if isinstance(span, QModelRoleData):
        return (span,)
    return cast(Sequence[QModelRoleData], span)


def contiguous_blocks(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted distinct ``rows`` as (first, last) runs of consecutive numbers."""
    blocks: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if blocks and blocks[-1][1] == row - 1:
            blocks[-1] = (blocks[-1][0], row)
        else:
            blocks.append((row, row))
    return blocks


def display_labels(schema: TableSchema) -> dict[int, Mapping[str, str]]:
    """Column index → (stored code → shown text) for the columns that show a label with their code."""
    labels: dict[int, Mapping[str, str]] = {}
    for index, column in enumerate(schema.columns):
        if column.type == "region":
            counties = current_counties(default_policy().province_code)
            labels[index] = {code: f"{code} {name}" for code, name in counties.items()}
    return labels


class RowsTableModel(QAbstractTableModel):
    """The rows of one table and period (schema column order), sorted and filtered; edits go to a handler."""

    view_about_to_change = Signal()  # the sort or the filters are about to change (before the layout signals)
    view_changed = Signal()  # the sort or the filters changed which rows show, or in what order
    # After a removal is complete: rowsRemoved comes while hidden rows are still counted in the total.
    rows_removed_settled = Signal()

    def __init__(self, schema: TableSchema, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._schema = schema
        self._headers = schema.headers
        self._column_count = len(schema.columns)
        # What the grid shows, by view row; the row lists are the stored ones (an edit changes both).
        self._uids: list[str] = []
        self._values: list[list[str]] = []
        # Every row of the table in stored order (the store's lists, kept and changed here).
        self._stored_uids: list[str] = []
        self._stored_values: list[list[str]] = []
        self._stored_accepted: list[tuple[str, ...]] = []
        self._order: list[int] = []  # view row -> stored row
        self._identity = True  # the view is every stored row in stored order (fast paths)
        self._sort: SortSpec | None = None
        self._filters: dict[int, ColumnFilter] = {}
        self._only_uids: frozenset[str] | None = None
        self._revision = 0  # grows with every change of the rows or their values
        self._sorted: tuple[int, SortSpec, IntArray] | None = None  # (revision, spec, order) cache
        self._sort_hints: list[tuple[bool, tuple[str, ...]]] = [
            (column.type == "decimal", column.code_list().values if column.is_enum else ())
            for column in schema.columns
        ]
        self._unsaved: set[tuple[str, int]] = set()  # (row uid, column) of edits not yet in the store
        self._marks: Mapping[tuple[str, int], CellMark] = {}  # (row uid, column) -> problem mark
        self._editable = True
        self._edit_handler: EditHandler | None = None
        self._display_slot = 0  # where the item delegate's multiData span holds DisplayRole
        # Columns shown with a label for their stored code ("450102" shows as "450102 兴宁区").
        self._labels: dict[int, Mapping[str, str]] = display_labels(schema)

    @property
    def schema(self) -> TableSchema:
        return self._schema

    # -- reading ------------------------------------------------------------------------------------

    def set_rows(self, rows: TableRows) -> None:
        """Show ``rows`` (the model keeps and changes these lists); filters are cleared, the sort is kept."""
        self.beginResetModel()
        self._stored_uids = rows.uids
        self._stored_values = rows.values
        self._stored_accepted = rows.accepted
        self._unsaved = set()
        self._filters = {}
        self._only_uids = None
        self._revision += 1
        self._set_order(self._computed_order())
        self.endResetModel()
        self.view_changed.emit()

    def append_loaded(self, rows: TableRows) -> None:
        """Add the rest of a table read in the background after the rows shown (no copy of the lists)."""
        if not rows.uids:
            return
        start = len(self._stored_uids)
        if not self._identity:  # sorted: the rows already shown take their places among the new ones

            def extended() -> list[int]:
                self._extend_stored(rows)
                return self._computed_order()

            self._relayout(extended)
            return
        end = len(self._uids)
        self.beginInsertRows(QModelIndex(), end, end + len(rows.uids) - 1)
        self._extend_stored(rows)
        self._uids.extend(rows.uids)
        self._values.extend(rows.values)
        self._order.extend(range(start, start + len(rows.uids)))
        self.endInsertRows()

    def _extend_stored(self, rows: TableRows) -> None:
        self._stored_uids.extend(rows.uids)
        self._stored_values.extend(rows.values)
        self._stored_accepted.extend(rows.accepted)
        self._revision += 1

    def row_uid(self, row: int) -> str:
        return self._uids[row]

    @property
    def revision(self) -> int:
        """A number that grows with every change of the rows or of their values (for caches)."""
        return self._revision

    @property
    def uids(self) -> Sequence[str]:
        """Every row uid in stored order, hidden rows too (read only: change rows through the model)."""
        return self._stored_uids

    def rows_values(self) -> Sequence[Sequence[str]]:
        """Every row's values in stored order, hidden rows too (read only: the model's own lists)."""
        return self._stored_values

    def rows_accepted(self) -> Sequence[tuple[str, ...]]:
        """Every row's accepted warnings (已核对 rule ids) in stored order."""
        return self._stored_accepted

    def visible_uids(self) -> Sequence[str]:
        """The uids of the rows shown, by view row (read only)."""
        return self._uids

    def visible_values(self) -> Sequence[Sequence[str]]:
        """The values of the rows shown, by view row (read only: the model's own row lists)."""
        return self._values

    def total_row_count(self) -> int:
        """How many rows the table has, shown or hidden by a filter."""
        return len(self._stored_uids)

    def source_row(self, row: int) -> int:
        """The stored position of view row ``row``: the user's row number is this + 1."""
        return self._order[row]

    def source_rows(self, rows: Iterable[int]) -> list[int]:
        """The stored positions of view rows."""
        order = self._order
        return [order[row] for row in rows]

    def view_row_of_uid(self, uid: str) -> int:
        """The view row showing ``uid``; -1 if a filter hides it or it is not in the table."""
        return self._find(uid)

    def value(self, row: int, column: int) -> str:
        return self._values[row][column]

    def display_text(self, row: int, column: int) -> str:
        """What the grid shows in a cell: the stored text, or its label ("450102 兴宁区")."""
        text = self._values[row][column]
        labels = self._labels.get(column)
        return text if labels is None else labels.get(text, text)

    def row_values(self, row: int) -> list[str]:
        """A copy of one row's values."""
        return list(self._values[row])

    def row_accepted(self, row: int) -> tuple[str, ...]:
        """The rule ids of the warnings accepted (已核对) on one row."""
        return self._stored_accepted[self._order[row]]

    def row_of(self, uid: str, hint: int = -1) -> int:
        """The view row of ``uid``; ``hint`` is where it was last seen (checked first). KeyError if hidden."""
        if 0 <= hint < len(self._uids) and self._uids[hint] == uid:
            return hint
        try:
            return self._uids.index(uid)
        except ValueError:
            raise KeyError(uid) from None

    def rows_of(self, uids: Iterable[str]) -> dict[str, int]:
        """The view rows of the ``uids`` that are shown."""
        wanted = set(uids)
        if len(wanted) <= 4:
            return {uid: row for uid in wanted if (row := self._find(uid)) >= 0}
        return {uid: row for row, uid in enumerate(self._uids) if uid in wanted}

    def _find(self, uid: str) -> int:
        try:
            return self._uids.index(uid)
        except ValueError:
            return -1

    # -- editing --------------------------------------------------------------------------------------

    def set_edit_handler(self, handler: EditHandler | None) -> None:
        """``handler(row, column, text) -> accepted`` receives every edit made through ``setData``."""
        self._edit_handler = handler

    def set_editable(self, editable: bool) -> None:
        """Locked (审核通过) tables are shown read only."""
        # Views ask flags() when an edit starts, so no signal is needed.
        self._editable = editable

    @property
    def is_editable(self) -> bool:
        return self._editable

    def apply_cells(self, cells: Sequence[Cell]) -> None:
        """Show new values (already written, or kept as unsaved, by the caller)."""
        if not cells:
            return
        values = self._values
        for row, column, value in cells:
            values[row][column] = value
        self._revision += 1
        rows = [cell[0] for cell in cells]
        columns = [cell[1] for cell in cells]
        self.dataChanged.emit(
            self.index(min(rows), min(columns)), self.index(max(rows), max(columns)), _TEXT_ROLE_LIST
        )

    def apply_uid_cells(self, cells: Sequence[tuple[str, int, int, str]]) -> None:
        """Show new values of (uid, view row hint, column, value) cells, hidden rows included.

        The hint is where the row was shown when the change was made (undo: the rows may have moved
        or been filtered out since); a wrong hint costs one pass over the rows, not one per cell.
        """
        view_uids = self._uids
        shown: list[Cell] = []
        moved: list[tuple[str, int, str]] = []
        for uid, row, column, value in cells:
            if 0 <= row < len(view_uids) and view_uids[row] == uid:
                shown.append((row, column, value))
            else:
                moved.append((uid, column, value))
        if moved:
            rows = self.rows_of(uid for uid, _column, _value in moved)
            hidden = {uid for uid, _column, _value in moved if uid not in rows}
            stored = {uid: i for i, uid in enumerate(self._stored_uids) if uid in hidden} if hidden else {}
            for uid, column, value in moved:
                if uid in rows:
                    shown.append((rows[uid], column, value))
                elif uid in stored:
                    self._stored_values[stored[uid]][column] = value
            self._revision += 1
        self.apply_cells(shown)

    def insert_position(self, at: int) -> int:
        """The stored position for rows inserted before view row ``at``: right after the row shown above."""
        count = len(self._order)
        if at >= count:
            return len(self._stored_uids)
        if at <= 0:
            return self._order[0] if count else 0
        return self._order[at - 1] + 1

    def insert_block(
        self,
        at: int,
        uids: Sequence[str],
        values: Sequence[Sequence[str]],
        accepted: Sequence[tuple[str, ...]],
        *,
        view_at: int | None = None,
    ) -> None:
        """Insert rows before stored row ``at``, shown before view row ``view_at`` with one beginInsertRows.

        Without ``view_at`` they show where they belong: at ``at`` in stored order, or by the sort.
        New rows stay shown whatever the filter (until it is applied again).
        """
        if not uids:
            return
        at = max(0, min(at, len(self._stored_uids)))
        count = len(uids)
        self._stored_uids[at:at] = uids
        self._stored_values[at:at] = [list(row) for row in values]
        self._stored_accepted[at:at] = accepted
        self._revision += 1
        if at < len(self._stored_uids) - count:
            self._order = [row + count if row >= at else row for row in self._order]
        new_rows = list(range(at, at + count))
        if view_at is None:
            self._show_stored(new_rows)
            return
        view_at = max(0, min(view_at, len(self._order)))
        if self._identity and view_at != at:
            self._identity = False
        self._insert_view_block(view_at, new_rows)
        self.headerDataChanged.emit(_VERTICAL, 0, len(self._order) - 1)

    def insert_blocks(
        self, blocks: Sequence[tuple[int, Sequence[str], Sequence[Sequence[str]], Sequence[tuple[str, ...]]]]
    ) -> None:
        """Insert several blocks, each before its final stored row (blocks sorted by that row); they
        show where they belong."""
        if not blocks:
            return
        for at, uids, values, accepted in blocks:
            self._stored_uids[at:at] = uids
            self._stored_values[at:at] = [list(row) for row in values]
            self._stored_accepted[at:at] = accepted
        self._revision += 1
        position = {uid: row for row, uid in enumerate(self._stored_uids)}
        self._order = [position[uid] for uid in self._uids]
        self._show_stored(sorted(position[uid] for _at, uids, _values, _accepted in blocks for uid in uids))

    def show_uids(self, uids: Iterable[str]) -> None:
        """Show the rows of ``uids`` that a filter hides, where they belong (undo shows what it changed)."""
        wanted = set(uids)
        if self._identity or not wanted:
            return
        hidden = wanted.difference(self.rows_of(wanted))
        if hidden:
            self._show_stored([row for row, uid in enumerate(self._stored_uids) if uid in hidden])

    def _show_stored(self, rows: Sequence[int]) -> None:
        """Put the stored ``rows`` (ascending, not shown yet) into the view where they belong."""
        if not rows:
            return
        ranks = row_view.placement_ranks(len(self._stored_uids), self._sorted_order())
        shown_ranks = ranks[np.asarray(self._order, dtype=np.intp)]
        new = np.asarray(rows, dtype=np.intp)
        new = new[np.argsort(ranks[new], kind="stable")]
        places = np.searchsorted(shown_ranks, ranks[new], side="right").tolist()
        runs: list[tuple[int, list[int]]] = []
        for place, row in zip(places, new.tolist(), strict=True):
            if runs and runs[-1][0] == place:
                runs[-1][1].append(row)
            else:
                runs.append((place, [row]))
        if len(runs) > _MAX_BLOCK_SIGNALS:
            self.beginResetModel()
            order = list(self._order)
            for place, block in reversed(runs):
                order[place:place] = block
            self._set_order(order, identity=self._identity)
            self.endResetModel()
            return
        inserted = 0
        for place, block in runs:
            self._insert_view_block(place + inserted, block)
            inserted += len(block)
        self.headerDataChanged.emit(_VERTICAL, 0, len(self._order) - 1)

    def _insert_view_block(self, at: int, rows: Sequence[int]) -> None:
        stored_uids, stored_values = self._stored_uids, self._stored_values
        self.beginInsertRows(QModelIndex(), at, at + len(rows) - 1)
        self._order[at:at] = rows
        self._uids[at:at] = [stored_uids[row] for row in rows]
        self._values[at:at] = [stored_values[row] for row in rows]
        self.endInsertRows()

    def remove_rows(self, rows: Iterable[int]) -> None:
        """Remove view rows (one beginRemoveRows per run of consecutive rows)."""
        uids = self._uids
        self.remove_uids([uids[row] for row in rows])

    def remove_uids(self, uids: Iterable[str]) -> None:
        """Remove the rows of ``uids``, shown or hidden (one beginRemoveRows per run of view rows)."""
        gone = set(uids)
        stored = [row for row, uid in enumerate(self._stored_uids) if uid in gone]
        if not stored:
            return
        blocks = contiguous_blocks(row for row, uid in enumerate(self._uids) if uid in gone)
        if len(blocks) > _MAX_BLOCK_SIGNALS:
            self.beginResetModel()
            self._delete_view_blocks(blocks)
            self._delete_stored(stored)
            self.endResetModel()
        else:
            for first, last in reversed(blocks):
                self.beginRemoveRows(QModelIndex(), first, last)
                self._delete_view_blocks([(first, last)])
                self.endRemoveRows()
            self._delete_stored(stored)
            if self._order:
                self.headerDataChanged.emit(_VERTICAL, 0, len(self._order) - 1)
        if self._unsaved:
            self._unsaved = {cell for cell in self._unsaved if cell[0] not in gone}
        self.rows_removed_settled.emit()

    def _delete_view_blocks(self, blocks: Sequence[tuple[int, int]]) -> None:
        for first, last in reversed(blocks):
            del self._uids[first : last + 1]
            del self._values[first : last + 1]
            del self._order[first : last + 1]

    def _delete_stored(self, rows: Sequence[int]) -> None:
        """Delete stored rows (ascending) that are no longer shown, renumbering the view's stored rows."""
        for first, last in reversed(contiguous_blocks(rows)):
            del self._stored_uids[first : last + 1]
            del self._stored_values[first : last + 1]
            del self._stored_accepted[first : last + 1]
        self._revision += 1
        if self._order:
            order = np.asarray(self._order, dtype=np.intp)
            order -= np.searchsorted(np.asarray(rows, dtype=np.intp), order)
            self._order = order.tolist()

    # -- sorting and filtering ------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the shown rows by ``column`` (stable; empty cells last); a negative column: stored order."""
        if 0 <= column < self._column_count:
            numeric, ranked = self._sort_hints[column]
            self._sort = SortSpec(column, order == _DESCENDING, numeric, ranked)
        else:
            self._sort = None
        self._relayout(self._computed_order)

    @property
    def sort_spec(self) -> SortSpec | None:
        """The column and direction the rows are sorted by, None for the stored order."""
        return self._sort

    def sort_spec_for(self, column: int, *, descending: bool = False) -> SortSpec:
        """How ``column`` sorts (numbers by value, code lists in their order)."""
        numeric, ranked = self._sort_hints[column]
        return SortSpec(column, descending, numeric, ranked)

    def is_filtered(self) -> bool:
        """True while a column filter or the problem-row filter is on."""
        return self._only_uids is not None or any(f.active for f in self._filters.values())

    def column_filter(self, column: int) -> ColumnFilter | None:
        """The filter on ``column``, None if it has none."""
        return self._filters.get(column)

    def filtered_columns(self) -> frozenset[int]:
        """The columns that have a filter."""
        return frozenset(column for column, f in self._filters.items() if f.active)

    def set_column_filter(self, column: int, column_filter: ColumnFilter | None) -> None:
        """Filter ``column`` (None or an inactive filter removes it), then apply every filter again."""
        if column_filter is None or not column_filter.active:
            self._filters.pop(column, None)
        else:
            self._filters[column] = column_filter
        self._relayout(self._computed_order)

    def set_problem_filter(self, uids: Iterable[str] | None) -> None:
        """Show only the rows of ``uids`` (只看有问题的行) along with the column filters; None: all rows."""
        self._only_uids = None if uids is None else frozenset(uids)
        self._relayout(self._computed_order)

    @property
    def problem_filter(self) -> frozenset[str] | None:
        """The row uids the problem-row filter keeps, None while it is off."""
        return self._only_uids

    def clear_filters(self) -> None:
        """Remove every filter (the column filters and the problem-row filter); the sort stays."""
        self._filters = {}
        self._only_uids = None
        self._relayout(self._computed_order)

    def reapply(self) -> None:
        """Apply the sort and the filters again (edited rows move or hide, added rows may hide)."""
        self._relayout(self._computed_order)

    def labels_of(self, column: int) -> Mapping[str, str]:
        """Stored code -> shown text of a column shown with labels ("450102" -> "450102 兴宁区"), else {}."""
        return self._labels.get(column, {})

    def values_for_filter(self, column: int) -> row_view.ObjectArray:
        """The values of ``column`` in the rows the other columns' filters keep (the filter checklist)."""
        others = {c: f for c, f in self._filters.items() if c != column}
        values = row_view.column_array(self._stored_values, column)
        mask = row_view.rows_shown(self._stored_values, self._stored_uids, others, self._only_uids)
        return values if mask is None else values[mask]

    def _sorted_order(self) -> IntArray | None:
        """Every stored row in sorted order (cached until the rows change), None when not sorted."""
        spec = self._sort
        if spec is None:
            return None
        cached = self._sorted
        if cached is not None and cached[0] == self._revision and cached[1] == spec:
            return cached[2]
        order = row_view.sort_order(row_view.column_array(self._stored_values, spec.column), spec)
        self._sorted = (self._revision, spec, order)
        return order

    def _computed_order(self) -> list[int]:
        if self._sort is None and not self.is_filtered():
            return list(range(len(self._stored_uids)))
        return row_view.view_order(
            self._stored_values,
            self._stored_uids,
            order=self._sorted_order(),
            filters=self._filters,
            only_uids=self._only_uids,
        )

    def _set_order(self, order: list[int], *, identity: bool | None = None) -> None:
        self._order = order
        if len(order) > 1:  # itemgetter picks in C: three times faster than a comprehension
            pick = itemgetter(*order)
            self._uids = list(pick(self._stored_uids))
            self._values = list(pick(self._stored_values))
        else:
            self._uids = [self._stored_uids[row] for row in order]
            self._values = [self._stored_values[row] for row in order]
        self._identity = (self._sort is None and not self.is_filtered()) if identity is None else identity

    def _relayout(self, change: Callable[[], list[int]]) -> None:
        """Show the stored rows ``change()`` returns, in its order; the selection and the current cell
        stay on their rows (or go, if their row is hidden)."""
        self.view_about_to_change.emit()
        self.layoutAboutToBeChanged[_LAYOUT_SIGNAL].emit([], _SORT_HINT)  # type: ignore[index]
        persistent = self.persistentIndexList()
        uids = [self._uids[index.row()] if index.isValid() else "" for index in persistent]
        self._set_order(change())
        rows = self.rows_of(uid for uid in uids if uid)
        moved = [
            self.index(rows.get(uid, -1), index.column()) for uid, index in zip(uids, persistent, strict=True)
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged[_LAYOUT_SIGNAL].emit([], _SORT_HINT)  # type: ignore[index]
        self.view_changed.emit()

    # -- unsaved marks --------------------------------------------------------------------------------

    @property
    def unsaved_cells(self) -> frozenset[tuple[str, int]]:
        """(row uid, column) of the cells whose shown value is not in the store yet."""
        return frozenset(self._unsaved)

    def cell_background(self, row: int, column: int) -> QBrush | None:
        """The background the grid paints for a cell: light red while unsaved, red/orange for a problem
        found by 效验数据, else the default (None)."""
        if self._unsaved and (self._uids[row], column) in self._unsaved:
            return _UNSAVED_BRUSH
        if self._marks:
            mark = self._marks.get((self._uids[row], column))
            if mark is not None:
                return MARK_BRUSHES.get(mark[0])
        return None

    def set_unsaved(self, cells: Iterable[tuple[str, int]]) -> None:
        """Mark exactly these cells unsaved (light red, tooltip 尚未保存); the others are saved."""
        new = set(cells)
        if new == self._unsaved:
            return
        changed = new ^ self._unsaved
        self._unsaved = new
        rows = self.rows_of(uid for uid, _column in changed)
        if rows:
            columns = [column for _uid, column in changed]
            top, bottom = min(rows.values()), max(rows.values())
            self.dataChanged.emit(
                self.index(top, min(columns)), self.index(bottom, max(columns)), _MARK_ROLE_LIST
            )

    # -- problem marks (效验数据) ---------------------------------------------------------------------

    def set_marks(self, marks: Mapping[tuple[str, int], CellMark]) -> None:
        """Colour the cells of ``marks`` ((row uid, column) → (severity, tooltip)), O(1) per painted cell.

        The mapping is read, not copied: its owner may change it and call :meth:`refresh_marks`.
        """
        self._marks = marks
        self.refresh_marks()

    def refresh_marks(self) -> None:
        """Repaint the marks after their mapping changed (one signal; the view repaints what it shows)."""
        rows = self.rowCount()
        if rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(rows - 1, self._column_count - 1), _MARK_ROLE_LIST
            )

    def mark(self, row: int, column: int) -> CellMark | None:
        """The problem mark of a cell (view row), None when it has none."""
        return self._marks.get((self._uids[row], column)) if self._marks else None

    def set_row_accepted(self, uid: str, rules: Sequence[str]) -> None:
        """Record the warnings accepted (已核对) on the row ``uid`` (already written to the store)."""
        self._stored_accepted[self._stored_uids.index(uid)] = tuple(rules)

    # -- Qt interface ---------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Qt's own index() asks rowCount() and columnCount(): two calls into Python per painted cell.
        if 0 <= row < len(self._values) and 0 <= column < self._column_count and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._values)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._column_count

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        row = index.row()
        if row < 0:
            return None
        if role in _CELL_TEXT_ROLES:
            column = index.column()
            text = self._values[row][column]
            if role == _DISPLAY and column in self._labels:
                return self._labels[column].get(text, text)
            return text
        if role in _MARK_ROLES and self._unsaved and (self._uids[row], index.column()) in self._unsaved:
            return _UNSAVED_BRUSH if role == _BACKGROUND else UNSAVED_TOOLTIP
        if role in _MARK_ROLES and self._marks:
            mark = self._marks.get((self._uids[row], index.column()))
            if mark is not None:
                return MARK_BRUSHES.get(mark[0]) if role == _BACKGROUND else mark[1]
        return None

    def multiData(self, index: Index, span: QModelRoleDataSpan | QModelRoleData) -> None:
        # Qt 6's item delegate asks for its seven roles in one call: one call into Python per painted
        # cell instead of seven (each costs microseconds). Only the text is ever set, except on the
        # rare unsaved cell, so the text's slot in the span is remembered instead of searched.
        row = index.row()
        if row < 0:
            return
        column = index.column()
        roles = _role_data(span)
        if self._unsaved and (self._uids[row], column) in self._unsaved:
            self._fill_unsaved(roles, self._values[row][column])
            return
        text = self._values[row][column]
        shown = self._labels[column].get(text, text) if column in self._labels else text
        slot = self._display_slot
        if slot < len(roles):
            role_data = roles[slot]
            if role_data.role() == _DISPLAY:
                role_data.setData(shown)
                return
        for slot, role_data in enumerate(roles):
            role = role_data.role()
            if role == _DISPLAY:
                role_data.setData(shown)
                self._display_slot = slot
            elif role in _CELL_TEXT_ROLES:
                role_data.setData(text)

    @staticmethod
    def _fill_unsaved(roles: Sequence[QModelRoleData], text: str) -> None:
        for role_data in roles:
            role = role_data.role()
            if role in _CELL_TEXT_ROLES:
                role_data.setData(text)
            elif role == _BACKGROUND:
                role_data.setData(_UNSAVED_BRUSH)
            elif role == _TOOLTIP:
                role_data.setData(UNSAVED_TOOLTIP)

    def setData(self, index: Index, value: Any, role: int = _EDIT) -> bool:
        handler = self._edit_handler
        if role != _EDIT or handler is None or not index.isValid() or not self._editable:
            return False
        return handler(index.row(), index.column(), "" if value is None else str(value))

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return _NO_FLAGS
        return _EDITABLE_FLAGS if self._editable else _READ_ONLY_FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            if orientation == _HORIZONTAL:
                return self._headers[section]
            if 0 <= section < len(self._order):
                return str(self._order[section] + 1)  # the row number the user talks about ("第12行")
            return None
        if role == _TEXT_ALIGNMENT and orientation != _HORIZONTAL:
            return _ALIGN_ROW_NUMBER
        if role == _INITIAL_SORT_ORDER:
            return _ASCENDING  # the first click on a header sorts A→Z, 1→9 (Qt's default is descending)
        return None
