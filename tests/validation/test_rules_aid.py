"""A01, A02, A07–A10, A12–A19, A21–A23 on 学生资助表: each rule with a failing and a passing example.

The aid rows are checked together with the matching 在学状态表 row, so only the rule under test fires.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.models.period import Period
from app.validation.report import Issue
from tests.validation.samples import AID, STUDENT, aid, card_number, found, id_number, rules_of, run, student


def check(*rows: dict[str, str], **options: object) -> set[str]:
    """The rules that fire on aid ``rows`` (with the sample student registered)."""
    return rules_of(run([STUDENT], list(rows), **options))


def one(rule: str, *rows: dict[str, str], **options: object) -> Issue:
    issues = found(run([STUDENT], list(rows), **options), rule)
    assert len(issues) == 1, issues
    return issues[0]


def test_the_sample_aid_row_is_clean() -> None:
    assert run([STUDENT], [AID]).issues == []


# ---------------------------------------------------------------- A01, A02


def test_a01_required_value_missing() -> None:
    issue = one("A01", aid(amount=""))
    assert (issue.row, issue.column, issue.message) == (1, "资助金额(元)", "「资助金额(元)」不能为空。")


def test_a01_account_fields_required_for_card_payouts_only() -> None:
    issue = one("A01", aid(account_no=""))
    assert issue.message == "「银行卡号/一卡通账号」不能为空。"
    waiver = aid(
        stage="普通高中",
        item="普通高中免学杂费",
        payout="直接减免",
        amount="800",
        account_no="",
        bank="",
        holder_name="",
        holder_relation="",
        paid_on="",
    )
    high_school = student(stage="普通高中", grade="高一")
    report = run([high_school], [waiver])
    assert "A01" not in rules_of(report)


def test_a01_payout_date_required_unless_waived() -> None:
    assert one("A01", aid(paid_on="")).column == "发放日期"


def test_a02_id_checks_with_the_s_messages() -> None:
    issue = one("A02", aid(id_number="440308199901101513"))
    assert (issue.column, issue.message) == ("身份证号", "身份证号校验位错误（按前17位应为2），请核对。")
    assert one("A02", aid(id_number="450102200115123")).message == "身份证号应为18位，当前为15位。"
    assert one("A02", aid(id_number=id_number("45010220200230123"))).message == (
        "身份证号中的出生日期 20200230 无效。"
    )


def test_a02_yields_to_x03_and_x01() -> None:
    rules = check(aid(id_number="450102202001151000"))
    assert "X03" in rules
    assert "A02" not in rules
    rules = check(aid(id_number="4.50102E+17"))
    assert "X01" in rules
    assert not rules & {"A02", "A03"}


def test_x01_on_the_account_number() -> None:
    issue = one("X01", aid(account_no="6.21700123456789E+18"))
    assert issue.column == "银行卡号/一卡通账号"
    assert "A18" not in check(aid(account_no="6.21700123456789E+18"))


# ---------------------------------------------------------------- A07, A08, A21, A22 (policy)


def test_a07_item_not_in_the_policy() -> None:
    assert one("A07", aid(item="爱心助学金")).message == '资助项目"爱心助学金"不在资助项目清单中。'


def test_a08_item_not_for_the_stage() -> None:
    issue = one("A08", aid(item="普通高中国家助学金", amount="1000"))
    assert issue.message == '"普通高中国家助学金"不适用于小学学生。'
    assert "A08" not in check(aid(item="义务教育非寄宿生生活补助", amount="312.5"))


def test_a21_payout_kind_of_the_item() -> None:
    issue = one("A21", aid(item="农村义务教育营养改善计划", amount="500"))
    assert issue.message == '"农村义务教育营养改善计划"的发放方式应为"实物"。'
    assert (
        one("A21", aid(payout="实物")).message == '"义务教育寄宿生生活补助"的发放方式应为"一卡通"或"银行卡"。'
    )
    assert "A21" not in check(aid(payout="银行卡"))


def test_a22_item_not_in_force_in_the_term() -> None:
    earlier = Period("2024-2025", "秋季学期")
    row = aid(
        stage="学前教育",
        item="免除保育教育费",
        school_year="2024-2025",
        payout="直接减免",
        account_no="",
        bank="",
        holder_name="",
        holder_relation="",
        paid_on="",
    )
    kindergarten = student(stage="学前教育", grade="大班")
    issues = found(run([kindergarten], [row], period=earlier, today=date(2024, 11, 1)), "A22")
    assert [i.message for i in issues] == [
        '"免除保育教育费"在2024-2025学年秋季学期不适用或标准已调整，请核对。'
    ]
    assert "A22" not in rules_of(run([kindergarten], [row | {"school_year": "2026-2027"}]))


def test_a22_standard_changed_since_the_rows_term() -> None:
    # 2023 秋季 paid 500 for 小学 boarders; the standard was raised in 2024 春季.
    issue = one("A22", aid(school_year="2023-2024", amount="500"))
    assert issue.message == '"义务教育寄宿生生活补助"在2023-2024学年秋季学期不适用或标准已调整，请核对。'


# ---------------------------------------------------------------- A09, A10


def test_a09_same_item_twice_in_the_term() -> None:
    issues = found(run([STUDENT], [AID, aid(amount="625")]), "A09")
    assert [(i.row, i.column, i.message) for i in issues] == [
        (1, "资助项目", '该生2026-2027学年秋季学期已有"义务教育寄宿生生活补助"（第2行），不能重复发放。'),
        (2, "资助项目", '该生2026-2027学年秋季学期已有"义务教育寄宿生生活补助"（第1行），不能重复发放。'),
    ]
    assert "A09" not in check(
        AID, aid(item="农村义务教育营养改善计划", amount="500", payout="实物", account_no="")
    )


def test_a10_boarding_and_day_allowance_together() -> None:
    day = aid(item="义务教育非寄宿生生活补助", amount="312.5")
    issues = found(run([STUDENT], [AID, day]), "A10")
    assert [(i.row, i.message) for i in issues] == [
        (1, "同一学期不能同时享受寄宿生和非寄宿生生活补助。"),
        (2, "同一学期不能同时享受寄宿生和非寄宿生生活补助。"),
    ]
    assert "A10" not in check(day)


# ---------------------------------------------------------------- A12, A13 amounts


@pytest.mark.parametrize("amount", ["-5", "0", "0.00", "12.345", "abc", "1,000", "625元"])
def test_a12_amount_format(amount: str) -> None:
    assert one("A12", aid(amount=amount)).message == "资助金额应为大于0的数字，最多两位小数。"


def test_a12_accepts_decimals() -> None:
    rules = check(aid(item="义务教育非寄宿生生活补助", amount="312.50"))
    assert not rules & {"A12", "A13"}


def test_a13_amount_not_a_standard_of_the_policy() -> None:
    issue = one("A13", aid(amount="600"))
    assert issue.severity == "warning"
    assert (
        issue.message == '资助金额 600 元与"义务教育寄宿生生活补助"的标准（每学期 625 元）不符，请核对档次。'
    )
    high_school = student(stage="普通高中", grade="高一")
    grant = aid(stage="普通高中", item="普通高中国家助学金", amount="1200")
    issues = found(run([high_school], [grant]), "A13")
    assert issues[0].message.endswith("的标准（每学期 1500/1000/750 元）不符，请核对档次。")
    assert "A13" not in rules_of(run([high_school], [grant | {"amount": "1000"}]))


def test_a13_skipped_for_local_fees() -> None:
    high_school = student(stage="普通高中", grade="高一")
    waiver = aid(stage="普通高中", item="普通高中免学杂费", payout="直接减免", amount="1234.5", account_no="")
    assert "A13" not in rules_of(run([high_school], [waiver]))


# ---------------------------------------------------------------- A14–A17 period and dates


@pytest.mark.parametrize("year", ["2026-2028", "2026/2027", "26-27", "2026"])
def test_a14_school_year_format(year: str) -> None:
    assert one("A14", aid(school_year=year)).message == '学年应写成"2026-2027"的形式。'


def test_a15_term() -> None:
    assert one("A15", aid(term="夏季学期")).message == '学期应为"秋季学期"或"春季学期"。'


def test_a16_row_of_another_period() -> None:
    issue = one("A16", aid(school_year="2025-2026"))
    assert issue.message == "本表正在填报2026-2027学年秋季学期，该行为2025-2026学年秋季学期。"
    assert one("A16", aid(term="春季学期")).message.endswith("该行为2026-2027学年春季学期。")


@pytest.mark.parametrize("day", ["2026-08-31", "2026-11-02", "2027-03-01"])
def test_a17_payout_date_outside_the_term_or_after_today(day: str) -> None:
    issue = one("A17", aid(paid_on=day))
    assert (issue.severity, issue.message) == (
        "warning",
        f"发放日期 {day} 不在2026-2027学年秋季学期内或晚于今天。",
    )


@pytest.mark.parametrize("day", ["2026-09-01", "2026-11-01"])
def test_a17_accepts_days_of_the_term_up_to_today(day: str) -> None:
    assert "A17" not in check(aid(paid_on=day))


def test_a17_spring_term_ends_in_august() -> None:
    spring = Period("2025-2026", "春季学期")
    row = aid(school_year="2025-2026", term="春季学期", paid_on="2026-08-31")
    assert "A17" not in rules_of(run([STUDENT], [row], period=spring))
    assert "A17" in rules_of(run([STUDENT], [row | {"paid_on": "2026-02-28"}], period=spring))


# ---------------------------------------------------------------- A18, A19 accounts


@pytest.mark.parametrize(
    "account", ["12345", "62170012345678901234", "6217 0012 3456 7890", "621700123456789A"]
)
def test_a18_account_format(account: str) -> None:
    assert one("A18", aid(account_no=account)).message == "银行卡号/一卡通账号应为16至19位数字。"


@pytest.mark.parametrize("length", [16, 17, 18, 19])
def test_a18_a19_accept_16_to_19_digits_with_luhn(length: int) -> None:
    account = card_number("6" * (length - 1))
    assert not check(aid(account_no=account)) & {"A18", "A19"}


def test_a19_luhn_failure_is_a_warning() -> None:
    wrong = AID["account_no"][:-1] + str((int(AID["account_no"][-1]) + 1) % 10)
    issue = one("A19", aid(account_no=wrong))
    assert issue.severity == "warning"
    assert issue.message == "银行卡号校验位未通过，请核对；部分借记卡不适用此校验，核对无误可确认。"


# ---------------------------------------------------------------- A23


def test_a23_holder_is_the_student_but_named_differently() -> None:
    issue = one("A23", aid(holder_relation="本人"))
    assert (issue.column, issue.severity) == ("持卡人姓名", "warning")
    assert issue.message == '持卡人与学生关系为"本人"，但持卡人姓名与学生姓名不同。'
    assert "A23" not in check(aid(holder_relation="本人", holder_name="韦小明"))


@pytest.mark.parametrize("day", ["2026/09/15", "昨天", "2026-02-30"])
def test_a25_payout_date_that_is_no_date_is_an_error_not_an_a17_warning(day: str) -> None:
    issues = check(aid(paid_on=day))
    assert "A17" not in issues
    issue = one("A25", aid(paid_on=day))
    assert (issue.severity, issue.message) == (
        "error",
        f'发放日期"{day}"不是有效日期，请写成"2026-09-01"的形式。',
    )


def test_a25_empty_payout_date_of_a_waiver_is_fine() -> None:
    assert "A25" not in check(aid(paid_on="", payout="直接减免", item="免除保育教育费"))


@pytest.mark.parametrize("relation", ["叔叔", "父"])
def test_a24_holder_relation_outside_its_list(relation: str) -> None:
    issue = one("A24", aid(holder_relation=relation))
    assert issue.message == (
        f'「持卡人与学生关系」"{relation}"不是可选的值，应为：本人、父亲、母亲、祖父母、外祖父母、其他监护人。'
    )


def test_a24_listed_holder_relation_passes() -> None:
    assert "A24" not in check(aid(holder_relation="母亲"))
