"""Both classification scales in the app (germline pathogenicity, somatic oncogenicity), the
one qualifying rule behind overrides, and re-review suggestions for signed reports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, GenotypingAnalysis, ReReview
from biobank.services import genotyping
from tests.conftest import post_form
from tests.variant_calling.conftest import mutect2

from .conftest import Counts, Demo, mutect2_vcf, receive_at_central, upload

PASSWORD = "demo-Passw0rd!"
# Novel (in no known-variant table), GRCh38.
SOMATIC_FRAMESHIFT = (64808042, "AG", "A")  # c.502del p.(Leu168Trpfs*17), NMD
GERMLINE_NONSENSE = (64809977, "C", "A")  # c.133G>T p.(Glu45*), NMD
KNOWN_VUS = (64804645, "G", "C")  # c.1522C>G p.(Gln508Glu): VUS in the shipped table


def _analysis(app: Flask, url: str) -> GenotypingAnalysis:
    s = get_db(app).session(write=False)
    a = s.get(GenotypingAnalysis, int(url.rsplit("/", 1)[1]))
    assert a is not None
    _ = [v.overrides for v in a.variants], a.report and a.report.versions
    s.expunge_all()
    s.close()
    return a


def _sign(client: Any, analysis_id: int, reason: str | None = None) -> Any:
    if reason is None:
        return post_form(client, f"/genotyping/analyses/{analysis_id}/sign",
                         {"password": PASSWORD, "confirm": "yes"})
    return post_form(client, f"/genotyping/analyses/{analysis_id}/amend",
                     {"password": PASSWORD, "confirm": "yes", "reason": reason})


def _gate_men1(app: Flask, code: str) -> dict[str, Any]:
    out = app.test_cli_runner().invoke(
        args=["enrollment-gate", code, "--as", "s01.coord", "--json"])
    assert out.exit_code == 0, out.output
    return next(c for c in json.loads(out.output)["criteria"] if c["name"] == "men1")


def test_novel_somatic_frameshift_is_likely_oncogenic_and_qualifies(
        app: Flask, client_as: Any, demo: Demo) -> None:
    receive_at_central(app, [demo.blood, demo.tumour])
    path = client_as("pathologist")
    rec = mutect2(*SOMATIC_FRAMESHIFT, Counts(40, 0), Counts(28, 12))
    resp = upload(path, mutect2_vcf([rec]), demo)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:400]
    a = _analysis(app, resp.headers["Location"])
    (v,) = a.variants
    assert (v.origin, v.classification, v.oncogenicity) == (
        "somatic", "likely_pathogenic", "likely_oncogenic")
    assert v.in_tumor and genotyping.qualifying(v)
    assert a.men1_status == "somatic"

    page = path.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-oncogenicity="likely_oncogenic"' in page
    assert "+9 points" in page  # OVS1 + OP4 on the oncogenicity scale
    assert "OVS1 (+8)" in page

    assert _sign(path, a.id).status_code in (200, 303)
    men1 = _gate_men1(app, demo.participant)
    assert men1["status"] == "met" and "Likely oncogenic, Somatic" in men1["detail"]


def test_novel_germline_nonsense_is_likely_pathogenic_without_oncogenicity(
        app: Flask, client_as: Any, demo: Demo) -> None:
    receive_at_central(app, [demo.blood, demo.tumour])
    path = client_as("pathologist")
    rec = mutect2(*GERMLINE_NONSENSE, Counts(20, 20), Counts(30, 30), filt="germline")
    resp = upload(path, mutect2_vcf([rec]), demo)
    a = _analysis(app, resp.headers["Location"])
    (v,) = a.variants
    assert (v.origin, v.classification, v.oncogenicity) == (
        "germline", "likely_pathogenic", None)
    assert genotyping.qualifying(v) and a.men1_status == "germline"
    # Oncogenicity cannot be set on a germline variant: the page does not offer it, the
    # service refuses it, and nothing is written.
    page = path.get(resp.headers["Location"]).get_data(as_text=True)
    assert '<option value="oncogenicity">' not in page
    refused = post_form(path, f"/genotyping/variants/{v.id}/override",
                        {"field": "oncogenicity", "value": "oncogenic", "reason": "x"})
    assert refused.status_code == 422
    assert "oncogenicity applies to somatic" in refused.get_data(as_text=True)
    assert not _analysis(app, resp.headers["Location"]).variants[0].overrides


def test_oncogenicity_override_drives_the_qualifying_rule(
        app: Flask, client_as: Any, demo: Demo) -> None:
    receive_at_central(app, [demo.blood, demo.tumour])
    path = client_as("pathologist")
    rec = mutect2(*SOMATIC_FRAMESHIFT, Counts(40, 0), Counts(28, 12))
    resp = upload(path, mutect2_vcf([rec]), demo)
    a = _analysis(app, resp.headers["Location"])
    vid = a.variants[0].id
    for field, value in (("classification", "uncertain_significance"),
                         ("oncogenicity", "uncertain_significance")):
        ok = post_form(path, f"/genotyping/variants/{vid}/override",
                       {"field": field, "value": value, "reason": "tumour content too low"})
        assert ok.status_code in (200, 303), ok.get_data(as_text=True)[:300]
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, a.id)
        assert a is not None
        v = a.variants[0]
        assert (v.classification, v.oncogenicity) == ("uncertain_significance",
                                                      "uncertain_significance")
        assert not genotyping.qualifying(v)
        assert genotyping.effective_status(a) == "vus_only"
        content = genotyping.report_content(a)
    assert content["variants"][0]["engine_oncogenicity"] == "likely_oncogenic"
    assert content["variants"][0]["oncogenicity_points"] == 9
    assert content["men1_status"] == "vus_only" and not content["qualifies"]


def _clinvar_asserting_pathogenic(tmp_path: Path) -> Path:
    """A newer 'ClinVar' that calls the shipped VUS c.1522C>G pathogenic."""
    from variant_calling import known

    src = Path(known.__file__).parent / "data" / "clinvar_MEN1_GRCh38_2021-01_partial.vcf"
    lines = src.read_text().splitlines()
    head = [ln for ln in lines if ln.startswith("#")]
    rec = next(ln for ln in lines if ln.startswith(f"11\t{KNOWN_VUS[0]}\t"))
    rec = rec.replace("CLNSIG=Uncertain_significance", "CLNSIG=Pathogenic")
    out = tmp_path / "clinvar_2026-12.vcf"
    out.write_text("\n".join([*head, rec]) + "\n")
    return out


def test_reclassify_suggests_re_review_and_an_amendment_answers_it(
        app: Flask, client_as: Any, demo: Demo, tmp_path: Path) -> None:
    receive_at_central(app, [demo.blood, demo.tumour])
    path = client_as("pathologist")
    rec = mutect2(*KNOWN_VUS, Counts(20, 20), Counts(30, 30), filt="germline")
    resp = upload(path, mutect2_vcf([rec]), demo)
    a = _analysis(app, resp.headers["Location"])
    assert a.variants[0].classification == "uncertain_significance"
    assert _sign(path, a.id).status_code in (200, 303)
    assert _gate_men1(app, demo.participant)["status"] == "not_met"

    runner = app.test_cli_runner()
    nothing = runner.invoke(args=["reclassify"])
    assert nothing.exit_code == 0, nothing.output
    assert "0 analysis(es) would be suggested" in nothing.output

    app.config["MEN1_KNOWN_VARIANTS"] = str(_clinvar_asserting_pathogenic(tmp_path))
    dry = runner.invoke(args=["reclassify"])
    assert dry.exit_code == 0, dry.output
    assert f"analysis {a.id} ({demo.participant}, signed version 1)" in dry.output
    assert ("NM_001370259.2:c.1522C>G classification: engine then uncertain_significance, "
            "now pathogenic (reviewed uncertain_significance)") in dry.output
    assert "MEN1 status men1_status: engine then vus_only, now germline" in dry.output
    with get_db(app).transaction() as s:
        assert s.scalar(select(func.count()).select_from(ReReview)) == 0  # a dry run

    for _ in range(2):  # the same finding is recorded once
        applied = runner.invoke(args=["reclassify", "--apply"])
        assert applied.exit_code == 0, applied.output
    with get_db(app).transaction() as s:
        (row,) = s.execute(select(ReReview)).scalars()
        assert row.resolved_by_version_id is None and len(row.differences) == 2
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "genotyping.rereview_suggested")) == 1

    page = path.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Re-review suggested" in page and f'data-rereview="{row.id}"' in page
    men1 = _gate_men1(app, demo.participant)
    assert men1["status"] == "not_met"  # the signed report stays as signed...
    assert "re-review suggested (2 difference(s)" in men1["detail"]  # ...and says so

    # The pathologist agrees, overrides and amends: the suggestion is answered.
    vid = a.variants[0].id
    post_form(path, f"/genotyping/variants/{vid}/override",
              {"field": "classification", "value": "pathogenic",
               "reason": "ClinVar 2026-12 asserts pathogenic"})
    assert _sign(path, a.id, "reclassified with ClinVar 2026-12").status_code in (200, 303)
    with get_db(app).transaction() as s:
        assert s.execute(select(ReReview)).scalar_one().resolved_by_version_id is not None
    men1 = _gate_men1(app, demo.participant)
    assert men1["status"] == "met" and "re-review" not in men1["detail"]
    after = path.get(resp.headers["Location"]).get_data(as_text=True)
    # The banner is gone; the history keeps the suggestion beside the amendment that answered it.
    assert "data-rereview=" not in after
    assert 'data-action="genotyping.rereview_suggested"' in after
    assert 'data-action="genotyping.report_amend"' in after


def test_reclassify_names_an_analysis_it_cannot_rerun(app: Flask, client_as: Any,
                                                      demo: Demo) -> None:
    receive_at_central(app, [demo.blood, demo.tumour])
    path = client_as("pathologist")
    resp = upload(path, mutect2_vcf([mutect2(*KNOWN_VUS, Counts(20, 20), Counts(30, 30))]),
                  demo)
    a = _analysis(app, resp.headers["Location"])
    upload_dir = Path(app.instance_path) / "uploads"
    for f in upload_dir.iterdir():
        if f.is_file() and not f.name.startswith("."):
            f.unlink()
    out = app.test_cli_runner().invoke(args=["reclassify"])
    assert out.exit_code == 0
    assert f"analysis {a.id} ({demo.participant}, not signed): cannot rerun" in out.output
    assert "1 could not be rerun" in out.output


def test_signed_report_pdf_shows_both_scales(app: Flask, client_as: Any, demo: Demo,
                                            tmp_path: Path) -> None:
    receive_at_central(app, [demo.blood, demo.tumour])
    path = client_as("pathologist")
    rec = mutect2(*SOMATIC_FRAMESHIFT, Counts(40, 0), Counts(28, 12))
    a = _analysis(app, upload(path, mutect2_vcf([rec]), demo).headers["Location"])
    _sign(path, a.id)
    a = _analysis(app, f"/x/{a.id}")
    assert a.report is not None
    pdf = path.get(f"/genotyping/reports/{a.report.id}/v1.pdf")
    assert pdf.status_code == 200, pdf.status_code
    target = tmp_path / "report.pdf"
    target.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-raw", str(target), "-"], capture_output=True,
                          text=True, check=True).stdout
    # Table cells wrap inside words; in content order each cell's lines follow each other.
    flat = "".join(text.split())
    assert "Oncogenicity" in flat
    assert "Likelypathogenic(+9)Likelyoncogenic(+9)" in flat


