"""Storing by scan: next free position by fill order, chosen positions, moves, the full path,
and every refusal leaving the database as it was."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from biobank import get_db
from biobank.errors import Conflict, InvalidTransition, ValidationError
from biobank.models import Specimen, StorageBox, StoragePosition
from biobank.services import specimens, storage
from tests.biobank.helpers import events_of

from .conftest import Freezer, counts, make_freezer, received, run, specimens_get, store


def test_next_free_follows_the_fill_order(app: Flask, freezer: Freezer) -> None:
    codes = received(app, 4)
    assert [store(app, freezer.box, c) for c in codes[:3]] == ["A1", "A2", "A3"]
    by_column = make_freezer(app, fill_order="column", name="Box C")
    assert store(app, by_column.box, codes[3]) == "A1"
    # Column-major: the next suggestion goes down the column.
    nxt = run(app, lambda s, u: storage.next_free(s, storage.get_box(s, u, by_column.box)))
    assert storage.position_name(*nxt) == "B1"


def test_stored_specimen_has_status_event_audit_and_full_path(
        app: Flask, freezer: Freezer, db: object) -> None:
    code = received(app, 1)[0]
    assert store(app, freezer.box, code, "c4") == "C4"
    path = run(app, lambda s, u: storage.full_path(
        storage.position_of(s, specimens_get(s, u, code))))
    assert path == "Freezer A / Rack 2 / Box 1 / C4"
    with get_db(app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
        assert sp.status == "stored"
        ev = events_of(s, code)[-1]
        assert ev.kind == "store" and ev.detail == {"box": freezer.box, "position": "C4"}


def test_move_frees_the_old_position(app: Flask, freezer: Freezer) -> None:
    code = received(app, 1)[0]
    store(app, freezer.box, code, "A1")
    other = make_freezer(app, box_type="cryobox_10x10", name="Box 2")
    assert store(app, other.box, code, "J10") == "J10"
    with get_db(app).transaction() as s:
        rows = list(s.execute(select(StoragePosition)).scalars())
        assert [(r.box.barcode, r.row_no, r.col_no) for r in rows] == [(other.box, 10, 10)]
        assert events_of(s, code)[-1].detail["moved_from"] == "Freezer A / Rack 2 / Box 1 / A1"
    # Scanning it again on its own box is not a move.
    with pytest.raises(Conflict) as err:
        store(app, other.box, code)
    assert err.value.code == "already_there"
    # A1 of the first box is free again.
    assert store(app, freezer.box, received(app, 1)[0]) == "A1"


@pytest.mark.parametrize("position, code", [("J1", "outside_box"), ("A10", "outside_box"),
                                            ("A0", "bad_position"), ("11", "bad_position")])
def test_position_outside_the_geometry_is_refused(app: Flask, freezer: Freezer,
                                                  position: str, code: str) -> None:
    tube = received(app, 1)[0]
    before = counts(app)
    with pytest.raises(ValidationError) as err:
        store(app, freezer.box, tube, position)
    assert err.value.code == code
    assert counts(app) == before


def test_occupied_position_is_refused(app: Flask, freezer: Freezer) -> None:
    a, b = received(app, 2)
    store(app, freezer.box, a, "B2")
    before = counts(app)
    with pytest.raises(Conflict) as err:
        store(app, freezer.box, b, "B2")
    assert err.value.code == "position_occupied" and a in err.value.message
    assert counts(app) == before


@pytest.mark.parametrize("status", ["disposed", "in_transit", "collected"])
def test_specimen_that_is_not_in_hand_cannot_be_stored(app: Flask, freezer: Freezer,
                                                       status: str) -> None:
    tube = received(app, 1)[0]
    with get_db(app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == tube)).scalar_one()
        if status == "disposed":
            specimens.transition(s, None, sp, "dispose", reason="test")
        elif status == "in_transit":
            specimens.transition(s, None, sp, "ship")
        else:
            sp.status = "collected"
    before = counts(app)
    with pytest.raises(InvalidTransition) as err:
        store(app, freezer.box, tube)
    assert err.value.code == "not_storable"
    assert counts(app) == before


def test_specimen_held_at_another_site_is_refused(app: Flask, freezer: Freezer,
                                                  db: object) -> None:
    with get_db(app).transaction() as s:
        code = s.execute(select(Specimen.barcode).where(Specimen.status == "collected")
                         .order_by(Specimen.id)).scalars().first()
        sp = s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
        sp.status = "received"  # received at its own site, not at CB
    before = counts(app)
    with pytest.raises(Conflict) as err:
        store(app, freezer.box, str(code))
    assert err.value.code == "other_site"
    assert counts(app) == before


def test_full_box_is_refused(app: Flask) -> None:
    box = make_freezer(app, name="tiny")
    with get_db(app).transaction() as s:
        b = s.execute(select(StorageBox).where(StorageBox.barcode == box.box)).scalar_one()
        b.n_rows, b.n_cols = 1, 2  # shrink it to two positions for the test
    a, b2, c = received(app, 3)
    store(app, box.box, a)
    store(app, box.box, b2)
    with pytest.raises(Conflict) as err:
        store(app, box.box, c)
    assert err.value.code == "box_full"


def test_database_enforces_one_specimen_per_position_and_one_position_per_specimen(
        app: Flask, freezer: Freezer) -> None:
    a, b = received(app, 2)
    store(app, freezer.box, a, "A1")
    with get_db(app).transaction() as s:
        box_id = s.execute(select(StorageBox.id).where(StorageBox.barcode == freezer.box)
                           ).scalar_one()
        ids = dict(s.execute(select(Specimen.barcode, Specimen.id)
                             .where(Specimen.barcode.in_([a, b]))).all())
    with pytest.raises(IntegrityError), get_db(app).transaction() as s:
        s.add(StoragePosition(box_id=box_id, row_no=1, col_no=1, specimen_id=ids[b]))
        s.flush()
    with pytest.raises(IntegrityError), get_db(app).transaction() as s:
        s.add(StoragePosition(box_id=box_id, row_no=5, col_no=5, specimen_id=ids[a]))
        s.flush()


def test_a_location_cannot_be_placed_inside_itself(app: Flask, freezer: Freezer) -> None:
    def build(s: object, u: object) -> str:
        rack = storage.get_location(s, u, freezer.rack)  # type: ignore[arg-type]
        shelf = storage.create_location(s, u, kind="shelf", name="Inner",  # type: ignore[arg-type]
                                        parent=rack)
        return shelf.barcode

    inner = run(app, build)
    before = counts(app)
    for target in (freezer.rack, inner):
        with pytest.raises(ValidationError) as err:
            run(app, lambda s, u, t=target: storage.move_location(
                s, u, storage.get_location(s, u, freezer.rack), storage.get_location(s, u, t)))
        assert err.value.code == "cycle"
    with pytest.raises(ValidationError) as err:
        run(app, lambda s, u: storage.move_box(
            s, u, storage.get_box(s, u, freezer.box), storage.get_box(s, u, freezer.box)))
    assert err.value.code == "cycle"
    assert counts(app) == before


def test_only_storage_roles_store_and_other_sites_do_not_see_the_box(
        app: Flask, freezer: Freezer) -> None:
    from biobank.errors import NotFound, PermissionDenied

    tube = received(app, 1)[0]
    with pytest.raises(PermissionDenied):
        store(app, freezer.box, tube, username="monitor")
    with pytest.raises(NotFound):
        run(app, lambda s, u: storage.get_box(s, u, freezer.box), username="s01.tech")


def test_consumed_elsewhere_frees_the_position(app: Flask, freezer: Freezer) -> None:
    a, b = received(app, 2)
    store(app, freezer.box, a, "A1")
    # Consumed through the specimen page (specimens.transition), not through storage.
    run(app, lambda s, u: specimens.transition(s, u, specimens_get(s, u, a), "consume",
                                               reason="used up"))
    assert store(app, freezer.box, b) == "A1"
    # Through the storage service the row itself goes away, with an audit event.
    run(app, lambda s, u: storage.finish(s, u, specimens_get(s, u, b), "dispose", "broken"))
    with get_db(app).transaction() as s:
        assert s.execute(select(StoragePosition)).scalars().all() == []


def test_aliquot_reduces_the_parent_and_can_be_stored(app: Flask, freezer: Freezer) -> None:
    from decimal import Decimal

    parent = received(app, 1, types=("whole_blood_edta",))[0]
    store(app, freezer.box, parent)

    def derive(s: object, u: object) -> str:
        p = specimens_get(s, u, parent)  # type: ignore[arg-type]
        child = specimens.create_derivative(s, u, p, specimen_type="plasma",  # type: ignore[arg-type]
                                            container="cryovial_0_5ml",
                                            quantity=Decimal("0.5"), unit="mL",
                                            take=Decimal("1"))
        return child.barcode

    child = run(app, derive)
    assert store(app, freezer.box, child) == "A2"
    with get_db(app).transaction() as s:
        p = s.execute(select(Specimen).where(Specimen.barcode == parent)).scalar_one()
        assert p.quantity == Decimal("3")  # 4 mL EDTA tube less 1 mL
