"""Reports over the trial's specimens: the completeness matrix, the freezer inventory (CSV) and
the FHIR R4 ``Specimen`` resource of one specimen. Read-only; site scoping as everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import vocabulary
from ..errors import NotFound
from ..models import (
    Participant,
    Specimen,
    SpecimenEvent,
    StorageBox,
    StoragePosition,
    User,
    VisitDefinition,
)
from . import access, exports, specimens, storage

RECEIVED_AFTER = frozenset({"received", "stored", "checked_out"})
STORED_NOW = frozenset({"stored", "checked_out"})


@dataclass
class Cell:
    expected: int = 0
    collected: int = 0
    received: int = 0
    stored: int = 0
    missing: int = 0

    @property
    def empty(self) -> bool:
        return self.expected == 0


@dataclass
class CompletenessRow:
    participant: Participant
    cells: dict[int, Cell] = field(default_factory=dict)  # visit id → cell


@dataclass
class Completeness:
    visits: list[VisitDefinition]
    rows: list[CompletenessRow]
    totals: dict[int, Cell]


def completeness(session: Session, user: User) -> Completeness:
    """Per participant and visit: specimens expected (labelled), collected, received at a
    biobank, stored now, and missing (never collected, or lost)."""
    visits = list(session.execute(
        select(VisitDefinition).order_by(VisitDefinition.trial_id, VisitDefinition.sequence)
    ).scalars())
    participants = list(session.execute(access.participants_query(user)).scalars())
    received_ids = set(session.execute(
        select(SpecimenEvent.specimen_id).where(SpecimenEvent.kind == "receive")
    ).scalars())
    q = select(Specimen.id, Specimen.participant_id, Specimen.visit_id, Specimen.status,
               Specimen.collected_at).where(Specimen.parent_id.is_(None),
                                            Specimen.visit_id.is_not(None))
    if not user.sees_all_sites:
        q = q.join(Participant).where(Participant.site_id == user.site_id)
    rows = {p.id: CompletenessRow(p) for p in participants}
    totals = {v.id: Cell() for v in visits}
    for sid, pid, vid, status, collected_at in session.execute(q):
        row = rows.get(pid)
        if row is None or vid is None:
            continue
        for cell in (row.cells.setdefault(vid, Cell()), totals.setdefault(vid, Cell())):
            cell.expected += 1
            if collected_at is not None:
                cell.collected += 1
            if sid in received_ids or status in RECEIVED_AFTER:
                cell.received += 1
            if status in STORED_NOW:
                cell.stored += 1
            if status in {"expected", "lost"}:
                cell.missing += 1
    return Completeness(visits, list(rows.values()), totals)


INVENTORY_HEADER = ("unit", "path", "box", "position", "specimen", "type", "status",
                    "participant", "visit", "freeze_thaw_count", "quantity", "unit_of_measure",
                    "site")


def inventory_rows(session: Session, user: User) -> Iterator[list[str]]:
    q = (
        select(StoragePosition, StorageBox, Specimen)
        .join(StorageBox, StoragePosition.box_id == StorageBox.id)
        .join(Specimen, StoragePosition.specimen_id == Specimen.id)
        .where(storage.holds_position())
        .order_by(StorageBox.barcode, StoragePosition.row_no, StoragePosition.col_no)
    )
    if not user.sees_all_sites:
        q = q.where(StorageBox.site_id == user.site_id)
    for pos, box, sp in session.execute(q):
        chain = storage.location_chain(box.location)
        yield ["" if v is None else str(v) for v in (
            chain[0].name if chain else "",
            storage.box_path(box),
            box.barcode,
            storage.position_name(pos.row_no, pos.col_no),
            sp.barcode,
            sp.specimen_type,
            sp.status,
            sp.participant.code,
            sp.visit.code if sp.visit else "",
            sp.freeze_thaw_count,
            sp.quantity if sp.quantity is not None else "",
            sp.unit,
            box.site.code,
        )]


def inventory_csv(session: Session, user: User) -> Iterator[str]:
    """The inventory as CSV text, a chunk per line (stream it), cells neutralised."""
    yield from exports.rows_text(chain([INVENTORY_HEADER], inventory_rows(session, user)))


FHIR_STATUS = {
    "expected": "unavailable", "collected": "available", "in_transit": "available",
    "received": "available", "stored": "available", "checked_out": "available",
    "consumed": "unavailable", "disposed": "unavailable", "lost": "unavailable",
}
SYSTEM = "urn:men1-biobank"


def _quantity(sp: Specimen) -> dict[str, Any] | None:
    if sp.quantity is None:
        return None
    return {"value": float(sp.quantity), "unit": sp.unit}


def fhir_specimen(session: Session, user: User, sp: Specimen) -> dict[str, Any]:
    """A FHIR R4 Specimen resource: type, collection, processing, container and parent."""
    if not access.specimen_visible(user, sp):
        raise NotFound("no specimen %(specimen)r visible to you", specimen=sp.barcode)
    res: dict[str, Any] = {
        "resourceType": "Specimen",
        "id": sp.barcode,
        "identifier": [{"system": f"{SYSTEM}/specimen", "value": sp.barcode}],
        "status": FHIR_STATUS.get(sp.status, "unavailable"),
        "type": {
            "coding": [{"system": f"{SYSTEM}/specimen-type", "code": sp.specimen_type,
                        "display": vocabulary.label(vocabulary.SPECIMEN_TYPES,
                                                    sp.specimen_type)}],
            "text": vocabulary.label(vocabulary.SPECIMEN_TYPES, sp.specimen_type),
        },
        "subject": {"identifier": {"system": f"{SYSTEM}/participant",
                                   "value": sp.participant.code},
                    "display": sp.participant.code},
        "note": [{"text": f"SPREC {specimens.sprec(sp)}; status {sp.status}; "
                          f"freeze-thaw cycles {sp.freeze_thaw_count}"}],
    }
    received = next((e for e in sp.events if e.kind == "receive"), None)
    if received is not None:
        res["receivedTime"] = received.at.isoformat()
    if sp.parent is not None:
        res["parent"] = [{"reference": f"Specimen/{sp.parent.barcode}"}]
    collection: dict[str, Any] = {}
    if sp.collected_at is not None:
        collection["collectedDateTime"] = sp.collected_at.isoformat()
    if sp.collected_by is not None:
        collection["collector"] = {"display": sp.collected_by.username}
    if (q := _quantity(sp)) is not None:
        collection["quantity"] = q
    if collection:
        res["collection"] = collection
    processing = []
    if sp.centrifuged_at is not None:
        processing.append({"description": "centrifuged",
                           "timeDateTime": sp.centrifuged_at.isoformat()})
    if sp.frozen_at is not None:
        processing.append({"description": "frozen", "timeDateTime": sp.frozen_at.isoformat()})
    if sp.parent is not None:
        processing.append({"description": f"derived from {sp.parent.barcode}"})
    if processing:
        res["processing"] = processing
    container: dict[str, Any] = {
        "type": {"coding": [{"system": f"{SYSTEM}/container", "code": sp.container,
                             "display": vocabulary.label(vocabulary.CONTAINERS,
                                                         sp.container)}]},
    }
    if (q := _quantity(sp)) is not None:
        container["specimenQuantity"] = q
    pos = storage.position_of(session, sp)
    if pos is not None and sp.status not in storage.GONE:
        container["identifier"] = [{"system": f"{SYSTEM}/box", "value": pos.box.barcode}]
        container["description"] = storage.full_path(pos)
    res["container"] = [container]
    return res
