from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

SITE_KINDS = ("collection", "central")


class Site(Base):
    """A collection site or the central biobank."""

    __tablename__ = "sites"
    __table_args__ = (CheckConstraint("kind IN ('collection', 'central')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    printer_host: Mapped[str | None] = mapped_column(String(255))
    printer_port: Mapped[int | None] = mapped_column(Integer)
    #: Postal address, one line per line; with the contact, the shipping label's sender and
    #: recipient. The contact is a desk or a staff member for packages, never a participant.
    address: Mapped[str] = mapped_column(String(400), default="", server_default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(120), default="", server_default="")

    @property
    def is_central(self) -> bool:
        return self.kind == "central"

    def __repr__(self) -> str:
        return f"<Site {self.code}>"
