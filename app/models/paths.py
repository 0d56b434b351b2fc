"""Where the user's data lives: one folder per school account in the per-user data folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

APP_NAME = "zizhutong"
STORE_FILE = "zizhu.sqlite3"
DATA_DIR_ENV = "ZIZHU_DATA_DIR"
LOCAL_ACCOUNT = "local"
_ACCOUNT_NAME = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


def user_data_dir() -> Path:
    """The per-user data folder (%LOCALAPPDATA%\\zizhutong on Windows); ZIZHU_DATA_DIR overrides it."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def account_dir(org_code: str, data_dir: Path | None = None) -> Path:
    """The folder of one school account (its 机构码); never the install folder."""
    if not _ACCOUNT_NAME.match(org_code):
        raise ValueError(f"机构码“{org_code}”只能由数字和字母组成。")
    return (data_dir or user_data_dir()) / "accounts" / org_code


def store_path(org_code: str, data_dir: Path | None = None) -> Path:
    return account_dir(org_code, data_dir) / STORE_FILE


def log_dir(data_dir: Path | None = None) -> Path:
    return (data_dir or user_data_dir()) / "logs"
