"""Demo data must look real and pass every rule of rules.md: these tests check it rule by rule."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from stdnum import luhn
from stdnum.cn import ric

from app.demo import AID_FILE, STUDENTS_FILE, DemoData, generate, write_demo
from app.files.exporter import ExportError
from app.models.codes import code_list
from app.models.period import Period
from app.models.policy import default_policy
from app.models.regions import codes_in_use, current_counties, historical_codes
from app.models.schema import table_schema

PERIOD = Period("2026-2027", "秋季学期")
FIRST_GRADE_AGE = {"学前教育": 3, "小学": 6, "初中": 12, "普通高中": 15, "中等职业教育": 15}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
HOLDER_RELATIONS = {
    "子": ("父亲", "母亲"),
    "女": ("父亲", "母亲"),
    "孙子": ("祖父母",),
    "孙女": ("祖父母",),
    "外孙子": ("外祖父母",),
    "外孙女": ("外祖父母",),
}
NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(3000, PERIOD, seed=7)


def _birth_date(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def _age_on_31_august(id_number: str, start_year: int) -> int:
    born = _birth_date(id_number)
    return start_year - born.year - (1 if (born.month, born.day) > (8, 31) else 0)


def _term_bounds(period: Period) -> tuple[date, date]:
    year = period.start_year
    if period.term == "秋季学期":
        return date(year, 9, 1), date(year + 1, 2, 28)
    return date(year + 1, 3, 1), date(year + 1, 8, 31)


def test_the_same_seed_gives_the_same_data() -> None:
    assert generate(300, PERIOD, seed=3) == generate(300, PERIOD, seed=3)
    assert generate(300, PERIOD, seed=3).students != generate(300, PERIOD, seed=4).students


def test_rows_have_every_schema_key(data: DemoData) -> None:
    assert len(data.students) == 3000
    assert all(set(row) == set(table_schema("students").keys) for row in data.students)
    assert all(set(row) == set(table_schema("aid").keys) for row in data.aid)
    assert all(isinstance(value, str) for row in data.students + data.aid for value in row.values())


def test_id_numbers_are_valid_and_unique(data: DemoData) -> None:
    students = [row["id_number"] for row in data.students]
    householders = {row["householder_id"] for row in data.students}
    known = historical_codes()
    for number in [*students, *householders]:
        assert re.fullmatch(r"\d{17}[\dX]", number), number
        assert number[-1] == ric.calc_check_digit(number), number
        assert ric.is_valid(number), number
        assert _birth_date(number) <= date.today()
        assert number[:6] in known, number  # rule S08: an address code of some year since 1980
    assert len(set(students)) == len(students)
    assert not householders & set(students)
    share_x = sum(number.endswith("X") for number in students) / len(students)
    assert 0.04 < share_x < 0.15, "about 1 in 11 numbers ends in X"


def test_gender_matches_the_17th_digit(data: DemoData) -> None:
    for row in data.students:
        assert row["gender"] == ("男" if int(row["id_number"][16]) % 2 else "女")


def test_ages_fit_the_grades(data: DemoData) -> None:
    grades = code_list("grade")
    for row in data.students:
        index = grades.values_for_stage(row["stage"]).index(row["grade"])
        usual = FIRST_GRADE_AGE[row["stage"]] + index
        assert abs(_age_on_31_august(row["id_number"], PERIOD.start_year) - usual) <= 1, row


def test_address_codes_were_in_use_in_the_birth_year(data: DemoData) -> None:
    in_use = cache(lambda year: frozenset(codes_in_use("45", year)))
    for row in data.students:
        for number in (row["id_number"], row["householder_id"]):
            assert number[:6] in in_use(_birth_date(number).year), number


def test_old_address_codes_appear_for_householders(data: DemoData) -> None:
    current = current_counties("45")
    old = {row["householder_id"][:6] for row in data.students} - set(current)
    assert old, "householders born in the 1980s have codes that no longer exist"
    assert old <= historical_codes()


def test_householders_are_adults_born_1965_to_1992(data: DemoData) -> None:
    for row in data.students:
        born = _birth_date(row["householder_id"])
        assert 1965 <= born.year <= 1992
        assert (_birth_date(row["id_number"]) - born).days > 17 * 365


def test_each_column_holds_valid_values(data: DemoData) -> None:
    counties = current_counties("45")
    schema = table_schema("students")
    for row in data.students:
        assert NAME.match(row["name"]) and NAME.match(row["householder_name"]), row
        for key in ("gender", "ethnicity", "stage", "status", "boarding", "hardship", "relation"):
            assert row[key] in schema.column(key).code_list().values, (key, row[key])
        assert row["grade"] in code_list("grade").values_for_stage(row["stage"])
        assert row["household_region"] in counties
        assert MOBILE.match(row["guardian_phone"]) or LANDLINE.match(row["guardian_phone"])
        assert re.fullmatch(r"\d班", row["class_name"])
        assert row["relation"] != "本人"
        if row["student_no"] or row["stage"] != "学前教育":
            assert row["student_no"] == "G" + row["id_number"]
        assert len(row["remark"]) <= 200
    assert any(not row["student_no"] for row in data.students), "学前教育 may leave 学籍号 empty"


def test_values_are_spread_like_real_data(data: DemoData) -> None:
    def counts(key: str) -> Counter[str]:
        return Counter(row[key] for row in data.students)

    assert set(counts("stage")) == set(code_list("stage").values)
    assert counts("hardship").most_common(1)[0][0] == "脱贫户(建档立卡)"
    assert counts("status").most_common(1)[0][0] == "在读"
    assert {"休学", "转出"} <= set(counts("status"))
    assert {"汉族", "壮族", "瑶族"} <= set(counts("ethnicity"))
    assert {"子", "女", "孙子", "孙女"} <= set(counts("relation"))
    phones = counts("guardian_phone")
    assert any(phone.startswith("077") for phone in phones), "landlines keep their leading 0"
    surnames = Counter(row["name"][0] for row in data.students)
    assert {"韦", "黄", "覃", "蒙", "莫", "陆"} <= set(surnames)


def test_households_share_phone_and_account_and_never_with_another_household(data: DemoData) -> None:
    phones: dict[str, set[str]] = defaultdict(set)
    households: dict[str, set[str]] = defaultdict(set)
    for row in data.students:
        phones[row["guardian_phone"]].add(row["householder_id"])
        households[row["householder_id"]].add(row["guardian_phone"])
    assert all(len(ids) == 1 for ids in phones.values()), "rule S25"
    assert all(len(numbers) == 1 for numbers in households.values())
    sizes = Counter(row["householder_id"] for row in data.students)
    assert max(sizes.values()) <= 3
    assert any(size > 1 for size in sizes.values())

    household_of = {row["id_number"]: row["householder_id"] for row in data.students}
    accounts: dict[str, set[str]] = defaultdict(set)
    for aid in data.aid:
        if aid["account_no"]:
            accounts[aid["account_no"]].add(household_of[aid["id_number"]])
    assert all(len(ids) == 1 for ids in accounts.values()), "rule A20"
    assert any(len({a["id_number"] for a in data.aid if a["account_no"] == acc}) > 1 for acc in accounts)


def test_aid_rows_belong_to_students_in_school(data: DemoData) -> None:
    students = {row["id_number"]: row for row in data.students}
    for aid in data.aid:
        student = students[aid["id_number"]]
        assert student["status"] in ("在读", "送教上门"), "rule A06"
        assert (aid["name"], aid["stage"]) == (student["name"], student["stage"])
        assert (aid["school_year"], aid["term"]) == (PERIOD.school_year, PERIOD.term)
    with_aid = {aid["id_number"] for aid in data.aid}
    for student in data.students:
        if student["status"] in ("在读", "送教上门") and student["hardship"] == "脱贫户(建档立卡)":
            assert student["id_number"] in with_aid, "rule C01"
    assert 1.5 < len(data.aid) / len(data.students) < 2.2


def test_aid_follows_the_policy(data: DemoData) -> None:
    policy = default_policy()
    students = {row["id_number"]: row for row in data.students}
    living: dict[str, set[str]] = defaultdict(set)
    for aid in data.aid:
        item = policy.item(aid["item"])
        assert item is not None
        student = students[aid["id_number"]]
        assert student["stage"] in item.stages, "rule A08"
        assert not item.grades or student["grade"] in item.grades
        assert aid["payout"] in item.payout, "rule A21"
        amount = Decimal(aid["amount"])
        assert re.fullmatch(r"\d+\.\d{2}", aid["amount"]) and amount > 0, "rule A12"
        if not item.local_fee:
            assert amount in item.amounts_in(PERIOD, student["stage"]), "rule A13"
        if item.boarding_only:
            assert student["boarding"] == "是", "rule A11"
        if "生活补助" in item.name:
            living[aid["id_number"]].add(item.name)
    assert all(len(names) == 1 for names in living.values()), "rule A10: never both allowances"
    assert {aid["item"] for aid in data.aid} == set(policy.item_names)


def test_aid_unique_key_is_unique(data: DemoData) -> None:
    keys = [(a["id_number"], a["item"], a["school_year"], a["term"]) for a in data.aid]
    assert len(keys) == len(set(keys))


def test_account_fields_and_payout_dates(data: DemoData) -> None:
    students = {row["id_number"]: row for row in data.students}
    first, last = _term_bounds(PERIOD)
    for aid in data.aid:
        paid_by_account = aid["payout"] in ("一卡通", "银行卡")
        account_fields = (aid["account_no"], aid["bank"], aid["holder_name"], aid["holder_relation"])
        assert all(account_fields) if paid_by_account else not any(account_fields)
        if paid_by_account:
            number = aid["account_no"]
            assert re.fullmatch(r"6\d{15,18}", number) and luhn.is_valid(number), "rules A18/A19"
            student = students[aid["id_number"]]
            assert aid["holder_name"] == student["householder_name"]
            expected = {
                "子": ("父亲", "母亲"),
                "女": ("父亲", "母亲"),
                "孙子": ("祖父母",),
                "孙女": ("祖父母",),
            }
            assert aid["holder_relation"] in expected.get(student["relation"], ("外祖父母",))
        if aid["payout"] == "直接减免":
            assert aid["paid_on"] == ""
        else:
            paid_on = date.fromisoformat(aid["paid_on"])
            assert first <= paid_on <= last, "rule A17"
            assert paid_on <= date.today(), "rule A17: never in the future"


@pytest.mark.parametrize(("school_year", "term"), [("2023-2024", "秋季学期"), ("2027-2028", "春季学期")])
def test_other_periods_use_their_own_standards_and_term_dates(school_year: str, term: str) -> None:
    period = Period(school_year, term)
    data = generate(400, period, seed=2)
    policy = default_policy()
    first, last = _term_bounds(period)
    students = {row["id_number"]: row for row in data.students}
    for aid in data.aid:
        item = policy.item(aid["item"])
        assert item is not None and item.standard_in(period) is not None, "rule A22"
        if not item.local_fee:
            assert Decimal(aid["amount"]) in item.amounts_in(period, aid["stage"])
        if aid["paid_on"]:
            assert first <= date.fromisoformat(aid["paid_on"]) <= last
    for row in data.students:
        grades = code_list("grade").values_for_stage(row["stage"])
        usual = FIRST_GRADE_AGE[row["stage"]] + grades.index(row["grade"])
        assert abs(_age_on_31_august(row["id_number"], period.start_year) - usual) <= 1
    assert students


def test_write_demo_writes_two_readable_workbooks(tmp_path: Path) -> None:
    students_path, aid_path = write_demo(tmp_path / "演示", 40, PERIOD, seed=5)

    assert (students_path.name, aid_path.name) == (STUDENTS_FILE, AID_FILE)
    data = generate(40, PERIOD, seed=5)
    for path, table, rows in (
        (students_path, "students", data.students),
        (aid_path, "aid", data.aid),
    ):
        schema = table_schema(table)
        sheet = openpyxl.load_workbook(path).worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        assert values[0] == schema.headers
        assert len(values) == len(rows) + 1
        id_column = schema.index_of("id_number") + 1
        for row_number, row in enumerate(rows, start=2):
            cell = sheet.cell(row=row_number, column=id_column)
            assert (cell.value, cell.data_type, cell.number_format) == (row["id_number"], "s", "@")
    aid_sheet = openpyxl.load_workbook(aid_path).worksheets[0]
    amounts = [
        row[table_schema("aid").index_of("amount")]
        for row in aid_sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert all(isinstance(amount, float | int) for amount in amounts)
    assert [Decimal(str(amount)) for amount in amounts] == [Decimal(row["amount"]) for row in data.aid]


def test_write_demo_into_a_file_path_is_an_export_error(tmp_path: Path) -> None:
    blocker = tmp_path / "演示"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError) as info:
        write_demo(blocker / "sub", 5, PERIOD)
    assert "无法创建文件夹" in info.value.user_message
