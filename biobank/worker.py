"""Worker processes: they take classification jobs from the queue and run them.

``flask --app biobank worker`` runs huey's consumer (one job at a time per worker process; more
with ``--processes``) and a reaper thread. Like a request, the worker is the one place that
commits: each step of a job is its own short transaction, and the engine runs with no
transaction open.

One attempt of a job (:func:`run_job`):
claim (attempt + 1, lease) → heartbeat thread extends the lease → read the inputs → engine →
store the result in a transaction that first checks the lease. A refusal by the engine (a bad
VCF) fails the job at once; an unexpected error uses up the attempt and queues it again; a
worker that dies leaves its lease to expire, and the reaper (in every worker) queues the job
again or fails it once its attempts are used up.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from typing import Any

from flask import Flask

from . import get_db
from .db import Database
from .errors import ValidationError
from .queue import queue_for
from .services import genotyping, jobs

log = logging.getLogger("biobank.worker")


def lease_of(app: Flask) -> timedelta:
    return timedelta(seconds=float(app.config["JOBS_LEASE_SECONDS"]))


class Heartbeat:
    """Extends a claim's lease every third of its length until stopped; notes a lost lease."""

    def __init__(self, db: Database, claim: jobs.Claim, lease: timedelta) -> None:
        self.db, self.claim, self.lease = db, claim, lease
        self.stopped = threading.Event()
        self.lost = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"heartbeat-{claim.job_id}")

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def _run(self) -> None:
        while not self.stopped.wait(self.lease.total_seconds() / 3):
            try:
                with self.db.transaction() as s:
                    held = jobs.extend_lease(s, self.claim, self.lease)
            except Exception as exc:  # the database may be back at the next beat
                log.warning("heartbeat of job %d failed: %s", self.claim.job_id,
                            type(exc).__name__)
                continue
            if not held:
                self.lost.set()
                return


def _missing(ci: genotyping.ClassifyInput) -> list[str]:
    return [ci.names.get(path, os.path.basename(path)) for path, _role in ci.files
            if not os.path.exists(path)]


def run_job(app: Flask, job_id: int) -> None:
    """One attempt of job ``job_id``, if it can be claimed (else the message was stale)."""
    db = get_db(app)
    lease = lease_of(app)
    with db.transaction() as s:
        claim = jobs.claim(s, job_id, jobs.worker_name(), lease)
    if claim is None:
        log.info("job %d: nothing to claim (already taken, done or failed)", job_id)
        return
    log.info("job %d attempt %d of %d started", job_id, claim.attempt, claim.max_attempts)
    try:
        with Heartbeat(db, claim, lease):
            _attempt(app, db, claim)
        log.info("job %d attempt %d finished", job_id, claim.attempt)
    except jobs.LeaseLost:
        log.warning("job %d attempt %d lost its lease; its outcome was not stored",
                    job_id, claim.attempt)
    except Exception as exc:  # a bug or a lost database: this attempt is used up
        log.exception("job %d attempt %d crashed", job_id, claim.attempt)
        try:
            with db.transaction() as s:
                jobs.check_lease(s, claim)
                jobs.attempt_failed(s, claim, f"internal error ({type(exc).__name__})")
        except jobs.LeaseLost:
            pass


def _attempt(app: Flask, db: Database, claim: jobs.Claim) -> None:
    from .web.genotyping import settings

    conf = settings(app)
    read = db.session(write=False)
    try:
        ci = genotyping.classify_input(read, claim.job_id, conf.upload_dir)
    finally:
        read.close()
    missing = _missing(ci)
    if missing:
        with db.transaction() as s:
            jobs.check_lease(s, claim)
            genotyping.store_failure(
                s, claim.job_id,
                f"the uploaded file {', '.join(missing)} is not in this worker's upload store: "
                "every app server and worker must share the same UPLOAD_DIR; upload the file "
                "again to restore it")
        return
    _progress(db, claim, 20, "reading and classifying the VCF")
    try:
        result = genotyping.run_engine(ci, conf.max_decompressed,
                                       known_variants=conf.known_variants)
    except ValidationError as exc:  # the engine's refusal: running it again cannot help
        with db.transaction() as s:
            jobs.check_lease(s, claim)
            genotyping.store_failure(s, claim.job_id, exc.message)
        return
    _progress(db, claim, 90, "storing the results")
    with db.transaction() as s:
        jobs.check_lease(s, claim)
        genotyping.store_result(s, claim.job_id, result)


def _progress(db: Database, claim: jobs.Claim, pct: int, step: str) -> None:
    with db.transaction() as s:
        if not jobs.set_progress(s, claim, pct, step):
            raise jobs.LeaseLost(f"job {claim.job_id} attempt {claim.attempt}")


# ---------------------------------------------------------------------------------------------
# The reaper: in every worker, every half lease
# ---------------------------------------------------------------------------------------------
def reap_once(app: Flask) -> list[int]:
    resend = timedelta(seconds=float(app.config["JOBS_RESEND_SECONDS"]))
    with get_db(app).transaction() as s:
        return jobs.reap(s, resend_after=resend)


class Reaper:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="reaper")

    def start(self) -> Reaper:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()

    def _run(self) -> None:
        interval = float(self.app.config["JOBS_LEASE_SECONDS"]) / 2
        while True:
            try:
                sent = reap_once(self.app)
                if sent:
                    log.info("reaper: %d job(s) sent to the queue again", len(sent))
            except Exception as exc:  # the database may be back next time
                log.warning("reaper failed: %s", type(exc).__name__)
            if self.stopped.wait(interval):
                return


# ---------------------------------------------------------------------------------------------
# Running the consumer
# ---------------------------------------------------------------------------------------------
def _consumer_options(app: Flask, workers: int, worker_type: str) -> dict[str, Any]:
    return {
        "workers": workers, "worker_type": worker_type, "periodic": False,
        "initial_delay": 0.05, "backoff": 1.3,
        "max_delay": float(app.config["QUEUE_POLL_SECONDS"]),
    }


def run(app: Flask, processes: int = 1) -> None:
    """The worker command: huey's consumer in this process (signals: TERM/INT stop after the
    running job, HUP restarts), ``processes`` worker processes (1: a thread of this one)."""
    queue = queue_for(app)
    huey = queue.huey

    @huey.on_startup()
    def _fresh_pool() -> None:
        # A forked worker process must not share the parent's database connections.
        if processes > 1:
            get_db(app).engine.dispose(close=False)

    reaper = Reaper(app).start()
    consumer = huey.create_consumer(**_consumer_options(
        app, processes, "process" if processes > 1 else "thread"))
    try:
        consumer.run()
    finally:
        reaper.stop()


class InProcessWorker:
    """The consumer's threads inside this process, with its reaper: for tests (and anything
    else that cannot start a worker process). ``stop()`` waits for the running job."""

    def __init__(self, app: Flask, threads: int = 1) -> None:
        from huey.consumer import Consumer

        class _Quiet(Consumer):
            def _set_signal_handlers(self) -> None:
                pass  # the host process keeps its own signal handling

        self.consumer = _Quiet(queue_for(app).huey,
                               **_consumer_options(app, threads, "thread"))
        self.reaper = Reaper(app)

    def start(self) -> InProcessWorker:
        self.consumer.start()
        self.reaper.start()
        return self

    def stop(self) -> None:
        self.reaper.stop()
        self.consumer.stop(graceful=True)
