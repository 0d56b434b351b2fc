"""What 效验数据 found, kept current while the user edits: the issues by rule, the cell marks, the counts.

No Qt here: a report of 100,000 issues is turned into these indexes on the worker thread that ran
the engine, so the window only swaps them in. Every later change (an edited row checked again, a
warning ticked 已核对, rows deleted) is a :class:`Change` that the grid and the issues panel apply
incrementally, in O(issues of the row), never by rebuilding.

Cross-row findings (rules of level table/cross/coverage: duplicates, the other table, coverage)
cannot be redone for one edited row; after an edit they are *stale* until the next 效验数据.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from app.models.schema import TABLE_KEYS, table_schema
from app.validation.engine import RULES, Report, issue_order, rule_catalog
from app.validation.registry import Level
from app.validation.report import Issue

K = TypeVar("K")
CellMark = tuple[str, str]  # (severity, tooltip), as app.ui.table_model.CellMark
CellKey = tuple[str, int]  # (row uid, column index)
OPEN_SEVERITIES = frozenset({"error", "warning"})
# The rule id of a reviewer's row comment after 退回重交: listed and walked like an error, but it is
# the reviewer's words, not a finding of 效验数据, so the summary counts it on its own.
REVIEW_RULE = "审核意见"
STALE_NOTE = "需重新效验"
# Levels whose findings an edit in a table makes stale, there and in the other table.
_OWN_TABLE_LEVELS: tuple[Level, ...] = ("table", "cross", "coverage")
_OTHER_TABLE_LEVELS: tuple[Level, ...] = ("cross", "coverage")


@cache
def level_of(rule_id: str) -> Level:
    """The level of a rule ("cell" for an id the catalog does not know)."""
    rule = RULES.get(rule_id)
    return rule.level if rule is not None else "cell"


@cache
def rule_title(rule_id: str) -> str:
    """The rule's short Chinese name ("身份证号校验位"), "" for an unknown id."""
    rule = RULES.get(rule_id)
    return rule.title if rule is not None else ""


@cache
def _catalog_position() -> dict[str, int]:
    return {rule.id: index for index, rule in enumerate(rule_catalog())}


def catalog_position(rule_id: str) -> int:
    """Where the rule stands in rules.md (groups of the issues list follow this order)."""
    positions = _catalog_position()
    return positions.get(rule_id, len(positions))


@cache
def _column_positions(table: str) -> dict[str, int]:
    if table not in TABLE_KEYS:
        return {}
    return {header: index for index, header in enumerate(table_schema(table).headers)}


def column_index(issue: Issue) -> int:
    """The grid column of an issue's cell (0 for a finding about the whole row)."""
    return _column_positions(issue.table).get(issue.column, 0)


def is_open(issue: Issue) -> bool:
    """An error or warning not ticked 已核对: a problem still to be fixed or checked."""
    return issue.severity in OPEN_SEVERITIES and not issue.accepted


def summary_text(errors: int, warnings: int, accepted: int, review_comments: int = 0) -> str:
    """「12 个错误，3 个警告，已核对 1 个，审核意见 2 条」 (the last parts only when there are any)."""
    text = f"{errors:,} 个错误，{warnings:,} 个警告"
    if accepted:
        text += f"，已核对 {accepted:,} 个"
    if review_comments:
        text += f"，审核意见 {review_comments:,} 条"
    return text


@dataclass
class Change:
    """What one update did: issues removed and added, the tables whose marks or problem rows changed."""

    removed: list[Issue] = field(default_factory=list)
    added: list[Issue] = field(default_factory=list)
    marked_tables: set[str] = field(default_factory=set)
    problem_tables: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.removed or self.added)


@dataclass
class _Counts:
    error: int = 0
    warning: int = 0
    notice: int = 0
    accepted: int = 0
    review: int = 0

    def add(self, issue: Issue, step: int) -> None:
        if issue.rule == REVIEW_RULE:
            self.review += step
        elif issue.accepted:
            self.accepted += step
        elif issue.severity == "error":
            self.error += step
        elif issue.severity == "warning":
            self.warning += step
        else:
            self.notice += step


class ValidationResults:
    """The findings of the last 效验数据 (or of the rows checked while typing since)."""

    def __init__(self, *, validated: bool = False) -> None:
        self.validated = validated  # a full 效验数据 made these results
        self.failed_rules: list[str] = []
        self.groups: dict[str, list[Issue]] = {}  # rule id → its issues in table/row/column order
        self.marks: dict[str, dict[CellKey, CellMark]] = {table: {} for table in TABLE_KEYS}
        self.stale: set[tuple[str, Level]] = set()
        self._cells: dict[tuple[str, str, int], list[Issue]] = {}  # (table, uid, column) → issues
        self._rows: dict[tuple[str, str], list[Issue]] = {}  # (table, uid) → every issue of the row
        self._open_rows: dict[str, dict[str, int]] = {table: {} for table in TABLE_KEYS}
        self._counts: dict[str, _Counts] = {table: _Counts() for table in TABLE_KEYS}

    @classmethod
    def from_report(cls, report: Report) -> ValidationResults:
        """The indexes of a full run's report (built where the report was made: a worker thread)."""
        results = cls(validated=True)
        results.failed_rules = list(report.failed_rules)
        groups: dict[str, list[Issue]] = {}
        for issue in report.issues:  # already in table/row/column order
            groups.setdefault(issue.rule, []).append(issue)
            results._index(issue)
        results.groups = {rule: groups[rule] for rule in sorted(groups, key=catalog_position)}
        for table, uid, column in results._cells:
            results._refresh_mark(table, uid, column)
        return results

    # ------------------------------------------------------------ reading

    def __len__(self) -> int:
        return sum(len(issues) for issues in self.groups.values())

    def issues(self) -> list[Issue]:
        """Every issue in table/row/column order (for 导出问题清单)."""
        every = [issue for issues in self.groups.values() for issue in issues]
        every.sort(key=issue_order)
        return every

    def rows_with_issues(self, table: str) -> set[str]:
        """The uids of the rows of ``table`` that have any finding."""
        return {uid for name, uid in self._rows if name == table}

    def row_issues(self, table: str, uid: str) -> list[Issue]:
        """Every issue of one row (a copy)."""
        return list(self._rows.get((table, uid), ()))

    def cell_issues(self, table: str, uid: str, column: int) -> list[Issue]:
        """The issues of one cell (a copy)."""
        return list(self._cells.get((table, uid, column), ()))

    def counts(self, table: str | None = None) -> tuple[int, int, int]:
        """(open errors, open warnings, accepted warnings) of one table or of both.

        The reviewer's row comments are not among them (see :meth:`review_comment_count`).
        """
        parts = self._counts_of(table)
        return (
            sum(c.error for c in parts),
            sum(c.warning for c in parts),
            sum(c.accepted for c in parts),
        )

    def review_comment_count(self, table: str | None = None) -> int:
        """How many of the reviewer's row comments (rule 审核意见) are listed, in one table or both."""
        return sum(c.review for c in self._counts_of(table))

    def _counts_of(self, table: str | None) -> list[_Counts]:
        tables = TABLE_KEYS if table is None else (table,)
        return [self._counts[name] for name in tables if name in self._counts]

    def summary(self, table: str | None = None) -> str:
        """「12 个错误，3 个警告，已核对 1 个，审核意见 2 条」 for one table or both."""
        return summary_text(*self.counts(table), self.review_comment_count(table))

    def problem_uids(self, table: str) -> frozenset[str]:
        """The rows of ``table`` with an open error or warning (只看有问题的行)."""
        return frozenset(self._open_rows.get(table, {}))

    def is_stale(self, issue: Issue) -> bool:
        """Whether an edit since 效验数据 may have made this cross-row finding wrong."""
        level = level_of(issue.rule)
        return level != "cell" and (issue.table, level) in self.stale

    def has_stale(self, table: str | None = None) -> bool:
        """Whether some cross-row findings (of ``table``, or of either) need 效验数据 again."""
        return any(table is None or name == table for name, _level in self.stale)

    # ------------------------------------------------------------ changes

    def mark_edited(self, table: str) -> None:
        """An edit in ``table``: its cross-row findings and the cross-table ones of both are stale."""
        for name in TABLE_KEYS:
            for level in _OWN_TABLE_LEVELS if name == table else _OTHER_TABLE_LEVELS:
                self.stale.add((name, level))

    def replace_row_cells(self, table: str, rows: Iterable[tuple[str, Sequence[Issue]]]) -> Change:
        """New findings of the cell rules for rows (uid, issues) checked again after an edit."""
        change = Change()
        for uid, issues in rows:
            old = [issue for issue in self._rows.get((table, uid), ()) if level_of(issue.rule) == "cell"]
            if _same(old, issues):
                continue
            change.removed.extend(old)
            change.added.extend(issues)
        self._apply(change)
        return change

    def drop_rows(self, table: str, uids: Iterable[str]) -> Change:
        """Forget every finding of rows that were deleted."""
        change = Change()
        for uid in uids:
            change.removed.extend(self._rows.get((table, uid), ()))
        self._apply(change)
        return change

    def set_accepted(self, table: str, uid: str, rules: Sequence[str]) -> Change:
        """The warnings of rule ids ``rules`` on row ``uid`` are ticked 已核对, the others are not."""
        accepted = frozenset(rules)
        change = Change()
        for issue in self._rows.get((table, uid), ()):
            if issue.severity == "warning" and issue.accepted != (issue.rule in accepted):
                change.removed.append(issue)
                change.added.append(dataclasses.replace(issue, accepted=issue.rule in accepted))
        self._apply(change)
        return change

    # ------------------------------------------------------------ bookkeeping

    def _apply(self, change: Change) -> None:
        rows = {(issue.table, issue.row_uid) for issue in (*change.removed, *change.added) if issue.row_uid}
        had_problems = {(table, uid): uid in self._open_rows.get(table, {}) for table, uid in rows}
        cells: set[tuple[str, str, int]] = set()
        for issue in change.removed:
            self._unindex(issue)
            self._remove_from_group(issue)
            if issue.row_uid:
                cells.add((issue.table, issue.row_uid, column_index(issue)))
        new_group = False
        for issue in change.added:
            self._index(issue)
            group = self.groups.get(issue.rule)
            if group is None:
                group = self.groups[issue.rule] = []
                new_group = True
            insort(group, issue, key=issue_order)
            if issue.row_uid:
                cells.add((issue.table, issue.row_uid, column_index(issue)))
        for rule in [rule for rule, issues in self.groups.items() if not issues]:
            del self.groups[rule]
        if new_group:
            self.groups = {rule: self.groups[rule] for rule in sorted(self.groups, key=catalog_position)}
        for table, uid, column in cells:
            self._refresh_mark(table, uid, column)
            change.marked_tables.add(table)
        for (table, uid), had in had_problems.items():
            if had != (uid in self._open_rows.get(table, {})):
                change.problem_tables.add(table)

    def _index(self, issue: Issue) -> None:
        counts = self._counts.get(issue.table)
        if counts is not None:
            counts.add(issue, 1)
        uid = issue.row_uid
        if not uid:
            return
        self._rows.setdefault((issue.table, uid), []).append(issue)
        self._cells.setdefault((issue.table, uid, column_index(issue)), []).append(issue)
        if is_open(issue) and issue.table in self._open_rows:
            rows = self._open_rows[issue.table]
            rows[uid] = rows.get(uid, 0) + 1

    def _unindex(self, issue: Issue) -> None:
        counts = self._counts.get(issue.table)
        if counts is not None:
            counts.add(issue, -1)
        uid = issue.row_uid
        if not uid:
            return
        _discard(self._rows, (issue.table, uid), issue)
        _discard(self._cells, (issue.table, uid, column_index(issue)), issue)
        if is_open(issue) and issue.table in self._open_rows:
            rows = self._open_rows[issue.table]
            left = rows.get(uid, 0) - 1
            if left > 0:
                rows[uid] = left
            else:
                rows.pop(uid, None)

    def _remove_from_group(self, issue: Issue) -> None:
        issues = self.groups.get(issue.rule)
        if not issues:
            return
        position = find_issue(issues, issue)
        if position >= 0:
            del issues[position]

    def _refresh_mark(self, table: str, uid: str, column: int) -> None:
        marks = self.marks.get(table)
        if marks is None:
            return
        open_issues = [issue for issue in self._cells.get((table, uid, column), ()) if is_open(issue)]
        if not open_issues:
            marks.pop((uid, column), None)
            return
        severity = "error" if any(issue.severity == "error" for issue in open_issues) else "warning"
        marks[(uid, column)] = (severity, "\n".join(issue.message for issue in open_issues))


def find_issue(issues: Sequence[Issue], issue: Issue) -> int:
    """The position of ``issue`` (this very object) in a list in issue order; -1 if absent.

    Row numbers of rows checked again may be newer than their neighbours', so the list may be out of
    order around them: the binary search is checked, and a plain search is the fallback.
    """
    key = issue_order(issue)
    position = bisect_left(issues, key, key=issue_order)
    for index in range(position, min(position + 64, len(issues))):
        if issues[index] is issue:
            return index
    for index, candidate in enumerate(issues):
        if candidate is issue:
            return index
    return -1


def _discard(index: dict[K, list[Issue]], key: K, issue: Issue) -> None:
    """Remove this very ``issue`` from ``index[key]`` (and the key once its list is empty)."""
    issues = index.get(key)
    if issues is None:
        return
    for position, candidate in enumerate(issues):
        if candidate is issue:
            del issues[position]
            break
    if not issues:
        del index[key]


def _same(old: Sequence[Issue], new: Sequence[Issue]) -> bool:
    """Whether a row's findings did not change (same rules, cells, messages and 已核对)."""
    if len(old) != len(new):
        return False
    return sorted(map(_identity, old)) == sorted(map(_identity, new))


def _identity(issue: Issue) -> tuple[str, str, str, str, bool, int]:
    return (issue.rule, issue.column, issue.severity, issue.message, issue.accepted, issue.row)
