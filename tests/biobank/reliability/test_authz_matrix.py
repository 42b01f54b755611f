"""One test per cell of the authorization matrix (authz_table.py), on SQLite and PostgreSQL:
pages with a signed-in session (forms carry the CSRF token), the API with bearer tokens."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from biobank import create_app
from tests.conftest import csrf_token

from .authz_table import ACTING_USER, ROLES, TABLE, Row, covered_rules
from .conftest import World, signed_in, token_of


def _fill(value: Any, world: World, row: Row, user: str | None) -> Any:
    if not isinstance(value, str):
        return value
    values = dict(world.values.get("own" if row.kind == "none" else row.kind, {}))
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


CELLS = [
    pytest.param(row, role, id=f"{row.method} {row.url} [{row.kind}] {role}"
                 + (f" {sorted(row.body)}" if row.method == "PATCH" else ""))
    for row in TABLE for role in ROLES
]


@pytest.mark.parametrize(("row", "role"), CELLS)
def test_cell(row: Row, role: str, authz_world: World, request: pytest.FixtureRequest) -> None:
    if row.method == "GET" and not row.writes:
        app: Flask = request.getfixturevalue("authz_reader")
        resp = _call(app, authz_world, row, role)
    else:
        # Refused requests roll back, so the world is restored only after an accepted write.
        app, url = request.getfixturevalue("authz_writer")
        if authz_world.dirty:
            authz_world.restore(app, url)
            authz_world.dirty = False
        resp = _call(app, authz_world, row, role)
        authz_world.dirty = resp.status_code < 400
    expected = row.status_for(role)
    assert resp.status_code == expected, (
        f"{row.method} {row.url} [{row.kind}] as {role}: got {resp.status_code}, "
        f"expected {expected}\n{resp.get_data(as_text=True)[:300]}")
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


@pytest.mark.xfail(strict=False, reason="not yet in the table: the endpoints keyed by a "
                   "shipment code, a box or a location barcode (they need those objects in "
                   "the world)")
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
