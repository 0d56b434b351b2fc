"""导出问题清单: the findings of 效验数据 as an .xlsx sheet (表, 行, 列, 规则, 问题, 严重程度, 已核对)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from app.files.exporter import SheetColumn, write_rows
from app.models.schema import table_schema
from app.validation.engine import SEVERITY_NAMES
from app.validation.report import Issue

SHEET_TITLE = "问题清单"
ACCEPTED_MARK = "已核对"

ISSUE_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("表", 12),
    SheetColumn("行", 8, "integer"),
    SheetColumn("列", 16),
    SheetColumn("规则", 8),
    SheetColumn("问题", 70),
    SheetColumn("严重程度", 10),
    SheetColumn("已核对", 8),
)


def issue_rows(issues: Sequence[Issue]) -> list[list[object]]:
    """One row per issue, in the order given (see ISSUE_COLUMNS)."""
    titles: dict[str, str] = {}
    rows: list[list[object]] = []
    for issue in issues:
        title = titles.get(issue.table)
        if title is None:
            title = titles[issue.table] = table_schema(issue.table).title
        rows.append(
            [
                title,
                issue.row,
                issue.column,
                issue.rule,
                issue.message,
                SEVERITY_NAMES.get(issue.severity, issue.severity),
                ACCEPTED_MARK if issue.accepted else "",
            ]
        )
    return rows


def export_issues(
    path: Path, issues: Sequence[Issue], *, progress: Callable[[int], None] | None = None
) -> int:
    """Write the issues list to the .xlsx file ``path``; returns the number of issues written.

    Raises app.files.exporter.ExportError (with a Chinese ``user_message``) when it cannot be written.
    """
    return write_rows(path, SHEET_TITLE, ISSUE_COLUMNS, issue_rows(issues), progress=progress)
