"""Classification jobs that outlive processes: the job table's claims, leases, attempts and the
reaper decide who runs what, whatever the queue does with its messages (issue 18)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, ClassificationJob, GenotypingVariant
from biobank.services import audit, jobs
from biobank.worker import InProcessWorker, reap_once, run_job
from tests.conftest import post_form

from .conftest import Demo, germline_stop, mutect2_vcf, receive_at_central, upload

LEASE = timedelta(seconds=30)


@pytest.fixture
def queued(app: Flask, api_token: Any, demo: Demo) -> Any:
    """Upload → a queued job (no worker running yet); returns a function that uploads one."""
    app.config["GENOTYPING_INLINE_MAX_BYTES"] = 0
    receive_at_central(app, [demo.blood, demo.tumour])
    token = api_token("pathologist")

    def make(content: bytes | None = None) -> int:
        resp = upload(app.test_client(), content or mutect2_vcf([germline_stop()]), demo,
                      api_token=token)
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["state"] == "queued"
        return int(resp.get_json()["id"])

    return make


def job_of(app: Flask, analysis_id: int) -> ClassificationJob:
    with get_db(app).transaction() as s:
        job = s.execute(select(ClassificationJob)
                        .where(ClassificationJob.analysis_id == analysis_id)).scalar_one()
        s.expunge(job)
        return job


def wait_state(app: Flask, analysis_id: int, states: set[str], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = job_of(app, analysis_id)
        if job.state in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job never reached {states}: {job.state} {job.step}")


def events(app: Flask, analysis_id: int, action: str) -> int:
    with get_db(app).transaction() as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.entity_id == str(analysis_id))).scalar_one())


def variants(app: Flask, analysis_id: int) -> int:
    with get_db(app).transaction() as s:
        return int(s.execute(select(func.count()).select_from(GenotypingVariant).where(
            GenotypingVariant.analysis_id == analysis_id)).scalar_one())


def claim_as_dead_worker(app: Flask, job_id: int, lease: timedelta) -> jobs.Claim:
    with get_db(app).transaction() as s:
        c = jobs.claim(s, job_id, "deadhost:1:0000", lease)
    assert c is not None
    return c


def expire(app: Flask, job_id: int) -> None:
    from sqlalchemy import update

    from biobank.models import utcnow

    with get_db(app).transaction() as s:
        s.execute(update(ClassificationJob).where(ClassificationJob.id == job_id)
                  .values(lease_expires_at=utcnow() - timedelta(seconds=1)))


def test_a_dead_workers_job_is_retried_and_classified_once(app: Flask, queued: Any) -> None:
    analysis_id = queued()
    job = job_of(app, analysis_id)
    claim_as_dead_worker(app, job.id, LEASE)  # the worker that took it then died (kill -9)
    # Its lease has not expired: another worker leaves it alone.
    run_job(app, job.id)
    assert job_of(app, analysis_id).state == "running"
    assert reap_once(app) == []
    expire(app, job.id)
    worker = InProcessWorker(app).start()
    try:
        done = wait_state(app, analysis_id, {"done", "failed"})
    finally:
        worker.stop()
    assert (done.state, done.attempt, done.error) == ("done", 2, None)
    assert events(app, analysis_id, "genotyping.classification_requeued") == 1
    assert events(app, analysis_id, "genotyping.classified") == 1
    assert variants(app, analysis_id) == 1
    with get_db(app).transaction() as s:
        assert audit.verify(s)[1] == []


def test_attempts_run_out_then_the_job_fails_with_its_reason(app: Flask, queued: Any,
                                                           client_as: Any) -> None:
    analysis_id = queued()
    job = job_of(app, analysis_id)
    for attempt in (1, 2, 3):
        c = claim_as_dead_worker(app, job.id, LEASE)
        assert c.attempt == attempt
        expire(app, job.id)
        reap_once(app)
    failed = job_of(app, analysis_id)
    assert failed.state == "failed" and failed.attempt == 3
    assert "stopped answering" in (failed.error or "")
    assert "attempt 3 of 3" in (failed.error or "")
    assert jobs_claim_refused(app, job.id)
    page = client_as("pathologist").get(f"/genotyping/analyses/{analysis_id}")
    html = page.get_data(as_text=True)
    assert 'data-state="failed"' in html and "stopped answering" in html
    assert 'id="retry-form"' in html
    assert 'id="retry-form"' not in client_as("s01.coord").get(
        f"/genotyping/analyses/{analysis_id}").get_data(as_text=True)


def jobs_claim_refused(app: Flask, job_id: int) -> bool:
    with get_db(app).transaction() as s:
        return jobs.claim(s, job_id, "late:1:0", LEASE) is None


def test_a_failed_analysis_is_retried_from_its_page(app: Flask, queued: Any,
                                                    client_as: Any) -> None:
    analysis_id = queued()
    job = job_of(app, analysis_id)
    for _ in range(3):
        claim_as_dead_worker(app, job.id, LEASE)
        expire(app, job.id)
        reap_once(app)
    assert job_of(app, analysis_id).state == "failed"
    page = client_as("pathologist")
    resp = post_form(page, f"/genotyping/analyses/{analysis_id}/retry", {})
    assert resp.status_code == 303
    again = job_of(app, analysis_id)
    assert (again.state, again.attempt, again.max_attempts, again.error) == ("queued", 3, 6, None)
    fragment = page.get(f"/genotyping/analyses/{analysis_id}/job").get_data(as_text=True)
    assert 'data-state="queued"' in fragment and "attempt 4 of 6" in fragment
    worker = InProcessWorker(app).start()
    try:
        done = wait_state(app, analysis_id, {"done", "failed"})
    finally:
        worker.stop()
    assert (done.state, done.attempt) == ("done", 4)
    assert events(app, analysis_id, "genotyping.classification_retry") == 1
    assert events(app, analysis_id, "genotyping.classified") == 1
    # Retrying what is not failed is a clear 409.
    resp = post_form(page, f"/genotyping/analyses/{analysis_id}/retry", {})
    assert resp.status_code == 409
    assert "only a failed classification can be retried" in resp.get_data(as_text=True)


def test_a_failed_analysis_is_retried_by_uploading_the_same_files(
        app: Flask, queued: Any, api_token: Any, demo: Demo) -> None:
    content = mutect2_vcf([germline_stop()])
    analysis_id = queued(content)
    job = job_of(app, analysis_id)
    for _ in range(3):
        claim_as_dead_worker(app, job.id, LEASE)
        expire(app, job.id)
        reap_once(app)
    token = api_token("pathologist")
    resp = upload(app.test_client(), content, demo, api_token=token)
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["id"], body["state"], body["attempt"], body["max_attempts"]) == (
        analysis_id, "queued", 3, 6)
    worker = InProcessWorker(app).start()
    try:
        assert wait_state(app, analysis_id, {"done", "failed"}).state == "done"
    finally:
        worker.stop()
    # The API's retry answers 409 now that it is done.
    r = app.test_client().post(f"/api/v1/genotyping/analyses/{analysis_id}/retry",
                               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_failed"


def test_a_worker_that_lost_its_lease_stores_nothing(app: Flask, queued: Any) -> None:
    """A worker paused past its lease (then woken) must not store a second result."""
    analysis_id = queued()
    job = job_of(app, analysis_id)
    first = claim_as_dead_worker(app, job.id, LEASE)
    expire(app, job.id)
    reap_once(app)
    with get_db(app).transaction() as s:
        second = jobs.claim(s, job.id, "other:2:0", LEASE)
    assert second is not None and second.attempt == 2
    with pytest.raises(jobs.LeaseLost), get_db(app).transaction() as s:
        jobs.check_lease(s, first)
    with get_db(app).transaction() as s:
        assert not jobs.extend_lease(s, first, LEASE)
        assert not jobs.set_progress(s, first, 50, "x")
        assert jobs.extend_lease(s, second, LEASE)


def test_a_lost_message_is_sent_again(app: Flask, queued: Any) -> None:
    """The queue lost the message (or the process died between commit and send): the job is
    still queued in the table, and the reaper sends it again."""
    app.config["JOBS_RESEND_SECONDS"] = 0
    analysis_id = queued()
    from biobank.queue import queue_for

    queue_for(app).huey.flush()  # every message gone
    assert queue_for(app).huey.pending_count() == 0
    worker = InProcessWorker(app).start()
    try:
        assert wait_state(app, analysis_id, {"done", "failed"}).state == "done"
    finally:
        worker.stop()


def test_a_file_missing_from_the_store_fails_the_job_with_that_reason(
        app: Flask, queued: Any) -> None:
    analysis_id = queued()
    uploads = os.path.join(app.instance_path, "uploads")
    for name in os.listdir(uploads):
        os.unlink(os.path.join(uploads, name))
    worker = InProcessWorker(app).start()
    try:
        failed = wait_state(app, analysis_id, {"done", "failed"})
    finally:
        worker.stop()
    assert failed.state == "failed" and failed.attempt == 1
    assert "pair.vcf is not in this worker's upload store" in (failed.error or "")
    assert "UPLOAD_DIR" in (failed.error or "")


def test_an_unexpected_error_uses_up_an_attempt(app: Flask, queued: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from biobank.services import genotyping

    calls = []
    real = genotyping.run_engine

    def flaky(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(*args, **kw)

    monkeypatch.setattr(genotyping, "run_engine", flaky)
    analysis_id = queued()
    worker = InProcessWorker(app).start()
    try:
        done = wait_state(app, analysis_id, {"done", "failed"})
    finally:
        worker.stop()
    assert (done.state, done.attempt, len(calls)) == ("done", 2, 2)
    assert events(app, analysis_id, "genotyping.classification_requeued") == 1
    assert events(app, analysis_id, "genotyping.classified") == 1


def test_the_heartbeat_keeps_a_long_classification_alive(app: Flask, queued: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A classification longer than the lease is not taken for a dead worker's: the heartbeat
    pushes the expiry forward, so the reaper leaves it alone and it finishes on attempt 1."""
    import threading

    from biobank.models import utcnow
    from biobank.services import genotyping

    app.config["JOBS_LEASE_SECONDS"] = 3
    entered, release = threading.Event(), threading.Event()
    real = genotyping.run_engine

    def long_engine(*args: Any, **kw: Any) -> Any:
        entered.set()
        assert release.wait(60)
        return real(*args, **kw)

    monkeypatch.setattr(genotyping, "run_engine", long_engine)
    analysis_id = queued()
    job_id = job_of(app, analysis_id).id
    runner = threading.Thread(target=run_job, args=(app, job_id))
    runner.start()
    try:
        assert entered.wait(30)
        first_expiry = job_of(app, analysis_id).lease_expires_at
        assert first_expiry is not None
        # Wait (no timing assert: only for the state) until the claim's own lease is over and
        # the job's expiry, extended by the heartbeat, is still ahead.
        deadline = time.monotonic() + 60
        while True:
            job = job_of(app, analysis_id)
            now = utcnow()
            if now > first_expiry and job.lease_expires_at is not None and \
                    job.lease_expires_at > now + timedelta(seconds=1):
                break
            assert time.monotonic() < deadline, "the heartbeat never extended the lease"
            time.sleep(0.05)
        assert reap_once(app) == []
        assert (job_of(app, analysis_id).state, job_of(app, analysis_id).attempt) == (
            "running", 1)
    finally:
        release.set()
        runner.join(60)
    done = job_of(app, analysis_id)
    assert (done.state, done.attempt) == ("done", 1)
    assert events(app, analysis_id, "genotyping.classification_requeued") == 0
    assert events(app, analysis_id, "genotyping.classified") == 1


def test_a_message_delivered_twice_runs_the_job_once(app: Flask, queued: Any) -> None:
    """A queue may deliver a message twice (or a resend crosses the first): two worker threads
    take the copies, the claim lets one of them run the attempt, the result is stored once."""
    from biobank.queue import queue_for

    analysis_id = queued()
    job_id = job_of(app, analysis_id).id
    queue_for(app).send([job_id, job_id])  # three messages for one job
    assert queue_for(app).pending() == 3
    worker = InProcessWorker(app, threads=2).start()
    try:
        done = wait_state(app, analysis_id, {"done", "failed"})
        deadline = time.monotonic() + 30
        while queue_for(app).pending():  # every copy taken (the extra ones found nothing)
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        worker.stop()
    assert (done.state, done.attempt) == ("done", 1)
    assert events(app, analysis_id, "genotyping.classified") == 1
    assert variants(app, analysis_id) == 1
