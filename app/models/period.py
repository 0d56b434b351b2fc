"""Reporting periods: 学年 + 学期, with the ASCII id of the sync protocol (``2026-2027-1``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

TERMS: tuple[str, str] = ("秋季学期", "春季学期")
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
_PERIOD_ID = re.compile(r"^(\d{4})-(\d{4})-([12])$")


class PeriodError(ValueError):
    """A 学年 or 学期 that is not well formed; the message is for the user."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period, e.g. 2026-2027学年 秋季学期."""

    school_year: str
    term: str

    def __post_init__(self) -> None:
        match = _SCHOOL_YEAR.match(self.school_year)
        if not match or int(match.group(2)) != int(match.group(1)) + 1:
            raise PeriodError(f"学年“{self.school_year}”格式错误，应写成“2026-2027”的形式。")
        if self.term not in TERMS:
            raise PeriodError(f"学期“{self.term}”无效，应为“秋季学期”或“春季学期”。")

    @property
    def id(self) -> str:
        """The protocol's period id: ``2026-2027-1`` (秋季) or ``2026-2027-2`` (春季)."""
        return f"{self.school_year}-{TERMS.index(self.term) + 1}"

    @property
    def label(self) -> str:
        return f"{self.school_year}学年{self.term}"

    @property
    def start_year(self) -> int:
        return int(self.school_year[:4])

    @classmethod
    def from_id(cls, period_id: str) -> Period:
        match = _PERIOD_ID.match(period_id)
        if not match:
            raise PeriodError(f"报送期次“{period_id}”格式错误，应写成“2026-2027-1”的形式。")
        return cls(f"{match.group(1)}-{match.group(2)}", TERMS[int(match.group(3)) - 1])


def current_period(today: date | None = None) -> Period:
    """The period being filled on ``today``: September–February is 秋季学期, March–August 春季学期."""
    today = today or date.today()
    if today.month >= 9:
        return Period(f"{today.year}-{today.year + 1}", "秋季学期")
    if today.month <= 2:
        return Period(f"{today.year - 1}-{today.year}", "秋季学期")
    return Period(f"{today.year - 1}-{today.year}", "春季学期")
