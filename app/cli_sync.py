"""`zizhu login`, `zizhu upload`, `zizhu status`: the sync with the review server from the command line.

    zizhu login  --server URL --org-code CODE (--password PW | --password-stdin) [--new-password NEW]
    zizhu upload --table students|aid --school-year 2026-2027 --term 秋季学期 [--format json]
    zizhu status [--school-year 2026-2027 --term 秋季学期] [--format json]

All take ``[--data-dir DIR]``. They use the same SyncService as the desktop client: ``login`` keeps
the token (OS credential store, or the private fallback file) and remembers the account, so
``upload`` and ``status`` work on the account that logged in last. Exit codes: 0 done, 1 the data
has errors (upload refused, locally or by the server), 2 anything else that stopped the command
(usage, network, server, login). Messages are Chinese; this module prints only through _out/_err.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.models.account import AccountError
from app.models.errors import StoreError
from app.models.paths import DATA_DIR_ENV
from app.models.period import TERMS, Period, PeriodError, current_period
from app.models.schema import TABLE_KEYS, TableKey, table_schema
from app.models.store import Store
from app.sync.errors import RowError, ServerRejectedError, SyncError, ValidationFailedError
from app.sync.settings import SERVER_URL_ENV

if TYPE_CHECKING:
    # requests, urllib3 and keyring load only when a sync command runs (start-up time of `zizhu`).
    from app.sync.client import PeriodStatus, TableStatus
    from app.sync.receipts import Receipt
    from app.sync.service import SyncService
    from app.validation.report import Issue

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_FAILED = 2
FORMATS = ("text", "json")
LINES_SHOWN = 50


def add_sync_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Register ``login``, ``upload`` and ``status`` on ``zizhu``'s sub-commands (``args.handler``)."""
    login = commands.add_parser(
        "login",
        help="联网登录审核服务器（首次登录须修改密码）",
        description="用机构码和密码登录审核服务器；登录凭据保存在系统凭据库中。",
    )
    login.add_argument(
        "--server",
        metavar="URL",
        help=f"审核服务器地址，如 http://127.0.0.1:8765（默认：上次的地址，或 {SERVER_URL_ENV}）",
    )
    login.add_argument("--org-code", required=True, metavar="机构码", help="10位学校标识码")
    secret = login.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password", metavar="密码", help="密码")
    secret.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    login.add_argument("--new-password", metavar="新密码", help="修改为新密码（首次登录必须修改）")
    _add_data_dir(login)
    login.set_defaults(handler=cmd_login)

    upload = commands.add_parser(
        "upload",
        help="把一张表上传到审核服务器",
        description="上传本机的一张表（整表作为新的一版）。效验发现错误时不上传。",
    )
    upload.add_argument(
        "--table", required=True, choices=TABLE_KEYS, help="哪张表：students = 在学状态表，aid = 学生资助表"
    )
    upload.add_argument("--school-year", required=True, metavar="学年", help="学年，如 2026-2027")
    upload.add_argument("--term", required=True, choices=TERMS, metavar="学期", help="秋季学期 或 春季学期")
    _add_format(upload)
    _add_data_dir(upload)
    upload.set_defaults(handler=cmd_upload)

    status = commands.add_parser(
        "status", help="查看审核状态", description="从审核服务器获取两张表的审核状态和审核意见。"
    )
    now = current_period()
    status.add_argument(
        "--school-year", default=now.school_year, metavar="学年", help=f"学年（默认：{now.school_year}）"
    )
    status.add_argument(
        "--term", default=now.term, choices=TERMS, metavar="学期", help=f"学期（默认：{now.term}）"
    )
    _add_format(status)
    _add_data_dir(status)
    status.set_defaults(handler=cmd_status)


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, help=f"数据文件夹（默认：用户数据文件夹，或环境变量 {DATA_DIR_ENV}）"
    )


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text", help="输出格式：text（默认）或 json")


def _service(args: argparse.Namespace) -> SyncService:
    from app.sync.service import SyncService

    return SyncService(args.data_dir)


# ---------------------------------------------------------------- login


def cmd_login(args: argparse.Namespace) -> int:
    """Run ``zizhu login``; returns the exit code."""
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else args.password
    with _service(args) as service:
        try:
            if args.server:
                service.set_server_url(args.server)
            if not service.server_url:
                _err(
                    f"错误：还没有设置审核服务器地址，请用 --server 指定（或设置环境变量 {SERVER_URL_ENV}）。"
                )
                return EXIT_FAILED
            result = service.login(args.org_code, password)
            if not result.online:
                _err(f"离线：{result.offline_reason}")
                _err(
                    f"已用本机保存的密码验证账户 {result.org_code}，"
                    "但没有连上审核服务器，不能上传或查看审核状态。"
                )
                return EXIT_FAILED
            if args.new_password is not None:
                result = service.change_password(password, args.new_password)
                _out("密码已修改。")
            elif result.must_change_password:
                _err("错误：首次登录（或密码被重置后）必须修改密码，请加上 --new-password 新密码 重新运行。")
                return EXIT_FAILED
        except (SyncError, AccountError, StoreError) as exc:
            _err(f"错误：{_message(exc)}")
            return EXIT_FAILED
        school = f"{result.school_name}（{result.org_code}）" if result.school_name else result.org_code
        _out(f"已登录审核服务器 {service.server_url}：{school}。")
    return EXIT_OK


# ---------------------------------------------------------------- upload


def cmd_upload(args: argparse.Namespace) -> int:
    """Run ``zizhu upload``; returns the exit code."""
    try:
        period = Period(args.school_year, args.term)
    except PeriodError as exc:
        _err(f"错误：{exc}")
        return EXIT_FAILED
    table: TableKey = args.table
    with _service(args) as service:
        if not service.org_code:
            _err("错误：本机还没有登录过审核服务器，请先运行 zizhu login。")
            return EXIT_FAILED
        try:
            receipt = service.upload_table(period, table)
        except ValidationFailedError as exc:
            return _refused(args.format, exc.user_message, exc.issues)
        except ServerRejectedError as exc:
            return _refused(
                args.format, exc.user_message, [e.as_issue(table) for e in exc.errors], exc.errors
            )
        except (SyncError, StoreError) as exc:
            _err(f"错误：{_message(exc)}")
            return EXIT_FAILED
    if args.format == "json":
        _out(json.dumps(_receipt_json(receipt), ensure_ascii=False))
    else:
        _out(
            f"已上传{table_schema(table).title}（{period.label}）："
            f"第{receipt.revision}版，{receipt.row_count} 行，"
            f"摘要 {receipt.digest}，上传时间 {receipt.local_time_text}。"
        )
    return EXIT_OK


def _refused(fmt: str, message: str, issues: list[Issue], server: list[RowError] | None = None) -> int:
    _err(f"错误：{message}")
    if fmt == "json":
        found = [e.__dict__ for e in server] if server is not None else [i.as_dict() for i in issues]
        _out(json.dumps({"uploaded": False, "message": message, "errors": found}, ensure_ascii=False))
        return EXIT_ERRORS
    for issue in issues[:LINES_SHOWN]:
        _out(f"  第{issue.row}行「{issue.column}」{issue.message}（{issue.rule}）")
    if len(issues) > LINES_SHOWN:
        _out(f"  …… 另有 {len(issues) - LINES_SHOWN} 个错误未列出（用 --format json 可列出全部）")
    return EXIT_ERRORS


def _receipt_json(receipt: Receipt) -> dict[str, Any]:
    return {
        "uploaded": True,
        "period": receipt.period,
        "table": receipt.table,
        "revision": receipt.revision,
        "row_count": receipt.row_count,
        "digest": receipt.digest,
        "received_at": receipt.received_at,
        "uploaded_at": receipt.uploaded_at.isoformat(),
    }


# ---------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace) -> int:
    """Run ``zizhu status``; returns the exit code."""
    try:
        period = Period(args.school_year, args.term)
    except PeriodError as exc:
        _err(f"错误：{exc}")
        return EXIT_FAILED
    with _service(args) as service:
        if not service.org_code:
            _err("错误：本机还没有登录过审核服务器，请先运行 zizhu login。")
            return EXIT_FAILED
        try:
            status = service.refresh_status(period)
        except (SyncError, StoreError) as exc:
            _err(f"错误：{_message(exc)}")
            if args.format == "text":
                _print_known(service, period)
            return EXIT_FAILED
        if args.format == "json":
            _out(json.dumps(status_json(status), ensure_ascii=False))
        else:
            _out(f"{period.label}审核状态（{service.org_code}）：")
            _print_status(status, _row_numbers(service, period))
    return EXIT_OK


def status_json(status: PeriodStatus) -> dict[str, Any]:
    """``{"students": {"status", "revision", "comment", "row_comments"}, "aid": {…}}``."""
    return {table: _table_json(status.table(table)) for table in TABLE_KEYS}


def _table_json(entry: TableStatus) -> dict[str, Any]:
    return {
        "status": entry.status,
        "revision": entry.revision,
        "comment": entry.comment,
        "row_comments": [
            {"row_uid": c.row_uid, "column": c.column, "message": c.message} for c in entry.row_comments
        ],
    }


def _print_known(service: SyncService, period: Period) -> None:
    try:
        known = service.known_status(period)
    except StoreError:
        return
    if known.tables:
        _out("以下是上次获取的审核状态（可能已过时）：")
        _print_status(known, _row_numbers(service, period))


def _print_status(status: PeriodStatus, rows: dict[str, dict[str, int]]) -> None:
    for table in TABLE_KEYS:
        entry = status.table(table)
        revision = f"（第{entry.revision}版）" if entry.revision else ""
        locked = "，数据已锁定" if entry.locked else ""
        _out(f"  {table_schema(table).title}：{entry.label}{revision}{locked}")
        if entry.comment:
            _out(f"    审核意见：{entry.comment}")
        for comment in entry.row_comments:
            number = rows.get(table, {}).get(comment.row_uid)
            where = f"第{number}行" if number else "（本机已没有该行）"
            column = f"「{_header(table, comment.column)}」" if comment.column else ""
            _out(f"    {where}{column}：{comment.message}")


def _header(table: str, column: str) -> str:
    """The Chinese header of a column key (the server may name a column by key or by header)."""
    keys = table_schema(table).keys
    return table_schema(table).headers[keys.index(column)] if column in keys else column


def _row_numbers(service: SyncService, period: Period) -> dict[str, dict[str, int]]:
    """Grid row numbers by row uid, so a comment names the row the user sees."""
    try:
        with Store.for_account(service.org_code, service.data_dir) as store:
            return {t: {uid: n for n, uid in enumerate(store.load(t, period).uids, 1)} for t in TABLE_KEYS}
    except StoreError:
        return {}


# ---------------------------------------------------------------- output


def _message(exc: Exception) -> str:
    if isinstance(exc, SyncError | StoreError):
        return exc.user_message
    return str(exc)


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
