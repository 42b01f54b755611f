"""Races that a busy bench produces, on real databases: exactly one winner, no 5xx."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, Specimen, SpecimenEvent
from tests.biobank.helpers import specimen_code

N = 8


def _race(app: Any, token: str, code: str) -> list[tuple[int, str]]:
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(N)

    def one() -> None:
        c = app.test_client()
        barrier.wait()
        r = c.post("/api/v1/scan", json={"code": code},
                   headers={"Authorization": f"Bearer {token}"})
        results.append((r.status_code, (r.json or {}).get("outcome", "")))

    threads = [threading.Thread(target=one) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_same_label_scanned_at_once_collects_once(app: Any, api_token: Any) -> None:
    with get_db(app).transaction() as s:
        code = specimen_code(s, status="expected", site="S01")
    token = api_token("s01.tech")
    results = _race(app, token, code)
    assert all(status == 200 for status, _ in results), results
    assert sorted(o for _, o in results).count("collected") == 1
    with get_db(app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
        assert sp.status == "collected"
        assert s.execute(select(func.count()).select_from(SpecimenEvent).where(
            SpecimenEvent.specimen_id == sp.id, SpecimenEvent.kind == "collect")).scalar() == 1
        assert s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id == code, AuditEvent.action == "specimen.collect")).scalar() == 1
