"""In Chromium: a novel somatic frameshift and a novel germline nonsense variant, each in no
known-variant table, make their participants eligible through upload, review and signature;
a newer known-variant table that disagrees with a signed report shows "re-review suggested"
to the pathologist and on the coordinator's gate, while the signed report stays as signed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, User
from biobank.services import enrollment
from tests.conftest import browser_login
from tests.variant_calling.conftest import mutect2

from .conftest import (
    GOOD_CRITERIA,
    Counts,
    demo_specimens,
    mutect2_vcf,
    receive_at_central,
    upload_on_page,
)

pytestmark = pytest.mark.e2e
PASSWORD = "demo-Passw0rd!"
SOMATIC_FRAMESHIFT = (64808042, "AG", "A")  # c.502del p.(Leu168Trpfs*17)
GERMLINE_NONSENSE = (64809977, "C", "A")  # c.133G>T p.(Glu45*)


def sign_out(page: Any) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url(lambda url: "/login" in url)


def sign(page: Any) -> None:
    page.check("#sign-form input[name=confirm]")
    page.fill("#sign-password", PASSWORD)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("tr[data-version='1']")


def record_criteria(app: Flask, code: str) -> None:
    with get_db(app).transaction() as s:
        coord = s.execute(select(User).where(User.username == "s01.coord")).scalar_one()
        p = s.execute(select(Participant).where(Participant.code == code)).scalar_one()
        enrollment.record_assessment(s, coord, p, dict(GOOD_CRITERIA),
                                     "Lab report 2026-12-01; clinic note 2026-12-02")


def test_novel_variants_make_participants_eligible_and_re_review_is_shown(
        page: Any, live_server: Any, tmp_path: Path) -> None:
    app = live_server.app
    somatic = demo_specimens(app, "S01-0003")
    germline = demo_specimens(app, "S01-0004")
    receive_at_central(app, [somatic.blood, somatic.tumour, germline.blood, germline.tumour])

    browser_login(page, "pathologist")
    upload_on_page(page, somatic.participant, somatic.blood, somatic.tumour,
                   mutect2_vcf([mutect2(*SOMATIC_FRAMESHIFT, Counts(40, 0), Counts(28, 12))]))
    row = page.locator("tr[data-variant='NM_001370259.2:c.502del']")
    assert row.locator("[data-origin]").get_attribute("data-origin") == "somatic"
    assert row.locator("[data-oncogenicity]").get_attribute(
        "data-oncogenicity") == "likely_oncogenic"
    assert "+9 points" in row.locator("[data-oncogenicity]").inner_text()
    assert "qualifies" in row.inner_text()
    sign(page)

    germline_url = upload_on_page(
        page, germline.participant, germline.blood, germline.tumour,
        mutect2_vcf([mutect2(*GERMLINE_NONSENSE, Counts(20, 20), Counts(30, 30),
                             filt="germline")]))
    row = page.locator("tr[data-variant='NM_001370259.2:c.133G>T']")
    assert row.locator("[data-classification]").get_attribute(
        "data-classification") == "likely_pathogenic"
    assert row.locator("[data-oncogenicity]").get_attribute("data-oncogenicity") == ""
    sign(page)
    sign_out(page)

    for code in (somatic.participant, germline.participant):
        record_criteria(app, code)
    browser_login(page, "s01.coord")
    for code, words in ((somatic.participant, "Likely oncogenic, Somatic"),
                        (germline.participant, "Likely pathogenic, Germline")):
        page.goto(f"/genotyping/participants/{code}/gate")
        assert page.locator("#decision").get_attribute("data-decision") == "eligible"
        men1 = page.locator("tr[data-criterion='men1']")
        assert men1.get_attribute("data-status") == "met"
        assert words in men1.inner_text() and "version 1" in men1.inner_text()
    sign_out(page)

    # A newer known-variant table calls the germline nonsense variant benign.
    from variant_calling import known

    src = Path(known.__file__).parent / "data" / "clinvar_MEN1_GRCh38_2021-01_partial.vcf"
    head = [ln for ln in src.read_text().splitlines() if ln.startswith("#")]
    clinvar = tmp_path / "clinvar_2026-12.vcf"
    clinvar.write_text("\n".join([*head, (
        f"11\t{GERMLINE_NONSENSE[0]}\t999001\tC\tA\t.\t.\tALLELEID=999001;CLNSIG=Benign;"
        "CLNREVSTAT=criteria_provided,_single_submitter;ORIGIN=germline;"
        "NAME=NM_130799.2(MEN1):c.133G>T_(p.Glu45Ter)")]) + "\n")
    app.config["MEN1_KNOWN_VARIANTS"] = str(clinvar)
    out = app.test_cli_runner().invoke(args=["reclassify", "--apply"])
    assert out.exit_code == 0, out.output
    assert "1 analysis(es) recorded as re-review suggestions" in out.output

    browser_login(page, "pathologist")
    page.goto(germline_url)
    note = page.locator("[data-rereview]")
    assert note.count() == 1
    text = note.inner_text()
    assert "Re-review suggested" in text
    assert "likely_pathogenic → uncertain_significance" in text.replace("\n", " ")
    assert page.locator("tr[data-version='1']").count() == 1  # still as signed
    sign_out(page)

    browser_login(page, "s01.coord")
    page.goto(f"/genotyping/participants/{germline.participant}/gate")
    assert page.locator("#decision").get_attribute("data-decision") == "eligible"
    assert "re-review suggested" in page.locator("tr[data-criterion='men1']").inner_text()
    page.goto(f"/genotyping/participants/{somatic.participant}/gate")
    assert "re-review" not in page.locator("tr[data-criterion='men1']").inner_text()
