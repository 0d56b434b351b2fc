"""Typed errors of the sync with the review server, one class per cause the user must act on.

Every class carries a fixed plain-Chinese ``user_message`` for the UI and the CLI (a few fill in a
number: the minutes to wait, the count of errors). ``detail`` is for the log only: it may hold an
English text of the HTTP library or of the server. A failed upload never changed the local data, and
the messages of network and server failures say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.validation.report import Issue

LOCAL_DATA_KEPT = "数据已保存在本机，可稍后重新上传"
LOCKED_MESSAGE = "本表已审核通过，数据已锁定，如需修改请联系上级撤销审核"


class SyncError(Exception):
    """A failure of a request to the review server; ``user_message`` is the text to show."""

    user_message: str = "与审核服务器通信失败，请稍后重试。" + LOCAL_DATA_KEPT + "。"

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(self.user_message if not detail else f"{self.user_message}（{detail}）")
        self.detail = detail


# ---------------------------------------------------------------- the network


class ConnectionFailedError(SyncError):
    """The request or its answer was lost on the network (after every retry)."""

    user_message = f"网络连接失败，{LOCAL_DATA_KEPT}。"


class OfflineError(ConnectionFailedError):
    """The server could not be reached at all (no network, wrong address, server not running)."""

    user_message = f"无法连接审核服务器（网络不通，或服务器地址有误、服务器未开启），{LOCAL_DATA_KEPT}。"


class ServerError(SyncError):
    """The server kept answering 5xx (after every retry), or answered something unreadable."""

    user_message = f"审核服务器暂时出现故障，{LOCAL_DATA_KEPT}。如果一直如此，请联系上级资助中心。"


class ServerAddressError(SyncError):
    """No server address is configured, or it is not an http(s) address."""

    user_message = (
        "审核服务器地址无效，应写成“https://服务器名称”或“http://地址:端口”的形式，请在设置中填写。"
    )


# ---------------------------------------------------------------- the account


class LoginFailedError(SyncError):
    """401 at login: wrong 机构码 or password."""

    user_message = "机构码或密码错误，请核对后重新输入。"


class AuthExpiredError(SyncError):
    """401 on any other request: the token expired or was revoked; log in again."""

    user_message = "登录已过期，请重新联网登录后再试。"


class NotLoggedInError(AuthExpiredError):
    """No token on this PC for this account and server: the user must log in online first."""

    user_message = "还没有联网登录审核服务器，请先联网登录后再试。"


class PasswordChangeRequiredError(SyncError):
    """403: the server refuses everything but the password change after the first login."""

    user_message = "首次登录必须先修改密码，修改后才能上传数据或查看审核状态。"


class ForbiddenError(SyncError):
    """403 for any other reason: this account may not do that."""

    user_message = "当前账户没有权限进行此操作。"


class PasswordRuleError(SyncError):
    """A new password the server's rules refuse (checked locally first, or answered by the server)."""

    user_message = "新密码不符合要求：至少8位，不能是初始密码 aabbcc，也不能与机构码相同。"


class WrongPasswordError(SyncError):
    """The old password given for a password change is wrong."""

    user_message = "原密码错误，密码没有修改。"


class ThrottledError(SyncError):
    """429: too many attempts; the server says when to try again."""

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        minutes = math.ceil(retry_after / 60) if retry_after else 0
        wait = f"请 {minutes} 分钟后再试" if minutes else "请稍后再试"
        super().__init__(detail, user_message=f"尝试次数过多，服务器暂时拒绝了请求，{wait}。")


# ---------------------------------------------------------------- uploads


@dataclass(frozen=True)
class RowError:
    """One finding of the server's validation of an upload (422)."""

    row_uid: str
    row: int
    column: str
    rule: str
    severity: str
    message: str

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RowError:
        return cls(
            row_uid=str(raw.get("row_uid") or ""),
            row=_int(raw.get("row")),
            column=str(raw.get("column") or ""),
            rule=str(raw.get("rule") or ""),
            severity=str(raw.get("severity") or "error"),
            message=str(raw.get("message") or ""),
        )

    def as_issue(self, table: str) -> Issue:
        """The finding in the shape of the local validation, for the issues panel."""
        severity = self.severity if self.severity in ("error", "warning", "notice") else "error"
        return Issue(table, self.row, self.column, self.rule, severity, self.message, self.row_uid or None)  # type: ignore[arg-type]


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0


class ServerRejectedError(SyncError):
    """422: the server's validation found errors (nothing was stored), or it refused the request."""

    def __init__(self, detail: str = "", *, errors: Sequence[RowError] = ()) -> None:
        self.errors = list(errors)
        if self.errors:
            message = (
                f"审核服务器效验发现 {len(self.errors)} 个错误，数据没有上传。"
                "请在问题列表中查看并改正后重新上传。"
            )
        else:
            message = "审核服务器拒绝了这次上传，数据没有上传。请重新上传；如果一直如此，请联系上级资助中心。"
        super().__init__(detail, user_message=message)


class ConflictError(SyncError):
    """409: the submission cannot take an upload now."""

    user_message = "审核服务器正在处理本表的上一次上传，请稍后再试。"


class ApprovedError(ConflictError):
    """409 ``approved`` (or the table is known to be approved): the table is locked."""

    user_message = LOCKED_MESSAGE + "。"


class RevisionMismatchError(SyncError):
    """412: someone uploaded this table since this PC last saw it (another PC of the school)."""

    def __init__(self, detail: str = "", *, current_revision: int | None = None) -> None:
        self.current_revision = current_revision
        which = f"第{current_revision}版" if current_revision else "更新的版本"
        super().__init__(
            detail,
            user_message=(
                f"审核服务器上的本表已有{which}（可能是在另一台电脑上传的），本次没有上传。"
                "已刷新审核状态，请核对后重新上传。"
            ),
        )


class TooLargeError(SyncError):
    """413: the body is over the server's size limit."""

    user_message = "本表数据量超过了审核服务器允许的上限，没有上传。请联系上级资助中心。"


class NotFoundError(SyncError):
    """404: the thing asked for does not exist on the server."""

    user_message = "审核服务器上没有找到所要的数据。"


class UploadCancelledError(SyncError):
    """The user cancelled the upload before it was sent completely."""

    user_message = "已取消上传，数据仍保存在本机，可稍后重新上传。"


class ValidationFailedError(SyncError):
    """The local validation (效验数据) still finds errors in the table: the upload is refused."""

    def __init__(self, issues: Sequence[Issue], table_title: str) -> None:
        self.issues = list(issues)
        super().__init__(
            user_message=(
                f"{table_title}还有 {len(self.issues)} 个错误，不能上传。"
                "请先运行“效验数据”，改正全部错误后再上传。"
            )
        )
