"""The 检查提示 dialog: what a paste or an import will do, shown before anything changes.

It states the paste in one sentence ("将粘贴 120 行 × 8 列，从第 15 行「姓名」开始；覆盖 40 个已有单元格；
新增 80 行"), shows how the columns were matched (editable when matched by header), previews the first
rows with the problem cells coloured, and lists what the quick checks found. The user answers 是
(paste everything), 否 (nothing changes) or 只粘贴没有问题的行; an import also chooses 追加 or 替换本表.

Tests answer the dialog without a modal loop: patch :meth:`PasteDialog.exec` to click a button of
:attr:`PasteDialog.buttons` and return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.files.paste_plan import (
    DAMAGE_ADVICE,
    DAMAGE_RULES,
    ENUM_RULE,
    LENGTH_RULE,
    NORMALIZE_RULES,
    RULE_TITLES,
    CellFinding,
    PastePlan,
)

PasteChoice = Literal["all", "clean", "none"]
PREVIEW_ROWS = 50
PREVIEW_WIDTH_ROWS = 12  # rows measured for the preview's column widths
MAX_LISTED = 200  # findings listed per group; the rest are counted
MAX_ROWS_NAMED = 20  # problem rows named in the summary line
NOT_PASTED = "（不粘贴）"

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_HORIZONTAL = Qt.Orientation.Horizontal
_BRUSHES = {
    "error": QBrush(QColor(255, 150, 150)),
    "warning": QBrush(QColor(255, 204, 128)),
    "notice": QBrush(QColor(200, 225, 255)),
}

Index = QModelIndex | QPersistentModelIndex


class PreviewModel(QAbstractTableModel):
    """The first rows of a plan as they will be stored, problem cells coloured, findings as tooltips."""

    def __init__(self, plan: PastePlan, parent: QObject | None = None, limit: int = PREVIEW_ROWS) -> None:
        super().__init__(parent)
        self._limit = limit
        self._plan = plan
        self._columns: list[int] = []
        self._marks: dict[tuple[int, int], list[CellFinding]] = {}
        self._load(plan)

    def set_plan(self, plan: PastePlan) -> None:
        self.beginResetModel()
        self._load(plan)
        self.endResetModel()

    def _load(self, plan: PastePlan) -> None:
        self._plan = plan
        self._columns = plan.target_columns
        shown = min(plan.height, self._limit)
        marks: dict[tuple[int, int], list[CellFinding]] = {}
        for finding in plan.findings:
            if finding.row < shown:
                marks.setdefault((finding.row, finding.column), []).append(finding)
        self._marks = marks

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else min(self._plan.height, self._limit)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), self._columns[index.column()]
        if role == _DISPLAY:
            return self._plan.columns[column][row]
        if role in (_BACKGROUND, _TOOLTIP):
            found = self._marks.get((row, column))
            if not found:
                return None
            if role == _TOOLTIP:
                return "\n".join(finding.message for finding in found)
            worst = max(found, key=lambda f: ("notice", "warning", "error").index(f.severity))
            return _BRUSHES.get(worst.severity)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role != _DISPLAY:
            return None
        if orientation == _HORIZONTAL:
            if not 0 <= section < len(self._columns):
                return None
            return self._plan.schema.columns[self._columns[section]].header
        number = self._plan.grid_row_number(section)
        return str(number) if section < self._plan.existing else f"新 {number}"

    def flags(self, index: Index) -> Qt.ItemFlag:
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if index.isValid()
            else Qt.ItemFlag.NoItemFlags
        )


class PasteDialog(QDialog):
    """检查提示 for one paste or import; :attr:`choice` and :attr:`plan` say what the user decided.

    ``remap(column_map)`` works the plan out again for a mapping chosen in the combo boxes (given
    only when the columns were matched by header; None from it: the user cancelled).
    ``existing_rows`` (import) is how many rows 替换本表 would delete.
    """

    def __init__(
        self,
        plan: PastePlan,
        parent: QWidget | None = None,
        *,
        remap: Callable[[Sequence[int | None]], PastePlan | None] | None = None,
        importing: bool = False,
        existing_rows: int = 0,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("paste_dialog")
        self.setWindowTitle("检查提示")
        self.setModal(True)
        self.plan = plan
        self.choice: PasteChoice = "none"
        self._remap = remap
        self._importing = importing
        self._existing_rows = existing_rows
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("summary")
        self.summary_label.setWordWrap(True)
        bold = QFont(self.summary_label.font())
        bold.setBold(True)
        self.summary_label.setFont(bold)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("problem_rows")
        self.problem_label.setWordWrap(True)
        self.advice_label = QLabel(DAMAGE_ADVICE, self)
        self.advice_label.setObjectName("damage_advice")
        self.advice_label.setWordWrap(True)
        self.advice_label.setStyleSheet("color: #b00020;")
        self.combos: list[QComboBox] = []
        self.preview_model = PreviewModel(plan, self)
        self.preview = self._preview_view()
        self.checks = QTreeWidget(self)
        self.checks.setObjectName("checks")
        self.checks.setHeaderHidden(True)
        self.append_button: QRadioButton | None = None
        self.replace_button: QRadioButton | None = None
        self.buttons: dict[PasteChoice, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.advice_label)
        if importing:
            layout.addLayout(self._import_choice())
        layout.addWidget(self._mapping_box())
        layout.addWidget(
            QLabel(f"预览（前 {PREVIEW_ROWS} 行；红色为有问题的单元格，蓝色为将自动规范的值）：", self)
        )
        layout.addWidget(self.preview, 3)
        layout.addWidget(QLabel("检查结果：", self))
        layout.addWidget(self.checks, 2)
        layout.addWidget(self.problem_label)
        layout.addLayout(self._button_row())
        self.resize(960, 680)
        self._refresh()

    # -- parts ------------------------------------------------------------------------------------------

    def _preview_view(self) -> QTableView:
        view = QTableView(self)
        view.setObjectName("preview")
        view.setModel(self.preview_model)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setResizeContentsPrecision(PREVIEW_WIDTH_ROWS)
        view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        return view

    def _import_choice(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.append_button = QRadioButton("追加到表格末尾", self)
        self.append_button.setObjectName("append")
        self.replace_button = QRadioButton(f"替换本表（删除现有的 {self._existing_rows:,} 行）", self)
        self.replace_button.setObjectName("replace")
        self.append_button.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.append_button)
        group.addButton(self.replace_button)
        self.append_button.toggled.connect(lambda _on: self._refresh_summary())
        row.addWidget(QLabel("导入方式：", self))
        row.addWidget(self.append_button)
        row.addWidget(self.replace_button)
        row.addStretch(1)
        return row

    def _mapping_box(self) -> QGroupBox:
        plan = self.plan
        if plan.mode == "header":
            title = "列的对应（按表头匹配，可修改）"
        elif plan.mode == "fill":
            title = "列的对应（一个值填入选中的全部单元格）"
        else:
            title = "列的对应（按位置，从当前单元格所在列开始）"
        box = QGroupBox(title, self)
        inner = QWidget(box)
        form = QFormLayout(inner)
        headers = plan.schema.headers
        if plan.mode == "fill":
            first, last = min(plan.target_columns), max(plan.target_columns)
            columns = f"「{headers[first]}」" + (f"至「{headers[last]}」" if last > first else "")
            form.addRow(
                "复制的一个值 →", QLabel(f"选中的 {plan.height:,} 行 × {plan.width} 列（{columns}）", inner)
            )
        for source_column, target in enumerate(() if plan.mode == "fill" else plan.column_map):
            label = plan.source_headers[source_column]
            if plan.mode == "header" and self._remap is not None:
                combo = QComboBox(inner)
                combo.setObjectName(f"map_{source_column}")
                combo.addItems([NOT_PASTED, *headers])
                combo.setCurrentIndex(0 if target is None else target + 1)
                combo.currentIndexChanged.connect(lambda _i: self._mapping_changed())
                self.combos.append(combo)
                form.addRow(f"复制内容「{label}」→", combo)
            else:
                shown = NOT_PASTED if target is None else f"「{headers[target]}」"
                form.addRow(f"{label} →", QLabel(shown, inner))
        scroll = QScrollArea(box)
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setMaximumHeight(150)
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(scroll)
        return box

    def _button_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        verb = "导入" if self._importing else "粘贴"
        titles: tuple[tuple[PasteChoice, str], ...] = (
            ("all", "是"),
            ("clean", f"只{verb}没有问题的行"),
            ("none", "否"),
        )
        for choice, text in titles:
            button = QPushButton(text, self)
            button.setObjectName(f"choice_{choice}")
            button.clicked.connect(lambda _checked=False, c=choice: self._choose(c))
            self.buttons[choice] = button
        self.buttons["all"].setToolTip(f"{verb}全部内容（有问题的单元格也{verb}，效验数据时会标出）")
        self.buttons["none"].setToolTip("不做任何修改")
        self.buttons["none"].setDefault(True)
        row.addStretch(1)
        for choice, _text in titles:
            row.addWidget(self.buttons[choice])
        return row

    # -- state ------------------------------------------------------------------------------------------

    @property
    def replace(self) -> bool:
        """True when an import replaces the table's rows (替换本表)."""
        return self.replace_button is not None and self.replace_button.isChecked()

    @property
    def column_map(self) -> tuple[int | None, ...]:
        """The mapping chosen in the combo boxes (the plan's own when they are not shown)."""
        if not self.combos:
            return self.plan.column_map
        return tuple(None if combo.currentIndex() <= 0 else combo.currentIndex() - 1 for combo in self.combos)

    def release(self) -> None:
        """Drop the remapping (and with it the pasted cells it works from) once the user answered."""
        self._remap = None
        for combo in self.combos:
            combo.setEnabled(False)

    def _choose(self, choice: PasteChoice) -> None:
        self.choice = choice
        if choice == "none":
            self.reject()
        else:
            self.accept()

    def reject(self) -> None:
        self.choice = "none"
        super().reject()

    def _mapping_changed(self) -> None:
        if self._remap is None:
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            plan = self._remap(self.column_map)
        finally:
            QApplication.restoreOverrideCursor()
        if plan is None:  # cancelled: the combo boxes go back to the mapping of the plan shown
            self._show_mapping(self.plan.column_map)
            return
        self.plan = plan
        self.preview_model.set_plan(self.plan)
        self._refresh()

    def _show_mapping(self, column_map: Sequence[int | None]) -> None:
        for combo, column in zip(self.combos, column_map, strict=False):
            combo.blockSignals(True)
            combo.setCurrentIndex(0 if column is None else column + 1)
            combo.blockSignals(False)

    def _refresh(self) -> None:
        self._refresh_summary()
        self._fill_checks()
        plan = self.plan
        self.advice_label.setVisible(any(finding.rule in DAMAGE_RULES for finding in plan.findings))
        self.preview.resizeColumnsToContents()
        problems = len(plan.problem_rows)
        nothing = plan.height == 0 or plan.width == 0
        verb = "导入" if self._importing else "粘贴"
        self.buttons["all"].setEnabled(not nothing)
        self.buttons["clean"].setEnabled(not nothing and 0 < problems < plan.height)
        if problems:
            numbers = sorted(plan.grid_row_number(row) for row in plan.problem_rows)
            named = "、".join(str(n) for n in numbers[:MAX_ROWS_NAMED])
            more = f"等（共 {problems:,} 行）" if problems > MAX_ROWS_NAMED else ""
            self.problem_label.setText(
                f"有问题的行：第 {named} 行{more}。选择“只{verb}没有问题的行”将跳过这些行，其余照常{verb}。"
            )
            self.problem_label.setStyleSheet("color: #b00020;")
        else:
            self.problem_label.setText(f"没有可以{verb}的内容。" if nothing else "没有发现需要处理的问题。")
            self.problem_label.setStyleSheet("")

    def _refresh_summary(self) -> None:
        plan = self.plan
        if self._importing and self.replace:
            text = f"将导入 {plan.height:,} 行 × {plan.width} 列，替换本表现有的 {self._existing_rows:,} 行"
        else:
            text = plan.summary()
        self.summary_label.setText(text + "。")

    def _fill_checks(self) -> None:
        self.checks.clear()
        plan = self.plan
        counts = plan.rule_counts()
        damage = plan.findings_for(set(DAMAGE_RULES))
        if damage:
            group = self._group(f"Excel 损坏的号码：{len(damage):,} 个单元格（错误）", "error")
            advice = QTreeWidgetItem(group, [DAMAGE_ADVICE])
            advice.setToolTip(0, DAMAGE_ADVICE)
            self._list(group, damage)
            group.setExpanded(True)
        for rule, title in ((ENUM_RULE, "下拉列不能取的值"), (LENGTH_RULE, "内容超长")):
            found = plan.findings_for({rule})
            if found:
                group = self._group(f"{title}：{len(found):,} 个单元格", "error")
                self._list(group, found)
                group.setExpanded(True)
        normalized = sum(counts[rule] for rule in NORMALIZE_RULES)
        if normalized:
            group = self._group(f"将自动规范的值：{normalized:,} 个单元格（无需处理）", "notice")
            for rule in NORMALIZE_RULES:
                if counts[rule]:
                    child = QTreeWidgetItem(group, [f"{rule} {RULE_TITLES[rule]}：{counts[rule]:,} 个"])
                    self._list(child, plan.findings_for({rule}))
        if plan.notes:
            group = self._group("说明", "")
            for note in plan.notes:
                QTreeWidgetItem(group, [note]).setToolTip(0, note)
            group.setExpanded(True)
        if not damage and not counts[ENUM_RULE] and not counts[LENGTH_RULE] and not normalized:
            self._group("未发现问题。", "")

    def _group(self, title: str, severity: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.checks, [title])
        brush = _BRUSHES.get(severity)
        if brush is not None:
            item.setBackground(0, brush)
        return item

    def _list(self, parent: QTreeWidgetItem, findings: Sequence[CellFinding]) -> None:
        plan = self.plan
        for finding in findings[:MAX_LISTED]:
            text = f"{plan.where(finding)}：{finding.message}"
            QTreeWidgetItem(parent, [text]).setToolTip(0, text)
        if len(findings) > MAX_LISTED:
            QTreeWidgetItem(parent, [f"……另有 {len(findings) - MAX_LISTED:,} 处"])


def ask(dialog: PasteDialog) -> PasteChoice:
    """Show ``dialog`` modally and return the user's answer ("none" when it was closed)."""
    dialog.exec()
    return dialog.choice
