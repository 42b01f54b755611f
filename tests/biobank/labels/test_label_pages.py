"""Labels printed from the app's pages: visit kits, one label, aliquots, the site printer, and
the audit of every print. Every output is decoded back to its codes."""

from __future__ import annotations

import re
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import zxingcpp
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Specimen
from biobank.vocabulary import SPECIMEN_TYPES
from labels import LabelSpec, format_id, render_zpl
from tests.biobank.helpers import specimen_code, user
from tests.conftest import post_form
from tests.labels.helpers import rasterise_svg

from .conftest import (
    FakePrinter,
    decode_pdf,
    decode_png,
    free_port,
    print_events,
    set_printer,
    zpl_symbol_data,
)


def _kit_codes(db: Any, participant: str, visit: str) -> list[str]:
    db.rollback()
    p = db.execute(select(Participant).where(Participant.code == participant)).scalar_one()
    return [s.barcode for s in db.execute(
        select(Specimen).where(Specimen.participant_id == p.id, Specimen.parent_id.is_(None))
        .order_by(Specimen.id)
    ).scalars() if s.visit is not None and s.visit.code == visit]


def test_prepared_kit_prints_as_a_pdf_of_exactly_its_labels(
    client_as: Any, db: Any, tmp_path: Path
) -> None:
    c = client_as("s01.coord")
    # S01-0002 is still in screening: the C1D1 kit only with an override reason.
    resp = post_form(c, "/participants/S01-0002/visits/C1D1/kit",
                     {"override_reason": "enrolment confirmed by phone; kit needed tomorrow"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/labels/kits/S01-0002/C1D1")
    codes = _kit_codes(db, "S01-0002", "C1D1")
    assert len(codes) == 1
    page = c.get("/labels/kits/S01-0002/C1D1").get_data(as_text=True)
    for code in codes:
        assert f'value="{code}"' in page and f"/labels/specimens/{code}.png" in page
    assert 'name="next" value="/labels/kits/S01-0002/C1D1"' in page
    assert 'name="reason"' not in page  # nothing printed yet: no reprint reason asked

    pdf = post_form(c, "/labels/print", {"code": codes, "fmt": "pdf", "stock": "cryovial-a4",
                                         "next": "/labels/kits/S01-0002/C1D1"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert decode_pdf(pdf.data, tmp_path, count=len(codes)) == codes
    (ev,) = print_events(db, codes[0])
    assert ev.action == "label.print" and ev.actor == "s01.coord" and ev.reason is None
    assert ev.changes == {"format": "pdf", "stock": "cryovial-a4"}


def test_screening_kit_on_every_stock_decodes(client_as: Any, db: Any, tmp_path: Path) -> None:
    codes = _kit_codes(db, "S01-0001", "SCR")
    assert len(codes) == 2
    c = client_as("s01.tech")
    reason = None
    for stock in ("cryovial-a4", "cryovial-letter", "slide-a4", "cap-a4", "roll-25x10"):
        data = {"code": codes, "fmt": "pdf", "stock": stock}
        if reason:
            data["reason"] = reason
        resp = post_form(c, "/labels/print", data)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        assert decode_pdf(resp.data, tmp_path / stock, stock, len(codes)) == codes, stock
        reason = "sheet misaligned"
    events = print_events(db, codes[0])
    assert [e.action for e in events] == ["label.print"] + ["label.reprint"] * 4
    assert {e.reason for e in events[1:]} == {"sheet misaligned"}


def test_reprint_without_a_reason_is_refused_and_records_nothing(
    client_as: Any, db: Any
) -> None:
    codes = _kit_codes(db, "S01-0001", "SCR")
    c = client_as("s01.tech")
    assert post_form(c, "/labels/print", {"code": codes, "fmt": "pdf"}).status_code == 200
    again = post_form(c, "/labels/print", {"code": codes[1:], "fmt": "pdf", "stock": "slide-a4",
                                           "next": "/labels/kits/S01-0001/SCR"})
    page = again.get_data(as_text=True)
    # The kit page again (422): the refusal beside the reason, the labels chosen still chosen.
    assert again.status_code == 422
    assert 'data-field="reason"' in page and "printed before" in page
    assert 'name="reason"' in page
    assert f'value="{codes[0]}" id="code-{codes[0]}" aria-label="Print {codes[0]}">' in page
    assert f'value="{codes[1]}" id="code-{codes[1]}" aria-label="Print {codes[1]}" checked>' in page
    assert '<option value="slide-a4" selected>' in page
    assert len(print_events(db, codes[0])) == 1
    ok = post_form(c, "/labels/print", {"code": codes[:1], "fmt": "pdf",
                                        "reason": "label smudged"})
    assert ok.status_code == 200
    last = print_events(db, codes[0])[-1]
    assert (last.action, last.reason, last.actor) == ("label.reprint", "label smudged",
                                                      "s01.tech")


def test_single_label_link_prints_once_then_asks_for_a_reason(
    client_as: Any, db: Any, tmp_path: Path
) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    first = c.get(f"/labels/specimens/{code}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert decode_pdf(first.data, tmp_path, count=1) == [code]
    second = c.get(f"/labels/specimens/{code}.pdf")
    assert second.status_code == 302
    assert second.headers["Location"].endswith(f"/labels/specimens/{code}")
    page = c.get(second.headers["Location"]).get_data(as_text=True)
    assert "printed before" in page and "Reprint this label" in page and "Labels printed" in page
    third = c.get(f"/labels/specimens/{code}.pdf?reason=tube+relabelled&stock=roll-25x10")
    assert decode_pdf(third.data, tmp_path / "roll", "roll-25x10") == [code]
    assert [(e.action, e.reason) for e in print_events(db, code)] == [
        ("label.print", None), ("label.reprint", "tube relabelled")]


def test_every_demo_specimen_type_previews_and_prints_through_the_app(
    client_as: Any, db: Any, tmp_path: Path
) -> None:
    rows = db.execute(select(Specimen).order_by(Specimen.id)).scalars().all()
    by_type: dict[str, str] = {}
    for s in rows:
        if s.participant.site.code == "S01":
            by_type.setdefault(s.specimen_type, s.barcode)
    assert set(by_type) >= {"whole_blood_edta", "ffpe_block"}
    c = client_as("s01.tech")
    for stype, code in by_type.items():
        png = c.get(f"/labels/specimens/{code}.png")
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert decode_png(png.data) == [code], stype
        dm = c.get(f"/labels/specimens/{code}.png?stock=slide-a4")
        assert decode_png(dm.data) == [code], stype
        svg = c.get(f"/labels/specimens/{code}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert [r.text for r in zxingcpp.read_barcodes(
            rasterise_svg(svg.get_data(as_text=True)))] == [code], stype
    codes = list(by_type.values())
    pdf = post_form(c, "/labels/print", {"code": codes, "fmt": "pdf"})
    assert decode_pdf(pdf.data, tmp_path, count=len(codes)) == codes
    # A preview is not a print.
    assert all(len(print_events(db, code)) == 1 for code in codes)


def test_aliquot_of_every_type_gets_a_label_that_decodes(
    client_as: Any, db: Any, tmp_path: Path
) -> None:
    parent = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    children = []
    for stype in SPECIMEN_TYPES:
        resp = post_form(c, f"/labels/specimens/{parent}/aliquot", {
            "specimen_type": stype, "container": "cryovial_2ml", "quantity": "0.5",
            "unit": "mL", "take": "0.1"})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        m = re.search(r"/labels/specimens/(SP\w+)$", resp.headers["Location"])
        assert m, resp.headers["Location"]
        child = m.group(1)
        children.append(child)
        page = c.get(resp.headers["Location"]).get_data(as_text=True)
        assert f"{child}.png" in page and parent in page and "Print this label" in page
        assert decode_png(c.get(f"/labels/specimens/{child}.png").data) == [child], stype
    db.rollback()
    kids = db.execute(select(Specimen).where(Specimen.barcode.in_(children))).scalars().all()
    assert {k.specimen_type for k in kids} == set(SPECIMEN_TYPES)
    assert all(k.parent.barcode == parent for k in kids)
    p = db.execute(select(Specimen).where(Specimen.barcode == parent)).scalar_one()
    assert p.quantity == Decimal("4") - Decimal("0.1") * len(SPECIMEN_TYPES)
    pdf = post_form(c, "/labels/print", {"code": children, "fmt": "pdf"})
    assert decode_pdf(pdf.data, tmp_path, count=len(children)) == children


def test_aliquot_form_errors_are_shown_and_nothing_is_created(
    client_as: Any, db: Any
) -> None:
    parent = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    before = db.execute(select(Specimen.id)).all()
    resp = post_form(c, f"/labels/specimens/{parent}/aliquot", {
        "specimen_type": "serum", "container": "cryovial_2ml", "quantity": "1", "unit": "mL",
        "take": "999"})
    # The specimen page again (422), the refusal beside the amount taken, the rest kept.
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "cannot take 999" in page
    assert 'data-field="take"' in page and 'name="take" inputmode="decimal" value="999"' in page
    assert '<option value="serum" selected>' in page
    db.rollback()
    assert db.execute(select(Specimen.id)).all() == before
    bad = post_form(c, f"/labels/specimens/{parent}/aliquot", {
        "specimen_type": "serum", "container": "cryovial_2ml", "quantity": "lots",
        "unit": "mL"}, follow_redirects=True)
    assert "is not a number" in bad.get_data(as_text=True)


def test_specimen_page_shows_preview_and_aliquot_form(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    page = client_as("s01.tech").get(f"/specimens/{code}").get_data(as_text=True)
    assert f"/labels/specimens/{code}.png" in page and "aliquot-form" in page
    monitor = client_as("monitor").get(f"/specimens/{code}").get_data(as_text=True)
    assert f"/labels/specimens/{code}.png" in monitor and "aliquot-form" not in monitor


def test_send_to_site_printer_delivers_exactly_the_kit_zpl(
    app: Flask, client_as: Any, db: Any, fake_printer: FakePrinter
) -> None:
    set_printer(app, "S01", "127.0.0.1", fake_printer.port)
    codes = _kit_codes(db, "S01-0001", "SCR")
    c = client_as("s01.tech")
    page = c.get("/labels/kits/S01-0001/SCR").get_data(as_text=True)
    assert f"Send to printer (127.0.0.1:{fake_printer.port})" in page
    resp = post_form(c, "/labels/print", {"code": codes, "fmt": "printer",
                                          "next": "/labels/kits/S01-0001/SCR"},
                     follow_redirects=True)
    assert "Sent 2 labels to the printer" in resp.get_data(as_text=True)
    job = fake_printer.wait_job()
    zpl = job.decode("utf-8")
    assert zpl.count("^XA") == 2 and "^PW200" in zpl  # roll-25x10 at 203 dpi: 200 dots wide
    assert zpl_symbol_data(zpl) == codes
    # Exactly the library's ZPL for these two labels, byte for byte.
    assert zpl == render_zpl([
        LabelSpec("specimen", codes[0], "S01-0001", "SCR", "whole_blood_edta"),
        LabelSpec("specimen", codes[1], "S01-0001", "SCR", "ffpe_block"),
    ], "roll-25x10", 203)
    ev = print_events(db, codes[0])[-1]
    assert ev.changes["printer"] == f"127.0.0.1:{fake_printer.port}"
    assert ev.changes["format"] == "printer" and ev.changes["dpi"] == 203


def test_a_300_dpi_site_printer_is_a_config_value(
    app: Flask, client_as: Any, db: Any, fake_printer: FakePrinter
) -> None:
    app.config["LABEL_PRINTER_DPI"] = 300
    set_printer(app, "S01", "127.0.0.1", fake_printer.port)
    code = specimen_code(db, status="collected", site="S01")
    resp = post_form(client_as("s01.tech"), "/labels/print", {"code": [code], "fmt": "printer"})
    assert resp.status_code == 302
    zpl = fake_printer.wait_job().decode()
    assert "^PW295" in zpl  # 25 mm at 300 dpi
    assert zpl_symbol_data(zpl) == [code]
    assert print_events(db, code)[-1].changes["dpi"] == 300


def test_printer_that_is_off_gives_a_clear_message_and_the_pdf_fallback(
    app: Flask, client_as: Any, db: Any
) -> None:
    port = free_port()
    set_printer(app, "S01", "127.0.0.1", port)
    codes = _kit_codes(db, "S01-0001", "SCR")
    c = client_as("s01.tech")
    resp = post_form(c, "/labels/print", {"code": codes, "fmt": "printer",
                                          "next": "/labels/kits/S01-0001/SCR"})
    assert resp.status_code == 302 and "printer_failed=1" in resp.headers["Location"]
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The label printer did not take the job" in page and "refused" in page
    assert 'data-outcome="printer_failed"' in page and 'value="pdf"' in page
    assert print_events(db, codes[0]) == []


def test_printer_that_never_answers_costs_the_timeout_not_a_hang(
    app: Flask, client_as: Any, db: Any
) -> None:
    # A listening socket whose accept queue is full drops new connections: the printer is
    # asleep (or the address is a black hole). The page answers after the 3 s timeout.
    asleep = socket.socket()
    asleep.bind(("127.0.0.1", 0))
    asleep.listen(0)
    port = asleep.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=1)
    try:
        set_printer(app, "S01", "127.0.0.1", port)
        codes = _kit_codes(db, "S01-0001", "SCR")
        c = client_as("s01.tech")
        resp = post_form(c, "/labels/print", {"code": codes, "fmt": "printer",
                                              "next": "/labels/kits/S01-0001/SCR"},
                         follow_redirects=True)
    finally:
        filler.close()
        asleep.close()
    # The configured timeout bounded the wait (the message names it); no clock in the test.
    page = resp.get_data(as_text=True)
    assert "did not answer within 3 s" in page and 'data-outcome="printer_failed"' in page
    assert print_events(db, codes[0]) == []


def test_no_printer_configured_offers_only_the_pdf(client_as: Any) -> None:
    page = client_as("s01.tech").get("/labels/kits/S01-0001/SCR").get_data(as_text=True)
    assert "No label printer is configured" in page and 'value="printer"' not in page


def test_other_sites_labels_are_not_found_and_monitors_cannot_print(
    client_as: Any, db: Any
) -> None:
    other = specimen_code(db, status="expected", site="S02")
    own = specimen_code(db, status="expected", site="S01")
    c = client_as("s01.tech")
    assert c.get(f"/labels/specimens/{other}.png").status_code == 404
    assert c.get(f"/labels/specimens/{other}.pdf").status_code == 404
    assert c.get(f"/labels/specimens/{other}").status_code == 404
    assert c.get("/labels/kits/S02-0001/SCR").status_code == 404
    resp = post_form(c, "/labels/print", {"code": [own, other], "fmt": "pdf", "next": "/"},
                     follow_redirects=True)
    assert "visible to you" in resp.get_data(as_text=True)
    assert print_events(db, own) == []
    m = client_as("monitor")
    assert m.get(f"/labels/specimens/{own}.png").status_code == 200
    assert m.get(f"/labels/specimens/{own}.pdf").status_code == 403
    assert "Download PDF" not in m.get("/labels/kits/S01-0001/SCR").get_data(as_text=True)


def test_unknown_box_and_shipment_codes_are_not_found(client_as: Any) -> None:
    c = client_as("cb.tech")
    for kind, prefix in (("boxes", "BX"), ("shipments", "SH"), ("locations", "LC")):
        code = format_id(prefix, 999_999)
        assert c.get(f"/labels/{kind}/{code}.pdf").status_code == 404
        assert c.get(f"/labels/{kind}/{code}.png").status_code == 404
    # A code of the wrong kind for the URL is not found either.
    assert c.get(f"/labels/boxes/{format_id('SP', 1)}.png").status_code == 404


def test_box_and_shipment_labels_print_and_decode(
    app: Flask, client_as: Any, db: Any, tmp_path: Path
) -> None:
    from biobank.services import shipments, storage

    tech = user(db, "s01.tech")
    with get_db(app).transaction() as s:
        tech = s.get(type(tech), tech.id)
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name="Label test box")
        shipment = shipments.create(s, tech, conditions="ambient")
        codes = {"boxes": box.barcode, "shipments": shipment.barcode}
    c = client_as("s01.tech")
    for kind, code in codes.items():
        assert decode_png(c.get(f"/labels/{kind}/{code}.png").data) == [code], kind
        pdf = c.get(f"/labels/{kind}/{code}.pdf")
        assert pdf.status_code == 200, kind
        assert decode_pdf(pdf.data, tmp_path / kind, count=1) == [code]
        (ev,) = print_events(db, code)
        assert (ev.action, ev.entity_type) == ("label.print", {"boxes": "box",
                                                               "shipments": "shipment"}[kind])
        # Another site's staff do not see it, and cannot tell it exists.
        assert client_as("s02.tech").get(f"/labels/{kind}/{code}.png").status_code == 404
    both = post_form(c, "/labels/print", {"code": list(codes.values()), "fmt": "pdf",
                                          "reason": "second copy"})
    assert decode_pdf(both.data, tmp_path / "both", count=2) == list(codes.values())
