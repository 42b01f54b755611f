"""Who may do what: only pathologists upload, override and sign; coordinators record
criteria; monitors read and export but change nothing; site staff see only their site."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import ReportVersion
from biobank.services import users
from tests.conftest import login, missing_dependency, post_form

from .conftest import GOOD_CRITERIA, Demo, germline_stop, mutect2_vcf, upload


def _signed(app: Flask, client_as: Any, demo: Demo) -> tuple[int, int]:
    page = client_as("pathologist")
    resp = upload(page, mutect2_vcf([germline_stop()]), demo)
    analysis_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    resp = post_form(page, f"/genotyping/analyses/{analysis_id}/sign",
                     {"password": "demo-Passw0rd!", "confirm": "yes"})
    assert resp.status_code == 303
    with get_db(app).transaction() as s:
        report_id = s.execute(select(ReportVersion.report_id)).scalar_one()
    return analysis_id, report_id


def test_only_pathologists_upload_and_sign(app: Flask, client_as: Any, api_token: Any,
                                           demo: Demo, db: Any) -> None:
    for username in ("cb.tech", "s01.coord", "monitor"):
        resp = upload(app.test_client(), mutect2_vcf([germline_stop()]), demo,
                      api_token=api_token(username))
        assert resp.status_code == 403, username
    analysis_id, _report = _signed(app, client_as, demo)
    variant = client_as("pathologist").get(
        f"/api/v1/genotyping/analyses/{analysis_id}",
        headers={"Authorization": f"Bearer {api_token('pathologist')}"}).get_json()
    for username in ("cb.tech", "s01.coord", "monitor"):
        c = client_as(username)
        assert post_form(c, f"/genotyping/analyses/{analysis_id}/amend", {
            "password": "demo-Passw0rd!", "confirm": "yes", "reason": "x"}).status_code == 403
        assert post_form(c, f"/genotyping/variants/{variant['variants'][0]['id']}/override", {
            "field": "classification", "value": "benign", "reason": "x"}).status_code == 403
    db.rollback()
    assert db.execute(select(func.count(ReportVersion.id))).scalar() == 1


def test_sign_without_confirming_the_meaning_is_refused(client_as: Any, demo: Demo,
                                                        db: Any) -> None:
    page = client_as("pathologist")
    resp = upload(page, mutect2_vcf([germline_stop()]), demo)
    analysis_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    resp = post_form(page, f"/genotyping/analyses/{analysis_id}/sign",
                     {"password": "demo-Passw0rd!"})
    assert resp.status_code == 422
    db.rollback()
    assert db.execute(select(func.count(ReportVersion.id))).scalar() == 0


def test_sites_see_only_their_participants(app: Flask, client_as: Any, api_token: Any,
                                           demo: Demo) -> None:
    analysis_id, report_id = _signed(app, client_as, demo)
    with get_db(app).transaction() as s:
        users.create_user(s, None, username="s02.path", display_name="Site 02 Pathologist",
                          role="pathologist", site_code="S02", password="long-enough-pw")
    other = app.test_client()
    assert login(other, "s02.path", "long-enough-pw").status_code == 302
    for path in (f"/genotyping/participants/{demo.participant}",
                 f"/genotyping/participants/{demo.participant}/gate",
                 f"/genotyping/analyses/{analysis_id}",
                 f"/genotyping/reports/{report_id}/v1.pdf"):
        assert other.get(path).status_code == 404, path
    resp = upload(other, mutect2_vcf([germline_stop()]), demo)
    assert resp.status_code == 404
    coord2 = client_as("s02.coord")
    assert coord2.get(f"/genotyping/participants/{demo.participant}/gate").status_code == 404
    assert post_form(coord2, f"/genotyping/participants/{demo.participant}/criteria",
                     {**GOOD_CRITERIA, "source": "x"}).status_code == 404
    token = api_token("s02.coord")
    resp = app.test_client().get(f"/api/v1/participants/{demo.participant}/enrollment-gate",
                                 headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 404
    result = app.test_cli_runner().invoke(
        args=["enrollment-gate", demo.participant, "--as", "s02.coord"])
    assert result.exit_code == 1 and "no participant" in result.output
    # The site's own participants are visible to it.
    assert coord2.get("/genotyping/participants/S02-0001/gate").status_code == 200


def test_monitor_reads_and_exports_but_changes_nothing(app: Flask, client_as: Any,
                                                       api_token: Any, demo: Demo) -> None:
    analysis_id, report_id = _signed(app, client_as, demo)
    mon = client_as("monitor")
    assert mon.get(f"/genotyping/analyses/{analysis_id}").status_code == 200
    pdf = mon.get(f"/genotyping/reports/{report_id}/v1.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    gate = mon.get(f"/genotyping/participants/{demo.participant}/gate").get_data(as_text=True)
    assert "criteria-form" not in gate and "sign-form" not in gate
    resp = app.test_client().get(f"/api/v1/participants/{demo.participant}/enrollment-gate",
                                 headers={"Authorization": f"Bearer {api_token('monitor')}"})
    assert resp.status_code == 200 and resp.get_json()["decision"] == "pending"
    assert post_form(mon, f"/genotyping/participants/{demo.participant}/criteria",
                     {**GOOD_CRITERIA, "source": "x"}).status_code == 403


def test_ids_out_of_range_are_not_found(app: Flask, client_as: Any, api_token: Any) -> None:
    huge = 10830678257887249569259978752
    resp = app.test_client().get(f"/api/v1/genotyping/analyses/{huge}",
                                 headers={"Authorization": f"Bearer {api_token('monitor')}"})
    assert resp.status_code == 404
    page = client_as("pathologist")
    assert page.get(f"/genotyping/reports/{huge}/v1.pdf").status_code == 404
    assert post_form(page, f"/genotyping/variants/{huge}/override", {
        "field": "classification", "value": "benign", "reason": "x"}).status_code == 404


def test_report_pdf_follows_the_readers_language_and_local_time(
        app: Flask, client_as: Any, demo: Demo, tmp_path: Any) -> None:
    import shutil
    import subprocess


    if shutil.which("pdftotext") is None:
        missing_dependency("poppler-utils not installed")
    _analysis, report_id = _signed(app, client_as, demo)
    mon = client_as("monitor")
    texts = {}
    for lang in ("en", "zh"):
        post_form(mon, "/language", {"lang": lang})
        pdf = tmp_path / f"{lang}.pdf"
        pdf.write_bytes(mon.get(f"/genotyping/reports/{report_id}/v1.pdf").data)
        texts[lang] = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                     text=True, check=True).stdout
    assert "MEN1 genotyping report" in texts["en"] and "Electronic signature" in texts["en"]
    assert "MEN1 基因检测报告" in texts["zh"] and "电子签名" in texts["zh"]
    assert "已审阅并批准" in texts["zh"]
    for text in texts.values():
        assert demo.participant in text and "Asia/Shanghai (UTC+08:00)" in text
        assert " UTC\n" not in text and "CST" in text
