"""N01–N06: what a clerk's typed or pasted value becomes, and the notice that tells them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models.schema import Column, table_schema
from app.validation.normalize import NormalizedValue, Notice, normalize_value, parse_date

STUDENTS = table_schema("students")
AID = table_schema("aid")


def col(key: str, table: str = "students") -> Column:
    return table_schema(table).column(key)


def rules(result: NormalizedValue) -> list[str]:
    return [notice.rule for notice in result.notices]


def test_a_clean_value_is_returned_unchanged_without_notices() -> None:
    for column, text in [
        (col("id_number"), "45010220090315030X"),
        (col("name"), "张三"),
        (col("ethnicity"), "壮族"),
        (col("guardian_phone"), "0771-5301234"),
        (col("remark"), "父亲残疾，母亲务农。"),
        (col("paid_on", "aid"), "2026-09-01"),
        (col("name"), ""),
    ]:
        assert normalize_value(column, text) == NormalizedValue(text, ())


def test_n01_full_width_digits_and_letters_become_ascii() -> None:
    result = normalize_value(col("id_number"), "４５０１０２２００９０３１５０３０Ｘ")
    assert result.value == "45010220090315030X"
    assert result.notices == (Notice("N01", "「身份证号」含全角字符或特殊空格，已转换为半角。"),)


def test_n01_roman_numeral_ten_at_the_end_of_an_id_becomes_x() -> None:
    assert normalize_value(col("id_number"), "45010220090315030Ⅹ").value == "45010220090315030X"


def test_n01_no_break_and_ideographic_spaces_are_folded_then_trimmed() -> None:
    result = normalize_value(col("householder_name"), "\u3000张大山\u00a0")
    assert result.value == "张大山"
    assert rules(result) == ["N01", "N02"]


def test_n01_is_not_reported_when_nfkc_changes_nothing() -> None:
    assert normalize_value(col("name"), "阿依古丽·买买提").notices == ()


def test_n01_keeps_chinese_punctuation_in_free_text_but_folds_its_digits() -> None:
    assert normalize_value(col("remark"), "父亲残疾，母亲务农（低保）。").notices == ()
    result = normalize_value(col("class_name"), "（１）班")
    assert result.value == "（1）班"
    assert rules(result) == ["N01"]


def test_n01_full_width_parentheses_of_an_enum_value_are_folded() -> None:
    result = normalize_value(col("hardship"), "脱贫户（建档立卡）")
    assert result.value == "脱贫户(建档立卡)"
    assert rules(result) == ["N01"]


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad"]
)
def test_n02_invisible_characters_are_removed(invisible: str) -> None:
    result = normalize_value(col("id_number"), f"450102{invisible}20080101300{invisible}2")
    assert result.value == "450102200801013002"
    assert result.notices == (Notice("N02", "「身份证号」含不可见字符或多余空格，已清除。"),)


def test_n02_spaces_inside_numbers_are_removed_but_not_inside_names() -> None:
    assert normalize_value(col("id_number"), " 450102 20080101 3002 ").value == "450102200801013002"
    assert normalize_value(col("student_no"), "G450102 200801013002").value == "G450102200801013002"
    assert normalize_value(col("guardian_phone"), "138 1234 5678").value == "13812345678"
    assert normalize_value(col("account_no", "aid"), "6222 0212 3456 7890 123").value == "6222021234567890123"
    name = normalize_value(col("name"), " 张 三 ")
    assert name.value == "张 三"  # S02 tells the clerk; a space inside a name is not ours to guess
    assert rules(name) == ["N02"]


def test_n02_tabs_and_line_breaks_around_a_pasted_value_are_trimmed() -> None:
    result = normalize_value(col("guardian_phone"), "13812345678\r\n")
    assert result.value == "13812345678"
    assert rules(result) == ["N02"]


def test_n03_lower_case_x_becomes_upper_case() -> None:
    result = normalize_value(col("id_number"), "45010220090315030x")
    assert result.value == "45010220090315030X"
    assert result.notices == (Notice("N03", "身份证号末位 x 已改为大写 X。"),)
    householder = normalize_value(col("householder_id"), "45010220090315030x")
    assert householder.value == "45010220090315030X"
    assert householder.notices == (Notice("N03", "户主身份证号末位 x 已改为大写 X。"),)


def test_n03_does_not_touch_other_columns() -> None:
    assert normalize_value(col("remark"), "box").value == "box"


@pytest.mark.parametrize(
    ("key", "table", "typed", "canonical"),
    [
        ("ethnicity", "students", "壮", "壮族"),
        ("ethnicity", "students", "8", "壮族"),
        ("ethnicity", "students", "毛难族", "毛南族"),
        ("grade", "students", "初一", "七年级"),
        ("gender", "students", "1", "男"),
        ("gender", "students", "女性", "女"),
        ("hardship", "students", "建档立卡", "脱贫户(建档立卡)"),
        ("stage", "students", "高中", "普通高中"),
        ("boarding", "students", "住校", "是"),
        ("term", "aid", "秋季", "秋季学期"),
        ("payout", "aid", "减免", "直接减免"),
    ],
)
def test_n04_aliases_become_the_canonical_value(key: str, table: str, typed: str, canonical: str) -> None:
    column = col(key, table)
    result = normalize_value(column, typed)
    assert result.value == canonical
    assert result.notices == (Notice("N04", f'「{column.header}」"{typed}"已规范为"{canonical}"。'),)


def test_n04_message_matches_the_catalog() -> None:
    assert normalize_value(col("ethnicity"), "壮").notices[0].message == '「民族」"壮"已规范为"壮族"。'


def test_n04_after_n01_full_width_alias() -> None:
    result = normalize_value(col("gender"), "１")
    assert result.value == "男"
    assert rules(result) == ["N01", "N04"]


def test_n04_unknown_values_are_left_as_typed_for_the_rules_to_report() -> None:
    assert normalize_value(col("ethnicity"), "火星族") == NormalizedValue("火星族", ())
    assert normalize_value(col("gender"), "3") == NormalizedValue("3", ())


def test_n04_policy_items_are_known_values() -> None:
    item = col("item", "aid")
    name = item.code_list().values[0]
    assert normalize_value(item, name) == NormalizedValue(name, ())
    assert normalize_value(item, f" {name} ").value == name


@pytest.mark.parametrize("dot", ["・", "•", "‧", "･"])
def test_n05_look_alike_middle_dots_in_names(dot: str) -> None:
    result = normalize_value(col("name"), f"阿依古丽{dot}买买提")
    assert result.value == "阿依古丽·买买提"
    assert result.notices == (Notice("N05", '姓名中的间隔号已规范为"·"。'),)


def test_n05_applies_to_householder_and_card_holder_names_but_not_remarks() -> None:
    assert normalize_value(col("householder_name"), "买买提・艾力").value == "买买提·艾力"
    assert normalize_value(col("holder_name", "aid"), "买买提•艾力").value == "买买提·艾力"
    assert normalize_value(col("remark"), "要点•一").value == "要点•一"


@pytest.mark.parametrize(
    "typed",
    [
        "2026/9/1",
        "2026.9.1",
        "2026-9-1",
        "20260901",
        "2026年9月1日",
        "2026/09/01 0:00:00",
        "46266",
        " 2026/9/1 ",
    ],
)
def test_n06_dates_become_iso(typed: str) -> None:
    result = normalize_value(col("paid_on", "aid"), typed)
    assert result.value == "2026-09-01"
    assert Notice("N06", "发放日期已规范为 2026-09-01。") in result.notices


@pytest.mark.parametrize("typed", ["2026/2/30", "2026-13-01", "12345", "明天", "2026/9"])
def test_n06_invalid_dates_are_left_as_typed(typed: str) -> None:
    assert normalize_value(col("paid_on", "aid"), typed) == NormalizedValue(typed, ())


def test_n06_only_in_date_columns() -> None:
    assert normalize_value(col("remark"), "2026/9/1").value == "2026/9/1"
    assert normalize_value(col("household_region"), "20260901").value == "20260901"


def test_parse_date_handles_the_excel_1900_leap_year_offset() -> None:
    assert str(parse_date("45292")) == "2024-01-01"
    assert parse_date("99999") is None


def test_several_rules_on_one_value_report_in_catalog_order() -> None:
    result = normalize_value(col("id_number"), "\u200b４５０１０２２００９０３１５０３０x ")
    assert result.value == "45010220090315030X"
    assert rules(result) == ["N01", "N02", "N03"]


_TYPED = st.text(
    alphabet=st.sampled_from(
        list("0123456789xX０１２Ｘ Ⅹ\u3000\u00a0\u200b\ufeff\u00ad\t张三壮族·・•（）()/.-年月日初一男1")
    ),
    max_size=24,
)


@given(
    text=_TYPED, key=st.sampled_from(["id_number", "name", "ethnicity", "grade", "guardian_phone", "remark"])
)
def test_normalization_is_idempotent(text: str, key: str) -> None:
    """Normalizing twice changes nothing more: a saved value never gets new notices on reload."""
    once = normalize_value(col(key), text)
    assert normalize_value(col(key), once.value) == NormalizedValue(once.value, ())


@given(text=_TYPED)
def test_dates_are_idempotent(text: str) -> None:
    once = normalize_value(col("paid_on", "aid"), text)
    assert normalize_value(col("paid_on", "aid"), once.value) == NormalizedValue(once.value, ())


def test_every_column_of_both_tables_accepts_text() -> None:
    for schema in (STUDENTS, AID):
        for column in schema.columns:
            assert normalize_value(column, "\u200b").value == ""


@pytest.mark.parametrize(
    ("typed", "code"), [("兴宁区", "450102"), ("450102 兴宁区", "450102"), ("横州市", "450181")]
)
def test_household_county_accepts_its_name_and_stores_the_code(typed: str, code: str) -> None:
    column = table_schema("students").column("household_region")
    result = normalize_value(column, typed)
    assert result.value == code
    assert result.notices == (Notice("N04", f'「户籍所在县(区)」"{typed}"已规范为"{code}"。'),)


def test_household_county_unknown_name_is_left_for_the_rules() -> None:
    column = table_schema("students").column("household_region")
    assert normalize_value(column, "横县").value == "横县"  # abolished in 2021: S21 reports it
