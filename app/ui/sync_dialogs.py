"""Widgets of the sync with the review server: the review banner, the upload progress, the receipts.

- :class:`ReviewBanner` above each grid: 退回重交 with the reviewer's reason, or 审核通过 (locked).
- :class:`UploadProgress` in the status bar: the upload's bar and its 取消上传 button (the grid
  stays usable meanwhile).
- :class:`ReceiptDialog` after an upload, :class:`ReceiptsDialog` (上传记录),
  :class:`DiffDialog` (与上次上传相比).

Display only: every call to the service is made by :mod:`app.ui.sync_controller`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.period import Period
from app.models.schema import table_schema
from app.sync.errors import LOCKED_MESSAGE

if TYPE_CHECKING:
    from app.sync.client import TableStatus
    from app.sync.receipts import Receipt, RowDiff

RETURNED_STYLE = "QFrame#review_banner { background: #fff4e5; border: 1px solid #e0a040; }"
APPROVED_STYLE = "QFrame#review_banner { background: #e8f5e9; border: 1px solid #66a86a; }"
# 审核通过 has none: its button is disabled and must look greyed (the banner above the grid is green).
STATUS_COLOURS = {"draft": "", "pending": "#1565c0", "returned": "#b45f00", "approved": ""}
RowLookup = Mapping[str, tuple[int, Sequence[str]]]  # row uid → (user's row number, values)


def local_time(text: str) -> str:
    """An ISO 8601 time of the server as this PC's local "2026-09-30 14:05" ("" stays "")."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def status_details(status: TableStatus) -> str:
    """The status in one short paragraph: word, revision, reviewer, time, reason (tooltips, dialogs)."""
    lines = [f"审核状态：{status.label}"]
    if status.revision:
        lines.append(f"最近上传：第{status.revision}版")
    if status.reviewer:
        lines.append(f"审核人：{status.reviewer}")
    if status.reviewed_at:
        lines.append(f"审核时间：{local_time(status.reviewed_at)}")
    if status.comment:
        lines.append(f"审核意见：{status.comment}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the banner above a grid


class ReviewBanner(QFrame):
    """退回重交 (the reviewer's reason, how many rows are marked) or 审核通过 (the lock); hidden otherwise."""

    comments_requested = Signal()  # 查看逐行意见
    compare_requested = Signal()  # 与上次上传相比

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_banner")
        self.text_label = QLabel("", self)
        self.text_label.setObjectName("review_banner_text")
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.comments_button = QPushButton("查看逐行意见", self)
        self.comments_button.clicked.connect(self.comments_requested)
        self.compare_button = QPushButton("与上次上传相比", self)
        self.compare_button.clicked.connect(self.compare_requested)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(self.comments_button)
        layout.addWidget(self.compare_button)
        self.hide()

    def show_status(self, status: TableStatus, marked_rows: int) -> None:
        """Show what the user must know about ``status`` (nothing for 未上传 and 待审核)."""
        version = f"第{status.revision}版" if status.revision else ""
        who = "，".join(part for part in (version, status.reviewer, local_time(status.reviewed_at)) if part)
        if status.status == "returned":
            reason = status.comment or "审核人没有填写原因"
            text = f"退回重交（{who}）：{reason}" if who else f"退回重交：{reason}"
            if marked_rows:
                text += (
                    f"\n有 {marked_rows} 行带逐行审核意见，已在表格中标出（鼠标停在标出的单元格上可看意见）。"
                )
            text += "\n请改正后重新上传数据。"
            self.setStyleSheet(RETURNED_STYLE)
            self.comments_button.setVisible(marked_rows > 0)
            self.compare_button.show()
        elif status.status == "approved":
            text = f"审核通过（{who}）。{LOCKED_MESSAGE}。" if who else f"审核通过。{LOCKED_MESSAGE}。"
            self.setStyleSheet(APPROVED_STYLE)
            self.comments_button.hide()
            self.compare_button.hide()
        else:
            self.hide()
            return
        self.text_label.setText(text)
        self.show()


# ---------------------------------------------------------------- the upload's progress


class UploadProgress(QWidget):
    """The status bar's progress of an upload: what is sent, a bar, and 取消上传."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("upload_progress")
        self.label = QLabel("", self)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(160)
        self.cancel_button = QPushButton("取消上传", self)
        self.cancel_button.setObjectName("cancel_upload")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def start(self, title: str) -> None:
        """Checking and packing first (no bar length known yet), then the bytes sent."""
        self.label.setText(f"正在效验并上传{title}……")
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("取消上传")
        self.show()

    def advance(self, sent: int, total: int) -> None:
        if total <= 0:
            return
        self.bar.setRange(0, 1000)
        self.bar.setValue(min(1000, sent * 1000 // total))
        if sent >= total:
            self.label.setText("数据已发出，等待审核服务器效验……")

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("正在取消……")
        self.cancel_requested.emit()

    def finish(self) -> None:
        self.hide()


def ask_show_errors(parent: QWidget, text: str) -> bool:
    """The refusal of an upload because of errors; True when the user asks to see them (查看错误)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "不能上传", text, QMessageBox.StandardButton.NoButton, parent)
    view = box.addButton("查看错误", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("关闭", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(view)
    box.exec()
    return box.clickedButton() is view


# ---------------------------------------------------------------- receipts


def _read_only_line(text: str, parent: QWidget) -> QLineEdit:
    line = QLineEdit(text, parent)
    line.setReadOnly(True)
    line.setCursorPosition(0)
    return line


class ReceiptDialog(QDialog):
    """The receipt of a successful upload: table, period, revision, rows, time, digest."""

    def __init__(self, receipt: Receipt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("上传成功")
        self.receipt = receipt
        form = QFormLayout()
        form.addRow("表：", QLabel(table_schema(receipt.table).title, self))
        form.addRow("学期：", QLabel(Period.from_id(receipt.period).label, self))
        self.revision_label = QLabel(f"第{receipt.revision}版", self)
        self.revision_label.setObjectName("receipt_revision")
        form.addRow("版本：", self.revision_label)
        form.addRow("行数：", QLabel(f"{receipt.row_count:,} 行", self))
        form.addRow("上传时间：", QLabel(receipt.local_time_text, self))
        form.addRow("审核状态：", QLabel("待审核", self))
        self.digest_line = _read_only_line(receipt.digest, self)
        self.digest_line.setObjectName("receipt_digest")
        self.digest_line.setMinimumWidth(420)
        form.addRow("数字摘要：", self.digest_line)
        layout = QVBoxLayout(self)
        intro = QLabel("数据已上传到审核服务器，等待上级资助中心审核。回执已保存在本机（上传记录）。", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


RECEIPT_HEADERS = ("表", "版本", "上传时间", "行数", "数字摘要")


class ReceiptsDialog(QDialog):
    """上传记录: every kept receipt of the period, newest first; one can be exported to .xlsx."""

    export_requested = Signal(object)  # Receipt

    def __init__(self, receipts: Sequence[Receipt], period_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"上传记录 — {period_label}")
        self.receipts = list(receipts)
        self.table = QTableWidget(len(self.receipts), len(RECEIPT_HEADERS), self)
        self.table.setObjectName("receipts_table")
        self.table.setHorizontalHeaderLabels(list(RECEIPT_HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        for row, receipt in enumerate(self.receipts):
            cells = (
                table_schema(receipt.table).title,
                f"第{receipt.revision}版",
                receipt.local_time_text,
                f"{receipt.row_count:,}",
                receipt.digest,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.export_button = QPushButton("导出为Excel…", self)
        self.export_button.setObjectName("export_receipt")
        self.export_button.clicked.connect(self._export)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        empty = QLabel("本学期还没有上传记录。", self)
        empty.setVisible(not self.receipts)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("每次上传成功后，本机都保存一份回执和当时上传的全部数据。", self))
        layout.addWidget(empty)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 360)
        if self.receipts:
            self.table.selectRow(0)
        self._selection_changed()

    def selected(self) -> Receipt | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return self.receipts[min(rows)] if rows else None

    def _selection_changed(self) -> None:
        self.export_button.setEnabled(self.selected() is not None)

    def _export(self) -> None:
        receipt = self.selected()
        if receipt is not None:
            self.export_requested.emit(receipt)


# ---------------------------------------------------------------- 与上次上传相比

DIFF_HEADERS = ("行", "姓名", "身份证号", "变化")
IDENTITY_KEYS = ("name", "id_number")


class DiffDialog(QDialog):
    """Rows added, changed and deleted since the last upload, grouped, with the changed cells."""

    def __init__(self, diff: RowDiff, table: str, rows: RowLookup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        schema = table_schema(table)
        self.setWindowTitle(f"与上次上传相比 — {schema.title}")
        self._positions = [schema.keys.index(key) for key in IDENTITY_KEYS]
        self._headers = dict(zip(schema.keys, schema.headers, strict=True))
        self.summary_label = QLabel(diff.summary(), self)
        self.summary_label.setObjectName("diff_summary")
        self.summary_label.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("diff_tree")
        self.tree.setHeaderLabels(list(DIFF_HEADERS))
        self._fill(diff, rows)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(760, 480)

    def _identity(self, values: Sequence[str]) -> list[str]:
        return [values[position] if position < len(values) else "" for position in self._positions]

    def _fill(self, diff: RowDiff, rows: RowLookup) -> None:
        added = self._group(f"新增 {len(diff.added):,} 行")
        for uid in diff.added:
            number, values = rows.get(uid, (0, ()))
            QTreeWidgetItem(added, [_row_text(number), *self._identity(values), "新增"])
        changed = self._group(f"修改 {len(diff.changed):,} 行")
        for changed_row in diff.changed:
            number, values = rows.get(changed_row.row_uid, (0, ()))
            what = "，".join(
                self._headers.get(change.column, change.column) for change in changed_row.changes
            )
            item = QTreeWidgetItem(changed, [_row_text(number), *self._identity(values), f"修改了 {what}"])
            for change in changed_row.changes:
                header = self._headers.get(change.column, change.column)
                text = f"{header}：{change.before or '（空）'} → {change.after or '（空）'}"
                QTreeWidgetItem(item, ["", "", "", text])
        deleted = self._group(f"删除 {len(diff.deleted):,} 行")
        for deleted_row in diff.deleted:
            QTreeWidgetItem(deleted, ["", *self._identity(deleted_row.values), "删除（上次上传时的内容）"])
        for group in (added, changed, deleted):
            group.setExpanded(group.childCount() <= 200)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def _group(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.tree, [title])
        item.setFirstColumnSpanned(True)
        return item

    def group_titles(self) -> list[str]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]


def _row_text(number: int) -> str:
    return f"第{number}行" if number else ""
