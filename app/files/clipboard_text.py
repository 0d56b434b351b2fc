"""What Excel and WPS put on the clipboard → a rectangular block of cell texts, with the number cells.

``text/plain`` is tab-separated text: rows end in CR LF (the last one too), a cell holding a tab, a
line break or a quote is quoted with its quotes doubled, and every cell is the *displayed* text, so an
18-digit 身份证号 in a General cell arrives as ``4.50102E+17``. ``text/html`` (CF_HTML on Windows,
with its ``Version:``/``StartHTML:`` header) is a table whose number cells carry ``x:num`` (Excel) or
``x:num="…"`` (WPS): that is how a damaged ID whose text still looks like digits is recognised (X02),
and the table's shape is how a cell whose quotes the text lost (some programs write a multi-line
cell unquoted) is put back together.

The HTML is read with regular expressions over the tags rather than :mod:`html.parser`: Excel's HTML
of 10,000 rows × 17 columns is 10 MB, which html.parser needs 3.7 s for (37 s for 100,000 rows); the
tables Excel and WPS write are regular enough for a tag scanner, and anything else (nested tables of a
web page) is left to the text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from app.models.bulk import collector_paused

MAX_ROWS = 300_000
MAX_CELLS = 6_000_000

EMPTY_MESSAGE = "剪贴板中没有可以粘贴的内容。请先在 Excel 或 WPS 中选中单元格并复制（Ctrl+C）。"
BINARY_MESSAGE = (
    "剪贴板中的内容不是表格文字（含有空字符等无法识别的内容），没有粘贴。请从 Excel 或 WPS 中重新复制。"
)

_QUOTED_CELL = re.compile(r'"([^"]*(?:""[^"]*)*)"(?=[\t\n]|\Z)')
_CELL_END = re.compile(r"[\t\n]")
# No text holds NUL (binary data does), and the database would cut a value off at it.
_BINARY = "\x00"

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FRAGMENT_START = re.compile(r"<!--\s*StartFragment\s*-->", re.I)
_FRAGMENT_END = re.compile(r"<!--\s*EndFragment\s*-->", re.I)
_TABLE = re.compile(r"<table\b.*?(?:</table\s*>|\Z)", re.S | re.I)
_TABLE_OPEN = re.compile(r"<table\b", re.I)
_SKIPPED_BLOCK = re.compile(r"<(script|style|xml)\b.*?</\1\s*>", re.S | re.I)
_ROW_START = re.compile(r"<tr\b[^>]*>", re.I)
_CELL_START = re.compile(r"<t[dh](?=[\s>/])", re.I)
_LINE_BREAK_TAG = re.compile(r"<br\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_SPACE_AROUND_BREAK = re.compile(r" ?\n ?")
_X_NUM = re.compile(r"""(?<![\w:-])x:num(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""", re.I)
_X_TYPED = re.compile(r"(?<![\w:-])x:(?:num|str)\b", re.I)
_SPAN = re.compile(r"""(?<![\w:-])(colspan|rowspan)\s*=\s*["']?(\d+)""", re.I)
_MAX_SPAN = 1000
_CELL_END_TAGS = frozenset({"</td>", "</th>"})
_CF_HTML_FIELD = re.compile(r"^(StartHTML|EndHTML|StartFragment|EndFragment):\s*(-?\d+)\s*$", re.M)


class ClipboardError(Exception):
    """The clipboard holds nothing that can be pasted; ``user_message`` says why, in Chinese."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class ClipboardTable:
    """A rectangular block of pasted cells.

    ``rows[i][j]`` is the text of row i, column j (every row has :attr:`width` cells). ``numbers`` maps
    a column to the rows whose cell Excel or WPS holds as a number, each with the number as the HTML
    states it (``x:num="450102200801013000"``; "" when only the cell's text gives it). ``typed`` is
    True when an Excel/WPS table came with the text, so a cell missing from ``numbers`` is text.
    ``source`` says which format gave the texts; ``notes`` are remarks for the user about the reading.
    """

    rows: list[list[str]]
    numbers: Mapping[int, Mapping[int, str]] = field(default_factory=lambda: MappingProxyType({}))
    typed: bool = False
    source: Literal["text", "html"] = "text"
    notes: tuple[str, ...] = ()

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def is_number(self, row: int, column: int) -> bool:
        """True when the cell was a number cell in Excel/WPS (known only from the HTML)."""
        cells = self.numbers.get(column)
        return cells is not None and row in cells


@dataclass(frozen=True)
class HtmlTable:
    """The cells of an HTML table: texts (rectangular) and the number cells as in ClipboardTable."""

    rows: list[list[str]]
    numbers: dict[int, dict[int, str]]
    typed: bool


# -- plain text ----------------------------------------------------------------------------------


def parse_tsv(text: str) -> list[list[str]]:
    """The cells of tab-separated text as Excel and WPS write it, padded to a rectangle.

    Line ends may be CR LF, LF or CR; a cell starting with a quote is quoted only when a matching quote
    closes it right before a tab, a line end or the end (so a stray quote stays a character). Rows of
    nothing but empty cells at the end (the final line end, an empty last line) are left out.
    Raises ClipboardError when nothing is left, the text holds NUL characters (it is no text), or it
    is too big.
    """
    if _BINARY in text:
        raise ClipboardError(BINARY_MESSAGE)
    quoted = '"' in text
    if "\r" in text:
        line_ends = text.count("\r\n")
        if not quoted and text.count("\r") == line_ends == text.count("\n"):
            return _rectangle([line.split("\t") for line in text.split("\r\n")])  # Excel's, without a copy
        text = text.replace("\r\n", "\n")
        text = text.replace("\r", "\n") if "\r" in text else text
    rows = _split_quoted(text) if quoted else [line.split("\t") for line in text.split("\n")]
    return _rectangle(rows)


def _split_quoted(text: str) -> list[list[str]]:
    """Rows of ``text`` (line ends already LF), some cells quoted; lines without quotes are split whole."""
    rows: list[list[str]] = []
    position, end = 0, len(text)
    while True:
        line_end = text.find("\n", position)
        line = text[position:] if line_end < 0 else text[position:line_end]
        if '"' not in line:
            rows.append(line.split("\t"))
            if line_end < 0:
                return rows
            position = line_end + 1
            continue
        row, position = _quoted_row(text, position)
        rows.append(row)
        if position >= end:
            return rows


def _quoted_row(text: str, position: int) -> tuple[list[str], int]:
    """One row starting at ``position``: its cells and where the next row starts (len(text) at the end)."""
    row: list[str] = []
    end = len(text)
    while True:
        quoted = _QUOTED_CELL.match(text, position) if text.startswith('"', position) else None
        if quoted is not None:
            row.append(quoted.group(1).replace('""', '"'))
            position = quoted.end()
        else:
            cell_end = _CELL_END.search(text, position)
            stop = end if cell_end is None else cell_end.start()
            row.append(text[position:stop])
            position = stop
        if position >= end:
            return row, end
        separator = text[position]
        position += 1
        if separator == "\n":
            return row, position


def _rectangle(rows: list[list[str]]) -> list[list[str]]:
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise ClipboardError(EMPTY_MESSAGE)
    width = max(map(len, rows))
    _check_size(len(rows), width)
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    return rows


def _check_size(height: int, width: int) -> None:
    if height > MAX_ROWS or height * width > MAX_CELLS:
        raise ClipboardError(
            f"复制的内容太多（{height:,} 行 × {width:,} 列），一次最多粘贴 {MAX_ROWS:,} 行、"
            f"{MAX_CELLS:,} 个单元格。请分几次粘贴，或把数据保存为 Excel 文件后用「导入」。"
        )


# -- HTML ------------------------------------------------------------------------------------------


def html_document(payload: str) -> str:
    """The HTML of a clipboard payload, without the CF_HTML header (``Version:0.9 StartHTML:…``) if any.

    The header's offsets count UTF-8 bytes; when they do not fit the payload, the HTML is taken from
    its first tag.
    """
    if not payload.lstrip().startswith("Version:"):
        return payload
    first_tag = payload.find("<")
    if first_tag < 0:
        return ""
    fields = {name: int(value) for name, value in _CF_HTML_FIELD.findall(payload[:first_tag])}
    start, stop = fields.get("StartHTML", -1), fields.get("EndHTML", -1)
    data = payload.encode("utf-8", errors="surrogatepass")
    if 0 <= start < stop <= len(data) and data[start : start + 1] == b"<":
        return data[start:stop].decode("utf-8", errors="replace")
    return payload[first_tag:]


def parse_html_table(payload: str) -> HtmlTable | None:
    """The copied table of an HTML (or CF_HTML) payload, or None when it holds no simple table.

    The rows between ``<!--StartFragment-->`` and ``<!--EndFragment-->`` are read when the markers are
    there (Excel), else the first table. Nested tables (web pages) give None: their text is safer.
    Rows of nothing but empty cells at the end are left out, as in :func:`parse_tsv`.
    """
    region = _table_region(payload)
    return None if region is None else _html_table(region)


def _html_table(region: str) -> HtmlTable | None:
    rows, numbers = _scan_rows(region, texts=True)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        return None
    height = len(rows)
    numbers = {
        column: kept
        for column, cells in numbers.items()
        if (kept := {r: v for r, v in cells.items() if r < height})
    }
    return HtmlTable(_padded(rows), numbers, _X_TYPED.search(region) is not None)


def _padded(rows: list[list[str]]) -> list[list[str]]:
    width = max(map(len, rows))
    _check_size(len(rows), width)
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    return rows


def _table_region(payload: str) -> str | None:
    """The HTML of the copied rows, without comments, scripts and styles; None for nested tables."""
    document = _SKIPPED_BLOCK.sub("", html_document(payload))
    region = _fragment(document)
    region = _COMMENT.sub("", region)
    if _BINARY in region:
        return None
    tables = _TABLE_OPEN.findall(region)
    if len(tables) > 1:
        return None
    if tables:
        table = _TABLE.search(region)
        region = table.group(0) if table is not None else region
    return region


def _fragment(document: str) -> str:
    """What lies between Excel's StartFragment and EndFragment comments (the whole document without them)."""
    start = _FRAGMENT_START.search(document)
    if start is None:
        return document
    end = _FRAGMENT_END.search(document, start.end())
    return document[start.end() : len(document) if end is None else end.start()]


def _scan_rows(region: str, *, texts: bool) -> tuple[list[list[str]], dict[int, dict[int, str]]]:
    """The rows of cells of a table's HTML and its number cells (column → row → x:num value).

    Each row's HTML is split at its cells' start tags; a cell's content runs to the next cell (end
    tags, which HTML lets be left out, are dropped with the other tags). Without ``texts`` every
    cell's text is "" and only the shape and the number cells are worked out.
    """
    chunks = _ROW_START.split(region)
    # Cells before the first <tr> belong to a row whose start tag HTML lets be left out.
    chunks = chunks[1:] if len(chunks) > 1 and _CELL_START.search(chunks[0]) is None else chunks
    rows: list[list[str]] = []
    numbers: dict[int, dict[int, str]] = {}
    spans: dict[tuple[int, int], None] = {}  # cells that a rowspan from a row above covers
    for index, chunk in enumerate(chunks):
        pieces = _CELL_START.split(chunk)
        del pieces[0]  # what comes before the row's first cell
        if texts or spans or "span" in chunk:
            parts = [piece.partition(">") for piece in pieces]
            attributes = [part[0] for part in parts]
            cells = [_html_cell_text(part[2]) for part in parts] if texts else [""] * len(parts)
            columns = _span_columns(attributes, cells, index, spans) if spans or "span" in chunk else None
            if "num" in chunk:
                _note_numbers(attributes, columns, index, numbers)
        else:
            cells = [""] * len(pieces)
            if "num" in chunk:
                _note_numbers(
                    [piece.partition(">")[0] if "num" in piece else "" for piece in pieces],
                    None,
                    index,
                    numbers,
                )
        rows.append(cells)
    return rows, numbers


def _note_numbers(
    attributes: list[str], columns: list[int] | None, row: int, numbers: dict[int, dict[int, str]]
) -> None:
    for position, attribute in enumerate(attributes):
        if "num" in attribute:
            number = _X_NUM.search(attribute)
            if number is not None:
                value = next((group for group in number.groups() if group is not None), "")
                numbers.setdefault(position if columns is None else columns[position], {})[row] = value


def _span_columns(
    attributes: list[str], cells: list[str], row_index: int, spans: dict[tuple[int, int], None]
) -> list[int]:
    """Lay out a row with merged cells in place: ``cells`` gets the empty cells that merges cover.

    A merged cell keeps its text in its first cell (as Excel's text does). Returns the column of each
    of the row's own cells; ``spans`` carries the cells covered by a rowspan into the rows below.
    """
    laid: list[str] = []
    columns: list[int] = []
    for attribute, text in zip(attributes, cells, strict=True):
        while (row_index, len(laid)) in spans:
            del spans[(row_index, len(laid))]
            laid.append("")
        column = len(laid)
        columns.append(column)
        laid.append(text)
        if "span" in attribute:
            sizes = {name.lower(): min(int(value), _MAX_SPAN) for name, value in _SPAN.findall(attribute)}
            across, down = max(sizes.get("colspan", 1), 1), max(sizes.get("rowspan", 1), 1)
            laid.extend([""] * (across - 1))
            for below in range(1, down):
                for offset in range(across):
                    spans[(row_index + below, column + offset)] = None
    for key in sorted(key for key in spans if key[0] == row_index):
        while len(laid) < key[1]:
            laid.append("")
        laid.append("")
        del spans[key]
    cells[:] = laid
    return columns


def _html_cell_text(content: str) -> str:
    """The text of a cell's HTML: spaces collapsed as a browser does, <br> a line break, entities decoded."""
    content = content.strip(" \t\r\n\f")
    if content[-5:].lower() in _CELL_END_TAGS:
        content = content[:-5].rstrip(" \t\r\n\f")
    if "<" in content:
        content = _HTML_SPACE.sub(" ", content)
        content = _ANY_TAG.sub("", _LINE_BREAK_TAG.sub("\n", content))
        content = _SPACE_AROUND_BREAK.sub("\n", content).strip(" ") if "\n" in content else content.strip(" ")
    elif "\n" in content or "\t" in content or "  " in content or "\r" in content or "\f" in content:
        content = _HTML_SPACE.sub(" ", content)
    if "&" in content:
        content = html.unescape(content)
    # Excel writes an empty cell as &nbsp; in some versions: it is not a value.
    return "" if content == "\xa0" else content


# -- both ------------------------------------------------------------------------------------------


def read_clipboard(text: str | None, html_payload: str | None = None) -> ClipboardTable:
    """The block to paste from the clipboard's text and HTML (either may be missing).

    With both, the text gives the cells (it is exactly what Excel shows) and the HTML tells which cells
    are numbers; when their shapes differ (the text lost a cell's quotes), the HTML gives the cells.
    Raises ClipboardError with a message for the user when there is nothing to paste.
    """
    with collector_paused():
        return _read(text, html_payload)


def _read(text: str | None, html_payload: str | None) -> ClipboardTable:
    rows: list[list[str]] | None = None
    text_error: ClipboardError | None = None
    if text:
        try:
            rows = parse_tsv(text)
        except ClipboardError as exc:
            text_error = exc
    region = _region_or_none(html_payload)
    if region is None:
        if rows is not None:
            return ClipboardTable(rows)
        raise text_error or ClipboardError(EMPTY_MESSAGE)
    typed = _X_TYPED.search(region) is not None
    if rows is not None:
        shape, numbers = _scan_rows(region, texts=False)
        if _same_shape(rows, shape):
            return ClipboardTable(rows, _frozen(numbers), typed, "text")
    try:
        table = _html_table(region)
    except ClipboardError:
        table = None
    if table is None:
        if rows is not None:
            return ClipboardTable(rows)
        raise text_error or ClipboardError(EMPTY_MESSAGE)
    if rows is not None and _same_shape(rows, table.rows):
        return ClipboardTable(
            rows, _frozen(table.numbers), typed, "text"
        )  # the HTML had empty rows at the end
    notes: tuple[str, ...] = ()
    if rows is not None:
        notes = (
            f"剪贴板的纯文本（{len(rows)} 行 × {len(rows[0])} 列）与表格格式（{len(table.rows)} 行 × "
            f"{len(table.rows[0])} 列）不一致，已按表格格式读取（单元格内的换行会保留）。",
        )
    return ClipboardTable(table.rows, _frozen(table.numbers), typed, "html", notes)


def _same_shape(rows: list[list[str]], other: list[list[str]]) -> bool:
    return len(rows) == len(other) and len(rows[0]) == max(map(len, other), default=0)


def _frozen(numbers: dict[int, dict[int, str]]) -> Mapping[int, Mapping[int, str]]:
    return MappingProxyType({column: MappingProxyType(cells) for column, cells in numbers.items()})


def _region_or_none(payload: str | None) -> str | None:
    if not payload or "<" not in payload:
        return None
    return _table_region(payload)
