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
    tech, central = client_as("s01.tech"), client_as("cb.tech")
    before = row_counts(app)
    r = app.test_client().patch("/api/v1/me", headers=headers,
                                json={"display_name": "Tech\x00"})
    _refused(r, "display_name")
    code = specimen_code(db, status="collected", site="S01")
    r = post_form(tech, f"/specimens/{code}/correct",
                  {"field": "notes", "value": "note\x00", "reason": "typo"})
    _refused(r, "value")
    r = post_form(central, "/storage/rack-import",
                  {"csv": "Rack,Position,Tube\nR1,A01,SP\x00\n"})
    _refused(r, "csv")
    assert row_counts(app) == before


# --- defect 5: the e-signature password could be guessed without limit ------------------------
def _analysis(app: Flask, client: Any) -> int:
    from tests.biobank.genotyping.conftest import demo_specimens, germline_stop, mutect2_vcf
    from tests.biobank.genotyping.conftest import upload as upload_vcf

    resp = upload_vcf(client, mutect2_vcf([germline_stop()]), demo_specimens(app))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_defect5_signature_guesses_are_counted_throttled_and_audited(
        app: Flask, client_as: Any) -> None:
    from sqlalchemy import func, select, update

    from biobank import get_db
    from biobank.models import AuditEvent, AuthThrottle, ReportVersion, utcnow

    path = client_as("pathologist")
    analysis = _analysis(app, path)
    url = f"/genotyping/analyses/{analysis}/sign"
    codes = [post_form(path, url, {"password": f"guess-{i}", "confirm": "yes"}).status_code
             for i in range(40)]
    free = app.config["SIGNATURE_MAX_FAILURES"]
    # Three wrong passwords are checked (401); then the pathologist waits (429).
    assert codes == [401] * free + [429] * (40 - free)
    # The right password while blocked does not sign either: the 41st is refused.
    right = post_form(path, url, {"password": DEMO_PASSWORD, "confirm": "yes"})
    assert right.status_code == 429 and right.headers["Retry-After"]
    with get_db(app).transaction() as s:
        refused = s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "user.signature_refused")).scalar_one()
        assert refused == codes.count(401)  # every wrong password that was checked
        assert s.execute(select(func.count()).select_from(ReportVersion)).scalar_one() == 0
        # The back-off elapses: the pathologist signs.
        s.execute(update(AuthThrottle).values(blocked_until=utcnow()))
    assert post_form(path, url, {"password": DEMO_PASSWORD, "confirm": "yes"}).status_code == 303
    with get_db(app).transaction() as s:
        assert s.execute(select(func.count()).select_from(AuthThrottle)).scalar_one() == 0


# --- defect 6: the lockout told real names from unknown ones, and anyone could lock anyone ---
def _login_from(app: Flask, address: str, username: str, password: str) -> Any:
    c = app.test_client()
    token = csrf_token(c)
    return c.post("/login", data={"username": username, "password": password,
                                  "csrf_token": token},
                  environ_base={"REMOTE_ADDR": address})


def test_defect6_known_and_unknown_names_get_the_same_answers(app: Flask) -> None:
    def answers(name: str) -> list[tuple[int, str]]:
        out = []
        for _ in range(7):
            r = _login_from(app, "10.0.0.7", name, "wrong-password")
            page = r.get_data(as_text=True)
            flash = page.split('class="flash', 1)[1].split("</", 1)[0] if "flash" in page else ""
            out.append((r.status_code, flash.replace(name, "<name>")))
        return out

    real, unknown = answers("s02.coord"), answers("no.such.user")
    assert real == unknown
    assert {status for status, _ in real} == {401}


def test_defect6_guessing_from_another_computer_does_not_lock_the_owner_out(app: Flask) -> None:
    for _ in range(10):
        assert _login_from(app, "10.6.6.6", "s01.tech", "wrong-password").status_code == 401
    # Blocked from the attacker's address, even with the right password ...
    assert _login_from(app, "10.6.6.6", "s01.tech", DEMO_PASSWORD).status_code == 401
    # ... while the technician at the bench signs in as usual.
    assert _login_from(app, "10.1.1.1", "s01.tech", DEMO_PASSWORD).status_code == 302


# --- defect 9: a site technician corrected a tube held by the central biobank -------------------
def test_defect9_only_the_holding_site_or_central_staff_correct(app: Flask, db: Any,
                                                                client_as: Any) -> None:
    from tests.biobank.storage.conftest import received

    (code,) = received(app, 1)  # an S01 tube now held at the central biobank
    site, central = client_as("s01.tech"), client_as("cb.tech")
    before = row_counts(app)
    refused = post_form(site, f"/specimens/{code}/correct",
                        {"field": "notes", "value": "relabelled", "reason": "typo"})
    assert refused.status_code == 403 and "held by CB" in refused.get_data(as_text=True)
    assert row_counts(app) == before
    assert site.get(f"/specimens/{code}").status_code == 200  # still visible to its site
    done = post_form(central, f"/specimens/{code}/correct",
                     {"field": "notes", "value": "relabelled", "reason": "typo"})
    assert done.status_code == 302


def test_defect5_amending_is_counted_throttled_and_audited_too(app: Flask,
                                                               client_as: Any) -> None:
    """An amendment is a signature too: its wrong passwords are audited and throttled under the
    same per-(user, address) count as signing, so guessing cannot move to the other form."""
    from sqlalchemy import func, select

    from biobank import get_db
    from biobank.models import AuditEvent, ReportVersion

    path = client_as("pathologist")
    analysis = _analysis(app, path)
    base = f"/genotyping/analyses/{analysis}"
    assert post_form(path, f"{base}/sign",
                     {"password": DEMO_PASSWORD, "confirm": "yes"}).status_code == 303
    free = app.config["SIGNATURE_MAX_FAILURES"]
    guesses = [post_form(path, f"{base}/amend", {"password": f"guess-{i}", "confirm": "yes",
                                                 "reason": "typo"}).status_code
               for i in range(free + 2)]
    assert guesses == [401] * free + [429] * 2
    right = post_form(path, f"{base}/amend", {"password": DEMO_PASSWORD, "confirm": "yes",
                                              "reason": "typo"})
    assert right.status_code == 429 and right.headers["Retry-After"]
    with get_db(app).transaction() as s:
        assert s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "user.signature_refused")).scalar_one() == free
        assert s.execute(select(func.count()).select_from(ReportVersion)).scalar_one() == 1
