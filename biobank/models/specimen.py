from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .participant import Participant
from .site import Site
from .trial import VisitDefinition
from .user import User

SPECIMEN_STATUSES = (
    "expected",
    "collected",
    "in_transit",
    "received",
    "stored",
    "checked_out",
    "consumed",
    "disposed",
    "lost",
)


class IdCounter(Base):
    """Next sequence number per ID prefix; incremented inside the writing transaction."""

    __tablename__ = "id_counters"

    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class Specimen(Base):
    """A tube, block or slide. Its ID is its barcode and never changes."""

    __tablename__ = "specimens"
    __table_args__ = (
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_nonnegative"),
        CheckConstraint("freeze_thaw_count >= 0", name="freeze_thaw_nonnegative"),
        CheckConstraint(
            "status IN ('expected', 'collected', 'in_transit', 'received', 'stored', "
            "'checked_out', 'consumed', 'disposed', 'lost')",
            name="status",
        ),
        # The home page's counts by status for one site's participants: an index-only scan.
        Index("ix_specimens_participant_status", "participant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str] = mapped_column(String(16), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit_definitions.id"))
    visit_occurrence: Mapped[int] = mapped_column(Integer, default=1)
    specimen_type: Mapped[str] = mapped_column(String(32))
    container: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    unit: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="expected", index=True)
    # The site that holds the specimen now (custody); changes on receipt at the biobank.
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("specimens.id"), index=True)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collection_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    centrifuged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the bench records for SPREC (services/sprec.py validates it; None = nothing yet).
    preanalytics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    freeze_thaw_count: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    participant: Mapped[Participant] = relationship(lazy="joined")
    visit: Mapped[VisitDefinition | None] = relationship(lazy="joined")
    site: Mapped[Site] = relationship(foreign_keys=[site_id], lazy="joined")
    collection_site: Mapped[Site | None] = relationship(foreign_keys=[collection_site_id])
    collected_by: Mapped[User | None] = relationship()
    parent: Mapped[Specimen | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Specimen]] = relationship(back_populates="parent")
    events: Mapped[list[SpecimenEvent]] = relationship(
        back_populates="specimen", order_by="SpecimenEvent.id"
    )


class SpecimenEvent(Base):
    """One thing that happened to a specimen; the status is the result of these events."""

    __tablename__ = "specimen_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    specimen_id: Mapped[int] = mapped_column(ForeignKey("specimens.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    specimen: Mapped[Specimen] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship(lazy="joined")
