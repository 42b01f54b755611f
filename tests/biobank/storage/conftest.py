"""Storage fixtures: specimens received at the central biobank, and a freezer with a box."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from biobank import get_db
from biobank.models import (
    AuditEvent,
    Participant,
    Site,
    Specimen,
    StoragePosition,
    User,
)
from biobank.services import specimens, storage


def _user(s: Session, username: str) -> User:
    return s.execute(select(User).where(User.username == username)).scalar_one()


def receive_at_cb(s: Session, specimen: Specimen) -> None:
    """Ship a collected specimen from its site and receive it at CB (stand-in for the
    shipments service)."""
    site_tech = _user(s, f"{specimen.participant.site.code.lower()}.tech")
    cb = s.execute(select(Site).where(Site.code == "CB")).scalar_one()
    specimens.transition(s, site_tech, specimen, "ship")
    specimens.transition(s, _user(s, "cb.tech"), specimen, "receive")
    specimen.site_id = cb.id
    s.flush()


#: What the −80 °C freezer of these tests may hold without a storage-rule warning.
FROZEN_OK = ("whole_blood_edta", "serum", "plasma", "buffy_coat", "germline_dna",
             "tumour_dna", "fresh_frozen_tissue")


def received(app: Flask, n: int, *, types: tuple[str, ...] | None = FROZEN_OK) -> list[str]:
    """Barcodes of ``n`` demo specimens now received at the central biobank (by default of
    types a −80 °C freezer takes; ``types=None`` for any type)."""
    with get_db(app).transaction() as s:
        q = (select(Specimen).join(Participant).where(Specimen.status == "collected")
             .order_by(Specimen.id))
        if types:
            q = q.where(Specimen.specimen_type.in_(types))
        rows = list(s.execute(q).scalars())[:n]
        assert len(rows) == n, f"demo data has only {len(rows)} such collected specimens"
        for sp in rows:
            receive_at_cb(s, sp)
        return [sp.barcode for sp in rows]


@dataclass
class Freezer:
    unit: str
    rack: str
    box: str


def make_freezer(app: Flask, box_type: str = "cryobox_9x9", fill_order: str = "row",
                 name: str = "Box 1", kind: str = "freezer_minus80",
                 unit_name: str = "Freezer A") -> Freezer:
    with get_db(app).transaction() as s:
        tech = _user(s, "cb.tech")
        unit = storage.create_location(s, tech, kind=kind, name=unit_name)
        rack = storage.create_location(s, tech, kind="rack", name="Rack 2", parent=unit)
        box = storage.create_box(s, tech, box_type=box_type, name=name, location=rack,
                                 fill_order=fill_order)
        return Freezer(unit.barcode, rack.barcode, box.barcode)


def store(app: Flask, box: str, code: str, position: str | None = None,
          username: str = "cb.tech") -> str:
    with get_db(app).transaction() as s:
        user = _user(s, username)
        pos = storage.store(s, user, storage.get_box(s, user, box),
                            specimens_get(s, user, code), position)
        return storage.position_name(pos.row_no, pos.col_no)


def specimens_get(s: Session, user: User, code: str) -> Specimen:
    from biobank.services import access

    return access.get_specimen(s, user, code)


def counts(app: Flask) -> tuple[int, int, list[tuple[str, str]]]:
    """(positions, audit events, statuses) — to prove that a refusal changed nothing."""
    with get_db(app).transaction() as s:
        return (
            s.execute(select(func.count()).select_from(StoragePosition)).scalar_one(),
            s.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            [(b, st) for b, st in s.execute(select(Specimen.barcode, Specimen.status)
                                            .order_by(Specimen.id))],
        )


def run(app: Flask, fn: Callable[[Session, User], Any], username: str = "cb.tech") -> Any:
    with get_db(app).transaction() as s:
        return fn(s, _user(s, username))


@pytest.fixture
def freezer(app: Flask) -> Freezer:
    return make_freezer(app)
