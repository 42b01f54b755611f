"""Storage rules by kind of box: an FFPE block goes in a block box and nowhere else (a cryobox
refuses it even at room temperature), tubes in a cryobox or tube rack, slides in a slide box;
FFPE curls filed in a block box are a deviation. Where the temperature and box tables both
object, the graver outcome decides. The tables in docs/storage-rules.md are the code's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db, vocabulary
from biobank.errors import Conflict
from biobank.models import AuditEvent
from biobank.services import specimens, storage, storage_rules
from tests.conftest import post_form

from .conftest import counts, make_freezer, received, run, specimens_get

DOC = Path(__file__).resolve().parents[3] / "docs" / "storage-rules.md"
#: The temperature columns of the doc's table, by their heading.
TEMPERATURE_HEADINGS = {"RT (15–25 °C)": "ambient", "2–10 °C": "fridge", "−20 °C": "minus20",
                        "−80 °C": "minus80", "LN2": "ln2"}


def _store(app: Flask, box: str, code: str, *, acknowledge: bool = False) -> str:
    def go(s: Any, u: Any) -> str:
        pos = storage.store(s, u, storage.get_box(s, u, box), specimens_get(s, u, code),
                            acknowledge=acknowledge)
        return storage.position_name(pos.row_no, pos.col_no)

    return run(app, go)  # type: ignore[no-any-return]


#: How a derivative of each type is made from the demo's collected types: (parent type,
#: container, unit).
_DERIVED = {"plasma": ("whole_blood_edta", "cryovial_0_5ml", "mL"),
            "ffpe_slides": ("ffpe_block", "slide", "slide"),
            "ffpe_curls": ("ffpe_block", "microtube_1_5ml", "curl")}


def _derived(app: Flask, specimen_type: str) -> str:
    """A derivative of ``specimen_type`` (the demo collects only blood and blocks), received
    at the central biobank like its parent."""
    parent_type, container, unit = _DERIVED[specimen_type]
    (parent,) = received(app, 1, types=(parent_type,))

    def derive(s: Any, u: Any) -> str:
        child = specimens.create_derivative(
            s, u, specimens_get(s, u, parent), specimen_type=specimen_type,
            container=container, quantity=Decimal("1"), unit=unit)
        return child.barcode

    return run(app, derive)  # type: ignore[no-any-return]


def _refusal(app: Flask, box: str, code: str, *, acknowledge: bool = False) -> Conflict:
    before = counts(app)
    with pytest.raises(Conflict) as err:
        _store(app, box, code, acknowledge=acknowledge)
    assert counts(app) == before  # nothing stored, nothing audited
    return err.value


def _doc_table(heading: str) -> tuple[list[str], dict[str, list[str]]]:
    """The column headings and the rows (first cell → outcomes) of the table under a heading
    of docs/storage-rules.md; "**refuse**" reads "refuse"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    cells = [[c.strip().strip("*") for c in ln.strip("|").split("|")] for ln in lines]
    head, _rule, *rows = cells
    return head[1:], {row[0]: row[1:] for row in rows}


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


def test_every_type_is_decided_in_every_kind_of_box_and_every_box_type_has_a_kind() -> None:
    for stype in vocabulary.SPECIMEN_TYPES:
        assert set(storage_rules.BOX_RULES[stype]) == set(storage_rules.BOX_KINDS), stype
    assert set(storage_rules.BOX_TYPE_KIND) == set(storage.BOX_TYPES)
    assert set(storage_rules.BOX_TYPE_KIND.values()) <= set(storage_rules.BOX_KINDS)


@pytest.mark.parametrize(("heading", "table", "columns"), [
    ("By temperature", storage_rules.RULES, TEMPERATURE_HEADINGS),
    ("By kind of box", storage_rules.BOX_RULES,
     {_capitalised(label): kind for kind, label in storage_rules.BOX_KINDS.items()}),
])
def test_the_tables_in_the_docs_are_the_code(heading: str, table: dict[str, Any],
                                             columns: dict[str, str]) -> None:
    head, rows = _doc_table(heading)
    assert set(head) == set(columns), head
    by_label = {label: code for code, label in vocabulary.SPECIMEN_TYPES.items()}
    assert set(rows) == set(by_label), sorted(rows)
    for label, outcomes in rows.items():
        in_code = table[by_label[label]]
        assert {columns[h]: o for h, o in zip(head, outcomes, strict=True)} == {
            key: rule.outcome for key, rule in in_code.items()}, label


def test_a_block_is_refused_by_a_cryobox_even_at_room_temperature(app: Flask) -> None:
    tubes = make_freezer(app, kind="ffpe_cabinet", unit_name="Cabinet", name="Tubes")
    (block,) = received(app, 1, types=("ffpe_block",))
    err = _refusal(app, tubes.box, block, acknowledge=True)  # no acknowledgement overrides it
    assert err.code == "storage_refused"
    # The technician is told which box and why: the room temperature is not the problem.
    text = str(err)
    assert "cryobox or tube rack, room temperature" in text and "filed in a block box" in text
    blocks = make_freezer(app, box_type="block_box_5x10", kind="ffpe_cabinet",
                          unit_name="Cabinet 2", name="Blocks")
    assert _store(app, blocks.box, block) == "A1"


def test_plasma_goes_in_a_cryobox_not_a_slide_box(app: Flask) -> None:
    slides = make_freezer(app, box_type="slide_box_100", name="Slides at −80")
    plasma = _derived(app, "plasma")
    err = _refusal(app, slides.box, plasma, acknowledge=True)
    assert err.code == "storage_refused" and "slots of a slide box" in str(err)
    assert _store(app, make_freezer(app, unit_name="Freezer B").box, plasma) == "A1"


def test_slides_go_in_a_slide_box_not_a_block_box(app: Flask) -> None:
    blocks = make_freezer(app, box_type="block_box_5x10", kind="ffpe_cabinet",
                          unit_name="Cabinet", name="Blocks")
    slides = _derived(app, "ffpe_slides")
    assert _refusal(app, blocks.box, slides).code == "storage_refused"
    box = make_freezer(app, box_type="slide_box_25", kind="ffpe_cabinet",
                       unit_name="Cabinet 2", name="Slides")
    assert _store(app, box.box, slides) == "A1"


def test_curls_in_a_block_box_are_a_deviation_audited_with_the_kind_of_box(app: Flask) -> None:
    blocks = make_freezer(app, box_type="block_box_5x10", kind="ffpe_cabinet",
                          unit_name="Cabinet", name="Blocks")
    curls = _derived(app, "ffpe_curls")
    err = _refusal(app, blocks.box, curls)
    assert err.code == "storage_warning" and "Acknowledge the deviation" in str(err)
    assert _store(app, blocks.box, curls, acknowledge=True) == "A1"
    with get_db(app).transaction() as s:
        (ack,) = s.execute(select(AuditEvent).where(
            AuditEvent.action == "storage.deviation_acknowledged",
            AuditEvent.entity_id == curls)).scalars()
        assert ack.changes["box_kind"] == "block_box"
        assert ack.changes["temperature"] == "ambient"
        assert "filing the tube in a block box" in ack.changes["rule"]


def test_two_warnings_are_both_told_and_one_acknowledgement_covers_them(app: Flask) -> None:
    fridge = make_freezer(app, box_type="block_box_5x10", kind="fridge_4c",
                          unit_name="Fridge", name="Blocks in the fridge")
    curls = _derived(app, "ffpe_curls")
    err = _refusal(app, fridge.box, curls)
    assert err.code == "storage_warning"
    assert "cold storage is a deviation" in str(err) and "block box is a deviation" in str(err)
    assert _store(app, fridge.box, curls, acknowledge=True) == "A1"


def test_a_refusal_is_not_softened_by_the_other_tables_warning(app: Flask) -> None:
    # Curls in a block box alone would be a warning; at −80 °C the paraffin cracks.
    frozen = make_freezer(app, box_type="block_box_5x10", name="Blocks at −80")
    curls = _derived(app, "ffpe_curls")
    err = _refusal(app, frozen.box, curls, acknowledge=True)
    assert err.code == "storage_refused"
    assert "paraffin cracks" in str(err) and "block box is a deviation" not in str(err)


def _csv(*rows: tuple[str, str, str]) -> str:
    return "Rack,Position,Tube\r\n" + "".join(f"{r},{p},{t}\r\n" for r, p, t in rows)


def test_the_rack_import_and_the_api_meet_the_box_rules(
        app: Flask, client_as: Any, api_token: Any) -> None:
    tubes = make_freezer(app, kind="ffpe_cabinet", unit_name="Cabinet", name="Tubes")
    block, other = received(app, 2, types=("ffpe_block",))
    diff = run(app, lambda s, u: storage.rack_diff(s, u, _csv((tubes.box, "A1", block))))
    assert [i.tube for i in diff.refused] == [block] and not diff.applicable
    assert "filed in a block box" in diff.refused[0].reason
    h = {"Authorization": f"Bearer {api_token('cb.tech')}"}
    r = client_as("cb.tech").post(f"/api/v1/storage/boxes/{tubes.box}/store",
                                  json={"specimen": other, "acknowledge": True}, headers=h)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "storage_refused"


def test_the_refusal_reads_in_chinese(app: Flask, client_as: Any) -> None:
    tubes = make_freezer(app, kind="ffpe_cabinet", unit_name="Cabinet", name="Tubes")
    (block,) = received(app, 1, types=("ffpe_block",))
    c = client_as("cb.tech")
    post_form(c, "/language", {"lang": "zh", "next": "/scan"})
    html = post_form(c, f"/storage/boxes/{tubes.box}/store", {"code": block},
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-outcome="storage_refused"' in html
    assert "冻存盒种类或温度不符" in html and "FFPE 蜡块应归档于蜡块盒" in html
    assert "（冻存盒或管架、室温（15–25 °C））" in html  # which box, and where it stands
