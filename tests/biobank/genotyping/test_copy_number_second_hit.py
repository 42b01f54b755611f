"""The tumour's single-copy loss of the whole MEN1 gene as a germline carrier's second hit
(issue 19), in the app: a germline frameshift in blood (DeepVariant) and the tumour's CNVkit
segment table. The analysis page, the signed PDF and the enrolment gate's detail say in words
that the loss is the second hit, in English and in Chinese; the loss alone never qualifies."""

from __future__ import annotations

import io
import re
import subprocess
from html import unescape
from typing import Any

from flask import Flask

from biobank import get_db
from biobank.models import GenotypingAnalysis, ReportVersion
from tests.conftest import post_form
from tests.variant_calling.conftest import DEL4, Counts, deepvariant
from tests.variant_calling.test_copy_number import exons

from .conftest import GOOD_CRITERIA, Demo, receive_at_central
from .test_gate_sources import gate_of
from .test_upload import single_sample_vcf

PASSWORD = "demo-Passw0rd!"
FRAMESHIFT = "NM_001370259.2:c.249_252del"  # DEL4: p.Ile85fs, pathogenic (ClinVar)
# The loss named from the exon table: the segment reaches past both ends of the gene.
LOSS = "NM_001370259.2:c.(?_-61)_(*818_?)del"
EN_WORDS = f"second hit: the tumour's single-copy loss of the whole MEN1 gene ({LOSS}; report"
ZH_WORDS = f"第二次打击：肿瘤中整个 MEN1 基因的单拷贝缺失（{LOSS}；报告"


def tumour_loss_table() -> bytes:
    """CNVkit ``.call.cns``: one copy of chr11 around MEN1 lost in the tumour (log2 -0.6)."""
    ex = exons()
    return ("chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n"
            f"chr11\t{ex[10][0] - 90000}\t{ex[1][1] + 50000}\tFADS1,MEN1\t-0.6\t1\t80\t40\t39\n"
            ).encode()


def blood_frameshift(demo: Demo) -> bytes:
    """DeepVariant on blood: the frameshift heterozygous (20/40 reads)."""
    return single_sample_vcf(demo.blood, deepvariant(*DEL4, Counts(20, 20)))


def post(client: Any, demo: Demo, files: dict[str, tuple[bytes, str]], **fields: str) -> int:
    data: dict[str, Any] = {role: (io.BytesIO(content), name)
                            for role, (content, name) in files.items()}
    data.update({"normal_specimen": demo.blood if "normal" in files else "",
                 "tumor_specimen": demo.tumour if "tumor" in files else "",
                 "build": "GRCh38", **fields})
    if "normal" in files:
        data["normal_sample"] = demo.blood
    resp = post_form(client, f"/genotyping/participants/{demo.participant}/upload", data,
                     content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def sign(client: Any, analysis_id: int) -> int:
    ok = post_form(client, f"/genotyping/analyses/{analysis_id}/sign",
                   {"password": PASSWORD, "confirm": "yes"})
    assert ok.status_code == 303, ok.get_data(as_text=True)[:500]
    return analysis_id


def pdf_words(client: Any, app: Flask, analysis_id: int) -> str:
    with get_db(app).transaction() as s:
        report_id = s.query(ReportVersion).filter(
            ReportVersion.content["analysis"].as_integer() == analysis_id).one().report_id
    pdf = client.get(f"/genotyping/reports/{report_id}/v1.pdf")
    assert pdf.status_code == 200
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf.data,
                                   capture_output=True, check=True).stdout.decode().split())


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def gate_row(client: Any, code: str) -> str:
    """The men1 row of the gate page, as a reader sees its text."""
    html = client.get(f"/genotyping/participants/{code}/gate").get_data(as_text=True)
    row = html[html.index('data-criterion="men1"'):]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", row[:row.index("</tr>")])).split())


def record_criteria(client_as: Any, app: Flask, demo: Demo) -> Any:
    receive_at_central(app, [demo.blood, demo.tumour])
    coord = client_as("s01.coord")
    resp = post_form(coord, f"/genotyping/participants/{demo.participant}/criteria",
                     {**GOOD_CRITERIA, "source": "lab report 2026-11-20"})
    assert resp.status_code == 303
    return coord


def test_a_germline_frameshift_and_the_tumours_whole_gene_loss(
        app: Flask, client_as: Any, demo: Demo) -> None:
    """One analysis: the blood VCF and the tumour's CNVkit table together."""
    path = client_as("pathologist")
    analysis_id = post(path, demo, {"normal": (blood_frameshift(demo), "blood.vcf"),
                                    "tumor": (tumour_loss_table(), "tumour.call.cns")},
                       caller="DeepVariant", caller_version="1.5.0", assay="exome")
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, analysis_id)
        assert a is not None and a.men1_status == "germline"
        first = next(v for v in a.variants if v.hgvs_c == FRAMESHIFT)
        loss = next(v for v in a.variants if v.hgvs_c == LOSS)
        assert first.origin == "germline" and loss.second_hit_only and loss.in_tumor
        assert any(e.startswith(f"COPY_NUMBER_SECOND_HIT ({LOSS} in the tumour)")
                   for e in first.evidence)
    # The analysis page says it before sign-out.
    page = unescape(path.get(f"/genotyping/analyses/{analysis_id}").get_data(as_text=True))
    assert 'data-second-hit="copy_number"' in page
    assert (f"Tumour: single-copy loss of the whole MEN1 gene ({LOSS}), the second hit of the "
            f"germline MEN1 variant ({FRAMESHIFT})") in " ".join(page.split())
    sign(path, analysis_id)
    # The signed report a clinician reads, in both languages.
    text = pdf_words(path, app, analysis_id)
    assert (f"Tumour: single-copy loss of the whole MEN1 gene ({LOSS}), the second hit of the "
            f"germline MEN1 variant ({FRAMESHIFT})") in text
    post_form(path, "/language", {"lang": "zh", "next": "/"})
    # Chinese lines wrap anywhere: compare without the spaces pdftotext puts at the breaks.
    assert squeezed(f"肿瘤：整个 MEN1 基因的单拷贝缺失（{LOSS}），为胚系 MEN1 变异（{FRAMESHIFT}）"
                    "的第二次打击") in squeezed(pdf_words(path, app, analysis_id))

    coord = record_criteria(client_as, app, demo)
    row = gate_row(coord, demo.participant)
    assert 'Germline' in row and FRAMESHIFT in row and EN_WORDS in row
    post_form(coord, "/language", {"lang": "zh", "next": "/"})
    row = gate_row(coord, demo.participant)
    assert ZH_WORDS in row and "second hit" not in row
    # The service's detail (what the API and the CLI print) names it too.
    gate = gate_of(app, demo.participant).as_dict()
    men1 = next(c for c in gate["criteria"] if c["name"] == "men1")
    assert men1["status"] == "met" and gate["decision"] == "eligible"
    assert EN_WORDS in men1["detail"]


def test_the_loss_signed_in_its_own_report_is_cited_beside_the_first_hit(
        app: Flask, client_as: Any, demo: Demo) -> None:
    """The blood VCF and the tumour's CNVkit table signed as two analyses: the gate still
    names the loss (with its report) as the carrier's second hit, and cites that report."""
    path = client_as("pathologist")
    blood = sign(path, post(path, demo, {"normal": (blood_frameshift(demo), "blood.vcf")},
                            caller="DeepVariant", caller_version="1.5.0", assay="exome"))
    tumour = sign(path, post(path, demo, {"tumor": (tumour_loss_table(), "tumour.call.cns")},
                             caller="CNVkit", caller_version="0.9.10", assay="exome"))
    assert blood != tumour
    # The tumour's own report says what the loss is: a second hit only.
    assert (f"Tumour: single-copy loss of the whole MEN1 gene ({LOSS}), a second hit only: it "
            "does not meet the MEN1 criterion on its own") in pdf_words(path, app, tumour)
    coord = record_criteria(client_as, app, demo)
    with get_db(app).transaction() as s:
        tumour_report = s.query(ReportVersion).filter(
            ReportVersion.content["analysis"].as_integer() == tumour).one().report_id
    row = gate_row(coord, demo.participant)
    assert f"{EN_WORDS} {tumour_report})" in row
    # Both reports are cited as sources: the one that qualifies and the one with the loss.
    assert "blood.vcf" in row and "tumour.call.cns" in row
    assert f"report {tumour_report} version 1, signed by" in row


def test_the_loss_alone_never_qualifies(app: Flask, client_as: Any, demo: Demo) -> None:
    """No germline variant: the tumour's loss is reported as a second hit only; the gate's
    MEN1 criterion is not met and names no second hit."""
    path = client_as("pathologist")
    analysis_id = post(path, demo, {"tumor": (tumour_loss_table(), "tumour.call.cns")},
                       caller="CNVkit", caller_version="0.9.10", assay="exome")
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, analysis_id)
        assert a is not None and not a.qualifies
        (loss,) = a.variants
        assert loss.hgvs_c == LOSS and loss.second_hit_only and loss.classification == (
            "pathogenic")
    page = unescape(path.get(f"/genotyping/analyses/{analysis_id}").get_data(as_text=True))
    assert 'data-second-hit="only"' in page and "qualifies</strong>" not in page
    sign(path, analysis_id)
    text = pdf_words(path, app, analysis_id)
    assert "a second hit only: it does not meet the MEN1 criterion on its own" in text
    assert "Trial MEN1 criterion: not met." in text
    post_form(path, "/language", {"lang": "zh", "next": "/"})
    assert squeezed(f"肿瘤：整个 MEN1 基因的单拷贝缺失（{LOSS}），仅为第二次打击："
                    "其本身不满足 MEN1 入组标准") in squeezed(pdf_words(path, app, analysis_id))
    coord = record_criteria(client_as, app, demo)
    row = gate_row(coord, demo.participant)
    assert "second hit" not in row and "✔ met" not in row
    gate = gate_of(app, demo.participant).as_dict()
    men1 = next(c for c in gate["criteria"] if c["name"] == "men1")
    # A copy-number table alone says nothing of sequence variants: pending, never met.
    assert men1["status"] == "pending" and gate["decision"] != "eligible"
    assert "second hit" not in men1["detail"]
