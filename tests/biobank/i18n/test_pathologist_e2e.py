"""In Chromium, in English and in Chinese: the pathologist uploads a Mutect2 pair, confirms the
caller, build and sample roles its header declares, reviews (an override per field), signs,
and sees the worklist empty; axe-core finds no serious violation on the changed pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.biobank.genotyping.conftest import (
    NORMAL_COL,
    TUMOR_COL,
    demo_specimens,
    mutect2_vcf,
    upload_on_page,
)
from tests.biobank.genotyping.test_two_scales import GERMLINE_NONSENSE, PASSWORD
from tests.conftest import browser_login
from tests.variant_calling.conftest import Counts, mutect2

from .test_bench_e2e import _serious_violations, _switch_to

pytestmark = pytest.mark.e2e

WORDS = {
    "en": ("Germline MEN1 likely pathogenic variant", "Germline MEN1 pathogenic variant",
           "Awaiting review"),
    "zh": ("MEN1 胚系可能致病变异", "MEN1 胚系致病变异", "待审核"),
}


def _axe_clean(page: Any) -> None:
    found = _serious_violations(page)
    assert not found, f"{page.url}: {found}"


def _in_queue(page: Any, queue: str, analysis_id: str) -> bool:
    page.goto("/genotyping/worklist")
    return page.locator(f"table[data-queue='{queue}'] tr[data-analysis='{analysis_id}']"
                        ).count() == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_confirm_review_sign_and_the_worklist_empties(axe_page: Any, live_server: Any,
                                                             lang: str) -> None:
    page = axe_page
    demo = demo_specimens(live_server.app)
    browser_login(page, "pathologist")
    _switch_to(page, lang)
    likely, certain, awaiting = WORDS[lang]
    page.goto("/")
    before = page.locator("#worklist-counts [data-queue='review'] strong").inner_text()
    signout = page.locator("#worklist-counts [data-queue='signout'] strong").inner_text()

    def confirm(pg: Any) -> None:
        # What the header says is shown, and the declared roles are fixed, not choices.
        assert pg.locator("#received td[data-caller]").get_attribute("data-caller") == "Mutect2"
        assert pg.locator("#received td[data-build]").get_attribute("data-build") == "GRCh38"
        assert pg.locator("#normal_sample-fixed").inner_text() == NORMAL_COL
        assert pg.locator("#tumor_sample-fixed").inner_text() == TUMOR_COL
        assert pg.locator("select[name=normal_sample]").count() == 0
        assert pg.locator("#caller").input_value() == "Mutect2"
        assert pg.locator("#caller_version").input_value() == "4.2.4.1"
        _axe_clean(pg)

    rec = mutect2(*GERMLINE_NONSENSE, Counts(20, 20), Counts(30, 30), filt="germline")
    url = upload_on_page(page, demo.participant, demo.blood, demo.tumour, mutect2_vcf([rec]),
                         on_confirm=confirm)
    analysis_id = url.rstrip("/").rsplit("/", 1)[1]
    assert page.locator("[data-status-words]").first.inner_text() == likely
    assert page.locator("[data-coordinates]").inner_text().startswith(
        "GRCh38 chr11:g.64809977C>A")
    _axe_clean(page)

    page.goto("/")
    assert page.locator("#worklist-counts [data-queue='review'] strong").inner_text() == str(
        int(before) + 1)
    assert awaiting in page.locator("#worklist-counts").inner_text()
    assert _in_queue(page, "review", analysis_id)
    _axe_clean(page)

    # Review: the classification form offers classifications only; the origin form origins.
    page.goto(url)
    row = page.locator("tr[data-variant='NM_001370259.2:c.133G>T']")
    row.locator("details > summary").last.click()
    form = row.locator("form[data-override-field='classification']")
    values = form.locator("select[name=value] option").evaluate_all(
        "els => els.map(e => e.value)")
    assert set(values) == {"pathogenic", "uncertain_significance", "likely_benign", "benign"}
    origins = row.locator("form[data-override-field='origin'] select[name=value] option"
                          ).evaluate_all("els => els.map(e => e.value)")
    assert "pathogenic" not in origins and "germline_loh" in origins
    assert row.locator("form[data-override-field='oncogenicity']").count() == 0
    form.locator("select[name=value]").select_option("pathogenic")
    form.locator("input[name=reason]").fill("Segregates with MEN1 in three relatives")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("tr[data-action='genotyping.override']")
    assert page.locator("[data-status-words]").first.inner_text() == certain
    assert "Segregates with MEN1 in three relatives" in page.locator(
        "tr[data-action='genotyping.override']").inner_text()
    assert _in_queue(page, "signout", analysis_id)
    assert not _in_queue(page, "review", analysis_id)

    page.goto(url)
    page.check("#sign-form input[name=confirm]")
    page.fill("#sign-password", PASSWORD)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("tr[data-version='1']")
    assert page.locator("tr[data-action='genotyping.report_sign']").count() == 1
    for queue in ("review", "signout", "rereview"):
        assert not _in_queue(page, queue, analysis_id)
    _axe_clean(page)
    page.goto("/")
    assert page.locator("#worklist-counts [data-queue='review'] strong").inner_text() == before
    assert page.locator("#worklist-counts [data-queue='signout'] strong").inner_text() == signout


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_long_worklist_pages_in_the_browser(axe_page: Any, live_server: Any,
                                              lang: str) -> None:
    """A queue longer than a page: the pager walks it oldest first, the count is the whole
    queue's, and the paged worklist passes axe-core in both languages."""
    from biobank.services.worklist import PAGE_SIZE
    from tests.biobank.genotyping.test_review_worklist import waiting_analyses

    demo = demo_specimens(live_server.app)
    ids = waiting_analyses(live_server.app, demo.participant, PAGE_SIZE + 2)
    page = axe_page
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, "pathologist")
    _switch_to(page, lang)
    page.goto("/")
    assert page.locator("#worklist-counts [data-queue='review'] strong").inner_text() == str(
        PAGE_SIZE + 2)
    page.goto("/genotyping/worklist")
    rows = "table[data-queue='review'] tr[data-analysis]"
    first = page.eval_on_selector_all(rows, "els => els.map(e => +e.dataset.analysis)")
    assert first == list(reversed(ids))[:PAGE_SIZE]
    assert ("Germline" if lang == "en" else "胚系") in page.locator(rows).first.inner_text()
    _axe_clean(page)
    page.click("[data-pager='review'] a[rel=next]")
    page.wait_for_url(lambda url: "review_page=2" in url)
    second = page.eval_on_selector_all(rows, "els => els.map(e => +e.dataset.analysis)")
    assert second == list(reversed(ids))[PAGE_SIZE:]
    assert ("Page 2 of 2" if lang == "en" else "第 2 页，共 2 页") in page.locator(
        "[data-pager='review']").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    _axe_clean(page)
