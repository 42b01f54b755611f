"""Outside results in the app (issue 19): a pathologist enters another laboratory's germline
result as HGVS with its PDF; the engine checks, places and classifies it; the analysis is
signed like any other and the gate cites "outside report <lab> <date>, confirmed and signed
by ...". A refused field is shown beside that field with the input kept, and nothing is
written."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, GenotypingAnalysis, GenotypingFile, Participant
from biobank.services import enrollment, rereview
from tests.conftest import post_form

from .conftest import GOOD_CRITERIA, Demo, receive_at_central, record, sign_and_gate

PASSWORD = "demo-Passw0rd!"


def report_pdf(text: str = "MEN1 sequencing: NM_000244.3:c.1393C>T (p.Arg465*)") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)  # the same bytes each time: content-addressed
    c.drawString(72, 720, "Clinical Genetics Laboratory, outside report")
    c.drawString(72, 700, text)
    c.save()
    return buf.getvalue()


def enter(client: Any, code: str, *, pdf: bytes | None = None, **fields: str) -> Any:
    data: dict[str, Any] = {"hgvs": "NM_000244.3:c.1393C>T", "build": "GRCh38",
                            "lab": "Peking Union Medical College Hospital Genetics",
                            "report_date": "2026-10-02", "accession": "PUMCH-G-2026-0117"}
    data.update(fields)
    data["report"] = (io.BytesIO(report_pdf() if pdf is None else pdf), "outside-report.pdf")
    return post_form(client, f"/genotyping/participants/{code}/outside", data,
                     content_type="multipart/form-data")


def counts(app: Flask) -> tuple[int, int, int]:
    with get_db(app).transaction() as s:
        return (s.scalar(select(func.count()).select_from(GenotypingAnalysis)) or 0,
                s.scalar(select(func.count()).select_from(GenotypingFile)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_outside_result_is_classified_signed_and_cited_by_the_gate(
        app: Flask, client_as: Any, demo: Demo) -> None:
    path = client_as("pathologist")
    resp = enter(path, demo.participant)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    analysis_url = resp.headers["Location"]
    page = path.get(analysis_url).get_data(as_text=True)
    assert 'data-variant="NM_001370259.2:c.1378C&gt;T"' in page
    assert 'data-detail="lab">Peking Union Medical College Hospital Genetics' in page
    assert "NM_000244.3:c.1393C&gt;T" in page  # the name as entered, beside the MANE name
    analysis_id = int(analysis_url.rsplit("/", 1)[1])
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, analysis_id)
        assert a is not None and a.source == "outside" and a.job and a.job.state == "done"
        assert a.men1_status == "germline" and a.normal_specimen_id is None
        assert a.details and a.details["accession"] == "PUMCH-G-2026-0117"
        doc = a.inputs[0]
        assert doc.file.kind == "pdf" and doc.role == "normal"
        stored = os.path.join(app.instance_path, "uploads", doc.file.stored_name)
        assert Path(stored).read_bytes() == report_pdf()
        doc_url = f"/genotyping/analyses/{analysis_id}/documents/{doc.id}"
    got = path.get(doc_url)
    assert got.status_code == 200 and got.data == report_pdf()
    assert got.headers["Content-Type"] == "application/pdf"

    ok = post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                   {"password": PASSWORD, "confirm": "yes"})
    assert ok.status_code == 303, ok.get_data(as_text=True)[:500]
    receive_at_central(app, [demo.blood, demo.tumour])
    gate = record(app, demo.participant, GOOD_CRITERIA)
    men1 = next(c for c in gate["criteria"] if c["name"] == "men1")
    assert men1["status"] == "met" and gate["decision"] == "eligible"
    assert ("Germline MEN1 variant, pathogenic or likely pathogenic: "
            "NM_001370259.2:c.1378C>T p.(Arg460*): Pathogenic, Germline") in men1["detail"]
    assert men1["source"].startswith(
        "outside report Peking Union Medical College Hospital Genetics 2026-10-02 (accession "
        "PUMCH-G-2026-0117), confirmed and signed by ")

    # The same entry again finds the analysis; re-review reruns the name as entered.
    again = enter(path, demo.participant)
    assert again.status_code == 303 and again.headers["Location"] == analysis_url
    with get_db(app).transaction() as s:
        from biobank.services import genotyping

        found = rereview.reclassify(s, genotyping.Settings.from_config(
            app.config, app.instance_path), apply=False)
    assert all(f.analysis_id != analysis_id or (f.error is None and not f.differences)
               for f in found)


@pytest.mark.parametrize(("fields", "pdf", "field", "message"), [
    ({"hgvs": "NM_000244.3:c.1546dupC"}, None, "hgvs",
     "the reference at c.1546 on NM_000244.3 is G, not C"),
    ({"hgvs": "NM_000244.2:c.1393C>T"}, None, "hgvs", "version 2 is not modelled"),
    ({"hgvs": "NC_000011.10:g.64790000A>G"}, None, "hgvs", "is outside MEN1"),
    ({"hgvs": "NM_001370259.2:c.*900A>G"}, None, "hgvs", "is outside NM_001370259.2"),
    ({"hgvs": "Arg460*"}, None, "hgvs", "cannot read"),
    ({"lab": "  "}, None, "lab", "give the laboratory"),
    # One line each: joining the lines would store what the report does not say.
    ({"lab": "Genetics\nLaboratory"}, None, "lab", "one line only"),
    ({"accession": "PUMCH-G\t2026"}, None, "accession", "one line only"),
    ({"report_date": "02/10/2026"}, None, "report_date", "YYYY-MM-DD"),
    ({"report_date": "2999-01-01"}, None, "report_date", "is in the future"),
    ({"accession": ""}, None, "accession", "accession number"),
    ({}, b"##fileformat=VCFv4.2\n", "report", "as a PDF"),
    ({}, b"", "report", "empty"),
])
def test_a_refused_field_is_named_beside_it_with_the_input_kept(
        app: Flask, client_as: Any, demo: Demo, fields: dict[str, str], pdf: bytes | None,
        field: str, message: str) -> None:
    path = client_as("pathologist")
    before = counts(app)
    resp = enter(path, demo.participant, pdf=pdf, **fields)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    error = page.split(f'data-error-for="{field}">', 1)[1].split("</span>", 1)[0]
    assert message in error.replace("&#39;", "'").replace("&gt;", ">")
    for value in fields.values():
        if value.strip():
            assert f'value="{value}"' in page.replace("&gt;", ">")  # kept as typed
    assert 'value="PUMCH-G-2026-0117"' in page or field == "accession"
    assert counts(app) == before  # nothing written, not even an audit row
    uploads = os.path.join(app.instance_path, "uploads")
    assert not os.path.isdir(uploads) or not [n for n in os.listdir(uploads)
                                              if not n.startswith(".")]


def test_only_pathologists_enter_outside_results(app: Flask, client_as: Any,
                                                 demo: Demo) -> None:
    coord = client_as("s01.coord")
    assert coord.get(f"/genotyping/participants/{demo.participant}/outside").status_code == 403
    assert enter(coord, demo.participant).status_code == 403
    other_site = client_as("pathologist")
    assert other_site.get("/genotyping/participants/S99-0001/outside").status_code == 404


def test_a_qualifying_outside_report_is_not_hidden_by_a_later_negative_vcf(
        app: Flask, client_as: Any, demo: Demo) -> None:
    """Every signed-out analysis speaks for itself: a germline P/LP from an outside report
    stays met when a later tumour panel finds nothing (its own amendment would change it)."""
    from .conftest import mutect2_vcf, upload

    path = client_as("pathologist")
    first = enter(path, demo.participant)
    a1 = int(first.headers["Location"].rsplit("/", 1)[1])
    post_form(path, f"/genotyping/analyses/{a1}/sign", {"password": PASSWORD, "confirm": "yes"})
    from tests.variant_calling.conftest import mutect2

    from .conftest import VUS, Counts
    second = upload(path, mutect2_vcf([mutect2(*VUS, Counts(40, 0), Counts(40, 0))]), demo)
    a2 = int(second.headers["Location"].rsplit("/", 1)[1])
    post_form(path, f"/genotyping/analyses/{a2}/sign", {"password": PASSWORD, "confirm": "yes"})
    with get_db(app).transaction() as s:
        p = s.execute(select(Participant).where(Participant.code == demo.participant)
                      ).scalar_one()
        men1 = next(c for c in enrollment.evaluate(s, p).criteria if c.name == "men1")
    assert men1.status == "met" and "outside report" in men1.source
    assert "; files " not in men1.source  # only the qualifying report is cited as met


def test_an_outside_mlpa_whole_gene_deletion_is_signed_and_makes_the_participant_eligible(
        app: Flask, client_as: Any, demo: Demo) -> None:
    """Outside laboratories report MEN1 deletions found by MLPA with uncertain breakpoints:
    entered as the report names them, classified on the ClinGen CNV points, shown with their
    extent and section, signed, and cited by the gate."""
    path = client_as("pathologist")
    resp = enter(path, demo.participant, hgvs="NM_001370259.2:c.(?_-61)_(*818_?)del",
                 pdf=report_pdf("MLPA P017: heterozygous deletion of MEN1 exons 1-10"))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    url = resp.headers["Location"]
    page = path.get(url).get_data(as_text=True)
    assert 'data-variant="NM_001370259.2:c.(?_-61)_(*818_?)del"' in page
    assert 'data-copy-number="2A"' in page and 'data-classification="pathogenic"' in page
    analysis_id = int(url.rsplit("/", 1)[1])
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, analysis_id)
        assert a is not None and a.men1_status == "germline" and a.qualifies
        (v,) = a.variants
        assert v.alt == "<DEL>"
    gate, men1 = sign_and_gate(app, path, analysis_id, demo)
    assert men1["status"] == "met" and gate["decision"] == "eligible"
    assert "NM_001370259.2:c.(?_-61)_(*818_?)del p.0?: Pathogenic, Germline" in men1["detail"]
    assert men1["source"].startswith("outside report Peking Union Medical College Hospital "
                                     "Genetics 2026-10-02")
    # Re-review reruns the name as entered and finds nothing to change
    with get_db(app).transaction() as s:
        from biobank.services import genotyping

        found = rereview.reclassify(s, genotyping.Settings.from_config(
            app.config, app.instance_path), apply=False)
    # (a finding is returned only for an analysis that differs or cannot be rerun)
    assert [f for f in found if f.analysis_id == analysis_id] == []
