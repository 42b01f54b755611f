"""Shipments: pack by scanning, ship, receive by scanning, record every discrepancy, resolve
each one with a reason, close.

States: draft → ready → shipped → (partially_)received → closed; draft/ready → cancelled;
shipped → lost. Custody moves through ``specimens.transition("ship"/"receive")`` so that every
hand-off is a SpecimenEvent (who, where, when). Every mutating call locks the shipment row first
(SELECT ... FOR UPDATE on PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE), and the
database refuses a second receipt or a second item for the same specimen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from labels import ids

from .. import localtime
from ..errors import (
    Conflict,
    FieldError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from ..i18n import Msg, term
from ..inputs import Number
from ..models import Shipment, ShipmentItem, ShipmentReceipt, Site, Specimen, SpecimenEvent, User
from ..models.base import utcnow
from . import access, audit, specimens

CONDITIONS: dict[str, str] = {
    "ambient": "Ambient (15–25 °C)",
    "refrigerated": "Refrigerated (2–8 °C)",
    "dry_ice": "Dry ice (−78 °C)",
    "liquid_nitrogen": "Liquid nitrogen dry shipper (−150 °C)",
}
DAMAGE: dict[str, str] = {
    "haemolysed": "Haemolysed",
    "leaked": "Leaked",
    "broken": "Broken",
    "thawed": "Thawed",
    "mislabelled": "Mislabelled",
    "insufficient_volume": "Insufficient volume",
    "wrong_tube": "Wrong tube type",
    "clotted": "Clotted",
}
#: What a condition card's barcode starts with. An ID is two letters, digits and a check
#: character (labels.ids), so nothing that starts with this can be read as a tube, box,
#: location or shipment, and a card scanned anywhere but the receive screen is recognised and
#: refused by name (services.scan).
CONDITION_PREFIX = "COND-"
#: The card that takes back a condition scanned by mistake.
INTACT = "intact"
CONDITION_CARDS: dict[str, str] = {INTACT: "Intact (cancels a card)",
                                   **DAMAGE}


def condition_code(key: str) -> str:
    """The barcode text of a condition card: ``COND-HAEMOLYSED``."""
    return CONDITION_PREFIX + key.upper()


def condition_of(text: str) -> str | None:
    """The condition a scanned card names (a DAMAGE key or ``intact``); None when ``text`` is
    not a condition card at all."""
    t = text.strip().upper()
    if not t.startswith(CONDITION_PREFIX):
        return None
    key = t[len(CONDITION_PREFIX):].lower()
    if key not in CONDITION_CARDS:
        raise ValidationError(
            "%(scanned)s is not a condition card this system knows; print the sheet again",
            scanned=t[:32], code="unknown_condition")
    return key
PACKAGE_CONDITIONS: dict[str, str] = {
    "intact": "Intact",
    "damaged": "Damaged outer package",
    "wet": "Wet or leaking",
    "coolant_depleted": "Coolant depleted",
}
STATUS_LABELS: dict[str, str] = {
    "draft": "Draft",
    "ready": "Ready to ship",
    "shipped": "Shipped",
    "partially_received": "Partially received",
    "received": "Received",
    "closed": "Closed",
    "cancelled": "Cancelled",
    "lost": "Lost",
}
ACTIVE = ("draft", "ready", "shipped")
#: The net mass of the dry ice in a package, kg (column NUMERIC(5, 2)): more than none, and at
#: most the 200 kg IATA PI 954 allows in one package (labels.shipping refuses the rest too).
DRY_ICE_KG = Number(low=Decimal("0.01"), high=Decimal(200), places=2)


def kg_text(kg: Decimal | None) -> str | None:
    """A recorded mass as the label prints it: ``2.5``, ``200`` (never ``2E+2``)."""
    return None if kg is None else format(kg.normalize(), "f")


def _status(shipment: Shipment) -> Msg:
    # Inside an error message: the status's label in words ("partially received"), in the
    # reader's language; scripts key on the error's code, never on its sentence.
    label = STATUS_LABELS.get(shipment.status, shipment.status)
    return term(label.lower(), label)
WRITE_ROLES = ("technician", "admin")
# How far the server clock may drift between two requests before "received before shipped".
CLOCK_SLACK = timedelta(seconds=0)


# --- reading -----------------------------------------------------------------------------------

def _visible(user: User, shipment: Shipment) -> bool:
    return user.sees_all_sites or user.site_id in (shipment.from_site_id, shipment.to_site_id)


def get(session: Session, user: User, code: str, *, lock: bool = False) -> Shipment:
    """The shipment with this barcode; another site's shipment answers NotFound."""
    q = select(Shipment).where(Shipment.barcode == code.strip().upper())
    if lock:
        q = q.with_for_update(of=Shipment).execution_options(populate_existing=True)
    shipment = session.execute(q).unique().scalar_one_or_none()
    if shipment is None or not _visible(user, shipment):
        raise NotFound("no shipment %(shipment)r visible to you", shipment=code,
                       code="unknown_code")
    return shipment


def resolve_scan(session: Session, user: User, code: str) -> Shipment:
    """The shipment with this barcode, for the scan station."""
    try:
        return get(session, user, code)
    except NotFound as exc:
        raise NotFound(
            "%(scanned)s is a shipment label, but no shipment with that code is on record",
            scanned=code, code="unknown_code") from exc


def listing(session: Session, user: User, statuses: Sequence[str] = ()) -> list[Shipment]:
    q = select(Shipment).order_by(Shipment.id.desc())
    if not user.sees_all_sites:
        q = q.where(or_(Shipment.from_site_id == user.site_id,
                        Shipment.to_site_id == user.site_id))
    if statuses:
        q = q.where(Shipment.status.in_(statuses))
    return list(session.execute(q.limit(500)).unique().scalars())


def items(session: Session, shipment: Shipment) -> list[ShipmentItem]:
    return list(session.execute(
        select(ShipmentItem).where(ShipmentItem.shipment_id == shipment.id)
        .options(selectinload(ShipmentItem.scanned_by), selectinload(ShipmentItem.resolved_by))
        .order_by(ShipmentItem.id)
    ).unique().scalars())


def open_discrepancies(session: Session, user: User) -> list[ShipmentItem]:
    """The queue: every unresolved missing, damaged or extra item the user may see."""
    q = (
        select(ShipmentItem).join(Shipment)
        .where(ShipmentItem.state.in_(("missing", "damaged", "extra")),
               ShipmentItem.resolved_at.is_(None))
        .order_by(ShipmentItem.id)
    )
    if not user.sees_all_sites:
        q = q.where(or_(Shipment.from_site_id == user.site_id,
                        Shipment.to_site_id == user.site_id))
    return list(session.execute(q).unique().scalars())


def counts(its: Sequence[ShipmentItem]) -> dict[str, int]:
    out = {"manifest": 0, "packed": 0, "received": 0, "missing": 0, "damaged": 0, "extra": 0,
           "open": 0}
    for it in its:
        if not it.extra:
            out["manifest"] += 1
        out[it.state] += 1
        if it.is_open:
            out["open"] += 1
    return out


def custody(session: Session, user: User, barcode: str) -> tuple[Specimen, list[SpecimenEvent]]:
    """Every event of a specimen, oldest first: the chain of custody (who, where, when)."""
    sp = access.get_specimen(session, user, barcode)
    evs = list(session.execute(
        select(SpecimenEvent).where(SpecimenEvent.specimen_id == sp.id)
        .order_by(SpecimenEvent.at, SpecimenEvent.id)
    ).unique().scalars())
    return sp, evs


# --- packing -----------------------------------------------------------------------------------

def _require_writer(user: User) -> None:
    access.require_write(user)
    access.require_role(user, *WRITE_ROLES)


def _require_sender(user: User, shipment: Shipment) -> None:
    _require_writer(user)
    if user.site_id != shipment.from_site_id and user.role != "admin":
        raise PermissionDenied(
            "only %(from_site)s staff pack and ship %(shipment)s",
            from_site=shipment.from_site.code, shipment=shipment.barcode)


def _require_receiver(user: User, shipment: Shipment) -> None:
    _require_writer(user)
    if user.site_id != shipment.to_site_id and user.role != "admin":
        raise PermissionDenied(
            "only %(to_site)s staff receive %(shipment)s",
            to_site=shipment.to_site.code, shipment=shipment.barcode)


def _clean_text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _parse_time(raw: Any, field: str) -> datetime | None:
    if raw in (None, ""):
        return None
    return specimens.parse_time(raw, field)


def create(
    session: Session, user: User, *, conditions: str, to_site: str | None = None,
    courier: str = "", tracking_number: str | None = None, logger_id: str = "",
    planned_ship_at: Any = None, notes: str = "", dry_ice_kg: Any = None,
) -> Shipment:
    """A draft shipment from the user's site: to the central biobank, or (from the central
    biobank) back to a collection site."""
    _require_writer(user)
    if conditions not in CONDITIONS:
        raise ValidationError(
            "conditions: choose one of %(conditions)s",
            conditions=", ".join(CONDITIONS), code="bad_conditions")
    if to_site:
        dest = session.execute(
            select(Site).where(Site.code == to_site.strip().upper())
        ).scalar_one_or_none()
        if dest is None:
            raise ValidationError("no site %(to_site)r", to_site=to_site, code="bad_site")
    else:
        dest = session.execute(select(Site).where(Site.kind == "central")).scalars().first()
        if dest is None:
            raise ValidationError("no central biobank site is configured", code="bad_site")
    if dest.id == user.site_id:
        raise ValidationError("a shipment goes to another site", code="bad_site")
    if not user.site.is_central and not dest.is_central:
        raise ValidationError("collection sites ship to the central biobank", code="bad_site")
    shipment = Shipment(
        barcode=specimens.allocate_id(session, "SH"), status="draft", from_site_id=user.site_id,
        to_site_id=dest.id, conditions=conditions, created_by_id=user.id, notes="",
        courier="", logger_id="",
    )
    session.add(shipment)
    session.flush()
    audit.record(session, user, "shipment.create", "shipment", shipment.barcode, {
        "status": "draft", "from": user.site.code, "to": dest.code, "conditions": conditions,
    })
    update_details(session, user, shipment, courier=courier, tracking_number=tracking_number,
                   logger_id=logger_id, planned_ship_at=planned_ship_at, notes=notes,
                   dry_ice_kg=dry_ice_kg)
    session.refresh(shipment)
    return shipment


def update_details(session: Session, user: User, shipment: Shipment, **fields: Any) -> Shipment:
    """Courier, tracking number, logger ID, planned time, conditions, the net dry-ice mass,
    notes (before shipping; the tracking number and logger may still be completed while it is
    in transit).

    ``dry_ice_kg`` is taken only with dry ice (the conditions given with it, else the
    shipment's); ``""`` clears it. Conditions changed away from dry ice clear a recorded mass
    (the change is audited like any other): it described ice that is no longer packed."""
    _require_sender(user, shipment)
    editable = {"draft", "ready"} if set(fields) - {"tracking_number", "logger_id", "courier"} \
        else {"draft", "ready", "shipped"}
    given = {k: v for k, v in fields.items() if v is not None}
    if given and shipment.status not in editable:
        raise InvalidTransition(
            "%(shipment)s is %(status)s; its details are fixed now",
            shipment=shipment.barcode, status=_status(shipment))
    conditions = given.get("conditions", shipment.conditions)
    if conditions not in CONDITIONS:
        raise ValidationError(
            "conditions: choose one of %(conditions)s",
            conditions=", ".join(CONDITIONS), code="bad_conditions")
    if conditions != "dry_ice":
        if given.get("dry_ice_kg", "") != "":
            raise FieldError(
                "%(field)s: a dry ice mass is recorded only for a shipment on dry ice (the "
                "conditions are %(conditions)s)",
                field="dry_ice_kg", conditions=term(CONDITIONS[conditions]),
                code="dry_ice_not_applicable")
        if shipment.dry_ice_kg is not None:
            given["dry_ice_kg"] = ""
    changes: dict[str, Any] = {}
    for key, raw in given.items():
        value: Any
        if key == "conditions":
            value = raw
        elif key == "dry_ice_kg":
            value = None if raw == "" else \
                DRY_ICE_KG.clean("dry_ice_kg", raw).quantize(Decimal("0.01"))
        elif key == "tracking_number":
            value = _clean_text(raw, 64) or None
        elif key == "planned_ship_at":
            value = _parse_time(raw, "planned_ship_at")
        elif key in {"courier", "logger_id"}:
            value = _clean_text(raw, 100 if key == "courier" else 64)
        elif key == "notes":
            value = _clean_text(raw, 500)
        else:
            raise ValidationError("%(key)r cannot be changed here", key=key)
        old = getattr(shipment, key)
        if old == value:
            continue
        if key == "tracking_number" and value is not None:
            with session.no_autoflush:
                clash = session.execute(
                    select(Shipment.barcode).where(Shipment.tracking_number == value,
                                                   Shipment.id != shipment.id)
                ).scalar_one_or_none()
            if clash:
                raise Conflict(
                    "tracking number %(value)s is already used by %(clash)s",
                    value=value, clash=clash, code="duplicate_tracking")
        setattr(shipment, key, value)
        changes[key] = [old, value]
    if changes:
        audit.record(session, user, "shipment.update", "shipment", shipment.barcode, changes)
        session.flush()
    return shipment


@dataclass
class PackResult:
    added: list[Specimen]
    already: list[Specimen]


def _on_other_manifest(session: Session, shipment: Shipment, sp: Specimen) -> str | None:
    """The active shipment (other than this one) with ``sp`` on its manifest, if any."""
    return session.execute(
        select(Shipment.barcode).join(ShipmentItem)
        .where(ShipmentItem.specimen_id == sp.id, ShipmentItem.extra.is_(False),
               Shipment.status.in_(ACTIVE), Shipment.id != shipment.id)
    ).scalar_one_or_none()


def _packable(session: Session, user: User, shipment: Shipment, sp: Specimen) -> None:
    if sp.site_id != shipment.from_site_id:
        raise Conflict(
            "%(specimen)s is held at %(site)s, not at %(from_site)s",
            specimen=sp.barcode,
            site=sp.site.code,
            from_site=shipment.from_site.code,
            code="not_here")
    if sp.status not in specimens.TRANSITIONS["ship"].sources:
        raise InvalidTransition(
            "%(specimen)s is %(status)s; only collected, received or stored specimens can be "
            "packed",
            specimen=sp.barcode, status=specimens.status_word(sp.status), code="not_packable")
    other = _on_other_manifest(session, shipment, sp)
    if other:
        raise Conflict(
            "%(specimen)s is already packed in %(other)s",
            specimen=sp.barcode, other=other, code="in_other_shipment")


def _box_specimens(session: Session, user: User, code: str) -> list[Specimen]:
    """The specimens in a storage box (if the storage area offers boxes)."""
    from . import storage

    if not hasattr(storage, "get_box") or not hasattr(storage, "occupancy"):
        raise ValidationError("whole-box packing needs the storage area's boxes; scan the "
                              "tubes one by one", code="boxes_unavailable")
    box = storage.get_box(session, user, code)
    return [p.specimen for _k, p in sorted(storage.occupancy(session, box).items())]


def pack(session: Session, user: User, shipment: Shipment, code: str) -> PackResult:
    """Add a scanned tube (SP…) or every tube of a scanned box (BX…) to a draft shipment. A tube
    already on this shipment is reported, not added twice."""
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_sender(user, shipment)
    if shipment.status != "draft":
        raise InvalidTransition(
            "%(shipment)s is %(status)s; tubes are added only while it is a draft",
            shipment=shipment.barcode, status=_status(shipment), code="not_draft")
    kind = ids.KINDS.get(code[:2])
    if kind == "box":
        found = _box_specimens(session, user, code)
        if not found:
            raise ValidationError("box %(box)s is empty", box=code, code="empty_box")
    elif kind == "specimen":
        found = [access.get_scanned_specimen(session, user, code)]
    else:
        raise ValidationError(
            "%(scanned)s is a %(kind)s label; scan a tube or a box",
            scanned=code, kind=kind, code="wrong_kind")
    present = set(session.execute(
        select(ShipmentItem.specimen_id).where(ShipmentItem.shipment_id == shipment.id)
    ).scalars())
    result = PackResult([], [])
    for sp in found:
        if sp.id in present:
            result.already.append(sp)
            continue
        specimens.lock(session, sp)
        _packable(session, user, shipment, sp)
        session.add(ShipmentItem(shipment_id=shipment.id, specimen_id=sp.id, extra=False,
                                 state="packed", added_by_id=user.id))
        audit.record(session, user, "shipment.pack", "shipment", shipment.barcode,
                     {"specimen": sp.barcode})
        result.added.append(sp)
    session.flush()
    return result


def unpack(session: Session, user: User, shipment: Shipment, barcode: str) -> None:
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_sender(user, shipment)
    if shipment.status != "draft":
        raise InvalidTransition(
            "%(shipment)s is %(status)s; tubes are removed only while it is a draft",
            shipment=shipment.barcode, status=_status(shipment), code="not_draft")
    item = _item(session, shipment, barcode)
    session.delete(item)
    audit.record(session, user, "shipment.unpack", "shipment", shipment.barcode,
                 {"specimen": barcode})
    session.flush()


def _set_status(session: Session, user: User, shipment: Shipment, new: str,
                reason: str | None = None, **extra: Any) -> None:
    old = shipment.status
    shipment.status = new
    audit.record(session, user, f"shipment.{new}", "shipment", shipment.barcode,
                 {"status": [old, new], **extra}, reason)


def mark_ready(session: Session, user: User, shipment: Shipment) -> Shipment:
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_sender(user, shipment)
    if shipment.status != "draft":
        raise InvalidTransition(
            "%(shipment)s is %(status)s; only a draft can be marked ready",
            shipment=shipment.barcode, status=_status(shipment))
    if not shipment.items:
        raise ValidationError("the shipment is empty: scan the tubes first", code="empty")
    _set_status(session, user, shipment, "ready")
    session.flush()
    return shipment


def reopen(session: Session, user: User, shipment: Shipment) -> Shipment:
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_sender(user, shipment)
    if shipment.status != "ready":
        raise InvalidTransition(
            "%(shipment)s is %(status)s; only a ready shipment goes back to draft",
            shipment=shipment.barcode, status=_status(shipment))
    _set_status(session, user, shipment, "draft")
    session.flush()
    return shipment


def check_shippable(user: User, shipment: Shipment) -> None:
    """Refuse, as :func:`ship` would, before the technician is asked to confirm."""
    _require_sender(user, shipment)
    if shipment.status != "ready":
        raise InvalidTransition(
            "%(shipment)s is %(status)s; only a ready shipment can be shipped",
            shipment=shipment.barcode, status=_status(shipment), code="not_ready")
    if not shipment.courier or not shipment.tracking_number:
        raise ValidationError("give the courier and the tracking number before shipping",
                              code="courier_required")
    if shipment.conditions == "dry_ice" and shipment.dry_ice_kg is None:
        # IATA PI 954: the package states the net mass of its dry ice (UN1845, "NET x KG");
        # a carrier refuses an unmarked one, so the box does not leave without it.
        raise FieldError(
            "%(field)s: record the net mass of the dry ice (kg) before shipping; the shipping "
            "label states it (UN1845)",
            field="dry_ice_kg", code="dry_ice_kg_required")


def ship(session: Session, user: User, shipment: Shipment) -> Shipment:
    """Hand the box to the courier: every tube goes in transit (one custody event each)."""
    shipment = get(session, user, shipment.barcode, lock=True)
    check_shippable(user, shipment)
    now = utcnow()
    for item in shipment.items:
        sp = item.specimen
        specimens.transition(session, user, sp, "ship", at=now, detail={
            "shipment": shipment.barcode, "from": shipment.from_site.code,
            "to": shipment.to_site.code, "courier": shipment.courier,
            "tracking": shipment.tracking_number})
        _leave_storage(session, user, sp)
    shipment.shipped_at = now
    shipment.shipped_by_id = user.id
    _set_status(session, user, shipment, "shipped", shipped_at=now)
    session.flush()
    return shipment


def _leave_storage(session: Session, user: User, sp: Specimen) -> None:
    """A tube that leaves the site no longer holds its box position (storage area's rule)."""
    from . import storage

    free = getattr(storage, "free_position", None)
    if free is not None:
        free(session, user, sp)


def cancel(session: Session, user: User, shipment: Shipment, reason: str) -> Shipment:
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_sender(user, shipment)
    reason = _need_reason(reason)
    if shipment.status not in {"draft", "ready"}:
        raise InvalidTransition(
            "%(shipment)s is %(status)s; only a draft or ready shipment can be cancelled",
            shipment=shipment.barcode, status=_status(shipment))
    _set_status(session, user, shipment, "cancelled", reason)
    session.flush()
    return shipment


def mark_lost(session: Session, user: User, shipment: Shipment, reason: str) -> Shipment:
    """The courier lost the package: every tube still in transit is marked lost."""
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_writer(user)
    if user.site_id not in (shipment.from_site_id, shipment.to_site_id) and \
            user.role != "admin":
        raise PermissionDenied("only the sending or receiving site may declare it lost")
    reason = _need_reason(reason)
    if shipment.status != "shipped" or _receipt(session, shipment) is not None:
        raise InvalidTransition(
            "%(shipment)s is %(status)s; only a shipment in transit and not being received can be "
            "declared lost",
            shipment=shipment.barcode, status=_status(shipment))
    for item in shipment.items:
        if item.specimen.status == "in_transit":
            specimens.transition(session, user, item.specimen, "lose", reason=reason,
                                 detail={"shipment": shipment.barcode})
    _set_status(session, user, shipment, "lost", reason)
    session.flush()
    return shipment


# --- receiving ---------------------------------------------------------------------------------

def _need_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError("a reason is required", code="reason_required")
    return text[:500]


#: An arrival temperature in °C (column NUMERIC(6, 2)).
TEMPERATURE = Number(low=Decimal(-273), high=Decimal(100), places=2)


def _parse_temperature(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    return TEMPERATURE.clean("temperature", raw).quantize(Decimal("0.01"))


def _receipt(session: Session, shipment: Shipment) -> ShipmentReceipt | None:
    return session.execute(
        select(ShipmentReceipt).where(ShipmentReceipt.shipment_id == shipment.id)
    ).unique().scalar_one_or_none()


def start_receipt(
    session: Session, user: User, shipment: Shipment, *, package_condition: str = "intact",
    temperature: Any = None,
) -> ShipmentReceipt:
    """Open the shipment's one receipt. The same technician reopening it gets it back; anyone
    else, or any shipment not in transit, is refused with 409."""
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_receiver(user, shipment)
    receipt = _receipt(session, shipment)
    if receipt is not None:
        if receipt.receiver_id == user.id and receipt.finished_at is None:
            return receipt
        who = receipt.receiver.username
        if receipt.finished_at is not None:
            raise _already_received(user, shipment, receipt)
        raise Conflict(
            "%(shipment)s is being received by %(who)s",
            shipment=shipment.barcode, who=who, code="receipt_open")
    if shipment.status != "shipped":
        raise InvalidTransition(
            "%(shipment)s is %(status)s; only a shipped shipment can be received",
            shipment=shipment.barcode, status=_status(shipment), code="not_shipped")
    if package_condition not in PACKAGE_CONDITIONS:
        raise ValidationError(
            "package condition: choose one of %(conditions)s",
            conditions=", ".join(PACKAGE_CONDITIONS))
    now = utcnow()
    if shipment.shipped_at is not None and now + CLOCK_SLACK < shipment.shipped_at:
        raise ValidationError("receipt time cannot precede the ship time", code="before_ship")
    receipt = ShipmentReceipt(shipment_id=shipment.id, receiver_id=user.id, started_at=now,
                              package_condition=package_condition,
                              arrival_temperature_c=_parse_temperature(temperature))
    try:
        with session.begin_nested():
            session.add(receipt)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "%(shipment)s is already being received",
            shipment=shipment.barcode, code="receipt_open") \
            from exc
    audit.record(session, user, "shipment.receipt_start", "shipment", shipment.barcode, {
        "package_condition": package_condition,
        "arrival_temperature_c": receipt.arrival_temperature_c,
    })
    session.refresh(shipment)
    return receipt


def _already_received(user: User, shipment: Shipment, receipt: ShipmentReceipt) -> Conflict:
    """A finished receipt scanned again: by whom and when, so that the technician who received
    it is not told that someone else has it."""
    when = localtime.format_local(receipt.finished_at, shipment.to_site.timezone)
    if receipt.receiver_id == user.id:
        return Conflict(
            "%(shipment)s is already received: you finished its receipt at %(when)s",
            shipment=shipment.barcode, when=when, code="already_received")
    return Conflict(
        "%(shipment)s is already received: %(who)s finished its receipt at %(when)s",
        shipment=shipment.barcode, who=receipt.receiver.username, when=when,
        code="already_received")


def _open_receipt(session: Session, user: User, code: str) -> tuple[Shipment, ShipmentReceipt]:
    shipment = get(session, user, code, lock=True)
    _require_receiver(user, shipment)
    receipt = _receipt(session, shipment)
    if receipt is None:
        raise Conflict(
            "scan %(shipment)s first to open its receipt",
            shipment=shipment.barcode, code="no_receipt")
    if receipt.finished_at is not None:
        raise _already_received(user, shipment, receipt)
    if receipt.receiver_id != user.id:
        raise Conflict(
            "%(shipment)s is being received by %(who)s",
            shipment=shipment.barcode, who=receipt.receiver.username, code="receipt_open")
    return shipment, receipt


@dataclass
class ReceiveResult:
    outcome: str  # received | damaged | extra | duplicate
    item: ShipmentItem
    specimen: Specimen
    message: str
    #: A condition card scanned before a tube that was already scanned: not applied.
    dropped_condition: str | None = None


@dataclass
class ConditionResult:
    """A condition card scanned: it waits for the next tube."""

    condition: str  # a DAMAGE key, or INTACT (the waiting condition was taken back)
    replaced: str | None  # the condition that was waiting before, if any

    @property
    def outcome(self) -> str:
        return "condition_cleared" if self.condition == INTACT else "condition"


def set_next_condition(session: Session, user: User, shipment: Shipment | str,
                       condition: str) -> ConditionResult:
    """A condition card scanned on the receive screen: it applies to the next tube scanned,
    and to that tube only. ``intact`` takes back a card scanned by mistake."""
    shipment, receipt = _open_receipt(
        session, user, shipment if isinstance(shipment, str) else shipment.barcode)
    if condition != INTACT and condition not in DAMAGE:
        raise ValidationError(
            "damage: choose one of %(damage)s",
            damage=", ".join(DAMAGE), code="bad_damage")
    replaced = receipt.next_condition
    receipt.next_condition = None if condition == INTACT else condition
    receipt.finish_pending = False
    session.flush()
    return ConditionResult(condition, replaced)


@dataclass
class FinishScan:
    """The shipment label scanned on the receive screen."""

    finished: bool
    #: Tubes of the manifest not scanned yet: missing once the receipt finishes.
    unscanned: int

    @property
    def outcome(self) -> str:
        return "finished" if self.finished else "confirm_finish"


def finish_scan(session: Session, user: User, shipment: Shipment, *,
                package_condition: str | None = None, temperature: Any = None,
                seen: int | None = None) -> FinishScan:
    """The shipment label scanned while receiving. With every tube scanned the receipt
    finishes; otherwise the first scan only says how many tubes would become missing, and a
    second scan of the label (with no tube or card between) finishes.

    ``seen`` is the count of unscanned tubes the screen showed when the second scan was
    made (the receive page sends it; None: not known). A scanner reading the label twice
    sends the second read before the first answer is on the screen: that read names no
    count, so it only says the count again, and nobody finishes a count they did not see."""
    shipment, receipt = _open_receipt(session, user, shipment.barcode)
    unscanned = sum(1 for it in shipment.items if it.state == "packed")
    if unscanned and (not receipt.finish_pending or seen not in (None, unscanned)):
        receipt.finish_pending = True
        receipt.next_condition = None
        session.flush()
        return FinishScan(False, unscanned)
    finish_receipt(session, user, shipment, package_condition=package_condition,
                   temperature=temperature, expect_missing=unscanned)
    return FinishScan(True, unscanned)


def receive_scan(session: Session, user: User, shipment: Shipment | str, code: str,
                 damage: str | None = None) -> ReceiveResult:
    """One tube scanned out of the box. On the manifest: received (custody moves here), or
    damaged if a damage code is given. Not on it: an extra, quarantined — custody untouched.
    The same tube again: ``duplicate``, nothing written."""
    # The hot path of receiving: the shipment may be given by its code (one locked read).
    shipment, receipt = _open_receipt(
        session, user, shipment if isinstance(shipment, str) else shipment.barcode)
    if damage in ("", "ok", "none", INTACT):
        damage = None
    # A condition card scanned before this tube describes this tube, and no other: it is
    # taken now (a refused scan rolls back and leaves it waiting for the rescan).
    waiting, receipt.next_condition = receipt.next_condition, None
    receipt.finish_pending = False
    if damage is None:
        damage = waiting
    if damage is not None and damage not in DAMAGE:
        raise ValidationError(
            "damage: choose one of %(damage)s",
            damage=", ".join(DAMAGE), code="bad_damage")
    if ids.KINDS.get(code[:2]) != "specimen":
        raise ValidationError(
            "%(scanned)s is not a tube label; scan the tubes of %(shipment)s",
            scanned=code, shipment=shipment.barcode, code="wrong_kind")
    sp = session.execute(
        select(Specimen).where(Specimen.barcode == code)
    ).unique().scalar_one_or_none()
    if sp is None:
        raise NotFound(
            "unknown code %(scanned)s: no specimen with this label is on record",
            scanned=code, code="unknown_code")
    item = session.execute(
        select(ShipmentItem).where(ShipmentItem.shipment_id == shipment.id,
                                   ShipmentItem.specimen_id == sp.id)
    ).unique().scalar_one_or_none()
    now = utcnow()
    if item is not None and item.state != "packed":
        # A card is not moved onto a tube recorded before it: that would change a record
        # without a reason. The discrepancy page corrects it; the card is dropped, so it cannot
        # land on the next tube either.
        session.flush()
        return ReceiveResult("duplicate", item, sp, f"{code} was already scanned ({item.state})",
                             dropped_condition=damage)
    if item is None:
        # Not on the manifest: recorded as a discrepancy; the stray tube's custody is untouched.
        item = ShipmentItem(shipment_id=shipment.id, specimen_id=sp.id, extra=True,
                            state="extra", damage=damage, scanned_at=now, scanned_by_id=user.id,
                            added_by_id=user.id)
        session.add(item)
        session.flush()
        audit.record(session, user, "shipment.extra", "shipment", shipment.barcode,
                     {"specimen": code, "damage": damage})
        return ReceiveResult("extra", item, sp,
                             f"{code} is not on the manifest of {shipment.barcode}: quarantine it")
    # The custody move (site) is recorded in the same event and audit row as the status.
    detail: dict[str, Any] = {"shipment": shipment.barcode, "from": shipment.from_site.code,
                              "to": shipment.to_site.code,
                              "site": [sp.site.code, shipment.to_site.code]}
    if damage:
        detail["damage"] = damage
    specimens.transition(session, user, sp, "receive", at=now, detail=detail)
    sp.site_id = shipment.to_site_id
    item.state = "damaged" if damage else "received"
    item.damage = damage
    item.scanned_at = now
    item.scanned_by_id = user.id
    audit.record(session, user, f"shipment.item_{item.state}", "shipment", shipment.barcode,
                 {"specimen": code, "damage": damage})
    session.flush()
    return ReceiveResult(item.state, item, sp,
                         f"{code} received" + (f" — {DAMAGE[damage].lower()}" if damage else ""))


def finish_receipt(
    session: Session, user: User, shipment: Shipment, *, package_condition: str | None = None,
    temperature: Any = None, expect_missing: int | None = None,
) -> Shipment:
    """Close the scanning: tubes on the manifest that were not scanned become ``missing``.
    With ``expect_missing`` (the number the technician was shown), a different number —
    a tube scanned meanwhile, on another screen — refuses, so nobody confirms a count they
    did not see."""
    shipment, receipt = _open_receipt(session, user, shipment.barcode)
    unscanned = sum(1 for it in shipment.items if it.state == "packed")
    if expect_missing is not None and expect_missing != unscanned:
        raise Conflict(
            "%(count)s tubes of %(shipment)s are unscanned now, not %(expected)s; check the "
            "list and finish again",
            count=unscanned, shipment=shipment.barcode, expected=expect_missing,
            code="missing_count_changed")
    if package_condition:
        if package_condition not in PACKAGE_CONDITIONS:
            raise ValidationError(
                "package condition: choose one of %(conditions)s",
                conditions=", ".join(PACKAGE_CONDITIONS))
        receipt.package_condition = package_condition
    temp = _parse_temperature(temperature)
    if temp is not None:
        receipt.arrival_temperature_c = temp
    now = utcnow()
    if shipment.shipped_at is not None and now + CLOCK_SLACK < shipment.shipped_at:
        raise ValidationError("receipt time cannot precede the ship time", code="before_ship")
    missing = []
    for item in shipment.items:
        if item.state == "packed":
            item.state = "missing"
            missing.append(item.specimen.barcode)
    receipt.finished_at = now
    receipt.finish_pending = False
    receipt.next_condition = None
    new = "partially_received" if missing else "received"
    _set_status(session, user, shipment, new, received_at=now, missing=missing,
                package_condition=receipt.package_condition,
                arrival_temperature_c=receipt.arrival_temperature_c)
    session.flush()
    return shipment


def _item(session: Session, shipment: Shipment, barcode: str) -> ShipmentItem:
    item = session.execute(
        select(ShipmentItem).join(Specimen, ShipmentItem.specimen_id == Specimen.id)
        .where(ShipmentItem.shipment_id == shipment.id,
               Specimen.barcode == barcode.strip().upper())
    ).unique().scalar_one_or_none()
    if item is None:
        raise NotFound(
            "%(barcode)s is not part of %(shipment)s",
            barcode=barcode, shipment=shipment.barcode)
    return item


RESOLUTIONS = {
    "missing": ("noted", "lost", "received_late"),
    "damaged": ("noted", "cleared", "disposed"),
    "extra": ("noted", "accepted"),
}
RESOLUTION_LABELS: dict[str, str] = {
    "noted": "Reason recorded, no status change",
    "lost": "Mark the tube lost",
    "received_late": "Tube found: receive it now",
    "cleared": "Flag was wrong: the tube is intact (received)",
    "disposed": "Dispose of the tube",
    "accepted": "Accept into custody here (it can then be stored)",
}
#: Every resolution, for the forms that read one.
RESOLUTION_ACTIONS = tuple(RESOLUTION_LABELS)


def _accept_extra(session: Session, user: User, shipment: Shipment, sp: Specimen,
                  reason: str) -> None:
    """An extra tube taken into the receiving site's custody: it left its site in this box
    without being packed on record, so it is shipped and received here in one step (two
    custody events, both with the reason), and its old box position is freed."""
    if sp.site_id == shipment.to_site_id and sp.status in {"received", "stored"}:
        return  # already in this site's custody on record: nothing moves
    specimens.lock(session, sp)
    other = _on_other_manifest(session, shipment, sp)
    if other:
        raise Conflict(
            "%(specimen)s is on the manifest of %(other)s; it is received with that shipment, "
            "or taken off it by its sender, before it can be accepted here",
            specimen=sp.barcode, other=other, code="in_other_shipment")
    if sp.status not in specimens.TRANSITIONS["ship"].sources:
        raise InvalidTransition(
            "%(specimen)s is %(status)s; only a collected, received or stored tube can be "
            "taken into custody",
            specimen=sp.barcode, status=specimens.status_word(sp.status), code="not_acceptable")
    detail = {"shipment": shipment.barcode, "extra": True, "from": sp.site.code,
              "to": shipment.to_site.code}
    _leave_storage(session, user, sp)
    now = utcnow()
    specimens.transition(session, user, sp, "ship", at=now, reason=reason, detail=detail)
    specimens.transition(session, user, sp, "receive", at=now, reason=reason,
                         detail={**detail, "site": [sp.site.code, shipment.to_site.code]})
    sp.site = shipment.to_site


def resolve(session: Session, user: User, shipment: Shipment, barcode: str, reason: str,
            action: str = "noted") -> ShipmentItem:
    """Resolve one discrepancy with a reason. ``lost`` marks a missing tube lost;
    ``received_late`` receives a missing tube that turned up; ``disposed`` disposes a damaged
    one; ``cleared`` takes back a wrong damage flag (the tube counts as received intact);
    ``accepted`` takes an extra tube into this site's custody (it can then be stored);
    ``noted`` records the reason only."""
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_receiver(user, shipment)
    reason = _need_reason(reason)
    item = _item(session, shipment, barcode)
    if not item.is_discrepancy:
        raise Conflict(
            "%(barcode)s was received without a discrepancy",
            barcode=barcode, code="no_discrepancy")
    if item.resolved_at is not None:
        raise Conflict(
            "the discrepancy on %(barcode)s was already resolved",
            barcode=barcode, code="resolved")
    if action not in RESOLUTIONS[item.state]:
        raise ValidationError(
            "a %(state)s tube is resolved as one of: %(resolutions)s",
            state=term(item.state), resolutions=", ".join(RESOLUTIONS[item.state]),
            code="bad_resolution")
    sp = item.specimen
    detail = {"shipment": shipment.barcode}
    changes: dict[str, Any] = {}
    if action == "cleared":
        changes = {"state": [item.state, "received"], "damage": [item.damage, None]}
        item.state = "received"
        item.damage = None
    elif action == "accepted":
        before = sp.site.code
        _accept_extra(session, user, shipment, sp, reason)
        if before != shipment.to_site.code:
            changes = {"site": [before, shipment.to_site.code]}
    elif action == "lost":
        specimens.transition(session, user, sp, "lose", reason=reason, detail=detail)
    elif action == "disposed":
        specimens.transition(session, user, sp, "dispose", reason=reason, detail=detail)
    elif action == "received_late":
        specimens.transition(session, user, sp, "receive", reason=reason,
                             detail={**detail, "late": True, "from": shipment.from_site.code,
                                     "to": shipment.to_site.code,
                                     "site": [sp.site.code, shipment.to_site.code]})
        sp.site_id = shipment.to_site_id
    now = utcnow()
    item.resolution = f"{action}: {reason}"
    item.resolved_at = now
    item.resolved_by_id = user.id
    audit.record(session, user, "shipment.resolve", "shipment", shipment.barcode,
                 {"specimen": barcode, "state": item.state, "action": action, **changes},
                 reason)
    session.flush()
    return item


def close(session: Session, user: User, shipment: Shipment) -> Shipment:
    shipment = get(session, user, shipment.barcode, lock=True)
    _require_receiver(user, shipment)
    if shipment.status not in {"received", "partially_received"}:
        raise InvalidTransition(
            "%(shipment)s is %(status)s; only a received shipment can be closed",
            shipment=shipment.barcode, status=_status(shipment), code="not_received")
    still = [it.specimen.barcode for it in shipment.items if it.is_open]
    if still:
        raise Conflict(
            "%(count)s discrepancies are still open: %(barcodes)s",
            count=len(still), barcodes=", ".join(still), code="open_discrepancies")
    shipment.closed_at = utcnow()
    _set_status(session, user, shipment, "closed")
    session.flush()
    return shipment
