"""The one shape every check reports in: (table, row_uid, row, column, rule, severity, message)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice")


@dataclass(frozen=True)
class Issue:
    """One finding of a rule about one cell (or one row when ``column`` is empty).

    ``row`` is the 1-based row number the user sees: the grid's row number, or for a file the
    spreadsheet row (header = row 1). ``column`` is the column's Chinese header.
    """

    table: str
    row: int
    column: str
    rule: str
    severity: Severity
    message: str
    row_uid: str | None = None
    # A warning the user ticked 已核对 on this row: still listed, no longer an open problem.
    accepted: bool = False

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }
