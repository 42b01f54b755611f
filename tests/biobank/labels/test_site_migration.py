"""Migration 0014 (a site's postal address and package contact) upgrades and downgrades on both
engines, keeping the sites that were there."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from biobank.db import make_engine
from biobank.migrate import alembic_config, current_revision, upgrade
from tests.conftest import PgDatabases

CONTACT_COLUMNS = {"address", "contact_name", "contact_phone", "contact_email"}


def _round_trip(url: str) -> None:
    engine = make_engine(url)
    try:
        cfg = alembic_config(engine)
        before = ScriptDirectory.from_config(cfg).get_revision("0014").down_revision
        assert isinstance(before, str)
        upgrade(engine, "0014")
        with engine.begin() as c:
            c.execute(text("INSERT INTO sites (code, name, kind, timezone) "
                           "VALUES ('S09', 'Site 09', 'collection', 'UTC')"))
            assert c.execute(text("SELECT address, contact_phone FROM sites WHERE code = 'S09'")
                             ).one() == ("", "")
        assert {col["name"] for col in inspect(engine).get_columns("sites")} >= CONTACT_COLUMNS
        command.downgrade(cfg, before)
        engine.dispose()
        assert current_revision(engine) == before
        assert not CONTACT_COLUMNS & {col["name"] for col in inspect(engine).get_columns("sites")}
        with engine.begin() as c:
            name = c.execute(text("SELECT name FROM sites WHERE code = 'S09'")).scalar()
        assert name == "Site 09"
        upgrade(engine, "0014")
        assert current_revision(engine) == "0014"
    finally:
        engine.dispose()


def test_sqlite_up_and_down(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'mig.db'}")


@pytest.mark.postgres
def test_postgresql_up_and_down(pg_databases: PgDatabases) -> None:
    _round_trip(pg_databases.url_for(pg_databases.create()))
