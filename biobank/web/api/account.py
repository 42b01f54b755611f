from __future__ import annotations

from typing import Any

from flask import jsonify

from ...inputs import Choice, Text
from ...services import users
from ..auth import actor
from ..boundary import body
from ..transaction import db_session
from . import json_body, route

ME_SCHEMA = {
    "type": "object",
    "required": ["username", "role", "site"],
    "properties": {
        "username": {"type": "string"},
        "display_name": {"type": "string"},
        "role": {"type": "string"},
        "site": {"type": "string"},
        "locale": {"type": "string", "nullable": True},
    },
}


def _me() -> dict[str, Any]:
    u = actor()
    return {"username": u.username, "display_name": u.display_name, "role": u.role,
            "site": u.site.code, "locale": u.locale}


@route("/me", "GET", summary="The token's user", response=ME_SCHEMA, errors=(401,))
def get_me() -> Any:
    return jsonify(_me())


@route("/me", "PATCH", summary="Change your display name or language (never role or site)",
       response=ME_SCHEMA, errors=(401, 422),
       body=body(display_name=Text(200, min_length=1), locale=Choice(("en", "zh"))))
def patch_me() -> Any:
    users.update_profile(db_session(), actor(), json_body())
    return jsonify(_me())
