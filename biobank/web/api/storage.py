"""Storage JSON API: boxes and their maps, store / check-out / check-in, where a specimen is,
rack-scanner comparisons and imports, and the FHIR R4 Specimen export."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from ...inputs import Choice, Flag, Text
from ...models import StorageBox, StoragePosition
from ...services import access, reports, storage
from ..auth import actor
from ..boundary import body
from ..transaction import db_session, retry_conflicts
from . import json_body, route
from .schemas import SPECIMEN_SCHEMA, specimen_json

NULLABLE_STR = {"type": "string", "nullable": True}
POSITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["box", "position", "path"],
    "properties": {"box": {"type": "string"}, "position": {"type": "string"},
                   "path": {"type": "string"}},
}
LOCATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["specimen", "location"],
    "properties": {"specimen": SPECIMEN_SCHEMA,
                   "location": {**POSITION_SCHEMA, "nullable": True}},
}
BOX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["barcode", "name", "rows", "cols", "capacity", "used", "positions"],
    "properties": {
        "barcode": {"type": "string"}, "name": {"type": "string"},
        "type": {"type": "string"}, "rows": {"type": "integer"}, "cols": {"type": "integer"},
        "fill_order": {"type": "string"}, "path": {"type": "string"},
        "capacity": {"type": "integer"}, "used": {"type": "integer"},
        "next_free": NULLABLE_STR,
        "positions": {"type": "array", "items": {
            "type": "object", "required": ["position", "specimen", "type", "status"],
            "properties": {"position": {"type": "string"}, "specimen": {"type": "string"},
                           "type": {"type": "string"}, "status": {"type": "string"},
                           "freeze_thaw_count": {"type": "integer"}}}},
    },
}
CHECK_IN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["specimen", "location", "freeze_thaw_count"],
    "properties": {"specimen": SPECIMEN_SCHEMA, "location": POSITION_SCHEMA,
                   "freeze_thaw_count": {"type": "integer"}, "warning": NULLABLE_STR},
}
_ITEM = {"type": "object", "properties": {
    "tube": {"type": "string"}, "rack": {"type": "string"}, "position": {"type": "string"},
    "was": NULLABLE_STR, "reason": {"type": "string"}}}
RACK_DIFF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["fingerprint", "applicable", "moved", "new", "missing", "unknown", "refused",
                 "unchanged", "applied"],
    "properties": {
        "fingerprint": {"type": "string"}, "applicable": {"type": "boolean"},
        "applied": {"type": "boolean"},
        **{k: {"type": "array", "items": _ITEM}
           for k in ("moved", "new", "missing", "unknown", "refused", "warned")},
        "unchanged": {"type": "integer"},
    },
}
FHIR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["resourceType", "id", "type"],
    "properties": {"resourceType": {"type": "string", "enum": ["Specimen"]},
                   "id": {"type": "string"}, "status": {"type": "string"},
                   "type": {"type": "object"}, "collection": {"type": "object"},
                   "processing": {"type": "array", "items": {"type": "object"}},
                   "container": {"type": "array", "items": {"type": "object"}},
                   "parent": {"type": "array", "items": {"type": "object"}}},
}


def position_json(pos: StoragePosition) -> dict[str, Any]:
    return {"box": pos.box.barcode, "position": storage.position_name(pos.row_no, pos.col_no),
            "path": storage.full_path(pos)}


def box_json(box: StorageBox) -> dict[str, Any]:
    s = db_session()
    taken = storage.occupancy(s, box)
    nxt = storage.next_free(s, box, taken)
    return {
        "barcode": box.barcode, "name": box.name, "type": box.box_type, "rows": box.n_rows,
        "cols": box.n_cols, "fill_order": box.fill_order, "path": storage.box_path(box),
        "capacity": box.capacity, "used": len(taken),
        "next_free": storage.position_name(*nxt) if nxt else None,
        "positions": [
            {"position": storage.position_name(r, c), "specimen": p.specimen.barcode,
             "type": p.specimen.specimen_type, "status": p.specimen.status,
             "freeze_thaw_count": p.specimen.freeze_thaw_count}
            for (r, c), p in sorted(taken.items())
        ],
    }


@route("/storage/boxes/<barcode>", "GET", summary="A box, its geometry and its occupied "
       "positions", response=BOX_SCHEMA)
def get_box(barcode: str) -> Any:
    return jsonify(box_json(storage.get_box(db_session(), actor(), barcode)))


@route("/storage/boxes", "POST", summary="Create a box from a template (box type)",
       response=BOX_SCHEMA, status=201,
       body=body(box_type=Choice(tuple(storage.BOX_TYPES), required=True),
                 name=Text(100, required=True), location=Text(64),
                 fill_order=Choice(tuple(storage.FILL_ORDERS))),
       errors=(401, 403, 404, 422))
def post_box() -> Any:
    user = actor()
    access.require_role(user, *storage.STORE_ROLES)  # before the body: 403 beats 422
    data = json_body()
    s = db_session()
    loc_code = data.get("location")
    loc = storage.get_location(s, user, loc_code) if loc_code else None
    box = storage.create_box(s, user, box_type=data["box_type"], name=data["name"],
                             location=loc, fill_order=data.get("fill_order") or "row")
    return jsonify(box_json(box)), 201


@route("/storage/boxes/<barcode>/store", "POST",
       summary="Store (or move) a specimen in this box, at a position or the next free one",
       response=POSITION_SCHEMA,
       body=body(specimen=Text(64, required=True), position=Text(8), acknowledge=Flag()),
       errors=(401, 403, 404, 409, 422))
@retry_conflicts
def post_store(barcode: str) -> Any:
    """A placement against the storage rules is 409 ``storage_refused`` or, for a deviation,
    409 ``storage_warning`` until it is sent again with ``acknowledge: true``."""
    data = json_body()
    s = db_session()
    user = actor()
    box = storage.get_box(s, user, barcode)
    sp = access.get_specimen(s, user, data["specimen"])
    pos = storage.store(s, user, box, sp, data.get("position"),
                        acknowledge=bool(data.get("acknowledge")))
    return jsonify(position_json(pos))


@route("/storage/specimens/<barcode>/location", "GET",
       summary="Where a specimen is: unit / shelf / rack / box / position",
       response=LOCATION_SCHEMA)
def get_location(barcode: str) -> Any:
    s = db_session()
    sp = access.get_specimen(s, actor(), barcode)
    pos = storage.position_of(s, sp) if sp.status not in storage.GONE else None
    return jsonify({"specimen": specimen_json(sp),
                    "location": position_json(pos) if pos else None})


@route("/storage/specimens/<barcode>/check-out", "POST",
       summary="Check a stored specimen out (its position is kept for its return)",
       response=LOCATION_SCHEMA,
       body=body(reason=Text(500)),
       errors=(401, 403, 404, 409, 422))
@retry_conflicts
def post_check_out(barcode: str) -> Any:
    data = json_body()
    s = db_session()
    user = actor()
    sp = access.get_specimen(s, user, barcode)
    pos = storage.check_out(s, user, sp, data.get("reason"))
    return jsonify({"specimen": specimen_json(sp),
                    "location": position_json(pos) if pos else None})


@route("/storage/specimens/<barcode>/check-in", "POST",
       summary="Return a checked-out specimen; frozen specimens count a freeze-thaw cycle",
       response=CHECK_IN_SCHEMA,
       body=body(box=Text(64), position=Text(8), acknowledge=Flag()),
       errors=(401, 403, 404, 409, 422))
@retry_conflicts
def post_check_in(barcode: str) -> Any:
    data = json_body()
    s = db_session()
    user = actor()
    sp = access.get_specimen(s, user, barcode)
    box_code = data.get("box")
    box = storage.get_box(s, user, box_code) if box_code else None
    done = storage.check_in(s, user, sp,
                            warning_limit=current_app.config["FREEZE_THAW_WARNING_LIMIT"],
                            box=box, position=data.get("position"),
                            acknowledge=bool(data.get("acknowledge")))
    return jsonify({"specimen": specimen_json(sp), "location": position_json(done.position),
                    "freeze_thaw_count": done.freeze_thaw_count, "warning": done.warning})


def _diff_json(diff: storage.RackDiff, applied: bool) -> dict[str, Any]:
    def items(xs: list[storage.RackItem]) -> list[dict[str, Any]]:
        return [{"tube": i.tube, "rack": i.rack, "position": i.position, "was": i.was,
                 "reason": i.reason} for i in xs]

    return {"fingerprint": diff.fingerprint, "applicable": diff.applicable, "applied": applied,
            "moved": items(diff.moved), "new": items(diff.new),
            "missing": items(diff.missing), "unknown": items(diff.unknown),
            "refused": items(diff.refused), "warned": items(diff.warned),
            "unchanged": len(diff.unchanged)}


@route("/storage/rack-scans", "POST",
       summary="Compare a rack-scanner CSV (Rack,Position,Tube) with the database; with "
       "'fingerprint' of that comparison, apply it (all or nothing)",
       response=RACK_DIFF_SCHEMA,
       body=body(csv=Text(storage.MAX_RACK_TEXT), fingerprint=Text(128), acknowledge=Flag()),
       required=("csv",),
       errors=(401, 403, 404, 409, 422))
@retry_conflicts
def post_rack_scan() -> Any:
    data = json_body()
    s = db_session()
    user = actor()
    if data.get("fingerprint") is not None:
        # Applying writes: the role before the file (a comparison needs none).
        access.require_role(user, *storage.STORE_ROLES)
    text = data.get("csv", "")
    fingerprint = data.get("fingerprint")
    if fingerprint is None:
        return jsonify(_diff_json(storage.rack_diff(s, user, text), applied=False))
    return jsonify(_diff_json(storage.apply_rack(s, user, text, fingerprint,
                                                 acknowledge=bool(data.get("acknowledge"))),
                              applied=True))


@route("/storage/specimens/<barcode>/fhir", "GET",
       summary="The specimen as a FHIR R4 Specimen resource", response=FHIR_SCHEMA)
def get_fhir(barcode: str) -> Any:
    s = db_session()
    user = actor()
    sp = access.get_specimen(s, user, barcode)
    resp: Response = jsonify(reports.fhir_specimen(s, user, sp))
    return resp
