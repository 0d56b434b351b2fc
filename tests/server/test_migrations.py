"""The migrations: one head, in step with the models on both databases, and an append-only audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.db import SCHEMA_HEAD, head_revision
from server.models import AuditEntry, Base
from tests.server.conftest import World


def test_schema_head_constant_is_alembics_head() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_migrated_database_matches_the_models(live: World) -> None:
    with live.server.database() as db, db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_audit_log_refuses_changes(live: World) -> None:
    with live.server.database() as db:
        with db.read() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)), (
                "the fixture made entries"
            )
        for statement in (sa.update(AuditEntry).values(action="forged"), sa.delete(AuditEntry)):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.write() as session:
                session.execute(statement)
        with db.read() as session:
            assert session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "forged")) == 0
