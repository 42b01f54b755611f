"""In Chromium: a central-biobank technician stores received tubes by scanning into a box,
reads the box map, checks a tube out and back in (its freeze–thaw count rises), and imports a
rack-scanner file after reviewing the diff."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import browser_login

from .conftest import make_freezer, received

pytestmark = pytest.mark.e2e


def _scan(page: Any, code: str) -> None:
    page.locator("[data-scan-input]").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_store_check_out_in_and_rack_import(page: Any, live_server: Any) -> None:
    app = live_server.app
    a, b, c = received(app, 3, types=("whole_blood_edta",))
    box = make_freezer(app).box

    browser_login(page, "cb.tech")
    page.goto(f"/storage/boxes/{box}")
    assert page.locator("[data-scan-input]").evaluate("el => el === document.activeElement")
    page.keyboard.type(a)  # the scanner types into the focused input
    page.keyboard.press("Enter")
    page.wait_for_selector('#store-result [data-outcome="stored"]')
    assert page.locator("#store-result [data-stored-at]").inner_text() == "A1"
    assert page.locator(f'td[data-position="A1"][data-specimen="{a}"]').count() == 1
    # The suggestion moved on; the technician picks another cell instead.
    assert page.locator("[data-next-free]").inner_text() == "A2"
    page.click('button[data-pick="E5"]')
    _scan(page, b)
    page.wait_for_selector(f'td[data-position="E5"][data-specimen="{b}"]')
    # Scanning a stored tube into another cell moves it.
    page.click('button[data-pick="A2"]')
    _scan(page, a)
    page.wait_for_selector(f'td[data-position="A2"][data-specimen="{a}"]')
    page.click('button[data-pick="A1"]')
    _scan(page, "SP00000000")  # not a valid label: a loud refusal
    page.wait_for_selector('#store-result .result.bad[data-sound="bad_check"]')

    # The box map links every tube to its page, which gives the full path.
    page.goto(f"/storage/boxes/{box}")
    page.click(f'td[data-specimen="{b}"] a')
    page.wait_for_url(f"**/specimens/{b}")
    assert "Freezer A / Rack 2 / Box 1 / E5" in page.locator("[data-storage-path]").inner_text()

    # Check out, then back in: a whole-blood tube counts one freeze–thaw cycle.
    page.goto("/storage/use")
    _scan(page, b)
    page.wait_for_selector('#use-result [data-outcome="check_out"]')
    page.check('input[name="mode"][value="check_in"]')
    _scan(page, b)
    page.wait_for_selector('#use-result [data-outcome="check_in"]')
    assert page.locator("#use-result [data-freeze-thaw]").first.inner_text() == "1"

    # The rack scanner saw: a at A3 (moved), c at B1 (new), b missing.
    page.goto("/storage/rack-import")
    page.fill("#rack-csv", f"Rack,Position,Tube\n{box},A3,{a}\n{box},B1,{c}\n")
    page.click("#compare-rack")
    page.wait_for_selector("#rack-diff")
    assert page.locator('tr[data-diff="moved"]').inner_text().count(a) == 1
    assert c in page.locator('tr[data-diff="new"]').inner_text()
    assert b in page.locator('tr[data-diff="missing"]').inner_text()
    page.click("#apply-rack")
    page.wait_for_url(f"**/storage/boxes/{box}")
    assert page.locator(f'td[data-position="A3"][data-specimen="{a}"]').count() == 1
    assert page.locator(f'td[data-position="B1"][data-specimen="{c}"]').count() == 1
    assert page.locator(f'td[data-specimen="{b}"]').count() == 0
