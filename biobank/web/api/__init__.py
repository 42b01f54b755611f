"""JSON API v1: bearer-token auth, the same services as the pages, and an OpenAPI 3 document
generated from the routes' own declarations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, g, jsonify, request
from flask_wtf.csrf import CSRFProtect

from ... import __version__
from ...errors import Unauthenticated
from ...inputs import Spec
from ..boundary import FORMS, Fields, register

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "status": {"type": "integer"},
                # The data the message was filled in with (present when it has any).
                "params": {"type": "object"},
                # A refused input: the first field named, and every refused field's message.
                "field": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}
_PATHS: dict[str, dict[str, Any]] = {}
_ERROR_TEXT = {
    400: "Bad request", 401: "Missing or invalid bearer token", 403: "Role not allowed",
    404: "Not found or not visible to you", 409: "Conflicts with the current state",
    413: "Too large", 422: "Invalid input", 503: "Database busy; retry",
}


def route(
    rule: str,
    method: str,
    *,
    summary: str,
    response: dict[str, Any],
    body: dict[str, Spec] | None = None,
    required: tuple[str, ...] = (),
    status: int = 200,
    errors: tuple[int, ...] = (401, 403, 404),
    params: dict[str, dict[str, Any]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on the API blueprint and describe it in the OpenAPI document."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(rule, view_func=view, methods=[method], endpoint=view.__name__)
        path = "/api/v1" + rule.replace("<", "{").replace(">", "}")
        for conv in ("int:", "string:"):
            path = path.replace("{" + conv, "{")
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": view.__name__,
            "security": [{"bearer": []}],
            "responses": {
                str(status): {"description": "OK",
                              "content": {"application/json": {"schema": response}}},
                **{
                    str(code): {"description": _ERROR_TEXT.get(code, "Error"),
                                "content": {"application/json": {"schema": ERROR_SCHEMA}}}
                    # 422: every string of every request passes the boundary's text check.
                    for code in sorted({*errors, 401, 422, 503})
                },
            },
        }
        names = [seg[1:-1].split(":")[-1] for seg in rule.split("/") if seg.startswith("<")]
        parameters = [
            {"name": n, "in": "path", "required": True,
             "schema": (params or {}).get(n, {"type": "string"})}
            for n in names
        ]
        if parameters:
            op["parameters"] = parameters
        if body is not None:
            # The body's fields are declared once: read by json_body(), documented here.
            fields = register(Fields(f"{bp.name}.{view.__name__}", body, "json",
                                     required=required))
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": fields.schema()}}}
        _PATHS.setdefault(path, {})[method.lower()] = op
        return view

    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON body, every field checked by its declared spec (``route(body=...)``):
    absent fields are left out, a refused one is a 422 naming it."""
    declared = FORMS.get(request.endpoint or "")
    if declared is None:
        raise RuntimeError(f"{request.endpoint} reads a JSON body it did not declare")
    return declared.read()


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "MEN1 trial biobank API", "version": __version__},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "paths": dict(sorted(_PATHS.items())),
    }


@bp.before_request
def _require_token() -> None:
    if request.endpoint == "api.openapi":
        return
    if g.get("api_user") is None:
        # Session cookies are not accepted here: the API is CSRF-exempt, so only bearer tokens.
        raise Unauthenticated("authentication required: send 'Authorization: Bearer <token>'")


@bp.route("/openapi.json", endpoint="openapi")
def _openapi() -> Any:
    return jsonify(openapi_document())


def init_api(app: Flask, csrf: CSRFProtect) -> None:
    from . import (  # noqa: F401  (importing registers the routes)
        account,
        genotyping,
        labels,
        participants,
        shipments,
        specimens,
        storage,
    )

    csrf.exempt(bp)
    app.register_blueprint(bp)
