"""Web layer: blueprints for pages and the JSON API, one per area."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter, Map

from .. import history, i18n, localtime, vocabulary

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def select_locale() -> str | None:
    """The session's choice, else the signed-in user's saved choice, else the browser's.

    An API request that sends ``Accept-Language`` is answered in that language: a script or an
    instrument asks per request, whatever its user chose for the pages.
    """
    if not has_request_context():
        return None
    langs = current_app.config["LANGUAGES"]
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        asked = request.accept_languages.best_match(langs)
        if asked:
            return str(asked)
    chosen = session.get("locale")
    if chosen in langs:
        return str(chosen)
    user = g.get("api_user")
    if user is None and current_user and current_user.is_authenticated:
        user = current_user
    saved = getattr(user, "locale", None)
    if saved in langs:
        return str(saved)
    return request.accept_languages.best_match(langs)


def translate_message(text: str) -> str:
    """A message held in a variable (an error's text, a coded word, a gate criterion's
    detail) in the request's language: a :class:`~biobank.i18n.Msg` by its format with its
    params filled in, a plain text looked up as it is; unknown texts come back unchanged."""
    return i18n.render(text, gettext)


def current_language() -> str:
    """``"zh"`` or ``"en"``: the language this request is answered in."""
    if not has_request_context():
        return "en"
    loc = get_locale()
    return loc.language if loc is not None else "en"


def site_timezone() -> str | None:
    """The signed-in user's site zone: the default for times shown without a site."""
    if not has_request_context():
        return None
    user = g.get("api_user")
    if user is None and current_user and current_user.is_authenticated:
        user = current_user
    site = getattr(user, "site", None)
    return getattr(site, "timezone", None)


def local_time(value: datetime | None, tz: str | None = None, fmt: str | None = None) -> str:
    """Show a stored UTC time in the site's zone (the user's site when not given), naming the
    zone, in the page's language: ``2026-11-24 22:05 CST`` / ``2026年11月24日 22:05 CST``."""
    tz = tz or site_timezone()
    if fmt is not None and value is not None:
        local = value.astimezone(localtime.zone(tz))
        return f"{local.strftime(fmt)} {local.tzname()}"
    return localtime.format_local(value, tz, current_language())


_DATETIME_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def datetime_local(value: datetime | None, tz: str | None = None) -> str:
    """A stored UTC time as a ``<input type="datetime-local">`` value: the site's wall-clock
    time to the minute (the input holds no zone; the label names it)."""
    if value is None:
        return ""
    return value.astimezone(localtime.zone(tz or site_timezone())).strftime("%Y-%m-%dT%H:%M")


def is_datetime_local(text: str) -> bool:
    """Whether a browser's date-time input can hold this text."""
    return bool(_DATETIME_LOCAL.fullmatch(text))


def term_filter(code: object, domain: str) -> str:
    """``{{ value|term('origin') }}``: a stored code as its label in the page's language."""
    return vocabulary.display(domain, code, gettext)


def csv_heading(column: str) -> str:
    """A CSV column's heading in the reader's language (the cells keep the stored codes)."""
    return vocabulary.display("column", column, gettext)


def change_lines(changes: dict[str, object] | None, tz: str | None = None) -> list[str]:
    """A history row's changes as people read them (``Site: S01 → CB``), in the page's
    language, times local to ``tz`` (the user's site when not given)."""
    return history.change_lines(changes or {}, gettext, tz or site_timezone(),
                                current_language())


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>`` bounded to what an integer key column holds (32-bit ``INTEGER`` on
    PostgreSQL): a larger number in a URL is simply not found (404) instead of overflowing the
    driver (500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_web(app: Flask) -> None:
    # Before any blueprint: rules pick their converters when they are added.
    app.url_map.converters["int"] = DatabaseIntConverter
    from . import (
        account,
        audit_pages,
        auth,
        boundary,
        errors,
        genotyping,
        genotyping_sources,
        idempotency,
        labels,
        logpaths,
        main,
        participants,
        shipments,
        specimens,
        storage,
        transaction,
    )
    from .api import init_api

    csrf.init_app(app)
    # A fresh clone (no `make`) still gets its .mo files; stale ones are rebuilt.
    i18n.compile_catalogues()
    Babel(app, locale_selector=select_locale)
    # after_request functions run last-registered first: the access log sees the final status.
    logpaths.init_app(app)
    transaction.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    boundary.init_app(app)
    idempotency.init_app(app)
    for module in (main, specimens, participants, audit_pages, account, shipments, storage,
                   genotyping, genotyping_sources, labels):
        app.register_blueprint(module.bp)
    init_api(app, csrf)

    app.jinja_env.globals.update(
        vocab=vocabulary, label=vocabulary.label, local_time=local_time,
        zone_label=localtime.zone_label, error_title=i18n.error_title,
        datetime_local=datetime_local, is_datetime_local=is_datetime_local,
        # A message from a variable (an error's text): looked up, never %-formatted.
        tmsg=translate_message, change_lines=change_lines,
    )
    app.jinja_env.filters["term"] = term_filter
    app.jinja_env.filters["words_in"] = lambda text: vocabulary.words_in(str(text), gettext)

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
        return {"current_locale": current_language()}
