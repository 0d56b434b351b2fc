"""The school account on this PC: offline login check and the 负责人's contact details.

The password is kept only as a salted scrypt hash in the account's own store, so the last account
that logged in can log in again while the server cannot be reached.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from app.models.paths import store_path
from app.models.store import Store

ORG_CODE = re.compile(r"^\d{10}$")
_HASH_KEY = "offline_password"
_NAME_KEY = "contact_name"
_PHONE_KEY = "contact_phone"
# scrypt cost: ~50 ms on an office PC, memory-hard like the server's argon2.
_N, _R, _P = 2**14, 8, 1
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class AccountError(ValueError):
    """A login or profile input the user must correct; the message is for the user."""


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


def check_org_code(org_code: str) -> str:
    code = org_code.strip()
    if not ORG_CODE.match(code):
        raise AccountError("机构码应为10位数字（学校标识码），请核对。")
    return code


def account_exists(org_code: str, data_dir: Path | None = None) -> bool:
    return store_path(org_code, data_dir).is_file()


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024)


def set_offline_password(store: Store, password: str) -> None:
    salt = secrets.token_bytes(16)
    store.set_meta(_HASH_KEY, f"{salt.hex()}${_hash(password, salt).hex()}")


def check_offline_password(store: Store, password: str) -> bool:
    """True when ``password`` is the one of the last login on this PC (or none was kept yet)."""
    kept = store.get_meta(_HASH_KEY)
    if kept is None:
        return True
    salt_hex, _, digest_hex = kept.partition("$")
    return hmac.compare_digest(_hash(password, bytes.fromhex(salt_hex)).hex(), digest_hex)


def login_offline(store: Store, password: str) -> bool:
    """Check ``password`` against the kept one; the first login of an account keeps it."""
    if store.get_meta(_HASH_KEY) is None:
        set_offline_password(store, password)
        return True
    return check_offline_password(store, password)


def get_contact(store: Store) -> Contact:
    return Contact(store.get_meta(_NAME_KEY) or "", store.get_meta(_PHONE_KEY) or "")


def set_contact(store: Store, contact: Contact) -> None:
    name, phone = contact.name.strip(), contact.phone.strip().replace(" ", "")
    if not name:
        raise AccountError("请填写负责人姓名。")
    if len(name) > 30:
        raise AccountError("负责人姓名不能超过30个字。")
    if not _PHONE.match(phone):
        raise AccountError('联系电话格式错误：手机号为11位，座机为"区号-号码"。')
    store.set_meta(_NAME_KEY, name)
    store.set_meta(_PHONE_KEY, phone)
