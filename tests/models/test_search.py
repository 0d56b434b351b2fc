"""查找/替换 matching without Qt (app.models.search)."""

from __future__ import annotations

import pytest

from app.models import search
from app.models.search import Query, find_all, find_next, match_mask, replaced

ROWS = [
    ["韦小宝", "45010220080101001X", "初中"],
    ["黄蓉", "４５０１０２２００９０２０２００２２", "小学"],  # a full-width ID, as typed with a Chinese IME
    ["郭靖", "450102200703030031", "初中"],
    ["杨过", "", "初中一班"],
]
COLUMNS = 3


def test_each_match_mode() -> None:
    texts = ["初中", "初中一班", "高中", ""]
    assert match_mask(texts, Query("初中")).tolist() == [True, True, False, False]
    assert match_mask(texts, Query("初中", "equals")).tolist() == [True, False, False, False]
    assert match_mask(texts, Query("中", "starts")).tolist() == [False, False, False, False]
    assert match_mask(texts, Query("初", "starts")).tolist() == [True, True, False, False]
    assert match_mask(texts, Query("")).tolist() == [False] * 4  # an empty query finds nothing


def test_full_and_half_width_match_unless_told_apart() -> None:
    texts = ["450102200902020022", "４５０１０２２００９０２０２００２２", "ＡＢＣ", "abc"]
    assert match_mask(texts, Query("4501")).tolist() == [True, True, False, False]
    assert match_mask(texts, Query("４５０１")).tolist() == [True, True, False, False]
    assert match_mask(texts, Query("4501", width_sensitive=True)).tolist() == [True, False, False, False]
    assert match_mask(texts, Query("abc", "equals")).tolist() == [False, False, True, True]
    assert match_mask(texts, Query("abc", "equals", width_sensitive=True)).tolist() == [
        False,
        False,
        False,
        True,
    ]
    assert match_mask(["45010220080101001x"], Query("001X")).tolist() == [True]  # letter case never matters


def test_find_all_goes_row_by_row_left_to_right() -> None:
    assert find_all(ROWS, Query("0"), COLUMNS) == [(0, 1), (1, 1), (2, 1)]
    assert find_all(ROWS, Query("初中"), COLUMNS) == [(0, 2), (2, 2), (3, 2)]
    assert find_all(ROWS, Query("初中", columns=(0, 1)), COLUMNS) == []
    assert find_all(ROWS, Query("黄", "starts"), COLUMNS) == [(1, 0)]


def test_find_all_matches_the_shown_label_of_a_code() -> None:
    rows = [["450102"], ["450103"]]
    labels = {0: {"450102": "450102 兴宁区", "450103": "450103 青秀区"}}
    assert find_all(rows, Query("兴宁"), 1, labels=labels) == [(0, 0)]
    assert find_all(rows, Query("兴宁"), 1) == []


def test_find_next_and_previous_wrap_around() -> None:
    query = Query("初中")
    assert find_next(ROWS, query, COLUMNS, None) == (0, 2)
    assert find_next(ROWS, query, COLUMNS, (0, 2)) == (2, 2)
    assert find_next(ROWS, query, COLUMNS, (2, 2)) == (3, 2)
    assert find_next(ROWS, query, COLUMNS, (3, 2)) == (0, 2)  # wrapped
    assert find_next(ROWS, query, COLUMNS, (2, 0)) == (2, 2)  # same row, further right
    assert find_next(ROWS, query, COLUMNS, (0, 2), backwards=True) == (3, 2)  # wrapped backwards
    assert find_next(ROWS, query, COLUMNS, (3, 2), backwards=True) == (2, 2)
    assert find_next(ROWS, query, COLUMNS, None, backwards=True) == (3, 2)
    assert find_next(ROWS, Query("韦"), COLUMNS, (0, 0)) == (0, 0)  # the only hit is found again
    assert find_next(ROWS, Query("没有"), COLUMNS, (1, 1)) is None
    assert find_next([], query, COLUMNS, None) is None


def test_find_next_across_blocks_of_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "CHUNK_ROWS", 3)
    rows = [["x"] for _ in range(10)]
    rows[1][0] = rows[8][0] = "目标"
    query = Query("目标")
    assert find_next(rows, query, 1, (1, 0)) == (8, 0)
    assert find_next(rows, query, 1, (8, 0)) == (1, 0)
    assert find_next(rows, query, 1, (8, 0), backwards=True) == (1, 0)
    assert find_next(rows, query, 1, (1, 0), backwards=True) == (8, 0)
    assert find_next(rows, query, 1, (5, 0), backwards=True) == (1, 0)


def test_replaced_text_for_each_mode() -> None:
    assert replaced("初中一班初中", Query("初中"), "中学") == "中学一班中学"
    assert replaced("初中一班", Query("初中", "equals"), "中学") == "初中一班"  # not the whole text
    assert replaced("初中", Query("初中", "equals"), "中学") == "中学"
    assert replaced("初中初中", Query("初中", "starts"), "X") == "X初中"
    assert replaced("小学", Query("初中"), "X") == "小学"


def test_replacing_a_full_width_match_keeps_the_rest_of_the_text() -> None:
    assert replaced("编号：ＡＢ１２３号", Query("ab123"), "AB123") == "编号：AB123号"
    assert replaced("编号：ＡＢ１２３号", Query("ab123", width_sensitive=True), "X") == "编号：ＡＢ１２３号"
