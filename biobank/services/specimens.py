"""Specimen identity, status transitions, corrections, derivatives and the SPREC code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labels import ids

from .. import vocabulary
from ..errors import (
    Conflict,
    FieldError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from ..i18n import N_, Msg, joined, term
from ..inputs import Choice, DateTime, Number, Spec, Text, check_instant
from ..models import (
    ExpectedSpecimen,
    IdCounter,
    Participant,
    Specimen,
    SpecimenEvent,
    User,
    VisitDefinition,
    utcnow,
)
from . import access, audit


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    verb: str  # for messages


TRANSITIONS: dict[str, Transition] = {
    "collect": Transition(frozenset({"expected"}), "collected", N_("collected")),
    "ship": Transition(frozenset({"collected", "received", "stored"}), "in_transit",
                       N_("shipped")),
    "receive": Transition(frozenset({"in_transit"}), "received", N_("received")),
    "store": Transition(frozenset({"received", "checked_out", "stored"}), "stored", N_("stored")),
    "check_out": Transition(frozenset({"stored"}), "checked_out", N_("checked out")),
    "check_in": Transition(frozenset({"checked_out"}), "stored", N_("checked in")),
    "consume": Transition(
        frozenset({"collected", "received", "stored", "checked_out"}), "consumed",
        N_("consumed"),
    ),
    "dispose": Transition(
        frozenset({"expected", "collected", "received", "stored", "checked_out"}),
        "disposed",
        N_("disposed"),
    ),
    "lose": Transition(
        frozenset({"collected", "in_transit", "received", "stored", "checked_out"}),
        "lost",
        N_("marked lost"),
    ),
}

def status_word(status: str) -> Msg:
    """A specimen status inside an error message: "checked out" in English, the status's
    catalogue label in another language."""
    label = vocabulary.STATUSES.get(status, status)
    return term(label.lower(), label)


#: What a specimen's quantity may be (column NUMERIC(10, 3)): no tube or block holds more
#: than 100,000 of any unit in vocabulary.UNITS.
QUANTITY = Number(low=Decimal(0), high=Decimal(100_000), places=3)

#: Fields a technician may correct after collection, in the order the correction form offers
#: them, each with what its new value may be: the form picks its input by the spec and the
#: value is parsed by it. Any correction needs a reason.
CORRECTABLE: dict[str, Spec] = {
    "collected_at": DateTime(),
    "centrifuged_at": DateTime(),
    "frozen_at": DateTime(),
    "quantity": QUANTITY,
    "unit": Choice(vocabulary.UNITS),
    "container": Choice(tuple(vocabulary.CONTAINERS)),
    "notes": Text(500),
}
#: The vocabulary domain whose words a choice field's values are shown by.
CHOICE_DOMAINS: dict[str, str] = {"unit": "unit", "container": "container"}


def allocate_id(session: Session, prefix: str) -> str:
    """Next issuable ID for ``prefix``; the counter row is updated in the caller's transaction,
    which serialises concurrent allocations (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    if session.get(IdCounter, prefix) is None:
        try:
            with session.begin_nested():
                session.add(IdCounter(prefix=prefix, next_value=1))
        except IntegrityError:
            pass
    while True:
        number = session.execute(
            update(IdCounter)
            .where(IdCounter.prefix == prefix)
            .values(next_value=IdCounter.next_value + 1)
            .returning(IdCounter.next_value - 1)
        ).scalar_one()
        if ids.is_issuable(prefix, number):
            return ids.format_id(prefix, number)


def _event(
    session: Session,
    actor: User | None,
    specimen: Specimen,
    kind: str,
    from_status: str | None,
    to_status: str | None,
    at: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> SpecimenEvent:
    ev = SpecimenEvent(
        specimen_id=specimen.id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        site_id=actor.site_id if actor else specimen.site_id,
        detail=audit.jsonable(detail or {}),
    )
    session.add(ev)
    return ev


def create_expected(
    session: Session,
    actor: User | None,
    participant: Participant,
    expected: ExpectedSpecimen,
    occurrence: int = 1,
) -> Specimen:
    """A pre-labelled specimen that the protocol expects; scanning its label registers it."""
    barcode = allocate_id(session, "SP")
    s = Specimen(
        barcode=barcode,
        participant_id=participant.id,
        visit_id=expected.visit_id,
        visit_occurrence=occurrence,
        specimen_type=expected.specimen_type,
        container=expected.container,
        quantity=Decimal(str(expected.quantity)),
        unit=expected.unit,
        status="expected",
        site_id=participant.site_id,
        freeze_thaw_count=0,
        notes="",
    )
    session.add(s)
    session.flush()
    _event(session, actor, s, "label_printed", None, "expected",
           detail={"visit": expected.visit.code, "occurrence": occurrence})
    audit.record(session, actor, "specimen.create", "specimen", barcode, {
        "status": "expected", "participant": participant.code,
        "type": s.specimen_type, "visit": expected.visit.code,
    })
    return s


def visit_kit(
    session: Session, actor: User, participant: Participant, visit: VisitDefinition,
    occurrence: int = 1,
) -> list[Specimen]:
    """Specimens expected at one visit occurrence, creating those not yet labelled."""
    access.require_write(actor)
    if not access.can_see_site(actor, participant.site_id):
        raise NotFound(
            "no participant %(participant)r visible to you",
            participant=participant.code)
    query = (
        select(Specimen)
        .where(
            Specimen.participant_id == participant.id,
            Specimen.visit_id == visit.id,
            Specimen.visit_occurrence == occurrence,
            Specimen.parent_id.is_(None),
        )
        .order_by(Specimen.id)
    )
    have = {s.specimen_type for s in session.execute(query).scalars()}
    for exp in visit.expected:
        if exp.specimen_type not in have:
            create_expected(session, actor, participant, exp, occurrence)
    return list(session.execute(query).scalars())


def lock(session: Session, specimen: Specimen) -> None:
    """Re-read the specimen under a row lock so that two scans of the same tube racing on
    PostgreSQL cannot both act on the old status (SQLite is serialised by BEGIN IMMEDIATE)."""
    current = session.execute(
        select(Specimen.status).where(Specimen.id == specimen.id).with_for_update()
    ).scalar_one()
    if current != specimen.status:
        session.refresh(specimen)


def transition(
    session: Session,
    actor: User | None,
    specimen: Specimen,
    action: str,
    *,
    at: datetime | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> SpecimenEvent:
    """Apply one status change, refusing illegal ones with a message that says why."""
    if actor is not None:
        access.require_write(actor)
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise ValidationError("unknown action %(action)r", action=action)
    lock(session, specimen)
    if specimen.status not in rule.sources:
        allowed = joined(term(vocabulary.STATUSES[s])
                         for s in sorted(rule.sources, key=vocabulary.STATUSES.__getitem__))
        raise InvalidTransition(
            "%(specimen)s is %(status)s; it can be %(verb)s only when: %(allowed)s",
            specimen=specimen.barcode,
            status=status_word(specimen.status),
            verb=term(rule.verb),
            allowed=allowed)
    old = specimen.status
    specimen.status = rule.target
    ev = _event(session, actor, specimen, action, old, rule.target, at, detail)
    changes: dict[str, Any] = {"status": [old, rule.target]}
    if detail:
        changes.update(detail)
    audit.record(session, actor, f"specimen.{action}", "specimen", specimen.barcode, changes,
                 reason)
    session.flush()
    return ev


def register_collection(
    session: Session, actor: User, specimen: Specimen, at: datetime | None = None
) -> SpecimenEvent:
    access.require_role(actor, "technician", N_("admin"))
    if not access.can_see_site(actor, specimen.participant.site_id):
        raise NotFound("no specimen %(specimen)r visible to you", specimen=specimen.barcode)
    when = at or utcnow()
    if when > utcnow() + timedelta(minutes=5):
        raise ValidationError("collection time is in the future")
    ev = transition(session, actor, specimen, "collect", at=when,
                    detail={"collected_at": when, "collected_by": actor.username})
    specimen.collected_at = when
    specimen.collected_by_id = actor.id
    specimen.collection_site_id = actor.site_id
    session.flush()
    return ev


def parse_time(raw: Any, field: str) -> datetime:
    """An ISO date-time with its zone (a naive time would be ambiguous across sites)."""
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip())
        except ValueError as exc:
            raise ValidationError("%(field)s: %(raw)r is not a date and time",
                                  field=field, raw=raw) from exc
    # Zone required, 1900-2100, converted to UTC without overflow.
    return check_instant(field, value)


def _parse_value(field: str, raw: Any) -> Any:
    """The new value of ``field`` parsed by its spec; a refusal names the form's ``value``
    field, which is where the correction form shows it."""
    spec = CORRECTABLE[field]
    if isinstance(spec, Text):
        return spec.clean("value", "" if raw is None else str(raw))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldError("%(field)s is required", field="value", code="required")
    if isinstance(spec, DateTime):
        value = parse_time(raw, "value")
        if value > utcnow() + timedelta(minutes=5):
            raise ValidationError("%(field)s: time is in the future",
                                  field=vocabulary.word("field", field))
        return value
    if isinstance(spec, Choice):
        if raw not in spec.values:
            # The allowed values by their words, not their codes (a container's code reads
            # "edta_tube_4ml"); units are their own symbols.
            raise FieldError(
                "%(field)s: choose one of %(choices)s", field="value", code="bad_choice",
                choices=joined(vocabulary.word(CHOICE_DOMAINS[field], v) for v in spec.values))
        return raw
    return spec.clean("value", raw)


def correct(
    session: Session, actor: User, specimen: Specimen, field: str, raw: Any, reason: str
) -> None:
    """Correct recorded data; the reason is mandatory and the old value stays in the audit.
    Only staff of the site that holds the specimen, or central staff, may correct it: a
    collection site's staff no longer may once the tube is at the central biobank."""
    access.require_write(actor)
    if not (actor.sees_all_sites or actor.site_id == specimen.site_id):
        raise PermissionDenied(
            "%(specimen)s is held by %(site)s: only its staff or central staff may correct it",
            specimen=specimen.barcode, site=specimen.site.code, code="not_holder")
    if field not in CORRECTABLE:
        raise ValidationError(
            "%(field)r cannot be corrected (correctable: %(correctable)s)",
            field=field, correctable=", ".join(CORRECTABLE))
    if not reason or not reason.strip():
        raise ValidationError("a correction needs a reason", code="reason_required")
    value = _parse_value(field, raw)
    old = getattr(specimen, field)
    if old == value:
        raise Conflict("%(field)s already has that value", field=field)
    setattr(specimen, field, value)
    _event(session, actor, specimen, "corrected", specimen.status, specimen.status,
           detail={"field": field, "old": old, "new": value, "reason": reason.strip()})
    audit.record(session, actor, "specimen.correct", "specimen", specimen.barcode,
                 {field: [old, value]}, reason.strip())
    session.flush()


def create_derivative(
    session: Session,
    actor: User,
    parent: Specimen,
    *,
    specimen_type: str,
    container: str,
    quantity: Decimal,
    unit: str,
    take: Decimal | None = None,
) -> Specimen:
    """An aliquot or derivative. ``take`` (in the parent's unit) is deducted from the parent."""
    access.require_write(actor)
    if parent.status not in {"collected", "received", "stored", "checked_out"}:
        raise InvalidTransition(
            "%(parent)s is %(status)s: derivatives come only from specimens in hand",
            parent=parent.barcode,
            status=status_word(parent.status))
    if specimen_type not in vocabulary.SPECIMEN_TYPES:
        raise ValidationError(
            "unknown specimen type %(specimen_type)r",
            specimen_type=specimen_type)
    if container not in vocabulary.CONTAINERS:
        raise ValidationError("unknown container %(container)r", container=container)
    if unit not in vocabulary.UNITS:
        raise ValidationError("unknown unit %(unit)r", unit=unit)
    quantity = QUANTITY.clean("quantity", quantity)
    if quantity <= 0:
        raise ValidationError("quantity must be positive")
    if take is not None:
        take = QUANTITY.clean("take", take)
        if take <= 0:
            raise ValidationError("the amount taken must be positive")
        if parent.quantity is None or take > parent.quantity:
            raise ValidationError(
                "%(parent)s holds %(quantity)s %(unit)s; cannot take %(take)s",
                parent=parent.barcode,
                quantity=parent.quantity,
                unit=parent.unit,
                take=take,
                code="insufficient_quantity")
        old = parent.quantity
        parent.quantity = old - take
        audit.record(session, actor, "specimen.quantity_taken", "specimen", parent.barcode,
                     {"quantity": [old, parent.quantity]})
    child = Specimen(
        barcode=allocate_id(session, "SP"),
        participant_id=parent.participant_id,
        visit_id=parent.visit_id,
        visit_occurrence=parent.visit_occurrence,
        specimen_type=specimen_type,
        container=container,
        quantity=quantity,
        unit=unit,
        status=parent.status if parent.status != "checked_out" else "received",
        site_id=actor.site_id,
        parent_id=parent.id,
        collected_at=parent.collected_at,
        collection_site_id=parent.collection_site_id,
        freeze_thaw_count=0,
        notes="",
    )
    session.add(child)
    session.flush()
    _event(session, actor, child, "derived", None, child.status,
           detail={"parent": parent.barcode})
    _event(session, actor, parent, "derivative_taken", parent.status, parent.status,
           detail={"child": child.barcode, "take": take})
    audit.record(session, actor, "specimen.derive", "specimen", child.barcode, {
        "parent": parent.barcode, "type": specimen_type, "quantity": quantity, "unit": unit,
    })
    return child


def lineage(specimen: Specimen) -> list[Specimen]:
    """The specimen's ancestors, nearest first."""
    out: list[Specimen] = []
    cur = specimen.parent
    while cur is not None and cur not in out:
        out.append(cur)
        cur = cur.parent
    return out


def sprec(specimen: Specimen) -> str | None:
    """The SPREC v3 code from recorded data (services/sprec.py explains each element); None
    for DNA, a complex derivative that SPREC's seven-element code does not cover."""
    from . import sprec as sprec_codes  # it reads the storage, which imports this module

    return sprec_codes.code(specimen)
