"""A one-sheet .xlsx written fast: openpyxl lays out the workbook, the rows are streamed as sheet XML.

openpyxl turns every cell into an object and every object into XML through a generic serializer:
about 20 µs per cell, 40 s for 100,000 rows of a 17-column table. Here openpyxl still writes what it
does well and cheaply (styles, header row, column widths and formats, frozen header, auto-filter,
the workbook parts) as a workbook without data rows; the data rows are then spliced into its sheet
part as text, a few string operations per cell, while the zip is rewritten.

Cells are written as Excel writes them:

- text: an inline string cell (``t="inlineStr"``); in a text-formatted column ("@") with that style,
  so that Excel shows and keeps an 18-digit ID as text;
- text starting like a formula (``=``, ``+``, ``-``, ``@``, tab, CR): a string with the quote-prefix
  style, so Excel neither evaluates it nor makes it a formula when the cell is edited;
- an amount (``312.5``): a number cell with the format "0.00"; an integer (a row number): a number;
- empty: no cell (the column-wide format makes a value typed there later a text cell).

Control characters that an .xlsx cannot hold (everything below U+0020 but tab, LF and CR) are
removed; the rest of a value is kept byte for byte.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter

TEXT_FORMAT = "@"
AMOUNT_FORMAT = "0.00"
HEADER_FILL = "DDEBF7"
PROGRESS_EVERY = 1000
SHEET_PART = "xl/worksheets/sheet1.xml"
# Fast enough for 60 MB of sheet XML in well under a second, and XML this repetitive compresses
# nearly as well at level 1 as at the default level 6.
COMPRESS_LEVEL = 1

CellKind = Literal["text", "general", "amount", "integer"]

# Characters that must be escaped or removed; a row's values are searched for them in one call.
_NOT_PLAIN = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
# A value starting like a formula or with a space (kept only with xml:space="preserve"), or ending
# with a space, takes the careful path.
_CAREFUL_FIRST = frozenset("=+-@\t\r\n ")
_CAREFUL_LAST = frozenset("\t\r\n ")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A 资助金额 that can be a number cell without changing its text on a re-import: no sign, no
# leading zeros, at most 2 decimals and well within Excel's 15 significant digits.
_AMOUNT = re.compile(r"^(?:0|[1-9]\d{0,11})(?:\.\d{1,2})?$")
_SHEET_DATA_END = b"</sheetData>"

Progress = Callable[[int], None]


@dataclass(frozen=True)
class SheetColumn:
    """One column of the sheet: its header, width (in characters) and the kind of its cells.

    ``text`` columns are text-formatted ("@") cell by cell and column-wide; ``general`` columns hold
    text without a format (names, enum values); ``amount`` columns hold numbers shown as "0.00"
    (anything else stays text); ``integer`` columns hold ints as numbers.
    """

    header: str
    width: float
    kind: CellKind = "general"


def is_formula_like(text: str) -> bool:
    """Whether Excel (or LibreOffice/WPS) would read ``text`` typed into a cell as a formula."""
    return text.startswith(_FORMULA_STARTS)


def _style(number_format: str, *, quote_prefix: bool = False) -> StyleArray:
    # Built-in number formats ("@", "0.00") need no entry in the workbook's format table.
    style = StyleArray()
    style.numFmtId = BUILTIN_FORMATS_REVERSE[number_format]
    style.quotePrefix = int(quote_prefix)
    return style


@dataclass(frozen=True)
class _Styles:
    """The cellXfs indices of the data cells' styles in the workbook openpyxl writes."""

    text: int
    quoted_text: int
    quoted_general: int
    amount: int

    @classmethod
    def register(cls, workbook: Any) -> _Styles:
        styles = workbook._cell_styles  # openpyxl's list of cell formats (cellXfs): index = style id
        return cls(
            text=styles.add(_style(TEXT_FORMAT)),
            quoted_text=styles.add(_style(TEXT_FORMAT, quote_prefix=True)),
            quoted_general=styles.add(_style("General", quote_prefix=True)),
            amount=styles.add(_style(AMOUNT_FORMAT)),
        )


class _ColumnWriter:
    """The XML of one column's cells (row number given per call)."""

    def __init__(self, index: int, column: SheetColumn, styles: _Styles) -> None:
        self.letter = get_column_letter(index)
        self.kind = column.kind
        text_style = f' s="{styles.text}"' if column.kind == "text" else ""
        quoted = styles.quoted_text if column.kind == "text" else styles.quoted_general
        self._text_open = f'{text_style} t="inlineStr"><is><t>'
        self._quoted_open = f' s="{quoted}" t="inlineStr"><is><t'
        self._amount_open = f' s="{styles.amount}"><v>'

    def cell(self, row: str, value: object, plain: bool) -> str:
        """``<c>`` of ``value`` in row ``row`` ("" for an empty value: no cell).

        ``plain``: the row's values hold nothing to escape or remove (see _row_is_plain).
        """
        if value is None or value == "":
            return ""
        if not isinstance(value, str):
            if self.kind == "integer" and isinstance(value, int):
                return f'<c r="{self.letter}{row}"><v>{value}</v></c>'
            value = str(value)
        if self.kind == "amount" and _AMOUNT.match(value):
            return f'<c r="{self.letter}{row}"{self._amount_open}{value}</v></c>'
        if plain and value[0] not in _CAREFUL_FIRST and value[-1] not in _CAREFUL_LAST:
            return f'<c r="{self.letter}{row}"{self._text_open}{value}</t></is></c>'
        return self._special(row, value)

    def _special(self, row: str, value: str) -> str:
        quoted = is_formula_like(value)
        text = escape(_ILLEGAL.sub("", value))
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        if quoted:
            return f'<c r="{self.letter}{row}"{self._quoted_open}{space}>{text}</t></is></c>'
        return f'<c r="{self.letter}{row}"{self._text_open[:-1]}{space}>{text}</t></is></c>'


def write_sheet(
    path: Path,
    title: str,
    columns: Sequence[SheetColumn],
    rows: Sequence[Sequence[object]],
    *,
    progress: Progress | None = None,
) -> int:
    """Write a workbook with one sheet ``title`` (header row + ``rows``) to ``path``; returns the row count.

    The header is bold on a light-blue fill and frozen, with an auto-filter over all rows.
    ``progress`` is called with the rows written so far every PROGRESS_EVERY rows. Raises OSError
    when the file cannot be written; the caller writes to a temporary file and renames it.
    """
    workbook: Any = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(title)
    _lay_out(sheet, columns)
    sheet.append(_header(sheet, columns))
    last = get_column_letter(len(columns))
    sheet.auto_filter = AutoFilter(ref=f"A1:{last}{len(rows) + 1}")
    styles = _Styles.register(workbook)
    try:
        workbook.save(path)
    except BaseException:
        _abandon(sheet)
        raise
    writers = [_ColumnWriter(index, column, styles) for index, column in enumerate(columns, start=1)]
    _splice_rows(path, writers, rows, progress)
    return len(rows)


def _abandon(sheet: Any) -> None:
    """Shut down the streaming writer of a sheet whose workbook could not be saved.

    Left open, it would try to finish its XML when garbage-collected, long after its file is gone.
    """
    if not sheet.closed:
        with contextlib.suppress(Exception):
            sheet.close()


def _lay_out(sheet: Any, columns: Sequence[SheetColumn]) -> None:
    """Widths, column-wide formats (a value typed later keeps its text), and the frozen header."""
    for index, column in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        if column.kind == "text":
            dimension.number_format = TEXT_FORMAT
        elif column.kind == "amount":
            dimension.number_format = AMOUNT_FORMAT
    sheet.freeze_panes = "A2"


def _header(sheet: Any, columns: Sequence[SheetColumn]) -> list[Any]:
    font = Font(bold=True)
    fill = PatternFill(fill_type="solid", fgColor=HEADER_FILL)
    alignment = Alignment(horizontal="center", vertical="center")
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, column.header)
        cell.font = font
        cell.fill = fill
        cell.alignment = alignment
        cell.number_format = TEXT_FORMAT
        cells.append(cell)
    return cells


def _splice_rows(
    path: Path, writers: Sequence[_ColumnWriter], rows: Sequence[Sequence[object]], progress: Progress | None
) -> None:
    """Rewrite the zip at ``path`` with the data rows inside its sheet's ``<sheetData>``."""
    with zipfile.ZipFile(path) as skeleton:
        parts = [(info, skeleton.read(info)) for info in skeleton.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive:
        for info, content in parts:
            if info.filename != SHEET_PART:
                archive.writestr(info.filename, content)
                continue
            head, tail = content.split(_SHEET_DATA_END, 1)
            with archive.open(SHEET_PART, "w", force_zip64=True) as stream:
                stream.write(head)
                _write_rows(stream, writers, rows, progress)
                stream.write(_SHEET_DATA_END + tail)


def _write_rows(
    stream: Any, writers: Sequence[_ColumnWriter], rows: Sequence[Sequence[object]], progress: Progress | None
) -> None:
    chunk: list[str] = []
    for number, row in enumerate(rows, start=2):
        label = str(number)
        plain = _row_is_plain(row)
        chunk.append(f'<row r="{label}">')
        chunk.extend([writer.cell(label, value, plain) for writer, value in zip(writers, row, strict=False)])
        chunk.append("</row>")
        if (number - 1) % PROGRESS_EVERY == 0:
            stream.write("".join(chunk).encode("utf-8", "replace"))
            chunk.clear()
            if progress is not None:
                progress(number - 1)
    stream.write("".join(chunk).encode("utf-8", "replace"))


def _row_is_plain(row: Sequence[object]) -> bool:
    """Whether no value of ``row`` has a character to escape or remove (one search for the row)."""
    try:
        joined = "".join(row)  # type: ignore[arg-type]  # a non-str value raises, as wanted
    except TypeError:
        return False
    return _NOT_PLAIN.search(joined) is None
