"""In Chromium, scanner only where a technician scans: a site technician packs five demo tubes,
takes a wrongly packed one out again, and ships after the confirmation page; the central
technician receives them with a condition card scanned from the sheet (haemolysed, for the
next tube only), a tube flagged thawed by mistake, one tube left in the box (missing, after a
confirming second scan of the shipment label) and an unexpected tube; resolves each with a
reason — the wrong flag cleared, the unexpected tube accepted into custody — closes the
shipment and stores the accepted tube; the specimen pages show statuses and custody."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen
from biobank.services import shipments as svc
from tests.biobank.i18n.test_bench_e2e import _scan as _scan_answer
from tests.biobank.storage.conftest import make_freezer
from tests.conftest import browser_login

from .helpers import (
    create_on_page,
    open_receipt,
    resolve_on_page,
    to_ship_confirmation,
    tubes,
    unpack_on_page,
)

pytestmark = pytest.mark.e2e


def _scan(page: Any, code: str, result: str, count: tuple[str, int] | None = None) -> str:
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    if count is not None:
        key, n = count
        page.wait_for_function(
            f"() => {{ const e = document.querySelector('[data-count=\"{key}\"]');"
            f" return e && e.textContent.trim() === '{n}'; }}")
    # The scan list shows the newest first; wait for this scan's own answer.
    box = page.locator(f"{result} [data-scan-log] > li:first-child[data-scan-state=answered]"
                       " .result")
    box.wait_for()
    return str(box.get_attribute("data-outcome"))


def _blood_tube(app: Any, exclude: list[str]) -> str:
    """A collected S01 blood tube (it belongs in a −80 °C box), not one of ``exclude``."""
    with get_db(app).transaction() as s:
        rows = s.execute(
            select(Specimen.barcode).join(Participant).join(Site, Participant.site_id == Site.id)
            .where(Specimen.status == "collected", Site.code == "S01",
                   Specimen.specimen_type == "whole_blood_edta").order_by(Specimen.id)
        ).scalars().all()
    return next(str(r) for r in rows if r not in exclude)


def test_pack_unpack_ship_receive_resolve_close_store(page: Any, live_server: Any) -> None:
    app = live_server.app
    a, b, c, d, e = tubes(app, 5)
    stray = _blood_tube(app, [a, b, c, d, e])
    box = make_freezer(app).box

    # --- S01: pack five tubes by scanning, take the wrongly packed d out, ship.
    browser_login(page, "s01.tech")
    code = create_on_page(page)
    scan = page.locator("[data-scan-input]")
    assert scan.evaluate("el => el === document.activeElement")
    for n, t in enumerate((a, b, c, d, e), start=1):
        assert _scan(page, t, "#pack-result", ("manifest", n)) == "packed"
    assert scan.evaluate("el => el === document.activeElement && el.value === ''")
    counts = page.locator("[data-counts]").inner_text()
    assert "Tubes packed" in counts and "Awaiting scan" not in counts
    unpack_on_page(page, d)
    assert page.locator(f'[data-item="{d}"]').count() == 0
    assert page.locator('[data-count="manifest"]').inner_text() == "4"
    # Nothing has shipped yet: the confirmation page says what leaves, and asks for the net
    # mass of the dry ice the label must state (not recorded while packing).
    to_ship_confirmation(page, "SF-E2E-0001")
    assert "SF-E2E-0001" in page.locator("main").inner_text()
    assert page.locator("[data-ship-confirm] [data-count=manifest]").inner_text() == "4"
    mass = page.locator("#ship-dry-ice")
    assert mass.evaluate("el => el === document.activeElement")
    assert mass.get_attribute("aria-invalid") == "true"
    assert "net mass of the dry ice" in page.locator(
        "#ship-form [data-field=dry_ice_kg]").inner_text()
    page.keyboard.type("2.5")
    page.click("#confirm-ship")
    page.wait_for_selector('[data-shipment-status="shipped"]')
    assert page.locator("[data-dry-ice-kg]").inner_text() == "2.5 kg"

    # --- CB: scan the shipment, then the tubes.
    page.context.clear_cookies()
    browser_login(page, "cb.tech")
    open_receipt(page, code)
    # The sheet of condition cards is one click away, and its cards are what is scanned.
    assert page.locator('a[href$="/shipments/conditions.pdf"]').count() == 1
    card = _scan_answer(page, svc.condition_code("haemolysed"), "condition", "#receive-result")
    assert "Haemolysed" in card.inner_text()
    assert page.locator("#damage").input_value() == svc.condition_code("haemolysed")
    assert _scan(page, a, "#receive-result", ("damaged", 1)) == "damaged"
    # The condition does not stick: the next tube is intact.
    assert page.locator("#damage").input_value() == svc.condition_code("intact")
    assert _scan(page, b, "#receive-result", ("received", 1)) == "received"
    # A slip: the technician picks "Thawed" by hand for c, which is fine.
    # The condition form is swapped in out of band with each tube's answer, and htmx wires its
    # change trigger when that swap settles (its 20 ms settle delay): a person cannot choose
    # inside that window, the test could (a choice then sent nothing, one run in five).
    page.wait_for_function("() => { const f = document.getElementById('next-condition');"
                           " const d = f && f['htmx-internal-data']; return !!(d && d.initHash); }")
    page.select_option("#damage", svc.condition_code("thawed"))
    page.wait_for_selector('#condition-answer [data-condition="thawed"]')
    assert page.locator("[data-scan-input]").evaluate("el => el === document.activeElement")
    assert _scan(page, c, "#receive-result", ("damaged", 2)) == "damaged"
    assert page.locator("#damage").input_value() == svc.condition_code("intact")
    assert _scan(page, stray, "#receive-result", ("extra", 1)) == "extra"
    # The shipment label with e still in the box: a warning, not a finish.
    warn = _scan_answer(page, code, "confirm_finish", "#receive-result")
    assert warn.get_attribute("data-missing") == "1"
    assert "1 tubes not scanned yet" in warn.inner_text() or "not scanned" in warn.inner_text()
    assert page.url.endswith(f"/shipments/{code}/receive")
    assert page.locator("#finish-receipt").get_attribute("data-missing") == "1"
    # Scanned again: finished, e is missing.
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/shipments/{code}")
    page.wait_for_selector('[data-shipment-status="partially_received"]')
    assert page.locator(f'[data-item="{e}"]').get_attribute("data-state") == "missing"
    assert page.locator(f'[data-item="{stray}"]').get_attribute("data-state") == "extra"
    assert page.locator("#op-close").is_disabled()

    # --- Resolve each with a reason: keep a, clear c's wrong flag, e lost, accept the stray.
    resolve_on_page(page, a, "noted", "Haemolysed; kept for DNA extraction")
    resolve_on_page(page, c, "cleared", "Frozen solid on arrival; thawed was picked by mistake")
    resolve_on_page(page, e, "lost", "S01 confirms the tube broke before packing")
    resolve_on_page(page, stray, "accepted",
                    "S01 confirms it belongs to this visit; sent by mistake")
    assert page.locator(f'[data-item="{c}"]').get_attribute("data-state") == "received"
    page.wait_for_selector("#op-close:not([disabled])")
    page.click("#op-close")
    page.wait_for_selector('[data-shipment-status="closed"]')
    body = page.locator("main").inner_text()
    assert "thawed was picked by mistake" in body and "accepted into custody" in body

    # --- The accepted tube is CB's now: it is stored by scanning it into a box.
    page.goto(f"/storage/boxes/{box}")
    page.locator("[data-scan-input]").focus()
    page.keyboard.type(stray)
    page.keyboard.press("Enter")
    page.wait_for_selector('#store-result [data-outcome="stored"]')

    # --- Specimen pages: statuses and custody.
    page.goto(f"/specimens/{stray}")
    assert page.locator("span.status[data-status]").get_attribute("data-status") == "stored"
    assert "sent by mistake" in page.locator("main").inner_text()
    page.goto(f"/specimens/{e}")
    assert page.locator("span.status[data-status]").get_attribute("data-status") == "lost"
    page.goto(f"/specimens/{d}")
    assert page.locator("span.status[data-status]").get_attribute("data-status") == "collected"
    with page.expect_download() as dl:
        page.goto(f"/specimens/{b}")
        page.click("[data-custody-csv]")
    text = Path(dl.value.path()).read_text(encoding="utf-8").replace("\r", "")
    assert f"ship,collected,in_transit,S01,s01.tech,{code}" in text
    assert f"receive,in_transit,received,CB,cb.tech,{code}" in text
