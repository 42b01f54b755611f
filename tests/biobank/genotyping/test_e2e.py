"""In Chromium: the demo pathologist uploads a paired VCF, watches it classify, reviews and
signs it; the coordinator records the criteria and sees the gate turn eligible with its
reasons; an amendment that downgrades the variant turns it back, with the history shown."""

from __future__ import annotations

from typing import Any

import pytest

from biobank.services import enrollment
from biobank.worker import InProcessWorker
from tests.conftest import browser_login

from .conftest import (
    GOOD_CRITERIA,
    demo_specimens,
    germline_stop,
    mutect2_vcf,
    receive_at_central,
    upload_on_page,
)

pytestmark = pytest.mark.e2e
PASSWORD = "demo-Passw0rd!"


def sign_out(page: Any) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url(lambda url: "/login" in url)


def test_pathologist_signs_and_coordinator_sees_the_gate(page: Any, live_server: Any,
                                                         request: Any) -> None:
    app = live_server.app
    app.config["GENOTYPING_INLINE_MAX_BYTES"] = 0  # classify on a worker; the page polls
    worker = InProcessWorker(app).start()
    request.addfinalizer(worker.stop)
    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])

    browser_login(page, "pathologist")
    page.goto(f"/participants/{demo.participant}")
    page.click("a:has-text('Genotyping')")
    page.wait_for_url(lambda url: "/genotyping/participants/" in url)
    upload_on_page(page, demo.participant, demo.blood, demo.tumour,
                   mutect2_vcf([germline_stop()]))
    row = page.locator("tr[data-variant='NM_001370259.2:c.1579C>T']")
    assert "p.(Arg527*)" in row.inner_text() and "Stop gained" in row.inner_text()
    assert row.locator("[data-classification]").get_attribute(
        "data-classification") == "pathogenic"
    assert demo.blood in page.locator("[data-lineage='normal']").inner_text()

    assert "Reviewed and approved" in page.locator("#sign-form").inner_text()
    page.check("#sign-form input[name=confirm]")
    page.fill("#sign-password", PASSWORD)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("tr[data-version='1']")
    assert "Demo Molecular Pathologist" in page.locator("tr[data-version='1']").inner_text()
    analysis_url = page.url
    sign_out(page)

    browser_login(page, "s01.coord")
    page.goto(f"/genotyping/participants/{demo.participant}/gate")
    assert page.locator("#decision").get_attribute("data-decision") == "pending"
    page.fill("#source", "Lab report 2026-11-20; clinic note 2026-11-21")
    for key, value in GOOD_CRITERIA.items():
        selector = f"#criteria-form [name='{key}']"
        if page.locator(selector).evaluate("el => el.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("#criteria-form button[type=submit]")
    page.wait_for_selector("#decision[data-decision='eligible']")
    men1 = page.locator("tr[data-criterion='men1']")
    assert men1.get_attribute("data-status") == "met"
    assert "version 1" in men1.inner_text() and "Germline" in men1.inner_text()
    assert page.locator("tr[data-criterion][data-status='met']").count() == len(
        page.locator("tr[data-criterion]").all())
    sign_out(page)

    browser_login(page, "pathologist")
    page.goto(analysis_url)
    row = page.locator("tr[data-variant='NM_001370259.2:c.1579C>T']")
    row.locator("summary:has-text('Override')").click()
    form = row.locator("form[data-override]")
    form.locator("select[name=field]").select_option("classification")
    form.locator("select[name=value]").select_option("uncertain_significance")
    form.locator("input[name=reason]").fill("Family segregation argues against pathogenicity")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#amend-form")
    page.fill("#amend-reason", "Variant reclassified as VUS after segregation analysis")
    page.check("#amend-form input[name=confirm]")
    page.fill("#amend-password", PASSWORD)
    page.click("#amend-form button[type=submit]")
    page.wait_for_selector("tr[data-version='2']")
    assert "amended" in page.locator("tr[data-version='2']").inner_text()
    assert page.locator("tr[data-version='1']").count() == 1  # the earlier version stays
    sign_out(page)

    browser_login(page, "s01.coord")
    page.goto(f"/genotyping/participants/{demo.participant}/gate")
    assert page.locator("#decision").get_attribute("data-decision") == "not_eligible"
    men1 = page.locator("tr[data-criterion='men1']")
    assert men1.get_attribute("data-status") == "not_met"
    assert "version 2 (amended)" in men1.inner_text()
    history = page.locator("table.decisions").inner_text()
    assert "Eligible → Not eligible" in history and "Pending → Eligible" in history
    assert "version 2 amended" in history
    assert len(enrollment.EXCLUSIONS) == 13
