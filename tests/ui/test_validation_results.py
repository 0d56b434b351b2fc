"""The findings index behind the grid marks and the issues panel (no Qt)."""

from __future__ import annotations

from app.ui.validation_results import REVIEW_RULE, ValidationResults, find_issue, summary_text
from app.validation.engine import Report
from app.validation.report import Issue


def _issue(rule: str, row: int, column: str, severity: str = "error", uid: str = "", **kw: object) -> Issue:
    table = "aid" if rule.startswith("A") else "students"
    return Issue(table, row, column, rule, severity, f"{rule} 第{row}行", uid or f"u{row}", **kw)  # type: ignore[arg-type]


def _report(*issues: Issue) -> Report:
    report = Report(list(issues))
    report.issues.sort(key=lambda i: (i.table != "students", i.row))
    return report


def test_groups_follow_the_rule_catalog_and_marks_take_the_worst_severity() -> None:
    results = ValidationResults.from_report(
        _report(
            _issue("S13", 2, "民族"),
            _issue("S06", 3, "身份证号"),
            _issue("S08", 3, "身份证号", "warning"),
            _issue("A13", 1, "资助金额(元)", "warning"),
        )
    )
    assert list(results.groups) == ["S06", "S08", "S13", "A13"]
    assert results.marks["students"][("u3", 2)] == ("error", "S06 第3行\nS08 第3行")
    assert results.marks["aid"][("u1", 6)] == ("warning", "A13 第1行")
    assert results.counts() == (2, 2, 0)
    assert results.summary("students") == "2 个错误，1 个警告"
    assert results.problem_uids("students") == {"u2", "u3"}


def test_a_row_checked_again_replaces_only_its_cell_findings_and_stales_cross_row_ones() -> None:
    duplicate = _issue("S10", 2, "身份证号")
    results = ValidationResults.from_report(_report(_issue("S13", 2, "民族"), duplicate))

    change = results.replace_row_cells("students", [("u2", [])])  # the 民族 was fixed
    results.mark_edited("students")

    assert [issue.rule for issue in change.removed] == ["S13"]
    assert ("u2", 3) not in results.marks["students"]
    assert results.marks["students"][("u2", 2)][0] == "error"  # the duplicate stays, now stale
    assert results.is_stale(duplicate)
    assert results.problem_uids("students") == {"u2"}
    assert change.problem_tables == set()  # still a problem row
    assert not results.replace_row_cells("students", [("u2", [])]), "nothing changed the second time"


def test_accepting_a_warning_keeps_it_listed_but_not_open() -> None:
    results = ValidationResults.from_report(_report(_issue("A13", 1, "资助金额(元)", "warning")))
    change = results.set_accepted("aid", "u1", ["A13"])

    assert change.problem_tables == {"aid"}
    assert results.problem_uids("aid") == frozenset()
    assert results.summary() == "0 个错误，0 个警告，已核对 1 个"
    assert results.groups["A13"][0].accepted
    assert not results.marks["aid"]

    results.set_accepted("aid", "u1", [])
    assert results.summary() == "0 个错误，1 个警告"


def test_deleted_rows_lose_every_finding() -> None:
    results = ValidationResults.from_report(_report(_issue("S13", 2, "民族"), _issue("S10", 2, "身份证号")))
    results.drop_rows("students", ["u2"])
    assert len(results) == 0
    assert not results.groups
    assert results.summary() == "0 个错误，0 个警告"


def test_find_issue_finds_the_object_even_when_row_numbers_went_out_of_order() -> None:
    issues = [_issue("S13", row, "民族") for row in (1, 5, 9)]
    moved = _issue("S13", 30, "民族")
    issues.insert(1, moved)  # a row checked again after rows were added above it
    assert find_issue(issues, moved) == 1
    assert find_issue(issues, _issue("S13", 5, "民族")) == -1, "equal is not the same finding"


def test_summary_text_names_checked_warnings_only_when_there_are_some() -> None:
    assert summary_text(12, 3, 1) == "12 个错误，3 个警告，已核对 1 个"
    assert summary_text(1_234, 0, 0) == "1,234 个错误，0 个警告"
    assert summary_text(2, 0, 1, 3) == "2 个错误，0 个警告，已核对 1 个，审核意见 3 条"


def test_reviewer_comments_are_counted_apart_from_the_errors() -> None:
    comment = Issue("students", 4, "身份证号", REVIEW_RULE, "error", "审核意见：与户口簿不一致", "u4")
    results = ValidationResults.from_report(Report(issues=[_issue("S13", 2, "民族"), comment]))
    assert results.counts("students") == (1, 0, 0)
    assert results.review_comment_count() == 1
    assert results.summary() == "1 个错误，0 个警告，审核意见 1 条"
    assert results.problem_uids("students") >= {"u4"}, "a commented row is still a row to look at"
