"""Normalization rules N01–N06 (rules.md): applied to every value on typing, paste and import.

Pure functions on one cell's text; the importer calls them on every cell of a file (hundreds of
thousands), so each column gets a precomputed plan and values that need no change take a short path.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from app.models.codes import CodeList
from app.models.policy import default_policy
from app.models.regions import county_code_list
from app.models.schema import Column

NAME_KEYS = frozenset({"name", "householder_name", "holder_name"})
# Columns whose values are numbers/codes: a space inside is never meant (N02).
NO_INNER_SPACE_TYPES = frozenset({"id18", "id", "student_no", "account", "phone"})
ID_TYPES = frozenset({"id18", "id"})

N01_MESSAGE = "「{column}」含全角字符或特殊空格，已转换为半角。"
N02_MESSAGE = "「{column}」含不可见字符或多余空格，已清除。"
# rules.md words N03/N05/N06 for 身份证号/姓名/发放日期; other columns of the kind get their own header.
N03_MESSAGE = "{column}末位 x 已改为大写 X。"
N04_MESSAGE = '「{column}」"{old}"已规范为"{new}"。'
N05_MESSAGE = '{column}中的间隔号已规范为"·"。'
N06_MESSAGE = "{column}已规范为 {date}。"

MIDDLE_DOT = "\u00b7"
_DOT_LOOKALIKES = str.maketrans(dict.fromkeys("\u30fb\uff65\u2022\u2027", MIDDLE_DOT))
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")
# Full-width punctuation is how Chinese is written: free text keeps it, only letters/digits/spaces fold.
_FULLWIDTH_PUNCTUATION = re.compile("([\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff5e]+)")

_DATE_PARTS = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29
# Serials of 1990-01-01 … 2099-12-31: a five-digit number outside this is not meant as a date.
SERIAL_MIN = 32874
SERIAL_MAX = 73050


class Notice(NamedTuple):
    """One automatic change: the rule id (N01…N06) and the message for the user."""

    rule: str
    message: str


class NormalizedValue(NamedTuple):
    """A value after N01–N06 and the notices of the rules that changed it (empty when none did)."""

    value: str
    notices: tuple[Notice, ...]


def excel_serial_to_date(serial: float) -> datetime.date | None:
    """The date of an Excel date serial in the plausible range (1990–2099), else None."""
    if not SERIAL_MIN <= serial < SERIAL_MAX + 1:
        return None
    return _EXCEL_EPOCH + datetime.timedelta(days=int(serial))


def parse_date(text: str) -> datetime.date | None:
    """The date written as 2026-9-1, 2026/9/1, 2026.9.1, 2026年9月1日, 20260901 or an Excel serial."""
    parts = _DATE_PARTS.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if parts is not None:
        year, month, day = (int(part) for part in parts.groups())
        try:
            return datetime.date(year, month, day)
        except ValueError:
            return None
    if _DATE_SERIAL.fullmatch(text):
        return excel_serial_to_date(float(text))
    return None


def date_notice(column: Column, iso_date: str) -> Notice:
    """The N06 notice for a value of ``column`` that became ``iso_date``."""
    return Notice("N06", N06_MESSAGE.format(column=column.header, date=iso_date))


@dataclass(frozen=True, slots=True)
class _Plan:
    """What N01–N06 mean for one column, worked out once."""

    header: str
    keep_punctuation: bool
    no_inner_space: bool
    upper_x: bool
    name_dots: bool
    codes: CodeList | None
    is_date: bool
    n01: Notice
    n02: Notice
    n03: Notice
    n05: Notice

    def apply(self, text: str) -> NormalizedValue:
        if not text:
            return NormalizedValue(text, ())
        notices: list[Notice] = []
        value = text
        dots_changed = False
        if not value.isascii():
            if self.name_dots:
                dotted = value.translate(_DOT_LOOKALIKES)
                dots_changed = dotted != value
                value = dotted
            value = self._fold(value, notices)
        value = self._clean_spaces(value, notices)
        if self.upper_x and value.endswith("x"):
            value = value[:-1] + "X"
            notices.append(self.n03)
        if dots_changed:
            notices.append(self.n05)
        if self.codes is not None:
            value = self._canonical(self.codes, value, notices)
        elif self.is_date:
            value = self._date(value, notices)
        return NormalizedValue(value, tuple(notices) if notices else ())

    def _fold(self, value: str, notices: list[Notice]) -> str:
        """N01, and the invisible characters of N02 (dropped first: they can block NFKC composition)."""
        cleaned = _INVISIBLE.sub("", value)
        folded = _nfkc_keeping_punctuation(cleaned) if self.keep_punctuation else _nfkc(cleaned)
        if folded != cleaned:
            notices.append(self.n01)
        if cleaned != value:
            notices.append(self.n02)
        return folded

    def _clean_spaces(self, value: str, notices: list[Notice]) -> str:
        cleaned = value.strip()
        if self.no_inner_space and not cleaned.isalnum():
            cleaned = _WHITESPACE.sub("", cleaned)
        if cleaned != value and self.n02 not in notices:
            notices.append(self.n02)
        return cleaned

    def _canonical(self, codes: CodeList, value: str, notices: list[Notice]) -> str:
        canonical = codes.canonical(value)
        if canonical is None or canonical == value:
            return value
        notices.append(Notice("N04", N04_MESSAGE.format(column=self.header, old=value, new=canonical)))
        return canonical

    def _date(self, value: str, notices: list[Notice]) -> str:
        parsed = parse_date(value)
        if parsed is None:
            return value
        iso = parsed.isoformat()
        if iso != value:
            notices.append(Notice("N06", N06_MESSAGE.format(column=self.header, date=iso)))
        return iso


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def _nfkc_keeping_punctuation(value: str) -> str:
    if unicodedata.is_normalized("NFKC", value):
        return value
    pieces = _FULLWIDTH_PUNCTUATION.split(value)
    # split() with a group puts the kept punctuation at the odd positions.
    return "".join(piece if index % 2 else _nfkc(piece) for index, piece in enumerate(pieces))


def _code_list(column: Column) -> CodeList | None:
    if column.type == "region":  # tables.md: accepts the code or the county name
        return county_code_list(default_policy().province_code)
    if column.enum is None:
        return None
    return column.code_list()  # "policy:items" → the default policy's items


def _make_plan(column: Column) -> _Plan:
    header = column.header
    return _Plan(
        header=header,
        keep_punctuation=column.type == "text" and column.key not in NAME_KEYS,
        no_inner_space=column.type in NO_INNER_SPACE_TYPES,
        upper_x=column.type in ID_TYPES,
        name_dots=column.key in NAME_KEYS,
        codes=_code_list(column),
        is_date=column.type == "date",
        n01=Notice("N01", N01_MESSAGE.format(column=header)),
        n02=Notice("N02", N02_MESSAGE.format(column=header)),
        n03=Notice("N03", N03_MESSAGE.format(column=header)),
        n05=Notice("N05", N05_MESSAGE.format(column=header)),
    )


_PlanKey = tuple[str, str, str, str | None]
_plans: dict[_PlanKey, _Plan] = {}


def _plan(column: Column) -> _Plan:
    # Column is not hashable (it holds mappings); these fields decide the plan.
    key = (column.key, column.header, column.type, column.enum)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _make_plan(column)
    return plan


def normalizer(column: Column) -> Callable[[str], NormalizedValue]:
    """``normalize_value`` bound to one column, for loops over many cells of that column."""
    return _plan(column).apply


def normalize_value(column: Column, text: str) -> NormalizedValue:
    """Apply N01–N06 to one value of ``column``; unknown enum values and invalid dates stay as typed."""
    return _plan(column).apply(text)
