from __future__ import annotations

from typing import Any

from flask import jsonify

from ...inputs import Choice, Text
from ...services import access, scan, specimens
from .. import scanner
from ..auth import actor
from ..boundary import body
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
       body=body(code=Text(200)), required=("code",), errors=(401, 403, 404, 409, 422))
def post_scan() -> Any:
    code = json_body()["code"]
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
       body=body(action=Choice(("consume", "dispose", "lose"), required=True),
                 reason=Text(500, required=True)),
       errors=(401, 403, 404, 409, 422))
def post_transition(barcode: str) -> Any:
    data = json_body()
    action, reason = data["action"], data["reason"]
    user = actor()
    s = access.get_specimen(db_session(), user, barcode)
    specimens.transition(db_session(), user, s, action, reason=reason.strip())
    return jsonify(specimen_json(s))
