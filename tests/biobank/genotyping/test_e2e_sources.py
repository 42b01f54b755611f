"""In Chromium (issue 19): results that are not VCF uploads make a participant eligible, and
the coordinator's gate cites each source: an outside laboratory's report entered as HGVS with
its PDF, reviewed and signed by the pathologist."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import browser_login

from .conftest import demo_specimens, receive_at_central
from .test_e2e_two_scales import record_criteria, sign, sign_out
from .test_outside_results import report_pdf

pytestmark = pytest.mark.e2e
PASSWORD = "demo-Passw0rd!"


def enter_outside(page: Any, code: str, hgvs: str, lab: str, date: str, accession: str,
                  pdf: bytes) -> None:
    page.goto(f"/genotyping/participants/{code}/outside")
    page.fill("#hgvs", hgvs)
    page.fill("#lab", lab)
    page.fill("#report_date", date)
    page.fill("#accession", accession)
    page.set_input_files("#report", files=[{"name": "report.pdf", "mimeType": "application/pdf",
                                             "buffer": pdf}])
    page.click("#outside-form button[type=submit]")


def test_an_entered_and_signed_outside_report_makes_the_participant_eligible(
        page: Any, live_server: Any) -> None:
    app = live_server.app
    demo = demo_specimens(app, "S01-0004")
    receive_at_central(app, [demo.blood, demo.tumour])

    browser_login(page, "pathologist")
    page.goto(f"/genotyping/participants/{demo.participant}")
    page.click("#link-outside")
    page.wait_for_url(lambda url: url.endswith("/outside"))
    # The report's name in NM_130799.2 numbering typed against NM_000244.3: refused beside
    # the field, everything typed kept.
    enter_outside(page, demo.participant, "NM_000244.3:c.1546dupC",
                  "Ruijin Hospital Clinical Genetics", "2026-09-15", "RJ-MG-26-0412",
                  report_pdf("c.1546dupC"))
    error = page.locator("[data-error-for='hgvs']")
    error.wait_for()
    assert "is G, not C" in error.inner_text() and "NM_130799.2:c.1546dupC" in error.inner_text()
    assert page.input_value("#lab") == "Ruijin Hospital Clinical Genetics"
    assert page.input_value("#accession") == "RJ-MG-26-0412"
    assert page.locator("#hgvs").get_attribute("aria-invalid") == "true"

    page.fill("#hgvs", "NM_130799.2:c.1546dupC")
    page.set_input_files("#report", files=[{"name": "ruijin-report.pdf",
                                             "mimeType": "application/pdf",
                                             "buffer": report_pdf("c.1546dupC")}])
    page.click("#outside-form button[type=submit]")
    page.wait_for_url(lambda url: "/genotyping/analyses/" in url)
    row = page.locator("tr[data-variant='NM_001370259.2:c.1546dup']")
    assert row.locator("[data-classification]").get_attribute(
        "data-classification") == "likely_pathogenic"
    assert "qualifies" in row.inner_text()
    assert page.locator("[data-detail='accession']").inner_text() == "RJ-MG-26-0412"
    sign(page)
    sign_out(page)

    record_criteria(app, demo.participant)
    browser_login(page, "s01.coord")
    page.goto(f"/genotyping/participants/{demo.participant}/gate")
    assert page.locator("#decision").get_attribute("data-decision") == "eligible"
    men1 = page.locator("tr[data-criterion='men1']")
    assert men1.get_attribute("data-status") == "met"
    text = men1.inner_text()
    assert "NM_001370259.2:c.1546dup" in text and "Likely pathogenic, Germline" in text
    assert ("outside report Ruijin Hospital Clinical Genetics 2026-09-15 (accession "
            "RJ-MG-26-0412), confirmed and signed by Demo Molecular Pathologist") in text


def test_an_mlpa_whole_gene_deletion_is_eligible_and_the_gate_cites_each_source(
        page: Any, live_server: Any) -> None:
    from tests.variant_calling.test_mlpa import table

    app = live_server.app
    demo = demo_specimens(app, "S01-0003")
    receive_at_central(app, [demo.blood, demo.tumour])

    browser_login(page, "pathologist")
    page.goto(f"/genotyping/participants/{demo.participant}")
    page.click("#link-mlpa")
    page.wait_for_url(lambda url: url.endswith("/mlpa"))
    page.select_option("#normal_specimen", demo.blood)
    page.set_input_files("#table", files=[{
        "name": "coffalyser_P017_run42.csv", "mimeType": "text/csv",
        "buffer": table({n: 0.48 for n in range(1, 11)}).encode()}])
    page.click("#mlpa-form button[type=submit]")
    page.wait_for_url(lambda url: "/genotyping/analyses/" in url)
    row = page.locator("tr[data-variant='NM_001370259.2:c.(?_-61)_(*818_?)del']")
    assert row.locator("[data-classification]").get_attribute(
        "data-classification") == "pathogenic"
    assert row.locator("[data-copy-number]").get_attribute("data-copy-number") == "2A"
    assert "qualifies" in row.inner_text()
    sign(page)

    # A second source for the same participant: an outside report of a germline nonsense.
    enter_outside(page, demo.participant, "NM_000244.3:c.1393C>T",
                  "Peking Union Medical College Hospital Genetics", "2026-10-02",
                  "PUMCH-G-2026-0117", report_pdf())
    page.wait_for_url(lambda url: "/genotyping/analyses/" in url)
    sign(page)
    sign_out(page)

    record_criteria(app, demo.participant)
    browser_login(page, "s01.coord")
    page.goto(f"/genotyping/participants/{demo.participant}/gate")
    assert page.locator("#decision").get_attribute("data-decision") == "eligible"
    men1 = page.locator("tr[data-criterion='men1']")
    text = men1.inner_text()
    assert "NM_001370259.2:c.(?_-61)_(*818_?)del p.0?: Pathogenic, Germline" in text
    assert "NM_001370259.2:c.1378C>T p.(Arg460*): Pathogenic, Germline" in text
    assert f"MLPA SALSA MLPA P017 MEN1 lot P017-D1 on {demo.blood}" in text
    assert "outside report Peking Union Medical College Hospital Genetics 2026-10-02" in text
