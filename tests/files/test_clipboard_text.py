"""Reading what Excel and WPS put on the clipboard: tab-separated text and CF_HTML tables."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.files import clipboard_text
from app.files.clipboard_text import (
    ClipboardError,
    html_document,
    parse_html_table,
    parse_tsv,
    read_clipboard,
)

FIXTURES = Path(__file__).parent / "fixtures" / "clipboard"


def _payload(name: str) -> tuple[str, str]:
    text = (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8")
    cf_html = (FIXTURES / f"{name}.cfhtml").read_bytes().decode("utf-8")
    return text, cf_html


STUDENTS = [
    ["姓名", "身份证号", "性别", "民族", "备注"],
    ["韦小宝", "45010220080101001X", "男", "壮", '家住"那坡"镇'],
    ["黄蓉", "4.50102E+17", "女", "汉族", '父亲说"好"\n母亲在家'],
    ["郭靖", "450102200703030000", "男", "", ""],
    ["杨过", "450102200604040049", "男", "", "a&b <c>"],
]


# -- real payloads -----------------------------------------------------------------------------------


def test_excel_text_with_quoted_multi_line_cell_and_doubled_quotes() -> None:
    text, _html = _payload("excel_students")

    assert parse_tsv(text) == STUDENTS


def test_excel_html_marks_the_number_cells_and_the_text_gives_the_cells() -> None:
    text, cf_html = _payload("excel_students")

    table = read_clipboard(text, cf_html)

    assert table.rows == STUDENTS
    assert table.source == "text"
    assert table.typed
    # 黄蓉's ID shows as 4.50102E+17, 郭靖's looks whole: both are numbers (x:num), the others text.
    assert table.is_number(2, 1) and table.is_number(3, 1)
    assert not table.is_number(1, 1) and not table.is_number(4, 1)
    assert table.numbers[1][2] == "450102200902020000"
    assert table.numbers[1][3] == ""


def test_excel_html_alone_gives_the_same_cells_as_its_text() -> None:
    _text, cf_html = _payload("excel_students")

    table = parse_html_table(cf_html)

    assert table is not None
    assert table.rows == STUDENTS  # <br> a line break, entities decoded, colspan cells empty


def test_cf_html_header_offsets_count_utf8_bytes() -> None:
    _text, cf_html = _payload("excel_students")

    document = html_document(cf_html)

    assert document.startswith("<html")
    assert document.rstrip().endswith("</html>")
    assert "StartHTML" not in document


def test_a_cf_html_header_with_wrong_offsets_still_finds_the_html() -> None:
    _text, cf_html = _payload("excel_students")
    broken = cf_html.replace("StartHTML:0000000105", "StartHTML:0000000107")

    assert html_document(broken).startswith("<html")
    table = parse_html_table(broken)
    assert table is not None and table.rows == STUDENTS


def test_wps_text_that_lost_a_cells_quotes_is_read_from_the_html() -> None:
    text, cf_html = _payload("wps_students")

    table = read_clipboard(text, cf_html)

    assert table.source == "html"
    assert table.rows == [
        ["姓名", "学段", "户主身份证号", "备注"],
        ["黄蓉", "小学", "450102198001010014", "第一行\n第二行"],
        ["郭靖", "初中", "4.50103E+17", ""],
    ]
    assert table.is_number(2, 2) and not table.is_number(1, 2)
    assert "不一致" in table.notes[0]


def test_excel_amounts_keep_their_value_and_a_damaged_account_is_a_number() -> None:
    text, cf_html = _payload("excel_aid")

    table = read_clipboard(text, cf_html)

    assert table.rows[2][3] == "1,250.00"  # what Excel shows …
    assert table.numbers[3][2] == "1250"  # … and the number it holds
    assert table.is_number(1, 4) and not table.is_number(2, 4)


def test_html_without_text() -> None:
    _text, cf_html = _payload("excel_students")

    table = read_clipboard(None, cf_html)

    assert table.source == "html"
    assert table.rows == STUDENTS


# -- shapes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("韦小宝\r\n", [["韦小宝"]]),  # a single cell, as Excel writes it
        ("韦小宝", [["韦小宝"]]),  # from a text editor
        ("a\r\nb\r\nc\r\n", [["a"], ["b"], ["c"]]),  # a whole column
        ("a\r\n\r\nc\r\n", [["a"], [""], ["c"]]),  # an empty cell inside a column stays
        ("a\tb\r\n\t\r\n\r\n", [["a", "b"]]),  # empty rows at the end go
        ("a\tb\tc\nd\n", [["a", "b", "c"], ["d", "", ""]]),  # ragged rows are padded
        ("a\rb\r", [["a"], ["b"]]),  # old Mac line ends
        ('"a\tb"\tc\r\n', [["a\tb", "c"]]),  # a quoted tab
        ('"abc\tdef\r\n', [['"abc', "def"]]),  # a stray quote stays a character
        ('5"\t6""\r\n', [['5"', '6""']]),  # quotes inside an unquoted cell
        ('""\tx\r\n', [["", "x"]]),  # an empty quoted cell
    ],
)
def test_tab_separated_text_shapes(text: str, rows: list[list[str]]) -> None:
    assert parse_tsv(text) == rows


@pytest.mark.parametrize("text", ["", "\r\n", "\t\t\r\n\r\n"])
def test_nothing_to_paste_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(ClipboardError) as caught:
        read_clipboard(text, None)
    assert "没有可以粘贴的内容" in caught.value.user_message


def test_binary_data_is_refused() -> None:
    with pytest.raises(ClipboardError) as caught:
        read_clipboard("a\x00b\tc", None)
    assert "不是表格文字" in caught.value.user_message


def test_too_much_is_refused_and_import_is_suggested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clipboard_text, "MAX_ROWS", 3)
    with pytest.raises(ClipboardError) as caught:
        read_clipboard("a\nb\nc\nd\n", None)
    assert "导入" in caught.value.user_message


def test_merged_cells_keep_their_text_in_the_first_cell() -> None:
    table = parse_html_table(
        "<table><tr><td rowspan=2>a</td><td colspan=2>b</td></tr>"
        "<tr><td x:num>1</td><td>c</td></tr><tr><td>d</td></tr></table>"
    )

    assert table is not None
    assert table.rows == [["a", "b", ""], ["", "1", "c"], ["d", "", ""]]
    assert table.numbers == {1: {1: ""}}


def test_nested_tables_of_a_web_page_are_left_to_the_text() -> None:
    page = "<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>"

    assert parse_html_table(page) is None
    assert read_clipboard("x\r\n", page).rows == [["x"]]


# -- properties ----------------------------------------------------------------------------------------

# Text a cell can hold: anything but the control characters no spreadsheet cell has.
_CONTROLS = "".join(chr(code) for code in range(32) if chr(code) not in "\t\n\r")
_CELL_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters=_CONTROLS), max_size=12
)


def _excel_tsv(rows: list[list[str]]) -> str:
    """Rows as Excel writes them: a cell with a tab, line break or quote is quoted, quotes doubled."""

    def cell(text: str) -> str:
        if any(character in text for character in '\t\r\n"'):
            return '"' + text.replace('"', '""') + '"'
        return text

    return "".join("\t".join(map(cell, row)) + "\r\n" for row in rows)


def _as_pasted(rows: list[list[str]]) -> list[list[str]]:
    """What a paste gives back: line breaks inside cells become LF, empty rows at the end go."""
    pasted = [[text.replace("\r\n", "\n").replace("\r", "\n") for text in row] for row in rows]
    while pasted and not any(pasted[-1]):
        pasted.pop()
    return pasted


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda width: st.lists(st.lists(_CELL_TEXT, min_size=width, max_size=width), min_size=1, max_size=6)
    )
)
def test_any_block_excel_writes_comes_back_cell_for_cell(rows: list[list[str]]) -> None:
    expected = _as_pasted(rows)
    if not expected:
        with pytest.raises(ClipboardError):
            parse_tsv(_excel_tsv(rows))
        return
    assert parse_tsv(_excel_tsv(rows)) == expected


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=120)))
def test_any_text_is_read_as_a_rectangle_or_refused_with_a_message(text: str, payload: str | None) -> None:
    try:
        table = read_clipboard(text, payload)
    except ClipboardError as exc:
        assert exc.user_message  # refused, in words for the user
        return
    assert table.height >= 1 and table.width >= 1
    assert all(len(row) == table.width for row in table.rows)
    assert any(any(row) for row in table.rows) or table.numbers


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.text(alphabet="ab &<>\"'中文x", max_size=6), st.booleans()), min_size=3, max_size=3
        ),
        min_size=1,
        max_size=5,
    ),
    st.booleans(),
)
def test_an_excel_like_table_is_read_as_a_browser_would(
    cells: list[list[tuple[str, bool]]], cf_header: bool
) -> None:
    document = _excel_like_html(
        [[text for text, _number in row] for row in cells], [[n for _t, n in row] for row in cells]
    )
    payload = _with_cf_header(document) if cf_header else document
    oracle = _BrowserTable()
    oracle.feed(document)
    expected = oracle.rows
    while expected and not any(expected[-1]):
        expected.pop()

    table = parse_html_table(payload)

    if not expected:
        assert table is None
        return
    assert table is not None
    assert table.rows == expected
    numbers = {(row, column) for column, rows in table.numbers.items() for row in rows}
    assert numbers == {
        (r, c)
        for r, row in enumerate(cells[: len(expected)])
        for c, (_text, number) in enumerate(row)
        if number
    }


_ATTRIBUTES = {True: " align=right x:num", False: " class=xl65"}


def _excel_like_html(texts: list[list[str]], numbers: list[list[bool]]) -> str:
    lines = [
        "<html><head><style>td {mso-number-format:General;}</style></head><body><table>",
        "<!--StartFragment-->",
    ]
    for row_texts, row_numbers in zip(texts, numbers, strict=True):
        cells = "".join(
            f"\r\n  <td{_ATTRIBUTES[number]}>{html.escape(text, quote=False)}</td>"
            for text, number in zip(row_texts, row_numbers, strict=True)
        )
        lines.append(f" <tr height=19 style='height:14.25pt'>{cells}\r\n </tr>")
    lines.extend(["<!--EndFragment-->", "</table></body></html>"])
    return "\r\n".join(lines)


def _with_cf_header(document: str) -> str:
    header = "Version:0.9\r\nStartHTML:{:010d}\r\nEndHTML:{:010d}\r\n"
    start = len(header.format(0, 0))
    return header.format(start, start + len(document.encode("utf-8"))) + document


_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")


class _BrowserTable(HTMLParser):
    """The cells of a simple table as html.parser (and a browser) reads them: the reference."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(_HTML_SPACE.sub(" ", "".join(self._cell)).strip(" "))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.text(alphabet="ab 中", max_size=3), min_size=1, max_size=3), min_size=1, max_size=5)
)
def test_every_kind_of_line_end_gives_the_same_cells(rows: list[list[str]]) -> None:
    lines = ["\t".join(row) for row in rows]
    if not any(any(row) for row in rows):
        return
    by_lf = parse_tsv("\n".join(lines))

    assert parse_tsv("\r\n".join(lines) + "\r\n") == by_lf
    assert parse_tsv("\r".join(lines)) == by_lf
