"""Storage: containers and their templates, storing by scan, moves, check-out/in, rack-scanner
imports. Every change locks the specimen, records a SpecimenEvent (through
``specimens.transition`` where the status moves) and an audit event; nothing here commits."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from labels import ids

from .. import vocabulary
from ..errors import Conflict, InvalidTransition, NotFound, ValidationError
from ..i18n import LIST_SEPARATOR, Msg, joined, term
from ..models import (
    Site,
    Specimen,
    SpecimenEvent,
    StorageBox,
    StorageLocation,
    StoragePosition,
    StorageScanHold,
    User,
    utcnow,
)
from . import access, audit, specimens, storage_rules

# Container templates. Units stand on their own; shelves and racks sit inside a unit or
# another level.
UNIT_KINDS: Final[dict[str, str]] = {
    "freezer_minus80": "−80 °C freezer",
    "freezer_minus20": "−20 °C freezer",
    "ln2_tank": "Liquid-nitrogen tank",
    "fridge_4c": "4 °C fridge",
    "ffpe_cabinet": "Room-temperature FFPE cabinet",
}
LEVEL_KINDS: Final[dict[str, str]] = {"shelf": "Shelf", "rack": "Rack"}
LOCATION_KINDS: Final[dict[str, str]] = {**UNIT_KINDS, **LEVEL_KINDS}


@dataclass(frozen=True)
class BoxType:
    label: str
    rows: int
    cols: int


BOX_TYPES: Final[dict[str, BoxType]] = {
    "cryobox_9x9": BoxType("Cryobox 9×9 (81)", 9, 9),
    "cryobox_10x10": BoxType("Cryobox 10×10 (100)", 10, 10),
    "rack_8x12": BoxType("Rack 8×12 (96)", 8, 12),
    "slide_box_25": BoxType("Slide box (25)", 1, 25),
    "slide_box_100": BoxType("Slide box (100)", 4, 25),
    "block_box_5x10": BoxType("FFPE block box 5×10 (50)", 5, 10),
}
FILL_ORDERS: Final[dict[str, str]] = {"row": "Row by row (A1, A2, …)",
                                      "column": "Column by column (A1, B1, …)"}
# Short text for a box-map cell (the cell's colour repeats it; colour is never the only sign).
TYPE_SHORT: Final[dict[str, str]] = {
    "whole_blood_edta": "WB", "serum": "SER", "plasma": "PL", "buffy_coat": "BC",
    "germline_dna": "gDNA", "ffpe_block": "FFPE", "ffpe_slides": "SL", "ffpe_curls": "CU",
    "fresh_frozen_tissue": "FF", "tumour_dna": "tDNA",
}
STORABLE = frozenset({"received", "stored"})
GONE = frozenset({"consumed", "disposed", "lost"})
STORE_ROLES = ("technician", "admin")


def holds_position() -> ColumnElement[bool]:
    """The specimen still occupies its position (not consumed, disposed or lost).

    The statuses are rendered as SQL literals, not parameters: psycopg prepares a statement
    after five runs, and PostgreSQL's generic plan for ``status <> ALL($2, $3, $4)`` guessed
    one matching row and scanned every specimen for each box map (17 ms at 20,000 specimens,
    growing with the table)."""
    return Specimen.status.not_in(
        bindparam("gone_statuses", sorted(GONE), expanding=True, literal_execute=True))
_POSITION = re.compile(r"^([A-Z])0*([1-9][0-9]?)$")


# --- positions -------------------------------------------------------------------------------

def position_name(row: int, col: int) -> str:
    return f"{chr(ord('A') + row - 1)}{col}"


def parse_position(box: StorageBox, raw: str) -> tuple[int, int]:
    """'C4' → (3, 4), refused if it is not a position name or lies outside the box."""
    text = raw.strip().upper()
    m = _POSITION.match(text)
    if not m:
        raise ValidationError(
            "%(raw)r is not a position name (like A1 or J10)",
            raw=raw, code="bad_position")
    row, col = ord(m.group(1)) - ord("A") + 1, int(m.group(2))
    if row > box.n_rows or col > box.n_cols:
        last = position_name(box.n_rows, box.n_cols)
        raise ValidationError(
            "position %(text)s is outside box %(box)s (%(n_rows)s×%(n_cols)s: A1…%(last)s)",
            text=text,
            box=box.barcode,
            n_rows=box.n_rows,
            n_cols=box.n_cols,
            last=last,
            code="outside_box")
    return row, col


# --- finding ---------------------------------------------------------------------------------

def _visible(user: User, site_id: int) -> bool:
    return access.can_see_site(user, site_id)


def get_box(session: Session, user: User, barcode: str) -> StorageBox:
    box = session.execute(
        select(StorageBox).where(StorageBox.barcode == barcode.strip().upper())
    ).scalar_one_or_none()
    if box is None or not _visible(user, box.site_id):
        raise NotFound("no box %(box)r visible to you", box=barcode, code="unknown_code")
    return box


def get_location(session: Session, user: User, barcode: str) -> StorageLocation:
    loc = session.execute(
        select(StorageLocation).where(StorageLocation.barcode == barcode.strip().upper())
    ).scalar_one_or_none()
    if loc is None or not _visible(user, loc.site_id):
        raise NotFound(
            "no storage location %(location)r visible to you",
            location=barcode, code="unknown_code")
    return loc


def resolve_scan(session: Session, user: User, code: str) -> object:
    """The box or location with this barcode, for the scan station."""
    try:
        if code.upper().startswith("BX"):
            return get_box(session, user, code)
        return get_location(session, user, code)
    except NotFound as exc:
        raise NotFound(
            "%(scanned)s is a storage label, but nothing with that code is on record",
            scanned=code, code="unknown_code") from exc


def location_chain(loc: StorageLocation | None) -> list[StorageLocation]:
    """The location and its ancestors, outermost first."""
    chain: list[StorageLocation] = []
    while loc is not None and loc not in chain:
        chain.append(loc)
        loc = loc.parent
    return list(reversed(chain))


def box_path(box: StorageBox) -> str:
    return " / ".join([*(loc.name for loc in location_chain(box.location)), box.name])


def position_of(session: Session, specimen: Specimen) -> StoragePosition | None:
    return session.execute(
        select(StoragePosition).where(StoragePosition.specimen_id == specimen.id)
    ).scalar_one_or_none()


def full_path(pos: StoragePosition) -> str:
    """'Freezer A / Shelf 2 / Box 7 / C4'."""
    return f"{box_path(pos.box)} / {position_name(pos.row_no, pos.col_no)}"


def occupancy(session: Session, box: StorageBox) -> dict[tuple[int, int], StoragePosition]:
    """Occupied positions of a box. A specimen consumed, disposed or lost no longer holds its
    position, whichever screen recorded that."""
    rows = session.execute(
        select(StoragePosition).join(Specimen, StoragePosition.specimen_id == Specimen.id)
        .options(contains_eager(StoragePosition.specimen))
        .where(StoragePosition.box_id == box.id, holds_position())
    ).unique().scalars()
    return {(p.row_no, p.col_no): p for p in rows}


@dataclass(frozen=True)
class GridCell:
    barcode: str
    specimen_type: str
    status: str
    freeze_thaw_count: int


def grid(session: Session, box: StorageBox) -> dict[tuple[int, int], GridCell]:
    """What the box map draws, in one narrow query (no ORM objects per tube)."""
    rows = session.execute(
        select(StoragePosition.row_no, StoragePosition.col_no, Specimen.barcode,
               Specimen.specimen_type, Specimen.status, Specimen.freeze_thaw_count)
        .join(Specimen, StoragePosition.specimen_id == Specimen.id)
        .where(StoragePosition.box_id == box.id, holds_position())
    )
    return {(r, c): GridCell(bc, t, st, ft) for r, c, bc, t, st, ft in rows}


def used_count(session: Session, box: StorageBox) -> int:
    return int(session.execute(
        select(func.count()).select_from(StoragePosition)
        .join(Specimen, StoragePosition.specimen_id == Specimen.id)
        .where(StoragePosition.box_id == box.id, holds_position())
    ).scalar_one())


def fill_sequence(box: StorageBox) -> list[tuple[int, int]]:
    if box.fill_order == "column":
        return [(r, c) for c in range(1, box.n_cols + 1) for r in range(1, box.n_rows + 1)]
    return [(r, c) for r in range(1, box.n_rows + 1) for c in range(1, box.n_cols + 1)]


def next_free(session: Session, box: StorageBox,
              taken: Mapping[tuple[int, int], object] | None = None
              ) -> tuple[int, int] | None:
    used = occupancy(session, box) if taken is None else taken
    for rc in fill_sequence(box):
        if rc not in used:
            return rc
    return None


def boxes_under(session: Session, loc: StorageLocation) -> list[StorageBox]:
    out: list[StorageBox] = []
    stack = [loc]
    while stack:
        cur = stack.pop()
        out.extend(cur.boxes)
        stack.extend(cur.children)
    return out


@dataclass
class Utilisation:
    used: int
    capacity: int

    @property
    def percent(self) -> int:
        return round(100 * self.used / self.capacity) if self.capacity else 0


def location_utilisation(session: Session, loc: StorageLocation) -> Utilisation:
    boxes = boxes_under(session, loc)
    if not boxes:
        return Utilisation(0, 0)
    used = session.execute(
        select(func.count()).select_from(StoragePosition)
        .join(Specimen, StoragePosition.specimen_id == Specimen.id)
        .where(StoragePosition.box_id.in_([b.id for b in boxes]), holds_position())
    ).scalar_one()
    return Utilisation(int(used), sum(b.capacity for b in boxes))


# --- containers ------------------------------------------------------------------------------

def _require_storer(actor: User) -> None:
    access.require_write(actor)
    access.require_role(actor, *STORE_ROLES)


def create_location(session: Session, actor: User, *, kind: str, name: str,
                    parent: StorageLocation | None = None, site: Site | None = None
                    ) -> StorageLocation:
    _require_storer(actor)
    if kind not in LOCATION_KINDS:
        raise ValidationError(
            "unknown kind of storage %(kind)r (one of %(kinds)s)",
            kind=kind, kinds=", ".join(LOCATION_KINDS), code="bad_kind")
    if kind in UNIT_KINDS and parent is not None:
        raise ValidationError(
            "a %(kind)s stands on its own; it has no parent",
            kind=term(LOCATION_KINDS[kind]), code="bad_parent")
    if kind in LEVEL_KINDS and parent is None:
        raise ValidationError(
            "a %(kind)s must be inside a unit",
            kind=term(LOCATION_KINDS[kind].lower(), LOCATION_KINDS[kind]), code="bad_parent")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("give a name of 1–100 characters", code="bad_name")
    site_id = parent.site_id if parent is not None else (site.id if site else actor.site_id)
    if not _visible(actor, site_id):
        raise NotFound("no such site visible to you")
    loc = StorageLocation(barcode=specimens.allocate_id(session, "LC"), name=name, kind=kind,
                          parent_id=parent.id if parent else None, site_id=site_id)
    session.add(loc)
    session.flush()
    audit.record(session, actor, "storage.location_create", "storage_location", loc.barcode,
                 {"kind": kind, "name": name, "parent": parent.barcode if parent else None})
    return loc


def create_box(session: Session, actor: User, *, box_type: str, name: str,
               location: StorageLocation | None = None, fill_order: str = "row",
               site: Site | None = None) -> StorageBox:
    _require_storer(actor)
    template = BOX_TYPES.get(box_type)
    if template is None:
        raise ValidationError(
            "unknown box type %(box_type)r (one of %(types)s)",
            box_type=box_type, types=", ".join(BOX_TYPES), code="bad_box_type")
    if fill_order not in FILL_ORDERS:
        raise ValidationError("fill order must be 'row' or 'column'", code="bad_fill_order")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("give a name of 1–100 characters", code="bad_name")
    site_id = location.site_id if location else (site.id if site else actor.site_id)
    box = StorageBox(barcode=specimens.allocate_id(session, "BX"), name=name,
                     box_type=box_type, n_rows=template.rows, n_cols=template.cols,
                     fill_order=fill_order, location_id=location.id if location else None,
                     site_id=site_id)
    session.add(box)
    session.flush()
    audit.record(session, actor, "storage.box_create", "storage_box", box.barcode, {
        "type": box_type, "name": name, "fill_order": fill_order,
        "location": location.barcode if location else None})
    return box


def move_box(session: Session, actor: User, box: StorageBox,
             target: StorageLocation | StorageBox) -> None:
    """Put a box on a shelf/rack/unit. A box holds tubes, never another box."""
    _require_storer(actor)
    if isinstance(target, StorageBox):
        if target.id == box.id:
            raise ValidationError(
                "box %(box)s cannot be placed inside itself",
                box=box.barcode, code="cycle")
        raise ValidationError("a box can be placed in a unit, shelf or rack, not in another "
                              "box", code="bad_parent")
    if target.site_id != box.site_id:
        raise Conflict(
            "%(target)s is at another site; ship the box instead",
            target=target.barcode, code="other_site")
    old = box.location.barcode if box.location else None
    box.location_id = target.id
    session.flush()
    session.expire(box, ["location"])
    audit.record(session, actor, "storage.box_move", "storage_box", box.barcode,
                 {"location": [old, target.barcode]})


def move_location(session: Session, actor: User, loc: StorageLocation,
                  target: StorageLocation) -> None:
    """Move a shelf or rack; refuses a move into itself or into anything inside it."""
    _require_storer(actor)
    if loc.kind in UNIT_KINDS:
        raise ValidationError(
            "a %(kind)s stands on its own",
            kind=term(LOCATION_KINDS[loc.kind]), code="bad_parent")
    if target.id == loc.id or loc in location_chain(target):
        raise ValidationError(
            "%(location)s cannot be placed inside itself (or inside something it holds)",
            location=loc.barcode, code="cycle")
    if target.site_id != loc.site_id:
        raise Conflict("%(target)s is at another site", target=target.barcode, code="other_site")
    old = loc.parent.barcode if loc.parent else None
    loc.parent_id = target.id
    session.flush()
    session.expire(loc, ["parent"])
    audit.record(session, actor, "storage.location_move", "storage_location", loc.barcode,
                 {"parent": [old, target.barcode]})


# --- storing ---------------------------------------------------------------------------------

def _storable(actor: User, box: StorageBox, specimen: Specimen) -> None:
    if specimen.status not in STORABLE:
        hint = {
            "checked_out": Msg("it is checked out: check it in first"),
            "in_transit": Msg("it is in transit: receive it first"),
            "expected": Msg("it has not been collected"),
            "collected": Msg("it has not been received at a biobank"),
        }.get(specimen.status) or Msg("it can no longer be stored")
        raise InvalidTransition(
            "%(specimen)s is %(status)s; %(hint)s",
            specimen=specimen.barcode,
            status=specimens.status_word(specimen.status),
            hint=hint,
            code="not_storable")
    if specimen.site_id != box.site_id:
        raise Conflict(
            "%(specimen)s is held at %(site)s, box %(box)s is at %(box_site)s",
            specimen=specimen.barcode,
            site=specimen.site.code,
            box=box.barcode,
            box_site=box.site.code,
            code="other_site")


def _insert_position(session: Session, actor: User, box: StorageBox, specimen: Specimen,
                     row: int, col: int) -> StoragePosition:
    pos = StoragePosition(box_id=box.id, row_no=row, col_no=col, specimen_id=specimen.id,
                          stored_at=utcnow(), stored_by_id=actor.id)
    try:
        with session.begin_nested():
            session.add(pos)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "position %(position)s of %(box)s was just taken; scan again",
            position=position_name(row, col), box=box.barcode, code="position_occupied") from exc
    return pos


def _clear_gone(session: Session, box: StorageBox, row: int, col: int) -> None:
    """Remove a stale row left by a specimen consumed/disposed/lost elsewhere."""
    stale = session.execute(
        select(StoragePosition).where(StoragePosition.box_id == box.id,
                                      StoragePosition.row_no == row,
                                      StoragePosition.col_no == col)
    ).scalar_one_or_none()
    if stale is not None and stale.specimen.status in GONE:
        session.delete(stale)
        session.flush()


def temperature_of(box: StorageBox) -> str | None:
    """The temperature class of the unit holding the box (None for a box on no unit)."""
    chain = location_chain(box.location)
    return storage_rules.UNIT_TEMPERATURE.get(chain[0].kind) if chain else None


def box_kind_of(box: StorageBox) -> str | None:
    """The kind of box (cryobox, slide box, block box), from its type."""
    return storage_rules.BOX_TYPE_KIND.get(box.box_type)


def rule_check(box: StorageBox, specimen: Specimen) -> storage_rules.Rule | None:
    """The storage rule this placement breaks, if any (warn or refuse); changes nothing."""
    return storage_rules.rule_for(specimen.specimen_type, temperature_of(box), box_kind_of(box))


def _place(box: StorageBox) -> Msg:
    """What the rules see of a box: its kind and, on a unit, its temperature."""
    words = [term(storage_rules.BOX_KINDS[kind]) for kind in (box_kind_of(box),) if kind]
    temperature = temperature_of(box)
    if temperature is not None:
        words.append(term(storage_rules.TEMPERATURES.get(temperature, temperature)))
    return joined(words, LIST_SEPARATOR)


def _rule_error(box: StorageBox, specimen: Specimen, rule: storage_rules.Rule, *,
                by_rescan: bool = False) -> Conflict:
    reason = rule.reason if isinstance(rule.reason, Msg) else term(rule.reason)
    params: dict[str, object] = {
        "specimen": specimen.barcode,
        "type": term(vocabulary.label(vocabulary.SPECIMEN_TYPES, specimen.specimen_type)),
        "box": box.barcode,
        "place": _place(box),
        "reason": reason,
    }
    if rule.outcome == "refuse":
        return Conflict("%(specimen)s (%(type)s) cannot go into %(box)s (%(place)s): "
                        "%(reason)s", code="storage_refused", **params)
    if by_rescan:
        return Conflict("%(specimen)s (%(type)s) into %(box)s (%(place)s): %(reason)s. "
                        "Scan the tube again to store it anyway", code="storage_warning",
                        **params)
    return Conflict("%(specimen)s (%(type)s) into %(box)s (%(place)s): %(reason)s. "
                    "Acknowledge the deviation to store it anyway", code="storage_warning",
                    **params)


def _apply_rules(box: StorageBox, specimen: Specimen,
                 acknowledge: bool) -> storage_rules.Rule | None:
    """Refuses a placement that would ruin the specimen, and a deviation that nobody has
    acknowledged; returns the acknowledged deviation (to be recorded) or None."""
    rule = rule_check(box, specimen)
    if rule is None:
        return None
    if rule.outcome == "refuse" or not acknowledge:
        raise _rule_error(box, specimen, rule)
    return rule


def _record_deviation(session: Session, actor: User, box: StorageBox, specimen: Specimen,
                      rule: storage_rules.Rule, detail: dict[str, object]) -> None:
    detail["deviation_acknowledged"] = str(rule.reason)
    audit.record(session, actor, "storage.deviation_acknowledged", "specimen",
                 specimen.barcode, {"box": box.barcode, "temperature": temperature_of(box),
                                    "box_kind": box_kind_of(box),
                                    "type": specimen.specimen_type, "rule": str(rule.reason)})


def store(session: Session, actor: User, box: StorageBox, specimen: Specimen,
          position: str | None = None, *, acknowledge: bool = False) -> StoragePosition:
    """Store (or move) a specimen at ``position`` or the box's next free position. A
    placement the storage rules refuse is refused; one they warn about needs
    ``acknowledge`` (recorded in the audit trail)."""
    _require_storer(actor)
    if not _visible(actor, box.site_id):
        raise NotFound("no box %(box)r visible to you", box=box.barcode)
    specimens.lock(session, specimen)
    _storable(actor, box, specimen)
    deviation = _apply_rules(box, specimen, acknowledge)
    taken = occupancy(session, box)
    old = position_of(session, specimen)
    if not position and old is not None and old.box_id == box.id:
        # A second scan of a tube already in this box is not a request to move it.
        raise Conflict(
            "%(specimen)s is already at %(place)s",
            specimen=specimen.barcode, place=full_path(old), code="already_there")
    if position:
        row, col = parse_position(box, position)
        here = taken.get((row, col))
        if here is not None:
            if here.specimen_id == specimen.id:
                raise Conflict(
                    "%(specimen)s is already at %(place)s",
                    specimen=specimen.barcode, place=full_path(here), code="already_there")
            raise Conflict(
                "position %(position)s of %(box)s holds %(specimen)s",
                position=position_name(row, col),
                box=box.barcode,
                specimen=here.specimen.barcode,
                code="position_occupied")
    else:
        free = next_free(session, box, taken)
        if free is None:
            raise Conflict(
                "box %(box)s is full (%(capacity)s positions)",
                box=box.barcode, capacity=box.capacity, code="box_full")
        row, col = free
    moved_from = full_path(old) if old is not None else None
    if old is not None:
        session.delete(old)
        session.flush()
    _clear_gone(session, box, row, col)
    pos = _insert_position(session, actor, box, specimen, row, col)
    detail: dict[str, object] = {"box": box.barcode, "position": position_name(row, col)}
    if moved_from:
        detail["moved_from"] = moved_from
    if deviation is not None:
        _record_deviation(session, actor, box, specimen, deviation, detail)
    specimens.transition(session, actor, specimen, "store", detail=detail)
    session.refresh(pos)
    return pos


# --- the store-by-scan screen: a warned deviation acknowledged by scanning the tube again ---

def _hold(session: Session, actor: User, box: StorageBox) -> StorageScanHold | None:
    return session.execute(
        select(StorageScanHold).where(StorageScanHold.user_id == actor.id,
                                      StorageScanHold.box_id == box.id)
    ).scalar_one_or_none()


def store_scan(session: Session, actor: User, box: StorageBox, specimen: Specimen,
               position: str | None = None, *, acknowledge: bool = False) -> StoragePosition:
    """:func:`store`, for one scan on a box's screen. A deviation the rules warn about is
    refused with "scan the tube again"; that next scan, of the same tube by the same user on
    the same box, is the acknowledgement (at the position chosen with the first, unless it
    chooses another). The caller holds the warning with :func:`note_scan` once the refusal
    was rolled back, and any other scan lets it go."""
    hold = _hold(session, actor, box)
    if hold is not None:
        session.delete(hold)
        session.flush()
        if hold.specimen_id == specimen.id:
            rule = rule_check(box, specimen)
            # Acknowledged is what the technician was told: a box moved meanwhile to another
            # unit breaks another rule, which is warned about anew.
            if rule is not None and str(rule.reason) == hold.reason:
                acknowledge = True
                position = position or hold.position
    try:
        return store(session, actor, box, specimen, position, acknowledge=acknowledge)
    except Conflict as exc:
        if exc.code != "storage_warning":
            raise
        rule = rule_check(box, specimen)
        assert rule is not None
        raise _rule_error(box, specimen, rule, by_rescan=True) from None


def note_scan(session: Session, actor: User, box: StorageBox, *,
              warned: Specimen | None = None, position: str | None = None) -> None:
    """What a scan on a box's screen leaves for the next one, written after a refused scan's
    work was rolled back: the deviation just warned about (``warned``), waiting for the same
    tube's second scan, or (anything else scanned) nothing. Not audited: it records nothing
    but the screen's state, as a receipt's waiting condition card."""
    hold = _hold(session, actor, box)
    if hold is not None:
        session.delete(hold)
        session.flush()
    rule = rule_check(box, warned) if warned is not None else None
    if warned is None or rule is None or rule.outcome != "warn":
        return
    session.add(StorageScanHold(user_id=actor.id, box_id=box.id, specimen_id=warned.id,
                                position=(position or "").strip().upper() or None,
                                reason=str(rule.reason), created_at=utcnow()))
    session.flush()


def free_position(session: Session, actor: User | None, specimen: Specimen) -> str | None:
    pos = position_of(session, specimen)
    if pos is None:
        return None
    where = full_path(pos)
    session.delete(pos)
    session.flush()
    audit.record(session, actor, "storage.free", "specimen", specimen.barcode,
                 {"position": [where, None]})
    return where


def check_out(session: Session, actor: User, specimen: Specimen,
              reason: str | None = None) -> StoragePosition | None:
    """Take a stored specimen out; its position stays reserved for its return."""
    _require_storer(actor)
    pos = position_of(session, specimen)
    specimens.transition(session, actor, specimen, "check_out", reason=reason,
                         detail={"from": full_path(pos)} if pos else None)
    return pos


@dataclass
class CheckIn:
    position: StoragePosition
    freeze_thaw_count: int
    warning: str | None


def check_in(session: Session, actor: User, specimen: Specimen, *, warning_limit: int,
             box: StorageBox | None = None, position: str | None = None,
             acknowledge: bool = False) -> CheckIn:
    """Return a checked-out specimen to its position (or to ``box``, under the storage rules
    as :func:`store`); a frozen specimen's freeze–thaw count rises by one, with a warning from
    ``warning_limit`` on."""
    _require_storer(actor)
    specimens.lock(session, specimen)
    if specimen.status != "checked_out":
        raise InvalidTransition(
            "%(specimen)s is %(status)s; only a checked-out specimen can be checked in",
            specimen=specimen.barcode,
            status=specimens.status_word(specimen.status),
            code="not_checked_out")
    pos = position_of(session, specimen)
    deviation = None
    if box is not None and (pos is None or pos.box_id != box.id or position):
        # Returned somewhere else than where it came from.
        deviation = _apply_rules(box, specimen, acknowledge)
        if pos is not None:
            session.delete(pos)
            session.flush()
        if specimen.site_id != box.site_id:
            raise Conflict(
                "%(specimen)s is held at %(site)s",
                specimen=specimen.barcode, site=specimen.site.code, code="other_site")
        taken = occupancy(session, box)
        if position:
            row, col = parse_position(box, position)
            if (row, col) in taken:
                raise Conflict(
                    "position %(position)s of %(box)s holds %(specimen)s",
                    position=position_name(row, col),
                    box=box.barcode,
                    specimen=taken[(row, col)].specimen.barcode,
                    code="position_occupied")
        else:
            free = next_free(session, box, taken)
            if free is None:
                raise Conflict("box %(box)s is full", box=box.barcode, code="box_full")
            row, col = free
        _clear_gone(session, box, row, col)
        pos = _insert_position(session, actor, box, specimen, row, col)
    if pos is None:
        raise ValidationError(
            "%(specimen)s has no position to return to; scan the box it goes into",
            specimen=specimen.barcode, code="box_required")
    detail: dict[str, object] = {"to": full_path(pos)}
    if deviation is not None and box is not None:
        _record_deviation(session, actor, box, specimen, deviation, detail)
    old_count = specimen.freeze_thaw_count
    if specimen.specimen_type in vocabulary.FROZEN_TYPES:
        specimen.freeze_thaw_count = old_count + 1
        detail["freeze_thaw_count"] = [old_count, specimen.freeze_thaw_count]
    specimens.transition(session, actor, specimen, "check_in", detail=detail)
    warning = None
    if (specimen.specimen_type in vocabulary.FROZEN_TYPES
            and specimen.freeze_thaw_count >= warning_limit):
        warning = (f"{specimen.barcode} has been thawed {specimen.freeze_thaw_count} times "
                   f"(limit {warning_limit})")
    return CheckIn(pos, specimen.freeze_thaw_count, warning)


def finish(session: Session, actor: User, specimen: Specimen, action: str,
           reason: str) -> str | None:
    """Consume, dispose or lose a specimen and free its position; returns the freed path."""
    if action not in {"consume", "dispose", "lose"}:
        raise ValidationError("action must be consume, dispose or lose")
    if not reason.strip():
        raise ValidationError("a reason is required", code="reason_required")
    specimens.transition(session, actor, specimen, action, reason=reason.strip())
    return free_position(session, actor, specimen)


# --- rack scanner import ---------------------------------------------------------------------

HEADER_NAMES: Final[dict[str, frozenset[str]]] = {
    "rack": frozenset({"rack", "rackbarcode", "rackid"}),
    "position": frozenset({"position", "pos", "well"}),
    "tube": frozenset({"tube", "tubebarcode", "tubeid", "barcode"}),
}
EMPTY_CELL = frozenset({"", "EMPTY", "NOTUBE", "NO TUBE"})
NO_READ = frozenset({"NOREAD", "NO READ", "ERROR"})
MAX_RACK_LINES = 20_000
#: The largest rack-scanner file (characters of text, or bytes of an upload).
MAX_RACK_TEXT = 2 * 1024 * 1024


@dataclass(frozen=True)
class RackLine:
    line: int
    rack: str
    position: str
    tube: str


@dataclass
class RackItem:
    tube: str
    rack: str
    position: str
    specimen: Specimen | None = None
    was: str | None = None  # full path before
    reason: str = ""


@dataclass
class RackDiff:
    unchanged: list[RackItem] = field(default_factory=list)
    moved: list[RackItem] = field(default_factory=list)
    new: list[RackItem] = field(default_factory=list)
    missing: list[RackItem] = field(default_factory=list)
    unknown: list[RackItem] = field(default_factory=list)
    refused: list[RackItem] = field(default_factory=list)
    #: Tubes (also in ``new`` or ``moved``) whose place the storage rules warn about.
    warned: list[RackItem] = field(default_factory=list)
    boxes: list[StorageBox] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def applicable(self) -> bool:
        return not self.unknown and not self.refused

    @property
    def changes(self) -> int:
        return len(self.moved) + len(self.new) + len(self.missing)


def parse_rack_csv(text: str) -> list[RackLine]:
    """Rows of (rack barcode, position, tube barcode); refuses the whole file on a wrong
    header, a duplicate tube or position, an unread tube, or text that is not CSV."""
    try:
        return _parse_rack_csv(text)
    except csv.Error as exc:
        raise ValidationError("the rack file is not readable CSV: %(reason)s", reason=str(exc),
                              code="bad_csv") from exc


def _parse_rack_csv(text: str) -> list[RackLine]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValidationError("the rack file is empty", code="empty_file")
    # newline="": CR, LF and CRLF files all split into lines, as the csv module expects.
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    names = [re.sub(r"[\s_\-]", "", h).lower() for h in header]
    cols: dict[str, int] = {}
    for key, accepted in HEADER_NAMES.items():
        for i, name in enumerate(names):
            if name in accepted:
                cols[key] = i
                break
    if len(cols) != 3 or len(header) < 3:
        raise ValidationError(
            "wrong header %(header)r: the rack scanner file must start with 'Rack,Position,Tube'",
            header=",".join(header), code="bad_header")
    out: list[RackLine] = []
    seen_tube: dict[str, int] = {}
    seen_pos: dict[tuple[str, str], int] = {}
    for n, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if n > MAX_RACK_LINES:
            raise ValidationError(
                "more than %(limit)s lines",
                limit=MAX_RACK_LINES, code="too_long")
        if len(row) <= max(cols.values()):
            raise ValidationError(
                "line %(line)s: expected 3 columns, found %(found)s",
                line=n, found=len(row), code="bad_line")
        rack = row[cols["rack"]].strip().upper()
        position = row[cols["position"]].strip().upper()
        tube = row[cols["tube"]].strip().upper()
        if not rack or not position:
            raise ValidationError(
                "line %(line)s: rack and position are required",
                line=n, code="bad_line")
        if tube in NO_READ:
            raise ValidationError(
                "line %(line)s: the scanner could not read the tube at %(rack)s %(position)s; "
                "rescan the rack",
                line=n, rack=rack, position=position, code="no_read")
        if tube in EMPTY_CELL:
            continue
        if tube in seen_tube:
            raise ValidationError(
                "line %(line)s: tube %(tube)s appears twice (also line %(other)s)",
                line=n, tube=tube, other=seen_tube[tube], code="duplicate_tube")
        if (rack, position) in seen_pos:
            raise ValidationError(
                "line %(line)s: %(rack)s %(position)s appears twice (also line %(other)s)",
                line=n,
                rack=rack,
                position=position,
                other=seen_pos[(rack, position)],
                code="duplicate_position")
        seen_tube[tube] = n
        seen_pos[(rack, position)] = n
        out.append(RackLine(n, rack, position, tube))
    return out


def rack_diff(session: Session, user: User, text: str) -> RackDiff:
    """Compare a rack-scanner file with the database; changes nothing."""
    lines = parse_rack_csv(text)
    diff = RackDiff()
    boxes: dict[str, StorageBox] = {}
    for ln in lines:
        if ln.rack not in boxes:
            try:
                boxes[ln.rack] = get_box(session, user, ln.rack)
            except NotFound as exc:
                raise NotFound(
                    "line %(line)s: rack %(rack)s is not a box on record",
                    line=ln.line, rack=ln.rack, code="unknown_rack") from exc
        box = boxes[ln.rack]
        try:
            parse_position(box, ln.position)
        except ValidationError as exc:
            raise ValidationError(
                "line %(line)s: %(error)s",
                line=ln.line, error=exc.message, code=exc.code) from exc
    diff.boxes = list(boxes.values())
    in_file: set[int] = set()
    for ln in lines:
        box = boxes[ln.rack]
        row, col = parse_position(box, ln.position)
        pos_name = position_name(row, col)
        item = RackItem(ln.tube, box.barcode, pos_name)
        try:
            code = ids.parse(ln.tube).text
            sp = access.get_specimen(session, user, code) if code.startswith("SP") else None
        except (ids.IdError, NotFound):
            sp = None
        if sp is None:
            item.reason = "not a specimen on record"
            diff.unknown.append(item)
            continue
        item.specimen = sp
        in_file.add(sp.id)
        cur = position_of(session, sp)
        item.was = full_path(cur) if cur is not None else None
        if sp.status not in STORABLE:
            item.reason = vocabulary.STATUSES[sp.status]
            diff.refused.append(item)
        elif sp.site_id != box.site_id:
            item.reason = f"held at {sp.site.code}"
            diff.refused.append(item)
        elif cur is not None and cur.box_id == box.id and (cur.row_no, cur.col_no) == (row, col):
            diff.unchanged.append(item)
        elif (rule := rule_check(box, sp)) is not None and rule.outcome == "refuse":
            item.reason = rule.reason
            diff.refused.append(item)
        else:
            if rule is not None:
                item.reason = rule.reason
                diff.warned.append(item)
            (diff.moved if cur is not None else diff.new).append(item)
    for box in diff.boxes:
        for (row, col), p in sorted(occupancy(session, box).items()):
            if p.specimen_id not in in_file and p.specimen.status == "stored":
                diff.missing.append(RackItem(p.specimen.barcode, box.barcode,
                                             position_name(row, col), p.specimen,
                                             full_path(p)))
    state = {k: sorted((i.tube, i.rack, i.position, i.was or "")
                       for i in getattr(diff, k))
             for k in ("unchanged", "moved", "new", "missing", "unknown", "refused", "warned")}
    diff.fingerprint = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()
    return diff


def apply_rack(session: Session, actor: User, text: str, fingerprint: str, *,
               acknowledge: bool = False) -> RackDiff:
    """Apply a rack-scanner file as shown (``fingerprint`` of the diff the user saw): every
    move, new tube and missing tube, or nothing at all. Tubes the storage rules warn about
    need ``acknowledge`` (each is recorded in the audit trail)."""
    _require_storer(actor)
    for box_code in {ln.rack for ln in parse_rack_csv(text)}:
        # Serialise imports and stores on the same boxes (row lock on PostgreSQL).
        session.execute(select(StorageBox.id).where(StorageBox.barcode == box_code)
                        .with_for_update())
    diff = rack_diff(session, actor, text)
    if not diff.applicable:
        if diff.refused:
            raise Conflict(
                "rack file refused: %(unknown)s unknown tube(s), %(refused)s tube(s) that cannot "
                "be stored; nothing was changed",
                unknown=len(diff.unknown), refused=len(diff.refused), code="rack_refused")
        raise Conflict("rack file refused: %(unknown)s unknown tube(s); nothing was changed",
                       unknown=len(diff.unknown), code="rack_refused")
    if fingerprint != diff.fingerprint:
        raise Conflict("the boxes changed since this comparison was made; compare again",
                       code="stale_diff")
    if diff.warned and not acknowledge:
        raise Conflict(
            "%(count)s tube(s) would be stored against the storage rules; acknowledge the "
            "deviation to apply the file; nothing was changed",
            count=len(diff.warned), code="storage_warning")
    warned = {i.tube for i in diff.warned}
    boxes = {b.barcode: b for b in diff.boxes}
    # Free every position that changes hands first, then place.
    for item in diff.moved + diff.missing:
        assert item.specimen is not None
        old = position_of(session, item.specimen)
        if old is not None:
            session.delete(old)
    session.flush()
    for item in diff.missing:
        assert item.specimen is not None
        session.add(SpecimenEvent(
            specimen_id=item.specimen.id, kind="rack_scan_missing",
            from_status=item.specimen.status, to_status=item.specimen.status, at=utcnow(),
            actor_id=actor.id, site_id=actor.site_id,
            detail={"was": item.was, "rack": item.rack}))
        audit.record(session, actor, "storage.rack_missing", "specimen", item.tube,
                     {"position": [item.was, None]})
    for item in diff.moved + diff.new:
        assert item.specimen is not None
        box = boxes[item.rack]
        row, col = parse_position(box, item.position)
        _clear_gone(session, box, row, col)
        _insert_position(session, actor, box, item.specimen, row, col)
        detail: dict[str, object] = {"box": box.barcode, "position": item.position,
                                     "source": "rack_scan"}
        if item.was:
            detail["moved_from"] = item.was
        if item.tube in warned and (rule := rule_check(box, item.specimen)) is not None:
            _record_deviation(session, actor, box, item.specimen, rule, detail)
        specimens.transition(session, actor, item.specimen, "store", detail=detail)
    for box in diff.boxes:
        audit.record(session, actor, "storage.rack_import", "storage_box", box.barcode, {
            "moved": len([i for i in diff.moved if i.rack == box.barcode]),
            "new": len([i for i in diff.new if i.rack == box.barcode]),
            "missing": len([i for i in diff.missing if i.rack == box.barcode]),
            "unchanged": len([i for i in diff.unchanged if i.rack == box.barcode]),
        })
    session.flush()
    return diff


def units(session: Session, user: User) -> list[StorageLocation]:
    q = select(StorageLocation).where(StorageLocation.parent_id.is_(None)).order_by(
        StorageLocation.site_id, StorageLocation.name)
    if not user.sees_all_sites:
        q = q.where(StorageLocation.site_id == user.site_id)
    return list(session.execute(q).scalars())


def loose_boxes(session: Session, user: User) -> list[StorageBox]:
    q = select(StorageBox).where(StorageBox.location_id.is_(None)).order_by(StorageBox.name)
    if not user.sees_all_sites:
        q = q.where(StorageBox.site_id == user.site_id)
    return list(session.execute(q).scalars())

