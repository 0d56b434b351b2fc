"""The review cycle in the desktop window, against a real review server process (pytest-qt, offscreen).

login → forced password change → import → 效验数据 → 上传数据 → the reviewer returns it with a row
comment → banner and marked row → fix → revision 2 → approved: the table is locked → reopened:
editable again. Then what a failed upload looks like: the server's own errors (422) in the issues
panel, another PC's upload (412), local errors (refused before sending), and a server that is down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtWidgets import QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.demo import generate
from app.files.exporter import export_table
from app.models.account import Contact
from app.models.schema import TableKey, table_schema
from app.models.store import Store
from app.sync.credentials import StoredToken, TokenStore
from app.sync.errors import LOCKED_MESSAGE
from app.sync.service import SyncService
from app.ui import account_dialogs, sync_controller
from app.ui.account_dialogs import PasswordChange, PasswordDialog
from app.ui.login import LoginDialog
from app.ui.main_window import MainWindow
from app.ui.paste_dialog import PasteDialog
from app.ui.validation_results import REVIEW_RULE
from tests.qt_settings import isolate_settings
from tests.server.live import free_port
from tests.sync.conftest import FAST, NEW_PASSWORD, LiveServer, Reviewer, logged_in
from tests.sync.helpers import PERIOD, seed_account, snapshot

WAIT_MS = 30_000


class _Messages:
    """Every QMessageBox.information / warning / critical, as (kind, text); none of them blocks."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.shown: list[tuple[str, str]] = []
        for kind in ("information", "warning", "critical"):
            monkeypatch.setattr(QMessageBox, kind, self._recorder(kind))

    def _recorder(self, kind: str) -> Any:
        def record(_parent: object, _title: str, text: str, *_rest: object) -> QMessageBox.StandardButton:
            self.shown.append((kind, text))
            return QMessageBox.StandardButton.Ok

        return record

    def texts(self) -> list[str]:
        return [text for _kind, text in self.shown]


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> None:
    isolate_settings(tmp_path)


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> _Messages:
    return _Messages(monkeypatch)


def _column(table: TableKey, header: str) -> int:
    return table_schema(table).headers.index(header)


def _idle(qtbot: QtBot, window: MainWindow) -> None:
    """Wait until the window's sync lane has run everything queued (and the callbacks arrived)."""
    qtbot.waitUntil(lambda: not window.sync.runner.busy, timeout=WAIT_MS)


def _typed_password_change(new: str) -> Any:
    """Stands in for the modal dialog: the real PasswordDialog, typed into, its button checked."""

    def ask(parent: object, org_code: str, old_password: str | None = None) -> PasswordChange | None:
        dialog = PasswordDialog(org_code, old_password)
        dialog.new_edit.setText(new)
        dialog.confirm_edit.setText(new)
        assert dialog.problem() == "", dialog.problem()
        change = dialog.change()
        dialog.deleteLater()
        return change

    return ask


def _import_students(editor: Any, path: Path, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """导入 an .xlsx of ``count`` demo students through the 检查提示 dialog, answered 全部导入."""
    keys = table_schema("students").keys
    rows = [[row[key] for key in keys] for row in generate(count, PERIOD, seed=5).students]
    export_table(path, "students", rows)

    def answer(dialog: PasteDialog) -> int:
        dialog.buttons["all"].click()
        return int(dialog.result())

    monkeypatch.setattr(PasteDialog, "exec", answer)
    assert editor.import_file(path)


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_the_review_cycle_in_the_window(
    qtbot: QtBot,
    *,
    isolated_data_dir: Path,
    live_server: LiveServer,
    school: str,
    reviewer: Reviewer,
    messages: _Messages,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Login: the server wants a new password first; the dialog enforces its rules.
    asked: list[str | None] = []
    typed = _typed_password_change(NEW_PASSWORD)

    def ask(parent: object, org_code: str, old_password: str | None = None) -> PasswordChange | None:
        asked.append(old_password)
        return typed(parent, org_code, old_password)  # type: ignore[no-any-return]

    monkeypatch.setattr(account_dialogs, "ask_password_change", ask)
    login = LoginDialog(
        isolated_data_dir,
        school,
        service=SyncService(isolated_data_dir, server_url=live_server.url, retry=FAST),
    )
    qtbot.addWidget(login)
    assert live_server.url in login.mode_label.text()
    login.password_edit.setText("aabbcc")
    login.try_login()
    qtbot.waitUntil(lambda: login.result() == QDialog.DialogCode.Accepted, timeout=WAIT_MS)
    assert asked == ["aabbcc"]
    assert login.login_result is not None and login.login_result.online
    assert login.service is not None and login.store is not None

    window = MainWindow(login.store, school, PERIOD, sync_service=login.service, online=True)
    qtbot.addWidget(window)
    window.show()
    _idle(qtbot, window)  # the status pulled at login
    assert "在线" in window.windowTitle() and window.sync.indicator.text() == "● 在线"
    page = window.pages["students"]
    editor = page.editor
    assert page.panel.review_button.text() == "未上传"

    # 用户管理 keeps the 负责人 on the server too.
    window.sync.save_profile(Contact("黄老师", "13812345678"))
    _idle(qtbot, window)
    assert login.service.get_profile() == Contact("黄老师", "13812345678")

    # 导入, 效验数据, 上传数据.
    _import_students(editor, tmp_path / "students.xlsx", 6, monkeypatch)
    assert editor.model.rowCount() == 6
    window.validate_tables()
    qtbot.waitUntil(lambda: window.validation.results.validated, timeout=WAIT_MS)
    assert window.validation.results.counts("students")[0] == 0
    window.actions_by_id["upload"].trigger()
    assert window.sync.uploading == "students" and not window.actions_by_id["upload"].isEnabled()
    qtbot.waitUntil(lambda: window.sync.receipt_dialog is not None, timeout=WAIT_MS)
    receipt_dialog = window.sync.receipt_dialog
    assert receipt_dialog is not None
    assert receipt_dialog.revision_label.text() == "第1版" and receipt_dialog.receipt.row_count == 6
    assert len(receipt_dialog.digest_line.text()) >= 32
    receipt_dialog.accept()
    assert page.panel.review_button.text() == "待审核"
    assert window.sync.progress.isHidden()

    # The reviewer returns it with a comment on the third row's 身份证号.
    uids = list(editor.model.uids)
    reviewer.decide(
        school,
        "students",
        "return",
        "第3行身份证号与户口簿不一致，请核对",
        row_comments=[{"row_uid": uids[2], "column": "身份证号", "message": "与户口簿不一致"}],
    )
    window.actions_by_id["refresh_status"].trigger()
    _idle(qtbot, window)
    assert page.panel.review_button.text() == "退回重交"
    assert not page.banner.isHidden()
    assert "第3行身份证号与户口簿不一致，请核对" in page.banner.text_label.text()
    id_column = _column("students", "身份证号")
    mark = editor.model.mark(2, id_column)
    assert mark is not None and mark[0] == "error" and "审核意见：与户口簿不一致" in mark[1]
    listed = [(i.rule, i.row, i.column) for i in window.validation.panel.model.issues_shown()]
    assert (REVIEW_RULE, 3, "身份证号") in listed
    # The reviewer's words are not 效验数据's errors: counted on their own in the status panel.
    assert page.panel.issues_label.text().startswith("0 个错误，2 个警告，审核意见 1 条")

    # Fixed; 与上次上传相比 shows that one change; revision 2.
    assert editor.set_values([(2, _column("students", "班级"), "一(2)班")])
    window.actions_by_id["compare_upload"].trigger()
    qtbot.waitUntil(lambda: window.sync.diff_dialog is not None, timeout=WAIT_MS)
    diff_dialog = window.sync.diff_dialog
    assert diff_dialog is not None
    assert "新增 0 行，修改 1 行，删除 0 行" in diff_dialog.summary_label.text()
    assert diff_dialog.group_titles() == ["新增 0 行", "修改 1 行", "删除 0 行"]
    diff_dialog.accept()
    window.upload()
    qtbot.waitUntil(
        lambda: window.sync.receipt_dialog is not None and window.sync.receipt_dialog.receipt.revision == 2,
        timeout=WAIT_MS,
    )
    assert page.panel.review_button.text() == "待审核" and page.banner.isHidden()
    mark = editor.model.mark(2, id_column)
    assert mark is None or "审核意见" not in mark[1]

    # Approved: locked; an edit is refused with the lock message; no upload offered.
    reviewer.decide(school, "students", "approve")
    window.sync.refresh_status()
    _idle(qtbot, window)
    assert editor.read_only
    assert page.panel.review_button.text() == "审核通过" and not page.panel.review_button.isEnabled()
    assert not window.actions_by_id["upload"].isEnabled()
    assert not editor.set_values([(0, _column("students", "班级"), "二(1)班")])
    qtbot.waitUntil(lambda: LOCKED_MESSAGE in messages.texts(), timeout=5000)
    assert editor.model.value(0, _column("students", "班级")) != "二(1)班"

    # 撤销审核: editable again.
    reviewer.reopen(school, "students", "需补充一名转入学生")
    window.sync.poll()  # the timer's refresh
    _idle(qtbot, window)
    assert not editor.read_only and window.actions_by_id["upload"].isEnabled()
    assert page.panel.review_button.text() == "退回重交"
    assert "需补充一名转入学生" in page.banner.text_label.text()
    assert editor.set_values([(0, _column("students", "班级"), "二(1)班")])

    # 上传记录: both uploads, the first one exported as it was sent.
    window.actions_by_id["receipts"].trigger()
    qtbot.waitUntil(lambda: window.sync.receipts_dialog is not None, timeout=WAIT_MS)
    receipts_dialog = window.sync.receipts_dialog
    assert receipts_dialog is not None
    assert [r.revision for r in receipts_dialog.receipts] == [2, 1]
    target = tmp_path / "第1版.xlsx"
    window.sync.export_receipt(receipts_dialog.receipts[1], target)
    qtbot.waitUntil(target.exists, timeout=WAIT_MS)
    sheet = openpyxl.load_workbook(target, read_only=True).worksheets[0]
    sent = [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(row)]
    assert len(sent) == 6 and sent[2][_column("students", "班级")] != "一(2)班"
    receipts_dialog.reject()
    window.close()
    login.store.close()


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_failed_uploads_say_why_and_never_change_the_local_data(
    qtbot: QtBot,
    *,
    isolated_data_dir: Path,
    live_server: LiveServer,
    school: str,
    messages: _Messages,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    seed_account(isolated_data_dir, students=4, org=school)
    service = logged_in(isolated_data_dir, live_server.url, school)
    service.upload_table(PERIOD, "students")
    newcomer = generate(1, PERIOD, seed=77)  # added here, not uploaded: its aid rows fail on the server only
    with Store.for_account(school, isolated_data_dir) as store:
        store.insert_rows("students", PERIOD, newcomer.students)
        new_aid = set(store.insert_rows("aid", PERIOD, newcomer.aid))
    before = snapshot(isolated_data_dir, school)
    store = Store.for_account(school, isolated_data_dir)
    window = MainWindow(store, school, PERIOD, sync_service=service, online=True)
    qtbot.addWidget(window)
    window.show()
    _idle(qtbot, window)

    # 422: the server's findings land on the aid rows of the newcomer, in the issues panel.
    window.tabs.setCurrentWidget(window.pages["aid"])
    window.upload()
    qtbot.waitUntil(lambda: bool(messages.shown), timeout=WAIT_MS)
    kind, text = messages.shown.pop()
    assert kind == "warning" and "审核服务器效验发现" in text and "数据没有上传" in text
    server_found = [i for i in window.validation.panel.model.issues_shown() if i.table == "aid"]
    assert server_found and {i.row_uid for i in server_found} == new_aid
    aid_model = window.pages["aid"].editor.model
    columns = range(aid_model.columnCount())
    marked = {
        aid_model.row_uid(row)
        for row in range(aid_model.rowCount())
        if any((mark := aid_model.mark(row, c)) and mark[0] == "error" for c in columns)
    }
    assert marked == new_aid

    # 412: another PC of the school uploaded 在学状态表 since; this PC is told and shown the new status.
    other = SyncService(tmp_path / "other-pc", server_url=live_server.url, retry=FAST)
    assert other.login(school, NEW_PASSWORD).online
    seed_account(tmp_path / "other-pc", students=2, org=school, seed=9)
    other.refresh_status(PERIOD)
    assert other.upload_table(PERIOD, "students").revision == 2
    window.tabs.setCurrentWidget(window.pages["students"])
    window.upload()
    qtbot.waitUntil(lambda: bool(messages.shown), timeout=WAIT_MS)
    kind, text = messages.shown.pop()
    assert kind == "warning" and "第2版" in text and "本次没有上传" in text
    _idle(qtbot, window)
    assert "第2版" in window.pages["students"].panel.review_button.toolTip()

    # Local errors: refused before anything is sent; 查看错误 runs 效验数据.
    offered: list[str] = []

    def show_errors(_parent: object, text: str) -> bool:
        offered.append(text)
        return True

    monkeypatch.setattr(sync_controller, "ask_show_errors", show_errors)
    editor = window.pages["students"].editor
    id_column = _column("students", "身份证号")
    old_id = editor.model.value(0, id_column)
    assert editor.set_values([(0, id_column, "123")])
    window.upload()
    qtbot.waitUntil(lambda: bool(offered) and window.validation.results.validated, timeout=WAIT_MS)
    assert "在学状态表还有 1 个错误，不能上传" in offered[0]
    assert editor.model.mark(0, id_column) is not None
    assert editor.set_values([(0, id_column, old_id)])

    # The server is down: a clear message, 离线, the data as it was.
    dead = f"http://127.0.0.1:{free_port()}"
    TokenStore(isolated_data_dir).save(dead, school, StoredToken("a-token-from-before"))
    service.set_server_url(dead)
    window.upload()
    qtbot.waitUntil(lambda: bool(messages.shown), timeout=WAIT_MS)
    kind, text = messages.shown.pop()
    assert kind == "warning" and "无法连接审核服务器" in text and "数据已保存在本机" in text
    assert window.sync.indicator.text() == "● 离线" and "离线" in window.windowTitle()
    window.close()
    store.close()
    assert snapshot(isolated_data_dir, school) == before
