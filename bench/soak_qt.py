"""Soak test of the pinned PySide6: many item-model calls must not abort the interpreter.

PySide6-Essentials 6.12.0 was seen to die with "Fatal Python error: none_dealloc" after about
5,000 QStandardItemModel.setItem() calls on CPython 3.11; run this before changing the pin.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

from app.models.schema import table_schema
from app.models.store import TableRows
from app.ui.table_model import RowsTableModel

SET_ITEM_CALLS = 60_000
DATA_CALLS = 1_000_000


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    started = time.perf_counter()
    standard = QStandardItemModel(SET_ITEM_CALLS // 12, 12)
    for n in range(SET_ITEM_CALLS):
        standard.setItem(n // 12, n % 12, QStandardItem(f"{n:018d}"))
        if n % 5_000 == 0:
            standard.setData(standard.index(0, 0), None)
    model = RowsTableModel(table_schema("students"))
    rows = [[f"{r}-{c}" for c in range(17)] for r in range(20_000)]
    for _ in range(5):
        model.set_rows(
            TableRows(uids=[str(i) for i in range(len(rows))], values=rows, accepted=[()] * len(rows))
        )
    view = QTableView()
    view.setModel(model)
    view.resize(1200, 800)
    view.show()
    app.processEvents()
    for n in range(DATA_CALLS):
        model.index(n % 20_000, n % 17).data()
    elapsed = time.perf_counter() - started
    calls = f"{SET_ITEM_CALLS:,} setItem + {DATA_CALLS:,} data() calls"
    print(f"PySide6 {pyside_version}: {calls} survived in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
