"""The grid's column headers with Excel's filter button, and the filter popup it opens.

Clicking a header sorts by its column (ascending, descending, then the stored order again); the
small button at the right of each header opens :class:`FilterPopup`: sort buttons, a checklist of
the column's distinct values with their counts (with a search box), a text condition (包含 / 等于 /
为空), 确定 / 取消 and 清除此列筛选. A filtered column's button shows a funnel.

The popup only edits the model's filters (:meth:`RowsTableModel.set_column_filter`); the model
computes the rows to show (:mod:`app.models.row_view`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QHelpEvent, QMouseEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QStyleOptionHeader,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.models.row_view import (
    CONDITION_TITLES,
    ColumnFilter,
    ConditionKind,
    TextCondition,
    fold,
    value_counts,
)
from app.ui.table_model import RowsTableModel

BUTTON_SIZE = 14  # the filter button, square, at the right of each header section
ARROW_SIZE = 8  # the sort arrow, left of the button
BLANK_LABEL = "（空白）"
NO_CONDITION = "（无）"

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_CHECK = int(Qt.ItemDataRole.CheckStateRole)
_CHECKED = Qt.CheckState.Checked
_UNCHECKED = Qt.CheckState.Unchecked
_ITEM_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
_LEFT = Qt.MouseButton.LeftButton
_FUNNEL = ((0.0, 0.0), (1.0, 0.0), (0.62, 0.45), (0.62, 1.0), (0.38, 0.85), (0.38, 0.45))


class FilterHeader(QHeaderView):
    """A horizontal header whose sections have a filter button (``filter_requested``) and sort on click."""

    filter_requested = Signal(int)  # the logical column whose filter button was clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)
        # Highlighting asks the selection model whether each column is wholly selected, which walks
        # every row through the Python model: 2.9 s per repaint with 10,000 rows selected.
        self.setHighlightSections(False)
        self.setSortIndicatorClearable(True)  # a third click goes back to the stored order
        self.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._filtered: frozenset[int] = frozenset()
        self._button_pressed = False
        self.filter_tips: Callable[[int], str] = lambda _column: ""

    def restoreState(self, state: QByteArray | bytes | bytearray | memoryview) -> bool:
        """Restore widths, order and sort (QSettings); a state saved before sorting existed sorts nothing."""
        restored = super().restoreState(state)
        if restored and not self.isSortIndicatorShown():
            self.setSortIndicatorShown(True)
            self.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        return restored

    def set_filtered_columns(self, columns: frozenset[int]) -> None:
        """Show a funnel on the buttons of these columns."""
        if columns != self._filtered:
            self._filtered = columns
            self.viewport().update()

    @property
    def filtered_columns(self) -> frozenset[int]:
        return self._filtered

    def section_rect(self, logical: int) -> QRect:
        """The rectangle of section ``logical`` in viewport coordinates."""
        return QRect(self.sectionViewportPosition(logical), 0, self.sectionSize(logical), self.height())

    def button_rect(self, logical: int) -> QRect:
        """Where the filter button of section ``logical`` is, in viewport coordinates."""
        return _button_rect(self.section_rect(logical))

    # -- painting ---------------------------------------------------------------------------------

    def paintSection(self, painter: QPainter, rect: QRect, logical: int) -> None:
        if not rect.isValid():
            return
        option = QStyleOptionHeader()
        self.initStyleOptionForIndex(option, logical)
        option.rect = rect
        sort = option.sortIndicator
        option.sortIndicator = QStyleOptionHeader.SortIndicator.None_
        style = self.style()
        painter.save()
        style.drawControl(QStyle.ControlElement.CE_HeaderSection, option, painter, self)
        button = _button_rect(rect)
        sorted_here = self.sortIndicatorSection() == logical and sort != option.sortIndicator
        label = QStyleOptionHeader(option)
        label.rect = rect.adjusted(
            0, 0, -(rect.right() - button.left() + (ARROW_SIZE + 4 if sorted_here else 2)), 0
        )
        painter.setClipRect(label.rect)
        style.drawControl(QStyle.ControlElement.CE_HeaderLabel, label, painter, self)
        painter.setClipping(False)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if sorted_here:
            descending = self.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
            _paint_sort_arrow(painter, button, descending, option.palette.text().color())
        _paint_button(painter, button, logical in self._filtered, option.palette)
        painter.restore()

    # -- mouse ------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        logical = self._button_at(event.position().toPoint())
        if event.button() == _LEFT and logical >= 0:
            self._button_pressed = True
            event.accept()
            self.filter_requested.emit(logical)
            return
        self._button_pressed = False
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._button_pressed:  # the press opened the popup: no sorting, no column selection
            self._button_pressed = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._button_at(event.position().toPoint()) >= 0:
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            logical = self._button_at(event.pos())
            if logical >= 0:
                tip = self.filter_tips(logical) or "筛选（点击选择要显示的值）"
                QToolTip.showText(event.globalPos(), tip, self)
                return True
        return super().viewportEvent(event)

    def _button_at(self, pos: QPoint) -> int:
        logical = self.logicalIndexAt(pos)
        if logical >= 0 and self.button_rect(logical).adjusted(-2, -3, 2, 3).contains(pos):
            return logical
        return -1


def _button_rect(section: QRect) -> QRect:
    top = section.top() + (section.height() - BUTTON_SIZE) // 2
    return QRect(section.right() - BUTTON_SIZE - 3, top, BUTTON_SIZE, BUTTON_SIZE)


def _paint_button(painter: QPainter, rect: QRect, filtered: bool, palette: Any) -> None:
    painter.setPen(QPen(palette.mid().color(), 1))
    painter.setBrush(QBrush(palette.button().color().lighter(105)))
    painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 2, 2)
    inner = rect.adjusted(3, 3, -3, -3)
    if filtered:
        color = palette.highlight().color()
        points = [
            QPointF(inner.left() + x * inner.width(), inner.top() + y * inner.height()) for x, y in _FUNNEL
        ]
    else:
        color = palette.text().color()
        middle = inner.center().y()
        points = [
            QPointF(inner.left(), middle - 2),
            QPointF(inner.right() + 1, middle - 2),
            QPointF(inner.left() + (inner.width() + 1) / 2, middle + 2),
        ]
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(color))
    painter.drawPolygon(QPolygonF(points))


def _paint_sort_arrow(painter: QPainter, button: QRect, descending: bool, color: QColor) -> None:
    right = button.left() - 3
    left = right - ARROW_SIZE
    middle = button.center().y()
    half = ARROW_SIZE / 2
    tip, base = (
        (middle + half / 1.5, middle - half / 1.5)
        if descending
        else (middle - half / 1.5, middle + half / 1.5)
    )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(color))
    painter.drawPolygon(QPolygonF([QPointF(left, base), QPointF(right, base), QPointF(left + half, tip)]))


# -- the popup ----------------------------------------------------------------------------------------


class ValueListModel(QAbstractListModel):
    """The checklist of a column's distinct values ("兴宁区  (1,204)"), narrowed by a search text."""

    def __init__(
        self, counts: list[tuple[str, int]], labels: Mapping[str, str], parent: QObject | None = None
    ):
        super().__init__(parent)
        self._values = [value for value, _count in counts]
        self._texts = [f"{labels.get(value, value) or BLANK_LABEL}  ({count:,})" for value, count in counts]
        self._folded = [fold(labels.get(value, value) or BLANK_LABEL) for value, _count in counts]
        self._shown: list[int] = list(range(len(counts)))
        self.checked: set[str] = set(self._values)

    @property
    def values(self) -> list[str]:
        """Every distinct value, in sort order."""
        return self._values

    def shown_values(self) -> list[str]:
        """The values the search leaves in the list."""
        return [self._values[i] for i in self._shown]

    def search(self, text: str) -> None:
        """Show the values containing ``text`` (full/half width and case ignored), all ticked (Excel)."""
        wanted = fold(text.strip())
        self.beginResetModel()
        self._shown = [i for i, folded in enumerate(self._folded) if wanted in folded]
        if wanted:
            self.checked.update(self._values[i] for i in self._shown)
        self.endResetModel()

    def check_all(self) -> None:
        """Tick every value, those the search hides too."""
        self.checked = set(self._values)
        if self._shown:
            self.dataChanged.emit(self.index(0), self.index(len(self._shown) - 1), [_CHECK])

    def set_all_shown(self, checked: bool) -> None:
        """Tick or untick every value in the list."""
        shown = self.shown_values()
        if checked:
            self.checked.update(shown)
        else:
            self.checked.difference_update(shown)
        if self._shown:
            self.dataChanged.emit(self.index(0), self.index(len(self._shown) - 1), [_CHECK])

    def text_at(self, row: int) -> str:
        return self._texts[self._shown[row]]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        entry = self._shown[index.row()]
        if role == _DISPLAY:
            return self._texts[entry]
        if role == _CHECK:
            return _CHECKED if self._values[entry] in self.checked else _UNCHECKED
        return None

    def setData(self, index: Index, value: Any, role: int = _CHECK) -> bool:
        if role != _CHECK or not index.isValid():
            return False
        entry = self._values[self._shown[index.row()]]
        if Qt.CheckState(value) == _CHECKED:
            self.checked.add(entry)
        else:
            self.checked.discard(entry)
        self.dataChanged.emit(index, index, [_CHECK])
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags


class FilterPopup(QFrame):
    """Excel's filter drop-down for one column: sort, value checklist with search, text condition."""

    def __init__(
        self,
        model: RowsTableModel,
        column: int,
        labels: Mapping[str, str],
        sort: Callable[[bool], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("filter_popup")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAttribute(Qt.WidgetAttribute.WA_NoMouseReplay)  # a click outside only closes the popup
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._model = model
        self._column = column
        self._sort = sort
        current = model.column_filter(column) or ColumnFilter()
        counts = value_counts(model.values_for_filter(column), model.sort_spec_for(column))
        self.values = ValueListModel(counts, labels, self)
        if current.values is not None:
            self.values.checked = set(current.values) & set(self.values.values)
        self._build(model.schema.columns[column].header, current)
        self.values.dataChanged.connect(self._sync_all_box)
        self.values.modelReset.connect(self._sync_all_box)
        self.condition_box.currentIndexChanged.connect(self._sync_all_box)
        self.condition_text.textChanged.connect(self._sync_all_box)
        self._sync_all_box()

    def _build(self, header: str, current: ColumnFilter) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        title = QLabel(f"筛选「{header}」", self)
        title.setStyleSheet("font-weight: bold;")
        layout.addWidget(title)
        sort_row = QHBoxLayout()
        self.ascending_button = QPushButton("升序排列", self)
        self.descending_button = QPushButton("降序排列", self)
        self.ascending_button.clicked.connect(lambda: self._sort_and_close(False))
        self.descending_button.clicked.connect(lambda: self._sort_and_close(True))
        sort_row.addWidget(self.ascending_button)
        sort_row.addWidget(self.descending_button)
        layout.addLayout(sort_row)
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("搜索")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self.values.search)
        layout.addWidget(self.search_box)
        self.all_box = QCheckBox("（全选）", self)
        self.all_box.setTristate(True)
        self.all_box.clicked.connect(self._all_clicked)
        layout.addWidget(self.all_box)
        self.list_view = QListView(self)
        self.list_view.setUniformItemSizes(True)  # the list may hold a hundred thousand names
        self.list_view.setModel(self.values)
        self.list_view.setMinimumHeight(180)
        layout.addWidget(self.list_view, 1)
        layout.addLayout(self._build_condition(current.condition))
        buttons = QHBoxLayout()
        self.clear_button = QPushButton("清除此列筛选", self)
        self.clear_button.setEnabled(current.active)
        self.clear_button.clicked.connect(self.clear_filter)
        self.ok_button = QPushButton("确定", self)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.apply_filter)
        self.cancel_button = QPushButton("取消", self)
        self.cancel_button.clicked.connect(self.close)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.resize(300, 460)

    def _build_condition(self, condition: TextCondition | None) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("文本条件：", self))
        self.condition_box = QComboBox(self)
        self.condition_box.addItem(NO_CONDITION, "")
        for kind, title in CONDITION_TITLES.items():
            self.condition_box.addItem(title, kind)
        self.condition_text = QLineEdit(self)
        self.condition_text.setPlaceholderText("文字")
        if condition is not None:
            self.condition_box.setCurrentIndex(self.condition_box.findData(condition.kind))
            self.condition_text.setText(condition.text)
        self._enable_condition_text()
        self.condition_box.currentIndexChanged.connect(self._condition_chosen)
        row.addWidget(self.condition_box)
        row.addWidget(self.condition_text, 1)
        return row

    # -- what the buttons do ------------------------------------------------------------------------

    def set_condition(self, kind: ConditionKind | None, text: str = "") -> None:
        """Choose a text condition (None: none), as the user would in the drop-down."""
        self.condition_box.setCurrentIndex(self.condition_box.findData(kind or ""))
        self.condition_text.setText(text)

    def chosen_filter(self) -> ColumnFilter:
        """The filter the popup's state describes."""
        shown = self.values.shown_values()
        checked = self.values.checked
        if self.search_box.text().strip():
            values: frozenset[str] | None = frozenset(value for value in shown if value in checked)
        elif checked.issuperset(self.values.values):
            values = None
        else:
            values = frozenset(checked)
        return ColumnFilter(values, self._condition())

    def apply_filter(self) -> None:
        """确定: filter the column as chosen and close."""
        self._model.set_column_filter(self._column, self.chosen_filter())
        self.close()

    def clear_filter(self) -> None:
        """清除此列筛选."""
        self._model.set_column_filter(self._column, None)
        self.close()

    def _sort_and_close(self, descending: bool) -> None:
        self.close()
        self._sort(descending)

    def _condition(self) -> TextCondition | None:
        kind = self.condition_box.currentData()
        text = self.condition_text.text()
        if kind == "empty":
            return TextCondition("empty")
        if kind in ("contains", "equals") and text.strip():
            return TextCondition(kind, text.strip())
        return None

    def _enable_condition_text(self) -> None:
        self.condition_text.setEnabled(self.condition_box.currentData() in ("contains", "equals"))

    def _condition_chosen(self) -> None:
        self._enable_condition_text()
        if self.condition_box.currentData():
            # A text condition replaces the ticked values, as Excel's 文本筛选 does (both would have to hold).
            self.values.check_all()

    def _all_clicked(self) -> None:
        # A click on the partly ticked box ticks everything (Qt would go to the partial state next).
        state = self.all_box.checkState()
        self.values.set_all_shown(state != _UNCHECKED)

    def _sync_all_box(self) -> None:
        shown = self.values.shown_values()
        ticked = sum(1 for value in shown if value in self.values.checked)
        state = _CHECKED if ticked == len(shown) and shown else (_UNCHECKED if ticked == 0 else None)
        self.all_box.blockSignals(True)
        self.all_box.setCheckState(state if state is not None else Qt.CheckState.PartiallyChecked)
        self.all_box.blockSignals(False)
        self.ok_button.setEnabled(ticked > 0 or self._condition() is not None or not shown)

    def show_below(self, header: FilterHeader, column: int) -> None:
        """Open under the column's header, kept on the screen."""
        rect = header.section_rect(column)
        corner = header.viewport().mapToGlobal(
            QPoint(max(rect.right() - self.width(), rect.left()), rect.bottom())
        )
        screen = QGuiApplication.screenAt(corner) or QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            corner.setX(max(area.left(), min(corner.x(), area.right() - self.width())))
            corner.setY(max(area.top(), min(corner.y(), area.bottom() - self.height())))
        self.move(corner)
        self.show()
        self.search_box.setFocus()


def rows_text(shown: int, total: int, filtered: bool) -> str:
    """The row count of the status bar and panel: 「共 1,532 行」, or 「显示 120 / 1,532 行」 if filtered."""
    return f"显示 {shown:,} / {total:,} 行" if filtered else f"共 {total:,} 行"
