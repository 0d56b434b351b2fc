"""Builders that write the files users really bring into a test's tmp_path.

Each writes what Excel or a Chinese office tool would: number cells where a clerk left a column in
General format, GBK CSV (Chinese Excel's "CSV (逗号分隔)"), UTF-8 CSV with a BOM ("CSV UTF-8"),
UTF-16 tab-separated text ("Unicode 文本"), damaged and disguised files.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

Cell = object
Rows = Sequence[Sequence[Cell]]

STUDENT_HEADERS = [
    "姓名",
    "性别",
    "身份证号",
    "民族",
    "学段",
    "年级",
    "班级",
    "学籍号",
    "在学状态",
    "是否寄宿",
    "困难类型",
    "户籍所在县(区)",
    "户主姓名",
    "户主身份证号",
    "与户主关系",
    "监护人联系电话",
    "备注",
]

# Valid 18-digit numbers (GB 11643 check digits), one ending in X.
ID_A = "450102200801013002"
ID_B = "45010220090315030X"
ID_C = "450103201005200011"
HOUSEHOLDER_A = "450102198001010014"


def student_row(
    name: str = "张三",
    id_number: Cell = ID_A,
    *,
    gender: Cell = "男",
    ethnicity: Cell = "壮族",
    stage: str = "初中",
    grade: str = "七年级",
    student_no: Cell = None,
    phone: Cell = "13812345678",
    householder_id: Cell = HOUSEHOLDER_A,
    remark: Cell = "",
) -> list[Cell]:
    """A complete, valid 在学状态表 row in the column order of STUDENT_HEADERS."""
    if student_no is None:
        student_no = f"G{id_number}" if isinstance(id_number, str) else ""
    return [
        name,
        gender,
        id_number,
        ethnicity,
        stage,
        grade,
        "1班",
        student_no,
        "在读",
        "是",
        "脱贫户(建档立卡)",
        "450102",
        "张大山",
        householder_id,
        "子",
        phone,
        remark,
    ]


def write_xlsx(path: Path, rows: Rows, *, sheet: str = "Sheet1", extra_sheets: Sequence[str] = ()) -> Path:
    """An .xlsx whose cells keep their Python types: a float is a number cell, a str a text cell.

    ``extra_sheets`` are put BEFORE the data sheet (like a 填表说明 sheet) with one line of text each.
    """
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    data = first
    for index, name in enumerate(extra_sheets):
        info = first if index == 0 else workbook.create_sheet()
        info.title = name
        info.append(["请按模板填写，身份证号一列请设置为文本格式。"])
        data = workbook.create_sheet()
    data.title = sheet
    for row in rows:
        data.append(list(row))
    workbook.save(path)
    return path


def csv_text(rows: Rows, delimiter: str = ",", line_end: str = "\r\n") -> str:
    """Rows as CSV text the way Excel writes it (CRLF, quotes only where needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerows([["" if cell is None else str(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def write_csv(path: Path, rows: Rows, *, encoding: str, delimiter: str = ",") -> Path:
    """A CSV in ``encoding``: "gbk" (Chinese Excel's CSV), "utf-8-sig" (CSV UTF-8, with a BOM), "utf-8"."""
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def write_unicode_text(path: Path, rows: Rows) -> Path:
    """Excel's "Unicode 文本(*.txt)": UTF-16 little-endian with a BOM, tab-separated, CRLF."""
    path.write_bytes(b"\xff\xfe" + csv_text(rows, "\t").encode("utf-16-le"))
    return path


def write_truncated_xlsx(path: Path) -> Path:
    """A real .xlsx cut in half, as a failed download or a full USB stick leaves it."""
    whole = path.with_name("whole-" + path.name)
    write_xlsx(whole, [STUDENT_HEADERS, student_row()])
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_garbage(path: Path) -> Path:
    """Bytes that are no spreadsheet at all (e.g. a photo renamed to .xlsx)."""
    path.write_bytes(bytes(range(256)) * 8)
    return path


def write_html_as_xls(path: Path) -> Path:
    """What many web systems export as ".xls": an HTML table."""
    html = "<html><head><meta charset='utf-8'></head><body><table><tr><td>姓名</td><td>身份证号</td></tr>"
    path.write_bytes((html + "</table></body></html>").encode("utf-8"))
    return path


def write_encrypted_workbook(path: Path) -> Path:
    """The shape of a password-protected .xlsx: an OLE compound file holding an "EncryptedPackage".

    Office writes it as a Compound File (header, FAT, directory) instead of a zip; the directory
    names the EncryptionInfo and EncryptedPackage streams (UTF-16LE names, 128-byte entries).
    """
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)  # minor, major version, byte order, 2^9
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # directory starts at sector 1
    directory = bytearray(512)
    for slot, name in enumerate(("Root Entry", "EncryptionInfo", "EncryptedPackage")):
        encoded = (name + "\0").encode("utf-16-le")
        entry = slot * 128
        directory[entry : entry + len(encoded)] = encoded
        struct.pack_into("<HB", directory, entry + 64, len(encoded), 5 if slot == 0 else 2)
    path.write_bytes(bytes(header) + bytes(512) + bytes(directory) + bytes(1024))
    return path


def write_ole_garbage(path: Path) -> Path:
    """An OLE signature followed by nothing sensible: a damaged old-style .xls."""
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2000))
    return path
