"""The login window's online half without a live server: password rules, server address, 离线 fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.models.account import Contact, set_offline_password
from app.models.store import Store
from app.sync.client import RetryPolicy
from app.sync.service import SyncService
from app.sync.settings import load_settings
from app.ui import login as login_module
from app.ui.account_dialogs import PasswordDialog, ServerSettingsDialog
from app.ui.login import LoginDialog, UserDialog
from app.ui.main import open_account, parse_args
from app.ui.main_window import MainWindow
from tests.server.live import free_port

ORG = "4500000001"
QUICK = RetryPolicy(retries=1, connect_retries=1, backoff_factor=0.01)


def _ok(dialog: PasswordDialog) -> QPushButton:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert button is not None
    return button


def test_the_forced_password_change_enforces_the_servers_rules_in_chinese(qtbot: QtBot) -> None:
    dialog = PasswordDialog(ORG, old_password="aabbcc")
    qtbot.addWidget(dialog)
    assert dialog.old_edit.isHidden() and not _ok(dialog).isEnabled()

    for new, problem in (
        ("abc12", "新密码至少要有8位。"),
        (ORG, "新密码不能与机构码相同。"),
        (" Guangxi-2026", "新密码的开头和结尾不能是空格。"),
    ):
        dialog.new_edit.setText(new)
        dialog.confirm_edit.setText(new)
        assert dialog.problem_label.text() == problem and not _ok(dialog).isEnabled()
    dialog.new_edit.setText("Guangxi-2026")
    dialog.confirm_edit.setText("Guangxi-2025")
    assert dialog.problem_label.text() == "两次输入的新密码不一致。" and not _ok(dialog).isEnabled()
    dialog.confirm_edit.setText("Guangxi-2026")
    assert dialog.problem_label.text() == "" and _ok(dialog).isEnabled()
    change = dialog.change()
    assert (change.old_password, change.new_password) == ("aabbcc", "Guangxi-2026")


def test_the_voluntary_password_change_asks_for_the_old_password(qtbot: QtBot) -> None:
    dialog = PasswordDialog(ORG)
    qtbot.addWidget(dialog)
    dialog.new_edit.setText("Guangxi-2026")
    dialog.confirm_edit.setText("Guangxi-2026")
    assert dialog.problem() == "请输入原密码。" and not _ok(dialog).isEnabled()
    dialog.old_edit.setText("Old-pass-1")
    assert _ok(dialog).isEnabled() and dialog.change().old_password == "Old-pass-1"


def test_the_server_address_must_be_an_http_address(qtbot: QtBot) -> None:
    dialog = ServerSettingsDialog("")
    qtbot.addWidget(dialog)
    dialog.address_edit.setText("zizhu.example.gov.cn")
    dialog.try_accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "审核服务器地址无效" in dialog.error_label.text()
    dialog.address_edit.setText(" http://127.0.0.1:8765/ ")
    dialog.try_accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.url == "http://127.0.0.1:8765"


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_an_unreachable_server_falls_back_to_the_offline_login_shown_as_offline(
    qtbot: QtBot, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.for_account(ORG, isolated_data_dir) as earlier:
        set_offline_password(earlier, "Benji-2026")  # this account logged in on this PC before
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(login_module, "ask_server_url", lambda _parent, _current: dead)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))

    login = LoginDialog(isolated_data_dir, ORG, service=SyncService(isolated_data_dir, retry=QUICK))
    qtbot.addWidget(login)
    assert "未设置审核服务器" in login.mode_label.text()
    login.edit_server_address()  # 服务器设置 in the login window
    assert load_settings(isolated_data_dir).server_url == dead and dead in login.mode_label.text()

    login.password_edit.setText("wrong-password")
    login.try_login()
    qtbot.waitUntil(lambda: bool(warnings) and login.login_button.isEnabled(), timeout=20_000)
    assert warnings == ["密码错误。离线登录需使用本机上次登录成功时的密码。"]
    login.password_edit.setText("Benji-2026")
    login.try_login()
    qtbot.waitUntil(lambda: login.result() == QDialog.DialogCode.Accepted, timeout=20_000)
    result, service, store = login.login_result, login.service, login.store
    assert result is not None and not result.online and "无法连接审核服务器" in result.offline_reason
    assert service is not None and store is not None

    window = MainWindow(store, ORG, sync_service=service, offline_reason=result.offline_reason)
    qtbot.addWidget(window)
    window.show()
    assert window.sync.indicator.text() == "● 离线" and "离线" in window.windowTitle()
    assert "无法连接审核服务器" in window.sync.indicator.toolTip()
    window.close()
    store.close()


def test_a_first_login_needs_the_server(
    qtbot: QtBot, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZIZHU_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    login = LoginDialog(isolated_data_dir, ORG)
    qtbot.addWidget(login)
    login.password_edit.setText("aabbcc")
    login.try_login()
    qtbot.waitUntil(lambda: bool(warnings), timeout=20_000)
    assert "第一次使用必须联网登录" in warnings[0]
    assert login.store is None and login.login_button.isEnabled()


def test_user_management_sends_the_contact_to_the_server_and_offers_the_password_change(
    qtbot: QtBot, tmp_path: Path
) -> None:
    sent: list[Contact] = []
    password_asked: list[bool] = []
    with Store.open(tmp_path / "store.sqlite3") as store:
        dialog = UserDialog(
            store, ORG, save_online=sent.append, change_password=lambda: password_asked.append(True)
        )
        qtbot.addWidget(dialog)
        button = dialog.findChild(QPushButton, "change_password")
        assert button is not None
        button.click()
        dialog.name_edit.setText(" 黄老师 ")
        dialog.phone_edit.setText("138 1234 5678")
        dialog.save()
    assert sent == [Contact("黄老师", "13812345678")] and password_asked == [True]


def test_the_login_windows_outcome_reaches_the_main_window(
    qtbot: QtBot, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.for_account(ORG, isolated_data_dir) as earlier:
        set_offline_password(earlier, "Benji-2026")
    monkeypatch.setenv("ZIZHU_SERVER_URL", f"http://127.0.0.1:{free_port()}")

    def log_in(dialog: LoginDialog) -> int:
        qtbot.addWidget(dialog)
        dialog.password_edit.setText("Benji-2026")
        dialog.try_login()
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=20_000)
        return int(dialog.result())

    monkeypatch.setattr(LoginDialog, "exec", log_in)
    opened = open_account(parse_args(["--org-code", ORG, "--data-dir", str(isolated_data_dir)]))
    assert opened is not None
    try:
        assert opened.org_code == ORG and not opened.online
        assert "无法连接审核服务器" in opened.offline_reason
        assert opened.service.org_code == ORG and opened.service.server_url.startswith("http://127.0.0.1:")
    finally:
        opened.store.close()
