"""The validation engine: runs the rule catalog over the tables of a period and reports every finding.

``validate`` is the full run (效验数据, the server, ``zizhu validate``); ``check_row`` runs the cell
rules on one edited row while the user types. Both use the same registered rules: there is no second
copy of any check. A rule that raises is logged and skipped; the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

# The rule modules register their rules on import.
import app.validation.rules_aid
import app.validation.rules_common
import app.validation.rules_cross
import app.validation.rules_students  # noqa: F401
from app.models.period import Period
from app.models.policy import Policy, default_policy
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from app.validation.context import Context, Environment
from app.validation.registry import RULES, Hits, Level, Rule
from app.validation.report import SEVERITIES, Issue

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RULES", "SEVERITY_NAMES", "Report", "Rule", "check_row", "rule_catalog", "validate"]

log = logging.getLogger(__name__)

CELL_LEVELS: frozenset[Level] = frozenset({"cell"})
FULL_LEVELS: frozenset[Level] = frozenset({"cell", "table", "cross", "coverage"})
_TABLE_ORDER: dict[str, int] = {table: index for index, table in enumerate(TABLE_KEYS)}
_FAMILY_ORDER = {family: index for index, family in enumerate("NXSAC")}


def rule_catalog() -> list[Rule]:
    """Every rule in the order of rules.md: N, X, S, A, C, by number."""
    return [RULES[rule_id] for rule_id in _catalog_order(tuple(RULES))]


@cache
def _catalog_order(rule_ids: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(rule_ids, key=lambda rule_id: (_FAMILY_ORDER.get(rule_id[0], 9), rule_id)))


@dataclass
class Report:
    """Every finding of a run. Accepted warnings are listed but do not count as open problems."""

    issues: list[Issue] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)  # rules that raised (details in the log)

    def summary(self) -> dict[str, int]:
        """Open findings per severity: {"error": n, "warning": n, "notice": n}."""
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for issue in self.issues:
            if not issue.accepted:
                counts[issue.severity] += 1
        return counts

    @property
    def error_count(self) -> int:
        return self.summary()["error"]

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues)

    @property
    def accepted_count(self) -> int:
        return sum(1 for issue in self.issues if issue.accepted)

    def open_issues(self) -> list[Issue]:
        return [issue for issue in self.issues if not issue.accepted]

    def by_rule(self) -> dict[str, list[Issue]]:
        """The issues grouped by rule id, groups in catalog order."""
        order = {r.id: index for index, r in enumerate(rule_catalog())}
        groups: dict[str, list[Issue]] = {}
        for issue in sorted(self.issues, key=lambda i: order.get(i.rule, len(order))):
            groups.setdefault(issue.rule, []).append(issue)
        return groups

    def extend(self, issues: Iterable[Issue]) -> None:
        """Add findings made elsewhere (the import's N/X findings) and keep the report ordered."""
        self.issues.extend(issues)
        self.issues.sort(key=issue_order)

    def to_frame(self) -> pd.DataFrame:
        """The issues as a table: table, row_uid, row, column, rule, severity, message, accepted."""
        import pandas as pd

        columns = ["table", "row_uid", "row", "column", "rule", "severity", "message", "accepted"]
        return pd.DataFrame([[getattr(i, c) for c in columns] for i in self.issues], columns=columns)


def issue_order(issue: Issue) -> tuple[int, int, int, str]:
    """Tables in order, then rows, then columns left to right, then rule ids."""
    column = _header_positions(issue.table).get(issue.column, len(_header_positions(issue.table)))
    return _TABLE_ORDER.get(issue.table, len(_TABLE_ORDER)), issue.row, column, issue.rule


@cache
def _header_positions(table: str) -> dict[str, int]:
    if table not in _TABLE_ORDER:
        return {}
    return {header: index for index, header in enumerate(table_schema(table).headers)}


def validate(
    students: pd.DataFrame | None,
    aid: pd.DataFrame | None,
    period: Period,
    *,
    policy: Policy | None = None,
    today: date | None = None,
    rows: Mapping[str, Sequence[int]] | None = None,
    first_row: int = 1,
    rules: Collection[str] | None = None,
) -> Report:
    """Run the rules over the period's tables (either may be None) and report every finding.

    Frames hold the schema's column keys as strings ("" = empty), optionally ``row_uid`` and
    ``accepted_warnings`` (rule ids, comma-separated or a tuple). Row numbers in the report are
    ``first_row`` + position (grid: 1; a file: 2), or ``rows[table]`` per row (a file's spreadsheet
    rows). ``rules`` restricts the run to those rule ids. Cross-table rules and C01 run only when
    both tables are given.
    """
    env = Environment(period, policy or default_policy(), today or date.today())
    contexts: dict[str, Context] = {}
    frames: tuple[tuple[TableKey, pd.DataFrame | None], ...] = (("students", students), ("aid", aid))
    for table, frame in frames:
        if frame is not None:
            numbers = rows.get(table) if rows else None
            contexts[table] = Context.from_frame(table, frame, env, rows=numbers, first_row=first_row)
    if "students" in contexts and "aid" in contexts:
        contexts["students"].other = contexts["aid"]
        contexts["aid"].other = contexts["students"]
    return _run(contexts.values(), FULL_LEVELS, rules)


def check_row(
    table: TableKey,
    values: Mapping[str, object],
    period: Period,
    *,
    policy: Policy | None = None,
    today: date | None = None,
    row: int = 1,
    row_uid: str | None = None,
) -> list[Issue]:
    """The findings of the cell rules (no other rows needed) on one row, e.g. right after an edit.

    ``values`` maps column keys to texts (missing keys count as empty) and may hold
    ``accepted_warnings``. ``row`` is the row number to report.
    """
    env = Environment(period, policy or default_policy(), today or date.today())
    context = Context.from_row(table, values, env, row=row, row_uid=row_uid)
    return _run((context,), CELL_LEVELS, None).issues


def _run(contexts: Iterable[Context], levels: frozenset[Level], only: Collection[str] | None) -> Report:
    report = Report()
    for context in contexts:
        for rule in _rules_for(context.table, levels):
            if not _should_run(rule, context, levels, only):
                continue
            try:
                found = list(_checked(rule, context))
            except Exception:
                log.exception("rule %s failed on table %s", rule.id, context.table)
                report.failed_rules.append(rule.id)
                continue
            report.issues.extend(_issues(rule, context, found))
    report.issues.sort(key=issue_order)
    return report


@cache
def _rule_ids_for(table: str, levels: frozenset[Level]) -> tuple[str, ...]:
    """Ids of the catalog's rules with a check for ``table`` at ``levels``, in catalog order."""
    return tuple(
        rule.id
        for rule in rule_catalog()
        if rule.check is not None and rule.level in levels and rule.applies_to(table)
    )


def _rules_for(table: str, levels: frozenset[Level]) -> list[Rule]:
    # Ids are cached, not Rule objects, so a rule replaced in the registry is the one that runs.
    return [RULES[rule_id] for rule_id in _rule_ids_for(table, levels)]


def _should_run(rule: Rule, context: Context, levels: frozenset[Level], only: Collection[str] | None) -> bool:
    if rule.check is None or rule.level not in levels or not rule.applies_to(context.table):
        return False
    if only is not None and rule.id not in only:
        return False
    return rule.level not in ("cross", "coverage") or context.other is not None


def _checked(rule: Rule, context: Context) -> Iterable[Hits]:
    assert rule.check is not None
    return rule.check(context, rule)


def _issues(rule: Rule, context: Context, found: list[Hits]) -> list[Issue]:
    issues: list[Issue] = []
    for hits in found:
        if not len(hits):
            continue
        header = context.header(hits.column)
        rows = context.rows[hits.positions].tolist()
        uids = context.uids[hits.positions].tolist() if context.uids is not None else [None] * len(hits)
        severities: list[Any] = (
            hits.severities.tolist() if hits.severities is not None else [rule.severity] * len(hits)
        )
        for position, row, raw_uid, severity, message in zip(
            hits.positions.tolist(), rows, uids, severities, hits.messages.tolist(), strict=True
        ):
            accepted = severity == "warning" and rule.id in _accepted(context, position)
            uid = raw_uid if isinstance(raw_uid, str) and raw_uid else None
            issues.append(Issue(context.table, row, header, rule.id, severity, message, uid, accepted))
    return issues


def _accepted(context: Context, position: int) -> frozenset[str]:
    if context.accepted is None:
        return frozenset()
    value = context.accepted[position]
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return frozenset(str(part) for part in value)
    return frozenset()


SEVERITY_NAMES: dict[str, str] = {"error": "错误", "warning": "警告", "notice": "提示"}
