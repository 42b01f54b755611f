"""Whole boxes: a return shipment from the central biobank packs every tube of a scanned box
(runs where the storage area's boxes exist)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import Specimen, User
from biobank.services import storage

from .helpers import Api, shipped, tubes


def test_return_shipment_packs_a_whole_box(app: Flask, db: Any, api_token: Any) -> None:
    # Blood tubes: what a cryobox holds (an FFPE block goes in a block box).
    codes = tubes(app, 3, types=("whole_blood_edta",))
    site = Api(app, api_token("s01.tech"))
    cb = Api(app, api_token("cb.tech"))
    code = shipped(site, codes)
    cb.ok("POST", f"/shipments/{code}/receipt", {}, 201)
    for c in codes:
        cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": c})
    cb.ok("POST", f"/shipments/{code}/receipt/finish", {})
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name="Return box")
        for c in codes:
            storage.store(s, tech, box, s.execute(
                select(Specimen).where(Specimen.barcode == c)).scalar_one())
        box_code = box.barcode

    ret = cb.ok("POST", "/shipments", {"conditions": "dry_ice", "to": "S01"}, 201)["barcode"]
    out = cb.ok("POST", f"/shipments/{ret}/items", {"code": box_code})
    assert sorted(out["added"]) == sorted(codes)
    # Scanning the box again adds nothing.
    assert cb.ok("POST", f"/shipments/{ret}/items", {"code": box_code})["added"] == []
    cb.ok("PATCH", f"/shipments/{ret}", {"courier": "SF", "tracking_number": "RET-1",
                                         "dry_ice_kg": 3})
    cb.ok("POST", f"/shipments/{ret}/ready")
    cb.ok("POST", f"/shipments/{ret}/ship")
    site.ok("POST", f"/shipments/{ret}/receipt", {}, 201)
    for c in codes:
        assert site.ok("POST", f"/shipments/{ret}/receipt/scans",
                       {"code": c})["outcome"] == "received"
    assert site.ok("POST", f"/shipments/{ret}/receipt/finish", {})["status"] == "received"
    db.rollback()
    for c in codes:
        sp = db.execute(select(Specimen).where(Specimen.barcode == c)).scalar_one()
        assert sp.status == "received" and sp.site.code == "S01"
        assert storage.position_of(db, sp) is None  # it left the CB box when shipped
