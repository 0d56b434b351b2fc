"""The issues panel of 效验数据: every finding grouped by rule, filterable by severity, dockable.

The tree is a thin model over :class:`~app.ui.validation_results.ValidationResults`: a group row per
rule ("S06 身份证号校验位（12）"), under it one row per finding (表, 行, 列, 已核对, 问题). It keeps
its own copy of each group's (filtered) list, so that a change of a few issues after an edit is a
few row insertions and removals, not a reset; 100,000 findings stay fast because nothing is done
per finding except when a group is drawn.

The panel never changes the results: a double-click asks to jump to the cell (``issue_activated``),
ticking 已核对 asks for an undoable change (``accept_requested``); the owner applies the outcome.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.models.schema import TABLE_KEYS, table_schema
from app.ui.validation_results import (
    STALE_NOTE,
    Change,
    ValidationResults,
    catalog_position,
    find_issue,
    rule_title,
)
from app.validation.engine import issue_order
from app.validation.report import Issue

SeverityFilter = Literal["all", "error", "warning"]
FILTERS: tuple[tuple[SeverityFilter, str], ...] = (("all", "全部"), ("error", "错误"), ("warning", "警告"))
HEADERS = ("表", "行", "列", "已核对", "问题")
TABLE_COLUMN, ROW_COLUMN, CELL_COLUMN, ACCEPTED_COLUMN, MESSAGE_COLUMN = range(5)
# Above this many changed issues the panel rebuilds its lists instead of moving rows one by one.
MAX_INCREMENTAL = 500
# Groups are opened when the whole list is this short.
EXPAND_ALL_UP_TO = 200
NOT_VALIDATED = "尚未效验数据。按 F5（效验数据）检查两张表。"

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_GREY = QBrush(QColor(128, 128, 128))
_ERROR = QBrush(QColor(176, 0, 32))
_WARNING = QBrush(QColor(180, 95, 0))
_ROOT_ID = 0


def passes(issue: Issue, severity: SeverityFilter) -> bool:
    """Whether ``issue`` is listed under the severity filter (accepted warnings are warnings)."""
    return severity in ("all", issue.severity)


@dataclass
class _Group:
    rule: str
    issues: list[Issue]

    @property
    def id(self) -> int:
        # Stable while groups come and go (an index's internal id must not depend on the group's row).
        return catalog_position(self.rule) + 1


class IssuesModel(QAbstractItemModel):
    """Rule groups → findings, under a severity filter."""

    accept_requested = Signal(object, bool)  # (Issue, ticked): the user ticked or cleared 已核对

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results = ValidationResults()
        self._severity: SeverityFilter = "all"
        self._groups: list[_Group] = []
        self._row_of_group: dict[int, int] = {}
        self._titles: dict[str, str] = {table: table_schema(table).title for table in TABLE_KEYS}

    # ------------------------------------------------------------ contents

    @property
    def results(self) -> ValidationResults:
        return self._results

    @property
    def severity(self) -> SeverityFilter:
        return self._severity

    def set_results(self, results: ValidationResults) -> None:
        """Show new results (after 效验数据, or a new period)."""
        self._results = results
        self.rebuild()

    def set_severity(self, severity: SeverityFilter) -> None:
        """List every finding, only errors, or only warnings."""
        if severity != self._severity:
            self._severity = severity
            self.rebuild()

    def rebuild(self) -> None:
        """Make the lists again from the results (a reset: the tree closes its groups)."""
        self.beginResetModel()
        severity = self._severity
        groups = []
        for rule, issues in self._results.groups.items():
            shown = list(issues) if severity == "all" else [i for i in issues if passes(i, severity)]
            if shown:
                groups.append(_Group(rule, shown))
        self._groups = groups
        self._index_groups()
        self.endResetModel()

    def apply(self, change: Change) -> None:
        """Show what one update of the results did (rows in and out, counts in the group titles)."""
        if len(change.removed) + len(change.added) > MAX_INCREMENTAL:
            self.rebuild()
            return
        for issue in change.removed:
            if passes(issue, self._severity):
                self._remove(issue)
        for issue in change.added:
            if passes(issue, self._severity):
                self._insert(issue)
        self.refresh_titles()

    def refresh_titles(self) -> None:
        """Group titles (counts, 需重新效验) and the greying of stale findings changed."""
        for row, group in enumerate(self._groups):
            parent = self.index(row, 0)
            self.dataChanged.emit(parent, parent)
            if group.issues:
                self.dataChanged.emit(
                    self.index(0, 0, parent), self.index(len(group.issues) - 1, len(HEADERS) - 1, parent)
                )

    def group_count(self) -> int:
        return len(self._groups)

    def group_rule(self, row: int) -> str:
        return self._groups[row].rule

    def issues_shown(self) -> list[Issue]:
        """Every finding the filter lists, group by group."""
        return [issue for group in self._groups for issue in group.issues]

    def issue_at(self, index: Index) -> Issue | None:
        """The finding of a row of the tree (None for a group row)."""
        if not index.isValid() or index.internalId() == _ROOT_ID:
            return None
        group = self._group_of(index.internalId())
        if group is None or not 0 <= index.row() < len(group.issues):
            return None
        return group.issues[index.row()]

    def index_of(self, issue: Issue) -> QModelIndex:
        """The tree row of ``issue`` (invalid when the filter hides it)."""
        row = self._row_of_group.get(catalog_position(issue.rule) + 1)
        if row is None:
            return QModelIndex()
        position = find_issue(self._groups[row].issues, issue)
        if position < 0:
            return QModelIndex()
        return self.index(position, 0, self.index(row, 0))

    # ------------------------------------------------------------ Qt interface

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(HEADERS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _ROOT_ID) if row < len(self._groups) else QModelIndex()
        if parent.internalId() != _ROOT_ID or not 0 <= parent.row() < len(self._groups):
            return QModelIndex()
        group = self._groups[parent.row()]
        return self.createIndex(row, column, group.id) if row < len(group.issues) else QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _ROOT_ID:
            return QModelIndex()
        row = self._row_of_group.get(index.internalId())
        return QModelIndex() if row is None else self.createIndex(row, 0, _ROOT_ID)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() == _ROOT_ID and parent.column() == 0 and 0 <= parent.row() < len(self._groups):
            return len(self._groups[parent.row()].issues)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        issue = self.issue_at(index)
        if issue is not None and index.column() == ACCEPTED_COLUMN and issue.severity == "warning":
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _ROOT_ID:
            return self._group_data(index, role)
        issue = self.issue_at(index)
        return None if issue is None else self._issue_data(issue, index.column(), role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        issue = self.issue_at(index)
        if role != Qt.ItemDataRole.CheckStateRole or issue is None or issue.severity != "warning":
            return False
        ticked = Qt.CheckState(value) == Qt.CheckState.Checked
        if ticked != issue.accepted:
            self.accept_requested.emit(issue, ticked)
        return True  # the change arrives through apply(), after the undo command wrote it

    # ------------------------------------------------------------ helpers

    def _group_data(self, index: Index, role: int) -> Any:
        if not 0 <= index.row() < len(self._groups) or index.column() != 0:
            return None
        group = self._groups[index.row()]
        stale = self._results.is_stale(group.issues[0])
        if role == _DISPLAY:
            title = f"{group.rule} {rule_title(group.rule)}（{len(group.issues):,}）"
            return f"{title}　{STALE_NOTE}" if stale else title
        if role == Qt.ItemDataRole.ForegroundRole:
            if stale:
                return _GREY
            return _ERROR if group.issues[0].severity == "error" else _WARNING
        if role == Qt.ItemDataRole.ToolTipRole and stale:
            return "修改数据后，这类跨行、跨表的检查结果可能已经过时，请重新效验数据。"
        return None

    def _issue_data(self, issue: Issue, column: int, role: int) -> Any:
        if role == _DISPLAY:
            return self._issue_text(issue, column)
        if (
            role == Qt.ItemDataRole.CheckStateRole
            and column == ACCEPTED_COLUMN
            and issue.severity == "warning"
        ):
            return Qt.CheckState.Checked if issue.accepted else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole and (issue.accepted or self._results.is_stale(issue)):
            return _GREY
        if role == Qt.ItemDataRole.ToolTipRole:
            if self._results.is_stale(issue):
                return f"{issue.message}\n（{STALE_NOTE}）"
            return issue.message
        return None

    def _issue_text(self, issue: Issue, column: int) -> str | None:
        if column == TABLE_COLUMN:
            return self._titles.get(issue.table, issue.table)
        if column == ROW_COLUMN:
            return f"第{issue.row}行"
        if column == CELL_COLUMN:
            return issue.column
        if column == MESSAGE_COLUMN:
            return f"{issue.message}（{STALE_NOTE}）" if self._results.is_stale(issue) else issue.message
        return None

    def _group_of(self, group_id: int) -> _Group | None:
        row = self._row_of_group.get(group_id)
        return None if row is None else self._groups[row]

    def _index_groups(self) -> None:
        self._row_of_group = {group.id: row for row, group in enumerate(self._groups)}

    def _remove(self, issue: Issue) -> None:
        row = self._row_of_group.get(catalog_position(issue.rule) + 1)
        if row is None:
            return
        group = self._groups[row]
        position = find_issue(group.issues, issue)
        if position < 0:
            return
        if len(group.issues) == 1:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._groups[row]
            self._index_groups()
            self.endRemoveRows()
            return
        self.beginRemoveRows(self.index(row, 0), position, position)
        del group.issues[position]
        self.endRemoveRows()

    def _insert(self, issue: Issue) -> None:
        group_id = catalog_position(issue.rule) + 1
        row = self._row_of_group.get(group_id)
        if row is None:
            row = bisect_left([group.id for group in self._groups], group_id)
            self.beginInsertRows(QModelIndex(), row, row)
            self._groups.insert(row, _Group(issue.rule, [issue]))
            self._index_groups()
            self.endInsertRows()
            return
        group = self._groups[row]
        position = bisect_right(group.issues, issue_order(issue), key=issue_order)
        self.beginInsertRows(self.index(row, 0), position, position)
        group.issues.insert(position, issue)
        self.endInsertRows()


class IssuesPanel(QDockWidget):
    """问题列表: the dock with the summary, the severity filter and the tree of findings."""

    issue_activated = Signal(object)  # Issue: double-click or Enter on a finding
    walk_requested = Signal(int)  # +1 下一个问题, -1 上一个问题

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("问题列表", parent)
        self.setObjectName("issues_panel")
        self.model = IssuesModel(self)
        self.summary_label = QLabel(NOT_VALIDATED, self)
        self.summary_label.setObjectName("issues_summary")
        self.summary_label.setWordWrap(True)
        self.severity_box = QComboBox(self)
        self.severity_box.setObjectName("issues_severity")
        for value, title in FILTERS:
            self.severity_box.addItem(title, value)
        self.previous_button = QPushButton("上一个问题", self)
        self.next_button = QPushButton("下一个问题", self)
        self.tree = self._build_tree()
        self.setWidget(self._build_body())
        self.severity_box.currentIndexChanged.connect(self._severity_chosen)
        self.previous_button.clicked.connect(lambda: self.walk_requested.emit(-1))
        self.next_button.clicked.connect(lambda: self.walk_requested.emit(1))
        self.tree.activated.connect(self._activated)
        self.model.modelReset.connect(self._after_reset)
        self.model.rowsInserted.connect(self._groups_inserted)

    def _build_tree(self) -> QTreeView:
        tree = QTreeView(self)
        tree.setObjectName("issues_tree")
        tree.setModel(self.model)
        tree.setUniformRowHeights(True)  # 100,000 rows: no per-row size questions
        tree.setAlternatingRowColors(True)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tree.setExpandsOnDoubleClick(True)
        header = tree.header()
        header.setStretchLastSection(True)
        for column, width in (
            (TABLE_COLUMN, 140),
            (ROW_COLUMN, 70),
            (CELL_COLUMN, 120),
            (ACCEPTED_COLUMN, 60),
        ):
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        return tree

    def _build_body(self) -> QWidget:
        body = QWidget(self)
        bar = QHBoxLayout()
        bar.addWidget(self.summary_label, 1)
        bar.addWidget(QLabel("显示：", body))
        bar.addWidget(self.severity_box)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        return body

    # ------------------------------------------------------------ showing

    def show_results(self, results: ValidationResults) -> None:
        """List new results (groups open when the list is short)."""
        self.model.set_results(results)
        self.show_summary()

    def apply(self, change: Change) -> None:
        """Show one update of the current results."""
        self.model.apply(change)
        self.show_summary()

    def show_summary(self) -> None:
        """「12 个错误，3 个警告，已核对 1 个」, and whether cross-row findings need 效验数据 again."""
        results = self.model.results
        if not results.validated and not len(results):
            self.summary_label.setText(NOT_VALIDATED)
            return
        text = results.summary()
        if not results.validated:
            text += "（只检查了修改过的行，请效验数据）"
        elif results.has_stale():
            text += f"（部分结果{STALE_NOTE}）"
        if results.failed_rules:
            text += f"；规则 {'、'.join(results.failed_rules)} 未能运行，详情已记录在日志中"
        self.summary_label.setText(text)

    def select_issue(self, issue: Issue) -> bool:
        """Make ``issue`` the current row of the tree (opening its group); False when it is not listed."""
        index = self.model.index_of(issue)
        if not index.isValid():
            return False
        self.tree.expand(index.parent())
        self.tree.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.tree.scrollTo(index)
        return True

    def current_issue(self) -> Issue | None:
        """The finding selected in the tree, if any."""
        return self.model.issue_at(self.tree.currentIndex())

    @property
    def severity(self) -> SeverityFilter:
        return self.model.severity

    def set_severity(self, severity: SeverityFilter) -> None:
        """Choose 全部 / 错误 / 警告 (as if picked in the drop-down)."""
        for position, (value, _title) in enumerate(FILTERS):
            if value == severity:
                self.severity_box.setCurrentIndex(position)

    # ------------------------------------------------------------ slots

    def _severity_chosen(self, position: int) -> None:
        value: SeverityFilter = FILTERS[position][0] if 0 <= position < len(FILTERS) else "all"
        self.model.set_severity(value)

    def _activated(self, index: QModelIndex) -> None:
        issue = self.model.issue_at(index)
        if issue is not None:
            self.issue_activated.emit(issue)

    def _after_reset(self) -> None:
        self._span_groups(0, self.model.group_count() - 1)
        if len(self.model.issues_shown()) <= EXPAND_ALL_UP_TO:
            self.tree.expandAll()

    def _groups_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            self._span_groups(first, last)

    def _span_groups(self, first: int, last: int) -> None:
        root = QModelIndex()
        for row in range(first, last + 1):
            self.tree.setFirstColumnSpanned(row, root, True)
