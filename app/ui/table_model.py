"""Qt item model over one table's rows: a thin adapter, O(1) per cell, no SQL or rules inside."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from app.models.schema import TableSchema
from app.models.store import TableRows

# Enum member lookups cost microseconds each in PySide6; data() runs per painted cell.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
_CELL_TEXT_ROLES = frozenset((_DISPLAY, _EDIT))
_HORIZONTAL = Qt.Orientation.Horizontal
_ALIGN_ROW_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_TEXT_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

Index = QModelIndex | QPersistentModelIndex


class RowsTableModel(QAbstractTableModel):
    """Shows the rows of one table and period as the store loaded them (schema column order)."""

    def __init__(self, schema: TableSchema, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._schema = schema
        self._headers = schema.headers
        self._rows = TableRows(uids=[], values=[], accepted=[])

    @property
    def schema(self) -> TableSchema:
        return self._schema

    def set_rows(self, rows: TableRows) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_uid(self, row: int) -> str:
        return self._rows.uids[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows.values)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role in _CELL_TEXT_ROLES:
            return self._rows.values[index.row()][index.column()]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            if orientation == _HORIZONTAL:
                return self._headers[section]
            return str(section + 1)  # the row number the user talks about ("第12行")
        if role == _TEXT_ALIGNMENT and orientation != _HORIZONTAL:
            return _ALIGN_ROW_NUMBER
        return None
