"""import_file: the header is found, columns mapped, cells normalized and checked, file problems named."""

from __future__ import annotations

import datetime
import gc
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.files.importer import FileProblem, ImportResult, import_file, import_sheet
from app.files.reader import FileReadError, RawSheet
from app.models.schema import table_schema
from app.validation.report import Issue
from tests.files.fixtures_build import (
    HOUSEHOLDER_A,
    ID_A,
    ID_B,
    ID_C,
    STUDENT_HEADERS,
    student_row,
    write_csv,
    write_garbage,
    write_truncated_xlsx,
    write_unicode_text,
    write_xlsx,
)

X02_ID = '「身份证号」在 Excel 中被存成了数字，第15位之后的数字已丢失。请把该列设为"文本"格式后重新录入。'

AID_HEADERS = ["姓名", "身份证号", "学段", "资助项目", "学年", "学期", "资助金额(元)", "发放方式"]
AID_ACCOUNT_HEADERS = ["银行卡号/一卡通账号", "开户银行", "持卡人姓名", "持卡人与学生关系", "发放日期"]
ITEM = "义务教育寄宿生生活补助"


def found(result: ImportResult, rule: str) -> list[Issue]:
    return [issue for issue in result.issues if issue.rule == rule]


def errors(result: ImportResult) -> list[str]:
    return [problem.message for problem in result.problems if problem.severity == "error"]


def test_ids_stored_as_numbers_are_flagged_on_their_spreadsheet_rows(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        STUDENT_HEADERS,
        student_row("张三", ID_A),  # row 2: text, intact
        student_row("李四", float(ID_C), student_no="G" + ID_C),  # row 3: a number cell
        student_row("王五", ID_B),  # row 4: text, ends in X
        student_row("赵六", int(ID_A[:-1] + "9"), student_no="G" + ID_A),  # row 5: number again
    ]
    result = import_file(write_xlsx(tmp_path / "students.xlsx", rows), "students")
    x02 = found(result, "X02")
    assert [(issue.row, issue.column) for issue in x02] == [(3, "身份证号"), (5, "身份证号")]
    assert all(issue.severity == "error" and issue.message == X02_ID for issue in x02)
    assert [row["id_number"] for row in result.rows] == [
        ID_A,
        "4.501032010052E+17",
        ID_B,
        "4.50102200801013E+17",
    ]
    typed_as_text = {cell for row in rows for cell in row if isinstance(cell, str)}
    for row in result.rows:  # a long run of digits was typed by the clerk, never made up from a float
        assert all(value in typed_as_text for value in row.values() if re.fullmatch(r"\d{16,}", value))
    assert result.source_rows == [2, 3, 4, 5]
    assert result.error_count == 2 and result.has_errors


def test_numbers_that_excel_keeps_exactly_are_stored_as_their_digits(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "phones.xlsx",
        [STUDENT_HEADERS, student_row(phone=13812345678), student_row("李四", ID_B, phone="0771-5301234")],
    )
    result = import_file(path, "students")
    assert [row["guardian_phone"] for row in result.rows] == ["13812345678", "0771-5301234"]
    assert result.issues == []


def test_x01_for_ids_already_turned_into_scientific_text(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv", [STUDENT_HEADERS, student_row(householder_id="4.50102E+17")], encoding="gbk"
    )
    result = import_file(path, "students")
    assert [(i.row, i.column, i.rule, i.severity) for i in result.issues] == [
        (2, "户主身份证号", "X01", "error")
    ]
    assert result.rows[0]["householder_id"] == "4.50102E+17"


def _messy_rows() -> list[Sequence[object]]:
    """Values as clerks type them; every character exists in GBK, so a GBK CSV can hold them."""
    return [
        ["2026-2027学年秋季学期在学状态表"],
        STUDENT_HEADERS,
        student_row(
            "张三",
            "４５０１０２２００８０１０１３００２",
            ethnicity="壮",
            grade="初一",
            gender="1",
            student_no="G" + ID_A,
        ),
        student_row("王五", "45010220090315030x", ethnicity="汉族", gender="女", student_no="G" + ID_B),
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        student_row("李四\u3000", ID_C, remark="父亲残疾，母亲务农", phone="0771-5301234"),
    ]


def test_gbk_and_utf8_bom_csv_import_identically(tmp_path: Path) -> None:
    gbk = import_file(write_csv(tmp_path / "gbk.csv", _messy_rows(), encoding="gbk"), "students")
    bom = import_file(write_csv(tmp_path / "bom.csv", _messy_rows(), encoding="utf-8-sig"), "students")
    text = import_file(write_unicode_text(tmp_path / "unicode.txt", _messy_rows()), "students")
    assert gbk.rows == bom.rows == text.rows
    assert gbk.issues == bom.issues == text.issues
    assert gbk.source_rows == bom.source_rows == [3, 4, 6]
    assert len(gbk.rows) == 3 and len(gbk.issues) == 7


def test_normalization_notices_point_at_their_cells(tmp_path: Path) -> None:
    result = import_file(write_csv(tmp_path / "m.csv", _messy_rows(), encoding="gbk"), "students")
    first, second, third = result.rows
    assert first["id_number"] == ID_A
    assert (first["gender"], first["ethnicity"], first["grade"]) == ("男", "壮族", "七年级")
    assert second["id_number"] == ID_B
    assert third["name"] == "李四"
    assert third["remark"] == "父亲残疾，母亲务农"
    assert third["guardian_phone"] == "0771-5301234"
    assert {(i.row, i.column, i.rule) for i in result.issues} == {
        (3, "身份证号", "N01"),
        (3, "性别", "N04"),
        (3, "民族", "N04"),
        (3, "年级", "N04"),
        (4, "身份证号", "N03"),
        (6, "姓名", "N01"),
        (6, "姓名", "N02"),
    }
    assert all(i.severity == "notice" and i.table == "students" and i.row_uid is None for i in result.issues)
    assert not result.has_errors


def test_middle_dots_and_zero_width_spaces_from_a_utf8_file(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        STUDENT_HEADERS,
        student_row("阿依古丽・买买提", ID_B),
        student_row("李四", "450103201005200\u200b011", student_no="G" + ID_C),
    ]
    result = import_file(write_csv(tmp_path / "u.csv", rows, encoding="utf-8-sig"), "students")
    assert [row["name"] for row in result.rows] == ["阿依古丽·买买提", "李四"]
    assert result.rows[1]["id_number"] == ID_C
    assert [(i.row, i.column, i.rule) for i in result.issues] == [(2, "姓名", "N05"), (3, "身份证号", "N02")]


def test_without_a_title_row_the_first_data_row_is_row_2(tmp_path: Path) -> None:
    result = import_file(write_xlsx(tmp_path / "plain.xlsx", [STUDENT_HEADERS, student_row()]), "students")
    assert result.header_row == 1
    assert result.source_rows == [2]


def test_a_title_row_above_the_header(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", _messy_rows())
    result = import_file(path, "students")
    assert result.header_row == 2
    assert result.source_rows == [3, 4, 6]


def test_every_row_has_every_column_key(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "few.xlsx", [["姓名", "身份证号", "性别"], ["张三", ID_A, "男"]])
    result = import_file(path, "students")
    assert set(result.rows[0]) == set(table_schema("students").keys)
    assert result.rows[0]["remark"] == "" and result.rows[0]["name"] == "张三"


def test_header_aliases_and_decorated_headers_are_matched(tmp_path: Path) -> None:
    headers = ["学生姓名", "*性别", "*身份证号（必填）", "民族", "学段", "年级", "全国学籍号", "在学状态"]
    headers += [
        "是否寄宿生",
        "困难类别",
        "户籍所在地",
        "户主姓名",
        "户主身份证号码",
        "与户主关系",
        "家长电话",
    ]
    row = student_row()
    values = row[:6] + row[7:16]
    result = import_file(write_xlsx(tmp_path / "alias.xlsx", [headers, values]), "students")
    assert result.problems == []
    assert result.rows[0]["id_number"] == ID_A
    assert result.rows[0]["guardian_phone"] == "13812345678"
    assert result.rows[0]["householder_id"] == HOUSEHOLDER_A
    assert result.column_map[2] == "id_number"


def test_a_header_on_two_lines_is_matched(tmp_path: Path) -> None:
    result = import_file(
        write_xlsx(tmp_path / "nl.xlsx", [["姓名\n", "身份证号\n(必填)"], ["张三", ID_A]]), "students"
    )
    assert result.rows[0]["id_number"] == ID_A


def test_unknown_columns_are_ignored_with_a_notice(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "u.xlsx", [["序号", *STUDENT_HEADERS, "家庭住址"], [1, *student_row(), "某村"]]
    )
    result = import_file(path, "students")
    assert result.problems == [
        FileProblem("notice", "第1列「序号」不是本表的列，已忽略。"),
        FileProblem("notice", "第19列「家庭住址」不是本表的列，已忽略。"),
    ]
    assert result.rows[0]["name"] == "张三"
    assert 0 not in result.column_map


def test_a_missing_required_column_is_an_error(tmp_path: Path) -> None:
    headers = [h for h in STUDENT_HEADERS if h != "身份证号"]
    row = student_row()
    del row[2]
    result = import_file(write_xlsx(tmp_path / "m.xlsx", [headers, row]), "students")
    assert errors(result) == ["缺少必填列「身份证号」。"]


def test_a_column_mapped_twice_is_an_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", [[*STUDENT_HEADERS, "身份证号码"], [*student_row(), ID_B]])
    result = import_file(path, "students")
    assert errors(result) == [
        "第3列「身份证号」和第18列「身份证号码」都是「身份证号」，请删除其中一列后重新导入。"
    ]
    assert result.rows[0]["id_number"] == ID_A  # the first one is read


def test_no_header_row_explains_what_is_expected(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "wrong.xlsx", [["月份", "收入"], ["9月", 1000]])
    result = import_file(path, "students")
    assert result.header_row is None and result.rows == []
    (message,) = errors(result)
    assert "没有找到在学状态表的表头" in message and "身份证号" in message


def test_an_empty_sheet_and_a_header_without_data(tmp_path: Path) -> None:
    empty = import_sheet(RawSheet("空表", []), "students")
    assert errors(empty) == ["工作表「空表」中没有任何数据。"]
    header_only = import_file(write_xlsx(tmp_path / "h.xlsx", [STUDENT_HEADERS]), "students")
    assert errors(header_only) == ["工作表「Sheet1」第1行的表头下面没有数据。"]


def test_empty_rows_are_skipped_even_with_a_prefilled_serial_number(tmp_path: Path) -> None:
    rows: list[list[object]] = [["序号", *STUDENT_HEADERS]]
    rows.append([1, *student_row()])
    rows.append([2] + [None] * 17)
    rows.append([3] + [" "] * 17)
    rows.append([4, *student_row("李四", ID_B)])
    result = import_file(write_xlsx(tmp_path / "e.xlsx", rows), "students")
    assert result.source_rows == [2, 5]
    assert [row["name"] for row in result.rows] == ["张三", "李四"]


def test_a_kindergarten_file_needs_no_student_number_column(tmp_path: Path) -> None:
    headers = [h for h in STUDENT_HEADERS if h != "学籍号"]

    def row(stage: str, grade: str) -> list[object]:
        values = student_row(stage=stage, grade=grade)
        del values[7]
        return values

    kindergarten = import_file(
        write_xlsx(tmp_path / "k.xlsx", [headers, row("学前教育", "大班")]), "students"
    )
    assert errors(kindergarten) == []
    mixed = write_xlsx(tmp_path / "p.xlsx", [headers, row("学前教育", "大班"), row("小学", "一年级")])
    assert errors(import_file(mixed, "students")) == ["缺少必填列「学籍号」。"]


def _aid_row(payout: str, paid_on: object, amount: object = 625.0) -> list[object]:
    return ["张三", ID_A, "初中", ITEM, "2026-2027", "秋季", amount, payout]


def test_aid_without_account_columns_is_fine_when_nothing_is_paid_to_a_card(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx", [[*AID_HEADERS, "发放日期"], [*_aid_row("实物", None), "2026/9/1"]]
    )
    assert errors(import_file(path, "aid")) == []


def test_aid_paid_to_a_card_needs_the_account_columns(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "b.xlsx", [[*AID_HEADERS, "发放日期"], [*_aid_row("银行卡", None), "2026/9/1"]]
    )
    problems = errors(import_file(path, "aid"))
    assert "缺少必填列「银行卡号/一卡通账号」。发放方式为一卡通或银行卡的行必须填写该列。" in problems
    assert len(problems) == 4  # account, bank, holder name, holder relation


def test_aid_dates_amounts_and_accounts_from_workbook_cells(tmp_path: Path) -> None:
    account = 6.222021234567891e18  # a 19-digit card number typed into a General cell
    rows: list[Sequence[object]] = [
        [*AID_HEADERS, *AID_ACCOUNT_HEADERS],
        [
            *_aid_row("银行卡", None, 625.0),
            "6222021234567890123",
            "农业银行",
            "张大山",
            "父亲",
            datetime.date(2026, 9, 1),
        ],
        [*_aid_row("银行卡", None, 312.5), account, "农业银行", "张大山", "父", 46266],
        [*_aid_row("一卡通", None, 1250), "6222021234567890123", "农村信用社", "张大山", "父亲", "2026.9.1"],
    ]
    result = import_file(write_xlsx(tmp_path / "aid.xlsx", rows), "aid")
    assert [row["paid_on"] for row in result.rows] == ["2026-09-01"] * 3
    assert [row["amount"] for row in result.rows] == ["625", "312.5", "1250"]
    assert [row["term"] for row in result.rows] == ["秋季学期"] * 3
    assert result.rows[1]["holder_relation"] == "父亲"
    assert result.rows[1]["account_no"] == "6.22202123456789E+18"
    assert [(i.row, i.column) for i in found(result, "X02")] == [(3, "银行卡号/一卡通账号")]
    assert [i.row for i in found(result, "N06")] == [2, 3, 4]


def test_the_sheet_with_the_header_is_chosen_when_none_is_named(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "tpl.xlsx", [STUDENT_HEADERS, student_row()], sheet="在学状态表", extra_sheets=["填表说明"]
    )
    result = import_file(path, "students")
    assert result.sheet == "在学状态表" and len(result.rows) == 1
    named = import_file(path, "students", sheet="填表说明")
    assert named.header_row is None and errors(named)


@pytest.mark.parametrize("write", [write_truncated_xlsx, write_garbage])
def test_unreadable_files_raise_with_a_chinese_message(tmp_path: Path, write: object) -> None:
    assert callable(write)
    path = write(tmp_path / "bad.xlsx")
    with pytest.raises(FileReadError) as caught:
        import_file(path, "students")
    assert "已损坏" in caught.value.user_message


def test_the_garbage_collector_is_left_as_it_was(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "gc.xlsx", [STUDENT_HEADERS, student_row()])
    import_file(path, "students")
    assert gc.isenabled()
    with pytest.raises(FileReadError):
        import_file(write_garbage(tmp_path / "bad.xlsx"), "students")
    assert gc.isenabled()
    gc.disable()
    try:
        import_file(path, "students")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_import_sheet_on_raw_cells() -> None:
    raw = RawSheet(
        "粘贴", [["姓名", "身份证号"], ["张三", 450102200801013002.0], [None, None], ["李四", ID_B]]
    )
    result = import_sheet(raw, "students")
    assert result.source_rows == [2, 4]
    assert [(i.row, i.rule) for i in result.issues] == [(2, "X02")]
