"""ID numbers (GB 11643-1999) checked as arrays: every number of a column in one pass.

The numbers become an (n, 18) matrix of code points: the MOD 11-2 check digit is a dot product of
the first 17 digits with the standard weights, the birth date and province code are integer
arithmetic on digit columns. Each invalid number gets exactly one problem, the first in reading
order (length, characters, province, birth date, check digit), so a typo in the birth date is not
also reported as a wrong check digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from app.models.regions import historical_codes
from app.validation.arrays import CharMatrix, Ints, Mask, Objects, char_matrix

Positions = npt.NDArray[np.intp]

ID_WIDTH = 18
LEGACY_ID_WIDTH = 15
# GB 11643-1999: weights of the first 17 digits; the remainder mod 11 indexes the check characters.
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARACTERS = "10X98765432"
_CHECK_CODES = np.array([ord(c) for c in CHECK_CHARACTERS], dtype=np.uint32)
PROVINCE_CODES = frozenset(
    [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    ]
)
_PROVINCE_OK = np.zeros(100, dtype=np.bool_)
_PROVINCE_OK[sorted(PROVINCE_CODES)] = True
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
# Nobody alive was born before 1900; an earlier "date" is a typo even if the calendar has it.
EARLIEST_BIRTH_YEAR = 1900
_ZERO = ord("0")
_X = ord("X")
_POWERS_8 = 10 ** np.arange(7, -1, -1, dtype=np.int64)
_POWERS_6 = 10 ** np.arange(5, -1, -1, dtype=np.int64)
_POWERS_17 = 10 ** np.arange(16, -1, -1, dtype=np.int64)


class IdKind:
    """What is wrong with an ID number: the first problem in reading order.

    Plain ints, not an IntEnum: they are compared with whole arrays many times per edited row, and
    an enum member costs microseconds to look up and to convert.
    """

    SKIP = 0  # empty, or damaged by Excel (X01 says so)
    OK = 1
    LEGACY = 2  # 15 digits: the pre-1999 number
    LENGTH = 3  # S03
    FORMAT = 4  # S04
    PROVINCE = 5  # S07
    DATE = 6  # S05
    CHECK = 7  # S06
    TRUNCATED = 8  # X03: wrong check digit and ends in 000


def is_error(kinds: npt.NDArray[np.int8]) -> Mask:
    """The kinds that S03–S07 report (length, characters, province, birth date, check digit)."""
    return np.asarray((kinds >= IdKind.LENGTH) & (kinds <= IdKind.CHECK), dtype=np.bool_)


ID_MESSAGES: dict[int, str] = {
    IdKind.LENGTH: "身份证号应为18位，当前为{n}位。",
    IdKind.FORMAT: "身份证号格式错误：前17位应为数字，末位为数字或X。",
    IdKind.DATE: "身份证号中的出生日期 {yyyymmdd} 无效。",
    IdKind.CHECK: "身份证号校验位错误（按前17位应为{c}），请核对。",
    IdKind.PROVINCE: '身份证号前两位"{xx}"不是有效的省级代码。',
    IdKind.LEGACY: "学生身份证号不应为15位旧号码（升级后为 {id18}），请按户口簿核对。",
    IdKind.TRUNCATED: "身份证号末尾为000且校验位错误，疑似被 Excel 截断，请从原始证件重新录入。",
}
ID_HEADER = "身份证号"


@dataclass(frozen=True)
class IdAnalysis:
    """Every row's ID number checked once; the rules read the rows of their kind from it.

    ``matrix`` holds the number's characters, with a 15-digit number upgraded to its 18-digit form
    (19 inserted before the year, check digit appended), so the fields below apply to both.
    """

    kind: npt.NDArray[np.int8]
    legacy_kind: npt.NDArray[np.int8]  # for LEGACY rows: OK, PROVINCE or DATE of the upgraded number
    lengths: Ints
    matrix: CharMatrix
    expected: npt.NDArray[np.uint32]
    # Exact integer keys of the 18-character well-formed numbers (17 digits × 11 + check value), -1 for
    # every other value: duplicates and joins compare these instead of strings.
    keys: Ints

    def text(self, positions: Positions, start: int = 0, stop: int = ID_WIDTH) -> Objects:
        """Characters ``start:stop`` of the (upgraded) numbers at ``positions``, as strings."""
        part = np.ascontiguousarray(self.matrix[positions, start:stop])
        return part.view(f"<U{stop - start}").ravel().astype(object)

    def expected_check(self, positions: Positions) -> Objects:
        return np.array([chr(code) for code in self.expected[positions].tolist()], dtype=object)

    def is_male(self) -> Mask:
        """The 17th digit is odd (GB 11643: odd = 男); meaningful on OK rows only."""
        return np.asarray((self.matrix[:, 16].astype(np.int64) - _ZERO) % 2 == 1, dtype=np.bool_)

    def birth_numbers(self) -> Ints:
        """Birth dates as yyyymmdd integers; meaningful on OK and LEGACY rows only."""
        return (self.matrix[:, 6:14].astype(np.int64) - _ZERO) @ _POWERS_8

    def region_numbers(self) -> Ints:
        """The six-digit address codes as integers; meaningful on OK and LEGACY rows only."""
        return (self.matrix[:, :6].astype(np.int64) - _ZERO) @ _POWERS_6

    def messages(self, positions: Positions, kinds: npt.NDArray[np.int8]) -> Objects:
        """The rules.md message for each position's problem (kinds as in ``ID_MESSAGES``)."""
        texts = np.empty(len(positions), dtype=object)
        fields = {
            "n": self.lengths[positions].tolist(),
            "yyyymmdd": self.text(positions, 6, 14).tolist(),
            "c": self.expected_check(positions).tolist(),
            "xx": self.text(positions, 0, 2).tolist(),
            "id18": self.text(positions).tolist(),
        }
        for index, kind in enumerate(kinds.tolist()):
            values = {name: column[index] for name, column in fields.items()}
            texts[index] = ID_MESSAGES[int(kind)].format(**values)
        return texts


def analyse_ids(
    values: Objects,
    present: Mask,
    today: int,
    *,
    original: CharMatrix | None = None,
    lengths: Ints | None = None,
) -> IdAnalysis:
    """Check ID numbers: ``present`` selects the rows to look at, ``today`` is yyyymmdd.

    ``original`` (the values' (n, 18) code-point matrix) and ``lengths`` save work when the caller
    has them already.
    """
    if lengths is None:
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if original is None:
        original = char_matrix(values, ID_WIDTH)
    # Digits 0–9 as such; any other character wraps around to a value above 9.
    small = (original - _ZERO).astype(np.uint8)
    legacy = present & (lengths == LEGACY_ID_WIDTH) & (small[:, :LEGACY_ID_WIDTH].max(axis=1) <= 9)
    last_ok = (small[:, 17] <= 9) | (original[:, 17] == _X)
    well_formed = (lengths == ID_WIDTH) & (small[:, :17].max(axis=1) <= 9) & last_ok
    shaped = present & well_formed
    matrix = _upgrade_legacy(original, legacy)
    # Arithmetic below runs on every row; rows that are not well formed give garbage that the
    # problem order (kind) never reads.
    digits = (matrix - _ZERO).astype(np.uint8).astype(np.int64)
    expected = _CHECK_CODES[(digits[:, :17] @ ID_WEIGHTS) % 11]
    check_value = np.where(original[:, 17] == _X, 10, digits[:, 17])
    keys = np.where(well_formed, (digits[:, :17] @ _POWERS_17) * 11 + check_value, -1)
    matrix[legacy, 17] = expected[legacy]
    province_ok = _PROVINCE_OK[np.minimum(digits[:, 0] * 10 + digits[:, 1], 99)]
    date_ok = valid_dates(digits[:, 6:14] @ _POWERS_8, today)
    check_ok = matrix[:, 17] == expected
    truncated = (original[:, 15] == _ZERO) & (original[:, 16] == _ZERO) & (original[:, 17] == _ZERO)
    # Assigned from the last problem in reading order to the first, so the first one found stays.
    kind = np.full(len(values), IdKind.OK, dtype=np.int8)
    kind[~check_ok] = IdKind.CHECK
    kind[~check_ok & truncated] = IdKind.TRUNCATED
    kind[~date_ok] = IdKind.DATE
    kind[~province_ok] = IdKind.PROVINCE
    kind[~shaped] = IdKind.FORMAT
    kind[lengths != ID_WIDTH] = IdKind.LENGTH
    kind[legacy] = IdKind.LEGACY
    kind[~present] = IdKind.SKIP
    legacy_kind = np.full(len(values), IdKind.OK, dtype=np.int8)
    legacy_kind[~date_ok] = IdKind.DATE
    legacy_kind[~province_ok] = IdKind.PROVINCE
    legacy_kind[~legacy] = IdKind.SKIP
    return IdAnalysis(kind, legacy_kind, lengths, matrix, expected, keys)


def _upgrade_legacy(original: CharMatrix, legacy: Mask) -> CharMatrix:
    """A copy of ``original`` where 15-digit numbers read as 18: "19" before the year (check digit later)."""
    matrix = original.copy()
    rows = np.flatnonzero(legacy)
    if len(rows):
        matrix[rows, 8:17] = original[rows, 6:15]
        matrix[rows, 6] = ord("1")
        matrix[rows, 7] = ord("9")
    return matrix


def valid_dates(numbers: Ints, today: int) -> Mask:
    """yyyymmdd integers (not negative) that are real dates from 1900 up to ``today`` (also yyyymmdd)."""
    month_day = numbers % 10000
    year = numbers // 10000
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    real = _MONTH_DAY_OK[month_day] & ((month_day != 229) | leap)
    return np.asarray(real & (year >= EARLIEST_BIRTH_YEAR) & (numbers <= today), dtype=np.bool_)


def _month_days() -> Mask:
    """For every mmdd 0000–9999: whether it is a day of some year (0229 included)."""
    table = np.zeros(10000, dtype=np.bool_)
    for month, days in enumerate(_MONTH_DAYS.tolist()[1:], start=1):
        table[month * 100 + 1 : month * 100 + days + 1] = True
    table[229] = True
    return table


_MONTH_DAY_OK = _month_days()


def check_character(first17: str) -> str:
    """The MOD 11-2 check character for 17 digits (one value; the rules use the matrix form)."""
    total = sum(int(d) * int(w) for d, w in zip(first17, ID_WEIGHTS.tolist(), strict=True))
    return CHECK_CHARACTERS[total % 11]


def upgrade_legacy_id(number15: str) -> str:
    """The 18-digit form of a 15-digit ID number: 19 before the year, then the check character."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def region_known(regions: Ints) -> Mask:
    """Six-digit address codes that were in use at any time since 1980 (GB/T 2260)."""
    known = _historical_array()
    at = np.minimum(np.searchsorted(known, regions), len(known) - 1)
    return np.asarray(known[at] == regions, dtype=np.bool_)


@cache
def _historical_array() -> Ints:
    return np.array(sorted(int(code) for code in historical_codes()), dtype=np.int64)


def for_column(message: str, header: str) -> str:
    """An ID message of rules.md (worded for 身份证号) worded for another ID column."""
    if header != ID_HEADER and message.startswith(ID_HEADER):
        return header + message[len(ID_HEADER) :]
    return message
