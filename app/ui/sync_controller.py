"""The main window's link to the review server: status, lock, 上传数据, receipts, 与上次上传相比.

Every call goes through :class:`app.sync.service.SyncService` on the window's one sync lane
(:class:`app.ui.sync_runner.SyncRunner`), never HTTP from here. What the user sees:

- the connection state in the status bar and the title (在线 / 离线, with the reason as tooltip);
- per table, the review status at the right of the grid (未上传 / 待审核 / 退回重交 / 审核通过, the
  last one greyed), a banner above the grid for 退回重交 (the reviewer's reason) and 审核通过;
- 审核通过 locks the grid (:meth:`TableEditor.set_read_only`), 撤销审核 unlocks it;
- the reviewer's row comments as findings of the issues panel (rule ``审核意见``): the rows are
  marked in the grid, the comment is the cell's tooltip, F8 walks them;
- the status is pulled when the window opens (if logged in online), on 刷新审核状态, when another
  period is chosen, and every :data:`STATUS_POLL_MS` (an unchanged status costs the server a 304).

A failed upload never touches the grid's data; a 422 puts the server's findings into the issues
panel, a 409/412 says what happened and shows the fresh status.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton

from app.files.exporter import ExportError, export_table
from app.models.account import Contact
from app.models.errors import StoreError
from app.models.period import Period
from app.models.schema import TableKey, table_schema
from app.sync.errors import (
    LOCKED_MESSAGE,
    AuthExpiredError,
    ConflictError,
    ConnectionFailedError,
    PasswordChangeRequiredError,
    RevisionMismatchError,
    ServerError,
    ServerRejectedError,
    SyncError,
    UploadCancelledError,
    ValidationFailedError,
)
from app.ui.account_dialogs import ask_server_url, run_password_change, save_server_url, show_failure
from app.ui.export_commands import ask_target
from app.ui.sync_dialogs import (
    STATUS_COLOURS,
    DiffDialog,
    ReceiptDialog,
    ReceiptsDialog,
    RowLookup,
    UploadProgress,
    ask_show_errors,
    status_details,
)
from app.ui.sync_runner import SyncRunner
from app.ui.validation_results import REVIEW_RULE, ValidationResults
from app.ui.worker import run_in_background
from app.validation.report import Issue

if TYPE_CHECKING:
    from app.sync.client import PeriodStatus, TableStatus
    from app.sync.receipts import Receipt, RowDiff
    from app.sync.service import SyncService
    from app.ui.main_window import MainWindow, TablePage

log = logging.getLogger(__name__)

STATUS_POLL_MS = 5 * 60 * 1000
NO_SERVER = "没有连接审核服务器。请在登录窗口填写服务器地址（服务器设置），联网登录后再试。"
IssueKey = tuple[str, str, str, str]  # (table, row uid, column, rule or message)


def merged_results(
    results: ValidationResults, extra: Sequence[Issue], drop_rules: frozenset[str] = frozenset({REVIEW_RULE})
) -> ValidationResults:
    """``results`` without the findings of ``drop_rules``, plus ``extra`` (duplicates of it dropped).

    Keeps whether a full 效验数据 made the results and which cross-row findings are stale.
    """
    from app.validation.engine import Report, issue_order

    extra_keys = {_issue_key(issue) for issue in extra}
    kept = [
        issue
        for issue in results.issues()
        if issue.rule not in drop_rules and _issue_key(issue) not in extra_keys
    ]
    report = Report(issues=sorted([*kept, *extra], key=issue_order), failed_rules=list(results.failed_rules))
    merged = ValidationResults.from_report(report)
    merged.validated = results.validated
    merged.stale = set(results.stale)
    return merged


def _issue_key(issue: Issue) -> IssueKey:
    return issue.table, issue.row_uid or "", issue.column, issue.rule


def row_numbers(uids: Sequence[str]) -> dict[str, int]:
    """Row uid → the row number the user sees (stored order, from 1)."""
    return {uid: number for number, uid in enumerate(uids, start=1)}


def review_issues_of(status: TableStatus, numbers: dict[str, int]) -> list[Issue]:
    """The reviewer's row comments of a returned table as findings (rows no longer in the table left out)."""
    if status.status != "returned":
        return []
    issues = []
    for comment in status.row_comments:
        number = numbers.get(comment.row_uid)
        if number is None:
            continue
        message = f"审核意见：{comment.message}"
        issues.append(
            Issue(status.table, number, comment.column, REVIEW_RULE, "error", message, comment.row_uid)
        )
    return issues


def server_issues(table: TableKey, errors: Sequence[object], numbers: dict[str, int]) -> list[Issue]:
    """The server's findings of a refused upload (422), numbered like the grid's rows."""
    from app.sync.errors import RowError

    issues = []
    for error in errors:
        assert isinstance(error, RowError)
        issue = error.as_issue(table)
        number = numbers.get(issue.row_uid or "")
        if number is not None and number != issue.row:
            issue = Issue(
                issue.table, number, issue.column, issue.rule, issue.severity, issue.message, issue.row_uid
            )
        issues.append(issue)
    return issues


def _table_key(name: str) -> TableKey:
    return "students" if name == "students" else "aid"


class SyncController(QObject):
    """Owns the window's sync lane, status poll, review display and the upload command."""

    def __init__(
        self,
        window: MainWindow,
        service: SyncService | None,
        *,
        online: bool = False,
        offline_reason: str = "",
    ) -> None:
        super().__init__(window)
        self._window = window
        self.service = service
        self.online = online and service is not None
        self.offline_reason = offline_reason
        self.runner = SyncRunner(self)
        self.statuses: dict[str, TableStatus] = {}
        self.uploading: TableKey | None = None
        self.receipt_dialog: ReceiptDialog | None = None
        self.diff_dialog: DiffDialog | None = None
        self.receipts_dialog: ReceiptsDialog | None = None
        self._cancel = threading.Event()
        self._review_keys: frozenset[IssueKey] = frozenset()
        self.indicator = QLabel(window)
        self.indicator.setObjectName("connection_state")
        self.progress = UploadProgress(window)
        self.progress.cancel_requested.connect(self.cancel_upload)
        window.statusBar().addPermanentWidget(self.progress)
        window.statusBar().addPermanentWidget(self.indicator)
        self.timer = QTimer(self)
        self.timer.setInterval(STATUS_POLL_MS)
        self.timer.timeout.connect(self.poll)
        for page in window.pages.values():
            self._connect_page(page)
        window.destroyed.connect(self.runner.close)
        self._show_connection()
        if service is not None:
            self.timer.start()

    def _connect_page(self, page: TablePage) -> None:
        button = page.panel.review_button
        button.setEnabled(self.service is not None)
        button.clicked.connect(self._status_button_clicked)
        page.banner.comments_requested.connect(self.show_review_comments)
        page.banner.compare_requested.connect(self.show_diff)
        page.editor.loading_changed.connect(self._loading_changed)

    def _status_button_clicked(self) -> None:
        self.refresh_status()

    def _loading_changed(self, loading: bool) -> None:
        if not loading:  # the rest of a large table arrived: its commented rows can be numbered now
            self._apply_review_issues()

    # ------------------------------------------------------------ connection state

    @property
    def available(self) -> bool:
        """True when the window has a SyncService (a review server may be reached)."""
        return self.service is not None

    def _set_online(self, online: bool, reason: str = "") -> None:
        if online != self.online or reason != self.offline_reason:
            self.online, self.offline_reason = online, reason
            self._show_connection()

    def _show_connection(self) -> None:
        window = self._window
        window.server_connected = self.online
        word = "在线" if self.online else "离线"
        window.setWindowTitle(f"资助通 — 学校端（机构码 {window.org_code}，{word}）")
        if self.online:
            self.indicator.setText("● 在线")
            self.indicator.setStyleSheet("color: #2e7d32;")
            self.indicator.setToolTip(
                f"已联网登录审核服务器 {self.service.server_url if self.service else ''}"
            )
        else:
            reason = self.offline_reason or ("未设置审核服务器。" if self.service is None else "未联网登录。")
            self.indicator.setText("● 离线")
            self.indicator.setStyleSheet("color: #b00020; font-weight: bold;")
            self.indicator.setToolTip(f"离线：{reason}\n数据保存在本机，联网登录后可以上传、查看审核状态。")

    # ------------------------------------------------------------ review status

    def period_changed(self) -> None:
        """Another period is shown (or the window opened): its last known status, then the server's."""
        self._review_keys = frozenset()  # the window cleared the findings of the old period
        if self.service is None:
            return
        period = self._window.period
        try:
            status = self.service.known_status(period)
        except (StoreError, SyncError) as exc:
            log.warning("known status of %s unreadable: %s", period.id, exc)
        else:
            self._apply_status(status)
        if self.online:
            self.refresh_status(quiet=True)

    def poll(self) -> None:
        """The timer's quiet refresh (skipped while an upload or another call is under way)."""
        if self.service is not None and not self.runner.busy:
            self.refresh_status(quiet=True)

    def refresh_status(self, *, quiet: bool = False) -> None:
        """刷新审核状态: ask the server for both tables' status of the shown period (off the GUI thread)."""
        service = self.service
        if service is None:
            if not quiet:
                QMessageBox.information(self._window, "刷新审核状态", NO_SERVER)
            return
        period = self._window.period
        if not quiet:
            self._window.statusBar().showMessage("正在刷新审核状态……")
        self.runner.submit(
            lambda: service.refresh_status(period),
            partial(self._status_arrived, period, quiet),
            partial(self._status_failed, quiet),
        )

    def _status_arrived(self, period: Period, quiet: bool, status: PeriodStatus) -> None:
        self._set_online(True)
        if period != self._window.period:
            return
        self._apply_status(status)
        if not quiet:
            words = "，".join(
                f"{table_schema(table).title}{self.statuses[table].label}" for table in self._window.pages
            )
            self._window.statusBar().showMessage(f"审核状态已刷新：{words}。", 10000)

    def _status_failed(self, quiet: bool, error: BaseException) -> None:
        self._note_connection_failure(error)
        if quiet:
            log.info("status poll failed: %s", error)
            return
        self._window.statusBar().clearMessage()
        show_failure(self._window, "刷新审核状态", error)

    def _note_connection_failure(self, error: BaseException) -> None:
        lost = AuthExpiredError | ConnectionFailedError | PasswordChangeRequiredError | ServerError
        if isinstance(error, lost):
            self._set_online(False, error.user_message)

    def _apply_status(self, status: PeriodStatus) -> None:
        """Show ``status`` on every table: the button, the lock, the row comments, the banner."""
        for table, page in self._window.pages.items():
            table_status = status.table(table)
            self.statuses[table] = table_status
            self._show_button(page.panel.review_button, table_status)
            if page.editor.read_only != table_status.locked:
                page.editor.set_read_only(table_status.locked, LOCKED_MESSAGE)
        self._apply_review_issues()
        self._show_banners()
        self._window.refresh_actions()

    def _show_button(self, button: QPushButton, status: TableStatus) -> None:
        button.setText(status.label)
        button.setEnabled(not status.locked)
        colour = STATUS_COLOURS.get(status.status, "")
        button.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
        button.setToolTip(f"{status_details(status)}\n（点击刷新审核状态）")

    def _show_banners(self) -> None:
        for table, page in self._window.pages.items():
            status = self.statuses.get(table)
            if status is None:
                page.banner.hide()
                continue
            marked = {issue.row_uid for issue in self.review_issues() if issue.table == table}
            page.banner.show_status(status, len(marked))

    def status_of(self, table: str) -> TableStatus | None:
        """The last status shown for ``table`` (None before any was known)."""
        return self.statuses.get(table)

    # ------------------------------------------------------------ the reviewer's row comments

    def review_issues(self) -> list[Issue]:
        """The row comments of the returned tables as findings, numbered like the grid's rows."""
        issues: list[Issue] = []
        for table, page in self._window.pages.items():
            status = self.statuses.get(table)
            if status is not None and status.status == "returned" and status.row_comments:
                issues.extend(review_issues_of(status, row_numbers(page.editor.model.uids)))
        return issues

    def _apply_review_issues(self) -> None:
        issues = self.review_issues()
        keys = frozenset((i.table, i.row_uid or "", i.column, i.message) for i in issues)
        if keys == self._review_keys:
            return
        self._review_keys = keys
        validation = self._window.validation
        was_open = validation.panel.isVisible()
        validation.show_results(merged_results(validation.results, issues))
        if issues:
            self._window.statusBar().showMessage(
                f"审核人退回了数据，{len(issues)} 条逐行审核意见已列在问题列表中（按 F8 逐条查看）。", 15000
            )
        else:
            self._window.statusBar().clearMessage()
            if not was_open:
                validation.panel.hide()

    def with_review_issues(self, job: Callable[[], ValidationResults]) -> Callable[[], ValidationResults]:
        """效验数据's job, its results completed with the reviewer's row comments (merged on the worker)."""
        issues = self.review_issues()
        if not issues:
            return job
        return lambda: merged_results(job(), issues)

    def show_review_comments(self) -> None:
        """查看逐行意见: the issues panel, at the first comment (its cell shown in the grid)."""
        validation = self._window.validation
        validation.panel.show()
        validation.panel.raise_()
        table = self._window.current_page().table
        comments = [i for i in validation.panel.model.issues_shown() if i.rule == REVIEW_RULE]
        comments.sort(key=lambda issue: (issue.table != table, issue.row))
        if comments:
            validation.panel.select_issue(comments[0])
            validation.jump_to(comments[0])

    # ------------------------------------------------------------ 上传数据

    def can_upload(self) -> bool:
        """Whether 上传数据 is offered: a server is set up, no upload runs, the table is not locked."""
        return (
            self.service is not None
            and self.uploading is None
            and not self._window.current_editor().read_only
        )

    def upload(self) -> None:
        """上传数据: the current table of the shown period, in the background (progress, cancel)."""
        window = self._window
        service = self.service
        if service is None:
            QMessageBox.information(window, "上传数据", NO_SERVER)
            return
        if self.uploading is not None:
            QMessageBox.information(window, "上传数据", "正在上传，请等这次上传结束后再试。")
            return
        editor = window.current_editor()
        if editor.read_only:
            editor.refuse_locked()
            return
        if editor.loading:
            QMessageBox.information(window, "上传数据", "表格还在读取中，请稍候片刻再上传。")
            return
        if not window.flush_all():
            return  # the window said why; unsaved edits must not be left out of an upload
        table, period = editor.table, window.period
        self.uploading = table
        self._cancel.clear()
        cancelled = self._cancel.is_set
        self.progress.start(table_schema(table).title)
        window.refresh_actions()
        self.runner.submit_with_progress(
            lambda progress: service.upload_table(period, table, progress=progress, cancel=cancelled),
            partial(self._uploaded, period, table),
            partial(self._upload_failed, period, table),
            self.progress.advance,
        )

    def cancel_upload(self) -> None:
        """取消上传: stop sending (an upload the server already took still gets its receipt)."""
        self._cancel.set()

    def _upload_ended(self) -> None:
        self.uploading = None
        self.progress.finish()
        self._window.refresh_actions()

    def _uploaded(self, period: Period, table: TableKey, receipt: Receipt) -> None:
        self._upload_ended()
        self._set_online(True)
        if period == self._window.period:
            self._show_known_status(period)
        title = table_schema(table).title
        self._window.statusBar().showMessage(
            f"已上传{title}第{receipt.revision}版（{receipt.row_count:,} 行），等待审核。", 15000
        )
        self.receipt_dialog = ReceiptDialog(receipt, self._window)
        self.receipt_dialog.open()

    def _show_known_status(self, period: Period) -> None:
        if self.service is None:
            return
        try:
            self._apply_status(self.service.known_status(period))
        except (StoreError, SyncError) as exc:
            log.warning("known status of %s unreadable: %s", period.id, exc)

    def _upload_failed(self, period: Period, table: TableKey, error: BaseException) -> None:
        self._upload_ended()
        window = self._window
        title = "上传数据"
        if isinstance(error, ValidationFailedError):
            if ask_show_errors(window, error.user_message):
                window.validate_tables()
            return
        if isinstance(error, ServerRejectedError) and error.errors and period == window.period:
            self._show_server_errors(table, error)
        elif isinstance(error, RevisionMismatchError | ConflictError):
            if period == window.period:
                self._show_known_status(period)  # the service fetched the current status already
            QMessageBox.warning(window, title, error.user_message)
            return
        elif isinstance(error, UploadCancelledError):
            QMessageBox.information(window, title, error.user_message)
            return
        self._note_connection_failure(error)
        show_failure(window, "没有上传", error)

    def _show_server_errors(self, table: TableKey, error: ServerRejectedError) -> None:
        """The server's findings into the issues panel, on the grid's rows, with the local ones."""
        validation = self._window.validation
        numbers = row_numbers(self._window.pages[table].editor.model.uids)
        found = server_issues(table, error.errors, numbers)
        validation.show_results(
            merged_results(validation.results, [*found, *self.review_issues()], frozenset({REVIEW_RULE}))
        )

    # ------------------------------------------------------------ 与上次上传相比, 上传记录

    def show_diff(self) -> None:
        """与上次上传相比: rows added, changed and deleted in the current table since its last upload."""
        window = self._window
        service = self.service
        if service is None:
            QMessageBox.information(window, "与上次上传相比", NO_SERVER)
            return
        if not window.flush_all():
            return
        editor = window.current_editor()
        table, period, model = editor.table, window.period, editor.model
        rows: RowLookup = {
            uid: (number, values)
            for number, (uid, values) in enumerate(zip(model.uids, model.rows_values(), strict=True), start=1)
        }
        run_in_background(
            window,
            lambda: service.diff_since_last_upload(period, table),
            lambda diff: self._show_diff(diff, table, rows),
            partial(show_failure, window, "与上次上传相比"),
            label="正在与上次上传的数据比较……",
        )

    def _show_diff(self, diff: RowDiff, table: TableKey, rows: RowLookup) -> None:
        self.diff_dialog = DiffDialog(diff, table, rows, self._window)
        self.diff_dialog.open()

    def show_receipts(self) -> None:
        """上传记录: the receipts of the shown period (both tables), newest first."""
        window = self._window
        service = self.service
        if service is None:
            QMessageBox.information(window, "上传记录", NO_SERVER)
            return
        period = window.period
        run_in_background(
            window,
            lambda: service.receipts(period),
            lambda receipts: self._show_receipts(receipts, period),
            partial(show_failure, window, "上传记录"),
            label="正在读取上传记录……",
        )

    def _show_receipts(self, receipts: list[Receipt], period: Period) -> None:
        self.receipts_dialog = ReceiptsDialog(receipts, period.label, self._window)
        self.receipts_dialog.export_requested.connect(self.export_receipt)
        self.receipts_dialog.open()

    def export_receipt(self, receipt: Receipt, target: Path | None = None) -> None:
        """Write the rows of one upload, exactly as sent, to an .xlsx file (asked for when not given)."""
        service = self.service
        if service is None:
            return
        parent = self.receipts_dialog or self._window
        title = table_schema(receipt.table).title
        label = Period.from_id(receipt.period).label
        if target is None:
            target = ask_target(parent, "导出上传记录", f"{title}_第{receipt.revision}版_{label}.xlsx")
            if target is None:
                return
        chosen = target

        def work() -> int:
            return export_table(chosen, _table_key(receipt.table), service.receipt_rows(receipt).values)

        def done(count: int) -> None:
            self._window.statusBar().showMessage(
                f"已把{title}第{receipt.revision}版（{count:,} 行）导出到“{chosen}”。", 15000
            )

        def failed(error: BaseException) -> None:
            if isinstance(error, ExportError):
                QMessageBox.warning(parent, "导出失败", error.user_message)
            else:
                show_failure(parent, "导出失败", error)

        run_in_background(parent, work, done, failed, label="正在导出……")

    # ------------------------------------------------------------ account

    def server_settings(self) -> None:
        """服务器设置 from 管理项目: change the review server's address."""
        window = self._window
        current = self.service.server_url if self.service is not None else ""
        url = ask_server_url(window, current)
        if url is None or url == current:
            return
        try:
            if self.service is not None:
                self.service.set_server_url(url)
            else:
                save_server_url(url, None)
        except (SyncError, OSError) as exc:
            show_failure(window, "服务器设置", exc)
            return
        self._set_online(False, "审核服务器地址已更改，需要重新联网登录。")
        QMessageBox.information(
            window, "服务器设置", "审核服务器地址已保存。请退出后重新登录，以联网登录新的审核服务器。"
        )

    def change_password(self) -> None:
        """用户管理 › 修改密码 (on the server)."""
        if self.service is None:
            QMessageBox.information(self._window, "修改密码", NO_SERVER)
            return
        run_password_change(self._window, self.runner, self.service, self._window.org_code, lambda: None)

    def save_profile(self, contact: Contact) -> None:
        """The 负责人 (already kept locally) to the server too; a failure only says it stayed local."""
        service = self.service
        if service is None or not service.server_url:
            return  # no review server set up: the contact stays on this PC, as before
        window = self._window

        def saved(_contact: object) -> None:
            window.statusBar().showMessage("负责人姓名和联系电话已保存到审核服务器。", 10000)

        def failed(error: BaseException) -> None:
            self._note_connection_failure(error)
            reason = error.user_message if isinstance(error, SyncError) else "保存到审核服务器时出错。"
            QMessageBox.information(
                window, "用户管理", f"负责人姓名和联系电话已保存在本机，但没有保存到审核服务器：{reason}"
            )

        self.runner.submit(lambda: service.save_profile(contact), saved, failed)
