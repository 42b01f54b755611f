"""The tamper-evident audit trail: append with a hash chain, verify the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select, text
from sqlalchemy.orm import Session

from .. import vocabulary
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


@dataclass(frozen=True)
class Filter:
    """What a monitor narrows the trail to; empty fields do not filter. ``action`` is one
    action (``shipment.ship``) or, ending with a dot, a family (``shipment.``); ``since`` and
    ``until`` are UTC instants, ``until`` excluded (the day after the last day asked for)."""

    actor: str = ""
    action: str = ""
    entity_type: str = ""
    entity_id: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.actor:
            out.append(AuditEvent.actor == self.actor)
        if self.action.endswith("."):
            # A prefix range, not LIKE: the (action, id) index serves it on both engines and
            # "_" in an action name is no wildcard.
            out += [AuditEvent.action >= self.action,
                    AuditEvent.action < self.action[:-1] + chr(ord(".") + 1)]
        elif self.action:
            out.append(AuditEvent.action == self.action)
        if self.entity_type:
            out.append(AuditEvent.entity_type == self.entity_type)
        if self.entity_id:
            out.append(AuditEvent.entity_id == self.entity_id)
        if self.since is not None:
            out.append(AuditEvent.at >= self.since)
        if self.until is not None:
            out.append(AuditEvent.at < self.until)
        return out

    def query(self) -> Select[AuditEvent]:
        return select(AuditEvent).where(*self.conditions())


@dataclass(frozen=True)
class Page:
    """One screen of the filtered trail, newest first; ``older``/``newer`` are the keys of
    the neighbouring screens (None at either end)."""

    rows: list[AuditEvent]
    older: int | None
    newer: int | None


def page(session: Session, where: Filter, *, before: int | None = None,
         after: int | None = None, size: int = 50) -> Page:
    """Keyset paging by id (the chain's order, stable while rows are appended): the rows
    older than ``before``, or the ``size`` rows just newer than ``after``, newest first."""
    q = where.query()
    if after is not None:
        rows = list(session.execute(
            q.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(size + 1)
        ).scalars())
        newer = len(rows) > size
        rows = rows[:size][::-1]
        older = bool(rows) and _any(session, where, AuditEvent.id < rows[-1].id)
    else:
        if before is not None:
            q = q.where(AuditEvent.id < before)
        rows = list(session.execute(q.order_by(AuditEvent.id.desc()).limit(size + 1)
                                    ).scalars())
        older = len(rows) > size
        rows = rows[:size]
        newer = bool(rows) and before is not None and _any(
            session, where, AuditEvent.id > rows[0].id)
    return Page(rows, rows[-1].id if older else None, rows[0].id if newer else None)


def _any(session: Session, where: Filter, bound: ColumnElement[bool]) -> bool:
    return bool(session.execute(
        select(exists().where(*where.conditions(), bound))).scalar())


def choices(session: Session) -> dict[str, list[str]]:
    """The values the filter offers: every action the application writes (and their
    families) and every record type, from the vocabulary (a test holds it to the actions the
    code writes), so no page view scans the trail for them; and the people who can act."""
    actions = list(vocabulary.AUDIT_ACTIONS)
    families = sorted({a.split(".", 1)[0] + "." for a in actions if "." in a})
    return {
        "actions": sorted([*actions, *families]),
        "entity_types": sorted(vocabulary.RECORDS),
        "actors": [*session.execute(select(User.username).order_by(User.username)).scalars(),
                   "system"],
    }


EXPORT_HEADER = ("id", "at_utc", "actor", "action", "entity_type", "entity_id", "changes",
                 "reason", "prev_hash", "hash")


def export_csv(session_of: Callable[[], Session], where: Filter | None = None,
               heading: Callable[[str], str] = str) -> Iterator[str]:
    """The trail (or the part ``where`` selects, the same query as the page) as CSV, oldest
    first, a line per event (stream it); every cell is neutralised for spreadsheets (a
    reason may be ``=cmd|' /C calc'!A0``). ``session_of`` is called only after the header
    line has been sent: a streamed response opens its session inside the stream, not in the
    view (whose session is closed when the view returns). ``heading(column)`` names each
    column (the reader's words on a page; the code by default)."""
    yield from exports.rows_text([[heading(h) for h in EXPORT_HEADER]])
    session = session_of()
    q = (where or Filter()).query().order_by(AuditEvent.id)
    yield from exports.rows_text(
        [row.id, row.at.isoformat(), row.actor, row.action, row.entity_type, row.entity_id,
         json.dumps(row.changes, sort_keys=True), row.reason or "", row.prev_hash, row.hash]
        for row in session.scalars(q.execution_options(yield_per=1000)))
