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


def row_counts(app: object) -> dict[str, int]:
    """Rows in every table of the app's database: an unchanged result means nothing was
    written (every change also appends to the audit chain, counted here too)."""
    from sqlalchemy import func

    from biobank import get_db
    from biobank.models.base import Base

    db = get_db(app)  # type: ignore[arg-type]
    with db.session(write=False) as s:
        return {t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one())
                for t in Base.metadata.sorted_tables}
