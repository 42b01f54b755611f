"""The audit chain: intact after real work; an edited or deleted row is found and named."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from biobank import get_db
from biobank.services import audit


def _drop_guards(conn: Any) -> None:
    # An attacker with direct database access can remove the triggers; the chain still tells.
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER audit_events_no_change ON audit_events"))
    else:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))


def _verify(app: Flask) -> tuple[int, list[audit.ChainProblem]]:
    s = get_db(app).session(write=False)
    try:
        return audit.verify(s)
    finally:
        s.close()


def test_demo_chain_is_intact(app: Flask) -> None:
    count, problems = _verify(app)
    assert count > 50 and problems == []


def test_edited_row_is_named(app: Flask) -> None:
    with get_db(app).engine.begin() as conn:
        _drop_guards(conn)
        conn.execute(text("UPDATE audit_events SET reason = 'innocent' WHERE id = 17"))
    _count, problems = _verify(app)
    assert [p.row_id for p in problems] == [17]
    assert "edited" in problems[0].message


def test_deleted_row_is_named(app: Flask) -> None:
    with get_db(app).engine.begin() as conn:
        _drop_guards(conn)
        conn.execute(text("DELETE FROM audit_events WHERE id = 23"))
    _count, problems = _verify(app)
    assert [p.row_id for p in problems] == [24]
    assert "after row 22" in problems[0].message and "deleted" in problems[0].message


def test_cli_verify_audit(app: Flask) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["verify-audit"])
    assert ok.exit_code == 0 and "intact" in ok.output
    with get_db(app).engine.begin() as conn:
        _drop_guards(conn)
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = 5"))
    bad = runner.invoke(args=["verify-audit"])
    assert bad.exit_code == 1 and "row 5" in bad.output


@pytest.mark.postgres
def test_concurrent_appends_keep_one_chain(pg_databases: Any, tmp_path: Any) -> None:
    """Eight threads appending at once on PostgreSQL still form one unbroken chain."""
    import threading

    from tests.conftest import make_app

    name = pg_databases.seeded()
    app = make_app(pg_databases.url_for(name), tmp_path)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                with get_db(app).transaction() as s:
                    audit.record(s, None, "test.append", "thread", f"{i}-{j}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    count, problems = _verify(app)
    assert problems == [] and count >= 80
    get_db(app).dispose()
