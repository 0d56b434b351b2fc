"""`zizhu` — the command line of 资助通. Same services as the desktop client; output in Chinese.

Exit codes: 0 ok, 1 problems found in the data, 2 usage or file error (message on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app import __version__
from app.argparse_zh import ChineseArgumentParser
from app.cli_sync import add_sync_parsers
from app.cli_validate import add_validate_parser
from app.logs import setup_logging
from app.models.errors import StoreError
from app.models.paths import DATA_DIR_ENV, LOCAL_ACCOUNT, STORE_FILE, account_dir, user_data_dir
from app.models.period import TERMS, Period, PeriodError, current_period
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from app.models.store import Store

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
ISSUE_LINES_SHOWN = 50

log = logging.getLogger(__name__)


class UsageError(Exception):
    """A wrong argument or an unusable file; the message is for the user."""


# ---------------------------------------------------------------- output layer (the only prints)


def out(text: str = "") -> None:
    print(text)


def err(text: str) -> None:
    print(text, file=sys.stderr)


# ---------------------------------------------------------------- argument parsing in Chinese

_Parser = ChineseArgumentParser


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, help=f"数据文件夹（默认：用户数据文件夹，或环境变量 {DATA_DIR_ENV}）"
    )
    parser.add_argument("--org-code", default=LOCAL_ACCOUNT, help="学校机构码（默认：本机账户 local）")


def _add_period_options(parser: argparse.ArgumentParser) -> None:
    now = current_period()
    parser.add_argument(
        "--school-year", default=now.school_year, help=f"学年，如 2026-2027（默认：{now.school_year}）"
    )
    parser.add_argument("--term", default=now.term, choices=TERMS, help=f"学期（默认：{now.term}）")


def _add_table_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--table", required=True, choices=TABLE_KEYS, help="哪张表：students = 在学状态表，aid = 学生资助表"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zizhu", description="资助通命令行：效验、导入、导出、模板、演示数据与数据位置。")
    parser.add_argument(
        "--version", action="version", version=f"资助通 {__version__}", help="显示版本号并退出"
    )
    commands = parser.add_subparsers(dest="command", title="命令", metavar="命令", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser(
        "import",
        help="把 Excel/WPS 表格或 CSV 文件导入本机数据库",
        description="导入 .xlsx/.xls/.csv/.tsv 文件。",
    )
    p.add_argument("file", type=Path, metavar="文件", help="要导入的文件")
    _add_table_option(p)
    _add_period_options(p)
    p.add_argument("--sheet", help="工作表名称（默认：第一个工作表）")
    p.add_argument("--replace", action="store_true", help="替换本表本期的全部数据（默认：追加在后面）")
    _add_store_options(p)
    p.set_defaults(handler=cmd_import)

    p = commands.add_parser(
        "export", help="把一张表导出为 Excel 文件", description="导出为 .xlsx（身份证号等为文本格式）。"
    )
    _add_table_option(p)
    _add_period_options(p)
    p.add_argument("--out", type=Path, required=True, help="导出的 .xlsx 文件")
    _add_store_options(p)
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser(
        "template", help="下载空白模板", description="写出空白模板：身份证号等为文本格式，代码列带下拉列表。"
    )
    _add_table_option(p)
    p.add_argument("--out", type=Path, required=True, help="模板 .xlsx 文件")
    p.set_defaults(handler=cmd_template)

    p = commands.add_parser(
        "info", help="数据存放位置与各表行数", description="显示数据文件夹，以及每个账户各表各期的行数。"
    )
    _add_store_options(p)
    p.set_defaults(handler=cmd_info, org_code=None)

    p = commands.add_parser(
        "demo",
        help="生成演示数据（两张 Excel 表）",
        description="生成演示用的在学状态表.xlsx 和学生资助表.xlsx。",
    )
    p.add_argument("--out", type=Path, required=True, help="输出文件夹")
    p.add_argument("--students", type=int, default=300, help="学生人数（默认 300）")
    _add_period_options(p)
    p.add_argument("--seed", type=int, default=1, help="随机种子（相同种子生成相同数据）")
    p.set_defaults(handler=cmd_demo)

    add_validate_parser(commands)
    add_sync_parsers(commands)
    return parser


# ---------------------------------------------------------------- commands


def _period(args: argparse.Namespace) -> Period:
    try:
        return Period(args.school_year, args.term)
    except PeriodError as exc:
        raise UsageError(str(exc)) from exc


def _table(args: argparse.Namespace) -> TableKey:
    table: TableKey = args.table
    return table


def _open_store(args: argparse.Namespace) -> Store:
    return Store.for_account(args.org_code, args.data_dir)


def _print_issues(lines: Sequence[str]) -> None:
    for line in lines[:ISSUE_LINES_SHOWN]:
        out(f"  {line}")
    if len(lines) > ISSUE_LINES_SHOWN:
        out(f"  …… 另有 {len(lines) - ISSUE_LINES_SHOWN} 条未列出")


def cmd_import(args: argparse.Namespace) -> int:
    from app.files.reader import FileReadError
    from app.files.transfer import import_into_store

    table, period = _table(args), _period(args)
    title = table_schema(table).title
    try:
        with _open_store(args) as store:
            outcome = import_into_store(
                store, args.file, table, period, sheet=args.sheet, replace=args.replace
            )
    except FileReadError as exc:
        raise UsageError(exc.user_message) from exc
    result = outcome.result
    for problem in result.problems:
        out(f"{'错误' if problem.severity == 'error' else '提示'}：{problem.message}")
    if outcome.refused:
        err(f"文件“{args.file.name}”没有导入，{title}未作任何修改。请按上面的提示修改文件后重试。")
        return EXIT_PROBLEMS
    source = f"“{args.file.name}”（工作表“{result.sheet}”）"
    out(
        f"已从{source}导入 {outcome.inserted} 行到{title}（{period.label}），本表现有 {outcome.rows_now} 行。"
    )
    errors = [i for i in result.issues if i.severity == "error"]
    notices = [i for i in result.issues if i.severity != "error"]
    if errors:
        out(f"发现 {len(errors)} 个错误（已导入，请在表格中改正）：")
        _print_issues([f"第{i.row}行「{i.column}」{i.message}（{i.rule}）" for i in errors])
    if notices:
        out(f"自动规范化 {len(notices)} 处：")
        _print_issues([f"第{i.row}行「{i.column}」{i.message}（{i.rule}）" for i in notices])
    return EXIT_PROBLEMS if errors or any(p.severity == "error" for p in result.problems) else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from app.files.exporter import ExportError
    from app.files.transfer import export_from_store

    table, period = _table(args), _period(args)
    try:
        with _open_store(args) as store:
            count = export_from_store(store, table, period, args.out)
    except ExportError as exc:
        raise UsageError(exc.user_message) from exc
    out(f"已导出{table_schema(table).title}（{period.label}）{count} 行到“{args.out}”。")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from app.files.exporter import ExportError, write_template

    try:
        write_template(args.out, _table(args))
    except ExportError as exc:
        raise UsageError(exc.user_message) from exc
    out(f"已生成{table_schema(_table(args)).title}空白模板“{args.out}”。")
    return EXIT_OK


def _accounts(args: argparse.Namespace) -> list[str]:
    if args.org_code:
        return [args.org_code]
    accounts = (args.data_dir or user_data_dir()) / "accounts"
    if not accounts.is_dir():
        return []
    return sorted(p.name for p in accounts.iterdir() if (p / STORE_FILE).is_file())


def cmd_info(args: argparse.Namespace) -> int:
    data_dir = args.data_dir or user_data_dir()
    out(f"资助通 {__version__}")
    out(f"数据文件夹：{data_dir}")
    accounts = _accounts(args)
    if not accounts:
        out("还没有任何账户的数据。")
        return EXIT_OK
    for org_code in accounts:
        out(f"账户 {org_code}：{account_dir(org_code, data_dir) / STORE_FILE}")
        with Store.for_account(org_code, data_dir) as store:
            counts = store.summary()
        if not counts:
            out("  （没有数据）")
        for count in counts:
            label = Period.from_id(count.period).label
            out(f"  {label}  {table_schema(count.table).title}：{count.rows} 行")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo import write_demo
    from app.files.exporter import ExportError

    if args.students < 1:
        raise UsageError("学生人数至少为 1。")
    try:
        students_path, aid_path = write_demo(args.out, args.students, _period(args), seed=args.seed)
    except ExportError as exc:
        raise UsageError(exc.user_message) from exc
    out(f"已生成演示数据：“{students_path}”和“{aid_path}”。")
    return EXIT_OK


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    with contextlib.suppress(OSError):  # an unwritable log folder must not stop the command
        setup_logging(getattr(args, "data_dir", None))
    try:
        return handler(args)
    except UsageError as exc:
        err(f"错误：{exc}")
        return EXIT_USAGE
    except StoreError as exc:
        err(f"错误：{exc.user_message}")
        return EXIT_USAGE
    except OSError as exc:
        log.exception("file error in %s", args.command)
        err(f"错误：无法读写文件“{exc.filename or ''}”：{exc.strerror or '未知原因'}。")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
