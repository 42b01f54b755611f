"""Back-off after failed password attempts, per account name and client address.

One row per (scope, name, address) in ``auth_throttles``: ``login`` for sign-in (the name as
typed, known or not, so that the answer and its timing never tell a real account from an
unknown one) and ``sign`` for electronic signatures. After ``free_failures`` consecutive
failures the pair is blocked for ``base_seconds``, doubling with each further failure up to
``max_seconds``; a success clears the pair. Keying on the address as well means that someone
guessing a colleague's password from another computer blocks only themselves: the colleague
at their own bench signs in as usual. The policy and its figures: docs/RELIABILITY.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import AuthThrottle, utcnow

SCOPES = ("login", "sign")


@dataclass(frozen=True)
class Policy:
    free_failures: int
    base_seconds: int
    max_seconds: int

    def block_seconds(self, failures: int) -> int:
        """How long the pair is blocked after its ``failures``-th consecutive failure."""
        over = failures - self.free_failures
        if over < 0:
            return 0
        return min(self.base_seconds * 2 ** min(over, 30), self.max_seconds)


def _key(subject: str, address: str) -> tuple[str, str]:
    return subject.strip().lower()[:64], (address or "-")[:64]


def _row(session: Session, scope: str, subject: str, address: str,
         *, lock: bool = False) -> AuthThrottle | None:
    q = select(AuthThrottle).where(AuthThrottle.scope == scope, AuthThrottle.subject == subject,
                                   AuthThrottle.address == address)
    if lock:
        q = q.with_for_update()
    return session.execute(q).scalar_one_or_none()


def blocked_for(session: Session, scope: str, subject: str, address: str,
                *, now: datetime | None = None) -> int:
    """Seconds this (name, address) must still wait; 0 when it may try."""
    now = now or utcnow()
    row = _row(session, scope, *_key(subject, address))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, int((row.blocked_until - now).total_seconds() + 0.999))


def failed(session: Session, scope: str, subject: str, address: str, policy: Policy,
           *, now: datetime | None = None) -> tuple[int, int]:
    """Count a failure; returns (consecutive failures, seconds the pair is now blocked)."""
    now = now or utcnow()
    name, addr = _key(subject, address)
    row = _row(session, scope, name, addr, lock=True)
    if row is None:
        try:
            with session.begin_nested():
                row = AuthThrottle(scope=scope, subject=name, address=addr, failures=0,
                                   updated_at=now)
                session.add(row)
        except IntegrityError:  # a concurrent first failure made the row
            row = _row(session, scope, name, addr, lock=True)
            assert row is not None
    row.failures += 1
    row.updated_at = now
    seconds = policy.block_seconds(row.failures)
    row.blocked_until = now + timedelta(seconds=seconds) if seconds else None
    session.flush()
    return row.failures, seconds


def succeeded(session: Session, scope: str, subject: str, address: str) -> None:
    name, addr = _key(subject, address)
    session.execute(delete(AuthThrottle).where(
        AuthThrottle.scope == scope, AuthThrottle.subject == name, AuthThrottle.address == addr))


def clear(session: Session, subject: str) -> int:
    """Remove every back-off of this account name (an administrator's unlock)."""
    name = subject.strip().lower()[:64]
    result = session.execute(delete(AuthThrottle).where(AuthThrottle.subject == name))
    return int(getattr(result, "rowcount", 0) or 0)


def prune(session: Session, *, older_than: timedelta = timedelta(days=1),
          now: datetime | None = None) -> None:
    """Forget pairs idle for a day (names sprayed at the sign-in page do not pile up)."""
    cutoff = (now or utcnow()) - older_than
    session.execute(delete(AuthThrottle).where(AuthThrottle.updated_at < cutoff))
