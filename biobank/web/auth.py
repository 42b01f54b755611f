"""Sessions for people (Flask-Login, idle timeout, lockout) and bearer tokens for scripts."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..errors import BiobankError, FieldError, PermissionDenied, TooManyRequests, Unauthenticated
from ..inputs import Text
from ..models import User
from ..services import sessions, throttle, users
from . import translate_message
from .boundary import form
from .transaction import db_session, record_refusal, refusals

bp = Blueprint("auth", __name__)
security_log = logging.getLogger("biobank.security")
login_manager = LoginManager()
login_manager.login_view = "auth.login"

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user of an open server-side session (services/sessions.py): a cookie whose session
    was signed out, or is older than the absolute lifetime, signs nobody in."""
    sid = session.get("sid")
    if not user_id.isdigit() or not isinstance(sid, str):
        return None
    return sessions.user_for(db_session(), int(user_id), sid,
                             lifetime=current_app.config["SESSION_ABSOLUTE_LIFETIME"])


def client_address() -> str:
    """The client's address as the server sees it (behind a reverse proxy, configure
    werkzeug's ProxyFix so that this is the real client)."""
    return (request.remote_addr or "-")[:64]


def login_policy() -> throttle.Policy:
    cfg = current_app.config
    return throttle.Policy(free_failures=int(cfg["MAX_FAILED_LOGINS"]),
                           base_seconds=int(cfg["LOGIN_BACKOFF_SECONDS"]),
                           max_seconds=int(cfg["LOCKOUT_MINUTES"]) * 60)


def signature_policy() -> throttle.Policy:
    cfg = current_app.config
    return throttle.Policy(free_failures=int(cfg["SIGNATURE_MAX_FAILURES"]),
                           base_seconds=int(cfg["LOGIN_BACKOFF_SECONDS"]),
                           max_seconds=int(cfg["LOCKOUT_MINUTES"]) * 60)


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    if request.path.startswith("/api/"):
        raise Unauthenticated("authentication required: send 'Authorization: Bearer <token>'")
    return redirect(url_for("auth.login", next=request.full_path))


def actor() -> User:
    """The authenticated user of this request (API token or session)."""
    user = g.get("api_user")
    if user is not None:
        return cast(User, user)
    if current_user.is_authenticated:
        return cast(User, current_user._get_current_object())
    raise Unauthenticated("authentication required")


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("api_user") is None and not current_user.is_authenticated:
            return _unauthorized()
        request._biobank_user = actor().username  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    return cast(F, wrapper)


def roles_required(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if actor().role not in roles:
                raise PermissionDenied(_("Your role (%(role)s) may not do this.",
                                         role=actor().role))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect would let a phishing link use our login.
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith(
        "//"
    ):
        return url_for("main.index")
    return target


class LoginRateLimiter:
    """Attempts per client address in a sliding window, in process memory. Per-account lockout
    stops guessing one password; this stops one address spraying many accounts."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int, window: float) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > window:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # bound memory under a spray from many addresses
                self._hits = {k: v for k, v in self._hits.items() if v}
            return True


LOGIN = form("auth.login", username=Text(64), password=Text(256))
LOGOUT = form("auth.logout")
# What the request-wide check refuses (before the view's own refusal page) is shown alike.
LOGIN.shown_on(lambda exc: _login_refused(exc), summary=False)


def _login_refused(exc: BiobankError) -> Any:
    fields = exc.by_field if isinstance(exc, FieldError) else {}
    if not fields:
        flash(translate_message(exc.message), "error")
    # The name typed is kept unless it is what was refused.
    typed = "" if "username" in fields else request.form.get("username", "")[:64]
    errors = {name: translate_message(msg) for name, msg in fields.items()}
    return render_template("login.html", username=typed, errors=errors), exc.status


@bp.route("/login", methods=["GET", "POST"])
@refusals(_login_refused)
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", username="", errors={})
    limiter: LoginRateLimiter = current_app.extensions["biobank.login_limiter"]
    if not limiter.allow(request.remote_addr or "-", current_app.config["LOGIN_RATE_LIMIT"],
                         60.0):
        security_log.warning("login rate limit hit from %s", request.remote_addr)
        raise TooManyRequests(_("Too many sign-in attempts; wait a minute and try again."))
    f = LOGIN.read()
    username, password = f.get("username", ""), f.get("password", "")
    record_refusal("bad_credentials")  # the failure count persists with the refusal
    try:
        user = users.authenticate(db_session(), username, password, address=client_address(),
                                  policy=login_policy())
    except Unauthenticated:
        security_log.warning("login refused for username=%r from %s", username[:64],
                             client_address())
        raise
    # A new session id at every sign-in; whatever the browser held before is ended.
    previous = session.get("sid")
    if isinstance(previous, str):
        sessions.end(db_session(), previous, "replaced")
    session.clear()
    sid = sessions.start(db_session(), user)
    login_user(user)
    session["sid"] = sid
    session.permanent = True
    session["last_seen"] = int(time.time())
    if user.locale:
        session["locale"] = user.locale
    return redirect(_safe_next(request.args.get("next")))


def _end_session(reason: str) -> None:
    sid = session.get("sid")
    if isinstance(sid, str):
        sessions.end(db_session(), sid, reason)
    logout_user()
    session.clear()


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Signing out closes the session server-side: the cookie, replayed, opens nothing."""
    _end_session("logout")
    flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.extensions["biobank.login_limiter"] = LoginRateLimiter()
    login_manager.init_app(app)
    app.register_blueprint(bp)

    @app.before_request
    def _authenticate() -> Response | None:
        g.api_user = None
        header = request.headers.get("Authorization", "")
        if request.path.startswith("/api/"):
            if header.startswith("Bearer "):
                g.api_user = users.user_for_token(db_session(), header[7:].strip())
                request._biobank_user = g.api_user.username  # type: ignore[attr-defined]
            elif header:
                raise Unauthenticated("unsupported Authorization scheme; use Bearer")
            return None
        if current_user.is_authenticated:
            now = int(time.time())
            last = session.get("last_seen")
            # The signed cookie's last_seen: a cookie replayed after the idle time is stale.
            if not isinstance(last, int) or now - last > current_app.config[
                    "IDLE_TIMEOUT_SECONDS"]:
                logout_user()
                session.clear()
                flash(_("Signed out after inactivity."), "info")
                return redirect(url_for("auth.login", next=request.path))
            session["last_seen"] = now
        return None
