"""The main window: period selector at the top, one tab per table, status bar."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.errors import StoreError
from app.models.period import TERMS, Period, current_period
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from app.models.store import Store
from app.ui.table_model import RowsTableModel

log = logging.getLogger(__name__)
YEARS_SHOWN_BACK = 3


def school_years_around(period: Period) -> list[str]:
    """The school years offered in the selector: a few back, the current one, the next one."""
    first = period.start_year - YEARS_SHOWN_BACK
    return [f"{y}-{y + 1}" for y in range(first, period.start_year + 2)]


class TablePage(QWidget):
    """One tab: the grid of one table."""

    def __init__(self, table: TableKey, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.model = RowsTableModel(table_schema(table), self)
        self.view = QTableView(self)
        self.view.setObjectName(f"grid_{table}")
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        char_width = self.view.fontMetrics().horizontalAdvance("中")
        for column, spec in enumerate(self.model.schema.columns):
            self.view.setColumnWidth(column, spec.width * char_width + 12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)


class MainWindow(QMainWindow):
    def __init__(self, store: Store, org_code: str, period: Period | None = None) -> None:
        super().__init__()
        self.store = store
        self.org_code = org_code
        self.period = period or current_period()
        self.setWindowTitle(f"资助通 — 学校端（机构码 {org_code}）")
        self.pages: dict[TableKey, TablePage] = {}
        self._build_period_selector()
        self.tabs = QTabWidget(self)
        for table in TABLE_KEYS:
            page = TablePage(table, self.tabs)
            self.pages[table] = page
            self.tabs.addTab(page, table_schema(table).title)
        self.tabs.currentChanged.connect(self._show_counts)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(self._period_bar)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)
        self.resize(1200, 760)
        self._restore_geometry()
        self.reload()

    def _build_period_selector(self) -> None:
        self._period_bar = QHBoxLayout()
        self.year_box = QComboBox(self)
        self.year_box.setObjectName("school_year")
        self.year_box.addItems(school_years_around(self.period))
        self.year_box.setCurrentText(self.period.school_year)
        self.term_box = QComboBox(self)
        self.term_box.setObjectName("term")
        self.term_box.addItems(list(TERMS))
        self.term_box.setCurrentText(self.period.term)
        self._period_bar.addWidget(QLabel("学年：", self))
        self._period_bar.addWidget(self.year_box)
        self._period_bar.addWidget(QLabel("学期：", self))
        self._period_bar.addWidget(self.term_box)
        self._period_bar.addStretch(1)
        self.year_box.currentTextChanged.connect(self._period_changed)
        self.term_box.currentTextChanged.connect(self._period_changed)

    def _period_changed(self) -> None:
        self.period = Period(self.year_box.currentText(), self.term_box.currentText())
        self.reload()

    def reload(self) -> None:
        """Load both tables of the current period from the store."""
        try:
            for table, page in self.pages.items():
                page.model.set_rows(self.store.load(table, self.period))
        except StoreError as exc:
            log.warning("loading %s failed: %s", self.period.id, exc)
            QMessageBox.critical(self, "无法读取数据", exc.user_message)
        self._show_counts()

    def _show_counts(self) -> None:
        page = self.current_page()
        title = table_schema(page.table).title
        self.statusBar().showMessage(f"{self.period.label}　{title}：共 {page.model.rowCount():,} 行")

    def current_page(self) -> TablePage:
        page = self.tabs.currentWidget()
        assert isinstance(page, TablePage)
        return page

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)
