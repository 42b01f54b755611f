"""Domain errors and HTTP errors → responses: JSON under /api, a page (or fragment) elsewhere.

Never a traceback to the user; every refusal leaves one line in the security log.
"""

from __future__ import annotations

import errno
import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from ..errors import BiobankError, Conflict, ServiceUnavailable
from ..i18n import render

security_log = logging.getLogger("biobank.security")
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


def _respond(status: int, code: str, message: str,
             params: dict[str, object] | None = None) -> Response:
    if wants_json():
        body: dict[str, object] = {"code": code, "message": message, "status": status}
        if params:
            body["params"] = _json_params(params)
        resp = jsonify({"error": body})
    elif request.headers.get("HX-Request"):
        resp = Response(render_template("_error_fragment.html", status=status, code=code,
                                        message=message), mimetype="text/html")
    else:
        resp = Response(render_template("error.html", status=status, code=code,
                                        message=message), mimetype="text/html")
    resp.status_code = status
    if status == 503:
        resp.headers["Retry-After"] = "2"
    if status == 429:
        resp.headers["Retry-After"] = "60"
    if status == 401 and request.path.startswith("/api/"):
        resp.headers["WWW-Authenticate"] = 'Bearer realm="biobank"'
    return resp


def error_response(exc: BiobankError) -> Response:
    user = getattr(request, "_biobank_user", None)
    security_log.warning(
        "refused %s %s -> %d %s (user=%s)", request.method, request.path, exc.status, exc.code,
        user or "-",
    )
    # The message's format is in the catalogue (extracted by its error class): translated,
    # then filled in with the params, which are data (a vocabulary word is translated too).
    return _respond(exc.status, exc.code, render(exc.message, _), exc.params)


def init_app(app: Flask) -> None:
    @app.errorhandler(BiobankError)
    def _domain(exc: BiobankError) -> Response:
        return error_response(exc)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response:
        return error_response(BiobankError(
            _("The form was missing its security token or it expired; reload the page."),
            code="csrf",
        ))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        messages = {
            404: _("No such page."),
            405: _("That method is not allowed here."),
            413: _("The upload is larger than the limit."),
        }
        message = messages.get(status, exc.description or exc.name)
        if status >= 400 and status < 500:
            security_log.warning("refused %s %s -> %d", request.method, request.path, status)
        return _respond(status, exc.name.lower().replace(" ", "_"), str(message))

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Response:
        # Raised by a flush inside the view: the session must be rolled back before the page
        # (which reads the signed-in user) is rendered, or that read fails again (a 500).
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        return error_response(Conflict(
            _("The change collides with another one just made; reload and try again."),
            code="constraint",
        ))

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError) -> Response:
        from .transaction import is_lock_error

        if is_lock_error(exc):
            return error_response(ServiceUnavailable(_("The database is busy; retry shortly.")))
        log.exception("database error")
        return _respond(500, "internal", _("Internal error; it has been logged."))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:  # a full disk: retryable
            log.error("disk full on %s %s", request.method, request.path)
            return error_response(ServiceUnavailable(
                _("The server's disk is full: nothing was saved. Tell the administrator, "
                  "then retry."), code="disk_full"))
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal", _("Internal error; it has been logged."))
