"""The path a trial depends on: upload → classify → review → sign → gate eligible; an amendment
that downgrades the variant turns the gate back, with the history kept. API, page and CLI
give the same answer."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from flask import Flask
from sqlalchemy import select

from biobank.models import AuditEvent, GateDecision, ReportVersion
from tests.conftest import post_form

from .conftest import GOOD_CRITERIA, Demo, germline_stop, mutect2_vcf, receive_at_central, upload


def gate_api(client: Any, token: str, code: str) -> dict[str, Any]:
    resp = client.get(f"/api/v1/participants/{code}/enrollment-gate",
                      headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return dict(resp.get_json())


def gate_cli(app: Flask, code: str, user: str = "s01.coord") -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["enrollment-gate", code, "--as", user, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_upload_review_sign_gate_and_amend(app: Flask, client_as: Any, api_token: Any,
                                           demo: Demo, db: Any) -> None:
    path = client_as("pathologist")
    coord = client_as("s01.coord")
    token = api_token("s01.coord")

    before = gate_api(coord, token, demo.participant)
    assert before["decision"] == "pending"
    assert {"men1", "baseline_whole_blood_edta", "baseline_ffpe_block", "age",
            "haemoglobin"} <= set(before["missing"])

    resp = upload(path, mutect2_vcf([germline_stop()]), demo)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    analysis_url = resp.headers["Location"]
    page = path.get(analysis_url).get_data(as_text=True)
    assert 'data-state="done"' in page
    assert "NM_001370259.2:c.1579C&gt;T" in page or "NM_001370259.2:c.1579C>T" in page
    assert "p.(Arg527*)" in page and "Stop gained (nonsense)" in page
    assert 'data-lineage="normal"' in page and demo.blood in page and demo.tumour in page
    analysis_id = int(analysis_url.rsplit("/", 1)[1])

    # Signing needs the password again and the confirmed meaning.
    bad = post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                    {"password": "wrong-password", "confirm": "yes"})
    assert bad.status_code == 401
    ok = post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                   {"password": "demo-Passw0rd!", "confirm": "yes"})
    assert ok.status_code == 303
    again = post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                      {"password": "demo-Passw0rd!", "confirm": "yes"})
    assert again.status_code == 409  # a signed report cannot be re-signed or edited

    # MEN1 now met; still pending on specimens and criteria, and it says exactly that.
    mid = gate_api(coord, token, demo.participant)
    statuses = {c["name"]: c["status"] for c in mid["criteria"]}
    assert statuses["men1"] == "met"
    men1 = next(c for c in mid["criteria"] if c["name"] == "men1")
    assert "version 1" in men1["source"] and "Demo Molecular Pathologist" in men1["source"]
    assert mid["decision"] == "pending" and "men1" not in mid["missing"]

    receive_at_central(app, [demo.blood, demo.tumour])
    resp = post_form(coord, f"/genotyping/participants/{demo.participant}/criteria",
                     {**GOOD_CRITERIA, "source": "lab report 2026-11-20, clinic note"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]

    eligible = gate_api(coord, token, demo.participant)
    assert eligible["decision"] == "eligible", [
        c for c in eligible["criteria"] if c["status"] != "met"]
    assert eligible["missing"] == []
    assert gate_cli(app, demo.participant) == eligible
    hb = next(c for c in eligible["criteria"] if c["name"] == "haemoglobin")
    assert "128 g/L = 12.8 g/dL" in hb["detail"]
    gate_page = coord.get(f"/genotyping/participants/{demo.participant}/gate")
    assert 'data-decision="eligible"' in gate_page.get_data(as_text=True)

    # The pathologist downgrades the variant; the amendment (v2) turns the gate back.
    db.rollback()
    variant_id = path.get(f"/api/v1/genotyping/analyses/{analysis_id}",
                          headers={"Authorization": f"Bearer {api_token('pathologist')}"}
                          ).get_json()["variants"][0]["id"]
    no_reason = post_form(path, f"/genotyping/variants/{variant_id}/override",
                          {"field": "classification", "value": "uncertain_significance",
                           "reason": " "})
    assert no_reason.status_code == 422
    resp = post_form(path, f"/genotyping/variants/{variant_id}/override",
                     {"field": "classification", "value": "uncertain_significance",
                      "reason": "segregation data: benign in two unaffected relatives"})
    assert resp.status_code == 303
    still = gate_api(coord, token, demo.participant)
    assert still["decision"] == "eligible"  # an unsigned review does not change the report
    resp = post_form(path, f"/genotyping/analyses/{analysis_id}/amend",
                     {"password": "demo-Passw0rd!", "confirm": "yes",
                      "reason": "reclassified after family segregation"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]

    after = gate_api(coord, token, demo.participant)
    assert after["decision"] == "not_eligible"
    men1 = next(c for c in after["criteria"] if c["name"] == "men1")
    assert men1["status"] == "not_met" and "version 2 (amended)" in men1["source"]
    assert gate_cli(app, demo.participant) == after

    db.rollback()
    versions = db.execute(select(ReportVersion).order_by(ReportVersion.version)).scalars().all()
    assert [(v.version, v.amended, v.men1_qualifies) for v in versions] == [
        (1, False, True), (2, True, False)]
    assert versions[0].content["variants"][0]["classification"] == "pathogenic"  # kept as signed
    decisions = db.execute(select(GateDecision).order_by(GateDecision.id)).scalars().all()
    assert [(d.previous, d.decision) for d in decisions][-2:] == [
        ("pending", "eligible"), ("eligible", "not_eligible")]
    assert "version 2 amended" in decisions[-1].trigger
    override = db.execute(select(AuditEvent).where(AuditEvent.action == "genotyping.override")
                          ).scalar_one()
    assert override.reason == "segregation data: benign in two unaffected relatives"
    assert override.changes["classification"] == ["pathogenic", "uncertain_significance"]

    page = coord.get(f"/genotyping/participants/{demo.participant}/gate").get_data(as_text=True)
    assert 'data-decision="not_eligible"' in page
    assert 'data-decision-change="eligible-&gt;not_eligible"' in page or \
        'data-decision-change="eligible->not_eligible"' in page
    analysis_page = path.get(analysis_url).get_data(as_text=True)
    assert 'data-version="1"' in analysis_page and 'data-version="2"' in analysis_page

    # Both versions print; the PDF carries the code, variant, status, signature and version.
    for version, status in ((1, "Germline MEN1 pathogenic variant"),
                            (2, "Only variants of uncertain significance")):
        pdf = coord.get(f"/genotyping/reports/{versions[0].report_id}/v{version}.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.data,
                              capture_output=True, check=True).stdout.decode()
        assert demo.participant in text and "c.1579C>T" in text
        assert f"version {version}" in text and "Demo Molecular Pathologist" in text
        assert status in " ".join(text.split())  # in words, the tier's own
        assert ("AMENDED" in text) == (version == 2)
        assert re.search(r"Reviewed and approved: Demo Molecular Pathologist, \d{4}-", text)
