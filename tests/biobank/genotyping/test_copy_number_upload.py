"""Copy-number files through the upload page (issue 19): a germline gCNV deletion of the whole
gene and a CNVkit segment table are stored, classified, reviewed and signed like any VCF; the
report and the gate name the event."""

from __future__ import annotations

from typing import Any

from flask import Flask

from biobank import get_db
from biobank.models import GenotypingAnalysis
from tests.conftest import post_form
from tests.variant_calling.test_copy_number import GCNV, exons, header

from .conftest import GOOD_CRITERIA, Demo, receive_at_central, record, upload

PASSWORD = "demo-Passw0rd!"


def gcnv_deletion() -> bytes:
    ex = exons()
    lo, hi = ex[10][0] - 20_000, ex[1][1] + 20_000
    rec = (f"11\t{lo}\tCNV_11_{lo}_{hi}\tN\t<DEL>,<DUP>\t.\t.\tEND={hi}\t"
           "GT:CN:NP:QA:QS:QSE:QSS\t1:1:14:90:88:101:97")
    return ("\n".join([*header(GCNV), rec]) + "\n").encode()


def test_a_germline_gcnv_whole_gene_deletion_makes_the_participant_eligible(
        app: Flask, client_as: Any, demo: Demo) -> None:
    path = client_as("pathologist")
    resp = upload(path, gcnv_deletion(), demo, name="SAMPLE_000.segments.vcf", role="normal",
                  mapping=False, normal_sample="SAMPLE_000", tumor_specimen=None,
                  caller="GATK gCNV", caller_version="4.2.0.0", assay="genome")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    analysis_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = path.get(resp.headers["Location"]).get_data(as_text=True)
    assert "NM_001370259.2:c.(?_-61)_(*818_?)del" in page
    assert "Whole-gene deletion" in page and 'data-classification="pathogenic"' in page
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, analysis_id)
        assert a is not None and a.men1_status == "germline" and a.qualifies
        (v,) = a.variants
        assert v.alt == "<DEL>" and not v.second_hit_only
    ok = post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                   {"password": PASSWORD, "confirm": "yes"})
    assert ok.status_code == 303
    receive_at_central(app, [demo.blood, demo.tumour])
    gate = record(app, demo.participant, GOOD_CRITERIA)
    men1 = next(c for c in gate["criteria"] if c["name"] == "men1")
    assert men1["status"] == "met" and gate["decision"] == "eligible"
    assert "NM_001370259.2:c.(?_-61)_(*818_?)del p.0?: Pathogenic, Germline" in men1["detail"]


def test_a_cnvkit_segment_table_is_accepted_and_pending_without_an_event(
        client_as: Any, demo: Demo) -> None:
    ex = exons()
    table = ("chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n"
             f"chr11\t{ex[10][0] - 90000}\t{ex[1][1] + 50000}\tFADS1,MEN1\t0.01\t2\t80\t40\t39\n")
    path = client_as("pathologist")
    resp = upload(path, table.encode(), demo, name="tumour.call.cns", role="tumor",
                  mapping=False, normal_specimen=None, caller="CNVkit", caller_version="0.9.10",
                  assay="exome")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    page = path.get(resp.headers["Location"]).get_data(as_text=True)
    assert "sequence variants of MEN1 were not assessed" in page
    assert 'data-men1-status="not_covered"' in page
