"""`zizhu-server` — the review server's command line (the contract of issue 7; operators rely on it).

    zizhu-server init            --data-dir DIR            # create/upgrade the database; idempotent
    zizhu-server create-school   --data-dir DIR --org-code 2145000001 --name 某某小学 --region 450102
    zizhu-server import-schools  --data-dir DIR FILE.csv    # 机构码,学校名称,区划代码
    zizhu-server create-reviewer --data-dir DIR --username NAME --password PW --scope 4501[,4502…]
    zizhu-server create-admin    --data-dir DIR --username NAME --password PW
    zizhu-server reset-password  --data-dir DIR (--org-code CODE | --username NAME)
    zizhu-server purge-keys      --data-dir DIR [--older-than-days 180]   # old upload keys (≥ 180 days)
    zizhu-server run             --data-dir DIR --host 127.0.0.1 --port 8765 [--workers N]

``DATABASE_URL`` (when set) overrides the SQLite file in DIR. Exit codes: 0 done, 1 refused (the
message says why), 2 wrong usage. This module is the only one of the server that prints.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy.exc import OperationalError

from app.argparse_zh import ChineseArgumentParser
from server.db import Database, DatabaseNotReadyError
from server.errors import ServiceError
from server.settings import Settings, SettingsError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

log = logging.getLogger(__name__)


def out(text: str) -> None:
    print(text)


def err(text: str) -> None:
    print(text, file=sys.stderr)


# ---------------------------------------------------------------- argument parsing in Chinese

_Parser = ChineseArgumentParser


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为1至65535之间的整数，而不是“{text}”")
    return int(text)


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 36500:
        raise argparse.ArgumentTypeError(f"天数应为正整数，而不是“{text}”")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"进程数应为1至64之间的整数，而不是“{text}”")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zizhu-server", description="资助通审核服务器：建库、账号管理与启动服务。")
    commands = parser.add_subparsers(dest="command", title="命令", metavar="命令", parser_class=_Parser)
    commands.required = True

    def command(
        name: str, help_text: str, handler: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--data-dir",
            type=Path,
            required=True,
            metavar="DIR",
            help="数据文件夹（设置了 DATABASE_URL 时数据库以它为准）",
        )
        sub.set_defaults(handler=handler)
        return sub

    command("init", "创建数据库或升级到最新版本（可重复运行）", cmd_init)
    school = command("create-school", "新建学校账号（初始密码 aabbcc，首次登录须修改）", cmd_create_school)
    school.add_argument("--org-code", required=True, help="10位学校标识码（机构码）")
    school.add_argument("--name", required=True, help="学校名称")
    school.add_argument("--region", required=True, help="学校所在县（区）的6位区划代码，如 450102")
    schools = command(
        "import-schools", "从 CSV 文件批量新建或更新学校（机构码,学校名称,区划代码）", cmd_import_schools
    )
    schools.add_argument("file", type=Path, metavar="FILE.csv", help="学校名单 CSV 文件")
    reviewer = command("create-reviewer", "新建审核员账号", cmd_create_reviewer)
    reviewer.add_argument("--username", required=True, help="用户名")
    reviewer.add_argument("--password", required=True, help="密码（至少8个字符）")
    reviewer.add_argument(
        "--scope", required=True, help="审核范围：区划代码前缀，多个用逗号分隔，如 4501,4502"
    )
    admin = command("create-admin", "新建管理员账号", cmd_create_admin)
    admin.add_argument("--username", required=True, help="用户名")
    admin.add_argument("--password", required=True, help="密码（至少8个字符）")
    reset = command("reset-password", "把密码重置为 aabbcc（下次登录须修改）", cmd_reset_password)
    who = reset.add_mutually_exclusive_group(required=True)
    who.add_argument("--org-code", help="学校的机构码")
    who.add_argument("--username", help="审核员或管理员的用户名")
    purge_help = "清理很久以前的上传标识（Idempotency-Key）及其保存的应答，释放数据库空间"
    purge = command("purge-keys", purge_help, cmd_purge_keys)
    purge.add_argument(
        "--older-than-days",
        type=_days,
        default=180,
        metavar="N",
        help="清理最后一次使用在 N 天以前的（默认 180，不能少于 180）",
    )
    run = command("run", "启动审核服务器", cmd_run)
    run.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    run.add_argument("--port", type=_port, default=8765, help="端口（默认 8765）")
    run.add_argument("--workers", type=_workers, default=1, help="工作进程数（默认 1）")
    return parser


# ---------------------------------------------------------------- commands


def _database(args: argparse.Namespace, *, ready: bool = True) -> Database:
    settings = Settings.from_env(args.data_dir)
    db = Database(settings)
    if ready:
        db.check_ready()
    return db


@contextmanager
def _opened(args: argparse.Namespace, *, ready: bool = True) -> Iterator[Database]:
    """The database of ``--data-dir`` for one command; its connections closed afterwards."""
    db = _database(args, ready=ready)
    try:
        yield db
    finally:
        db.dispose()


def _where(db: Database) -> str:
    import sqlalchemy as sa

    if db.settings.is_sqlite:
        return f"SQLite 数据库“{sa.make_url(db.settings.url).database}”"
    return f"PostgreSQL 数据库“{sa.make_url(db.settings.url).render_as_string(hide_password=True)}”"


def cmd_init(args: argparse.Namespace) -> int:
    from app.models.period import current_period
    from server.accounts import seed_period
    from server.audit import Actor
    from server.db import SCHEMA_HEAD

    with _opened(args, ready=False) as db:
        before = db.current_revision()
        db.upgrade()
        seed_period(db, Actor.cli(), current_period(date.today()).id)
    state = "已是最新版本" if before == SCHEMA_HEAD else ("已创建" if before is None else "已升级")
    out(f"{_where(db)}{state}（结构版本 {SCHEMA_HEAD}）。")
    return EXIT_OK


def cmd_create_school(args: argparse.Namespace) -> int:
    from server.accounts import create_school
    from server.audit import Actor
    from server.auth import INITIAL_PASSWORD

    with _opened(args) as db:
        info = create_school(db, Actor.cli(), args.org_code, args.name, args.region)
    out(
        f"已新建学校账号：{info.login} {info.name}（区划 {info.region_code}），"
        f"初始密码 {INITIAL_PASSWORD}，首次登录须修改。"
    )
    return EXIT_OK


def cmd_import_schools(args: argparse.Namespace) -> int:
    from server.accounts import import_schools, parse_school_csv
    from server.audit import Actor

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        err(f"错误：无法读取文件“{args.file}”：{exc.strerror or '未知原因'}。")
        return EXIT_REFUSED
    rows = parse_school_csv(data)
    with _opened(args) as db:
        result = import_schools(db, Actor.cli(), rows)
    out(
        f"导入完成：新建 {result.created} 所，更新 {result.updated} 所，未变 {result.unchanged} 所。"
        "新学校的初始密码为 aabbcc。"
    )
    return EXIT_OK


def cmd_create_reviewer(args: argparse.Namespace) -> int:
    from server.accounts import create_staff
    from server.audit import Actor
    from server.models import REVIEWER

    with _opened(args) as db:
        info = create_staff(
            db, Actor.cli(), REVIEWER, args.username, password=args.password, scope=args.scope.split(",")
        )
    out(f"已新建审核员账号：{info.login}，审核范围 {'、'.join(info.scope)}。")
    return EXIT_OK


def cmd_create_admin(args: argparse.Namespace) -> int:
    from server.accounts import create_staff
    from server.audit import Actor
    from server.models import ADMIN

    with _opened(args) as db:
        info = create_staff(db, Actor.cli(), ADMIN, args.username, password=args.password)
    out(f"已新建管理员账号：{info.login}。")
    return EXIT_OK


def cmd_reset_password(args: argparse.Namespace) -> int:
    from server.accounts import reset_password
    from server.audit import Actor

    with _opened(args) as db:
        info = reset_password(db, Actor.cli(), org_code=args.org_code, username=args.username)
    out(f"已把 {info.login} 的密码重置为 aabbcc，下次登录须修改密码；该账号的登录状态已全部失效。")
    return EXIT_OK


def cmd_purge_keys(args: argparse.Namespace) -> int:
    from server.audit import Actor
    from server.uploads import purge_idempotency_keys

    with _opened(args) as db:
        purged = purge_idempotency_keys(db, Actor.cli(), args.older_than_days)
    out(f"已清理 {purged:,} 个 {args.older_than_days} 天以前的上传标识；上传的数据和审核记录不受影响。")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from server.settings import DATA_DIR_ENV

    db = _database(args)
    db.dispose()
    # Worker processes build their own app from the environment (server.app:app_from_env).
    os.environ[DATA_DIR_ENV] = str(Path(args.data_dir).resolve())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out(
        f"资助通审核服务器：http://{args.host}:{args.port}/api/v1/（{_where(db)}，{args.workers} 个工作进程）"
    )
    sys.stdout.flush()
    uvicorn.run(
        "server.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
        # No line per request: every client polls its status every few minutes (at 1,000 polls/s a
        # line each is ~86 million lines a day, and ~0.3 ms of a poll's ~2 ms of CPU,
        # bench/bench_server.py).
        # Errors are still logged, state changes go to the audit log, and the proxy in front keeps
        # its own access log.
        access_log=False,
    )
    return EXIT_OK


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``zizhu-server`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ServiceError as exc:
        err(f"错误：{exc.message}")
        return EXIT_REFUSED
    except (DatabaseNotReadyError, SettingsError) as exc:
        err(f"错误：{exc}")
        return EXIT_REFUSED
    except OperationalError as exc:
        log.debug("database error", exc_info=exc)
        err(
            f"错误：无法连接或写入数据库：{str(exc.orig).strip().splitlines()[0] if exc.orig else '未知原因'}"
        )
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
