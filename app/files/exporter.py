"""导出到Excel and 下载空白模板: .xlsx files that Excel cannot damage.

Excel turns an 18-digit number into ``4.50102E+17`` (and zeroes its last three digits) and drops the
leading 0 of ``0771-…``, so ID, account, phone, region and date cells are written as text cells with
the text number format "@". A cell that starts like a formula (``=``, ``+``, ``-``, ``@``) is stored
as a plain string with the quote-prefix style, so Excel neither evaluates it nor turns it into a
formula when the user edits the cell; the value itself stays byte-identical for a re-import.

Every file is written to a temporary file beside the target and moved over it at the end, so a
failed export never leaves a half-written file where the old one was. Data rows are streamed into
the sheet by :mod:`app.files.xlsx_stream` (50,000 rows in about a second).
"""

from __future__ import annotations

import errno
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.files.xlsx_stream import (
    AMOUNT_FORMAT,
    HEADER_FILL,
    PROGRESS_EVERY,
    TEXT_FORMAT,
    CellKind,
    SheetColumn,
    write_sheet,
)
from app.models.codes import CodeList
from app.models.policy import default_policy
from app.models.schema import Column, TableKey, TableSchema, table_schema

__all__ = [
    "AMOUNT_FORMAT",
    "CODE_SHEET",
    "PROGRESS_EVERY",
    "TEXT_FORMAT",
    "ExportError",
    "SheetColumn",
    "export_table",
    "sheet_columns",
    "write_rows",
    "write_template",
]

CODE_SHEET = "代码表"
# Excel's last row: the template's drop-downs and text format cover the whole column.
LAST_ROW = 1_048_576
_COLUMN_FORMATS: dict[CellKind, str] = {"text": TEXT_FORMAT, "amount": AMOUNT_FORMAT}


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


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(temp)`` a file beside ``path``, then move it over ``path`` (ExportError on failure)."""
    # Same folder as the target, so the final replace is a rename on one file system (atomic).
    temp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp")
    try:
        write(temp)
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _export_error(path, exc) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _save_atomically(workbook: Workbook, path: Path) -> None:
    _write_atomically(path, workbook.save)


# ---------------------------------------------------------------- header and layout


def _header_cells(sheet: Any, schema: TableSchema) -> list[Any]:
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
        number_format = _COLUMN_FORMATS.get(_cell_kind(column))
        if number_format:
            dimension.number_format = number_format


def _last_column(schema: TableSchema) -> str:
    return get_column_letter(len(schema.columns))


# ---------------------------------------------------------------- data export


def sheet_columns(schema: TableSchema) -> list[SheetColumn]:
    """The layout of an exported table: the schema's headers and widths, each column's cell kind."""
    return [SheetColumn(column.header, column.width, _cell_kind(column)) for column in schema.columns]


def _cell_kind(column: Column) -> CellKind:
    if column.type == "decimal":
        return "amount"
    return "text" if column.text_format else "general"


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
    return write_rows(path, schema.title, sheet_columns(schema), list(rows), progress=progress)


def write_rows(
    path: Path,
    title: str,
    columns: Sequence[SheetColumn],
    rows: Sequence[Sequence[object]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one sheet (header + ``rows``) to the .xlsx file ``path`` atomically; returns the row count.

    Raises ExportError (with a Chinese ``user_message``) when the file cannot be written.
    """
    _check_target(path)
    _write_atomically(path, lambda temp: write_sheet(temp, title, columns, rows, progress=progress))
    if progress is not None:
        progress(len(rows))
    return len(rows)


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
