"""One test per cell of the authorization matrix (authz_table.py), on SQLite and PostgreSQL:
pages with a signed-in session (forms carry the CSRF token), the API with bearer tokens."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from biobank import create_app, get_db
from biobank.models import AuditEvent, Specimen, User
from tests.conftest import csrf_token, make_app, open_session

from .authz_table import ACTING_USER, ROLES, TABLE, Row, covered_rules
from .conftest import World, signed_in, token_of


def _fill(value: Any, world: World, row: Row, user: str | None) -> Any:
    if not isinstance(value, str):
        return value
    values = dict(world.values.get("own" if row.kind == "none" else row.kind, {}))
    values.update({f"their_{k}": v for k, v in world.values.get("other", {}).items()})
    values["my_token"] = world.token_ids[user or "s01.tech"]
    values["their_token"] = world.token_ids["s02.tech"]
    return value.format(**values)


def _call(app: Flask, world: World, row: Row, role: str) -> Any:
    user = ACTING_USER[role]
    url = _fill(row.url, world, row, user)
    body = {k: _fill(v, world, row, user) for k, v in row.body.items()}
    if row.api:
        c = app.test_client()
        return c.open(url, method=row.method, headers=token_of(world, user),
                      json=body if row.method != "GET" else None)
    c = signed_in(app, world, user)
    if row.method == "GET":
        return c.get(url)
    token = csrf_token(c, "/login" if user is None else "/")
    return c.open(url, method=row.method, data={**body, "csrf_token": token})


def _row_id(row: Row) -> str:
    base = f"{row.method} {row.url} [{row.kind}]"
    twins = [r for r in TABLE if (r.method, r.url, r.kind) == (row.method, row.url, row.kind)]
    return base + (f" {row.body}" if len(twins) > 1 else "")


CELLS = [pytest.param(row, role, id=f"{_row_id(row)} {role}")
         for row in TABLE for role in ROLES]


def _audit_rows(app: Flask) -> int:
    """Every change is an audit event (docs/ARCHITECTURE.md), so an unchanged count means
    nothing was written. The one refusal that is itself recorded on purpose is left out: a
    scan screen's record of another site's tube in hand (where it turned up; see
    docs/bench.md)."""
    s = get_db(app).session(write=False)
    try:
        return int(s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action != "specimen.scanned_at_other_site")).scalar_one())
    finally:
        s.close()


@pytest.mark.parametrize(("row", "role"), CELLS)
def test_cell(row: Row, role: str, authz_world: World, request: pytest.FixtureRequest) -> None:
    if row.method == "GET" and not row.writes:
        app: Flask = request.getfixturevalue("authz_reader")
        before = _audit_rows(app)
        resp = _call(app, authz_world, row, role)
        # A plain GET writes nothing, whoever asks (the shared copy stays the world).
        assert _audit_rows(app) == before, f"GET {row.url} as {role} wrote"
        written = False
    else:
        app, url = request.getfixturevalue("authz_writer")
        if authz_world.dirty:
            authz_world.restore(app, url)
            authz_world.dirty = False
        before = _audit_rows(app)
        resp = _call(app, authz_world, row, role)
        written = _audit_rows(app) != before
        authz_world.dirty = written or resp.status_code < 400
    expected = row.status_for(role)
    assert resp.status_code == expected, (
        f"{row.method} {row.url} [{row.kind}] as {role}: got {resp.status_code}, "
        f"expected {expected}\n{resp.get_data(as_text=True)[:300]}")
    # A refusal writes nothing: the request's one commit point rolled it all back.
    assert not (written and expected >= 400), f"{row.method} {row.url} as {role} wrote"
    if expected == 302 and role == "anonymous" and row.url != "/logout" and \
            row.url != "/language":
        assert "/login" in resp.headers["Location"]


def _app_rules() -> set[tuple[str, str]]:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    out = set()
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.add((method, rule.rule))
    return out


def test_every_endpoint_is_in_the_matrix() -> None:
    missing = sorted(_app_rules() - covered_rules())
    assert not missing, "endpoints missing from authz_table.py:\n" + "\n".join(
        f"  {m} {r}" for m, r in missing)


def test_the_matrix_names_only_real_endpoints() -> None:
    stale = sorted(covered_rules() - _app_rules())
    assert not stale, f"rows for endpoints that do not exist: {stale}"


def test_no_request_body_sets_a_role_or_a_site() -> None:
    """Across the whole generated API document: no writable field names a role or a site."""
    from biobank.web.api import openapi_document

    create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    forbidden = {"role", "site", "site_id", "site_code", "user_id", "sees_all_sites"}
    found = []
    for path, ops in openapi_document()["paths"].items():
        for method, op in ops.items():
            for media in op.get("requestBody", {}).get("content", {}).values():
                props = set(media.get("schema", {}).get("properties", {}))
                found += [f"{method.upper()} {path}: {p}" for p in props & forbidden]
    assert not found, found


def test_a_monitor_opening_a_label_pdf_takes_no_write_lock(sqlite_template: Path,
                                                           tmp_path: Path) -> None:
    """The label PDF is the technicians' one-click print (a GET that records the first print,
    under the write lock). A monitor may not print: the refusal comes before the lock, so a
    monitor is answered at once while a writer holds the database; the technician's print
    waits for the lock (here: gives up with 503, nothing printed)."""
    path = tmp_path / "locked.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", tmp_path, SQLITE_BUSY_TIMEOUT_MS=300)
    with get_db(app).transaction() as s:
        code = s.execute(select(Specimen.barcode).where(Specimen.status == "collected")
                         .order_by(Specimen.id)).scalars().first()
        ids = {u.username: u.id for u in s.execute(select(User)).scalars()}
    url = f"/labels/specimens/{code}.pdf"
    monitor, tech = app.test_client(), app.test_client()
    open_session(app, monitor, "monitor")
    open_session(app, tech, "s01.tech")

    def as_user(name: str) -> Any:
        return {"monitor": monitor, "s01.tech": tech}[name]

    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        # A 403, not the 503 the lock would give: the refusal came before the lock.
        refused = as_user("monitor").get(url)
        assert refused.status_code == 403
        waited = as_user("s01.tech").get(url)
        assert waited.status_code == 503
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    printed = as_user("s01.tech").get(url)
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    with get_db(app).transaction() as s:
        prints = s.execute(select(AuditEvent.actor_id).where(
            AuditEvent.entity_id == code, AuditEvent.action == "label.print")).scalars().all()
    assert prints == [ids["s01.tech"]]
    get_db(app).dispose()
