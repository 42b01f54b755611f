"""The coordinator's gate as a clinical record: every source a link to the record it cites
(report version, file, specimen, criteria record), times in the site's zone, Pending grouped by
who acts next, a damaged specimen met with a caution, and "enrolled" only after "eligible"."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from biobank import get_db
from biobank.errors import Conflict
from biobank.models import AuditEvent, Participant, User
from biobank.services import access, enrollment, shipments, trial
from tests.conftest import post_form

from .conftest import GOOD_CRITERIA, Demo, germline_stop, mutect2_vcf, upload

_LINK = re.compile(r'<a href="([^"]+)" data-link-kind="([a-z_]+)">([^<]*)</a>')


def _user(s: Any, name: str) -> User:
    return s.execute(select(User).where(User.username == name)).scalar_one()


def ship_to_central(app: Flask, barcodes: list[str], damage: dict[str, str] | None = None
                    ) -> str:
    """Ship the tubes from S01 and scan them in at the central biobank, as the two
    technicians do; ``damage`` marks a tube as it is scanned (e.g. haemolysed)."""
    damage = damage or {}
    with get_db(app).transaction() as s:
        tech, cb = _user(s, "s01.tech"), _user(s, "cb.tech")
        sh = shipments.create(s, tech, conditions="ambient", courier="SF Express",
                              tracking_number="SF-GATE-1")
        for code in barcodes:
            shipments.pack(s, tech, sh, code)
        shipments.mark_ready(s, tech, sh)
        shipments.ship(s, tech, sh)
        shipments.start_receipt(s, cb, sh)
        for code in barcodes:
            shipments.receive_scan(s, cb, sh.barcode, code, damage.get(code))
        shipments.finish_receipt(s, cb, sh)
        return sh.barcode


def gate_of(app: Flask, code: str) -> enrollment.Gate:
    with get_db(app).transaction() as s:
        return enrollment.gate_for(s, _user(s, "s01.coord"), code)


def make_eligible(app: Flask, client_as: Any, demo: Demo,
                  damage: dict[str, str] | None = None) -> int:
    """Upload and sign a pathogenic germline VCF, receive both specimens (``damage`` as
    :func:`ship_to_central` takes it), record the criteria; returns the analysis id."""
    path = client_as("pathologist")
    resp = upload(path, mutect2_vcf([germline_stop()]), demo)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    analysis_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    ok = post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                   {"password": "demo-Passw0rd!", "confirm": "yes"})
    assert ok.status_code == 303
    ship_to_central(app, [demo.blood, demo.tumour], damage)
    coord = client_as("s01.coord")
    resp = post_form(coord, f"/genotyping/participants/{demo.participant}/criteria",
                     {**GOOD_CRITERIA, "source": "lab report 2026-11-20"})
    assert resp.status_code == 303
    return analysis_id


def test_pending_is_grouped_by_who_acts_next(app: Flask, client_as: Any, demo: Demo) -> None:
    gate = gate_of(app, demo.participant)
    groups = dict(gate.pending_by_actor())
    # Nothing sequenced yet, the tubes still at the site, the criteria not recorded.
    assert [c.name for c in groups["central_lab"]] == ["men1"]
    assert [c.name for c in groups["site_technician"]] == ["baseline_whole_blood_edta",
                                                           "baseline_ffpe_block"]
    assert len(groups["coordinator"]) == len(gate.missing) - 3
    page = client_as("s01.coord").get(f"/genotyping/participants/{demo.participant}/gate")
    html = page.get_data(as_text=True)
    summary = html[html.index('id="pending-summary"'):html.index('id="pending-all"')]
    assert 'data-next-actor="site_technician"' in summary
    assert "Site technician</strong> (2)" in summary
    assert f"and {len(groups['coordinator']) - 3} more" in summary
    # The full list is there, folded: every missing criterion once.
    assert html.count("data-missing=") == len(gate.missing)
    assert "<details id=\"pending-all\">" in html

    # In transit, the central lab is next for the specimens.
    with get_db(app).transaction() as s:
        tech = _user(s, "s01.tech")
        sh = shipments.create(s, tech, conditions="ambient", courier="SF Express",
                              tracking_number="SF-GATE-2")
        shipments.pack(s, tech, sh, demo.blood)
        shipments.mark_ready(s, tech, sh)
        shipments.ship(s, tech, sh)
    groups = dict(gate_of(app, demo.participant).pending_by_actor())
    assert [c.name for c in groups["central_lab"]] == ["men1", "baseline_whole_blood_edta"]

    zh = client_as("s01.coord")
    post_form(zh, "/language", {"lang": "zh", "next": "/"})
    html = zh.get(f"/genotyping/participants/{demo.participant}/gate").get_data(as_text=True)
    assert "分中心技术员" in html and "中心实验室" in html and "显示全部" in html


def test_a_haemolysed_tube_is_met_with_a_caution(app: Flask, client_as: Any,
                                                 demo: Demo) -> None:
    shipment = ship_to_central(app, [demo.blood, demo.tumour], {demo.blood: "haemolysed"})
    gate = gate_of(app, demo.participant)
    blood = next(c for c in gate.criteria if c.name == "baseline_whole_blood_edta")
    tissue = next(c for c in gate.criteria if c.name == "baseline_ffpe_block")
    assert blood.status == "met" and "haemolysed" in blood.flag and shipment in blood.flag
    assert tissue.status == "met" and tissue.flag == ""
    assert [c.name for c in gate.flagged] == ["baseline_whole_blood_edta"]
    html = client_as("s01.coord").get(
        f"/genotyping/participants/{demo.participant}/gate").get_data(as_text=True)
    row = html[html.index('data-criterion="baseline_whole_blood_edta"'):]
    row = row[:row.index("</tr>")]
    assert 'data-flag="1"' in row and "met, with a caution" in row and "haemolysed" in row
    assert "Met with a caution:" in html
    tissue_row = html[html.index('data-criterion="baseline_ffpe_block"'):]
    assert "✔ met" in tissue_row[:tissue_row.index("</tr>")]
    # The API keeps the caution beside the stable status.
    api = gate.as_dict(lambda t: t)
    flagged = next(c for c in api["criteria"] if c["name"] == "baseline_whole_blood_edta")
    assert flagged["status"] == "met" and "haemolysed" in flagged["flag"]


def test_every_source_is_a_link_to_its_record(app: Flask, client_as: Any, demo: Demo) -> None:
    analysis_id = make_eligible(app, client_as, demo)
    coord = client_as("s01.coord")
    html = coord.get(f"/genotyping/participants/{demo.participant}/gate").get_data(as_text=True)
    assert 'data-decision="eligible"' in html
    links = _LINK.findall(html)
    kinds = {k for _u, k, _t in links}
    assert {"report_version", "file", "specimen", "assessment", "participant"} <= kinds
    # Times in the site's zone, never the stored UTC ISO text.
    table = html[html.index('class="criteria gate"'):html.index("Decision history")]
    assert " CST" in table and not re.search(r"\d{2}:\d{2}:\d{2}\+00:00", table)
    for url, kind, _text in links:
        target, _h, anchor = unescape(url).partition("#")
        resp = coord.get(target)
        assert resp.status_code == 200, (url, resp.status_code)
        body = resp.get_data(as_text=True)
        if kind == "report_version":
            assert target == f"/genotyping/analyses/{analysis_id}"
            assert f'id="{anchor}"' in body and anchor == "version-1"
        elif kind == "file":
            assert f'id="{anchor}"' in body
        elif kind == "specimen":
            barcode = target.rsplit("/", 1)[1]
            assert barcode in (demo.blood, demo.tumour) and barcode in body
        elif kind == "assessment":
            assert "lab report 2026-11-20" in body and "Total bilirubin" in body
            assert "15 umol/L (ULN 21 umol/L)" in body
        elif kind == "participant":
            assert f"Participant {demo.participant}" in body


def test_enrolment_needs_an_eligible_gate(app: Flask, client_as: Any, demo: Demo) -> None:
    with get_db(app).transaction() as s:
        p = s.execute(select(Participant).where(Participant.code == demo.participant)
                      ).scalar_one()
        with pytest.raises(Conflict, match="the enrolment gate says pending"):
            trial.set_screening_status(s, _user(s, "s01.coord"), p, "enrolled")
    with get_db(app).transaction() as s:
        p = s.execute(select(Participant).where(Participant.code == demo.participant)
                      ).scalar_one()
        assert p.screening_status == "screening"
    make_eligible(app, client_as, demo)
    with get_db(app).transaction() as s:
        p = s.execute(select(Participant).where(Participant.code == demo.participant)
                      ).scalar_one()
        trial.set_screening_status(s, _user(s, "s01.coord"), p, "enrolled")
    with get_db(app).transaction() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "participant.status")
                       .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert ev.changes["screening_status"] == ["screening", "enrolled"]
        p = s.execute(select(Participant).where(Participant.code == demo.participant)
                      ).scalar_one()
        decision = enrollment.history(s, p)[0]
        assert ev.changes["gate_decision"] == decision.id and decision.decision == "eligible"
        assert enrollment.enrolment_mismatches(s, [p]) == {}


def test_demo_enrols_no_one_the_gate_has_not_cleared(app: Flask) -> None:
    with get_db(app).transaction() as s:
        coord = _user(s, "admin")
        rows = s.execute(access.participants_query(coord)).scalars().all()
        assert rows and not [p.code for p in rows if p.screening_status == "enrolled"]
        assert enrollment.enrolment_mismatches(s, rows) == {}
        s5 = next(p for p in rows if p.code == "S01-0005")
        assert enrollment.evaluate(s, s5).decision == "pending"


def test_legacy_enrolment_without_eligibility_is_flagged(app: Flask, client_as: Any) -> None:
    # Data from before the rule: the status was set with no gate behind it.
    with get_db(app).transaction() as s:
        s.execute(update(Participant).where(Participant.code == "S01-0005")
                  .values(screening_status="enrolled"))
    coord = client_as("s01.coord")
    listing = coord.get("/participants/").get_data(as_text=True)
    row = listing[listing.index(">S01-0005<"):]
    assert "data-mismatch" in row[:row.index("</tr>")]
    other = listing[listing.index(">S01-0004<"):]
    assert "data-mismatch" not in other[:other.index("</tr>")]
    detail = coord.get("/participants/S01-0005").get_data(as_text=True)
    assert "listed as enrolled, but no gate decision was recorded before enrolment" in detail
    gate = coord.get("/genotyping/participants/S01-0005/gate").get_data(as_text=True)
    assert 'id="enrolment-mismatch"' in gate


def test_an_assessment_of_another_participant_is_not_found(app: Flask, client_as: Any,
                                                         demo: Demo) -> None:
    coord = client_as("s01.coord")
    post_form(coord, f"/genotyping/participants/{demo.participant}/criteria",
              {"age": "40", "source": "clinic note"})
    with get_db(app).transaction() as s:
        a_id = enrollment.latest_assessment(s, s.execute(select(Participant).where(
            Participant.code == demo.participant)).scalar_one())
        assert a_id is not None
        ident = a_id.id
    ok = coord.get(f"/genotyping/participants/{demo.participant}/assessments/{ident}")
    assert ok.status_code == 200 and "clinic note" in ok.get_data(as_text=True)
    assert coord.get(f"/genotyping/participants/S01-0001/assessments/{ident}"
                     ).status_code == 404
    # Another site's coordinator does not see it at all.
    assert client_as("s02.coord").get(
        f"/genotyping/participants/{demo.participant}/assessments/{ident}").status_code == 404
