"""X01/X02 and cell_text: numbers Excel damaged are flagged and never turned into made-up digits."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.schema import Column, table_schema
from app.validation.damage import (
    CellText,
    CellValue,
    Finding,
    cell_reader,
    cell_text,
    is_scientific,
    number_text,
    scientific_finding,
)

X01_ID = (
    '「身份证号」为科学计数法"4.50102E+17"，号码已被 Excel 损坏。'
    '请把该列设为"文本"格式后，从原始材料重新录入完整号码。'
)
X02_ID = '「身份证号」在 Excel 中被存成了数字，第15位之后的数字已丢失。请把该列设为"文本"格式后重新录入。'


def col(key: str, table: str = "students") -> Column:
    return table_schema(table).column(key)


def rules(text: CellText) -> list[str]:
    return [finding.rule for finding in text.findings]


@pytest.mark.parametrize(
    "text", ["4.50102E+17", "4.5010220080101e+17", "4.50102E17", "4,50102E+17", "6.22202E+18", "4.5E-01"]
)
def test_scientific_notation_is_recognised(text: str) -> None:
    assert is_scientific(text)


@pytest.mark.parametrize(
    "text",
    ["450102200801013002", "45010220090315030X", "G450102200801013002", "E+17", "4.5", "0771-5301234", ""],
)
def test_ordinary_numbers_are_not_scientific(text: str) -> None:
    assert not is_scientific(text)


def test_x01_message_names_the_column_and_the_value() -> None:
    assert scientific_finding(col("id_number"), "4.50102E+17") == Finding("X01", "error", X01_ID)


def test_x01_only_for_damage_checked_columns() -> None:
    assert scientific_finding(col("remark"), "4.50102E+17") is None
    assert scientific_finding(col("householder_id"), "4.50102E+17") is not None
    assert scientific_finding(col("student_no"), "4.50102E+17") is not None
    assert scientific_finding(col("guardian_phone"), "1.38123E+10") is not None
    assert scientific_finding(col("account_no", "aid"), "6.22202E+18") is not None


def test_text_cell_in_scientific_notation_gives_x01() -> None:
    text = cell_text(col("id_number"), "4.50102E+17")
    assert text == CellText("4.50102E+17", (Finding("X01", "error", X01_ID),))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (13812345678.0, "13812345678"),
        (312.5, "312.5"),
        (1250.0, "1250"),
        (0.1 + 0.2, "0.3"),
        (450102800101123.0, "450102800101123"),
        (4.50102200801013e17, "4.50102200801013E+17"),
        (450102200801013002, "4.50102200801013E+17"),
        (1e18, "1E+18"),
        (6.222021234567891e18, "6.22202123456789E+18"),
        (-5.0, "-5"),
    ],
)
def test_number_text_is_what_excel_shows_in_general_format(value: float, shown: str) -> None:
    assert number_text(value) == shown


def test_x02_an_id_stored_as_a_number_is_flagged_and_kept_in_scientific_notation() -> None:
    text = cell_text(col("id_number"), 450102200801013002.0)
    assert text.value == "4.50102200801013E+17"
    assert text.findings == (Finding("X02", "error", X02_ID),)  # X02 alone: X01 would only repeat it


def test_x02_for_every_damage_checked_column() -> None:
    assert rules(cell_text(col("householder_id"), 4.50102198001010e17)) == ["X02"]
    assert rules(cell_text(col("account_no", "aid"), 6.222021234567891e18)) == ["X02"]
    assert rules(cell_text(col("id_number"), 1234567890123456)) == ["X02"]


@given(value=st.floats(min_value=1e15, max_value=1e20))
def test_a_damaged_number_is_never_stored_as_digits(value: float) -> None:
    text = cell_text(col("id_number"), value)
    assert not re.fullmatch(r"\d+", text.value)
    assert re.fullmatch(r"\d(\.\d{1,14})?E\+\d\d", text.value)
    assert rules(text) == ["X02"]


def test_fifteen_digits_or_fewer_are_exact_and_stored_as_digits() -> None:
    assert cell_text(col("guardian_phone"), 13812345678.0) == CellText("13812345678", ())
    assert cell_text(col("householder_id"), 450102800101123.0) == CellText("450102800101123", ())


def test_a_landline_that_lost_its_leading_zero_is_kept_as_the_digits_excel_holds() -> None:
    assert cell_text(col("guardian_phone"), 7715301234.0).value == "7715301234"  # X04 is the rule's job


def test_number_cells_in_enum_columns_go_through_the_aliases() -> None:
    assert cell_text(col("gender"), 1.0) == CellText(
        "男", (Finding("N04", "notice", '「性别」"1"已规范为"男"。'),)
    )
    assert cell_text(col("ethnicity"), 8).value == "壮族"
    assert cell_text(col("household_region"), 450102.0).value == "450102"


def test_amounts_keep_their_decimals_without_float_noise() -> None:
    amount = col("amount", "aid")
    assert cell_text(amount, 312.5) == CellText("312.5", ())
    assert cell_text(amount, 1250.0) == CellText("1250", ())
    assert cell_text(amount, 0.1 + 0.2).value == "0.3"


def test_date_cells_and_serials_in_the_date_column_become_iso_with_n06() -> None:
    paid_on = col("paid_on", "aid")
    expected = CellText("2026-09-01", (Finding("N06", "notice", "发放日期已规范为 2026-09-01。"),))
    assert cell_text(paid_on, datetime.date(2026, 9, 1)) == expected
    assert cell_text(paid_on, datetime.datetime(2026, 9, 1, 8, 30)) == expected
    assert cell_text(paid_on, 46266.0) == expected
    assert cell_text(paid_on, 46266) == expected
    assert cell_text(paid_on, "2026/9/1") == expected


def test_a_number_outside_the_date_range_in_the_date_column_stays_a_number() -> None:
    assert cell_text(col("paid_on", "aid"), 12.0) == CellText("12", ())


def test_other_cell_types_become_the_text_excel_shows() -> None:
    remark = col("remark")
    assert cell_text(remark, datetime.date(2026, 9, 1)) == CellText("2026-09-01", ())
    assert cell_text(remark, datetime.datetime(2026, 9, 1, 8, 30)).value == "2026-09-01 08:30:00"
    assert cell_text(remark, datetime.time(8, 30)).value == "08:30:00"
    assert cell_text(remark, True).value == "TRUE"
    assert cell_text(remark, None) == CellText("", ())
    assert cell_text(remark, "") == CellText("", ())


def test_text_cells_are_normalized() -> None:
    text = cell_text(col("id_number"), "４５０１０２２００９０３１５０３０x")
    assert text.value == "45010220090315030X"
    assert rules(text) == ["N01", "N03"]
    assert all(finding.severity == "notice" for finding in text.findings)


def test_a_bound_reader_gives_the_same_answers_as_cell_text_for_repeated_values() -> None:
    read = cell_reader(col("ethnicity"))
    values: list[CellValue] = ["壮", "壮", "汉族", 8.0, None, "", "火星族", "壮"]
    for value in values:
        assert read(value) == cell_text(col("ethnicity"), value)
