"""Genotyping pages for results that are not VCF uploads: an outside laboratory's report
entered as HGVS with its PDF attached, and the stored document of such an analysis.

A refused field is shown beside its field with the other inputs kept (422); nothing is
written (the request rolls back).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import FieldError, ValidationError
from ..inputs import Text
from ..models import GenotypingInput, Specimen
from ..services import access, genotyping, mlpa, outside_results
from . import translate_message
from .auth import actor, login_required, roles_required
from .boundary import form, upload_form
from .genotyping import settings, variant_page
from .transaction import db_session

bp = Blueprint("sources", __name__, url_prefix="/genotyping")

#: The forms, declared at the input boundary (web/boundary.py).
OUTSIDE = upload_form("sources.outside", ("report",), hgvs=Text(200), build=Text(8),
                      lab=Text(200), report_date=Text(10), accession=Text(100))
MLPA = upload_form("sources.mlpa_page", ("table",), normal_specimen=Text(64), build=Text(8))
CONFIRM = form("sources.confirm", method=Text(200), reason=Text(1000))


def field_errors(exc: ValidationError, fields: dict[str, str]) -> dict[str, str]:
    """The refusal, translated, keyed by the form field it is about: the boundary names it
    (FieldError), else the service's code does (``fields``); "" is the form as a whole."""
    if isinstance(exc, FieldError):
        return {name: translate_message(msg) for name, msg in exc.by_field.items()}
    return {fields.get(exc.code, ""): translate_message(exc.message)}


def _upload(name: str) -> genotyping.Upload | None:
    """The file the form sent as ``name`` (None when none was chosen)."""
    f = request.files.get(name)
    if f is None or not (f.filename or f.content_length):
        return None
    return genotyping.Upload("normal", f.stream, f.filename or "")


def _sources_refused(template: str, exc: ValidationError, fields: dict[str, str],
                     **context: Any) -> tuple[str, int]:
    """The form again, the refusal beside its field and everything typed kept (422: the
    request's one commit point rolls back whatever was begun)."""
    values = {name: request.form.get(name, "") for name in ("hgvs", "lab", "report_date",
                                                            "accession", "normal_specimen")}
    values["build"] = request.form.get("build") or "GRCh38"
    return render_template(template, values=values, errors=field_errors(exc, fields),
                           builds=genotyping.BUILDS, **context), 422


def _blank(names: tuple[str, ...]) -> dict[str, str]:
    return {**{n: "" for n in names}, "build": "GRCh38"}


@bp.route("/participants/<code>/outside", methods=["GET", "POST"])
@login_required
def outside(code: str) -> Any:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    access.require_role(actor(), "pathologist")
    if request.method == "GET":
        return render_template("genotyping/outside.html", participant=p, errors={},
                               values=_blank(outside_results.FIELDS), builds=genotyping.BUILDS)
    try:
        f = OUTSIDE.read()
        req = outside_results.OutsideRequest(
            participant_code=code, hgvs=f.get("hgvs") or "", lab=f.get("lab") or "",
            report_date=f.get("report_date") or "", accession=f.get("accession") or "",
            report=_upload("report"), build=f.get("build") or "GRCh38")
        analysis, created = outside_results.create(s, actor(), req, settings())
    except ValidationError as exc:
        return _sources_refused("genotyping/outside.html", exc, outside_results.FIELD_OF_CODE,
                                participant=p)
    flash(_("Outside result recorded and classified; review it and sign it out.") if created
          else _("This outside result was already recorded: showing it."),
          "success" if created else "info")
    return redirect(url_for("genotyping.analysis", analysis_id=analysis.id), code=303)


def _blood_specimens(participant_id: int) -> list[Specimen]:
    return [x for x in db_session().execute(
        select(Specimen).where(Specimen.participant_id == participant_id,
                               Specimen.status != "expected").order_by(Specimen.id)).scalars()
        if x.specimen_type in genotyping.NORMAL_TYPES]


@bp.route("/participants/<code>/mlpa", methods=["GET", "POST"])
@login_required
def mlpa_page(code: str) -> Any:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    access.require_role(actor(), "pathologist")
    specimens = _blood_specimens(p.id)
    if request.method == "GET":
        return render_template("genotyping/mlpa.html", participant=p, errors={},
                               values=_blank(("normal_specimen",)), builds=genotyping.BUILDS,
                               specimens=specimens)
    try:
        f = MLPA.read()
        req = mlpa.MlpaRequest(participant_code=code, normal_specimen=f.get("normal_specimen"),
                               table=_upload("table"), build=f.get("build") or "GRCh38")
        analysis, created = mlpa.create(s, actor(), req, settings())
    except ValidationError as exc:
        return _sources_refused("genotyping/mlpa.html", exc, mlpa.FIELD_OF_CODE,
                                participant=p, specimens=specimens)
    flash(_("MLPA table imported and classified; review it and sign it out.") if created
          else _("This MLPA table was already imported: showing it."),
          "success" if created else "info")
    return redirect(url_for("genotyping.analysis", analysis_id=analysis.id), code=303)


@bp.route("/variants/<int:variant_id>/confirm", methods=["POST"])
@roles_required("pathologist")
def confirm(variant_id: int) -> Any:
    f = CONFIRM.read()
    row = mlpa.confirm(db_session(), actor(), variant_id, f.get("method") or "",
                       f.get("reason") or "")
    flash(_("Confirmation recorded. Sign an amendment (or the first version) to report it."),
          "success")
    return redirect(url_for("genotyping.analysis", analysis_id=row.variant.analysis_id),
                    code=303)


def _outside_page(exc: ValidationError, code: str) -> Any:
    return _sources_refused("genotyping/outside.html", exc, outside_results.FIELD_OF_CODE,
                            participant=access.get_participant(db_session(), actor(), code))


def _mlpa_page(exc: ValidationError, code: str) -> Any:
    p = access.get_participant(db_session(), actor(), code)
    return _sources_refused("genotyping/mlpa.html", exc, mlpa.FIELD_OF_CODE, participant=p,
                            specimens=_blood_specimens(p.id))


# What the request-wide check refuses (before the views' own handling) is shown the same way.
OUTSIDE.shown_on(_outside_page, summary=False)
MLPA.shown_on(_mlpa_page, summary=False)
CONFIRM.shown_on(variant_page, reason_required="reason", method_required="method")


@bp.route("/analyses/<int:analysis_id>/documents/<int:input_id>")
@login_required
def document(analysis_id: int, input_id: int) -> Response:
    """An analysis's stored document (an outside report's PDF, an MLPA table), by the
    analysis it belongs to (site scoping), never by its file name."""
    s = db_session()
    a = genotyping.get_analysis(s, actor(), analysis_id)
    row = s.get(GenotypingInput, input_id)
    if row is None or row.analysis_id != a.id or a.source == "vcf":
        return Response(status=404)
    path = f"{settings().upload_dir}/{row.file.stored_name}"
    mimetype = {"pdf": "application/pdf", "csv": "text/csv"}.get(row.file.kind,
                                                                 "application/octet-stream")
    return send_file(path, mimetype=mimetype, as_attachment=True,
                     download_name=f"analysis-{a.id}-{row.file.sha256[:12]}.{row.file.kind}")
