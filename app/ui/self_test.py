"""`zizhu-gui --self-test`: the smoke test of an installed or bundled client.

Runs the whole chain once, offscreen and in a temporary data folder (the user's data is never
touched): Qt and its Chinese translations, a new store (the Alembic migrations), demo tables written
as .xlsx and imported (openpyxl, calamine), every validation rule (python-stdnum's region data, the
policy and code lists), an export read back, and the login and main windows built with the imported
rows. A missing data file or module in a PyInstaller bundle fails one of these steps; the step says
why in Chinese. Returns 0 when everything worked, 1 otherwise.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.models.errors import StoreError
from app.models.paths import DATA_DIR_ENV
from app.models.period import Period, current_period
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from app.models.store import Store

log = logging.getLogger(__name__)

SELF_TEST_ORG = "2145000001"
DEMO_STUDENTS = 40
WINDOW_LOAD_SECONDS = 20.0
EXIT_OK = 0
EXIT_FAILED = 1


class SelfTestError(Exception):
    """A step failed; the message says which and why, in Chinese."""


def run_self_test() -> int:
    """Run every step; report 「自检通过」 or the failed step's reason. Returns the exit code."""
    if QApplication.instance() is None:
        # A bundle's smoke test runs on build machines without a display.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.perf_counter()
    try:
        with _temporary_data_dir() as data_dir:
            summary = _run_steps(data_dir)
    except SelfTestError as exc:
        _report(f"资助通 {__version__} 自检失败：{exc}")
        return EXIT_FAILED
    except Exception:  # the point of a smoke test: any failure becomes a reason, never a traceback
        log.exception("self-test failed unexpectedly")
        _report(f"资助通 {__version__} 自检失败：出现意外错误，详情已记录在日志文件中。")
        return EXIT_FAILED
    _report(f"资助通 {__version__} 自检通过（{time.perf_counter() - started:.1f} 秒）：{summary}")
    return EXIT_OK


def _report(text: str) -> None:
    """The result goes to the log and, when there is a terminal, to stdout (this is a command mode).

    A windowed Windows executable has no stdout (sys.stdout is None); the log file still has it.
    """
    log.info("%s", text)
    if sys.stdout is not None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


@contextmanager
def _temporary_data_dir() -> Iterator[Path]:
    """A throw-away data folder for stores and Qt settings; the previous ZIZHU_DATA_DIR comes back."""
    previous = os.environ.get(DATA_DIR_ENV)
    previous_format = QSettings.defaultFormat()
    with tempfile.TemporaryDirectory(prefix="zizhu-selftest-", ignore_cleanup_errors=True) as folder:
        data_dir = Path(folder) / "data"
        os.environ[DATA_DIR_ENV] = str(data_dir)
        # Window layouts are saved through QSettings: keep them out of the user's registry/config.
        QSettings.setPath(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(folder) / "settings")
        )
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        try:
            yield data_dir
        finally:
            QSettings.setDefaultFormat(previous_format)
            if previous is None:
                os.environ.pop(DATA_DIR_ENV, None)
            else:
                os.environ[DATA_DIR_ENV] = previous


def _run_steps(data_dir: Path) -> str:
    app = _application()
    period = current_period()
    translators = _check_translations(app)
    try:
        with _open_store(data_dir) as store:
            counts = _import_demo(store, period, data_dir.parent / "demo")
            checked = _validate(store, period)
            exported = _export(store, period, data_dir.parent / "export", counts)
            _show_windows(store, period, data_dir, counts)
    finally:
        for translator in translators:
            app.removeTranslator(translator)
    rows = "，".join(f"{table_schema(t).title} {counts[t]} 行" for t in TABLE_KEYS)
    return f"导入{rows}，效验{checked}，导出 {exported} 行，界面正常。"


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if not isinstance(app, QApplication):
        raise SelfTestError("无法启动图形界面（Qt）。")
    return app


def _check_translations(app: QApplication) -> list[QTranslator]:
    """Qt's own zh_CN strings must load, or standard buttons would read Yes/No/Cancel."""
    from app.ui.main import install_translations

    previous_locale = QLocale()
    translators = install_translations(app)
    QLocale.setDefault(previous_locale)
    if QCoreApplication.translate("QPlatformTheme", "Cancel") != "取消":
        for translator in translators:
            app.removeTranslator(translator)
        raise SelfTestError("缺少 Qt 的中文翻译文件（qtbase_zh_CN.qm），对话框按钮会显示英文。")
    return translators


def _open_store(data_dir: Path) -> Store:
    try:
        return Store.for_account(SELF_TEST_ORG, data_dir)
    except StoreError as exc:
        raise SelfTestError(f"无法建立本机数据文件：{exc.user_message}") from exc


def _import_demo(store: Store, period: Period, folder: Path) -> dict[TableKey, int]:
    """Write the demo tables as .xlsx and import them through the same pipeline as a user's files."""
    from app.demo import write_demo
    from app.files.exporter import ExportError
    from app.files.reader import FileReadError
    from app.files.transfer import import_into_store

    try:
        students, aid = write_demo(folder, DEMO_STUDENTS, period)
    except ExportError as exc:
        raise SelfTestError(f"无法生成演示表格：{exc.user_message}") from exc
    counts: dict[TableKey, int] = {}
    files: tuple[tuple[TableKey, Path], ...] = (("students", students), ("aid", aid))
    for table, path in files:
        title = table_schema(table).title
        try:
            outcome = import_into_store(store, path, table, period)
        except FileReadError as exc:
            raise SelfTestError(f"无法读取演示{title}：{exc.user_message}") from exc
        if outcome.refused or outcome.inserted == 0:
            reasons = "".join(p.message for p in outcome.result.problems) or "没有读到任何行"
            raise SelfTestError(f"演示{title}没有导入：{reasons}")
        stored = store.count(table, period)
        if stored != outcome.inserted:
            raise SelfTestError(f"{title}导入 {outcome.inserted} 行，数据文件里却有 {stored} 行。")
        counts[table] = outcome.inserted
    return counts


def _validate(store: Store, period: Period) -> str:
    """Every rule must run; the demo data is valid, so any error means a rule lacks its data."""
    from app.validation.engine import validate

    students = store.load_frame("students", period, with_accepted=True)
    aid = store.load_frame("aid", period, with_accepted=True)
    report = validate(students, aid, period)
    if report.failed_rules:
        failed = "、".join(sorted(set(report.failed_rules)))
        raise SelfTestError(f"效验规则 {failed} 运行出错（可能缺少数据文件），详情见日志文件。")
    errors = [issue for issue in report.issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        raise SelfTestError(
            f"演示数据本应没有错误，却查出 {len(errors)} 个，例如{table_schema(first.table).title}"
            f"第{first.row}行「{first.column}」：{first.message}（{first.rule}）"
        )
    return f"无错误、{report.summary()['warning']} 个警告"


def _export(store: Store, period: Period, folder: Path, counts: dict[TableKey, int]) -> int:
    """Export each table to .xlsx and read it back: the row count must survive the round trip."""
    from app.files.exporter import ExportError
    from app.files.importer import import_file
    from app.files.transfer import export_from_store

    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for table in TABLE_KEYS:
        title = table_schema(table).title
        path = folder / f"{title}.xlsx"
        try:
            written = export_from_store(store, table, period, path)
        except ExportError as exc:
            raise SelfTestError(f"无法导出{title}：{exc.user_message}") from exc
        read_back = len(import_file(path, table).rows)
        if written != counts[table] or read_back != counts[table]:
            raise SelfTestError(f"{title}有 {counts[table]} 行，导出 {written} 行，读回 {read_back} 行。")
        total += written
    return total


def _show_windows(store: Store, period: Period, data_dir: Path, counts: dict[TableKey, int]) -> None:
    """Build the login and main windows; the grids must show the imported rows, with no error box."""
    from app.ui.login import LoginDialog
    from app.ui.main_window import MainWindow

    with _modal_watch() as modal_texts:
        login = LoginDialog(data_dir, SELF_TEST_ORG)
        login.show()
        QApplication.processEvents()
        login.hide()
        login.deleteLater()
        window = MainWindow(store, SELF_TEST_ORG, period)
        window.show()
        try:
            shown = _wait_until(lambda: _grid_rows(window) == counts or bool(modal_texts))
        finally:
            window.hide()  # not close(): closing saves the layout, which a smoke test must not do
            window.deleteLater()
            QApplication.processEvents()
    if modal_texts:
        raise SelfTestError(f"主窗口弹出了提示「{modal_texts[0]}」。")
    if not shown:
        raise SelfTestError(f"主窗口在 {WINDOW_LOAD_SECONDS:.0f} 秒内没有显示出导入的全部行。")


def _grid_rows(window: object) -> dict[TableKey, int]:
    from app.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    return {table: page.editor.model.rowCount() for table, page in window.pages.items()}


def _wait_until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WINDOW_LOAD_SECONDS
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@contextmanager
def _modal_watch() -> Iterator[list[str]]:
    """Closes any message box that pops up (it would wait forever offscreen) and keeps its text."""
    texts: list[str] = []

    def close_modal() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None:
            return
        texts.append(widget.text() if isinstance(widget, QMessageBox) else widget.windowTitle())
        widget.close()

    timer = QTimer()
    timer.setInterval(100)
    timer.timeout.connect(close_modal)
    timer.start()
    try:
        yield texts
    finally:
        timer.stop()
