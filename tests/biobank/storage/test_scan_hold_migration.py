"""Migration 0018 (a storage warning held for the same tube's second scan) upgrades, downgrades
and upgrades again on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from biobank.db import make_engine
from biobank.migrate import alembic_config, current_revision, upgrade
from tests.conftest import PgDatabases


def _round_trip(url: str) -> None:
    engine = make_engine(url)
    try:
        cfg = alembic_config(engine)
        before = ScriptDirectory.from_config(cfg).get_revision("0018").down_revision
        assert isinstance(before, str)
        upgrade(engine, "0018")
        assert "storage_scan_holds" in inspect(engine).get_table_names()
        assert {u["name"] for u in inspect(engine).get_unique_constraints(
            "storage_scan_holds")} == {"uq_storage_scan_holds_user_id"}
        command.downgrade(cfg, before)
        engine.dispose()
        assert current_revision(engine) == before
        assert "storage_scan_holds" not in inspect(engine).get_table_names()
        upgrade(engine, "0018")
        assert current_revision(engine) == "0018"
    finally:
        engine.dispose()


def test_sqlite_up_and_down(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'mig.db'}")


@pytest.mark.postgres
def test_postgresql_up_and_down(pg_databases: PgDatabases) -> None:
    _round_trip(pg_databases.url_for(pg_databases.create()))
