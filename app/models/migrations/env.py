"""Alembic environment of the local store.

Migrations run only from app.models.store, on the connection it passes in ``config.attributes``
(inside its own transaction, so a failed migration leaves the file as it was). There is no
alembic.ini and no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection


def run_migrations() -> None:
    """Upgrade the store's connection; SQLite's DDL is transactional, so one transaction covers all."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("store migrations run only through app.models.store (connection missing)")
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
