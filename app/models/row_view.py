"""Which rows a grid shows and in what order: sorting and filtering of a table's rows, without Qt.

A grid over a large table cannot sort or filter cell by cell (a Qt proxy model takes seconds for
100,000 rows); here a whole column is handled at once with numpy/pandas and the result is a *row
view*: the stored row positions to show, in the order to show them.

- Sorting is stable (rows with equal values keep their stored order), numbers sort by value in a
  numeric column, an enum column sorts in the order of its code list (一年级 before 二年级), other
  text by its string; empty cells come last whether ascending or descending, as in Excel.
- Filters keep the rows whose value is in a chosen set and/or meets a text condition (包含 / 等于 /
  为空); the filters of several columns and an optional set of row uids (只看有问题的行) combine
  with AND.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

ConditionKind = Literal["contains", "equals", "empty"]
CONDITION_TITLES: Mapping[ConditionKind, str] = {"contains": "包含", "equals": "等于", "empty": "为空"}

_SEPARATOR = "\x1f"  # the unit separator: never typed or pasted into a cell

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class TextCondition:
    """包含 / 等于 text (full/half width and letter case ignored), or 为空 (blank)."""

    kind: ConditionKind
    text: str = ""

    def describe(self) -> str:
        """The condition as the user reads it: 「包含 "兴宁"」, 「为空」."""
        title = CONDITION_TITLES[self.kind]
        return title if self.kind == "empty" else f"{title}“{self.text}”"


@dataclass(frozen=True)
class ColumnFilter:
    """What one column must hold for a row to be shown; both parts must hold when both are set."""

    values: frozenset[str] | None = None  # the row's value is one of these (None: any value)
    condition: TextCondition | None = None

    @property
    def active(self) -> bool:
        return self.values is not None or self.condition is not None


@dataclass(frozen=True)
class SortSpec:
    """Sort by ``column``; ``numeric`` sorts numbers by value, ``ranked`` values (a code list) first in
    their listed order."""

    column: int
    descending: bool = False
    numeric: bool = False
    ranked: tuple[str, ...] = ()


def fold(text: str) -> str:
    """``text`` as compared when full/half width and letter case do not matter (NFKC, case folded)."""
    return unicodedata.normalize("NFKC", text).casefold()


def column_array(rows: Sequence[Sequence[str]], column: int) -> ObjectArray:
    """One column of ``rows`` as an object array of str."""
    values = np.empty(len(rows), dtype=object)
    values[:] = [row[column] for row in rows]
    return values


def fold_all(texts: list[str]) -> list[str]:
    """:func:`fold` of each text, in two C calls over the joined texts rather than two calls per text."""
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != max(len(texts) - 1, 0):  # a text holding the separator: one by one
        return [fold(text) for text in texts]
    # NFKC never composes across a control character, and case folding works character by character.
    return fold(joined).split(_SEPARATOR) if texts else []


def _blank(texts: Sequence[str] | ObjectArray) -> BoolArray:
    """Empty or whitespace-only texts."""
    items = texts.tolist() if isinstance(texts, np.ndarray) else texts
    return np.fromiter((not text.strip() for text in items), dtype=np.bool_, count=len(items))


# -- sorting ------------------------------------------------------------------------------------------


def _ranks_of_uniques(uniques: ObjectArray, spec: SortSpec) -> IntArray:
    """Dense ascending rank of each distinct non-empty value (empty strings are handled by the caller)."""
    # np.lexsort's keys go from the least significant to the most: the text, then the position in
    # the code list or the number, and first of all the group (listed or numeric values before text).
    keys: list[npt.NDArray[np.generic]] = [np.asarray(uniques.tolist(), dtype=str)]
    group = np.ones(len(uniques), dtype=np.intp)
    if spec.ranked:
        position = {value: index for index, value in enumerate(spec.ranked)}
        listed = np.fromiter((position.get(text, -1) for text in uniques.tolist()), np.intp, len(uniques))
        group[listed >= 0] = 0
        keys.append(np.where(listed >= 0, listed, 0))
    if spec.numeric:
        numbers = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(dtype=float)
        is_number = ~np.isnan(numbers)
        group[is_number] = 0
        keys.append(np.where(is_number, numbers, 0.0))
    order = np.argsort(keys[0]) if len(keys) == 1 else np.lexsort((*keys, group))
    ranks = np.empty(len(uniques), dtype=np.intp)
    ranks[order] = np.arange(len(uniques), dtype=np.intp)
    return ranks


def sort_ranks(texts: ObjectArray, spec: SortSpec) -> IntArray:
    """A rank per row such that a stable argsort of the ranks is the sorted order (empty cells last)."""
    codes, uniques = pd.factorize(texts)
    uniques = np.asarray(uniques, dtype=object)
    if len(uniques) == 0:
        return np.zeros(len(texts), dtype=np.intp)
    unique_ranks = _ranks_of_uniques(uniques, spec)
    if spec.descending:
        unique_ranks = unique_ranks.max() - unique_ranks
    empty = _blank(uniques)
    unique_ranks[empty] = len(uniques)  # after every value, ascending or descending
    return np.asarray(unique_ranks[codes], dtype=np.intp)


def sort_order(texts: ObjectArray, spec: SortSpec) -> IntArray:
    """The row positions of ``texts`` in sorted order (stable: equal values keep their order)."""
    return np.argsort(sort_ranks(texts, spec), kind="stable")


# -- filtering ----------------------------------------------------------------------------------------


def condition_mask(texts: Sequence[str], condition: TextCondition) -> BoolArray:
    """Rows whose text meets ``condition`` (包含/等于 ignore full/half width and letter case)."""
    if condition.kind == "empty":
        return _blank(texts)
    wanted = fold(condition.text)
    folded = fold_all(list(texts))
    if condition.kind == "equals":
        found = (text == wanted for text in folded)
    else:
        found = (wanted in text for text in folded)
    return np.fromiter(found, dtype=np.bool_, count=len(folded))


def filter_mask(texts: Sequence[str], column_filter: ColumnFilter) -> BoolArray:
    """Rows whose text passes ``column_filter``."""
    mask = np.ones(len(texts), dtype=np.bool_)
    if column_filter.values is not None:
        mask &= _isin(texts, column_filter.values)
    if column_filter.condition is not None:
        mask &= condition_mask(texts, column_filter.condition)
    return mask


def _isin(texts: Sequence[str], wanted: Iterable[str]) -> BoolArray:
    """Which texts are in ``wanted`` (a hash lookup per text, in C)."""
    return pd.Series(texts, dtype=object).isin(wanted).to_numpy(dtype=np.bool_)


def rows_shown(
    rows: Sequence[Sequence[str]],
    uids: Sequence[str],
    filters: Mapping[int, ColumnFilter],
    only_uids: Iterable[str] | None = None,
) -> BoolArray | None:
    """Which rows pass every column filter and, if given, have a uid in ``only_uids``; None: all do."""
    mask: BoolArray | None = None
    for column, column_filter in filters.items():
        if not column_filter.active:
            continue
        passed = filter_mask([row[column] for row in rows], column_filter)
        mask = passed if mask is None else mask & passed
    if only_uids is not None:
        passed = _isin(uids if isinstance(uids, list) else list(uids), only_uids)
        mask = passed if mask is None else mask & passed
    return mask


def view_order(
    rows: Sequence[Sequence[str]],
    uids: Sequence[str],
    *,
    order: IntArray | None = None,
    filters: Mapping[int, ColumnFilter] | None = None,
    only_uids: Iterable[str] | None = None,
) -> list[int]:
    """The stored positions of the rows to show, in the order to show them.

    ``order`` is the sorted order of all rows (:func:`sort_order`), None for the stored order.
    """
    mask = rows_shown(rows, uids, filters or {}, only_uids)
    if order is None:
        if mask is None:
            return list(range(len(rows)))
        return np.flatnonzero(mask).tolist()
    if mask is not None:
        order = order[mask[order]]
    return order.tolist()  # type: ignore[no-any-return]


def placement_ranks(count: int, order: IntArray | None) -> IntArray:
    """Where each of ``count`` stored rows belongs in the view: its rank in the sorted ``order``, else its
    stored position. Rows that come back into a view (undoing a delete) are placed by this rank."""
    if order is None:
        return np.arange(count, dtype=np.intp)
    ranks = np.empty(count, dtype=np.intp)
    ranks[order] = np.arange(count, dtype=np.intp)
    return ranks


# -- the filter popup's checklist -----------------------------------------------------------------------


def value_counts(texts: ObjectArray, spec: SortSpec | None = None) -> list[tuple[str, int]]:
    """Each distinct value with how many rows hold it, in sort order (empty last)."""
    counts = pd.Series(texts, dtype=object).value_counts(sort=False)
    values = np.asarray(counts.index.tolist(), dtype=object)
    if len(values) == 0:
        return []
    order = np.argsort(sort_ranks(values, spec or SortSpec(0)), kind="stable")
    numbers = counts.to_numpy()
    return [(str(values[i]), int(numbers[i])) for i in order.tolist()]
