"""The monitor's audit page: filters (who, action, record, local days), keyset paging that
walks thousands of events without a gap or a repeat, readable empty values, and a CSV export
that holds exactly the filtered events. On PostgreSQL the common filters use their indexes."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from biobank import get_db, vocabulary
from biobank.models import AuditEvent, User
from biobank.services import audit

_ROW = re.compile(r'<tr data-event="(\d+)">')
_OLDER = re.compile(r'href="([^"]+)" rel="next"')
_NEWER = re.compile(r'href="([^"]+)" rel="prev"')
BULK = 2500


def _bulk(app: Flask, n: int = BULK) -> None:
    """``n`` events by the monitor's colleague on two record types, through the chain."""
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        for i in range(n):
            audit.record(s, tech, "storage.bulk_check" if i % 5 else "storage.bulk_move",
                         "box" if i % 2 else "location", f"BX{i:06d}",
                         {"count": [None, i], "note": ["", f"n{i}"]})


def _ids(html: str) -> list[int]:
    return [int(x) for x in _ROW.findall(html)]


def _csv(resp: Any) -> list[dict[str, str]]:
    """The export's rows keyed by column code (the headings are the reader's words)."""
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    reader = csv.reader(io.StringIO(resp.get_data(as_text=True)))
    heading = next(reader)
    assert heading == [vocabulary.english("column", c) for c in audit.EXPORT_HEADER]
    return [dict(zip(audit.EXPORT_HEADER, row, strict=True)) for row in reader]


def _matching(app: Flask, **where: Any) -> list[int]:
    with get_db(app).transaction() as s:
        return list(s.execute(audit.Filter(**where).query().with_only_columns(AuditEvent.id)
                              .order_by(AuditEvent.id.desc())).scalars())


def test_paging_walks_thousands_of_events_without_gap_or_repeat(app: Flask,
                                                                client_as: Any) -> None:
    _bulk(app)
    monitor = client_as("monitor")
    expected = _matching(app, action="storage.bulk_check")
    assert len(expected) == BULK * 4 // 5
    url = "/audit/?action=storage.bulk_check"
    seen: list[int] = []
    pages: list[str] = []
    while url:
        resp = monitor.get(url.replace("&amp;", "&"))
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        ids = _ids(html)
        assert 0 < len(ids) <= 50
        seen += ids
        pages.append(url)
        m = _OLDER.search(html)
        url = m.group(1) if m else ""
    assert seen == expected  # newest first, each once
    # Back one page from the third: exactly the second page again.
    third = monitor.get(pages[2].replace("&amp;", "&")).get_data(as_text=True)
    newer = _NEWER.search(third)
    assert newer is not None
    back = monitor.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _ids(back) == seen[50:100]
    # New events while reading do not shift the pages already computed (keyset, not offset).
    _bulk(app, 5)
    again = monitor.get(pages[1].replace("&amp;", "&")).get_data(as_text=True)
    assert _ids(again) == seen[50:100]


def test_filters_combine_and_the_export_follows_them(app: Flask, client_as: Any) -> None:
    _bulk(app, 60)
    monitor = client_as("monitor")
    query = "actor=cb.tech&action=storage.&entity_type=box"
    html = monitor.get(f"/audit/?{query}").get_data(as_text=True)
    ids = _ids(html)
    expected = _matching(app, actor="cb.tech", action="storage.", entity_type="box")
    assert ids == expected[:50] and len(expected) == 30
    assert 'href="/audit/export.csv?actor=cb.tech&amp;action=storage.&amp;entity_type=box"' \
        in html
    rows = _csv(monitor.get(f"/audit/export.csv?{query}"))
    assert [int(r["id"]) for r in rows] == sorted(expected)  # oldest first, all of them
    assert {(r["actor"], r["entity_type"]) for r in rows} == {("cb.tech", "box")}
    assert all(r["action"].startswith("storage.") for r in rows)
    one = monitor.get("/audit/?entity_type=box&entity_id=BX000007").get_data(as_text=True)
    assert len(_ids(one)) == 1
    # The whole trail without a filter, as before.
    with get_db(app).transaction() as s:
        total = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert len(_csv(monitor.get("/audit/export.csv"))) == total


def test_days_are_local_days(app: Flask, client_as: Any) -> None:
    # 23:30 UTC on 1 Dec is 07:30 on 2 Dec in Beijing: it belongs to the local 2 Dec.
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        ev = audit.record(s, tech, "storage.night", "box", "BXNIGHT", {})
        ev_id = ev.id
    with get_db(app).transaction() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            s.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        s.execute(text("UPDATE audit_events SET at = :at WHERE id = :id"),
                  {"at": datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "id": ev_id})
    monitor = client_as("monitor")
    on_2nd = monitor.get("/audit/?since=2026-12-02&until=2026-12-02&entity_id=BXNIGHT")
    assert _ids(on_2nd.get_data(as_text=True)) == [ev_id]
    on_1st = monitor.get("/audit/?since=2026-12-01&until=2026-12-01&entity_id=BXNIGHT")
    assert _ids(on_1st.get_data(as_text=True)) == []
    assert "No audit events match this filter." in on_1st.get_data(as_text=True)
    rows = _csv(monitor.get("/audit/export.csv?since=2026-12-02&until=2026-12-02"))
    assert [int(r["id"]) for r in rows] == [ev_id]


@pytest.mark.parametrize(("query", "field", "message"), [
    ("since=2026-13-40", "since", "not a real date"),
    ("since=yesterday", "since", "unrecognised date"),
    ("since=2026-12-05&until=2026-12-01", "until", "the last day comes before the first"),
    ("before=abc", "before", "must be a whole number"),
    ("actor=" + "x" * 65, "actor", "at most 64 characters"),
])
def test_a_bad_filter_is_refused_beside_its_field(app: Flask, client_as: Any, query: str,
                                                  field: str, message: str) -> None:
    resp = client_as("monitor").get(f"/audit/?{query}")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    error = re.search(rf'data-field="{field}"[^>]*>([^<]*)<', html)
    if field in ("since", "until", "actor"):
        assert error is not None and message in error.group(1)
        assert 'id="audit-filter"' in html
    else:
        assert message in html
    if field == "since" and "13-40" in query:
        assert 'value="2026-13-40"' in html  # what was typed is kept
    assert client_as("monitor").get(f"/audit/export.csv?{query}").status_code == 422


def test_empty_values_read_plainly(app: Flask, client_as: Any) -> None:
    _bulk(app, 1)
    html = client_as("monitor").get("/audit/?entity_id=BX000000").get_data(as_text=True)
    row = html[html.index('<tr data-event='):]
    row = row[:row.index("</tr>")]
    # Nothing recorded is "—"; an empty text is "(empty)", so a cleared value is seen as such.
    assert "<div>Count: — → 0</div>" in row and "<div>note: (empty) → n0</div>" in row
    assert "None" not in row


def test_only_monitors_and_admins_read_it(client_as: Any) -> None:
    assert client_as("s01.coord").get("/audit/").status_code == 403
    assert client_as("s01.coord").get("/audit/export.csv").status_code == 403
    assert client_as("admin").get("/audit/?action=participant.").status_code == 200


@pytest.mark.postgres
def test_common_filters_use_their_indexes_on_postgresql(app: Flask) -> None:
    with get_db(app).transaction() as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("EXPLAIN plans are PostgreSQL's")
    _bulk(app, 4000)
    with get_db(app).transaction() as s:
        s.execute(text("ANALYZE audit_events"))
    now = datetime.now(UTC)
    cases = {
        "ix_audit_events_actor_id": audit.Filter(actor="monitor"),
        "ix_audit_events_action_id": audit.Filter(action="participant."),
        "ix_audit_events_entity": audit.Filter(entity_type="box", entity_id="BX000123"),
        "ix_audit_events_at": audit.Filter(since=now - timedelta(days=400),
                                           until=now - timedelta(days=399)),
    }
    with get_db(app).transaction() as s:
        for index, where in cases.items():
            stmt = where.query().order_by(AuditEvent.id.desc()).limit(51)
            compiled = stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
            plan = "\n".join(s.execute(text(f"EXPLAIN {compiled}")).scalars())
            assert index in plan, (index, plan)


def test_migration_0016_down_and_up_again(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from biobank.db import make_engine
    from biobank.migrate import alembic_config, current_revision, upgrade

    engine = make_engine(db_url)
    try:
        names = {"ix_audit_events_actor_id", "ix_audit_events_action_id", "ix_audit_events_at"}

        def indexes() -> set[str]:
            return {str(i["name"]) for i in inspect(engine).get_indexes("audit_events")}

        assert names <= indexes()
        command.downgrade(alembic_config(engine), "0013")
        assert current_revision(engine) == "0013" and not names & indexes()
        upgrade(engine, "0016")
        assert current_revision(engine) == "0016" and names <= indexes()
    finally:
        engine.dispose()
