"""Screenshots of the desktop client for docs/USER_GUIDE.md: ``python bench/user_guide_screenshots.py``.

Runs the whole school-side cycle against a real local review server, as a user would, and saves a PNG at
each step: login (with a server) → forced password change → main window with demo data → 检查提示 of a
paste with problems → 效验数据 (coloured cells, issues panel) → filter drop-down → 查找 → upload receipt
→ 退回重交 (banner, marked row) → 与上次上传相比 → 审核通过 (locked).

The server is ``python -m server.cli`` (init, create-school, create-reviewer, run) on a free port of
127.0.0.1 in a temporary folder, with the demo school 4500000001 (initial password aabbcc) and the demo
reviewer ``demo`` / ``demo12345``; the reviewer's decisions go through the review API with requests.
The client is the real MainWindow built in this process; it needs a display with a CJK font, e.g.
``Xvfb :99 -screen 0 1366x768x24 &`` and ``DISPLAY=:99 QT_QPA_PLATFORM=xcb``.
``--out DIR`` chooses the folder (default ``docs/images``). The console screenshots are made by
``bench/console_screenshots.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import requests
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QFont, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from app.demo import generate  # noqa: E402
from app.models.period import Period  # noqa: E402
from app.models.schema import table_schema  # noqa: E402
from app.sync.service import SyncService  # noqa: E402
from app.ui import account_dialogs, find_dialog, sync_controller  # noqa: E402
from app.ui.account_dialogs import PasswordChange, PasswordDialog  # noqa: E402
from app.ui.login import LoginDialog  # noqa: E402
from app.ui.main import seed_demo_data  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from app.ui.paste import paste_text  # noqa: E402
from app.ui.paste_dialog import PasteDialog  # noqa: E402

log = logging.getLogger("user_guide_screenshots")

ORG = "4500000001"
SCHOOL = "演示学校（兴宁区第一小学）"
REGION = "450102"
REVIEWER = ("demo", "demo12345")
NEW_PASSWORD = "Xingning-2026"
PERIOD = Period("2026-2027", "秋季学期")
HOST = "127.0.0.1"
SERVER = (sys.executable, "-m", "server.cli")
WAIT_S = 60.0
WINDOW_SIZE = (1280, 720)
FONT = "WenQuanYi Micro Hei"
PASTED, PASTE_SEED = 5, 42


# -- the review server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def server_cli(data_dir: Path, *args: str) -> None:
    command, *rest = args
    subprocess.run(
        [*SERVER, command, "--data-dir", str(data_dir), *rest],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )


@contextmanager
def review_server(data_dir: Path) -> Iterator[str]:
    """A fresh review server with the demo school and reviewer; yields its base URL."""
    data_dir.mkdir(parents=True)
    server_cli(data_dir, "init")
    server_cli(data_dir, "create-school", "--org-code", ORG, "--name", SCHOOL, "--region", REGION)
    server_cli(
        data_dir, "create-reviewer", "--username", REVIEWER[0], "--password", REVIEWER[1], "--scope", "45"
    )
    port = free_port()
    url = f"http://{HOST}:{port}"
    with (data_dir / "server.log").open("wb") as server_log:
        process = subprocess.Popen(
            [*SERVER, "run", "--data-dir", str(data_dir), "--host", HOST, "--port", str(port)],
            cwd=REPO_ROOT,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: _answers(url), "the review server")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/v1/openapi.json", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Reviewer:
    """The county reviewer through the review API (what the web console's buttons do)."""

    def __init__(self, url: str) -> None:
        self.api = f"{url}/api/v1"
        answer = requests.post(
            f"{self.api}/session", json={"username": REVIEWER[0], "password": REVIEWER[1]}, timeout=10
        )
        answer.raise_for_status()
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    def _submission(self, table: str) -> dict[str, Any]:
        answer = requests.get(
            f"{self.api}/review/queue", headers=self.headers, params={"limit": 500}, timeout=10
        )
        answer.raise_for_status()
        items = [i for i in answer.json()["items"] if i["org_code"] == ORG and i["table"] == table]
        item: dict[str, Any] = items[0]
        return item

    def decide(self, table: str, decision: str, comment: str = "", **extra: Any) -> None:
        item = self._submission(table)
        body = {"revision": item["revision"], "decision": decision, "comment": comment, **extra}
        answer = requests.post(
            f"{self.api}/review/{item['submission_id']}/decision", json=body, headers=self.headers, timeout=10
        )
        answer.raise_for_status()


# -- driving Qt -------------------------------------------------------------------------------------


def settle(seconds: float = 0.3) -> None:
    """Let Qt lay out and paint (and deliver queued callbacks) for a moment."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        QCoreApplication.processEvents()
        time.sleep(0.02)


class Shots:
    """Saves widgets (or the screen around them) as PNGs in ``out``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.saved: list[Path] = []

    def widget(self, widget: QWidget, name: str) -> None:
        settle()
        self._save(widget.grab().toImage(), name)

    def screen(self, window: QWidget, name: str) -> None:
        """The window's area of the screen: shows popups and dialogs lying over it."""
        settle()
        screen = QGuiApplication.primaryScreen()
        frame = window.frameGeometry()
        picture = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
        self._save(picture.toImage(), name)

    def _save(self, image: QImage, name: str) -> None:
        # A 256-colour palette keeps a full window near 100 KB; the UI has few colours, text stays sharp.
        small = image.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither)
        # The format comes from the .png name: PySide6 6.11 refuses a bytes format that its stubs ask for.
        if not small.save(str(self.out / name), None, 0):
            raise SystemExit(f"could not save {name}")
        self.saved.append(self.out / name)
        log.info("saved %s", name)


class Messages:
    """QMessageBox.information / warning / critical recorded instead of blocking the script."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        for kind in ("information", "warning", "critical"):
            setattr(QMessageBox, kind, self._recorder())

    def _recorder(self) -> Callable[..., QMessageBox.StandardButton]:
        def record(_parent: object, title: str, text: str, *_rest: object) -> QMessageBox.StandardButton:
            self.texts.append(f"{title}: {text}")
            log.info("message %s: %s", title, text)
            return QMessageBox.StandardButton.Ok

        return record


# -- the scenes -------------------------------------------------------------------------------------


def log_in(shots: Shots, data_dir: Path, url: str) -> LoginDialog:
    """登录 with the initial password; the forced 修改密码 is typed into the real dialog."""
    login = LoginDialog(data_dir, ORG, service=SyncService(data_dir, server_url=url))
    login.password_edit.setText("aabbcc")
    login.show()
    shots.widget(login, "login.png")

    def typed_change(parent: object, org_code: str, old_password: str | None = None) -> PasswordChange | None:
        dialog = PasswordDialog(org_code, old_password)
        dialog.new_edit.setText(NEW_PASSWORD)
        dialog.confirm_edit.setText(NEW_PASSWORD)
        dialog.show()
        shots.widget(dialog, "password_change.png")
        change = dialog.change()
        dialog.close()
        dialog.deleteLater()
        return change

    account_dialogs.ask_password_change = typed_change
    login.try_login()
    wait_for(lambda: login.result() == QDialog.DialogCode.Accepted, "the login")
    login.hide()
    return login


def open_window(login: LoginDialog) -> MainWindow:
    assert login.store is not None and login.service is not None
    seed_demo_data(login.store, PERIOD)
    window = MainWindow(login.store, ORG, PERIOD, sync_service=login.service, online=True)
    window.resize(*WINDOW_SIZE)
    window.move(0, 0)
    window.show()
    window.issues_panel.hide()
    idle(window)
    return window


def idle(window: MainWindow) -> None:
    wait_for(
        lambda: not window.sync.runner.busy and not any(p.editor.loading for p in window.pages.values()),
        "the window to be idle",
    )
    settle()


def paste_rows_text() -> str:
    """Five students as copied from an Excel sheet with its header row, damaged the usual ways."""
    schema = table_schema("students")
    rows = [[row[key] for key in schema.keys] for row in generate(PASTED, PERIOD, seed=PASTE_SEED).students]
    id_column, ethnicity = schema.keys.index("id_number"), schema.keys.index("ethnicity")
    rows[0][id_column] = "4.50102E+17"  # Excel's scientific notation
    rows[1][id_column] = rows[1][id_column][:-1] + ("1" if rows[1][id_column][-1] != "1" else "2")
    rows[2][ethnicity] = "壮"  # normalized to 壮族
    rows[3][schema.keys.index("guardian_phone")] = "1381234"
    lines = ["\t".join(schema.headers), *("\t".join(row) for row in rows)]
    return "\r\n".join(lines) + "\r\n"


def paste_with_check(shots: Shots, window: MainWindow) -> None:
    """粘贴 at the end of 在学状态表: the 检查提示 dialog is saved, then answered 是."""
    editor = window.pages["students"].editor
    editor.view.selectionModel().clear()
    original = PasteDialog.exec

    def shown_then_yes(dialog: PasteDialog) -> int:
        dialog.show()
        shots.widget(dialog, "paste_check.png")
        dialog.buttons["all"].click()
        return int(dialog.result())

    PasteDialog.exec = shown_then_yes  # type: ignore[method-assign,assignment]
    try:
        paste_text(editor, paste_rows_text())
    finally:
        PasteDialog.exec = original  # type: ignore[method-assign]
    idle(window)


def validate(window: MainWindow) -> None:
    window.validation.results.validated = False
    window.actions_by_id["validate"].trigger()
    wait_for(lambda: window.validation.results.validated, "效验数据")
    settle()


def show_validation(shots: Shots, window: MainWindow) -> None:
    validate(window)
    issues = [i for i in window.validation.panel.model.issues_shown() if i.table == "students"]
    if issues:
        window.validation.jump_to(issues[0])
        window.issues_panel.select_issue(issues[0])
    shots.widget(window, "validation.png")


def refused_upload(window: MainWindow) -> None:
    """上传数据 while errors remain: the refusal is logged (its text is quoted in the guide)."""
    sync_controller.ask_show_errors = _record_refusal  # type: ignore[attr-defined,assignment]
    window.actions_by_id["upload"].trigger()
    settle(1.0)


def _record_refusal(_parent: object, text: str) -> bool:
    log.info("upload refused: %s", text)
    return False


def show_filter(shots: Shots, window: MainWindow) -> None:
    editor = window.pages["students"].editor
    column = table_schema("students").headers.index("学段")
    editor.view.scrollToTop()
    popup = editor.show_filter_popup(column)
    shots.screen(window, "filter_popup.png")
    popup.close()


def show_find(shots: Shots, window: MainWindow) -> None:
    dialog = find_dialog.open_find(window, window)
    dialog.find_text.setText("韦")
    dialog.set_scope(0)
    dialog.set_mode("starts")
    dialog.find_all()
    dialog.move(window.x() + 600, window.y() + 150)
    shots.screen(window, "find_dialog.png")
    dialog.close()


def fix_and_upload(shots: Shots, window: MainWindow) -> None:
    """Type the right values over the damaged ones, check again, upload: the receipt is saved."""
    editor = window.pages["students"].editor
    schema = table_schema("students")
    first = editor.model.rowCount() - PASTED
    right = generate(PASTED, PERIOD, seed=PASTE_SEED).students
    columns = [schema.keys.index(key) for key in ("id_number", "guardian_phone")]
    editor.set_values([(first + n, c, right[n][schema.keys[c]]) for n in range(PASTED) for c in columns])
    validate(window)
    log.info("after the fix: %s", window.validation.summary())
    upload_current(window)
    dialog = window.sync.receipt_dialog
    assert dialog is not None
    shots.widget(dialog, "upload_receipt.png")
    dialog.accept()
    idle(window)
    window.issues_panel.hide()
    shots.widget(window, "uploaded_pending.png")


def upload_current(window: MainWindow) -> None:
    window.sync.receipt_dialog = None
    window.actions_by_id["upload"].trigger()
    wait_for(lambda: window.sync.receipt_dialog is not None, "the upload receipt")
    settle()


def returned(shots: Shots, window: MainWindow, reviewer: Reviewer) -> None:
    editor = window.pages["students"].editor
    uids = list(editor.model.uids)
    reviewer.decide(
        "students",
        "return",
        "第3行身份证号与户口簿不一致，请核对后重新上传",
        row_comments=[{"row_uid": uids[2], "column": "身份证号", "message": "与户口簿不一致"}],
    )
    window.actions_by_id["refresh_status"].trigger()
    idle(window)
    editor.view.scrollToTop()
    shots.widget(window, "returned.png")
    column = table_schema("students").headers.index("班级")
    editor.set_values([(2, column, "一(2)班")])
    window.actions_by_id["compare_upload"].trigger()
    wait_for(lambda: window.sync.diff_dialog is not None, "与上次上传相比")
    diff = window.sync.diff_dialog
    assert diff is not None
    diff.tree.expandAll()
    shots.widget(diff, "compare_upload.png")
    diff.accept()
    upload_current(window)
    receipt = window.sync.receipt_dialog
    assert receipt is not None
    receipt.accept()
    idle(window)


def approved(shots: Shots, window: MainWindow, reviewer: Reviewer, messages: Messages) -> None:
    reviewer.decide("students", "approve")
    window.sync.refresh_status()
    idle(window)
    editor = window.pages["students"].editor
    editor.set_values([(0, table_schema("students").headers.index("班级"), "二(1)班")])
    settle()
    window.issues_panel.hide()
    shots.widget(window, "approved_locked.png")
    log.info("messages shown: %s", messages.texts)


def take(out: Path, work: Path) -> list[Path]:
    client_dir = work / "client"
    os.environ["ZIZHU_DATA_DIR"] = str(client_dir)
    # Tokens go to the file fallback in the temporary folder, never to the OS credential store.
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "settings"))
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    QCoreApplication.setOrganizationName("zizhutong-screenshots")
    app.setFont(QFont(FONT, 10))
    shots, messages = Shots(out), Messages()
    with review_server(work / "server") as url:
        login = log_in(shots, client_dir, url)
        window = open_window(login)
        shots.widget(window, "main_window.png")
        window.tabs.setCurrentWidget(window.pages["aid"])
        shots.widget(window, "aid_table.png")
        window.tabs.setCurrentWidget(window.pages["students"])
        paste_with_check(shots, window)
        show_validation(shots, window)
        refused_upload(window)
        show_filter(shots, window)
        show_find(shots, window)
        fix_and_upload(shots, window)
        reviewer = Reviewer(url)
        returned(shots, window, reviewer)
        approved(shots, window, reviewer, messages)
        window.close()
        if login.store is not None:
            login.store.close()
    return shots.saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="用户手册的客户端截图")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        saved = take(args.out, Path(work))
    for path in saved:
        sys.stdout.write(f"{path} {path.stat().st_size // 1024} KB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
