"""The window's exports: 导出到Excel (all or filtered rows), 导出问题清单, 下载空白模板, 导出公示名单.

Each asks for a file name, then writes on a pool thread with its own connection to the store, a
progress dialog counting the rows meanwhile; the window stays usable. The result is told in the
status bar ("已导出 1,532 行到“…”。"); a failure goes to the window's error handler (ExportError and
StoreError carry their Chinese message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from app.files.exporter import write_template
from app.files.issues_list import export_issues
from app.files.public_list import export_public_list_from_store
from app.files.transfer import export_from_store
from app.models.bulk import collector_paused
from app.models.period import Period
from app.models.schema import TableKey, table_schema
from app.models.store import Store
from app.ui.worker import PROGRESS_DELAY_MS, start_quietly

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

RowChoice = Literal["all", "filtered"]
Progress = Callable[[int], None]
XLSX_FILTER = "Excel 工作簿 (*.xlsx)"


def ask_which_rows(parent: QWidget, shown: int, total: int) -> RowChoice | None:
    """Ask whether to export every row or only the rows the filter shows; None when cancelled."""
    box = QMessageBox(QMessageBox.Icon.Question, "导出到Excel", "", QMessageBox.StandardButton.Cancel, parent)
    box.setText(f"当前筛选显示 {shown:,} / {total:,} 行。要导出哪些行？")
    all_rows = box.addButton("全部行", QMessageBox.ButtonRole.AcceptRole)
    filtered = box.addButton("筛选后的行", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(filtered)
    box.exec()
    clicked = box.clickedButton()
    if clicked is all_rows:
        return "all"
    if clicked is filtered:
        return "filtered"
    return None


def ask_target(parent: QWidget, title: str, suggested_name: str) -> Path | None:
    """The .xlsx file to write (the extension added when missing); None when cancelled."""
    suggested = str(Path.home() / suggested_name)
    target, _ = QFileDialog.getSaveFileName(parent, title, suggested, XLSX_FILTER)
    if not target:
        return None
    return Path(target if target.lower().endswith(".xlsx") else f"{target}.xlsx")


class _ProgressRelay(QObject):
    """Carries the rows written from the pool thread to the progress dialog (a queued signal)."""

    advanced = Signal(int)

    def __init__(self, dialog: QProgressDialog) -> None:
        super().__init__()
        self._dialog = dialog
        self.advanced.connect(self._show)

    @Slot(int)
    def _show(self, rows: int) -> None:
        if self._dialog.maximum() > 0:
            self._dialog.setValue(min(rows, self._dialog.maximum()))


class ExportCommands:
    """The export actions of one main window."""

    def __init__(self, window: MainWindow, on_error: Callable[[BaseException], None]) -> None:
        self._window = window
        self._on_error = on_error
        self._relays: set[_ProgressRelay] = set()

    # ------------------------------------------------------------ commands

    def export_table(self) -> None:
        """导出到Excel: the current table, every row or (with a filter on) the rows shown, in view order."""
        window = self._window
        editor = window.current_editor()
        model, table = editor.model, editor.table
        uids: Sequence[str] | None = None
        title = table_schema(table).title
        if model.is_filtered():
            choice = ask_which_rows(window, model.rowCount(), model.total_row_count())
            if choice is None:
                return
            if choice == "filtered":
                uids = list(model.visible_uids())
                title = f"{title}_筛选"
        target = ask_target(window, "导出到Excel", f"{title}_{window.period.label}.xlsx")
        if target is None or not window.flush_all():
            return
        path, period = window.store.path, window.period
        total = len(uids) if uids is not None else model.total_row_count()

        def work(progress: Progress) -> int:
            with Store.open(path) as store:
                return export_from_store(store, table, period, target, progress, uids=uids)

        self._run(
            f"正在导出{table_schema(table).title}……", total, work, lambda n: self._done(n, target, "行")
        )

    def export_issues(self) -> None:
        """导出问题清单: every finding of the last 效验数据 (as the panel lists them all)."""
        window = self._window
        results = window.validation.results
        if not len(results):
            text = "上次效验没有发现问题。" if results.validated else "还没有效验数据。请先点「效验数据」。"
            QMessageBox.information(window, "导出问题清单", text)
            return
        target = ask_target(window, "导出问题清单", f"问题清单_{window.period.label}.xlsx")
        if target is None:
            return
        issues = results.issues()
        self._run(
            "正在导出问题清单……",
            len(issues),
            lambda progress: export_issues(target, issues, progress=progress),
            lambda n: self._done(n, target, "个问题"),
        )

    def download_template(self, table: TableKey | None = None) -> None:
        """下载空白模板 of the current table (text-formatted ID columns, drop-down lists)."""
        window = self._window
        table = table or window.current_editor().table
        title = table_schema(table).title
        target = ask_target(window, "下载空白模板", f"{title}_空白模板.xlsx")
        if target is None:
            return

        def work(_progress: Progress) -> int:
            write_template(target, table)
            return 0

        self._run(f"正在生成{title}空白模板……", 0, work, lambda _n: self._saved(target, f"{title}空白模板"))

    def export_public_list(self) -> None:
        """导出公示名单: the 学生资助表 for posting, 身份证号 and account numbers masked."""
        window = self._window
        total = window.pages["aid"].editor.model.total_row_count()
        if total == 0:
            QMessageBox.information(window, "导出公示名单", "学生资助表中还没有数据，没有可以公示的名单。")
            return
        target = ask_target(window, "导出公示名单", f"公示名单_{window.period.label}.xlsx")
        if target is None or not window.flush_all():
            return
        path, period = window.store.path, window.period
        self._run(
            "正在导出公示名单……",
            total,
            lambda progress: _public_list(path, period, target, progress),
            lambda n: self._done(n, target, "行"),
        )

    # ------------------------------------------------------------ running

    def _run(
        self, label: str, total: int, work: Callable[[Progress], int], done: Callable[[int], None]
    ) -> None:
        dialog = QProgressDialog(label, "", 0, total, self._window)
        dialog.setWindowTitle("资助通")
        dialog.setCancelButton(None)
        dialog.setMinimumDuration(PROGRESS_DELAY_MS)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        relay = _ProgressRelay(dialog)
        self._relays.add(relay)

        def finish() -> None:
            self._relays.discard(relay)
            dialog.reset()
            dialog.deleteLater()

        def succeeded(result: Any) -> None:
            finish()
            done(int(result))

        def failed(error: BaseException) -> None:
            finish()
            self._on_error(error)

        def paused() -> int:
            with collector_paused():  # a collection walking every row of the grids would stall the window
                return work(relay.advanced.emit)

        start_quietly(paused, succeeded, failed)

    def _done(self, count: int, target: Path, unit: str) -> None:
        self._window.statusBar().showMessage(f"已导出 {count:,} {unit}到“{target}”。", 10000)

    def _saved(self, target: Path, what: str) -> None:
        self._window.statusBar().showMessage(f"已保存{what}到“{target}”。", 10000)


def _public_list(path: Path, period: Period, target: Path, progress: Progress) -> int:
    with Store.open(path) as store:
        return export_public_list_from_store(store, period, target, progress)
