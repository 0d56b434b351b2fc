"""The `zizhu` command line, end to end through real files and a real store."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from app.cli import main
from app.models.schema import table_schema

PERIOD = ["--school-year", "2026-2027", "--term", "秋季学期"]


def _store_args(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--org-code", "2145000001"]


def _sheet_values(path: Path) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path)
    return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(folder), "--students", "120", *PERIOD]) == 0
    return folder


@pytest.mark.parametrize(
    ("table", "file_name"), [("students", "在学状态表.xlsx"), ("aid", "学生资助表.xlsx")]
)
def test_demo_import_export_round_trip_is_byte_identical(
    demo_dir: Path, tmp_path: Path, table: str, file_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = demo_dir / file_name
    assert main(["import", str(source), "--table", table, *PERIOD, *_store_args(tmp_path)]) == 0
    assert "导入" in capsys.readouterr().out
    exported = tmp_path / "out.xlsx"
    assert main(["export", "--table", table, *PERIOD, "--out", str(exported), *_store_args(tmp_path)]) == 0

    assert _sheet_values(exported) == _sheet_values(source)
    sheet = openpyxl.load_workbook(exported).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    id_column = headers.index("身份证号") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=id_column)
        assert cell.data_type == "s"
        assert cell.number_format == "@"


def test_round_trip_covers_the_values_excel_likes_to_damage(demo_dir: Path) -> None:
    values = [v for row in _sheet_values(demo_dir / "在学状态表.xlsx")[1:] for v in row if isinstance(v, str)]
    assert any(len(v) == 18 and v.endswith("X") for v in values), "an ID ending in X"
    assert any(v.startswith("077") for v in values), "a landline with its leading 0"
    assert any(v == "壮族" for v in values)


def test_import_of_numeric_ids_reports_x02_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "numbers.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(table_schema("students").headers))
    sheet.append(
        [
            *(
                "张三",
                "男",
                450102200801013000,
                "汉族",
                "小学",
                "一年级",
                "1班",
                "",
                "在读",
                "否",
                "农村低保",
            ),
            *("450102", "张大山", "450102198001010011", "子", "13812345678", ""),
        ]
    )
    workbook.save(source)

    code = main(["import", str(source), "--table", "students", *PERIOD, *_store_args(tmp_path)])
    output = capsys.readouterr().out
    assert code == 1
    assert "第2行「身份证号」" in output
    assert "X02" in output
    exported = tmp_path / "out.xlsx"
    main(["export", "--table", "students", *PERIOD, "--out", str(exported), *_store_args(tmp_path)])
    stored_id = _sheet_values(exported)[1][2]
    assert stored_id != "450102200801013000"  # no digits made up from a float


def test_missing_file_is_a_file_error_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["import", str(tmp_path / "无此文件.xlsx"), "--table", "students", *PERIOD, *_store_args(tmp_path)]
    )
    assert code == 2
    assert "无此文件.xlsx" in capsys.readouterr().err


def test_usage_errors_are_in_chinese_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--table", "teachers", "--out", "x.xlsx"])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "用法：" in message
    assert "参数 --table 的值“teachers”无效" in message


def test_bad_school_year_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export", "--table", "aid", "--school-year", "2026-2028", "--out", str(tmp_path / "x.xlsx")])
    assert code == 2
    assert "学年" in capsys.readouterr().err


def test_info_lists_where_data_lives_and_counts(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(
        ["import", str(demo_dir / "在学状态表.xlsx"), "--table", "students", *PERIOD, *_store_args(tmp_path)]
    )
    capsys.readouterr()
    assert main(["info", "--data-dir", str(tmp_path / "data")]) == 0
    output = capsys.readouterr().out
    assert str(tmp_path / "data") in output
    assert "账户 2145000001" in output
    assert "2026-2027学年秋季学期  在学状态表：120 行" in output


def test_template_has_the_tables_headers(tmp_path: Path) -> None:
    target = tmp_path / "模板.xlsx"
    assert main(["template", "--table", "aid", "--out", str(target)]) == 0
    assert _sheet_values(target)[0][:3] == ("姓名", "身份证号", "学段")


def test_import_refuses_a_file_without_the_required_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "partial.csv"
    source.write_text("姓名,性别\n张三,男\n", encoding="utf-8")
    code = main(["import", str(source), "--table", "students", *PERIOD, *_store_args(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "缺少必填列「身份证号」" in captured.out
    assert "没有导入" in captured.err


def test_demo_into_an_unwritable_place_is_a_file_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "一个文件"
    blocker.write_text("x", encoding="utf-8")
    assert main(["demo", "--out", str(blocker / "演示"), "--students", "5", *PERIOD]) == 2
    assert "错误：" in capsys.readouterr().err
