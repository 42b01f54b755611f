"""At the scanning bench a storage deviation is acknowledged by scanning the same tube again:
the next scan on that box's screen, by the same technician. Anything else scanned in between
lets the warning go, so no later scan inherits it; a resend of the same scan is not a second
scan; the acknowledgement is audited as the button's is."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from biobank import get_db
from biobank.models import AuditEvent, StorageScanHold
from biobank.services import storage
from tests.conftest import post_form

from .conftest import counts, make_freezer, received, run, specimens_get

HX = {"HX-Request": "true"}


def _scan(c: FlaskClient, box: str, code: str, **extra: Any) -> str:
    """One scan on the box's screen, as scanqueue.js posts it; the answer's outcome."""
    headers = {**HX, **extra.pop("headers", {})}
    html = post_form(c, f"/storage/boxes/{box}/store", {"code": code, **extra},
                     headers=headers).get_data(as_text=True)
    for outcome in ("storage_warning", "storage_refused", "stored", "box_moved"):
        if f'data-outcome="{outcome}"' in html:
            return outcome
    return html


def _acks(app: Flask, code: str) -> list[AuditEvent]:
    with get_db(app).transaction() as s:
        return list(s.execute(select(AuditEvent).where(
            AuditEvent.action == "storage.deviation_acknowledged",
            AuditEvent.entity_id == code)).scalars())


def _position(app: Flask, code: str) -> str | None:
    def where(s: Any, u: Any) -> str | None:
        pos = storage.position_of(s, specimens_get(s, u, code))
        if pos is None:
            return None
        return f"{pos.box.barcode} {storage.position_name(pos.row_no, pos.col_no)}"

    return run(app, where)  # type: ignore[no-any-return]


def test_the_same_tube_scanned_again_stores_it_and_is_audited(
        app: Flask, client_as: Any) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    before = counts(app)
    html = post_form(c, f"/storage/boxes/{fridge.box}/store", {"code": blood},
                     headers=HX).get_data(as_text=True)
    assert 'data-outcome="storage_warning"' in html
    assert "Scan the tube again to store it anyway" in html
    assert 'id="acknowledge-deviation"' in html  # the button is still offered
    assert counts(app) == before  # nothing stored, nothing audited: only the warning waits
    assert _scan(c, fridge.box, blood) == "stored"
    assert _position(app, blood) == f"{fridge.box} A1"
    (ack,) = _acks(app, blood)
    assert ack.actor == "cb.tech" and ack.changes["box"] == fridge.box
    assert ack.changes["temperature"] == "fridge"
    with get_db(app).transaction() as s:
        assert s.execute(select(StorageScanHold)).scalars().all() == []


def test_the_warning_reads_scan_again_in_chinese(app: Flask, client_as: Any) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    post_form(c, "/language", {"lang": "zh", "next": "/scan"})
    html = post_form(c, f"/storage/boxes/{fridge.box}/store", {"code": blood},
                     headers=HX).get_data(as_text=True)
    assert 'data-outcome="storage_warning"' in html and "再扫描一次该管即仍然入库" in html


@pytest.mark.parametrize("between", ["other_warned_tube", "misread_label", "unknown_tube",
                                     "refused_tube", "box_label", "rack_label"])
def test_any_other_scan_in_between_lets_the_warning_go(
        app: Flask, client_as: Any, between: str) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    first, second = received(app, 2, types=("whole_blood_edta",))
    (block,) = received(app, 1, types=("ffpe_block",))
    c = client_as("cb.tech")
    assert _scan(c, fridge.box, first) == "storage_warning"
    scanned = {"other_warned_tube": second, "misread_label": first[:-1] + (
        "0" if first[-1] != "0" else "1"), "unknown_tube": "SP99999999X",
        "refused_tube": block, "box_label": fridge.box, "rack_label": fridge.rack}[between]
    _scan(c, fridge.box, scanned)
    # The first tube scanned again is warned about again, not stored on the old warning.
    assert _scan(c, fridge.box, first) == "storage_warning"
    assert _position(app, first) is None and _acks(app, first) == []
    # …and that warning, in turn, is acknowledged by the scan after it.
    assert _scan(c, fridge.box, first) == "stored"
    assert len(_acks(app, first)) == 1


def test_the_second_tube_does_not_inherit_the_first_ones_warning(
        app: Flask, client_as: Any) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    first, second = received(app, 2, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    assert _scan(c, fridge.box, first) == "storage_warning"
    assert _scan(c, fridge.box, second) == "storage_warning"
    assert _position(app, first) is None and _position(app, second) is None


def test_the_position_chosen_with_the_first_scan_is_kept(app: Flask, client_as: Any) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    assert _scan(c, fridge.box, blood, position="C3") == "storage_warning"
    # The screen forgets a chosen cell once a tube is scanned: the second scan sends none.
    assert _scan(c, fridge.box, blood) == "stored"
    assert _position(app, blood) == f"{fridge.box} C3"


def test_only_the_same_technician_on_the_same_box_acknowledges(
        app: Flask, client_as: Any) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    other_box = make_freezer(app, kind="fridge_4c", unit_name="Fridge 2", name="Box 2")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    tech, admin = client_as("cb.tech"), client_as("admin")
    assert _scan(tech, fridge.box, blood) == "storage_warning"
    assert _scan(admin, fridge.box, blood) == "storage_warning"  # not the one who was warned
    assert _scan(tech, other_box.box, blood) == "storage_warning"  # not the box warned about
    assert _position(app, blood) is None and _acks(app, blood) == []
    # Each screen's warning waits for its own second scan.
    assert _scan(admin, fridge.box, blood) == "stored"
    (ack,) = _acks(app, blood)
    assert ack.actor == "admin"


def test_a_resent_scan_is_not_the_second_scan(app: Flask, client_as: Any) -> None:
    # scanqueue.js resends a scan whose answer was lost with the same Idempotency-Key.
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    key = {"Idempotency-Key": "scan-resent-1"}
    assert _scan(c, fridge.box, blood, headers=key) == "storage_warning"
    assert _scan(c, fridge.box, blood, headers=key) == "storage_warning"
    assert _position(app, blood) is None
    assert _scan(c, fridge.box, blood, headers={"Idempotency-Key": "scan-2"}) == "stored"


def test_a_box_moved_meanwhile_is_warned_about_its_new_rule(
        app: Flask, client_as: Any) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    tank = make_freezer(app, kind="ln2_tank", unit_name="Tank", name="Empty")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    assert _scan(c, fridge.box, blood) == "storage_warning"
    # Someone places the box in the liquid-nitrogen tank from another screen.
    run(app, lambda s, u: storage.move_box(s, u, storage.get_box(s, u, fridge.box),
                                           storage.get_location(s, u, tank.rack)))
    html = post_form(c, f"/storage/boxes/{fridge.box}/store", {"code": blood},
                     headers=HX).get_data(as_text=True)
    assert 'data-outcome="storage_warning"' in html and "liquid nitrogen" in html
    assert _position(app, blood) is None
    assert _scan(c, fridge.box, blood) == "stored"
    (ack,) = _acks(app, blood)
    assert ack.changes["temperature"] == "ln2"


def test_a_tube_the_rules_refuse_is_refused_however_often_it_is_scanned(
        app: Flask, client_as: Any) -> None:
    cabinet = make_freezer(app, kind="ffpe_cabinet", unit_name="Cabinet")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    assert [_scan(c, cabinet.box, blood) for _ in range(3)] == ["storage_refused"] * 3
    assert _position(app, blood) is None
