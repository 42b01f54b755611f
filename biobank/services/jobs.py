"""Classification jobs: the job table's life cycle, which decides who runs what.

The task queue (``biobank.queue``) only carries "job N may be ready" messages; it may lose one
(huey's SQLite storage drops an in-flight task on kill -9) or deliver one twice. This table is
the judge:

- a worker *claims* a queued job: ``attempt`` + 1 and a lease (owner + expiry) in one
  conditional UPDATE, so two workers never run the same attempt;
- while it runs, the worker's heartbeat extends the lease; progress and the final store are
  accepted only from the lease's owner (:func:`check_lease` in the storing transaction), so a
  worker that lost its lease (paused past the expiry, then woke) stores nothing;
- :func:`reap` turns an expired lease (a dead worker) back into a queued job while attempts are
  left, and into a failed one with its reason when they are not; it also lists the queued jobs
  whose message may have been lost, to send again;
- a failed job is queued again by a pathologist (:func:`retry`): from its page or by uploading
  the same files again.

Every function takes a session and flushes; the caller commits (the worker, one short
transaction per step).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from ..errors import Conflict
from ..models import ClassificationJob, User, utcnow
from . import access, audit

log = logging.getLogger("biobank.jobs")

DEFAULT_MAX_ATTEMPTS = 3
_SEND_KEY = "biobank.jobs_to_send"


class LeaseLost(Exception):
    """The worker no longer holds the job: another attempt owns it, or it was failed."""


@dataclass(frozen=True)
class Claim:
    job_id: int
    attempt: int
    max_attempts: int
    owner: str


def worker_name() -> str:
    """Who holds a lease: host and pid (for people reading the table), and a nonce."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def claim(session: Session, job_id: int, owner: str, lease: timedelta) -> Claim | None:
    """Take a queued job for one attempt; None if it is not queued (taken, done, failed, or its
    creating transaction never committed)."""
    now = utcnow()
    n = session.execute(
        update(ClassificationJob)
        .where(ClassificationJob.id == job_id, ClassificationJob.state == "queued",
               ClassificationJob.attempt < ClassificationJob.max_attempts)
        .values(state="running", attempt=ClassificationJob.attempt + 1, lease_owner=owner,
                lease_expires_at=now + lease, started_at=now, progress=5, step="started",
                error=None)
    ).rowcount  # type: ignore[attr-defined]
    if not n:
        return None
    row = session.execute(
        select(ClassificationJob.attempt, ClassificationJob.max_attempts)
        .where(ClassificationJob.id == job_id)).one()
    return Claim(job_id, row.attempt, row.max_attempts, owner)


def _owned(c: Claim) -> Any:
    return (ClassificationJob.id == c.job_id, ClassificationJob.state == "running",
            ClassificationJob.attempt == c.attempt, ClassificationJob.lease_owner == c.owner)


def extend_lease(session: Session, c: Claim, lease: timedelta) -> bool:
    """The heartbeat: push the expiry forward; False once the lease is lost."""
    n = session.execute(update(ClassificationJob).where(*_owned(c))
                        .values(lease_expires_at=utcnow() + lease)).rowcount  # type: ignore[attr-defined]
    return bool(n)


def set_progress(session: Session, c: Claim, progress: int, step: str) -> bool:
    n = session.execute(update(ClassificationJob).where(*_owned(c))
                        .values(progress=progress, step=step)).rowcount  # type: ignore[attr-defined]
    return bool(n)


def check_lease(session: Session, c: Claim) -> None:
    """First statement of the transaction that stores an attempt's outcome: takes the job's row
    (a row lock on PostgreSQL; SQLite's write transaction is already exclusive) and raises
    :class:`LeaseLost` unless this attempt still owns it. The result is stored once."""
    n = session.execute(update(ClassificationJob).where(*_owned(c))
                        .values(lease_expires_at=None)).rowcount  # type: ignore[attr-defined]
    if not n:
        raise LeaseLost(f"job {c.job_id} attempt {c.attempt} no longer holds its lease")
    session.expire_all()


def attempt_failed(session: Session, c: Claim, reason: str) -> bool:
    """An attempt ended by an unexpected error: queue the job again while attempts are left
    (True), else fail it with the reason (False). Call after :func:`check_lease`."""
    job = session.get(ClassificationJob, c.job_id)
    assert job is not None
    if job.attempt < job.max_attempts:
        _requeue(session, job, None,
                 f"attempt {job.attempt} of {job.max_attempts} failed: {reason}")
        return True
    _fail(session, job, f"{reason} (attempt {job.attempt} of {job.max_attempts})")
    return False


def _requeue(session: Session, job: ClassificationJob, actor: User | None, why: str) -> None:
    job.state = "queued"
    job.progress = 0
    job.step = "queued again"
    job.lease_owner = None
    job.lease_expires_at = None
    job.queued_at = utcnow()
    session.flush()
    audit.record(session, actor,
                 "genotyping.classification_retry" if actor else
                 "genotyping.classification_requeued", "genotyping_analysis", job.analysis_id,
                 {"attempt": job.attempt, "max_attempts": job.max_attempts}, why[:1000])
    send_after_commit(session, job.id)


def _fail(session: Session, job: ClassificationJob, message: str) -> None:
    from .genotyping import store_failure

    job.lease_owner = None
    job.lease_expires_at = None
    store_failure(session, job.id, message)


def reap(session: Session, *, resend_after: timedelta) -> list[int]:
    """Expired leases → queued again (attempts left) or failed (none left); returns the ids of
    the queued jobs whose message goes out again at the commit: those requeued here, and those
    waiting longer than ``resend_after`` since their last message (it may have been lost)."""
    now = utcnow()
    expired = session.execute(
        select(ClassificationJob.id, ClassificationJob.lease_owner)
        .where(ClassificationJob.state == "running", ClassificationJob.lease_expires_at < now)
        .order_by(ClassificationJob.id)).all()
    for job_id, owner in expired:
        # The same conditional UPDATE as a claim: of two reapers, one wins each job.
        taken = session.execute(
            update(ClassificationJob)
            .where(ClassificationJob.id == job_id, ClassificationJob.state == "running",
                   ClassificationJob.lease_owner == owner,
                   ClassificationJob.lease_expires_at < now)
            .values(lease_expires_at=None)).rowcount  # type: ignore[attr-defined]
        if not taken:
            continue
        job = session.get(ClassificationJob, job_id, populate_existing=True)
        assert job is not None
        reason = (f"the worker running attempt {job.attempt} of {job.max_attempts} stopped "
                  "answering (killed, out of memory, or its machine went down)")
        if job.attempt < job.max_attempts:
            _requeue(session, job, None, reason)
        else:
            _fail(session, job, reason + "; retry it from this page")
    stale = session.execute(
        select(ClassificationJob.id).where(
            ClassificationJob.state == "queued",
            ClassificationJob.sent_at.is_(None) | (ClassificationJob.sent_at < now - resend_after))
    ).scalars().all()
    for job_id in stale:
        send_after_commit(session, job_id)
    return pending_sends(session)


def retry(session: Session, actor: User, job: ClassificationJob,
          attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
    """A pathologist queues a failed job again, with a fresh budget of ``attempts`` (the
    site's JOBS_MAX_ATTEMPTS, as a new job gets)."""
    access.require_role(actor, "pathologist")
    if job.state != "failed":
        raise Conflict("only a failed classification can be retried; this one is %(state)s",
                       state=job.state, code="not_failed")
    previous = job.error or "failed"
    job.max_attempts = job.attempt + max(1, attempts)
    job.error = None
    job.finished_at = None
    _requeue(session, job, actor, f"retried after: {previous}")


def mark_queued(session: Session, job: ClassificationJob, max_attempts: int) -> None:
    """A new job goes to the workers: its attempt budget, and its message once committed."""
    job.max_attempts = max_attempts
    job.queued_at = utcnow()
    session.flush()
    send_after_commit(session, job.id)


# ---------------------------------------------------------------------------------------------
# A job's message goes out after the commit that makes it claimable (a worker reading it earlier
# would find nothing to claim) and never for a transaction that rolled back. The sender (the
# queue) is in the session's info, put there by the Database's session factory.
# ---------------------------------------------------------------------------------------------
SENDER = "biobank.jobs_sender"


def send_after_commit(session: Session, job_id: int) -> None:
    session.execute(update(ClassificationJob).where(ClassificationJob.id == job_id)
                    .values(sent_at=utcnow()))
    ids = session.info.setdefault(_SEND_KEY, [])
    if job_id not in ids:
        ids.append(job_id)


def pending_sends(session: Session) -> list[int]:
    return sorted(session.info.get(_SEND_KEY, ()))


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_SEND_KEY, None)
    send: Callable[[list[int]], None] | None = session.info.get(SENDER)
    if not ids or send is None:
        return
    try:
        send(sorted(ids))
    except Exception as exc:  # the jobs are committed as queued: the reaper sends them again
        log.warning("queue message for %d job(s) not sent (%s); the reaper sends it again",
                    len(ids), type(exc).__name__)


@event.listens_for(Session, "after_transaction_end")
def _drop(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_SEND_KEY, None)  # ended without a commit (the commit popped it)
