"""Painting the grid's visible cells in one Python call per repaint.

QTableView paints cell by cell and calls into Python (the delegate) for every one of them; each
call costs more than drawing the cell. Here the view draws a whole page itself: backgrounds row by
row, the text of each cell clipped to its rectangle, grid lines, and Excel's frame around the
current cell. Editors are child widgets and paint themselves on top.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QTableView

from app.ui.table_model import RowsTableModel

_PADDING = 4
_FOCUS_WIDTH = 2


@dataclass
class GridColors:
    base: QColor
    alternate: QColor
    text: QColor
    disabled_text: QColor
    highlight: QColor
    highlighted_text: QColor
    grid: QColor
    focus: QPen

    @classmethod
    def from_view(cls, view: QTableView) -> GridColors:
        palette = view.palette()
        active, disabled = QPalette.ColorGroup.Active, QPalette.ColorGroup.Disabled
        highlight = palette.color(active, QPalette.ColorRole.Highlight)
        option = QStyleOptionViewItem()
        option.initFrom(view)  # without an option the style answers 0 (transparent)
        hint = view.style().styleHint(QStyle.StyleHint.SH_Table_GridLineColor, option, view)
        grid = QColor.fromRgba(hint & 0xFFFFFFFF)
        return cls(
            base=palette.color(active, QPalette.ColorRole.Base),
            alternate=palette.color(active, QPalette.ColorRole.AlternateBase),
            text=palette.color(active, QPalette.ColorRole.Text),
            disabled_text=palette.color(disabled, QPalette.ColorRole.Text),
            highlight=highlight,
            highlighted_text=palette.color(active, QPalette.ColorRole.HighlightedText),
            grid=grid if grid.alpha() else palette.color(active, QPalette.ColorRole.Mid),
            focus=QPen(highlight.darker(130), _FOCUS_WIDTH),
        )


def _visible_sections(view: QTableView, horizontal: bool, low: int, high: int) -> list[tuple[int, int, int]]:
    """(logical index, viewport position, size) of the sections shown between ``low`` and ``high``."""
    header = view.horizontalHeader() if horizontal else view.verticalHeader()
    count = header.count()
    if count == 0:
        return []
    first = header.visualIndexAt(low)
    last = header.visualIndexAt(high)
    first = 0 if first < 0 else first
    last = count - 1 if last < 0 else last
    sections = []
    for visual in range(first, last + 1):
        logical = header.logicalIndex(visual)
        if header.isSectionHidden(logical):
            continue
        sections.append((logical, header.sectionViewportPosition(logical), header.sectionSize(logical)))
    return sections


def paint_grid(view: QTableView, model: RowsTableModel, colors: GridColors, area: QRect) -> None:
    """Paint the cells of ``view`` that intersect ``area`` (viewport coordinates)."""
    painter = QPainter(view.viewport())
    try:
        painter.fillRect(area, colors.base)
        rows = _visible_sections(view, False, area.top(), area.bottom())
        columns = _visible_sections(view, True, area.left(), area.right())
        if rows and columns:
            selected = _selected_cells(view, rows, columns)
            _paint_backgrounds(
                painter, view=view, model=model, colors=colors, rows=rows, columns=columns, selected=selected
            )
            _paint_texts(
                painter, view=view, model=model, colors=colors, rows=rows, columns=columns, selected=selected
            )
            _paint_grid_lines(painter, view, colors, rows, columns)
            _paint_current_cell(view, painter, colors)
    finally:
        painter.end()


Sections = list[tuple[int, int, int]]


def _selected_cells(view: QTableView, rows: Sections, columns: Sections) -> set[tuple[int, int]]:
    """The visible (row, column) cells that are selected."""
    cells: set[tuple[int, int]] = set()
    ranges = view.selectionModel().selection()
    for index in range(ranges.count()):
        block = ranges.at(index)
        top, bottom, left, right = block.top(), block.bottom(), block.left(), block.right()
        visible_rows = [row for row, _y, _h in rows if top <= row <= bottom]
        visible_columns = [column for column, _x, _w in columns if left <= column <= right]
        cells.update((row, column) for row in visible_rows for column in visible_columns)
    return cells


def _paint_backgrounds(
    painter: QPainter,
    *,
    view: QTableView,
    model: RowsTableModel,
    colors: GridColors,
    rows: Sections,
    columns: Sections,
    selected: set[tuple[int, int]],
) -> None:
    right = columns[-1][1] + columns[-1][2]
    alternating = view.alternatingRowColors()
    for row, y, height in rows:
        if alternating and row % 2:
            painter.fillRect(0, y, right, height, colors.alternate)
        for column, x, width in columns:
            if (row, column) in selected:
                painter.fillRect(x, y, width, height, colors.highlight)
            else:
                background = model.cell_background(row, column)
                if background is not None:
                    painter.fillRect(x, y, width, height, background)


def _paint_texts(
    painter: QPainter,
    *,
    view: QTableView,
    model: RowsTableModel,
    colors: GridColors,
    rows: Sections,
    columns: Sections,
    selected: set[tuple[int, int]],
) -> None:
    # Column by column with one clip rectangle each: drawing at a baseline point is several times
    # cheaper than drawText into a rectangle, and the clip cuts long text at the border as Excel does.
    metrics = view.fontMetrics()
    offset = (metrics.ascent() - metrics.descent()) // 2
    text_pen = colors.text if view.isEnabled() else colors.disabled_text
    top = rows[0][1]
    bottom = rows[-1][1] + rows[-1][2]
    for column, x, width in columns:
        painter.setClipRect(x + _PADDING // 2, top, width - _PADDING, bottom - top)
        painter.setPen(text_pen)
        highlighted = False
        for row, y, height in rows:
            text = model.display_text(row, column)
            if not text:
                continue
            if ((row, column) in selected) != highlighted:
                highlighted = not highlighted
                painter.setPen(colors.highlighted_text if highlighted else text_pen)
            painter.drawText(x + _PADDING, y + height // 2 + offset, text)
    painter.setClipping(False)


def _paint_grid_lines(
    painter: QPainter, view: QTableView, colors: GridColors, rows: Sections, columns: Sections
) -> None:
    if not view.showGrid():
        return
    right = columns[-1][1] + columns[-1][2]
    bottom = rows[-1][1] + rows[-1][2]
    painter.setPen(colors.grid)
    for _column, x, width in columns:
        painter.drawLine(x + width - 1, rows[0][1], x + width - 1, bottom - 1)
    for _row, y, height in rows:
        painter.drawLine(columns[0][1], y + height - 1, right - 1, y + height - 1)


def _paint_current_cell(view: QTableView, painter: QPainter, colors: GridColors) -> None:
    current = view.currentIndex()
    if not current.isValid() or not view.hasFocus():
        return
    rect = view.visualRect(current)
    if rect.isValid():
        painter.setPen(colors.focus)
        painter.drawRect(rect.adjusted(1, 1, -2, -2))
