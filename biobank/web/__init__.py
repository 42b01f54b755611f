"""Web layer: blueprints for pages and the JSON API, one per area."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from .. import vocabulary

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def select_locale() -> str | None:
    langs = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in langs:
        return str(chosen)
    return request.accept_languages.best_match(langs)


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in the site's zone, naming the zone."""
    if value is None:
        return "—"
    zone = ZoneInfo(tz or "Asia/Shanghai")
    local = value.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname()}"


def init_web(app: Flask) -> None:
    from . import (
        account,
        audit_pages,
        auth,
        errors,
        genotyping,
        idempotency,
        labels,
        main,
        participants,
        shipments,
        specimens,
        storage,
        transaction,
    )
    from .api import init_api

    csrf.init_app(app)
    Babel(app, locale_selector=select_locale)
    transaction.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    idempotency.init_app(app)
    for module in (main, specimens, participants, audit_pages, account, shipments, storage,
                   genotyping, labels):
        app.register_blueprint(module.bp)
    init_api(app, csrf)

    app.jinja_env.globals.update(
        vocab=vocabulary, label=vocabulary.label, local_time=local_time,
    )

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"current_locale": select_locale() or "en"}
