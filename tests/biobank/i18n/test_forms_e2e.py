"""Forms that keep their input, in Chromium (issue 16): a bad value in a representative form
comes back as the form — the message beside its field, everything typed still there — and
once corrected the same form goes through. The refused forms have no serious or critical
axe-core violation, in English and in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Shipment, User
from biobank.services import shipments
from tests.biobank.helpers import specimen_code
from tests.conftest import browser_login

from .test_bench_e2e import _serious_violations

pytestmark = pytest.mark.e2e


def _collected_specimen(live_server: Any) -> str:
    with get_db(live_server.app).transaction() as s:
        return specimen_code(s, status="collected", site="S01")


def _shipment_with_tracking(live_server: Any, tracking: str) -> str:
    with get_db(live_server.app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        sh = shipments.create(s, tech, conditions="dry_ice", tracking_number=tracking)
        return sh.barcode


def _error_beside(page: Any, form: str, field: str) -> str:
    """The message shown inside ``form`` for ``field``, and the field says it is invalid."""
    error = page.locator(f"{form} [data-field='{field}']")
    assert error.count() == 1, page.content()[:2000]
    control = page.locator(f"{form} [name='{field}']").first
    assert control.get_attribute("aria-invalid") == "true"
    assert control.get_attribute("aria-describedby") == error.get_attribute("id")
    return str(error.inner_text())


def test_a_bad_time_in_a_correction_is_shown_beside_it_then_corrected(
        axe_page: Any, live_server: Any) -> None:
    page = axe_page
    code = _collected_specimen(live_server)
    browser_login(page, "s01.tech")
    page.goto(f"/specimens/{code}")
    page.select_option("#correct-form [name=field]", "collected_at")
    page.fill("#correct-form [name=value]", "tomorrow 9am")
    page.fill("#correct-form [name=reason]", "transcription error on the requisition")
    # The refused page, loaded in full (a response alone can arrive before its page is parsed).
    with page.expect_navigation() as answer:
        page.click("#correct-form button[type=submit]")
    assert answer.value.status == 422
    message = _error_beside(page, "#correct-form", "value")
    assert "tomorrow 9am" in message and "2026-11-24" in message  # what is wrong, how to write it
    # Everything typed is still there, the refused value included (to be corrected, not retyped).
    assert page.locator("#correct-form [name=field]").input_value() == "collected_at"
    assert page.locator("#correct-form [name=value]").input_value() == "tomorrow 9am"
    assert page.locator("#correct-form [name=reason]").input_value() == \
        "transcription error on the requisition"
    assert page.locator("#form-refusal").is_visible()
    assert _serious_violations(page) == []

    page.fill("#correct-form [name=value]", "2026-11-20 08:15")
    with page.expect_navigation():
        page.click("#correct-form button[type=submit]")
    assert page.url.endswith(f"/specimens/{code}")
    assert "Correction recorded." in page.locator(".flash.success").inner_text()
    assert page.locator("#correct-form [name=value]").input_value() == ""


def test_an_unknown_place_for_a_new_box_is_shown_beside_it_in_chinese(
        axe_page: Any, live_server: Any) -> None:
    page = axe_page
    browser_login(page, "s01.tech")
    page.goto("/storage/")
    with page.expect_navigation():
        page.click("button[name=lang]")  # 中文
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.select_option("#box-form [name=box_type]", "cryobox_10x10")
    page.fill("#box-form [name=name]", "−80 冰箱 A 第二层 冻存盒 7")
    page.fill("#box-form [name=location]", "LC-NOPE")
    # The refused page, loaded in full (a response alone can arrive before its page is parsed).
    with page.expect_navigation() as answer:
        page.click("#box-form button[type=submit]")
    assert answer.value.status in (404, 422)
    _error_beside(page, "#box-form", "location")
    assert "未保存" in page.locator("#form-refusal").inner_text()
    assert page.locator("#box-form [name=name]").input_value() == "−80 冰箱 A 第二层 冻存盒 7"
    assert page.locator("#box-form [name=box_type]").input_value() == "cryobox_10x10"
    assert page.locator("#box-form [name=location]").input_value() == "LC-NOPE"
    assert _serious_violations(page) == []
    # The language switch on the refused page returns to the page, not to the POST-only URL.
    with page.expect_navigation():
        page.click("button[name=lang]")  # English
    assert page.url.endswith("/storage/")
    assert page.locator("#form-refusal").count() == 0
    page.fill("#box-form [name=name]", "−80 冰箱 A 第二层 冻存盒 7")
    page.click("#box-form button[type=submit]")
    page.wait_for_url("**/storage/boxes/BX*")
    assert "−80 冰箱 A 第二层 冻存盒 7" in page.content()


def test_a_taken_tracking_number_keeps_the_courier_and_the_planned_time(
        axe_page: Any, live_server: Any) -> None:
    page = axe_page
    taken = _shipment_with_tracking(live_server, "SF1002003004")
    browser_login(page, "s01.tech")
    page.goto("/shipments/")
    page.fill("#create-form [name=courier]", "SF Express")
    # The browser's own date-time picker, read as local time at S01 (Asia/Shanghai).
    assert page.locator("#create-planned").get_attribute("type") == "datetime-local"
    page.fill("#create-planned", "2026-12-08T09:30")
    page.click("#create-shipment")
    page.wait_for_url("**/shipments/SH*")
    code = page.url.rsplit("/", 1)[1]
    assert code != taken
    assert "2026-12-08 09:30 CST" in page.content()

    page.fill("#details-form [name=tracking_number]", "SF1002003004")
    page.fill("#details-form [name=logger_id]", "LOG-77")
    page.fill("#f-planned", "2026-12-09T14:00")
    # The refused page, loaded in full (a response alone can arrive before its page is parsed).
    with page.expect_navigation() as answer:
        page.click("#save-details")
    assert answer.value.status == 409
    assert taken in _error_beside(page, "#details-form", "tracking_number")
    assert page.locator("#details-form [name=courier]").input_value() == "SF Express"
    assert page.locator("#details-form [name=logger_id]").input_value() == "LOG-77"
    assert page.locator("#f-planned").input_value() == "2026-12-09T14:00"
    assert _serious_violations(page) == []
    with get_db(live_server.app).transaction() as s:  # nothing of the refused form was saved
        sh = s.execute(select(Shipment).where(Shipment.barcode == code)).scalar_one()
        assert (sh.tracking_number, sh.logger_id) == (None, "")

    page.fill("#details-form [name=tracking_number]", "SF1002003005")
    with page.expect_navigation():
        page.click("#save-details")
    assert page.url.endswith(f"/shipments/{code}")
    assert "Details saved." in page.locator(".flash.success").inner_text()
    assert "2026-12-09 14:00 CST" in page.content()
    assert page.locator("#f-planned").input_value() == "2026-12-09T14:00"
