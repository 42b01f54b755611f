"""JSON shapes shared by API views and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from ...models import Participant, Specimen, SpecimenEvent
from ...services import specimens as specimen_service

NULLABLE_STR = {"type": "string", "nullable": True}

SPECIMEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["barcode", "participant", "type", "status", "site"],
    "properties": {
        "barcode": {"type": "string"},
        "participant": {"type": "string"},
        "visit": NULLABLE_STR,
        "type": {"type": "string"},
        "container": {"type": "string"},
        "quantity": NULLABLE_STR,
        "unit": {"type": "string"},
        "status": {"type": "string"},
        "site": {"type": "string"},
        "parent": NULLABLE_STR,
        "collected_at": NULLABLE_STR,
        "freeze_thaw_count": {"type": "integer"},
        "sprec": {**NULLABLE_STR,
                  "description": "SPREC v3 code; null for DNA (a complex derivative)"},
    },
}

EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string"},
        "from_status": NULLABLE_STR,
        "to_status": NULLABLE_STR,
        "at": {"type": "string"},
        "actor": NULLABLE_STR,
        "site": NULLABLE_STR,
        "detail": {"type": "object"},
    },
}

PARTICIPANT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "site", "screening_status"],
    "properties": {
        "code": {"type": "string"},
        "site": {"type": "string"},
        "screening_status": {"type": "string"},
        "consent_main": {"type": "boolean"},
        "consent_sample_storage": {"type": "boolean"},
        "consent_future_research": {"type": "boolean"},
    },
}


def specimen_json(s: Specimen) -> dict[str, Any]:
    return {
        "barcode": s.barcode,
        "participant": s.participant.code,
        "visit": s.visit.code if s.visit else None,
        "type": s.specimen_type,
        "container": s.container,
        "quantity": None if s.quantity is None else format(s.quantity.normalize(), "f"),
        "unit": s.unit,
        "status": s.status,
        "site": s.site.code,
        "parent": s.parent.barcode if s.parent else None,
        "collected_at": s.collected_at.isoformat() if s.collected_at else None,
        "freeze_thaw_count": s.freeze_thaw_count,
        "sprec": specimen_service.sprec(s),
    }


def event_json(e: SpecimenEvent) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "at": e.at.isoformat(),
        "actor": e.actor.username if e.actor else None,
        "site": e.site.code if e.site else None,
        "detail": e.detail,
    }


def participant_json(p: Participant) -> dict[str, Any]:
    return {
        "code": p.code,
        "site": p.site.code,
        "screening_status": p.screening_status,
        "consent_main": p.consent_main,
        "consent_sample_storage": p.consent_sample_storage,
        "consent_future_research": p.consent_future_research,
    }
