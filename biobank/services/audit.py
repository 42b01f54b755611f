"""The tamper-evident audit trail: append with a hash chain, verify the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import AuditEvent, User, utcnow
from . import exports

GENESIS = "0" * 64
# Any constant works; it names the lock that serialises appends to the chain on PostgreSQL.
_PG_AUDIT_LOCK = 0x4D454E31


def jsonable(value: Any) -> Any:
    """A JSON-safe, deterministic form of a changed value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _digest(prev_hash: str, at: datetime, actor: str, action: str, entity_type: str,
            entity_id: str, changes: dict[str, Any], reason: str | None) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "changes": changes,
            "reason": reason,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: str | int,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event. ``changes`` maps field → [old, new] (or a plain value for creations)."""
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent transactions must not both chain onto the same last row.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev = last or GENESIS
    at = utcnow()
    clean = jsonable(changes or {})
    actor_name = actor.username if actor else "system"
    event = AuditEvent(
        at=at,
        actor_id=actor.id if actor else None,
        actor=actor_name,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        changes=clean,
        reason=reason,
        prev_hash=prev,
        hash=_digest(prev, at, actor_name, action, entity_type, str(entity_id), clean, reason),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    row_id: int
    message: str


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in id order; return (rows checked, problems naming the rows)."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    prev_id: int | None = None
    count = 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    for row in rows:
        count += 1
        if row.prev_hash != prev_hash:
            where = f"after row {prev_id}" if prev_id is not None else "at the start"
            problems.append(
                ChainProblem(
                    row.id,
                    f"row {row.id}: chain broken {where} — a row before it was deleted or "
                    "its hash rewritten",
                )
            )
        expected = _digest(
            row.prev_hash, row.at, row.actor, row.action, row.entity_type, row.entity_id,
            row.changes, row.reason,
        )
        if expected != row.hash:
            problems.append(ChainProblem(row.id, f"row {row.id}: content was edited"))
        prev_hash = row.hash
        prev_id = row.id
    return count, problems


def history(session: Session, entity_type: str, entity_id: str | int) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.id)
        ).scalars()
    )


EXPORT_HEADER = ("id", "at_utc", "actor", "action", "entity_type", "entity_id", "changes",
                 "reason", "prev_hash", "hash")


def export_csv(session_of: Callable[[], Session],
               heading: Callable[[str], str] = str) -> Iterator[str]:
    """The whole trail as CSV, oldest first, a line per event (stream it); every cell is
    neutralised for spreadsheets (a reason may be ``=cmd|' /C calc'!A0``). ``session_of`` is
    called only after the header line has been sent: a streamed response opens its session
    inside the stream, not in the view (whose session is closed when the view returns).
    ``heading(column)`` names each column (the reader's words on a page; the code by default)."""
    yield from exports.rows_text([[heading(h) for h in EXPORT_HEADER]])
    session = session_of()
    yield from exports.rows_text(
        [row.id, row.at.isoformat(), row.actor, row.action, row.entity_type, row.entity_id,
         json.dumps(row.changes, sort_keys=True), row.reason or "", row.prev_hash, row.hash]
        for row in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())
