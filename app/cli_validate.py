"""`zizhu validate`: check files against the whole rule catalog without touching the local store.

    zizhu validate --students FILE [--aid FILE] --school-year 2026-2027 --term 秋季学期
                   [--policy FILE] [--format json|text]

Files go through the import pipeline (so normalization N01–N06 and the Excel-damage checks X01/X02
are part of the report, with spreadsheet row numbers), then through the validation engine. With
``--format json`` stdout is exactly one JSON object {"summary": {...}, "issues": [...]}; ``text`` is
a Chinese list grouped by rule. Exit code: 0 no error, 1 errors, 2 usage error or unusable file
(message on stderr). This module is the only place besides app/cli.py that writes to the terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.models.period import TERMS, Period, PeriodError
from app.models.policy import Policy, load_policy
from app.models.schema import TableKey, table_schema
from app.validation.report import Issue

if TYPE_CHECKING:
    import pandas as pd

    from app.validation.engine import Report

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
LINES_PER_RULE = 50
FORMATS = ("text", "json")
# Excel damage found while reading a cell: the engine's X01 on the same cell would say it twice.
_IMPORT_DAMAGE = frozenset({"X01", "X02"})


class _UnusableError(Exception):
    """A file or argument that stops the command; the message is for the user."""


@dataclass(frozen=True)
class _Table:
    key: TableKey
    path: Path
    frame: pd.DataFrame
    rows: list[int]
    issues: list[Issue]
    notes: list[str]  # file-level notices of the import (ignored columns …)


def add_validate_parser(commands: argparse._SubParsersAction[Any]) -> argparse.ArgumentParser:
    """Register ``validate`` on the sub-command parsers of ``zizhu`` (the handler is ``args.handler``)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "validate",
        help="按规则检查在学状态表和学生资助表文件（不导入）",
        description="按全部效验规则检查 .xlsx/.xls/.csv/.tsv 文件，列出每个问题。文件不会被导入或修改。",
    )
    parser.add_argument("--students", type=Path, required=True, metavar="文件", help="在学状态表文件")
    parser.add_argument("--aid", type=Path, metavar="文件", help="学生资助表文件（可选）")
    parser.add_argument("--school-year", required=True, metavar="学年", help="学年，如 2026-2027")
    parser.add_argument("--term", required=True, choices=TERMS, metavar="学期", help="秋季学期 或 春季学期")
    parser.add_argument("--policy", type=Path, metavar="文件", help="资助政策文件（默认：随软件提供的政策）")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="输出格式：text（默认，中文列表）或 json"
    )
    parser.set_defaults(handler=cmd_validate)
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    """Run ``zizhu validate``; returns the exit code."""
    try:
        period = _period(args.school_year, args.term)
        policy = _policy(args.policy)
        tables = [_read(args.students, "students")]
        if args.aid is not None:
            tables.append(_read(args.aid, "aid"))
    except _UnusableError as exc:
        _err(f"错误：{exc}")
        return EXIT_USAGE
    report = _validate(tables, period, policy)
    if args.format == "json":
        for table in tables:
            for note in table.notes:
                _err(f"提示：{note}")
        _out(json.dumps(_json(report), ensure_ascii=False))
    else:
        _out("\n".join(_text(report, tables, period)))
    if report.failed_rules:
        failed = "、".join(sorted(set(report.failed_rules)))
        _err(f"错误：部分检查（{failed}）因程序内部错误未能完成，详情见日志文件。结果不完整。")
        return EXIT_ERRORS
    return EXIT_ERRORS if report.summary()["error"] else EXIT_OK


# ---------------------------------------------------------------- inputs


def _period(school_year: str, term: str) -> Period:
    try:
        return Period(school_year, term)
    except PeriodError as exc:
        raise _UnusableError(str(exc)) from exc


def _policy(path: Path | None) -> Policy:
    if path is None:
        return load_policy(None)
    try:
        return load_policy(path)
    except FileNotFoundError as exc:
        raise _UnusableError(f"找不到资助政策文件“{path}”。") from exc
    except OSError as exc:
        raise _UnusableError(f"无法读取资助政策文件“{path}”：{exc.strerror or '未知原因'}。") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _UnusableError(f"资助政策文件“{path.name}”格式错误，不是有效的 TOML 文件。") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise _UnusableError(
            f"资助政策文件“{path.name}”缺少必要内容或内容有误，请对照随软件提供的政策文件检查。"
        ) from exc


def _read(path: Path, table: TableKey) -> _Table:
    import pandas as pd

    from app.files.importer import import_file
    from app.files.reader import FileReadError

    title = table_schema(table).title
    try:
        result = import_file(path, table)
    except FileReadError as exc:
        raise _UnusableError(exc.user_message) from exc
    errors = [p.message for p in result.problems if p.severity == "error"]
    if errors:
        raise _UnusableError(f"{title}文件“{path.name}”无法检查：" + "".join(errors))
    columns = {key: [row[key] for row in result.rows] for key in table_schema(table).keys}
    frame = pd.DataFrame(columns, dtype="str")
    notes = [p.message for p in result.problems if p.severity != "error"]
    return _Table(table, path, frame, list(result.source_rows), list(result.issues), notes)


# ---------------------------------------------------------------- the run


def _validate(tables: list[_Table], period: Period, policy: Policy) -> Report:
    from app.validation.engine import validate

    frames = {table.key: table for table in tables}
    students, aid = frames.get("students"), frames.get("aid")
    report = validate(
        students.frame if students else None,
        aid.frame if aid else None,
        period,
        policy=policy,
        rows={table.key: table.rows for table in tables},
    )
    imported = [issue for table in tables for issue in table.issues]
    damaged = {(i.table, i.row, i.column) for i in imported if i.rule in _IMPORT_DAMAGE}
    report.issues = [
        issue
        for issue in report.issues
        if issue.rule != "X01" or (issue.table, issue.row, issue.column) not in damaged
    ]
    report.extend(imported)
    return report


# ---------------------------------------------------------------- output


def _json(report: Report) -> dict[str, Any]:
    return {"summary": report.summary(), "issues": [issue.as_dict() for issue in report.issues]}


def _text(report: Report, tables: list[_Table], period: Period) -> list[str]:
    from app.validation.engine import RULES, SEVERITY_NAMES

    lines = [f"检查{period.label}：" + "；".join(_table_line(t) for t in tables) + "。"]
    lines += [f"提示：{note}" for table in tables for note in table.notes]
    for rule_id, issues in report.by_rule().items():
        rule = RULES.get(rule_id)
        title = rule.title if rule else rule_id
        kind = SEVERITY_NAMES.get(issues[0].severity, issues[0].severity)
        lines.append("")
        lines.append(f"{rule_id} {title}（{kind}，{len(issues)} 处）")
        for issue in issues[:LINES_PER_RULE]:
            accepted = "（已核对）" if issue.accepted else ""
            where = f"{table_schema(issue.table).title} 第{issue.row}行「{issue.column}」"
            lines.append(f"  {where}：{issue.message}{accepted}")
        if len(issues) > LINES_PER_RULE:
            lines.append(f"  …… 另有 {len(issues) - LINES_PER_RULE} 处未列出（用 --format json 可列出全部）")
    counts = report.summary()
    lines.append("")
    if not report.issues:
        lines.append("没有发现问题。")
    lines.append(
        f"合计：{counts['error']} 个错误，{counts['warning']} 个警告，{counts['notice']} 条自动规范化提示。"
    )
    return lines


def _table_line(table: _Table) -> str:
    return f"{table_schema(table.key).title}“{table.path.name}”{len(table.frame)} 行"


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
