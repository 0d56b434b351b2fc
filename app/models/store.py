"""The durable local store: one SQLite file per school account, written through at every change.

Every public method is one transaction that is committed (and synced to disk) before it returns, so
a crash or a power cut loses nothing the user saw saved. Database failures surface as the typed
errors of :mod:`app.models.errors`; after a failed write the file holds exactly what it held before.

Rows of the two grid tables are kept in grid order by a dense ``position`` (0..n-1) per period and
identified by a ``row_uid`` (a uuid4 string) that never changes. All values are ``str``; ``""`` is
empty. A Store is not thread-safe: open it on any thread, then make every call from one worker.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import SQLCompiler

from app.models.bulk import collector_paused
from app.models.errors import NewerSchemaError, StoreCorruptError, StoreError, classify
from app.models.paths import store_path
from app.models.period import Period
from app.models.schema import TABLE_KEYS, table_schema

if TYPE_CHECKING:
    import pandas as pd

# The header field that marks a 资助通 data file ("ZZT1"); migration 0001 writes the same number.
APPLICATION_ID = 0x5A5A5431
# The newest migration; lets an up-to-date file open without loading alembic (a test keeps it in step).
SCHEMA_HEAD = "0002"
BUSY_TIMEOUT_MS = 5000
# Page cache per connection (KiB): a 100,000-row table and its indexes stay in memory during a bulk
# insert (the default 2 MiB makes it a third slower).
_CACHE_KIB = 65536
_MIGRATIONS = Path(__file__).with_name("migrations")
_BEGIN = "zizhu_begin"
_TIMESTAMP_COLUMNS = ("created_at", "updated_at")
_DATABASE_ERRORS = (sqlite3.Error, sa.exc.DBAPIError, OSError)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class TableRows:
    """The rows of one table and period, in grid order."""

    uids: list[str]
    values: list[list[str]]  # one list per row, in the schema's column order
    accepted: list[tuple[str, ...]]  # rule ids of the warnings accepted (已核对) per row


@dataclass(frozen=True)
class CellChange:
    row_uid: str
    column: str
    value: str


@dataclass(frozen=True)
class TableCount:
    table: str
    period: str
    rows: int


@dataclass(frozen=True)
class UploadReceiptRecord:
    """A successful upload to the review server (app.sync keeps its gzip body beside it)."""

    period: str  # the period id, e.g. "2026-2027-1"
    table: str
    revision: int
    received_at: str  # the server's time stamp, as it sent it
    uploaded_at: int  # this PC's clock, Unix time in ms
    row_count: int
    digest: str
    idempotency_key: str
    server_url: str = ""


@dataclass(frozen=True)
class PendingUpload:
    """The Idempotency-Key of an upload that was started but not confirmed, and its rows' digest."""

    idempotency_key: str
    content_digest: str


@dataclass(frozen=True)
class ReviewStatusRecord:
    """The review status of one table and period as last fetched (``payload``: the server's JSON)."""

    table: str
    status: str
    revision: int | None
    payload: str
    etag: str = ""
    fetched_at: int = 0  # Unix time in ms


# ---------------------------------------------------------------------------------------------------
# Table definitions and statements (Core, built once per table from the current schema)

_metadata = sa.MetaData()
_meta_table = sa.Table(
    "meta",
    _metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
# Sync bookkeeping (migration 0002): receipts, keys of unconfirmed uploads, last known review status.
_receipts_table = sa.Table(
    "upload_receipts",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("table_key", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("received_at", sa.Text, nullable=False),
    sa.Column("uploaded_at", sa.Integer, nullable=False),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text, nullable=False),
    sa.Column("server_url", sa.Text, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
)
_pending_table = sa.Table(
    "pending_uploads",
    _metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("table_key", sa.Text, primary_key=True),
    sa.Column("idempotency_key", sa.Text, nullable=False),
    sa.Column("content_digest", sa.Text, nullable=False),
    sa.Column("created_at", sa.Integer, nullable=False),
)
_status_table = sa.Table(
    "review_status",
    _metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("table_key", sa.Text, primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("etag", sa.Text, nullable=False),
    sa.Column("fetched_at", sa.Integer, nullable=False),
)
_RECEIPT_FIELDS = (
    "period",
    "table_key",
    "revision",
    "received_at",
    "uploaded_at",
    "row_count",
    "digest",
    "idempotency_key",
    "server_url",
)
_dialect = sqlite_dialect.dialect(paramstyle="qmark")


def _columns(table: str) -> tuple[str, ...]:
    """The value columns of ``table``; an unknown table is a programming error."""
    if table not in TABLE_KEYS:
        raise ValueError(f"unknown table {table!r}")
    return table_schema(table).keys


@functools.cache
def _grid(table: str) -> sa.Table:
    return sa.Table(
        table,
        _metadata,
        sa.Column("row_uid", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("accepted_warnings", sa.Text, nullable=False),
        *(sa.Column(key, sa.Text, nullable=False) for key in _columns(table)),
        *(sa.Column(name, sa.Integer, nullable=False) for name in _TIMESTAMP_COLUMNS),
    )


def _sql(statement: sa.ClauseElement, order: Sequence[str]) -> str:
    """Compile a Core statement for the raw sqlite3 cursor, checking its ``?`` parameter order."""
    compiled = cast(SQLCompiler, statement.compile(dialect=_dialect, column_keys=list(order) or None))
    if tuple(compiled.positiontup or ()) != tuple(order):
        raise AssertionError(f"parameter order {compiled.positiontup} != {order}")
    return str(compiled)


@functools.cache
def _insert_sql(table: str) -> str:
    names = [column.name for column in _grid(table).columns]
    return _sql(sa.insert(_grid(table)), names)


@functools.cache
def _select_sql(table: str, *, with_accepted: bool) -> str:
    grid = _grid(table)
    fixed = [grid.c.row_uid, grid.c.accepted_warnings] if with_accepted else [grid.c.row_uid]
    statement = (
        sa.select(*fixed, *(grid.c[key] for key in _columns(table)))
        .where(grid.c.period == sa.bindparam("period"))
        .order_by(grid.c.position)
    )
    return _sql(statement, ["period"])


@functools.cache
def _update_row_sql(table: str, columns: tuple[str, ...]) -> str:
    """One UPDATE setting ``columns`` of a row: a pasted block costs one statement per row, not per cell."""
    grid = _grid(table)
    names = [f"v{index}" for index in range(len(columns))]
    values: dict[str, Any] = {column: sa.bindparam(name) for column, name in zip(columns, names, strict=True)}
    values["updated_at"] = sa.bindparam("now")
    statement = sa.update(grid).where(grid.c.row_uid == sa.bindparam("uid")).values(values)
    return _sql(statement, [*names, "now", "uid"])


@functools.cache
def _set_position_sql(table: str) -> str:
    grid = _grid(table)
    statement = (
        sa.update(grid).where(grid.c.row_uid == sa.bindparam("uid")).values(position=sa.bindparam("pos"))
    )
    return _sql(statement, ["pos", "uid"])


def _uids_in(grid: sa.Table) -> sa.ColumnElement[bool]:
    """``row_uid IN`` a JSON array bound as one parameter (no limit on the number of uids)."""
    listed = sa.func.json_each(sa.bindparam("uids")).table_valued("value")
    return grid.c.row_uid.in_(sa.select(listed.c.value))


# ---------------------------------------------------------------------------------------------------
# Values

_VERSION_4 = bytes((byte & 0x0F) | 0x40 for byte in range(256))
_VARIANT_RFC_4122 = bytes((byte & 0x3F) | 0x80 for byte in range(256))


def new_row_uids(count: int) -> list[str]:
    """``count`` new random row uids (uuid4 strings with dashes), in ascending order.

    Ascending so that the rows of one insert go into the primary-key index side by side instead of
    at random places (a third faster for 100,000 rows).
    """
    if count <= 0:
        return []
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_VARIANT_RFC_4122)
    # Formatted in bulk by C-level slicing: hex in groups of 4 digits ("xxxx-" × 8 per uid), then
    # drop the dashes the uuid layout 8-4-4-4-12 does not have and end each uid with a newline.
    text = bytearray(raw.hex("-", 2), "ascii")
    del text[34::40]
    del text[29::39]
    del text[4::38]
    text[36::37] = b"\n" * (count - 1)
    uids = text.decode("ascii").split("\n")
    uids.sort()
    return uids


def _now() -> int:
    """The time stamp of created_at/updated_at: Unix time in milliseconds."""
    return time.time_ns() // 1_000_000


def _joined_rules(rules: Iterable[str]) -> str:
    rules = tuple(rules)
    for rule in rules:
        if not rule or "," in rule:
            raise ValueError(f"invalid rule id {rule!r}")
    return ",".join(rules)


def _split_rules(text: str) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


def _check_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"store values are str, got {type(value).__name__}")
    return value


def _insert_params(
    table: str,
    rows: Sequence[Mapping[str, str]],
    *,
    period_id: str,
    start: int,
    uids: Sequence[str],
    accepted: Sequence[str] | None,
) -> Iterator[tuple[Any, ...]]:
    """One parameter tuple per row, in the column order of :func:`_insert_sql`.

    Raises KeyError (while iterated) for a complete-looking row with an unknown key.
    """
    keys = _columns(table)
    now = _now()
    rules: Iterable[str] = itertools.repeat("") if accepted is None else accepted
    if set(map(len, rows)) <= {len(keys)}:
        # Complete rows (an import): C-level iterators build the tuples, about twice as fast as a
        # Python loop over 100,000 rows. With every key present, a missing one means an unknown one.
        columns = [map(operator.itemgetter(key), rows) for key in keys]
        fixed = (uids, itertools.repeat(period_id), itertools.count(start), rules)
        return zip(*fixed, *columns, itertools.repeat(now), itertools.repeat(now))
    known = frozenset(keys)
    return (
        (uid, period_id, position, rule, *_complete(table, keys, known, row), now, now)
        for uid, position, rule, row in zip(uids, itertools.count(start), rules, rows)
    )


def _complete(
    table: str, keys: tuple[str, ...], known: frozenset[str], row: Mapping[str, str]
) -> tuple[str, ...]:
    """The row's values in schema order, "" for a missing key."""
    if not known.issuperset(row):
        raise _unknown_columns(table, row, known)
    return tuple(row.get(key, "") for key in keys)


def _unknown_columns(table: str, row: Mapping[str, str], known: frozenset[str]) -> ValueError:
    return ValueError(f"unknown columns for {table}: {sorted(set(row) - known)}")


def _execute_many(
    driver: sqlite3.Connection,
    sql: str,
    params: Iterator[tuple[Any, ...]],
    table: str,
    rows: Sequence[Mapping[str, str]],
) -> None:
    """Insert the rows' parameters; a KeyError of the fast path is the caller's unknown column key."""
    try:
        driver.executemany(sql, params)
    except KeyError:
        known = frozenset(_columns(table))
        bad = next(row for row in rows if not known.issuperset(row))
        raise _unknown_columns(table, bad, known) from None


# ---------------------------------------------------------------------------------------------------
# Opening: connection, checks on a file we may not own, migrations


def _engine(path: Path, *, read_only: bool, busy_timeout_ms: int) -> Engine:
    def connect() -> sqlite3.Connection:
        target = f"{path.resolve().as_uri()}?mode=ro" if read_only else str(path)
        # isolation_level=None: the store issues BEGIN itself (see _begin_transaction).
        raw = sqlite3.connect(
            target,
            uri=read_only,
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            # Connection-local settings only: nothing here writes to the file.
            raw.execute("PRAGMA foreign_keys = ON")
            raw.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            raw.execute("PRAGMA synchronous = FULL")
            raw.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        except BaseException:
            raw.close()
            raise
        return raw

    engine = sa.create_engine("sqlite+pysqlite://", creator=connect, poolclass=NullPool)
    sa.event.listen(engine, "begin", _begin_transaction)
    return engine


def _begin_transaction(connection: Connection) -> None:
    # pysqlite's own transaction handling would defer BEGIN to the first write; writes take the write
    # lock up front instead, so a busy file fails before anything was done.
    driver = cast(sqlite3.Connection, connection.connection.driver_connection)
    driver.execute(connection.info.get(_BEGIN, "BEGIN"))


@functools.cache
def _migration_revisions() -> tuple[frozenset[str], str]:
    """All revisions this version knows, and the head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(_MIGRATIONS))
    heads = script.get_heads()
    if len(heads) != 1:
        raise AssertionError(f"the store migrations must have one head, not {heads}")
    return frozenset(revision.revision for revision in script.walk_revisions()), heads[0]


def _stored_revision(raw: sqlite3.Connection) -> str | None:
    """The file's alembic revision, None for a new (empty) file; refuses a foreign or newer file.

    Reads only: a file this version cannot handle is left exactly as it was.
    """
    application_id = raw.execute("PRAGMA application_id").fetchone()[0]
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and application_id in (0, APPLICATION_ID):
        return None
    if application_id != APPLICATION_ID or "alembic_version" not in tables:
        raise StoreCorruptError(f"not a 资助通 data file (application_id {application_id}, tables {tables})")
    revisions = [str(row[0]) for row in raw.execute("SELECT version_num FROM alembic_version").fetchall()]
    if revisions == [SCHEMA_HEAD]:
        return SCHEMA_HEAD
    known, _head = _migration_revisions()
    newer = [revision for revision in revisions if revision not in known]
    if newer:
        raise NewerSchemaError(f"unknown schema revision {newer}")
    if len(revisions) != 1:
        raise StoreCorruptError(f"alembic_version holds {revisions}")
    return revisions[0]


def _translated(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run a Store method, turning database errors into typed StoreErrors after a rollback."""

    @functools.wraps(method)
    def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except _DATABASE_ERRORS as exc:
            self._roll_back_quietly()
            raise _typed(exc) from exc

    return wrapper


def _typed(exc: BaseException) -> StoreError:
    error = classify(exc)
    return error if error is not None else StoreError(repr(exc))


# ---------------------------------------------------------------------------------------------------


class Store:
    """The rows and settings of one school account, in one SQLite file."""

    def __init__(self, path: Path, engine: Engine, connection: Connection) -> None:
        """Use :meth:`open` or :meth:`for_account`."""
        self.path = path
        self._engine = engine
        self._connection: Connection | None = connection

    # -- opening and closing ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (or create) the store at ``path`` and bring its schema up to date."""
        return cls._open(path)

    @classmethod
    def for_account(cls, org_code: str, data_dir: Path | None = None) -> Store:
        """Open the store of school account ``org_code`` in the user-data folder, creating folders."""
        path = store_path(org_code, data_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _typed(exc) from exc
        return cls._open(path)

    @classmethod
    def _open(cls, path: Path, *, read_only: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Store:
        """Internal hook behind :meth:`open`: tests open a file read-only or with a short busy timeout."""
        engine = _engine(Path(path), read_only=read_only, busy_timeout_ms=busy_timeout_ms)
        connection: Connection | None = None
        try:
            connection = engine.connect()
            store = cls(Path(path), engine, connection)
            store._prepare()
        except BaseException as exc:
            if connection is not None:
                with suppress(*_DATABASE_ERRORS):
                    connection.close()
            engine.dispose()
            if isinstance(exc, _DATABASE_ERRORS):
                raise _typed(exc) from exc
            raise
        return store

    def _prepare(self) -> None:
        # The revision is checked before anything is written: a newer or foreign file stays untouched.
        revision = _stored_revision(self._driver)
        self._driver.execute("PRAGMA journal_mode = WAL").fetchall()
        if revision != SCHEMA_HEAD:  # upgrading a file already at head does nothing
            self._migrate()

    def _migrate(self) -> None:
        # Imported here: alembic is needed only when a file is created or upgraded (start-up time).
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS).replace("%", "%%"))
        with self._transaction(write=True):
            config.attributes["connection"] = self._live
            command.upgrade(config, "head")

    def close(self) -> None:
        """Close the file; safe to call twice. Everything was committed already."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(*_DATABASE_ERRORS):
                connection.close()
            self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------------------

    @property
    def _live(self) -> Connection:
        if self._connection is None:
            raise ValueError("the store is closed")
        return self._connection

    @property
    def _driver(self) -> sqlite3.Connection:
        """The sqlite3 connection under SQLAlchemy, for bulk executemany and fetches without Row objects."""
        return cast(sqlite3.Connection, self._live.connection.driver_connection)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on success and rolled back on any exception."""
        connection = self._live
        connection.info[_BEGIN] = "BEGIN IMMEDIATE" if write else "BEGIN"
        with connection.begin():
            yield self._driver

    def _roll_back_quietly(self) -> None:
        connection = self._connection
        if connection is None:
            return
        with suppress(*_DATABASE_ERRORS):
            if connection.in_transaction():
                connection.rollback()
            driver = self._driver
            if driver.in_transaction:
                driver.rollback()

    def _pragma(self, pragma: str) -> object:
        """Internal hook: run ``PRAGMA <pragma>`` on the store's connection and return its value.

        Tests use it to simulate a full disk (``max_page_count``); application code never needs it.
        """
        row = self._driver.execute(f"PRAGMA {pragma}").fetchone()
        return None if row is None else row[0]

    # -- reading ------------------------------------------------------------------------------------

    @_translated
    def summary(self) -> list[TableCount]:
        """The number of rows per table and period (periods with no rows are not listed)."""
        counts: list[TableCount] = []
        with self._transaction(write=False):
            for table in TABLE_KEYS:
                grid = _grid(table)
                statement = (
                    sa.select(grid.c.period, sa.func.count()).group_by(grid.c.period).order_by(grid.c.period)
                )
                for period_id, rows in self._live.execute(statement):
                    counts.append(TableCount(table, period_id, rows))
        return counts

    @_translated
    def count(self, table: str, period: Period) -> int:
        """The number of rows of ``table`` in ``period``."""
        grid = _grid(table)
        with self._transaction(write=False):
            return self._count(grid, period.id)

    def _count(self, grid: sa.Table, period_id: str) -> int:
        statement = sa.select(sa.func.count()).select_from(grid).where(grid.c.period == period_id)
        return int(self._live.execute(statement).scalar_one())

    @_translated
    def load(self, table: str, period: Period, *, offset: int = 0, limit: int | None = None) -> TableRows:
        """The rows of ``table`` in ``period`` in grid order: all, or ``limit`` rows from index ``offset``.

        The grid shows the first screenful of a large table at once and reads the rest in the background.
        """
        sql = _select_sql(table, with_accepted=True) + " LIMIT ? OFFSET ?"
        parameters = (period.id, -1 if limit is None else limit, offset)
        with collector_paused():
            with self._transaction(write=False) as driver:
                records = driver.execute(sql, parameters).fetchall()
            return TableRows(
                uids=[record[0] for record in records],
                values=[list(record[2:]) for record in records],
                accepted=[_split_rules(record[1]) for record in records],
            )

    @_translated
    def load_frame(self, table: str, period: Period, *, with_accepted: bool = False) -> pd.DataFrame:
        """The rows of ``table`` in ``period`` as a DataFrame: ``row_uid`` then the schema's columns.

        With ``with_accepted`` an ``accepted_warnings`` column (comma-separated rule ids) follows
        ``row_uid``, as the validation engine reads it. The index is the grid index (0..n-1); every
        column holds strings.
        """
        import pandas as pd  # only the validation and export paths need pandas (start-up time)

        sql = _select_sql(table, with_accepted=with_accepted)
        fixed = ["row_uid", "accepted_warnings"] if with_accepted else ["row_uid"]
        with collector_paused():
            with self._transaction(write=False) as driver:
                records = driver.execute(sql, (period.id,)).fetchall()
            return pd.DataFrame.from_records(records, columns=[*fixed, *_columns(table)])

    @_translated
    def check_integrity(self) -> bool:
        """SQLite's quick_check of the whole file (本地保存 runs it): True when the file is intact."""
        with self._transaction(write=False) as driver:
            rows = driver.execute("PRAGMA quick_check").fetchall()
        return rows == [("ok",)]

    @_translated
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """The account setting ``key``, or ``default`` if it was never set."""
        statement = sa.select(_meta_table.c.value).where(_meta_table.c.key == key)
        with self._transaction(write=False):
            value = self._live.execute(statement).scalar_one_or_none()
        return default if value is None else str(value)

    # -- writing ------------------------------------------------------------------------------------

    @_translated
    def insert_rows(
        self,
        table: str,
        period: Period,
        rows: Sequence[Mapping[str, str]],
        *,
        at: int | None = None,
        uids: Sequence[str] | None = None,
        accepted: Sequence[Sequence[str]] | None = None,
    ) -> list[str]:
        """Insert ``rows`` (dicts by column key; missing keys are "") and return their uids.

        ``at=None`` appends; otherwise the rows go before grid index ``at`` (0..count). ``uids`` and
        ``accepted`` (accepted warning rule ids per row) restore deleted rows, e.g. for undo.
        """
        grid = _grid(table)
        row_uids = self._uids_for(rows, uids)
        joined = self._accepted_for(rows, accepted)
        with collector_paused(), self._transaction(write=True) as driver:
            start = self._make_room(grid, period.id, at, len(rows))
            params = _insert_params(
                table, rows, period_id=period.id, start=start, uids=row_uids, accepted=joined
            )
            _execute_many(driver, _insert_sql(table), params, table, rows)
        return row_uids

    @_translated
    def replace_rows(self, table: str, period: Period, rows: Sequence[Mapping[str, str]]) -> list[str]:
        """Replace every row of ``table`` in ``period`` by ``rows``; returns the new uids."""
        grid = _grid(table)
        row_uids = new_row_uids(len(rows))
        with collector_paused(), self._transaction(write=True) as driver:
            self._live.execute(sa.delete(grid).where(grid.c.period == period.id))
            params = _insert_params(table, rows, period_id=period.id, start=0, uids=row_uids, accepted=None)
            _execute_many(driver, _insert_sql(table), params, table, rows)
        return row_uids

    @_translated
    def update_cell(self, table: str, row_uid: str, column: str, value: str) -> None:
        """Set one cell; it is on disk when this returns."""
        self.update_cells(table, [CellChange(row_uid, column, value)])

    @_translated
    def update_cells(self, table: str, changes: Sequence[CellChange]) -> None:
        """Set many cells in one transaction (a paste, a fill, an undo step); later changes win."""
        keys = frozenset(_columns(table))
        by_row: dict[str, dict[str, str]] = {}
        for change in changes:
            if change.column not in keys:
                raise ValueError(f"unknown column {change.column!r} of {table}")
            by_row.setdefault(change.row_uid, {})[change.column] = _check_str(change.value)
        # Rows that change the same columns (a pasted block) share one statement.
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        now = _now()
        order = {key: index for index, key in enumerate(_columns(table))}  # the SET clause's order
        for uid, cells in by_row.items():
            columns = tuple(sorted(cells, key=order.__getitem__))
            by_columns.setdefault(columns, []).append((*(cells[c] for c in columns), now, uid))
        with self._transaction(write=True) as driver:
            updated = 0
            for columns, params_list in by_columns.items():
                updated += driver.executemany(_update_row_sql(table, columns), params_list).rowcount
            if updated != len(by_row):
                raise ValueError(f"{len(by_row) - updated} of the changed rows are not in {table}")

    @_translated
    def delete_rows(self, table: str, row_uids: Sequence[str]) -> None:
        """Delete rows (of any periods) in one transaction; the others keep their order."""
        grid = _grid(table)
        unique = list(dict.fromkeys(row_uids))
        payload = {"uids": json.dumps(unique)}
        with self._transaction(write=True):
            periods = self._live.execute(
                sa.select(grid.c.period).where(_uids_in(grid)).distinct(), payload
            ).scalars()
            touched = list(periods)
            deleted = self._live.execute(sa.delete(grid).where(_uids_in(grid)), payload).rowcount
            if deleted != len(unique):
                raise ValueError(f"{len(unique) - deleted} of the rows to delete are not in {table}")
            for period_id in touched:
                self._renumber(grid, period_id)

    @_translated
    def reorder(self, table: str, period: Period, row_uids_in_new_order: Sequence[str]) -> None:
        """Put the rows of ``table`` in ``period`` in this order (all of its uids, each once)."""
        grid = _grid(table)
        new_order = list(row_uids_in_new_order)
        with self._transaction(write=True) as driver:
            current = self._live.execute(
                sa.select(grid.c.row_uid).where(grid.c.period == period.id).order_by(grid.c.position)
            ).scalars()
            old_position = {uid: index for index, uid in enumerate(current)}
            if len(new_order) != len(old_position) or set(new_order) != old_position.keys():
                raise ValueError("reorder needs every row uid of the table and period exactly once")
            moved = [(index, uid) for index, uid in enumerate(new_order) if old_position[uid] != index]
            driver.executemany(_set_position_sql(table), moved)

    @_translated
    def set_accepted_warnings(self, table: str, row_uid: str, rules: Sequence[str]) -> None:
        """Record which warnings (rule ids) the user ticked 已核对 on one row."""
        grid = _grid(table)
        statement = (
            sa.update(grid).where(grid.c.row_uid == row_uid).values(accepted_warnings=_joined_rules(rules))
        )
        with self._transaction(write=True):
            if self._live.execute(statement).rowcount != 1:
                raise ValueError(f"row {row_uid!r} is not in {table}")

    @_translated
    def set_meta(self, key: str, value: str) -> None:
        """Store the account setting ``key``."""
        statement = sqlite_dialect.insert(_meta_table).values(key=key, value=_check_str(value))
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={"value": statement.excluded.value}
        )
        with self._transaction(write=True):
            self._live.execute(statement)

    # -- sync with the review server (app.sync) -----------------------------------------------------

    @_translated
    def add_upload_receipt(self, record: UploadReceiptRecord, body: bytes) -> None:
        """Keep the receipt of a successful upload and forget the table's pending key, in one transaction.

        ``body`` is the upload exactly as sent (gzip). A receipt for the same period, table and
        revision replaces the older one (the server answered the same upload twice).
        """
        _columns(record.table)
        values = {
            "period": record.period,
            "table_key": record.table,
            "revision": record.revision,
            "received_at": record.received_at,
            "uploaded_at": record.uploaded_at,
            "row_count": record.row_count,
            "digest": record.digest,
            "idempotency_key": record.idempotency_key,
            "server_url": record.server_url,
            "body": body,
        }
        same = (
            (_receipts_table.c.period == record.period)
            & (_receipts_table.c.table_key == record.table)
            & (_receipts_table.c.revision == record.revision)
        )
        pending = (_pending_table.c.period == record.period) & (_pending_table.c.table_key == record.table)
        with self._transaction(write=True):
            self._live.execute(sa.delete(_receipts_table).where(same))
            self._live.execute(sa.insert(_receipts_table).values(values))
            self._live.execute(sa.delete(_pending_table).where(pending))

    @_translated
    def upload_receipts(
        self, period: Period | None = None, table: str | None = None
    ) -> list[UploadReceiptRecord]:
        """The kept receipts (without bodies), newest first; optionally of one period and/or table."""
        receipts = _receipts_table
        statement = sa.select(*(receipts.c[name] for name in _RECEIPT_FIELDS)).order_by(
            receipts.c.uploaded_at.desc(), receipts.c.id.desc()
        )
        if period is not None:
            statement = statement.where(receipts.c.period == period.id)
        if table is not None:
            statement = statement.where(receipts.c.table_key == table)
        with self._transaction(write=False):
            records = self._live.execute(statement).all()
        return [
            UploadReceiptRecord(
                period=r.period,
                table=r.table_key,
                revision=r.revision,
                received_at=r.received_at,
                uploaded_at=r.uploaded_at,
                row_count=r.row_count,
                digest=r.digest,
                idempotency_key=r.idempotency_key,
                server_url=r.server_url,
            )
            for r in records
        ]

    @_translated
    def upload_receipt_body(self, period: Period, table: str, revision: int) -> bytes | None:
        """The gzip body of the receipt of ``revision``, or None if there is no such receipt."""
        receipts = _receipts_table
        statement = sa.select(receipts.c.body).where(
            receipts.c.period == period.id, receipts.c.table_key == table, receipts.c.revision == revision
        )
        with self._transaction(write=False):
            body = self._live.execute(statement).scalar_one_or_none()
        return None if body is None else bytes(body)

    @_translated
    def set_pending_upload(self, period: Period, table: str, pending: PendingUpload) -> None:
        """Remember the Idempotency-Key of the upload about to be sent (before it is sent)."""
        _columns(table)
        statement = sqlite_dialect.insert(_pending_table).values(
            period=period.id,
            table_key=table,
            idempotency_key=pending.idempotency_key,
            content_digest=pending.content_digest,
            created_at=_now(),
        )
        statement = statement.on_conflict_do_update(
            index_elements=["period", "table_key"],
            set_={
                "idempotency_key": statement.excluded.idempotency_key,
                "content_digest": statement.excluded.content_digest,
                "created_at": statement.excluded.created_at,
            },
        )
        with self._transaction(write=True):
            self._live.execute(statement)

    @_translated
    def pending_upload(self, period: Period, table: str) -> PendingUpload | None:
        """The key of the table's unconfirmed upload, or None."""
        pending = _pending_table
        statement = sa.select(pending.c.idempotency_key, pending.c.content_digest).where(
            pending.c.period == period.id, pending.c.table_key == table
        )
        with self._transaction(write=False):
            row = self._live.execute(statement).one_or_none()
        return None if row is None else PendingUpload(row.idempotency_key, row.content_digest)

    @_translated
    def clear_pending_upload(self, period: Period, table: str) -> None:
        """Forget the table's pending key (the server answered for certain that nothing was stored)."""
        pending = _pending_table
        with self._transaction(write=True):
            self._live.execute(
                sa.delete(pending).where(pending.c.period == period.id, pending.c.table_key == table)
            )

    @_translated
    def set_review_status(self, period: Period, records: Sequence[ReviewStatusRecord]) -> None:
        """Replace the last known review status of the given tables of ``period``."""
        if not records:
            return
        now = _now()
        rows = [
            {
                "period": period.id,
                "table_key": r.table,
                "status": r.status,
                "revision": r.revision,
                "payload": r.payload,
                "etag": r.etag,
                "fetched_at": r.fetched_at or now,
            }
            for r in records
        ]
        tables = [r.table for r in records]
        status = _status_table
        with self._transaction(write=True):
            self._live.execute(
                sa.delete(status).where(status.c.period == period.id, status.c.table_key.in_(tables))
            )
            self._live.execute(sa.insert(status), rows)

    @_translated
    def review_status(self, period: Period) -> list[ReviewStatusRecord]:
        """The last known review status of the tables of ``period`` (those fetched at least once)."""
        status = _status_table
        statement = sa.select(status).where(status.c.period == period.id).order_by(status.c.table_key)
        with self._transaction(write=False):
            records = self._live.execute(statement).all()
        return [
            ReviewStatusRecord(r.table_key, r.status, r.revision, r.payload, r.etag, r.fetched_at)
            for r in records
        ]

    # -- helpers for writes -------------------------------------------------------------------------

    @staticmethod
    def _uids_for(rows: Sequence[object], uids: Sequence[str] | None) -> list[str]:
        if uids is None:
            return new_row_uids(len(rows))
        given = list(uids)
        if len(given) != len(rows) or len(set(given)) != len(given):
            raise ValueError("uids must be distinct, one per row")
        return given

    @staticmethod
    def _accepted_for(rows: Sequence[object], accepted: Sequence[Sequence[str]] | None) -> list[str] | None:
        if accepted is None:
            return None
        if len(accepted) != len(rows):
            raise ValueError("accepted must hold one sequence of rule ids per row")
        return [_joined_rules(rules) for rules in accepted]

    def _make_room(self, grid: sa.Table, period_id: str, at: int | None, count: int) -> int:
        """The position of the first new row; later rows move down by ``count`` in one UPDATE."""
        existing = self._count(grid, period_id)
        if at is None:
            return existing
        if not 0 <= at <= existing:
            raise ValueError(f"insert position {at} outside 0..{existing}")
        if at < existing and count:
            self._live.execute(
                sa.update(grid)
                .where(grid.c.period == period_id, grid.c.position >= at)
                .values(position=grid.c.position + count)
            )
        return at

    def _renumber(self, grid: sa.Table, period_id: str) -> None:
        """Make the positions of one period dense again (0..n-1) without changing their order."""
        ranked = (
            sa.select(
                grid.c.row_uid,
                (sa.func.row_number().over(order_by=grid.c.position) - 1).label("dense"),
            )
            .where(grid.c.period == period_id)
            .subquery()
        )
        self._live.execute(
            sa.update(grid)
            .where(grid.c.row_uid == ranked.c.row_uid, grid.c.position != ranked.c.dense)
            .values(position=ranked.c.dense)
        )
