"""导出到Excel and 下载空白模板: read the written files back and check what Excel would show."""

from __future__ import annotations

import errno
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from app.files.exporter import CODE_SHEET, ExportError, export_table, write_template
from app.models.codes import code_list
from app.models.policy import default_policy
from app.models.schema import TableKey, table_schema

STUDENTS = table_schema("students")
AID = table_schema("aid")


def _student(**values: str) -> list[str]:
    row = {
        "name": "韦小宝",
        "gender": "男",
        "id_number": "450127200801011230",
        "ethnicity": "壮族",
        "stage": "小学",
        "grade": "三年级",
        "class_name": "3班",
        "student_no": "G450127200801011230",
        "status": "在读",
        "boarding": "否",
        "hardship": "脱贫户(建档立卡)",
        "household_region": "450181",
        "householder_name": "韦大宝",
        "householder_id": "452101198001011234",
        "relation": "子",
        "guardian_phone": "13877112345",
        "remark": "",
    }
    row.update(values)
    return [row[key] for key in STUDENTS.keys]


def _aid(**values: str) -> list[str]:
    row = {
        "name": "韦小宝",
        "id_number": "450127200801011230",
        "stage": "小学",
        "item": "义务教育非寄宿生生活补助",
        "school_year": "2026-2027",
        "term": "秋季学期",
        "amount": "312.5",
        "payout": "一卡通",
        "account_no": "6228480000000000018",
        "bank": "中国农业银行",
        "holder_name": "韦大宝",
        "holder_relation": "父亲",
        "paid_on": "2026-09-15",
        "remark": "",
    }
    row.update(values)
    return [row[key] for key in AID.keys]


def _sheet(path: Path, title: str | None = None) -> Worksheet:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[title] if title else workbook.worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def _letter(table: TableKey, key: str) -> str:
    return openpyxl.utils.get_column_letter(table_schema(table).index_of(key) + 1)


def _cell(sheet: Worksheet, row: int, key: str, table: TableKey = "students") -> openpyxl.cell.Cell:
    cell = sheet[f"{_letter(table, key)}{row}"]
    assert isinstance(cell, openpyxl.cell.Cell)
    return cell


# ---------------------------------------------------------------- data export


def test_export_writes_the_header_layout_and_returns_the_row_count(tmp_path: Path) -> None:
    target = tmp_path / "在学状态表.xlsx"
    count = export_table(target, "students", [_student(), _student(name="黄丽")])

    assert count == 2
    sheet = _sheet(target)
    assert sheet.title == "在学状态表"
    assert [cell.value for cell in sheet[1]] == list(STUDENTS.headers)
    assert all(cell.font.b for cell in sheet[1])
    assert sheet["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Q3"
    for index, column in enumerate(STUDENTS.columns, start=1):
        assert sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width == column.width
    assert sheet.max_row == 3


def test_id_phone_and_region_cells_are_text_and_byte_identical(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    row = _student(
        id_number="45012720080101123X",
        student_no="G45012720080101123X",
        householder_id="450102800101123",  # a legacy 15-digit number stays as it is
        guardian_phone="0771-5301234",
        household_region="450181",
        name="阿依古丽·买买提",
        remark="-无-",
    )
    export_table(target, "students", [row])

    sheet = _sheet(target)
    assert [cell.value for cell in sheet[2]] == [value or None for value in row]
    for key in ("id_number", "student_no", "householder_id", "guardian_phone", "household_region"):
        cell = _cell(sheet, 2, key)
        assert cell.data_type == "s", key
        assert cell.number_format == "@", key
        # Cells the user types into later in these columns are text too.
        assert sheet.column_dimensions[_letter("students", key)].number_format == "@"


def test_text_that_looks_like_a_number_stays_text(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    export_table(target, "students", [_student(class_name="03", remark="1E+5")])

    sheet = _sheet(target)
    assert _cell(sheet, 2, "class_name").value == "03"
    assert _cell(sheet, 2, "class_name").data_type == "s"
    assert _cell(sheet, 2, "remark").value == "1E+5"


@pytest.mark.parametrize(
    "text", ["=1+1", '=HYPERLINK("http://x")', "+86 13877112345", "-无-", "@SUM(A1)", "\t=1"]
)
def test_formula_like_text_is_stored_as_a_quoted_string(tmp_path: Path, text: str) -> None:
    target = tmp_path / "out.xlsx"
    export_table(target, "students", [_student(remark=text, name=text, id_number=text)])

    sheet = _sheet(target)
    for key in ("remark", "name", "id_number"):
        cell = _cell(sheet, 2, key)
        assert cell.value == text, key
        assert cell.data_type == "s", key
        assert cell.quotePrefix, key
    with zipfile.ZipFile(target) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml, "Excel would evaluate a formula element"


def test_control_characters_that_xlsx_cannot_hold_do_not_break_the_export(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    export_table(target, "students", [_student(remark="备\x07注", name="=\x01x")])

    sheet = _sheet(target)
    assert _cell(sheet, 2, "remark").value == "备注"
    assert _cell(sheet, 2, "name").value == "=x"


def test_empty_values_leave_empty_cells(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    export_table(target, "students", [_student(student_no="", remark="")])

    sheet = _sheet(target)
    assert _cell(sheet, 2, "student_no").value is None
    assert _cell(sheet, 2, "remark").value is None


def test_amounts_are_number_cells_and_invalid_amounts_stay_text(tmp_path: Path) -> None:
    target = tmp_path / "学生资助表.xlsx"
    amounts = ["312.5", "500.00", "1150", "0.5", "12.345", "壮族", "-5", "0500", "1,000"]
    export_table(target, "aid", [_aid(amount=amount) for amount in amounts])

    sheet = _sheet(target)
    assert sheet.title == "学生资助表"
    cells = [_cell(sheet, row, "amount", "aid") for row in range(2, len(amounts) + 2)]
    numbers = cells[:4]
    assert [cell.value for cell in numbers] == [312.5, 500, 1150, 0.5]
    assert all(cell.data_type == "n" and cell.number_format == "0.00" for cell in numbers)
    texts = cells[4:]
    assert [cell.value for cell in texts] == amounts[4:]
    assert all(cell.data_type == "s" for cell in texts)
    account = _cell(sheet, 2, "account_no", "aid")
    assert (account.value, account.data_type, account.number_format) == ("6228480000000000018", "s", "@")
    paid_on = _cell(sheet, 2, "paid_on", "aid")
    assert (paid_on.value, paid_on.data_type, paid_on.number_format) == ("2026-09-15", "s", "@")


def test_progress_is_reported_while_writing(tmp_path: Path) -> None:
    seen: list[int] = []
    rows = (_student(id_number=f"{index:018d}") for index in range(2500))  # any iterable, even a generator

    count = export_table(tmp_path / "out.xlsx", "students", rows, progress=seen.append)

    assert count == 2500
    assert seen[:2] == [1000, 2000]
    assert seen[-1] == 2500
    assert _sheet(tmp_path / "out.xlsx").max_row == 2501


def test_an_existing_file_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    export_table(target, "students", [_student(), _student()])
    export_table(target, "students", [_student(name="黄丽")])

    sheet = _sheet(target)
    assert sheet.max_row == 2
    assert _cell(sheet, 2, "name").value == "黄丽"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


# ---------------------------------------------------------------- errors


def test_a_missing_folder_is_an_export_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError) as info:
        export_table(tmp_path / "无此文件夹" / "out.xlsx", "students", [_student()])
    assert "无此文件夹" in info.value.user_message
    assert "不存在" in info.value.user_message


def test_a_parent_that_is_a_file_is_an_export_error(tmp_path: Path) -> None:
    parent = tmp_path / "not-a-folder.txt"
    parent.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError) as info:
        write_template(parent / "模板.xlsx", "students")
    assert "不存在" in info.value.user_message


def test_a_folder_at_the_target_path_is_an_export_error(tmp_path: Path) -> None:
    target = tmp_path / "在学状态表.xlsx"
    target.mkdir()
    with pytest.raises(ExportError) as info:
        export_table(target, "students", [_student()])
    assert "文件夹" in info.value.user_message
    assert target.is_dir()


def test_a_file_held_open_by_excel_is_reported_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.xlsx"
    target.write_bytes(b"old")

    def locked(self: Path, other: Path) -> Path:
        raise PermissionError(errno.EACCES, "Permission denied", str(other))

    monkeypatch.setattr(Path, "replace", locked)  # what Windows does while Excel holds the file
    with pytest.raises(ExportError) as info:
        export_table(target, "students", [_student()])

    assert (
        info.value.user_message
        == "文件“x.xlsx”正被其他程序（如 Excel/WPS）打开或没有写入权限，请关闭后重试。"
    )
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.xlsx"], "the temporary file is removed"


def test_a_full_disk_never_leaves_a_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")

    def full_disk(self: openpyxl.Workbook, filename: str | Path) -> None:
        Path(filename).write_bytes(b"PK half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", full_disk)
    with pytest.raises(ExportError) as info:
        export_table(target, "students", [_student()])

    assert "磁盘空间不足" in info.value.user_message
    assert "out.xlsx" in info.value.user_message
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


# ---------------------------------------------------------------- blank template


def _validations_by_column(sheet: Worksheet) -> dict[str, str]:
    """Column letter → the list formula of the data validation on it."""
    found: dict[str, str] = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            assert cell_range.min_row == 2
            assert cell_range.max_row >= 5001
            assert validation.formula1 is not None
            found[openpyxl.utils.get_column_letter(cell_range.min_col)] = validation.formula1
    return found


def _list_values(workbook: openpyxl.Workbook, formula: str) -> list[str]:
    match = re.fullmatch(r"'?(.+?)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert match, formula
    sheet_name, first_col, first_row, last_col, last_row = match.groups()
    assert first_col == last_col
    sheet = workbook[sheet_name]
    assert isinstance(sheet, Worksheet)
    return [str(sheet[f"{first_col}{row}"].value) for row in range(int(first_row), int(last_row) + 1)]


@pytest.mark.parametrize("table", ["students", "aid"])
def test_template_has_the_header_and_text_formatted_id_columns(tmp_path: Path, table: TableKey) -> None:
    target = tmp_path / "模板.xlsx"
    write_template(target, table)

    schema = table_schema(table)
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == [schema.title, CODE_SHEET]
    assert workbook[CODE_SHEET].sheet_state == "hidden"
    sheet = _sheet(target)
    assert [cell.value for cell in sheet[1]] == list(schema.headers)
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    for index, column in enumerate(schema.columns, start=1):
        dimension = sheet.column_dimensions[openpyxl.utils.get_column_letter(index)]
        assert dimension.width == column.width
        if column.text_format:
            assert dimension.number_format == "@", column.header


@pytest.mark.parametrize("table", ["students", "aid"])
def test_template_enum_columns_have_drop_downs_from_the_hidden_code_sheet(
    tmp_path: Path, table: TableKey
) -> None:
    target = tmp_path / "模板.xlsx"
    write_template(target, table)

    schema = table_schema(table)
    workbook = openpyxl.load_workbook(target)
    sheet = _sheet(target)
    formulas = _validations_by_column(sheet)
    enum_columns = [column for column in schema.columns if column.is_enum]
    assert sorted(formulas) == sorted(_letter(table, column.key) for column in enum_columns)
    for column in enum_columns:
        formula = formulas[_letter(table, column.key)]
        assert CODE_SHEET in formula
        assert _list_values(workbook, formula) == list(column.code_list().values), column.header
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        assert validation.showErrorMessage and validation.showInputMessage
        assert validation.error and "下拉列表" in validation.error
        assert validation.prompt and validation.promptTitle


def _drop_down_values(path: Path, table: TableKey, key: str) -> list[str]:
    formula = _validations_by_column(_sheet(path))[_letter(table, key)]
    return _list_values(openpyxl.load_workbook(path), formula)


def test_template_lists_hold_the_long_and_policy_lists(tmp_path: Path) -> None:
    students, aid = tmp_path / "students.xlsx", tmp_path / "aid.xlsx"
    write_template(students, "students")
    write_template(aid, "aid")

    ethnicity = _drop_down_values(students, "students", "ethnicity")
    assert len(ethnicity) == 58
    assert {"汉族", "壮族", "毛南族", "外国血统中国籍人士"} <= set(ethnicity)

    grades = _drop_down_values(students, "students", "grade")
    assert len(grades) == len(set(grades))
    every_grade = {
        grade for stage in code_list("stage").values for grade in code_list("grade").values_for_stage(stage)
    }
    assert set(grades) == every_grade
    assert {"小班", "一年级", "六年级", "七年级", "高三"} <= every_grade

    assert _drop_down_values(aid, "aid", "item") == list(default_policy().item_names)
