"""A small in-process job runner: a thread pool owned by the app, state in the database.

The request that creates a job commits it; the worker claims it with a conditional UPDATE
(``queued`` → ``running``), so a job whose creating request rolled back is never run, and a
job is never run twice. Each step commits its own short transaction so progress is visible.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import update

from ..db import Database
from ..models import ClassificationJob, utcnow

log = logging.getLogger("biobank.jobs")

CLAIM_WAIT_SECONDS = 10.0


class JobRunner:
    def __init__(self, db: Database, workers: int = 2) -> None:
        self.db = db
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="biobank-job")

    def submit(self, job_id: int, work: Callable[[int], None]) -> Future[None]:
        """Run ``work(job_id)`` in a worker once the job row is committed and claimed; the
        work opens its own sessions (and keeps no write transaction open while it computes)."""
        return self.executor.submit(self._run, job_id, work)

    def _claim(self, job_id: int) -> bool:
        deadline = time.monotonic() + CLAIM_WAIT_SECONDS
        while time.monotonic() < deadline:
            with self.db.transaction() as s:
                n = s.execute(
                    update(ClassificationJob)
                    .where(ClassificationJob.id == job_id, ClassificationJob.state == "queued")
                    .values(state="running", progress=5, step="started", started_at=utcnow())
                ).rowcount  # type: ignore[attr-defined]
            if n:
                return True
            time.sleep(0.05)
        return False

    def _run(self, job_id: int, work: Callable[[int], None]) -> None:
        try:
            if not self._claim(job_id):
                log.warning("job %d was never committed or already taken; skipped", job_id)
                return
            work(job_id)
        except Exception as exc:  # a bug in the work: the job must not stay "running"
            log.exception("job %d crashed", job_id)
            fail(self.db, job_id, f"internal error ({type(exc).__name__})")

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)


def set_progress(db: Database, job_id: int, progress: int, step: str) -> None:
    with db.transaction() as s:
        s.execute(update(ClassificationJob).where(ClassificationJob.id == job_id)
                  .values(progress=progress, step=step))


def fail(db: Database, job_id: int, message: str) -> None:
    with db.transaction() as s:
        s.execute(update(ClassificationJob).where(ClassificationJob.id == job_id)
                  .values(state="failed", error=message[:2000], finished_at=utcnow(),
                          step="failed"))
