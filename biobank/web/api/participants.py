from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from ...models import Specimen
from ...services import access
from ..auth import actor
from ..transaction import db_session
from . import route
from .schemas import PARTICIPANT_SCHEMA, SPECIMEN_SCHEMA, participant_json, specimen_json


@route("/participants", "GET", summary="Participants visible to you",
       response={"type": "array", "items": PARTICIPANT_SCHEMA}, errors=(401,))
def list_participants() -> Any:
    rows = db_session().execute(access.participants_query(actor())).scalars()
    return jsonify([participant_json(p) for p in rows])


@route("/participants/<code>", "GET", summary="One participant with its specimens",
       response={"type": "object", "required": ["participant", "specimens"],
                 "properties": {"participant": PARTICIPANT_SCHEMA,
                                "specimens": {"type": "array", "items": SPECIMEN_SCHEMA}}})
def get_participant(code: str) -> Any:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    rows = s.execute(
        select(Specimen).where(Specimen.participant_id == p.id).order_by(Specimen.id)
    ).scalars()
    return jsonify({"participant": participant_json(p),
                    "specimens": [specimen_json(x) for x in rows]})
