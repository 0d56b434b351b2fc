"""The login window (online against the review server, offline as the fallback) and the 用户管理 dialog."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
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

from app.models.account import (
    AccountError,
    Contact,
    account_exists,
    check_org_code,
    get_contact,
    login_offline,
    set_contact,
)
from app.models.errors import StoreError
from app.models.store import Store
from app.sync.errors import SyncError
from app.sync.settings import server_url as configured_server_url
from app.ui.account_dialogs import OnlineLogin, ask_server_url, save_server_url, show_failure

if TYPE_CHECKING:
    from app.sync.service import LoginResult, SyncService

log = logging.getLogger(__name__)
LAST_ORG_KEY = "login/last_org_code"


class LoginDialog(QDialog):
    """机构码 + 密码. The first login on this PC creates the account's local data file.

    With a review server set up the login goes there first (:class:`OnlineLogin`, the forced password
    change included) and falls back to the offline login when the server cannot be reached;
    ``login_result`` then tells the window whether it is 在线 or 离线. Without a server only the
    offline login exists (``login_result`` stays None).
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        org_code: str = "",
        parent: QWidget | None = None,
        *,
        service: SyncService | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("资助通 — 登录")
        self._data_dir = data_dir
        self.store: Store | None = None
        self.org_code = ""
        self.service = service
        self.login_result: LoginResult | None = None
        self._online: OnlineLogin | None = None
        self.org_edit = QLineEdit(org_code or str(QSettings().value(LAST_ORG_KEY, "") or ""), self)
        self.org_edit.setObjectName("org_code")
        self.org_edit.setPlaceholderText("10位学校标识码")
        self.org_edit.setMaxLength(10)
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.mode_label = QLabel("离线登录：数据保存在本机，连接审核服务器后再上传。", self)
        self.mode_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("机构码：", self.org_edit)
        form.addRow("密码：", self.password_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.login_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.login_button.setText("登录")
        settings_button = buttons.addButton("服务器设置…", QDialogButtonBox.ButtonRole.ActionRole)
        settings_button.setObjectName("server_settings")
        settings_button.clicked.connect(self.edit_server_address)
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        self._show_mode()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.mode_label)
        layout.addWidget(buttons)
        (self.password_edit if self.org_edit.text() else self.org_edit).setFocus()

    def try_login(self) -> None:
        try:
            org_code = check_org_code(self.org_edit.text())
        except AccountError as exc:
            QMessageBox.warning(self, "无法登录", str(exc))
            return
        password = self.password_edit.text()
        if not password:
            QMessageBox.warning(self, "无法登录", "请输入密码。")
            return
        if self.server_url():
            self._login_online(org_code, password)
            return
        first_use = not account_exists(org_code, self._data_dir)
        try:
            store = Store.for_account(org_code, self._data_dir)
        except StoreError as exc:
            QMessageBox.critical(self, "无法打开数据文件", exc.user_message)
            return
        try:
            if not login_offline(store, password):
                store.close()
                QMessageBox.warning(self, "无法登录", "密码错误。离线登录需使用本机上次登录成功时的密码。")
                return
        except StoreError as exc:
            store.close()
            QMessageBox.critical(self, "无法打开数据文件", exc.user_message)
            return
        log.info("offline login of %s (first use on this PC: %s)", org_code, first_use)
        QSettings().setValue(LAST_ORG_KEY, org_code)
        self.store, self.org_code = store, org_code
        self.accept()

    # -- the review server --------------------------------------------------------------------------

    def server_url(self) -> str:
        """The review server the login goes to ("" when none is set up: offline only)."""
        if self.service is not None:
            return self.service.server_url
        return configured_server_url(self._data_dir)

    def _show_mode(self) -> None:
        url = self.server_url()
        if url:
            text = f"审核服务器：{url}\n连不上服务器时，可用本机上次登录成功的密码离线登录（显示“离线”）。"
        else:
            text = "未设置审核服务器，只能离线登录：数据保存在本机。上传前请先点“服务器设置”填写服务器地址。"
        self.mode_label.setText(text)

    def edit_server_address(self) -> None:
        """服务器设置 from the login window."""
        url = ask_server_url(self, self.server_url())
        if url is None:
            return
        try:
            if self.service is not None:
                self.service.set_server_url(url)
            else:
                save_server_url(url, self._data_dir)
        except (SyncError, OSError) as exc:
            show_failure(self, "服务器设置", exc)
            return
        self._show_mode()

    def _login_online(self, org_code: str, password: str) -> None:
        if self._online is None:
            self._online = OnlineLogin(self, self._data_dir, self.service)
            self._online.succeeded.connect(self._online_succeeded)
            self._online.ended.connect(lambda: self._set_busy(False))
        self._set_busy(True)
        self._online.start(org_code, password)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.login_button, self.org_edit, self.password_edit):
            widget.setEnabled(not busy)
        if busy:
            self.mode_label.setText("正在连接审核服务器……")
        else:
            self._show_mode()

    def _online_succeeded(self, result: LoginResult) -> None:
        assert self._online is not None
        self.service = self._online.service
        try:
            store = Store.for_account(result.org_code, self._data_dir)
        except StoreError as exc:
            self._set_busy(False)
            QMessageBox.critical(self, "无法打开数据文件", exc.user_message)
            return
        log.info("login of %s (%s)", result.org_code, result.mode_label)
        QSettings().setValue(LAST_ORG_KEY, result.org_code)
        self.store, self.org_code, self.login_result = store, result.org_code, result
        self.accept()


class UserDialog(QDialog):
    """用户管理: the 负责人's name and phone (kept locally, and on the server through ``save_online``).

    ``change_password`` (with a review server) offers 修改密码.
    """

    def __init__(
        self,
        store: Store,
        org_code: str,
        parent: QWidget | None = None,
        *,
        save_online: Callable[[Contact], None] | None = None,
        change_password: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("用户管理")
        self._store = store
        self._save_online = save_online
        contact = get_contact(store)
        self.name_edit = QLineEdit(contact.name, self)
        self.name_edit.setObjectName("contact_name")
        self.phone_edit = QLineEdit(contact.phone, self)
        self.phone_edit.setObjectName("contact_phone")
        self.phone_edit.setPlaceholderText("手机号，或 区号-号码")
        form = QFormLayout()
        form.addRow("机构码：", QLabel(org_code, self))
        form.addRow("负责人姓名：", self.name_edit)
        form.addRow("联系电话：", self.phone_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if change_password is not None:
            password_button = buttons.addButton("修改密码…", QDialogButtonBox.ButtonRole.ActionRole)
            password_button.setObjectName("change_password")
            password_button.clicked.connect(change_password)
        else:
            layout.addWidget(QLabel("修改密码需要连接审核服务器。", self))
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            set_contact(self._store, Contact(self.name_edit.text(), self.phone_edit.text()))
        except AccountError as exc:
            QMessageBox.warning(self, "无法保存", str(exc))
            return
        except StoreError as exc:
            QMessageBox.critical(self, "无法保存", exc.user_message)
            return
        if self._save_online is not None:
            self._save_online(get_contact(self._store))
        self.accept()
