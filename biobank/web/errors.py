"""Domain errors and HTTP errors → responses: JSON under /api, a page (or fragment) elsewhere.

Every handler rolls the request's work back first (``transaction.abandon``), then answers in
the client's format; if rendering the page itself fails (the database is gone, a template
breaks), a minimal answer in the same format is sent instead: a handler cannot fail. Never a
traceback to the user; every refusal leaves one line in the security log, naming the route
template (``/participants/<code>``), never a participant code.
"""

from __future__ import annotations

import errno
import json
import logging
from html import escape
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..errors import BiobankError, Conflict, FieldError, ServiceUnavailable, ValidationError
from ..i18n import render
from . import boundary, logpaths
from .transaction import abandon, is_lock_error, is_retryable

security_log = logging.getLogger("biobank.security")
RETRY_AFTER = {503: "2", 429: "60"}
log = logging.getLogger("biobank.web")


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def _json_params(params: dict[str, object]) -> dict[str, object]:
    # The data of a message, for scripts that should not parse a sentence: numbers stay
    # numbers; anything else (a vocabulary word, a nested message) is its English text.
    return {k: v if isinstance(v, (int, float)) or v is None else str(v)
            for k, v in params.items()}


def _respond(status: int, code: str, message: str, params: dict[str, object] | None = None,
             fields: dict[str, str] | None = None) -> Response:
    try:
        resp = _render(status, code, message, params, fields)
    except Exception:
        # The page could not be rendered (its base template reads the signed-in user; the
        # database may be what failed): the same answer, without the page around it.
        log.exception("error page failed to render; sending the plain answer")
        resp = _plain(status, code, message, fields)
    resp.status_code = status
    add_retry_after(resp, status)
    if status == 401 and request.path.startswith("/api/"):
        resp.headers["WWW-Authenticate"] = 'Bearer realm="biobank"'
    return resp


def _render(status: int, code: str, message: str, params: dict[str, object] | None,
            fields: dict[str, str] | None) -> Response:
    if wants_json():
        body: dict[str, object] = {"code": code, "message": message, "status": status}
        if params:
            body["params"] = _json_params(params)
        if fields:
            body["field"] = next(iter(fields))
            body["fields"] = fields
        return jsonify({"error": body})
    template = "_error_fragment.html" if request.headers.get("HX-Request") else "error.html"
    return Response(render_template(template, status=status, code=code, message=message,
                                     fields=fields or {}), mimetype="text/html")


def _plain(status: int, code: str, message: str, fields: dict[str, str] | None) -> Response:
    if wants_json():
        body: dict[str, object] = {"code": code, "message": message, "status": status}
        if fields:
            body["field"], body["fields"] = next(iter(fields)), fields
        return Response(json.dumps({"error": body}), mimetype="application/json")
    items = "".join(f'<li data-field="{escape(k)}">{escape(v)}</li>'
                    for k, v in (fields or {}).items())
    return Response(
        f'<!doctype html><meta charset="utf-8"><title>{status}</title>'
        f'<div class="result bad" role="alert" data-outcome="{escape(code)}">'
        f"<p>{escape(message)}</p><ul>{items}</ul></div>", mimetype="text/html")


def add_retry_after(resp: Response, status: int) -> None:
    """A busy database (503) is worth retrying at once; a rate limit (429) after its window."""
    if status in RETRY_AFTER:
        resp.headers.setdefault("Retry-After", RETRY_AFTER[status])


def log_refusal(exc: BiobankError) -> None:
    user = getattr(request, "_biobank_user", None)
    field = f" field={exc.field}" if isinstance(exc, FieldError) else ""
    security_log.warning("refused %s %s -> %d %s%s (user=%s)", request.method,
                         logpaths.route_of_request(), exc.status, exc.code, field, user or "-")


def error_response(exc: BiobankError) -> Response:
    log_refusal(exc)
    # The message's format is in the catalogue (extracted by its error class): translated,
    # then filled in with the params, which are data (a vocabulary word is translated too).
    fields = ({name: render(msg, _) for name, msg in exc.by_field.items()}
              if isinstance(exc, FieldError) else None)
    return _respond(exc.status, exc.code, render(exc.message, _), exc.params, fields)


def form_page(exc: BiobankError) -> Response | None:
    """A refused page form is answered by its page again, the refusal beside its field and
    what was typed kept (with the refusal's status), never by a bare error page; None where
    that does not apply: not a form post of a page (the API, an htmx fragment), a refusal of
    who is asking (401, 403), a form without a declared page, or a page that cannot be shown
    (its object is what was not found)."""
    if request.method != "POST" or wants_json() or request.headers.get("HX-Request"):
        return None
    declared = boundary.page_of(request.endpoint)
    if declared is None or (exc.status in (401, 403) and exc.code not in declared.codes):
        return None
    g.refused_form = boundary.Refused(
        declared.endpoint, request.form,
        boundary.field_messages(exc, declared, lambda msg: render(msg, _)), declared.summary,
        dict(request.view_args or {}))
    # The language switch on the page returns to the page the form was on, not to the URL
    # the form was posted to (a POST-only route).
    came_from = urlsplit(request.referrer or "")
    g.page_path = (came_from.path + (f"?{came_from.query}" if came_from.query else "")
                   if came_from.netloc == request.host else url_for("main.index"))
    try:
        rv = boundary.render_page(declared, exc)
    except BiobankError:
        g.pop("refused_form", None)
        return None
    log_refusal(exc)
    resp = make_response(rv)
    resp.status_code = exc.status
    add_retry_after(resp, exc.status)
    return resp


def _internal(exc: BaseException) -> Response:
    log.error("unhandled error on %s %s", request.method, logpaths.route_of_request(),
              exc_info=exc)
    return _respond(500, "internal", _("Internal error; it has been logged."))


def init_app(app: Flask) -> None:
    @app.errorhandler(BiobankError)
    def _domain(exc: BiobankError) -> Response:
        abandon(exc)
        return form_page(exc) or error_response(exc)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response:
        abandon(exc)
        return error_response(BiobankError(
            _("The form was missing its security token or it expired; reload the page."),
            code="csrf",
        ))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        abandon(exc)
        status = exc.code or 500
        if status >= 500:
            return _internal(getattr(exc, "original_exception", None) or exc)
        messages = {
            404: _("No such page."),
            405: _("That method is not allowed here."),
            413: _("The upload is larger than the limit."),
        }
        message = messages.get(status, exc.description or exc.name)
        if status >= 400:
            security_log.warning("refused %s %s -> %d", request.method,
                                 logpaths.route_of_request(), status)
        return _respond(status, exc.name.lower().replace(" ", "_"), str(message))

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Response:
        abandon(exc)
        return error_response(Conflict(
            _("The change collides with another one just made; reload and try again."),
            code="constraint",
        ))

    @app.errorhandler(DataError)
    def _data(exc: DataError) -> Response:
        # A value the database will not hold (out of a column's range): the boundary should
        # have refused it by name; still a 422, never a 500.
        abandon(exc)
        log.warning("database refused a value on %s: %s", logpaths.route_of_request(),
                    type(exc.orig).__name__)
        return error_response(ValidationError(_("A value does not fit its field."),
                                              code="invalid"))

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError) -> Response:
        abandon(exc)
        if is_lock_error(exc) or is_retryable(exc):
            return error_response(ServiceUnavailable(_("The database is busy; retry shortly.")))
        return _internal(exc)

    @app.errorhandler(SQLAlchemyError)
    def _database(exc: SQLAlchemyError) -> Response:
        abandon(exc)
        if is_retryable(exc):
            return error_response(ServiceUnavailable(_("The database is busy; retry shortly.")))
        return _internal(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        abandon(exc)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:  # a full disk: retryable
            log.error("disk full on %s %s", request.method, logpaths.route_of_request())
            return error_response(ServiceUnavailable(
                _("The server's disk is full: nothing was saved. Tell the administrator, "
                  "then retry."), code="disk_full"))
        return _internal(exc)
