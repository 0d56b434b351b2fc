"""The main window: period selector, menus and toolbar from the action registry, one tab per table."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QUndoGroup
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.files.exporter import ExportError
from app.models.errors import StoreError
from app.models.period import TERMS, Period, current_period
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from app.models.store import Store
from app.ui.actions import MENUS, build_actions, context_entries, fill_menus, fill_toolbar, update_enablement
from app.ui.export_commands import ExportCommands
from app.ui.filter_header import rows_text
from app.ui.issues_panel import IssuesPanel
from app.ui.login import UserDialog
from app.ui.sync_controller import SyncController
from app.ui.sync_dialogs import ReviewBanner
from app.ui.table_editor import TableEditor
from app.ui.validation_controller import ValidationController
from app.ui.validation_results import ValidationResults
from app.ui.worker import run_in_background

if TYPE_CHECKING:
    from app.sync.service import SyncService
    from app.validation.engine import Report

log = logging.getLogger(__name__)
YEARS_SHOWN_BACK = 3
DEFAULT_WINDOW_SIZE = QSize(1280, 800)
# Platforms without a real screen (tests, --self-test): their 800×600 "screen" says nothing of the user's.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})
MAX_ROWS_ADDED = 5000


def validate_stored_period(path: Path, period: Period) -> Report:
    """Read both tables of ``period`` on a connection of this thread's own and run every rule."""
    from app.validation.engine import validate

    with Store.open(path) as store:  # a Store serves one thread: the worker opens the file again
        students = store.load_frame("students", period, with_accepted=True)
        aid = store.load_frame("aid", period, with_accepted=True)
    return validate(students, aid, period)


def school_years_around(period: Period) -> list[str]:
    """The school years offered in the selector: a few back, the current one, the next one."""
    first = period.start_year - YEARS_SHOWN_BACK
    return [f"{y}-{y + 1}" for y in range(first, period.start_year + 2)]


class StatusPanel(QFrame):
    """The column at the right of a table: review status, last save, row and selection counts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(150)
        self.review_button = QPushButton("未上传", self)
        self.review_button.setObjectName("review_status")
        self.review_button.setEnabled(False)
        self.review_button.setToolTip("连接审核服务器并上传后，这里显示审核结果。")
        self.saved_label = QLabel("尚未修改", self)
        self.saved_label.setObjectName("saved_label")
        self.rows_label = QLabel("共 0 行", self)
        self.selection_label = QLabel("选中 0 个单元格", self)
        self.loading_label = QLabel("正在读取表格的其余行……", self)
        self.loading_label.setObjectName("loading_label")
        self.loading_label.hide()
        self.issues_label = QLabel("尚未效验数据", self)
        self.issues_label.setObjectName("issues_label")
        for label in (self.saved_label, self.rows_label, self.selection_label, self.loading_label):
            label.setWordWrap(True)
        self.issues_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("审核状态", self))
        layout.addWidget(self.review_button)
        layout.addSpacing(12)
        layout.addWidget(self.saved_label)
        layout.addWidget(self.rows_label)
        layout.addWidget(self.selection_label)
        layout.addWidget(self.loading_label)
        layout.addSpacing(12)
        layout.addWidget(QLabel("效验结果", self))
        layout.addWidget(self.issues_label)
        layout.addStretch(1)

    def show_saved(self, when: object) -> None:
        if isinstance(when, datetime):
            self.saved_label.setText(f"已保存 {when:%H:%M}")
            self.saved_label.setStyleSheet("")

    def show_unsaved(self, count: int) -> None:
        self.saved_label.setText(f"有 {count} 处修改尚未写入本机")
        self.saved_label.setStyleSheet("color: #b00020;")

    def show_counts(self, rows: int, selected: int) -> None:
        self.rows_label.setText(f"共 {rows:,} 行")
        self.selection_label.setText(f"选中 {selected:,} 个单元格")

    def show_rows(self, shown: int, total: int, filtered: bool) -> None:
        """「共 1,532 行」, or 「显示 120 / 1,532 行」 while a filter is on."""
        self.rows_label.setText(rows_text(shown, total, filtered))

    def show_issues(self, text: str) -> None:
        """The table's 效验数据 summary: 「12 个错误，3 个警告，已核对 1 个」."""
        self.issues_label.setText(text)


def first_placement(available: QRect) -> QRect | None:
    """Where the window opens the first time: the default size centred on the screen's free area, or
    None (maximize) when it does not fit — on the 1366×768 laptops common in school offices, 1280×800
    would put the status bar under the taskbar."""
    if available.width() < DEFAULT_WINDOW_SIZE.width() or available.height() < DEFAULT_WINDOW_SIZE.height():
        return None
    placement = QRect(0, 0, DEFAULT_WINDOW_SIZE.width(), DEFAULT_WINDOW_SIZE.height())
    placement.moveCenter(available.center())
    return placement


class TablePage(QWidget):
    """One tab: the editable grid of a table and its status panel."""

    def __init__(self, store: Store, table: TableKey, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.editor = TableEditor(store, table, self)
        self.panel = StatusPanel(self)
        self.banner = ReviewBanner(self)  # 退回重交 / 审核通过, above the grid
        grid_column = QVBoxLayout()
        grid_column.addWidget(self.banner)
        grid_column.addWidget(self.editor, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid_column, 1)
        layout.addWidget(self.panel)
        self.editor.saved.connect(self.panel.show_saved)
        self.editor.counts_changed.connect(self.panel.show_counts)
        self.editor.rows_changed.connect(self.panel.show_rows)
        self.editor.loading_changed.connect(self.panel.loading_label.setVisible)


class MainWindow(QMainWindow):
    server_connected: bool
    undo_group: QUndoGroup
    validation: ValidationController
    exports: ExportCommands
    issues_panel: IssuesPanel
    sync: SyncController

    def __init__(
        self,
        store: Store,
        org_code: str,
        period: Period | None = None,
        *,
        sync_service: SyncService | None = None,
        online: bool = False,
        offline_reason: str = "",
    ) -> None:
        super().__init__()
        self.store = store
        self.org_code = org_code
        self.period = period or current_period()
        self.server_connected = False  # the sync issue connects the review server
        self.setWindowTitle(f"资助通 — 学校端（机构码 {org_code}，离线）")
        self.undo_group = QUndoGroup(self)
        self.pages: dict[TableKey, TablePage] = {}
        self.tabs = QTabWidget(self)
        for table in TABLE_KEYS:
            page = TablePage(store, table, self.tabs)
            page.editor.save_failed.connect(self._save_failed)
            page.editor.rows_changed.connect(self._rows_changed)
            self.undo_group.addStack(page.editor.undo_stack)
            self.pages[table] = page
            self.tabs.addTab(page, table_schema(table).title)
        self.validation = ValidationController(self)
        self.issues_panel = self.validation.panel
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.issues_panel)
        self.sync = SyncController(self, sync_service, online=online, offline_reason=offline_reason)
        self.exports = ExportCommands(self, self._background_failed)
        self.actions_by_id = build_actions(self)
        self._build_menus_and_toolbar()
        for page in self.pages.values():
            page.editor.context_entries = partial(context_entries, self.actions_by_id)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(self._build_period_selector())
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.undo_group.canUndoChanged.connect(self.refresh_actions)
        self.undo_group.canRedoChanged.connect(self.refresh_actions)
        self.resize(DEFAULT_WINDOW_SIZE)
        self._restore_layout()
        self.reload()
        self._tab_changed()

    # ------------------------------------------------------------ building

    def _build_menus_and_toolbar(self) -> None:
        menus = {title: self.menuBar().addMenu(title) for title in MENUS}
        fill_menus(menus, self.actions_by_id)
        toolbar = QToolBar("常用操作", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        fill_toolbar(toolbar, self.actions_by_id)
        self.addToolBar(toolbar)

    def _build_period_selector(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.year_box = QComboBox(self)
        self.year_box.setObjectName("school_year")
        self.year_box.addItems(school_years_around(self.period))
        self.year_box.setCurrentText(self.period.school_year)
        self.term_box = QComboBox(self)
        self.term_box.setObjectName("term")
        self.term_box.addItems(list(TERMS))
        self.term_box.setCurrentText(self.period.term)
        bar.addWidget(QLabel("学年：", self))
        bar.addWidget(self.year_box)
        bar.addWidget(QLabel("学期：", self))
        bar.addWidget(self.term_box)
        bar.addStretch(1)
        self.year_box.currentTextChanged.connect(self._period_changed)
        self.term_box.currentTextChanged.connect(self._period_changed)
        return bar

    # ------------------------------------------------------------ state

    def current_page(self) -> TablePage:
        page = self.tabs.currentWidget()
        assert isinstance(page, TablePage)
        return page

    def current_editor(self) -> TableEditor:
        return self.current_page().editor

    def refresh_actions(self) -> None:
        update_enablement(self, self.actions_by_id)

    def _tab_changed(self) -> None:
        self.undo_group.setActiveStack(self.current_editor().undo_stack)
        self._show_period_status()
        self.refresh_actions()

    def _show_period_status(self) -> None:
        page = self.current_page()
        title = table_schema(page.table).title
        model = page.editor.model
        rows = rows_text(model.rowCount(), model.total_row_count(), model.is_filtered())
        self.statusBar().showMessage(f"{self.period.label}　{title}：{rows}")

    def _rows_changed(self) -> None:
        """A sort, filter or row change in a grid: the status bar and 清除筛选/只看有问题的行 follow it."""
        if not hasattr(self, "actions_by_id"):
            return  # still building the window
        if self.sender() is self.current_editor():
            self._show_period_status()
        self.refresh_actions()

    def _period_changed(self) -> None:
        self.flush_all()
        self.period = Period(self.year_box.currentText(), self.term_box.currentText())
        self.reload()

    def reload(self) -> None:
        """Load both tables of the current period from the store."""
        try:
            for page in self.pages.values():
                page.editor.load(self.period)
        except StoreError as exc:
            log.warning("loading %s failed: %s", self.period.id, exc)
            QMessageBox.critical(self, "无法读取数据", exc.user_message)
        self.validation.clear()
        self.sync.period_changed()  # the period's review status: lock, banner, row comments
        self._show_period_status()
        self.refresh_actions()

    # ------------------------------------------------------------ commands

    def add_rows(self) -> None:
        count, accepted = QInputDialog.getInt(self, "增加行", "增加几行？", 1, 1, MAX_ROWS_ADDED)
        if accepted:
            self.current_editor().add_rows(count)
            self._show_period_status()

    def flush_all(self) -> bool:
        """Write every pending edit; True when nothing is left unsaved."""
        return all(page.editor.flush() for page in self.pages.values())

    def save_locally(self) -> None:
        """本地保存: every edit is already written; this retries pending ones and checks the file."""
        if not self.flush_all():
            return  # save_failed already told the user why
        try:
            intact = self.store.check_integrity()
        except StoreError as exc:
            QMessageBox.critical(self, "保存失败", exc.user_message)
            return
        if not intact:
            QMessageBox.critical(
                self, "数据文件异常", "数据文件完整性检查未通过，请先导出到Excel备份数据，再联系技术支持。"
            )
            return
        now = datetime.now()
        for page in self.pages.values():
            page.panel.show_saved(now)
        self.statusBar().showMessage(f"已保存（{now:%H:%M:%S}），数据文件检查完好。", 5000)

    def validate_tables(self) -> None:
        """效验数据 over both tables on a worker; the findings go to the grids and the issues panel."""
        if not self.flush_all():
            return
        run_in_background(
            self,
            self.sync.with_review_issues(self.validation.validation_job()),
            partial(self._show_validation, self.period),
            self._background_failed,
            label="正在效验数据……",
        )

    def _show_validation(self, period: Period, results: ValidationResults) -> None:
        if period != self.period:
            return  # another period was chosen meanwhile: these findings are not about what is shown
        self.validation.show_results(results)

    def toggle_issues_panel(self) -> None:
        """显示问题列表: show the issues panel, or hide it when it is shown."""
        self.issues_panel.setVisible(not self.issues_panel.isVisible())

    def upload(self) -> None:
        """上传数据: the current table, in the background (see SyncController.upload)."""
        self.sync.upload()

    def export_current_table(self) -> None:
        """导出到Excel: the current table (all rows, or the filtered ones) off the GUI thread."""
        self.exports.export_table()

    def manage_user(self) -> None:
        sync = self.sync if self.sync.available else None
        UserDialog(
            self.store,
            self.org_code,
            self,
            save_online=sync.save_profile if sync else None,
            change_password=sync.change_password if sync else None,
        ).exec()

    # ------------------------------------------------------------ errors

    def _save_failed(self, message: str) -> None:
        for page in self.pages.values():
            pending = page.editor.pending_count()
            if pending:
                page.panel.show_unsaved(pending)
        QMessageBox.warning(self, "修改尚未保存", message)

    def _background_failed(self, error: BaseException) -> None:
        if isinstance(error, ExportError):
            QMessageBox.warning(self, "导出失败", error.user_message)
        elif isinstance(error, StoreError):
            QMessageBox.critical(self, "数据文件错误", error.user_message)
        else:
            log.error("background task failed", exc_info=error)
            QMessageBox.critical(
                self, "程序出错", "操作没有完成，已保存的数据不受影响。错误详情已记录在日志文件中。"
            )

    # ------------------------------------------------------------ layout memory

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if not isinstance(geometry, QByteArray) or not self.restoreGeometry(geometry):
            self._fit_to_screen()
        docks = settings.value("main_window/state")  # where the issues panel is docked
        if isinstance(docks, QByteArray):
            self.restoreState(docks)
        for table, page in self.pages.items():
            header_state = settings.value(f"grid/{table}/header")
            if isinstance(header_state, QByteArray):
                page.editor.view.horizontalHeader().restoreState(header_state)

    def _fit_to_screen(self) -> None:
        """The first start: the default size, centred; maximized where it does not fit."""
        if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
            return
        placement = first_placement(self.screen().availableGeometry())
        if placement is None:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        else:
            self.setGeometry(placement)

    def _save_layout(self) -> None:
        settings = QSettings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/state", self.saveState())
        for table, page in self.pages.items():
            settings.setValue(f"grid/{table}/header", page.editor.view.horizontalHeader().saveState())

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.flush_all():
            pending = sum(page.editor.pending_count() for page in self.pages.values())
            answer = QMessageBox.question(
                self,
                "还有修改没有保存",
                f"有 {pending} 处修改没能写入本机（见之前的提示）。\n"
                "现在关闭，这些修改将丢失。确定要关闭吗？",
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self._save_layout()
        super().closeEvent(event)
