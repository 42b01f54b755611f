from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .site import Site
from .trial import Trial

SCREENING_STATUSES = ("screening", "enrolled", "screen_failed", "withdrawn", "completed")


class Participant(Base):
    """A pseudonymous participant: the code is site + sequence, never a name or record number."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("site_id", "sequence"),
        CheckConstraint(
            "screening_status IN ('screening', 'enrolled', 'screen_failed', 'withdrawn', "
            "'completed')",
            name="screening_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    screening_status: Mapped[str] = mapped_column(String(16), default="screening")
    consent_main: Mapped[bool] = mapped_column(default=False)
    consent_sample_storage: Mapped[bool] = mapped_column(default=False)
    consent_future_research: Mapped[bool] = mapped_column(default=False)
    consent_date: Mapped[date | None] = mapped_column(Date)
    c1d1_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site] = relationship(lazy="joined")
    trial: Mapped[Trial] = relationship()
