"""Reports over the trial's specimens: the completeness matrix, the freezer inventory (CSV) and
the FHIR R4 ``Specimen`` resource of one specimen. Read-only; site scoping as everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def inventory_csv(session: Session, user: User,
                  heading: Callable[[str], str] = str) -> Iterator[str]:
    """The inventory as CSV text, a chunk per line (stream it), cells neutralised; each column
    named by ``heading(column)`` (the reader's words on a page; the code by default)."""
    yield from exports.rows_text(chain([[heading(h) for h in INVENTORY_HEADER]],
                                       inventory_rows(session, user)))


FHIR_STATUS = {
    "expected": "unavailable", "collected": "available", "in_transit": "available",
    "received": "available", "stored": "available", "checked_out": "available",
    "consumed": "unavailable", "disposed": "unavailable", "lost": "unavailable",
}
#: The app's own code systems, as URLs (a bare ``urn:men1-biobank/...`` is not a well-formed
#: URN). They stay beside the standard codings: they are what the biobank itself records.
SYSTEM = "https://men1-biobank.example.org/fhir/CodeSystem"
SNOMED = "http://snomed.info/sct"
V2_0487 = "http://terminology.hl7.org/CodeSystem/v2-0487"
UCUM = "http://unitsofmeasure.org"
#: Specimen types in SNOMED CT (specimen hierarchy) and HL7 v2 table 0487, where one fits
#: exactly; DNA extracts and buffy coat have no code here rather than a wrong one
#: (sources: docs/RELIABILITY.md, FHIR export).
SNOMED_TYPE: dict[str, tuple[str, str]] = {
    "whole_blood_edta": ("258580003", "Whole blood specimen"),
    "serum": ("119364003", "Serum specimen"),
    "plasma": ("119361006", "Plasma specimen"),
    "ffpe_block": ("119376003", "Tissue specimen"),
    "ffpe_slides": ("119376003", "Tissue specimen"),
    "ffpe_curls": ("119376003", "Tissue specimen"),
    "fresh_frozen_tissue": ("119376003", "Tissue specimen"),
}
V2_TYPE: dict[str, tuple[str, str]] = {
    "whole_blood_edta": ("BLD", "Whole blood"), "serum": ("SER", "Serum"),
    "plasma": ("PLAS", "Plasma"), "ffpe_block": ("TISS", "Tissue"),
    "ffpe_slides": ("TISS", "Tissue"), "ffpe_curls": ("TISS", "Tissue"),
    "fresh_frozen_tissue": ("TISS", "Tissue"),
}
#: Containers in SNOMED CT (physical object), where one fits.
SNOMED_CONTAINER: dict[str, tuple[str, str]] = {
    "edta_tube_4ml": ("706052002", "Evacuated blood collection tube"),
    "edta_tube_10ml": ("706052002", "Evacuated blood collection tube"),
    "serum_tube": ("706052002", "Evacuated blood collection tube"),
}
#: Our units in UCUM; a count of blocks, slides or curls is a UCUM annotation.
UCUM_UNIT: dict[str, str] = {"mL": "mL", "µL": "uL", "µg": "ug", "ng": "ng", "mg": "mg",
                             "block": "{block}", "slide": "{slide}", "curl": "{curl}"}


def _codings(local: str, code: str, display: str,
             *standard: tuple[str, dict[str, tuple[str, str]]]) -> list[dict[str, str]]:
    out = [{"system": system, "code": table[code][0], "display": table[code][1]}
           for system, table in standard if code in table]
    return [*out, {"system": f"{SYSTEM}/{local}", "code": code, "display": display}]


def _quantity(sp: Specimen) -> dict[str, Any] | None:
    if sp.quantity is None:
        return None
    out: dict[str, Any] = {"value": float(sp.quantity), "unit": sp.unit}
    if sp.unit in UCUM_UNIT:
        out.update(system=UCUM, code=UCUM_UNIT[sp.unit])
    return out


def fhir_specimen(session: Session, user: User, sp: Specimen) -> dict[str, Any]:
    """A FHIR R4 Specimen resource: type, collection, processing, container and parent."""
    if not access.specimen_visible(user, sp):
        raise NotFound("no specimen %(specimen)r visible to you", specimen=sp.barcode)
    type_label = vocabulary.label(vocabulary.SPECIMEN_TYPES, sp.specimen_type)
    res: dict[str, Any] = {
        "resourceType": "Specimen",
        "id": sp.barcode,
        "identifier": [{"system": f"{SYSTEM}/specimen", "value": sp.barcode}],
        "status": FHIR_STATUS.get(sp.status, "unavailable"),
        "type": {
            "coding": _codings("specimen-type", sp.specimen_type, type_label,
                               (SNOMED, SNOMED_TYPE), (V2_0487, V2_TYPE)),
            "text": type_label,
        },
        "subject": {"identifier": {"system": f"{SYSTEM}/participant",
                                   "value": sp.participant.code},
                    "display": sp.participant.code},
        "note": [{"text": f"SPREC {specimens.sprec(sp) or 'not coded (complex derivative)'}; "
                          f"status {sp.status}; "
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
        "type": {"coding": _codings(
            "container", sp.container, vocabulary.label(vocabulary.CONTAINERS, sp.container),
            (SNOMED, SNOMED_CONTAINER))},
    }
    if (q := _quantity(sp)) is not None:
        container["specimenQuantity"] = q
    pos = storage.position_of(session, sp)
    if pos is not None and sp.status not in storage.GONE:
        container["identifier"] = [{"system": f"{SYSTEM}/box", "value": pos.box.barcode}]
        container["description"] = storage.full_path(pos)
    res["container"] = [container]
    return res
