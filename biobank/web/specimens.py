"""Specimen page: identity, status, lineage, custody events and the audit history."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import localtime
from ..errors import BiobankError, ValidationError
from ..inputs import Choice, DateTime, Integer, Number, Spec, Text
from ..models import Specimen
from ..services import access, audit, specimens, sprec
from .auth import actor, login_required
from .boundary import form, form_state
from .transaction import db_session, refusals

#: What a number input can hold (anything else typed is kept in a text input instead).
NUMBER_INPUT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

bp = Blueprint("specimens", __name__, url_prefix="/specimens")

PAGE_ACTIONS = ("consume", "dispose", "lose")
# A service's refusal of a correction is about the value typed (a time in the future, a
# container not in the vocabulary, the value it already has), or about the reason. ``choose``
# is the button that, without JavaScript, shows the input fitting the field selected.
CORRECT = form("specimens.correct", field=Text(32),
               value=Text(500), reason=Text(500), choose=Choice(("1",))
               ).shown_on("specimens.detail", invalid="value", conflict="value",
                          reason_required="reason")
ACTION = form("specimens.action", action=Choice(PAGE_ACTIONS), reason=Text(500)
              ).shown_on("specimens.detail", reason_required="reason",
                         invalid_transition="action")


def _preanalytics_spec(kind: str, spec: Any) -> Spec:
    if kind == "choice":
        return Choice(tuple(spec))
    if kind == "flag":  # a select (yes / no / not recorded): scanner- and keyboard-friendly
        return Choice(("yes", "no"))
    if kind == "int":
        return Integer(low=spec[0], high=spec[1])
    return Number(low=spec[0], high=spec[1], places=2)


PREANALYTICS = form("specimens.preanalytics",
                    **{k: _preanalytics_spec(kind, spec)
                       for k, (kind, spec) in sprec.FIELDS.items()})


def _input_kind(spec: Spec) -> str:
    """Which input the correction form shows for a field of this spec."""
    if isinstance(spec, DateTime):
        return "time"
    if isinstance(spec, Number):
        return "number"
    if isinstance(spec, Choice):
        return "choice"
    return "text"


def _chosen_field() -> str:
    """The field whose input the correction form shows first: the one of a refused correction
    (its value kept), else the one chosen without JavaScript (``?correct=``), else the first."""
    chosen = form_state("specimens.correct").value("field") or request.args.get("correct", "")
    return chosen if chosen in specimens.CORRECTABLE else next(iter(specimens.CORRECTABLE))


def _page(specimen: Specimen, error: BiobankError | None = None,
          values: dict[str, Any] | None = None) -> str:
    s = db_session()
    source = sprec.coded_specimen(specimen)  # itself, or for DNA the sample it came from
    fields = [(name, sprec.FIELDS[name][0],
               sprec.FIELDS[name][1] if sprec.FIELDS[name][0] == "choice" else None,
               _(sprec.FIELD_LABELS[name])) for name in sprec.fields_for(specimen)]
    return render_template(
        "specimen.html",
        specimen=specimen,
        sprec=sprec.code(source) if source else None,
        sprec_elements=sprec.elements(source) if source else [],
        sprec_source=source,
        sprec_fields=fields,
        sprec_solid=specimen.specimen_type in sprec.SOLID_TYPES,
        preanalytics_values=values,
        error=error,
        lineage=specimens.lineage(specimen),
        history=audit.history(s, "specimen", specimen.barcode),
        correctable=list(specimens.CORRECTABLE),
        correct_inputs={name: _input_kind(spec) for name, spec in specimens.CORRECTABLE.items()},
        correct_chosen=_chosen_field(),
        correct_choices={name: (spec.values, specimens.CHOICE_DOMAINS[name])
                         for name, spec in specimens.CORRECTABLE.items()
                         if isinstance(spec, Choice)},
        quantity=specimens.QUANTITY,
        # A refused quantity a number input cannot hold ("1,5", "lots") is shown as typed.
        is_number=lambda text: bool(NUMBER_INPUT.fullmatch(text.strip())),
        actions=PAGE_ACTIONS,
    )


@bp.route("/<barcode>")
@login_required
def detail(barcode: str) -> str:
    return _page(access.get_specimen(db_session(), actor(), barcode))


def _preanalytics_refused(exc: BiobankError, barcode: str) -> Any:
    """The page again, with the refusal beside its field and what was typed kept."""
    specimen = access.get_specimen(db_session(), actor(), barcode)
    kept = {k: request.form.get(k, "") for k in sprec.fields_for(specimen)}
    return _page(specimen, exc, kept), exc.status


@bp.route("/<barcode>/preanalytics", methods=["POST"])
@login_required
@refusals(_preanalytics_refused)
def preanalytics(barcode: str) -> Response:
    """The bench's pre-analytical record: an empty field is "not recorded"."""
    s = db_session()
    user = actor()
    specimen = access.get_specimen(s, user, barcode)
    f = PREANALYTICS.read()
    values: dict[str, Any] = {}
    for name in sprec.fields_for(specimen):
        raw = f.get(name)
        if sprec.FIELDS[name][0] == "flag" and raw is not None:
            raw = raw == "yes"
        values[name] = raw
    sprec.record(s, user, specimen, values)
    flash(_("Processing record saved."), "success")
    return redirect(url_for(".detail", barcode=specimen.barcode) + "#sprec")


PREANALYTICS.shown_on(lambda exc, barcode: _preanalytics_refused(exc, barcode)[0])


@bp.route("/<barcode>/correct", methods=["POST"])
@login_required
def correct(barcode: str) -> Response:
    s = db_session()
    user = actor()
    specimen = access.get_specimen(s, user, barcode)
    f = CORRECT.read()
    field = f.get("field") or ""
    if f.get("choose"):  # no JavaScript: the page again, with the input for this field
        chosen = field if field in specimens.CORRECTABLE else None
        return redirect(url_for(".detail", barcode=specimen.barcode, correct=chosen)
                        + "#correct-form")
    value: object = f.get("value", "")
    if isinstance(specimens.CORRECTABLE.get(field), DateTime) and str(value).strip():
        # The browser's date-time picker (or a date typed the way people write it) holds the
        # site's wall-clock time, without a zone.
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
