"""MLPA P017 tables in the app (issue 19): imported for a blood specimen, classified like
copy-number calls, signed like any analysis; a single-probe event counts once its confirmation
is recorded; refusals name the field (and the table's row) with nothing written."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, GenotypingAnalysis, GenotypingFile
from tests.conftest import post_form
from tests.variant_calling.test_mlpa import table

from .conftest import Demo, sign_and_gate

PASSWORD = "demo-Passw0rd!"


def send(client: Any, code: str, content: str, specimen: str | None) -> Any:
    data: dict[str, Any] = {"build": "GRCh38",
                            "table": (io.BytesIO(content.encode()), "coffalyser_P017.csv")}
    if specimen is not None:
        data["normal_specimen"] = specimen
    return post_form(client, f"/genotyping/participants/{code}/mlpa", data,
                     content_type="multipart/form-data")


def counts(app: Flask) -> tuple[int, int, int]:
    with get_db(app).transaction() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                     for m in (GenotypingAnalysis, GenotypingFile, AuditEvent))


def test_whole_gene_deletion_from_mlpa_is_signed_and_cited_by_the_gate(
        app: Flask, client_as: Any, demo: Demo) -> None:
    path = client_as("pathologist")
    resp = send(path, demo.participant, table({n: 0.5 for n in range(1, 11)}), demo.blood)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    url = resp.headers["Location"]
    page = path.get(url).get_data(as_text=True)
    assert "NM_001370259.2:c.(?_-61)_(*818_?)del" in page
    assert 'data-classification="pathogenic"' in page and 'data-detail="lot">P017-D1' in page
    analysis_id = int(url.rsplit("/", 1)[1])
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, analysis_id)
        assert a is not None and a.source == "mlpa" and a.assay == "mlpa"
        assert a.normal_specimen is not None and a.normal_specimen.barcode == demo.blood
        assert a.men1_status == "germline" and a.inputs[0].file.kind == "csv"
    gate, men1 = sign_and_gate(app, path, analysis_id, demo)
    assert men1["status"] == "met" and gate["decision"] == "eligible"
    assert men1["source"].startswith(f"MLPA SALSA MLPA P017 MEN1 lot P017-D1 on {demo.blood}")


def test_a_single_probe_deletion_counts_once_confirmed(app: Flask, client_as: Any,
                                                       demo: Demo) -> None:
    path = client_as("pathologist")
    resp = send(path, demo.participant, table({5: 0.5}), demo.blood)
    url = resp.headers["Location"]
    page = path.get(url).get_data(as_text=True)
    assert "Seen by a single probe" in page and 'data-men1-status="not_covered"' in page
    with get_db(app).transaction() as s:
        a = s.get(GenotypingAnalysis, int(url.rsplit("/", 1)[1]))
        assert a is not None
        (v,) = a.variants
        variant_id = v.id
        assert not v.quality_pass
    refused = post_form(path, f"/genotyping/variants/{variant_id}/confirm",
                        {"method": "qPCR of exon 5", "reason": ""})
    assert refused.status_code == 422
    ok = post_form(path, f"/genotyping/variants/{variant_id}/confirm",
                   {"method": "qPCR of exon 5", "reason": "exon 5 at 0.52 of the reference, "
                                                          "two assays, run 2026-11-30"})
    assert ok.status_code == 303
    page = path.get(url).get_data(as_text=True)
    assert 'data-men1-status="germline"' in page and "qPCR of exon 5" in page
    again = post_form(path, f"/genotyping/variants/{variant_id}/confirm",
                      {"method": "qPCR", "reason": "again"})
    assert again.status_code == 409


@pytest.mark.parametrize(("content", "specimen", "field", "message"), [
    (table({}, kit="P018-B1"), "blood", "table", "line 2, field kit: kit 'P018-B1'"),
    (table({6: 0.5}).replace(",6,0.5", ",6,?"), "blood", "table", "ratio '?' is not a number"),
    ("probe;ratio\n", "blood", "table", "kit,probe,exon,ratio"),
    # Kept byte for byte and downloadable as CSV: a formula cell is refused on the way in.
    (table({}).replace("MEN1 probe 04", "=cmd|' /C calc'!A0"), "blood", "table",
     "line 6, field probe: cell &#34;=cmd|' /C calc'!A0&#34; would run as a formula"),
    (table({}), "tumour", "normal_specimen", "must be one of"),
    (table({}), None, "normal_specimen", "link the blood specimen"),
])
def test_refusals_name_the_field(app: Flask, client_as: Any, demo: Demo, content: str,
                                 specimen: str | None, field: str, message: str) -> None:
    path = client_as("pathologist")
    before = counts(app)
    barcode = {"blood": demo.blood, "tumour": demo.tumour, None: None}[specimen]
    resp = send(path, demo.participant, content, barcode)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True).replace("&#39;", "'")
    error = page.split(f'data-error-for="{field}">', 1)[1].split("</span>", 1)[0]
    assert message in error
    if barcode:
        assert f'value="{barcode}" selected' in page or field == "normal_specimen"
    assert counts(app) == before
    uploads = os.path.join(app.instance_path, "uploads")
    assert not os.path.isdir(uploads) or not [n for n in os.listdir(uploads)
                                              if not n.startswith(".")]
