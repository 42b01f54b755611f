"""Small queries the biobank tests share."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from biobank.models import Participant, Site, Specimen, SpecimenEvent, User


def specimen_code(db: Session, *, status: str, site: str) -> str:
    """A demo specimen in ``status`` belonging to a participant of ``site``."""
    row = db.execute(
        select(Specimen.barcode).join(Participant).join(Site, Participant.site_id == Site.id)
        .where(Specimen.status == status, Site.code == site).order_by(Specimen.id)
    ).first()
    assert row, f"demo data has no {status} specimen at {site}"
    return str(row[0])


def events_of(db: Session, code: str) -> list[SpecimenEvent]:
    return list(db.execute(
        select(SpecimenEvent).join(Specimen).where(Specimen.barcode == code)
        .order_by(SpecimenEvent.id)
    ).scalars())


def user(db: Session, username: str) -> User:
    return db.execute(select(User).where(User.username == username)).scalar_one()
