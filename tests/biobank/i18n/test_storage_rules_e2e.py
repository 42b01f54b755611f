"""In Chromium, keyboard and scanner only, in both languages: a whole-blood tube scanned into a
fridge box is held back with the deviation explained, and stored once the technician
acknowledges it; an FFPE block's pathology record is entered with select lists and numbers and
its SPREC code is explained element by element. Both screens pass axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from tests.biobank.storage.conftest import make_freezer, received

from .test_bench_e2e import _keyboard_login, _serious_violations, _switch_to

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_deviation_is_acknowledged_before_storing(axe_page: Any, live_server: Any,
                                                  lang: str) -> None:
    app = live_server.app
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    fridge = make_freezer(app, kind="fridge_4c", unit_name="Fridge").box
    page = axe_page
    _keyboard_login(page, "cb.tech")
    _switch_to(page, lang)
    page.goto(f"/storage/boxes/{fridge}")
    page.keyboard.type(blood)  # the scan input has the focus, as for a scanner
    page.keyboard.press("Enter")
    page.wait_for_selector('#store-result [data-outcome="storage_warning"]')
    assert page.locator(f'td[data-specimen="{blood}"]').count() == 0
    assert not _serious_violations(page), _serious_violations(page)
    page.focus("#acknowledge-deviation")
    page.keyboard.press("Enter")
    page.wait_for_selector('#store-result [data-outcome="stored"]')
    page.wait_for_selector(f'td[data-position="A1"][data-specimen="{blood}"]')


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pathology_record_gives_the_sprec_code(axe_page: Any, live_server: Any,
                                               lang: str) -> None:
    (block,) = received(live_server.app, 1, types=("ffpe_block",))
    page = axe_page
    _keyboard_login(page, "cb.tech")
    _switch_to(page, lang)
    page.goto(f"/specimens/{block}")
    assert page.locator("[data-sprec]").get_attribute("data-sprec") == "TIS-XXX-X-X-XXX-X-X"
    assert not _serious_violations(page), _serious_violations(page)
    page.select_option("#pa-collection_type", "SRG")
    page.focus("#pa-warm_ischaemia_minutes")
    page.keyboard.type("25")
    page.focus("#pa-cold_ischaemia_minutes")
    page.keyboard.type("40")
    page.select_option("#pa-fixative", "NBF")
    page.focus("#pa-fixation_hours")
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-sprec="TIS-SRG-D-E-NBF-F-X"]')
    rows = page.locator("table.sprec-elements tbody tr")
    assert rows.count() == 7
    assert rows.nth(2).locator("td").nth(1).inner_text() == "D"
    assert "25" in rows.nth(2).locator("td").nth(2).inner_text()
    assert rows.nth(3).locator("td").nth(1).inner_text() == "E"  # cold ischaemia 30–60 min
    assert "40" in rows.nth(3).locator("td").nth(2).inner_text()
    assert not _serious_violations(page), _serious_violations(page)
