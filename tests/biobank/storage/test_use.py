"""Check-out and check-in: the position is kept while out, a frozen specimen's freeze–thaw count
rises on each return, with a warning at the configured limit."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.errors import InvalidTransition, ValidationError
from biobank.models import AuditEvent, Specimen
from biobank.services import storage
from tests.biobank.helpers import events_of

from .conftest import Freezer, make_freezer, received, run, specimens_get, store


def _out(app: Flask, code: str) -> None:
    run(app, lambda s, u: storage.check_out(s, u, specimens_get(s, u, code)))


def _in(app: Flask, code: str, limit: int = 3, box: str | None = None) -> storage.CheckIn:
    def go(s: object, u: object) -> tuple[str, int, str | None]:
        b = storage.get_box(s, u, box) if box else None  # type: ignore[arg-type]
        done = storage.check_in(s, u, specimens_get(s, u, code),  # type: ignore[arg-type]
                                warning_limit=limit, box=b)
        return storage.full_path(done.position), done.freeze_thaw_count, done.warning

    return run(app, go)  # type: ignore[no-any-return]


def test_frozen_specimen_counts_each_return_and_warns_at_the_limit(
        app: Flask, freezer: Freezer) -> None:
    code = received(app, 1, types=("whole_blood_edta",))[0]
    store(app, freezer.box, code, "B3")
    _out(app, code)
    with get_db(app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
        assert sp.status == "checked_out"
        # Its position is kept while it is out: nothing else may be stored there.
        assert storage.position_of(s, sp) is not None
    path, count, warning = _in(app, code, limit=2)
    assert path.endswith("Box 1 / B3") and count == 1 and warning is None
    _out(app, code)
    path, count, warning = _in(app, code, limit=2)
    assert count == 2 and warning is not None and "2 times" in warning
    with get_db(app).transaction() as s:
        ev = events_of(s, code)[-1]
        assert ev.kind == "check_in" and ev.detail["freeze_thaw_count"] == [1, 2]
        actions = [a.action for a in s.execute(
            select(AuditEvent).where(AuditEvent.entity_id == code)).scalars()]
        assert actions.count("specimen.check_in") == 2


def test_ffpe_block_return_is_not_a_freeze_thaw(app: Flask) -> None:
    cabinet = make_freezer(app, box_type="block_box_5x10", name="Blocks", kind="ffpe_cabinet",
                           unit_name="Block cabinet")
    code = received(app, 1, types=("ffpe_block",))[0]
    store(app, cabinet.box, code)
    _out(app, code)
    _path, count, warning = _in(app, code, limit=0)
    assert count == 0 and warning is None


def test_check_in_elsewhere_moves_it(app: Flask, freezer: Freezer) -> None:
    code = received(app, 1)[0]
    store(app, freezer.box, code, "A1")
    _out(app, code)
    other = make_freezer(app, name="Box 2")
    path, _count, _w = _in(app, code, box=other.box)
    assert path == "Freezer A / Rack 2 / Box 2 / A1"
    # A1 of Box 1 is free again.
    assert store(app, freezer.box, received(app, 1)[0]) == "A1"


def test_checked_out_cannot_be_stored_or_checked_out_again(app: Flask,
                                                           freezer: Freezer) -> None:
    code = received(app, 1)[0]
    store(app, freezer.box, code)
    _out(app, code)
    with pytest.raises(InvalidTransition) as err:
        store(app, freezer.box, code)
    assert "check it in first" in err.value.message
    with pytest.raises(InvalidTransition):
        _out(app, code)


def test_check_in_of_a_specimen_not_checked_out_is_refused(app: Flask,
                                                           freezer: Freezer) -> None:
    code = received(app, 1)[0]
    with pytest.raises(InvalidTransition) as err:
        _in(app, code)
    assert err.value.code == "not_checked_out"
    store(app, freezer.box, code)
    with pytest.raises(InvalidTransition):
        _in(app, code)


def test_check_in_without_a_kept_position_needs_a_box(app: Flask, freezer: Freezer) -> None:
    code = received(app, 1)[0]
    store(app, freezer.box, code)
    _out(app, code)
    run(app, lambda s, u: storage.free_position(s, u, specimens_get(s, u, code)))
    with pytest.raises(ValidationError) as err:
        _in(app, code)
    assert err.value.code == "box_required"
