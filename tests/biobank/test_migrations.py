"""Alembic from an empty database on both engines; no drift from the models; the audit table
refuses UPDATE and DELETE in the database itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from biobank.db import make_engine
from biobank.migrate import current_revision, upgrade
from biobank.models import Base
from tests.conftest import PgDatabases


def _check(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert current_revision(engine) is not None
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == [], f"models and migrations differ: {diff}"
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO audit_events (at, actor, action, entity_type, entity_id, changes, "
                "prev_hash, hash) VALUES (CURRENT_TIMESTAMP, 'x', 'a', 't', '1', '{}', 'p', 'h')"
            ))
        for stmt in ("UPDATE audit_events SET actor = 'y'", "DELETE FROM audit_events"):
            with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
                conn.execute(text(stmt))
    finally:
        engine.dispose()


def test_sqlite_from_empty(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.postgres
def test_postgresql_from_empty(pg_databases: PgDatabases) -> None:
    name = pg_databases.create()
    _check(pg_databases.url_for(name))
