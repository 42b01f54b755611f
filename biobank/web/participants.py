"""Participants of the trial, scoped to the user's site, with their visits and specimens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..models import Specimen
from ..services import access, audit, enrollment, specimens, trial
from .auth import actor, login_required
from .boundary import form
from .transaction import db_session

bp = Blueprint("participants", __name__, url_prefix="/participants")
MAKE_KIT = form("participants.make_kit")


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
    spec = s.execute(
        select(Specimen).where(Specimen.participant_id == p.id).order_by(Specimen.id)
    ).scalars().all()
    return render_template(
        "participant.html", participant=p, specimens=spec, visits=p.trial.visits,
        history=audit.history(s, "participant", p.code),
        mismatch=enrollment.enrolment_mismatches(s, [p]).get(p.code),
    )


@bp.route("/<code>/visits/<visit_code>/kit", methods=["POST"])
@login_required
def make_kit(code: str, visit_code: str) -> Response:
    s = db_session()
    user = actor()
    p = access.get_participant(s, user, code)
    visit = trial.get_visit(s, visit_code)
    kit = specimens.visit_kit(s, user, p, visit)
    flash(_("Visit kit ready: %(n)d labelled specimens.", n=len(kit)), "success")
    return redirect(url_for("labels.kit", code=p.code, visit_code=visit.code))
