"""Races on the genotyping report (SQLite and PostgreSQL): several pathologists' sign-outs at
once, then amendments at once. Exactly one winner each time, no 5xx, and the invariants hold
by SQL afterwards: one report per analysis, versions 1..n with no gap or duplicate, one audit
event per signature, an intact audit chain. (The same-label collection race is in
tests/biobank/test_concurrency.py; box positions and shipment receipts are listed in
docs/RELIABILITY.md until those areas land.)"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, GenotypingReport, ReportVersion
from biobank.services import audit
from tests.biobank.genotyping.conftest import (
    demo_specimens,
    germline_stop,
    mutect2_vcf,
    receive_at_central,
    upload,
)
from tests.conftest import DEMO_PASSWORD, csrf_token

N = 6


def _race(clients: list[Any], path: str, data: dict[str, str]) -> list[int]:
    tokens = [csrf_token(c, "/") for c in clients]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def one(c: Any, token: str) -> None:
        barrier.wait()
        statuses.append(c.post(path, data={**data, "csrf_token": token}).status_code)

    threads = [threading.Thread(target=one, args=(c, t)) for c, t in zip(clients, tokens,
                                                                          strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_simultaneous_sign_outs_and_amendments_make_one_version_each(
        app: Any, client_as: Any) -> None:
    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])
    clients = [client_as("pathologist") for _ in range(N)]
    resp = upload(clients[0], mutect2_vcf([germline_stop()]), demo)
    assert resp.status_code == 303
    analysis_id = int(resp.headers["Location"].rsplit("/", 1)[1])

    signed = _race(clients, f"/genotyping/analyses/{analysis_id}/sign",
                   {"password": DEMO_PASSWORD, "confirm": "yes"})
    assert sorted(signed).count(303) == 1, signed
    assert all(s in {303, 409} for s in signed), signed

    with get_db(app).transaction() as s:
        from biobank.models import GenotypingAnalysis

        a = s.get(GenotypingAnalysis, analysis_id)
        assert a is not None
        variant_id = a.variants[0].id
    r = clients[0].post(f"/genotyping/variants/{variant_id}/override",
                        data={"field": "classification", "value": "uncertain_significance",
                              "reason": "race test", "csrf_token": csrf_token(clients[0], "/")})
    assert r.status_code == 303
    amended = _race(clients, f"/genotyping/analyses/{analysis_id}/amend",
                    {"password": DEMO_PASSWORD, "confirm": "yes", "reason": "race test"})
    assert sorted(amended).count(303) == 1, amended
    assert all(s in {303, 409, 422} for s in amended), amended

    with get_db(app).transaction() as s:
        reports = s.execute(select(GenotypingReport).where(
            GenotypingReport.analysis_id == analysis_id)).scalars().all()
        assert len(reports) == 1
        versions = s.execute(select(ReportVersion.version, ReportVersion.amended).where(
            ReportVersion.report_id == reports[0].id).order_by(ReportVersion.version)).all()
        assert [tuple(v) for v in versions] == [(1, False), (2, True)]
        for action in ("genotyping.report_sign", "genotyping.report_amend"):
            assert s.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == action)).scalar() == 1
        assert audit.verify(s)[1] == []
