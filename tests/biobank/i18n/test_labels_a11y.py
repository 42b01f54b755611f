"""In Chromium, in English and Chinese: the pages issue 16 changed for labels (a participant's
kit override, its refusal re-shown, the kit print form with its start position, a shipment's
label page and detail with the shipping label, box and location pages with their print links)
have no serious or critical axe-core violation; the shipping label downloads under its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import User
from biobank.services import shipments, storage
from tests.labels.helpers import decode, pdf_pages

from .test_bench_e2e import _keyboard_login, _serious_violations, _switch_to

pytestmark = pytest.mark.e2e


def _draft_shipment(live_server: Any) -> str:
    with get_db(live_server.app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        sh = shipments.create(s, tech, conditions="dry_ice", courier="SF Express",
                              tracking_number="SF5550001")
        return str(sh.barcode)


def _rack_and_box(live_server: Any) -> tuple[str, str]:
    with get_db(live_server.app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        unit = storage.create_location(s, tech, kind="freezer_minus80", name="Freezer A")
        rack = storage.create_location(s, tech, kind="rack", name="Rack 1", parent=unit)
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name="Box 1", location=rack)
        return str(rack.barcode), str(box.barcode)


def _clean(page: Any, what: str) -> None:
    found = _serious_violations(page)
    assert not found, (what, found)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_label_pages_have_no_serious_accessibility_violations(
    axe_page: Any, live_server: Any, lang: str, tmp_path: Path
) -> None:
    page = axe_page
    shipment = _draft_shipment(live_server)
    rack, box = _rack_and_box(live_server)
    _keyboard_login(page, "s01.tech")
    _switch_to(page, lang)

    page.goto("/participants/S01-0002")
    row = page.locator("form[data-visit=C1D1]")
    assert row.locator("input[name=override_reason]").count() == 1
    _clean(page, "participant page")
    # Sending the override without a reason re-shows the page with the refusal at the field.
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#override-error-C1D1")
    assert page.locator("#override-C1D1").get_attribute("aria-invalid") == "true"
    _clean(page, "kit override refused")

    page.goto("/labels/kits/S01-0001/SCR")
    assert page.locator("#start_row").count() == 1 and page.locator("#start_column").count() == 1
    _clean(page, "kit print form")

    page.goto(f"/labels/shipments/{shipment}")
    assert page.locator("#shipping-label a").count() == 2
    _clean(page, "shipment label page")
    page.goto(f"/shipments/{shipment}")
    _clean(page, "shipment detail")
    if lang == "en":
        with page.expect_download() as info:
            page.locator("a[data-print=shipping-pdf]").click()
        download = info.value
        assert download.suggested_filename == f"shipping-label-{shipment}.pdf"
        (img,) = pdf_pages(Path(download.path()).read_bytes(), tmp_path)
        assert decode(img) == [shipment]

    _keyboard_login(page, "cb.tech")
    _switch_to(page, lang)
    page.goto(f"/storage/boxes/{box}")
    assert page.locator("#label-links a").count() == 2
    _clean(page, "box page")
    page.goto(f"/storage/locations/{rack}")
    assert page.locator("#label-links a").count() == 2
    _clean(page, "location page")
