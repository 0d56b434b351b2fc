"""The engine: the catalog, the report, row numbers, accepted warnings, failing rules, check_row."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date

import numpy as np
import pandas as pd
import pytest

from app.demo import generate
from app.models.period import current_period
from app.validation import registry
from app.validation.engine import RULES, check_row, rule_catalog, validate
from tests.validation.samples import (
    AID,
    PERIOD,
    STUDENT,
    TODAY,
    aid,
    found,
    frame,
    id_number,
    other_student,
    rules_of,
    run,
    student,
    student_with_id,
)

SEVERITIES = {
    **dict.fromkeys(["N01", "N02", "N03", "N04", "N05", "N06"], "notice"),
    **dict.fromkeys(["X01", "X02", "X03"], "error"),
    "X04": "warning",
    **{f"S{n:02d}": "error" for n in range(1, 28)},
    **dict.fromkeys(["S08", "S16", "S18", "S25"], "warning"),
    **{f"A{n:02d}": "error" for n in range(1, 26)},
    **dict.fromkeys(["A13", "A17", "A19", "A20", "A22", "A23"], "warning"),
    "C01": "warning",
}
CROSS_ROW = {"S10", "S19", "S25", "A09", "A10"}
CROSS_TABLE = {"A03", "A04", "A05", "A06", "A11", "A20"}


def test_catalog_has_every_rule_id_with_its_severity() -> None:
    assert {rule_id: rule.severity for rule_id, rule in RULES.items()} == SEVERITIES
    assert [r.id for r in rule_catalog()][:3] == ["N01", "N02", "N03"]
    assert rule_catalog()[-1].id == "C01"


def test_catalog_levels() -> None:
    levels = {rule_id: rule.level for rule_id, rule in RULES.items()}
    assert {r for r, level in levels.items() if level == "import"} == {f"N0{n}" for n in range(1, 7)} | {
        "X02"
    }
    assert {r for r, level in levels.items() if level == "table"} == CROSS_ROW
    assert {r for r, level in levels.items() if level == "cross"} == CROSS_TABLE
    assert levels["C01"] == "coverage"
    for rule in RULES.values():
        assert rule.title, rule.id
        assert (rule.check is None) == (rule.level == "import"), rule.id


def test_messages_follow_rules_md() -> None:
    assert RULES["S06"].message == "身份证号校验位错误（按前17位应为{c}），请核对。"
    assert RULES["A09"].message == '该生{school_year}{term}已有"{item}"（第{rows}行），不能重复发放。'
    assert RULES["N04"].message == '「{column}」"{old}"已规范为"{new}"。'


def test_report_collects_every_finding_in_grid_order() -> None:
    rows = [student(name="", gender="女"), student(id_number="440308199901101513", ethnicity="火星族")]
    report = run(rows)
    assert [(i.row, i.column, i.rule) for i in report.issues] == [
        (1, "姓名", "S01"),
        (1, "性别", "S12"),
        (1, "学籍号", "S19"),
        (2, "身份证号", "S06"),
        (2, "民族", "S13"),
        (2, "学籍号", "S18"),
        (2, "学籍号", "S19"),
    ]
    assert report.summary() == {"error": 6, "warning": 1, "notice": 0}
    assert report.has_errors


def test_row_numbers_from_first_row_or_explicit_rows() -> None:
    rows = [STUDENT, other_student(2, name="")]
    assert [i.row for i in run(rows, first_row=2).issues] == [3]
    explicit = run(rows, rows={"students": [5, 9]})
    assert [i.row for i in explicit.issues] == [9]


def test_row_uid_is_reported() -> None:
    report = run([student(name="", row_uid="uid-1")])
    assert report.issues[0].row_uid == "uid-1"


@pytest.mark.parametrize("accepted", ["S08", "S16,S08", ("S08",)])
def test_accepted_warnings_are_listed_but_not_open(accepted: object) -> None:
    row: dict[str, object] = {**student_with_id(id_number("45999920200115123"))}
    row["accepted_warnings"] = accepted
    report = run([row])
    s08 = found(report, "S08")
    assert s08 and s08[0].accepted
    assert report.summary()["warning"] == 0
    assert report.accepted_count == 1


def test_errors_cannot_be_accepted() -> None:
    row: dict[str, object] = {**student(gender="未知", accepted_warnings="S11")}
    issue = found(run([row]), "S11")[0]
    assert not issue.accepted
    assert run([row]).summary()["error"] == 1


def test_a_failing_rule_is_logged_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object) -> list[registry.Hits]:
        raise RuntimeError("bug in a rule")

    monkeypatch.setitem(registry._RULES, "S13", dataclasses.replace(RULES["S13"], check=broken))
    with caplog.at_level(logging.ERROR):
        report = run([student(ethnicity="火星族", name="")])
    assert report.failed_rules == ["S13"]
    assert rules_of(report) == {"S01"}
    assert "rule S13 failed" in caplog.text
    assert "bug in a rule" in caplog.text


def test_rules_restrict_the_run() -> None:
    rows = [student(name="", ethnicity="火星族")]
    assert rules_of(run(rows, rules={"S13"})) == {"S13"}


def test_empty_tables() -> None:
    report = validate(frame("students", []), frame("aid", []), PERIOD, today=TODAY)
    assert report.issues == []


def test_missing_values_count_as_empty() -> None:
    table = frame("students", [STUDENT])
    table["name"] = pd.Series([np.nan], dtype="str")
    table["remark"] = pd.Series([None], dtype=object)
    assert [(i.rule, i.column) for i in validate(table, None, PERIOD, today=TODAY).issues] == [
        ("S01", "姓名")
    ]


def test_to_frame_and_grouping() -> None:
    report = run([student(name="", ethnicity="火星族"), other_student(2, ethnicity="火星族")])
    table = report.to_frame()
    assert list(table.columns) == [
        "table",
        "row_uid",
        "row",
        "column",
        "rule",
        "severity",
        "message",
        "accepted",
    ]
    assert len(table) == len(report.issues)
    groups = report.by_rule()
    assert list(groups) == ["S01", "S13"]
    assert [i.row for i in groups["S13"]] == [1, 2]


# ---------------------------------------------------------------- check_row


def test_check_row_runs_the_cell_rules() -> None:
    issues = check_row("students", student(id_number="440308199901101513"), PERIOD, today=TODAY, row=7)
    assert [(i.row, i.rule) for i in issues] == [(7, "S06"), (7, "S18")]


def test_check_row_has_no_cross_row_or_cross_table_rules() -> None:
    unknown = aid(id_number=other_student(2)["id_number"])
    assert check_row("aid", unknown, PERIOD, today=TODAY) == []
    assert check_row("aid", AID, PERIOD, today=TODAY) == []


def test_check_row_accepts_missing_keys_and_accepted_warnings() -> None:
    issues = check_row("students", {"name": "张三"}, PERIOD, today=TODAY)
    assert {i.rule for i in issues} == {"S01"}
    row: dict[str, object] = {
        **student_with_id(id_number("45999920200115123")),
        "accepted_warnings": ("S08",),
    }
    issues = check_row("students", row, PERIOD, today=TODAY, row_uid="u")
    assert [(i.rule, i.accepted, i.row_uid) for i in issues] == [("S08", True, "u")]


def test_check_row_agrees_with_the_full_run() -> None:
    rows = [
        student(name="李", gender="女"),
        student(id_number="450102200115123", guardian_phone="7715551234"),
        student(householder_id="450102850304201", stage="初中", grade="一年级", household_region="450127"),
        student(student_no="G" + other_student(3)["id_number"], relation="本人", remark="备" * 201),
    ]
    full = [(i.row, i.column, i.rule, i.message) for i in run(rows).issues if RULES[i.rule].level == "cell"]
    single = [
        (i.row, i.column, i.rule, i.message)
        for n, row in enumerate(rows, start=1)
        for i in check_row("students", row, PERIOD, today=TODAY, row=n)
    ]
    assert full == single
    assert len(single) >= 10


# ---------------------------------------------------------------- demo data


def test_demo_data_passes_every_rule() -> None:
    period = current_period()
    data = generate(400, period, seed=7)
    report = validate(pd.DataFrame(data.students), pd.DataFrame(data.aid), period, today=date.today())
    assert report.failed_rules == []
    assert [(i.table, i.row, i.rule, i.message) for i in report.issues] == []
