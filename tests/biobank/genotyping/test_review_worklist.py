"""The review as a pathologist reads it: an override form per field offering only that field's
values (a mismatch posted anyway is refused beside the field), genomic coordinates beside the
HGVS, the history with every override and signature and its reason, status words that follow
the tier exactly (page and PDF), and the worklist that empties as the work is done."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import VariantOverride
from biobank.services import genotyping
from tests.conftest import post_form
from tests.variant_calling.conftest import mutect2

from .conftest import Counts, Demo, mutect2_vcf, upload
from .test_two_scales import GERMLINE_NONSENSE, _analysis, _sign


def _options(html: str, analysis_form_field: str) -> list[str]:
    form = re.search(rf'data-override-field="{analysis_form_field}">(.*?)</form>', html, re.S)
    assert form, analysis_form_field
    return re.findall(r'<option value="([^"]+)"', form.group(1))


def _queue(client: Any, queue: str) -> str:
    html = client.get("/genotyping/worklist").get_data(as_text=True)
    m = re.search(rf'<table class="worklist" data-queue="{queue}">(.*?)</table>', html, re.S)
    assert m, queue
    return m.group(1)


def _home_count(client: Any, queue: str) -> int:
    html = client.get("/").get_data(as_text=True)
    m = re.search(rf'data-queue="{queue}">[^<]*<strong>(\d+)</strong>', html)
    assert m, queue
    return int(m.group(1))


def test_review_sign_and_the_worklist(app: Flask, client_as: Any, demo: Demo) -> None:
    path = client_as("pathologist")
    before = {q: _home_count(path, q) for q in ("review", "signout", "rereview")}
    rec = mutect2(*GERMLINE_NONSENSE, Counts(20, 20), Counts(30, 30), filt="germline")
    resp = upload(path, mutect2_vcf([rec]), demo)
    url = resp.headers["Location"]
    a = _analysis(app, url)
    (v,) = a.variants
    row = f'data-analysis="{a.id}"'
    assert row in _queue(path, "review") and row not in _queue(path, "signout")
    assert _home_count(path, "review") == before["review"] + 1

    html = path.get(url).get_data(as_text=True)
    # Likely pathogenic, and said so: never "pathogenic variant" for it.
    assert "Germline MEN1 likely pathogenic variant" in html
    assert "Germline MEN1 pathogenic variant" not in html
    # chr11:g. on the build, and the RefSeq name, beside the HGVS c.
    assert 'data-coordinates="chr11:g.64809977C&gt;A"' in html
    assert "GRCh38 chr11:g.64809977C&gt;A" in html and "NC_000011.10:g.64809977C&gt;A" in html
    # Each field's form offers that field's values only (not the current one); no
    # oncogenicity for a germline variant.
    assert set(_options(html, "classification")) == set(genotyping.CLASSIFICATIONS) - {
        "likely_pathogenic"}
    assert set(_options(html, "origin")) == set(genotyping.ORIGINS) - {"germline"}
    assert 'data-override-field="oncogenicity"' not in html

    # A mismatch posted by hand: 422 beside the value, the reason kept, nothing written.
    refused = post_form(path, f"/genotyping/variants/{v.id}/override",
                        {"field": "classification", "value": "germline_loh",
                         "reason": "segregation in the family"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'data-override-field="classification">.*?data-field="value">'
                     r"classification must be one of", page, re.S)
    assert 'value="segregation in the family"' in page
    with get_db(app).transaction() as s:
        assert s.scalar(select(func.count()).select_from(VariantOverride)) == 0

    ok = post_form(path, f"/genotyping/variants/{v.id}/override",
                   {"field": "classification", "value": "pathogenic",
                    "reason": "segregation in the family"})
    assert ok.status_code == 303
    assert row in _queue(path, "signout") and row not in _queue(path, "review")
    html = path.get(url).get_data(as_text=True)
    assert "Germline MEN1 pathogenic variant" in html
    history = re.search(r'<table class="history" id="history">(.*?)</table>', html, re.S)
    assert history
    override = re.search(r'data-action="genotyping.override">(.*?)</tr>', history.group(1))
    assert override and "Likely pathogenic → Pathogenic" in override.group(1)
    assert "segregation in the family" in override.group(1)

    assert _sign(path, a.id).status_code == 303
    for q in ("review", "signout", "rereview"):
        assert row not in _queue(path, q)
    assert {q: _home_count(path, q) for q in before} == before
    html = path.get(url).get_data(as_text=True)
    assert 'data-action="genotyping.report_sign"' in html
    assert re.search(r"Report signed</td><td>version 1; Reviewed and approved: Demo "
                     r"Molecular Pathologist", html)

    # The override back to likely pathogenic, amended: the PDF says exactly that.
    post_form(path, f"/genotyping/variants/{v.id}/override",
              {"field": "classification", "value": "likely_pathogenic",
               "reason": "no segregation data after all"})
    assert row in _queue(path, "signout")
    assert _sign(path, a.id, "segregation withdrawn").status_code == 303
    assert row not in _queue(path, "signout")
    # The amendment is in the history with its reason, after the second override's.
    history = re.search(r'<table class="history" id="history">(.*?)</table>',
                        path.get(url).get_data(as_text=True), re.S)
    assert history
    amended = re.search(r'data-action="genotyping.report_amend">(.*?)</tr>', history.group(1),
                        re.S)
    assert amended and "version 2" in amended.group(1)
    assert "segregation withdrawn" in amended.group(1)
    assert history.group(1).index("no segregation data after all") < history.group(1).index(
        "segregation withdrawn")
    report_id = _analysis(app, url).report.id  # type: ignore[union-attr]
    pdf = path.get(f"/genotyping/reports/{report_id}/v2.pdf").data
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    flat = " ".join(text.split())
    assert "Germline MEN1 likely pathogenic variant" in flat
    assert "Germline MEN1 pathogenic variant" not in flat
    # A narrow cell may wrap a long name: compared without the spaces of the wrap.
    assert "GRCh38 chr11:g.64809977C>A" in flat
    assert "NC_000011.10:g.64809977C>A" in flat.replace(" ", "")


def test_status_words_follow_the_strongest_tier() -> None:
    def content(status: str, *variants: dict[str, Any]) -> dict[str, Any]:
        return {"men1_status": status, "variants": list(variants)}

    lp = {"origin": "germline", "classification": "likely_pathogenic", "qualifying": True,
          "quality_pass": True}
    p = {**lp, "classification": "pathogenic"}
    lo = {"origin": "somatic", "classification": "uncertain_significance",
          "oncogenicity": "likely_oncogenic", "qualifying": True, "quality_pass": True}
    assert genotyping.status_words(content("germline", lp)) == [
        "Germline MEN1 likely pathogenic variant"]
    assert genotyping.status_words(content("germline", lp, p)) == [
        "Germline MEN1 pathogenic variant"]
    assert genotyping.status_words(content("germline_and_somatic", lp, lo)) == [
        "Germline MEN1 likely pathogenic variant",
        "Somatic MEN1 likely oncogenic variant in the tumour"]
    mosaic = {**lp, "origin": "germline_mosaic", "qualifying": False}
    assert genotyping.status_words(content("undetermined_origin", mosaic)) == [
        "MEN1 likely pathogenic variant of undetermined origin"]
    assert genotyping.status_words(content("none_detected")) == ["No MEN1 variant detected"]


def test_the_worklist_is_paged_on_the_server_oldest_first(app: Flask, client_as: Any,
                                                          demo: Demo) -> None:
    """A lab behind by more than a page: each queue shows PAGE_SIZE rows, the heading and the
    home page count the whole queue, the pages run oldest first without gap or repeat, the
    other queues' pages are kept in the links, and a page past the end shows the last."""
    from biobank.services.worklist import PAGE_SIZE

    n = PAGE_SIZE * 2 + 3
    ids = waiting_analyses(app, demo.participant, n)
    oldest_first = list(reversed(ids))
    path = client_as("pathologist")
    assert _home_count(path, "review") == n

    def rows(html: str) -> list[int]:
        m = re.search(r'<table class="worklist" data-queue="review">(.*?)</table>', html, re.S)
        assert m
        return [int(x) for x in re.findall(r'data-analysis="(\d+)"', m.group(1))]

    seen: list[int] = []
    for page in (1, 2, 3):
        resp = path.get(f"/genotyping/worklist?review_page={page}&signout_page=1")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert f'data-count="review">({n})' in html
        assert f"Page {page} of 3" in html
        got = rows(html)
        assert len(got) == (PAGE_SIZE if page < 3 else 3)
        seen += got
        # Raw engine codes never reach the reader.
        assert ">germline<" not in html and "Germline" in html
        if page < 3:
            assert f"review_page={page + 1}" in html
    assert seen == oldest_first
    # Past the end: the last page, not an empty table; a queue of one page has no pager.
    html = path.get("/genotyping/worklist?review_page=99").get_data(as_text=True)
    assert rows(html) == oldest_first[-3:] and "Page 3 of 3" in html
    assert 'data-pager="signout"' not in html
    # Not a page number: refused, naming the parameter, never a 500.
    for bad in ("0", "-1", "abc", "1e3", "9999999", "２"):
        resp = path.get(f"/genotyping/worklist?review_page={bad}")
        assert resp.status_code == 422, bad
        assert "review_page" in resp.get_data(as_text=True)
    with path.session_transaction() as sess:
        sess["locale"] = "zh"
    html = path.get("/genotyping/worklist?review_page=2").get_data(as_text=True)
    assert "第 2 页，共 3 页" in html and "下一页" in html and "上一页" in html


def waiting_analyses(app: Flask, participant: str, n: int) -> list[int]:
    """``n`` analyses classified and awaiting review, inserted newest first (so that the
    order shown must come from the time, not the id); their ids in insertion order."""
    from datetime import datetime, timedelta

    from biobank.models import ClassificationJob, GenotypingAnalysis, Participant, User

    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    with get_db(app).transaction() as s:
        p = s.execute(select(Participant).where(Participant.code == participant)).scalar_one()
        who = s.execute(select(User).where(User.username == "pathologist")).scalar_one()
        ids = []
        for i in range(n):
            a = GenotypingAnalysis(
                input_key=f"paging-{i:03d}", participant_id=p.id, caller="Mutect2",
                caller_version="4.2.4.1", assay="panel", build="GRCh38", warnings=[],
                men1_status="germline", created_by_id=who.id)
            s.add(a)
            s.flush()
            s.add(ClassificationJob(analysis_id=a.id, state="done", progress=100, step="done",
                                    finished_at=start + timedelta(hours=n - i)))
            ids.append(a.id)
    return ids
