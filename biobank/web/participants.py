"""Participants of the trial, scoped to the user's site, with their visits and specimens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..errors import BiobankError, FieldError
from ..inputs import Text
from ..models import Participant, Specimen
from ..services import access, audit, enrollment, specimens, trial
from ..services import labels as label_service
from . import translate_message
from .auth import actor, login_required
from .boundary import form
from .transaction import db_session, refusals

bp = Blueprint("participants", __name__, url_prefix="/participants")
MAKE_KIT = form("participants.make_kit", override_reason=Text(500)).shown_on(
    "participants.detail")


@bp.route("/")
@login_required
def index() -> str:
    s = db_session()
    rows = s.execute(access.participants_query(actor())).scalars().all()
    return render_template("participants.html", participants=rows,
                           mismatches=enrollment.enrolment_mismatches(s, rows))


@bp.route("/<code>")
@login_required
def detail(code: str) -> str:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    return _page(p)


def _page(p: Participant, kit_error: dict[str, str] | None = None) -> Any:
    s = db_session()
    spec = s.execute(
        select(Specimen).where(Specimen.participant_id == p.id).order_by(Specimen.id)
    ).scalars().all()
    # Visits the participant has not reached offer their kit only with a reason (audited).
    not_reached = {}
    for v in p.trial.visits:
        why = label_service.kit_not_reached(p, v)
        if why is not None:
            not_reached[v.code] = translate_message(why)
    return render_template(
        "participant.html", participant=p, specimens=spec, visits=p.trial.visits,
        history=audit.history(s, "participant", p.code), not_reached=not_reached,
        kit_error=kit_error or {},
        mismatch=enrollment.enrolment_mismatches(s, [p]).get(p.code),
    )


def _kit_refused(exc: BiobankError, code: str, visit_code: str) -> Any:
    p = access.get_participant(db_session(), actor(), code)
    return _page(p, {visit_code: translate_message(exc.message)}), exc.status


@bp.route("/<code>/visits/<visit_code>/kit", methods=["POST"])
@login_required
@refusals(_kit_refused, when=lambda exc: exc.code == "visit_not_reached"
          or isinstance(exc, FieldError))
def make_kit(code: str, visit_code: str) -> Response:
    s = db_session()
    user = actor()
    p = access.get_participant(s, user, code)
    visit = trial.get_visit(s, visit_code)
    access.require_write(user)
    label_service.check_kit_allowed(s, user, p, visit, MAKE_KIT.read().get("override_reason"))
    kit = specimens.visit_kit(s, user, p, visit)
    flash(_("Visit kit ready: %(n)d labelled specimens.", n=len(kit)), "success")
    return redirect(url_for("labels.kit", code=p.code, visit_code=visit.code))
