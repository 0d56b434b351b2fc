"""导出到Excel and 下载空白模板: .xlsx files that Excel cannot damage.

Excel turns an 18-digit number into ``4.50102E+17`` (and zeroes its last three digits) and drops the
leading 0 of ``0771-…``, so ID, account, phone, region and date cells are written as text cells with
the text number format "@". A cell that starts like a formula (``=``, ``+``, ``-``, ``@``) is stored
as a plain string with the quote-prefix style, so Excel neither evaluates it nor turns it into a
formula when the user edits the cell; the value itself stays byte-identical for a re-import.

Every file is written to a temporary file beside the target and moved over it at the end, so a
failed export never leaves a half-written file where the old one was.
"""

from __future__ import annotations

import contextlib
import errno
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter

from app.models.codes import CodeList
from app.models.policy import default_policy
from app.models.schema import Column, TableKey, TableSchema, table_schema

CODE_SHEET = "代码表"
TEXT_FORMAT = "@"
AMOUNT_FORMAT = "0.00"
HEADER_FILL = "DDEBF7"
PROGRESS_EVERY = 1000
# Excel's last row: the template's drop-downs and text format cover the whole column.
LAST_ROW = 1_048_576

# What makes Excel (and LibreOffice/WPS) read a typed or pasted cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A 资助金额 that can be a number cell without changing its text on a re-import: no sign, no
# leading zeros, at most 2 decimals and well within Excel's 15 significant digits.
_AMOUNT = re.compile(r"^(?:0|[1-9]\d{0,11})(?:\.\d{1,2})?$")


class ExportError(Exception):
    """A file could not be written; ``user_message`` says why, in Chinese, for the user."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


# ---------------------------------------------------------------- errors and atomic saving


def _target_is_a_folder(path: Path) -> ExportError:
    return ExportError(f"“{path}”是一个文件夹，不能保存为文件，请换一个文件名。")


def _folder_missing(path: Path) -> ExportError:
    return ExportError(f"保存位置“{path.parent}”不存在，请重新选择保存文件夹。")


def _export_error(path: Path, exc: OSError) -> ExportError:
    name = path.name
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        return _target_is_a_folder(path)
    if exc.errno == errno.ENOSPC:
        return ExportError(f"磁盘空间不足，文件“{name}”没有保存。请清理磁盘或换一个保存位置后重试。")
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return _folder_missing(path)
    # Windows reports a file held open by Excel/WPS as a permission error.
    if isinstance(exc, PermissionError) or exc.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
        return ExportError(f"文件“{name}”正被其他程序（如 Excel/WPS）打开或没有写入权限，请关闭后重试。")
    return ExportError(f"文件“{name}”保存失败（系统错误代码 {exc.errno}），请换一个保存位置后重试。")


def _check_target(path: Path) -> None:
    """Fail before a long export when the target can obviously not be written."""
    if path.is_dir():
        raise _target_is_a_folder(path)
    if not path.parent.is_dir():
        raise _folder_missing(path)


def _save_atomically(workbook: Workbook, path: Path) -> None:
    # Same folder as the target, so the final replace is a rename on one file system (atomic).
    temp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp")
    try:
        workbook.save(temp)
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _export_error(path, exc) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- cells


def _is_formula_like(text: str) -> bool:
    return text.startswith(_FORMULA_STARTS)


def _style(number_format: str, *, quote_prefix: bool = False) -> StyleArray:
    # Built-in number formats ("@", "0.00") need no entry in the workbook's format table.
    style = StyleArray()
    style.numFmtId = BUILTIN_FORMATS_REVERSE[number_format]
    style.quotePrefix = int(quote_prefix)
    return style


def _column_format(column: Column) -> str | None:
    if column.type == "decimal":
        return AMOUNT_FORMAT
    return TEXT_FORMAT if column.text_format else None


class _ColumnCells:
    """Turns the stored text of one column into what the write-only sheet appends.

    Empty values become no cell at all: the column-wide format (see _lay_out_columns) already
    makes a cell typed there later a text cell. Most cells (names, enum values) need no style and
    are appended as bare str, which keeps 100,000 rows fast.
    """

    def __init__(self, sheet: Any, column: Column) -> None:
        self._sheet = sheet
        self._decimal = column.type == "decimal"
        number_format = _column_format(column) if not self._decimal else None
        self._text = _style(number_format) if number_format else None
        self._quoted = _style(number_format or "General", quote_prefix=True)
        self._number = _style(AMOUNT_FORMAT)

    def cell(self, value: object) -> Cell | str | None:
        if value is None or value == "":
            return None
        text = value if isinstance(value, str) else str(value)
        if self._decimal and _AMOUNT.match(text):
            number = Cell(self._sheet, row=1, column=1, style_array=self._number)
            number.value = Decimal(text)
            return number
        if _is_formula_like(text):
            return self._text_cell(text, self._quoted)
        if self._text is not None or ILLEGAL_CHARACTERS_RE.search(text):
            return self._text_cell(text, self._text)
        return text

    def _text_cell(self, text: str, style: StyleArray | None) -> Cell:
        cell = Cell(self._sheet, row=1, column=1, style_array=style)
        # Control characters other than tab/CR/LF cannot be stored in an .xlsx at all.
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
        # The value setter makes "=…" a formula; every text cell must stay a plain string.
        cell.data_type = "s"
        return cell


# ---------------------------------------------------------------- header and layout


def _header_cells(sheet: Any, schema: TableSchema) -> list[Cell]:
    font = Font(bold=True)
    fill = PatternFill(fill_type="solid", fgColor=HEADER_FILL)
    alignment = Alignment(horizontal="center", vertical="center")
    cells = []
    for header in schema.headers:
        cell = WriteOnlyCell(sheet, header)
        cell.font = font
        cell.fill = fill
        cell.alignment = alignment
        cell.number_format = TEXT_FORMAT
        cells.append(cell)
    return cells


def _lay_out_columns(sheet: Any, schema: TableSchema) -> None:
    """Column widths, and column-wide formats so that cells typed later keep text as text."""
    for index, column in enumerate(schema.columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        number_format = _column_format(column)
        if number_format:
            dimension.number_format = number_format


def _last_column(schema: TableSchema) -> str:
    return get_column_letter(len(schema.columns))


# ---------------------------------------------------------------- data export


def export_table(
    path: Path,
    table: TableKey,
    rows: Iterable[Sequence[str]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``rows`` (values in schema column order) to the .xlsx file ``path``; returns the row count.

    ``progress`` is called with the number of rows written so far, every ``PROGRESS_EVERY`` rows
    and once at the end. Raises ExportError (with a Chinese ``user_message``) when the file cannot
    be written; an existing file at ``path`` is then left as it was.
    """
    schema = table_schema(table)
    _check_target(path)
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(schema.title)
    _lay_out_columns(sheet, schema)
    sheet.freeze_panes = "A2"
    try:
        sheet.append(_header_cells(sheet, schema))
        count = _append_rows(sheet, schema, rows, progress)
        sheet.auto_filter = AutoFilter(ref=f"A1:{_last_column(schema)}{count + 1}")
        _save_atomically(workbook, path)
    except BaseException:
        _abandon(sheet)
        raise
    if progress is not None:
        progress(count)
    return count


def _abandon(sheet: Any) -> None:
    """Shut down the streaming writer of a sheet whose export failed.

    Left open, it would try to finish its XML when garbage-collected, long after its file is gone.
    """
    if not sheet.closed:
        with contextlib.suppress(Exception):
            sheet.close()


def _append_rows(
    sheet: Any,
    schema: TableSchema,
    rows: Iterable[Sequence[str]],
    progress: Callable[[int], None] | None,
) -> int:
    columns = [_ColumnCells(sheet, column) for column in schema.columns]
    count = 0
    for row in rows:
        sheet.append([cells.cell(value) for cells, value in zip(columns, row, strict=False)])
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    return count


# ---------------------------------------------------------------- blank template


def _grade_prompt(codes: CodeList) -> str:
    parts = [f"{stage}：{'、'.join(grades)}" for stage, grades in codes.by_stage.items()]
    return "请按学段选择年级。" + "；".join(parts) + "。"


def _validation(column: Column, codes: CodeList, code_column: str, letter: str) -> DataValidation:
    """A drop-down on ``letter`` (rows 2…) listing the values in column ``code_column`` of 代码表."""
    last = len(codes.values) + 1
    prompt = _grade_prompt(codes) if codes.by_stage else f"请从下拉列表中选择{column.header}。"
    validation = DataValidation(
        type="list",
        formula1=f"'{CODE_SHEET}'!${code_column}$2:${code_column}${last}",
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="输入值无效",
        error=f"「{column.header}」只能填写下拉列表中的值，请从列表中选择。",
        promptTitle=column.header,
        prompt=prompt,
    )
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    return validation


def _add_drop_downs(sheet: Any, codes_sheet: Any, schema: TableSchema) -> None:
    """Write each enum column's values into its own column of 代码表 and point a drop-down at it.

    The lists live on a sheet because an inline list is limited to 255 characters (民族 is longer).
    """
    policy = default_policy()
    enum_columns = [(index, column) for index, column in enumerate(schema.columns, start=1) if column.is_enum]
    for code_index, (index, column) in enumerate(enum_columns, start=1):
        codes = column.code_list(policy)
        codes_sheet.cell(row=1, column=code_index, value=column.header)
        for row, value in enumerate(codes.values, start=2):
            codes_sheet.cell(row=row, column=code_index, value=value)
        code_letter = get_column_letter(code_index)
        codes_sheet.column_dimensions[code_letter].width = column.width + 8
        sheet.add_data_validation(_validation(column, codes, code_letter, get_column_letter(index)))


def write_template(path: Path, table: TableKey) -> None:
    """Write the blank template (下载空白模板) of ``table`` to the .xlsx file ``path``.

    It has the header row, text-formatted ID/account/phone/date columns, and drop-down lists on
    the enum columns whose values are on the hidden sheet 代码表. Raises ExportError (with a
    Chinese ``user_message``) when the file cannot be written.
    """
    schema = table_schema(table)
    _check_target(path)
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = schema.title
    _lay_out_columns(sheet, schema)
    sheet.freeze_panes = "A2"
    sheet.append(_header_cells(sheet, schema))
    codes_sheet = workbook.create_sheet(CODE_SHEET)
    codes_sheet.sheet_state = "hidden"
    _add_drop_downs(sheet, codes_sheet, schema)
    _save_atomically(workbook, path)
