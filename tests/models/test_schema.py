"""The table schemas, code lists, policy and region data shipped in resources/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.models import regions
from app.models.codes import code_list
from app.models.period import Period, PeriodError, current_period
from app.models.policy import default_policy
from app.models.schema import TABLE_KEYS, table_schema

SPEC_STUDENT_HEADERS = (
    "姓名", "性别", "身份证号", "民族", "学段", "年级", "班级", "学籍号", "在学状态", "是否寄宿", "困难类型",
    "户籍所在县(区)", "户主姓名", "户主身份证号", "与户主关系", "监护人联系电话", "备注",
)  # fmt: skip
SPEC_AID_HEADERS = (
    "姓名", "身份证号", "学段", "资助项目", "学年", "学期", "资助金额(元)", "发放方式", "银行卡号/一卡通账号",
    "开户银行", "持卡人姓名", "持卡人与学生关系", "发放日期", "备注",
)  # fmt: skip


def test_tables_have_every_column_of_the_spec_in_order() -> None:
    assert table_schema("students").headers == SPEC_STUDENT_HEADERS
    assert table_schema("aid").headers == SPEC_AID_HEADERS


@pytest.mark.parametrize("table", TABLE_KEYS)
def test_every_enum_column_resolves_to_a_code_list(table: str) -> None:
    for column in table_schema(table).columns:
        if column.is_enum:
            assert column.code_list().values, column.key


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("身份证号码", "id_number"),
        ("公民身份号码", "id_number"),
        ("*身份证号（必填）", "id_number"),
        ("  姓 名 ", "name"),
        ("户籍所在县（区）", "household_region"),
        ("金额", "amount"),
        ("资助学年", "school_year"),
    ],
)
def test_headers_match_through_aliases_and_decorations(header: str, key: str) -> None:
    table = "aid" if key in {"amount", "school_year"} else "students"
    column = table_schema(table).match_header(header)
    assert column is not None
    assert column.key == key


def test_unknown_header_matches_nothing() -> None:
    assert table_schema("students").match_header("家庭住址") is None


def test_required_flags_and_conditions_follow_the_spec() -> None:
    students = table_schema("students")
    assert students.column("name").required
    assert not students.column("class_name").required
    assert students.column("student_no").required_unless == {"stage": ("学前教育",)}
    aid = table_schema("aid")
    assert aid.column("account_no").required_when == {"payout": ("一卡通", "银行卡")}
    assert aid.column("paid_on").required_unless == {"payout": ("直接减免",)}
    assert aid.unique_key == ("id_number", "item", "school_year", "term")


def test_id_like_columns_are_exported_as_text_and_checked_for_excel_damage() -> None:
    students = table_schema("students")
    for key in ("id_number", "householder_id", "student_no", "guardian_phone"):
        assert students.column(key).text_format
        assert students.column(key).damage_check
    assert table_schema("aid").column("account_no").damage_check


@pytest.mark.parametrize(
    ("alias", "value"),
    [
        ("壮", "壮族"),
        ("08", "壮族"),
        ("8", "壮族"),
        ("崩龙族", "德昂族"),
        ("毛难族", "毛南族"),
        ("汉族", "汉族"),
    ],
)
def test_ethnicity_accepts_short_forms_codes_and_old_names(alias: str, value: str) -> None:
    assert code_list("ethnicity").canonical(alias) == value


def test_ethnicity_list_has_56_peoples_and_two_more() -> None:
    values = code_list("ethnicity").values
    assert len(values) == 58
    assert "其他" in values
    assert "外国血统中国籍人士" in values


def test_grades_depend_on_the_stage() -> None:
    grades = code_list("grade")
    assert grades.values_for_stage("初中") == ("七年级", "八年级", "九年级")
    assert grades.values_for_stage("学前教育") == ("小班", "中班", "大班")
    assert grades.canonical("初一") == "七年级"
    assert grades.canonical("十年级") is None


def test_region_codes_come_from_gbt2260_with_history() -> None:
    counties = regions.current_counties("45")
    assert len(counties) == 111  # 广西's county-level divisions
    assert counties["450102"] == "兴宁区"
    assert counties["450181"] == "横州市"
    assert "450127" not in counties  # 横县 became 横州市 in 2021 …
    assert "450127" in regions.historical_codes()  # … but IDs issued under 450127 stay valid
    assert "450100" not in counties
    assert "450127" in regions.codes_in_use("45", 2012)
    assert "450127" not in regions.codes_in_use("45", 2023)
    assert regions.region_label("450102", "45") == "450102 兴宁区"


def test_policy_standards_hold_from_their_term() -> None:
    policy = default_policy()
    boarding = policy.item("义务教育寄宿生生活补助")
    assert boarding is not None
    assert boarding.amounts_in(Period("2026-2027", "秋季学期"), "小学") == (Decimal(625),)
    assert boarding.amounts_in(Period("2026-2027", "秋季学期"), "初中") == (Decimal(750),)
    assert boarding.amounts_in(Period("2023-2024", "秋季学期"), "小学") == (Decimal(500),)
    assert boarding.amounts_in(Period("2023-2024", "春季学期"), "小学") == (Decimal(625),)
    nutrition = policy.item("农村义务教育营养改善计划")
    assert nutrition is not None
    assert nutrition.payout == ("实物",)
    assert nutrition.amounts_in(Period("2026-2027", "春季学期"), "初中") == (Decimal(500),)
    fee = policy.item("免除保育教育费")
    assert fee is not None
    assert fee.local_fee
    assert fee.standard_in(Period("2024-2025", "秋季学期")) is None


def test_period_ids_follow_the_protocol() -> None:
    autumn = Period("2026-2027", "秋季学期")
    assert autumn.id == "2026-2027-1"
    assert Period.from_id("2026-2027-2") == Period("2026-2027", "春季学期")
    assert autumn.label == "2026-2027学年秋季学期"


@pytest.mark.parametrize(
    ("year", "term"), [("2026-2028", "秋季学期"), ("2026", "秋季学期"), ("2026-2027", "夏季")]
)
def test_bad_periods_are_refused_in_chinese(year: str, term: str) -> None:
    with pytest.raises(PeriodError, match=r"学年|学期"):
        Period(year, term)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-11-22", Period("2026-2027", "秋季学期")),
        ("2027-02-28", Period("2026-2027", "秋季学期")),
        ("2027-03-01", Period("2026-2027", "春季学期")),
        ("2027-08-31", Period("2026-2027", "春季学期")),
        ("2027-09-01", Period("2027-2028", "秋季学期")),
    ],
)
def test_current_period_follows_the_school_calendar(day: str, expected: Period) -> None:
    assert current_period(date.fromisoformat(day)) == expected
