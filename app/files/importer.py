"""A spreadsheet file → normalized rows of a table, with the N/X findings and the file's problems.

The header row is found by its names (templates often put a title above it), columns are mapped by
header or alias, every cell goes through cell_text (N01–N06, X01/X02), and empty rows are dropped.
The table rules (S/A) run later, on the stored rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.files.reader import FileReadError, RawSheet, collector_paused, is_blank, read_sheet, sheet_names
from app.models.schema import Column, TableKey, TableSchema, table_schema
from app.validation.damage import CellText, CellValue, cell_reader
from app.validation.report import Issue, Severity

HEADER_SEARCH_ROWS = 10
MIN_HEADER_MATCHES = 2


@dataclass(frozen=True)
class FileProblem:
    """A problem of the file as a whole (its header, its columns), not of one cell."""

    severity: Severity
    message: str


@dataclass
class ImportResult:
    """What a file holds for one table.

    ``rows[i]`` has every column key of the table ("" where the file has no such column) and came
    from spreadsheet row ``source_rows[i]``. ``header_row`` is the spreadsheet row of the header
    (None when none was found); ``column_map`` maps 0-based file columns to column keys.
    """

    table: TableKey
    sheet: str
    header_row: int | None
    rows: list[dict[str, str]] = field(default_factory=list)
    source_rows: list[int] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    column_map: dict[int, str] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        """Errors among the cell findings and the file problems."""
        cell_errors = sum(1 for issue in self.issues if issue.severity == "error")
        return cell_errors + sum(1 for problem in self.problems if problem.severity == "error")

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0


def import_file(path: Path, table: TableKey, sheet: str | None = None) -> ImportResult:
    """Read ``sheet`` of ``path`` (when None: the first sheet whose header fits ``table``) as rows.

    Raises FileReadError when the file cannot be read at all; everything else is reported in the
    result's ``issues`` (cells) and ``problems`` (the file).
    """
    with collector_paused():
        first = import_sheet(read_sheet(path, sheet), table)
        if sheet is not None or first.header_row is not None:
            return first
        for name in sheet_names(path)[1:]:
            try:
                other = import_sheet(read_sheet(path, name), table)
            except FileReadError:
                continue
            if other.header_row is not None:
                return other
        return first


def import_sheet(raw: RawSheet, table: TableKey) -> ImportResult:
    """The rows of ``table`` that ``raw`` holds, normalized, with findings and file problems."""
    schema = table_schema(table)
    result = ImportResult(table=table, sheet=raw.name, header_row=None)
    header_index = find_header_row(raw.rows, schema)
    if header_index is None:
        result.problems.append(FileProblem("error", _no_header_message(raw, schema)))
        return result
    result.header_row = header_index + 1
    result.column_map = _map_columns(raw.rows[header_index], schema, result.problems)
    _read_rows(raw.rows, header_index + 1, schema, result)
    _check_missing_columns(schema, result)
    if not result.rows:
        result.problems.append(
            FileProblem("error", f"工作表「{raw.name}」第{result.header_row}行的表头下面没有数据。")
        )
    return result


def find_header_row(rows: Sequence[Sequence[CellValue]], schema: TableSchema) -> int | None:
    """The 0-based index of the first of the first 10 rows with two or more of the table's headers."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        matches = sum(1 for cell in row if _header_text(cell) and schema.match_header(_header_text(cell)))
        if matches >= MIN_HEADER_MATCHES:
            return index
    return None


def _header_text(cell: CellValue) -> str:
    if is_blank(cell):
        return ""
    return " ".join(str(cell).split())  # a header typed on two lines ("身份证号\n(必填)") shows on one


def _no_header_message(raw: RawSheet, schema: TableSchema) -> str:
    if not any(not is_blank(cell) for row in raw.rows for cell in row):
        return f"工作表「{raw.name}」中没有任何数据。"
    expected = "、".join(schema.headers)
    return (
        f"在工作表「{raw.name}」的前{HEADER_SEARCH_ROWS}行中没有找到{schema.title}的表头。"
        f"表头行应包含这些列名中的至少两个：{expected}。请检查是否选错了文件或工作表。"
    )


def _map_columns(
    header: Sequence[CellValue], schema: TableSchema, problems: list[FileProblem]
) -> dict[int, str]:
    mapped: dict[int, str] = {}
    first_of: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(header):
        text = _header_text(cell)
        if not text:
            continue
        column = schema.match_header(text)
        if column is None:
            problems.append(FileProblem("notice", f"第{index + 1}列「{text}」不是本表的列，已忽略。"))
        elif column.key in first_of:
            other_index, other_text = first_of[column.key]
            problems.append(
                FileProblem(
                    "error",
                    f"第{other_index + 1}列「{other_text}」和第{index + 1}列「{text}」"
                    f"都是「{column.header}」，请删除其中一列后重新导入。",
                )
            )
        else:
            first_of[column.key] = (index, text)
            mapped[index] = column.key
    return mapped


def _read_rows(
    rows: Sequence[Sequence[CellValue]], start: int, schema: TableSchema, result: ImportResult
) -> None:
    readers = [
        (index, schema.column(key), cell_reader(schema.column(key)))
        for index, key in result.column_map.items()
    ]
    empty_record = dict.fromkeys(schema.keys, "")
    for index in range(start, len(rows)):
        row = rows[index]
        width = len(row)
        record = empty_record.copy()
        found: list[tuple[Column, CellText]] = []
        filled = False
        for column_index, column, read in readers:
            text = read(row[column_index] if column_index < width else None)
            if text.value:
                record[column.key] = text.value
                filled = True
            if text.findings:
                found.append((column, text))
        if not filled:
            continue  # also drops the findings of a row that only held spaces
        row_number = index + 1
        for column, text in found:
            result.issues.extend(_issues(result.table, row_number, column, text))
        result.rows.append(record)
        result.source_rows.append(row_number)


def _issues(table: TableKey, row_number: int, column: Column, text: CellText) -> Iterable[Issue]:
    return (
        Issue(table, row_number, column.header, finding.rule, finding.severity, finding.message)
        for finding in text.findings
    )


def _check_missing_columns(schema: TableSchema, result: ImportResult) -> None:
    present = set(result.column_map.values())
    for column in schema.columns:
        if column.key in present:
            continue
        reason = _why_needed(column, present, result.rows, schema)
        if reason is not None:
            result.problems.append(FileProblem("error", f"缺少必填列「{column.header}」。{reason}"))


def _why_needed(
    column: Column, present: set[str], rows: list[dict[str, str]], schema: TableSchema
) -> str | None:
    """Why a column the file lacks is needed ("" when it always is), or None when no row needs it.

    A conditionally required column is needed only if some row meets its condition, so that a
    kindergarten's file without 学籍号, or an aid file of fee waivers without 账号, still imports.
    """
    if column.required and not column.required_unless:
        return ""
    for key, exempt in column.required_unless.items():
        if key not in present or any(row[key] not in exempt for row in rows):
            return ""
    for key, triggers in column.required_when.items():
        if key in present and any(row[key] in triggers for row in rows):
            header = schema.column(key).header
            values = "或".join(triggers)
            return f"{header}为{values}的行必须填写该列。"
    return None
