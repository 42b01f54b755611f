"""Correcting a specimen in Chromium, in English and Chinese: the value's input follows the
field selected (the browser's date-time picker in the site's local time for a time, the
allowed values by their words for a choice), the history reads old → new in words, and the
page passes axe-core. Without JavaScript the field is chosen first and the same form works."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Specimen
from tests.biobank.helpers import specimen_code
from tests.conftest import browser_login

from .test_bench_e2e import _serious_violations, _switch_to

pytestmark = pytest.mark.e2e

WORDS = {
    "en": {"recorded": "Correction recorded.",
           "time": "Collected at: ",
           "when": "→ 2025-03-05 08:15 CST",
           "container": "Container: EDTA tube 4 mL → Cryovial 2 mL",
           "cryovial": "Cryovial 2 mL",
           "quantity": "Quantity (mL)"},
    "zh": {"recorded": "更正已记录。",
           "time": "采集时间：",
           "when": "→ 2025年03月05日 08:15 CST",
           "container": "容器：EDTA 管 4 mL → 冻存管 2 mL",
           "cryovial": "冻存管 2 mL",
           "quantity": "数量（mL）"},
}


def _collected(live_server: Any) -> str:
    with get_db(live_server.app).transaction() as s:
        return specimen_code(s, status="collected", site="S01")


def _stored(live_server: Any, code: str) -> Specimen:
    with get_db(live_server.app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
        s.expunge(sp)
        return sp


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.click("#correct-form button[type=submit]:visible")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_time_and_a_container_are_corrected_with_inputs_that_fit(
        axe_page: Any, live_server: Any, lang: str) -> None:
    words = WORDS[lang]
    code = _collected(live_server)
    page = axe_page
    browser_login(page, "s01.tech")
    _switch_to(page, lang)
    page.goto(f"/specimens/{code}")
    value = page.locator("#correct-form [name=value]")
    # The script follows the field; the button for browsers without it is not shown.
    assert page.locator("[data-correct-choose]").is_hidden()
    assert page.locator("#field").input_value() == "collected_at"
    assert value.get_attribute("type") == "datetime-local"
    assert "Asia/Shanghai (UTC+08:00)" in page.locator("#correct-form").inner_text()
    value.fill("2025-03-05T08:15")
    page.fill("#reason", "transcription error on the requisition")
    _submit(page)
    assert words["recorded"] in page.locator(".flash.success").inner_text()
    body = page.locator("main").inner_text()
    assert any(words["time"] in line and words["when"] in line for line in body.splitlines()), \
        body
    assert _stored(live_server, code).collected_at.astimezone(UTC) == \
        datetime(2025, 3, 5, 0, 15, tzinfo=UTC)

    page.select_option("#field", "quantity")
    assert value.get_attribute("type") == "number"
    assert words["quantity"] in page.locator("label[for=correct-value]").inner_text()

    page.select_option("#field", "container")
    assert page.locator("#correct-form select[name=value]").count() == 1
    options = page.locator("#correct-value option").all_inner_texts()
    assert words["cryovial"] in options and not any("_" in o for o in options), options
    assert page.locator("#correct-value").input_value() == "edta_tube_4ml"  # what it is now
    page.select_option("#correct-value", "cryovial_2ml")
    page.fill("#reason", "wrong tube type entered")
    assert _serious_violations(page) == []
    with page.expect_navigation():  # Enter (a scanner's too) records, as the button does
        page.press("#reason", "Enter")
    assert words["recorded"] in page.locator(".flash.success").inner_text()
    assert words["container"] in page.locator("main").inner_text()
    assert _stored(live_server, code).container == "cryovial_2ml"
    assert _serious_violations(page) == []


def test_without_javascript_the_field_is_chosen_first(axe_page: Any, live_server: Any) -> None:
    code = _collected(live_server)
    context = axe_page.context.browser.new_context(base_url=live_server.url,
                                                   java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        browser_login(page, "s01.tech")
        page.goto(f"/specimens/{code}")
        page.select_option("#field", "unit")
        # Without the script the value's input is still the first field's.
        assert page.locator("#correct-value").get_attribute("type") == "datetime-local"
        with page.expect_navigation():
            page.click("[data-correct-choose]")
        assert page.url.endswith(f"/specimens/{code}?correct=unit#correct-form")
        assert page.locator("#field").input_value() == "unit"
        assert page.locator("#correct-form select[name=value]").input_value() == "mL"
        page.select_option("#correct-value", "µL")
        page.fill("#reason", "volume was measured in microlitres")
        with page.expect_navigation():  # Enter records: the form's first button
            page.press("#reason", "Enter")
        assert "Correction recorded." in page.locator(".flash.success").inner_text()
        assert "Unit: mL → µL" in page.locator("main").inner_text()
        assert _stored(live_server, code).unit == "µL"
    finally:
        context.close()
