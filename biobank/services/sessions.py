"""Signed-in browser sessions, held server-side.

The session cookie (signed by Flask) carries a random id; only its SHA-256 is stored here, in
``user_sessions``. A request is signed in only while that row is open and younger than the
absolute lifetime, so signing out ends the session for every copy of the cookie (a replayed
cookie opens nothing), and a new id is issued at each sign-in (an id planted before sign-in is
worth nothing). The idle timeout is checked on the cookie's signed ``last_seen`` by the web
layer: a cookie captured and replayed later is stale by then.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..models import User, UserSession, utcnow

#: Ended or expired sessions are kept this long (who was signed in when), then removed.
KEEP_ENDED = timedelta(days=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, *, now: datetime | None = None) -> str:
    """A new session for ``user``; returns the id for the cookie (shown nowhere else)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_digest(token), created_at=now))
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.ended_at < now - KEEP_ENDED,
            UserSession.created_at < now - KEEP_ENDED)))
    session.flush()
    return token


def user_for(session: Session, user_id: int, token: str, *, lifetime: timedelta,
             now: datetime | None = None) -> User | None:
    """The active user of an open session younger than ``lifetime``; None otherwise."""
    now = now or utcnow()
    row = session.execute(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _digest(token), UserSession.user_id == user_id,
               UserSession.ended_at.is_(None), UserSession.created_at > now - lifetime)
    ).scalar_one_or_none()
    return row if row is not None and row.active else None


def end(session: Session, token: str, reason: str, *, now: datetime | None = None) -> bool:
    """Close the session with this id (sign-out); False when it was not open."""
    row = session.execute(
        select(UserSession).where(UserSession.token_hash == _digest(token),
                                  UserSession.ended_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        return False
    row.ended_at = now or utcnow()
    row.end_reason = reason[:16]
    session.flush()
    return True


def end_all(session: Session, user: User, reason: str) -> int:
    """Close every open session of ``user`` (an administrator's unlock or disable)."""
    rows = session.execute(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))).scalars().all()
    now = utcnow()
    for row in rows:
        row.ended_at, row.end_reason = now, reason[:16]
    session.flush()
    return len(rows)
