"""In Chromium: the demo technician signs in, scans a demo label, sees it and its history
(each answer joins the scan list on top: the first .result is the newest)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def _expected_code(live_server: Any) -> str:
    with get_db(live_server.app).transaction() as s:
        return str(s.execute(
            select(Specimen.barcode).join(Participant).join(Site, Participant.site_id == Site.id)
            .where(Specimen.status == "expected", Site.code == "S01").order_by(Specimen.id)
        ).scalars().first())


def test_technician_scans_a_label(page: Any, live_server: Any) -> None:
    code = _expected_code(live_server)
    browser_login(page, "s01.tech")
    page.goto("/scan")
    scan = page.locator("[data-scan-input]")
    assert scan.evaluate("el => el === document.activeElement")  # focus is on the input
    # A keyboard-wedge scanner types the code and presses Enter.
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    result = page.locator("#scan-result .result").first
    result.wait_for()
    assert "Collection registered" in result.inner_text()
    assert result.get_attribute("data-sound") == "ok"
    assert "Collection → Collected" in page.locator("#scan-result table.history").first.inner_text()
    assert scan.evaluate("el => el === document.activeElement && el.value === ''")

    # The same label again: shown with its history, not collected twice.
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#scan-result .result').dataset.outcome === 'found'")
    assert "Collected" in page.locator("#scan-result").inner_text()

    # A misread check character: loud refusal, different sound.
    page.keyboard.type(code[:-1] + ("0" if code[-1] != "0" else "1"))
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#scan-result .result').dataset.outcome === 'bad_check'")
    bad = page.locator("#scan-result .result").first
    assert "Bad check character" in bad.inner_text()
    assert bad.get_attribute("data-sound") == "bad_check"

    # The specimen page shows it and its history.
    page.goto(f"/specimens/{code}")
    body = page.locator("main").inner_text()
    assert code in body and "s01.tech" in body and "Collection" in body
    assert "specimen.collect" not in body  # the audit action by its label, not its code
