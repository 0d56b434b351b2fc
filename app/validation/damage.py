"""Excel damage X01/X02 (rules.md) and the text of a typed spreadsheet cell.

Excel keeps 15 significant digits of a number: an 18-digit 身份证号 or a 19-digit account typed into a
General cell loses its last digits for good. Whatever the float still holds, the digits after the 15th
are invented, so a damaged number is stored the way Excel shows it (4.50102200801013E+17) and never
as digits made up from the float.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from app.models.schema import Column
from app.validation.normalize import NormalizedValue, date_notice, excel_serial_to_date, normalizer
from app.validation.report import Severity

CellValue = (
    str | int | float | bool | datetime.date | datetime.datetime | datetime.time | datetime.timedelta | None
)

X01_MESSAGE = (
    '「{column}」为科学计数法"{value}"，号码已被 Excel 损坏。'
    '请把该列设为"文本"格式后，从原始材料重新录入完整号码。'
)
X02_MESSAGE = (
    '「{column}」在 Excel 中被存成了数字，第15位之后的数字已丢失。请把该列设为"文本"格式后重新录入。'
)

EXACT_DIGITS = 15
_EXACT_LIMIT = 10**EXACT_DIGITS
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+")


class Finding(NamedTuple):
    """One finding about one cell: a rule id, its severity and the message for the user."""

    rule: str
    severity: Severity
    message: str


class CellText(NamedTuple):
    """A cell as stored text, with what normalization changed and what damage was found."""

    value: str
    findings: tuple[Finding, ...]


def is_scientific(text: str) -> bool:
    """True for a number written in scientific notation: 4.50102E+17, 4.5010220080101e+17, 4,5E17."""
    return ("E" in text or "e" in text) and _SCIENTIFIC.fullmatch(text) is not None


def scientific_finding(column: Column, text: str) -> Finding | None:
    """X01 when ``text`` in a damage-checked column is in scientific notation, else None."""
    if column.damage_check and is_scientific(text):
        return Finding("X01", "error", X01_MESSAGE.format(column=column.header, value=text))
    return None


def number_text(value: float) -> str:
    """A number as Excel's General format shows it: exact digits up to 15, else scientific notation.

    13812345678.0 → "13812345678", 312.5 → "312.5", 4.501022008010130e17 → "4.50102200801013E+17".
    """
    if isinstance(value, int):
        if -_EXACT_LIMIT < value < _EXACT_LIMIT:
            return str(value)
        value = float(value)
    if not math.isfinite(value):
        return str(value)
    if has_lost_digits(value):
        return _scientific_text(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.{EXACT_DIGITS}g}"


def _scientific_text(value: float) -> str:
    mantissa, exponent = f"{value:.{EXACT_DIGITS - 1}E}".split("E")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exponent}"


def has_lost_digits(value: float) -> bool:
    """True for a number cell of 16 or more digits: Excel kept only the first 15 (X02)."""
    return not -_EXACT_LIMIT < value < _EXACT_LIMIT


def _temporal_text(value: datetime.date | datetime.time | datetime.timedelta) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True, slots=True)
class _CellReader:
    """Turns the typed cells of one column into normalized text with their findings."""

    column: Column
    normalize: Callable[[str], NormalizedValue]
    x02: Finding

    def convert(self, value: CellValue) -> CellText:
        if value is None or value == "":
            return _EMPTY
        if isinstance(value, str):
            return self._text(value, ())
        if isinstance(value, bool):
            return self._text("TRUE" if value else "FALSE", ())
        if isinstance(value, int | float):
            return self._number(value)
        return self._temporal(value)

    def _text(self, text: str, found: tuple[Finding, ...]) -> CellText:
        normalized = self.normalize(text)
        findings = found
        if normalized.notices:
            findings += tuple(Finding(n.rule, "notice", n.message) for n in normalized.notices)
        if not found and self.column.damage_check:
            damage = scientific_finding(self.column, normalized.value)
            if damage is not None:
                findings += (damage,)
        return CellText(normalized.value, findings)

    def _number(self, value: float) -> CellText:
        if self.column.type == "date":
            day = excel_serial_to_date(value)
            if day is not None:
                return self._date(day)
        if self.column.damage_check and has_lost_digits(value):
            # Normalization still runs, but X01 on the E+17 text would only repeat X02.
            return self._text(number_text(value), (self.x02,))
        return self._text(number_text(value), ())

    def _temporal(self, value: datetime.date | datetime.time | datetime.timedelta) -> CellText:
        if self.column.type == "date" and isinstance(value, datetime.date):
            day = value.date() if isinstance(value, datetime.datetime) else value
            return self._date(day)
        return self._text(_temporal_text(value), ())

    def _date(self, day: datetime.date) -> CellText:
        iso = day.isoformat()
        notice = date_notice(self.column, iso)
        return CellText(iso, (Finding(notice.rule, "notice", notice.message),))


_EMPTY = CellText("", ())
# Enum, region and date columns repeat a handful of values down a whole file: remember them.
_MEMO_LIMIT = 4096


def cell_reader(column: Column) -> Callable[[CellValue], CellText]:
    """``cell_text`` bound to one column, for loops over many cells of that column."""
    convert = _CellReader(
        column=column,
        normalize=normalizer(column),
        x02=Finding("X02", "error", X02_MESSAGE.format(column=column.header)),
    ).convert
    memo: dict[str, CellText] = {}

    def read(value: CellValue) -> CellText:
        if type(value) is str:
            known = memo.get(value)
            if known is None:
                known = convert(value)
                if len(memo) < _MEMO_LIMIT:
                    memo[value] = known
            return known
        if value is None:
            return _EMPTY
        return convert(value)

    return read


def cell_text(column: Column, value: CellValue) -> CellText:
    """The stored text of a typed spreadsheet cell of ``column`` with its N/X findings.

    Text cells are normalized (N01–N06) and checked for scientific notation (X01); number cells become
    Excel's General text (dates in a date column → N06; 16+ digits in an ID/account column → X02);
    date cells in a date column become YYYY-MM-DD (N06).
    """
    return cell_reader(column)(value)
