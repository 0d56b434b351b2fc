"""Where a pasted block (or an imported sheet) goes in a table, and what the quick checks find.

Nothing here changes anything: :func:`plan_paste` works out a :class:`PastePlan` that the 检查提示
dialog shows (how many rows × columns land where, how many filled cells are overwritten, how many
rows are added, how the columns were matched, which cells Excel damaged, which values will be
normalized, which values a drop-down column cannot take, which are too long), and
:meth:`PastePlan.changes` turns it into the cell writes and new rows that the grid then commits.

Placement follows Excel: from the current cell, pasted columns go to the table's columns by position,
unless the first pasted row is a header row (its cells are headers or aliases of the table's
columns), which then maps the columns by name and is not pasted itself. One value pasted onto a
larger selection fills the selection. Rows beyond the last one are added. Rows are *view* rows: the
caller passes the uids and values of the rows the view shows from the start row on, so a paste into
a filtered view writes to the visible rows only.

Every cell goes through the same reading as an imported file (:func:`app.validation.damage.cell_reader`:
N01–N06, X01, X02). Columns of plain text take a fast path: the whole column is checked at once for
anything normalization would change, and only columns that have such a value are read cell by cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, NamedTuple, cast

from app.files.clipboard_text import ClipboardTable
from app.files.importer import HEADER_SEARCH_ROWS, find_header_row
from app.files.reader import RawSheet, collector_paused, is_blank
from app.models.codes import CodeList
from app.models.policy import default_policy
from app.models.regions import county_code_list
from app.models.schema import Column, TableSchema
from app.validation.damage import X02_MESSAGE, CellValue, Finding, cell_reader, has_lost_digits, number_text
from app.validation.normalize import NAME_KEYS, NO_INNER_SPACE_TYPES
from app.validation.report import Severity

Mode = Literal["header", "position", "fill"]
SourceKind = Literal["clipboard", "file"]

ENUM_RULE = "enum"
LENGTH_RULE = "length"
DAMAGE_RULES = frozenset({"X01", "X02"})
NORMALIZE_RULES = ("N01", "N02", "N03", "N04", "N05", "N06")
RULE_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "X01": "科学计数法（号码已被 Excel 损坏）",
        "X02": "被 Excel 存成数字的号码（第15位之后已丢失）",
        "N01": "全角字符、特殊空格转为半角",
        "N02": "清除不可见字符、多余空格",
        "N03": "身份证号末位 x 改为大写 X",
        "N04": "规范为标准写法（如 壮→壮族、初一→七年级）",
        "N05": "姓名间隔号规范为“·”",
        "N06": "日期规范为 YYYY-MM-DD",
        ENUM_RULE: "下拉列不能取的值",
        LENGTH_RULE: "内容超过列的长度",
    }
)
DAMAGE_ADVICE = (
    "这些号码在 Excel/WPS 中已被改成了数字或科学计数法，丢失的数字无法从表格中恢复。"
    '请在原始表格中把这些列设为"文本"格式，从原始材料（户口簿、身份证、银行卡）重新录入完整号码后再复制。'
)
MAX_ENUM_CHOICES_SHOWN = 8
# Digits from which a number cell of an ID/account column is damage (rules.md: Excel keeps 15).
DAMAGED_NUMBER_DIGITS = 15

_SEPARATOR = "\x00"  # joins a column's texts for whole-column checks; parse_tsv refuses NUL in cells
_EDGE_SPACE = re.compile(r"(?:\A|\x00)\s|\s(?:\x00|\Z)")
_ANY_SPACE = re.compile(r"\s")
_TRAILING_X = re.compile(r"x(?:\x00|\Z)")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_INVISIBLE_OR_DOTS = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad\u30fb\uff65\u2022\u2027]")
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_READ_TYPES = frozenset({"enum", "region", "date"})
_FEW_DISTINCT = 64
# Rows per C-level step (zip, map) on big pastes: each step holds the GIL, and a worker thread must
# let the GUI thread run every few milliseconds.
CHUNK_ROWS = 8192


class CellFinding(NamedTuple):
    """One quick-check finding: data row (index into the plan's rows), table column, rule, message."""

    row: int
    column: int
    rule: str
    severity: Severity
    message: str


class PlannedEdit(NamedTuple):
    """One existing cell's change, with the same fields as the grid's undo record (app.ui.undo.CellEdit)."""

    uid: str
    row: int  # view row
    column: int
    old: str
    new: str


@dataclass(frozen=True)
class PasteSource:
    """The cells to place: a clipboard block or a sheet of a file.

    ``rows`` hold texts (clipboard) or typed cells (a workbook: numbers stay numbers, so X02 is seen).
    ``numbers`` marks the clipboard's number cells (column → row → x:num value). ``header_index`` is
    the row of a file's header (found in its first rows); a clipboard's header can only be its first row.
    ``first_number`` is the row number the user knows for ``rows[0]`` (a spreadsheet row for a file).
    """

    rows: Sequence[Sequence[CellValue]]
    numbers: Mapping[int, Mapping[int, str]] = field(default_factory=lambda: MappingProxyType({}))
    kind: SourceKind = "clipboard"
    header_index: int | None = None
    first_number: int = 1
    name: str = ""
    notes: tuple[str, ...] = ()

    @classmethod
    def from_clipboard(cls, table: ClipboardTable) -> PasteSource:
        return cls(rows=table.rows, numbers=table.numbers, kind="clipboard", notes=table.notes)

    @classmethod
    def from_sheet(cls, sheet: RawSheet, schema: TableSchema, file_name: str = "") -> PasteSource:
        """A sheet of a file, its header row searched in the first rows as the importer does."""
        return cls(
            rows=sheet.rows,
            kind="file",
            header_index=find_header_row(sheet.rows, schema),
            name=f"文件“{file_name}”工作表「{sheet.name}」" if file_name else f"工作表「{sheet.name}」",
        )

    @property
    def width(self) -> int:
        if self.kind == "clipboard" and self.rows:
            return len(self.rows[0])  # a ClipboardTable is a rectangle
        return max((len(row) for row in self.rows), default=0)


@dataclass(frozen=True)
class PasteTarget:
    """Where the paste goes, in view rows (what the grid shows, sorted or filtered).

    ``row``/``column``: the current cell (``row`` past the last view row appends). ``uids``/``values``:
    the view's rows from ``row`` on that the paste may write, in view order; ``numbers`` their row
    numbers as the user sees them (1-based). ``total_rows``: rows in the table (shown or not); added
    rows are numbered after them. ``fill``: (rows, columns) of a multi-cell selection whose top-left
    cell is (row, column), for one pasted value.
    """

    row: int
    column: int
    uids: Sequence[str]
    values: Sequence[Sequence[str]]
    numbers: Sequence[int]
    total_rows: int
    fill: tuple[int, int] | None = None

    @classmethod
    def append(cls, total_rows: int) -> PasteTarget:
        """After the last row (an import that adds every row)."""
        return cls(row=total_rows, column=0, uids=(), values=(), numbers=(), total_rows=total_rows)


@dataclass(frozen=True)
class PasteChanges:
    """What a paste writes: changed existing cells, rows appended, and how many pasted rows were skipped."""

    edits: list[PlannedEdit]
    new_rows: list[list[str]]
    skipped_rows: int

    @property
    def is_empty(self) -> bool:
        return not self.edits and not self.new_rows


@dataclass
class PastePlan:
    """The placement and quick-check results of one paste or import (see the module docstring)."""

    schema: TableSchema
    kind: SourceKind
    mode: Mode
    column_map: tuple[int | None, ...]  # source column → table column (None: not pasted)
    source_headers: tuple[str, ...]  # the header row's texts (header mode), else "第1列"…
    start_row: int  # view row of the first pasted row
    total_rows: int  # rows in the table before the paste
    row_numbers: Sequence[int]  # the user's row numbers of the existing rows written
    columns: dict[int, list[str]]  # table column → normalized value per pasted row
    source_numbers: list[int]  # per pasted row, the row number the user knows in the source
    uids: Sequence[str]  # uids of the existing rows written (the first ``existing`` pasted rows)
    old_values: Sequence[Sequence[str]]
    findings: list[CellFinding]
    problem_rows: frozenset[int]
    notes: list[str]
    overwritten: int
    source_name: str = ""

    # -- sizes ------------------------------------------------------------------------------------------

    @property
    def height(self) -> int:
        """Pasted rows (the header row not counted)."""
        return len(self.source_numbers)

    @property
    def width(self) -> int:
        """Table columns that receive values."""
        return len(self.columns)

    @property
    def existing(self) -> int:
        """Pasted rows that land on rows the table already has."""
        return min(self.height, len(self.uids))

    @property
    def added(self) -> int:
        """Rows the paste adds at the end."""
        return self.height - self.existing

    @property
    def target_columns(self) -> list[int]:
        """Table columns that receive values, in the order of the pasted columns."""
        return [column for column in self.column_map if column is not None]

    def grid_row_number(self, row: int) -> int:
        """The 1-based grid row number pasted row ``row`` will have (new rows follow the last row)."""
        if row < self.existing:
            return self.row_numbers[row]
        return self.total_rows + (row - self.existing) + 1

    # -- findings ---------------------------------------------------------------------------------------

    def rule_counts(self) -> Counter[str]:
        """How many cells each rule found (damage, normalizations, enum values, lengths)."""
        return Counter(finding.rule for finding in self.findings)

    def findings_for(self, rules: frozenset[str] | set[str]) -> list[CellFinding]:
        return [finding for finding in self.findings if finding.rule in rules]

    def where(self, finding: CellFinding) -> str:
        """Where a finding is, in the words of the message lists: 第15行「身份证号」（复制内容第3行）."""
        header = self.schema.columns[finding.column].header
        source = self.source_numbers[finding.row]
        if self.kind == "file":
            return f"文件第{source}行「{header}」（导入后第{self.grid_row_number(finding.row)}行）"
        return f"第{self.grid_row_number(finding.row)}行「{header}」（复制内容第{source}行）"

    # -- the sentence -----------------------------------------------------------------------------------

    def summary(self) -> str:
        """将粘贴 120 行 × 8 列，从第 15 行「姓名」开始；覆盖 40 个已有单元格；新增 80 行."""
        verb = "导入" if self.kind == "file" else "粘贴"
        first = self.target_columns[0] if self.target_columns else 0
        header = self.schema.columns[first].header
        start = self.grid_row_number(0)
        text = f"将{verb} {self.height:,} 行 × {self.width} 列，从第 {start:,} 行「{header}」开始"
        if self.overwritten:
            text += f"；覆盖 {self.overwritten:,} 个已有单元格"
        if self.added:
            text += f"；新增 {self.added:,} 行"
        return text

    # -- what to write ----------------------------------------------------------------------------------

    def changes(self, *, skip_problem_rows: bool = False) -> PasteChanges:
        """The writes of this plan: changed cells of existing rows and the new rows (full width)."""
        with collector_paused():
            return self._changes(skip_problem_rows)

    def _changes(self, skip_problem_rows: bool) -> PasteChanges:
        skip = self.problem_rows if skip_problem_rows else frozenset()
        existing = self.existing
        edits: list[PlannedEdit] = []
        uids, old_values, start = self.uids, self.old_values, self.start_row
        for column, values in self.columns.items():
            for row in range(existing):
                new = values[row]
                old = old_values[row][column]
                if new != old and row not in skip:
                    edits.append(PlannedEdit(uids[row], start + row, column, old, new))
        width = len(self.schema.columns)
        empty = [""] * (self.height - existing)
        per_column = [self.columns[c][existing:] if c in self.columns else empty for c in range(width)]
        new_rows = rows_of_columns(per_column, self.height - existing) if width else []
        if skip:
            new_rows = [row for index, row in enumerate(new_rows, existing) if index not in skip]
        return PasteChanges(edits, new_rows, len(skip))


# -- planning ---------------------------------------------------------------------------------------


def plan_paste(
    source: PasteSource,
    schema: TableSchema,
    target: PasteTarget,
    *,
    column_map: Sequence[int | None] | None = None,
    header: bool | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PastePlan:
    """Work out where ``source`` goes in ``schema``'s table at ``target`` and run the quick checks.

    ``column_map`` (source column → table column) replaces the automatic mapping; ``header`` forces
    whether the first row (a file: its header row) is a header. ``cancelled`` is polled between
    columns; when it returns True, :class:`PasteCancelledError` is raised.
    """
    with collector_paused():
        return _plan(source, schema, target, column_map=column_map, header=header, cancelled=cancelled)


def _plan(
    source: PasteSource,
    schema: TableSchema,
    target: PasteTarget,
    *,
    column_map: Sequence[int | None] | None,
    header: bool | None,
    cancelled: Callable[[], bool] | None,
) -> PastePlan:
    notes = list(source.notes)
    rows, source_numbers, first_data, header_cells = _data_rows(source, schema, header, notes)
    width = source.width
    mode: Mode
    if target.fill is not None and len(rows) == 1 and len(rows[0]) == 1 and header_cells is None:
        return _fill_plan(
            source=source, schema=schema, target=target, cell=rows[0][0], notes=notes, cancelled=cancelled
        )
    if header_cells is not None:
        mode = "header"
        mapping = tuple(column_map) if column_map is not None else _map_by_header(header_cells, schema, notes)
        labels = tuple(_label(cell) or f"第{index + 1}列" for index, cell in enumerate(header_cells))
    else:
        mode = "position"
        mapping = (
            tuple(column_map)
            if column_map is not None
            else _map_by_position(width, target.column, schema, notes)
        )
        labels = tuple(f"第{index + 1}列" for index in range(width))
    mapping = _padded_map(mapping, width)
    labels += tuple(f"第{index + 1}列" for index in range(len(labels), len(mapping)))
    if column_map is not None:
        mapping = _without_repeats(mapping, labels, schema, notes)
    if source.kind == "file":
        _note_missing_columns(mapping, schema, notes, source.name)
    numbers = source.numbers if source.kind == "clipboard" else {}
    texts_only = source.kind == "clipboard"  # clipboard cells are text; a workbook's may be numbers
    transposed = _columns_of(rows, width, rectangle=source.kind == "clipboard")
    columns: dict[int, list[str]] = {}
    findings: list[CellFinding] = []
    for source_column, table_column in enumerate(mapping):
        if table_column is None:
            continue
        if cancelled is not None and cancelled():
            raise PasteCancelledError
        column_numbers = _shifted(numbers.get(source_column), first_data, len(rows))
        values, found = read_column(
            schema.columns[table_column], transposed[source_column], column_numbers, texts=texts_only
        )
        columns[table_column] = values
        findings.extend(CellFinding(row, table_column, f.rule, f.severity, f.message) for row, f in found)
    return _finish(
        schema=schema,
        source=source,
        target=target,
        mode=mode,
        mapping=mapping,
        labels=labels,
        columns=columns,
        source_numbers=source_numbers,
        findings=findings,
        notes=notes,
    )


def rows_of_columns(columns: Sequence[Sequence[str]], count: int) -> list[list[str]]:
    """``count`` rows (new lists) made of the cells of ``columns``, a chunk of rows at a time."""
    rows: list[list[str]] = []
    for start in range(0, count, CHUNK_ROWS):
        rows.extend(map(list, zip(*(column[start : start + CHUNK_ROWS] for column in columns), strict=True)))
    return rows


def _columns_of(
    rows: Sequence[Sequence[CellValue]], width: int, *, rectangle: bool = False
) -> list[Sequence[CellValue]]:
    """The source's columns (a missing cell of a short row is None)."""
    if not rows:
        return [() for _ in range(width)]
    if rectangle or all(len(row) == width for row in rows):
        columns: list[list[CellValue]] = [[] for _ in range(width)]
        for start in range(0, len(rows), CHUNK_ROWS):
            for column, cells in zip(
                columns, zip(*rows[start : start + CHUNK_ROWS], strict=True), strict=True
            ):
                column.extend(cells)
        return list(columns)
    return [[row[column] if column < len(row) else None for row in rows] for column in range(width)]


class PasteCancelledError(Exception):
    """The user cancelled while the paste was being worked out or written."""


def _data_rows(
    source: PasteSource, schema: TableSchema, header: bool | None, notes: list[str]
) -> tuple[list[Sequence[CellValue]], list[int], int, Sequence[CellValue] | None]:
    """The rows to paste, their row numbers in the source, the index of the first, and the header row."""
    rows = list(source.rows)
    if source.kind == "file":
        index = source.header_index
        if index is None or header is False:
            raise NoHeaderError(_no_header_message(source, schema))
        kept = [
            (number, row)
            for number, row in enumerate(rows[index + 1 :], source.first_number + index + 1)
            if any(not is_blank(cell) for cell in row)
        ]
        return [row for _number, row in kept], [number for number, _row in kept], index + 1, rows[index]
    first_is_header = bool(rows) and (is_header_row(rows[0], schema) if header is None else header)
    skip = 1 if first_is_header else 0
    if first_is_header and len(rows) == 1:
        notes.append("复制的内容只有表头行，没有数据。")
    numbers = list(range(source.first_number + skip, source.first_number + len(rows)))
    return rows[skip:], numbers, skip, rows[0] if first_is_header else None


class NoHeaderError(Exception):
    """A file sheet without the table's header row; ``user_message`` says what was looked for."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


def _no_header_message(source: PasteSource, schema: TableSchema) -> str:
    if not any(not is_blank(cell) for row in source.rows for cell in row):
        return f"{source.name or '文件'}中没有任何数据。"
    expected = "、".join(schema.headers)
    return (
        f"在{source.name or '文件'}的前{HEADER_SEARCH_ROWS}行中没有找到{schema.title}的表头。"
        f"表头行应包含这些列名中的至少两个：{expected}。请检查是否选错了文件或工作表。"
    )


def is_header_row(row: Sequence[CellValue], schema: TableSchema) -> bool:
    """True when ``row`` names the table's columns: two or more headers/aliases, or at least half its cells.

    Values do not look like headers (no one is named 身份证号), so two matches are enough, and a copied
    column with its header (or two columns, one of them not in the table) matches too.
    """
    filled = [text for cell in row if (text := _label(cell))]
    matches = sum(1 for text in filled if schema.match_header(text) is not None)
    return matches >= 2 or (matches == 1 and 2 * matches >= len(filled))


def _label(cell: CellValue) -> str:
    return "" if is_blank(cell) else " ".join(str(cell).split())


def _map_by_header(
    header: Sequence[CellValue], schema: TableSchema, notes: list[str]
) -> tuple[int | None, ...]:
    mapping: list[int | None] = []
    taken: dict[int, str] = {}
    for index, cell in enumerate(header):
        text = _label(cell)
        column = schema.match_header(text) if text else None
        if column is None:
            if text:
                notes.append(f"第{index + 1}列「{text}」不是{schema.title}的列，不粘贴。")
            mapping.append(None)
            continue
        position = schema.index_of(column.key)
        if position in taken:
            notes.append(
                f"第{index + 1}列「{text}」和「{taken[position]}」都是「{column.header}」，只粘贴前一列。"
            )
            mapping.append(None)
            continue
        taken[position] = text
        mapping.append(position)
    return tuple(mapping)


def _map_by_position(width: int, start: int, schema: TableSchema, notes: list[str]) -> tuple[int | None, ...]:
    count = len(schema.columns)
    mapping = tuple(start + index if start + index < count else None for index in range(width))
    beyond = sum(1 for column in mapping if column is None)
    if beyond:
        notes.append(f"复制的内容有 {width} 列，超出表格最右一列的 {beyond} 列不粘贴。")
    return mapping


def _without_repeats(
    mapping: tuple[int | None, ...], labels: tuple[str, ...], schema: TableSchema, notes: list[str]
) -> tuple[int | None, ...]:
    """A chosen mapping with a table column taken twice: only the first pasted column goes there."""
    seen: dict[int, int] = {}
    kept: list[int | None] = []
    for index, column in enumerate(mapping):
        if column is not None and column in seen:
            header = schema.columns[column].header
            first = labels[seen[column]]
            notes.append(f"「{labels[index]}」和「{first}」都对应「{header}」，只粘贴「{first}」。")
            kept.append(None)
            continue
        if column is not None:
            seen[column] = index
        kept.append(column)
    return tuple(kept)


def _padded_map(mapping: tuple[int | None, ...], width: int) -> tuple[int | None, ...]:
    if len(mapping) >= width:
        return mapping[:width] if width else mapping
    return mapping + (None,) * (width - len(mapping))


def _note_missing_columns(
    mapping: Sequence[int | None], schema: TableSchema, notes: list[str], name: str
) -> None:
    present = {column for column in mapping if column is not None}
    missing = [c.header for i, c in enumerate(schema.columns) if i not in present and c.required]
    if missing:
        where = name or "文件"
        notes.append(f"{where}中没有这些必填列：{'、'.join(missing)}。导入后它们是空的，请在表格中补填。")


def _shifted(numbers: Mapping[int, str] | None, offset: int, count: int) -> Mapping[int, str] | None:
    if not numbers:
        return None
    if not offset:
        return numbers
    return {row - offset: value for row, value in numbers.items() if 0 <= row - offset < count}


def _fill_plan(
    *,
    source: PasteSource,
    schema: TableSchema,
    target: PasteTarget,
    cell: CellValue,
    notes: list[str],
    cancelled: Callable[[], bool] | None,
) -> PastePlan:
    """One value onto a selection of (rows × columns) cells: every selected cell gets it (like Excel)."""
    assert target.fill is not None
    height, width = target.fill
    last = min(target.column + width, len(schema.columns))
    columns: dict[int, list[str]] = {}
    findings: list[CellFinding] = []
    number = source.numbers.get(0, {}).get(0)
    for column in range(target.column, last):
        if cancelled is not None and cancelled():
            raise PasteCancelledError
        values, found = read_column(schema.columns[column], [cell], None if number is None else {0: number})
        columns[column] = values * height
        findings.extend(
            CellFinding(row, column, f.rule, f.severity, f.message)
            for row in range(height)
            for _r, f in found
        )
    return _finish(
        schema=schema,
        source=PasteSource(rows=[[cell]] * height, kind="clipboard"),
        target=target,
        mode="fill",
        mapping=(target.column,),
        labels=("第1列",),
        columns=columns,
        source_numbers=[1] * height,
        findings=findings,
        notes=notes,
    )


def _finish(
    *,
    schema: TableSchema,
    source: PasteSource,
    target: PasteTarget,
    mode: Mode,
    mapping: tuple[int | None, ...],
    labels: tuple[str, ...],
    columns: dict[int, list[str]],
    source_numbers: list[int],
    findings: list[CellFinding],
    notes: list[str],
) -> PastePlan:
    height = len(source_numbers)
    existing = min(height, len(target.uids))
    uids = target.uids[:existing]
    old_values = target.values[:existing]
    overwritten = 0
    for column, values in columns.items():
        overwritten += sum(
            1
            for old, new in zip((row[column] for row in old_values), values, strict=False)
            if old and old != new
        )
    problem_rows = frozenset(f.row for f in findings if f.severity == "error")
    return PastePlan(
        schema=schema,
        kind=source.kind,
        mode=mode,
        column_map=mapping,
        source_headers=labels,
        start_row=target.row,
        total_rows=target.total_rows,
        row_numbers=target.numbers[:existing],
        columns=columns,
        source_numbers=source_numbers,
        uids=uids,
        old_values=old_values,
        findings=findings,
        problem_rows=problem_rows,
        notes=notes,
        overwritten=overwritten,
        source_name=source.name,
    )


# -- one column ---------------------------------------------------------------------------------------


def read_column(
    column: Column,
    cells: Sequence[CellValue],
    numbers: Mapping[int, str] | None = None,
    *,
    texts: bool = False,
) -> tuple[list[str], list[tuple[int, Finding]]]:
    """The stored values of one column's pasted cells and their findings (row index, finding).

    Findings are those of an imported cell (N01–N06 notices, X01, X02) plus, as errors, X02 for a
    clipboard number cell of an ID/account column with 15 or more digits, a value a drop-down column
    cannot take (rule "enum") and a value longer than the column allows (rule "length"). ``texts``
    says every cell is known to be a ``str`` (the clipboard's are).
    """
    found: list[tuple[int, Finding]] = []
    if (
        (texts or _plain_text(cells))
        and not numbers
        and not _needs_reading(column, cast(Sequence[str], cells))
    ):
        values = list(cast(Sequence[str], cells))
    else:
        values = _read_cells(column, cells, found)
        if numbers:
            _read_numbers(column, cells, numbers, values, found)
    _check_choices(column, values, found)
    _check_lengths(column, values, found)
    return values, found


def _plain_text(cells: Sequence[CellValue]) -> bool:
    return all(type(cell) is str for cell in cells)


def _needs_reading(column: Column, texts: Sequence[str]) -> bool:
    """Whether any text of the column would be changed or flagged by the cell reading (else all stay)."""
    if column.type in _READ_TYPES or column.is_enum:
        return True
    joined = _SEPARATOR.join(texts)
    if not joined.isascii():
        lookalikes = _INVISIBLE_OR_DOTS if column.key in NAME_KEYS else _INVISIBLE
        if lookalikes.search(joined) or not unicodedata.is_normalized("NFKC", joined):
            return True
    if _ANY_SPACE.search(joined) and (column.type in NO_INNER_SPACE_TYPES or _EDGE_SPACE.search(joined)):
        return True
    if column.type in ("id18", "id") and "x" in joined and _TRAILING_X.search(joined):
        return True
    return column.damage_check and ("e" in joined or "E" in joined)


def _read_cells(column: Column, cells: Sequence[CellValue], found: list[tuple[int, Finding]]) -> list[str]:
    """Every cell through the importer's reading; a column of few distinct texts reads each text once."""
    read = cell_reader(column)
    distinct = dict.fromkeys(cells) if len(cells) > _FEW_DISTINCT else None
    if distinct is not None and len(distinct) <= len(cells) // 4 and _plain_text(list(distinct)):
        results = {cell: read(cell) for cell in distinct}
        if all(text.value == cell for cell, text in results.items()):
            values = list(cast(Sequence[str], cells))
        else:
            stored = {cell: text.value for cell, text in results.items()}
            values = list(map(stored.__getitem__, cells))
        flagged = {cell for cell, text in results.items() if text.findings}
        if flagged:
            found.extend(
                (index, finding)
                for index, cell in enumerate(cells)
                if cell in flagged
                for finding in results[cell].findings
            )
        return values
    values = []
    append = values.append
    for index, cell in enumerate(cells):
        text = read(cell)
        append(text.value)
        if text.findings:
            found.extend((index, finding) for finding in text.findings)
    return values


def _read_numbers(
    column: Column,
    cells: Sequence[CellValue],
    numbers: Mapping[int, str],
    values: list[str],
    found: list[tuple[int, Finding]],
) -> None:
    """Clipboard cells that Excel/WPS held as numbers: damage in ID/account columns, exact amounts."""
    x02 = Finding("X02", "error", X02_MESSAGE.format(column=column.header))
    damaged: set[int] = set()
    for index, written in numbers.items():
        if not 0 <= index < len(cells):
            continue
        text = values[index]
        if column.damage_check:
            digits = sum(character.isdigit() for character in (written or text))
            if digits < DAMAGED_NUMBER_DIGITS and "E" not in text.upper():
                continue
            number = _as_float(written) if written else _as_float(text)
            if number is not None and has_lost_digits(number):
                values[index] = number_text(number)  # never digits Excel made up
            damaged.add(index)
        elif column.type == "decimal" and written and _NUMBER_TEXT.fullmatch(written):
            values[index] = number_text(float(written))  # the amount itself, not "￥1,250.00"
    if damaged:
        # The cells' findings so far (X01 on "4.50102E+17", notices) only repeat the damage.
        found[:] = [item for item in found if item[0] not in damaged]
        found.extend((index, x02) for index in sorted(damaged))


def _as_float(text: str) -> float | None:
    cleaned = text.replace(",", "").strip()
    if not _NUMBER_TEXT.fullmatch(cleaned):
        return None
    return float(cleaned)


def _check_choices(column: Column, values: Sequence[str], found: list[tuple[int, Finding]]) -> None:
    codes = _choices(column)
    if codes is None:
        return
    distinct = set(values)
    verdicts = {
        value: _enum_finding(column, codes, value)
        for value in distinct
        if value and codes.canonical(value) != value
    }
    if verdicts:
        found.extend((index, verdicts[value]) for index, value in enumerate(values) if value in verdicts)


def _choices(column: Column) -> CodeList | None:
    if column.type == "region":
        return county_code_list(default_policy().province_code)
    return column.code_list() if column.is_enum else None


def _enum_finding(column: Column, codes: CodeList, value: str) -> Finding:
    if column.type == "region":
        allowed = "6位县级行政区划代码或县（区）名称"
    else:
        shown = "、".join(codes.values[:MAX_ENUM_CHOICES_SHOWN])
        allowed = shown + ("等" if len(codes.values) > MAX_ENUM_CHOICES_SHOWN else "")
    return Finding(ENUM_RULE, "error", f'「{column.header}」不能填"{value}"，可填：{allowed}。')


def _check_lengths(column: Column, values: Sequence[str], found: list[tuple[int, Finding]]) -> None:
    limit = column.max_length
    # A drop-down value the column can take is short; one it cannot take is already a finding.
    if limit is None or column.is_enum or not values or max(map(len, values)) <= limit:
        return
    damaged = {index for index, finding in found if finding.rule in DAMAGE_RULES}
    for index, value in enumerate(values):
        if len(value) > limit and index not in damaged:
            message = f"「{column.header}」有 {len(value)} 个字符，最多 {limit} 个。"
            found.append((index, Finding(LENGTH_RULE, "error", message)))
