"""Locus LOH in the app (issue 19): for a germline carrier the tumour's loss of the other
allele is shown on the analysis page, in the signed report and on the gate's detail as the
second hit; it never makes a criterion on its own."""

from __future__ import annotations

import subprocess
from typing import Any

from flask import Flask

from biobank import get_db
from biobank.models import ReportVersion
from tests.conftest import post_form
from tests.variant_calling.conftest import R532X, Counts, mutect2
from tests.variant_calling.test_loh import MARKER_POSITIONS, other, tumour_baf

from .conftest import GOOD_CRITERIA, Demo, mutect2_vcf, receive_at_central, record, upload

PASSWORD = "demo-Passw0rd!"


def markers(purity: float) -> list[str]:
    from variant_calling import reference

    out = []
    for i, pos in enumerate(MARKER_POSITIONS):
        ref = reference.sequence("GRCh38", pos, pos)
        t_alt = round(250 * tumour_baf(purity, "deletion", i % 2 == 0))
        out.append(mutect2(pos, ref, other(ref), Counts(125, 125), Counts(250 - t_alt, t_alt),
                           filt="germline"))
    return out


def test_germline_carrier_with_locus_loh(app: Flask, client_as: Any, demo: Demo) -> None:
    stop = mutect2(*R532X, Counts(30, 30), Counts(0, 0), filt="germline")
    path = client_as("pathologist")
    resp = upload(path, mutect2_vcf([stop, *markers(0.7)]), demo)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    url = resp.headers["Location"]
    page = path.get(url).get_data(as_text=True)
    assert 'data-loh="loh"' in page and "8 heterozygous markers" in page
    # The page says what the loss is for this carrier: the second hit of the germline variant.
    assert 'data-second-hit="loh"' in page and "The second hit of the germline MEN1 variant " \
        "(NM_001370259.2:c.1579C&gt;T)." in page
    analysis_id = int(url.rsplit("/", 1)[1])
    assert post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                     {"password": PASSWORD, "confirm": "yes"}).status_code == 303
    with get_db(app).transaction() as s:
        v = s.query(ReportVersion).one()
        assert v.content["loh"]["status"] == "loh"
        report_id = v.report_id
    # The signed report itself (the PDF a clinician reads) states the second hit.
    pdf = path.get(f"/genotyping/reports/{report_id}/v1.pdf")
    assert pdf.status_code == 200
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf.data,
                                   capture_output=True, check=True).stdout.decode().split())
    assert "Tumour: loss of heterozygosity of the MEN1 locus (8 heterozygous marker(s)" in text
    assert "the second hit of the germline MEN1 variant (NM_001370259.2:c.1579C>T)" in text
    receive_at_central(app, [demo.blood, demo.tumour])
    gate = record(app, demo.participant, GOOD_CRITERIA)
    men1 = next(c for c in gate["criteria"] if c["name"] == "men1")
    assert men1["status"] == "met"
    assert "second hit: the tumour's loss of heterozygosity of the MEN1 locus " \
        "(8 heterozygous marker(s)" in men1["detail"]


def test_locus_loh_alone_qualifies_nobody(app: Flask, client_as: Any, demo: Demo) -> None:
    path = client_as("pathologist")
    resp = upload(path, mutect2_vcf(markers(0.7)), demo)
    page = path.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-loh="loh"' in page
    assert 'data-men1-status="germline"' not in page and "qualifies</strong>" not in page
    assert "data-second-hit" not in page  # no first hit: the loss is nobody's second hit
