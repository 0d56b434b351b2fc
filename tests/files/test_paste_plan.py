"""Placing a pasted block in a table and the quick checks of the 检查提示 dialog (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.files.clipboard_text import ClipboardError, read_clipboard
from app.files.paste_plan import (
    NoHeaderError,
    PastePlan,
    PasteSource,
    PasteTarget,
    is_header_row,
    plan_paste,
    read_column,
)
from app.files.reader import read_sheet
from app.models.schema import Column, table_schema
from app.validation.damage import cell_reader, number_text
from tests.files.fixtures_build import ID_A, ID_B, STUDENT_HEADERS, student_row, write_xlsx

STUDENTS = table_schema("students")
AID = table_schema("aid")
NAME, GENDER, ID_NUMBER = (STUDENTS.index_of(key) for key in ("name", "gender", "id_number"))
ETHNICITY, CLASS, REMARK = (STUDENTS.index_of(key) for key in ("ethnicity", "class_name", "remark"))
FIXTURES = Path(__file__).parent / "fixtures" / "clipboard"
WIDTH = len(STUDENTS.columns)


def _table(count: int) -> tuple[list[str], list[list[str]]]:
    uids = [f"uid{row}" for row in range(count)]
    values = [[""] * WIDTH for _ in range(count)]
    for row, line in enumerate(values):
        line[NAME] = f"学生{row}"
    return uids, values


def _target(row: int, column: int, count: int, fill: tuple[int, int] | None = None) -> PasteTarget:
    uids, values = _table(count)
    return PasteTarget(
        row=row,
        column=column,
        uids=uids[row:],
        values=values[row:],
        numbers=[number + 1 for number in range(row, count)],
        total_rows=count,
        fill=fill,
    )


def _plan(text: str, target: PasteTarget, html: str | None = None, schema: str = "students") -> PastePlan:
    return plan_paste(PasteSource.from_clipboard(read_clipboard(text, html)), table_schema(schema), target)


# -- placement ----------------------------------------------------------------------------------------


def test_a_header_row_maps_columns_by_name_and_is_not_pasted() -> None:
    text = f"身份证号\t学生姓名\t不认识的列\t性别\r\n{ID_A}\t张三\tx\t男\r\n{ID_B}\t李四\ty\t女\r\n"

    plan = _plan(text, _target(1, 7, 3))

    assert plan.mode == "header"
    assert plan.column_map == (ID_NUMBER, NAME, None, GENDER)
    assert plan.columns[NAME] == ["张三", "李四"]
    assert plan.columns[ID_NUMBER] == [ID_A, ID_B]
    assert any("不认识的列" in note for note in plan.notes)
    assert plan.summary() == "将粘贴 2 行 × 3 列，从第 2 行「身份证号」开始；覆盖 2 个已有单元格"


def test_without_a_header_columns_follow_the_current_cell() -> None:
    plan = _plan("汉族\t1班\r\n壮族\t2班\r\n", _target(1, ETHNICITY, 4))

    assert plan.mode == "position"
    assert plan.column_map == (ETHNICITY, ETHNICITY + 1)
    changes = plan.changes()
    assert [(e.uid, e.column, e.new) for e in changes.edits] == [
        ("uid1", ETHNICITY, "汉族"),
        ("uid2", ETHNICITY, "壮族"),
        ("uid1", ETHNICITY + 1, "1班"),
        ("uid2", ETHNICITY + 1, "2班"),
    ]
    assert not changes.new_rows


def test_columns_beyond_the_last_one_are_left_out_and_said_so() -> None:
    plan = _plan("a\tb\tc\r\n", _target(0, WIDTH - 1, 1))

    assert plan.column_map == (WIDTH - 1, None, None)
    assert any("超出表格最右一列的 2 列" in note for note in plan.notes)


def test_rows_beyond_the_end_are_added_full_width() -> None:
    plan = _plan("甲\r\n乙\r\n丙\r\n", _target(1, NAME, 2))

    assert plan.existing == 1 and plan.added == 2
    changes = plan.changes()
    assert [e.new for e in changes.edits] == ["甲"]
    assert [row[NAME] for row in changes.new_rows] == ["乙", "丙"]
    assert all(len(row) == WIDTH and not any(row[:NAME] + row[NAME + 1 :]) for row in changes.new_rows)
    assert plan.summary() == "将粘贴 3 行 × 1 列，从第 2 行「姓名」开始；覆盖 1 个已有单元格；新增 2 行"
    assert [plan.grid_row_number(row) for row in range(3)] == [2, 3, 4]


def test_one_value_fills_a_selection() -> None:
    plan = _plan("七年级\r\n", _target(0, CLASS, 3, fill=(3, 2)))

    assert plan.mode == "fill"
    assert plan.columns == {CLASS: ["七年级"] * 3, CLASS + 1: ["七年级"] * 3}
    assert len(plan.changes().edits) == 6


def test_a_filtered_view_writes_to_the_rows_shown() -> None:
    # The view shows stored rows 1, 4 and 6 (a filter hides the others).
    uids, values = _table(8)
    shown = [1, 4, 6]
    target = PasteTarget(
        row=0,
        column=CLASS,
        uids=[uids[row] for row in shown],
        values=[values[row] for row in shown],
        numbers=[row + 1 for row in shown],
        total_rows=8,
    )

    plan = _plan("1班\r\n2班\r\n3班\r\n4班\r\n", target)

    assert [(e.uid, e.new) for e in plan.changes().edits] == [
        ("uid1", "1班"),
        ("uid4", "2班"),
        ("uid6", "3班"),
    ]
    assert [row[CLASS] for row in plan.changes().new_rows] == ["4班"]
    assert [plan.grid_row_number(row) for row in range(4)] == [2, 5, 7, 9]


def test_only_a_header_row_is_pasted_as_nothing() -> None:
    plan = _plan("姓名\t性别\r\n", _target(0, 0, 1))

    assert plan.height == 0
    assert plan.changes().is_empty


@pytest.mark.parametrize(
    ("row", "header"),
    [
        (["姓名", "身份证号"], True),
        (["*姓名", "公民身份号码（必填）", ""], True),
        (["身份证号"], True),  # a single copied column with its header
        (["身份证号", "家庭住址"], True),  # one of two names is the table's
        (["身份证号", "张三", "男"], False),
        (["张三", "男"], False),
        (["姓名", ""], True),  # the second column has no header
        (["张三", ""], False),
    ],
)
def test_header_rows(row: list[str], header: bool) -> None:
    assert is_header_row(row, STUDENTS) is header


# -- quick checks --------------------------------------------------------------------------------------


def test_scientific_notation_is_damage_named_with_its_row() -> None:
    text = f"张三\t男\t{ID_A}\r\n李四\t女\t4.50102E+17\r\n王五\t女\t{ID_B}\r\n"

    plan = _plan(text, _target(0, NAME, 0))

    assert plan.problem_rows == {1}
    (finding,) = plan.findings_for({"X01", "X02"})
    assert finding.rule == "X01" and finding.row == 1 and finding.column == ID_NUMBER
    assert plan.where(finding) == "第2行「身份证号」（复制内容第2行）"
    assert "科学计数法" in finding.message
    kept = plan.changes(skip_problem_rows=True)
    assert [row[NAME] for row in kept.new_rows] == ["张三", "王五"]
    assert kept.skipped_rows == 1


def test_an_id_excel_holds_as_a_number_is_damage_even_when_it_looks_whole() -> None:
    text, cf_html = ((FIXTURES / f"excel_students.{ext}").read_bytes().decode() for ext in ("txt", "cfhtml"))

    plan = _plan(text, _target(0, 0, 0), cf_html)

    damage = {(f.row, f.rule) for f in plan.findings_for({"X01", "X02"})}
    assert damage == {(1, "X02"), (2, "X02")}  # 黄蓉 (4.50102E+17) and 郭靖 (…000 held as a number)
    # Never stored as digits Excel made up: the number shows as Excel's 15 significant digits.
    assert plan.columns[ID_NUMBER][2] == number_text(450102200703030000.0) == "4.5010220070303E+17"
    assert plan.columns[ID_NUMBER][0] == "45010220080101001X"
    assert plan.columns[ETHNICITY][0] == "壮族"  # N04
    assert plan.columns[REMARK][1] == '父亲说"好"\n母亲在家'


def test_amounts_take_the_number_excel_holds_and_a_damaged_account_is_found() -> None:
    text, cf_html = ((FIXTURES / f"excel_aid.{ext}").read_bytes().decode() for ext in ("txt", "cfhtml"))

    plan = _plan(text, _target(0, 0, 0), cf_html, schema="aid")

    amount, account = AID.index_of("amount"), AID.index_of("account_no")
    assert plan.columns[amount] == ["750", "1250"]
    assert {(f.row, f.column, f.rule) for f in plan.findings_for({"X01", "X02"})} == {(0, account, "X02")}
    assert plan.columns[account][1] == "6228480123456789012"


def test_normalizations_are_counted_and_wrong_choices_and_lengths_are_problems() -> None:
    text = (
        "张三\t1\t４５０１０２２００８０１０１３００２\t壮\r\n李四\t男性\t\t火星族\r\n"
        + "王" * 31
        + "\t女\t\t汉族\r\n"
    )

    plan = _plan(text, _target(0, NAME, 0))

    counts = plan.rule_counts()
    assert counts["N01"] == 1  # full-width digits
    assert counts["N04"] == 3  # 1→男, 男性→男, 壮→壮族
    assert plan.columns[GENDER] == ["男", "男", "女"]
    assert counts["enum"] == 1 and counts["length"] == 1
    assert plan.problem_rows == {1, 2}
    (choice,) = plan.findings_for({"enum"})
    assert "火星族" in choice.message


def test_overwritten_counts_only_filled_cells_that_change() -> None:
    target = _target(0, NAME, 3)  # names 学生0, 学生1, 学生2; genders empty

    plan = _plan("学生0\t\r\n新名\t\r\n\t男\r\n", target)

    assert plan.overwritten == 2
    assert [(e.uid, e.column, e.old, e.new) for e in plan.changes().edits] == [
        ("uid1", NAME, "学生1", "新名"),
        ("uid2", NAME, "学生2", ""),
        ("uid2", GENDER, "", "男"),
    ]


# -- a file sheet ---------------------------------------------------------------------------------------


def test_a_workbook_sheet_maps_by_its_header_and_sees_number_ids(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["2026年秋季学期在学状态表"],
        list(STUDENT_HEADERS),
        student_row("张三", ID_A),
        [],
        student_row("李四", 4.501022008010130e17),
    ]
    path = write_xlsx(tmp_path / "名单.xlsx", rows)

    plan = plan_paste(
        PasteSource.from_sheet(read_sheet(path), STUDENTS, path.name), STUDENTS, PasteTarget.append(10)
    )

    assert plan.mode == "header" and plan.kind == "file"
    assert plan.source_numbers == [3, 5]  # spreadsheet rows; the empty row 4 is left out
    (damage,) = plan.findings_for({"X02"})
    assert damage.row == 1
    assert plan.where(damage) == "文件第5行「身份证号」（导入后第12行）"
    assert plan.columns[ID_NUMBER][1] == "4.50102200801013E+17"


def test_a_sheet_without_the_header_is_refused_with_what_was_looked_for(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "其他.xlsx", [["品名", "数量"], ["铅笔", 3]])

    with pytest.raises(NoHeaderError) as caught:
        plan_paste(
            PasteSource.from_sheet(read_sheet(path), STUDENTS, path.name), STUDENTS, PasteTarget.append(0)
        )
    assert "没有找到在学状态表的表头" in caught.value.user_message


# -- the fast path reads like every cell one by one ------------------------------------------------------

_PASTED_TEXT = st.text(alphabet="01239xXE+.-　 ０１Ｘ\u200b·・壮初一男女汉族 \tab", max_size=10).map(
    lambda text: text.replace("\t", "")
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_PASTED_TEXT, min_size=4, max_size=4), min_size=1, max_size=8),
    st.integers(0, WIDTH - 4),
)
def test_every_pasted_cell_lands_as_the_importer_reads_it(rows: list[list[str]], start: int) -> None:
    target = PasteTarget(row=0, column=start, uids=(), values=(), numbers=(), total_rows=0)

    plan = plan_paste(PasteSource(rows=rows), STUDENTS, target, header=False)

    for offset in range(4):
        column = STUDENTS.columns[start + offset]
        read = cell_reader(column)
        assert plan.columns[start + offset] == [read(row[offset]).value for row in rows]


@settings(max_examples=300, deadline=None)
@given(st.lists(_PASTED_TEXT, min_size=1, max_size=6), st.sampled_from(STUDENTS.columns))
def test_a_column_left_as_it_is_has_nothing_normalization_would_change(
    texts: Sequence[str], column: Column
) -> None:
    values, found = read_column(column, texts, texts=True)
    read = cell_reader(column)
    assert values == [read(text).value for text in texts]
    expected = {(index, finding.rule) for index, text in enumerate(texts) for finding in read(text).findings}
    assert expected <= {(index, finding.rule) for index, finding in found}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60), st.integers(0, WIDTH - 1))
def test_any_text_lands_cell_for_cell_as_parsed_or_is_refused(text: str, start: int) -> None:
    try:
        table = read_clipboard(text, None)
    except ClipboardError as exc:
        assert exc.user_message
        return
    target = PasteTarget(row=0, column=start, uids=(), values=(), numbers=(), total_rows=0)

    plan = plan_paste(PasteSource.from_clipboard(table), STUDENTS, target, header=False)
    changes = plan.changes()

    assert len(changes.new_rows) == table.height
    for offset in range(min(table.width, WIDTH - start)):
        read = cell_reader(STUDENTS.columns[start + offset])
        assert [row[start + offset] for row in changes.new_rows] == [
            read(row[offset]).value for row in table.rows
        ]
