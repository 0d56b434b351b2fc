"""Typed errors of the local store, each with a fixed message the clerk can act on.

Errors caused by the environment (full disk, read-only or locked file, damaged file, a file from a
newer version) get their own class; anything else the database reports is a bug and becomes the base
:class:`StoreError` with a generic message, the original exception chained for the log.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import ClassVar


class StoreError(Exception):
    """A failure of the local store; ``user_message`` is the plain-Chinese text to show the user."""

    user_message: ClassVar[str] = (
        "数据文件操作失败，刚才的修改没有保存。请关闭并重新启动资助通后重试；如果问题仍然存在，请联系技术支持。"
    )

    def __init__(self, detail: str = "") -> None:
        # The detail is for the log (it may be an English database message); the UI shows user_message.
        super().__init__(self.user_message if not detail else f"{self.user_message}（{detail}）")
        self.detail = detail


class StorageFullError(StoreError):
    """The disk (or the database size limit) is full; the failed change was rolled back."""

    user_message = "磁盘空间已满，刚才的修改没有保存。请清理磁盘后重试，已保存的数据不受影响。"


class StoreReadOnlyError(StoreError):
    """The data file or its folder cannot be written to."""

    user_message = (
        "数据文件是只读的，刚才的修改没有保存。请检查数据文件夹是否允许写入（不要放在只读的U盘或光盘上），"
        "然后重新启动资助通。已保存的数据不受影响。"
    )


class StoreLockedError(StoreError):
    """Another program or another 资助通 window holds a lock on the data file."""

    user_message = (
        "数据文件正被另一个程序使用（可能已经打开了另一个资助通窗口），刚才的操作没有完成。"
        "请关闭其他资助通窗口或正在使用该文件的程序后重试。"
    )


class StoreCorruptError(StoreError):
    """The file is damaged, or is not a 资助通 data file at all."""

    user_message = (
        "数据文件已损坏，或者不是资助通的数据文件，无法打开。请不要删除该文件，"
        "并联系技术支持；如有备份，可以从备份恢复。"
    )


class NewerSchemaError(StoreError):
    """The file was written by a newer version of 资助通; it was left untouched."""

    user_message = (
        "这个数据文件是由更新版本的资助通创建的，当前版本无法打开。请安装最新版本的资助通后再打开；"
        "该文件没有被修改。"
    )


class StoreOpenError(StoreError):
    """The data file or its folder cannot be created or opened."""

    user_message = "无法创建或打开数据文件。请检查数据文件夹是否存在、是否有权限写入，然后重新启动资助通。"


class StoreIOError(StoreError):
    """The disk reported a read or write failure."""

    user_message = (
        "读写数据文件时磁盘出错，刚才的修改没有保存。请检查磁盘（或U盘）是否正常连接，"
        "然后重新启动资助通。已保存的数据不受影响。"
    )


# Primary result codes (the low byte of extended codes) of the errors the environment causes.
_BY_SQLITE_CODE: dict[int, type[StoreError]] = {
    sqlite3.SQLITE_FULL: StorageFullError,
    sqlite3.SQLITE_READONLY: StoreReadOnlyError,
    sqlite3.SQLITE_BUSY: StoreLockedError,
    sqlite3.SQLITE_LOCKED: StoreLockedError,
    sqlite3.SQLITE_CORRUPT: StoreCorruptError,
    sqlite3.SQLITE_NOTADB: StoreCorruptError,
    sqlite3.SQLITE_CANTOPEN: StoreOpenError,
    sqlite3.SQLITE_PERM: StoreOpenError,
    sqlite3.SQLITE_IOERR: StoreIOError,
}

_BY_ERRNO: dict[int, type[StoreError]] = {
    errno.ENOSPC: StorageFullError,
    getattr(errno, "EDQUOT", errno.ENOSPC): StorageFullError,
    errno.EROFS: StoreReadOnlyError,
}


def _sqlite_cause(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 exception behind ``exc`` (SQLAlchemy keeps the DBAPI exception in ``.orig``)."""
    if isinstance(exc, sqlite3.Error):
        return exc
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, sqlite3.Error) else None


def classify(exc: BaseException) -> StoreError | None:
    """The typed error for a database or file-system exception, or None if ``exc`` is neither.

    SQLite errors are classified by their result code, never by the English message text; a database
    error with no known cause becomes the generic :class:`StoreError`.
    """
    if isinstance(exc, StoreError):
        return exc
    cause = _sqlite_cause(exc)
    if cause is not None:
        code = getattr(cause, "sqlite_errorcode", None)
        name = getattr(cause, "sqlite_errorname", None) or type(cause).__name__
        error_type = _BY_SQLITE_CODE.get(code & 0xFF, StoreError) if isinstance(code, int) else StoreError
        return error_type(f"{name}: {cause}")
    if isinstance(exc, OSError):
        error_type = _BY_ERRNO.get(exc.errno or 0, StoreOpenError)
        return error_type(f"{type(exc).__name__}: {exc}")
    return None
