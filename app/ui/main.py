"""`zizhu-gui`: start the desktop client."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.logs import setup_logging
from app.models.errors import StoreError
from app.models.period import Period, current_period
from app.models.schema import TABLE_KEYS
from app.models.store import Store
from app.ui.login import LoginDialog
from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
DEMO_STUDENTS = 300


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="zizhu-gui", description="资助通桌面客户端")
    parser.add_argument("--org-code", default="", help="登录窗口预填的学校机构码")
    parser.add_argument("--data-dir", type=Path, help="数据文件夹")
    parser.add_argument("--seed-demo", action="store_true", help="本期两张表都为空时载入演示数据")
    parser.add_argument(
        "--no-login",
        action="store_true",
        help="不显示登录窗口，直接打开 --org-code 的本机数据（开发与截图用）",
    )
    return parser.parse_args(argv)


def install_translations(app: QApplication) -> list[QTranslator]:
    """Qt's own zh_CN strings, so standard dialogs say 是/否/确定/取消."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translators = []
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            translators.append(translator)
        else:
            log.warning("Qt translation %s not found in %s", name, folder)
    return translators


def show_crash_dialog(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Last resort for a bug: log the traceback, tell the user in plain Chinese, keep running."""
    log.error("unexpected error\n%s", "".join(traceback.format_exception(kind, value, tb)))
    if QApplication.instance() is not None:
        QMessageBox.critical(
            None,
            "程序出错",
            "资助通遇到一个意外错误，刚才的操作可能没有完成。已保存的数据不受影响。\n"
            "错误详情已记录在日志文件中，请联系技术支持。",
        )


def seed_demo_data(store: Store, period: Period) -> None:
    """Fill an empty store with demo tables through the same import pipeline as a user's files."""
    from app.demo import write_demo
    from app.files.transfer import import_into_store

    if any(store.count(table, period) for table in TABLE_KEYS):
        return
    with tempfile.TemporaryDirectory() as folder:
        students, aid = write_demo(Path(folder), DEMO_STUDENTS, period)
        import_into_store(store, students, "students", period)
        import_into_store(store, aid, "aid", period)
    log.info("seeded demo data for %s", period.id)


def open_account(args: argparse.Namespace) -> tuple[Store, str] | None:
    """The store of the account that logs in; None when the user closed the login window."""
    if args.no_login and args.org_code:
        try:
            return Store.for_account(args.org_code, args.data_dir), args.org_code
        except StoreError as exc:
            QMessageBox.critical(None, "无法打开数据文件", exc.user_message)
            return None
    login = LoginDialog(args.data_dir, args.org_code)
    if login.exec() != LoginDialog.DialogCode.Accepted or login.store is None:
        return None
    return login.store, login.org_code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.data_dir)
    QCoreApplication.setOrganizationName("zizhutong")
    QCoreApplication.setApplicationName("资助通")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    install_translations(app)
    sys.excepthook = show_crash_dialog
    opened = open_account(args)
    if opened is None:
        return 0
    store, org_code = opened
    period = current_period()
    if args.seed_demo:
        seed_demo_data(store, period)
    window = MainWindow(store, org_code, period)
    window.show()
    try:
        return app.exec()
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
