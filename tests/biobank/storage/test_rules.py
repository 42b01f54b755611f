"""Storage rules by specimen type and unit temperature: an FFPE block is refused by a −80 °C
freezer and taken by the block cabinet; a deviation (whole blood in the fridge) is stored only
once acknowledged, and the acknowledgement is audited — by scan, rack import, check-in and API."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db, vocabulary
from biobank.errors import Conflict
from biobank.models import AuditEvent
from biobank.services import storage, storage_rules
from tests.biobank.helpers import events_of
from tests.conftest import post_form

from .conftest import Freezer, counts, make_freezer, received, run, specimens_get

HX = {"HX-Request": "true"}


def _store(app: Flask, box: str, code: str, *, acknowledge: bool = False) -> str:
    def go(s: Any, u: Any) -> str:
        pos = storage.store(s, u, storage.get_box(s, u, box), specimens_get(s, u, code),
                            acknowledge=acknowledge)
        return storage.position_name(pos.row_no, pos.col_no)

    return run(app, go)  # type: ignore[no-any-return]


def _acks(app: Flask, code: str) -> list[AuditEvent]:
    with get_db(app).transaction() as s:
        return list(s.execute(select(AuditEvent).where(
            AuditEvent.action == "storage.deviation_acknowledged",
            AuditEvent.entity_id == code)).scalars())


def test_the_table_covers_every_type_at_every_temperature() -> None:
    # A new specimen type or unit temperature must be decided, not silently allowed.
    for stype in vocabulary.SPECIMEN_TYPES:
        assert set(storage_rules.RULES[stype]) == set(storage_rules.TEMPERATURES), stype
    for kind in storage.UNIT_KINDS:
        assert storage_rules.UNIT_TEMPERATURE[kind] in storage_rules.TEMPERATURES


def test_ffpe_block_refused_at_minus_80_and_stored_in_the_block_cabinet(
        app: Flask, freezer: Freezer) -> None:
    (block,) = received(app, 1, types=("ffpe_block",))
    before = counts(app)
    with pytest.raises(Conflict) as err:
        _store(app, freezer.box, block, acknowledge=True)  # no acknowledgement overrides it
    assert err.value.code == "storage_refused"
    assert "paraffin cracks" in str(err.value) and "−85 to −60 °C" in str(err.value)
    assert counts(app) == before
    cabinet = make_freezer(app, box_type="block_box_5x10", name="Blocks", kind="ffpe_cabinet",
                           unit_name="Block cabinet")
    assert _store(app, cabinet.box, block) == "A1"
    assert _acks(app, block) == []


def test_whole_blood_in_the_fridge_needs_an_audited_acknowledgement(app: Flask) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    before = counts(app)
    with pytest.raises(Conflict) as err:
        _store(app, fridge.box, blood)
    assert err.value.code == "storage_warning"
    assert counts(app) == before
    assert _store(app, fridge.box, blood, acknowledge=True) == "A1"
    (ack,) = _acks(app, blood)
    assert ack.changes["temperature"] == "fridge" and ack.changes["box"] == fridge.box
    assert ack.actor == "cb.tech"
    with get_db(app).transaction() as s:
        assert "deviation_acknowledged" in events_of(s, blood)[-1].detail


def test_whole_blood_refused_at_room_temperature_allowed_at_minus_20(app: Flask) -> None:
    cabinet = make_freezer(app, kind="ffpe_cabinet", unit_name="Cabinet")
    minus20 = make_freezer(app, kind="freezer_minus20", unit_name="Freezer −20")
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    with pytest.raises(Conflict) as err:
        _store(app, cabinet.box, blood, acknowledge=True)
    assert err.value.code == "storage_refused"
    assert _store(app, minus20.box, blood) == "A1"


def test_a_box_on_no_unit_has_no_temperature_but_still_its_kind(app: Flask) -> None:
    def loose(box_type: str) -> Any:
        return lambda s, u: storage.create_box(s, u, box_type=box_type, name="Loose").barcode

    blocks, tubes = run(app, loose("block_box_5x10")), run(app, loose("cryobox_9x9"))
    (block,) = received(app, 1, types=("ffpe_block",))
    with pytest.raises(Conflict) as err:
        _store(app, tubes, block, acknowledge=True)
    assert err.value.code == "storage_refused" and "block box" in str(err.value)
    assert _store(app, blocks, block) == "A1"  # no temperature known, and its own kind of box


def test_check_in_elsewhere_meets_the_rules(app: Flask, freezer: Freezer) -> None:
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    _store(app, freezer.box, blood)
    run(app, lambda s, u: storage.check_out(s, u, specimens_get(s, u, blood)))
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")

    def back(ack: bool) -> Any:
        return lambda s, u: storage.check_in(
            s, u, specimens_get(s, u, blood), warning_limit=5,
            box=storage.get_box(s, u, fridge.box), acknowledge=ack)

    with pytest.raises(Conflict) as err:
        run(app, back(False))
    assert err.value.code == "storage_warning"
    assert run(app, back(True)).position.box.barcode == fridge.box
    assert len(_acks(app, blood)) == 1


def _csv(*rows: tuple[str, str, str]) -> str:
    return "Rack,Position,Tube\r\n" + "".join(f"{r},{p},{t}\r\n" for r, p, t in rows)


def test_rack_import_refuses_ruin_and_needs_acknowledgement_for_deviations(
        app: Flask, freezer: Freezer) -> None:
    (block,) = received(app, 1, types=("ffpe_block",))
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    diff = run(app, lambda s, u: storage.rack_diff(s, u, _csv((freezer.box, "A1", block))))
    assert [i.tube for i in diff.refused] == [block] and not diff.applicable
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    text = _csv((fridge.box, "B2", blood))
    diff = run(app, lambda s, u: storage.rack_diff(s, u, text))
    assert [i.tube for i in diff.warned] == [blood] and [i.tube for i in diff.new] == [blood]
    before = counts(app)
    with pytest.raises(Conflict) as err:
        run(app, lambda s, u: storage.apply_rack(s, u, text, diff.fingerprint))
    assert err.value.code == "storage_warning" and counts(app) == before
    run(app, lambda s, u: storage.apply_rack(s, u, text, diff.fingerprint, acknowledge=True))
    assert len(_acks(app, blood)) == 1


def test_page_offers_the_acknowledgement_and_the_api_takes_it(
        app: Flask, client_as: Any, api_token: Any) -> None:
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge")
    a, b = received(app, 2, types=("whole_blood_edta",))
    c = client_as("cb.tech")
    url = f"/storage/boxes/{fridge.box}/store"
    html = post_form(c, url, {"code": a}, headers=HX).get_data(as_text=True)
    assert 'data-outcome="storage_warning"' in html and 'id="acknowledge-deviation"' in html
    assert 'name="acknowledge" value="yes"' in html and f'value="{a}"' in html
    html = post_form(c, url, {"code": a, "acknowledge": "yes"}, headers=HX
                     ).get_data(as_text=True)
    assert 'data-outcome="stored"' in html
    h = {"Authorization": f"Bearer {api_token('cb.tech')}"}
    r = c.post(f"/api/v1/storage/boxes/{fridge.box}/store", json={"specimen": b}, headers=h)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "storage_warning"
    r = c.post(f"/api/v1/storage/boxes/{fridge.box}/store",
               json={"specimen": b, "acknowledge": True}, headers=h)
    assert r.status_code == 200 and r.get_json()["position"] == "A2"
