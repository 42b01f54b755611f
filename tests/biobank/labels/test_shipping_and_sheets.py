"""Issue 16's labels: the shipping label of a package (A6 PDF decoded, 100 × 150 mm ZPL parsed),
file names that say what they are, a start position on a partly used sheet, print links on box
and location pages, and kits only for visits a participant has reached (or an audited override).
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import AuditEvent, Participant, Site
from biobank.services import labels as label_service
from biobank.services import shipments, trial
from labels import STOCKS
from tests.biobank.shipments.helpers import tubes
from tests.biobank.storage.conftest import make_freezer
from tests.conftest import post_form
from tests.labels.helpers import decode, pdf_pages, zpl_fields

from .conftest import decode_pdf, print_events, zpl_symbol_data


def _shipment(app: Flask, conditions: str = "dry_ice", n: int = 2,
              dry_ice_kg: str | None = None) -> str:
    codes = tubes(app, n)
    with get_db(app).transaction() as s:
        from biobank.models import User

        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        sh = shipments.create(s, tech, conditions=conditions, courier="SF Express",
                              tracking_number="SF0000111122", dry_ice_kg=dry_ice_kg)
        for c in codes:
            shipments.pack(s, tech, sh, c)
        return sh.barcode


def _filename(resp: Any) -> str:
    m = re.search(r'filename="([^"]+)"', resp.headers["Content-Disposition"])
    assert m, resp.headers["Content-Disposition"]
    return m.group(1)


def _shipping_events(db: Any, code: str) -> list[AuditEvent]:
    db.rollback()
    return list(db.execute(select(AuditEvent).where(
        AuditEvent.action == "label.shipping", AuditEvent.entity_id == code)).scalars())


def test_shipping_label_pdf_names_both_sites_marks_un3373_and_decodes(
    app: Flask, client_as: Any, db: Any, tmp_path: Path
) -> None:
    code = _shipment(app)
    c = client_as("s01.tech")
    page = c.get(f"/shipments/{code}").get_data(as_text=True)
    assert f"/labels/shipments/{code}/shipping-label.pdf" in page
    resp = c.get(f"/labels/shipments/{code}/shipping-label.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert _filename(resp) == f"shipping-label-{code}.pdf"
    (img,) = pdf_pages(resp.data, tmp_path)
    assert decode(img) == [code]
    src = tmp_path / "label.pdf"
    src.write_bytes(resp.data)
    text = " ".join(subprocess.run(["pdftotext", str(src), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for expected in ("TO Cancer Hospital CAMS - Central Biobank", "Beijing 100021, China",
                     "Central biobank specimen reception", "+86 10 5555 0100",
                     "FROM Site 01 - Beijing", "Beijing 100730, China",
                     "Responsible: Site 01 trial laboratory", "UN3373",
                     "BIOLOGICAL SUBSTANCE, CATEGORY B", "DRY ICE", "UN1845", "NET ____ KG",
                     "SF Express", "Tracking SF0000111122"):
        assert expected in text, expected
    # No participant data on the package: no participant code appears anywhere on it.
    assert not re.search(r"S0\d-\d{4}", text)
    (ev,) = _shipping_events(db, code)
    assert ev.actor == "s01.tech" and ev.changes == {"format": "pdf", "stock": "shipping-a6"}
    # A package label is not a tube label: a second copy needs no reason, and is recorded.
    assert c.get(f"/labels/shipments/{code}/shipping-label.pdf").status_code == 200
    assert len(_shipping_events(db, code)) == 2
    assert print_events(db, code) == []


def test_shipping_label_zpl_is_a_100_by_150_mm_format_with_the_shipment_barcode(
    app: Flask, client_as: Any, db: Any
) -> None:
    code = _shipment(app, "refrigerated")
    resp = client_as("s01.tech").get(f"/labels/shipments/{code}/shipping-label.zpl")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert _filename(resp) == f"shipping-label-{code}.zpl"
    zpl = resp.get_data(as_text=True)
    assert re.fullmatch(r"\^XA.*\^XZ\n", zpl, flags=re.S) and zpl.count("^XA") == 1
    assert "^PW799^LL1199" in zpl  # 100 × 150 mm at the printer's 203 dpi
    assert zpl_symbol_data(zpl) == [code]  # the ^BC data, re-encoded and decoded
    texts = [d for _x, _y, cmds, d in zpl_fields(zpl) if "^A" in cmds]
    for expected in ("UN3373", "BIOLOGICAL SUBSTANCE,", "CATEGORY B", "REFRIGERATED", "2-8 °C",
                     "TO  Cancer Hospital CAMS - Central Biobank",
                     "FROM  Site 01 - Beijing"):
        assert expected in texts
    (ev,) = _shipping_events(db, code)
    assert ev.changes == {"format": "zpl", "stock": "shipping-100x150", "dpi": 203}


def test_shipping_label_states_the_recorded_dry_ice_mass(
    app: Flask, client_as: Any, tmp_path: Path
) -> None:
    code = _shipment(app, dry_ice_kg="2.50")
    c = client_as("s01.tech")
    src = tmp_path / "label.pdf"
    src.write_bytes(c.get(f"/labels/shipments/{code}/shipping-label.pdf").data)
    text = " ".join(subprocess.run(["pdftotext", str(src), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "NET 2.5 KG" in text and "____" not in text
    zpl = c.get(f"/labels/shipments/{code}/shipping-label.zpl").get_data(as_text=True)
    texts = [d for _x, _y, cmds, d in zpl_fields(zpl) if "^A" in cmds]
    assert "NET 2.5 KG" in texts and "UN1845" in texts
    # Corrected before shipping: the next print states the new mass.
    r = post_form(c, f"/shipments/{code}/details", {"conditions": "dry_ice", "dry_ice_kg": "12"})
    assert r.status_code == 302
    zpl = c.get(f"/labels/shipments/{code}/shipping-label.zpl").get_data(as_text=True)
    assert "NET 12 KG" in [d for _x, _y, cmds, d in zpl_fields(zpl) if "^A" in cmds]


def test_shipping_label_refusals(app: Flask, client_as: Any, db: Any) -> None:
    code = _shipment(app)
    assert client_as("monitor").get(f"/labels/shipments/{code}/shipping-label.pdf"
                                    ).status_code == 403
    assert client_as("s02.tech").get(f"/labels/shipments/{code}/shipping-label.pdf"
                                     ).status_code == 404
    with get_db(app).transaction() as s:
        s.execute(select(Site).where(Site.code == "CB")).scalar_one().address = ""
    resp = client_as("s01.tech").get(f"/labels/shipments/{code}/shipping-label.zpl")
    assert resp.status_code == 409
    assert "CB has no postal address" in resp.get_data(as_text=True)
    assert _shipping_events(db, code) == []


def test_site_contact_command_records_an_address_and_audits_it(app: Flask, db: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["site-contact", "--site", "S02", "--address",
                                 "Pathology Dept.|1 Example Road|Shanghai 200000, China",
                                 "--phone", "+86 21 5555 0199"])
    assert result.exit_code == 0, result.output
    db.rollback()
    site = db.execute(select(Site).where(Site.code == "S02")).scalar_one()
    assert site.address.splitlines() == ["Pathology Dept.", "1 Example Road",
                                         "Shanghai 200000, China"]
    assert site.contact_phone == "+86 21 5555 0199"
    ev = db.execute(select(AuditEvent).where(AuditEvent.action == "site.contact")).scalar_one()
    assert ev.actor == "admin" and ev.changes["contact_phone"][1] == "+86 21 5555 0199"
    refused = runner.invoke(args=["site-contact", "--site", "S02", "--phone", "1",
                                  "--as", "s02.tech"])
    assert refused.exit_code == 1 and "may not do this" in refused.output


def test_file_names_say_what_they_are(app: Flask, client_as: Any, db: Any,
                                      tmp_path: Path) -> None:
    code = _shipment(app)
    c = client_as("s01.tech")
    manifest = c.get(f"/shipments/{code}/manifest.pdf")
    assert manifest.status_code == 200 and _filename(manifest) == f"manifest-{code}.pdf"
    kit = label_codes(db, "S01-0001", "SCR")
    resp = post_form(c, "/labels/print", {"code": kit, "fmt": "pdf", "kit": "yes"})
    assert _filename(resp) == "kit-S01-0001-SCR.pdf"
    # One tube of a kit printed from the kit page is still the kit's file ...
    one = post_form(c, "/labels/print", {"code": kit[:1], "fmt": "pdf", "kit": "yes",
                                         "reason": "smudged"})
    assert _filename(one) == "kit-S01-0001-SCR.pdf"
    # ... and printed from its own page, the specimen's label.
    again = post_form(c, "/labels/print", {"code": kit[:1], "fmt": "pdf", "reason": "smudged"})
    assert _filename(again) == f"specimen-label-{kit[0]}.pdf"
    tube_label = c.get(f"/labels/shipments/{code}.pdf")
    assert _filename(tube_label) == f"shipment-label-{code}.pdf"
    assert decode_pdf(tube_label.data, tmp_path) == [code]


def label_codes(db: Any, participant: str, visit: str) -> list[str]:
    from biobank.models import Specimen, VisitDefinition

    db.rollback()
    return list(db.execute(
        select(Specimen.barcode).join(Participant)
        .join(VisitDefinition, Specimen.visit_id == VisitDefinition.id)
        .where(Participant.code == participant, VisitDefinition.code == visit,
               Specimen.parent_id.is_(None)).order_by(Specimen.id)).scalars())


@pytest.mark.parametrize(("row", "column"), [(3, 2), (20, 5), (1, 1)])
def test_start_position_on_a_partly_used_sheet(
    client_as: Any, db: Any, tmp_path: Path, row: int, column: int
) -> None:
    codes = label_codes(db, "S01-0001", "SCR")
    resp = post_form(client_as("s01.tech"), "/labels/print", {
        "code": codes, "fmt": "pdf", "stock": "cryovial-a4", "start_row": str(row),
        "start_column": str(column)})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    st = STOCKS["cryovial-a4"]
    first = (row - 1) * st.columns + (column - 1)
    pages = pdf_pages(resp.data, tmp_path)
    found = [texts for page in pages
             for texts in _positions(page, st)]
    # Everything before the start is blank; the labels follow in order from it (onto a new
    # sheet when the first one runs out).
    assert all(t == [] for t in found[:first])
    assert [t for texts in found[first:] for t in texts] == codes
    assert found[first] == [codes[0]]
    assert len(pages) == (1 if first + len(codes) <= st.per_page else 2)


def _positions(page: Any, st: Any) -> list[list[str]]:
    from tests.labels.helpers import decode_sheet

    return decode_sheet(page, st, st.per_page)


def test_start_position_off_the_sheet_or_on_a_roll_is_refused(client_as: Any, db: Any) -> None:
    codes = label_codes(db, "S01-0001", "SCR")
    c = client_as("s01.tech")
    off = post_form(c, "/labels/print", {"code": codes, "fmt": "pdf", "stock": "cryovial-a4",
                                          "start_row": "21", "next": "/labels/kits/S01-0001/SCR"},
                    follow_redirects=True)
    assert "is not on a cryovial-a4 sheet (rows 1 to 20, columns 1 to 5)" in off.get_data(
        as_text=True)
    roll = post_form(c, "/labels/print", {"code": codes, "fmt": "pdf", "stock": "roll-25x10",
                                           "start_row": "2", "next": "/labels/kits/S01-0001/SCR"},
                     follow_redirects=True)
    assert "applies to label sheets, not to roll-25x10" in roll.get_data(as_text=True)
    assert print_events(db, codes[0]) == []


def test_box_and_location_pages_link_to_their_labels(
    app: Flask, client_as: Any, tmp_path: Path
) -> None:
    freezer = make_freezer(app)
    c = client_as("cb.tech")
    box_page = c.get(f"/storage/boxes/{freezer.box}").get_data(as_text=True)
    assert f'href="/labels/boxes/{freezer.box}.pdf"' in box_page
    assert f'href="/labels/boxes/{freezer.box}"' in box_page
    rack_page = c.get(f"/storage/locations/{freezer.rack}").get_data(as_text=True)
    assert f'href="/labels/locations/{freezer.rack}.pdf"' in rack_page
    pdf = c.get(f"/labels/boxes/{freezer.box}.pdf")
    assert _filename(pdf) == f"box-label-{freezer.box}.pdf"
    assert decode_pdf(pdf.data, tmp_path / "box") == [freezer.box]
    loc = c.get(f"/labels/locations/{freezer.rack}.pdf")
    assert _filename(loc) == f"location-label-{freezer.rack}.pdf"
    assert decode_pdf(loc.data, tmp_path / "loc") == [freezer.rack]
    # A monitor reads the page, with the label page's link but no print link.
    monitor = client_as("monitor").get(f"/storage/boxes/{freezer.box}").get_data(as_text=True)
    assert f'href="/labels/boxes/{freezer.box}"' in monitor
    assert f'href="/labels/boxes/{freezer.box}.pdf"' not in monitor


def _participant(db: Any, code: str) -> Participant:
    db.rollback()
    return db.execute(select(Participant).where(Participant.code == code)).scalar_one()


def test_which_visits_a_participant_has_reached(db: Any) -> None:
    scr, c1d1, ev = (trial.get_visit(db, v) for v in ("SCR", "C1D1", "EVAL"))
    screening = _participant(db, "S01-0002")  # demo: screening blood collected
    assert label_service.kit_not_reached(screening, scr) is None
    assert "still in screening" in str(label_service.kit_not_reached(screening, c1d1))
    assert "still in screening" in str(label_service.kit_not_reached(screening, ev))
    failed = _participant(db, "S01-0007")
    assert failed.screening_status == "screen_failed"
    assert "screening visit is over" in str(label_service.kit_not_reached(failed, scr))
    # The demo enrols nobody (enrolment needs the gate to say eligible): set it up here.
    enrolled = _participant(db, "S01-0005")
    enrolled.screening_status, enrolled.c1d1_date = "enrolled", date.today() - timedelta(days=7)
    db.flush()
    assert label_service.kit_not_reached(enrolled, c1d1) is None
    # Evaluation (day 57) kits from two weeks before the visit is due.
    due = enrolled.c1d1_date + timedelta(days=56)
    early = label_service.kit_not_reached(enrolled, ev, due - timedelta(days=15))
    assert f"due on {due.isoformat()}" in str(early)
    assert label_service.kit_not_reached(enrolled, ev, due - timedelta(days=14)) is None
    assert label_service.kit_not_reached(enrolled, ev, date.today() + timedelta(days=400)) is None


def test_kit_for_a_visit_not_reached_needs_an_audited_override(
    client_as: Any, db: Any
) -> None:
    c = client_as("s01.coord")
    before = label_codes(db, "S01-0002", "C1D1")
    assert before == []
    page = c.get("/participants/S01-0002").get_data(as_text=True)
    assert "still in screening" in page and 'name="override_reason"' in page
    refused = post_form(c, "/participants/S01-0002/visits/C1D1/kit", {"override_reason": " "})
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    # The participant page again, with the refusal beside the reason field of that visit.
    assert 'id="override-error-C1D1"' in body and 'data-field="override_reason"' in body
    assert "give a reason for the override" in body
    assert label_codes(db, "S01-0002", "C1D1") == []
    db.rollback()
    assert db.execute(select(AuditEvent).where(AuditEvent.action == "kit.override")
                      ).first() is None
    ok = post_form(c, "/participants/S01-0002/visits/C1D1/kit",
                   {"override_reason": "enrolment confirmed; dosing tomorrow"})
    assert ok.status_code == 302
    assert len(label_codes(db, "S01-0002", "C1D1")) == 1
    ev = db.execute(select(AuditEvent).where(AuditEvent.action == "kit.override")).scalar_one()
    assert ev.actor == "s01.coord" and ev.entity_id == "S01-0002"
    assert ev.reason == "enrolment confirmed; dosing tomorrow"
    assert ev.changes["visit"] == "C1D1" and "still in screening" in ev.changes["not_reached"]
    # A visit the participant has reached needs no reason and records no override.
    assert post_form(c, "/participants/S01-0002/visits/SCR/kit", {}).status_code == 302
    db.rollback()
    assert len(db.execute(select(AuditEvent).where(AuditEvent.action == "kit.override")
                          ).all()) == 1


def test_kit_refusal_is_shown_in_chinese(client_as: Any) -> None:
    c = client_as("s01.coord")
    post_form(c, "/language", {"lang": "zh", "next": "/"})
    resp = post_form(c, "/participants/S01-0002/visits/C1D1/kit", {})
    assert resp.status_code == 409
    assert "仍在筛选中" in resp.get_data(as_text=True)


def test_shipping_label_and_start_position_through_the_api(
    app: Flask, api_token: Any, db: Any, tmp_path: Path
) -> None:
    code = _shipment(app, "ambient")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('s01.tech')}"}
    zpl = client.post(f"/api/v1/shipments/{code}/shipping-label", headers=headers,
                      json={"format": "zpl", "dpi": 300})
    assert zpl.status_code == 200 and _filename(zpl) == f"shipping-label-{code}.zpl"
    text = zpl.get_data(as_text=True)
    assert "^PW1181^LL1772" in text and zpl_symbol_data(text) == [code]
    bad = client.post(f"/api/v1/shipments/{code}/shipping-label", headers=headers,
                      json={"format": "png"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "format"
    (ev,) = _shipping_events(db, code)
    assert ev.changes["dpi"] == 300
    codes = label_codes(db, "S01-0001", "SCR")
    sheet = client.post("/api/v1/labels/print", headers=headers, json={
        "codes": codes, "format": "pdf", "stock": "slide-a4", "start_row": 2,
        "start_column": 8})
    assert sheet.status_code == 200
    st = STOCKS["slide-a4"]
    found = [t for page in pdf_pages(sheet.data, tmp_path) for t in _positions(page, st)]
    assert found[: st.columns + 7] == [[]] * (st.columns + 7)
    assert found[st.columns + 7] == [codes[0]]
    assert found[2 * st.columns] == [codes[1]]  # row 3, column 1: the sheet's next row
