"""查找 and 替换 over a table's rows, without Qt: which cells match, the next match, the replaced text.

Matching is case-insensitive. Unless 区分全半角 is ticked, full-width and half-width forms match each
other (ＡＢＣ１２３ and ABC123, the ideographic space and a space): both sides are NFKC-normalized.
The cells of a block of rows are matched column by column, a whole column at once.

Hits are (row, column) pairs ordered row by row, left to right, as Excel searches 按行.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.models.row_view import fold_all

MatchMode = Literal["contains", "equals", "starts"]
MATCH_TITLES: Mapping[MatchMode, str] = {"contains": "包含", "equals": "完全一致", "starts": "开头是"}
# Rows matched at a time by find_next: a hit near the current cell is found without matching them all.
CHUNK_ROWS = 4096

Hit = tuple[int, int]  # (row, column)
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Query:
    """What to look for: the text, how it must match, whether full/half width matter, which columns."""

    text: str
    mode: MatchMode = "contains"
    width_sensitive: bool = False  # 区分全半角
    columns: tuple[int, ...] | None = None  # None: every column

    def key(self, text: str) -> str:
        """``text`` as this query compares it."""
        return comparable(text, width_sensitive=self.width_sensitive)


def comparable(text: str, *, width_sensitive: bool = False) -> str:
    """``text`` case folded and, unless ``width_sensitive``, with full-width forms as half-width (NFKC)."""
    return (text if width_sensitive else unicodedata.normalize("NFKC", text)).casefold()


def _comparable_all(texts: Sequence[str], width_sensitive: bool) -> list[str]:
    if width_sensitive:
        return [text.casefold() for text in texts]
    return fold_all(list(texts))


def match_mask(texts: Sequence[str], query: Query) -> BoolArray:
    """Which of ``texts`` match ``query`` (an empty query text matches nothing)."""
    wanted = query.key(query.text)
    if not wanted:
        return np.zeros(len(texts), dtype=np.bool_)
    keys = _comparable_all(texts, query.width_sensitive)
    if query.mode == "equals":
        found = (key == wanted for key in keys)
    elif query.mode == "starts":
        found = (key.startswith(wanted) for key in keys)
    else:
        found = (wanted in key for key in keys)
    return np.fromiter(found, dtype=np.bool_, count=len(keys))


def matches(text: str, query: Query) -> bool:
    """Whether one text matches ``query``."""
    return bool(match_mask([text], query)[0])


def _columns(query: Query, column_count: int) -> tuple[int, ...]:
    if query.columns is None:
        return tuple(range(column_count))
    return tuple(column for column in query.columns if 0 <= column < column_count)


def _texts(
    rows: Sequence[Sequence[str]], column: int, labels: Mapping[int, Mapping[str, str]] | None
) -> list[str]:
    """One column's texts as shown (a stored code with its label: "450102 兴宁区")."""
    shown = labels.get(column) if labels else None
    if shown:
        return [shown.get(row[column], row[column]) for row in rows]
    return [row[column] for row in rows]


def block_hits(
    rows: Sequence[Sequence[str]],
    query: Query,
    column_count: int,
    *,
    first_row: int = 0,
    labels: Mapping[int, Mapping[str, str]] | None = None,
) -> list[Hit]:
    """The hits among ``rows`` (numbered from ``first_row``), row by row, left to right."""
    found_rows: list[npt.NDArray[np.intp]] = []
    found_columns: list[npt.NDArray[np.intp]] = []
    for column in _columns(query, column_count):
        hit_rows = np.flatnonzero(match_mask(_texts(rows, column, labels), query))
        if len(hit_rows):
            found_rows.append(hit_rows)
            found_columns.append(np.full(len(hit_rows), column, dtype=np.intp))
    if not found_rows:
        return []
    all_rows = np.concatenate(found_rows)
    all_columns = np.concatenate(found_columns)
    order = np.lexsort((all_columns, all_rows))
    return list(zip((all_rows[order] + first_row).tolist(), all_columns[order].tolist(), strict=True))


def find_all(
    rows: Sequence[Sequence[str]],
    query: Query,
    column_count: int,
    *,
    labels: Mapping[int, Mapping[str, str]] | None = None,
) -> list[Hit]:
    """Every hit among ``rows``, row by row, left to right (全部查找)."""
    return block_hits(rows, query, column_count, labels=labels)


def _ranges(low: int, high: int, backwards: bool) -> Iterator[tuple[int, int]]:
    """Rows ``low`` to ``high`` (exclusive) as (first, end) ranges of CHUNK_ROWS, in search order."""
    if backwards:
        for end in range(high, low, -CHUNK_ROWS):
            yield max(low, end - CHUNK_ROWS), end
    else:
        for first in range(low, high, CHUNK_ROWS):
            yield first, min(high, first + CHUNK_ROWS)


def find_next(
    rows: Sequence[Sequence[str]],
    query: Query,
    column_count: int,
    after: Hit | None,
    *,
    backwards: bool = False,
    labels: Mapping[int, Mapping[str, str]] | None = None,
) -> Hit | None:
    """The first hit after the cell ``after`` (before it when ``backwards``), wrapping around the rows.

    ``after`` None starts before the first cell (after the last one when backwards). The cell
    ``after`` itself is found again only when it is the only hit.
    """
    count = len(rows)
    if count == 0:
        return None
    if after is None:
        after = (count - 1, column_count) if backwards else (0, -1)
    start = min(max(after[0], 0), count - 1)
    here = after
    phases: list[tuple[int, int, Callable[[Hit], bool]]]
    if backwards:
        phases = [(0, start + 1, lambda hit: hit < here), (start, count, lambda hit: hit >= here)]
    else:
        phases = [(start, count, lambda hit: hit > here), (0, start + 1, lambda hit: hit <= here)]
    for low, high, wanted in phases:  # up to the end, then wrapped around to the start
        for first, end in _ranges(low, high, backwards):
            hits = block_hits(rows[first:end], query, column_count, first_row=first, labels=labels)
            if backwards:
                hits.reverse()
            for hit in hits:
                if wanted(hit):
                    return hit
    return None


def replaced(text: str, query: Query, replacement: str) -> str:
    """``text`` with its match replaced: every occurrence (包含), the whole text (完全一致) or the
    beginning (开头是); ``text`` unchanged when it does not match."""
    if not matches(text, query):
        return text
    if query.mode == "equals":
        return replacement
    spans = _match_spans(text, query)
    if query.mode == "starts":
        spans = spans[:1]
    pieces: list[str] = []
    last = 0
    for begin, end in spans:
        pieces.append(text[last:begin])
        pieces.append(replacement)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _match_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Where the query text occurs in ``text`` (non-overlapping, in original character positions).

    Each character is folded on its own, so a position in the folded text maps back to the
    character it came from even when folding changes lengths (ＡＢ stays 2, ㍻ becomes 2).
    """
    wanted = query.key(query.text)
    folded_parts = [query.key(char) for char in text]
    folded = "".join(folded_parts)
    starts = np.cumsum([0, *(len(part) for part in folded_parts)])
    spans: list[tuple[int, int]] = []
    for found in re.finditer(re.escape(wanted), folded):
        begin = int(np.searchsorted(starts, found.start(), side="right")) - 1
        end = int(np.searchsorted(starts, found.end(), side="left"))
        if query.mode == "starts" and begin != 0:
            break
        if not spans or begin >= spans[-1][1]:
            spans.append((begin, end))
    return spans
