"""Sorting and filtering a table's rows without Qt (app.models.row_view)."""

from __future__ import annotations

import numpy as np

from app.models.row_view import (
    ColumnFilter,
    SortSpec,
    TextCondition,
    column_array,
    placement_ranks,
    rows_shown,
    sort_order,
    value_counts,
    view_order,
)

NAME, STAGE, GRADE, AMOUNT = 0, 1, 2, 3
ROWS = [
    ["韦小宝", "初中", "八年级", "1000"],  # 0
    ["黄蓉", "小学", "三年级", ""],  # 1
    ["郭靖", "初中", "七年级", "250.5"],  # 2
    ["杨过", "", "", "2500"],  # 3
    ["ＡＢＣ学生", "小学", "一年级", "见附件"],  # 4
    ["黄蓉", "小学", "二年级", "1000"],  # 5: same name as row 1
]
UIDS = [f"u{i}" for i in range(len(ROWS))]
GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")


def _sorted(
    column: int, *, descending: bool = False, numeric: bool = False, ranked: tuple[str, ...] = ()
) -> list[int]:
    order = sort_order(column_array(ROWS, column), SortSpec(column, descending, numeric, ranked))
    return [int(row) for row in order]


def test_text_sorts_by_its_string_and_equal_values_keep_their_stored_order() -> None:
    order = _sorted(NAME)
    assert [ROWS[i][NAME] for i in order] == sorted(row[NAME] for row in ROWS)
    assert order.index(1) < order.index(5)  # the two 黄蓉 stay in stored order
    descending = _sorted(NAME, descending=True)
    assert descending.index(1) < descending.index(5)  # stable in both directions, as Excel


def test_empty_cells_come_last_ascending_and_descending() -> None:
    assert _sorted(STAGE)[-1] == 3
    assert _sorted(STAGE, descending=True)[-1] == 3
    assert _sorted(AMOUNT)[-1] == 1


def test_numeric_column_sorts_numbers_by_value_then_text() -> None:
    assert _sorted(AMOUNT, numeric=True) == [2, 0, 5, 3, 4, 1]  # 250.5 < 1000 = 1000 < 2500, text, empty
    assert _sorted(AMOUNT) == [0, 5, 2, 3, 4, 1]  # as text "1000" < "250.5" < "2500"
    assert _sorted(AMOUNT, numeric=True, descending=True) == [4, 3, 0, 5, 2, 1]


def test_code_list_column_sorts_in_the_lists_order() -> None:
    order = _sorted(GRADE, ranked=GRADES)
    assert [ROWS[i][GRADE] for i in order] == ["一年级", "二年级", "三年级", "七年级", "八年级", ""]


def test_value_filter_and_text_conditions() -> None:
    stage = column_array(ROWS, STAGE)
    assert view_order(ROWS, UIDS, filters={STAGE: ColumnFilter(frozenset({"小学"}))}) == [1, 4, 5]
    assert view_order(ROWS, UIDS, filters={STAGE: ColumnFilter(condition=TextCondition("empty"))}) == [3]
    assert len(stage) == len(ROWS)
    contains = ColumnFilter(condition=TextCondition("contains", "abc"))  # full-width ＡＢＣ in the data
    assert view_order(ROWS, UIDS, filters={NAME: contains}) == [4]
    equals = ColumnFilter(condition=TextCondition("equals", "黄蓉"))
    assert view_order(ROWS, UIDS, filters={NAME: equals}) == [1, 5]
    assert view_order(ROWS, UIDS, filters={NAME: ColumnFilter(condition=TextCondition("equals", "黄"))}) == []


def test_filters_of_several_columns_and_the_uid_set_combine_with_and() -> None:
    filters = {
        STAGE: ColumnFilter(frozenset({"小学", "初中"})),
        NAME: ColumnFilter(condition=TextCondition("contains", "黄")),
    }
    assert view_order(ROWS, UIDS, filters=filters) == [1, 5]
    assert view_order(ROWS, UIDS, filters=filters, only_uids={"u5", "u0"}) == [5]
    assert view_order(ROWS, UIDS, only_uids=set()) == []
    assert rows_shown(ROWS, UIDS, {}) is None  # no filter: every row, nothing computed
    both = ColumnFilter(frozenset({"黄蓉", "郭靖"}), TextCondition("contains", "蓉"))
    assert view_order(ROWS, UIDS, filters={NAME: both}) == [1, 5]  # value set AND condition


def test_sorted_and_filtered_view() -> None:
    order = sort_order(column_array(ROWS, GRADE), SortSpec(GRADE, descending=True, ranked=GRADES))
    shown = view_order(ROWS, UIDS, order=order, filters={STAGE: ColumnFilter(frozenset({"小学"}))})
    assert shown == [1, 5, 4]  # 三年级, 二年级, 一年级


def test_placement_ranks_follow_the_sort_or_the_stored_order() -> None:
    assert placement_ranks(3, None).tolist() == [0, 1, 2]
    order = np.array([2, 0, 1])
    assert placement_ranks(3, order).tolist() == [1, 2, 0]


def test_value_counts_in_sort_order_with_blank_last() -> None:
    counts = value_counts(column_array(ROWS, STAGE))
    assert counts == [("初中", 2), ("小学", 3), ("", 1)]
    grades = value_counts(column_array(ROWS, GRADE), SortSpec(GRADE, ranked=GRADES))
    assert [value for value, _count in grades] == ["一年级", "二年级", "三年级", "七年级", "八年级", ""]
    assert value_counts(column_array([], 0)) == []
