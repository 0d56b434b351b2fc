"""S01–S26 and X01/X03/X04 on 在学状态表: each rule with a failing and a passing example."""

from __future__ import annotations

import pytest

from app.models.schema import table_schema
from app.validation.report import Issue
from tests.validation.samples import (
    HOUSEHOLDER_ID,
    STUDENT,
    STUDENT_ID,
    found,
    id_number,
    other_student,
    rules_of,
    run,
    student,
)

ID_RULES = {"S03", "S04", "S05", "S06", "S07", "S08", "S09", "X01", "X03"}


def one(rows: list[dict[str, str]], rule: str) -> Issue:
    """The single finding of ``rule`` when the engine checks ``rows``."""
    issues = found(run(rows), rule)
    assert len(issues) == 1, issues
    return issues[0]


def test_the_sample_student_is_clean() -> None:
    assert run([STUDENT]).issues == []


# ---------------------------------------------------------------- S01, S02, S26


def test_s01_required_value_missing() -> None:
    issue = one([student(name="")], "S01")
    assert (issue.row, issue.column, issue.message) == (1, "姓名", "「姓名」不能为空。")
    assert issue.severity == "error"


def test_s01_student_no_is_required_except_in_kindergarten() -> None:
    assert one([student(student_no="")], "S01").column == "学籍号"
    kindergarten = student(student_no="", stage="学前教育", grade="小班")
    assert "S01" not in rules_of(run([kindergarten]))


@pytest.mark.parametrize("name", ["张3", "John", "张 三", "李"])
def test_s02_name_with_disallowed_characters(name: str) -> None:
    assert one([student(name=name)], "S02").message == f'姓名"{name}"含数字、字母、空格等不允许的字符。'


@pytest.mark.parametrize("name", ["阿依古丽·买买提", "王〇", "欧阳娜娜", "𬌗李"])
def test_s02_accepts_chinese_names(name: str) -> None:
    assert "S02" not in rules_of(run([student(name=name)]))


def test_s26_text_longer_than_its_column() -> None:
    issue = one([student(remark="备" * 201)], "S26")
    assert (issue.column, issue.message) == ("备注", "「备注」超过200个字。")
    assert "S26" not in rules_of(run([student(remark="备" * 200)]))


# ---------------------------------------------------------------- S03–S09 身份证号


def _id_only(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(i.rule, i.message) for i in run(rows).issues if i.rule in ID_RULES and i.column == "身份证号"]


def test_standard_example_id_is_valid() -> None:
    row = student(id_number="11010519491231002X", student_no="G11010519491231002X", gender="女")
    assert _id_only([row]) == []


def test_s03_wrong_length() -> None:
    assert _id_only([student(id_number="45010220200115123")]) == [("S03", "身份证号应为18位，当前为17位。")]


def test_s04_wrong_characters() -> None:
    expected = [("S04", "身份证号格式错误：前17位应为数字，末位为数字或X。")]
    assert _id_only([student(id_number="45010220200115123A")]) == expected
    assert _id_only([student(id_number="4501022020011512X4")]) == expected


def test_s05_birth_date_not_real_or_in_the_future() -> None:
    assert _id_only([student(id_number=id_number("45010220200230123"))]) == [
        ("S05", "身份证号中的出生日期 20200230 无效。")
    ]
    assert _id_only([student(id_number=id_number("45010220270115123"))]) == [
        ("S05", "身份证号中的出生日期 20270115 无效。")
    ]


def test_s05_accepts_29_february_of_a_leap_year() -> None:
    assert _id_only([student(id_number=id_number("45010220200229123"))]) == []


def test_s06_wrong_check_digit_says_the_right_one() -> None:
    row = student(id_number="440308199901101513")
    assert _id_only([row]) == [("S06", "身份证号校验位错误（按前17位应为2），请核对。")]


def test_s07_not_a_province() -> None:
    row = student(id_number=id_number("99010220200115123"))
    assert _id_only([row]) == [("S07", '身份证号前两位"99"不是有效的省级代码。')]


def test_s08_unknown_address_code_is_a_warning() -> None:
    issue = one([student(id_number=id_number("45999920200115123"))], "S08")
    assert issue.severity == "warning"
    assert issue.message == "身份证号地址码 459999 不在历年行政区划代码中，请核对。"


def test_s08_accepts_a_historical_code() -> None:
    # 450127 横县 became 450181 横州市 in 2021; numbers issued before keep 450127.
    row = student(id_number=id_number("45012720200115123"))
    assert _id_only([row]) == []


def test_s09_legacy_number_shows_its_upgrade() -> None:
    upgraded = id_number("45010219200115123")
    assert _id_only([student(id_number="450102200115123")]) == [
        ("S09", f"学生身份证号不应为15位旧号码（升级后为 {upgraded}），请按户口簿核对。")
    ]


def test_s10_duplicate_numbers_list_the_other_rows() -> None:
    twin = other_student(2, id_number=STUDENT_ID, student_no="L123456789012345678")
    third = other_student(3, id_number=STUDENT_ID, student_no="L123456789012345679")
    issues = found(run([STUDENT, other_student(4), twin, third]), "S10")
    assert [(i.row, i.message) for i in issues] == [
        (1, f"身份证号 {STUDENT_ID} 在本表重复（第3、4行）。"),
        (3, f"身份证号 {STUDENT_ID} 在本表重复（第1、4行）。"),
        (4, f"身份证号 {STUDENT_ID} 在本表重复（第1、3行）。"),
    ]
    assert "S10" not in rules_of(run([STUDENT, other_student(2)]))


# ---------------------------------------------------------------- X01, X03, X04


def test_x01_scientific_notation_replaces_the_id_checks() -> None:
    issues = run([student(id_number="4.50102E+17")]).issues
    assert [(i.rule, i.column) for i in issues if i.column == "身份证号"] == [("X01", "身份证号")]
    x01 = found(run([student(id_number="4.50102E+17")]), "X01")[0]
    assert x01.message.startswith('「身份证号」为科学计数法"4.50102E+17"，号码已被 Excel 损坏。')


def test_x01_in_other_damage_checked_columns() -> None:
    row = student(student_no="4.5010220200115E+17", guardian_phone="1.38123E+10")
    assert {i.column for i in found(run([row]), "X01")} == {"学籍号", "监护人联系电话"}


def test_x03_truncated_number_instead_of_s06() -> None:
    row = student(id_number="450102202001151000")
    assert _id_only([row]) == [
        ("X03", "身份证号末尾为000且校验位错误，疑似被 Excel 截断，请从原始证件重新录入。")
    ]


def test_x03_ending_000_with_a_correct_check_digit_is_fine() -> None:
    number = id_number("45010220200115800")  # its check character happens to be 0
    assert number.endswith("000")
    assert _id_only([student(id_number=number, student_no="G" + number, gender="女")]) == []


def test_x03_on_the_householder_number() -> None:
    issue = one([student(householder_id="450102198503042000")], "X03")
    assert issue.column == "户主身份证号"
    assert issue.message.startswith("户主身份证号末尾为000且校验位错误")
    assert "S22" not in rules_of(run([student(householder_id="450102198503042000")]))


def test_x04_landline_without_its_leading_zero() -> None:
    report = run([student(guardian_phone="7715551234")])
    assert found(report, "X04")[0].message == '「监护人联系电话」可能丢失了开头的"0"，请核对。'
    assert found(report, "X04")[0].severity == "warning"
    assert "X04" not in rules_of(run([student(guardian_phone="07715551234")]))
    assert "X04" not in rules_of(run([student(guardian_phone="1381234567")]))  # a mobile missing a digit


# ---------------------------------------------------------------- S11–S16


def test_s11_gender_must_be_male_or_female() -> None:
    assert one([student(gender="未知")], "S11").message == '性别只能填"男"或"女"。'


def test_s12_gender_disagrees_with_the_id() -> None:
    assert one([student(gender="女")], "S12").message == "性别与身份证号不符（身份证号显示为男）。"


def test_s13_ethnicity_not_in_the_list() -> None:
    assert one([student(ethnicity="火星族")], "S13").message == '民族"火星族"不是国家标准民族名称。'
    assert "S13" not in rules_of(run([student(ethnicity="外国血统中国籍人士")]))


def test_s14_stage_not_in_the_list() -> None:
    issue = one([student(stage="大学", grade="")], "S14")
    assert issue.message == '学段"大学"无效，应为：学前教育、小学、初中、普通高中、中等职业教育。'


def test_s15_grade_must_belong_to_the_stage() -> None:
    assert one([student(stage="初中", grade="一年级")], "S15").message == '初中没有"一年级"。'
    assert "S15" not in rules_of(run([student(stage="中等职业教育", grade="一年级")]))


@pytest.mark.parametrize(("grade", "warned"), [("一年级", False), ("三年级", False), ("四年级", True)])
def test_s16_age_far_from_the_grade(grade: str, warned: bool) -> None:
    report = run([student(grade=grade)])
    assert ("S16" in rules_of(report)) is warned
    if warned:
        assert found(report, "S16")[0].message == "按身份证号出生日期，该生6岁，与小学四年级不相符，请核对。"


def test_s16_counts_age_on_31_august() -> None:
    # Born 1 September 2020: still 5 on 31 August 2026, so 小学一年级 (6) is within 2 years, 三年级 is not.
    number = id_number("45010220200901123")
    row = student(id_number=number, student_no="G" + number, grade="三年级")
    assert found(run([row]), "S16")[0].message == "按身份证号出生日期，该生5岁，与小学三年级不相符，请核对。"


# ---------------------------------------------------------------- S17–S19 学籍号


@pytest.mark.parametrize(
    "number", ["X123", "G45010220200115123", "L45010220200115123X", "G4501022020011512345"]
)
def test_s17_student_number_format(number: str) -> None:
    assert (
        one([student(student_no=number)], "S17").message == "学籍号格式错误：应为 G、J 或 L 加18位，共19位。"
    )


@pytest.mark.parametrize("number", ["L450102202001151234", "J45010220200115123X", "G" + STUDENT_ID])
def test_s17_accepts_g_j_and_l_numbers(number: str) -> None:
    assert not rules_of(run([student(student_no=number)])) & {"S17", "S18"}


def test_s18_g_number_differs_from_the_id() -> None:
    issue = one([student(student_no="G" + HOUSEHOLDER_ID)], "S18")
    assert (issue.severity, issue.message) == ("warning", '学籍号与"G+身份证号"不一致，请核对。')


def test_s19_duplicate_student_number() -> None:
    rows = [STUDENT, other_student(2, student_no=STUDENT["student_no"])]
    issues = found(run(rows), "S19")
    assert [(i.row, i.message) for i in issues] == [
        (1, f"学籍号 G{STUDENT_ID} 在本表重复（第2行）。"),
        (2, f"学籍号 G{STUDENT_ID} 在本表重复（第1行）。"),
    ]


# ---------------------------------------------------------------- S20–S25


def test_s20_status_not_in_the_list() -> None:
    assert one([student(status="在校中")], "S20").message == '在学状态"在校中"无效。'


@pytest.mark.parametrize("region", ["450127", "110105", "4501", "兴宁区"])
def test_s21_not_a_current_county_of_the_province(region: str) -> None:
    issue = one([student(household_region=region)], "S21")
    assert issue.message == f'户籍所在县(区)"{region}"不是有效的县级行政区划。'


@pytest.mark.parametrize("region", ["450102", "450102 兴宁区", "450181"])
def test_s21_accepts_a_code_or_the_displayed_form(region: str) -> None:
    assert "S21" not in rules_of(run([student(household_region=region)]))


def test_s22_householder_number_problems_are_errors() -> None:
    issue = one([student(householder_id="450102198503042012")], "S22")
    expected = id_number("45010219850304201")[-1]
    assert (issue.severity, issue.column) == ("error", "户主身份证号")
    assert issue.message == f"户主身份证号校验位错误（按前17位应为{expected}），请核对。"
    issue = one([student(householder_id="4501021985")], "S22")
    assert issue.message == "户主身份证号应为18位，当前为10位。"


def test_s22_legacy_householder_number_is_a_warning_with_its_upgrade() -> None:
    issue = one([student(householder_id="450102850304201")], "S22")
    upgraded = id_number("45010219850304201")
    assert issue.severity == "warning"
    assert issue.message == f"户主身份证号为15位旧号码（升级后为 {upgraded}），请核对。"


def test_s22_legacy_householder_number_with_a_bad_date_is_an_error() -> None:
    issue = one([student(householder_id="450102851304201")], "S22")
    assert (issue.severity, issue.message) == ("error", "户主身份证号中的出生日期 19851304 无效。")


def test_s23_relation_contradicts_the_numbers() -> None:
    assert one([student(relation="本人")], "S23").message == "与户主关系与户主身份证号矛盾。"
    assert "S23" in rules_of(run([student(householder_id=STUDENT_ID)]))
    assert "S23" not in rules_of(run([student(relation="本人", householder_id=STUDENT_ID)]))


@pytest.mark.parametrize("phone", ["12345", "23812345678", "0771-123456", "1381234567x", "138-1234-5678"])
def test_s24_phone_format(phone: str) -> None:
    issue = one([student(guardian_phone=phone)], "S24")
    assert issue.message == f'联系电话"{phone}"格式错误：手机号为11位，座机为"区号-号码"。'


@pytest.mark.parametrize(
    "phone", ["13812345678", "19912345678", "0771-5551234", "07715551234", "010-12345678"]
)
def test_s24_accepts_mobiles_and_landlines(phone: str) -> None:
    assert "S24" not in rules_of(run([student(guardian_phone=phone)]))


def test_s25_phone_shared_by_more_than_three_households() -> None:
    phone = "13800000000"
    rows = [other_student(n, guardian_phone=phone) for n in range(1, 5)]
    issues = found(run(rows), "S25")
    assert len(issues) == 4
    assert issues[0].message == f"电话 {phone} 被4个不同家庭的学生使用，请核对。"
    assert "S25" not in rules_of(run(rows[:3]))
    siblings = [other_student(n, guardian_phone=phone, householder_id=HOUSEHOLDER_ID) for n in range(1, 6)]
    assert "S25" not in rules_of(run(siblings))


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("boarding", "住宿", "是、否"),
        (
            "hardship",
            "贫困户",
            "脱贫户(建档立卡)、防返贫监测对象、农村低保、农村特困供养、孤儿、残疾、其他家庭经济困难",
        ),
        ("relation", "儿子", "本人、子、女、孙子、孙女、外孙子、外孙女、侄子、侄女、其他"),
    ],
)
def test_s27_values_outside_the_drop_down_lists(key: str, value: str, allowed: str) -> None:
    header = table_schema("students").column(key).header
    issue = one([student(**{key: value})], "S27")
    assert (issue.column, issue.message) == (header, f'「{header}」"{value}"不是可选的值，应为：{allowed}。')


def test_s27_listed_values_pass() -> None:
    assert "S27" not in rules_of(run([student(boarding="否", hardship="孤儿", relation="孙女")]))
