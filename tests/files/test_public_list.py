"""导出公示名单 (masked numbers) and 导出问题清单, read back with openpyxl and with LibreOffice."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from app.files.issues_list import ISSUE_COLUMNS, export_issues
from app.files.public_list import (
    PUBLIC_COLUMNS,
    export_public_list,
    export_public_list_from_store,
    mask_number,
)
from app.models.period import Period
from app.models.schema import table_schema
from app.models.store import Store
from app.validation.report import Issue
from tests.files.libreoffice import convert_to_csv, quoted_cells

PERIOD = Period("2026-2027", "秋季学期")
STUDENT_ID = "45012720080101123X"
SISTER_ID = "450127201203040021"
ACCOUNT = "6228480000000000018"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("45012720080101123X", "4501**********123X"),  # 身份证号: first 4 and last 4 stay
        ("6228480000000000018", "6228***********0018"),  # 19-digit account
        ("6222020000000001", "6222********0001"),  # 16-digit card
        ("450102800101123", "4501*******1123"),  # legacy 15-digit number
        ("123456789012", "1234****9012"),
        ("12345678", "12****78"),  # short values: at least half is hidden
        ("1234", "1**4"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_number_keeps_both_ends_and_hides_the_middle(text: str, masked: str) -> None:
    assert mask_number(text) == masked
    assert len(masked) == len(text)


def _student(name: str, id_number: str, grade: str) -> list[str]:
    values = {"name": name, "id_number": id_number, "stage": "小学", "grade": grade}
    return [values.get(key, "") for key in table_schema("students").keys]


def _aid(name: str, id_number: str, item: str, amount: str, account: str = "") -> list[str]:
    values = {
        "name": name,
        "id_number": id_number,
        "stage": "小学",
        "item": item,
        "amount": amount,
        "account_no": account,
    }
    return [values.get(key, "") for key in table_schema("aid").keys]


ITEM = "义务教育非寄宿生生活补助"
MEALS = "农村义务教育营养改善计划"
MASKED_ID = "4501**********123X"
MASKED_ACCOUNT = "6228***********0018"
STUDENTS = [_student("韦小宝", STUDENT_ID, "三年级"), _student("韦小红", SISTER_ID, "一年级")]
AID = [
    _aid("韦小宝", STUDENT_ID, ITEM, "312.5", ACCOUNT),
    _aid("韦小宝", STUDENT_ID, MEALS, "500"),
    _aid("韦小红", SISTER_ID, ITEM, "312.5", ACCOUNT),
    _aid("无名", "450127201001010000", ITEM, "312.5"),  # not in 在学状态表
]
EXPECTED = [
    [1, "韦小宝", MASKED_ID, "小学", "三年级", ITEM, 312.5, MASKED_ACCOUNT],
    [2, "韦小宝", MASKED_ID, "小学", "三年级", MEALS, 500, None],
    [3, "韦小红", "4501**********0021", "小学", "一年级", ITEM, 312.5, MASKED_ACCOUNT],
    [4, "无名", "4501**********0000", "小学", None, ITEM, 312.5, None],
]


def _sheet(path: Path) -> Worksheet:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def test_public_list_has_the_posting_columns_with_masked_numbers(tmp_path: Path) -> None:
    target = tmp_path / "公示名单.xlsx"
    assert export_public_list(target, STUDENTS, AID) == 4

    sheet = _sheet(target)
    assert sheet.title == "公示名单"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [column.header for column in PUBLIC_COLUMNS]
    assert [list(row) for row in rows[1:]] == EXPECTED
    assert sheet["C2"].data_type == "s" and sheet["C2"].number_format == "@"
    with zipfile.ZipFile(target) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (STUDENT_ID, SISTER_ID, ACCOUNT, STUDENT_ID[4:-4], ACCOUNT[4:-4]):
        assert secret.encode() not in everything, "a full number must never be in a public list"


def test_public_list_from_the_store_and_in_libreoffice(tmp_path: Path) -> None:
    target = tmp_path / "公示名单.xlsx"
    keys = {table: table_schema(table).keys for table in ("students", "aid")}
    with Store.open(tmp_path / "store.sqlite3") as store:
        store.insert_rows(
            "students", PERIOD, [dict(zip(keys["students"], row, strict=True)) for row in STUDENTS]
        )
        store.insert_rows("aid", PERIOD, [dict(zip(keys["aid"], row, strict=True)) for row in AID])
        assert export_public_list_from_store(store, PERIOD, target) == 4

    shown = convert_to_csv([target], tmp_path)["公示名单"]
    quoted = quoted_cells(tmp_path, "公示名单")
    assert shown[0] == [column.header for column in PUBLIC_COLUMNS]
    assert shown[1] == ["1", "韦小宝", MASKED_ID, "小学", "三年级", ITEM, "312.50", MASKED_ACCOUNT]
    assert shown[4][2] == "4501**********0000" and shown[4][4] == ""
    assert quoted[1][2] and quoted[1][7], "masked numbers are text cells"
    assert not quoted[1][6], "the amount is a number"


def test_issues_list_has_one_row_per_issue(tmp_path: Path) -> None:
    issues = [
        Issue(
            "students", 3, "身份证号", "S06", "error", "身份证号校验位错误（按前17位应为X），请核对。", "u1"
        ),
        Issue(
            "aid", 12, "资助金额(元)", "A13", "warning", "资助金额 300 元与标准不符，请核对档次。", "u2", True
        ),
        Issue(
            "aid",
            14,
            "",
            "C01",
            "warning",
            "韦小宝（45012720080101123X）本学期没有资助记录，请核对是否漏报。",
        ),
    ]
    target = tmp_path / "问题清单.xlsx"
    assert export_issues(target, issues) == 3

    rows = [list(row) for row in _sheet(target).iter_rows(values_only=True)]
    assert rows[0] == [column.header for column in ISSUE_COLUMNS]
    assert rows[0] == ["表", "行", "列", "规则", "问题", "严重程度", "已核对"]
    assert rows[1] == ["在学状态表", 3, "身份证号", "S06", issues[0].message, "错误", None]
    assert rows[2] == ["学生资助表", 12, "资助金额(元)", "A13", issues[1].message, "警告", "已核对"]
    assert rows[3][2] is None and rows[3][5] == "警告"
