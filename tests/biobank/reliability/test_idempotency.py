"""A retried API write with the same Idempotency-Key returns the original result, once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, SpecimenEvent
from tests.biobank.helpers import specimen_code
from tests.conftest import csrf_token


def test_retry_returns_the_original_answer(app: Any, api_token: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    h = {"Authorization": f"Bearer {api_token('s01.tech')}", "Idempotency-Key": "retry-1"}
    body = {"action": "dispose", "reason": "tube cracked"}
    c = app.test_client()
    first = c.post(f"/api/v1/specimens/{code}/transitions", headers=h, json=body)
    again = c.post(f"/api/v1/specimens/{code}/transitions", headers=h, json=body)
    assert first.status_code == again.status_code == 200
    assert again.json == first.json and again.headers.get("Idempotent-Replayed") == "true"
    # Without the key the same request is a new one, refused because it is already done.
    plain = {"Authorization": h["Authorization"]}
    assert c.post(f"/api/v1/specimens/{code}/transitions", headers=plain,
                  json=body).status_code == 409
    with get_db(app).transaction() as s:
        n = s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id == code, AuditEvent.action == "specimen.dispose")).scalar()
        assert n == 1


def test_key_reused_for_another_request_is_refused(app: Any, api_token: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    h = {"Authorization": f"Bearer {api_token('s01.tech')}", "Idempotency-Key": "k"}
    c = app.test_client()
    c.post(f"/api/v1/specimens/{code}/transitions", headers=h,
           json={"action": "dispose", "reason": "a"})
    other = c.post(f"/api/v1/specimens/{code}/transitions", headers=h,
                   json={"action": "lose", "reason": "b"})
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"


def test_a_refusal_is_remembered_and_writes_nothing(app: Any, api_token: Any, db: Any) -> None:
    code = specimen_code(db, status="expected", site="S01")
    h = {"Authorization": f"Bearer {api_token('s01.tech')}", "Idempotency-Key": "r-2"}
    c = app.test_client()
    before = db.execute(select(func.count()).select_from(SpecimenEvent)).scalar()
    r1 = c.post(f"/api/v1/specimens/{code}/transitions", headers=h,
                json={"action": "consume", "reason": "x"})
    r2 = c.post(f"/api/v1/specimens/{code}/transitions", headers=h,
                json={"action": "consume", "reason": "x"})
    assert r1.status_code == r2.status_code == 409 and r1.json == r2.json
    db.rollback()
    assert db.execute(select(func.count()).select_from(SpecimenEvent)).scalar() == before


def test_a_scan_screen_resend_is_answered_not_redone(app: Any, client_as: Any,
                                                     db: Any) -> None:
    """The scan queue resends a scan whose answer was lost with the same key: the signed-in
    technician gets the first answer back, and the collection is registered once."""
    code = specimen_code(db, status="expected", site="S01")
    c = client_as("s01.tech")
    form = {"code": code, "csrf_token": csrf_token(c, "/scan")}
    h = {"HX-Request": "true", "Idempotency-Key": "scan-page-1"}
    first = c.post("/scan", data=form, headers=h)
    again = c.post("/scan", data=form, headers=h)
    assert first.status_code == again.status_code == 200
    assert 'data-outcome="collected"' in first.get_data(as_text=True)
    assert again.get_data() == first.get_data()
    assert again.headers.get("Idempotent-Replayed") == "true"
    # A new key is a new scan: the tube is found, not collected twice.
    third = c.post("/scan", data=form, headers={**h, "Idempotency-Key": "scan-page-2"})
    assert 'data-outcome="found"' in third.get_data(as_text=True)
    with get_db(app).transaction() as s:
        n = s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id == code, AuditEvent.action == "specimen.collect")).scalar()
        assert n == 1


def test_a_refused_scan_screen_answer_is_remembered(app: Any, client_as: Any, db: Any) -> None:
    """A scan screen shows its refusals with 200 (for htmx): the refusal is still the answer
    kept for the key, and nothing else is written."""
    code = specimen_code(db, status="expected", site="S01")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    c = client_as("s01.tech")
    form = {"code": bad, "csrf_token": csrf_token(c, "/scan")}
    h = {"HX-Request": "true", "Idempotency-Key": "scan-page-bad"}
    first = c.post("/scan", data=form, headers=h)
    again = c.post("/scan", data=form, headers=h)
    assert 'data-outcome="bad_check"' in first.get_data(as_text=True)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_data() == first.get_data()
