"""Administrative region codes (GB/T 2260), taken from python-stdnum's maintained data.

Two views are needed: the *current* county-level codes of the province (a 户籍所在县(区) must be
one of them, S21) and the *historical union* of every code since 1980 (an ID number keeps the
address code it was issued under, e.g. 450127 横县 until 2021 — S08 must accept it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from stdnum import numdb

from app.models.codes import CodeList

_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")
HISTORY_SINCE = 1980


@dataclass(frozen=True)
class RegionName:
    """One name a code had, with the years it was in use (None = open-ended)."""

    name: str
    first_year: int | None
    last_year: int | None

    @property
    def is_current(self) -> bool:
        return self.last_year is None

    def in_use(self, year: int) -> bool:
        return (self.first_year is None or self.first_year <= year) and (
            self.last_year is None or year <= self.last_year
        )


def _names(county_field: str) -> tuple[RegionName, ...]:
    names: list[RegionName] = []
    for part in county_field.split(","):
        match = _SPAN.match(part)
        if match:
            first, last, name = match.groups()
            names.append(RegionName(name, int(first) if first else None, int(last) if last else None))
        else:
            names.append(RegionName(part, None, None))
    return tuple(names)


def _walk() -> Iterator[tuple[str, tuple[RegionName, ...]]]:
    """Every six-digit code of stdnum's cn/loc database with its names over time."""
    for length, low, high, _props, prefectures in numdb.get("cn/loc").prefixes:
        if length != 2 or low != high:
            continue
        for sub_length, sub_low, sub_high, props, _children in prefectures:
            if sub_length != 4 or sub_low != sub_high or "county" not in props:
                continue
            yield low + sub_low, _names(props["county"])


@cache
def all_regions() -> Mapping[str, tuple[RegionName, ...]]:
    return MappingProxyType(dict(_walk()))


def _is_county_level(code: str, name: str) -> bool:
    # xx00 is a prefecture or the province itself; 市辖区/市区 are statistical, not counties.
    return not code.endswith("00") and name not in {"市辖区", "市区", "郊区"}


@cache
def historical_codes() -> frozenset[str]:
    """Every address code in use at any time since 1980 (for the first six digits of IDs)."""
    return frozenset(
        code
        for code, names in all_regions().items()
        if any(n.last_year is None or n.last_year >= HISTORY_SINCE for n in names)
    )


@cache
def current_counties(province_code: str) -> Mapping[str, str]:
    """Current county-level codes of a province (two digits, e.g. "45") → their current names."""
    counties: dict[str, str] = {}
    for code, names in all_regions().items():
        if not code.startswith(province_code):
            continue
        current = [n for n in names if n.is_current]
        if current and _is_county_level(code, current[-1].name):
            counties[code] = current[-1].name
    return MappingProxyType(dict(sorted(counties.items())))


def codes_in_use(province_code: str, year: int) -> tuple[str, ...]:
    """County-level codes of a province that were in use in ``year`` (for demo ID numbers)."""
    return tuple(
        code
        for code, names in sorted(all_regions().items())
        if code.startswith(province_code)
        and any(n.in_use(year) and _is_county_level(code, n.name) for n in names)
    )


def region_label(code: str, province_code: str) -> str:
    """ "450102 兴宁区" for display; the bare code when it is not a current county."""
    name = current_counties(province_code).get(code)
    return f"{code} {name}" if name else code


@cache
def county_code_list(province_code: str) -> CodeList:
    """The current counties as the values of 户籍所在县(区), accepting a county's name or its label.

    A name that two counties of the province share is not accepted (it would be a guess).
    """
    counties = current_counties(province_code)
    name_counts = Counter(counties.values())
    aliases = {name: code for code, name in counties.items() if name_counts[name] == 1}
    aliases.update({f"{code} {name}": code for code, name in counties.items()})
    return CodeList(
        name="region", title="户籍所在县(区)", values=tuple(counties), aliases=MappingProxyType(aliases)
    )
