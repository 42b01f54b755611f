from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Trial(Base):
    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[str] = mapped_column(String(32), unique=True)  # NCT number
    title: Mapped[str] = mapped_column(String(300))
    cycle_days: Mapped[int] = mapped_column(Integer, default=28)

    visits: Mapped[list[VisitDefinition]] = relationship(
        back_populates="trial", order_by="VisitDefinition.sequence"
    )


class VisitDefinition(Base):
    """One visit of the protocol's schedule; ``repeat_every_days`` marks a recurring visit."""

    __tablename__ = "visit_definitions"
    __table_args__ = (UniqueConstraint("trial_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)  # study day relative to C1D1
    repeat_every_days: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500), default="")

    trial: Mapped[Trial] = relationship(back_populates="visits")
    expected: Mapped[list[ExpectedSpecimen]] = relationship(
        back_populates="visit", order_by="ExpectedSpecimen.id"
    )


class ExpectedSpecimen(Base):
    """What the protocol expects to be collected at a visit."""

    __tablename__ = "expected_specimens"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit_definitions.id"))
    specimen_type: Mapped[str] = mapped_column(String(32))
    # Other types that satisfy the expectation (FFPE block *or* slides at screening).
    alternatives: Mapped[list[str]] = mapped_column(JSON, default=list)
    container: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[float] = mapped_column(Numeric(10, 3))
    unit: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(200))
    required_for_enrolment: Mapped[bool] = mapped_column(default=False)

    visit: Mapped[VisitDefinition] = relationship(back_populates="expected")
