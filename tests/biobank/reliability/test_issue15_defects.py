"""Regression tests for the defects a hostile run found (issue 15), on SQLite and PostgreSQL.
Each test names its defect; each checks the answer a user gets AND that nothing was written."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.biobank.helpers import row_counts, specimen_code
from tests.conftest import DEMO_PASSWORD, csrf_token, post_form


def _api(app: Flask, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(resp: Any, field: str) -> None:
    """422 naming the field: in the JSON error, or on the page (data-field)."""
    assert resp.status_code == 422, (resp.status_code, resp.get_data(as_text=True)[:400])
    if resp.is_json:
        assert resp.json["error"]["field"] == field, resp.json
        assert field in resp.json["error"]["fields"]
    else:
        assert f'data-field="{field}"' in resp.get_data(as_text=True)


# --- defect 1: 5xx on bad numbers and dates --------------------------------------------------
@pytest.mark.parametrize("value", ["NaN", "sNaN", "-Infinity"])
def test_defect1_a_correction_to_nan_is_a_422(app: Flask, db: Any, client_as: Any,
                                              value: str) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    before = row_counts(app)
    r = post_form(c, f"/specimens/{code}/correct",
                  {"field": "quantity", "value": value, "reason": "hostile"})
    _refused(r, "value")
    assert row_counts(app) == before


@pytest.mark.parametrize("value", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00"])
def test_defect1_an_extreme_collection_time_is_a_422(app: Flask, db: Any, client_as: Any,
                                                     value: str) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    before = row_counts(app)
    r = post_form(c, f"/specimens/{code}/correct",
                  {"field": "collected_at", "value": value, "reason": "hostile"})
    _refused(r, "value")
    assert row_counts(app) == before


def test_defect1_an_extreme_planned_ship_time_is_a_json_422(app: Flask, api_token: Any) -> None:
    c = app.test_client()
    headers = _api(app, api_token("s01.tech"))
    before = row_counts(app)
    r = c.post("/api/v1/shipments", headers=headers,
               json={"conditions": "dry_ice", "planned_ship_at": "0001-01-01T00:00+14:00"})
    assert r.mimetype == "application/json"  # not Werkzeug's HTML page
    _refused(r, "planned_ship_at")
    assert row_counts(app) == before


def test_defect1_a_lab_value_of_1e999999_is_a_422(app: Flask, client_as: Any) -> None:
    c = client_as("s01.coord")
    before = row_counts(app)
    r = post_form(c, "/genotyping/participants/S01-0003/criteria",
                  {"ast": "1E+999999", "ast_uln": "40", "source": "lab report"})
    _refused(r, "ast")
    assert row_counts(app) == before


# --- defect 2: absurd values accepted ----------------------------------------------------------
@pytest.mark.parametrize(("value", "code"), [("1E+999999", "out_of_range"),
                                             ("1e-999999", "too_precise")])
def test_defect2_an_absurd_quantity_is_refused_not_stored(app: Flask, db: Any, client_as: Any,
                                                          value: str, code: str) -> None:
    spec = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    before = row_counts(app)
    r = c.post(f"/specimens/{spec}/correct", headers={"Accept": "application/json"},
               data={"field": "quantity", "value": value, "reason": "hostile",
                     "csrf_token": csrf_token(c, "/")})
    _refused(r, "value")
    assert r.json["error"]["code"] == code
    assert row_counts(app) == before


@pytest.mark.parametrize(("values", "field"), [
    ({"platelets": "1E+999999"}, "platelets"),
    ({"platelets": "900000"}, "platelets"),  # 900,000 × 10^9/L: a typing error, not "met"
    ({"haemoglobin": "95", "haemoglobin_unit": "g/dL"}, "haemoglobin"),
    ({"ast": "90000", "ast_uln": "40"}, "ast"),
])
def test_defect2_an_implausible_lab_value_never_meets_a_criterion(
        app: Flask, client_as: Any, values: dict[str, str], field: str) -> None:
    c = client_as("s01.coord")
    before = row_counts(app)
    r = post_form(c, "/genotyping/participants/S01-0003/criteria",
                  {**values, "source": "lab report"})
    _refused(r, field)
    assert row_counts(app) == before


# --- defect 3: a NUL byte (PostgreSQL: a 500) --------------------------------------------------
def test_defect3_nul_in_a_login_name_is_a_422_before_sign_in(app: Flask) -> None:
    c = app.test_client()
    before = row_counts(app)
    r = c.post("/login", data={"username": "s01.tech\x00", "password": DEMO_PASSWORD,
                               "csrf_token": csrf_token(c)})
    _refused(r, "username")
    assert row_counts(app) == before


def test_defect3_nul_in_a_path_is_a_422(app: Flask, api_token: Any) -> None:
    r = app.test_client().get("/api/v1/specimens/SP0000%00005X",
                              headers=_api(app, api_token("cb.tech")))
    _refused(r, "barcode")


@pytest.mark.parametrize(("path", "body", "field", "user"), [
    ("/api/v1/shipments", {"conditions": "dry_ice", "courier": "SF\x00"}, "courier",
     "s01.tech"),
    ("/api/v1/storage/boxes", {"box_type": "cryobox_9x9", "name": "Box\x00"}, "name",
     "cb.tech"),
    ("/api/v1/storage/rack-scans", {"csv": "Rack,Position,Tube\nR1,A01,SP\x00"}, "csv",
     "cb.tech"),
])
def test_defect3_nul_in_an_api_field_is_a_422(app: Flask, api_token: Any, path: str,
                                              body: dict[str, Any], field: str,
                                              user: str) -> None:
    headers = _api(app, api_token(user))
    before = row_counts(app)
    r = app.test_client().post(path, headers=headers, json=body)
    _refused(r, field)
    assert row_counts(app) == before


def test_defect3_nul_in_a_display_name_or_a_note_is_a_422(app: Flask, db: Any, api_token: Any,
                                                          client_as: Any) -> None:
    headers = _api(app, api_token("s01.tech"))
    before = row_counts(app)
    r = app.test_client().patch("/api/v1/me", headers=headers,
                                json={"display_name": "Tech\x00"})
    _refused(r, "display_name")
    code = specimen_code(db, status="collected", site="S01")
    r = post_form(client_as("s01.tech"), f"/specimens/{code}/correct",
                  {"field": "notes", "value": "note\x00", "reason": "typo"})
    _refused(r, "value")
    r = post_form(client_as("cb.tech"), "/storage/rack-import",
                  {"csv": "Rack,Position,Tube\nR1,A01,SP\x00\n"})
    _refused(r, "csv")
    assert row_counts(app) == before
