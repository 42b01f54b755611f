"""Shipments: the rules and state changes of this area (stub until the area lands)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import User


def resolve_scan(session: Session, user: User, code: str) -> object:
    """The shipment with this barcode, for the scan station (replaced when shipments land)."""
    raise NotFound(f"{code} is a shipment label, but no shipment with that code is on record",
                   code="unknown_code")
