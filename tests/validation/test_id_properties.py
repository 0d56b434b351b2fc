"""Properties of the array checks, against python-stdnum as the reference implementation."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric

from app.models.regions import historical_codes
from app.validation.arrays import char_matrix, object_array
from app.validation.engine import check_row
from app.validation.idnumbers import PROVINCE_CODES, IdKind, analyse_ids, upgrade_legacy_id
from app.validation.rules_aid import luhn_ok
from app.validation.rules_common import LANDLINE_PATTERN, MOBILE_PATTERN, landline_ok, mobile_ok
from tests.validation.samples import PERIOD, TODAY, id_number, run, student, student_with_id

ID_FINDINGS = {"S03", "S04", "S05", "S06", "S07", "S09", "X01", "X03"}
TODAY_NUMBER = int(TODAY.strftime("%Y%m%d"))
REGIONS = sorted(code for code in historical_codes() if int(code[:2]) in PROVINCE_CODES)

valid_ids = st.builds(
    lambda region, born, sequence: id_number(f"{region}{born:%Y%m%d}{sequence:03d}"),
    st.sampled_from(REGIONS),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
)


def id_findings(numbers: list[str]) -> set[str]:
    rows = [student_with_id(number, gender="男" if int(number[16]) % 2 else "女") for number in numbers]
    return {i.rule for i in run(rows).issues if i.column == "身份证号"} & ID_FINDINGS


@settings(max_examples=60, deadline=None)
@given(st.lists(valid_ids, min_size=1, max_size=40))
def test_ids_with_a_correct_check_digit_pass_the_id_checks(numbers: list[str]) -> None:
    assert id_findings(numbers) == set()


@settings(max_examples=300, deadline=None)
@given(valid_ids, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_is_always_caught(number: str, position: int, shift: int) -> None:
    original = 10 if number[position] == "X" else int(number[position])
    changed = number[:position] + str((original + shift) % 10) + number[position + 1 :]
    issues = check_row("students", student_with_id(changed), PERIOD, today=TODAY)
    caught = {i.rule for i in issues if i.column == "身份证号"} & ID_FINDINGS
    assert len(caught) == 1
    assert caught <= {"S05", "S06", "S07", "X03"}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=17, max_size=17), min_size=1, max_size=60))
def test_check_characters_agree_with_stdnum(first17s: list[str]) -> None:
    analysis = analyse_ids(
        object_array([f + "0" for f in first17s]), np.ones(len(first17s), bool), TODAY_NUMBER
    )
    expected = [ric.calc_check_digit(f + "0") for f in first17s]
    assert analysis.expected_check(np.arange(len(first17s))).tolist() == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=16, max_size=19), min_size=1, max_size=60))
def test_luhn_agrees_with_stdnum(numbers: list[str]) -> None:
    width = 19
    digits = np.zeros((len(numbers), width), dtype=np.uint8)
    for row, number in enumerate(numbers):
        digits[row, : len(number)] = [int(c) for c in number]
    lengths = np.array([len(n) for n in numbers], dtype=np.int64)
    assert luhn_ok(digits, lengths).tolist() == [luhn.is_valid(n) for n in numbers]


def test_legacy_upgrade_matches_stdnum() -> None:
    upgraded = upgrade_legacy_id("450102850304201")
    assert upgraded == "45010219850304201" + ric.calc_check_digit("450102198503042010")
    assert ric.is_valid(upgraded)


def test_one_finding_per_number_in_reading_order() -> None:
    # Wrong province, impossible date and wrong check digit: the province is reported, nothing else.
    analysis = analyse_ids(object_array(["990102202013451234"]), np.array([True]), TODAY_NUMBER)
    assert analysis.kind.tolist() == [IdKind.PROVINCE]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="0123456789-", max_size=15), min_size=1, max_size=60))
def test_phone_checks_agree_with_the_rule_regexes(phones: list[str]) -> None:
    values = object_array(phones)
    matrix, lengths = char_matrix(values, 13), np.array([len(p) for p in phones], dtype=np.int64)
    assert mobile_ok(matrix, lengths).tolist() == [
        re.fullmatch(MOBILE_PATTERN, p) is not None for p in phones
    ]
    expected = [re.fullmatch(LANDLINE_PATTERN, p) is not None for p in phones]
    assert landline_ok(matrix, lengths).tolist() == expected


student_numbers = st.builds(
    lambda head, body: head + body,
    st.sampled_from(["G", "J", "L", "X", ""]),
    st.text(alphabet="0123456789X", min_size=16, max_size=20),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(student_numbers, min_size=1, max_size=30))
def test_student_number_check_agrees_with_the_rule_regex(numbers: list[str]) -> None:
    rows = [student(student_no=number) for number in numbers]
    flagged = {i.row for i in run(rows, rules={"S17"}).issues}
    pattern = r"^(?:[GJ]\d{17}[\dX]|L\d{18})$"
    expected = {row for row, number in enumerate(numbers, start=1) if not re.fullmatch(pattern, number)}
    assert flagged == expected
