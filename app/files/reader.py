"""Read one sheet of a spreadsheet or text file into rows of typed cells.

Workbooks (.xlsx/.xlsm/.xls/.xlsb/.ods) go through python-calamine, which keeps each cell's type: a
number cell stays a float, so the importer can tell an ID that Excel turned into a number (X02) from
one typed as text. CSV/TSV/TXT cells are all text. Every failure becomes a FileReadError whose
``user_message`` tells the user, in Chinese, what is wrong with the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app.models.bulk import collector_paused
from app.validation.damage import CellValue

__all__ = [
    "CellValue",
    "FileReadError",
    "RawSheet",
    "collector_paused",
    "is_blank",
    "read_sheet",
    "sheet_names",
]

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
SUPPORTED_SUFFIXES = WORKBOOK_SUFFIXES | TEXT_SUFFIXES

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# An encrypted Office file is an OLE container holding this stream instead of the workbook.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_SNIFF_LINES = 20
_DELIMITERS = (",", "\t", ";")


class FileReadError(Exception):
    """A file that cannot be read; ``user_message`` says why in words for the user."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class RawSheet:
    """The cells of one sheet: ``rows[i]`` is spreadsheet row i + 1, ``rows[i][j]`` column j + 1."""

    name: str
    rows: list[list[CellValue]]


def sheet_names(path: Path) -> list[str]:
    """The names of the sheets of ``path`` in workbook order (a text file has one, named after it)."""
    kind = _file_kind(path)
    if kind == "text":
        return [path.stem]
    with _open_workbook(path) as workbook:
        return list(workbook.sheet_names)


def read_sheet(path: Path, sheet: str | None = None) -> RawSheet:
    """The cells of ``sheet`` of ``path`` (the first visible worksheet when None).

    Raises FileReadError for a missing, unreadable, empty, damaged or password-protected file, an
    unsupported file type, or a sheet name the workbook does not have.
    """
    kind = _file_kind(path)
    with collector_paused():
        if kind == "text":
            return RawSheet(name=path.stem, rows=_read_text(path))
        return _read_workbook_sheet(path, sheet)


def _read_workbook_sheet(path: Path, sheet: str | None) -> RawSheet:
    with _open_workbook(path) as workbook:
        name = sheet if sheet is not None else _first_sheet(workbook)
        if name not in workbook.sheet_names:
            listed = "、".join(f"「{n}」" for n in workbook.sheet_names)
            raise FileReadError(
                f"文件“{path.name}”中没有名为「{name}」的工作表。该文件的工作表有：{listed}。"
            )
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own errors and plain ones for bad XML
            raise _damaged(path) from exc
    return RawSheet(name=name, rows=rows)


def _file_kind(path: Path) -> str:
    """ "text" or "workbook", after checking that the file exists, can be read and is not empty."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "（无扩展名）"
        raise FileReadError(
            f"不支持的文件类型“{shown}”（文件“{path.name}”）。"
            "请选择 Excel 文件（.xlsx、.xls）或 CSV 文件（.csv）。"
        )
    head = _head(path)
    if not head:
        raise FileReadError(f"文件“{path.name}”是空的（0 字节），没有可导入的内容。")
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return "workbook"  # e.g. an .xlsx saved under a .csv name: read what it really is
    return "workbook" if suffix in WORKBOOK_SUFFIXES else "text"


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(8)
    except FileNotFoundError as exc:
        raise FileReadError(f"找不到文件“{path}”，它可能已被移动、改名或删除。") from exc
    except IsADirectoryError as exc:
        raise FileReadError(f"“{path}”是一个文件夹，请选择其中的 Excel 或 CSV 文件。") from exc
    except PermissionError as exc:
        raise FileReadError(
            f"没有权限读取文件“{path.name}”。如果它正在 Excel 中打开，请先关闭后再试。"
        ) from exc
    except OSError as exc:
        raise FileReadError(f"读取文件“{path.name}”时出错：{exc.strerror or '未知的系统错误'}。") from exc


def _damaged(path: Path) -> FileReadError:
    return FileReadError(
        f"文件“{path.name}”已损坏或不是真正的 Excel 文件，无法读取。"
        "请用 Excel 打开它，另存为“Excel 工作簿(*.xlsx)”后再导入。"
    )


def _not_a_workbook(path: Path, data: bytes) -> FileReadError:
    """The error for a workbook suffix whose content is no workbook, naming what it is when we can tell."""
    start = data[:2048].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith(b"<") and (b"<html" in start or b"<table" in start):
        what = "网页（HTML）格式的表格，只是扩展名为 Excel"
    elif start.startswith(b"<?xml") and b"spreadsheet" in data[:4096].lower():
        what = "“XML 电子表格 2003”格式"
    else:
        return _damaged(path)
    return FileReadError(
        f"文件“{path.name}”是{what}，无法直接导入。请用 Excel 打开它，另存为“Excel 工作簿(*.xlsx)”后再导入。"
    )


def _password_protected(path: Path) -> FileReadError:
    return FileReadError(
        f"文件“{path.name}”设置了打开密码，无法读取。请在 Excel 中打开它，"
        "在“文件 → 信息 → 保护工作簿 → 用密码进行加密”中删除密码并保存后再导入。"
    )


class _Workbook:
    """A calamine workbook opened from the file's content, whatever its suffix says."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[bytes] | None = None
        self.book: Any = None

    def __enter__(self) -> Any:
        from python_calamine import CalamineWorkbook, PasswordError

        data = _read_bytes(self.path)
        if data.startswith(_OLE_MAGIC) and _ENCRYPTED_STREAM in data:
            raise _password_protected(self.path)
        if not data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            raise _not_a_workbook(self.path, data)
        self._stream = io.BytesIO(data)
        try:
            self.book = CalamineWorkbook.from_filelike(self._stream)
        except PasswordError as exc:
            raise _password_protected(self.path) from exc
        except Exception as exc:  # ZipError, XmlError, CalamineError and plain ValueErrors alike
            raise _damaged(self.path) from exc
        return self.book

    def __exit__(self, *exc_info: object) -> None:
        if self.book is not None:
            self.book.close()
        if self._stream is not None:
            self._stream.close()


def _open_workbook(path: Path) -> _Workbook:
    return _Workbook(path)


def _first_sheet(workbook: Any) -> str:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    for meta in workbook.sheets_metadata:
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return str(meta.name)
    names: list[str] = workbook.sheet_names
    if not names:
        raise FileReadError("该 Excel 文件中没有工作表。")
    return names[0]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise FileReadError(
            f"没有权限读取文件“{path.name}”。如果它正在 Excel 中打开，请先关闭后再试。"
        ) from exc
    except OSError as exc:
        raise FileReadError(f"读取文件“{path.name}”时出错：{exc.strerror or '未知的系统错误'}。") from exc


# --- text files -------------------------------------------------------------------------------


def _read_text(path: Path) -> list[list[CellValue]]:
    text = decode_text(_read_bytes(path), path.name)
    if not text.strip():
        raise FileReadError(f"文件“{path.name}”中没有内容。")
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") else sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [_unwrap_formulas(row) if '="' in "".join(row) else list(row) for row in reader]
    except csv.Error as exc:
        raise FileReadError(
            f"文件“{path.name}”第{reader.line_num}行格式有误（引号不配对），无法读取。"
        ) from exc


def _unwrap_formulas(row: list[str]) -> list[CellValue]:
    """="0771-5301234" → 0771-5301234: how many systems export numbers they want Excel to keep as text."""
    return [cell[2:-1] if cell.startswith('="') and cell.endswith('"') else cell for cell in row]


def decode_text(data: bytes, file_name: str = "") -> str:
    """The text of a CSV/TXT file: BOM (UTF-8, UTF-16) first, then UTF-8, then GB18030 (GBK's superset)."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _decode(data, encoding, file_name)
    if b"\x00" in data[:4096]:
        return _decode(data, _utf16_without_bom(data, file_name), file_name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data, "gb18030", file_name)


def _utf16_without_bom(data: bytes, file_name: str) -> str:
    sample = data[:4096]
    # ASCII (digits, delimiters, line ends) is half NUL in UTF-16: on odd bytes in LE, on even ones in BE.
    odd_nuls, even_nuls = sample[1::2].count(0), sample[0::2].count(0)
    enough = max(1, len(sample) // 16)
    if odd_nuls >= enough and even_nuls * 4 <= odd_nuls:
        return "utf-16-le"
    if even_nuls >= enough and odd_nuls * 4 <= even_nuls:
        return "utf-16-be"
    raise FileReadError(f"文件“{file_name}”不是文本文件，也不是可识别的 Excel 文件，无法读取。")


def _decode(data: bytes, encoding: str, file_name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileReadError(
            f"无法识别文件“{file_name}”的文字编码。请用 Excel 打开它，另存为“Excel 工作簿(*.xlsx)”后再导入。"
        ) from exc


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: whichever splits the first lines into the most columns, consistently."""
    sample = _first_records(text)
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)]
        except csv.Error:
            continue
        widths = [width for width in widths if width > 1] or [1]
        modal = max(set(widths), key=widths.count)
        score = (modal, widths.count(modal))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _first_records(text: str) -> str:
    end = 0
    for _ in range(_SNIFF_LINES):
        end = text.find("\n", end) + 1
        if end == 0:
            return text
    return text[:end]


def is_blank(value: CellValue) -> bool:
    """True for an empty cell (None, "" or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())
