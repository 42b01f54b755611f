"""The embedded default (``make run``: SQLite, the queue in instance/queue.db) with the
documented worker command, ``flask --app … worker``, as a real process killed with SIGKILL in
the middle of a classification (issue 18).

This is the failure the issue measured: a process killed while it classified left the job
``running`` for good. huey's SQLite storage loses the in-flight message with the process, so
what brings the job back is the job table (the lease expires, a restarted worker's reaper
queues it again) — exactly what these tests exercise:

- killed once, the restarted worker classifies it (attempt 2), stored once;
- killed on every attempt, the job fails with a visible reason after ``JOBS_MAX_ATTEMPTS``
  attempts, and the pathologist's retry from the page classifies it, stored once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, ClassificationJob, GenotypingVariant
from biobank.queue import queue_url
from biobank.services import audit
from tests.biobank.genotyping.conftest import (
    demo_specimens,
    germline_stop,
    mutect2_vcf,
    receive_at_central,
    upload,
)
from tests.conftest import make_app, post_form

from .test_killed_worker import ROOT

LEASE_SECONDS = 3
#: The step the worker is in while the engine runs (biobank/worker.py): killed there, it is
#: killed in the middle of the classification, not before or after it.
CLASSIFYING = "reading and classifying the VCF"


class Embedded:
    """One SQLite database and instance folder shared by this test's app (uploads, pages) and
    the worker processes it starts and kills."""

    def __init__(self, sqlite_template: Path, tmp_path: Path) -> None:
        import shutil

        db = tmp_path / "biobank.db"
        shutil.copy(sqlite_template, db)
        self.url = f"sqlite:///{db}"
        self.tmp = tmp_path
        self.app: Flask = make_app(self.url, tmp_path, GENOTYPING_INLINE_MAX_BYTES=0,
                                   JOBS_MAX_ATTEMPTS=2)
        self.instance = Path(self.app.instance_path)
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_worker(self, engine_delay: float) -> subprocess.Popen[bytes]:
        flask = str(Path(sys.executable).with_name("flask"))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BIOBANK_DATABASE_URL": self.url,
               "BIOBANK_SECRET_KEY": "t", "DEPLOY_INSTANCE": str(self.instance),
               "BIOBANK_JOBS_LEASE_SECONDS": str(LEASE_SECONDS),
               "BIOBANK_QUEUE_POLL_SECONDS": "0.2",
               "ENGINE_DELAY_SECONDS": str(engine_delay)}
        log = (self.tmp / f"worker{len(self.workers)}.log").open("wb")
        proc = subprocess.Popen(
            [flask, "--app", "tests.biobank.reliability.deploy_procs:slow", "worker"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(proc)
        return proc

    def job(self, analysis_id: int) -> ClassificationJob:
        with get_db(self.app).transaction() as s:
            job = s.execute(select(ClassificationJob)
                            .where(ClassificationJob.analysis_id == analysis_id)).scalar_one()
            s.expunge(job)
            return job

    def wait(self, analysis_id: int, ok: Any, what: str, timeout: float = 90) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(analysis_id)
            if ok(job):
                return job
            for proc in self.workers:
                assert proc.poll() in (None, -signal.SIGKILL), self.logs()
            assert time.monotonic() < deadline, f"{what}: {job.state} {job.step}\n{self.logs()}"
            time.sleep(0.05)

    def kill_mid_classification(self, analysis_id: int, proc: subprocess.Popen[bytes],
                                attempt: int) -> None:
        """Wait until ``proc`` runs ``attempt`` inside the engine, then SIGKILL it."""
        job = self.wait(analysis_id, lambda j: (
            j.state == "running" and j.attempt == attempt and j.step == CLASSIFYING
            and f":{proc.pid}:" in (j.lease_owner or "")),
            f"worker {proc.pid} never classified attempt {attempt}")
        # The page shows the progress of the running attempt.
        page = self.client("pathologist").get(
            f"/genotyping/analyses/{analysis_id}/job").get_data(as_text=True)
        assert 'data-state="running"' in page and f'value="{job.progress}"' in page
        # Classification is batch work: it runs below the app's CPU priority (WORKER_NICE 10).
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == \
            min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        # Nothing cleaned up after it: the job is still "running" under the dead lease.
        dead = self.job(analysis_id)
        assert (dead.state, dead.attempt) == ("running", attempt)
        assert f":{proc.pid}:" in (dead.lease_owner or "")

    def client(self, username: str) -> Any:
        from tests.conftest import login

        c = self.app.test_client()
        assert login(c, username).status_code == 302
        return c

    def upload(self) -> int:
        demo = demo_specimens(self.app)
        receive_at_central(self.app, [demo.blood, demo.tumour])
        resp = upload(self.client("pathologist"), mutect2_vcf([germline_stop()]), demo)
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
        with get_db(self.app).transaction() as s:
            return int(s.execute(select(ClassificationJob.analysis_id)).scalar_one())

    def count(self, analysis_id: int, action: str) -> int:
        with get_db(self.app).transaction() as s:
            return int(s.execute(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == action,
                AuditEvent.entity_id == str(analysis_id))).scalar_one())

    def stored_once(self, analysis_id: int) -> None:
        assert self.count(analysis_id, "genotyping.classified") == 1
        with get_db(self.app).transaction() as s:
            assert s.execute(select(func.count()).select_from(GenotypingVariant).where(
                GenotypingVariant.analysis_id == analysis_id)).scalar_one() == 1
            count, problems = audit.verify(s)
        assert problems == [] and count > 0

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:]
                         for p in sorted(self.tmp.glob("worker*.log")))

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.terminate()  # TERM: the consumer stops after its running job
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        get_db(self.app).dispose()


@pytest.fixture
def embedded(sqlite_template: Path, tmp_path: Path) -> Any:
    env = Embedded(sqlite_template, tmp_path)
    # The embedded default: the queue is a SQLite file in the instance folder.
    assert queue_url(env.app.config, env.app.instance_path) == \
        f"sqlite:///{env.instance / 'queue.db'}"
    yield env
    env.close()


def test_a_worker_killed_mid_classification_is_replaced_by_a_restarted_one(
        embedded: Embedded) -> None:
    analysis_id = embedded.upload()
    first = embedded.start_worker(engine_delay=120)
    embedded.kill_mid_classification(analysis_id, first, attempt=1)

    # "make run" again: a new worker process on the same SQLite files, no one touching the job.
    embedded.start_worker(engine_delay=0)
    done = embedded.wait(analysis_id, lambda j: j.state in ("done", "failed"),
                         "the restarted worker never finished the job")
    assert (done.state, done.attempt, done.error) == ("done", 2, None)
    assert embedded.count(analysis_id, "genotyping.classification_requeued") == 1
    embedded.stored_once(analysis_id)
    assert (embedded.instance / "queue.db").exists()


def test_killed_on_every_attempt_it_fails_with_its_reason_and_is_retried_from_its_page(
        embedded: Embedded) -> None:
    analysis_id = embedded.upload()
    for attempt in (1, 2):  # JOBS_MAX_ATTEMPTS = 2
        worker = embedded.start_worker(engine_delay=120)
        embedded.kill_mid_classification(analysis_id, worker, attempt=attempt)

    embedded.start_worker(engine_delay=0)
    failed = embedded.wait(analysis_id, lambda j: j.state != "running",
                           "the dead worker's last attempt was never reaped")
    assert (failed.state, failed.attempt, failed.max_attempts) == ("failed", 2, 2)
    assert "stopped answering" in (failed.error or "")
    assert "attempt 2 of 2" in (failed.error or "")
    assert embedded.count(analysis_id, "genotyping.classified") == 0

    pathologist = embedded.client("pathologist")
    page = pathologist.get(f"/genotyping/analyses/{analysis_id}").get_data(as_text=True)
    assert 'data-state="failed"' in page and "stopped answering" in page
    assert 'id="retry-form"' in page

    resp = post_form(pathologist, f"/genotyping/analyses/{analysis_id}/retry", {})
    assert resp.status_code == 303
    done = embedded.wait(analysis_id, lambda j: j.state in ("done", "failed"),
                         "the retried job was never classified")
    assert (done.state, done.attempt, done.max_attempts) == ("done", 3, 4)
    assert embedded.count(analysis_id, "genotyping.classification_retry") == 1
    embedded.stored_once(analysis_id)
