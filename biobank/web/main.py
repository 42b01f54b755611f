"""Home and the scan station: one input that keeps focus and answers every scan loudly."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..errors import BiobankError
from ..inputs import Text
from ..models import Participant, Specimen
from ..services import access, audit, scan, users, worklist
from . import scanner
from .auth import actor, login_required
from .boundary import form
from .transaction import db_session, record_refusal, refusals

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index() -> str:
    user = actor()
    s = db_session()
    pq = access.participants_query(user).subquery()
    n_participants = s.execute(select(func.count()).select_from(pq)).scalar_one()
    if user.sees_all_sites:
        status_q = select(Specimen.status, func.count()).group_by(Specimen.status)
    else:
        # Counted per participant first (index-only on participant_id, status), then joined
        # to the few participants of the site: 4 ms instead of 30 at 100,000 specimens.
        per = (select(Specimen.participant_id, Specimen.status, func.count().label("n"))
               .group_by(Specimen.participant_id, Specimen.status).subquery())
        status_q = (select(per.c.status, func.sum(per.c.n))
                    .join(Participant, Participant.id == per.c.participant_id)
                    .where(Participant.site_id == user.site_id).group_by(per.c.status))
    counts = {status: int(n) for status, n in s.execute(status_q).all()}
    work = worklist.counts(s, user) if user.role == "pathologist" else None
    return render_template("index.html", n_participants=n_participants, counts=counts,
                           work=work)


SCAN = form("main.scan_station", code=Text(200))
LANGUAGE = form("main.set_language", lang=Text(8), next=Text(2000))


def _scan_page(result: scan.ScanResult | None, error: BiobankError | None) -> Any:
    history = (
        audit.history(db_session(), "specimen", result.specimen.barcode)
        if result and result.specimen else []
    )
    status = error.status if error is not None else 200
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx bodies by default; the fragment carries its own status for the
        # sound.
        return render_template("_scan_result.html", result=result, error=error,
                               history=history, status=status), 200
    return render_template("scan.html", result=result, error=error, history=history,
                           status=status), status


@bp.route("/scan", methods=["GET", "POST"])
@login_required
@refusals(lambda exc: _scan_page(None, exc))
def scan_station() -> Any:
    if request.method == "GET":
        return render_template("scan.html", result=None, error=None)
    user = actor()
    record_refusal(access.OTHER_SITE)  # where another site's tube turned up is kept
    prefixes, suffixes = scanner.affixes()
    result = scan.resolve(
        db_session(), user, SCAN.read().get("code", ""), prefixes=prefixes, suffixes=suffixes,
        register=user.role in {"technician", "admin"},
    )
    return _scan_page(result, None)


# The request-wide check refuses before the view: the screen still answers, not a bare page.
SCAN.shown_on(lambda exc: _scan_page(None, exc), summary=False)
# Only a tampered request is refused here (the form is two hidden values): the start page says so.
LANGUAGE.shown_on("main.index")


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Switch the interface language; a signed-in user's choice is saved to their profile."""
    f = LANGUAGE.read()
    lang = f.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["locale"] = lang
        if current_user.is_authenticated:
            users.update_profile(db_session(), actor(), {"locale": lang})
    target = f.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("main.index"))


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on every page whatever the page links: answered (no sign-in
    needed: it is the app's icon, not data) instead of a 404 in every log."""
    static = current_app.static_folder
    assert static is not None
    resp = send_from_directory(static, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)
    return resp
