"""In Chromium, scanner only where a technician scans: a site technician packs three demo
tubes and ships them; the central technician receives them with one tube missing and one
unexpected tube scanned, resolves both discrepancies with reasons, closes the shipment; the
specimen pages show the statuses and the custody history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_login

from .helpers import tubes

pytestmark = pytest.mark.e2e


def _scan(page: Any, code: str, result: str, count: tuple[str, int] | None = None) -> str:
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    if count is not None:
        key, n = count
        page.wait_for_function(
            f"() => {{ const e = document.querySelector('[data-count=\"{key}\"]');"
            f" return e && e.textContent.trim() === '{n}'; }}")
    box = page.locator(f"{result} .result")
    box.wait_for()
    return str(box.get_attribute("data-outcome"))


def test_pack_ship_receive_resolve_close(page: Any, live_server: Any) -> None:
    a, b, c, stray = tubes(live_server.app, 4)

    # --- S01: pack three tubes by scanning, then ship.
    browser_login(page, "s01.tech")
    page.goto("/shipments/")
    page.select_option("#conditions", "dry_ice")
    page.click("#create-shipment")
    page.wait_for_url("**/shipments/SH*")
    code = page.url.rstrip("/").split("/")[-1]
    scan = page.locator("[data-scan-input]")
    assert scan.evaluate("el => el === document.activeElement")
    for n, t in enumerate((a, b, c), start=1):
        assert _scan(page, t, "#pack-result", ("manifest", n)) == "packed"
    assert scan.evaluate("el => el === document.activeElement && el.value === ''")
    page.fill("#f-courier", "SF Express")
    page.fill("#f-tracking", "SF-E2E-0001")
    page.fill("#f-logger", "TL-9")
    page.click("#save-details")
    page.click("#op-ready")
    page.click("#op-ship")
    page.wait_for_selector('[data-shipment-status="shipped"]')

    # --- CB: scan the shipment, then the tubes; c stays in the box, stray is unexpected.
    page.context.clear_cookies()
    browser_login(page, "cb.tech")
    page.goto("/shipments/receive")
    page.fill("#temperature", "-70")
    page.locator("[data-scan-input]").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/shipments/{code}/receive")
    assert _scan(page, a, "#receive-result", ("received", 1)) == "received"
    assert _scan(page, b, "#receive-result", ("received", 2)) == "received"
    assert _scan(page, stray, "#receive-result", ("extra", 1)) == "extra"
    extra_box = page.locator("#receive-result .result")
    assert "quarantine" in extra_box.inner_text().lower()
    assert extra_box.get_attribute("data-sound") == "refused"
    # A double read of a: nothing twice.
    assert _scan(page, a, "#receive-result") in {"duplicate", "extra"}
    page.wait_for_function(
        "() => document.querySelector('#receive-result .result').dataset.outcome === "
        "'duplicate'")
    # The shipment label again: the receipt finishes, c is missing.
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/shipments/{code}")
    page.wait_for_selector('[data-shipment-status="partially_received"]')
    assert page.locator(f'[data-item="{c}"]').get_attribute("data-state") == "missing"
    assert page.locator(f'[data-item="{stray}"]').get_attribute("data-state") == "extra"
    assert page.locator("#op-close").is_disabled()

    # --- Resolve both with reasons, then close.
    form = page.locator(f'form[data-resolve="{c}"]')
    form.locator("select").select_option("lost")
    form.locator("input[name=reason]").fill("S01 confirms the tube broke before packing")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f'form[data-resolve="{stray}"]')
    form = page.locator(f'form[data-resolve="{stray}"]')
    form.locator("input[name=reason]").fill("Quarantined; returned to S01")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#op-close:not([disabled])")
    page.click("#op-close")
    page.wait_for_selector('[data-shipment-status="closed"]')
    assert "Quarantined; returned to S01" in page.locator("main").inner_text()

    # --- Specimen pages: statuses and custody.
    page.goto(f"/specimens/{a}")
    assert page.locator("span.status[data-status]").get_attribute("data-status") == "received"
    body = page.locator("main").inner_text()
    assert "Dispatch" in body and "Receipt" in body and "s01.tech" in body and "cb.tech" in body
    page.goto(f"/specimens/{c}")
    assert page.locator("span.status[data-status]").get_attribute("data-status") == "lost"
    body = page.locator("main").inner_text()
    assert "S01 confirms the tube broke before packing" in body
    page.goto(f"/specimens/{stray}")
    assert page.locator("span.status[data-status]").get_attribute("data-status") == "collected"
    body = page.locator("main").inner_text()
    assert "in_transit" not in body and "→ In transit" not in body
    with page.expect_download() as dl:
        page.goto(f"/specimens/{a}")
        page.click("[data-custody-csv]")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert f"ship,collected,in_transit,S01,s01.tech,{code}" in text.replace("\r", "")
    assert f"receive,in_transit,received,CB,cb.tech,{code}" in text.replace("\r", "")
