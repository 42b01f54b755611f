"""Pack, ship, receive tube by tube, record every discrepancy, resolve each with a reason,
close — through the JSON API on both engines."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, ShipmentItem, Specimen
from tests.biobank.helpers import events_of

from .helpers import Api, shipped, tubes


def _specimen(db: Any, code: str) -> Specimen:
    db.rollback()
    return db.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()


def test_full_cycle_with_missing_damaged_and_extra(app: Flask, db: Any, api_token: Any) -> None:
    site = Api(app, api_token("s01.tech"))
    cb = Api(app, api_token("cb.tech"))
    a, b, c, d, stray = tubes(app, 5)
    code = shipped(site, [a, b, c, d])

    for t in (a, b, c, d):
        sp = _specimen(db, t)
        assert sp.status == "in_transit" and sp.site.code == "S01"
    ship_ev = events_of(db, a)[-1]
    assert (ship_ev.kind, ship_ev.site.code, ship_ev.actor.username) == ("ship", "S01",
                                                                          "s01.tech")
    assert ship_ev.detail["shipment"] == code

    # The site cannot receive its own shipment; the central biobank opens the receipt.
    assert site.call("POST", f"/shipments/{code}/receipt", {})[0] == 403
    cb.ok("POST", f"/shipments/{code}/receipt",
          {"package_condition": "intact", "temperature_c": -70.5}, 201)
    assert cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": a})["outcome"] == "received"
    # A double read: one event, reported as duplicate.
    assert cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": a})["outcome"] == \
        "duplicate"
    assert cb.ok("POST", f"/shipments/{code}/receipt/scans",
                 {"code": b, "damage": "haemolysed"})["outcome"] == "damaged"
    out = cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": stray})
    assert out["outcome"] == "extra"
    # d is left in the box: missing. c was received.
    cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": c})
    sh = cb.ok("POST", f"/shipments/{code}/receipt/finish", {})
    assert sh["status"] == "partially_received"
    assert sh["counts"] == {"manifest": 4, "packed": 0, "received": 2, "missing": 1,
                            "damaged": 1, "extra": 1, "open": 3}
    assert sh["package_condition"] == "intact" and sh["arrival_temperature_c"] == "-70.50"

    # Custody: received tubes are held at CB now; the stray's custody did not move.
    sp_a = _specimen(db, a)
    assert sp_a.status == "received" and sp_a.site.code == "CB"
    assert [e.kind for e in events_of(db, a)].count("receive") == 1
    recv = events_of(db, a)[-1]
    assert (recv.kind, recv.site.code, recv.actor.username) == ("receive", "CB", "cb.tech")
    sp_stray = _specimen(db, stray)
    assert sp_stray.status == "collected" and sp_stray.site.code == "S01"
    assert _specimen(db, d).status == "in_transit"

    # Cannot close while discrepancies are open; each needs a reason.
    code409, err = cb.call("POST", f"/shipments/{code}/close")
    assert code409 == 409 and err["error"]["code"] == "open_discrepancies"
    code422, err = cb.call("POST", f"/shipments/{code}/items/{d}/resolve", {"reason": " "})
    assert code422 == 422
    cb.ok("POST", f"/shipments/{code}/items/{d}/resolve",
          {"reason": "courier confirmed the tube was never packed", "action": "lost"})
    cb.ok("POST", f"/shipments/{code}/items/{b}/resolve",
          {"reason": "haemolysed, unusable", "action": "disposed"})
    cb.ok("POST", f"/shipments/{code}/items/{stray}/resolve",
          {"reason": "returned to S01 with the next shipment"})
    assert cb.call("POST", f"/shipments/{code}/items/{stray}/resolve",
                   {"reason": "again"})[0] == 409
    assert cb.ok("POST", f"/shipments/{code}/close")["status"] == "closed"

    assert _specimen(db, d).status == "lost"
    assert _specimen(db, b).status == "disposed"
    assert _specimen(db, stray).status == "collected"
    db.rollback()
    reasons = set(db.execute(select(AuditEvent.reason).where(
        AuditEvent.entity_id == code, AuditEvent.action == "shipment.resolve")).scalars())
    assert "haemolysed, unusable" in reasons and len(reasons) == 3

    # A shipment received twice: refused.
    code409, err = cb.call("POST", f"/shipments/{code}/receipt", {})
    assert code409 == 409
    # The custody CSV lists every hand-off of a tube.
    csv = cb.client.get(f"/api/v1/shipments/{code}/manifest.csv", headers=cb.headers)
    assert csv.status_code == 200 and a in csv.get_data(as_text=True)
    custody = cb.ok("GET", f"/custody/{a}")
    assert [e["kind"] for e in custody["events"]][-2:] == ["ship", "receive"]


def test_unpackable_specimens_are_refused(app: Flask, db: Any, api_token: Any) -> None:
    site = Api(app, api_token("s01.tech"))
    expected = tubes(app, 1, status="expected")[0]
    disposed, packed = tubes(app, 2)
    with get_db(app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == disposed)).scalar_one()
        sp.status = "disposed"
    other_site = tubes(app, 1, site="S02")[0]
    code = site.ok("POST", "/shipments", {"conditions": "ambient"}, 201)["barcode"]
    # Another site's tube is named as such (403 other_site), not "unknown".
    for bad, status in ((expected, 409), (disposed, 409), (other_site, 403)):
        got, err = site.call("POST", f"/shipments/{code}/items", {"code": bad})
        assert got == status, (bad, err)
    assert site.ok("POST", f"/shipments/{code}/items", {"code": packed})["added"] == [packed]
    # The same tube again is reported, not added twice.
    assert site.ok("POST", f"/shipments/{code}/items", {"code": packed})["already"] == [packed]
    # Already packed in another active shipment: refused.
    other = site.ok("POST", "/shipments", {"conditions": "ambient"}, 201)["barcode"]
    got, err = site.call("POST", f"/shipments/{other}/items", {"code": packed})
    assert got == 409 and err["error"]["code"] == "in_other_shipment"
    # A misread check character never reaches the shipment.
    got, err = site.call("POST", f"/shipments/{code}/items",
                         {"code": packed[:-1] + ("0" if packed[-1] != "0" else "1")})
    assert got == 422
    db.rollback()
    assert db.execute(select(func.count()).select_from(ShipmentItem)).scalar() == 1


def test_state_rules(app: Flask, api_token: Any) -> None:
    site = Api(app, api_token("s01.tech"))
    cb = Api(app, api_token("cb.tech"))
    t1, t2 = tubes(app, 2)
    code = site.ok("POST", "/shipments", {"conditions": "refrigerated"}, 201)["barcode"]
    assert site.call("POST", f"/shipments/{code}/ready")[0] == 422  # empty
    site.ok("POST", f"/shipments/{code}/items", {"code": t1})
    site.ok("POST", f"/shipments/{code}/ready")
    # Ready: contents frozen; shipping needs the courier and tracking number.
    assert site.call("POST", f"/shipments/{code}/items", {"code": t2})[0] == 409
    got, err = site.call("POST", f"/shipments/{code}/ship")
    assert got == 422 and err["error"]["code"] == "courier_required"
    site.ok("PATCH", f"/shipments/{code}", {"courier": "EMS", "tracking_number": "EMS1"})
    # Tracking numbers are unique.
    other = site.ok("POST", "/shipments", {"conditions": "ambient"}, 201)["barcode"]
    assert site.call("PATCH", f"/shipments/{other}", {"tracking_number": "EMS1"})[0] == 409
    # The receiver cannot open a receipt before shipping.
    assert cb.call("POST", f"/shipments/{code}/receipt", {})[0] == 409
    sh = site.ok("POST", f"/shipments/{code}/ship")
    assert sh["status"] == "shipped" and sh["shipped_at"]
    assert site.call("POST", f"/shipments/{code}/ship")[0] == 409
    assert site.call("POST", f"/shipments/{code}/cancel", {"reason": "x"})[0] == 409
    # Tube scans before the receipt is opened are refused.
    assert cb.call("POST", f"/shipments/{code}/receipt/scans", {"code": t1})[0] == 409
    cb.ok("POST", f"/shipments/{code}/receipt", {}, 201)
    cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": t1})
    sh = cb.ok("POST", f"/shipments/{code}/receipt/finish", {})
    assert sh["status"] == "received" and sh["received_at"] >= sh["shipped_at"]
    assert cb.call("POST", f"/shipments/{code}/receipt/finish", {})[0] == 409
    assert cb.ok("POST", f"/shipments/{code}/close")["status"] == "closed"
    # A monitor reads but never writes; another site does not even see it.
    mon = Api(app, api_token("monitor"))
    assert mon.ok("GET", f"/shipments/{code}")["status"] == "closed"
    assert mon.call("POST", "/shipments", {"conditions": "ambient"})[0] == 403
    s02 = Api(app, api_token("s02.tech"))
    assert s02.call("GET", f"/shipments/{code}")[0] == 404
    # Cancelling a draft needs a reason.
    assert site.call("POST", f"/shipments/{other}/cancel", {"reason": ""})[0] == 422
    assert site.ok("POST", f"/shipments/{other}/cancel",
                   {"reason": "duplicate"})["status"] == "cancelled"


def test_lost_in_transit(app: Flask, db: Any, api_token: Any) -> None:
    site = Api(app, api_token("s01.tech"))
    (t,) = tubes(app, 1)
    code = shipped(site, [t], tracking="LOST-1")
    assert site.ok("POST", f"/shipments/{code}/lost",
                   {"reason": "courier reports the parcel destroyed"})["status"] == "lost"
    assert _specimen(db, t).status == "lost"


def test_openapi_documents_the_shipment_routes(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/shipments", "/api/v1/shipments/{code}/items",
                 "/api/v1/shipments/{code}/receipt", "/api/v1/shipments/{code}/receipt/scans",
                 "/api/v1/shipments/{code}/items/{barcode}/resolve", "/api/v1/custody/{barcode}"):
        assert path in doc["paths"], path
    assert "409" in doc["paths"]["/api/v1/shipments/{code}/receipt"]["post"]["responses"]


def test_receipt_cannot_precede_the_ship_time(app: Flask, api_token: Any) -> None:
    from datetime import timedelta

    from biobank.models import Shipment, utcnow

    (t,) = tubes(app, 1)
    code = shipped(Api(app, api_token("s01.tech")), [t], tracking="CLOCK-1")
    with get_db(app).transaction() as s:
        sh = s.execute(select(Shipment).where(Shipment.barcode == code)).scalar_one()
        sh.shipped_at = utcnow() + timedelta(hours=1)  # e.g. a sender's clock set ahead
    cb = Api(app, api_token("cb.tech"))
    got, err = cb.call("POST", f"/shipments/{code}/receipt", {})
    assert got == 422 and err["error"]["code"] == "before_ship"
    assert cb.ok("GET", f"/shipments/{code}")["receiver"] is None


def test_a_refusal_names_the_status_in_words(app: Flask, api_token: Any) -> None:
    """The sentence is for people (scripts read the error's code): "partially received", not
    the stored code."""
    site = Api(app, api_token("s01.tech"))
    cb = Api(app, api_token("cb.tech"))
    a, b, extra = tubes(app, 3)
    code = shipped(site, [a, b])
    cb.ok("POST", f"/shipments/{code}/receipt", {"package_condition": "intact"}, 201)
    cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": a})
    cb.ok("POST", f"/shipments/{code}/receipt/finish", {})
    status, body = site.call("POST", f"/shipments/{code}/items", {"code": extra})
    assert status == 409 and body["error"]["code"] == "not_draft"
    assert "is partially received;" in body["error"]["message"]
    assert "partially_received" not in body["error"]["message"]
