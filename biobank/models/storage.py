"""Storage: units (freezers, tanks, fridges, cabinets) → shelves/racks → boxes → positions.

A position row exists only while it holds a specimen, so "one specimen per position" and "one
position per specimen" are two plain unique constraints in the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .site import Site
from .specimen import Specimen
from .user import User


class StorageLocation(Base):
    """A storage unit or a level inside one (shelf, rack); ``parent_id`` builds the tree."""

    __tablename__ = "storage_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("storage_locations.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site] = relationship(lazy="joined")
    # Loaded with the row, three levels up (unit / shelf / rack), so a full path is one query.
    parent: Mapped[StorageLocation | None] = relationship(
        remote_side=[id], back_populates="children", lazy="joined", join_depth=3
    )
    children: Mapped[list[StorageLocation]] = relationship(
        back_populates="parent", order_by="StorageLocation.name"
    )
    boxes: Mapped[list[StorageBox]] = relationship(
        back_populates="location", order_by="StorageBox.name"
    )


class StorageBox(Base):
    """A box with a grid of ``rows`` × ``cols`` positions (row letters A…, column numbers 1…)."""

    __tablename__ = "storage_boxes"
    __table_args__ = (
        CheckConstraint("n_rows BETWEEN 1 AND 26 AND n_cols BETWEEN 1 AND 99", name="geometry"),
        CheckConstraint("fill_order IN ('row', 'column')", name="fill_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    box_type: Mapped[str] = mapped_column(String(24))
    n_rows: Mapped[int] = mapped_column(Integer)
    n_cols: Mapped[int] = mapped_column(Integer)
    fill_order: Mapped[str] = mapped_column(String(8), default="row")
    location_id: Mapped[int | None] = mapped_column(ForeignKey("storage_locations.id"),
                                                    index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site] = relationship(lazy="joined")
    location: Mapped[StorageLocation | None] = relationship(back_populates="boxes",
                                                            lazy="joined")
    positions: Mapped[list[StoragePosition]] = relationship(
        back_populates="box", order_by="(StoragePosition.row_no, StoragePosition.col_no)"
    )

    @property
    def capacity(self) -> int:
        return self.n_rows * self.n_cols


class StoragePosition(Base):
    """An occupied position: the specimen at (row, col) of a box, both 1-based."""

    __tablename__ = "storage_positions"
    __table_args__ = (
        UniqueConstraint("box_id", "row_no", "col_no"),
        CheckConstraint("row_no >= 1 AND col_no >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("storage_boxes.id"))
    row_no: Mapped[int] = mapped_column(Integer)
    col_no: Mapped[int] = mapped_column(Integer)
    specimen_id: Mapped[int] = mapped_column(ForeignKey("specimens.id"), unique=True)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    box: Mapped[StorageBox] = relationship(back_populates="positions", lazy="joined")
    specimen: Mapped[Specimen] = relationship()
    stored_by: Mapped[User | None] = relationship()


class StorageScanHold(Base):
    """A storage deviation the store-by-scan screen warned about, held for its acknowledgement:
    the same tube scanned next on that box's screen, by the same user, stores it anyway. Any
    other scan there lets it go. One per user and box; it holds only the state of a scanning
    session in progress (like a receipt's waiting condition card), never a record."""

    __tablename__ = "storage_scan_holds"
    __table_args__ = (UniqueConstraint("user_id", "box_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    box_id: Mapped[int] = mapped_column(ForeignKey("storage_boxes.id"), index=True)
    specimen_id: Mapped[int] = mapped_column(ForeignKey("specimens.id"))
    #: The position chosen with the warned scan (None: the box's next free one).
    position: Mapped[str | None] = mapped_column(String(8))
    #: The rule the technician was warned of; a different one by the second scan is warned anew.
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
