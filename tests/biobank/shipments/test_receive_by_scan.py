"""Receiving as a gloved technician works it, through the services on both engines: a scanned
condition card describes the next tube only; the shipment label finishes only when scanned a
second time if tubes are unscanned; a wrong damage flag is cleared and an extra tube accepted
by a reasoned, audited resolution, after which the extra tube can be stored; a closed receipt
scanned again names who received it and when."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.errors import Conflict, InvalidTransition, ValidationError
from biobank.models import AuditEvent, ShipmentReceipt, Specimen
from biobank.services import scan, storage
from biobank.services import shipments as svc
from tests.biobank.helpers import events_of, user

from .helpers import Api, shipped, tubes


def _receiving(app: Flask, api_token: Any, n: int) -> tuple[str, list[str]]:
    """A shipment of ``n`` S01 tubes, in transit, its receipt opened by cb.tech."""
    codes = tubes(app, n)
    code = shipped(Api(app, api_token("s01.tech")), codes)
    with get_db(app).transaction() as s:
        svc.start_receipt(s, user(s, "cb.tech"), svc.get(s, user(s, "cb.tech"), code))
    return code, codes


def _item_states(app: Flask, code: str) -> dict[str, tuple[str, str | None]]:
    with get_db(app).transaction() as s:
        sh = svc.get(s, user(s, "cb.tech"), code)
        return {it.specimen.barcode: (it.state, it.damage) for it in svc.items(s, sh)}


def test_condition_codes_cannot_be_read_as_ids_and_are_refused_elsewhere() -> None:
    for key in svc.CONDITION_CARDS:
        text = svc.condition_code(key)
        assert svc.condition_of(text) == key and svc.condition_of(text.lower() + "\r") == key
        # Never an ID of any kind: an ID is two letters, digits and a check character.
        with pytest.raises(scan.ConditionCard) as info:
            scan.clean(text + "\r\n")
        assert info.value.code == "condition_card" and info.value.condition == key
        assert "receive screen" in str(info.value)
    assert svc.condition_of("SP00000001K") is None
    with pytest.raises(ValidationError) as bad:
        scan.clean("COND-SQUASHED")
    assert bad.value.code == "unknown_condition"
    # The vocabulary covers what a bench meets.
    assert {"haemolysed", "leaked", "broken", "thawed", "wrong_tube"} <= set(svc.DAMAGE)


def test_a_condition_card_marks_the_next_tube_only(app: Flask, api_token: Any) -> None:
    code, (a, b, c, d) = _receiving(app, api_token, 4)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        res = svc.set_next_condition(s, tech, code, "haemolysed")
        assert (res.outcome, res.replaced) == ("condition", None)
        assert svc.receive_scan(s, tech, code, a).outcome == "damaged"
        # The next tube is intact again: the card was for a alone.
        assert svc.receive_scan(s, tech, code, b).outcome == "received"
        # A card scanned by mistake is replaced by the next card, or taken back by "intact".
        svc.set_next_condition(s, tech, code, "broken")
        assert svc.set_next_condition(s, tech, code, "thawed").replaced == "broken"
        taken_back = svc.set_next_condition(s, tech, code, svc.INTACT)
        assert (taken_back.outcome, taken_back.replaced) == ("condition_cleared", "thawed")
        assert svc.receive_scan(s, tech, code, c).outcome == "received"
        # A card before a tube already recorded is not moved onto it, and is not kept either.
        svc.set_next_condition(s, tech, code, "leaked")
        dup = svc.receive_scan(s, tech, code, a)
        assert (dup.outcome, dup.dropped_condition) == ("duplicate", "leaked")
        assert svc.receive_scan(s, tech, code, d).outcome == "received"
    assert _item_states(app, code) == {a: ("damaged", "haemolysed"), b: ("received", None),
                                       c: ("received", None), d: ("received", None)}


def test_a_refused_scan_leaves_the_card_waiting_for_the_rescan(app: Flask,
                                                               api_token: Any) -> None:
    code, (a,) = _receiving(app, api_token, 1)
    with get_db(app).transaction() as s:
        svc.set_next_condition(s, user(s, "cb.tech"), code, "wrong_tube")
    with pytest.raises(ValidationError), get_db(app).transaction() as s:
        svc.receive_scan(s, user(s, "cb.tech"), code, code.replace("SH", "BX"))
    with get_db(app).transaction() as s:
        assert svc.receive_scan(s, user(s, "cb.tech"), code, a).outcome == "damaged"
    assert _item_states(app, code) == {a: ("damaged", "wrong_tube")}


def test_finishing_with_unscanned_tubes_needs_a_second_scan(app: Flask, db: Any,
                                                            api_token: Any) -> None:
    code, (a, b, c) = _receiving(app, api_token, 3)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.receive_scan(s, tech, code, a)
        first = svc.finish_scan(s, tech, svc.get(s, tech, code))
        assert (first.finished, first.unscanned, first.outcome) == (False, 2, "confirm_finish")
        # A tube scanned in between: the label's next scan asks again, with the new count.
        svc.receive_scan(s, tech, code, b)
        again = svc.finish_scan(s, tech, svc.get(s, tech, code))
        assert (again.finished, again.unscanned) == (False, 1)
        done = svc.finish_scan(s, tech, svc.get(s, tech, code))
        assert (done.finished, done.unscanned) == (True, 1)
    assert _item_states(app, code)[c] == ("missing", None)
    with get_db(app).transaction() as s:
        assert svc.get(s, user(s, "cb.tech"), code).status == "partially_received"


def test_a_second_read_sent_before_the_count_was_shown_asks_again(app: Flask,
                                                                 api_token: Any) -> None:
    """The label read twice by the scanner: the second read left before the first answer
    was on the screen (it names no count), so it is answered with the count again; only a
    scan made with that count on the screen finishes."""
    code, (a, _b, _c) = _receiving(app, api_token, 3)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.receive_scan(s, tech, code, a)
        first = svc.finish_scan(s, tech, svc.get(s, tech, code), seen=0)
        assert (first.finished, first.unscanned) == (False, 2)
        double = svc.finish_scan(s, tech, svc.get(s, tech, code), seen=0)
        assert (double.finished, double.unscanned, double.outcome) == (False, 2,
                                                                       "confirm_finish")
        done = svc.finish_scan(s, tech, svc.get(s, tech, code), seen=2)
        assert (done.finished, done.unscanned) == (True, 2)
    assert [st for st, _d in _item_states(app, code).values()].count("missing") == 2


def test_everything_scanned_finishes_at_the_first_scan(app: Flask, api_token: Any) -> None:
    code, (a,) = _receiving(app, api_token, 1)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.receive_scan(s, tech, code, a)
        assert svc.finish_scan(s, tech, svc.get(s, tech, code)).finished


def test_finish_refuses_a_count_the_technician_did_not_see(app: Flask, api_token: Any) -> None:
    code, (a, _b) = _receiving(app, api_token, 2)
    with get_db(app).transaction() as s:
        svc.receive_scan(s, user(s, "cb.tech"), code, a)
    with pytest.raises(Conflict) as info, get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.finish_receipt(s, tech, svc.get(s, tech, code), expect_missing=2)
    assert info.value.code == "missing_count_changed"
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.finish_receipt(s, tech, svc.get(s, tech, code), expect_missing=1)


def test_a_closed_receipt_scanned_again_names_who_and_when(app: Flask, api_token: Any) -> None:
    code, (a,) = _receiving(app, api_token, 1)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.receive_scan(s, tech, code, a)
        svc.finish_scan(s, tech, svc.get(s, tech, code))
    for who, says in (("cb.tech", "you finished its receipt at"),
                      ("admin", "cb.tech finished its receipt at")):
        with pytest.raises(Conflict) as info, get_db(app).transaction() as s:
            u = user(s, who)
            svc.start_receipt(s, u, svc.get(s, u, code))
        assert info.value.code == "already_received" and says in str(info.value)
        assert "being received" not in str(info.value)


def test_a_wrong_damage_flag_is_cleared_with_a_reason(app: Flask, db: Any,
                                                      api_token: Any) -> None:
    code, (a,) = _receiving(app, api_token, 1)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.receive_scan(s, tech, code, a, damage="haemolysed")
        svc.finish_scan(s, tech, svc.get(s, tech, code))
    with pytest.raises(ValidationError), get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.resolve(s, tech, svc.get(s, tech, code), a, "  ", "cleared")
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        item = svc.resolve(s, tech, svc.get(s, tech, code), a,
                           "plasma is clear on second look", "cleared")
        assert (item.state, item.damage, item.is_open) == ("received", None, False)
        assert item.resolution_action == "cleared"
        sh = svc.get(s, tech, code)
        assert svc.counts(svc.items(s, sh))["damaged"] == 0
        svc.close(s, tech, sh)
    db.rollback()
    ev = db.execute(select(AuditEvent).where(AuditEvent.action == "shipment.resolve")
                    .order_by(AuditEvent.id.desc())).scalars().first()
    assert ev.reason == "plasma is clear on second look"
    assert ev.changes["state"] == ["damaged", "received"]
    assert ev.changes["damage"] == ["haemolysed", None]
    # Clearing is for a damaged tube only.
    assert "cleared" not in svc.RESOLUTIONS["missing"]


def test_an_extra_tube_is_accepted_into_custody_and_then_stored(app: Flask, db: Any,
                                                                api_token: Any) -> None:
    code, (a,) = _receiving(app, api_token, 1)
    (extra,) = tubes(app, 1)  # an S01 tube never packed on record, found in the box
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.receive_scan(s, tech, code, a)
        assert svc.receive_scan(s, tech, code, extra).outcome == "extra"
        svc.finish_scan(s, tech, svc.get(s, tech, code))
    # Before acceptance the stray tube is S01's on record: CB cannot store it.
    with pytest.raises(Conflict), get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name="Extra box")
        storage.store(s, tech, box, s.execute(
            select(Specimen).where(Specimen.barcode == extra)).scalar_one())
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        item = svc.resolve(s, tech, svc.get(s, tech, code), extra,
                           "S01 confirms it belongs to this visit", "accepted")
        assert item.resolution_action == "accepted" and not item.is_open
        sp = item.specimen
        assert (sp.status, sp.site.code) == ("received", "CB")
    kinds = [(e.kind, e.site.code, e.detail.get("shipment")) for e in events_of(db, extra)]
    assert kinds[-2:] == [("ship", "CB", code), ("receive", "CB", code)]
    db.rollback()
    ev = db.execute(select(AuditEvent).where(AuditEvent.action == "shipment.resolve")
                    .order_by(AuditEvent.id.desc())).scalars().first()
    assert ev.reason == "S01 confirms it belongs to this visit"
    assert ev.changes["site"] == ["S01", "CB"] and ev.changes["action"] == "accepted"
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name="Extra box")
        pos = storage.store(s, tech, box, s.execute(
            select(Specimen).where(Specimen.barcode == extra)).scalar_one())
        assert pos.specimen.status == "stored"


def test_an_extra_tube_on_another_manifest_is_not_accepted(app: Flask,
                                                           api_token: Any) -> None:
    site = Api(app, api_token("s01.tech"))
    a, other_tube = tubes(app, 2)
    code = shipped(site, [a])
    shipped(site, [other_tube], tracking="SF-OTHER-1")
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.start_receipt(s, tech, svc.get(s, tech, code))
        svc.receive_scan(s, tech, code, a)
        svc.receive_scan(s, tech, code, other_tube)
        svc.finish_scan(s, tech, svc.get(s, tech, code))
    with pytest.raises(Conflict) as info, get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.resolve(s, tech, svc.get(s, tech, code), other_tube, "packed in the wrong box",
                    "accepted")
    assert info.value.code == "in_other_shipment"


def test_an_extra_tube_that_cannot_move_is_refused(app: Flask, api_token: Any) -> None:
    code, (a,) = _receiving(app, api_token, 1)
    (lost,) = tubes(app, 1)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.receive_scan(s, tech, code, lost)
        sp = s.execute(select(Specimen).where(Specimen.barcode == lost)).scalar_one()
        from biobank.services import specimens

        specimens.transition(s, tech, sp, "dispose", reason="test: disposed at the site")
        svc.receive_scan(s, tech, code, a)
        svc.finish_scan(s, tech, svc.get(s, tech, code))
    with pytest.raises(InvalidTransition) as info, get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        svc.resolve(s, tech, svc.get(s, tech, code), lost, "found", "accepted")
    assert info.value.code == "not_acceptable"


def test_ship_is_checked_before_the_confirmation(app: Flask, api_token: Any) -> None:
    site = Api(app, api_token("s01.tech"))
    (a,) = tubes(app, 1)
    code = site.ok("POST", "/shipments", {"conditions": "dry_ice"}, 201)["barcode"]
    site.ok("POST", f"/shipments/{code}/items", {"code": a})
    site.ok("POST", f"/shipments/{code}/ready")
    with pytest.raises(ValidationError) as info, get_db(app).transaction() as s:
        tech = user(s, "s01.tech")
        svc.check_shippable(tech, svc.get(s, tech, code))
    assert info.value.code == "courier_required"


def test_receipt_scan_state_is_stored(app: Flask, db: Any, api_token: Any) -> None:
    code, _codes = _receiving(app, api_token, 1)
    with get_db(app).transaction() as s:
        svc.set_next_condition(s, user(s, "cb.tech"), code, "clotted")
    db.rollback()
    receipt = db.execute(select(ShipmentReceipt).order_by(ShipmentReceipt.id.desc())
                         ).scalars().first()
    assert receipt.next_condition == "clotted" and receipt.finish_pending is False


def test_the_api_resolves_with_the_new_actions(app: Flask, api_token: Any) -> None:
    cb = Api(app, api_token("cb.tech"))
    code, (a,) = _receiving(app, api_token, 1)
    (extra,) = tubes(app, 1)
    cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": a, "damage": "broken"})
    cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": extra})
    cb.ok("POST", f"/shipments/{code}/receipt/finish", {})
    item = cb.ok("POST", f"/shipments/{code}/items/{a}/resolve",
                 {"reason": "intact on inspection", "action": "cleared"})
    assert (item["state"], item["damage"], item["open"]) == ("received", None, False)
    item = cb.ok("POST", f"/shipments/{code}/items/{extra}/resolve",
                 {"reason": "belongs to this visit", "action": "accepted"})
    assert item["resolution"] == "accepted: belongs to this visit"
    got, err = cb.call("POST", f"/shipments/{code}/items/{a}/resolve",
                       {"reason": "x", "action": "accepted"})
    # A cleared tube is received: there is nothing left to resolve on it.
    assert got == 409 and err["error"]["code"] == "no_discrepancy"
