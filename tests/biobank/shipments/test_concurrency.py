"""Races on a real database: N technicians opening the same receipt, the same tube scanned N
times at once, N finishes of one receipt — exactly one winner, clean 409s, intact invariants."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import (
    AuditEvent,
    Shipment,
    ShipmentItem,
    ShipmentReceipt,
    Specimen,
    SpecimenEvent,
    User,
)
from biobank.services import audit, users
from tests.conftest import DEMO_PASSWORD

from .helpers import Api, shipped, tubes

N = 8


def _central_tokens(app: Flask, n: int) -> list[str]:
    out = []
    with get_db(app).transaction() as s:
        for i in range(n):
            u = users.create_user(s, None, username=f"cb.race{i}", display_name=f"Race {i}",
                                  role="technician", site_code="CB", password=DEMO_PASSWORD)
            out.append(users.create_token(s, u, u, "race")[0])
    return out


def _race(app: Flask, calls: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Run each (token, path, body) POST in its own thread, all released at once."""
    results: list[tuple[int, Any]] = []
    barrier = threading.Barrier(len(calls))

    def one(token: str, path: str, body: dict[str, Any]) -> None:
        c = app.test_client()
        barrier.wait()
        r = c.post("/api/v1" + path, json=body, headers={"Authorization": f"Bearer {token}"})
        results.append((r.status_code, r.get_json(silent=True)))

    threads = [threading.Thread(target=one, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_n_technicians_receive_the_same_shipment(app: Flask, api_token: Any) -> None:
    assert get_db(app).engine.dialect.name == "postgresql"
    codes = tubes(app, 3)
    code = shipped(Api(app, api_token("s01.tech")), codes)
    tokens = _central_tokens(app, N)

    opened = _race(app, [(tok, f"/shipments/{code}/receipt", {}) for tok in tokens])
    statuses = sorted(s for s, _ in opened)
    assert statuses == [201] + [409] * (N - 1), opened
    assert all(b["error"]["code"] in {"receipt_open", "constraint"}
               for s, b in opened if s == 409)
    receiver = next(b for s, b in opened if s == 201)["receiver"]
    token = tokens[int(receiver.removeprefix("cb.race"))]

    # The same tube scanned N times at once by the receiver (double reads, retries).
    scans = _race(app, [(token, f"/shipments/{code}/receipt/scans", {"code": codes[0]})] * N)
    assert all(s == 200 for s, _ in scans), scans
    assert sorted(b["outcome"] for _, b in scans) == ["duplicate"] * (N - 1) + ["received"]
    # The losers' tube scans are refused.
    loser = next(t for t in tokens if t != token)
    assert Api(app, loser).call("POST", f"/shipments/{code}/receipt/scans",
                                {"code": codes[1]})[0] == 409

    finishes = _race(app, [(token, f"/shipments/{code}/receipt/finish", {})] * N)
    assert sorted(s for s, _ in finishes) == [200] + [409] * (N - 1), finishes

    with get_db(app).transaction() as s:
        sh = s.execute(select(Shipment).where(Shipment.barcode == code)).scalar_one()
        assert sh.status == "partially_received"
        assert s.execute(select(func.count()).select_from(ShipmentReceipt).where(
            ShipmentReceipt.shipment_id == sh.id)).scalar() == 1
        assert s.execute(select(func.count()).select_from(ShipmentItem).where(
            ShipmentItem.shipment_id == sh.id)).scalar() == 3
        sp = s.execute(select(Specimen).where(Specimen.barcode == codes[0])).scalar_one()
        assert sp.status == "received" and sp.site.code == "CB"
        assert s.execute(select(func.count()).select_from(SpecimenEvent).where(
            SpecimenEvent.specimen_id == sp.id, SpecimenEvent.kind == "receive")).scalar() == 1
        assert s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id == code, AuditEvent.action == "shipment.receipt_start")
        ).scalar() == 1
        n, problems = audit.verify(s)
        assert problems == [] and n > 0
        assert s.execute(select(User).where(User.username == receiver)).scalar_one()


def test_same_tube_twice_in_a_row_is_one_event(app: Flask, api_token: Any) -> None:
    """On both engines: a retried request after success writes nothing."""
    (t,) = tubes(app, 1)
    code = shipped(Api(app, api_token("s01.tech")), [t])
    cb = Api(app, api_token("cb.tech"))
    cb.ok("POST", f"/shipments/{code}/receipt", {}, 201)
    # Reopening one's own receipt (a page reload) is fine and creates nothing.
    cb.ok("POST", f"/shipments/{code}/receipt", {}, 201)
    outcomes = [cb.ok("POST", f"/shipments/{code}/receipt/scans", {"code": t})["outcome"]
                for _ in range(3)]
    assert outcomes == ["received", "duplicate", "duplicate"]
    with get_db(app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == t)).scalar_one()
        assert s.execute(select(func.count()).select_from(SpecimenEvent).where(
            SpecimenEvent.specimen_id == sp.id, SpecimenEvent.kind == "receive")).scalar() == 1
