"""Alembic environment of the review server's database.

Migrations run only from ``server.db.Database.upgrade`` (``zizhu-server init``), on the connection it
passes in ``config.attributes``, inside one transaction: both SQLite and PostgreSQL have
transactional DDL, so a failed migration leaves the database as it was. There is no alembic.ini
and no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection


def run_migrations() -> None:
    """Upgrade the connection given by server.db; SQLite gets batch mode for later ALTERs."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("server migrations run only through server.db (connection missing)")
    context.configure(
        connection=connection,
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
