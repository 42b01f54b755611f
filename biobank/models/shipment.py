"""Shipments between sites: the box of tubes, its manifest items, and its one receipt.

Invariants in the database: a shipment's barcode and tracking number are unique, a specimen
appears at most once per shipment (manifest or extra), and a shipment has at most one receipt.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .site import Site
from .specimen import Specimen
from .user import User

SHIPMENT_STATUSES = (
    "draft", "ready", "shipped", "partially_received", "received", "closed", "cancelled", "lost",
)
ITEM_STATES = ("packed", "received", "missing", "damaged", "extra")


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'ready', 'shipped', 'partially_received', 'received', "
            "'closed', 'cancelled', 'lost')",
            name="status",
        ),
        CheckConstraint("from_site_id <> to_site_id", name="two_sites"),
        # The net dry-ice mass (IATA PI 954, on the shipping label) goes only with dry ice.
        CheckConstraint(
            "dry_ice_kg IS NULL OR (conditions = 'dry_ice' AND dry_ice_kg > 0 "
            "AND dry_ice_kg <= 200)",
            name="dry_ice_kg",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    from_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    to_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    conditions: Mapped[str] = mapped_column(String(24))
    #: Net mass of the dry ice in the package, kg (recorded before a dry-ice shipment ships).
    dry_ice_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    courier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    logger_id: Mapped[str] = mapped_column(String(64), default="")
    planned_ship_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    from_site: Mapped[Site] = relationship(foreign_keys=[from_site_id], lazy="joined")
    to_site: Mapped[Site] = relationship(foreign_keys=[to_site_id], lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    shipped_by: Mapped[User | None] = relationship(foreign_keys=[shipped_by_id])
    items: Mapped[list[ShipmentItem]] = relationship(
        back_populates="shipment", order_by="ShipmentItem.id"
    )
    receipt: Mapped[ShipmentReceipt | None] = relationship(back_populates="shipment")


class ShipmentItem(Base):
    """One specimen of a shipment: on the manifest (``extra`` False) or scanned on arrival
    without being on it (``extra`` True: quarantined, its custody untouched)."""

    __tablename__ = "shipment_items"
    __table_args__ = (
        UniqueConstraint("shipment_id", "specimen_id"),
        CheckConstraint(
            "state IN ('packed', 'received', 'missing', 'damaged', 'extra')", name="state"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"))
    specimen_id: Mapped[int] = mapped_column(ForeignKey("specimens.id"), index=True)
    extra: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(12), default="packed")
    damage: Mapped[str | None] = mapped_column(String(24))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(500))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    shipment: Mapped[Shipment] = relationship(back_populates="items")
    specimen: Mapped[Specimen] = relationship(lazy="joined")
    scanned_by: Mapped[User | None] = relationship(foreign_keys=[scanned_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_discrepancy(self) -> bool:
        return self.state in {"missing", "damaged", "extra"}

    @property
    def is_open(self) -> bool:
        return self.is_discrepancy and self.resolved_at is None

    @property
    def resolution_action(self) -> str | None:
        """The resolution's action word (``resolution`` is stored as "action: reason")."""
        action, sep, _reason = (self.resolution or "").partition(": ")
        return action if sep else None

    @property
    def resolution_reason(self) -> str:
        return (self.resolution or "").partition(": ")[2] or (self.resolution or "")


class ShipmentReceipt(Base):
    """The one receipt of a shipment: who opened it, the package on arrival, when it finished."""

    __tablename__ = "shipment_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), unique=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    package_condition: Mapped[str] = mapped_column(String(24), default="intact")
    arrival_temperature_c: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    # A condition card scanned at the bench, waiting for the one tube it describes.
    next_condition: Mapped[str | None] = mapped_column(String(24))
    # The shipment label was scanned once with tubes still unscanned: the next scan of it
    # finishes (the technician has been told how many tubes will become missing).
    finish_pending: Mapped[bool] = mapped_column(default=False)

    shipment: Mapped[Shipment] = relationship(back_populates="receipt")
    receiver: Mapped[User] = relationship(lazy="joined")
