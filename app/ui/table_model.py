"""Qt item model over one table's rows: a thin adapter, O(1) per cell, no SQL or rules inside.

The model holds the rows the store loaded (uids, values, accepted warnings) and is changed only by
the grid's undo commands after they wrote to the store. ``setData`` does not change anything itself:
it hands the typed text to the edit handler (the :class:`~app.ui.table_editor.TableEditor`), which
normalizes it and pushes one undo command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from app.models.policy import default_policy
from app.models.regions import current_counties
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
_ALIGN_ROW_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_READ_ONLY_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDITABLE_FLAGS = _READ_ONLY_FLAGS | Qt.ItemFlag.ItemIsEditable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags

UNSAVED_TOOLTIP = "尚未保存"
_UNSAVED_BRUSH = QBrush(QColor(255, 205, 205))
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
    """The rows of one table and period in grid order (schema column order), editable through a handler."""

    def __init__(self, schema: TableSchema, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._schema = schema
        self._headers = schema.headers
        self._column_count = len(schema.columns)
        self._uids: list[str] = []
        self._values: list[list[str]] = []
        self._accepted: list[tuple[str, ...]] = []
        self._unsaved: set[tuple[str, int]] = set()  # (row uid, column) of edits not yet in the store
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
        """Show ``rows`` (the model keeps and changes these lists)."""
        self.beginResetModel()
        self._uids = rows.uids
        self._values = rows.values
        self._accepted = rows.accepted
        self._unsaved = set()
        self.endResetModel()

    def row_uid(self, row: int) -> str:
        return self._uids[row]

    @property
    def uids(self) -> Sequence[str]:
        """The row uids in grid order (read only: change rows through the model's methods)."""
        return self._uids

    def rows_values(self) -> Sequence[Sequence[str]]:
        """Every row's values in grid order (read only: the model's own lists, not copies)."""
        return self._values

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
        return self._accepted[row]

    def row_of(self, uid: str, hint: int = -1) -> int:
        """The grid row of ``uid``; ``hint`` is where it was last seen (checked first). KeyError if gone."""
        if 0 <= hint < len(self._uids) and self._uids[hint] == uid:
            return hint
        try:
            return self._uids.index(uid)
        except ValueError:
            raise KeyError(uid) from None

    def rows_of(self, uids: Iterable[str]) -> dict[str, int]:
        """The grid rows of the ``uids`` that are in the model."""
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
        rows = [cell[0] for cell in cells]
        columns = [cell[1] for cell in cells]
        self.dataChanged.emit(
            self.index(min(rows), min(columns)), self.index(max(rows), max(columns)), _TEXT_ROLE_LIST
        )

    def insert_block(
        self,
        at: int,
        uids: Sequence[str],
        values: Sequence[Sequence[str]],
        accepted: Sequence[tuple[str, ...]],
    ) -> None:
        """Insert rows before grid row ``at`` with one beginInsertRows."""
        if not uids:
            return
        self.beginInsertRows(QModelIndex(), at, at + len(uids) - 1)
        self._uids[at:at] = uids
        self._values[at:at] = [list(row) for row in values]
        self._accepted[at:at] = accepted
        self.endInsertRows()

    def insert_blocks(
        self, blocks: Sequence[tuple[int, Sequence[str], Sequence[Sequence[str]], Sequence[tuple[str, ...]]]]
    ) -> None:
        """Insert several blocks, each before its final grid row (blocks sorted by that row)."""
        if len(blocks) <= _MAX_BLOCK_SIGNALS:
            for at, uids, values, accepted in blocks:
                self.insert_block(at, uids, values, accepted)
            return
        self.beginResetModel()
        for at, uids, values, accepted in blocks:
            self._uids[at:at] = uids
            self._values[at:at] = [list(row) for row in values]
            self._accepted[at:at] = accepted
        self.endResetModel()

    def remove_rows(self, rows: Iterable[int]) -> None:
        """Remove grid rows (one beginRemoveRows per run of consecutive rows)."""
        blocks = contiguous_blocks(rows)
        if not blocks:
            return
        if len(blocks) > _MAX_BLOCK_SIGNALS:
            self.beginResetModel()
            self._delete_blocks(blocks)
            self.endResetModel()
            return
        for first, last in reversed(blocks):
            self.beginRemoveRows(QModelIndex(), first, last)
            self._delete_blocks([(first, last)])
            self.endRemoveRows()

    def _delete_blocks(self, blocks: Sequence[tuple[int, int]]) -> None:
        gone = {self._uids[row] for first, last in blocks for row in range(first, last + 1)}
        for first, last in reversed(blocks):
            del self._uids[first : last + 1]
            del self._values[first : last + 1]
            del self._accepted[first : last + 1]
        if self._unsaved:
            self._unsaved = {cell for cell in self._unsaved if cell[0] not in gone}

    # -- unsaved marks --------------------------------------------------------------------------------

    @property
    def unsaved_cells(self) -> frozenset[tuple[str, int]]:
        """(row uid, column) of the cells whose shown value is not in the store yet."""
        return frozenset(self._unsaved)

    def cell_background(self, row: int, column: int) -> QBrush | None:
        """The background the grid paints for a cell: light red while unsaved, else the default (None)."""
        if self._unsaved and (self._uids[row], column) in self._unsaved:
            return _UNSAVED_BRUSH
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
            return str(section + 1)  # the row number the user talks about ("第12行")
        if role == _TEXT_ALIGNMENT and orientation != _HORIZONTAL:
            return _ALIGN_ROW_NUMBER
        return None
