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
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.logs import setup_logging
from app.models.errors import StoreError
from app.models.period import Period, current_period
from app.models.schema import TABLE_KEYS
from app.models.store import Store
from app.ui.login import LAST_ORG_KEY, LoginDialog
from app.ui.single_instance import ask_running_instance, bring_to_front, claim_or_hand_over
from app.ui.startup_probe import watch_startup

if TYPE_CHECKING:
    from app.sync.service import SyncService

log = logging.getLogger(__name__)
DEMO_STUDENTS = 300
NO_SERVER_REASON = "未设置审核服务器地址。"


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
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="自检：在临时文件夹中建库、导入演示数据、效验、导出后退出（0 = 通过），不显示窗口",
    )
    return parser.parse_args(argv)


def install_translations(app: QApplication) -> list[QTranslator]:
    """Qt's own zh_CN strings, so standard dialogs say 是/否/确定/取消."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translators = []
    # qtbase carries every standard dialog and button; qt_zh_CN is only a catalog that also names
    # modules PySide6-Essentials does not ship, so it never loads there.
    for name in ("qtbase_zh_CN",):
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


def running_elsewhere(args: argparse.Namespace) -> bool:
    """True when the account the login window would offer is open in a running client (now in front)."""
    org_code = args.org_code or str(QSettings().value(LAST_ORG_KEY, "") or "")
    return bool(org_code) and ask_running_instance(org_code, args.data_dir)


class OpenedAccount(NamedTuple):
    """The store of the account that logged in, and its link to the review server."""

    store: Store
    org_code: str
    service: SyncService
    online: bool = False
    offline_reason: str = NO_SERVER_REASON


def sync_service(data_dir: Path | None, org_code: str) -> SyncService:
    """The account's SyncService (imported late: requests and keyring are not needed by the login window)."""
    from app.sync.service import SyncService

    return SyncService(data_dir, org_code=org_code)


def open_account(args: argparse.Namespace) -> OpenedAccount | None:
    """The store of the account that logs in; None when the user closed the login window."""
    if args.no_login and args.org_code:
        try:
            store = Store.for_account(args.org_code, args.data_dir)
        except StoreError as exc:
            QMessageBox.critical(None, "无法打开数据文件", exc.user_message)
            return None
        return OpenedAccount(store, args.org_code, sync_service(args.data_dir, args.org_code))
    login = LoginDialog(args.data_dir, args.org_code)
    if login.exec() != LoginDialog.DialogCode.Accepted or login.store is None:
        return None
    result = login.login_result
    if login.service is None or result is None:  # no review server set up: the offline login
        return OpenedAccount(login.store, login.org_code, sync_service(args.data_dir, login.org_code))
    return OpenedAccount(login.store, login.org_code, login.service, result.online, result.offline_reason)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.data_dir)
    QCoreApplication.setOrganizationName("zizhutong")
    QCoreApplication.setApplicationName("资助通")
    QCoreApplication.setApplicationVersion(__version__)
    if args.self_test:
        from app.ui.self_test import run_self_test

        return run_self_test()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    install_translations(app)
    watch_startup(app)
    sys.excepthook = show_crash_dialog
    if running_elsewhere(args):
        return 0
    opened = open_account(args)
    if opened is None:
        return 0
    store, org_code = opened.store, opened.org_code
    guard = claim_or_hand_over(org_code, args.data_dir)
    if guard is None:  # this account is open in a running client, which came forward
        store.close()
        return 0
    period = current_period()
    if args.seed_demo:
        seed_demo_data(store, period)
    # Imported after the login: the grid pulls in pandas and openpyxl, which the login window does not need.
    from app.ui.main_window import MainWindow

    window = MainWindow(
        store,
        org_code,
        period,
        sync_service=opened.service,
        online=opened.online,
        offline_reason=opened.offline_reason,
    )
    guard.activation_requested.connect(lambda: bring_to_front(window))
    window.show()
    try:
        return app.exec()
    finally:
        guard.release()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
