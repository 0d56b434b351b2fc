"""The account's dialogs around the review server: server address, password change, the online login.

- :class:`ServerSettingsDialog` (服务器设置, from the login window and from 管理项目).
- :class:`PasswordDialog`: the forced change at the first login (old password known) and the
  voluntary one of 用户管理; it checks the server's rules while the user types, in Chinese.
- :class:`OnlineLogin`: ``SyncService.login`` off the GUI thread, then the forced password change;
  an unreachable server falls back to the offline login inside the service (``result.online`` False).

The heavy sync modules (requests, the store) are imported only when a login or a check needs them,
so the login window keeps opening fast.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.models.account import AccountError
from app.models.errors import StoreError
from app.sync.errors import PasswordRuleError, ServerAddressError, SyncError
from app.sync.settings import SERVER_URL_ENV, load_settings, normalize_server_url, save_settings
from app.ui.sync_runner import SyncRunner

if TYPE_CHECKING:
    from app.sync.service import LoginResult, SyncService

log = logging.getLogger(__name__)

ADDRESS_HINT = "例如 https://zizhu.example.gov.cn 或 http://192.168.1.10:8765"
RULES_TEXT = "新密码至少8位，不能是初始密码 aabbcc，也不能与机构码相同。"
_ERROR_STYLE = "color: #b00020;"


# ---------------------------------------------------------------- 服务器设置


class ServerSettingsDialog(QDialog):
    """The review server's address; OK only with an http(s) address (normalized in ``url``)."""

    def __init__(self, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("服务器设置")
        self.url = ""
        self.address_edit = QLineEdit(current, self)
        self.address_edit.setObjectName("server_address")
        self.address_edit.setPlaceholderText(ADDRESS_HINT)
        self.address_edit.setMinimumWidth(360)
        self.error_label = QLabel("", self)
        self.error_label.setObjectName("server_address_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(_ERROR_STYLE)
        form = QFormLayout()
        form.addRow("审核服务器地址：", self.address_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        note = QLabel(f"由上级资助中心提供。{ADDRESS_HINT}。", self)
        note.setWordWrap(True)
        layout.addWidget(note)
        if os.environ.get(SERVER_URL_ENV):
            layout.addWidget(
                QLabel("注意：本次运行的服务器地址由启动参数指定，修改在下次正常启动后生效。", self)
            )
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def try_accept(self) -> None:
        try:
            self.url = normalize_server_url(self.address_edit.text())
        except ServerAddressError as exc:
            self.error_label.setText(exc.user_message)
            return
        self.accept()


def ask_server_url(parent: QWidget | None, current: str) -> str | None:
    """Ask for the review server's address; the normalized address, or None when cancelled."""
    dialog = ServerSettingsDialog(current, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.url


def save_server_url(url: str, data_dir: Path | None) -> None:
    """Keep the address in this PC's sync settings (the last account stays remembered)."""
    from app.sync.settings import SyncSettings

    settings = load_settings(data_dir)
    save_settings(SyncSettings(url, settings.last_org_code), data_dir)


# ---------------------------------------------------------------- 修改密码


@dataclass(frozen=True)
class PasswordChange:
    old_password: str
    new_password: str


def password_problem(org_code: str, new: str, confirm: str) -> str:
    """Why the new password cannot be used yet ("" when it can): the server's rules, then the repeat."""
    from app.sync.service import check_new_password

    if not new:
        return "请输入新密码。"
    try:
        check_new_password(org_code, new)
    except SyncError as exc:
        return exc.user_message
    if new != confirm:
        return "两次输入的新密码不一致。"
    return ""


class PasswordDialog(QDialog):
    """修改密码. With ``old_password`` (the forced first change) only the new password is asked."""

    def __init__(self, org_code: str, old_password: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.forced = old_password is not None
        self.setWindowTitle("首次登录：修改密码" if self.forced else "修改密码")
        self._org_code = org_code
        self._old = old_password
        self.old_edit = QLineEdit(self)
        self.old_edit.setObjectName("old_password")
        self.new_edit = QLineEdit(self)
        self.new_edit.setObjectName("new_password")
        self.confirm_edit = QLineEdit(self)
        self.confirm_edit.setObjectName("confirm_password")
        for edit in (self.old_edit, self.new_edit, self.confirm_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textChanged.connect(self._check)
        self.problem_label = QLabel("", self)
        self.problem_label.setObjectName("password_problem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(_ERROR_STYLE)
        form = QFormLayout()
        if self.forced:
            self.old_edit.hide()  # the password just typed in the login window
        else:
            form.addRow("原密码：", self.old_edit)
        form.addRow("新密码：", self.new_edit)
        form.addRow("再输一次：", self.confirm_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("修改密码")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        intro = (
            "这是本账户第一次联网登录，必须先把初始密码改为新密码，才能上传数据和查看审核状态。"
            if self.forced
            else f"机构码 {org_code} 的密码将在审核服务器上修改。"
        )
        layout = QVBoxLayout(self)
        for text in (intro, RULES_TEXT):
            label = QLabel(text, self)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        (self.new_edit if self.forced else self.old_edit).setFocus()
        self._check()

    def problem(self) -> str:
        """What keeps the OK button disabled ("" when the passwords can be sent)."""
        if not self.forced and not self.old_edit.text():
            return "请输入原密码。"
        return password_problem(self._org_code, self.new_edit.text(), self.confirm_edit.text())

    def _check(self) -> None:
        problem = self.problem()
        # Nothing typed yet is not an error to shout about; the button stays disabled all the same.
        quiet = not self.new_edit.text() and not self.confirm_edit.text()
        self.problem_label.setText("" if quiet else problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def change(self) -> PasswordChange:
        old = self._old if self._old is not None else self.old_edit.text()
        return PasswordChange(old, self.new_edit.text())


def ask_password_change(
    parent: QWidget | None, org_code: str, old_password: str | None = None
) -> PasswordChange | None:
    """The old and new password, or None when the user cancelled (tests replace this function)."""
    dialog = PasswordDialog(org_code, old_password, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.change()


# ---------------------------------------------------------------- the online login


def show_failure(parent: QWidget | None, title: str, error: BaseException) -> None:
    """Tell the user why a login or account call failed, in plain Chinese (never the exception text)."""
    if isinstance(error, SyncError):
        QMessageBox.warning(parent, title, error.user_message)
    elif isinstance(error, AccountError):
        QMessageBox.warning(parent, title, str(error))
    elif isinstance(error, StoreError):
        QMessageBox.critical(parent, title, error.user_message)
    else:
        log.error("%s: unexpected failure", title, exc_info=error)
        QMessageBox.critical(parent, title, "操作没有完成。错误详情已记录在日志文件中，请联系技术支持。")


class OnlineLogin(QObject):
    """机构码 + password against the review server, off the GUI thread, with the forced password change."""

    succeeded = Signal(object)  # LoginResult (online, or offline when the server could not be reached)
    ended = Signal()  # failed or cancelled: the login window takes input again

    def __init__(self, parent: QWidget, data_dir: Path | None, service: SyncService | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._data_dir = data_dir
        self.service = service
        self.runner = SyncRunner(self)

    def start(self, org_code: str, password: str) -> None:
        """Log in; ``succeeded`` or ``ended`` follows on the GUI thread."""
        self.runner.submit(
            lambda: self._service().login(org_code, password),
            lambda result: self._logged_in(org_code, password, result),
            self._failed,
        )

    def _service(self) -> SyncService:
        if self.service is None:
            from app.sync.service import SyncService

            self.service = SyncService(self._data_dir)
        return self.service

    def _logged_in(self, org_code: str, password: str, result: LoginResult) -> None:
        if not (result.online and result.must_change_password):
            self.succeeded.emit(result)
            return
        change = ask_password_change(self._parent, org_code, password)
        if change is None:
            QMessageBox.information(
                self._parent, "没有登录", "首次登录必须修改密码。没有修改密码，本次没有登录。"
            )
            self.ended.emit()
            return
        service = self._service()
        self.runner.submit(
            lambda: service.change_password(change.old_password, change.new_password),
            self.succeeded.emit,
            lambda error: self._change_failed(org_code, password, result, error),
        )

    def _change_failed(self, org_code: str, password: str, result: LoginResult, error: BaseException) -> None:
        show_failure(self._parent, "密码没有修改", error)
        if isinstance(error, PasswordRuleError):
            self._logged_in(org_code, password, result)  # the server's rules refused it: ask again
            return
        self.ended.emit()

    def _failed(self, error: BaseException) -> None:
        show_failure(self._parent, "无法登录", error)
        self.ended.emit()


def run_password_change(
    parent: QWidget, runner: SyncRunner, service: SyncService, org_code: str, done: Callable[[], None]
) -> None:
    """用户管理 › 修改密码: ask, then change on the server off the GUI thread and say how it went."""
    change = ask_password_change(parent, org_code)
    if change is None:
        return

    def changed(_result: object) -> None:
        QMessageBox.information(parent, "修改密码", "密码已修改。下次登录（包括离线登录）请使用新密码。")
        done()

    runner.submit(
        lambda: service.change_password(change.old_password, change.new_password),
        changed,
        lambda error: show_failure(parent, "密码没有修改", error),
    )
