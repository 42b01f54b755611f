"""The demo's central-biobank storage: a −80 °C freezer with shelves, racks and cryoboxes, a
−20 °C freezer, an LN2 tank and an FFPE block cabinet with drawers — ready to store into, the
way the storage rules want it, and seeded once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import get_db, vocabulary
from biobank.models import AuditEvent, StorageBox, StorageLocation
from biobank.services import demo, storage, storage_rules
from tests.conftest import make_app

from .conftest import received, run, specimens_get


def _paths(app: Flask) -> dict[str, str]:
    with get_db(app).transaction() as s:
        return {b.name: storage.box_path(b)
                for b in s.execute(select(StorageBox)).unique().scalars()}


def test_demo_has_a_freezer_hierarchy_with_boxes(app: Flask) -> None:
    paths = _paths(app)
    assert paths["Serum 1"] == "Freezer A (−80 °C) / Shelf 1 / Rack 1 / Serum 1"
    assert paths["Whole blood 1"] == "Freezer A (−80 °C) / Shelf 1 / Rack 2 / Whole blood 1"
    assert paths["FFPE blocks 1"] == "Cabinet A (FFPE, room temperature) / Drawer 1 / FFPE blocks 1"
    assert paths["FFPE slides 1"] == "Cabinet A (FFPE, room temperature) / Drawer 2 / FFPE slides 1"
    with get_db(app).transaction() as s:
        boxes = {b.name: b for b in s.execute(select(StorageBox)).unique().scalars()}
        assert (boxes["Serum 1"].n_rows, boxes["Serum 1"].n_cols) == (10, 10)
        assert (boxes["Whole blood 1"].n_rows, boxes["Whole blood 1"].n_cols) == (9, 9)
        assert {b.site.code for b in boxes.values()} == {"CB"}
        temps = {name: storage.temperature_of(b) for name, b in boxes.items()}
    assert temps["Serum 1"] == "minus80" and temps["FFPE blocks 1"] == "ambient"
    assert temps["DNA working stock 1"] == "minus20" and temps["Viable cells 1"] == "ln2"


def test_demo_has_a_place_for_every_specimen_type_that_breaks_no_rule(app: Flask) -> None:
    with get_db(app).transaction() as s:
        boxes = list(s.execute(select(StorageBox)).unique().scalars())
        places = {(storage.temperature_of(b), storage.box_kind_of(b)) for b in boxes}
    for stype in vocabulary.SPECIMEN_TYPES:
        assert any(storage_rules.rule_for(stype, temperature, kind) is None
                   for temperature, kind in places if temperature is not None), stype


def test_demo_specimens_go_where_the_rules_send_them(app: Flask) -> None:
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    (block,) = received(app, 1, types=("ffpe_block",))
    boxes = {name: code for name, code in run(app, lambda s, u: [
        (b.name, b.barcode) for b in s.execute(select(StorageBox)).unique().scalars()])}

    def put(box: str, code: str) -> str:
        def go(s: Any, u: Any) -> str:
            return storage.full_path(storage.store(s, u, storage.get_box(s, u, box),
                                                   specimens_get(s, u, code)))
        return run(app, go)  # type: ignore[no-any-return]

    assert put(boxes["Whole blood 1"], blood).endswith("Whole blood 1 / A1")
    assert put(boxes["FFPE blocks 1"], block) == \
        "Cabinet A (FFPE, room temperature) / Drawer 1 / FFPE blocks 1 / A1"


def test_seeding_again_adds_nothing_and_an_older_demo_gets_its_storage(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0

    def sizes() -> tuple[int, int, int]:
        with get_db(app).transaction() as s:
            return tuple(  # type: ignore[return-value]
                s.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (StorageLocation, StorageBox, AuditEvent))

    first = sizes()
    assert first[0] >= 10 and first[1] >= 10
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert sizes() == first
    # A demo seeded before storage was part of it: the next seed adds the storage, once.
    with get_db(app).transaction() as s:
        for b in s.execute(select(StorageBox)).unique().scalars():
            s.delete(b)
        s.flush()
        for loc in sorted(s.execute(select(StorageLocation)).unique().scalars(),
                          key=lambda x: -x.id):
            s.delete(loc)
    with get_db(app).transaction() as s:
        assert demo.seed_storage(s) is True
        assert demo.seed_storage(s) is False
    assert sizes()[:2] == first[:2]
