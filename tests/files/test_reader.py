"""read_sheet: typed cells from workbooks, text from CSV in any encoding Excel writes, Chinese errors."""

from __future__ import annotations

import datetime
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.files.reader import FileReadError, decode_text, read_sheet, sheet_names, sniff_delimiter
from tests.files.fixtures_build import (
    ID_A,
    csv_text,
    write_csv,
    write_encrypted_workbook,
    write_garbage,
    write_html_as_xls,
    write_ole_garbage,
    write_truncated_xlsx,
    write_unicode_text,
    write_xlsx,
)

ROWS = [
    ["姓名", "身份证号", "监护人联系电话", "备注"],
    ["张三", ID_A, "0771-5301234", "父亲残疾，母亲务农"],
    ["阿依古丽·买买提", "45010220090315030X", "13812345678", '含"引号",和逗号'],
    ["李四", "450103201005200011", "", "第一行\n第二行"],
]


def read_error(path: Path, sheet: str | None = None) -> str:
    with pytest.raises(FileReadError) as caught:
        read_sheet(path, sheet)
    message = caught.value.user_message
    assert re.search(r"[\u4e00-\u9fff]", message), message
    assert "Error" not in message and "Traceback" not in message
    return message


def test_xlsx_cells_keep_their_type(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            ["在学状态表（2026年秋季学期）"],
            ["姓名", "身份证号", "电话", "日期", "区号"],
            ["张三", 450102200801013002, 13812345678, datetime.date(2026, 9, 1), "0771"],
        ],
    )
    sheet = read_sheet(path)
    assert sheet.name == "Sheet1"
    assert sheet.rows[0][0] == "在学状态表（2026年秋季学期）"  # rows[i] is spreadsheet row i + 1
    name, id_number, phone, day, area = sheet.rows[2][:5]
    assert name == "张三"
    assert isinstance(id_number, float)  # the number cell stays a number: that is how X02 is found
    assert isinstance(phone, float) and phone == 13812345678
    assert isinstance(day, datetime.date) and day == datetime.date(2026, 9, 1)
    assert area == "0771"  # a text cell keeps its leading zero


def test_rows_and_columns_line_up_with_the_spreadsheet_when_data_starts_lower_right(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["C4"] = "姓名"
    sheet["D5"] = "张三"
    workbook.save(tmp_path / "offset.xlsx")
    rows = read_sheet(tmp_path / "offset.xlsx").rows
    assert rows[3][2] == "姓名"
    assert rows[4][3] == "张三"
    assert rows[0][0] in (None, "")


def test_sheet_by_name_and_sheet_names(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", ROWS, sheet="在学状态表", extra_sheets=["填表说明"])
    assert sheet_names(path) == ["填表说明", "在学状态表"]
    assert read_sheet(path, "在学状态表").rows[1][0] == "张三"
    assert read_sheet(path).name == "填表说明"


def test_the_first_visible_sheet_is_read_when_none_is_named(tmp_path: Path) -> None:
    workbook = Workbook()
    hidden = workbook.active
    assert hidden is not None
    hidden.title = "代码表"
    hidden.sheet_state = "hidden"
    visible = workbook.create_sheet("学生")
    visible.append(["姓名"])
    workbook.save(tmp_path / "hidden.xlsx")
    assert read_sheet(tmp_path / "hidden.xlsx").name == "学生"


def test_an_unknown_sheet_name_lists_the_sheets_there_are(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", ROWS, sheet="在学状态表")
    message = read_error(path, "资助表")
    assert "「资助表」" in message and "「在学状态表」" in message


def test_an_xlsx_saved_under_another_name_is_read_for_what_it_is(tmp_path: Path) -> None:
    for name in ("renamed.xls", "renamed.csv"):
        path = write_xlsx(tmp_path / name, ROWS)
        assert read_sheet(path).rows[1][1] == ID_A


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_each_encoding_excel_writes_reads_the_same(tmp_path: Path, encoding: str) -> None:
    rows = read_sheet(write_csv(tmp_path / "s.csv", ROWS, encoding=encoding)).rows
    assert rows == ROWS


def test_gbk_and_bom_csv_give_identical_rows(tmp_path: Path) -> None:
    gbk = read_sheet(write_csv(tmp_path / "gbk.csv", ROWS, encoding="gbk")).rows
    bom = read_sheet(write_csv(tmp_path / "bom.csv", ROWS, encoding="utf-8-sig")).rows
    assert gbk == bom
    assert bom[0][0] == "姓名"  # the BOM is not glued to the first header


def test_gb18030_characters_beyond_gbk_are_decoded(tmp_path: Path) -> None:
    rows = [["姓名"], ["李䶮"]]  # 䶮 (U+4DAE) is in GB18030 but not in GBK
    assert read_sheet(write_csv(tmp_path / "rare.csv", rows, encoding="gb18030")).rows == rows


def test_excel_unicode_text_is_utf16_and_tab_separated(tmp_path: Path) -> None:
    rows = read_sheet(write_unicode_text(tmp_path / "unicode.txt", ROWS)).rows
    assert rows == ROWS


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = read_sheet(write_csv(tmp_path / "d.csv", ROWS, encoding="utf-8", delimiter=delimiter)).rows
    assert rows == ROWS


def test_sniffing_is_not_fooled_by_a_title_line_or_commas_in_text() -> None:
    text = csv_text([["在学状态表，2026年"], *ROWS], delimiter="\t")
    assert sniff_delimiter(text) == "\t"


def test_csv_cells_are_text(tmp_path: Path) -> None:
    rows = read_sheet(write_csv(tmp_path / "n.csv", [["电话"], ["07715301234"]], encoding="utf-8")).rows
    assert rows[1] == ["07715301234"]


def test_text_wrapped_in_an_excel_formula_is_unwrapped(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('姓名,身份证号,电话\r\n张三,="450102200801013002",="0771-5301234"\r\n', encoding="utf-8")
    assert read_sheet(path).rows[1] == ["张三", "450102200801013002", "0771-5301234"]


def test_decode_text_prefers_boms_then_utf8_then_gb18030() -> None:
    assert decode_text("\ufeff姓名".encode()) == "姓名"
    assert decode_text("姓名".encode("utf-16")) == "姓名"
    text = csv_text(ROWS, "\t")
    # Without a BOM, UTF-16 is told apart by where the NULs of the ASCII digits and tabs are.
    assert decode_text(text.encode("utf-16-le")) == text
    assert decode_text(text.encode("utf-16-be")) == text
    assert decode_text("姓名".encode()) == "姓名"
    assert decode_text("姓名".encode("gbk")) == "姓名"


def test_missing_file(tmp_path: Path) -> None:
    assert "找不到文件" in read_error(tmp_path / "nope.xlsx")


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "报表.docx"
    path.write_bytes(b"PK\x03\x04whatever")
    assert "不支持的文件类型" in read_error(path)


def test_empty_file(tmp_path: Path) -> None:
    for name in ("empty.xlsx", "empty.csv"):
        (tmp_path / name).write_bytes(b"")
        assert "空的" in read_error(tmp_path / name)


def test_blank_csv(tmp_path: Path) -> None:
    (tmp_path / "blank.csv").write_bytes(b"\r\n\r\n")
    assert "没有内容" in read_error(tmp_path / "blank.csv")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "folder.xlsx").mkdir()
    assert "文件夹" in read_error(tmp_path / "folder.xlsx")


def test_truncated_xlsx_is_reported_as_damaged(tmp_path: Path) -> None:
    assert "已损坏" in read_error(write_truncated_xlsx(tmp_path / "cut.xlsx"))


def test_garbage_is_reported_as_damaged(tmp_path: Path) -> None:
    assert "已损坏" in read_error(write_garbage(tmp_path / "photo.xlsx"))
    assert "已损坏" in read_error(write_ole_garbage(tmp_path / "old.xls"))


def test_binary_garbage_named_csv_is_not_text(tmp_path: Path) -> None:
    assert "不是文本文件" in read_error(write_garbage(tmp_path / "photo.csv"))


def test_password_protected_workbook(tmp_path: Path) -> None:
    message = read_error(write_encrypted_workbook(tmp_path / "locked.xlsx"))
    assert "密码" in message


def test_html_disguised_as_xls_is_named_for_what_it_is(tmp_path: Path) -> None:
    message = read_error(write_html_as_xls(tmp_path / "export.xls"))
    assert "HTML" in message and "另存为" in message


def test_a_file_that_cannot_be_opened_gets_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "locked-by-excel.xlsx", ROWS)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    message = read_error(path)
    assert "没有权限" in message and "Excel" in message


def test_sheet_names_of_a_csv_is_its_name(tmp_path: Path) -> None:
    assert sheet_names(write_csv(tmp_path / "学生.csv", ROWS, encoding="utf-8")) == ["学生"]


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=600),
    prefix=st.sampled_from(
        [b"", b"PK\x03\x04", bytes.fromhex("D0CF11E0A1B11AE1"), b"\xff\xfe", b"\xef\xbb\xbf"]
    ),
    suffix=st.sampled_from([".xlsx", ".xls", ".ods", ".csv", ".txt"]),
)
def test_no_library_exception_escapes_on_arbitrary_bytes(data: bytes, prefix: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(prefix + data)
        try:
            sheet = read_sheet(path)
        except FileReadError as error:
            assert re.search(r"[\u4e00-\u9fff]", error.user_message)
        else:
            assert all(isinstance(row, list) for row in sheet.rows)
