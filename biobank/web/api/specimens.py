from __future__ import annotations

from typing import Any

from flask import jsonify

from ...errors import ValidationError
from ...services import access, scan, specimens
from .. import scanner
from ..auth import actor
from ..transaction import db_session
from . import json_body, route
from .schemas import EVENT_SCHEMA, SPECIMEN_SCHEMA, event_json, specimen_json

SPECIMEN_WITH_EVENTS = {
    "type": "object",
    "required": ["specimen", "events"],
    "properties": {"specimen": SPECIMEN_SCHEMA,
                   "events": {"type": "array", "items": EVENT_SCHEMA}},
}
SCAN_RESULT = {
    "type": "object",
    "required": ["code", "kind", "outcome"],
    "properties": {"code": {"type": "string"}, "kind": {"type": "string"},
                   "outcome": {"type": "string", "enum": ["found", "collected"]},
                   "specimen": SPECIMEN_SCHEMA},
}


@route("/specimens/<barcode>", "GET", summary="A specimen and its custody events",
       response=SPECIMEN_WITH_EVENTS)
def get_specimen(barcode: str) -> Any:
    s = access.get_specimen(db_session(), actor(), barcode)
    return jsonify({"specimen": specimen_json(s), "events": [event_json(e) for e in s.events]})


@route("/scan", "POST", summary="Resolve a scanned code; registers collection of an expected "
       "specimen scanned by a technician of its site", response=SCAN_RESULT,
       body={"type": "object", "required": ["code"],
             "properties": {"code": {"type": "string", "maxLength": 200}}},
       errors=(401, 403, 404, 409, 422))
def post_scan() -> Any:
    data = json_body()
    code = data.get("code")
    if not isinstance(code, str):
        raise ValidationError("'code' must be a string")
    user = actor()
    result = scan.resolve(
        db_session(), user, code,
        prefixes=scanner.affixes()[0],
        suffixes=scanner.affixes()[1],
        register=user.role in {"technician", "admin"},
    )
    out: dict[str, Any] = {"code": result.code, "kind": result.kind, "outcome": result.outcome}
    if result.specimen is not None:
        out["specimen"] = specimen_json(result.specimen)
    return jsonify(out)


@route("/specimens/<barcode>/transitions", "POST",
       summary="Apply a status change (consume, dispose, lose) with a reason",
       response=SPECIMEN_SCHEMA,
       body={"type": "object", "required": ["action", "reason"],
             "properties": {"action": {"type": "string", "enum": ["consume", "dispose", "lose"]},
                            "reason": {"type": "string", "minLength": 1}}},
       errors=(401, 403, 404, 409, 422))
def post_transition(barcode: str) -> Any:
    data = json_body()
    action, reason = data.get("action"), data.get("reason")
    if action not in {"consume", "dispose", "lose"}:
        raise ValidationError("'action' must be one of consume, dispose, lose")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("'reason' is required", code="reason_required")
    user = actor()
    s = access.get_specimen(db_session(), user, barcode)
    specimens.transition(db_session(), user, s, action, reason=reason.strip())
    return jsonify(specimen_json(s))
