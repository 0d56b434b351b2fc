"""Server settings: where the database is, token lifetime, upload limits and login throttling.

The database is the SQLite file ``zizhu-server.sqlite3`` in the data folder unless ``DATABASE_URL``
names another one (PostgreSQL: ``postgresql://user:pass@host:5432/db``). Uvicorn's worker processes
rebuild the settings from the environment (``ZIZHU_SERVER_DATA_DIR`` and ``DATABASE_URL``), so every
worker sees the same database and nothing else needs to be shared between them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

SQLITE_FILE = "zizhu-server.sqlite3"
DATA_DIR_ENV = "ZIZHU_SERVER_DATA_DIR"
DATABASE_URL_ENV = "DATABASE_URL"


class SettingsError(ValueError):
    """Settings that cannot work; the message is for the operator."""


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start. Defaults are the production values."""

    data_dir: Path
    database_url: str | None = None
    token_ttl: timedelta = timedelta(hours=12)
    # At least 200,000 rows must fit (protocol.md); a row of the protocol is about 400 bytes of JSON.
    max_rows: int = 250_000
    max_body_bytes: int = 256 * 1024 * 1024  # after gzip decompression
    max_compressed_bytes: int = 64 * 1024 * 1024
    # Throttling: this many failed logins within the window lock the account (or address) for
    # lockout; an address has a higher limit because a whole county office may share one.
    account_max_failures: int = 5
    address_max_failures: int = 50
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    # An upload still marked as being processed after this long is treated as abandoned (a worker died).
    idempotency_lease: timedelta = timedelta(minutes=5)

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database (psycopg 3 for PostgreSQL)."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+pysqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @classmethod
    def from_env(cls, data_dir: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``data_dir`` (or ``ZIZHU_SERVER_DATA_DIR``) and ``DATABASE_URL``."""
        env = os.environ if environ is None else environ
        folder = data_dir if data_dir is not None else env.get(DATA_DIR_ENV)
        if not folder:
            raise SettingsError("请用 --data-dir 指定数据文件夹。")
        return cls(data_dir=Path(folder), database_url=env.get(DATABASE_URL_ENV) or None)


def normalize_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` URLs use the psycopg 3 driver; others pass unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite")):
        return url
    raise SettingsError(
        f"不支持的数据库地址“{url.split(':', 1)[0]}:…”：请使用 postgresql:// 或 sqlite:/// 地址。"
    )
