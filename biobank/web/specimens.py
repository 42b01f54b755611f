"""Specimen page: identity, status, lineage, custody events and the audit history."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import localtime
from ..errors import ValidationError
from ..inputs import Choice, Text
from ..services import access, audit, specimens
from .auth import actor, login_required
from .boundary import form
from .transaction import db_session

bp = Blueprint("specimens", __name__, url_prefix="/specimens")

PAGE_ACTIONS = ("consume", "dispose", "lose")
# A service's refusal of a correction is about the value typed (a time in the future, a
# container not in the vocabulary, the value it already has), or about the reason.
CORRECT = form("specimens.correct", field=Text(32), value=Text(500), reason=Text(500)
               ).shown_on("specimens.detail", invalid="value", conflict="value",
                          reason_required="reason")
ACTION = form("specimens.action", action=Choice(PAGE_ACTIONS), reason=Text(500)
              ).shown_on("specimens.detail", reason_required="reason",
                         invalid_transition="action")


@bp.route("/<barcode>")
@login_required
def detail(barcode: str) -> str:
    s = db_session()
    specimen = access.get_specimen(s, actor(), barcode)
    return render_template(
        "specimen.html",
        specimen=specimen,
        sprec=specimens.sprec(specimen),
        lineage=specimens.lineage(specimen),
        history=audit.history(s, "specimen", specimen.barcode),
        correctable=sorted(specimens.CORRECTABLE),
        actions=PAGE_ACTIONS,
    )


@bp.route("/<barcode>/correct", methods=["POST"])
@login_required
def correct(barcode: str) -> Response:
    s = db_session()
    user = actor()
    specimen = access.get_specimen(s, user, barcode)
    f = CORRECT.read()
    field = f.get("field") or ""
    value: object = f.get("value", "")
    if field in {"collected_at", "centrifuged_at", "frozen_at"}:  # typed in local time (i18n)
        value = localtime.parse_datetime(str(value), specimen.participant.site.timezone,
                                         field="value")
    specimens.correct(s, user, specimen, field, value, f.get("reason", ""))
    flash(_("Correction recorded."), "success")
    return redirect(url_for(".detail", barcode=specimen.barcode))


@bp.route("/<barcode>/action", methods=["POST"])
@login_required
def action(barcode: str) -> Response:
    s = db_session()
    user = actor()
    specimen = access.get_specimen(s, user, barcode)
    f = ACTION.read()
    act = f.get("action") or ""
    reason = f.get("reason", "").strip()
    if act not in PAGE_ACTIONS:
        raise ValidationError(_("Unknown action."))
    if not reason:
        raise ValidationError(_("A reason is required."), code="reason_required")
    specimens.transition(s, user, specimen, act, reason=reason)
    flash(_("Status changed."), "success")
    return redirect(url_for(".detail", barcode=specimen.barcode))
