"""`zizhu validate` end to end: files through the import pipeline and the engine, output, exit codes."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest

from app.cli import main
from app.models.schema import table_schema
from tests.validation.samples import AID, STUDENT, STUDENT_ID, other_student, student

PERIOD_ARGS = ["--school-year", "2026-2027", "--term", "秋季学期"]
ISSUE_KEYS = {"table", "row", "column", "rule", "severity", "message"}


def zizhu(argv: Sequence[str]) -> int:
    """Run `zizhu validate …` through the real command line entry point."""
    return main(["validate", *argv])


def write_csv(path: Path, table: str, rows: Sequence[Mapping[str, str] | None]) -> Path:
    """A CSV with the table's Chinese headers; None writes an empty line."""
    schema = table_schema(table)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(schema.headers)
        for row in rows:
            writer.writerow([] if row is None else [row.get(key, "") for key in schema.keys])
    return path


def json_run(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = zizhu([*argv, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_clean_files_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    students = write_csv(tmp_path / "在学.csv", "students", [STUDENT])
    aid = write_csv(tmp_path / "资助.csv", "aid", [AID])
    code, result = json_run(["--students", str(students), "--aid", str(aid), *PERIOD_ARGS], capsys)
    assert code == 0
    assert result == {"summary": {"error": 0, "warning": 0, "notice": 0}, "issues": []}


def test_json_lists_import_and_engine_findings_with_spreadsheet_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        other_student(2, id_number="4.50102E+17"),
        student(id_number="440308199901101513", student_no="G440308199901101513"),
        None,
        other_student(3, ethnicity="壮"),
    ]
    students = write_csv(tmp_path / "s.csv", "students", rows)
    code, result = json_run(["--students", str(students), *PERIOD_ARGS], capsys)
    assert code == 1
    issues = result["issues"]
    assert isinstance(issues, list)
    assert all(set(issue) == ISSUE_KEYS for issue in issues)
    assert [(i["row"], i["rule"], i["column"]) for i in issues] == [
        (2, "X01", "身份证号"),
        (3, "S06", "身份证号"),
        (5, "N04", "民族"),
    ]
    assert issues[1]["message"] == "身份证号校验位错误（按前17位应为2），请核对。"
    assert result["summary"] == {"error": 2, "warning": 0, "notice": 1}


def test_number_cells_in_a_workbook_are_x02_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = table_schema("students")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(schema.headers))
    sheet.append([int(v) if key == "id_number" else v for key, v in ((k, STUDENT[k]) for k in schema.keys)])
    path = tmp_path / "在学状态表.xlsx"
    book.save(path)
    code, result = json_run(["--students", str(path), *PERIOD_ARGS], capsys)
    assert code == 1
    issues = result["issues"]
    assert isinstance(issues, list)
    assert [(i["row"], i["rule"]) for i in issues if i["column"] == "身份证号"] == [(2, "X02")]


def test_text_output_groups_by_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [student(name="张3"), other_student(2, name="李4")]
    students = write_csv(tmp_path / "s.csv", "students", rows)
    assert zizhu(["--students", str(students), *PERIOD_ARGS]) == 1
    out = capsys.readouterr().out
    assert "S02 姓名含不允许的字符（错误，2 处）" in out
    assert '在学状态表 第2行「姓名」：姓名"张3"含数字、字母、空格等不允许的字符。' in out
    assert '在学状态表 第3行「姓名」：姓名"李4"含数字、字母、空格等不允许的字符。' in out
    assert "合计：2 个错误，0 个警告，0 条自动规范化提示。" in out


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    students = write_csv(tmp_path / "s.csv", "students", [student(guardian_phone="13800000000")])
    aid = write_csv(tmp_path / "a.csv", "aid", [{**AID, "amount": "600"}])
    code, result = json_run(["--students", str(students), "--aid", str(aid), *PERIOD_ARGS], capsys)
    assert code == 0
    assert result["summary"] == {"error": 0, "warning": 1, "notice": 0}


def test_cross_table_rules_use_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    students = write_csv(tmp_path / "s.csv", "students", [other_student(2)])
    aid = write_csv(tmp_path / "a.csv", "aid", [AID])
    code, result = json_run(["--students", str(students), "--aid", str(aid), *PERIOD_ARGS], capsys)
    assert code == 1
    issues = result["issues"]
    assert isinstance(issues, list)
    assert {(i["table"], i["rule"]) for i in issues} == {("aid", "A03"), ("students", "C01")}
    assert STUDENT_ID in next(i["message"] for i in issues if i["rule"] == "A03")


def test_unreadable_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert zizhu(["--students", str(tmp_path / "没有.csv"), *PERIOD_ARGS, "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("错误：")
    assert "没有.csv" in captured.err


def test_file_without_the_tables_header_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert zizhu(["--students", str(path), *PERIOD_ARGS]) == 2
    assert "在学状态表" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--school-year", "2026-2028", "--term", "秋季学期"], "学年“2026-2028”格式错误"),
        ([*PERIOD_ARGS, "--policy", "missing.toml"], "找不到资助政策文件"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    students = write_csv(tmp_path / "s.csv", "students", [STUDENT])
    assert zizhu(["--students", str(students), *extra]) == 2
    assert message in capsys.readouterr().err


def test_broken_policy_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    students = write_csv(tmp_path / "s.csv", "students", [STUDENT])
    policy = tmp_path / "policy.toml"
    policy.write_text("province_code = [", encoding="utf-8")
    assert zizhu(["--students", str(students), *PERIOD_ARGS, "--policy", str(policy)]) == 2
    assert "不是有效的 TOML 文件" in capsys.readouterr().err


def test_missing_required_argument_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        zizhu(PERIOD_ARGS)
    assert exit_info.value.code == 2
