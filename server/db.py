"""The database connection: engines for SQLite and PostgreSQL, transactions, and migrations.

Two kinds of transaction: ``Database.read()`` (a consistent snapshot, rolled back at the end) and
``Database.write()`` (committed at the end). On SQLite a write transaction starts with
``BEGIN IMMEDIATE``, so it holds the single write lock from its first statement: two uploads can
never both read "revision 2" and then race to write revision 3 — the second waits (busy timeout)
and then sees the first one's revision. On PostgreSQL the same code locks the submission row
(``SELECT … FOR UPDATE``) and unique constraints settle the rest. Nothing is kept in process memory:
every worker process opens its own engine on the same database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from server.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
# The newest migration: lets the server and the CLI check the database without loading alembic
# (tests/server/test_migrations.py keeps it equal to alembic's head).
SCHEMA_HEAD = "0001"
_WRITE = "zizhu_write"


class DatabaseNotReadyError(RuntimeError):
    """The database is missing or older than this version; the message is for the operator."""


class Database:
    """One engine and its transactions. Thread-safe: every transaction uses its own connection."""

    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        if engine is None:
            engine = _sqlite_engine(settings.url) if settings.is_sqlite else _postgres_engine(settings.url)
        self.engine = engine
        self._writer = self.engine.execution_options(**{_WRITE: True})

    def for_event_loop(self) -> Database:
        """The database as the event loop's own quick lookups use it (status polls answered inline).

        SQLite: this same database (a local read). PostgreSQL: one connection of its own, without the
        ping before each use — only the event loop's thread uses it, one lookup at a time, so it never
        waits for the pool the uploads share; a broken connection fails the lookup, which then goes
        the normal way, and the pool replaces it.
        """
        if self.dialect == "sqlite":
            return self
        own = sa.create_engine(self.settings.url, pool_size=1, max_overflow=0, pool_pre_ping=False)
        return Database(self.settings, engine=own)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; whatever it did is rolled back at the end.

        Objects loaded in it stay usable afterwards (detached, with the values they were read with).
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session
            session.expunge_all()  # a rollback would expire them
            session.rollback()

    @contextmanager
    def lookups(self) -> Iterator[Connection]:
        """A connection for a few independent reads that need no common snapshot (status polls).

        On PostgreSQL it runs without a transaction (autocommit: each statement sees the latest
        commit), which saves the BEGIN and ROLLBACK round trips; on SQLite it is a read transaction.
        """
        if self.dialect == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                yield connection
        else:
            with self.engine.connect() as connection:
                yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes are committed when the block ends without an exception."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def _sqlite_path(self) -> Path:
        return Path(sa.make_url(self.settings.url).database or "")

    # ------------------------------------------------------------ migrations

    def upgrade(self) -> None:
        """Create the database or bring it to the newest schema (idempotent)."""
        from alembic import command
        from alembic.config import Config

        if self.settings.is_sqlite:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            # Persistent: the file stays in WAL mode, so readers never wait for the writer. Outside
            # any transaction (SQLite refuses the switch inside one), hence the raw connection.
            raw = self.engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA journal_mode = WAL").fetchall()
            finally:
                raw.close()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        with self._writer.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def current_revision(self) -> str | None:
        """The migration the database is at; None for an empty (or, SQLite, missing) database."""
        if self.settings.is_sqlite and not self._sqlite_path().exists():
            return None
        with self.engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def check_ready(self) -> None:
        """Raise DatabaseNotReadyError unless the database exists and is at the newest migration."""
        if self.settings.is_sqlite and not self._sqlite_path().exists():
            raise DatabaseNotReadyError(
                f"数据文件夹“{self.settings.data_dir}”中没有数据库，请先运行 zizhu-server init。"
            )
        try:
            current = self.current_revision()
        except sa.exc.OperationalError as exc:
            raise DatabaseNotReadyError(f"无法连接数据库：{_reason(exc)}") from exc
        if current != SCHEMA_HEAD:
            raise DatabaseNotReadyError("数据库尚未初始化或版本较旧，请先运行 zizhu-server init。")


def head_revision() -> str:
    """The newest migration of this version."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    if len(heads) != 1:
        raise AssertionError(f"the server migrations must have one head, not {heads}")
    return heads[0]


def _reason(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else "未知原因"


def _sqlite_engine(url: str) -> Engine:
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=32,
    )
    sa.event.listen(engine, "connect", _prepare_sqlite)
    sa.event.listen(engine, "begin", _begin_sqlite)
    return engine


def _prepare_sqlite(raw: Any, _record: Any) -> None:
    driver: sqlite3.Connection = raw
    # The driver's own transaction handling would defer BEGIN to the first write (see _begin_sqlite).
    driver.isolation_level = None
    driver.execute("PRAGMA foreign_keys = ON")
    driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # A receipt handed to a school must survive a power cut: FULL even in WAL mode.
    driver.execute("PRAGMA synchronous = FULL")


def _begin_sqlite(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# Connections per worker process. Every worker has its own pool, so workers × (pool + overflow) must
# stay well below PostgreSQL's max_connections (100 by default): with 32 overflow connections, four
# workers under 200 simultaneous uploads opened 160 and PostgreSQL refused the rest
# (bench/bench_server.py). A request beyond the limit waits for a free connection instead.
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 10
PG_POOL_TIMEOUT_S = 60


def _postgres_engine(url: str) -> Engine:
    return sa.create_engine(
        url,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_timeout=PG_POOL_TIMEOUT_S,
        pool_pre_ping=True,
    )
