"""One table as the rules see it: columns as numpy arrays, with cached derived views.

Rules never loop over rows. They combine whole-column views that are computed once per run and
shared by every rule that needs them: the empty/damaged masks, string lengths, a fixed-width matrix
of code points (so a fixed format such as an 18-digit ID is checked with numpy comparisons), and the
factorized codes of a column (so a check on an enum or on a few columns together is evaluated once
per distinct value, then spread back to the rows).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from app.models.period import Period
from app.models.policy import Policy
from app.models.schema import Column, TableKey, TableSchema, table_schema
from app.validation.arrays import (
    CharMatrix,
    Ints,
    Mask,
    Objects,
    char_matrix,
    first_positions,
    object_array,
)
from app.validation.damage import is_scientific
from app.validation.idnumbers import ID_WIDTH, IdAnalysis, analyse_ids

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

ACCEPTED_COLUMN = "accepted_warnings"
UID_COLUMN = "row_uid"
# Widest fixed-format value a damage-checked column may hold (学籍号 and 账号 have 19 characters).
DEFAULT_CODE_WIDTH = 19
# Up to this many rows (one edited row) a direct test of each value is cheaper than a matrix.
SMALL_TABLE = 8
# Column types with few distinct values: factorized once, every check runs on the distinct values.
_CODED_TYPES = frozenset({"enum", "region", "decimal", "date", "school_year"})


@dataclass(frozen=True)
class Environment:
    """What the rules are checked against: the period being filled, the policy and today's date."""

    period: Period
    policy: Policy
    today: date

    @property
    def today_number(self) -> int:
        """Today as the integer yyyymmdd, comparable with the birth dates of ID numbers."""
        return self.today.year * 10000 + self.today.month * 100 + self.today.day


class Context:
    """The rows of one table for one validation run (or one row while typing)."""

    def __init__(  # noqa: PLR0917 (built by from_frame/from_row)
        self,
        table: TableKey,
        columns: Mapping[str, Objects],
        env: Environment,
        rows: Ints,
        uids: Objects | None = None,
        accepted: Objects | None = None,
    ) -> None:
        self.table = table
        self.schema: TableSchema = table_schema(table)
        self._keys = frozenset(self.schema.keys)
        self.env = env
        self.size = len(rows)
        self.rows = rows
        self.uids = uids
        self.accepted = accepted
        self.other: Context | None = None  # the other table of the period, for cross-table rules
        self._columns = dict(columns)
        self._ready: set[str] = set()
        self._cache: dict[tuple[Any, ...], Any] = {}

    # ------------------------------------------------------------ construction

    @classmethod
    def from_frame(
        cls,
        table: TableKey,
        frame: pd.DataFrame,
        env: Environment,
        *,
        rows: Sequence[int] | None = None,
        first_row: int = 1,
    ) -> Context:
        """A context over ``frame`` (columns = schema keys holding strings, "" = empty)."""
        size = len(frame)
        columns = {key: _column_values(frame[key]) for key in table_schema(table).keys if key in frame}
        numbers = _row_numbers(size, rows, first_row)
        uids = _column_values(frame[UID_COLUMN]) if UID_COLUMN in frame else None
        accepted = frame[ACCEPTED_COLUMN].to_numpy(dtype=object) if ACCEPTED_COLUMN in frame else None
        return cls(table, columns, env, numbers, uids, accepted)

    @classmethod
    def from_row(
        cls, table: TableKey, values: Mapping[str, object], env: Environment, *, row: int, row_uid: str | None
    ) -> Context:
        """A context over one row (a mapping of column key → text), for the checks while typing."""
        columns = {
            key: object_array([_text(values[key])]) for key in table_schema(table).keys if key in values
        }
        accepted = None
        if ACCEPTED_COLUMN in values:
            accepted = np.empty(1, dtype=object)
            accepted[0] = values[ACCEPTED_COLUMN]
        uids = object_array([row_uid]) if row_uid is not None else None
        return cls(table, columns, env, np.array([row], dtype=np.int64), uids, accepted)

    # ------------------------------------------------------------ environment

    @property
    def period(self) -> Period:
        return self.env.period

    @property
    def policy(self) -> Policy:
        return self.env.policy

    def column(self, key: str) -> Column:
        return self.schema.column(key)

    def has_column(self, key: str) -> bool:
        """Whether the table's schema has column ``key``."""
        return key in self._keys

    def header(self, key: str) -> str:
        return self.schema.column(key).header if key else ""

    # ------------------------------------------------------------ cached column views

    def memo(self, key: tuple[Any, ...], factory: Callable[[], T]) -> T:
        """``factory()`` computed once per context under ``key`` (analyses shared by several rules)."""
        if key not in self._cache:
            self._cache[key] = factory()
        value: T = self._cache[key]
        return value

    def values(self, key: str) -> Objects:
        """The column's texts ("" for every row when the table has no such column)."""
        if key not in self._ready:
            self._prepare(key)
        return self._columns[key]

    def empty(self, key: str) -> Mask:
        return self.memo(("empty", key), lambda: self._empty(key))

    def damaged(self, key: str) -> Mask:
        """Values that Excel turned into scientific notation (X01); other rules leave them alone."""
        return self.memo(("damaged", key), lambda: self._damaged(key))

    def present(self, key: str) -> Mask:
        """Filled and not damaged: the values a content rule looks at."""
        return self.memo(("present", key), lambda: ~self.empty(key) & ~self.damaged(key))

    def lengths(self, key: str) -> Ints:
        """The number of characters of every value."""

        def from_codes() -> Ints:
            codes, uniques = self.factorized(key)
            return _lengths(uniques)[codes]

        self.values(key)  # a text column's lengths are made while preparing it
        return self.memo(("len", key), from_codes)

    def chars(self, key: str, width: int) -> CharMatrix:
        return self.memo(("chars", key, width), lambda: char_matrix(self.values(key), width))

    def factorized(self, key: str) -> tuple[Ints, Objects]:
        """(codes, distinct values) of the column: codes[i] is the index of row i's value."""
        if self._is_id(key):
            return self.memo(("codes", key), lambda: self._factorize_ids(key))
        self.values(key)  # a coded column's codes are made while preparing it
        return self.memo(("codes", key), lambda: _factorize(self.values(key)))

    def ids(self, key: str) -> IdAnalysis:
        """The ID numbers of column ``key`` checked once per run (S03–S09, S22, A02, X03 read it)."""
        return self.memo(
            ("ids", key),
            lambda: analyse_ids(
                self.values(key),
                self.present(key),
                self.env.today_number,
                original=self.chars(key, ID_WIDTH),
                lengths=self.lengths(key),
            ),
        )

    def id_keys(self, key: str) -> Ints:
        """ID numbers as exact integers; -1 where not 18 well-formed characters.

        Comparing and hashing integers is many times faster than strings: duplicates and the join of
        the two tables go through these keys.
        """
        return self.ids(key).keys

    def member(self, key: str, allowed: Collection[str]) -> Mask:
        """Rows whose value is one of ``allowed`` (decided once per distinct value)."""
        codes, uniques = self.factorized(key)
        allowed_set = frozenset(allowed)
        known = np.fromiter((value in allowed_set for value in uniques), dtype=np.bool_, count=len(uniques))
        return known[codes]

    def group_codes(self, keys: tuple[str, ...]) -> Ints:
        """Per row, a code of its combination of ``keys`` (equal codes = equal values in all keys)."""
        return self.memo(("groups", keys), lambda: self._group_codes(keys))

    def distinct(self, keys: tuple[str, ...]) -> tuple[Ints, list[tuple[str, ...]]]:
        """Codes of the combinations of ``keys`` per row, and each combination's values."""

        def compute() -> tuple[Ints, list[tuple[str, ...]]]:
            codes = self.group_codes(keys)
            first = first_positions(codes)
            columns = [self.values(key)[first].tolist() for key in keys]
            return codes, list(zip(*columns, strict=True))

        return self.memo(("distinct", keys), compute)

    def per_distinct(self, keys: tuple[str, ...], function: Callable[..., T], dtype: Any = object) -> Any:
        """``function(*values)`` evaluated once per distinct combination of ``keys``, spread to rows."""
        codes, combos = self.distinct(keys)
        results = np.empty(len(combos), dtype=dtype)
        for index, combo in enumerate(combos):
            results[index] = function(*combo)
        return results[codes]

    # ------------------------------------------------------------ helpers

    def _coded(self, key: str) -> bool:
        """Columns of few distinct values are read by factorizing them, the others by their lengths."""
        return key in self._keys and self.column(key).type in _CODED_TYPES

    def _prepare(self, key: str) -> None:
        """Make a column's first view in one pass, which also finds values that are not strings.

        Each column is read once as Python objects: factorized (enum-like columns) or measured
        (free text and codes). A missing value (None, NaN) or a number left by a careless caller
        shows up in that pass and the column is then turned into strings ("" for missing).
        """
        raw = self._columns.get(key)
        if raw is None:
            raw = object_array([""] * self.size)
        if self._coded(key):
            codes, uniques = _factorize(raw)
            if np.count_nonzero(codes < 0) or not all(isinstance(value, str) for value in uniques):
                raw = object_array([_text(value) for value in raw])
                codes, uniques = _factorize(raw)
            self._cache[("codes", key)] = (codes, uniques)
        else:
            try:
                lengths = _lengths(raw)
            except TypeError:
                raw = object_array([_text(value) for value in raw])
                lengths = _lengths(raw)
            self._cache[("len", key)] = lengths
        self._columns[key] = raw
        self._ready.add(key)

    def _empty(self, key: str) -> Mask:
        values = self.values(key)
        if self.size <= SMALL_TABLE:
            return np.asarray(values == "", dtype=np.bool_)
        if ("len", key) in self._cache:
            return np.asarray(self._cache[("len", key)] == 0, dtype=np.bool_)
        codes, uniques = self.factorized(key)
        blank = np.flatnonzero(uniques == "")
        return codes == blank[0] if len(blank) else np.zeros(self.size, dtype=np.bool_)

    def _damaged(self, key: str) -> Mask:
        if key not in self._keys or not self.column(key).damage_check:
            return np.zeros(self.size, dtype=np.bool_)
        if self.size <= SMALL_TABLE:
            candidates = np.flatnonzero(~self.empty(key))
        else:
            width = self.column(key).max_length or DEFAULT_CODE_WIDTH
            matrix = self.chars(key, width)
            # Scientific notation has an E within its first 18 characters (Excel shows 15 digits at
            # most); only such values, and values too long for the matrix, need the exact test.
            exponent = ((matrix == ord("E")) | (matrix == ord("e"))).any(axis=1)
            candidates = np.flatnonzero(exponent | (self.lengths(key) > width))
        damaged = np.zeros(self.size, dtype=np.bool_)
        values = self.values(key)
        for position in candidates.tolist():
            damaged[position] = is_scientific(values[position])
        return damaged

    def _is_id(self, key: str) -> bool:
        return key in self._keys and self.column(key).type in ("id18", "id")

    def _factorize_ids(self, key: str) -> tuple[Ints, Objects]:
        import pandas as pd

        keys = self.id_keys(key)
        codes = np.empty(self.size, dtype=np.int64)
        numeric = keys >= 0
        found, uniques = pd.factorize(keys[numeric])
        codes[numeric] = found
        if not numeric.all():
            others, _ = pd.factorize(self.values(key)[~numeric])
            codes[~numeric] = others + len(uniques)
        return codes, self.values(key)[first_positions(codes)]

    def _group_codes(self, keys: tuple[str, ...]) -> Ints:
        import pandas as pd

        codes, _ = self.factorized(keys[0])
        if self.size <= 1:
            return codes
        for key in keys[1:]:
            more, uniques = self.factorized(key)
            # Dense codes stay below the row count, so the product never overflows.
            dense, _unused = pd.factorize(codes * max(len(uniques), 1) + more)
            codes = dense.astype(np.int64, copy=False)
        return codes


def _lengths(values: Objects) -> Ints:
    return np.fromiter(map(len, values), dtype=np.int64, count=len(values))


def _factorize(values: Objects) -> tuple[Ints, Objects]:
    if len(values) <= 1:
        missing = len(values) == 1 and not isinstance(values[0], str)
        return np.full(len(values), -1 if missing else 0, dtype=np.int64), values.copy()
    import pandas as pd

    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def _text(value: object) -> str:
    """A cell as text: missing values (None, NaN, pd.NA) are empty."""
    if isinstance(value, str):
        return value
    try:
        missing = value is None or bool(value != value)  # noqa: PLR0124 (only NaN is unequal to itself)
    except TypeError:  # pd.NA refuses to be a bool
        missing = True
    return "" if missing else str(value)


def _column_values(series: pd.Series[Any]) -> Objects:
    """The column as an object array, without a copy; missing values are dealt with when it is read."""
    values: Objects = series.to_numpy(dtype=object)
    return values


def _row_numbers(size: int, rows: Sequence[int] | None, first_row: int) -> Ints:
    if rows is None:
        return np.arange(first_row, first_row + size, dtype=np.int64)
    numbers = np.asarray(rows, dtype=np.int64)
    if len(numbers) != size:
        raise ValueError(f"{len(numbers)} row numbers for {size} rows")
    return numbers
