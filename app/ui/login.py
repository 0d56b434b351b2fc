"""The login window (offline part) and the 用户管理 dialog."""

from __future__ import annotations

import logging
from pathlib import Path

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

log = logging.getLogger(__name__)
LAST_ORG_KEY = "login/last_org_code"


class LoginDialog(QDialog):
    """机构码 + 密码. The first login on this PC creates the account's local data file."""

    def __init__(
        self, data_dir: Path | None = None, org_code: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("资助通 — 登录")
        self._data_dir = data_dir
        self.store: Store | None = None
        self.org_code = ""
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
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("登录")
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
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


class UserDialog(QDialog):
    """用户管理: the 负责人's name and phone (kept locally; sent to the server once connected)."""

    def __init__(self, store: Store, org_code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("用户管理")
        self._store = store
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
        self.accept()
