"""The shipment forms keep what was typed (issue 16): a planned ship time the app cannot read
("tomorrow 9am") or a tracking number another shipment has comes back as the page (4xx) with
the message beside its field and every value kept; the browser's date-time input is read as
local time at the sending site, and ISO 8601 typed with its offset is still accepted."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import AuditEvent, Shipment
from tests.conftest import post_form


def _create(client: Any, **fields: str) -> str:
    r = post_form(client, "/shipments/", {"conditions": "dry_ice", "to": "CB", **fields})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return str(r.headers["Location"].rstrip("/").split("/")[-1])


def _shipment(app: Flask, code: str) -> tuple[Any, Any, Any]:
    with get_db(app).transaction() as s:
        sh = s.execute(select(Shipment).where(Shipment.barcode == code)).scalar_one()
        return sh.planned_ship_at, sh.courier, sh.tracking_number


def _audits(app: Flask) -> int:
    with get_db(app).transaction() as s:
        return len(s.execute(select(AuditEvent.id)).all())


def _input(page: str, name: str) -> str:
    """The tag of the details form's input ``name``."""
    form = page.split('id="details-form"', 1)[1].split("</form>", 1)[0]
    m = re.search(rf'<input[^>]*name="{name}"[^>]*>', form)
    assert m, form
    return m.group(0)


def test_tomorrow_9am_is_refused_beside_the_planned_time_with_the_rest_kept(
        app: Flask, client_as: Any) -> None:
    site = client_as("s01.tech")
    code = _create(site)
    before = _audits(app)
    r = post_form(site, f"/shipments/{code}/details", {
        "conditions": "ambient", "courier": "SF Express", "tracking_number": "SF77001",
        "logger_id": "LOG-9", "planned_ship_at": "tomorrow 9am"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "<h1>Error" not in page
    # The message beside the field says what was typed and how to write a date.
    form = page.split('id="details-form"', 1)[1].split("</form>", 1)[0]
    error = html.unescape(form.split('data-field="planned_ship_at"', 1)[1].split("</span>")[0])
    assert "tomorrow 9am" in error and "2026-11-24" in error
    # What was typed is still there: the refused time as text (a date-time picker could not
    # hold it), the other fields as typed, the chosen conditions still chosen.
    planned = _input(page, "planned_ship_at")
    assert 'type="text"' in planned and 'value="tomorrow 9am"' in planned
    assert 'aria-invalid="true"' in planned
    assert 'value="SF Express"' in _input(page, "courier")
    assert 'value="SF77001"' in _input(page, "tracking_number")
    assert 'value="LOG-9"' in _input(page, "logger_id")
    assert '<option value="ambient" selected>' in form
    assert 'id="form-refusal"' in page
    assert _audits(app) == before and _shipment(app, code) == (None, "", None)


def test_the_date_time_input_is_local_time_at_the_sending_site(
        app: Flask, client_as: Any) -> None:
    site = client_as("s01.tech")
    # What Chromium's <input type="datetime-local"> sends: no zone; S01 is Asia/Shanghai.
    code = _create(site, courier="SF Express", planned_ship_at="2026-12-08T09:30")
    planned, courier, _tracking = _shipment(app, code)
    assert planned == datetime(2026, 12, 8, 1, 30, tzinfo=UTC) and courier == "SF Express"
    page = site.get(f"/shipments/{code}").get_data(as_text=True)
    tag = _input(page, "planned_ship_at")
    assert 'type="datetime-local"' in tag and 'value="2026-12-08T09:30"' in tag
    assert "2026-12-08 09:30 CST" in page
    # ISO 8601 with its offset, typed by hand or sent by a script, is read as written.
    r = post_form(site, f"/shipments/{code}/details",
                  {"planned_ship_at": "2026-12-09T10:00+00:00"})
    assert r.status_code == 302
    assert _shipment(app, code)[0] == datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    # Emptied: no planned time.
    post_form(site, f"/shipments/{code}/details", {"planned_ship_at": ""})
    assert _shipment(app, code)[0] is None


def test_a_tracking_number_in_use_is_refused_beside_it(app: Flask, client_as: Any) -> None:
    site = client_as("s01.tech")
    first = _create(site, tracking_number="SF99001")
    code = _create(site)
    r = post_form(site, f"/shipments/{code}/details",
                  {"courier": "EMS", "tracking_number": "SF99001",
                   "planned_ship_at": "2026-12-10T08:00"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    form = page.split('id="details-form"', 1)[1].split("</form>", 1)[0]
    assert first in form.split('data-field="tracking_number"', 1)[1].split("</span>")[0]
    assert 'value="EMS"' in _input(page, "courier")
    assert 'value="2026-12-10T08:00"' in _input(page, "planned_ship_at")
    assert _shipment(app, code) == (None, "", None)


def test_a_cancellation_without_a_reason_is_refused_beside_the_reason(
        app: Flask, client_as: Any) -> None:
    site = client_as("s01.tech")
    code = _create(site)
    r = post_form(site, f"/shipments/{code}/action", {"op": "cancel", "reason": "   "})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    form = page.split('id="cancel-form"', 1)[1].split("</form>", 1)[0]
    assert 'data-field="reason"' in form
    # The other forms on the page are as the page makes them (no error, nothing filled in).
    lost_or_details = page.split('id="details-form"', 1)[1].split("</form>", 1)[0]
    assert "data-field" not in lost_or_details
