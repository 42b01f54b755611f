"""Shipments JSON API: create, pack by code, ship, receive tube by tube, resolve discrepancies,
close; manifests as JSON/CSV/PDF; a specimen's chain of custody."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ...inputs import Choice, DateTime, Text
from ...models import Shipment
from ...services import access, manifests
from ...services import shipments as svc
from .. import scanner
from ..auth import actor
from ..boundary import body
from ..transaction import db_session, retry_conflicts
from . import json_body, route
from .schemas import EVENT_SCHEMA, SPECIMEN_SCHEMA, event_json, specimen_json

NULLABLE_STR = {"type": "string", "nullable": True}
ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["specimen", "state", "extra"],
    "properties": {"specimen": {"type": "string"}, "state": {"type": "string",
                   "enum": ["packed", "received", "missing", "damaged", "extra"]},
                   "extra": {"type": "boolean"}, "damage": NULLABLE_STR,
                   "resolution": NULLABLE_STR, "open": {"type": "boolean"}},
}
SHIPMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["barcode", "status", "from", "to", "conditions", "items", "counts"],
    "properties": {
        "barcode": {"type": "string"},
        "status": {"type": "string", "enum": list(svc.STATUS_LABELS)},
        "from": {"type": "string"}, "to": {"type": "string"},
        "conditions": {"type": "string", "enum": list(svc.CONDITIONS)},
        "dry_ice_kg": {**NULLABLE_STR, "description": "net mass of the dry ice, kg (\"2.5\")"},
        "courier": {"type": "string"}, "tracking_number": NULLABLE_STR,
        "logger_id": {"type": "string"}, "planned_ship_at": NULLABLE_STR,
        "shipped_at": NULLABLE_STR, "received_at": NULLABLE_STR,
        "receiver": NULLABLE_STR, "package_condition": NULLABLE_STR,
        "arrival_temperature_c": NULLABLE_STR,
        "items": {"type": "array", "items": ITEM_SCHEMA},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
LIST_SCHEMA = {"type": "object", "required": ["shipments"],
               "properties": {"shipments": {"type": "array", "items": SHIPMENT_SCHEMA}}}
DETAILS_BODY = body(
    conditions=Choice(tuple(svc.CONDITIONS)), courier=Text(100), tracking_number=Text(64),
    logger_id=Text(64), planned_ship_at=DateTime(), notes=Text(500),
    dry_ice_kg=svc.DRY_ICE_KG,
)
CODE_BODY = body(code=Text(200))
PACK_RESULT = {"type": "object", "required": ["added", "already", "shipment"],
               "properties": {"added": {"type": "array", "items": {"type": "string"}},
                              "already": {"type": "array", "items": {"type": "string"}},
                              "shipment": SHIPMENT_SCHEMA}}
RECEIVE_BODY = body(code=Text(200), damage=Choice(tuple(svc.DAMAGE)))
RECEIVE_RESULT = {"type": "object", "required": ["outcome", "specimen", "message"],
                  "properties": {"outcome": {"type": "string", "enum": [
                      "received", "damaged", "extra", "duplicate"]},
                      "specimen": SPECIMEN_SCHEMA, "message": {"type": "string"},
                      "counts": {"type": "object"}}}
RECEIPT_BODY = body(package_condition=Choice(tuple(svc.PACKAGE_CONDITIONS)),
                    temperature_c=svc.TEMPERATURE)
REASON_BODY = body(reason=Text(500, required=True))
RESOLVE_BODY = body(reason=Text(500, required=True),
                    action=Choice(svc.RESOLUTION_ACTIONS))
CUSTODY_SCHEMA = {"type": "object", "required": ["specimen", "events"],
                  "properties": {"specimen": SPECIMEN_SCHEMA,
                                 "events": {"type": "array", "items": EVENT_SCHEMA}}}
ALL_ERRORS = (401, 403, 404, 409, 422)


def item_json(item: Any) -> dict[str, Any]:
    return {"specimen": item.specimen.barcode, "state": item.state, "extra": item.extra,
            "damage": item.damage, "resolution": item.resolution, "open": item.is_open}


def shipment_json(sh: Shipment) -> dict[str, Any]:
    items = svc.items(db_session(), sh)
    head = manifests.header(sh)
    return {
        "barcode": sh.barcode, "status": sh.status, "from": head["from"], "to": head["to"],
        "conditions": sh.conditions, "dry_ice_kg": svc.kg_text(sh.dry_ice_kg),
        "courier": sh.courier,
        "tracking_number": sh.tracking_number, "logger_id": sh.logger_id,
        "planned_ship_at": head["planned_ship_at"], "shipped_at": head["shipped_at"],
        "received_at": head["received_at"],
        "receiver": sh.receipt.receiver.username if sh.receipt else None,
        "package_condition": head["package_condition"],
        "arrival_temperature_c": head["arrival_temperature_c"],
        "items": [item_json(i) for i in items], "counts": svc.counts(items),
    }




def _get(code: str) -> Shipment:
    return svc.get(db_session(), actor(), code)


@route("/shipments", "GET", summary="Shipments visible to you, newest first",
       response=LIST_SCHEMA)
def list_shipments() -> Any:
    return jsonify({"shipments": [shipment_json(s)
                                  for s in svc.listing(db_session(), actor())[:100]]})


@route("/shipments", "POST", summary="Create a draft shipment from your site",
       response=SHIPMENT_SCHEMA, status=201,
       body={**DETAILS_BODY, "to": Text(16)}, required=("conditions",), errors=ALL_ERRORS)
def create_shipment() -> Any:
    access.require_role(actor(), *svc.WRITE_ROLES)  # before the body: 403 beats 422
    data = json_body()
    sh = svc.create(
        db_session(), actor(), conditions=data["conditions"], to_site=data.get("to"),
        courier=data.get("courier") or "", tracking_number=data.get("tracking_number"),
        logger_id=data.get("logger_id") or "", planned_ship_at=data.get("planned_ship_at"),
        notes=data.get("notes") or "", dry_ice_kg=data.get("dry_ice_kg"),
    )
    return jsonify(shipment_json(sh)), 201


@route("/shipments/<code>", "GET", summary="A shipment, its items and counts",
       response=SHIPMENT_SCHEMA)
def get_shipment(code: str) -> Any:
    return jsonify(shipment_json(_get(code)))


@route("/shipments/<code>", "PATCH", summary="Courier, tracking number, logger ID, planned "
       "time, conditions, dry ice mass, notes", response=SHIPMENT_SCHEMA, body=DETAILS_BODY,
       errors=ALL_ERRORS)
def patch_shipment(code: str) -> Any:
    sh = svc.update_details(db_session(), actor(), _get(code), **json_body())
    return jsonify(shipment_json(sh))


@route("/shipments/<code>/items", "POST", summary="Pack a scanned tube (SP…) or a whole "
       "box (BX…)", response=PACK_RESULT, body=CODE_BODY, required=("code",), errors=ALL_ERRORS)
def pack(code: str) -> Any:
    res = svc.pack(db_session(), actor(), _get(code), scanner.clean(json_body()["code"]))
    return jsonify({"added": [s.barcode for s in res.added],
                    "already": [s.barcode for s in res.already],
                    "shipment": shipment_json(_get(code))})


@route("/shipments/<code>/items/<barcode>", "DELETE", summary="Remove a tube from a draft",
       response=SHIPMENT_SCHEMA, errors=ALL_ERRORS)
def unpack(code: str, barcode: str) -> Any:
    svc.unpack(db_session(), actor(), _get(code), barcode)
    return jsonify(shipment_json(_get(code)))


def _simple(code: str, op: str, data: dict[str, Any] | None = None) -> Any:
    s, user, sh = db_session(), actor(), _get(code)
    if op == "ready":
        svc.mark_ready(s, user, sh)
    elif op == "reopen":
        svc.reopen(s, user, sh)
    elif op == "ship":
        svc.ship(s, user, sh)
    elif op == "cancel":
        svc.cancel(s, user, sh, (data or {})["reason"])
    elif op == "lost":
        svc.mark_lost(s, user, sh, (data or {})["reason"])
    elif op == "close":
        svc.close(s, user, sh)
    return jsonify(shipment_json(_get(code)))


@route("/shipments/<code>/ready", "POST", summary="Freeze the contents: ready to ship",
       response=SHIPMENT_SCHEMA, errors=ALL_ERRORS)
def ready(code: str) -> Any:
    return _simple(code, "ready")


@route("/shipments/<code>/reopen", "POST", summary="Back to draft (before shipping)",
       response=SHIPMENT_SCHEMA, errors=ALL_ERRORS)
def reopen(code: str) -> Any:
    return _simple(code, "reopen")


@route("/shipments/<code>/ship", "POST", summary="Hand over to the courier: every tube goes in "
       "transit (422 dry_ice_kg_required: a dry-ice shipment records its dry ice mass first)",
       response=SHIPMENT_SCHEMA, errors=ALL_ERRORS)
def ship(code: str) -> Any:
    return _simple(code, "ship")


@route("/shipments/<code>/cancel", "POST", summary="Cancel a draft or ready shipment",
       response=SHIPMENT_SCHEMA, body=REASON_BODY, errors=ALL_ERRORS)
def cancel(code: str) -> Any:
    return _simple(code, "cancel", json_body())


@route("/shipments/<code>/lost", "POST", summary="Declare a shipment lost in transit",
       response=SHIPMENT_SCHEMA, body=REASON_BODY, errors=ALL_ERRORS)
def lost(code: str) -> Any:
    return _simple(code, "lost", json_body())


@route("/shipments/<code>/receipt", "POST", summary="Open the shipment's one receipt (409 if "
       "someone else has it or it was received)", response=SHIPMENT_SCHEMA, status=201,
       body=RECEIPT_BODY, errors=ALL_ERRORS)
@retry_conflicts
def start_receipt(code: str) -> Any:
    data = json_body()
    svc.start_receipt(db_session(), actor(), _get(code),
                      package_condition=data.get("package_condition") or "intact",
                      temperature=data.get("temperature_c"))
    return jsonify(shipment_json(_get(code))), 201


@route("/shipments/<code>/receipt/scans", "POST", summary="One tube scanned on arrival: "
       "received, damaged, extra (quarantined) or duplicate", response=RECEIVE_RESULT,
       body=RECEIVE_BODY, required=("code",), errors=ALL_ERRORS)
@retry_conflicts
def receive_scan(code: str) -> Any:
    data = json_body()
    res = svc.receive_scan(db_session(), actor(), code, scanner.clean(data["code"]),
                           damage=data.get("damage"))
    return jsonify({"outcome": res.outcome, "specimen": specimen_json(res.specimen),
                    "message": res.message})


@route("/shipments/<code>/receipt/finish", "POST", summary="Finish scanning: unscanned tubes "
       "become missing", response=SHIPMENT_SCHEMA, body=RECEIPT_BODY, errors=ALL_ERRORS)
@retry_conflicts
def finish_receipt(code: str) -> Any:
    data = json_body()
    svc.finish_receipt(db_session(), actor(), _get(code),
                       package_condition=data.get("package_condition"),
                       temperature=data.get("temperature_c"))
    return jsonify(shipment_json(_get(code)))


@route("/shipments/<code>/items/<barcode>/resolve", "POST", summary="Resolve a discrepancy "
       "with a reason", response=ITEM_SCHEMA, body=RESOLVE_BODY, errors=ALL_ERRORS)
def resolve(code: str, barcode: str) -> Any:
    data = json_body()
    item = svc.resolve(db_session(), actor(), _get(code), barcode, data["reason"],
                       data.get("action") or "noted")
    return jsonify(item_json(item))


@route("/shipments/<code>/close", "POST", summary="Close a received shipment (no open "
       "discrepancies)", response=SHIPMENT_SCHEMA, errors=ALL_ERRORS)
def close(code: str) -> Any:
    return _simple(code, "close")


@route("/shipments/<code>/manifest.json", "GET", summary="The manifest as JSON",
       response={"type": "object"})
def manifest_json(code: str) -> Any:
    sh = _get(code)
    return jsonify(manifests.as_json(sh, svc.items(db_session(), sh)))


@route("/shipments/<code>/manifest.csv", "GET", summary="The manifest as CSV",
       response={"type": "string"})
def manifest_csv(code: str) -> Any:
    sh = _get(code)
    return Response(manifests.as_csv(sh, svc.items(db_session(), sh)), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="manifest-{sh.barcode}.csv"'})


@route("/custody/<barcode>", "GET", summary="A specimen's chain of custody, oldest first",
       response=CUSTODY_SCHEMA)
def custody(barcode: str) -> Any:
    sp, evs = svc.custody(db_session(), actor(), barcode)
    return jsonify({"specimen": specimen_json(sp), "events": [event_json(e) for e in evs]})
