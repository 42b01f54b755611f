"""PostgreSQL serialization failures (40001) and deadlocks (40P01) on the receipt, storage and
signature paths (issue 15): the request is rerun from a clean session a bounded number of
times, or answered 503 with Retry-After; either way nothing is written twice or half.

The failure is injected where PostgreSQL raises it: the service has done its writes (flushed)
when the statement fails, so a rerun that did not roll back the first attempt would write
twice. Run on both engines (the rerun and the rollback are the application's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg.errors
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from biobank import get_db
from biobank.models import ReportVersion, SpecimenEvent, StoragePosition
from biobank.services import audit, genotyping, shipments, storage
from tests.biobank.helpers import row_counts
from tests.biobank.shipments.helpers import Api, shipped, tubes
from tests.biobank.storage.conftest import make_freezer, received
from tests.conftest import DEMO_PASSWORD, post_form

FAILURES = {"deadlock": psycopg.errors.DeadlockDetected,
            "serialization": psycopg.errors.SerializationFailure}


def flaky(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, failures: int,
          kind: type[Exception]) -> dict[str, int]:
    """``module.name`` does its work, then fails like PostgreSQL ``failures`` times."""
    real: Callable[..., Any] = getattr(module, name)
    calls = {"n": 0}

    def attempt(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        result = real(*args, **kwargs)
        if calls["n"] <= failures:
            raise OperationalError("UPDATE …", {}, kind(f"{kind.__name__} (injected)"))
        return result

    monkeypatch.setattr(module, name, attempt)
    return calls


def _chain_ok(app: Flask) -> None:
    with get_db(app).session(write=False) as s:
        _count, problems = audit.verify(s)
    assert problems == []


def _count(app: Flask, model: Any, *where: Any) -> int:
    with get_db(app).session(write=False) as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


@pytest.fixture
def arriving(app: Flask, api_token: Any) -> tuple[Api, str, str]:
    """A shipped shipment with one tube, its receipt opened by the central technician."""
    (tube,) = tubes(app, 1)
    code = shipped(Api(app, api_token("s01.tech")), [tube], tracking="RETRY-1")
    central = Api(app, api_token("cb.tech"))
    central.ok("POST", f"/shipments/{code}/receipt", {}, 201)
    return central, code, tube


@pytest.mark.parametrize("kind", list(FAILURES))
def test_a_receipt_scan_is_rerun_after_a_conflict(app: Flask, arriving: tuple[Api, str, str],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  kind: str) -> None:
    central, code, tube = arriving
    calls = flaky(monkeypatch, shipments, "receive_scan", 2, FAILURES[kind])
    data = central.ok("POST", f"/shipments/{code}/receipt/scans", {"code": tube})
    assert data["outcome"] == "received" and calls["n"] == 3
    assert _count(app, SpecimenEvent, SpecimenEvent.kind == "receive") == 1
    _chain_ok(app)


def test_a_receipt_scan_that_keeps_conflicting_is_a_503_writing_nothing(
        app: Flask, arriving: tuple[Api, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    central, code, tube = arriving
    before = row_counts(app)
    calls = flaky(monkeypatch, shipments, "receive_scan", 99, FAILURES["deadlock"])
    r = central.client.post(f"/api/v1/shipments/{code}/receipt/scans", json={"code": tube},
                            headers=central.headers)
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.json["error"]["code"] == "conflict_retry"
    assert calls["n"] == 1 + app.config["CONFLICT_RETRIES"]
    assert row_counts(app) == before


def test_the_receipt_page_retries_too(app: Flask, client_as: Any, api_token: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tube,) = tubes(app, 1)
    code = shipped(Api(app, api_token("s01.tech")), [tube], tracking="RETRY-2")
    page = client_as("cb.tech")
    calls = flaky(monkeypatch, shipments, "start_receipt", 1, FAILURES["serialization"])
    r = post_form(page, "/shipments/receive", {"code": code})
    assert r.status_code == 302 and calls["n"] == 2
    _chain_ok(app)


@pytest.mark.parametrize(("failures", "status"), [(1, 200), (99, 503)])
def test_storing_a_tube_retries_or_refuses_cleanly(app: Flask, client_as: Any,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   failures: int, status: int) -> None:
    freezer = make_freezer(app)
    (tube,) = received(app, 1)
    page = client_as("cb.tech")
    before = row_counts(app)
    calls = flaky(monkeypatch, storage, "store", failures, FAILURES["deadlock"])
    r = post_form(page, f"/storage/boxes/{freezer.box}/store", {"code": tube})
    assert r.status_code == status
    if status == 200:
        assert calls["n"] == 2 and _count(app, StoragePosition) == before["storage_positions"] + 1
        _chain_ok(app)
    else:
        assert r.headers["Retry-After"] and row_counts(app) == before


def test_a_signature_is_rerun_and_signs_once(app: Flask, client_as: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.biobank.reliability.test_issue15_defects import _analysis

    path = client_as("pathologist")
    analysis = _analysis(app, path)
    calls = flaky(monkeypatch, genotyping, "sign", 1, FAILURES["serialization"])
    r = post_form(path, f"/genotyping/analyses/{analysis}/sign",
                  {"password": DEMO_PASSWORD, "confirm": "yes"})
    assert r.status_code == 303 and calls["n"] == 2
    assert _count(app, ReportVersion) == 1
    _chain_ok(app)


def test_a_conflict_at_commit_is_a_503_with_retry_after(app: Flask,
                                                        arriving: tuple[Api, str, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    central, code, tube = arriving
    before = row_counts(app)
    real_commit = Session.commit

    def commit(self: Session) -> None:
        if self.info.get("injected"):
            return real_commit(self)
        self.info["injected"] = True
        raise OperationalError("COMMIT", {}, psycopg.errors.SerializationFailure("injected"))

    monkeypatch.setattr(Session, "commit", commit)
    r = central.client.post(f"/api/v1/shipments/{code}/receipt/scans", json={"code": tube},
                            headers=central.headers)
    monkeypatch.undo()
    assert r.status_code == 503 and r.headers["Retry-After"] == "2"
    assert row_counts(app) == before


@pytest.mark.parametrize("kind", list(FAILURES))
def test_a_signature_that_keeps_conflicting_is_a_503_writing_nothing(
        app: Flask, client_as: Any, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Past CONFLICT_RETRIES reruns the pathologist is told to retry; no report version, no
    audit row, no back-off counted (the password was right)."""
    from tests.biobank.reliability.test_issue15_defects import _analysis

    path = client_as("pathologist")
    analysis = _analysis(app, path)
    before = row_counts(app)
    retries = app.config["CONFLICT_RETRIES"]
    calls = flaky(monkeypatch, genotyping, "sign", retries + 1, FAILURES[kind])
    r = post_form(path, f"/genotyping/analyses/{analysis}/sign",
                  {"password": DEMO_PASSWORD, "confirm": "yes"})
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert calls["n"] == retries + 1
    assert row_counts(app) == before
    _chain_ok(app)
    monkeypatch.undo()  # the conflict is over: the same request now signs, once
    done = post_form(path, f"/genotyping/analyses/{analysis}/sign",
                     {"password": DEMO_PASSWORD, "confirm": "yes"})
    assert done.status_code == 303 and _count(app, ReportVersion) == 1
