"""The rule catalog as data: every rule id of rules.md with its table, columns, severity and message.

A rule's implementation is a function over a whole table (a ``Context``) that returns ``Hits``: the
positions of the failing rows, the column and the message of each. The engine runs the functions;
the catalog also lists the rules that run at import time (N01–N06, X02) so reports can name them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from app.validation.report import Severity

if TYPE_CHECKING:
    from app.validation.context import Context

# import: applied while a value is typed, pasted or imported (normalize.py, damage.py);
# cell: needs one row only (run while typing); table: across the rows of one table;
# cross: 学生资助表 against 在学状态表; coverage: C01 (students without aid).
Level = Literal["import", "cell", "table", "cross", "coverage"]
TableScope = Literal["students", "aid", "*"]
LEVELS: tuple[Level, ...] = ("import", "cell", "table", "cross", "coverage")

Positions = npt.NDArray[np.intp]
Texts = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class Hits:
    """Failures of one rule in one column: row positions (0-based, grid order) and their messages."""

    positions: Positions
    column: str  # column key
    messages: Texts
    severities: Texts | None = None  # per hit, when the rule's severity varies (S22)

    def __len__(self) -> int:
        return len(self.positions)


Check = Callable[["Context", "Rule"], Iterable[Hits]]


@dataclass(frozen=True, eq=False)
class Rule:
    """One entry of the catalog. ``message`` is the rules.md wording with ASCII placeholders."""

    id: str
    table: TableScope
    columns: tuple[str, ...]
    severity: Severity
    level: Level
    title: str  # short Chinese name, for grouping the issues list by rule
    message: str
    check: Check | None = None

    def applies_to(self, table: str) -> bool:
        return self.table in ("*", table)

    def hits(
        self,
        ctx: Context,
        where: npt.NDArray[np.bool_] | Positions,
        column: str,
        *,
        template: str | None = None,
        severity: Severity | None = None,
        **fields: Any,
    ) -> list[Hits]:
        """The rows selected by ``where`` (a mask or positions) as hits with formatted messages.

        A field given as an array of the table's length is read at each hit's row, an array as long
        as the hits gives one value per hit; any other value is the same for every hit.
        ``{column}`` defaults to the column's Chinese header.
        """
        if where.dtype == np.bool_:
            if not np.count_nonzero(where):
                return []
            positions: Positions = where.nonzero()[0]
        else:
            positions = np.asarray(where, dtype=np.intp)
            if not len(positions):
                return []
        fields.setdefault("column", ctx.header(column))
        messages = format_messages(template or self.message, positions, ctx.size, fields)
        severities = None
        if severity is not None and severity != self.severity:
            severities = np.full(len(positions), severity, dtype=object)
        return [Hits(positions, column, messages, severities)]


def format_messages(template: str, positions: Positions, size: int, fields: Mapping[str, Any]) -> Texts:
    """``template`` formatted once per position (see ``Rule.hits`` for the fields)."""
    per_row: dict[str, Any] = {}
    constant: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) in (size, len(positions)):
            # Positions are sorted and unique, so a field as long as the table read at the positions
            # and a field already read at them agree even when every row is a hit.
            per_row[name] = value if len(value) == len(positions) else value[positions]
        else:
            constant[name] = value
    out = np.empty(len(positions), dtype=object)
    if not per_row:
        out[:] = template.format(**constant)
        return out
    names = tuple(per_row)
    columns = [per_row[name].tolist() for name in names]
    for index, values in enumerate(zip(*columns, strict=True)):
        out[index] = template.format(**constant, **dict(zip(names, values, strict=True)))
    return out


_RULES: dict[str, Rule] = {}
RULES: Mapping[str, Rule] = MappingProxyType(_RULES)


def register(rule: Rule) -> Rule:
    if rule.id in _RULES:
        raise ValueError(f"rule {rule.id} registered twice")
    _RULES[rule.id] = rule
    return rule


def rule(
    rule_id: str,
    *,
    table: TableScope,
    columns: tuple[str, ...],
    severity: Severity,
    level: Level,
    title: str,
    message: str,
) -> Callable[[Check], Check]:
    """Decorator: register the decorated function as the implementation of ``rule_id``."""

    def decorate(check: Check) -> Check:
        register(Rule(rule_id, table, columns, severity, level, title, message, check))
        return check

    return decorate


def metadata(
    rule_id: str,
    *,
    table: TableScope,
    columns: tuple[str, ...],
    severity: Severity,
    title: str,
    message: str,
) -> None:
    """Register a rule that is applied elsewhere (normalization and import), for its name and text."""
    register(Rule(rule_id, table, columns, severity, "import", title, message, None))
