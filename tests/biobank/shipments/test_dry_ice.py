"""The net dry-ice mass of a shipment (IATA PI 954 / UN1845: the package states "NET x KG"):
recorded on the draft's forms and through the API, refused beside its field when it is not a
mass or the shipment is not on dry ice, audited and readable; a dry-ice shipment does not ship
without it (the confirmation asks for it); the manifest and the shipment page show it; the
migration adds and removes it."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db, history, i18n
from biobank.models import AuditEvent, Shipment
from tests.biobank.helpers import row_counts
from tests.conftest import needs, post_form

from .helpers import Api, manifest_texts, tubes


def _mass(app: Flask, code: str) -> Decimal | None:
    with get_db(app).transaction() as s:
        sh = s.execute(select(Shipment).where(Shipment.barcode == code)).scalar_one()
        return sh.dry_ice_kg


def _audit(app: Flask, code: str, action: str) -> list[dict[str, Any]]:
    with get_db(app).transaction() as s:
        return [dict(e.changes) for e in s.execute(
            select(AuditEvent).where(AuditEvent.entity_id == code, AuditEvent.action == action)
            .order_by(AuditEvent.id)).scalars()]


def _ready(app: Flask, api: Api, **body: Any) -> str:
    """A ready S01 → CB shipment of one tube with a courier and tracking number."""
    (t,) = tubes(app, 1)
    code = str(api.ok("POST", "/shipments", {"courier": "SF Express",
                                             "tracking_number": f"SF-DRY-{t}", **body},
                      201)["barcode"])
    api.ok("POST", f"/shipments/{code}/items", {"code": t})
    api.ok("POST", f"/shipments/{code}/ready")
    return code


# --- the API -------------------------------------------------------------------------------------

def test_api_records_the_mass_with_dry_ice_and_audits_it(app: Flask, api_token: Any) -> None:
    api = Api(app, api_token("s01.tech"))
    sh = api.ok("POST", "/shipments", {"conditions": "dry_ice", "dry_ice_kg": 2.5}, 201)
    code = sh["barcode"]
    assert sh["dry_ice_kg"] == "2.5" and _mass(app, code) == Decimal("2.50")
    assert _audit(app, code, "shipment.update") == [{"dry_ice_kg": [None, "2.5"]}]
    # Typed as text with a comma, as people write it where the comma is the decimal mark.
    assert api.ok("PATCH", f"/shipments/{code}", {"dry_ice_kg": "12,75"})["dry_ice_kg"] == "12.75"
    assert api.ok("PATCH", f"/shipments/{code}", {"dry_ice_kg": 200})["dry_ice_kg"] == "200"
    assert _audit(app, code, "shipment.update")[1:] == [{"dry_ice_kg": ["2.5", "12.75"]},
                                                        {"dry_ice_kg": ["12.75", "200"]}]
    # The same mass again changes nothing and writes nothing.
    api.ok("PATCH", f"/shipments/{code}", {"dry_ice_kg": "200.00"})
    assert len(_audit(app, code, "shipment.update")) == 3
    # Packed without dry ice after all: the mass goes with the ice, in the same audited change.
    sh = api.ok("PATCH", f"/shipments/{code}", {"conditions": "refrigerated"})
    assert sh["dry_ice_kg"] is None and _mass(app, code) is None
    assert _audit(app, code, "shipment.update")[-1] == {
        "conditions": ["dry_ice", "refrigerated"], "dry_ice_kg": ["200", None]}


@pytest.mark.parametrize(("value", "code", "words"), [
    (0, "out_of_range", "between 0.01 and 200"),
    (-1, "out_of_range", "between 0.01 and 200"),
    ("200.01", "out_of_range", "between 0.01 and 200"),
    ("2.505", "too_precise", "at most 2 decimal places"),
    ("two", "not_a_number", "is not a number"),
    ("NaN", "not_a_number", "is not a number"),
    (True, "not_a_number", "must be a number"),
])
def test_api_refuses_what_is_not_a_mass_naming_the_field(
        app: Flask, api_token: Any, value: Any, code: str, words: str) -> None:
    api = Api(app, api_token("s01.tech"))
    before = row_counts(app)
    status, body = api.call("POST", "/shipments", {"conditions": "dry_ice", "dry_ice_kg": value})
    assert status == 422 and body["error"]["code"] == code, body
    assert body["error"]["field"] == "dry_ice_kg" and words in body["error"]["message"]
    assert row_counts(app) == before


def test_api_refuses_a_mass_for_a_shipment_not_on_dry_ice(app: Flask, api_token: Any) -> None:
    api = Api(app, api_token("s01.tech"))
    before = row_counts(app)
    status, body = api.call("POST", "/shipments", {"conditions": "ambient", "dry_ice_kg": 3})
    assert status == 422 and body["error"]["code"] == "dry_ice_not_applicable"
    assert body["error"]["field"] == "dry_ice_kg" and "dry ice" in body["error"]["message"]
    assert "Ambient (15–25 °C)" in body["error"]["message"]  # in words, not the stored code
    assert row_counts(app) == before  # not even the draft: one request, nothing written
    code = api.ok("POST", "/shipments", {"conditions": "ambient"}, 201)["barcode"]
    status, body = api.call("PATCH", f"/shipments/{code}", {"dry_ice_kg": 3})
    assert (status, body["error"]["field"]) == (422, "dry_ice_kg")
    # Conditions and mass changed together are judged together.
    sh = api.ok("PATCH", f"/shipments/{code}", {"conditions": "dry_ice", "dry_ice_kg": 3})
    assert (sh["conditions"], sh["dry_ice_kg"]) == ("dry_ice", "3")


def test_api_ship_of_dry_ice_without_the_mass_is_refused(app: Flask, api_token: Any) -> None:
    api = Api(app, api_token("s01.tech"))
    code = _ready(app, api, conditions="dry_ice")
    before = row_counts(app)
    status, body = api.call("POST", f"/shipments/{code}/ship")
    assert status == 422 and body["error"]["code"] == "dry_ice_kg_required"
    assert body["error"]["field"] == "dry_ice_kg"
    assert "dry_ice_kg" in body["error"]["message"] and "net mass" in body["error"]["message"]
    assert row_counts(app) == before
    api.ok("PATCH", f"/shipments/{code}", {"dry_ice_kg": "4.2"})
    assert api.ok("POST", f"/shipments/{code}/ship")["status"] == "shipped"
    # Once shipped the mass is fixed, like the conditions it belongs to.
    status, body = api.call("PATCH", f"/shipments/{code}", {"dry_ice_kg": 5})
    assert status == 409 and _mass(app, code) == Decimal("4.20")


def test_other_conditions_ship_without_a_mass(app: Flask, api_token: Any) -> None:
    api = Api(app, api_token("s01.tech"))
    for conditions in ("ambient", "refrigerated", "liquid_nitrogen"):
        code = _ready(app, api, conditions=conditions)
        assert api.ok("POST", f"/shipments/{code}/ship")["status"] == "shipped"


def test_the_database_refuses_a_mass_without_dry_ice(app: Flask, api_token: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    code = Api(app, api_token("s01.tech")).ok(
        "POST", "/shipments", {"conditions": "ambient"}, 201)["barcode"]
    with pytest.raises(IntegrityError), get_db(app).transaction() as s:
        s.execute(select(Shipment).where(Shipment.barcode == code)).scalar_one() \
            .dry_ice_kg = Decimal(2)
        s.flush()


# --- the pages -----------------------------------------------------------------------------------

def _field(page: str, form_id: str, name: str) -> tuple[str, str]:
    """(the input tag, the message beside it) of ``name`` in the form ``form_id``."""
    form = page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', form)
    assert tag, form
    error = re.search(rf'data-field="{name}"[^>]*>([^<]*)<', form)
    return tag.group(0), html.unescape(error.group(1)) if error else ""


def _create_page(client: Any, **fields: str) -> Any:
    return post_form(client, "/shipments/", {"to": "CB", **fields})


def test_create_form_records_the_mass_and_refuses_it_beside_its_field(
        app: Flask, client_as: Any) -> None:
    site = client_as("s01.tech")
    before = row_counts(app)
    r = _create_page(site, conditions="ambient", courier="SF Express", dry_ice_kg="2.5")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "<h1>Error" not in page
    tag, error = _field(page, "create-form", "dry_ice_kg")
    assert 'value="2.5"' in tag and 'aria-invalid="true"' in tag and "dry ice" in error
    assert row_counts(app) == before
    r = _create_page(site, conditions="dry_ice", dry_ice_kg="0")
    tag, error = _field(r.get_data(as_text=True), "create-form", "dry_ice_kg")
    assert r.status_code == 422 and 'value="0"' in tag and "between 0.01 and 200" in error
    r = _create_page(site, conditions="dry_ice", dry_ice_kg="2.5")
    assert r.status_code == 302
    code = r.headers["Location"].rstrip("/").split("/")[-1]
    assert _mass(app, code) == Decimal("2.5")
    page = site.get(f"/shipments/{code}").get_data(as_text=True)
    assert 'data-dry-ice-kg="2.5">2.5 kg<' in page
    assert 'data-dry-ice-kg="2.5">2.5 kg<' in site.get("/shipments/").get_data(as_text=True)


def test_details_form_changes_clears_and_refuses_the_mass(app: Flask, client_as: Any) -> None:
    site = client_as("s01.tech")
    r = _create_page(site, conditions="dry_ice")
    code = r.headers["Location"].rstrip("/").split("/")[-1]
    page = site.get(f"/shipments/{code}").get_data(as_text=True)
    assert "not recorded (required before shipping)" in page
    details = {"conditions": "dry_ice", "courier": "SF Express", "tracking_number": "",
               "logger_id": "", "planned_ship_at": ""}
    assert post_form(site, f"/shipments/{code}/details",
                     {**details, "dry_ice_kg": "3.25"}).status_code == 302
    assert _mass(app, code) == Decimal("3.25")
    before = row_counts(app)
    r = post_form(site, f"/shipments/{code}/details",
                  {**details, "courier": "EMS", "dry_ice_kg": "lots"})
    page = r.get_data(as_text=True)
    tag, error = _field(page, "details-form", "dry_ice_kg")
    assert r.status_code == 422 and 'value="lots"' in tag and "not a number" in error
    assert 'value="EMS"' in _field(page, "details-form", "courier")[0]
    assert row_counts(app) == before and _mass(app, code) == Decimal("3.25")
    # Emptied on the form: no mass recorded any more (shipping will ask for it again).
    assert post_form(site, f"/shipments/{code}/details",
                     {**details, "dry_ice_kg": ""}).status_code == 302
    assert _mass(app, code) is None
    assert _audit(app, code, "shipment.update")[-1] == {"dry_ice_kg": ["3.25", None]}


def test_ship_now_asks_for_the_mass_and_records_it_with_the_shipping(
        app: Flask, client_as: Any, api_token: Any) -> None:
    code = _ready(app, Api(app, api_token("s01.tech")), conditions="dry_ice")
    site = client_as("s01.tech")
    before = row_counts(app)
    # "Ship now": the confirmation, with the field and why it is needed; nothing shipped.
    r = post_form(site, f"/shipments/{code}/action", {"op": "ship"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and f'data-ship-confirm="{code}"' in page
    tag, error = _field(page, "ship-form", "dry_ice_kg")
    assert 'value=""' in tag and 'aria-invalid="true"' in tag and "autofocus" in tag
    assert "net mass of the dry ice" in error
    # Confirmed with a mass that is not one: the same page, the typed text kept.
    r = post_form(site, f"/shipments/{code}/action",
                  {"op": "ship", "confirm": "yes", "dry_ice_kg": "250"})
    page = r.get_data(as_text=True)
    tag, error = _field(page, "ship-form", "dry_ice_kg")
    assert r.status_code == 422 and f'data-ship-confirm="{code}"' in page
    assert 'value="250"' in tag and "between 0.01 and 200" in error
    # Confirmed empty: still refused, nothing shipped.
    r = post_form(site, f"/shipments/{code}/action",
                  {"op": "ship", "confirm": "yes", "dry_ice_kg": ""})
    assert r.status_code == 422 and "net mass of the dry ice" in _field(
        r.get_data(as_text=True), "ship-form", "dry_ice_kg")[1]
    assert row_counts(app) == before
    r = post_form(site, f"/shipments/{code}/action",
                  {"op": "ship", "confirm": "yes", "dry_ice_kg": "2.5"})
    assert r.status_code == 302
    assert _mass(app, code) == Decimal("2.5")
    assert _audit(app, code, "shipment.update")[-1] == {"dry_ice_kg": [None, "2.5"]}
    assert [c["status"] for c in _audit(app, code, "shipment.shipped")] == [["ready", "shipped"]]


def test_ship_confirmation_shows_a_recorded_mass(app: Flask, client_as: Any,
                                                 api_token: Any) -> None:
    code = _ready(app, Api(app, api_token("s01.tech")), conditions="dry_ice", dry_ice_kg=6)
    site = client_as("s01.tech")
    r = post_form(site, f"/shipments/{code}/action", {"op": "ship"})
    page = r.get_data(as_text=True)
    tag, error = _field(page, "ship-form", "dry_ice_kg")
    assert r.status_code == 200 and 'value="6"' in tag and not error
    assert 'data-dry-ice-kg="6">6 kg<' in page
    # Confirmed as shown: shipped, the mass unchanged and no second change recorded.
    assert post_form(site, f"/shipments/{code}/action",
                     {"op": "ship", "confirm": "yes", "dry_ice_kg": "6"}).status_code == 302
    (created,) = _audit(app, code, "shipment.update")
    assert created["dry_ice_kg"] == [None, "6"]


# --- what people read ----------------------------------------------------------------------------

def test_history_reads_the_mass_and_conditions_in_both_languages() -> None:
    changes = {"conditions": ["dry_ice", "ambient"], "dry_ice_kg": ["2.5", None]}
    assert history.change_lines(changes, i18n.translator("en")) == [
        "Shipping conditions: Dry ice (−78 °C) → Ambient (15–25 °C)",
        "Dry ice, net mass (kg): 2.5 → —"]
    zh = history.change_lines(changes, i18n.translator("zh"))
    assert zh[0].startswith("运输条件") and "干冰" in zh[0]
    assert zh[1].startswith("干冰净重") and "2.5" in zh[1]


@needs(shutil.which("pdftotext") is None, "poppler-utils not installed")
def test_manifest_states_the_mass(app: Flask, client_as: Any, api_token: Any,
                                  tmp_path: Path) -> None:
    code = _ready(app, Api(app, api_token("s01.tech")), conditions="dry_ice", dry_ice_kg="2.5")
    c = client_as("s01.tech")
    head = next(csv.reader(io.StringIO(c.get(f"/shipments/{code}/manifest.csv")
                                       .get_data(as_text=True))))
    # The fields scripts read by position stay where they were; the mass follows them.
    assert head[4] == "dry_ice" and head[-1] == "2.5"
    assert c.get(f"/shipments/{code}/manifest.json").get_json()["dry_ice_kg"] == "2.5"
    texts = manifest_texts(c, code, tmp_path)
    assert "Dry ice, net mass: 2.5 kg" in texts["en"]
    assert "干冰净重: 2.5 kg" in texts["zh"]


# --- the migration -------------------------------------------------------------------------------

def test_migration_0017_down_and_up_again(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import IntegrityError

    from biobank.db import make_engine
    from biobank.migrate import alembic_config, current_revision, upgrade

    engine = make_engine(db_url)

    def columns() -> set[str]:
        return {str(c["name"]) for c in inspect(engine).get_columns("shipments")}

    def insert(status: str, conditions: str, kg: int | None) -> None:
        # The demo has sites but no shipment: one draft between two of them.
        with engine.begin() as conn:
            sites = conn.execute(text("SELECT id FROM sites ORDER BY id LIMIT 2")).scalars().all()
            conn.execute(text(
                "INSERT INTO shipments (barcode, status, from_site_id, to_site_id, conditions, "
                "dry_ice_kg, courier, logger_id, notes, created_at) VALUES ('SHMIGR', :status, "
                ":a, :b, :conditions, :kg, '', '', '', CURRENT_TIMESTAMP)"),
                {"status": status, "a": sites[0], "b": sites[1], "conditions": conditions,
                 "kg": kg})
            conn.execute(text("DELETE FROM shipments WHERE barcode = 'SHMIGR'"))

    try:
        assert "dry_ice_kg" in columns()
        command.downgrade(alembic_config(engine), "0016")
        assert current_revision(engine) == "0016" and "dry_ice_kg" not in columns()
        upgrade(engine, "0017")
        assert current_revision(engine) == "0017" and "dry_ice_kg" in columns()
        insert("draft", "dry_ice", 2)
        # The rebuilt table (SQLite) holds the new check, and the older ones still.
        for refused in (("draft", "ambient", 2), ("draft", "dry_ice", 0),
                        ("draft", "dry_ice", 201), ("floating", "dry_ice", 2)):
            with pytest.raises(IntegrityError):
                insert(*refused)
    finally:
        engine.dispose()
