"""A03–A06, A11, A20 (学生资助表 against 在学状态表) and C01 (students without aid)."""

from __future__ import annotations

from tests.validation.samples import (
    AID,
    STUDENT,
    STUDENT_ID,
    aid,
    card_number,
    found,
    other_student,
    rules_of,
    run,
    student,
)


def test_a03_student_not_in_the_students_table() -> None:
    other = other_student(2)
    issues = found(run([STUDENT], [AID, aid(id_number=other["id_number"])]), "A03")
    assert [(i.row, i.column, i.message) for i in issues] == [
        (2, "身份证号", f"身份证号 {other['id_number']} 不在在学状态表中，请先在在学状态表中登记该生。")
    ]


def test_a03_matches_a_malformed_number_present_in_both_tables() -> None:
    # Both tables carry the same typo: A02/S06 report it, but the student is found.
    typo = STUDENT_ID[:-1] + ("0" if STUDENT_ID[-1] != "0" else "1")
    report = run([student(id_number=typo, student_no="L123456789012345678")], [aid(id_number=typo)])
    assert "A03" not in rules_of(report)
    assert {"S06", "A02"} <= rules_of(report)


def test_a04_name_differs() -> None:
    issue = found(run([STUDENT], [aid(name="韦晓明")]), "A04")[0]
    assert (issue.column, issue.message) == ("姓名", '姓名与在学状态表中该身份证号的姓名"韦小明"不一致。')


def test_a05_stage_differs() -> None:
    report = run([STUDENT], [aid(stage="初中", amount="750")])
    assert found(report, "A05")[0].message == '学段与在学状态表中该生的学段"小学"不一致。'


def test_a06_student_not_enrolled() -> None:
    issue = found(run([student(status="休学")], [AID]), "A06")[0]
    assert issue.message == '该生在学状态为"休学"，不在读的学生不能享受资助。'
    assert "A06" not in rules_of(run([student(status="送教上门")], [AID]))


def test_a11_boarding_allowance_for_a_day_pupil() -> None:
    issue = found(run([student(boarding="否")], [AID]), "A11")[0]
    assert (issue.column, issue.message) == ("资助项目", "该生登记为非寄宿生，不能享受寄宿生生活补助。")
    day = aid(item="义务教育非寄宿生生活补助", amount="312.5")
    assert "A11" not in rules_of(run([student(boarding="否")], [day]))


def test_a20_account_shared_by_two_households() -> None:
    other = other_student(2)
    rows = [AID, aid(name=other["name"], id_number=other["id_number"])]
    issues = found(run([STUDENT, other], rows), "A20")
    assert [(i.row, i.severity) for i in issues] == [(1, "warning"), (2, "warning")]
    assert issues[0].message == f"账号 {AID['account_no']} 同时用于2个不同家庭的学生，请核对。"


def test_a20_siblings_may_share_the_parents_account() -> None:
    sibling = other_student(2, householder_id=STUDENT["householder_id"])
    rows = [AID, aid(id_number=sibling["id_number"])]
    assert "A20" not in rules_of(run([STUDENT, sibling], rows))
    own = aid(id_number=sibling["id_number"], account_no=card_number("621700999999999999"))
    assert "A20" not in rules_of(run([STUDENT, other_student(2)], [AID, own]))


def test_c01_enrolled_poor_student_without_aid() -> None:
    missing = other_student(2)
    issues = found(run([STUDENT, missing], [AID]), "C01")
    assert [(i.table, i.row, i.severity) for i in issues] == [("students", 2, "warning")]
    expected = f"韦小明（{missing['id_number']}）为在读建档立卡学生，本学期没有资助记录，请核对是否漏报。"
    assert issues[0].message == expected


def test_c01_only_for_enrolled_registered_poor_students() -> None:
    not_poor = other_student(2, hardship="农村低保")
    suspended = other_student(3, status="休学")
    at_home = other_student(4, status="送教上门")
    report = run([STUDENT, not_poor, suspended, at_home], [AID])
    assert [i.row for i in found(report, "C01")] == [4]


def test_cross_rules_need_both_tables() -> None:
    assert "C01" not in rules_of(run([other_student(2)], None))
    assert "A03" not in rules_of(run(None, [aid(id_number=other_student(2)["id_number"])]))


def test_an_empty_aid_table_is_checked_without_a_rule_failure() -> None:
    # An aid table with rows but none with a usable ID number gives C01 nothing to match against.
    report = run([STUDENT], [aid(id_number="")])
    assert "C01" in rules_of(report)
    assert report.failed_rules == []


def test_aid_rows_against_an_empty_students_table_are_checked_without_a_rule_failure() -> None:
    report = run([], [AID])
    assert "A03" in rules_of(report)
    assert report.failed_rules == []
